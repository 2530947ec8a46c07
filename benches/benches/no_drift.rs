//! R4: no drift at protocol 27. The no-drift workload (`crates/drift/workload.rs`:
//! ~85 plain contract calls, storage, auth, create_contract and e2e
//! invocations, no ExternalRef) on the fork vs unforked soroban-env-host
//! 27.0.1 from crates.io.
//!
//! This workspace [patch]es the 27.0.1 names to the fork, so upstream 27.0.1
//! cannot be linked here: the upstream side is `crates/drift` (its own
//! workspace), built in release and run as a server (`--serve`) that runs the
//! same workload source on request and reports its own wall time.
//!
//! - Metered: the whole reports, per-operation CPU instructions and memory
//!   bytes included, must be identical (asserted, it is deterministic), as
//!   `tests/no_drift.rs` asserts it: with the test kit's drift reporter,
//!   whose failure names each operation and cost type that differs.
//! - Wall: fork / upstream ratio, interleaved rounds (reported, target
//!   <= 1.02, not asserted), plus criterion's group `R4_no_drift`. The
//!   upstream time is measured inside the server around the runs, so the
//!   pipe round trip is left out (its magnitude is printed).
//!
//! Both sides are optimized alike: this bench is built with cargo's bench
//! profile (release), the reference with `--release`, and neither workspace
//! sets [profile] options.

#[allow(dead_code)]
#[path = "../../crates/drift/workload.rs"]
mod workload;

use std::{
    hint::black_box,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use criterion::Criterion;
use extref_benches::{
    markdown_table, paired_timed, quick, rounds, test_mode, write_report, Paired,
};
use extref_testkit::drift::{self, DriftReference};
use extref_testkit::thousands;
use workload::Report;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ has a parent")
        .to_path_buf()
}

/// The reference (`crates/drift`, upstream 27.0.1) running with `--serve`.
struct Reference(DriftReference);

impl Reference {
    /// Builds the reference with the bench's own optimization (release
    /// under `cargo bench`; debug under `cargo test --benches`, sharing
    /// `target/drift` with `tests/no_drift.rs`) in its own workspace and lock
    /// file, and starts it.
    fn start(root: &Path) -> Self {
        Reference(DriftReference::start(
            root,
            !cfg!(debug_assertions),
            "--serve",
        ))
    }

    /// The server's own wall time of `k` runs of the workload.
    fn runs(&mut self, k: u64) -> Duration {
        let nanos: u64 = self
            .0
            .ask(&k.to_string())
            .parse()
            .expect("the reference answers nanoseconds");
        Duration::from_nanos(nanos)
    }

    /// The reference's report, as JSON.
    fn report(&mut self) -> serde_json::Value {
        serde_json::from_str(&self.0.ask("report")).expect("the reference answers JSON")
    }
}

/// Wall time of `k` in-process runs on the fork.
fn fork_runs(k: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..k {
        black_box(workload::run());
    }
    start.elapsed()
}

struct Metered {
    ops: usize,
    /// Operations whose CPU and memory are identical on both sides.
    identical: usize,
    /// The same operations on both sides, each with identical CPU and memory.
    metered_identical: bool,
    /// The drift reporter's verdict on the whole reports (results,
    /// cost-type breakdowns, budget totals, final storage and events, the
    /// host names aside): the text of the failure if they differ.
    drift: Result<(), String>,
}

fn compare(fork: &Report, upstream_json: &serde_json::Value) -> Metered {
    let upstream = workload::from_json(upstream_json);
    let identical = fork
        .ops
        .iter()
        .zip(&upstream.ops)
        .filter(|(f, u)| {
            f.name == u.name && f.cpu_insns == u.cpu_insns && f.mem_bytes == u.mem_bytes
        })
        .count();
    Metered {
        ops: fork.ops.len(),
        identical,
        metered_identical: identical == fork.ops.len() && identical == upstream.ops.len(),
        drift: drift::check(&workload::to_json(fork), upstream_json, None),
    }
}

fn sum(r: &Report) -> (u64, u64) {
    r.ops
        .iter()
        .fold((0, 0), |(c, m), o| (c + o.cpu_insns, m + o.mem_bytes))
}

/// Workload runs per side per interleaved round. One run (~9 ms) is noisy on
/// a shared 2-core machine (single runs spread 8.4-19 ms, upper quartile up
/// to 1.5x the median); five per round keep each round's ratio meaningful.
const RUNS_PER_ROUND: usize = 5;

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    // Instruction counting (benches/instructions.sh) needs the fork side only;
    // the reference is counted by running crates/drift's binary itself.
    extref_benches::count_mode(vec![(
        "fork".to_string(),
        Box::new(|| {
            black_box(workload::run());
        }),
    )]);
    let bench_started = Instant::now();
    let root = repo_root();
    let mut reference = Reference::start(&root);

    // -- Metered: deterministic, compared once ------------------------------
    let fork = workload::run();
    let upstream_json = reference.report();
    let m = compare(&fork, &upstream_json);
    let upstream = workload::from_json(&upstream_json);
    let (fork_cpu, fork_mem) = sum(&fork);
    let (up_cpu, up_mem) = sum(&upstream);
    let yes = |b: bool| if b { "yes" } else { "NO" };
    let metered_identical = m.metered_identical;
    let reports_equal = m.drift.is_ok();
    println!("R4 no drift, protocol {}:", workload::PROTOCOL);
    println!("  fork:     {}", fork.host);
    println!("  upstream: {}", upstream.host);
    println!(
        "  metered: {} ops compared, {} identical (cpu and mem): {}",
        m.ops,
        m.identical,
        yes(metered_identical)
    );
    println!(
        "  sum over ops: cpu fork {} upstream {}, mem fork {} upstream {}",
        thousands(fork_cpu),
        thousands(up_cpu),
        thousands(fork_mem),
        thousands(up_mem)
    );
    println!(
        "  main host budget: cpu fork {} upstream {}, mem fork {} upstream {}",
        thousands(fork.total_cpu_insns),
        thousands(upstream.total_cpu_insns),
        thousands(fork.total_mem_bytes),
        thousands(upstream.total_mem_bytes)
    );
    println!(
        "  whole reports equal (results, cost types, storage, events): {}",
        yes(reports_equal)
    );
    if let Err(e) = &m.drift {
        panic!("{e}");
    }

    // -- Wall: interleaved fork / upstream ratio ---------------------------
    let wall: Option<(Paired, Duration)> = (!test_mode()).then(|| {
        // The pipe round trip (a zero-run request), left out of the
        // upstream times: they are measured inside the server.
        let mut trips: Vec<Duration> = (0..21)
            .map(|_| {
                let start = Instant::now();
                reference.runs(0);
                start.elapsed()
            })
            .collect();
        trips.sort();
        let trip = trips[trips.len() / 2];
        let p = paired_timed(
            rounds(),
            RUNS_PER_ROUND,
            |n| reference.runs(n as u64),
            |n| fork_runs(n as u64),
        );
        println!(
            "  wall per workload run: upstream {} fork {}, ratio fork/upstream {:.3} \
             (IQR {:.3}-{:.3}, {} rounds x {} runs, target <= 1.02)",
            ms(p.a),
            ms(p.b),
            p.ratio,
            p.ratio_q1,
            p.ratio_q3,
            p.rounds,
            p.iters
        );
        println!(
            "  pipe round trip to the reference {:.1} us (not in its times; {:.3}% of a run)",
            trip.as_secs_f64() * 1e6,
            trip.as_secs_f64() / p.a.as_secs_f64() * 100.0
        );
        (p, trip)
    });

    // -- Criterion ----------------------------------------------------------
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(if quick() { 2 } else { 4 }))
        .configure_from_args();
    {
        let mut g = c.benchmark_group("R4_no_drift");
        g.bench_function("fork", |b| b.iter_custom(fork_runs));
        g.bench_function("upstream_27_0_1", |b| {
            b.iter_custom(|iters| reference.runs(iters))
        });
        g.finish();
    }
    c.final_summary();
    drop(reference);

    // -- Report ---------------------------------------------------------------
    let mut md = format!(
        "## R4: no drift at protocol {} (fork vs upstream soroban-env-host 27.0.1)\n\n\
         The no-drift workload (`crates/drift/workload.rs`: plain contract calls, storage, \
         auth, create_contract, e2e invocations; no ExternalRef), run on the fork in-process \
         and on unforked crates.io 27.0.1 (`crates/drift`, release, its own workspace).\n\n",
        workload::PROTOCOL
    );
    let metered_row = |what: &str, f: u64, u: u64| {
        vec![
            what.to_string(),
            thousands(f),
            thousands(u),
            yes(f == u).to_string(),
        ]
    };
    md += &markdown_table(
        &["metered", "fork", "upstream 27.0.1", "identical"],
        &[
            vec![
                "operations, cpu and mem identical".to_string(),
                m.identical.to_string(),
                m.ops.to_string(),
                yes(metered_identical).to_string(),
            ],
            metered_row("cpu insns, sum over ops", fork_cpu, up_cpu),
            metered_row("mem bytes, sum over ops", fork_mem, up_mem),
            metered_row(
                "cpu insns, main host budget",
                fork.total_cpu_insns,
                upstream.total_cpu_insns,
            ),
            metered_row(
                "mem bytes, main host budget",
                fork.total_mem_bytes,
                upstream.total_mem_bytes,
            ),
        ],
    );
    md += &format!(
        "\nWhole reports equal (results, cost-type breakdowns, storage, events): {}.\n\n",
        yes(reports_equal)
    );
    match wall {
        Some((p, trip)) => {
            md += &markdown_table(
                &[
                    "wall, one workload run",
                    "upstream 27.0.1",
                    "fork",
                    "fork / upstream",
                    "IQR",
                    "target",
                ],
                &[vec![
                    "median".to_string(),
                    ms(p.a),
                    ms(p.b),
                    format!("{:.3}", p.ratio),
                    format!("{:.3}-{:.3}", p.ratio_q1, p.ratio_q3),
                    "<= 1.02 (reported)".to_string(),
                ]],
            );
            md += &format!(
                "\n{} interleaved rounds of {} runs per side, order swapped every round; upstream \
                 timed inside its process (pipe round trip {:.1} us, left out).\n",
                p.rounds,
                p.iters,
                trip.as_secs_f64() * 1e6
            );
        }
        None => md += "Wall ratio not measured (`--test`).\n",
    }
    write_report("r4.md", &md);
    println!(
        "R4 bench done in {:.1}s",
        bench_started.elapsed().as_secs_f64()
    );
}
