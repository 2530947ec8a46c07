//! A follower that can opt out of its fleet and back in.
//!
//! Following a manager's reference means trusting the manager with one's code.
//! This contract keeps that choice with its own admin:
//!
//! - `pin(hash)` makes the executable a plain `Wasm(hash)` again
//!   (`update_current_contract_wasm`): later reference updates no longer reach it,
//!   e.g. to stay on a version while the fleet moves on, or to leave a manager
//!   it no longer trusts.
//! - `follow(manager, key)` makes the executable `ExternalRef(manager, key)`
//!   (`extref_sdk::update_current_contract_external_ref`): it runs whatever
//!   that reference points at, from its next call on.
//!
//! Either switch keeps the contract's address and storage (the instance's
//! storage belongs to the contract, not to its code), and belongs to the current
//! invocation: it is rolled back if the invocation fails. Built twice:
//! `pinnable_v1.wasm` and `pinnable_v2.wasm` (`--features v2`), which differ
//! only in `version()`, so a test can tell which code runs.
#![no_std]

use extref_sdk::update_current_contract_external_ref;
use soroban_sdk::{contract, contractimpl, contracttype, Address, BytesN, Env, Symbol};

#[contracttype]
#[derive(Clone)]
enum DataKey {
    Admin,
}

#[contract]
pub struct Pinnable;

#[contractimpl]
impl Pinnable {
    /// `admin` decides what code this contract runs.
    pub fn __constructor(env: Env, admin: Address) {
        env.storage().instance().set(&DataKey::Admin, &admin);
    }

    pub fn admin(env: Env) -> Address {
        env.storage().instance().get(&DataKey::Admin).unwrap()
    }

    /// 1 for pinnable_v1.wasm, 2 for pinnable_v2.wasm.
    pub fn version() -> u32 {
        if cfg!(feature = "v2") {
            2
        } else {
            1
        }
    }

    /// Opts out: runs the uploaded Wasm `hash` from now on, whatever any
    /// manager's reference says. Admin only; fails if `hash` was never uploaded.
    pub fn pin(env: Env, hash: BytesN<32>) {
        Self::admin(env.clone()).require_auth();
        env.deployer().update_current_contract_wasm(hash);
    }

    /// Opts (back) in: follows `manager`'s reference `key` from now on. Admin
    /// only; fails if there is no such reference.
    pub fn follow(env: Env, manager: Address, key: Symbol) {
        Self::admin(env.clone()).require_auth();
        update_current_contract_external_ref(&env, &manager, &key);
    }
}

#[cfg(test)]
mod test;
