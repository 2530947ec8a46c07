//! The differential interpreter: runs one *generated* protocol-27 workload and
//! reports everything it observed as JSON.
//!
//! Like `workload.rs`, this one file is compiled twice, unchanged, with
//! `#[path]`: by `crates/drift` (`drift-reference --differential`) against
//! unforked crates.io soroban-env-host 27.0.1, and by
//! `tests/tests/differential.rs` against the fork. It may therefore only use
//! API that exists identically in both (testutils, the `Env` trait,
//! `invoke_function`, `e2e_invoke`, `e2e_testutils`). The test generates
//! workloads with proptest, runs each here on the fork and in the reference,
//! and requires the two reports to be equal (`docs/differential.md`).
//!
//! # The workload language
//!
//! A workload is a JSON object `{"diagnostics": bool, "metering": bool,
//! "ops": [op, ...]}`. Every op names what it uses by small indices and seeds,
//! never by values a host produced, so any sub-list of a workload is a valid
//! workload (proptest shrinks failures to a minimal one):
//!
//! - a contract is `{"contract": i}`: the `i % n`-th of the `n` contracts
//!   created so far (by ops or transactions; a fixed absent contract while
//!   there are none), or `{"contract": i, "kind": k}`: the same among those
//!   created from a Wasm of kind `k` (`follower`, `token`, `account`, or
//!   `sac` for asset contracts), or among all if there is none of that kind;
//! - an account is `{"acct": seed}`: the ed25519 account whose key is 32
//!   bytes `seed` (no ledger entry: only source-account auth works for it);
//! - a Wasm is a fixture name (`follower_v1`, `follower_v2`, `token_v1`,
//!   `token_v2`, `account`), or `bogus` (a hash never uploaded; as upload
//!   bytes, not Wasm).
//!
//! Values (`Arg`): `{"u32": n}`, `{"i32": n}`, `{"u64": n}`,
//! `{"i128": "decimal"}`, `{"sym": s}`, `{"str": s}`, `{"bytes": [len,
//! fill]}`, `{"bool": b}`, `"void"`, an account, a contract, `{"vec":
//! [Arg]}`, `{"map": [[Arg, Arg]]}`.
//!
//! Top-level ops, each run on one main host (recording footprint, protocol
//! 27 ledger, unlimited budget) unless said otherwise:
//!
//! - `upload {wasm}`, `create {wasm, deployer, salt, ctor: null | [Arg]}`,
//!   `sac {asset: "native" | {code, issuer}}`: the `Env` host functions;
//! - `call {contract, fn, args, try}`: `call` or `try_call`;
//! - `frame {contract, body, fail}`: a test contract frame of the contract
//!   running the inner ops of `body` (storage `put/get/has/del {key, val,
//!   dur: p|t|i}`, `extend_data {key, dur, threshold, extend_to}`,
//!   `extend_data_v2 {key, dur, extend_to, min, max}`, `extend_current
//!   {threshold, extend_to}`, `event {topics, data}`, `require_auth
//!   {addr}`, `require_auth_for_args {addr, args}`, `authorize {entries}`,
//!   `update_wasm {wasm}`, `call`, `create`, `get_executable`, `frame`);
//!   like a contract, the frame stops at the first failing inner op, and
//!   `fail` makes it fail at its end (rolling back its writes);
//! - `extend {contract, what: instance_and_code | instance | code,
//!   threshold, extend_to}`, `extend_v2 {contract, scope, extend_to, min,
//!   max}`, `get_executable {addr}`;
//! - `auth {mode: recording, disable_non_root}` / `auth {mode: enforcing,
//!   entries}`, `source {acct}`, `recorded_auth`;
//! - `invoke {fn: HostFn, auth}`: `invoke_function`, as a transaction's host
//!   runs it, after `set_authorization_entries(auth)` if `auth` is given
//!   (`HostFn`: `{call: {contract, fn, args}}`, `{create: {deployer, wasm,
//!   salt, ctor, v2}}`, `{upload: wasm}`, `{sac: asset}`);
//! - `ledger {advance}`: moves the ledger sequence (and time) on;
//! - `limited {cpu, mem, body}`: runs the top-level op `body` with a budget
//!   of `cpu` instructions and `mem` bytes;
//! - `tx {fn, source, sim_auth, apply_auth, footprint, cpu, mem}`: a
//!   transaction through stellar-core's entry points on a ledger of its own
//!   (the main host's storage overlaid with the ledger changes of the
//!   transactions applied before; the main host does not see them):
//!   simulated with
//!   `invoke_host_function_in_recording_mode` (`sim_auth`: `{record:
//!   {disable_non_root, v2}}`, `{enforce: entries}`, or `{two_pass:
//!   {disable_non_root, v2, exp}}`: recorded, then simulated again enforcing
//!   the recorded entries with their signatures' expiration set, as a client
//!   does for custom accounts), then applied with
//!   `invoke_host_function` with the simulated footprint (`footprint`:
//!   `recorded`, `drop_ro` or `drop_rw` its first key), auth (`apply_auth`:
//!   `recorded` or `none`), and a budget of `cpu` (`null`, `{abs: n}` or
//!   `{pct: p}` of the simulated instructions) and `mem` (`null` or bytes).
//!
//! Auth entries: `{creds, root}` with `creds` `"source"` or `{addr, nonce,
//! exp, kind: address | v2 | delegates, delegates: [addr]}` (signatures are
//! `Void`: the `account` fixture's `__check_auth` accepts anything), and an
//! invocation `{fn: {call: ..} | {create: {deployer, wasm, salt, ctor, v2}},
//! subs: [invocation]}`.
//!
//! # The report
//!
//! One record per op (inner frame ops included): its result, metered CPU
//! instructions and memory bytes, and per cost type the iterations, inputs,
//! CPU and memory it charged; transactions add their footprint, resources,
//! auth, ledger changes and events. At the end: the main host's budget
//! totals, storage and events, and the transactions' ledger.

use std::{
    collections::{BTreeMap, BTreeSet},
    panic::{catch_unwind, AssertUnwindSafe},
    rc::Rc,
};

use serde_json::{json, Map, Value};
use soroban_env_host::{
    budget::Budget,
    e2e_invoke::{self, InvokeHostFunctionRecordingModeResult, InvokeHostFunctionResult},
    e2e_testutils,
    storage::SnapshotSource,
    testutils::MockSnapshotSource,
    xdr::{
        AccountId, AlphaNum4, Asset, AssetCode4, ContractCostType, ContractDataDurability,
        ContractEvent, ContractExecutable, ContractId, ContractIdPreimage,
        ContractIdPreimageFromAddress, CreateContractArgs, CreateContractArgsV2, Hash,
        HostFunction, Int128Parts, InvokeContractArgs, LedgerEntry, LedgerEntryData,
        LedgerFootprint, LedgerKey, Limits, PublicKey, ReadXdr, ScAddress, ScBytes, ScMap,
        ScMapEntry, ScString, ScSymbol, ScVal, ScVec, SorobanAddressCredentials,
        SorobanAddressCredentialsWithDelegates, SorobanAuthorizationEntry,
        SorobanAuthorizedFunction, SorobanAuthorizedInvocation, SorobanCredentials,
        SorobanDelegateSignature, SorobanResources, TtlEntry, Uint256, WriteXdr,
    },
    AddressObject, ContractTtlExtension, Env, EnvBase, Host, HostError, LedgerInfo, StorageType,
    Symbol, TryFromVal, Val, VecObject,
};

/// The ledger protocol of every workload.
pub const PROTOCOL: u32 = 27;

/// The Wasm fixtures a workload may upload and deploy: stock soroban-sdk
/// contracts declaring interface protocol 27.
pub const WASMS: [(&str, &[u8]); 5] = [
    (
        "follower_v1",
        include_bytes!("../../tests/fixtures/follower_v1.wasm"),
    ),
    (
        "follower_v2",
        include_bytes!("../../tests/fixtures/follower_v2.wasm"),
    ),
    (
        "token_v1",
        include_bytes!("../../tests/fixtures/token_v1.wasm"),
    ),
    (
        "token_v2",
        include_bytes!("../../tests/fixtures/token_v2.wasm"),
    ),
    (
        "account",
        include_bytes!("../../tests/fixtures/account.wasm"),
    ),
];

/// Upload bytes of the `bogus` Wasm: not a Wasm module.
const BOGUS_WASM: &[u8] = &[0, 0x61, 0x73, 0x6d, 0xff];
/// The hash `bogus` names when a hash is needed: never uploaded.
const BOGUS_HASH: [u8; 32] = [0xEE; 32];
/// The contract `{"contract": i}` names while no contract exists.
const ABSENT_CONTRACT: [u8; 32] = [0xCC; 32];
/// The deepest nesting of frames a workload may ask for.
const MAX_FRAME_DEPTH: usize = 4;

/// Which host this is (differs by design; not compared).
pub fn host_identity() -> String {
    format!(
        "soroban-env {} (interface protocol {})",
        soroban_env_host::VERSION.pkg,
        soroban_env_host::meta::INTERFACE_VERSION.protocol
    )
}

/// Runs `workload` and returns its report. A malformed workload or a panic
/// (of the host or of the interpreter) is reported, never propagated, so a
/// server can go on with the next workload.
pub fn run(workload: &Value) -> Value {
    let outcome = catch_unwind(AssertUnwindSafe(|| run_unchecked(workload)));
    let mut report = match outcome {
        Ok(report) => report,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic".to_string());
            json!({ "panic": msg })
        }
    };
    report["host"] = json!(host_identity());
    report
}

// ---------------------------------------------------------------------------
// Reading the workload
// ---------------------------------------------------------------------------

fn field<'v>(v: &'v Value, k: &str) -> &'v Value {
    v.get(k)
        .unwrap_or_else(|| panic!("workload: missing field `{k}` in {v}"))
}

fn u64_of(v: &Value, k: &str) -> u64 {
    field(v, k)
        .as_u64()
        .unwrap_or_else(|| panic!("workload: `{k}` is not a u64 in {v}"))
}

fn u32_of(v: &Value, k: &str) -> u32 {
    u32::try_from(u64_of(v, k)).unwrap_or_else(|_| panic!("workload: `{k}` is not a u32 in {v}"))
}

fn u8_of(v: &Value, k: &str) -> u8 {
    u8::try_from(u64_of(v, k)).unwrap_or_else(|_| panic!("workload: `{k}` is not a u8 in {v}"))
}

fn str_of<'v>(v: &'v Value, k: &str) -> &'v str {
    field(v, k)
        .as_str()
        .unwrap_or_else(|| panic!("workload: `{k}` is not a string in {v}"))
}

fn bool_of(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn list_of<'v>(v: &'v Value, k: &str) -> &'v [Value] {
    match v.get(k) {
        None | Some(Value::Null) => &[],
        Some(l) => l
            .as_array()
            .unwrap_or_else(|| panic!("workload: `{k}` is not a list in {v}")),
    }
}

/// The single key of a one-key object (`{"u32": 5}` -> `("u32", 5)`).
fn tagged(v: &Value) -> (&str, &Value) {
    match v.as_object() {
        Some(m) if m.len() == 1 => {
            let (k, inner) = m.iter().next().expect("one entry");
            (k.as_str(), inner)
        }
        _ => panic!("workload: expected a one-key object, got {v}"),
    }
}

fn wasm_bytes(name: &str) -> &'static [u8] {
    if name == "bogus" {
        return BOGUS_WASM;
    }
    WASMS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, w)| *w)
        .unwrap_or_else(|| panic!("workload: unknown wasm `{name}`"))
}

/// The kind of a contract created from the Wasm `name`.
fn wasm_kind(name: &str) -> &'static str {
    match name {
        "follower_v1" | "follower_v2" => "follower",
        "token_v1" | "token_v2" => "token",
        "account" => "account",
        _ => "bogus",
    }
}

fn wasm_hash(name: &str) -> [u8; 32] {
    if name == "bogus" {
        BOGUS_HASH
    } else {
        e2e_testutils::get_wasm_hash(wasm_bytes(name))
    }
}

fn account_id(seed: u8) -> AccountId {
    AccountId(PublicKey::PublicKeyTypeEd25519(Uint256([seed; 32])))
}

fn sc_symbol(s: &str) -> ScSymbol {
    ScSymbol(
        s.try_into()
            .unwrap_or_else(|_| panic!("workload: bad symbol {s:?}")),
    )
}

fn storage_type(v: &Value) -> StorageType {
    match str_of(v, "dur") {
        "p" => StorageType::Persistent,
        "t" => StorageType::Temporary,
        "i" => StorageType::Instance,
        d => panic!("workload: unknown durability {d:?}"),
    }
}

fn to_xdr(v: &impl WriteXdr) -> Vec<u8> {
    v.to_xdr(Limits::none()).expect("encodable XDR")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first 8 bytes of the sha256 of `bytes`, in hex.
fn digest(bytes: &[u8]) -> String {
    hex(&e2e_testutils::get_wasm_hash(bytes)[..8])
}

fn render_err(e: &HostError) -> String {
    format!("Err({:?})", e.error)
}

// ---------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------

/// Per cost type: iterations, inputs, CPU, memory.
type Counters = Vec<[u64; 4]>;

fn counters(budget: &Budget) -> Counters {
    ContractCostType::VARIANTS
        .iter()
        .map(|ty| {
            let t = budget.get_tracker(*ty).expect("cost tracker");
            [t.iterations, t.inputs.unwrap_or(0), t.cpu, t.mem]
        })
        .collect()
}

/// The non-zero differences `after - before`, by cost type name.
fn cost_json(before: &Counters, after: &Counters) -> Value {
    let mut out = Map::new();
    for (i, ty) in ContractCostType::VARIANTS.iter().enumerate() {
        let d: Vec<u64> = (0..4)
            .map(|k| after[i][k].wrapping_sub(before[i][k]))
            .collect();
        if d.iter().any(|x| *x != 0) {
            out.insert(ty.name().to_string(), json!(d));
        }
    }
    Value::Object(out)
}

/// A point of the main host's budget, to measure an op from.
struct Mark {
    cpu: u64,
    mem: u64,
    counters: Counters,
}

// ---------------------------------------------------------------------------
// The interpreter
// ---------------------------------------------------------------------------

struct Interp<'h> {
    host: &'h Host,
    budget: Budget,
    /// What earlier budget segments consumed (a `limited` op resets the
    /// budget's counters: the totals are the sum of the segments).
    base_cpu: u64,
    base_mem: u64,
    base: Counters,
    records: Vec<Value>,
    /// Every contract created, with its kind.
    contracts: Vec<(ScAddress, &'static str)>,
    diagnostics: bool,
    metering: bool,
    ledger_seq: u32,
    /// The transactions' ledger: key -> (entry, live-until).
    ledger: BTreeMap<LedgerKey, (LedgerEntry, Option<u32>)>,
    /// The keys transactions wrote or deleted: the main host's storage no
    /// longer shows through for them.
    tx_written: BTreeSet<LedgerKey>,
    txs: u32,
}

fn ledger_info(seq: u32) -> LedgerInfo {
    LedgerInfo {
        protocol_version: PROTOCOL,
        sequence_number: seq,
        timestamp: 1_700_000_000 + 5 * u64::from(seq),
        network_id: [7; 32],
        base_reserve: 10,
        min_persistent_entry_ttl: 4096,
        min_temp_entry_ttl: 16,
        max_entry_ttl: 6_312_000,
    }
}

fn run_unchecked(workload: &Value) -> Value {
    let host = Host::test_host_with_recording_footprint();
    let ledger_seq = 100;
    host.set_ledger_info(ledger_info(ledger_seq))
        .expect("protocol 27 ledger");
    host.switch_to_recording_auth(true).expect("recording auth");
    host.set_source_account(account_id(1))
        .expect("source account");
    let diagnostics = bool_of(workload, "diagnostics");
    let metering = bool_of(workload, "metering");
    if metering {
        host.enable_invocation_metering();
    }
    if diagnostics {
        host.set_diagnostic_level(soroban_env_host::DiagnosticLevel::Debug)
            .expect("diagnostics");
    }
    let budget = host.budget_cloned();
    budget.reset_unlimited().expect("unlimited budget");
    let mut it = Interp {
        host: &host,
        budget: budget.clone(),
        base_cpu: 0,
        base_mem: 0,
        base: counters(&Budget::default())
            .into_iter()
            .map(|_| [0; 4])
            .collect(),
        records: Vec::new(),
        contracts: Vec::new(),
        diagnostics,
        metering,
        ledger_seq,
        ledger: BTreeMap::new(),
        tx_written: BTreeSet::new(),
        txs: 0,
    };
    for (i, op) in list_of(workload, "ops").iter().enumerate() {
        it.top(&i.to_string(), op);
    }

    // Not measured: everything below happens after the totals are read.
    it.fold_segment();
    let zero: Counters = it.base.iter().map(|_| [0; 4]).collect();
    let totals = json!({
        "cpu": it.base_cpu,
        "mem": it.base_mem,
        "costs": cost_json(&zero, &it.base),
    });
    let storage: Vec<String> = host
        .get_stored_entries()
        .expect("stored entries")
        .into_iter()
        .map(|(key, entry)| match entry {
            Some((entry, live_until)) => render_entry(&key, &entry, live_until),
            None => format!("{key:?} absent"),
        })
        .collect();
    let events: Vec<String> = host
        .get_events()
        .expect("events")
        .0
        .iter()
        .map(|e| format!("failed_call={} {:?}", e.failed_call, e.event))
        .collect();
    let ledger: Vec<String> = it
        .ledger
        .iter()
        .map(|(k, (e, live_until))| render_entry(k, e, *live_until))
        .collect();
    json!({
        "protocol": PROTOCOL,
        "ops": it.records,
        "totals": totals,
        "storage": storage,
        "events": events,
        "contracts": it.contracts.iter().map(|(c, k)| format!("{k} {c:?}")).collect::<Vec<_>>(),
        "tx_ledger": ledger,
    })
}

/// An entry: its key, live-until, the sha256 of its XDR and, for contract
/// data, its value.
fn render_entry(key: &LedgerKey, entry: &LedgerEntry, live_until: Option<u32>) -> String {
    let val = match &entry.data {
        LedgerEntryData::ContractData(d) => format!(" val={:?}", d.val),
        _ => String::new(),
    };
    format!(
        "{key:?} live_until={live_until:?} sha256={}{val}",
        digest(&to_xdr(entry))
    )
}

impl<'h> Interp<'h> {
    // -- measuring ------------------------------------------------------------

    /// Where an op's cost is measured from. With `metering` the host resets
    /// the budget (and the events) when a top-level invocation begins, as
    /// soroban-sdk tests see it: the op's record then holds the budget's
    /// counters after the op.
    fn op_mark(&self) -> Mark {
        if self.metering {
            Mark {
                cpu: 0,
                mem: 0,
                counters: self.base.iter().map(|_| [0; 4]).collect(),
            }
        } else {
            self.mark()
        }
    }

    fn mark(&self) -> Mark {
        Mark {
            cpu: self.budget.get_cpu_insns_consumed().expect("cpu"),
            mem: self.budget.get_mem_bytes_consumed().expect("mem"),
            counters: counters(&self.budget),
        }
    }

    fn record(&mut self, name: String, from: Mark, result: String, extra: Value) {
        let to = self.mark();
        let mut rec = json!({
            "op": name,
            "result": result,
            "cpu": to.cpu.wrapping_sub(from.cpu),
            "mem": to.mem.wrapping_sub(from.mem),
            "costs": cost_json(&from.counters, &to.counters),
        });
        if let (Value::Object(extra), Value::Object(rec)) = (extra, &mut rec) {
            rec.extend(extra);
        }
        self.records.push(rec);
    }

    /// Adds the budget's counters to the totals of earlier segments.
    fn fold_segment(&mut self) {
        self.base_cpu += self.budget.get_cpu_insns_consumed().expect("cpu");
        self.base_mem += self.budget.get_mem_bytes_consumed().expect("mem");
        for (b, c) in self.base.iter_mut().zip(counters(&self.budget)) {
            for k in 0..4 {
                b[k] += c[k];
            }
        }
    }

    /// The op's value as a string (not measured: after the op's record).
    fn render_val(&self, v: Val) -> String {
        match ScVal::try_from_val(self.host, &v) {
            Ok(sc) => format!("{sc:?}"),
            Err(e) => format!("unconvertible {v:?}: {e:?}"),
        }
    }

    // -- names ----------------------------------------------------------------

    fn contract_addr(&self, v: &Value) -> ScAddress {
        let i = u64_of(v, "contract") as usize;
        let of_kind: Vec<&ScAddress> = match v.get("kind").and_then(Value::as_str) {
            Some(k) => self
                .contracts
                .iter()
                .filter(|(_, kind)| *kind == k)
                .map(|(c, _)| c)
                .collect(),
            None => vec![],
        };
        let all: Vec<&ScAddress> = self.contracts.iter().map(|(c, _)| c).collect();
        let pool = if of_kind.is_empty() { all } else { of_kind };
        if pool.is_empty() {
            ScAddress::Contract(ContractId(Hash(ABSENT_CONTRACT)))
        } else {
            pool[i % pool.len()].clone()
        }
    }

    fn contract_id(&self, v: &Value) -> ContractId {
        match self.contract_addr(v) {
            ScAddress::Contract(id) => id,
            other => panic!("not a contract: {other:?}"),
        }
    }

    /// An address: `{"acct": seed}` or `{"contract": i}`.
    fn sc_address(&self, v: &Value) -> ScAddress {
        if v.get("acct").is_some() {
            ScAddress::Account(account_id(u8_of(v, "acct")))
        } else {
            self.contract_addr(v)
        }
    }

    fn sc_val(&self, v: &Value) -> ScVal {
        if v.as_str() == Some("void") {
            return ScVal::Void;
        }
        if v.get("contract").is_some() || v.get("acct").is_some() {
            return ScVal::Address(self.sc_address(v));
        }
        let (tag, inner) = tagged(v);
        match tag {
            "u32" => ScVal::U32(inner.as_u64().expect("u32") as u32),
            "i32" => ScVal::I32(inner.as_i64().expect("i32") as i32),
            "u64" => ScVal::U64(inner.as_u64().expect("u64")),
            "i128" => {
                let n: i128 = inner.as_str().expect("i128 string").parse().expect("i128");
                ScVal::I128(Int128Parts {
                    hi: (n >> 64) as i64,
                    lo: n as u64,
                })
            }
            "sym" => ScVal::Symbol(sc_symbol(inner.as_str().expect("symbol"))),
            "str" => ScVal::String(ScString(
                inner
                    .as_str()
                    .expect("string")
                    .as_bytes()
                    .to_vec()
                    .try_into()
                    .expect("string"),
            )),
            "bytes" => {
                let len = inner[0].as_u64().expect("len") as usize;
                let fill = inner[1].as_u64().expect("fill") as u8;
                ScVal::Bytes(ScBytes(vec![fill; len].try_into().expect("bytes")))
            }
            "bool" => ScVal::Bool(inner.as_bool().expect("bool")),
            "vec" => ScVal::Vec(Some(ScVec(
                inner
                    .as_array()
                    .expect("vec")
                    .iter()
                    .map(|x| self.sc_val(x))
                    .collect::<Vec<_>>()
                    .try_into()
                    .expect("vec"),
            ))),
            "map" => ScVal::Map(Some(ScMap(
                inner
                    .as_array()
                    .expect("map")
                    .iter()
                    .map(|kv| ScMapEntry {
                        key: self.sc_val(&kv[0]),
                        val: self.sc_val(&kv[1]),
                    })
                    .collect::<Vec<_>>()
                    .try_into()
                    .expect("map"),
            ))),
            t => panic!("workload: unknown value tag {t:?}"),
        }
    }

    fn sc_vals(&self, list: &[Value]) -> Vec<ScVal> {
        list.iter().map(|a| self.sc_val(a)).collect()
    }

    // -- host values (metered: built inside the op) -----------------------------

    fn val(&self, v: &Value) -> Result<Val, HostError> {
        Ok(Val::try_from_val(self.host, &self.sc_val(v))?)
    }

    fn vec_obj(&self, list: &[Value]) -> Result<VecObject, HostError> {
        let vals = list
            .iter()
            .map(|a| self.val(a))
            .collect::<Result<Vec<Val>, _>>()?;
        self.host.vec_new_from_slice(&vals)
    }

    fn address_obj(&self, a: ScAddress) -> Result<AddressObject, HostError> {
        Ok(Val::try_from_val(self.host, &ScVal::Address(a))?.try_into()?)
    }

    fn sym(&self, s: &str) -> Result<Symbol, HostError> {
        Ok(Symbol::try_from_val(self.host, &s)?)
    }

    // -- XDR built from the workload -------------------------------------------

    fn create_args_v2(&self, c: &Value) -> CreateContractArgsV2 {
        CreateContractArgsV2 {
            contract_id_preimage: ContractIdPreimage::Address(ContractIdPreimageFromAddress {
                address: self.sc_address(field(c, "deployer")),
                salt: Uint256([u8_of(c, "salt"); 32]),
            }),
            executable: ContractExecutable::Wasm(Hash(wasm_hash(str_of(c, "wasm")))),
            constructor_args: self
                .sc_vals(list_of(c, "ctor"))
                .try_into()
                .expect("ctor args"),
        }
    }

    fn invoke_args(&self, c: &Value) -> InvokeContractArgs {
        InvokeContractArgs {
            contract_address: self.contract_addr(c),
            function_name: sc_symbol(str_of(c, "fn")),
            args: self
                .sc_vals(list_of(c, "args"))
                .try_into()
                .expect("call args"),
        }
    }

    fn host_fn(&self, f: &Value) -> HostFunction {
        let (tag, inner) = tagged(f);
        match tag {
            "call" => HostFunction::InvokeContract(self.invoke_args(inner)),
            "create" => {
                let args = self.create_args_v2(inner);
                if bool_of(inner, "v2") {
                    HostFunction::CreateContractV2(args)
                } else {
                    HostFunction::CreateContract(CreateContractArgs {
                        contract_id_preimage: args.contract_id_preimage,
                        executable: args.executable,
                    })
                }
            }
            "upload" => HostFunction::UploadContractWasm(
                wasm_bytes(inner.as_str().expect("wasm name"))
                    .try_into()
                    .expect("wasm"),
            ),
            "sac" => HostFunction::CreateContract(CreateContractArgs {
                contract_id_preimage: ContractIdPreimage::Asset(self.asset(inner)),
                executable: ContractExecutable::StellarAsset,
            }),
            t => panic!("workload: unknown host function {t:?}"),
        }
    }

    fn asset(&self, a: &Value) -> Asset {
        if a.as_str() == Some("native") {
            return Asset::Native;
        }
        let mut code = [0u8; 4];
        for (d, s) in code.iter_mut().zip(str_of(a, "code").bytes()) {
            *d = s;
        }
        Asset::CreditAlphanum4(AlphaNum4 {
            asset_code: AssetCode4(code),
            issuer: account_id(u8_of(a, "issuer")),
        })
    }

    fn auth_fn(&self, f: &Value) -> SorobanAuthorizedFunction {
        let (tag, inner) = tagged(f);
        match tag {
            "call" => SorobanAuthorizedFunction::ContractFn(self.invoke_args(inner)),
            "create" => {
                let args = self.create_args_v2(inner);
                if bool_of(inner, "v2") {
                    SorobanAuthorizedFunction::CreateContractV2HostFn(args)
                } else {
                    SorobanAuthorizedFunction::CreateContractHostFn(CreateContractArgs {
                        contract_id_preimage: args.contract_id_preimage,
                        executable: args.executable,
                    })
                }
            }
            t => panic!("workload: unknown authorized function {t:?}"),
        }
    }

    fn invocation(&self, inv: &Value) -> SorobanAuthorizedInvocation {
        SorobanAuthorizedInvocation {
            function: self.auth_fn(field(inv, "fn")),
            sub_invocations: list_of(inv, "subs")
                .iter()
                .map(|s| self.invocation(s))
                .collect::<Vec<_>>()
                .try_into()
                .expect("sub-invocations"),
        }
    }

    fn auth_entry(&self, e: &Value) -> SorobanAuthorizationEntry {
        let creds = field(e, "creds");
        let credentials = if creds.as_str() == Some("source") {
            SorobanCredentials::SourceAccount
        } else {
            let address = SorobanAddressCredentials {
                address: self.sc_address(field(creds, "addr")),
                nonce: u64_of(creds, "nonce") as i64,
                signature_expiration_ledger: self.ledger_seq + u32_of(creds, "exp"),
                signature: ScVal::Void,
            };
            match str_of(creds, "kind") {
                "address" => SorobanCredentials::Address(address),
                "v2" => SorobanCredentials::AddressV2(address),
                "delegates" => SorobanCredentials::AddressWithDelegates(
                    SorobanAddressCredentialsWithDelegates {
                        address_credentials: address,
                        delegates: list_of(creds, "delegates")
                            .iter()
                            .map(|d| SorobanDelegateSignature {
                                address: self.sc_address(d),
                                signature: ScVal::Void,
                                nested_delegates: Default::default(),
                            })
                            .collect::<Vec<_>>()
                            .try_into()
                            .expect("delegates"),
                    },
                ),
                k => panic!("workload: unknown credentials kind {k:?}"),
            }
        };
        SorobanAuthorizationEntry {
            credentials,
            root_invocation: self.invocation(field(e, "root")),
        }
    }

    fn auth_entries(&self, list: &[Value]) -> Vec<SorobanAuthorizationEntry> {
        list.iter().map(|e| self.auth_entry(e)).collect()
    }

    /// The contract-visible `InvokerContractAuthEntry` list of
    /// `authorize_as_curr_contract`, from auth invocations.
    fn invoker_entry(&self, inv: &Value) -> ScVal {
        let sym = |s: &str| ScVal::Symbol(sc_symbol(s));
        let vec = |v: Vec<ScVal>| ScVal::Vec(Some(ScVec(v.try_into().expect("vec"))));
        let map = |fields: Vec<(&str, ScVal)>| {
            ScVal::Map(Some(ScMap(
                fields
                    .into_iter()
                    .map(|(k, val)| ScMapEntry { key: sym(k), val })
                    .collect::<Vec<_>>()
                    .try_into()
                    .expect("map"),
            )))
        };
        let subs = list_of(inv, "subs")
            .iter()
            .map(|s| self.invoker_entry(s))
            .collect();
        let (tag, f) = tagged(field(inv, "fn"));
        match tag {
            "call" => vec(vec![
                sym("Contract"),
                map(vec![
                    (
                        "context",
                        map(vec![
                            ("args", vec(self.sc_vals(list_of(f, "args")))),
                            ("contract", ScVal::Address(self.contract_addr(f))),
                            ("fn_name", sym(str_of(f, "fn"))),
                        ]),
                    ),
                    ("sub_invocations", vec(subs)),
                ]),
            ]),
            "create" => {
                let executable = vec(vec![
                    sym("Wasm"),
                    ScVal::Bytes(ScBytes(
                        wasm_hash(str_of(f, "wasm"))
                            .to_vec()
                            .try_into()
                            .expect("hash"),
                    )),
                ]);
                let salt = ScVal::Bytes(ScBytes(
                    vec![u8_of(f, "salt"); 32].try_into().expect("salt"),
                ));
                if bool_of(f, "v2") {
                    vec(vec![
                        sym("CreateContractWithCtorHostFn"),
                        map(vec![
                            ("constructor_args", vec(self.sc_vals(list_of(f, "ctor")))),
                            ("executable", executable),
                            ("salt", salt),
                        ]),
                    ])
                } else {
                    vec(vec![
                        sym("CreateContractHostFn"),
                        map(vec![("executable", executable), ("salt", salt)]),
                    ])
                }
            }
            t => panic!("workload: unknown invoker entry {t:?}"),
        }
    }

    // -- ops ------------------------------------------------------------------

    /// One top-level op.
    fn top(&mut self, path: &str, op: &Value) {
        let kind = str_of(op, "op");
        let name = format!("#{path} {kind}");
        match kind {
            "auth" => {
                let from = self.op_mark();
                let res = match str_of(op, "mode") {
                    "recording" => self
                        .host
                        .switch_to_recording_auth(bool_of(op, "disable_non_root")),
                    "enforcing" => {
                        let entries = self.auth_entries(list_of(op, "entries"));
                        self.host.set_authorization_entries(entries)
                    }
                    m => panic!("workload: unknown auth mode {m:?}"),
                };
                let result = res.map_or_else(|e| render_err(&e), |()| "Ok".to_string());
                self.record(name, from, result, json!({}));
            }
            "source" => {
                let from = self.op_mark();
                let res = self.host.set_source_account(account_id(u8_of(op, "acct")));
                let result = res.map_or_else(|e| render_err(&e), |()| "Ok".to_string());
                self.record(name, from, result, json!({}));
            }
            "recorded_auth" => {
                let from = self.op_mark();
                let res = self.host.get_recorded_auth_payloads();
                let result = match res {
                    Ok(p) => format!("{p:?}"),
                    Err(e) => render_err(&e),
                };
                self.record(name, from, result, json!({}));
            }
            "ledger" => {
                let from = self.op_mark();
                self.ledger_seq += u32_of(op, "advance");
                let res = self.host.set_ledger_info(ledger_info(self.ledger_seq));
                let result = res.map_or_else(|e| render_err(&e), |()| "Ok".to_string());
                self.record(name, from, result, json!({ "seq": self.ledger_seq }));
            }
            "limited" => {
                self.fold_segment();
                self.budget
                    .reset_limits(u64_of(op, "cpu"), u64_of(op, "mem"))
                    .expect("limits");
                let body = field(op, "body");
                assert!(
                    !matches!(str_of(body, "op"), "limited" | "tx"),
                    "workload: `limited` takes a host op"
                );
                self.top(&format!("{path}.0"), body);
                self.fold_segment();
                self.budget.reset_unlimited().expect("unlimited budget");
            }
            "tx" => self.tx(&name, op),
            "invoke" => {
                let host_fn = self.host_fn(field(op, "fn"));
                let entries = op
                    .get("auth")
                    .and_then(Value::as_array)
                    .map(|l| self.auth_entries(l));
                let from = self.op_mark();
                let res = match entries {
                    Some(entries) => self.host.set_authorization_entries(entries),
                    None => Ok(()),
                }
                .and_then(|()| self.host.invoke_function(host_fn));
                let result = match &res {
                    Ok(v) => format!("{v:?}"),
                    Err(e) => render_err(e),
                };
                if let Ok(ScVal::Address(a @ ScAddress::Contract(_))) = &res {
                    if let Some(kind) = created_kind(field(op, "fn")) {
                        self.contracts.push((a.clone(), kind));
                    }
                }
                let extra = self.invocation_resources();
                self.record(name, from, result, extra);
            }
            _ => {
                let from = self.op_mark();
                let res = self.host_op(path, op, 0);
                let result = match res {
                    Ok(v) => self.render_val(v),
                    Err(e) => render_err(&e),
                };
                let extra = self.invocation_resources();
                self.record(name, from, result, extra);
            }
        }
    }

    /// With `metering`: the host's resources of the last top-level
    /// invocation (what simulation would charge as fees).
    fn invocation_resources(&self) -> Value {
        if self.metering {
            json!({ "resources": format!("{:?}", self.host.get_detailed_last_invocation_resources()) })
        } else {
            json!({})
        }
    }

    /// An op that is a host function call (top level or in a frame).
    fn host_op(&mut self, path: &str, op: &Value, depth: usize) -> Result<Val, HostError> {
        let h = self.host;
        match str_of(op, "op") {
            "upload" => Ok(h
                .upload_wasm(h.bytes_new_from_slice(wasm_bytes(str_of(op, "wasm")))?)?
                .into()),
            "create" => {
                let deployer = self.address_obj(self.sc_address(field(op, "deployer")))?;
                let hash = h.bytes_new_from_slice(&wasm_hash(str_of(op, "wasm")))?;
                let salt = h.bytes_new_from_slice(&[u8_of(op, "salt"); 32])?;
                let res = match op.get("ctor") {
                    None | Some(Value::Null) => h.create_contract(deployer, hash, salt)?,
                    Some(_) => h.create_contract_with_constructor(
                        deployer,
                        hash,
                        salt,
                        self.vec_obj(list_of(op, "ctor"))?,
                    )?,
                };
                // Bookkeeping (measured with the op, alike on both hosts).
                let addr = h.scaddress_from_address(res)?;
                self.contracts.push((addr, wasm_kind(str_of(op, "wasm"))));
                Ok(res.into())
            }
            "sac" => {
                let asset = to_xdr(&self.asset(field(op, "asset")));
                let res = h.create_asset_contract(h.bytes_new_from_slice(&asset)?)?;
                let addr = h.scaddress_from_address(res)?;
                self.contracts.push((addr, "sac"));
                Ok(res.into())
            }
            "call" => {
                let c = self.address_obj(self.contract_addr(op))?;
                let f = self.sym(str_of(op, "fn"))?;
                let args = self.vec_obj(list_of(op, "args"))?;
                if bool_of(op, "try") {
                    h.try_call(c, f, args)
                } else {
                    h.call(c, f, args)
                }
            }
            "extend" => {
                let c = self.address_obj(self.contract_addr(op))?;
                let (t, e) = (
                    u32_of(op, "threshold").into(),
                    u32_of(op, "extend_to").into(),
                );
                Ok(match str_of(op, "what") {
                    "instance_and_code" => h.extend_contract_instance_and_code_ttl(c, t, e)?,
                    "instance" => h.extend_contract_instance_ttl(c, t, e)?,
                    "code" => h.extend_contract_code_ttl(c, t, e)?,
                    w => panic!("workload: unknown extension {w:?}"),
                }
                .into())
            }
            "extend_v2" => {
                let c = self.address_obj(self.contract_addr(op))?;
                let scope = match str_of(op, "scope") {
                    "instance_and_code" => ContractTtlExtension::InstanceAndCode,
                    "instance" => ContractTtlExtension::Instance,
                    "code" => ContractTtlExtension::Code,
                    s => panic!("workload: unknown scope {s:?}"),
                };
                Ok(h.extend_contract_instance_and_code_ttl_v2(
                    c,
                    scope,
                    u32_of(op, "extend_to").into(),
                    u32_of(op, "min").into(),
                    u32_of(op, "max").into(),
                )?
                .into())
            }
            "get_executable" => {
                let a = self.address_obj(self.sc_address(field(op, "addr")))?;
                h.get_address_executable(a)
            }
            "frame" => self.frame(path, op, depth),
            // Inner ops: only meaningful in a frame (at the top level they
            // fail as a contract-less host fails them).
            "put" => Ok(h
                .put_contract_data(
                    self.val(field(op, "key"))?,
                    self.val(field(op, "val"))?,
                    storage_type(op),
                )?
                .into()),
            "get" => h.get_contract_data(self.val(field(op, "key"))?, storage_type(op)),
            "has" => Ok(h
                .has_contract_data(self.val(field(op, "key"))?, storage_type(op))?
                .into()),
            "del" => Ok(h
                .del_contract_data(self.val(field(op, "key"))?, storage_type(op))?
                .into()),
            "extend_data" => Ok(h
                .extend_contract_data_ttl(
                    self.val(field(op, "key"))?,
                    storage_type(op),
                    u32_of(op, "threshold").into(),
                    u32_of(op, "extend_to").into(),
                )?
                .into()),
            "extend_data_v2" => Ok(h
                .extend_contract_data_ttl_v2(
                    self.val(field(op, "key"))?,
                    storage_type(op),
                    u32_of(op, "extend_to").into(),
                    u32_of(op, "min").into(),
                    u32_of(op, "max").into(),
                )?
                .into()),
            "extend_current" => Ok(h
                .extend_current_contract_instance_and_code_ttl(
                    u32_of(op, "threshold").into(),
                    u32_of(op, "extend_to").into(),
                )?
                .into()),
            "event" => Ok(h
                .contract_event(
                    self.vec_obj(list_of(op, "topics"))?,
                    self.val(field(op, "data"))?,
                )?
                .into()),
            "require_auth" => {
                let a = self.address_obj(self.sc_address(field(op, "addr")))?;
                Ok(h.require_auth(a)?.into())
            }
            "require_auth_for_args" => {
                let a = self.address_obj(self.sc_address(field(op, "addr")))?;
                Ok(
                    h.require_auth_for_args(a, self.vec_obj(list_of(op, "args"))?)?
                        .into(),
                )
            }
            "authorize" => {
                let list = ScVal::Vec(Some(ScVec(
                    list_of(op, "entries")
                        .iter()
                        .map(|e| self.invoker_entry(e))
                        .collect::<Vec<_>>()
                        .try_into()
                        .expect("entries"),
                )));
                let list: VecObject = Val::try_from_val(h, &list)?.try_into()?;
                Ok(h.authorize_as_curr_contract(list)?.into())
            }
            "update_wasm" => {
                let hash = h.bytes_new_from_slice(&wasm_hash(str_of(op, "wasm")))?;
                Ok(h.update_current_contract_wasm(hash)?.into())
            }
            "current_address" => Ok(h.get_current_contract_address()?.into()),
            k => panic!("workload: unknown op {k:?}"),
        }
    }

    /// A test contract frame running `body`, each inner op recorded.
    fn frame(&mut self, path: &str, op: &Value, depth: usize) -> Result<Val, HostError> {
        assert!(depth < MAX_FRAME_DEPTH, "workload: frames nested too deep");
        let h = self.host;
        let id = self.contract_id(op);
        let func = self.sym("diff")?;
        let fail = bool_of(op, "fail");
        h.with_test_contract_frame(id, func, || {
            for (i, inner) in list_of(op, "body").iter().enumerate() {
                let inner_path = format!("{path}.{i}");
                let name = format!("#{inner_path} {}", str_of(inner, "op"));
                let from = self.op_mark();
                let res = self.host_op(&inner_path, inner, depth + 1);
                let result = match &res {
                    Ok(v) => self.render_val(*v),
                    Err(e) => render_err(e),
                };
                self.record(name, from, result, json!({}));
                // A contract cannot go on after a failed host call.
                res?;
            }
            if fail {
                Err(HostError::from(
                    soroban_env_host::Error::from_contract_error(7),
                ))
            } else {
                Ok(Val::VOID.into())
            }
        })
    }

    // -- transactions -----------------------------------------------------------

    fn tx(&mut self, name: &str, op: &Value) {
        // The main host's storage, overlaid with what transactions wrote.
        for (k, e) in self.host.get_stored_entries().expect("stored entries") {
            if let (Some((e, l)), false) = (e, self.tx_written.contains(&k)) {
                self.ledger.insert((*k).clone(), ((*e).clone(), l));
            }
        }
        self.txs += 1;
        let seed = [self.txs as u8; 32];
        let host_fn = self.host_fn(field(op, "fn"));
        let source = account_id(u8_of(op, "source"));
        let info = ledger_info(self.ledger_seq);

        // Simulation, as a client would: with recorded auth, with the given
        // entries, or in two passes (record, set the signatures' expiration,
        // simulate again with the entries: the second pass runs custom
        // accounts' `__check_auth`, so its footprint covers them).
        let (tag, sim_auth) = tagged(field(op, "sim_auth"));
        let recording = || {
            e2e_invoke::RecordingInvocationAuthMode::recording(
                bool_of(sim_auth, "disable_non_root"),
                bool_of(sim_auth, "v2"),
            )
        };
        let mut sim = match tag {
            "record" | "two_pass" => self.simulate(name, "", &host_fn, &source, recording(), seed),
            "enforce" => self.simulate(
                name,
                "",
                &host_fn,
                &source,
                e2e_invoke::RecordingInvocationAuthMode::Enforcing(
                    self.auth_entries(sim_auth.as_array().expect("entries")),
                ),
                seed,
            ),
            t => panic!("workload: unknown simulation auth {t:?}"),
        };
        if tag == "two_pass" {
            let Ok(first) = &sim else { return };
            let expiration = self.ledger_seq + u32_of(sim_auth, "exp");
            let entries = first
                .auth
                .iter()
                .cloned()
                .map(|mut e| {
                    match &mut e.credentials {
                        SorobanCredentials::SourceAccount => {}
                        SorobanCredentials::Address(c) | SorobanCredentials::AddressV2(c) => {
                            c.signature_expiration_ledger = expiration
                        }
                        SorobanCredentials::AddressWithDelegates(c) => {
                            c.address_credentials.signature_expiration_ledger = expiration
                        }
                    }
                    e
                })
                .collect();
            sim = self.simulate(
                name,
                " again",
                &host_fn,
                &source,
                e2e_invoke::RecordingInvocationAuthMode::Enforcing(entries),
                seed,
            );
        }
        let Ok(sim) = sim else { return };

        // Application, as stellar-core would: the simulated footprint and
        // auth, the ledger's entries in the footprint, a finite budget.
        let mut resources = sim.resources.clone();
        let mut ro = resources.footprint.read_only.to_vec();
        let mut rw = resources.footprint.read_write.to_vec();
        match str_of(op, "footprint") {
            "recorded" => {}
            "drop_ro" if !ro.is_empty() => {
                ro.remove(0);
            }
            "drop_rw" if !rw.is_empty() => {
                rw.remove(0);
            }
            "drop_ro" | "drop_rw" => {}
            f => panic!("workload: unknown footprint change {f:?}"),
        }
        resources.footprint = LedgerFootprint {
            read_only: ro.clone().try_into().expect("footprint"),
            read_write: rw.clone().try_into().expect("footprint"),
        };
        let auth: Vec<SorobanAuthorizationEntry> = match str_of(op, "apply_auth") {
            "recorded" => sim.auth.clone(),
            "none" => vec![],
            a => panic!("workload: unknown apply auth {a:?}"),
        };
        let cpu_limit = match op.get("cpu") {
            None | Some(Value::Null) => u64::MAX,
            Some(c) => match tagged(c) {
                ("abs", n) => n.as_u64().expect("cpu"),
                ("pct", p) => {
                    u64::from(sim.resources.instructions) * p.as_u64().expect("pct") / 100
                }
                (t, _) => panic!("workload: unknown cpu limit {t:?}"),
            },
        };
        let mem_limit = op.get("mem").and_then(Value::as_u64).unwrap_or(u64::MAX);
        let restored: Vec<u32> = sim.restored_rw_entry_indices.clone();
        let ledger = &self.ledger;
        let mut entries = Vec::new();
        let mut ttls = Vec::new();
        for (i, key) in ro.iter().chain(rw.iter()).enumerate() {
            let Some((entry, live_until)) = ledger.get(key) else {
                continue;
            };
            let is_rw = i >= ro.len();
            let mut live_until = *live_until;
            if let Some(l) = live_until {
                if l < info.sequence_number {
                    let durable = match key {
                        LedgerKey::ContractData(d) => {
                            d.durability == ContractDataDurability::Persistent
                        }
                        _ => true,
                    };
                    if !durable {
                        // An expired temporary entry no longer exists.
                        continue;
                    }
                    // stellar-core restores an archived entry named in the
                    // restored indices before it invokes the host.
                    if is_rw && restored.contains(&((i - ro.len()) as u32)) {
                        live_until = Some(info.sequence_number + info.min_persistent_entry_ttl - 1);
                    }
                }
            }
            entries.push(to_xdr(entry));
            ttls.push(match live_until {
                Some(l) => to_xdr(&TtlEntry {
                    key_hash: Hash(e2e_testutils::get_wasm_hash(&to_xdr(key))),
                    live_until_ledger_seq: l,
                }),
                None => vec![],
            });
        }
        let budget = Budget::default();
        budget
            .reset_limits(cpu_limit, mem_limit)
            .expect("budget limits");
        let auth_xdr: Vec<Vec<u8>> = auth.iter().map(to_xdr).collect();
        let mut diagnostics = Vec::new();
        let res = e2e_invoke::invoke_host_function(
            &budget,
            self.diagnostics,
            to_xdr(&host_fn),
            to_xdr(&resources),
            &restored,
            to_xdr(&source),
            auth_xdr.into_iter(),
            info,
            entries.into_iter(),
            ttls.into_iter(),
            seed.to_vec(),
            &mut diagnostics,
            None,
            None,
        );
        let mut extra = render_apply(&res, cpu_limit, mem_limit);
        extra["diagnostics"] = json!(diagnostics
            .iter()
            .map(|d| format!("{d:?}"))
            .collect::<Vec<_>>());
        self.records
            .push(external_record(format!("{name} apply"), &budget, extra));

        // The ledger moves on with the applied changes.
        let Ok(res) = res else { return };
        let Ok(result) = &res.encoded_invoke_result else {
            return;
        };
        let ledger = &mut self.ledger;
        for c in &res.ledger_changes {
            let key = LedgerKey::from_xdr(&c.encoded_key, Limits::none()).expect("key XDR");
            let ttl = c.ttl_change.as_ref().map(|t| t.new_live_until_ledger);
            if c.read_only {
                if let (Some(l), Some(entry)) = (ttl, ledger.get_mut(&key)) {
                    entry.1 = Some(l);
                    self.tx_written.insert(key);
                }
                continue;
            }
            self.tx_written.insert(key.clone());
            match &c.encoded_new_value {
                Some(v) => {
                    let entry = LedgerEntry::from_xdr(v, Limits::none()).expect("entry XDR");
                    let live_until = ttl.or_else(|| ledger.get(&key).and_then(|e| e.1));
                    ledger.insert(key, (entry, live_until));
                }
                None => {
                    ledger.remove(&key);
                }
            }
        }
        if let Ok(ScVal::Address(a @ ScAddress::Contract(_))) =
            ScVal::from_xdr(result, Limits::none())
        {
            if let Some(kind) = created_kind(field(op, "fn")) {
                self.contracts.push((a, kind));
            }
        }
    }

    /// One simulation on the transactions' ledger, recorded.
    fn simulate(
        &mut self,
        name: &str,
        pass: &str,
        host_fn: &HostFunction,
        source: &AccountId,
        auth_mode: e2e_invoke::RecordingInvocationAuthMode,
        seed: [u8; 32],
    ) -> Result<InvokeHostFunctionRecordingModeResult, HostError> {
        let ledger = &self.ledger;
        let snapshot: Rc<dyn SnapshotSource> = Rc::new(MockSnapshotSource::from_entries(
            ledger.values().cloned().collect(),
        ));
        let budget = Budget::default();
        budget.reset_unlimited().expect("unlimited budget");
        let mut diagnostics = Vec::new();
        let sim = e2e_invoke::invoke_host_function_in_recording_mode(
            &budget,
            self.diagnostics,
            host_fn,
            source,
            auth_mode,
            ledger_info(self.ledger_seq),
            snapshot,
            seed,
            &mut diagnostics,
        );
        let mut extra = render_recording(&sim);
        extra["diagnostics"] = json!(diagnostics
            .iter()
            .map(|d| format!("{d:?}"))
            .collect::<Vec<_>>());
        self.records.push(external_record(
            format!("{name} simulate{pass}"),
            &budget,
            extra,
        ));
        sim
    }
}

/// The kind of the contract a host function creates, if it creates one.
fn created_kind(host_fn: &Value) -> Option<&'static str> {
    match tagged(host_fn) {
        ("create", c) => Some(wasm_kind(str_of(c, "wasm"))),
        ("sac", _) => Some("sac"),
        _ => None,
    }
}

/// A record of an operation on its own host and budget.
fn external_record(name: String, budget: &Budget, extra: Value) -> Value {
    let zero: Counters = counters(budget).iter().map(|_| [0; 4]).collect();
    let mut rec = json!({
        "op": name,
        "cpu": budget.get_cpu_insns_consumed().expect("cpu"),
        "mem": budget.get_mem_bytes_consumed().expect("mem"),
        "costs": cost_json(&zero, &counters(budget)),
    });
    if let (Value::Object(extra), Value::Object(rec)) = (extra, &mut rec) {
        rec.extend(extra);
    }
    rec
}

fn render_changes(changes: &[e2e_invoke::LedgerEntryChange]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            format!(
                "ro={} key={:?} old_size={} new={} new_size={} ttl={:?}",
                c.read_only,
                LedgerKey::from_xdr(&c.encoded_key, Limits::none()).expect("key XDR"),
                c.old_entry_size_bytes_for_rent,
                c.encoded_new_value
                    .as_ref()
                    .map_or("none".to_string(), |v| digest(v)),
                c.new_entry_size_bytes_for_rent,
                c.ttl_change,
            )
        })
        .collect()
}

fn render_recording(res: &Result<InvokeHostFunctionRecordingModeResult, HostError>) -> Value {
    match res {
        Err(e) => json!({ "result": render_err(e) }),
        Ok(r) => {
            let SorobanResources {
                footprint,
                instructions,
                disk_read_bytes,
                write_bytes,
            } = &r.resources;
            json!({
                "result": match &r.invoke_result {
                    Ok(v) => format!("{v:?}"),
                    Err(e) => render_err(e),
                },
                "footprint_ro": footprint.read_only.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>(),
                "footprint_rw": footprint.read_write.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>(),
                "instructions": instructions,
                "disk_read_bytes": disk_read_bytes,
                "write_bytes": write_bytes,
                "restored": r.restored_rw_entry_indices,
                "auth": r.auth.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>(),
                "changes": render_changes(&r.ledger_changes),
                "events": r.contract_events.iter().map(|e| format!("{e:?}")).collect::<Vec<_>>(),
                "events_and_return_size": r.contract_events_and_return_value_size,
            })
        }
    }
}

fn render_apply(
    res: &Result<InvokeHostFunctionResult, HostError>,
    cpu_limit: u64,
    mem_limit: u64,
) -> Value {
    let limits = json!([cpu_limit, mem_limit]);
    match res {
        Err(e) => json!({ "result": render_err(e), "limits": limits }),
        Ok(r) => json!({
            "result": match &r.encoded_invoke_result {
                Ok(bytes) => format!(
                    "{:?}",
                    ScVal::from_xdr(bytes, Limits::none()).expect("result XDR")
                ),
                Err(e) => render_err(e),
            },
            "limits": limits,
            "changes": render_changes(&r.ledger_changes),
            "events": r
                .encoded_contract_events
                .iter()
                .map(|e| format!(
                    "{:?}",
                    ContractEvent::from_xdr(e, Limits::none()).expect("event XDR")
                ))
                .collect::<Vec<_>>(),
        }),
    }
}
