//! Manager contract: owns named Wasm references that follower contracts run.
//!
//! `set_ref` points reference `key` (owned by this contract) at an uploaded Wasm
//! hash through the fork's `set_contract_wasm_ref` host function; every follower
//! created with `create_contract_with_external_ref(.., manager = this, key)` runs
//! that code from its next call frame on.
#![no_std]

use soroban_env_common::Env as _;
use soroban_sdk::{contract, contractimpl, contracttype, unwrap::UnwrapInfallible, Address, BytesN, Env, Symbol};

#[contracttype]
enum DataKey {
    Admin,
}

#[contract]
pub struct Manager;

#[contractimpl]
impl Manager {
    pub fn __constructor(env: Env, admin: Address) {
        env.storage().instance().set(&DataKey::Admin, &admin);
    }

    pub fn admin(env: Env) -> Address {
        env.storage().instance().get(&DataKey::Admin).unwrap()
    }

    /// Requires the admin's authorization, then points reference `key` at `hash`.
    pub fn set_ref(env: Env, key: Symbol, hash: BytesN<32>) {
        Self::admin(env.clone()).require_auth();
        env.set_contract_wasm_ref(key.to_symbol_val(), hash.to_object())
            .unwrap_infallible();
    }
}
