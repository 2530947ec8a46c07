//! R2: the fork's ExternalRef against upstream's own design, CAP-85, as
//! released in soroban-env-host 28.0.2 (the first release with it), both
//! hosts in this one binary (`cap85-host` is crates.io 28.0.2 under another
//! name, as stellar-core links several hosts).
//!
//! The same follower Wasm (`contracts/plain/follower`, soroban-sdk 27.0.6)
//! and call, `hello(41)`, through each host's `e2e_invoke::invoke_host_function`
//! with XDR inputs, an enforcing footprint and a warm module cache:
//! - `wasm`: a plain Wasm executable; footprint {instance, code};
//! - `control`: the same plus the reference entry in the footprint, unused;
//! - `external_ref`: a follower whose executable is the host's ExternalRef:
//!   on the fork `{manager, key: Symbol}` resolving the manager's
//!   `LedgerKeyWasmRef(key)` entry; on CAP-85 `{executable_owner, tag:
//!   String}` resolving the owner's `ExecutableTag(tag)` entry. Both entries
//!   are persistent contract data holding the 32-byte hash, set up directly
//!   as ledger entries.
//!
//! Metering is reported under three cost models, because the hosts' default
//! models differ (28.0.2 recalibrated `ValDeser` from 59,052 + 31/byte CPU to
//! 331 + 34/byte): each host's own default, and both hosts under 27.0.1's and
//! under 28.0.2's. The models are read off each host's `Budget::default()` by
//! charging every cost type with inputs 0 and 128 (exact: the linear term is
//! fixed-point with 7 fraction bits), then passed as `ContractCostParams`,
//! as a network passes its configured ones.
//!
//! Inputs are encoded once; each timed run decodes them inside the host, as
//! stellar-core's apply does.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use extref_benches::{
    check_doc, count_mode, doc_table, markdown_table, paired, record, rounds, signed, test_mode,
    write_report, Metered,
};
use extref_testkit::fixtures::FOLLOWER_V1;
use extref_testkit::thousands;

/// `(const_term, linear_term)` per cost type, in XDR order: a cost model.
type Model = Vec<(i64, i64)>;

/// A cost model for CPU and one for memory.
#[derive(Clone)]
struct CostModel {
    name: &'static str,
    cpu: Model,
    mem: Model,
}

const CASES: [&str; 3] = ["wasm", "control", "external_ref"];
const HELLO_ARG: u32 = 41;
const REF_KEY: &str = "token";
const CPU_LIMIT: u64 = 100_000_000;
const MEM_LIMIT: u64 = 200 * 1024 * 1024;

/// Generates one host's driver; the two hosts' APIs differ only where noted.
macro_rules! common_driver {
    ($host:ident) => {
        use $host::{
            budget::{AsBudget, Budget},
            xdr::{
                AccountId, ContractCostParamEntry, ContractCostParams, ContractCostType,
                ContractDataDurability, ContractDataEntry, ContractExecutable, ContractId,
                ExtensionPoint, Hash, HostFunction, InvokeContractArgs, LedgerEntry,
                LedgerEntryData, LedgerEntryExt, LedgerFootprint, LedgerKey, LedgerKeyContractCode,
                LedgerKeyContractData, Limits, PublicKey, ReadXdr, ScAddress, ScContractInstance,
                ScSymbol, ScVal, SorobanResources, Uint256, WriteXdr,
            },
            CompilationContext, Error, ErrorHandler, HostError, LedgerInfo, ModuleCache, Val,
        };

        use crate::{CostModel, Metered, Model, CPU_LIMIT, HELLO_ARG, MEM_LIMIT};

        pub const PROTOCOL: u32 = 28;
        const LEDGER_SEQ: u32 = 1000;
        const LIVE_UNTIL: u32 = LEDGER_SEQ + 50_000;

        pub fn ledger_info() -> LedgerInfo {
            LedgerInfo {
                protocol_version: PROTOCOL,
                sequence_number: LEDGER_SEQ,
                timestamp: 12_345_678,
                network_id: [5; 32],
                base_reserve: 5_000_000,
                min_temp_entry_ttl: 16,
                min_persistent_entry_ttl: 100_000,
                max_entry_ttl: 10_000_000,
            }
        }

        pub fn to_xdr(v: &impl WriteXdr) -> Vec<u8> {
            v.to_xdr(Limits::none()).expect("encodes")
        }

        fn from_xdr<T: ReadXdr>(bytes: &[u8]) -> T {
            T::from_xdr(bytes, Limits::none()).expect("decodes")
        }

        pub fn contract(seed: u8) -> ScAddress {
            ScAddress::Contract(ContractId(Hash([seed; 32])))
        }

        fn source() -> AccountId {
            AccountId(PublicKey::PublicKeyTypeEd25519(Uint256([123; 32])))
        }

        fn entry(data: LedgerEntryData) -> LedgerEntry {
            LedgerEntry {
                last_modified_ledger_seq: 0,
                data,
                ext: LedgerEntryExt::V0,
            }
        }

        pub fn contract_data_key(contract: &ScAddress, key: ScVal) -> LedgerKey {
            LedgerKey::ContractData(LedgerKeyContractData {
                contract: contract.clone(),
                key,
                durability: ContractDataDurability::Persistent,
            })
        }

        pub fn contract_data(contract: &ScAddress, key: ScVal, val: ScVal) -> LedgerEntry {
            entry(LedgerEntryData::ContractData(ContractDataEntry {
                ext: ExtensionPoint::V0,
                contract: contract.clone(),
                key,
                durability: ContractDataDurability::Persistent,
                val,
            }))
        }

        pub fn instance_key(contract: &ScAddress) -> LedgerKey {
            contract_data_key(contract, ScVal::LedgerKeyContractInstance)
        }

        pub fn instance(contract: &ScAddress, executable: ContractExecutable) -> LedgerEntry {
            contract_data(
                contract,
                ScVal::LedgerKeyContractInstance,
                ScVal::ContractInstance(ScContractInstance {
                    executable,
                    storage: None,
                }),
            )
        }

        pub fn code_key(hash: &Hash) -> LedgerKey {
            LedgerKey::ContractCode(LedgerKeyContractCode { hash: hash.clone() })
        }

        pub fn hash_bytes(hash: &Hash) -> ScVal {
            ScVal::Bytes(hash.0.to_vec().try_into().expect("32 bytes"))
        }

        /// One transaction with everything the host decodes, pre-encoded.
        pub struct Prepared {
            host_fn: Vec<u8>,
            resources: Vec<u8>,
            source: Vec<u8>,
            entries: Vec<Encoded>,
        }

        pub fn hello_tx(
            ledger: &[(LedgerEntry, u32)],
            contract: &ScAddress,
            read_only: Vec<LedgerKey>,
        ) -> Prepared {
            let host_fn = HostFunction::InvokeContract(InvokeContractArgs {
                contract_address: contract.clone(),
                function_name: ScSymbol("hello".try_into().expect("symbol")),
                args: vec![ScVal::U32(HELLO_ARG)].try_into().expect("args"),
            });
            // In footprint order, as the 28 API requires (27 accepts any).
            let entries = read_only
                .iter()
                .map(|k| {
                    let (e, live_until) = ledger
                        .iter()
                        .find(|(e, _)| &key_of(e) == k)
                        .expect("footprint entries exist");
                    encode_entry(e, *live_until)
                })
                .collect();
            let resources = SorobanResources {
                footprint: LedgerFootprint {
                    read_only: read_only.try_into().expect("footprint"),
                    read_write: vec![].try_into().expect("footprint"),
                },
                instructions: CPU_LIMIT as u32,
                disk_read_bytes: 0,
                write_bytes: 0,
            };
            Prepared {
                host_fn: to_xdr(&host_fn),
                resources: to_xdr(&resources),
                source: to_xdr(&source()),
                entries,
            }
        }

        fn key_of(e: &LedgerEntry) -> LedgerKey {
            match &e.data {
                LedgerEntryData::ContractData(d) => {
                    LedgerKey::ContractData(LedgerKeyContractData {
                        contract: d.contract.clone(),
                        key: d.key.clone(),
                        durability: d.durability,
                    })
                }
                LedgerEntryData::ContractCode(c) => code_key(&c.hash),
                _ => unreachable!("only contract entries here"),
            }
        }

        /// The budget a network builds for a transaction from its configured
        /// cost parameters.
        pub fn budget(model: &CostModel) -> Budget {
            let params = |m: &Model| {
                let entries: Vec<ContractCostParamEntry> = m
                    .iter()
                    .map(|&(const_term, linear_term)| ContractCostParamEntry {
                        ext: ExtensionPoint::V0,
                        const_term,
                        linear_term,
                    })
                    .collect();
                ContractCostParams(entries.try_into().expect("cost params"))
            };
            Budget::try_from_configs(CPU_LIMIT, MEM_LIMIT, params(&model.cpu), params(&model.mem))
                .expect("budget from cost params")
        }

        /// This host's default cost model (`Budget::default()`), read off by
        /// charging each cost type with input 0 (the constant term) and 128
        /// (constant plus the fixed-point linear term, whose 7 fraction bits
        /// 128 cancels exactly). Cost types without an input are charged
        /// without one: their linear term is never used.
        pub fn default_model(name: &'static str) -> CostModel {
            let probe = |ty: ContractCostType, input: Option<u64>| {
                let b = Budget::default();
                b.reset_unlimited().expect("unlimited");
                b.charge(ty, input).expect("charge");
                let t = b.get_tracker(ty).expect("tracker");
                (t.cpu as i64, t.mem as i64)
            };
            let (mut cpu, mut mem) = (vec![], vec![]);
            for ty in ContractCostType::variants() {
                let takes_input = Budget::default()
                    .get_tracker(ty)
                    .expect("tracker")
                    .inputs
                    .is_some();
                let (c0, m0) = probe(ty, takes_input.then_some(0));
                let (c1, m1) = if takes_input {
                    probe(ty, Some(128))
                } else {
                    (c0, m0)
                };
                cpu.push((c0, c1 - c0));
                mem.push((m0, m1 - m0));
            }
            CostModel { name, cpu, mem }
        }

        pub fn metered(budget: &Budget) -> Metered {
            Metered {
                cpu: budget.get_cpu_insns_consumed().expect("cpu"),
                mem: budget.get_mem_bytes_consumed().expect("mem"),
                by_type: ContractCostType::variants()
                    .into_iter()
                    .map(|ty| {
                        let t = budget.get_tracker(ty).expect("tracker");
                        (format!("{ty:?}"), t.cpu, t.mem)
                    })
                    .collect(),
            }
        }

        /// The compilation context an embedder parses modules with.
        #[derive(Clone)]
        struct CompileContext(Budget);

        impl AsBudget for CompileContext {
            fn as_budget(&self) -> &Budget {
                &self.0
            }
        }

        impl ErrorHandler for CompileContext {
            fn map_err<T, E>(&self, res: Result<T, E>) -> Result<T, HostError>
            where
                Error: From<E>,
                E: std::fmt::Debug,
            {
                res.map_err(|e| HostError::from(Error::from(e)))
            }

            fn error(&self, error: Error, _msg: &str, _args: &[Val]) -> HostError {
                HostError::from(error)
            }
        }

        impl CompilationContext for CompileContext {}

        /// A warm module cache holding `wasm`, as stellar-core keeps one.
        pub fn module_cache(wasm: &[u8]) -> ModuleCache {
            let budget = Budget::default();
            budget.reset_unlimited().expect("unlimited");
            let ctx = CompileContext(budget);
            let cache = ModuleCache::new(&ctx).expect("module cache");
            cache
                .parse_and_cache_module_simple(&ctx, PROTOCOL, wasm)
                .expect("parse");
            cache
        }

        /// The ledger (the follower code, a plain Wasm follower, the
        /// manager's reference entry pointing at that code, an ExternalRef
        /// follower of it; all live) and the three transactions, in
        /// [`crate::CASES`] order.
        pub fn scenario() -> Vec<Prepared> {
            let manager = contract(0xaa);
            let plain = contract(0xb0);
            let follower = contract(0xf0);
            let code = code_entry(crate::FOLLOWER_V1);
            let LedgerEntryData::ContractCode(c) = &code.data else {
                unreachable!("a code entry")
            };
            let hash = c.hash.clone();
            let ref_key = contract_data_key(&manager, ref_key_val(crate::REF_KEY));
            let ledger = vec![
                (code, LIVE_UNTIL),
                (
                    instance(&plain, ContractExecutable::Wasm(hash.clone())),
                    LIVE_UNTIL,
                ),
                (
                    contract_data(&manager, ref_key_val(crate::REF_KEY), hash_bytes(&hash)),
                    LIVE_UNTIL,
                ),
                (
                    instance(&follower, external_ref(&manager, crate::REF_KEY)),
                    LIVE_UNTIL,
                ),
            ];
            vec![
                hello_tx(&ledger, &plain, vec![instance_key(&plain), code_key(&hash)]),
                hello_tx(
                    &ledger,
                    &plain,
                    vec![instance_key(&plain), ref_key.clone(), code_key(&hash)],
                ),
                hello_tx(
                    &ledger,
                    &follower,
                    vec![instance_key(&follower), ref_key, code_key(&hash)],
                ),
            ]
        }

        /// One metered application of `tx` under `model`.
        pub fn run(tx: &Prepared, model: &CostModel, cache: &ModuleCache) -> Metered {
            let b = budget(model);
            apply(tx, &b, cache);
            metered(&b)
        }

        /// One application under `Budget::default()`: checks that reading
        /// the default model off is exact.
        pub fn run_default(tx: &Prepared, cache: &ModuleCache) -> Metered {
            let b = Budget::default();
            apply(tx, &b, cache);
            metered(&b)
        }

        /// Asserts that every transaction meters the same under `model` as
        /// under `Budget::default()`: `model` is the default, read off exactly.
        pub fn assert_model_is_default(txs: &[Prepared], model: &CostModel, cache: &ModuleCache) {
            for (i, tx) in txs.iter().enumerate() {
                let (a, b) = (run(tx, model, cache), run_default(tx, cache));
                assert_eq!(
                    (a.cpu, a.mem),
                    (b.cpu, b.mem),
                    "{} {}: the model read off is not the default",
                    model.name,
                    crate::CASES[i]
                );
            }
        }

        /// Checks the call returned `HELLO_ARG + 1`.
        fn check_result(encoded: Result<Vec<u8>, HostError>) {
            let v: ScVal = from_xdr(&encoded.expect("hello succeeds"));
            assert_eq!(v, ScVal::U32(HELLO_ARG + 1));
        }
    };
}

/// The fork: soroban-env-host 27.0.1 + the soroban-extref series.
mod fork {
    common_driver!(soroban_env_host);

    use soroban_env_host::{e2e_invoke::invoke_host_function, xdr::ContractExecutableExternalRef};

    /// The 27.0.1 e2e API: each entry with its TTL entry, both as XDR.
    type Encoded = (Vec<u8>, Vec<u8>);

    fn encode_entry(e: &LedgerEntry, live_until: u32) -> Encoded {
        let ttl = extref_testkit::e2e::ttl_entry(&key_of(e), live_until);
        (to_xdr(e), to_xdr(&ttl))
    }

    pub fn external_ref(manager: &ScAddress, key: &str) -> ContractExecutable {
        ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
            manager: manager.clone(),
            key: ScSymbol(key.try_into().expect("symbol")),
        }))
    }

    pub fn ref_key_val(key: &str) -> ScVal {
        ScVal::LedgerKeyWasmRef(ScSymbol(key.try_into().expect("symbol")))
    }

    pub fn code_entry(wasm: &[u8]) -> LedgerEntry {
        extref_testkit::e2e::code_entry(wasm)
    }

    pub fn apply(tx: &Prepared, budget: &Budget, cache: &ModuleCache) {
        let (entries, ttls): (Vec<_>, Vec<_>) = tx.entries.iter().cloned().unzip();
        let no_auth: Vec<Vec<u8>> = vec![];
        let res = invoke_host_function(
            budget,
            false,
            &tx.host_fn,
            &tx.resources,
            &[],
            &tx.source,
            no_auth.iter(),
            ledger_info(),
            entries.iter(),
            ttls.iter(),
            &vec![0u8; 32],
            &mut vec![],
            None,
            Some(cache.clone()),
        )
        .expect("invoke_host_function");
        check_result(res.encoded_invoke_result);
    }
}

/// Upstream's CAP-85: crates.io soroban-env-host 28.0.2.
mod cap85 {
    common_driver!(cap85_host);

    use cap85_host::{
        e2e_invoke::{entry_size_for_rent, invoke_host_function, TtlLedgerEntryMeta},
        xdr::{ContractExecutableExternalRef, ScString},
    };

    /// The 28 e2e API: each entry as XDR with its TTL metadata (live-until
    /// ledger, size for rent), no TTL entry to decode.
    type Encoded = (Vec<u8>, TtlLedgerEntryMeta);

    fn encode_entry(e: &LedgerEntry, live_until: u32) -> Encoded {
        let bytes = to_xdr(e);
        let entry_size_for_rent =
            entry_size_for_rent(&Budget::default(), e, bytes.len() as u32).expect("size for rent");
        (
            bytes,
            TtlLedgerEntryMeta {
                live_until_ledger: live_until,
                entry_size_for_rent,
            },
        )
    }

    pub fn external_ref(owner: &ScAddress, tag: &str) -> ContractExecutable {
        ContractExecutable::ExternalRef(ContractExecutableExternalRef {
            executable_owner: owner.clone(),
            tag: ScString(tag.try_into().expect("string")),
        })
    }

    pub fn ref_key_val(tag: &str) -> ScVal {
        ScVal::ExecutableTag(ScString(tag.try_into().expect("string")))
    }

    /// The fork's code entry (with refined cost inputs) re-decoded with 28's
    /// XDR: byte-identical on both hosts.
    pub fn code_entry(wasm: &[u8]) -> LedgerEntry {
        from_xdr(&fork::to_xdr(&fork::code_entry(wasm)))
    }

    pub fn apply(tx: &Prepared, budget: &Budget, cache: &ModuleCache) {
        let entries: Vec<(Option<&Vec<u8>>, Option<TtlLedgerEntryMeta>)> = tx
            .entries
            .iter()
            .map(|(e, meta)| (Some(e), Some(*meta)))
            .collect();
        let res = invoke_host_function(
            budget,
            false,
            &tx.host_fn,
            &tx.resources,
            &[],
            &tx.source,
            std::iter::empty::<&Vec<u8>>(),
            ledger_info(),
            entries.into_iter(),
            &vec![0u8; 32],
            &mut vec![],
            None,
            Some(cache.clone()),
        )
        .expect("invoke_host_function");
        check_result(res.encoded_invoke_result);
    }

    use super::fork;
}

/// Metered runs of the three cases, in [`CASES`] order.
struct Row {
    host: &'static str,
    model: &'static str,
    runs: Vec<Metered>,
}

impl Row {
    fn overhead(&self) -> i64 {
        self.runs[0].cpu_delta(&self.runs[2])
    }

    fn ratio(&self) -> f64 {
        self.runs[2].cpu as f64 / self.runs[0].cpu as f64
    }
}

fn metered_report(
    fork_txs: &[fork::Prepared],
    cap_txs: &[cap85::Prepared],
    fork_cache: &soroban_env_host::ModuleCache,
    cap_cache: &cap85_host::ModuleCache,
    m27: &CostModel,
    m28: &CostModel,
) -> String {
    // Reading the default models off is exact: the fork under 27.0.1's model
    // and CAP-85 under 28.0.2's meter exactly as under `Budget::default()`.
    fork::assert_model_is_default(fork_txs, m27, fork_cache);
    cap85::assert_model_is_default(cap_txs, m28, cap_cache);

    let mut rows = vec![];
    for model in [m27, m28] {
        rows.push(Row {
            host: "fork (27.0.1 + ExternalRef)",
            model: model.name,
            runs: fork_txs
                .iter()
                .map(|t| fork::run(t, model, fork_cache))
                .collect(),
        });
        rows.push(Row {
            host: "CAP-85 (28.0.2)",
            model: model.name,
            runs: cap_txs
                .iter()
                .map(|t| cap85::run(t, model, cap_cache))
                .collect(),
        });
    }

    check_doc_tables(&rows, m27, m28);

    let mut table = vec![];
    for r in &rows {
        let [w, c, e] = [&r.runs[0], &r.runs[1], &r.runs[2]];
        table.push(vec![
            r.host.to_string(),
            r.model.to_string(),
            thousands(w.cpu),
            format!("{:+}", w.cpu_delta(c)),
            format!("{:+}", c.cpu_delta(e)),
            format!("{:+} ({:.3})", r.overhead(), r.ratio()),
            format!("{:+} ({:.4})", w.mem_delta(e), e.mem as f64 / w.mem as f64),
        ]);
    }
    let mut out = String::from("## R2 metered: hello(41), e2e, warm module cache\n\n");
    out += &markdown_table(
        &[
            "host",
            "cost model",
            "wasm CPU",
            "carrying the entry (control - wasm)",
            "resolution (external_ref - control)",
            "ExternalRef - wasm CPU (ratio)",
            "memory bytes (ratio)",
        ],
        &table,
    );
    // R2 = (fork ExternalRef / fork Wasm) / (CAP-85 ExternalRef / CAP-85 Wasm).
    let own = (&rows[0], &rows[3]);
    let same27 = (&rows[0], &rows[1]);
    let same28 = (&rows[2], &rows[3]);
    out += "\nR2 = (fork ExternalRef / fork wasm) / (CAP-85 ExternalRef / CAP-85 wasm), metered CPU:\n\n";
    for (label, (f, c)) in [
        ("each host's own default model", own),
        ("both under 27.0.1's model", same27),
        ("both under 28.0.2's model", same28),
    ] {
        out += &format!(
            "- {label}: {:.4} / {:.4} = **{:.4}**; absolute overhead {:+} vs {:+} CPU\n",
            f.ratio(),
            c.ratio(),
            f.ratio() / c.ratio(),
            f.overhead(),
            c.overhead()
        );
    }
    out += "\nWhere the CPU deltas come from, by cost type:\n\n";
    for r in &rows {
        let [w, c, e] = [&r.runs[0], &r.runs[1], &r.runs[2]];
        out += &format!(
            "- {} under {}: carrying {}; resolution {}\n",
            r.host,
            r.model,
            w.cpu_delta_by_type(c),
            c.cpu_delta_by_type(e)
        );
    }
    out
}

/// `docs/benchmarks.md`'s R2 tables (metered rows) and the figures its text
/// quotes, checked against this run ([`check_doc`]).
fn check_doc_tables(rows: &[Row], m27: &CostModel, m28: &CostModel) {
    let host = |r: &Row| {
        if r.host.starts_with("fork") {
            "fork"
        } else {
            "CAP-85"
        }
    };
    let model = |r: &Row| r.model.trim_end_matches(" default").to_string();
    let mut table = vec![];
    for r in rows {
        let [w, c, e] = [&r.runs[0], &r.runs[1], &r.runs[2]];
        table.push(vec![
            host(r).to_string(),
            model(r),
            thousands(w.cpu),
            signed(w.cpu_delta(c)),
            signed(c.cpu_delta(e)),
            format!("{} ({:.3})", signed(r.overhead()), r.ratio()),
            format!(
                "{} ({:.4})",
                signed(w.mem_delta(e)),
                e.mem as f64 / w.mem as f64
            ),
        ]);
    }
    check_doc(
        "R2's metered table",
        &doc_table(
            &[
                "host",
                "cost model",
                "wasm CPU",
                "carrying (control − wasm)",
                "resolution (ext − control)",
                "ExternalRef − wasm (ratio)",
                "memory (ratio)",
            ],
            &[2, 3, 4, 5, 6],
            &table,
        ),
    );
    let (fork27, cap27, fork28, cap28) = (&rows[0], &rows[1], &rows[2], &rows[3]);
    let r2 = |(f, c): (&Row, &Row)| {
        vec![
            format!("{:.4}", f.ratio()),
            format!("{:.4}", c.ratio()),
            format!("{:.3}", f.ratio() / c.ratio()),
        ]
    };
    let mut ratios = vec![];
    for (basis, pair) in [
        ("metered, both under 28.0.2's model", (fork28, cap28)),
        ("metered, both under 27.0.1's model", (fork27, cap27)),
        ("metered, each host's own default", (fork27, cap28)),
    ] {
        let mut row = vec![basis.to_string()];
        row.extend(r2(pair));
        ratios.push(row);
    }
    check_doc(
        "R2's metered ratios",
        &doc_table(&["basis", "fork", "CAP-85", "R2"], &[1, 2, 3], &ratios),
    );

    let resolution = |r: &Row| r.runs[1].cpu_delta(&r.runs[2]);
    let carrying = |r: &Row| r.runs[0].cpu_delta(&r.runs[1]);
    // ValDeser's model: constant CPU per decode and CPU per byte (the linear
    // term is fixed-point, 7 fraction bits).
    let val_deser = |m: &CostModel| {
        let (c, l) = m.cpu[soroban_env_host::xdr::ContractCostType::ValDeser as usize];
        (thousands(c), (l as f64 / 128.0).round() as i64)
    };
    let ((c27, l27), (c28, l28)) = (val_deser(m27), val_deser(m28));
    let by_type = |r: &Row, ty: &str| {
        let [_, c, e] = [&r.runs[0], &r.runs[1], &r.runs[2]];
        let i = c.by_type.iter().position(|t| t.0 == ty).expect("cost type");
        (
            c.by_type[i].1 as i64 - r.runs[0].by_type[i].1 as i64,
            e.by_type[i].1 as i64 - c.by_type[i].1 as i64,
        )
    };
    for (what, text) in [
        (
            "R2 under one model",
            format!(
                "metered, same cost model (28.0.2's): **{:.3}** ({} vs {} CPU)",
                fork28.ratio() / cap28.ratio(),
                signed(fork28.overhead()),
                signed(cap28.overhead())
            ),
        ),
        (
            "R2 under each default",
            format!(
                "Each host's own default model: {:.3}",
                fork27.ratio() / cap28.ratio()
            ),
        ),
        (
            "resolution under 28.0.2's model",
            format!(
                "{} (28.0.2 model). Direct on a Host",
                thousands(resolution(fork28))
            ),
        ),
        (
            "CAP-85's resolution",
            format!("CAP-85's resolution: {}", thousands(resolution(cap28))),
        ),
        (
            "the recalibration",
            format!("{c27} + {l27}/byte to {c28} + {l28}/byte"),
        ),
        (
            "27.0.1's decode cost",
            format!("charges {c27} CPU per decode, plus {l27} per byte"),
        ),
        (
            "the same overhead",
            format!(
                "{} CPU over Wasm on the fork and {} on CAP-85",
                signed(fork28.overhead()),
                signed(cap28.overhead())
            ),
        ),
        (
            "the resolutions compared",
            format!(
                "Resolution itself is cheaper on the fork ({} against {} metered)",
                thousands(resolution(fork28)),
                thousands(resolution(cap28))
            ),
        ),
        (
            "carrying compared",
            format!(
                "({} against {} under 28.0.2's model)",
                signed(carrying(fork28)),
                signed(carrying(cap28))
            ),
        ),
        (
            "CAP-85's TTL key hash",
            format!(
                "(ComputeSha256Hash {})",
                signed(by_type(cap28, "ComputeSha256Hash").0)
            ),
        ),
        (
            "R2's carrying on the fork under 27.0.1's model",
            format!(
                "the fork carries the same entry for {} (MemCmp {})",
                signed(carrying(fork27)),
                signed(by_type(fork27, "MemCmp").0)
            ),
        ),
        (
            "the memory",
            format!(
                "the fork's {} bytes against {}",
                signed(fork28.runs[0].mem_delta(&fork28.runs[2])),
                signed(cap28.runs[0].mem_delta(&cap28.runs[2]))
            ),
        ),
        (
            "the fork's overhead under 28.0.2's model",
            format!(
                "the fork's whole overhead is {} (×{:.3})",
                signed(fork28.overhead()),
                fork28.ratio()
            ),
        ),
    ] {
        check_doc(what, &text);
    }
}

/// `docs/benchmarks.md`'s R2 instruction counts (callgrind) against the
/// committed record `docs/records/bench-instructions.json`.
fn check_instruction_counts() {
    let Some(record) = record("bench-instructions.json") else {
        return;
    };
    let n = |case: &str| {
        record["per_run"]["cap85"][case]
            .as_u64()
            .unwrap_or_else(|| panic!("bench-instructions.json: no cap85/{case}"))
    };
    let (fw, fe, cw, ce) = (
        n("fork_wasm"),
        n("fork_external_ref"),
        n("cap85_wasm"),
        n("cap85_external_ref"),
    );
    let (f, c) = (fe as f64 / fw as f64, ce as f64 / cw as f64);
    for (what, text) in [
        (
            "R2's instruction row",
            format!(
                "| instructions (callgrind): {} / {} against {} / {} | {f:.4} | {c:.4} | {:.3} |",
                thousands(fe),
                thousands(fw),
                thousands(ce),
                thousands(cw),
                f / c
            ),
        ),
        (
            "R2 in instructions",
            format!("Instructions: **{:.3}**", f / c),
        ),
        (
            "the instruction ratios",
            format!("Real instructions agree, at ratios {f:.4} and {c:.4}"),
        ),
    ] {
        check_doc(what, &text);
    }
}

fn r2(c: &mut Criterion) {
    let fork_txs = fork::scenario();
    let cap_txs = cap85::scenario();
    let fork_cache = fork::module_cache(FOLLOWER_V1);
    let cap_cache = cap85::module_cache(FOLLOWER_V1);
    let m27 = fork::default_model("27.0.1 default");
    let m28 = cap85::default_model("28.0.2 default");
    let mut cases: Vec<(String, Box<dyn FnMut() + '_>)> = vec![];
    for (i, case) in CASES.iter().enumerate() {
        let (tx, m, cache) = (&fork_txs[i], &m27, &fork_cache);
        cases.push((
            format!("fork_{case}"),
            Box::new(move || fork::apply(tx, &fork::budget(m), cache)),
        ));
        let (tx, m, cache) = (&cap_txs[i], &m28, &cap_cache);
        cases.push((
            format!("cap85_{case}"),
            Box::new(move || cap85::apply(tx, &cap85::budget(m), cache)),
        ));
    }
    count_mode(cases);

    let mut report = metered_report(&fork_txs, &cap_txs, &fork_cache, &cap_cache, &m27, &m28);
    check_instruction_counts();

    // Wall time: within each host, ExternalRef against Wasm, interleaved;
    // each under its own default model.
    if !test_mode() {
        let fork_ratio = paired(
            rounds(),
            20,
            || fork::apply(&fork_txs[0], &fork::budget(&m27), &fork_cache),
            || fork::apply(&fork_txs[2], &fork::budget(&m27), &fork_cache),
        );
        let cap_ratio = paired(
            rounds(),
            20,
            || cap85::apply(&cap_txs[0], &cap85::budget(&m28), &cap_cache),
            || cap85::apply(&cap_txs[2], &cap85::budget(&m28), &cap_cache),
        );
        let hosts = paired(
            rounds(),
            20,
            || cap85::apply(&cap_txs[2], &cap85::budget(&m28), &cap_cache),
            || fork::apply(&fork_txs[2], &fork::budget(&m27), &fork_cache),
        );
        report += &format!(
            "\n## R2 wall time (interleaved rounds, medians)\n\n\
             - fork: wasm vs external_ref: {}\n\
             - CAP-85: wasm vs external_ref: {}\n\
             - R2 wall = {:.3} / {:.3} = **{:.3}**\n\
             - external_ref, CAP-85 vs fork: {}\n",
            fork_ratio.summary(),
            cap_ratio.summary(),
            fork_ratio.ratio,
            cap_ratio.ratio,
            fork_ratio.ratio / cap_ratio.ratio,
            hosts.summary()
        );
    }
    println!("{report}");
    write_report("r2.md", &report);

    let mut group = c.benchmark_group("R2_e2e_hello_warm");
    for (i, case) in CASES.iter().enumerate() {
        group.bench_with_input(BenchmarkId::new("fork", case), &fork_txs[i], |b, tx| {
            b.iter(|| fork::apply(tx, &fork::budget(&m27), &fork_cache))
        });
        group.bench_with_input(BenchmarkId::new("cap85", case), &cap_txs[i], |b, tx| {
            b.iter(|| cap85::apply(tx, &cap85::budget(&m28), &cap_cache))
        });
    }
    group.finish();
}

criterion_group!(benches, r2);
criterion_main!(benches);
