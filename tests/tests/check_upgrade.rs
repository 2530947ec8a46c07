//! `check-upgrade` on real contracts: the fixtures built from `contracts/` (the token's
//! v1, v2, paused build and one deliberately incompatible build per rule, the
//! follower, the pinnable built for protocol 28). Each rule is caught on a real pair.

use extref_operator::{
    spec::ContractSpec,
    upgrade::{check, is_safe, Finding, Ledger, Rule},
};
use extref_testkit::fixtures;

fn findings(old: &[u8], new: &[u8], ledger: Ledger) -> Vec<Finding> {
    check(
        &ContractSpec::from_wasm(old).unwrap(),
        &ContractSpec::from_wasm(new).unwrap(),
        ledger,
    )
}

/// The breaking findings of `old -> new` on the fork's ledger, as (rule, subject).
fn breaking(old: &[u8], new: &[u8]) -> Vec<(Rule, String)> {
    let mut b: Vec<(Rule, String)> = findings(old, new, Ledger::default())
        .into_iter()
        .filter(|f| f.breaking)
        .map(|f| (f.rule, f.subject))
        .collect();
    b.sort();
    b
}

#[test]
fn token_v1_to_v2_is_safe() {
    let f = findings(fixtures::TOKEN_V1, fixtures::TOKEN_V2, Ledger::default());
    assert!(is_safe(&f), "{f:#?}");
    // What v2 adds is reported, as information.
    let added: Vec<&str> = f.iter().map(|f| f.subject.as_str()).collect();
    assert_eq!(added, ["fn sent", "V2Key"]);
}

#[test]
fn the_paused_build_is_a_safe_target_and_the_way_back_too() {
    // The paused build is v2's code with every state-changing call refused: same
    // functions, same stored types, one error code more.
    let there = findings(
        fixtures::TOKEN_V2,
        fixtures::TOKEN_PAUSED,
        Ledger::default(),
    );
    assert!(is_safe(&there), "{there:#?}");
    assert!(there
        .iter()
        .any(|f| f.rule == Rule::ErrorCodeAdded && f.subject == "TokenError::Paused"));
    // Back: the Paused code is no longer returned, which breaks no one.
    let back = findings(
        fixtures::TOKEN_PAUSED,
        fixtures::TOKEN_V2,
        Ledger::default(),
    );
    assert!(is_safe(&back), "{back:#?}");
    assert!(back
        .iter()
        .any(|f| f.rule == Rule::ErrorCodeRemoved && f.subject == "TokenError::Paused"));
}

#[test]
fn a_removed_function_is_breaking() {
    assert_eq!(
        breaking(fixtures::TOKEN_V1, fixtures::TOKEN_BREAK_FN_REMOVED),
        [(Rule::FunctionRemoved, "fn approve".to_string())]
    );
}

#[test]
fn a_changed_signature_is_breaking() {
    assert_eq!(
        breaking(fixtures::TOKEN_V1, fixtures::TOKEN_BREAK_FN_SIGNATURE),
        [(Rule::FunctionSignature, "fn transfer".to_string())]
    );
}

#[test]
fn a_changed_stored_struct_is_breaking() {
    assert_eq!(
        breaking(fixtures::TOKEN_V1, fixtures::TOKEN_BREAK_STRUCT),
        [(Rule::StructFields, "AllowanceKey".to_string())]
    );
}

#[test]
fn a_changed_stored_enum_case_is_breaking() {
    assert_eq!(
        breaking(fixtures::TOKEN_V1, fixtures::TOKEN_BREAK_UNION),
        [(Rule::UnionCaseChanged, "DataKey::Balance".to_string())]
    );
}

#[test]
fn a_reused_error_code_is_breaking() {
    assert_eq!(
        breaking(fixtures::TOKEN_V1, fixtures::TOKEN_BREAK_ERROR),
        [
            (
                Rule::ErrorCodeRenumbered,
                "TokenError::InsufficientBalance".to_string()
            ),
            (Rule::ErrorCodeReused, "TokenError::Frozen".to_string()),
        ]
    );
}

#[test]
fn an_interface_the_ledger_refuses_is_breaking() {
    // The pinnable is built on the fork's env: interface 28. A fork ledger takes it;
    // a protocol-27 ledger refuses it at upload.
    let at = |protocol| {
        findings(
            fixtures::PINNABLE_V1,
            fixtures::PINNABLE_V2,
            Ledger {
                protocol,
                pre_release: false,
            },
        )
    };
    assert!(is_safe(&at(28)));
    let refused = at(27);
    assert!(!is_safe(&refused));
    assert_eq!(refused[0].rule, Rule::InterfaceRefused);
    // A stock follower (interface 27) upgraded to code built for 28, on a 27 ledger.
    let f = findings(
        fixtures::FOLLOWER_V1,
        fixtures::PINNABLE_V1,
        Ledger {
            protocol: 27,
            pre_release: false,
        },
    );
    assert!(f
        .iter()
        .any(|f| f.rule == Rule::InterfaceRefused && f.breaking));
}

#[test]
fn a_module_without_a_spec_is_an_error_not_a_verdict() {
    // A valid Wasm header with no sections at all.
    let empty = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    assert!(ContractSpec::from_wasm(&empty).is_err());
    assert!(ContractSpec::from_wasm(b"not wasm").is_err());
}
