//! R1: what one extra indirection costs per call. The same follower Wasm and
//! call (`hello(41)`), applied through `e2e_invoke::invoke_host_function`
//! (the path stellar-core uses: XDR inputs, enforcing footprint), as:
//! - `wasm`: a plain Wasm executable;
//! - `control`: the same, with the ref entry added to its footprint but
//!   unused, which isolates the cost of carrying one more ledger entry;
//! - `external_ref`: an ExternalRef follower resolving that ref.
//!
//! each with the module cache warm and cold; and the same three cases called
//! directly on a `Host` (`Env::call` on a fresh host whose enforcing storage
//! holds the footprint's entries, already decoded), which leaves out the
//! e2e layer's XDR decoding and encoding. Wall time is criterion's per case,
//! plus interleaved ratios (`extref_benches::paired`); the host's
//! deterministic metering (CPU, memory, by cost type) is printed once and
//! written to `target/extref-bench/r1.md`.

use std::rc::Rc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use extref_benches::{
    check_doc, count_mode, doc_table, markdown_table, paired, record, rounds, signed, test_mode,
    write_report, Metered,
};
use extref_testkit::thousands;
use extref_testkit::{
    e2e::{
        code_key, contract_address, footprint, instance_entry, instance_key, invoke_fn,
        module_cache, wasm_hash, Applied, EncodedTx, RefLedger, Tx, LIVE_UNTIL,
    },
    fixtures::FOLLOWER_V1,
    FORK_PROTOCOL,
};
use soroban_env_host::{
    budget::Budget,
    storage::{AccessType, Footprint, Storage},
    xdr::{ContractCostType, ContractExecutable, HostFunction, ScVal},
    Env, EnvBase, Host, MeteredOrdMap, ModuleCache, Symbol, TryFromVal, U32Val, Val,
};

struct Setup {
    s: RefLedger,
    txs: Vec<(&'static str, Case)>,
}

/// A transaction, and its XDR inputs encoded once (as stellar-core holds
/// them), so that timing covers the host's work only.
struct Case {
    tx: Tx,
    enc: EncodedTx,
}

fn setup() -> Setup {
    let mut s = RefLedger::new("token");
    let plain = contract_address(0xb0);
    s.ledger.put(
        instance_entry(&plain, ContractExecutable::Wasm(wasm_hash(FOLLOWER_V1))),
        Some(LIVE_UNTIL),
    );
    let args = vec![ScVal::U32(41)];
    let wasm = Tx::new(
        invoke_fn(&plain, "hello", args.clone()),
        footprint(vec![instance_key(&plain), code_key(FOLLOWER_V1)], vec![]),
    );
    let control = Tx::new(
        invoke_fn(&plain, "hello", args.clone()),
        footprint(
            vec![instance_key(&plain), s.ref_key(), code_key(FOLLOWER_V1)],
            vec![],
        ),
    );
    let external_ref = s.follower_call("hello", args, FOLLOWER_V1);
    let case = |tx: Tx| Case {
        enc: s.ledger.encode(&tx),
        tx,
    };
    let txs = vec![
        ("wasm", case(wasm)),
        ("control", case(control)),
        ("external_ref", case(external_ref)),
    ];
    Setup { s, txs }
}

fn apply(s: &RefLedger, case: &Case, cache: Option<ModuleCache>) -> Applied {
    let applied = s
        .ledger
        .apply_encoded(&case.enc, cache)
        .expect("invocation");
    assert_eq!(applied.result.as_ref().expect("hello"), &ScVal::U32(42));
    applied
}

fn metered(budget: &Budget) -> Metered {
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

/// `after - before`, per cost type: what happened in between.
fn since(before: &Metered, after: &Metered) -> Metered {
    Metered {
        cpu: after.cpu - before.cpu,
        mem: after.mem - before.mem,
        by_type: before
            .by_type
            .iter()
            .zip(&after.by_type)
            .map(|((ty, c0, m0), (_, c1, m1))| (ty.clone(), c1 - c0, m1 - m0))
            .collect(),
    }
}

/// `tx`'s call made directly on a fresh `Host`: enforcing storage holding
/// the footprint's entries (decoded already, as the e2e layer leaves them),
/// protocol 28, the module cache if warm. Returns the call's own metering
/// (the host's budget before and after `call`).
fn direct_call(s: &RefLedger, case: &Case, cache: Option<&ModuleCache>) -> Metered {
    let tx = &case.tx;
    let setup = Budget::default();
    setup.reset_unlimited().expect("unlimited");
    let mut footprint = vec![];
    let mut entries = vec![];
    for key in tx.read_only() {
        let key = Rc::new(key.clone());
        let (entry, live_until) = s.ledger.get(&key).expect("footprint entry exists");
        footprint.push((key.clone(), AccessType::ReadOnly));
        entries.push((key, Some((entry.clone(), *live_until))));
    }
    footprint.sort_by(|a, b| a.0.cmp(&b.0));
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let storage = Storage::with_enforcing_footprint_and_map(
        Footprint(MeteredOrdMap::from_map(footprint, &setup).expect("footprint")),
        MeteredOrdMap::from_map(entries, &setup).expect("storage map"),
    );
    let budget = Budget::default();
    let host = Host::with_storage_and_budget(storage, budget.clone());
    host.set_ledger_info(s.ledger.info.clone())
        .expect("ledger info");
    if let Some(cache) = cache {
        host.set_module_cache(cache.clone()).expect("module cache");
    }
    let HostFunction::InvokeContract(call) = &tx.host_fn else {
        unreachable!("an invocation")
    };
    let contract = Val::try_from_val(&host, &ScVal::Address(call.contract_address.clone()))
        .expect("address")
        .try_into()
        .expect("address object");
    let func = Symbol::try_from_val(&host, &"hello").expect("symbol");
    let args = host
        .vec_new_from_slice(&[U32Val::from(41).into()])
        .expect("args");
    let before = metered(&budget);
    let res = host.call(contract, func, args).expect("hello");
    let after = metered(&budget);
    assert_eq!(u32::from(U32Val::try_from(res).expect("u32")), 42);
    since(&before, &after)
}

/// The metered table of one path (deterministic), in markdown, with the
/// per-cost-type breakdown of carrying the entry and of resolution.
fn metered_table(path: &str, runs: &[(&str, &str, Metered)]) -> String {
    let mut rows = vec![];
    let mut notes = String::new();
    for chunk in runs.chunks(3) {
        let base = &chunk[0].2;
        for (cache, name, m) in chunk {
            rows.push(vec![
                cache.to_string(),
                name.to_string(),
                thousands(m.cpu),
                format!(
                    "{:+} ({:.3})",
                    base.cpu_delta(m),
                    m.cpu as f64 / base.cpu as f64
                ),
                thousands(m.mem),
                format!(
                    "{:+} ({:.4})",
                    base.mem_delta(m),
                    m.mem as f64 / base.mem as f64
                ),
            ]);
        }
        let (w, c, e) = (&chunk[0].2, &chunk[1].2, &chunk[2].2);
        notes += &format!(
            "- {} cache: carrying the entry (control - wasm) {:+} CPU: {}; resolution \
             (external_ref - control) {:+} CPU: {}\n",
            chunk[0].0,
            w.cpu_delta(c),
            w.cpu_delta_by_type(c),
            c.cpu_delta(e),
            c.cpu_delta_by_type(e)
        );
    }
    format!(
        "## R1 metered, {path}\n\n{}\n{notes}",
        markdown_table(
            &[
                "module cache",
                "case",
                "CPU insns",
                "vs wasm",
                "memory bytes",
                "vs wasm"
            ],
            &rows
        )
    )
}

fn to_metered(a: &Applied) -> Metered {
    metered(&a.budget)
}

/// The metered tables of both paths, printed and returned, after checking
/// `docs/benchmarks.md`'s R1 tables and figures against them.
fn report(st: &Setup, cache: &ModuleCache) -> String {
    let mut e2e = vec![];
    let mut direct = vec![];
    for (label, warm) in [("warm", true), ("cold", false)] {
        for (name, tx) in &st.txs {
            e2e.push((
                label,
                *name,
                to_metered(&apply(&st.s, tx, warm.then(|| cache.clone()))),
            ));
            direct.push((label, *name, direct_call(&st.s, tx, warm.then_some(cache))));
        }
    }
    let doc = doc_tables(&e2e, &direct);
    let out = metered_table("e2e (`invoke_host_function`, XDR in and out)", &e2e)
        + "\n"
        + &metered_table("direct on a `Host` (`Env::call`)", &direct)
        + "\n## R1 as docs/benchmarks.md quotes it\n\n"
        + &doc;
    println!("{out}");
    out
}

/// `docs/benchmarks.md`'s R1 metered tables (every case, both paths; the CPU
/// deltas by cost type) and the figures its text quotes, checked against
/// this run ([`check_doc`]) and returned for the report.
fn doc_tables(e2e: &[(&str, &str, Metered)], direct: &[(&str, &str, Metered)]) -> String {
    let mut rows = vec![];
    for (path, runs) in [("e2e", e2e), ("direct", direct)] {
        for chunk in runs.chunks(3) {
            let base = &chunk[0].2;
            for (i, (cache, name, m)) in chunk.iter().enumerate() {
                let vs = |d: i64, r: f64, digits: usize| {
                    if i == 0 {
                        String::new()
                    } else {
                        format!("{} ({r:.digits$})", signed(d))
                    }
                };
                rows.push(vec![
                    path.to_string(),
                    cache.to_string(),
                    name.to_string(),
                    thousands(m.cpu),
                    vs(base.cpu_delta(m), m.cpu as f64 / base.cpu as f64, 3),
                    thousands(m.mem),
                    vs(base.mem_delta(m), m.mem as f64 / base.mem as f64, 4),
                ]);
            }
        }
    }
    let metered = doc_table(
        &[
            "path",
            "cache",
            "case",
            "CPU insns",
            "vs wasm",
            "memory bytes",
            "vs wasm",
        ],
        &[3, 4, 5, 6],
        &rows,
    );
    check_doc("R1's metered table", &metered);

    // The deltas by cost type do not depend on the module cache.
    let delta = |runs: &[(&str, &str, Metered)], a: usize, b: usize| {
        let warm = since(&runs[a].2, &runs[b].2);
        let cold = since(&runs[a + 3].2, &runs[b + 3].2);
        assert_eq!(
            warm.by_type, cold.by_type,
            "deltas by cost type, warm and cold"
        );
        (
            runs[a].2.cpu_delta(&runs[b].2),
            runs[a].2.clone(),
            runs[b].2.clone(),
        )
    };
    let columns = [
        delta(e2e, 0, 1),    // carrying the entry, e2e
        delta(e2e, 1, 2),    // resolution, e2e
        delta(direct, 1, 2), // resolution, direct
    ];
    let mut by_type = vec![{
        let mut r = vec!["total".to_string()];
        r.extend(columns.iter().map(|(d, _, _)| signed(*d)));
        r
    }];
    for (i, (ty, _, _)) in columns[0].1.by_type.iter().enumerate() {
        let cells: Vec<i64> = columns
            .iter()
            .map(|(_, a, b)| b.by_type[i].1 as i64 - a.by_type[i].1 as i64)
            .collect();
        if cells.iter().any(|&c| c != 0) {
            let mut r = vec![ty.clone()];
            r.extend(
                cells
                    .iter()
                    .map(|&c| if c == 0 { String::new() } else { signed(c) }),
            );
            by_type.push(r);
        }
    }
    let by_type = doc_table(
        &[
            "CPU by cost type (warm and cold alike)",
            "carrying the entry, e2e (control − wasm)",
            "resolution, e2e (external_ref − control)",
            "resolution, direct (external_ref − control)",
        ],
        &[1, 2, 3],
        &by_type,
    );
    check_doc("R1's CPU by cost type", &by_type);

    let (carrying, resolution, direct_resolution) = (columns[0].0, columns[1].0, columns[2].0);
    let overhead = carrying + resolution;
    let cpu_of = |(_, a, b): &(i64, Metered, Metered), ty: &str| {
        let i = a.by_type.iter().position(|t| t.0 == ty).expect("cost type");
        b.by_type[i].1 as i64 - a.by_type[i].1 as i64
    };
    let val_deser = cpu_of(&columns[0], "ValDeser") + cpu_of(&columns[1], "ValDeser");
    let ser_deser = cpu_of(&columns[1], "ValSer") + cpu_of(&columns[1], "ValDeser");
    for (what, text) in [
        (
            "the resolution target's result",
            format!("**{}** (27.0.1 model)", thousands(resolution)),
        ),
        (
            "the direct resolution",
            format!("Direct on a Host: **{}**", thousands(direct_resolution)),
        ),
        (
            "the target's verdict",
            format!("| no: {} over |", resolution - 5_000),
        ),
        (
            "the miss",
            format!("missed by {} instructions", resolution - 5_000),
        ),
        (
            "the resolution",
            format!(
                "**Resolution itself** (external_ref − control, e2e) is **{}**",
                signed(resolution)
            ),
        ),
        (
            "the resolution proper",
            format!(
                "({}, exactly the direct path's",
                thousands(direct_resolution)
            ),
        ),
        (
            "re-encoding the instance",
            format!("ValSer and ValDeser ({})", signed(ser_deser)),
        ),
        (
            "carrying the entry",
            format!(
                "**Carrying the entry** (control − wasm) is **{}**",
                signed(carrying)
            ),
        ),
        (
            "ValDeser's share",
            format!(
                "ValDeser of the reference entry and its TTL entry: {} of the {} CPU ({:.0}%)",
                signed(val_deser),
                signed(overhead),
                val_deser as f64 / overhead as f64 * 100.0
            ),
        ),
        (
            "R1's carrying, the same as R2's",
            format!(
                "the fork carries the same entry for {} (MemCmp {}),\n  as here.",
                signed(carrying),
                signed(cpu_of(&columns[0], "MemCmp"))
            ),
        ),
        (
            "the cache's saving",
            format!(
                "the resolution proper, {} metered CPU",
                thousands(direct_resolution)
            ),
        ),
    ] {
        check_doc(what, &text);
    }
    metered + "\n" + &by_type
}

/// Interleaved wall-time ratios, each case against `wasm`, per path and cache.
fn wall_ratios(st: &Setup, cache: &ModuleCache) -> String {
    let mut rows = vec![];
    let wasm = &st.txs[0].1;
    for (label, warm) in [("warm", true), ("cold", false)] {
        let c = || warm.then(|| cache.clone());
        for (name, tx) in &st.txs[1..] {
            let e2e = paired(
                rounds(),
                10,
                || {
                    apply(&st.s, wasm, c());
                },
                || {
                    apply(&st.s, tx, c());
                },
            );
            let direct = paired(
                rounds(),
                10,
                || {
                    direct_call(&st.s, wasm, warm.then_some(cache));
                },
                || {
                    direct_call(&st.s, tx, warm.then_some(cache));
                },
            );
            for (path, p) in [("e2e", e2e), ("direct Host", direct)] {
                rows.push(vec![
                    path.to_string(),
                    label.to_string(),
                    format!("{name} / wasm"),
                    format!("{:.1}", p.a.as_secs_f64() * 1e6),
                    format!("{:.1}", p.b.as_secs_f64() * 1e6),
                    format!("**{:.3}** ({:.3}-{:.3})", p.ratio, p.ratio_q1, p.ratio_q3),
                ]);
            }
        }
    }
    let out = format!(
        "## R1 wall time (interleaved, {} rounds of 10 runs per side)\n\n{}",
        rounds(),
        markdown_table(
            &[
                "path",
                "module cache",
                "ratio",
                "wasm us (median)",
                "case us (median)",
                "ratio median (IQR)"
            ],
            &rows
        )
    );
    println!("{out}");
    out
}

/// `docs/benchmarks.md`'s R1 instruction counts (callgrind) against the
/// committed record `docs/records/bench-instructions.json`, which
/// `benches/instructions.py` writes (as `target/extref-bench/instructions.json`).
fn check_instruction_counts() {
    let Some(record) = record("bench-instructions.json") else {
        return;
    };
    let n = |case: &str| {
        record["per_run"]["resolution"][case]
            .as_u64()
            .unwrap_or_else(|| panic!("bench-instructions.json: no resolution/{case}"))
    };
    let mut rows = vec![];
    for (path, prefix) in [("e2e", "e2e"), ("direct", "host")] {
        for cache in ["warm", "cold"] {
            let wasm = n(&format!("{prefix}_{cache}_wasm"));
            for case in ["control", "external_ref"] {
                let k = n(&format!("{prefix}_{cache}_{case}"));
                rows.push(vec![
                    path.to_string(),
                    cache.to_string(),
                    format!("{case} / wasm"),
                    format!("{} / {}", thousands(k), thousands(wasm)),
                    format!("{:.3}", k as f64 / wasm as f64),
                ]);
            }
        }
    }
    check_doc(
        "R1's instruction counts",
        &doc_table(
            &[
                "path",
                "cache",
                "ratio",
                "instructions per run",
                "instruction ratio",
            ],
            &[3, 4],
            &rows,
        ),
    );
    let d = |a: &str, b: &str| n(b) as i64 - n(a) as i64;
    let resolution = d("host_warm_control", "host_warm_external_ref");
    let carrying = d("e2e_warm_wasm", "e2e_warm_control");
    let overhead = d("e2e_warm_wasm", "e2e_warm_external_ref");
    let date = record["date"].as_str().expect("date");
    for (what, text) in [
        (
            "the instruction record's date",
            format!("`docs/records/bench-instructions.json`, counted on {date}"),
        ),
        (
            "resolution and carrying in instructions",
            format!(
                "Resolution proper is {} instructions per call (direct, warm: external_ref − \
                 control), and carrying the entry through e2e is {}",
                signed(resolution),
                signed(carrying)
            ),
        ),
        (
            "carrying's share of the instructions",
            format!(
                "carrying is {} of the {} (e2e, warm)",
                signed(carrying),
                signed(overhead)
            ),
        ),
        (
            "the resolution proper in instructions",
            format!("({} instructions) per repeated", thousands(resolution)),
        ),
    ] {
        check_doc(what, &text);
    }
}

fn r1(c: &mut Criterion) {
    let st = setup();
    let cache = module_cache(FORK_PROTOCOL, &[FOLLOWER_V1]).expect("module cache");
    let mut cases: Vec<(String, Box<dyn FnMut() + '_>)> = vec![];
    for (name, tx) in &st.txs {
        for (label, warm) in [("warm", true), ("cold", false)] {
            let (s, cache) = (&st.s, &cache);
            cases.push((
                format!("e2e_{label}_{name}"),
                Box::new(move || {
                    apply(s, tx, warm.then(|| cache.clone()));
                }),
            ));
            cases.push((
                format!("host_{label}_{name}"),
                Box::new(move || {
                    direct_call(s, tx, warm.then_some(cache));
                }),
            ));
        }
    }
    count_mode(cases);
    let mut out = report(&st, &cache);
    check_instruction_counts();
    if !test_mode() {
        out += "\n";
        out += &wall_ratios(&st, &cache);
    }
    write_report("r1.md", &out);

    let mut group = c.benchmark_group("R1_e2e_hello");
    for (name, tx) in &st.txs {
        group.bench_with_input(BenchmarkId::new("warm", name), tx, |b, tx| {
            b.iter(|| apply(&st.s, tx, Some(cache.clone())))
        });
        group.bench_with_input(BenchmarkId::new("cold", name), tx, |b, tx| {
            b.iter(|| apply(&st.s, tx, None))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("R1_host_hello");
    for (name, tx) in &st.txs {
        group.bench_with_input(BenchmarkId::new("warm", name), tx, |b, tx| {
            b.iter(|| direct_call(&st.s, tx, Some(&cache)))
        });
        group.bench_with_input(BenchmarkId::new("cold", name), tx, |b, tx| {
            b.iter(|| direct_call(&st.s, tx, None))
        });
    }
    group.finish();
}

criterion_group!(benches, r1);
criterion_main!(benches);
