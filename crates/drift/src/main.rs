//! The no-drift reference: runs the shared workload (`../workload.rs`) on
//! unforked soroban-env-host 27.0.1 from crates.io and prints its report as
//! JSON on stdout. `tests/tests/no_drift.rs` runs the same workload on the
//! fork and compares the two, operation by operation.

#[allow(dead_code)]
#[path = "../workload.rs"]
mod workload;

fn main() {
    let report = workload::run();
    let json = serde_json::to_string_pretty(&workload::to_json(&report)).expect("JSON");
    println!("{json}");
}
