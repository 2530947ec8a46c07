//! Native tests of the vault's semantics (`cargo test`: v1; `cargo test --features
//! v2`: v2). What v2 does with v1's data is tested on the real Wasm, in the
//! repository's `tests/tests/check_upgrade.rs`.
extern crate std;

use super::*;
use soroban_sdk::{testutils::Address as _, Env};

fn setup() -> (Env, VaultClient<'static>, Address) {
    let env = Env::default();
    env.mock_all_auths();
    let owner = Address::generate(&env);
    let id = env.register(Vault, (owner.clone(), 1_000i128));
    let vault = VaultClient::new(&env, &id);
    (env, vault, owner)
}

#[test]
fn deposits_up_to_the_limit_and_withdrawals() {
    let (env, vault, owner) = setup();
    let alice = Address::generate(&env);
    assert_eq!(vault.owner(), owner);
    assert_eq!(vault.version(), if cfg!(feature = "v2") { 2 } else { 1 });
    vault.deposit(&alice, &600);
    assert_eq!(
        vault.try_deposit(&alice, &500),
        Err(Ok(VaultError::OverLimit))
    );
    assert_eq!(
        vault.try_deposit(&alice, &-1),
        Err(Ok(VaultError::NegativeAmount))
    );
    vault.withdraw(&alice, &100);
    assert_eq!(vault.balance(&alice), 500);
    assert_eq!(
        vault.try_withdraw(&alice, &501),
        Err(Ok(VaultError::Insufficient))
    );
    assert_eq!(vault.last_deposit_ledger(), env.ledger().sequence());
}

#[test]
fn the_owner_sets_config_and_tiers() {
    let (env, vault, _owner) = setup();
    let alice = Address::generate(&env);
    assert_eq!(vault.tier(&alice), Tier::Basic);
    vault.set_tier(&alice, &Tier::Gold);
    assert_eq!(vault.tier(&alice), Tier::Gold);
    let config = Config {
        limit: 10,
        fee_bps: 5,
    };
    vault.set_config(&config);
    assert_eq!(vault.config(), config);
    assert_eq!(
        vault.try_deposit(&alice, &11),
        Err(Ok(VaultError::OverLimit))
    );
}

#[cfg(feature = "v2")]
#[test]
fn v2_counts_withdrawals_and_refuses_zero() {
    let (env, vault, _owner) = setup();
    let alice = Address::generate(&env);
    vault.deposit(&alice, &10);
    vault.withdraw(&alice, &4);
    assert_eq!(vault.withdrawn(&alice), 4);
    assert_eq!(
        vault.try_withdraw(&alice, &0),
        Err(Ok(VaultError::ZeroAmount))
    );
}
