//! Native tests of the manager's governance, on the fork's host (this
//! workspace's [patch]); the Wasm the references point at are the follower
//! fixtures, uploaded but never run here (see the factory's tests for followers).
extern crate std;

use super::*;
use extref_sdk::testutils::use_fork_protocol;
use soroban_sdk::{
    testutils::{Address as _, AuthorizedFunction, AuthorizedInvocation, Events as _, Ledger as _},
    xdr, IntoVal, Val, Vec,
};

const FOLLOWER_V1: &[u8] = include_bytes!("../../../../tests/fixtures/follower_v1.wasm");
const FOLLOWER_V2: &[u8] = include_bytes!("../../../../tests/fixtures/follower_v2.wasm");
const START: u32 = 100;

struct Setup {
    env: Env,
    admin: Address,
    manager: ManagerClient<'static>,
    v1: BytesN<32>,
    v2: BytesN<32>,
}

fn setup(delay: u32) -> Setup {
    let env = Env::default();
    use_fork_protocol(&env);
    env.ledger().set_sequence_number(START);
    env.mock_all_auths();
    let admin = Address::generate(&env);
    let id = env.register(Manager, (admin.clone(), delay));
    let v1 = env.deployer().upload_contract_wasm(FOLLOWER_V1);
    let v2 = env.deployer().upload_contract_wasm(FOLLOWER_V2);
    Setup {
        manager: ManagerClient::new(&env, &id),
        env,
        admin,
        v1,
        v2,
    }
}

fn sym(env: &Env, s: &str) -> Symbol {
    Symbol::new(env, s)
}

/// Asserts the contract events of the last invocation: all from the manager,
/// as (topics, data).
fn assert_events(s: &Setup, expected: std::vec::Vec<(Vec<Val>, Val)>) {
    let mut want: Vec<(Address, Vec<Val>, Val)> = Vec::new(&s.env);
    for (topics, data) in expected {
        want.push_back((s.manager.address.clone(), topics, data));
    }
    assert_eq!(s.env.events().all(), want);
}

#[test]
fn constructor_sets_admin_and_delay() {
    let s = setup(7);
    assert_eq!(s.manager.admin(), s.admin);
    assert_eq!(s.manager.delay(), 7);
    assert_eq!(s.manager.current(&sym(&s.env, "token")), None);
    assert_eq!(s.manager.pending(&sym(&s.env, "token")), None);
}

#[test]
fn set_ref_is_immediate_without_a_timelock() {
    let s = setup(0);
    let key = sym(&s.env, "token");
    s.manager.set_ref(&key, &s.v1);
    assert_eq!(
        s.env.auths(),
        std::vec![(
            s.admin.clone(),
            AuthorizedInvocation {
                function: AuthorizedFunction::Contract((
                    s.manager.address.clone(),
                    sym(&s.env, "set_ref"),
                    (key.clone(), s.v1.clone()).into_val(&s.env),
                )),
                sub_invocations: std::vec![],
            }
        )]
    );
    assert_eq!(s.manager.current(&key), Some(s.v1.clone()));
    s.manager.set_ref(&key, &s.v2);
    assert_eq!(s.manager.current(&key), Some(s.v2.clone()));
    // Only the ref was written: nothing to roll back to.
    assert_eq!(s.manager.previous(&key), None);
}

#[test]
fn set_ref_is_refused_under_a_timelock() {
    let s = setup(10);
    let key = sym(&s.env, "token");
    assert_eq!(
        s.manager.try_set_ref(&key, &s.v1),
        Err(Ok(Error::Timelocked))
    );
    assert_eq!(s.manager.current(&key), None);
}

#[test]
fn set_ref_requires_the_admin() {
    let s = setup(0);
    s.env.set_auths(&[]);
    let key = sym(&s.env, "token");
    assert!(s.manager.try_set_ref(&key, &s.v1).is_err());
    assert!(s.manager.try_propose(&key, &s.v1).is_err());
    assert!(s
        .manager
        .try_set_canary(&key, &sym(&s.env, "canary"))
        .is_err());
    assert!(s.manager.try_rollback(&key).is_err());
    assert_eq!(s.manager.current(&key), None);
    assert_eq!(s.manager.pending(&key), None);
}

#[test]
fn set_ref_of_code_never_uploaded_fails() {
    let s = setup(0);
    let key = sym(&s.env, "token");
    assert!(s
        .manager
        .try_set_ref(&key, &BytesN::from_array(&s.env, &[0xab; 32]))
        .is_err());
    assert_eq!(s.manager.current(&key), None);
}

#[test]
fn timelock_propose_then_apply_after_eta() {
    let s = setup(10);
    let key = sym(&s.env, "token");

    s.manager.propose(&key, &s.v1);
    assert_eq!(s.env.auths()[0].0, s.admin);
    let eta = START + 10;
    assert_events(
        &s,
        std::vec![(
            (sym(&s.env, "proposed"), key.clone()).into_val(&s.env),
            (s.v1.clone(), eta).into_val(&s.env),
        )],
    );
    assert_eq!(s.manager.pending(&key), Some((s.v1.clone(), eta)));

    // Too early, at the proposal's ledger and just before eta: refused, nothing changes.
    assert_eq!(s.manager.try_apply(&key), Err(Ok(Error::TooEarly)));
    s.env.ledger().set_sequence_number(eta - 1);
    assert_eq!(s.manager.try_apply(&key), Err(Ok(Error::TooEarly)));
    assert_eq!(s.manager.current(&key), None);
    assert_eq!(s.manager.pending(&key), Some((s.v1.clone(), eta)));

    // At eta anyone may apply: no authorization is needed.
    s.env.ledger().set_sequence_number(eta);
    s.manager.apply(&key);
    assert_eq!(s.env.auths(), std::vec![]);
    assert_events(
        &s,
        std::vec![(
            (sym(&s.env, "applied"), key.clone()).into_val(&s.env),
            (Option::<BytesN<32>>::None, s.v1.clone()).into_val(&s.env),
        )],
    );
    assert_eq!(s.manager.current(&key), Some(s.v1.clone()));
    assert_eq!(s.manager.pending(&key), None);
    assert_eq!(s.manager.try_apply(&key), Err(Ok(Error::NoProposal)));

    // The next update reports the old hash.
    s.manager.propose(&key, &s.v2);
    s.env.ledger().set_sequence_number(eta + 10);
    s.manager.apply(&key);
    assert_events(
        &s,
        std::vec![(
            (sym(&s.env, "applied"), key.clone()).into_val(&s.env),
            (Some(s.v1.clone()), s.v2.clone()).into_val(&s.env),
        )],
    );
    assert_eq!(s.manager.current(&key), Some(s.v2.clone()));
}

#[test]
fn proposing_again_replaces_the_proposal_and_restarts_the_timelock() {
    let s = setup(10);
    let key = sym(&s.env, "token");
    s.manager.propose(&key, &s.v1);
    s.env.ledger().set_sequence_number(START + 5);
    s.manager.propose(&key, &s.v2);
    assert_eq!(s.manager.pending(&key), Some((s.v2.clone(), START + 15)));
    s.env.ledger().set_sequence_number(START + 10);
    assert_eq!(s.manager.try_apply(&key), Err(Ok(Error::TooEarly)));
    s.env.ledger().set_sequence_number(START + 15);
    s.manager.apply(&key);
    assert_eq!(s.manager.current(&key), Some(s.v2.clone()));
}

#[test]
fn apply_without_a_proposal() {
    let s = setup(0);
    assert_eq!(
        s.manager.try_apply(&sym(&s.env, "token")),
        Err(Ok(Error::NoProposal))
    );
}

#[test]
fn keys_are_independent() {
    let s = setup(0);
    let (a, b) = (sym(&s.env, "a"), sym(&s.env, "b"));
    s.manager.set_ref(&a, &s.v1);
    s.manager.set_ref(&b, &s.v2);
    s.manager.propose(&a, &s.v2);
    assert_eq!(s.manager.pending(&b), None);
    assert_eq!(s.manager.current(&a), Some(s.v1.clone()));
    assert_eq!(s.manager.current(&b), Some(s.v2.clone()));
}

#[test]
fn canary_gates_apply_until_the_hash_is_live_on_the_canary() {
    let s = setup(5);
    let (prod, canary) = (sym(&s.env, "prod"), sym(&s.env, "canary"));
    s.manager.set_canary(&prod, &canary);
    assert_events(
        &s,
        std::vec![(
            (sym(&s.env, "canary_set"), prod.clone()).into_val(&s.env),
            canary.into_val(&s.env),
        )],
    );
    assert_eq!(s.manager.canary(&prod), Some(canary.clone()));

    // prod first: refused, the canary has not got v1.
    s.manager.propose(&prod, &s.v1);
    s.env.ledger().set_sequence_number(START + 5);
    assert_eq!(s.manager.try_apply(&prod), Err(Ok(Error::CanaryNotLive)));
    assert_eq!(s.manager.current(&prod), None);
    // The proposal survives the refusal.
    assert_eq!(s.manager.pending(&prod), Some((s.v1.clone(), START + 5)));

    // The canary goes first (with its own timelock), then prod may follow.
    s.manager.propose(&canary, &s.v1);
    s.env.ledger().set_sequence_number(START + 10);
    s.manager.apply(&canary);
    s.manager.apply(&prod);
    assert_eq!(s.manager.current(&prod), Some(s.v1.clone()));

    // A hash the canary ran before but no longer runs does not count.
    s.manager.propose(&canary, &s.v2);
    s.env.ledger().set_sequence_number(START + 15);
    s.manager.apply(&canary);
    s.manager.propose(&canary, &s.v1);
    s.manager.propose(&prod, &s.v2);
    s.env.ledger().set_sequence_number(START + 20);
    s.manager.apply(&canary);
    assert_eq!(s.manager.try_apply(&prod), Err(Ok(Error::CanaryNotLive)));
    assert_eq!(s.manager.current(&prod), Some(s.v1.clone()));
}

#[test]
fn canary_gates_set_ref_too() {
    let s = setup(0);
    let (prod, canary) = (sym(&s.env, "prod"), sym(&s.env, "canary"));
    s.manager.set_canary(&prod, &canary);
    assert_eq!(
        s.manager.try_set_ref(&prod, &s.v1),
        Err(Ok(Error::CanaryNotLive))
    );
    s.manager.set_ref(&canary, &s.v1);
    s.manager.set_ref(&prod, &s.v1);
    assert_eq!(s.manager.current(&prod), Some(s.v1.clone()));
}

#[test]
fn a_key_cannot_be_its_own_canary() {
    let s = setup(0);
    let key = sym(&s.env, "token");
    assert_eq!(
        s.manager.try_set_canary(&key, &key),
        Err(Ok(Error::InvalidCanary))
    );
    assert_eq!(s.manager.canary(&key), None);
}

#[test]
fn rollback_returns_to_the_previous_hash_at_once() {
    let s = setup(100);
    let key = sym(&s.env, "token");

    // The first apply replaces nothing: nothing to roll back to.
    s.manager.propose(&key, &s.v1);
    s.env.ledger().set_sequence_number(START + 100);
    s.manager.apply(&key);
    assert_eq!(s.manager.previous(&key), None);
    assert_eq!(s.manager.try_rollback(&key), Err(Ok(Error::NoPrevious)));

    s.manager.propose(&key, &s.v2);
    s.env.ledger().set_sequence_number(START + 200);
    s.manager.apply(&key);
    assert_eq!(s.manager.previous(&key), Some(s.v1.clone()));

    // No timelock for the way back.
    s.manager.rollback(&key);
    assert_eq!(s.env.auths()[0].0, s.admin);
    assert_events(
        &s,
        std::vec![(
            (sym(&s.env, "rolled_back"), key.clone()).into_val(&s.env),
            (Some(s.v2.clone()), s.v1.clone()).into_val(&s.env),
        )],
    );
    assert_eq!(s.manager.current(&key), Some(s.v1.clone()));
    // Only one step back: going forward again takes a new proposal.
    assert_eq!(s.manager.previous(&key), None);
    assert_eq!(s.manager.try_rollback(&key), Err(Ok(Error::NoPrevious)));
    assert_eq!(s.manager.current(&key), Some(s.v1.clone()));
}

#[test]
fn rollback_ignores_the_canary() {
    let s = setup(0);
    let (prod, canary) = (sym(&s.env, "prod"), sym(&s.env, "canary"));
    s.manager.set_ref(&canary, &s.v1);
    s.manager.set_canary(&prod, &canary);
    s.manager.propose(&prod, &s.v1);
    s.manager.apply(&prod);
    s.manager.set_ref(&canary, &s.v2);
    s.manager.propose(&prod, &s.v2);
    s.manager.apply(&prod);
    // The canary stays on v2, prod goes back to v1 anyway.
    s.manager.rollback(&prod);
    assert_eq!(s.manager.current(&prod), Some(s.v1.clone()));
    assert_eq!(s.manager.current(&canary), Some(s.v2.clone()));
}

#[test]
fn pause_points_the_key_at_the_paused_build_and_unpause_returns_exactly() {
    // A timelocked manager: pause and unpause still act at once.
    let s = setup(100);
    let key = sym(&s.env, "token");
    s.manager.propose(&key, &s.v1);
    s.env.ledger().set_sequence_number(START + 100);
    s.manager.apply(&key);
    // The "paused build" is any uploaded code here (the manager never runs it).
    let paused = s.v2.clone();

    s.manager.pause(&key, &paused);
    assert_eq!(s.env.auths()[0].0, s.admin);
    assert_events(
        &s,
        std::vec![(
            (sym(&s.env, "paused"), key.clone()).into_val(&s.env),
            (s.v1.clone(), paused.clone()).into_val(&s.env),
        )],
    );
    assert_eq!(s.manager.current(&key), Some(paused.clone()));
    assert_eq!(s.manager.paused(&key), Some(s.v1.clone()));

    s.manager.unpause(&key);
    assert_eq!(s.env.auths()[0].0, s.admin);
    assert_events(
        &s,
        std::vec![(
            (sym(&s.env, "unpaused"), key.clone()).into_val(&s.env),
            s.v1.clone().into_val(&s.env),
        )],
    );
    assert_eq!(s.manager.current(&key), Some(s.v1.clone()));
    assert_eq!(s.manager.paused(&key), None);
}

#[test]
fn a_paused_key_moves_only_by_unpause() {
    let s = setup(0);
    let key = sym(&s.env, "token");
    assert_eq!(s.manager.try_pause(&key, &s.v2), Err(Ok(Error::NoRef)));
    assert_eq!(s.manager.try_unpause(&key), Err(Ok(Error::NotPaused)));
    s.manager.set_ref(&key, &s.v1);
    s.manager.pause(&key, &s.v2);
    assert_eq!(
        s.manager.try_pause(&key, &s.v2),
        Err(Ok(Error::AlreadyPaused))
    );
    assert_eq!(s.manager.try_set_ref(&key, &s.v1), Err(Ok(Error::IsPaused)));
    s.manager.propose(&key, &s.v1);
    assert_eq!(s.manager.try_apply(&key), Err(Ok(Error::IsPaused)));
    assert_eq!(s.manager.try_rollback(&key), Err(Ok(Error::IsPaused)));
    assert_eq!(s.manager.current(&key), Some(s.v2.clone()));
    // Other keys are not affected.
    let other = sym(&s.env, "other");
    s.manager.set_ref(&other, &s.v2);
    assert_eq!(s.manager.current(&other), Some(s.v2.clone()));
    s.manager.unpause(&key);
    assert_eq!(s.manager.current(&key), Some(s.v1.clone()));
}

#[test]
fn pause_and_unpause_require_the_admin() {
    let s = setup(0);
    let key = sym(&s.env, "token");
    s.manager.set_ref(&key, &s.v1);
    s.env.mock_auths(&[]);
    assert!(s.manager.try_pause(&key, &s.v2).is_err());
    assert_eq!(s.manager.current(&key), Some(s.v1.clone()));
    s.env.mock_all_auths();
    s.manager.pause(&key, &s.v2);
    s.env.mock_auths(&[]);
    assert!(s.manager.try_unpause(&key).is_err());
    assert_eq!(s.manager.current(&key), Some(s.v2.clone()));
}

/// The TTL of the manager's reference `key`, read from the host's storage.
fn ref_live_until(s: &Setup, key: &str) -> Option<u32> {
    let lk = xdr::LedgerKey::ContractData(xdr::LedgerKeyContractData {
        contract: xdr::ScAddress::from(&s.manager.address),
        key: xdr::ScVal::LedgerKeyWasmRef(xdr::ScSymbol(key.try_into().unwrap())),
        durability: xdr::ContractDataDurability::Persistent,
    });
    s.env
        .host()
        .get_ledger_entry(&std::rc::Rc::new(lk))
        .unwrap()
        .and_then(|(_, live_until)| live_until)
}

#[test]
fn anyone_extends_a_ref() {
    let s = setup(0);
    let key = sym(&s.env, "token");
    s.manager.set_ref(&key, &s.v1);
    let before = ref_live_until(&s, "token").unwrap();
    s.manager.extend(&key, &(before - START + 1), &50_000);
    assert_eq!(s.env.auths(), std::vec![]);
    assert_eq!(ref_live_until(&s, "token"), Some(START + 50_000));
    // A missing reference cannot be extended.
    assert!(s
        .manager
        .try_extend(&sym(&s.env, "nope"), &1, &50_000)
        .is_err());
}
