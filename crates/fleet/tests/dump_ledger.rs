//! `fleet --dump-ledger DIR` writes what `extref audit DIR` reads: rebuilt from the
//! dump alone, the audit is the one the run reported.

use std::process::Command;

use extref_operator::{audit::Audit, input::LedgerData};

#[test]
fn the_dump_rebuilds_the_runs_audit() {
    let dir = std::env::temp_dir().join(format!("fleet-dump-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args([
            "--followers",
            "3",
            "--timelock",
            "2",
            "--json",
            "--dump-ledger",
        ])
        .arg(&dir)
        .output()
        .expect("fleet runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let data = LedgerData::read(&dir).expect("the dump reads back");
    let audit = Audit::rebuild(data.entries.iter(), &data.events);
    assert_eq!(serde_json::to_value(&audit).unwrap(), report["audit"]);
    assert_eq!(audit.followers.len(), 3 + 2 + 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
