//! No drift at protocol 27: the fork's claim that every existing operation
//! gives the same results and the same metered CPU instructions and memory
//! bytes as unforked upstream soroban-env-host 27.0.1.
//!
//! The workload (`crates/drift/workload.rs`) is one source file compiled
//! twice: here, against the fork (this workspace patches the upstream crate
//! names to `materialized/`), and in `crates/drift` (package
//! `drift-reference`, its own workspace, outside the [patch]) against
//! crates.io soroban-env-host 27.0.1. This test runs it on the fork in-process
//! and in the reference (`extref_testkit::drift::DriftReference`, `--serve`),
//! and compares the two reports with the test kit's drift reporter, shared
//! with `differential.rs`: operation by operation the result, CPU
//! instructions, memory bytes and the per-cost-type breakdown, then the
//! budget totals, the final storage and the events.

#[allow(dead_code)]
#[path = "../../crates/drift/workload.rs"]
mod workload;

use std::path::{Path, PathBuf};

use extref_testkit::drift::{self, DriftReference};
use workload::{Cost, OpRecord, Report};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `[[package]]`/`[[crate]]` tables of a TOML lock file, each as
/// `(name, version, checksum)` (`sha256` in fork.lock).
fn lock_entries(text: &str, table: &str, sum_key: &str) -> Vec<(String, String, String)> {
    let field = |block: &str, key: &str| {
        block
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or_default()
            .to_string()
    };
    text.split(table)
        .skip(1)
        .map(|b| (field(b, "name"), field(b, "version"), field(b, sum_key)))
        .collect()
}

/// The reference must be unforked upstream, and exactly the upstream the
/// fork is built from: `crates/drift/Cargo.lock` resolves each crate pinned
/// in `fork.lock` to the same version and the same `.crate` sha256.
fn assert_reference_is_upstream(root: &Path) {
    let read = |p: &str| {
        std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("reading {p}: {e}"))
    };
    let pins = lock_entries(&read("fork.lock"), "[[crate]]", "sha256");
    let reference = lock_entries(&read("crates/drift/Cargo.lock"), "[[package]]", "checksum");
    assert!(
        pins.iter().any(|p| p.0 == "soroban-env-host"),
        "fork.lock pins soroban-env-host"
    );
    for (name, version, sha256) in &pins {
        assert!(
            reference
                .iter()
                .any(|(n, v, c)| n == name && v == version && c == sha256),
            "crates/drift/Cargo.lock must resolve {name} to crates.io {version} with sha256 \
             {sha256} (fork.lock's pin); it has {:?}",
            reference
                .iter()
                .filter(|r| &r.0 == name)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn protocol_27_matches_upstream_27_0_1() {
    let root = repo_root();
    assert_reference_is_upstream(&root);

    let fork = workload::run();
    assert!(!fork.ops.is_empty());
    let fork_json = workload::to_json(&fork);
    assert_eq!(
        workload::from_json(&fork_json),
        fork,
        "the report's JSON form keeps all of it"
    );
    // The reference, built with this test's optimization (the first build
    // takes a few minutes; it is cached in `target/drift`).
    let mut reference = DriftReference::start(&root, !cfg!(debug_assertions), "--serve");
    let upstream_json: serde_json::Value =
        serde_json::from_str(&reference.ask("report")).expect("the reference answers JSON");

    print!("{}", drift::table(&fork_json, &upstream_json));
    if let Err(e) = drift::check(&fork_json, &upstream_json, None) {
        panic!("{e}");
    }
}

/// The failure message names the operation and the cost types that differ,
/// with both values and the signed difference: the test kit's reporter,
/// shared with `differential.rs`, on this workload's reports.
#[test]
fn a_drift_is_reported_by_operation_and_cost_type() {
    let cost = |ty: &str, cpu: u64, mem: u64| Cost {
        cost_type: ty.to_string(),
        iterations: 1,
        inputs: 33,
        cpu,
        mem,
    };
    let op = |name: &str, cpu: u64, costs: Vec<Cost>| OpRecord {
        name: name.to_string(),
        result: "Void".to_string(),
        cpu_insns: cpu,
        mem_bytes: 0,
        costs,
    };
    let upstream = Report {
        host: "soroban-env 27.0.1 (interface protocol 27)".to_string(),
        protocol: workload::PROTOCOL,
        ops: vec![
            op("same", 10, vec![cost("MemAlloc", 10, 0)]),
            op(
                "drifting",
                100,
                vec![cost("MemCpy", 40, 0), cost("MemCmp", 60, 0)],
            ),
        ],
        total_cpu_insns: 110,
        total_mem_bytes: 0,
        totals: vec![cost("MemCpy", 40, 0)],
        final_storage: vec![],
        final_events: vec![],
    };
    let mut fork = upstream.clone();
    fork.host = "soroban-env 27.0.1+extref.1 (interface protocol 28)".to_string();
    fork.ops[1].cpu_insns = 107;
    fork.ops[1].costs[0].cpu = 47;
    fork.totals[0].cpu = 47;
    fork.total_cpu_insns = 117;

    let (fork, upstream) = (workload::to_json(&fork), workload::to_json(&upstream));
    let diffs = drift::diff(&fork, &upstream);
    let text = diffs.join("\n");
    assert_eq!(diffs.len(), 3, "{text}");
    assert!(diffs[0].starts_with("op `drifting` (ops[1]):"), "{text}");
    assert!(
        diffs[0].contains(".cpu: fork 107 upstream 100 (+7)"),
        "{text}"
    );
    assert!(
        diffs[0].contains(".costs.MemCpy[2]: fork 47 upstream 40 (+7)"),
        "{text}"
    );
    assert!(!diffs[0].contains("MemCmp"), "{text}");
    assert!(!text.contains("`same`"), "{text}");
    assert_eq!(
        diffs[1],
        "report.totals.costs.MemCpy[2]: fork 47 upstream 40 (+7)"
    );
    assert_eq!(diffs[2], "report.totals.cpu: fork 117 upstream 110 (+7)");
    assert!(drift::diff(&upstream, &upstream).is_empty());
    let failure = drift::check(&fork, &upstream, None).expect_err("a drift");
    assert!(
        failure.starts_with(
            "protocol 27 drifts from upstream soroban-env-host 27.0.1 (3 difference(s))"
        ),
        "{failure}"
    );
}
