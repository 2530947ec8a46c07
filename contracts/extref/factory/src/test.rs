//! Native tests of the factory, with the manager (native too) and real follower
//! Wasm: the committed fixtures `follower_v1.wasm` and `token_v1/v2.wasm`, run by
//! the fork's host (this workspace's [patch]). Clients for the Wasm come from
//! their own contract specs (`contractimport!`).
extern crate std;

use super::*;
use extref_sdk::testutils::use_fork_protocol;
use manager::{Manager, ManagerClient};
use soroban_sdk::{
    symbol_short,
    testutils::{Address as _, Ledger as _},
    vec, IntoVal,
};

mod follower {
    soroban_sdk::contractimport!(file = "../../../tests/fixtures/follower_v1.wasm");
}
mod token_v1 {
    soroban_sdk::contractimport!(file = "../../../tests/fixtures/token_v1.wasm");
}
mod token_v2 {
    soroban_sdk::contractimport!(file = "../../../tests/fixtures/token_v2.wasm");
}

struct Setup {
    env: Env,
    admin: Address,
    manager: ManagerClient<'static>,
    factory: FactoryClient<'static>,
}

fn setup(delay: u32) -> Setup {
    let env = Env::default();
    use_fork_protocol(&env);
    env.ledger().set_sequence_number(100);
    env.mock_all_auths();
    let admin = Address::generate(&env);
    let manager = env.register(Manager, (admin.clone(), delay));
    let factory = env.register(Factory, ());
    Setup {
        manager: ManagerClient::new(&env, &manager),
        factory: FactoryClient::new(&env, &factory),
        env,
        admin,
    }
}

fn salt(env: &Env, i: u8) -> BytesN<32> {
    BytesN::from_array(env, &[i; 32])
}

#[test]
fn deploy_creates_followers_of_the_ref() {
    let s = setup(0);
    let key = symbol_short!("plain");
    let v1 = s.env.deployer().upload_contract_wasm(follower::WASM);
    s.manager.set_ref(&key, &v1);

    let a = s.factory.deploy(&s.manager.address, &key, &salt(&s.env, 1));
    let b = s.factory.deploy(&s.manager.address, &key, &salt(&s.env, 2));
    assert_ne!(a, b);
    for f in [&a, &b] {
        let c = follower::Client::new(&s.env, f);
        assert_eq!(c.version(), 1);
        assert_eq!(c.hello(&41), 42);
        // Each follower is its own contract.
        assert_eq!(c.whoami(), *f);
    }
    // The address derives from (factory, salt): the same salt again is refused.
    assert!(s
        .factory
        .try_deploy(&s.manager.address, &key, &salt(&s.env, 1))
        .is_err());
}

#[test]
fn every_deployment_is_announced_with_manager_key_and_follower() {
    use soroban_sdk::testutils::Events as _;
    let s = setup(0);
    let key = symbol_short!("fleet");
    let v1 = s.env.deployer().upload_contract_wasm(follower::WASM);
    s.manager.set_ref(&key, &v1);
    let f = s.factory.deploy(&s.manager.address, &key, &salt(&s.env, 1));
    assert_eq!(
        s.env.events().all(),
        vec![
            &s.env,
            (
                s.factory.address.clone(),
                (
                    symbol_short!("deployed"),
                    s.manager.address.clone(),
                    key.clone()
                )
                    .into_val(&s.env),
                f.clone().into_val(&s.env),
            )
        ]
    );
}

#[test]
fn deploy_of_a_missing_ref_is_refused() {
    let s = setup(0);
    assert!(s
        .factory
        .try_deploy(&s.manager.address, &symbol_short!("nope"), &salt(&s.env, 1))
        .is_err());
}

#[test]
fn deploy_with_runs_the_constructor() {
    let s = setup(0);
    let key = symbol_short!("token");
    let v1 = s.env.deployer().upload_contract_wasm(token_v1::WASM);
    s.manager.set_ref(&key, &v1);

    // The token's constructor takes its admin: `deploy` (no arguments) cannot create it.
    assert!(s
        .factory
        .try_deploy(&s.manager.address, &key, &salt(&s.env, 1))
        .is_err());

    let args = vec![&s.env, s.admin.into_val(&s.env)];
    let t = s
        .factory
        .deploy_with(&s.manager.address, &key, &salt(&s.env, 1), &args);
    let token = token_v1::Client::new(&s.env, &t);
    assert_eq!(token.version(), 1);
    assert_eq!(token.admin(), s.admin);
    let (alice, bob) = (Address::generate(&s.env), Address::generate(&s.env));
    token.mint(&alice, &100);
    token.transfer(&alice, &bob, &40);
    assert_eq!(token.balance(&alice), 60);
    assert_eq!(token.balance(&bob), 40);

    // Wrong constructor arguments fail the creation.
    assert!(s
        .factory
        .try_deploy_with(&s.manager.address, &key, &salt(&s.env, 2), &vec![&s.env])
        .is_err());
}

/// The whole story natively: a token fleet deployed by the factory, upgraded
/// to v2 through the manager's timelock, on the tokens' own v1 data.
#[test]
fn a_token_fleet_upgrades_through_the_timelock_and_keeps_its_balances() {
    let s = setup(50);
    let key = symbol_short!("token");
    let v1 = s.env.deployer().upload_contract_wasm(token_v1::WASM);
    let v2 = s.env.deployer().upload_contract_wasm(token_v2::WASM);
    s.manager.propose(&key, &v1);
    s.env.ledger().set_sequence_number(150);
    s.manager.apply(&key);

    let args = vec![&s.env, s.admin.into_val(&s.env)];
    let fleet: std::vec::Vec<Address> = (0..3)
        .map(|i| {
            s.factory
                .deploy_with(&s.manager.address, &key, &salt(&s.env, i), &args)
        })
        .collect();
    let (alice, bob) = (Address::generate(&s.env), Address::generate(&s.env));
    for (i, t) in fleet.iter().enumerate() {
        let token = token_v1::Client::new(&s.env, t);
        token.mint(&alice, &(100 * (i as i128 + 1)));
        token.transfer(&alice, &bob, &10);
        // v1 allows a zero-amount transfer.
        token.transfer(&alice, &bob, &0);
    }

    s.manager.propose(&key, &v2);
    assert_eq!(s.manager.try_apply(&key), Err(Ok(manager::Error::TooEarly)));
    for t in &fleet {
        assert_eq!(token_v1::Client::new(&s.env, t).version(), 1);
    }
    s.env.ledger().set_sequence_number(200);
    s.manager.apply(&key);

    for (i, t) in fleet.iter().enumerate() {
        let token = token_v2::Client::new(&s.env, t);
        assert_eq!(token.version(), 2);
        // v1's balances and admin, read by v2.
        assert_eq!(token.balance(&alice), 100 * (i as i128 + 1) - 10);
        assert_eq!(token.balance(&bob), 10);
        assert_eq!(token.admin(), s.admin);
        // v2's new behaviour: counts transfers (from now on), refuses zero.
        assert_eq!(token.sent(&alice), 0);
        token.transfer(&alice, &bob, &5);
        token.transfer(&alice, &bob, &5);
        assert_eq!(token.sent(&alice), 2);
        assert_eq!(
            token.try_transfer(&alice, &bob, &0),
            Err(Ok(token_v2::TokenError::ZeroAmount))
        );
        assert_eq!(token.balance(&bob), 20);
    }

    // Rollback: back on v1, balances v2 moved are kept, v2's `sent` is gone from the interface.
    s.manager.rollback(&key);
    for t in &fleet {
        let token = token_v1::Client::new(&s.env, t);
        assert_eq!(token.version(), 1);
        assert_eq!(token.balance(&bob), 20);
        assert!(token_v2::Client::new(&s.env, t).try_sent(&alice).is_err());
    }
}
