//! Factory contract: deploys followers whose executable is an external reference
//! to (`manager`, `key`), through the fork's `create_contract_with_external_ref`
//! host function. The deployer is this contract itself, so the host's deployer
//! authorization is satisfied by the current call frame and no extra auth is needed.
#![no_std]

use soroban_env_common::Env as _;
use soroban_sdk::{contract, contractimpl, unwrap::UnwrapInfallible, Address, BytesN, Env, IntoVal, Symbol};

#[contract]
pub struct Factory;

#[contractimpl]
impl Factory {
    /// Creates a follower of (`manager`, `key`) with `salt`; returns its address.
    pub fn deploy(env: Env, manager: Address, key: Symbol, salt: BytesN<32>) -> Address {
        let deployer = env.current_contract_address();
        let obj = env
            .create_contract_with_external_ref(
                deployer.to_object(),
                manager.to_object(),
                key.to_symbol_val(),
                salt.to_object(),
            )
            .unwrap_infallible();
        obj.into_val(&env)
    }
}
