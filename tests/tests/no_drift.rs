//! No drift at protocol 27: the fork's claim that every existing operation
//! gives the same results and the same metered CPU instructions and memory
//! bytes as unforked upstream soroban-env-host 27.0.1.
//!
//! The workload (`crates/drift/workload.rs`) is one source file compiled
//! twice: here, against the fork (this workspace patches the upstream crate
//! names to `materialized/`), and in `crates/drift` (package
//! `drift-reference`, its own workspace, outside the [patch]) against
//! crates.io soroban-env-host 27.0.1. This test runs it on the fork in-process,
//! runs the reference with cargo (the first build of the reference takes a
//! few minutes; it is cached in `target/drift`), and compares the two reports
//! operation by operation: result, CPU instructions, memory bytes and the
//! per-cost-type breakdown, then the budget totals, the final storage and the
//! events.

#[allow(dead_code)]
#[path = "../../crates/drift/workload.rs"]
mod workload;

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

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

/// Builds (if needed) and runs `crates/drift`, returning its report.
fn reference_report(root: &Path) -> Report {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
    let manifest = root.join("crates/drift/Cargo.toml");
    let target_dir = root.join("target/drift");
    let started = Instant::now();
    let out = Command::new(&cargo)
        .arg("run")
        .arg("--quiet")
        .arg("--locked")
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(root.join("crates/drift"))
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap_or_else(|e| panic!("running {cargo}: {e}"));
    assert!(
        out.status.success(),
        "the drift reference failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "reference (crates/drift) built and ran in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the reference prints JSON");
    workload::from_json(&json)
}

fn signed(fork: u64, upstream: u64) -> String {
    format!("{:+}", fork as i128 - upstream as i128)
}

/// The cost types whose counters differ, one line each.
fn cost_diffs(fork: &[Cost], upstream: &[Cost]) -> Vec<String> {
    let names: BTreeSet<&str> = fork
        .iter()
        .chain(upstream)
        .map(|c| c.cost_type.as_str())
        .collect();
    let zero = |name: &str| Cost {
        cost_type: name.to_string(),
        iterations: 0,
        inputs: 0,
        cpu: 0,
        mem: 0,
    };
    let find = |list: &[Cost], name: &str| {
        list.iter()
            .find(|c| c.cost_type == name)
            .cloned()
            .unwrap_or_else(|| zero(name))
    };
    let mut out = Vec::new();
    for name in names {
        let (f, u) = (find(fork, name), find(upstream, name));
        if f == u {
            continue;
        }
        let mut parts = Vec::new();
        for (what, a, b) in [
            ("cpu", f.cpu, u.cpu),
            ("mem", f.mem, u.mem),
            ("iterations", f.iterations, u.iterations),
            ("inputs", f.inputs, u.inputs),
        ] {
            if a != b {
                parts.push(format!("{what} fork {a} upstream {b} ({})", signed(a, b)));
            }
        }
        out.push(format!("{name}: {}", parts.join(", ")));
    }
    out
}

fn op_diff(i: usize, fork: &OpRecord, upstream: &OpRecord) -> Option<String> {
    let mut lines = Vec::new();
    if fork.result != upstream.result {
        lines.push(format!(
            "result differs:\n      fork:     {}\n      upstream: {}",
            fork.result, upstream.result
        ));
    }
    if fork.cpu_insns != upstream.cpu_insns {
        lines.push(format!(
            "cpu_insns: fork {} upstream {} ({})",
            fork.cpu_insns,
            upstream.cpu_insns,
            signed(fork.cpu_insns, upstream.cpu_insns)
        ));
    }
    if fork.mem_bytes != upstream.mem_bytes {
        lines.push(format!(
            "mem_bytes: fork {} upstream {} ({})",
            fork.mem_bytes,
            upstream.mem_bytes,
            signed(fork.mem_bytes, upstream.mem_bytes)
        ));
    }
    let costs = cost_diffs(&fork.costs, &upstream.costs);
    if !costs.is_empty() {
        lines.push(format!(
            "cost types that differ:\n      {}",
            costs.join("\n      ")
        ));
    }
    (!lines.is_empty()).then(|| format!("op #{i} `{}`:\n    {}", fork.name, lines.join("\n    ")))
}

fn list_diff(what: &str, fork: &[String], upstream: &[String]) -> Option<String> {
    if fork == upstream {
        return None;
    }
    let only_fork: Vec<&String> = fork.iter().filter(|x| !upstream.contains(x)).collect();
    let only_upstream: Vec<&String> = upstream.iter().filter(|x| !fork.contains(x)).collect();
    Some(format!(
        "{what} differs (fork {} items, upstream {}):\n  only in fork: {only_fork:#?}\n  only in upstream: {only_upstream:#?}",
        fork.len(),
        upstream.len()
    ))
}

/// Every difference between the two reports, in a readable form.
fn diff(fork: &Report, upstream: &Report) -> Vec<String> {
    let mut out = Vec::new();
    if fork.protocol != upstream.protocol {
        out.push(format!(
            "protocol: fork {} upstream {}",
            fork.protocol, upstream.protocol
        ));
    }
    for (i, (f, u)) in fork.ops.iter().zip(&upstream.ops).enumerate() {
        if f.name != u.name {
            out.push(format!(
                "op #{i}: the workloads diverge (fork `{}`, upstream `{}`); later ops not compared",
                f.name, u.name
            ));
            break;
        }
        out.extend(op_diff(i, f, u));
    }
    if fork.ops.len() != upstream.ops.len() {
        out.push(format!(
            "op count: fork {} upstream {}",
            fork.ops.len(),
            upstream.ops.len()
        ));
    }
    if fork.total_cpu_insns != upstream.total_cpu_insns
        || fork.total_mem_bytes != upstream.total_mem_bytes
    {
        out.push(format!(
            "budget totals: cpu fork {} upstream {} ({}), mem fork {} upstream {} ({})",
            fork.total_cpu_insns,
            upstream.total_cpu_insns,
            signed(fork.total_cpu_insns, upstream.total_cpu_insns),
            fork.total_mem_bytes,
            upstream.total_mem_bytes,
            signed(fork.total_mem_bytes, upstream.total_mem_bytes),
        ));
    }
    let totals = cost_diffs(&fork.totals, &upstream.totals);
    if !totals.is_empty() {
        out.push(format!(
            "budget totals per cost type:\n    {}",
            totals.join("\n    ")
        ));
    }
    out.extend(list_diff(
        "final storage",
        &fork.final_storage,
        &upstream.final_storage,
    ));
    out.extend(list_diff(
        "final events",
        &fork.final_events,
        &upstream.final_events,
    ));
    out
}

fn print_table(fork: &Report, upstream: &Report) {
    println!("fork:     {}", fork.host);
    println!("upstream: {}", upstream.host);
    println!(
        "{:>3}  {:>10} {:>10}  {:>10} {:>10}  {:<5}  operation",
        "#", "cpu fork", "cpu up", "mem fork", "mem up", "equal"
    );
    for (i, (f, u)) in fork.ops.iter().zip(&upstream.ops).enumerate() {
        println!(
            "{i:>3}  {:>10} {:>10}  {:>10} {:>10}  {:<5}  {}",
            f.cpu_insns,
            u.cpu_insns,
            f.mem_bytes,
            u.mem_bytes,
            if f == u { "yes" } else { "NO" },
            f.name
        );
    }
    println!(
        "     {:>10} {:>10}  {:>10} {:>10}  {:<5}  budget totals of the main host",
        fork.total_cpu_insns,
        upstream.total_cpu_insns,
        fork.total_mem_bytes,
        upstream.total_mem_bytes,
        if fork.totals == upstream.totals {
            "yes"
        } else {
            "NO"
        },
    );
}

#[test]
fn protocol_27_matches_upstream_27_0_1() {
    let root = repo_root();
    assert_reference_is_upstream(&root);

    let fork = workload::run();
    assert!(
        fork.host.contains("+extref"),
        "the in-process workload must run on the fork, ran on {}",
        fork.host
    );
    let upstream = reference_report(&root);
    assert!(
        upstream.host.starts_with("soroban-env 27.0.1 ") && !upstream.host.contains("+extref"),
        "the reference must run on upstream 27.0.1, ran on {}",
        upstream.host
    );
    assert!(!fork.ops.is_empty());

    print_table(&fork, &upstream);
    let diffs = diff(&fork, &upstream);
    assert!(
        diffs.is_empty(),
        "protocol {} drifts from upstream soroban-env-host 27.0.1 ({} difference(s)):\n\n{}\n",
        workload::PROTOCOL,
        diffs.len(),
        diffs.join("\n\n")
    );
}

/// The failure message names the operation and the cost types that differ,
/// with both values and the signed difference.
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
        host: "upstream".to_string(),
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
    fork.host = "fork".to_string();
    fork.ops[1].cpu_insns = 107;
    fork.ops[1].costs[0].cpu = 47;
    fork.totals[0].cpu = 47;
    fork.total_cpu_insns = 117;

    let diffs = diff(&fork, &upstream);
    let text = diffs.join("\n");
    assert_eq!(diffs.len(), 3, "{text}");
    assert!(diffs[0].starts_with("op #1 `drifting`:"), "{text}");
    assert!(
        diffs[0].contains("cpu_insns: fork 107 upstream 100 (+7)"),
        "{text}"
    );
    assert!(
        diffs[0].contains("MemCpy: cpu fork 47 upstream 40 (+7)"),
        "{text}"
    );
    assert!(!diffs[0].contains("MemCmp"), "{text}");
    assert!(!text.contains("`same`"), "{text}");
    assert!(
        diffs[1].starts_with("budget totals: cpu fork 117 upstream 110 (+7)"),
        "{text}"
    );
    assert!(
        diffs[2].contains("MemCpy: cpu fork 47 upstream 40 (+7)"),
        "{text}"
    );
    assert!(diff(&upstream, &upstream).is_empty());
}
