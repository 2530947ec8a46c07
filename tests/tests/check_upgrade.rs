//! `extref check-upgrade` on real contracts: a regression suite of upgrade pairs built
//! from `contracts/` by `contracts/build.sh` (the token's, follower's, pinnable's and
//! vault's versions, and one deliberately incompatible build per rule that is not
//! `ok`), each with the verdict the check must give and the findings that decide it.
//!
//! A verdict is only as good as what it predicts, so pairs are also *run* on the test
//! kit's in-process ledger: a follower of a governed manager's ref is created on the
//! old code and given state, then the ref moves to the new code and the follower runs
//! it on that state. Every safe pair runs so (its old state must read and write under
//! the new code), and so do several breaking ones, showing the break the check
//! reports. One more pair shows what the check cannot see: a private storage type,
//! neither exported nor declared (`vault_hidden_*`), changed under it.

use std::collections::BTreeSet;

use extref_operator::{
    spec::ContractSpec,
    upgrade::{check, is_safe, not_checked, verdict, Finding, Network, Rule, Verdict},
};
use extref_testkit::{
    e2e::{contract_address, external_ref, invoke_fn, sc_symbol, Ledger},
    fixtures, FORK_PROTOCOL,
};
use soroban_env_host::{
    xdr::{
        ContractExecutable, Hash, Int128Parts, ScAddress, ScErrorCode, ScErrorType, ScMap,
        ScMapEntry, ScVal,
    },
    Error, HostError,
};

/// A fixture by its file name in `tests/fixtures` (without `.wasm`).
fn wasm(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{name}.wasm", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn spec(name: &str) -> ContractSpec {
    ContractSpec::from_wasm(&wasm(name)).unwrap()
}

fn findings(old: &str, new: &str, protocol: u32) -> Vec<Finding> {
    check(
        &spec(old),
        &spec(new),
        Network {
            protocol,
            pre_release: false,
        },
    )
}

/// One upgrade and the verdict it must get: the findings that are not `ok`, as
/// (rule, subject), exactly.
struct Pair {
    old: &'static str,
    new: &'static str,
    protocol: u32,
    verdict: Verdict,
    not_ok: &'static [(Rule, &'static str)],
    /// How the verdict is borne out on a ledger, if the pair is run (a `run_*`
    /// function below).
    run: Option<fn()>,
}

const P: u32 = FORK_PROTOCOL;

use Rule::*;
use Verdict::{Breaking, MigrationNeeded, Ok as Safe};

/// A pair on the fork's ledger (protocol 28).
const fn pair(
    old: &'static str,
    new: &'static str,
    verdict: Verdict,
    not_ok: &'static [(Rule, &'static str)],
    run: Option<fn()>,
) -> Pair {
    Pair {
        old,
        new,
        protocol: P,
        verdict,
        not_ok,
        run,
    }
}

/// The regression suite.
#[rustfmt::skip]
const SUITE: &[Pair] = &[
    // Safe upgrades, each run: the old code's state under the new code.
    pair("token_v1", "token_v2", Safe, &[], Some(run_token_v1_v2)),
    pair("token_v2", "token_paused", Safe, &[], Some(run_token_paused)),
    pair("follower_v1", "follower_v2", Safe, &[], Some(run_follower_v1_v2)),
    pair("pinnable_v1", "pinnable_v2", Safe, &[], Some(run_pinnable_v1_v2)),
    pair("vault_v1", "vault_v2", Safe, &[], Some(run_vault_v1_v2)),
    // Real ways back that are not safe upgrades: the rollback from v2 to v1 (callers of
    // `sent` fail), and the way back from the paused build (its error code goes; a
    // manager's `unpause` restores the exact hash it replaced, no check involved).
    pair("token_v2", "token_v1", Breaking, &[(FunctionRemoved, "fn sent"), (TypeRemoved, "V2Key")], None),
    pair("token_paused", "token_v2", Breaking, &[(ErrorCodeRemoved, "TokenError::Paused")], None),
    // One incompatible build per rule (several run, to show the break).
    pair("token_v1", "token_break_fn_removed", Breaking, &[(FunctionRemoved, "fn approve")], None),
    pair("token_v1", "token_break_fn_signature", Breaking, &[(FunctionSignature, "fn transfer")], None),
    pair("follower_v1", "follower_break_constructor_added", MigrationNeeded, &[(ConstructorAdded, "fn __constructor")], Some(run_constructor_added)),
    pair("vault_v1", "vault_break_constructor_changed", MigrationNeeded, &[(ConstructorChanged, "fn __constructor")], Some(run_constructor_changed)),
    pair("vault_v1", "vault_break_constructor_removed", Breaking, &[(ConstructorRemoved, "fn __constructor")], None),
    pair("token_v1", "token_break_struct", Breaking, &[(StructFields, "AllowanceKey")], None),
    pair("vault_v1", "vault_break_union_case_removed", Breaking, &[(UnionCaseRemoved, "DataKey::Owner")], Some(run_union_case_removed)),
    pair("token_v1", "token_break_union", Breaking, &[(UnionCaseChanged, "DataKey::Balance")], None),
    pair("vault_v1", "vault_break_enum_case_removed", Breaking, &[(EnumCaseRemoved, "Tier::Gold")], Some(run_enum_case_removed)),
    pair("vault_v1", "vault_break_enum_case_renumbered", Breaking, &[(EnumCaseRenumbered, "Tier::Gold")], None),
    pair("vault_v1", "vault_break_enum_value_reused", Breaking, &[(EnumCaseRenumbered, "Tier::Gold"), (EnumValueReused, "Tier::Silver")], None),
    pair("vault_v1", "vault_break_error_code_removed", Breaking, &[(ErrorCodeRemoved, "VaultError::OverLimit")], None),
    pair("vault_v1", "vault_break_error_code_renumbered", Breaking, &[(ErrorCodeRenumbered, "VaultError::Insufficient")], None),
    pair("token_v1", "token_break_error", Breaking, &[(ErrorCodeRenumbered, "TokenError::InsufficientBalance"), (ErrorCodeReused, "TokenError::Frozen")], None),
    pair("vault_v1", "vault_break_type_removed", Breaking, &[(TypeRemoved, "Checkpoint")], Some(run_type_removed)),
    pair("vault_v1", "vault_break_type_kind_changed", Breaking, &[(TypeKindChanged, "Tier")], None),
    pair("vault_v1", "vault_break_duplicate_type", Breaking, &[(DuplicateType, "Config")], None),
    pair("vault_v1", "vault_break_event_removed", Breaking, &[(EventRemoved, "event Deposited")], None),
    pair("vault_v1", "vault_break_event_changed", Breaking, &[(EventChanged, "event Deposited")], None),
    pair("vault_v1", "vault_break_storage_undeclared", Breaking, &[(StorageUndeclared, "storage types")], None),
    // The pinnable is built on the fork's env (interface 28): a protocol-27 ledger
    // refuses it at upload.
    Pair { protocol: 27, ..pair("pinnable_v1", "pinnable_v2", Breaking, &[(InterfaceRefused, "env interface")], None) },
];

/// For each rule that is not `ok`, the fixture built to trip it (README: "one
/// deliberately incompatible build per rule").
const FIXTURE_PER_RULE: &[(Rule, &str)] = &[
    (FunctionRemoved, "token_break_fn_removed"),
    (FunctionSignature, "token_break_fn_signature"),
    (ConstructorAdded, "follower_break_constructor_added"),
    (ConstructorChanged, "vault_break_constructor_changed"),
    (ConstructorRemoved, "vault_break_constructor_removed"),
    (StructFields, "token_break_struct"),
    (UnionCaseRemoved, "vault_break_union_case_removed"),
    (UnionCaseChanged, "token_break_union"),
    (EnumCaseRemoved, "vault_break_enum_case_removed"),
    (EnumCaseRenumbered, "vault_break_enum_case_renumbered"),
    (EnumValueReused, "vault_break_enum_value_reused"),
    (ErrorCodeRemoved, "vault_break_error_code_removed"),
    (ErrorCodeRenumbered, "vault_break_error_code_renumbered"),
    (ErrorCodeReused, "token_break_error"),
    (TypeRemoved, "vault_break_type_removed"),
    (TypeKindChanged, "vault_break_type_kind_changed"),
    (DuplicateType, "vault_break_duplicate_type"),
    (EventRemoved, "vault_break_event_removed"),
    (EventChanged, "vault_break_event_changed"),
    (StorageUndeclared, "vault_break_storage_undeclared"),
    (InterfaceRefused, "pinnable_v2"),
];

#[test]
fn every_pair_gets_its_verdict_and_exactly_its_findings() {
    for p in SUITE {
        let f = findings(p.old, p.new, p.protocol);
        let mut got: Vec<(Rule, String)> = f
            .iter()
            .filter(|f| f.verdict != Verdict::Ok)
            .map(|f| (f.rule, f.subject.clone()))
            .collect();
        got.sort();
        let mut want: Vec<(Rule, String)> =
            p.not_ok.iter().map(|(r, s)| (*r, s.to_string())).collect();
        want.sort();
        assert_eq!(got, want, "{} -> {}: {f:#?}", p.old, p.new);
        assert_eq!(verdict(&f), p.verdict, "{} -> {}", p.old, p.new);
        assert_eq!(is_safe(&f), p.verdict == Verdict::Ok);
    }
}

#[test]
fn every_rule_that_is_not_ok_has_its_own_fixture_in_the_suite() {
    let mut covered = BTreeSet::new();
    for (rule, fixture) in FIXTURE_PER_RULE {
        assert!(covered.insert(*rule), "{rule:?} twice");
        let pair = SUITE
            .iter()
            .find(|p| p.new == *fixture && p.not_ok.iter().any(|(r, _)| r == rule))
            .unwrap_or_else(|| panic!("no pair in the suite trips {rule:?} with {fixture}"));
        assert_ne!(pair.verdict, Verdict::Ok);
    }
    for rule in Rule::ALL {
        assert_eq!(
            covered.contains(rule),
            rule.verdict() != Verdict::Ok,
            "{rule:?}: every rule that is not ok has a fixture, and only those"
        );
    }
    // Each rule its own fixture (the interface rule's is a real build, pinnable_v2,
    // refused at protocol 27).
    let names: BTreeSet<&str> = FIXTURE_PER_RULE.iter().map(|(_, f)| *f).collect();
    assert_eq!(names.len(), FIXTURE_PER_RULE.len());
}

/// What the check cannot see, run: the owner's key renamed in a private enum that is
/// neither exported nor declared (`vault_hidden_*`, as a stock contract keeps its keys).
/// The specs are identical and the report says "safe" only "in what the specs show",
/// naming the gap; on the ledger the owner is lost, and with it `upgrade`.
#[test]
fn the_blind_spot_is_named_and_real() {
    let f = findings("vault_hidden_v1", "vault_hidden_break", P);
    assert!(f.is_empty(), "{f:#?}");
    let notes = not_checked(&spec("vault_hidden_v1"), &spec("vault_hidden_break"));
    assert!(notes[1].contains("neither build declares"), "{notes:?}");
    run_vault_hidden();
}

#[test]
fn every_safe_pair_is_run_on_a_ledger() {
    for p in SUITE.iter().filter(|p| p.verdict == Verdict::Ok) {
        let run = p
            .run
            .unwrap_or_else(|| panic!("{} -> {} is safe but never run", p.old, p.new));
        run();
    }
}

#[test]
fn breaking_pairs_break_when_run() {
    for p in SUITE.iter().filter(|p| p.verdict != Verdict::Ok) {
        if let Some(run) = p.run {
            run();
        }
    }
}

#[test]
fn what_the_safe_pairs_add_is_reported_as_information() {
    let subjects = |old, new| -> Vec<(Rule, String)> {
        findings(old, new, P)
            .into_iter()
            .map(|f| (f.rule, f.subject))
            .collect()
    };
    assert_eq!(
        subjects("token_v1", "token_v2"),
        [
            (FunctionAdded, "fn sent".to_string()),
            (TypeAdded, "V2Key".to_string())
        ]
    );
    let v2 = subjects("vault_v1", "vault_v2");
    for expected in [
        (FunctionInputRenamed, "fn set_config"),
        (FunctionAdded, "fn withdrawn"),
        (UnionCaseAdded, "DataKey::Withdrawn"),
        (EnumCaseAdded, "Tier::Platinum"),
        (ErrorCodeAdded, "VaultError::ZeroAmount"),
        (TypeRenamed, "Config"),
        (EventAdded, "event Withdrawn"),
    ] {
        assert!(
            v2.contains(&(expected.0, expected.1.to_string())),
            "{expected:?} in {v2:#?}"
        );
    }
    assert_eq!(v2.len(), 7, "{v2:#?}");
}

#[test]
fn the_report_says_what_it_cannot_see() {
    // The vault declares its storage types; the token (all its types `pub`) does not.
    assert_eq!(
        spec("vault_v1").storage.as_deref(),
        Some(&["DataKey", "Config", "Tier", "Checkpoint"].map(String::from)[..])
    );
    assert_eq!(spec("token_v1").storage, None);
    let declared = not_checked(&spec("vault_v1"), &spec("vault_v2"));
    assert!(declared[0].starts_with("storage keys and durability"));
    assert!(declared[1].contains("declares DataKey, Settings, Tier, Checkpoint"));
    // Without the declaration, the private key enum is not in the spec at all.
    assert!(!spec("vault_hidden_v1")
        .entries
        .iter()
        .any(|e| format!("{e:?}").contains("DataKey")));
}

#[test]
fn a_module_without_a_spec_is_an_error_not_a_verdict() {
    // A valid Wasm header with no sections at all.
    let empty = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    assert!(ContractSpec::from_wasm(&empty).is_err());
    assert!(ContractSpec::from_wasm(b"not wasm").is_err());
}

// ---------------------------------------------------------------------------------
// Running pairs: a follower on the old code, then on the new one.
// ---------------------------------------------------------------------------------

const KEY: &str = "fleet";

/// A governed manager (no timelock, the source account its admin) whose ref `KEY`
/// points at `old`, and one follower of it created with `args`.
struct Run {
    ledger: Ledger,
    manager: ScAddress,
    follower: ScAddress,
}

fn hash_val(h: &Hash) -> ScVal {
    ScVal::Bytes(h.0.to_vec().try_into().unwrap())
}

fn sym(s: &str) -> ScVal {
    ScVal::Symbol(sc_symbol(s))
}

fn i128v(v: i128) -> ScVal {
    ScVal::I128(Int128Parts {
        hi: (v >> 64) as i64,
        lo: v as u64,
    })
}

fn addr(a: &ScAddress) -> ScVal {
    ScVal::Address(a.clone())
}

fn map(entries: &[(&str, ScVal)]) -> ScVal {
    ScVal::Map(Some(ScMap(
        entries
            .iter()
            .map(|(k, v)| ScMapEntry {
                key: sym(k),
                val: v.clone(),
            })
            .collect::<Vec<_>>()
            .try_into()
            .unwrap(),
    )))
}

/// A holder that never signs: it only receives.
fn holder() -> ScAddress {
    contract_address(77)
}

/// The transaction source account: admin, owner and the holder that signs.
fn me() -> ScAddress {
    Ledger::at_protocol(FORK_PROTOCOL).source_address()
}

impl Run {
    fn new(old: &[u8], args: Vec<ScVal>) -> Run {
        let mut ledger = Ledger::at_protocol(FORK_PROTOCOL);
        let code = ledger.upload(old).unwrap();
        let manager_code = ledger.upload(fixtures::MANAGER).unwrap();
        let admin = ledger.source_address();
        let (manager, _) = ledger
            .create(
                ContractExecutable::Wasm(manager_code),
                [1; 32],
                vec![addr(&admin), ScVal::U32(0)],
            )
            .unwrap();
        ledger
            .submit(invoke_fn(
                &manager,
                "set_ref",
                vec![sym(KEY), hash_val(&code)],
            ))
            .unwrap();
        let (follower, _) = ledger
            .create(external_ref(&manager, KEY), [2; 32], args)
            .unwrap();
        Run {
            ledger,
            manager,
            follower,
        }
    }

    fn call(&mut self, f: &str, args: Vec<ScVal>) -> Result<ScVal, HostError> {
        let follower = self.follower.clone();
        self.ledger.invoke(&follower, f, args).map(|r| r.result)
    }

    fn ok(&mut self, f: &str, args: Vec<ScVal>) -> ScVal {
        self.call(f, args)
            .unwrap_or_else(|e| panic!("{f} failed: {e:?}"))
    }

    /// Moves the ref to `new` (uploaded first): the follower runs it from its next call.
    fn upgrade(&mut self, new: &[u8]) -> Hash {
        let hash = self.ledger.upload(new).unwrap();
        let manager = self.manager.clone();
        self.ledger
            .submit(invoke_fn(
                &manager,
                "set_ref",
                vec![sym(KEY), hash_val(&hash)],
            ))
            .unwrap();
        hash
    }
}

fn contract_error(r: Result<ScVal, HostError>, code: u32) {
    match r {
        Err(e) => assert_eq!(e.error, Error::from_contract_error(code), "{e:?}"),
        Ok(v) => panic!("expected contract error {code}, got {v:?}"),
    }
}

/// The call traps: the contract's Wasm hit `unreachable` (soroban-sdk's trap for a
/// stored value that no longer decodes, or an unwrap of nothing).
fn traps(r: Result<ScVal, HostError>, what: &str) {
    match r {
        Err(e) => assert_eq!(
            e.error,
            Error::from_type_and_code(ScErrorType::WasmVm, ScErrorCode::InvalidAction),
            "{what}"
        ),
        Ok(v) => panic!("{what}: expected a trap, got {v:?}"),
    }
}

fn run_token_v1_v2() {
    let me = me();
    let mut r = Run::new(fixtures::TOKEN_V1, vec![addr(&me)]);
    let x = holder();
    r.ok("mint", vec![addr(&me), i128v(1_000)]);
    r.ok("mint", vec![addr(&x), i128v(5)]);
    r.ok("transfer", vec![addr(&me), addr(&x), i128v(100)]);
    r.ok("approve", vec![addr(&me), addr(&x), i128v(50)]);

    r.upgrade(fixtures::TOKEN_V2);
    assert_eq!(r.ok("version", vec![]), ScVal::U32(2));
    assert_eq!(r.ok("admin", vec![]), addr(&me));
    assert_eq!(r.ok("balance", vec![addr(&me)]), i128v(900));
    assert_eq!(r.ok("balance", vec![addr(&x)]), i128v(105));
    assert_eq!(r.ok("allowance", vec![addr(&me), addr(&x)]), i128v(50));
    r.ok("transfer", vec![addr(&me), addr(&x), i128v(10)]);
    assert_eq!(r.ok("balance", vec![addr(&x)]), i128v(115));
    assert_eq!(r.ok("sent", vec![addr(&me)]), ScVal::U32(1));
}

fn run_token_paused() {
    let me = me();
    let mut r = Run::new(fixtures::TOKEN_V2, vec![addr(&me)]);
    r.ok("mint", vec![addr(&me), i128v(1_000)]);
    r.ok("transfer", vec![addr(&me), addr(&holder()), i128v(1)]);

    r.upgrade(fixtures::TOKEN_PAUSED);
    assert_eq!(r.ok("version", vec![]), ScVal::U32(0));
    // v2's data reads under the paused build; every write is refused, by design.
    assert_eq!(r.ok("balance", vec![addr(&me)]), i128v(999));
    assert_eq!(r.ok("sent", vec![addr(&me)]), ScVal::U32(1));
    contract_error(
        r.call("transfer", vec![addr(&me), addr(&holder()), i128v(1)]),
        5,
    );
}

fn run_follower_v1_v2() {
    let mut r = Run::new(fixtures::FOLLOWER_V1, vec![]);
    r.ok("put", vec![sym("n"), ScVal::U32(7)]);
    r.upgrade(fixtures::FOLLOWER_V2);
    assert_eq!(r.ok("version", vec![]), ScVal::U32(2));
    assert_eq!(r.ok("get", vec![sym("n")]), ScVal::U32(7));
    assert_eq!(r.ok("bump", vec![sym("n")]), ScVal::U32(8));
}

fn run_pinnable_v1_v2() {
    let me = me();
    let mut r = Run::new(fixtures::PINNABLE_V1, vec![addr(&me)]);
    r.upgrade(fixtures::PINNABLE_V2);
    assert_eq!(r.ok("version", vec![]), ScVal::U32(2));
    // The admin v1 stored (under its private, undeclared key) still reads.
    assert_eq!(r.ok("admin", vec![]), addr(&me));
}

/// A vault follower on `old` with some of everything stored: a deposit (balance,
/// checkpoint, event), a Gold tier, a config set by the owner.
fn vault_with_state(old: &[u8]) -> Run {
    let me = me();
    let mut r = Run::new(old, vec![addr(&me), i128v(1_000)]);
    r.ok("deposit", vec![addr(&me), i128v(300)]);
    r.ok("set_tier", vec![addr(&me), ScVal::U32(1)]);
    r.ok(
        "set_config",
        vec![map(&[("fee_bps", ScVal::U32(5)), ("limit", i128v(2_000))])],
    );
    r
}

fn run_vault_v1_v2() {
    let mut r = vault_with_state(&wasm("vault_v1"));
    let me = me();
    let at = r.ok("last_deposit_ledger", vec![]);
    r.upgrade(&wasm("vault_v2"));
    assert_eq!(r.ok("version", vec![]), ScVal::U32(2));
    assert_eq!(r.ok("owner", vec![]), addr(&me));
    // v1's Config reads as v2's Settings: the name was never stored.
    assert_eq!(
        r.ok("config", vec![]),
        map(&[("fee_bps", ScVal::U32(5)), ("limit", i128v(2_000))])
    );
    assert_eq!(r.ok("balance", vec![addr(&me)]), i128v(300));
    assert_eq!(r.ok("tier", vec![addr(&me)]), ScVal::U32(1));
    assert_eq!(r.ok("last_deposit_ledger", vec![]), at);
    // And writes on top of it.
    r.ok("deposit", vec![addr(&me), i128v(1_000)]);
    contract_error(r.call("deposit", vec![addr(&me), i128v(701)]), 2);
    r.ok("withdraw", vec![addr(&me), i128v(50)]);
    assert_eq!(r.ok("withdrawn", vec![addr(&me)]), i128v(50));
    assert_eq!(r.ok("balance", vec![addr(&me)]), i128v(1_250));
    r.ok("set_tier", vec![addr(&me), ScVal::U32(2)]);
    contract_error(r.call("withdraw", vec![addr(&me), i128v(0)]), 4);
}

/// A vault deployed on its own (not a follower) upgrades itself to the build that
/// renamed its hidden owner key: the owner is lost, and with it `upgrade`, so it can
/// never be upgraded again.
fn run_vault_hidden() {
    let me = me();
    let mut ledger = Ledger::at_protocol(FORK_PROTOCOL);
    let v1 = ledger.upload(&wasm("vault_hidden_v1")).unwrap();
    let broken = ledger.upload(&wasm("vault_hidden_break")).unwrap();
    let (vault, _) = ledger
        .create(
            ContractExecutable::Wasm(v1.clone()),
            [3; 32],
            vec![addr(&me), i128v(1_000)],
        )
        .unwrap();
    ledger
        .invoke(&vault, "deposit", vec![addr(&me), i128v(10)])
        .unwrap();
    ledger
        .invoke(&vault, "upgrade", vec![hash_val(&broken)])
        .expect("the owner upgrades");
    assert_eq!(
        ledger
            .invoke(&vault, "balance", vec![addr(&me)])
            .unwrap()
            .result,
        i128v(10)
    );
    traps(
        ledger.invoke(&vault, "owner", vec![]).map(|r| r.result),
        "the owner, stored under the old case",
    );
    traps(
        ledger
            .invoke(&vault, "upgrade", vec![hash_val(&v1)])
            .map(|r| r.result),
        "upgrading back",
    );
}

/// The same change with the key exported and declared: reported (union_case_removed),
/// and it breaks as the report says.
fn run_union_case_removed() {
    let mut r = vault_with_state(&wasm("vault_v1"));
    r.upgrade(&wasm("vault_break_union_case_removed"));
    traps(r.call("owner", vec![]), "the owner");
    let me = me();
    traps(
        r.call("set_tier", vec![addr(&me), ScVal::U32(0)]),
        "set_tier",
    );
}

fn run_enum_case_removed() {
    let mut r = vault_with_state(&wasm("vault_v1"));
    r.upgrade(&wasm("vault_break_enum_case_removed"));
    let me = me();
    traps(r.call("tier", vec![addr(&me)]), "a stored Gold");
}

fn run_type_removed() {
    let mut r = vault_with_state(&wasm("vault_v1"));
    r.upgrade(&wasm("vault_break_type_removed"));
    traps(r.call("last_deposit_ledger", vec![]), "a stored Checkpoint");
}

/// Followers deployed before the constructor existed trap where the new code unwraps
/// what it stores; a follower deployed after works: the migration the verdict asks for.
fn run_constructor_added() {
    let mut r = Run::new(fixtures::FOLLOWER_V1, vec![]);
    r.ok("put", vec![sym("n"), ScVal::U32(7)]);
    let new = wasm("follower_break_constructor_added");
    r.upgrade(&new);
    assert_eq!(r.ok("get", vec![sym("n")]), ScVal::U32(7));
    traps(
        r.call("limit", vec![]),
        "the limit an old follower never stored",
    );
    let (fresh, _) = r
        .ledger
        .create(external_ref(&r.manager, KEY), [9; 32], vec![ScVal::U32(10)])
        .unwrap();
    assert_eq!(
        r.ledger.invoke(&fresh, "limit", vec![]).unwrap().result,
        ScVal::U32(10)
    );
}

fn run_constructor_changed() {
    let mut r = vault_with_state(&wasm("vault_v1"));
    r.upgrade(&wasm("vault_break_constructor_changed"));
    let me = me();
    assert_eq!(r.ok("balance", vec![addr(&me)]), i128v(300));
    traps(
        r.call("deposit", vec![addr(&me), i128v(1)]),
        "a deposit reading the treasury the old constructor never stored",
    );
}
