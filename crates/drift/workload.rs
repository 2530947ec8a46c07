//! The "no drift" workload: a fixed list of protocol-27 operations, none of
//! them involving ExternalRef, each recorded with its result and its metered
//! cost (CPU instructions, memory bytes, and the per-cost-type breakdown).
//!
//! This one file is compiled twice, unchanged, with `#[path]`:
//!
//! - by `crates/drift` (package `drift-reference`, its own workspace) against
//!   unforked crates.io soroban-env-host 27.0.1: the reference;
//! - by `tests/tests/no_drift.rs` against the fork (the root workspace patches
//!   the upstream crate names to `materialized/`).
//!
//! It may therefore only use API that exists identically in both: testutils,
//! the `Env` trait, `invoke_function`, `e2e_invoke`/`e2e_testutils`. The
//! fixtures are the stock-env followers (interface protocol 27); the manager
//! and factory declare protocol 28 and are not used here.

use std::rc::Rc;

use serde_json::{json, Map, Value};
use soroban_env_host::{
    budget::Budget,
    e2e_invoke::{self, InvokeHostFunctionRecordingModeResult, InvokeHostFunctionResult},
    e2e_testutils,
    storage::SnapshotSource,
    testutils::MockSnapshotSource,
    xdr::{
        AccountId, Asset, ContractCostType, ContractEvent, ContractExecutable, ContractId,
        ContractIdPreimage, ContractIdPreimageFromAddress, CreateContractArgs,
        CreateContractArgsV2, Hash, HostFunction, InvokeContractArgs, LedgerEntry, LedgerFootprint,
        LedgerKey, Limits, PublicKey, ReadXdr, ScAddress, ScMap, ScMapEntry, ScSymbol, ScVal,
        SorobanAuthorizationEntry, SorobanAuthorizedFunction, SorobanAuthorizedInvocation,
        SorobanCredentials, SorobanResources, TtlEntry, Uint256, WriteXdr,
    },
    AddressObject, BytesObject, ContractTtlExtension, Env, EnvBase, Host, HostError, LedgerInfo,
    StorageType, Symbol, TryFromVal, Val, VecObject,
};

/// The ledger protocol of every operation: upstream's, where the fork claims
/// to behave exactly as upstream 27.0.1.
pub const PROTOCOL: u32 = 27;

const FOLLOWER_V1: &[u8] = include_bytes!("../../tests/fixtures/follower_v1.wasm");
const FOLLOWER_V2: &[u8] = include_bytes!("../../tests/fixtures/follower_v2.wasm");

/// The metered cost of one cost type: for an operation, the delta over the
/// operation; in the totals, the host budget's counters at the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cost {
    pub cost_type: String,
    pub iterations: u64,
    pub inputs: u64,
    pub cpu: u64,
    pub mem: u64,
}

/// One operation: its result (`ScVal` debug string or `Err(error)`) and what
/// it cost. `costs` lists only the cost types the operation charged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpRecord {
    pub name: String,
    pub result: String,
    pub cpu_insns: u64,
    pub mem_bytes: u64,
    pub costs: Vec<Cost>,
}

/// Everything one run of the workload observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Which host ran the workload (env package version and interface
    /// protocol). Differs by design between the fork and upstream; not part
    /// of the comparison.
    pub host: String,
    pub protocol: u32,
    pub ops: Vec<OpRecord>,
    /// The main host's budget at the end (every cost type, in XDR order).
    /// The `e2e` operations run on their own hosts and budgets and are not
    /// included.
    pub total_cpu_insns: u64,
    pub total_mem_bytes: u64,
    pub totals: Vec<Cost>,
    /// The main host's storage at the end: key, live-until, sha256 of the
    /// entry's XDR (keys looked up but absent are listed as absent).
    pub final_storage: Vec<String>,
    /// The main host's events at the end.
    pub final_events: Vec<String>,
}

// ---------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------

fn costs_of(budget: &Budget) -> Vec<Cost> {
    ContractCostType::VARIANTS
        .iter()
        .map(|ty| {
            let t = budget.get_tracker(*ty).expect("cost tracker");
            Cost {
                cost_type: ty.name().to_string(),
                iterations: t.iterations,
                inputs: t.inputs.unwrap_or(0),
                cpu: t.cpu,
                mem: t.mem,
            }
        })
        .collect()
}

fn cost_deltas(before: &[Cost], after: &[Cost]) -> Vec<Cost> {
    before
        .iter()
        .zip(after)
        .map(|(b, a)| Cost {
            cost_type: a.cost_type.clone(),
            iterations: a.iterations - b.iterations,
            inputs: a.inputs - b.inputs,
            cpu: a.cpu - b.cpu,
            mem: a.mem - b.mem,
        })
        .filter(|c| c.iterations != 0 || c.inputs != 0 || c.cpu != 0 || c.mem != 0)
        .collect()
}

struct Run<'a> {
    host: &'a Host,
    budget: Budget,
    ops: Vec<OpRecord>,
}

impl Run<'_> {
    /// Runs `f` on the main host and records its budget delta; `render`
    /// (not measured) turns the result into the recorded string.
    fn measure<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&Host) -> Result<T, HostError>,
        render: impl FnOnce(&Host, &T) -> String,
    ) -> Option<T> {
        let before = costs_of(&self.budget);
        let cpu0 = self.budget.get_cpu_insns_consumed().expect("cpu");
        let mem0 = self.budget.get_mem_bytes_consumed().expect("mem");
        let res = f(self.host);
        let cpu1 = self.budget.get_cpu_insns_consumed().expect("cpu");
        let mem1 = self.budget.get_mem_bytes_consumed().expect("mem");
        let costs = cost_deltas(&before, &costs_of(&self.budget));
        let (result, out) = match res {
            Ok(v) => (render(self.host, &v), Some(v)),
            Err(e) => (render_err(&e), None),
        };
        self.ops.push(OpRecord {
            name: name.to_string(),
            result,
            cpu_insns: cpu1 - cpu0,
            mem_bytes: mem1 - mem0,
            costs,
        });
        out
    }

    /// An operation returning a host value.
    fn val<T: Into<Val> + Copy>(
        &mut self,
        name: &str,
        f: impl FnOnce(&Host) -> Result<T, HostError>,
    ) -> Option<T> {
        self.measure(name, f, |h, v| render_val(h, (*v).into()))
    }

    /// An operation that must succeed: its value feeds later operations.
    fn must<T: Into<Val> + Copy>(
        &mut self,
        name: &str,
        f: impl FnOnce(&Host) -> Result<T, HostError>,
    ) -> T {
        match self.val(name, f) {
            Some(v) => v,
            None => panic!(
                "workload: `{name}` failed: {}",
                self.ops.last().expect("recorded").result
            ),
        }
    }

    /// An operation on its own host (`e2e_invoke`) with its own fresh
    /// `budget`, recorded from that budget's counters.
    fn external(&mut self, name: &str, budget: &Budget, result: String) {
        let zero: Vec<Cost> = costs_of(&Budget::default())
            .into_iter()
            .map(|c| Cost {
                iterations: 0,
                inputs: 0,
                cpu: 0,
                mem: 0,
                ..c
            })
            .collect();
        self.ops.push(OpRecord {
            name: name.to_string(),
            result,
            cpu_insns: budget.get_cpu_insns_consumed().expect("cpu"),
            mem_bytes: budget.get_mem_bytes_consumed().expect("mem"),
            costs: cost_deltas(&zero, &costs_of(budget)),
        });
    }
}

fn render_err(e: &HostError) -> String {
    format!("Err({:?})", e.error)
}

fn render_val(host: &Host, v: Val) -> String {
    match ScVal::try_from_val(host, &v) {
        Ok(sc) => format!("{sc:?}"),
        Err(e) => format!("unconvertible {v:?}: {e:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first 8 bytes of the sha256 of `bytes`, in hex.
fn digest(bytes: &[u8]) -> String {
    hex(&e2e_testutils::get_wasm_hash(bytes)[..8])
}

fn to_xdr(v: &impl WriteXdr) -> Vec<u8> {
    v.to_xdr(Limits::none()).expect("encodable XDR")
}

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

fn ledger_info() -> LedgerInfo {
    LedgerInfo {
        protocol_version: PROTOCOL,
        sequence_number: 100,
        timestamp: 1_700_000_000,
        network_id: [7; 32],
        base_reserve: 10,
        min_persistent_entry_ttl: 4096,
        min_temp_entry_ttl: 16,
        max_entry_ttl: 6_312_000,
    }
}

fn account_id(seed: u8) -> AccountId {
    AccountId(PublicKey::PublicKeyTypeEd25519(Uint256([seed; 32])))
}

fn address(host: &Host, a: ScAddress) -> Result<AddressObject, HostError> {
    let val = Val::try_from_val(host, &ScVal::Address(a))?;
    Ok(val.try_into()?)
}

fn account(host: &Host, seed: u8) -> Result<AddressObject, HostError> {
    address(host, ScAddress::Account(account_id(seed)))
}

fn sym(host: &Host, s: &str) -> Result<Symbol, HostError> {
    Ok(Symbol::try_from_val(host, &s)?)
}

fn sc_symbol(s: &str) -> ScSymbol {
    ScSymbol(s.try_into().expect("valid symbol"))
}

fn bytes32(host: &Host, seed: u8) -> Result<BytesObject, HostError> {
    host.bytes_new_from_slice(&[seed; 32])
}

fn args(host: &Host, vals: &[Val]) -> Result<VecObject, HostError> {
    host.vec_new_from_slice(vals)
}

fn sc_sym(s: &str) -> ScVal {
    ScVal::Symbol(sc_symbol(s))
}

fn sc_vec(v: Vec<ScVal>) -> ScVal {
    ScVal::Vec(Some(v.try_into().expect("small vec")))
}

/// A contracttype struct: a map with symbol keys (given in sorted order).
fn sc_map(fields: Vec<(&str, ScVal)>) -> ScVal {
    let entries: Vec<ScMapEntry> = fields
        .into_iter()
        .map(|(k, val)| ScMapEntry {
            key: sc_sym(k),
            val,
        })
        .collect();
    ScVal::Map(Some(ScMap(entries.try_into().expect("small map"))))
}

/// An `InvokerContractAuthEntry` (contracttype enum) case with a struct.
fn invoker_entry(case: &str, fields: Vec<(&str, ScVal)>) -> ScVal {
    sc_vec(vec![sc_sym(case), sc_map(fields)])
}

fn call(host: &Host, c: AddressObject, func: &str, a: &[Val]) -> Result<Val, HostError> {
    host.call(c, sym(host, func)?, args(host, a)?)
}

fn try_call(host: &Host, c: AddressObject, func: &str, a: &[Val]) -> Result<Val, HostError> {
    host.try_call(c, sym(host, func)?, args(host, a)?)
}

fn contract_id(host: &Host, addr: AddressObject) -> ContractId {
    match host.scaddress_from_address(addr).expect("address") {
        ScAddress::Contract(id) => id,
        other => panic!("not a contract: {other:?}"),
    }
}

fn wasm_hash(wasm: &[u8]) -> Hash {
    Hash(e2e_testutils::get_wasm_hash(wasm))
}

fn address_preimage(deployer: &AccountId, salt: u8) -> ContractIdPreimage {
    ContractIdPreimage::Address(ContractIdPreimageFromAddress {
        address: ScAddress::Account(deployer.clone()),
        salt: Uint256([salt; 32]),
    })
}

fn source_account_auth(function: SorobanAuthorizedFunction) -> SorobanAuthorizationEntry {
    SorobanAuthorizationEntry {
        credentials: SorobanCredentials::SourceAccount,
        root_invocation: SorobanAuthorizedInvocation {
            function,
            sub_invocations: Default::default(),
        },
    }
}

fn create_v2_auth(preimage: &ContractIdPreimage, wasm: &[u8]) -> SorobanAuthorizationEntry {
    source_account_auth(SorobanAuthorizedFunction::CreateContractV2HostFn(
        CreateContractArgsV2 {
            contract_id_preimage: preimage.clone(),
            executable: ContractExecutable::Wasm(wasm_hash(wasm)),
            constructor_args: Default::default(),
        },
    ))
}

// ---------------------------------------------------------------------------
// The workload
// ---------------------------------------------------------------------------

/// Runs every operation on fresh hosts and returns what it observed.
pub fn run() -> Report {
    let host = Host::test_host_with_recording_footprint();
    host.set_ledger_info(ledger_info())
        .expect("protocol 27 ledger");
    host.switch_to_recording_auth(true).expect("recording auth");
    let budget = host.budget_cloned();
    budget.reset_unlimited().expect("unlimited budget");
    let mut run = Run {
        host: &host,
        budget: budget.clone(),
        ops: Vec::new(),
    };

    host_operations(&mut run);
    e2e_operations(&mut run);

    // Not measured: everything below happens after the totals are read.
    let total_cpu_insns = budget.get_cpu_insns_consumed().expect("cpu");
    let total_mem_bytes = budget.get_mem_bytes_consumed().expect("mem");
    let totals = costs_of(&budget);
    let final_storage = host
        .get_stored_entries()
        .expect("stored entries")
        .into_iter()
        .map(|(key, entry)| match entry {
            Some((entry, live_until)) => format!(
                "{key:?} live_until={live_until:?} entry_sha256={}",
                digest(&to_xdr(&*entry))
            ),
            None => format!("{key:?} absent"),
        })
        .collect();
    let final_events = host
        .get_events()
        .expect("events")
        .0
        .iter()
        .map(|e| format!("failed_call={} {:?}", e.failed_call, e.event))
        .collect();
    Report {
        host: host_identity(),
        protocol: PROTOCOL,
        ops: run.ops,
        total_cpu_insns,
        total_mem_bytes,
        totals,
        final_storage,
        final_events,
    }
}

fn host_identity() -> String {
    format!(
        "soroban-env {} (interface protocol {})",
        soroban_env_host::VERSION.pkg,
        soroban_env_host::meta::INTERFACE_VERSION.protocol
    )
}

fn host_operations(run: &mut Run) {
    let host = run.host;
    let deployer = account(host, 2).expect("deployer");
    let native: Vec<u8> = to_xdr(&Asset::Native);

    // -- Code --------------------------------------------------------------
    let v1 = run.must("upload_wasm(v1)", |h| {
        h.upload_wasm(h.bytes_new_from_slice(FOLLOWER_V1)?)
    });
    let v2 = run.must("upload_wasm(v2)", |h| {
        h.upload_wasm(h.bytes_new_from_slice(FOLLOWER_V2)?)
    });
    run.val("upload_wasm(v1) again", |h| {
        h.upload_wasm(h.bytes_new_from_slice(FOLLOWER_V1)?)
    });
    run.val("upload_wasm(not wasm)", |h| {
        h.upload_wasm(h.bytes_new_from_slice(&[0, 1, 2, 3])?)
    });

    // -- Contracts (recording auth) ----------------------------------------
    run.val("get_contract_id(account, salt 1)", |h| {
        h.get_contract_id(deployer, bytes32(h, 1)?)
    });
    let a = run.must("create_contract(account, v1, salt 1)", |h| {
        h.create_contract(deployer, v1, bytes32(h, 1)?)
    });
    recorded_auth(run, "get_recorded_auth_payloads() after create_contract");
    let b = run.must(
        "create_contract_with_constructor(account, v1, salt 2, [])",
        |h| h.create_contract_with_constructor(deployer, v1, bytes32(h, 2)?, args(h, &[])?),
    );
    run.val("create_contract(account, v1, salt 1) again", |h| {
        h.create_contract(deployer, v1, bytes32(h, 1)?)
    });
    run.val("create_contract(account, never uploaded, salt 3)", |h| {
        h.create_contract(deployer, bytes32(h, 0xEE)?, bytes32(h, 3)?)
    });
    run.val(
        "create_contract_with_constructor(account, v1, salt 4, [7]) no ctor",
        |h| {
            h.create_contract_with_constructor(
                deployer,
                v1,
                bytes32(h, 4)?,
                args(h, &[Val::from(7u32)])?,
            )
        },
    );
    let sac = run.must("create_asset_contract(native)", |h| {
        h.create_asset_contract(h.bytes_new_from_slice(&native)?)
    });
    run.val("get_asset_contract_id(native)", |h| {
        h.get_asset_contract_id(h.bytes_new_from_slice(&native)?)
    });

    // -- Calls -------------------------------------------------------------
    run.val("call hello(41)", |h| call(h, a, "hello", &[41u32.into()]));
    run.val("call version()", |h| call(h, a, "version", &[]));
    run.val("call put(k, 7)", |h| {
        call(h, a, "put", &[sym(h, "k")?.into(), 7u32.into()])
    });
    run.val("call get(k)", |h| call(h, a, "get", &[sym(h, "k")?.into()]));
    run.val("call get(absent)", |h| {
        call(h, a, "get", &[sym(h, "absent")?.into()])
    });
    run.val("call whoami()", |h| call(h, a, "whoami", &[]));
    run.val("call hello(41) on contract b", |h| {
        call(h, b, "hello", &[41u32.into()])
    });
    run.val("try_call missing_fn()", |h| {
        try_call(h, a, "missing_fn", &[])
    });
    run.val("call missing_fn()", |h| call(h, a, "missing_fn", &[]));
    run.val("try_call hello(symbol) wrong arg type", |h| {
        try_call(h, a, "hello", &[sym(h, "x")?.into()])
    });
    run.val("call bump(k) v1 has no bump", |h| {
        call(h, a, "bump", &[sym(h, "k")?.into()])
    });
    run.val("call sac name()", |h| call(h, sac, "name", &[]));
    run.val("call sac decimals()", |h| call(h, sac, "decimals", &[]));
    run.val("try_call sac balance(account) no entry", |h| {
        try_call(h, sac, "balance", &[deployer.into()])
    });
    run.val("get_address_executable(contract a)", |h| {
        h.get_address_executable(a)
    });
    run.val("get_address_executable(sac)", |h| {
        h.get_address_executable(sac)
    });
    run.val("get_address_executable(account)", |h| {
        h.get_address_executable(deployer)
    });

    // -- TTL ---------------------------------------------------------------
    run.val(
        "extend_contract_instance_and_code_ttl(a, 5000, 10000)",
        |h| h.extend_contract_instance_and_code_ttl(a, 5000u32.into(), 10_000u32.into()),
    );
    run.val("extend_contract_instance_ttl(b, 5000, 12000)", |h| {
        h.extend_contract_instance_ttl(b, 5000u32.into(), 12_000u32.into())
    });
    run.val("extend_contract_code_ttl(b, 11000, 15000)", |h| {
        h.extend_contract_code_ttl(b, 11_000u32.into(), 15_000u32.into())
    });
    run.val(
        "extend_contract_instance_and_code_ttl_v2(a, InstanceAndCode, 20000, 1, 100000)",
        |h| {
            h.extend_contract_instance_and_code_ttl_v2(
                a,
                ContractTtlExtension::InstanceAndCode,
                20_000u32.into(),
                1u32.into(),
                100_000u32.into(),
            )
        },
    );
    run.val(
        "extend_contract_instance_and_code_ttl_v2(b, Code, 25000, 1, 100000)",
        |h| {
            h.extend_contract_instance_and_code_ttl_v2(
                b,
                ContractTtlExtension::Code,
                25_000u32.into(),
                1u32.into(),
                100_000u32.into(),
            )
        },
    );
    run.val(
        "extend_contract_instance_and_code_ttl(sac, 5000, 10000)",
        |h| h.extend_contract_instance_and_code_ttl(sac, 5000u32.into(), 10_000u32.into()),
    );

    // -- Contract data in a test contract frame (contract a) ----------------
    let id_a = contract_id(host, a);
    let frame = |name: &str, run: &mut Run, f: &dyn Fn(&Host) -> Result<Val, HostError>| {
        run.val(name, |h| {
            h.with_test_contract_frame(id_a.clone(), sym(h, "drift")?, || f(h))
        });
    };
    frame("frame: put_contract_data(d, 11, Persistent)", run, &|h| {
        Ok(
            h.put_contract_data(sym(h, "d")?.into(), 11u32.into(), StorageType::Persistent)?
                .into(),
        )
    });
    frame("frame: put_contract_data(t, 12, Temporary)", run, &|h| {
        Ok(
            h.put_contract_data(sym(h, "t")?.into(), 12u32.into(), StorageType::Temporary)?
                .into(),
        )
    });
    frame("frame: put_contract_data(i, 13, Instance)", run, &|h| {
        Ok(
            h.put_contract_data(sym(h, "i")?.into(), 13u32.into(), StorageType::Instance)?
                .into(),
        )
    });
    frame("frame: get_contract_data(d, Persistent)", run, &|h| {
        h.get_contract_data(sym(h, "d")?.into(), StorageType::Persistent)
    });
    frame(
        "frame: get_contract_data(k, Persistent) written by call",
        run,
        &|h| h.get_contract_data(sym(h, "k")?.into(), StorageType::Persistent),
    );
    frame("frame: has_contract_data(t, Temporary)", run, &|h| {
        Ok(
            h.has_contract_data(sym(h, "t")?.into(), StorageType::Temporary)?
                .into(),
        )
    });
    frame("frame: get_contract_data(i, Instance)", run, &|h| {
        h.get_contract_data(sym(h, "i")?.into(), StorageType::Instance)
    });
    frame(
        "frame: extend_contract_data_ttl(d, Persistent, 5000, 8000)",
        run,
        &|h| {
            Ok(h.extend_contract_data_ttl(
                sym(h, "d")?.into(),
                StorageType::Persistent,
                5000u32.into(),
                8000u32.into(),
            )?
            .into())
        },
    );
    frame(
        "frame: extend_contract_data_ttl_v2(t, Temporary, 100, 1, 1000)",
        run,
        &|h| {
            Ok(h.extend_contract_data_ttl_v2(
                sym(h, "t")?.into(),
                StorageType::Temporary,
                100u32.into(),
                1u32.into(),
                1000u32.into(),
            )?
            .into())
        },
    );
    frame(
        "frame: extend_current_contract_instance_and_code_ttl(30000, 40000)",
        run,
        &|h| {
            Ok(
                h.extend_current_contract_instance_and_code_ttl(
                    30_000u32.into(),
                    40_000u32.into(),
                )?
                .into(),
            )
        },
    );
    frame("frame: del_contract_data(d, Persistent)", run, &|h| {
        Ok(
            h.del_contract_data(sym(h, "d")?.into(), StorageType::Persistent)?
                .into(),
        )
    });
    frame(
        "frame: has_contract_data(d, Persistent) after del",
        run,
        &|h| {
            Ok(
                h.has_contract_data(sym(h, "d")?.into(), StorageType::Persistent)?
                    .into(),
            )
        },
    );
    frame(
        "frame: get_contract_data(d, Persistent) after del",
        run,
        &|h| h.get_contract_data(sym(h, "d")?.into(), StorageType::Persistent),
    );
    frame("frame: require_auth(account)", run, &|h| {
        Ok(h.require_auth(account(h, 5)?)?.into())
    });
    frame("frame: require_auth_for_args(account, [1, 2])", run, &|h| {
        Ok(
            h.require_auth_for_args(account(h, 6)?, args(h, &[1u32.into(), 2u32.into()])?)?
                .into(),
        )
    });
    recorded_auth(
        run,
        "get_recorded_auth_payloads() after require_auth_for_args",
    );

    // Invoker-contract auth entries: the host decodes the contract-visible
    // `ContractExecutable` contracttype from them.
    let v1_bytes = ScVal::Bytes(wasm_hash(FOLLOWER_V1).0.to_vec().try_into().expect("bytes"));
    let salt = ScVal::Bytes([30u8; 32].to_vec().try_into().expect("bytes"));
    let wasm_exec = sc_vec(vec![sc_sym("Wasm"), v1_bytes]);
    let b_sc = host.scaddress_from_address(b).expect("address");
    let entries = [
        (
            "frame: authorize_as_curr_contract([CreateContractHostFn(Wasm(v1))])",
            invoker_entry(
                "CreateContractHostFn",
                vec![("executable", wasm_exec.clone()), ("salt", salt.clone())],
            ),
        ),
        (
            "frame: authorize_as_curr_contract([CreateContractWithCtorHostFn(Wasm(v1), [])])",
            invoker_entry(
                "CreateContractWithCtorHostFn",
                vec![
                    ("constructor_args", sc_vec(vec![])),
                    ("executable", wasm_exec.clone()),
                    ("salt", salt.clone()),
                ],
            ),
        ),
        (
            "frame: authorize_as_curr_contract([CreateContractHostFn(StellarAsset)])",
            invoker_entry(
                "CreateContractHostFn",
                vec![
                    ("executable", sc_vec(vec![sc_sym("StellarAsset")])),
                    ("salt", salt.clone()),
                ],
            ),
        ),
        (
            "frame: authorize_as_curr_contract([Contract(b.hello(41))])",
            sc_vec(vec![
                sc_sym("Contract"),
                sc_map(vec![
                    (
                        "context",
                        sc_map(vec![
                            ("args", sc_vec(vec![ScVal::U32(41)])),
                            ("contract", ScVal::Address(b_sc)),
                            ("fn_name", sc_sym("hello")),
                        ]),
                    ),
                    ("sub_invocations", sc_vec(vec![])),
                ]),
            ]),
        ),
    ];
    for (name, entry) in entries {
        let list = sc_vec(vec![entry]);
        frame(name, run, &|h| {
            let list: VecObject = Val::try_from_val(h, &list)?.try_into()?;
            Ok(h.authorize_as_curr_contract(list)?.into())
        });
    }
    frame("frame: get_current_contract_address()", run, &|h| {
        Ok(h.get_current_contract_address()?.into())
    });

    // -- Upgrade to v2 -------------------------------------------------------
    frame("frame: update_current_contract_wasm(v2)", run, &|h| {
        Ok(h.update_current_contract_wasm(v2)?.into())
    });
    run.val("call version() after update", |h| {
        call(h, a, "version", &[])
    });
    run.val("call bump(k) after update", |h| {
        call(h, a, "bump", &[sym(h, "k")?.into()])
    });
    run.val("get_address_executable(contract a) after update", |h| {
        h.get_address_executable(a)
    });
    frame(
        "frame: update_current_contract_wasm(never uploaded)",
        run,
        &|h| Ok(h.update_current_contract_wasm(bytes32(h, 0xEE)?)?.into()),
    );
    frame(
        "frame: update_current_contract_wasm(v1) then fail",
        run,
        &|h| {
            h.update_current_contract_wasm(v1)?;
            Err(HostError::from(
                soroban_env_host::Error::from_contract_error(1),
            ))
        },
    );
    run.val("call version() after rolled-back update", |h| {
        call(h, a, "version", &[])
    });

    // -- Enforcing auth, as a transaction's host would ----------------------
    enforcing_operations(run, a, v1);
}

/// The auth payloads recording mode recorded for the previous top-level
/// invocation (what simulation would put in the transaction).
fn recorded_auth(run: &mut Run, name: &str) {
    run.measure(
        name,
        |h| h.get_recorded_auth_payloads(),
        |_, payloads| format!("{payloads:?}"),
    );
}

fn enforcing_operations(run: &mut Run, a: AddressObject, v1: BytesObject) {
    let host = run.host;
    let source = account_id(3);
    host.set_source_account(source.clone())
        .expect("source account");
    let v1_hash = wasm_hash(FOLLOWER_V1);
    let v1_exec = ContractExecutable::Wasm(v1_hash.clone());

    // CreateContract (V1 args) with a CreateContractHostFn (V1) auth entry.
    let pre10 = address_preimage(&source, 10);
    let v1_args = CreateContractArgs {
        contract_id_preimage: pre10.clone(),
        executable: v1_exec.clone(),
    };
    let entry = source_account_auth(SorobanAuthorizedFunction::CreateContractHostFn(
        v1_args.clone(),
    ));
    run.measure(
        "enforcing: set_authorization_entries([CreateContractHostFn])",
        |h| h.set_authorization_entries(vec![entry]),
        |_, _| "Ok".to_string(),
    );
    run.measure(
        "enforcing: invoke_function(CreateContract)",
        |h| h.invoke_function(HostFunction::CreateContract(v1_args)),
        |_, v| format!("{v:?}"),
    );

    // CreateContractV2 with a CreateContractV2HostFn auth entry.
    let pre11 = address_preimage(&source, 11);
    let entry = create_v2_auth(&pre11, FOLLOWER_V1);
    run.measure(
        "enforcing: set_authorization_entries([CreateContractV2HostFn])",
        |h| h.set_authorization_entries(vec![entry]),
        |_, _| "Ok".to_string(),
    );
    run.measure(
        "enforcing: invoke_function(CreateContractV2, no args)",
        |h| {
            h.invoke_function(HostFunction::CreateContractV2(CreateContractArgsV2 {
                contract_id_preimage: pre11,
                executable: v1_exec.clone(),
                constructor_args: Default::default(),
            }))
        },
        |_, v| format!("{v:?}"),
    );

    // The Env host functions, deployer = the source account.
    let entry = create_v2_auth(&address_preimage(&source, 12), FOLLOWER_V1);
    host.set_authorization_entries(vec![entry])
        .expect("auth entries");
    run.val("enforcing: create_contract(source, v1, salt 12)", |h| {
        h.create_contract(
            address(h, ScAddress::Account(source.clone()))?,
            v1,
            bytes32(h, 12)?,
        )
    });
    let entry = create_v2_auth(&address_preimage(&source, 13), FOLLOWER_V1);
    host.set_authorization_entries(vec![entry])
        .expect("auth entries");
    run.val(
        "enforcing: create_contract_with_constructor(source, v1, salt 13, [])",
        |h| {
            h.create_contract_with_constructor(
                address(h, ScAddress::Account(source.clone()))?,
                v1,
                bytes32(h, 13)?,
                args(h, &[])?,
            )
        },
    );

    // Mismatches: the entry authorizes v2's executable, or another salt.
    let entry = create_v2_auth(&address_preimage(&source, 14), FOLLOWER_V2);
    host.set_authorization_entries(vec![entry])
        .expect("auth entries");
    run.val(
        "enforcing: create_contract(source, v1, salt 14) auth names v2",
        |h| {
            h.create_contract(
                address(h, ScAddress::Account(source.clone()))?,
                v1,
                bytes32(h, 14)?,
            )
        },
    );
    let entry = create_v2_auth(&address_preimage(&source, 16), FOLLOWER_V1);
    host.set_authorization_entries(vec![entry])
        .expect("auth entries");
    run.val(
        "enforcing: create_contract(source, v1, salt 15) auth names salt 16",
        |h| {
            h.create_contract(
                address(h, ScAddress::Account(source.clone()))?,
                v1,
                bytes32(h, 15)?,
            )
        },
    );
    host.set_authorization_entries(vec![])
        .expect("auth entries");
    run.val(
        "enforcing: create_contract(source, v1, salt 17) no auth",
        |h| {
            h.create_contract(
                address(h, ScAddress::Account(source.clone()))?,
                v1,
                bytes32(h, 17)?,
            )
        },
    );

    // A contract call and an account's require_auth in a contract frame.
    let a_sc = host.scaddress_from_address(a).expect("address");
    run.measure(
        "enforcing: invoke_function(InvokeContract hello(41))",
        |h| {
            h.invoke_function(HostFunction::InvokeContract(InvokeContractArgs {
                contract_address: a_sc.clone(),
                function_name: sc_symbol("hello"),
                args: vec![ScVal::U32(41)].try_into().expect("args"),
            }))
        },
        |_, v| format!("{v:?}"),
    );
    let entry = source_account_auth(SorobanAuthorizedFunction::ContractFn(InvokeContractArgs {
        contract_address: a_sc.clone(),
        function_name: sc_symbol("drift"),
        args: Default::default(),
    }));
    host.set_authorization_entries(vec![entry])
        .expect("auth entries");
    let id_a = contract_id(host, a);
    run.val("enforcing: frame: require_auth(source)", |h| {
        h.with_test_contract_frame(id_a.clone(), sym(h, "drift")?, || {
            Ok(
                h.require_auth(address(h, ScAddress::Account(source.clone()))?)?
                    .into(),
            )
        })
    });
    run.val(
        "enforcing: frame: require_auth(source) again, exhausted",
        |h| {
            h.with_test_contract_frame(id_a.clone(), sym(h, "drift")?, || {
                Ok(
                    h.require_auth(address(h, ScAddress::Account(source.clone()))?)?
                        .into(),
                )
            })
        },
    );
    run.measure(
        "enforcing: invoke_function(UploadContractWasm v2) existing",
        |h| {
            h.invoke_function(HostFunction::UploadContractWasm(
                FOLLOWER_V2.try_into().expect("wasm"),
            ))
        },
        |_, v| format!("{v:?}"),
    );
}

// ---------------------------------------------------------------------------
// e2e: stellar-core's entry points, each on its own host and budget
// ---------------------------------------------------------------------------

const E2E_LIVE_UNTIL: u32 = e2e_testutils::DEFAULT_LEDGER_SEQ + 50_000;

fn e2e_ledger_info() -> LedgerInfo {
    LedgerInfo {
        protocol_version: PROTOCOL,
        ..e2e_testutils::default_ledger_info()
    }
}

fn ttl_entry(key: &LedgerKey, live_until: u32) -> TtlEntry {
    TtlEntry {
        key_hash: Hash(e2e_testutils::get_wasm_hash(&to_xdr(key))),
        live_until_ledger_seq: live_until,
    }
}

fn resources(read_only: Vec<LedgerKey>, read_write: Vec<LedgerKey>) -> SorobanResources {
    SorobanResources {
        footprint: LedgerFootprint {
            read_only: read_only.try_into().expect("footprint"),
            read_write: read_write.try_into().expect("footprint"),
        },
        instructions: 100_000_000,
        disk_read_bytes: 1_000_000,
        write_bytes: 1_000_000,
    }
}

/// One enforcing-mode transaction through `e2e_invoke::invoke_host_function`.
fn e2e_tx(
    host_fn: &HostFunction,
    resources: &SorobanResources,
    auth: &[SorobanAuthorizationEntry],
    entries: &[(LedgerKey, LedgerEntry)],
    budget: &Budget,
) -> Result<InvokeHostFunctionResult, HostError> {
    let source = e2e_testutils::get_account_id([123; 32]);
    let auth: Vec<Vec<u8>> = auth.iter().map(to_xdr).collect();
    let encoded_entries: Vec<Vec<u8>> = entries.iter().map(|(_, e)| to_xdr(e)).collect();
    let ttls: Vec<Vec<u8>> = entries
        .iter()
        .map(|(k, _)| to_xdr(&ttl_entry(k, E2E_LIVE_UNTIL)))
        .collect();
    e2e_invoke::invoke_host_function(
        budget,
        false,
        to_xdr(host_fn),
        to_xdr(resources),
        &[],
        to_xdr(&source),
        auth.into_iter(),
        e2e_ledger_info(),
        encoded_entries.into_iter(),
        ttls.into_iter(),
        vec![0u8; 32],
        &mut Vec::new(),
        None,
        None,
    )
}

fn render_e2e(res: &Result<InvokeHostFunctionResult, HostError>) -> String {
    let res = match res {
        Ok(r) => r,
        Err(e) => return render_err(e),
    };
    let result = match &res.encoded_invoke_result {
        Ok(bytes) => format!(
            "{:?}",
            ScVal::from_xdr(bytes, Limits::none()).expect("result XDR")
        ),
        Err(e) => render_err(e),
    };
    let changes: Vec<String> = res
        .ledger_changes
        .iter()
        .map(|c| {
            format!(
                "{{ro={} key={:?} old_size={} new={} new_size={} ttl={:?}}}",
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
        .collect();
    let events: Vec<String> = res
        .encoded_contract_events
        .iter()
        .map(|e| {
            format!(
                "{:?}",
                ContractEvent::from_xdr(e, Limits::none()).expect("event XDR")
            )
        })
        .collect();
    format!("result={result} changes={changes:?} events={events:?}")
}

fn render_recording(res: &Result<InvokeHostFunctionRecordingModeResult, HostError>) -> String {
    match res {
        Err(e) => render_err(e),
        Ok(r) => {
            let result = match &r.invoke_result {
                Ok(v) => format!("{v:?}"),
                Err(e) => render_err(e),
            };
            let changes: Vec<String> = r
                .ledger_changes
                .iter()
                .map(|c| {
                    format!(
                        "{{ro={} key_sha256={} new={} ttl={:?}}}",
                        c.read_only,
                        digest(&c.encoded_key),
                        c.encoded_new_value
                            .as_ref()
                            .map_or("none".to_string(), |v| digest(v)),
                        c.ttl_change,
                    )
                })
                .collect();
            format!(
                "result={result} resources={:?} restored={:?} auth={:?} changes={changes:?} \
                 events={:?} events_and_return_size={}",
                r.resources,
                r.restored_rw_entry_indices,
                r.auth,
                r.contract_events,
                r.contract_events_and_return_value_size,
            )
        }
    }
}

fn fresh_budget() -> Budget {
    let budget = Budget::default();
    budget.reset_unlimited().expect("unlimited budget");
    budget
}

fn e2e_operations(run: &mut Run) {
    let source = e2e_testutils::get_account_id([123; 32]);
    let code_key = e2e_testutils::get_wasm_key(FOLLOWER_V1);
    let code = (code_key.clone(), e2e_testutils::wasm_entry(FOLLOWER_V1));

    // Upload.
    let budget = fresh_budget();
    let res = e2e_tx(
        &e2e_testutils::upload_wasm_host_fn(FOLLOWER_V1),
        &resources(vec![], vec![code_key.clone()]),
        &[],
        &[],
        &budget,
    );
    run.external("e2e: upload v1", &budget, render_e2e(&res));

    // CreateContract (V1 args), CreateContractV2HostFn auth: upstream's
    // e2e_testutils shape.
    let data = e2e_testutils::CreateContractData::new([20; 32], FOLLOWER_V1);
    let budget = fresh_budget();
    let res = e2e_tx(
        &data.host_fn,
        &resources(vec![code_key.clone()], vec![data.contract_key.clone()]),
        std::slice::from_ref(&data.auth_entry),
        std::slice::from_ref(&code),
        &budget,
    );
    run.external(
        "e2e: CreateContract, SourceAccount CreateContractV2HostFn auth",
        &budget,
        render_e2e(&res),
    );

    // CreateContractV2, CreateContractHostFn (V1) auth entry.
    let preimage = ContractIdPreimage::Address(ContractIdPreimageFromAddress {
        address: ScAddress::Account(source.clone()),
        salt: Uint256([21; 32]),
    });
    let instance_key = LedgerKey::ContractData(soroban_env_host::xdr::LedgerKeyContractData {
        contract: ScAddress::Contract(ContractId(Hash(e2e_testutils::get_contract_id_hash(
            &preimage,
        )))),
        key: ScVal::LedgerKeyContractInstance,
        durability: soroban_env_host::xdr::ContractDataDurability::Persistent,
    });
    let exec = ContractExecutable::Wasm(wasm_hash(FOLLOWER_V1));
    let auth = source_account_auth(SorobanAuthorizedFunction::CreateContractHostFn(
        CreateContractArgs {
            contract_id_preimage: preimage.clone(),
            executable: exec.clone(),
        },
    ));
    let host_fn = HostFunction::CreateContractV2(CreateContractArgsV2 {
        contract_id_preimage: preimage.clone(),
        executable: exec.clone(),
        constructor_args: Default::default(),
    });
    let budget = fresh_budget();
    let res = e2e_tx(
        &host_fn,
        &resources(vec![code_key.clone()], vec![instance_key.clone()]),
        &[auth],
        std::slice::from_ref(&code),
        &budget,
    );
    run.external(
        "e2e: CreateContractV2, SourceAccount CreateContractHostFn auth",
        &budget,
        render_e2e(&res),
    );

    // Auth for another executable: refused.
    let budget = fresh_budget();
    let wrong = create_v2_auth(&preimage, FOLLOWER_V2);
    let res = e2e_tx(
        &host_fn,
        &resources(vec![code_key.clone()], vec![instance_key.clone()]),
        &[wrong],
        std::slice::from_ref(&code),
        &budget,
    );
    run.external(
        "e2e: CreateContractV2, auth names another executable",
        &budget,
        render_e2e(&res),
    );

    // Invoke the created contract.
    let contract = (data.contract_key.clone(), data.contract_entry.clone());
    let invoke = |f: &str, a: Vec<ScVal>| {
        HostFunction::InvokeContract(InvokeContractArgs {
            contract_address: data.contract_address.clone(),
            function_name: sc_symbol(f),
            args: a.try_into().expect("args"),
        })
    };
    let budget = fresh_budget();
    let res = e2e_tx(
        &invoke("hello", vec![ScVal::U32(41)]),
        &resources(vec![data.contract_key.clone(), code_key.clone()], vec![]),
        &[],
        &[contract.clone(), code.clone()],
        &budget,
    );
    run.external("e2e: invoke hello(41)", &budget, render_e2e(&res));

    let data_key = LedgerKey::ContractData(soroban_env_host::xdr::LedgerKeyContractData {
        contract: data.contract_address.clone(),
        key: ScVal::Symbol(sc_symbol("k")),
        durability: soroban_env_host::xdr::ContractDataDurability::Persistent,
    });
    let budget = fresh_budget();
    let res = e2e_tx(
        &invoke("put", vec![ScVal::Symbol(sc_symbol("k")), ScVal::U32(9)]),
        &resources(
            vec![data.contract_key.clone(), code_key.clone()],
            vec![data_key],
        ),
        &[],
        &[contract.clone(), code.clone()],
        &budget,
    );
    run.external("e2e: invoke put(k, 9)", &budget, render_e2e(&res));

    // Simulation (recording footprint and auth) of a create and a call.
    let snapshot: Rc<dyn SnapshotSource> = Rc::new(MockSnapshotSource::from_entries(vec![
        (code.1.clone(), Some(E2E_LIVE_UNTIL)),
        (contract.1.clone(), Some(E2E_LIVE_UNTIL)),
    ]));
    let simulate = |host_fn: &HostFunction, budget: &Budget| {
        e2e_invoke::invoke_host_function_in_recording_mode(
            budget,
            false,
            host_fn,
            &source,
            e2e_invoke::RecordingInvocationAuthMode::recording(true, false),
            e2e_ledger_info(),
            snapshot.clone(),
            [0u8; 32],
            &mut Vec::new(),
        )
    };
    let budget = fresh_budget();
    let res = simulate(&host_fn, &budget);
    run.external(
        "e2e simulation: CreateContractV2, recording auth",
        &budget,
        render_recording(&res),
    );
    let budget = fresh_budget();
    let res = simulate(
        &invoke("put", vec![ScVal::Symbol(sc_symbol("k")), ScVal::U32(9)]),
        &budget,
    );
    run.external(
        "e2e simulation: invoke put(k, 9)",
        &budget,
        render_recording(&res),
    );
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

/// The non-zero counters of `costs`, by cost type name, as
/// `[iterations, inputs, cpu, mem]` (the differential reports' form, which
/// the test kit's drift reporter reads).
fn costs_to_json(costs: &[Cost]) -> Value {
    let mut out = Map::new();
    for c in costs {
        if c.iterations != 0 || c.inputs != 0 || c.cpu != 0 || c.mem != 0 {
            out.insert(
                c.cost_type.clone(),
                json!([c.iterations, c.inputs, c.cpu, c.mem]),
            );
        }
    }
    Value::Object(out)
}

/// The inverse of [`costs_to_json`], in XDR order; `all` lists every cost
/// type (zeros included), as the budget totals do.
fn costs_from_json(v: &Value, all: bool) -> Vec<Cost> {
    let map = v
        .as_object()
        .unwrap_or_else(|| panic!("JSON costs are not an object: {v}"));
    ContractCostType::VARIANTS
        .iter()
        .filter_map(|ty| {
            let name = ty.name();
            let counters = match map.get(name) {
                Some(c) => {
                    let n = |k: usize| {
                        c[k].as_u64()
                            .unwrap_or_else(|| panic!("JSON cost {name} is not 4 u64s"))
                    };
                    [n(0), n(1), n(2), n(3)]
                }
                None if all => [0; 4],
                None => return None,
            };
            Some(Cost {
                cost_type: name.to_string(),
                iterations: counters[0],
                inputs: counters[1],
                cpu: counters[2],
                mem: counters[3],
            })
        })
        .collect()
}

fn str_field(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("JSON field `{k}` is not a string"))
        .to_string()
}

fn u64_field(v: &Value, k: &str) -> u64 {
    v[k].as_u64()
        .unwrap_or_else(|| panic!("JSON field `{k}` is not a u64"))
}

fn array_field<'v>(v: &'v Value, k: &str) -> &'v Vec<Value> {
    v[k].as_array()
        .unwrap_or_else(|| panic!("JSON field `{k}` is not an array"))
}

/// The report as JSON: a deterministic document (arrays keep the
/// workload's order), in the form of the differential reports (`op`, `cpu`,
/// `mem`, `costs` by cost type; `totals`, `storage`, `events`), so that one
/// reporter (`extref_testkit::drift`) compares both.
pub fn to_json(r: &Report) -> Value {
    json!({
        "host": r.host,
        "protocol": r.protocol,
        "ops": r.ops.iter().map(|o| json!({
            "op": o.name,
            "result": o.result,
            "cpu": o.cpu_insns,
            "mem": o.mem_bytes,
            "costs": costs_to_json(&o.costs),
        })).collect::<Vec<_>>(),
        "totals": {
            "cpu": r.total_cpu_insns,
            "mem": r.total_mem_bytes,
            "costs": costs_to_json(&r.totals),
        },
        "storage": r.final_storage,
        "events": r.final_events,
    })
}

/// The inverse of [`to_json`]; panics on a malformed document.
pub fn from_json(v: &Value) -> Report {
    let strings = |k: &str| -> Vec<String> {
        array_field(v, k)
            .iter()
            .map(|s| s.as_str().expect("string").to_string())
            .collect()
    };
    let totals = &v["totals"];
    Report {
        host: str_field(v, "host"),
        protocol: u64_field(v, "protocol") as u32,
        ops: array_field(v, "ops")
            .iter()
            .map(|o| OpRecord {
                name: str_field(o, "op"),
                result: str_field(o, "result"),
                cpu_insns: u64_field(o, "cpu"),
                mem_bytes: u64_field(o, "mem"),
                costs: costs_from_json(&o["costs"], false),
            })
            .collect(),
        total_cpu_insns: u64_field(totals, "cpu"),
        total_mem_bytes: u64_field(totals, "mem"),
        totals: costs_from_json(&totals["costs"], true),
        final_storage: strings("storage"),
        final_events: strings("events"),
    }
}
