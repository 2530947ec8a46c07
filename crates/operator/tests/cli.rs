//! The `extref` command line: `check-upgrade` exits 0 when safe, 1 when a finding is
//! breaking or needs a migration, 2 on error, and with `--json` everything (errors
//! included) is JSON on stdout; `--explain` lists every rule. `audit` rebuilds who runs
//! what from a ledger dump or a stellar-core meta stream.

use std::path::{Path, PathBuf};
use std::process::Command;

use extref_operator::{
    audit::Audit,
    input::{meta_stream, LedgerData},
    upgrade::Rule,
};
use extref_testkit::{
    e2e::{invoke_fn, sc_symbol, Ledger},
    fixtures, FORK_PROTOCOL,
};
use soroban_env_host::xdr::{
    ContractEvent, ContractExecutable, Hash, LedgerCloseMeta, LedgerCloseMetaV1, LedgerEntry,
    LedgerEntryChange, OperationMetaV2, ScAddress, ScVal, TransactionMeta, TransactionMetaV4,
    TransactionResult, TransactionResultExt, TransactionResultMeta, TransactionResultPair,
    TransactionResultResult,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn extref(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_extref"))
        .args(args)
        .output()
        .expect("extref runs");
    Out {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn check(args: &[&str]) -> Out {
    let mut all = vec!["check-upgrade"];
    all.extend_from_slice(args);
    extref(&all)
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}.wasm")
}

fn json(out: &Out) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

#[test]
fn safe_upgrade_exits_0_and_says_what_it_cannot_see() {
    let out = check(&[&fixture("token_v1"), &fixture("token_v2")]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("safe: no breaking change"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("storage keys and durability"));
    assert!(out.stdout.contains("neither build declares"));
    // Declared storage: no qualification.
    let out = check(&[&fixture("vault_v1"), &fixture("vault_v2")]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("safe: no breaking change\n"));
    assert!(out.stdout.contains("Config renamed Settings"));
}

#[test]
fn breaking_upgrade_exits_1_and_names_the_finding() {
    let out = check(&[&fixture("token_v1"), &fixture("token_break_struct")]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("BREAKING") && out.stdout.contains("AllowanceKey"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_constructor_added_is_a_migration_never_ok() {
    let out = check(&[
        &fixture("follower_v1"),
        &fixture("follower_break_constructor_added"),
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("MIGRATE  fn __constructor"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("NOT SAFE: migration needed"));
}

#[test]
fn json_output_carries_the_verdict_and_the_gaps() {
    let out = check(&[
        "--json",
        "--ledger-protocol",
        "27",
        &fixture("pinnable_v1"),
        &fixture("pinnable_v2"),
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let v = json(&out);
    assert_eq!(v["safe"], false);
    assert_eq!(v["verdict"], "breaking");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "interface_refused" && f["breaking"] == true));
    assert_eq!(v["not_checked"].as_array().unwrap().len(), 3);
    let out = check(&[
        "--json",
        &fixture("follower_v1"),
        &fixture("follower_break_constructor_added"),
    ]);
    assert_eq!(json(&out)["verdict"], "migration_needed");
}

#[test]
fn errors_exit_2_and_are_json_on_stdout_with_json() {
    let out = check(&["/nonexistent.wasm", &fixture("token_v2")]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("error: reading /nonexistent.wasm"),
        "{}",
        out.stderr
    );

    let out = check(&["--json", "/nonexistent.wasm", &fixture("token_v2")]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let v = json(&out);
    assert!(
        v["error"].as_str().unwrap().contains("/nonexistent.wasm"),
        "{v}"
    );

    // Not a contract, and a usage error: JSON too.
    let out = check(&["--json", "Cargo.toml", &fixture("token_v2")]);
    assert_eq!(out.code, 2);
    assert!(json(&out)["error"].is_string());
    let out = check(&["--json", &fixture("token_v1")]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(json(&out)["error"].as_str().unwrap().contains("NEW"));
}

#[test]
fn explain_lists_every_rule_with_its_reason() {
    let out = check(&["--explain"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for r in Rule::ALL {
        let line = out
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", r.name())))
            .unwrap_or_else(|| panic!("{} not explained:\n{}", r.name(), out.stdout));
        assert!(line.contains(r.reason()));
    }
    let v = json(&check(&["--explain", "--json"]));
    assert_eq!(v["rules"].as_array().unwrap().len(), Rule::ALL.len());
    // With a pair: each finding with its reason.
    let out = check(&["--explain", &fixture("token_v1"), &fixture("token_v2")]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains(&format!(
        "why (function_added): {}",
        Rule::FunctionAdded.reason()
    )));
}

// ---------------------------------------------------------------------------------
// audit
// ---------------------------------------------------------------------------------

fn hash_val(h: &Hash) -> ScVal {
    ScVal::Bytes(h.0.to_vec().try_into().unwrap())
}

fn sym(s: &str) -> ScVal {
    ScVal::Symbol(sc_symbol(s))
}

/// A manager with two refs, a factory that deployed two followers of one and a
/// pinnable follower of the other, which then pinned itself; the first ref moved to v2.
fn small_fleet() -> Ledger {
    let mut ledger = Ledger::at_protocol(FORK_PROTOCOL);
    let v1 = ledger.upload(fixtures::FOLLOWER_V1).unwrap();
    let v2 = ledger.upload(fixtures::FOLLOWER_V2).unwrap();
    let p1 = ledger.upload(fixtures::PINNABLE_V1).unwrap();
    let p2 = ledger.upload(fixtures::PINNABLE_V2).unwrap();
    let manager_code = ledger.upload(fixtures::MANAGER).unwrap();
    let factory_code = ledger.upload(fixtures::FACTORY).unwrap();
    let admin = ScVal::Address(ledger.source_address());
    let (manager, _) = ledger
        .create(
            ContractExecutable::Wasm(manager_code),
            [1; 32],
            vec![admin.clone(), ScVal::U32(0)],
        )
        .unwrap();
    let set_ref = |ledger: &mut Ledger, key: &str, h: &Hash| {
        ledger
            .submit(invoke_fn(&manager, "set_ref", vec![sym(key), hash_val(h)]))
            .unwrap();
    };
    set_ref(&mut ledger, "fleet", &v1);
    set_ref(&mut ledger, "pin", &p1);
    let (factory, _) = ledger
        .create(ContractExecutable::Wasm(factory_code), [2; 32], vec![])
        .unwrap();
    let m = ScVal::Address(manager.clone());
    for salt in [1u8, 2] {
        ledger
            .invoke(
                &factory,
                "deploy",
                vec![m.clone(), sym("fleet"), hash_val(&Hash([salt; 32]))],
            )
            .unwrap();
    }
    let pinnable = ledger
        .invoke(
            &factory,
            "deploy_with",
            vec![
                m,
                sym("pin"),
                hash_val(&Hash([9; 32])),
                ScVal::Vec(Some(vec![admin].try_into().unwrap())),
            ],
        )
        .unwrap()
        .result;
    let ScVal::Address(pinnable @ ScAddress::Contract(_)) = pinnable else {
        panic!("an address: {pinnable:?}")
    };
    ledger
        .invoke(&pinnable, "pin", vec![hash_val(&p2)])
        .unwrap();
    set_ref(&mut ledger, "fleet", &v2);
    ledger
}

fn entries(ledger: &Ledger) -> Vec<LedgerEntry> {
    ledger.state().into_values().map(|(e, _)| e).collect()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("extref-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn audit_json(path: &Path) -> serde_json::Value {
    let out = extref(&["audit", "--json", path.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    json(&out)
}

#[test]
fn audit_reads_a_ledger_dump() {
    let ledger = small_fleet();
    let data = LedgerData::new(entries(&ledger), ledger.events().to_vec());
    let expected = Audit::rebuild(data.entries.iter(), &data.events);
    assert_eq!(expected.followers.len(), 3);
    assert_eq!(expected.pinned().count(), 1);
    let dir = tmp("dump");
    data.write_dump(&dir.join("ledger.txt")).unwrap();
    assert_eq!(audit_json(&dir), serde_json::to_value(&expected).unwrap());
    let out = extref(&["audit", dir.to_str().unwrap()]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .contains("followers: 2 following a ref, 1 pinned (opted out)"),
        "{}",
        out.stdout
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A closed ledger applying `changes` and emitting `events` in one transaction.
fn closed(
    changes: Vec<LedgerEntryChange>,
    events: Vec<ContractEvent>,
    ok: bool,
) -> LedgerCloseMeta {
    let meta = TransactionMetaV4 {
        operations: vec![OperationMetaV2 {
            ext: Default::default(),
            changes: changes.try_into().unwrap(),
            events: events.try_into().unwrap(),
        }]
        .try_into()
        .unwrap(),
        ..Default::default()
    };
    let result = TransactionResult {
        fee_charged: 100,
        result: if ok {
            TransactionResultResult::TxSuccess(Default::default())
        } else {
            TransactionResultResult::TxFailed(Default::default())
        },
        ext: TransactionResultExt::V0,
    };
    LedgerCloseMeta::V1(LedgerCloseMetaV1 {
        tx_processing: vec![TransactionResultMeta {
            result: TransactionResultPair {
                transaction_hash: Hash([7; 32]),
                result,
            },
            fee_processing: Default::default(),
            tx_apply_processing: TransactionMeta::V4(meta),
        }]
        .try_into()
        .unwrap(),
        ..Default::default()
    })
}

#[test]
fn audit_reads_a_core_meta_stream_replaying_changes_and_skipping_failed_transactions() {
    let ledger = small_fleet();
    let expected = {
        let data = LedgerData::new(entries(&ledger), ledger.events().to_vec());
        serde_json::to_value(Audit::rebuild(data.entries.iter(), &data.events)).unwrap()
    };
    let all = entries(&ledger);
    let (first, rest) = all.split_at(all.len() / 2);
    let created = |es: &[LedgerEntry]| {
        es.iter()
            .cloned()
            .map(LedgerEntryChange::Created)
            .collect::<Vec<_>>()
    };
    // A failed transaction's events are not the ledger's: a bogus deployment.
    let bogus = ledger
        .events()
        .iter()
        .find(|e| format!("{e:?}").contains("deployed"))
        .unwrap()
        .clone();
    let stream = meta_stream(&[
        closed(created(first), ledger.events().to_vec(), true),
        closed(vec![], vec![bogus], false),
        closed(created(rest), vec![], true),
    ]);
    let dir = tmp("meta");
    let file = dir.join("meta.xdr");
    std::fs::write(&file, stream).unwrap();
    assert_eq!(audit_json(&file), expected);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn audit_errors_exit_2() {
    let dir = tmp("bad");
    let file = dir.join("ledger.txt");
    std::fs::write(&file, "LedgerEntry not-base64\n").unwrap();
    let out = extref(&["audit", "--json", file.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    let err = json(&out)["error"].as_str().unwrap().to_string();
    assert!(err.contains("line 1: base64"), "{err}");
    let out = extref(&["audit", "/nonexistent"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    std::fs::remove_dir_all(dir).unwrap();
}
