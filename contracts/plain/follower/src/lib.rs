//! A plain soroban-sdk contract used as the code a "follower" runs.
//!
//! It knows nothing about external references: the same Wasm runs whether the
//! contract's executable is `Wasm(hash)` or `ExternalRef(manager, key)`.
//! Built twice: `follower_v1.wasm` (default) and `follower_v2.wasm` (`--features v2`).
//! v2 adds `bump`, which reads and writes storage that v1 wrote.
#![no_std]

use soroban_sdk::{contract, contractimpl, Address, Env, Symbol};

#[contract]
pub struct Follower;

#[contractimpl]
impl Follower {
    /// 1 for follower_v1.wasm, 2 for follower_v2.wasm.
    pub fn version() -> u32 {
        if cfg!(feature = "v2") {
            2
        } else {
            1
        }
    }

    /// Returns `x + 1` in both versions (used by benchmarks).
    pub fn hello(x: u32) -> u32 {
        x + 1
    }

    /// Stores `val` under `key` in persistent storage.
    pub fn put(env: Env, key: Symbol, val: u32) {
        env.storage().persistent().set(&key, &val);
    }

    /// Reads the value stored under `key`, if any.
    pub fn get(env: Env, key: Symbol) -> Option<u32> {
        env.storage().persistent().get(&key)
    }

    /// The address of the running contract (the follower's, not the manager's).
    pub fn whoami(env: Env) -> Address {
        env.current_contract_address()
    }

    /// v2 only: increments the value stored under `key` (0 if absent) and returns it.
    #[cfg(feature = "v2")]
    pub fn bump(env: Env, key: Symbol) -> u32 {
        let v: u32 = env.storage().persistent().get(&key).unwrap_or(0) + 1;
        env.storage().persistent().set(&key, &v);
        v
    }

    // `follower_break_constructor_added.wasm` (`--features break_constructor_added`;
    // added below everything else, so that v1's and v2's panic locations and bytes stay
    // as they were): a `__constructor` storing a limit that `limit` then unwraps.
    // Followers deployed earlier never ran it, so `limit` traps on every one of them:
    // what `extref check-upgrade` reports as a migration, never as safe. Never deploy it.

    /// `break_constructor_added`: sets the limit.
    #[cfg(feature = "break_constructor_added")]
    pub fn __constructor(env: Env, limit: u32) {
        env.storage().instance().set(&LIMIT, &limit);
    }

    /// `break_constructor_added`: the limit the constructor stored.
    #[cfg(feature = "break_constructor_added")]
    pub fn limit(env: Env) -> u32 {
        env.storage().instance().get(&LIMIT).unwrap()
    }
}

#[cfg(feature = "break_constructor_added")]
const LIMIT: Symbol = soroban_sdk::symbol_short!("limit");

#[cfg(test)]
mod test;
