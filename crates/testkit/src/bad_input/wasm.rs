//! Contracts written in WAT at test time: raw `Val` arguments that typed
//! Rust APIs cannot express, importing the fork's functions (module `l`).

use soroban_env_host::xdr::{ScEnvMetaEntry, ScEnvMetaEntryInterfaceVersion};

use crate::{e2e::to_xdr, BASE_PROTOCOL, FORK_PROTOCOL};

pub const TAG_U32: u64 = 4;
pub const TAG_I32: u64 = 5;
pub const TAG_SYMBOL: u64 = 14;
pub const TAG_BYTES: u64 = 72;
pub const TAG_STRING: u64 = 73;
pub const TAG_VEC: u64 = 75;
pub const TAG_ADDRESS: u64 = 77;

/// A `U32Val` as raw bits.
pub fn u32_val(x: u32) -> i64 {
    (((x as u64) << 32) | TAG_U32) as i64
}

/// A small symbol (up to 9 characters) as raw bits.
pub fn small_symbol(s: &str) -> i64 {
    assert!(s.len() <= 9);
    let body = s.bytes().fold(0u64, |acc, c| {
        let code = match c {
            b'_' => 1,
            b'0'..=b'9' => 2 + (c - b'0') as u64,
            b'A'..=b'Z' => 12 + (c - b'A') as u64,
            b'a'..=b'z' => 38 + (c - b'a') as u64,
            _ => panic!("not a symbol character"),
        };
        (acc << 6) | code
    });
    ((body << 8) | TAG_SYMBOL) as i64
}

/// An object reference as raw bits: relative handles (even) index the
/// frame's table of objects the contract was given or made.
pub fn object(tag: u64, handle: u32) -> i64 {
    (((handle as u64) << 32) | tag) as i64
}

fn env_meta(protocol: u32) -> String {
    let meta = ScEnvMetaEntry::ScEnvMetaKindInterfaceVersion(ScEnvMetaEntryInterfaceVersion {
        protocol,
        pre_release: 0,
    });
    to_xdr(&meta).iter().map(|b| format!("\\{b:02x}")).collect()
}

/// A module from `body` (imports, functions), with a memory and the
/// `contractenvmetav0` section declaring interface `protocol`.
pub fn module(protocol: u32, body: &str) -> Vec<u8> {
    let text = format!(
        "(module {body}\n (memory (export \"memory\") 1)\n (@custom \"contractenvmetav0\" \"{}\"))",
        env_meta(protocol)
    );
    wat::parse_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The fork's seven functions: (export, name, argument types).
pub const FORK_FNS: [(&str, &str, &[&str]); 7] = [
    ("h", "set_contract_wasm_ref", &["Symbol", "BytesObject"]),
    (
        "i",
        "create_contract_with_external_ref",
        &["AddressObject", "AddressObject", "Symbol", "BytesObject"],
    ),
    ("j", "get_contract_wasm_ref", &["AddressObject", "Symbol"]),
    ("k", "has_contract_wasm_ref", &["AddressObject", "Symbol"]),
    (
        "l",
        "extend_contract_wasm_ref_ttl",
        &["Symbol", "U32Val", "U32Val"],
    ),
    (
        "m",
        "update_current_contract_external_ref",
        &["AddressObject", "Symbol"],
    ),
    (
        "n",
        "create_contract_with_external_ref_and_constructor",
        &[
            "AddressObject",
            "AddressObject",
            "Symbol",
            "BytesObject",
            "VecObject",
        ],
    ),
];

fn import(module: &str, export: &str, name: &str, arity: usize) -> String {
    let params = if arity == 0 {
        String::new()
    } else {
        format!(" (param{})", " i64".repeat(arity))
    };
    format!(" (import \"{module}\" \"{export}\" (func ${name}{params} (result i64)))\n")
}

fn fork_imports() -> String {
    FORK_FNS
        .iter()
        .map(|(e, n, a)| import("l", e, n, a.len()))
        .collect()
}

/// The probe: forwards its arguments to the fork's functions, calls other
/// contracts (plain, failing after the call, in sequence, in a chain,
/// with try_call: `try` returns the callee's value, or, having caught an
/// error, goes on to build `[error, caught]`), emits events, reads data. Used as a manager, as a plain
/// Wasm contract and as the code of followers. `fork`: whether it imports
/// the fork's functions (false: a protocol-27 probe).
pub fn probe(fork: bool) -> Vec<u8> {
    let mut body = String::new();
    if fork {
        body += &fork_imports();
    }
    for (m, e, n, a) in [
        ("d", "_", "call", 3),
        ("d", "0", "try_call", 3),
        ("v", "_", "vec_new", 0),
        ("v", "6", "vec_push_back", 2),
        ("v", "1", "vec_get", 2),
        ("v", "3", "vec_len", 1),
        ("x", "1", "contract_event", 2),
        ("l", "1", "get_contract_data", 2),
        ("l", "9", "extend_contract_instance_and_code_ttl", 3),
        ("l", "d", "extend_contract_code_ttl", 3),
        ("l", "g", "extend_contract_instance_and_code_ttl_v2", 5),
        ("a", "6", "get_address_executable", 1),
    ] {
        body += &import(m, e, n, a);
    }
    let fwd = |export: &str, name: &str, arity: usize| {
        let params = " i64".repeat(arity);
        let args: String = (0..arity).map(|i| format!(" (local.get {i})")).collect();
        format!(" (func (export \"{export}\") (param{params}) (result i64) (call ${name}{args}))\n")
    };
    if fork {
        for (export, name, arity) in [
            ("set", "set_contract_wasm_ref", 2),
            ("create", "create_contract_with_external_ref", 4),
            ("get", "get_contract_wasm_ref", 2),
            ("has", "has_contract_wasm_ref", 2),
            ("extend", "extend_contract_wasm_ref_ttl", 3),
            ("follow", "update_current_contract_external_ref", 2),
            (
                "create_ctor",
                "create_contract_with_external_ref_and_constructor",
                5,
            ),
        ] {
            body += &fwd(export, name, arity);
        }
    }
    for (export, name, arity) in [
        ("fwd", "call", 3),
        ("ext_code", "extend_contract_instance_and_code_ttl", 3),
        ("ext_code_only", "extend_contract_code_ttl", 3),
        ("executable", "get_address_executable", 1),
    ] {
        body += &fwd(export, name, arity);
    }
    body += &format!(
        r#" (func (export "version") (result i64) (i64.const {v}))
 (func (export "fwd_fail") (param i64 i64 i64) (result i64)
   (drop (call $call (local.get 0) (local.get 1) (local.get 2))) unreachable)
 (func (export "two") (param i64 i64 i64 i64 i64 i64) (result i64)
   (drop (call $call (local.get 0) (local.get 1) (local.get 2)))
   (call $call (local.get 3) (local.get 4) (local.get 5)))
 (func (export "try") (param i64 i64 i64) (result i64) (local $r i64)
   (local.set $r (call $try_call (local.get 0) (local.get 1) (local.get 2)))
   (if (result i64) (i64.eq (i64.and (local.get $r) (i64.const 255)) (i64.const 3))
 (then (call $vec_push_back (call $vec_push_back (call $vec_new) (local.get $r))
   (i64.const {caught})))
 (else (local.get $r))))
 (func (export "ext_v2") (param i64 i64 i64 i64 i64) (result i64)
   (call $extend_contract_instance_and_code_ttl_v2 (local.get 0)
 (i64.shr_u (local.get 1) (i64.const 32)) (local.get 2) (local.get 3) (local.get 4)))
 (func (export "emit") (param i64) (result i64)
   (call $contract_event (call $vec_push_back (call $vec_new) (local.get 0)) (local.get 0)))
 (func (export "data") (param i64) (result i64)
   (call $get_contract_data (local.get 0) (i64.const 1)))
 (func (export "idata") (param i64) (result i64)
   (call $get_contract_data (local.get 0) (i64.const 2)))
 (func (export "chain") (param $list i64) (param $i i64) (result i64)
   (if (result i64) (i64.lt_u (local.get $i) (call $vec_len (local.get $list)))
 (then (call $call (call $vec_get (local.get $list) (local.get $i)) (i64.const {chain})
   (call $vec_push_back (call $vec_push_back (call $vec_new) (local.get $list))
     (i64.add (local.get $i) (i64.const {one})))))
 (else (local.get $i))))
"#,
        v = u32_val(100),
        caught = small_symbol("caught"),
        chain = small_symbol("chain"),
        one = 1i64 << 32,
    );
    module(if fork { FORK_PROTOCOL } else { BASE_PROTOCOL }, &body)
}

/// An argument of a raw call: made at run time, or raw bits.
#[derive(Clone, Debug)]
pub enum Arg {
    /// The contract's own address (`get_current_contract_address`).
    SelfAddress,
    /// 32 zero bytes from linear memory.
    Bytes32,
    /// An empty vector.
    EmptyVec,
    /// Raw bits.
    Raw(i64),
    /// A valid object of another type (an empty vector) re-tagged.
    Retagged(u64),
    /// A symbol made from linear memory holding `text`.
    MemorySymbol(&'static str),
}

impl Arg {
    fn expr(&self, data_at: usize) -> String {
        match self {
            Arg::SelfAddress => "(call $self)".into(),
            Arg::Bytes32 => format!(
                "(call $bytes (i64.const {}) (i64.const {}))",
                u32_val(0),
                u32_val(32)
            ),
            Arg::EmptyVec => "(call $vec)".into(),
            Arg::Raw(x) => format!("(i64.const {x})"),
            Arg::Retagged(tag) => {
                format!("(i64.or (i64.and (call $vec) (i64.const -256)) (i64.const {tag}))")
            }
            Arg::MemorySymbol(text) => format!(
                "(call $symbol (i64.const {}) (i64.const {}))",
                u32_val(data_at as u32),
                u32_val(text.len() as u32)
            ),
        }
    }
}

/// A contract whose export `run{i}` calls the fork's function `export`
/// with `calls[i]`; `ctrl` calls it with `control`.
pub fn raw_calls(export: &str, control: &[Arg], calls: &[Vec<Arg>]) -> Vec<u8> {
    let (_, name, types) = FORK_FNS.iter().find(|f| f.0 == export).unwrap();
    let mut body = import("l", export, name, types.len());
    body += &import("x", "7", "self", 0);
    body += &import("b", "3", "bytes", 2);
    body += &import("v", "_", "vec", 0);
    body += &import("b", "j", "symbol", 2);
    let mut data = String::new();
    let mut at = 64;
    let mut func = |fname: String, args: &[Arg]| {
        let exprs: Vec<String> = args
            .iter()
            .map(|a| {
                let e = a.expr(at);
                if let Arg::MemorySymbol(text) = a {
                    data += &format!(" (data (i32.const {at}) \"{text}\")\n");
                    at += 64;
                }
                e
            })
            .collect();
        format!(
            " (func (export \"{fname}\") (result i64) (call ${name} {}))\n",
            exprs.join(" ")
        )
    };
    body += &func("ctrl".into(), control);
    for (i, args) in calls.iter().enumerate() {
        body += &func(format!("run{i}"), args);
    }
    body += &data;
    module(FORK_PROTOCOL, &body)
}

/// A protocol-`protocol` contract importing the fork's function `export`.
pub fn importing(protocol: u32, export: &str) -> Vec<u8> {
    let (_, name, types) = FORK_FNS.iter().find(|f| f.0 == export).unwrap();
    let args: String = (0..types.len()).map(|_| " (i64.const 2)").collect();
    module(
        protocol,
        &format!(
            "{} (func (export \"run\") (result i64) (call ${name}{args}))",
            import("l", export, name, types.len())
        ),
    )
}
