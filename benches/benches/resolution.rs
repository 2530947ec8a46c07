//! R1: what one extra indirection costs per call. The same follower Wasm and
//! call (`hello(41)`), applied through `e2e_invoke::invoke_host_function`
//! (the path stellar-core uses: XDR inputs, enforcing footprint), as:
//! - `wasm`: a plain Wasm executable;
//! - `control`: the same, with the ref entry added to its footprint but
//!   unused, which isolates the cost of carrying one more ledger entry;
//! - `external_ref`: an ExternalRef follower resolving that ref.
//!
//! each with the module cache warm and cold. Wall time is criterion's; the
//! host's deterministic metering (CPU, memory, by cost type) is printed once.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use extref_testkit::{
    e2e::{
        code_key, contract_address, footprint, instance_entry, instance_key, invoke_fn,
        module_cache, wasm_hash, Applied, RefLedger, Tx, LIVE_UNTIL,
    },
    fixtures::FOLLOWER_V1,
    FORK_PROTOCOL,
};
use soroban_env_host::{
    xdr::{ContractCostType, ContractExecutable, ScVal},
    ModuleCache,
};

struct Setup {
    s: RefLedger,
    txs: Vec<(&'static str, Tx)>,
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
    Setup {
        s,
        txs: vec![
            ("wasm", wasm),
            ("control", control),
            ("external_ref", external_ref),
        ],
    }
}

fn apply(s: &RefLedger, tx: &Tx, cache: Option<ModuleCache>) -> Applied {
    let applied = s.ledger.apply(tx, cache).expect("invocation");
    assert_eq!(applied.result.as_ref().expect("hello"), &ScVal::U32(42));
    applied
}

fn by_type(a: &Applied) -> Vec<(ContractCostType, u64, u64)> {
    ContractCostType::variants()
        .into_iter()
        .map(|ty| {
            let t = a.budget.get_tracker(ty).unwrap();
            (ty, t.cpu, t.mem)
        })
        .collect()
}

/// The metered table (deterministic), printed once before timing.
fn report(st: &Setup, cache: &ModuleCache) {
    for (label, warm) in [("warm", true), ("cold", false)] {
        let runs: Vec<(&str, Applied)> = st
            .txs
            .iter()
            .map(|(name, tx)| (*name, apply(&st.s, tx, warm.then(|| cache.clone()))))
            .collect();
        let base = &runs[0].1;
        let (bc, bm) = (
            base.budget.get_cpu_insns_consumed().unwrap(),
            base.budget.get_mem_bytes_consumed().unwrap(),
        );
        println!("R1 metered, module cache {label}:");
        for (name, a) in &runs {
            let (c, m) = (
                a.budget.get_cpu_insns_consumed().unwrap(),
                a.budget.get_mem_bytes_consumed().unwrap(),
            );
            println!(
                "  {name:<13} cpu {c:>9} ({:+7}, x{:.4})  mem {m:>9} ({:+6}, x{:.4})",
                c as i64 - bc as i64,
                c as f64 / bc as f64,
                m as i64 - bm as i64,
                m as f64 / bm as f64
            );
        }
        // Resolution itself: ExternalRef minus the control, by cost type.
        let (ctl, ext) = (by_type(&runs[1].1), by_type(&runs[2].1));
        let deltas: Vec<String> = ctl
            .iter()
            .zip(&ext)
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, b)| format!("{:?} {:+}", a.0, b.1 as i64 - a.1 as i64))
            .collect();
        println!("  resolution (external_ref - control) cpu by cost type: {}", deltas.join(", "));
        let carry: Vec<String> = by_type(base)
            .iter()
            .zip(&ctl)
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, b)| format!("{:?} {:+}", a.0, b.1 as i64 - a.1 as i64))
            .collect();
        println!("  carrying the entry (control - wasm) cpu by cost type: {}", carry.join(", "));
    }
}

fn r1(c: &mut Criterion) {
    let st = setup();
    let cache = module_cache(FORK_PROTOCOL, &[FOLLOWER_V1]).expect("module cache");
    report(&st, &cache);
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
}

criterion_group!(benches, r1);
criterion_main!(benches);
