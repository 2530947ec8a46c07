//! Native tests of the token's semantics (`cargo test`: v1; `cargo test
//! --features v2`: v2). Auth is mocked with `mock_all_auths` and then checked
//! with `env.auths()`, so each test also shows who had to authorize what.
extern crate std;

use super::*;
use soroban_sdk::{
    testutils::{Address as _, AuthorizedFunction, AuthorizedInvocation, MockAuth, MockAuthInvoke},
    Env, IntoVal, Symbol,
};

fn setup() -> (Env, TokenClient<'static>, Address) {
    let env = Env::default();
    let admin = Address::generate(&env);
    let id = env.register(Token, (admin.clone(),));
    let token = TokenClient::new(&env, &id);
    (env, token, admin)
}

#[test]
fn version_and_admin() {
    let (_env, token, admin) = setup();
    assert_eq!(token.version(), if cfg!(feature = "v2") { 2 } else { 1 });
    assert_eq!(token.admin(), admin);
}

#[test]
fn mint_requires_the_admin() {
    let (env, token, admin) = setup();
    let alice = Address::generate(&env);
    env.mock_all_auths();
    token.mint(&alice, &100);
    assert_eq!(
        env.auths(),
        std::vec![(
            admin.clone(),
            AuthorizedInvocation {
                function: AuthorizedFunction::Contract((
                    token.address.clone(),
                    Symbol::new(&env, "mint"),
                    (alice.clone(), 100i128).into_val(&env),
                )),
                sub_invocations: std::vec![],
            }
        )]
    );
    assert_eq!(token.balance(&alice), 100);
    assert_eq!(token.balance(&admin), 0);
    assert_eq!(
        token.try_mint(&alice, &-1),
        Err(Ok(TokenError::NegativeAmount))
    );
}

#[test]
fn mint_without_auth_fails() {
    let (env, token, _admin) = setup();
    let alice = Address::generate(&env);
    assert!(token.try_mint(&alice, &100).is_err());
    assert_eq!(token.balance(&alice), 0);
}

#[test]
fn transfer_moves_funds_with_the_senders_auth() {
    let (env, token, _admin) = setup();
    env.mock_all_auths();
    let (alice, bob) = (Address::generate(&env), Address::generate(&env));
    token.mint(&alice, &100);
    token.transfer(&alice, &bob, &30);
    assert_eq!(
        env.auths(),
        std::vec![(
            alice.clone(),
            AuthorizedInvocation {
                function: AuthorizedFunction::Contract((
                    token.address.clone(),
                    Symbol::new(&env, "transfer"),
                    (alice.clone(), bob.clone(), 30i128).into_val(&env),
                )),
                sub_invocations: std::vec![],
            }
        )]
    );
    assert_eq!(token.balance(&alice), 70);
    assert_eq!(token.balance(&bob), 30);

    // To oneself: nothing changes.
    token.transfer(&alice, &alice, &70);
    assert_eq!(token.balance(&alice), 70);
}

#[test]
fn transfer_refuses_overdrafts_and_negative_amounts() {
    let (env, token, _admin) = setup();
    env.mock_all_auths();
    let (alice, bob) = (Address::generate(&env), Address::generate(&env));
    token.mint(&alice, &10);
    assert_eq!(
        token.try_transfer(&alice, &bob, &11),
        Err(Ok(TokenError::InsufficientBalance))
    );
    assert_eq!(
        token.try_transfer(&alice, &bob, &-1),
        Err(Ok(TokenError::NegativeAmount))
    );
    assert_eq!(token.balance(&alice), 10);
    assert_eq!(token.balance(&bob), 0);
}

#[test]
fn zero_amount_transfers_v1_allows_v2_refuses() {
    let (env, token, _admin) = setup();
    env.mock_all_auths();
    let (alice, bob) = (Address::generate(&env), Address::generate(&env));
    token.mint(&alice, &10);
    let res = token.try_transfer(&alice, &bob, &0);
    if cfg!(feature = "v2") {
        assert_eq!(res, Err(Ok(TokenError::ZeroAmount)));
    } else {
        assert_eq!(res, Ok(Ok(())));
    }
    assert_eq!(token.balance(&alice), 10);
}

#[test]
fn transfer_without_the_senders_auth_fails() {
    let (env, token, admin) = setup();
    let (alice, bob) = (Address::generate(&env), Address::generate(&env));
    env.mock_all_auths();
    token.mint(&alice, &10);
    // Only the admin signs the transfer: not enough to move alice's tokens.
    env.mock_auths(&[MockAuth {
        address: &admin,
        invoke: &MockAuthInvoke {
            contract: &token.address,
            fn_name: "transfer",
            args: (alice.clone(), bob.clone(), 1i128).into_val(&env),
            sub_invokes: &[],
        },
    }]);
    assert!(token.try_transfer(&alice, &bob, &1).is_err());
    assert_eq!(token.balance(&alice), 10);
}

#[test]
fn allowances() {
    let (env, token, _admin) = setup();
    env.mock_all_auths();
    let (alice, bob, carol) = (
        Address::generate(&env),
        Address::generate(&env),
        Address::generate(&env),
    );
    token.mint(&alice, &100);
    assert_eq!(token.allowance(&alice, &bob), 0);

    token.approve(&alice, &bob, &50);
    assert_eq!(env.auths()[0].0, alice);
    assert_eq!(token.allowance(&alice, &bob), 50);
    // Allowances are per (owner, spender).
    assert_eq!(token.allowance(&bob, &alice), 0);

    token.transfer_from(&bob, &alice, &carol, &20);
    // The spender authorizes, not the owner.
    assert_eq!(
        env.auths(),
        std::vec![(
            bob.clone(),
            AuthorizedInvocation {
                function: AuthorizedFunction::Contract((
                    token.address.clone(),
                    Symbol::new(&env, "transfer_from"),
                    (bob.clone(), alice.clone(), carol.clone(), 20i128).into_val(&env),
                )),
                sub_invocations: std::vec![],
            }
        )]
    );
    assert_eq!(token.allowance(&alice, &bob), 30);
    assert_eq!(token.balance(&alice), 80);
    assert_eq!(token.balance(&carol), 20);

    assert_eq!(
        token.try_transfer_from(&bob, &alice, &carol, &31),
        Err(Ok(TokenError::InsufficientAllowance))
    );
    assert_eq!(
        token.try_transfer_from(&carol, &alice, &carol, &1),
        Err(Ok(TokenError::InsufficientAllowance))
    );
    assert_eq!(
        token.try_approve(&alice, &bob, &-5),
        Err(Ok(TokenError::NegativeAmount))
    );

    // An allowance larger than the balance still cannot overdraw.
    token.approve(&alice, &bob, &1_000);
    assert_eq!(
        token.try_transfer_from(&bob, &alice, &carol, &81),
        Err(Ok(TokenError::InsufficientBalance))
    );
    assert_eq!(token.allowance(&alice, &bob), 1_000);
    assert_eq!(token.balance(&alice), 80);
}

#[test]
fn balances_are_persistent_with_extended_ttl() {
    use soroban_sdk::testutils::storage::Persistent as _;
    let (env, token, _admin) = setup();
    env.mock_all_auths();
    let alice = Address::generate(&env);
    token.mint(&alice, &1);
    let ttl = env.as_contract(&token.address, || {
        env.storage()
            .persistent()
            .get_ttl(&DataKey::Balance(alice.clone()))
    });
    assert_eq!(ttl, TTL_EXTEND_TO);
}

#[cfg(feature = "v2")]
#[test]
fn v2_counts_outgoing_transfers() {
    let (env, token, _admin) = setup();
    env.mock_all_auths();
    let (alice, bob, carol) = (
        Address::generate(&env),
        Address::generate(&env),
        Address::generate(&env),
    );
    token.mint(&alice, &100);
    assert_eq!(token.sent(&alice), 0);
    token.transfer(&alice, &bob, &1);
    token.transfer(&alice, &carol, &1);
    token.approve(&alice, &bob, &10);
    token.transfer_from(&bob, &alice, &carol, &5);
    // Counted for the owner of the funds (the sender), not the spender.
    assert_eq!(token.sent(&alice), 3);
    assert_eq!(token.sent(&bob), 0);
    // A refused transfer counts nothing.
    assert!(token.try_transfer(&alice, &bob, &0).is_err());
    assert!(token.try_transfer(&alice, &bob, &1_000).is_err());
    assert_eq!(token.sent(&alice), 3);
}
