//! `fleet check-upgrade`: exit status 0 when safe, 1 when breaking, 2 on error; text and
//! JSON output name the findings.

use std::process::Command;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fleet"))
        .arg("check-upgrade")
        .args(args)
        .output()
        .expect("fleet runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().expect("exit code"), text)
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}.wasm")
}

#[test]
fn safe_upgrade_exits_0() {
    let (code, text) = run(&[&fixture("token_v1"), &fixture("token_v2")]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("safe: no breaking change"), "{text}");
}

#[test]
fn breaking_upgrade_exits_1_and_names_the_finding() {
    let (code, text) = run(&[&fixture("token_v1"), &fixture("token_break_struct")]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("BREAKING") && text.contains("AllowanceKey"),
        "{text}"
    );
}

#[test]
fn json_output_carries_the_verdict() {
    let (code, text) = run(&[
        "--json",
        "--ledger-protocol",
        "27",
        &fixture("follower_v1"),
        &fixture("pinnable_v1"),
    ]);
    assert_eq!(code, 1, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["safe"], false);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "interface_refused" && f["breaking"] == true));
}

#[test]
fn unreadable_input_exits_2() {
    let (code, text) = run(&["/nonexistent.wasm", &fixture("token_v2")]);
    assert_eq!(code, 2, "{text}");
}
