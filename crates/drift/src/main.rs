//! The no-drift reference: runs the shared workload (`../workload.rs`) on
//! unforked soroban-env-host 27.0.1 from crates.io and prints its report as
//! JSON on stdout. `tests/tests/no_drift.rs` runs the same workload on the
//! fork and compares the two, operation by operation.
//!
//! With `--serve` (for `benches/benches/no_drift.rs`, which times both hosts
//! in one bench run) it answers requests on stdin, one line each, until EOF:
//!
//! - `K` (an integer): runs the workload K times and answers the elapsed
//!   nanoseconds, measured here around the K runs (no pipe round trip);
//! - `report`: answers the JSON report on one line.
//!
//! With `--differential` (for `tests/tests/differential.rs`) it reads one
//! generated workload per stdin line (a `Workload` of `../language.rs` as
//! JSON) and answers its JSON report (`../differential.rs`) on one line,
//! until EOF.

use std::{
    io::{BufRead, Write},
    time::Instant,
};

#[allow(dead_code)]
#[path = "../workload.rs"]
mod workload;

#[allow(dead_code)]
#[path = "../differential.rs"]
mod differential;

fn main() {
    if std::env::args().skip(1).any(|a| a == "--serve") {
        serve();
        return;
    }
    if std::env::args().skip(1).any(|a| a == "--differential") {
        differential();
        return;
    }
    let report = workload::run();
    let json = serde_json::to_string_pretty(&workload::to_json(&report)).expect("JSON");
    println!("{json}");
}

fn serve() {
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("reading stdin");
        let request = line.trim();
        let answer = match request {
            "" => continue,
            "report" => serde_json::to_string(&workload::to_json(&workload::run())).expect("JSON"),
            k => {
                let k: u64 = k
                    .parse()
                    .unwrap_or_else(|_| panic!("expected a run count or `report`, got {k:?}"));
                let start = Instant::now();
                for _ in 0..k {
                    std::hint::black_box(workload::run());
                }
                start.elapsed().as_nanos().to_string()
            }
        };
        writeln!(out, "{answer}").expect("writing stdout");
        out.flush().expect("flushing stdout");
    }
}

fn differential() {
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("reading stdin");
        if line.trim().is_empty() {
            continue;
        }
        let report = match serde_json::from_str::<differential::language::Workload>(&line) {
            Ok(workload) => differential::run(&workload),
            Err(e) => serde_json::json!({ "panic": format!("not a workload: {e}") }),
        };
        writeln!(out, "{}", serde_json::to_string(&report).expect("JSON")).expect("writing stdout");
        out.flush().expect("flushing stdout");
    }
}
