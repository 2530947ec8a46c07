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
//! A workload is a [`language::Workload`]: Rust types in `language.rs`, a
//! module of this file, so the generator and this interpreter share one
//! definition (a misspelt op is a compile error on both sides); JSON is only
//! how the test sends a workload to the reference. `language.rs` documents
//! each op; here each gets its meaning, host call by host call.
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

#[path = "language.rs"]
pub mod language;

use language::{
    Address, ApplyAuth, Arg, AuthEntry, AuthFn, AuthMode, ContractRef, CpuLimit, Create,
    Credentials, CredentialsKind, Durability, Footprint, HostFn, Invocation, Kind, Op, SimAuth,
    Target, TtlScope, Tx, Wasm, Workload,
};

/// The ledger protocol of every workload.
pub const PROTOCOL: u32 = 27;

/// Upload bytes of the `bogus` Wasm: not a Wasm module.
const BOGUS_WASM: &[u8] = &[0, 0x61, 0x73, 0x6d, 0xff];
/// The hash `bogus` names when a hash is needed: never uploaded.
const BOGUS_HASH: [u8; 32] = [0xEE; 32];
/// The contract a [`ContractRef`] names while no contract exists.
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

/// Runs `workload` and returns its report. A panic (of the host, or of the
/// interpreter on a workload it refuses, e.g. a transaction inside a frame)
/// is reported, never propagated, so a server can go on with the next
/// workload.
pub fn run(workload: &Workload) -> Value {
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
// The workload's names
// ---------------------------------------------------------------------------

fn wasm_bytes(wasm: Wasm) -> &'static [u8] {
    match wasm {
        Wasm::FollowerV1 => include_bytes!("../../tests/fixtures/follower_v1.wasm"),
        Wasm::FollowerV2 => include_bytes!("../../tests/fixtures/follower_v2.wasm"),
        Wasm::TokenV1 => include_bytes!("../../tests/fixtures/token_v1.wasm"),
        Wasm::TokenV2 => include_bytes!("../../tests/fixtures/token_v2.wasm"),
        Wasm::Account => include_bytes!("../../tests/fixtures/account.wasm"),
        Wasm::Bogus => BOGUS_WASM,
    }
}

fn wasm_hash(wasm: Wasm) -> [u8; 32] {
    match wasm {
        Wasm::Bogus => BOGUS_HASH,
        w => e2e_testutils::get_wasm_hash(wasm_bytes(w)),
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

fn storage_type(dur: Durability) -> StorageType {
    match dur {
        Durability::Persistent => StorageType::Persistent,
        Durability::Temporary => StorageType::Temporary,
        Durability::Instance => StorageType::Instance,
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
    contracts: Vec<(ScAddress, Kind)>,
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

fn run_unchecked(workload: &Workload) -> Value {
    let host = Host::test_host_with_recording_footprint();
    let ledger_seq = 100;
    host.set_ledger_info(ledger_info(ledger_seq))
        .expect("protocol 27 ledger");
    host.switch_to_recording_auth(true).expect("recording auth");
    host.set_source_account(account_id(1))
        .expect("source account");
    let Workload {
        diagnostics,
        metering,
        ref ops,
    } = *workload;
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
    for (i, op) in ops.iter().enumerate() {
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
        "contracts": it.contracts.iter().map(|(c, k)| format!("{} {c:?}", k.name())).collect::<Vec<_>>(),
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

    fn contract_addr(&self, c: ContractRef) -> ScAddress {
        let i = usize::from(c.contract);
        let of_kind: Vec<&ScAddress> = match c.kind {
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

    fn contract_id(&self, c: ContractRef) -> ContractId {
        match self.contract_addr(c) {
            ScAddress::Contract(id) => id,
            other => panic!("not a contract: {other:?}"),
        }
    }

    fn sc_address(&self, a: &Address) -> ScAddress {
        match a {
            Address::Account(a) => ScAddress::Account(account_id(a.acct)),
            Address::Contract(c) => self.contract_addr(*c),
        }
    }

    fn sc_val(&self, v: &Arg) -> ScVal {
        match v {
            Arg::Void => ScVal::Void,
            Arg::Addr(a) => ScVal::Address(self.sc_address(a)),
            Arg::U32(n) => ScVal::U32(*n),
            Arg::I32(n) => ScVal::I32(*n),
            Arg::U64(n) => ScVal::U64(*n),
            Arg::I128(n) => ScVal::I128(Int128Parts {
                hi: (n >> 64) as i64,
                lo: *n as u64,
            }),
            Arg::Sym(s) => ScVal::Symbol(sc_symbol(s)),
            Arg::Str(s) => {
                ScVal::String(ScString(s.as_bytes().to_vec().try_into().expect("string")))
            }
            Arg::Bytes(len, fill) => ScVal::Bytes(ScBytes(
                vec![*fill; *len as usize].try_into().expect("bytes"),
            )),
            Arg::Bool(b) => ScVal::Bool(*b),
            Arg::Vec(items) => {
                ScVal::Vec(Some(ScVec(self.sc_vals(items).try_into().expect("vec"))))
            }
            Arg::Map(entries) => ScVal::Map(Some(ScMap(
                entries
                    .iter()
                    .map(|(k, v)| ScMapEntry {
                        key: self.sc_val(k),
                        val: self.sc_val(v),
                    })
                    .collect::<Vec<_>>()
                    .try_into()
                    .expect("map"),
            ))),
        }
    }

    fn sc_vals(&self, list: &[Arg]) -> Vec<ScVal> {
        list.iter().map(|a| self.sc_val(a)).collect()
    }

    // -- host values (metered: built inside the op) -----------------------------

    fn val(&self, v: &Arg) -> Result<Val, HostError> {
        Ok(Val::try_from_val(self.host, &self.sc_val(v))?)
    }

    fn vec_obj(&self, list: &[Arg]) -> Result<VecObject, HostError> {
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

    fn create_args_v2(&self, c: &Create) -> CreateContractArgsV2 {
        CreateContractArgsV2 {
            contract_id_preimage: ContractIdPreimage::Address(ContractIdPreimageFromAddress {
                address: self.sc_address(&c.deployer),
                salt: Uint256([c.salt; 32]),
            }),
            executable: ContractExecutable::Wasm(Hash(wasm_hash(c.wasm))),
            constructor_args: self
                .sc_vals(c.ctor.as_deref().unwrap_or_default())
                .try_into()
                .expect("ctor args"),
        }
    }

    fn invoke_args(&self, t: &Target) -> InvokeContractArgs {
        InvokeContractArgs {
            contract_address: self.contract_addr(t.contract),
            function_name: sc_symbol(&t.func),
            args: self.sc_vals(&t.args).try_into().expect("call args"),
        }
    }

    fn host_fn(&self, f: &HostFn) -> HostFunction {
        match f {
            HostFn::Call(t) => HostFunction::InvokeContract(self.invoke_args(t)),
            HostFn::Create(c) => {
                let args = self.create_args_v2(c);
                if c.v2 {
                    HostFunction::CreateContractV2(args)
                } else {
                    HostFunction::CreateContract(CreateContractArgs {
                        contract_id_preimage: args.contract_id_preimage,
                        executable: args.executable,
                    })
                }
            }
            HostFn::Upload(w) => {
                HostFunction::UploadContractWasm(wasm_bytes(*w).try_into().expect("wasm"))
            }
            HostFn::Sac(a) => HostFunction::CreateContract(CreateContractArgs {
                contract_id_preimage: ContractIdPreimage::Asset(self.asset(a)),
                executable: ContractExecutable::StellarAsset,
            }),
        }
    }

    fn asset(&self, a: &language::Asset) -> Asset {
        match a {
            language::Asset::Native => Asset::Native,
            language::Asset::Alphanum4 { code, issuer } => {
                let mut asset_code = [0u8; 4];
                for (d, s) in asset_code.iter_mut().zip(code.bytes()) {
                    *d = s;
                }
                Asset::CreditAlphanum4(AlphaNum4 {
                    asset_code: AssetCode4(asset_code),
                    issuer: account_id(*issuer),
                })
            }
        }
    }

    fn auth_fn(&self, f: &AuthFn) -> SorobanAuthorizedFunction {
        match f {
            AuthFn::Call(t) => SorobanAuthorizedFunction::ContractFn(self.invoke_args(t)),
            AuthFn::Create(c) => {
                let args = self.create_args_v2(c);
                if c.v2 {
                    SorobanAuthorizedFunction::CreateContractV2HostFn(args)
                } else {
                    SorobanAuthorizedFunction::CreateContractHostFn(CreateContractArgs {
                        contract_id_preimage: args.contract_id_preimage,
                        executable: args.executable,
                    })
                }
            }
        }
    }

    fn invocation(&self, inv: &Invocation) -> SorobanAuthorizedInvocation {
        SorobanAuthorizedInvocation {
            function: self.auth_fn(&inv.func),
            sub_invocations: inv
                .subs
                .iter()
                .map(|s| self.invocation(s))
                .collect::<Vec<_>>()
                .try_into()
                .expect("sub-invocations"),
        }
    }

    fn auth_entry(&self, e: &AuthEntry) -> SorobanAuthorizationEntry {
        let credentials = match &e.creds {
            Credentials::Source => SorobanCredentials::SourceAccount,
            Credentials::Address(c) => {
                let address = SorobanAddressCredentials {
                    address: self.sc_address(&c.addr),
                    nonce: c.nonce as i64,
                    signature_expiration_ledger: self.ledger_seq + c.exp,
                    signature: ScVal::Void,
                };
                match c.kind {
                    CredentialsKind::Address => SorobanCredentials::Address(address),
                    CredentialsKind::V2 => SorobanCredentials::AddressV2(address),
                    CredentialsKind::Delegates => SorobanCredentials::AddressWithDelegates(
                        SorobanAddressCredentialsWithDelegates {
                            address_credentials: address,
                            delegates: c
                                .delegates
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
                }
            }
        };
        SorobanAuthorizationEntry {
            credentials,
            root_invocation: self.invocation(&e.root),
        }
    }

    fn auth_entries(&self, list: &[AuthEntry]) -> Vec<SorobanAuthorizationEntry> {
        list.iter().map(|e| self.auth_entry(e)).collect()
    }

    /// The contract-visible `InvokerContractAuthEntry` list of
    /// `authorize_as_curr_contract`, from auth invocations.
    fn invoker_entry(&self, inv: &Invocation) -> ScVal {
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
        let subs = inv.subs.iter().map(|s| self.invoker_entry(s)).collect();
        match &inv.func {
            AuthFn::Call(t) => vec(vec![
                sym("Contract"),
                map(vec![
                    (
                        "context",
                        map(vec![
                            ("args", vec(self.sc_vals(&t.args))),
                            ("contract", ScVal::Address(self.contract_addr(t.contract))),
                            ("fn_name", sym(&t.func)),
                        ]),
                    ),
                    ("sub_invocations", vec(subs)),
                ]),
            ]),
            AuthFn::Create(c) => {
                let executable = vec(vec![
                    sym("Wasm"),
                    ScVal::Bytes(ScBytes(
                        wasm_hash(c.wasm).to_vec().try_into().expect("hash"),
                    )),
                ]);
                let salt = ScVal::Bytes(ScBytes(vec![c.salt; 32].try_into().expect("salt")));
                if c.v2 {
                    vec(vec![
                        sym("CreateContractWithCtorHostFn"),
                        map(vec![
                            (
                                "constructor_args",
                                vec(self.sc_vals(c.ctor.as_deref().unwrap_or_default())),
                            ),
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
        }
    }

    // -- ops ------------------------------------------------------------------

    /// One top-level op.
    fn top(&mut self, path: &str, op: &Op) {
        let name = format!("#{path} {}", op.name());
        match op {
            Op::Auth(mode) => {
                let from = self.op_mark();
                let res = match mode {
                    AuthMode::Recording { disable_non_root } => {
                        self.host.switch_to_recording_auth(*disable_non_root)
                    }
                    AuthMode::Enforcing { entries } => {
                        let entries = self.auth_entries(entries);
                        self.host.set_authorization_entries(entries)
                    }
                };
                let result = res.map_or_else(|e| render_err(&e), |()| "Ok".to_string());
                self.record(name, from, result, json!({}));
            }
            Op::Source { acct } => {
                let from = self.op_mark();
                let res = self.host.set_source_account(account_id(*acct));
                let result = res.map_or_else(|e| render_err(&e), |()| "Ok".to_string());
                self.record(name, from, result, json!({}));
            }
            Op::RecordedAuth => {
                let from = self.op_mark();
                let res = self.host.get_recorded_auth_payloads();
                let result = match res {
                    Ok(p) => format!("{p:?}"),
                    Err(e) => render_err(&e),
                };
                self.record(name, from, result, json!({}));
            }
            Op::Ledger { advance } => {
                let from = self.op_mark();
                self.ledger_seq += advance;
                let res = self.host.set_ledger_info(ledger_info(self.ledger_seq));
                let result = res.map_or_else(|e| render_err(&e), |()| "Ok".to_string());
                self.record(name, from, result, json!({ "seq": self.ledger_seq }));
            }
            Op::Limited { cpu, mem, body } => {
                self.fold_segment();
                self.budget.reset_limits(*cpu, *mem).expect("limits");
                assert!(
                    !matches!(**body, Op::Limited { .. } | Op::Tx(_)),
                    "workload: `limited` takes a host op"
                );
                self.top(&format!("{path}.0"), body);
                self.fold_segment();
                self.budget.reset_unlimited().expect("unlimited budget");
            }
            Op::Tx(tx) => self.tx(&name, tx),
            Op::Invoke { func, auth } => {
                let host_fn = self.host_fn(func);
                let entries = auth.as_deref().map(|l| self.auth_entries(l));
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
                    if let Some(kind) = func.created_kind() {
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
    fn host_op(&mut self, path: &str, op: &Op, depth: usize) -> Result<Val, HostError> {
        let h = self.host;
        match op {
            Op::Upload { wasm } => Ok(h
                .upload_wasm(h.bytes_new_from_slice(wasm_bytes(*wasm))?)?
                .into()),
            Op::Create(c) => {
                let deployer = self.address_obj(self.sc_address(&c.deployer))?;
                let hash = h.bytes_new_from_slice(&wasm_hash(c.wasm))?;
                let salt = h.bytes_new_from_slice(&[c.salt; 32])?;
                let res = match &c.ctor {
                    None => h.create_contract(deployer, hash, salt)?,
                    Some(ctor) => h.create_contract_with_constructor(
                        deployer,
                        hash,
                        salt,
                        self.vec_obj(ctor)?,
                    )?,
                };
                // Bookkeeping (measured with the op, alike on both hosts).
                let addr = h.scaddress_from_address(res)?;
                self.contracts.push((addr, c.wasm.kind()));
                Ok(res.into())
            }
            Op::Sac { asset } => {
                let asset = to_xdr(&self.asset(asset));
                let res = h.create_asset_contract(h.bytes_new_from_slice(&asset)?)?;
                let addr = h.scaddress_from_address(res)?;
                self.contracts.push((addr, Kind::Sac));
                Ok(res.into())
            }
            Op::Call(call) => {
                let c = self.address_obj(self.contract_addr(call.target.contract))?;
                let f = self.sym(&call.target.func)?;
                let args = self.vec_obj(&call.target.args)?;
                if call.try_call {
                    h.try_call(c, f, args)
                } else {
                    h.call(c, f, args)
                }
            }
            Op::Extend {
                contract,
                what,
                threshold,
                extend_to,
            } => {
                let c = self.address_obj(self.contract_addr(ContractRef::any(*contract)))?;
                let (t, e) = ((*threshold).into(), (*extend_to).into());
                Ok(match what {
                    TtlScope::InstanceAndCode => {
                        h.extend_contract_instance_and_code_ttl(c, t, e)?
                    }
                    TtlScope::Instance => h.extend_contract_instance_ttl(c, t, e)?,
                    TtlScope::Code => h.extend_contract_code_ttl(c, t, e)?,
                }
                .into())
            }
            Op::ExtendV2 {
                contract,
                scope,
                extend_to,
                min,
                max,
            } => {
                let c = self.address_obj(self.contract_addr(ContractRef::any(*contract)))?;
                let scope = match scope {
                    TtlScope::InstanceAndCode => ContractTtlExtension::InstanceAndCode,
                    TtlScope::Instance => ContractTtlExtension::Instance,
                    TtlScope::Code => ContractTtlExtension::Code,
                };
                Ok(h.extend_contract_instance_and_code_ttl_v2(
                    c,
                    scope,
                    (*extend_to).into(),
                    (*min).into(),
                    (*max).into(),
                )?
                .into())
            }
            Op::GetExecutable { addr } => {
                let a = self.address_obj(self.sc_address(addr))?;
                h.get_address_executable(a)
            }
            Op::Frame {
                contract,
                body,
                fail,
            } => self.frame(path, ContractRef::any(*contract), body, *fail, depth),
            // Inner ops: only meaningful in a frame (at the top level they
            // fail as a contract-less host fails them).
            Op::Put { key, val, dur } => Ok(h
                .put_contract_data(self.val(key)?, self.val(val)?, storage_type(*dur))?
                .into()),
            Op::Get { key, dur } => h.get_contract_data(self.val(key)?, storage_type(*dur)),
            Op::Has { key, dur } => Ok(h
                .has_contract_data(self.val(key)?, storage_type(*dur))?
                .into()),
            Op::Del { key, dur } => Ok(h
                .del_contract_data(self.val(key)?, storage_type(*dur))?
                .into()),
            Op::ExtendData {
                key,
                dur,
                threshold,
                extend_to,
            } => Ok(h
                .extend_contract_data_ttl(
                    self.val(key)?,
                    storage_type(*dur),
                    (*threshold).into(),
                    (*extend_to).into(),
                )?
                .into()),
            Op::ExtendDataV2 {
                key,
                dur,
                extend_to,
                min,
                max,
            } => Ok(h
                .extend_contract_data_ttl_v2(
                    self.val(key)?,
                    storage_type(*dur),
                    (*extend_to).into(),
                    (*min).into(),
                    (*max).into(),
                )?
                .into()),
            Op::ExtendCurrent {
                threshold,
                extend_to,
            } => Ok(h
                .extend_current_contract_instance_and_code_ttl(
                    (*threshold).into(),
                    (*extend_to).into(),
                )?
                .into()),
            Op::Event { topics, data } => Ok(h
                .contract_event(self.vec_obj(topics)?, self.val(data)?)?
                .into()),
            Op::RequireAuth { addr } => {
                let a = self.address_obj(self.sc_address(addr))?;
                Ok(h.require_auth(a)?.into())
            }
            Op::RequireAuthForArgs { addr, args } => {
                let a = self.address_obj(self.sc_address(addr))?;
                Ok(h.require_auth_for_args(a, self.vec_obj(args)?)?.into())
            }
            Op::Authorize { entries } => {
                let list = ScVal::Vec(Some(ScVec(
                    entries
                        .iter()
                        .map(|e| self.invoker_entry(e))
                        .collect::<Vec<_>>()
                        .try_into()
                        .expect("entries"),
                )));
                let list: VecObject = Val::try_from_val(h, &list)?.try_into()?;
                Ok(h.authorize_as_curr_contract(list)?.into())
            }
            Op::UpdateWasm { wasm } => {
                let hash = h.bytes_new_from_slice(&wasm_hash(*wasm))?;
                Ok(h.update_current_contract_wasm(hash)?.into())
            }
            Op::CurrentAddress => Ok(h.get_current_contract_address()?.into()),
            Op::Auth(_)
            | Op::Source { .. }
            | Op::RecordedAuth
            | Op::Ledger { .. }
            | Op::Limited { .. }
            | Op::Invoke { .. }
            | Op::Tx(_) => panic!("workload: `{}` is a top-level op", op.name()),
        }
    }

    /// A test contract frame running `body`, each inner op recorded.
    fn frame(
        &mut self,
        path: &str,
        contract: ContractRef,
        body: &[Op],
        fail: bool,
        depth: usize,
    ) -> Result<Val, HostError> {
        assert!(depth < MAX_FRAME_DEPTH, "workload: frames nested too deep");
        let h = self.host;
        let id = self.contract_id(contract);
        let func = self.sym("diff")?;
        h.with_test_contract_frame(id, func, || {
            for (i, inner) in body.iter().enumerate() {
                let inner_path = format!("{path}.{i}");
                let name = format!("#{inner_path} {}", inner.name());
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

    fn tx(&mut self, name: &str, tx: &Tx) {
        // The main host's storage, overlaid with what transactions wrote.
        for (k, e) in self.host.get_stored_entries().expect("stored entries") {
            if let (Some((e, l)), false) = (e, self.tx_written.contains(&k)) {
                self.ledger.insert((*k).clone(), ((*e).clone(), l));
            }
        }
        self.txs += 1;
        let seed = [self.txs as u8; 32];
        let host_fn = self.host_fn(&tx.func);
        let source = account_id(tx.source);
        let info = ledger_info(self.ledger_seq);

        // Simulation, as a client would: with recorded auth, with the given
        // entries, or in two passes (record, set the signatures' expiration,
        // simulate again with the entries: the second pass runs custom
        // accounts' `__check_auth`, so its footprint covers them).
        let recording = |disable_non_root: bool, v2: bool| {
            e2e_invoke::RecordingInvocationAuthMode::recording(disable_non_root, v2)
        };
        let mut sim = match &tx.sim_auth {
            SimAuth::Record {
                disable_non_root,
                v2,
            }
            | SimAuth::TwoPass {
                disable_non_root,
                v2,
                ..
            } => self.simulate(
                name,
                "",
                &host_fn,
                &source,
                recording(*disable_non_root, *v2),
                seed,
            ),
            SimAuth::Enforce(entries) => self.simulate(
                name,
                "",
                &host_fn,
                &source,
                e2e_invoke::RecordingInvocationAuthMode::Enforcing(self.auth_entries(entries)),
                seed,
            ),
        };
        if let SimAuth::TwoPass { exp, .. } = tx.sim_auth {
            let Ok(first) = &sim else { return };
            let expiration = self.ledger_seq + exp;
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
        match tx.footprint {
            Footprint::Recorded => {}
            Footprint::DropRo if !ro.is_empty() => {
                ro.remove(0);
            }
            Footprint::DropRw if !rw.is_empty() => {
                rw.remove(0);
            }
            Footprint::DropRo | Footprint::DropRw => {}
        }
        resources.footprint = LedgerFootprint {
            read_only: ro.clone().try_into().expect("footprint"),
            read_write: rw.clone().try_into().expect("footprint"),
        };
        let auth: Vec<SorobanAuthorizationEntry> = match tx.apply_auth {
            ApplyAuth::Recorded => sim.auth.clone(),
            ApplyAuth::Nothing => vec![],
        };
        let cpu_limit = match tx.cpu {
            None => u64::MAX,
            Some(CpuLimit::Abs(n)) => n,
            Some(CpuLimit::Pct(p)) => u64::from(sim.resources.instructions) * p / 100,
        };
        let mem_limit = tx.mem.unwrap_or(u64::MAX);
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
            if let Some(kind) = tx.func.created_kind() {
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
