//! The scenario a network goes through when it takes the fork: a protocol upgrade on one
//! ledger. Protocol-27 traffic first (and ExternalRef refused, as core would see it), then
//! `upgrades?mode=set&protocolversion=28` on the same state and module cache, then a
//! manager, a factory and a fleet of followers, follower calls and a fleet upgrade, with
//! real fees throughout, and the module cache kept as core keeps it.

use serde_json::json;
use soroban_env_host::{
    xdr::{
        AccountId, ContractExecutable, CreateContractArgsV2, Hash, HostFunction,
        InvokeContractArgs, LedgerEntryData, LedgerKey, PublicKey, ScAddress, ScError, ScErrorCode,
        ScVal, SorobanAuthorizationEntry, SorobanAuthorizedFunction, SorobanAuthorizedInvocation,
        SorobanCredentials, Uint256,
    },
    HostError, LedgerInfo,
};

use crate::network::{config_entries, settings};
use crate::node::{Applied, Fee, Node, Tx};
use crate::xdr_bytes::{
    address_preimage, code_key, contract_address, data_key, external_ref, instance_key, sha256,
    symbol, wasm_ref_key,
};

pub const FOLLOWER_V1: &[u8] = include_bytes!("../../../tests/fixtures/follower_v1.wasm");
pub const FOLLOWER_V2: &[u8] = include_bytes!("../../../tests/fixtures/follower_v2.wasm");
pub const MANAGER: &[u8] = include_bytes!("../../../tests/fixtures/manager.wasm");
pub const FACTORY: &[u8] = include_bytes!("../../../tests/fixtures/factory.wasm");

/// Followers in the fleet.
pub const FOLLOWERS: usize = 4;
/// The manager's reference the fleet follows.
pub const KEY: &str = "fleet";
/// The ledger the scenario starts at.
pub const FIRST_LEDGER: u32 = 1_000;

/// What happened, with the fees charged (stroops) and the host's metering.
#[derive(Debug, Default)]
pub struct Report {
    pub steps: Vec<Step>,
    /// Checks made along the way, each `(what, held)`; the test asserts them all.
    pub checks: Vec<(String, bool)>,
    /// Module cache contents at the points core maintains it.
    pub cache: Vec<(String, Vec<(String, bool)>)>,
}

#[derive(Debug)]
pub struct Step {
    pub protocol: u32,
    pub name: String,
    pub ok: bool,
    pub error: Option<ScError>,
    pub fee: Fee,
    pub cpu_insns: u64,
    pub mem_bytes: u64,
    pub vm_instantiation_cpu: u64,
    /// Rent of particular entries written by the step: `(entry, stroops)`.
    pub rents: Vec<(String, i64)>,
}

impl Report {
    pub fn step(&self, name: &str) -> &Step {
        self.steps
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no step {name}"))
    }

    fn check(&mut self, what: impl Into<String>, held: bool) {
        self.checks.push((what.into(), held));
    }

    pub fn failed_checks(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(w, _)| w.as_str())
            .collect()
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "steps": self.steps.iter().map(|s| json!({
                "protocol": s.protocol,
                "name": s.name,
                "ok": s.ok,
                "error": s.error.as_ref().map(|e| format!("{e:?}")),
                "fee_total": s.fee.total(),
                "fee_non_refundable": s.fee.non_refundable,
                "fee_events": s.fee.events,
                "fee_rent": s.fee.rent,
                "instructions": s.fee.instructions,
                "write_entries": s.fee.write_entries,
                "write_bytes": s.fee.write_bytes,
                "tx_size_bytes": s.fee.tx_size_bytes,
                "cpu_insns": s.cpu_insns,
                "mem_bytes": s.mem_bytes,
                "vm_instantiation_cpu": s.vm_instantiation_cpu,
                "rents": s.rents.iter().map(|(k, v)| json!({"entry": k, "stroops": v})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "checks": self.checks.iter().map(|(w, ok)| json!({"check": w, "held": ok})).collect::<Vec<_>>(),
        })
    }

    /// A fixed-width table of the steps.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:>5}  {:<40} {:>10} {:>12} {:>9} {:>9} {:>12}\n",
            "proto", "step", "result", "cpu insns", "fee", "rent", "total fee"
        );
        for s in &self.steps {
            let result = match &s.error {
                None => "ok".to_string(),
                Some(e) => format!("{e:?}"),
            };
            out.push_str(&format!(
                "{:>5}  {:<40} {:>10} {:>12} {:>9} {:>9} {:>12}\n",
                s.protocol,
                s.name,
                if result.len() > 10 {
                    &result[..10]
                } else {
                    &result
                },
                s.cpu_insns,
                s.fee.non_refundable + s.fee.events,
                s.fee.rent,
                s.fee.total()
            ));
        }
        out
    }
}

/// The rows of `docs/embedding.md`'s fee table: the document's label, and the step it
/// quotes. `Report::fee_table` renders them; the embedder test requires the document to
/// hold exactly that table.
pub const FEE_TABLE: &[(&str, &str)] = &[
    ("plain Wasm contract `version()`", "p28 call plain version()"),
    (
        "follower `version()` (ExternalRef)",
        "p28 call follower version()",
    ),
    (
        "fleet upgrade `set_ref(fleet, v2)`, any fleet size",
        "p28 fleet upgrade set_ref(fleet, v2)",
    ),
    (
        "first `set_ref(fleet, v1)` (creates the ref entry)",
        "p28 manager set_ref(fleet, v1)",
    ),
    (
        "factory deploys its first follower",
        "p28 factory deploy follower 0",
    ),
    (
        "create a plain Wasm contract at 27 (tx, same Wasm)",
        "p27 create plain Wasm contract",
    ),
    (
        "ExternalRef create at protocol 27, host-level (a real node's queue refuses it first, fee 0)",
        "p27 create ExternalRef follower",
    ),
];

/// `1234567` as `1,234,567`, as the documents quote figures.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

impl Report {
    /// `docs/embedding.md`'s fee table (markdown), from this run: each row of
    /// [`FEE_TABLE`] with the step's declared instructions, transaction size, resource fee
    /// (non-refundable plus events), rent and total fee charged, in stroops.
    pub fn fee_table(&self) -> String {
        let mut out = String::from(
            "| transaction | instructions | tx bytes | resource fee | rent | total |\n\
             | --- | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for (label, step) in FEE_TABLE {
            let s = self.step(step);
            out.push_str(&format!(
                "| {label} | {} | {} | {} | {} | {} |\n",
                thousands(s.fee.instructions.into()),
                thousands(s.fee.tx_size_bytes.into()),
                thousands(s.fee.non_refundable + s.fee.events),
                thousands(s.fee.rent),
                thousands(s.fee.total()),
            ));
        }
        out
    }
}

fn account(seed: u8) -> AccountId {
    AccountId(PublicKey::PublicKeyTypeEd25519(Uint256([seed; 32])))
}

fn invoke(contract: &ScAddress, function: &str, args: Vec<ScVal>) -> HostFunction {
    HostFunction::InvokeContract(invoke_args(contract, function, args))
}

fn invoke_args(contract: &ScAddress, function: &str, args: Vec<ScVal>) -> InvokeContractArgs {
    InvokeContractArgs {
        contract_address: contract.clone(),
        function_name: symbol(function),
        args: args.try_into().expect("few args"),
    }
}

/// The auth entry of the transaction's source account (covered by the transaction's
/// own signature) for `function` at the root of the call tree.
fn source_auth(function: SorobanAuthorizedFunction) -> SorobanAuthorizationEntry {
    SorobanAuthorizationEntry {
        credentials: SorobanCredentials::SourceAccount,
        root_invocation: SorobanAuthorizedInvocation {
            function,
            sub_invocations: Default::default(),
        },
    }
}

fn bytes32(b: &[u8; 32]) -> ScVal {
    ScVal::Bytes(b.to_vec().try_into().expect("32 bytes"))
}

/// The state the scenario builds, and the node it runs on.
struct Run {
    node: Node,
    report: Report,
    source: ScAddress,
}

impl Run {
    fn record(&mut self, name: &str, applied: &Applied, rents: &[(&str, &LedgerKey)]) {
        let rents = rents
            .iter()
            .map(|(what, key)| (what.to_string(), applied.rent_of(&self.node, key)))
            .collect();
        self.report.steps.push(Step {
            protocol: self.node.info.protocol_version,
            name: name.to_string(),
            ok: applied.result.is_ok(),
            error: applied.result.as_ref().err().cloned(),
            fee: applied.fee.clone(),
            cpu_insns: applied.cpu_insns,
            mem_bytes: applied.mem_bytes,
            vm_instantiation_cpu: applied.vm_instantiation.0,
            rents,
        });
    }

    fn apply(&mut self, name: &str, tx: Tx) -> Result<Applied, HostError> {
        let applied = self.node.apply(&tx)?;
        self.record(name, &applied, &[]);
        Ok(applied)
    }

    fn cache_snapshot(&mut self, when: &str, codes: &[(&str, &Hash)]) {
        let state = codes
            .iter()
            .map(|(n, h)| (n.to_string(), self.node.cache_contains(h)))
            .collect();
        self.report.cache.push((when.to_string(), state));
    }

    fn upload(&mut self, name: &str, wasm: &[u8]) -> Result<(Hash, Applied), HostError> {
        let hash = Hash(sha256(wasm));
        let tx = Tx::new(
            HostFunction::UploadContractWasm(wasm.to_vec().try_into().expect("wasm fits")),
            vec![],
            vec![code_key(&hash)],
        );
        let applied = self.apply(name, tx)?;
        Ok((hash, applied))
    }

    /// Creates a contract deployed by the source account with `salt`.
    fn create(
        &mut self,
        name: &str,
        executable: ContractExecutable,
        salt: u8,
        args: Vec<ScVal>,
        read_only: Vec<LedgerKey>,
    ) -> Result<(ScAddress, Applied), HostError> {
        let preimage = address_preimage(&self.source, [salt; 32]);
        let address = contract_address(self.node.info.network_id, &preimage);
        let create = CreateContractArgsV2 {
            contract_id_preimage: preimage,
            executable,
            constructor_args: args.try_into().expect("few args"),
        };
        let tx = Tx::new(
            HostFunction::CreateContractV2(create.clone()),
            read_only,
            vec![instance_key(&address)],
        )
        .with_auth(source_auth(
            SorobanAuthorizedFunction::CreateContractV2HostFn(create),
        ));
        let applied = self.node.apply(&tx)?;
        let key = instance_key(&address);
        self.record(name, &applied, &[("instance", &key)]);
        Ok((address, applied))
    }
}

/// Runs the scenario. Host errors are the API's own failures (which a validator treats as
/// fatal); contract-level failures are results, checked in [`Report::checks`].
pub fn run() -> Result<Report, HostError> {
    let network_id = sha256(b"soroban-extref embedder network ; 2026");
    let info = LedgerInfo {
        protocol_version: 27,
        sequence_number: FIRST_LEDGER,
        timestamp: 1_790_000_000,
        network_id,
        base_reserve: 5_000_000,
        min_temp_entry_ttl: settings::MIN_TEMPORARY_TTL,
        min_persistent_entry_ttl: settings::MIN_PERSISTENT_TTL,
        max_entry_ttl: settings::MAX_ENTRY_TTL,
    };
    let source_id = account(7);
    let node = Node::start(info, config_entries()?, vec![], source_id.clone())?;
    let mut run = Run {
        node,
        report: Report::default(),
        source: ScAddress::Account(source_id),
    };

    // ---- Protocol 27: ordinary traffic on the fork, exactly as upstream 27 serves it.
    let (v1, applied) = run.upload("p27 upload follower v1", FOLLOWER_V1)?;
    run.report
        .check("p27: a protocol-27 Wasm uploads", applied.result.is_ok());
    run.node.close_ledger();

    // A restart: the node compiles every live contract when it starts.
    let stopped = run.node.stop();
    run.node = Node::start(
        stopped.info,
        stopped.network_entries,
        stopped.entries,
        stopped.source,
    )?;
    run.cache_snapshot("after a restart at protocol 27", &[("follower v1", &v1)]);
    let restarted = run.node.cache_contains(&v1);
    run.report
        .check("the module cache is compiled at start", restarted);

    let (plain, applied) = run.create(
        "p27 create plain Wasm contract",
        ContractExecutable::Wasm(v1.clone()),
        1,
        vec![],
        vec![code_key(&v1)],
    )?;
    run.report
        .check("p27: create a Wasm contract", applied.result.is_ok());
    let plain_ro = vec![instance_key(&plain), code_key(&v1)];
    let applied = run.apply(
        "p27 call plain version()",
        Tx::new(invoke(&plain, "version", vec![]), plain_ro.clone(), vec![]),
    )?;
    run.report.check(
        "p27: the plain contract runs v1",
        applied.result == Ok(ScVal::U32(1)),
    );

    // An ExternalRef create decodes (core's C++ knows the arm from the .x diff) and is
    // refused by the host at 27, changing nothing.
    let preimage = address_preimage(&run.source, [2; 32]);
    let would_be = contract_address(network_id, &preimage);
    let create = CreateContractArgsV2 {
        contract_id_preimage: preimage,
        executable: external_ref(&plain, KEY),
        constructor_args: Default::default(),
    };
    let applied = run.apply(
        "p27 create ExternalRef follower",
        Tx::new(
            HostFunction::CreateContractV2(create.clone()),
            vec![wasm_ref_key(&plain, KEY)],
            vec![instance_key(&would_be)],
        )
        .with_auth(source_auth(
            SorobanAuthorizedFunction::CreateContractV2HostFn(create),
        )),
    )?;
    run.report.check(
        "p27: an ExternalRef create is refused with (Value, InvalidInput)",
        applied.result == Err(ScError::Value(ScErrorCode::InvalidInput)),
    );
    run.report.check(
        "p27: the refused create wrote nothing",
        run.node.get(&instance_key(&would_be)).is_none() && applied.changes.is_empty(),
    );
    run.report.check(
        "p27: a refused transaction still pays its non-refundable fee",
        applied.fee.non_refundable > 0 && applied.fee.rent == 0,
    );
    // Code built against the fork's env (interface 28) cannot be uploaded at 27.
    let (manager_hash, applied) = run.upload("p27 upload manager (interface 28)", MANAGER)?;
    run.report.check(
        "p27: a protocol-28 Wasm is refused at upload with (WasmVm, InvalidInput)",
        applied.result == Err(ScError::WasmVm(ScErrorCode::InvalidInput))
            && run.node.get(&code_key(&manager_hash)).is_none(),
    );

    // ---- The upgrade: same ledger state, same module cache.
    run.node.upgrade_protocol(28);
    run.cache_snapshot("after the upgrade to 28", &[("follower v1", &v1)]);
    let kept = run.node.cache_contains(&v1);
    run.report
        .check("the module cache survives the upgrade", kept);

    // ---- Protocol 28.
    let (v2, _) = run.upload("p28 upload follower v2", FOLLOWER_V2)?;
    let (manager_hash, applied) = run.upload("p28 upload manager", MANAGER)?;
    run.report
        .check("p28: the manager uploads", applied.result.is_ok());
    let (factory_hash, _) = run.upload("p28 upload factory", FACTORY)?;
    run.cache_snapshot(
        "after the uploads at 28",
        &[
            ("follower v1", &v1),
            ("follower v2", &v2),
            ("manager", &manager_hash),
            ("factory", &factory_hash),
        ],
    );
    let uploads_cached = [&v2, &manager_hash, &factory_hash]
        .iter()
        .all(|h| run.node.cache_contains(h));
    run.report
        .check("uploads join the module cache", uploads_cached);

    // The manager: admin = the source account, no timelock.
    let (manager, applied) = run.create(
        "p28 create manager",
        ContractExecutable::Wasm(manager_hash.clone()),
        3,
        vec![ScVal::Address(run.source.clone()), ScVal::U32(0)],
        vec![code_key(&manager_hash)],
    )?;
    run.report
        .check("p28: create the manager", applied.result.is_ok());
    let ref_key = wasm_ref_key(&manager, KEY);
    // The manager's bookkeeping `set_ref` reads: the key's canary and pause marker
    // (`DataKey::Canary(key)`, `DataKey::Paused(key)`), absent here.
    let manager_key = |case: &str| {
        data_key(
            &manager,
            ScVal::Vec(Some(
                vec![ScVal::Symbol(symbol(case)), ScVal::Symbol(symbol(KEY))]
                    .try_into()
                    .expect("two"),
            )),
        )
    };
    let (canary_key, paused_key) = (manager_key("Canary"), manager_key("Paused"));
    let set_ref = |hash: &Hash| {
        let args = vec![ScVal::Symbol(symbol(KEY)), bytes32(&hash.0)];
        Tx::new(
            invoke(&manager, "set_ref", args.clone()),
            vec![
                instance_key(&manager),
                code_key(&manager_hash),
                canary_key.clone(),
                paused_key.clone(),
                code_key(hash),
            ],
            vec![ref_key.clone()],
        )
        .with_auth(source_auth(SorobanAuthorizedFunction::ContractFn(
            invoke_args(&manager, "set_ref", args),
        )))
    };
    let applied = run.node.apply(&set_ref(&v1))?;
    run.record(
        "p28 manager set_ref(fleet, v1)",
        &applied,
        &[("ref entry", &ref_key)],
    );
    run.report
        .check("p28: the manager sets its ref", applied.result.is_ok());
    run.report.check(
        "p28: the ref entry holds v1's hash",
        matches!(run.node.get(&ref_key).map(|e| &e.data),
            Some(LedgerEntryData::ContractData(d)) if d.val == bytes32(&v1.0)),
    );
    run.report.check(
        "p28: the new ref entry lives the minimum persistent TTL",
        run.node.live_until(&ref_key)
            == Some(run.node.info.sequence_number + settings::MIN_PERSISTENT_TTL - 1),
    );

    let (factory, _) = run.create(
        "p28 create factory",
        ContractExecutable::Wasm(factory_hash.clone()),
        4,
        vec![],
        vec![code_key(&factory_hash)],
    )?;

    // The fleet, deployed by the factory (the factory is the deployer: no auth needed).
    let mut followers = Vec::new();
    for i in 0..FOLLOWERS {
        let salt = [10 + i as u8; 32];
        let address = contract_address(network_id, &address_preimage(&factory, salt));
        let tx = Tx::new(
            invoke(
                &factory,
                "deploy",
                vec![
                    ScVal::Address(manager.clone()),
                    ScVal::Symbol(symbol(KEY)),
                    bytes32(&salt),
                ],
            ),
            vec![
                instance_key(&factory),
                code_key(&factory_hash),
                ref_key.clone(),
                code_key(&v1),
            ],
            vec![instance_key(&address)],
        );
        let applied = run.node.apply(&tx)?;
        run.record(
            &format!("p28 factory deploy follower {i}"),
            &applied,
            &[("follower instance", &instance_key(&address))],
        );
        run.report.check(
            format!("p28: the factory deploys follower {i} at its derived address"),
            applied.result == Ok(ScVal::Address(address.clone())),
        );
        followers.push(address);
    }
    let follower_ro =
        |f: &ScAddress, code: &Hash| vec![instance_key(f), ref_key.clone(), code_key(code)];

    // Follower traffic, and the same call on the plain Wasm contract for comparison.
    for (i, f) in followers.iter().enumerate() {
        let slot = data_key(f, ScVal::Symbol(symbol("n")));
        let applied = run.apply(
            &format!("p28 follower {i} put(n, {})", 10 * i),
            Tx::new(
                invoke(
                    f,
                    "put",
                    vec![ScVal::Symbol(symbol("n")), ScVal::U32(10 * i as u32)],
                ),
                follower_ro(f, &v1),
                vec![slot],
            ),
        )?;
        run.report
            .check(format!("p28: follower {i} stores"), applied.result.is_ok());
    }
    let applied = run.apply(
        "p28 call plain version()",
        Tx::new(invoke(&plain, "version", vec![]), plain_ro.clone(), vec![]),
    )?;
    run.report.check(
        "p28: the plain contract still runs v1",
        applied.result == Ok(ScVal::U32(1)),
    );
    let applied = run.apply(
        "p28 call follower version()",
        Tx::new(
            invoke(&followers[0], "version", vec![]),
            follower_ro(&followers[0], &v1),
            vec![],
        ),
    )?;
    run.report.check(
        "p28: a follower runs v1",
        applied.result == Ok(ScVal::U32(1)),
    );

    // The fleet upgrade: one transaction.
    let applied = run.node.apply(&set_ref(&v2))?;
    run.record(
        "p28 fleet upgrade set_ref(fleet, v2)",
        &applied,
        &[("ref entry", &ref_key)],
    );
    run.report
        .check("p28: the fleet upgrade applies", applied.result.is_ok());
    run.report.check(
        "p28: the upgrade emits one event (wasm_ref_updated)",
        applied.events.len() == 1,
    );
    for (i, f) in followers.iter().enumerate() {
        let applied = run.apply(
            &format!("p28 follower {i} version() after upgrade"),
            Tx::new(invoke(f, "version", vec![]), follower_ro(f, &v2), vec![]),
        )?;
        run.report.check(
            format!("p28: follower {i} runs v2 after one upgrade transaction"),
            applied.result == Ok(ScVal::U32(2)),
        );
        let slot = data_key(f, ScVal::Symbol(symbol("n")));
        let applied = run.apply(
            &format!("p28 follower {i} bump(n) (v2 only)"),
            Tx::new(
                invoke(f, "bump", vec![ScVal::Symbol(symbol("n"))]),
                follower_ro(f, &v2),
                vec![slot],
            ),
        )?;
        run.report.check(
            format!("p28: follower {i} keeps its v1 state under v2"),
            applied.result == Ok(ScVal::U32(10 * i as u32 + 1)),
        );
    }
    let applied = run.apply(
        "p28 call plain version() again",
        Tx::new(invoke(&plain, "version", vec![]), plain_ro.clone(), vec![]),
    )?;
    run.report.check(
        "p28: a plain contract is not touched by the fleet upgrade",
        applied.result == Ok(ScVal::U32(1)),
    );

    // Eviction: everything the fleet needs is extended (ExtendFootprintTTL, core's own
    // operation), v1 and the plain contract are not; once their TTL runs out they are
    // archived and v1 leaves the module cache.
    let mut keep: Vec<LedgerKey> = vec![
        instance_key(&manager),
        code_key(&manager_hash),
        instance_key(&factory),
        code_key(&factory_hash),
        ref_key.clone(),
        code_key(&v2),
    ];
    for f in &followers {
        keep.push(instance_key(f));
        keep.push(data_key(f, ScVal::Symbol(symbol("n"))));
    }
    let rent = run.node.extend_ttl(&keep, settings::MAX_ENTRY_TTL - 1);
    run.report
        .check("extending the fleet's entries costs rent", rent > 0);
    let last = [code_key(&v1), instance_key(&plain)]
        .iter()
        .map(|k| run.node.live_until(k).expect("live"))
        .max()
        .expect("two");
    run.node.advance_to(last + 1);
    run.cache_snapshot(
        "after v1's eviction",
        &[("follower v1", &v1), ("follower v2", &v2)],
    );
    let evicted = !run.node.cache_contains(&v1)
        && run.node.is_archived(&code_key(&v1))
        && run.node.is_archived(&instance_key(&plain))
        && run.node.cache_contains(&v2);
    run.report.check(
        "evicted code leaves the module cache; live code stays",
        evicted,
    );
    let applied = run.apply(
        "p28 follower version() after eviction",
        Tx::new(
            invoke(&followers[0], "version", vec![]),
            follower_ro(&followers[0], &v2),
            vec![],
        ),
    )?;
    run.report.check(
        "p28: the fleet runs on after v1's eviction",
        applied.result == Ok(ScVal::U32(2)) && applied.vm_instantiation.0 == 0,
    );

    let stopped = run.node.stop();
    run.report.check(
        "the ledger holds the fleet at the end",
        stopped.entries.len() == keep.len(),
    );
    Ok(run.report)
}
