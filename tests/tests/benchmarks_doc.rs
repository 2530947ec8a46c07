//! `docs/benchmarks.md`'s R4 figures, checked against runs and records (the other groups'
//! are checked by their benches in test mode, `extref_benches::check_doc`):
//! - the metered table: the no-drift workload run on the fork here. That upstream 27.0.1
//!   gives an identical report is what `no_drift.rs` (and the R4 bench) assert, so the
//!   upstream column must hold the same figures;
//! - the instruction row: the committed callgrind record
//!   `docs/records/bench-instructions.json` (`benches/instructions.py`);
//! - what the page says about the reference's lock file, against both lock files.
//!
//! Metered figures are deterministic: a change that moves one fails here until the page
//! moves too.

#[allow(dead_code)]
#[path = "../../crates/drift/workload.rs"]
mod workload;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
};

use extref_testkit::thousands;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// Every expected quote the page lacks, listed in one failure.
fn assert_quotes(quotes: &[String]) {
    let doc = read("docs/benchmarks.md");
    let missing: Vec<&String> = quotes
        .iter()
        .filter(|q| !doc.contains(q.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/benchmarks.md should quote:\n{}",
        missing
            .iter()
            .map(|q| q.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

#[test]
fn r4_metered_figures_are_the_workloads() {
    let fork = workload::run();
    let n = fork.ops.len();
    let cpu: u64 = fork.ops.iter().map(|o| o.cpu_insns).sum();
    let mem: u64 = fork.ops.iter().map(|o| o.mem_bytes).sum();
    let row = |what: &str, v: String| format!("| {what} | {v} | {v} |\n");
    let table = String::from(
        "| metered (deterministic) | fork | upstream 27.0.1 |\n| --- | ---: | ---: |\n",
    ) + &row(
        "operations, each identical in CPU and memory",
        n.to_string(),
    ) + &row("CPU, sum over operations", thousands(cpu))
        + &row("memory, sum over operations", thousands(mem))
        + &row(
            "CPU, the main host's budget",
            thousands(fork.total_cpu_insns),
        )
        + &row(
            "memory, the main host's budget",
            thousands(fork.total_mem_bytes),
        );
    assert_quotes(&[
        table,
        format!("{n} of {n} operations identical in CPU and memory"),
        format!("`crates/drift/workload.rs`:\n{n} operations"),
    ]);
}

#[test]
fn r4_instruction_counts_are_the_record() {
    let record: serde_json::Value =
        serde_json::from_str(&read("docs/records/bench-instructions.json"))
            .expect("bench-instructions.json is JSON");
    let count = |group: &str, case: &str| {
        record["per_run"][group][case]
            .as_u64()
            .unwrap_or_else(|| panic!("bench-instructions.json: no {group}/{case}"))
    };
    let (fork, upstream) = (
        count("no_drift", "fork"),
        count("drift_reference", "upstream"),
    );
    let ratio = fork as f64 / upstream as f64;
    assert_quotes(&[
        format!(
            "| instructions (callgrind) | {} | {} | {ratio:.3} |",
            thousands(fork),
            thousands(upstream)
        ),
        format!("Instructions **{ratio:.3}**"),
        format!(
            "The fork executes {:.1}% fewer instructions",
            (1.0 - ratio) * 100.0
        ),
    ]);
}

/// `name -> versions` of a `Cargo.lock`.
fn lock(path: &str) -> BTreeMap<String, BTreeSet<String>> {
    let text = read(path);
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for block in text.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or_else(|| panic!("{path}: a package without {key}"))
                .to_string()
        };
        out.entry(field("name"))
            .or_default()
            .insert(field("version"));
    }
    out
}

/// The reference builds the dependencies the fork builds, at the same versions, except the
/// ones the page names: a package of `crates/drift/Cargo.lock` whose version the root lock
/// does not have (upstream 27.0.1's own crates aside, which the root lock has as the fork's
/// `+extref.1` versions).
#[test]
fn the_reference_lock_differs_where_the_page_says() {
    let (root, drift) = (lock("Cargo.lock"), lock("crates/drift/Cargo.lock"));
    let upstream = [
        "soroban-env-host",
        "soroban-env-common",
        "soroban-env-macros",
        "stellar-xdr",
    ];
    let mut quotes =
        vec!["resolves every other package to a version the root lock also has".to_string()];
    for (name, versions) in &drift {
        if upstream.contains(&name.as_str()) || name == "drift-reference" {
            continue;
        }
        let theirs = root
            .get(name)
            .unwrap_or_else(|| panic!("{name} is in crates/drift/Cargo.lock, not in Cargo.lock"));
        for v in versions.difference(theirs) {
            quotes.push(format!(
                "except `{name}`: {v} here, {} in the root lock",
                theirs.iter().cloned().collect::<Vec<_>>().join(" and ")
            ));
        }
    }
    assert_quotes(&quotes);
}
