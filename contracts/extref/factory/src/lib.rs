//! Factory contract: deploys followers whose executable is an external reference
//! to (`manager`, `key`), through the fork's host functions (`extref-sdk`).
//!
//! The deployer is this contract itself, so the host's deployer authorization is
//! satisfied by the current call frame and no extra auth is needed; the follower's
//! address derives from (this factory, `salt`). The host refuses a follower of a
//! reference that does not exist, so a factory cannot create followers that could
//! never run.
#![no_std]

use extref_sdk::{
    create_contract_with_external_ref, create_contract_with_external_ref_and_constructor,
};
use soroban_sdk::{contract, contractevent, contractimpl, Address, BytesN, Env, Symbol, Val, Vec};

/// A follower of (`manager`, `key`) was deployed. Followers are not enumerable
/// on chain; these events are how an operator (or an indexer) lists a fleet.
#[contractevent(topics = ["deployed"], data_format = "single-value")]
pub struct Deployed {
    #[topic]
    pub manager: Address,
    #[topic]
    pub key: Symbol,
    pub follower: Address,
}

#[contract]
pub struct Factory;

#[contractimpl]
impl Factory {
    /// Creates a follower of (`manager`, `key`) with `salt`; returns its address.
    /// If the referenced code has a constructor it is called with no arguments
    /// (upstream's rule for `create_contract`), so code whose constructor takes
    /// arguments needs [`Factory::deploy_with`].
    /// Emits `("deployed", manager, key)` with the follower's address.
    pub fn deploy(env: Env, manager: Address, key: Symbol, salt: BytesN<32>) -> Address {
        let follower = create_contract_with_external_ref(
            &env,
            &env.current_contract_address(),
            &manager,
            &key,
            &salt,
        );
        Deployed {
            manager,
            key,
            follower: follower.clone(),
        }
        .publish(&env);
        follower
    }

    /// As `deploy`, then runs the follower's `__constructor(args…)` on the code
    /// the reference resolves to now (e.g. a token's `__constructor(admin)`).
    /// Later upgrades do not run the constructor again: it initializes the
    /// follower's storage once, which later versions inherit.
    pub fn deploy_with(
        env: Env,
        manager: Address,
        key: Symbol,
        salt: BytesN<32>,
        args: Vec<Val>,
    ) -> Address {
        let follower = create_contract_with_external_ref_and_constructor(
            &env,
            &env.current_contract_address(),
            &manager,
            &key,
            &salt,
            &args,
        );
        Deployed {
            manager,
            key,
            follower: follower.clone(),
        }
        .publish(&env);
        follower
    }
}

#[cfg(test)]
mod test;
