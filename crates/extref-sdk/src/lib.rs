//! Typed bindings for soroban-extref's Wasm reference host functions, for
//! contracts written with soroban-sdk 27.0.6.
//!
//! A *manager* contract owns named Wasm references; a *follower* contract's
//! executable is an external reference `(manager, key)` and runs whatever
//! Wasm that reference points at. These functions are thin wrappers over the
//! host functions of the fork's `env.json` (module `l`, protocol 28), one per
//! host function and named as it is (`docs/spec.md`, "Names"). Failures are
//! the host's errors, as for any host function: a missing reference, a hash of
//! code that was never uploaded, a failed `require_auth`.
//!
//! They work both in Wasm and in soroban-sdk's native `testutils` mode, where
//! the SDK runs contracts against the fork's host. The functions exist from
//! protocol 28 on and soroban-sdk 27.0.6's test ledger starts at 27: call
//! [`testutils::use_fork_protocol`] first (else every call fails with the
//! host's `(Context, IndexBounds)` protocol-bound error).
#![no_std]

/// The fork's protocol, the first with Wasm references.
pub const PROTOCOL: u32 = 28;

/// Declares the contract's storage types so that `extref check-upgrade` sees them
/// (see the `extref-spec` crate; re-exported here for contracts on the fork's env).
pub use extref_spec::storage_types;

#[cfg(feature = "testutils")]
pub mod testutils {
    use soroban_sdk::{testutils::Ledger as _, Env};

    /// Moves a native test ledger to the fork's protocol.
    pub fn use_fork_protocol(env: &Env) {
        env.ledger().set_protocol_version(super::PROTOCOL);
    }
}

use soroban_env_common::Env as _;
use soroban_sdk::{
    unwrap::{UnwrapInfallible, UnwrapOptimized},
    Address, BytesN, Env, IntoVal, Symbol, TryFromVal, Val, Vec,
};

/// Points the current contract's reference `key` at uploaded Wasm `wasm_hash`
/// (creating the reference if needed). Every follower of `(this contract,
/// key)` runs that code from its next call on. Emits the system event
/// `["wasm_ref_updated", key]` with data `[old hash or void, new hash]`.
///
/// Fails if no Wasm with this hash was uploaded; nothing is written then.
pub fn set_contract_wasm_ref(env: &Env, key: &Symbol, wasm_hash: &BytesN<32>) {
    env.set_contract_wasm_ref(key.to_symbol_val(), wasm_hash.to_object())
        .unwrap_infallible();
}

/// The hash `manager`'s reference `key` points at, or `None` if `manager`
/// holds no such reference: `has_contract_wasm_ref`, then the host function
/// `get_contract_wasm_ref` (which fails on a missing reference), as
/// soroban-sdk's storage `get` answers `None` for a missing entry.
pub fn get_contract_wasm_ref(env: &Env, manager: &Address, key: &Symbol) -> Option<BytesN<32>> {
    if !has_contract_wasm_ref(env, manager, key) {
        return None;
    }
    let hash = env
        .get_contract_wasm_ref(manager.to_object(), key.to_symbol_val())
        .unwrap_infallible();
    // The host only ever stores and returns 32-byte hashes. `unwrap_optimized`
    // traps in Wasm instead of formatting the error: a plain `unwrap` would link
    // core::fmt into every contract using this function (about 10 KB).
    Some(BytesN::<32>::try_from_val(env, &hash).unwrap_optimized())
}

/// Whether `manager` holds a reference named `key`.
pub fn has_contract_wasm_ref(env: &Env, manager: &Address, key: &Symbol) -> bool {
    env.has_contract_wasm_ref(manager.to_object(), key.to_symbol_val())
        .unwrap_infallible()
        .into()
}

/// Extends the TTL of the current contract's reference `key`, with the rules
/// of `extend_ttl` for contract data: if its TTL is below `threshold` ledgers,
/// it becomes `extend_to`. Fails if the reference does not exist.
pub fn extend_contract_wasm_ref_ttl(env: &Env, key: &Symbol, threshold: u32, extend_to: u32) {
    env.extend_contract_wasm_ref_ttl(key.to_symbol_val(), threshold.into(), extend_to.into())
        .unwrap_infallible();
}

/// Deploys a follower of `manager`'s reference `key` on behalf of `deployer`
/// (who must authorize it, as for `deployer().deploy_v2`), at the address
/// derived from `(deployer, salt)`. Returns the follower's address. Fails if
/// the reference does not exist.
pub fn create_contract_with_external_ref(
    env: &Env,
    deployer: &Address,
    manager: &Address,
    key: &Symbol,
    salt: &BytesN<32>,
) -> Address {
    env.create_contract_with_external_ref(
        deployer.to_object(),
        manager.to_object(),
        key.to_symbol_val(),
        salt.to_object(),
    )
    .unwrap_infallible()
    .into_val(env)
}

/// As [`create_contract_with_external_ref`], then calls the follower's `__constructor` with
/// `constructor_args` on the code the reference resolves to.
pub fn create_contract_with_external_ref_and_constructor(
    env: &Env,
    deployer: &Address,
    manager: &Address,
    key: &Symbol,
    salt: &BytesN<32>,
    constructor_args: &Vec<Val>,
) -> Address {
    env.create_contract_with_external_ref_and_constructor(
        deployer.to_object(),
        manager.to_object(),
        key.to_symbol_val(),
        salt.to_object(),
        constructor_args.to_object(),
    )
    .unwrap_infallible()
    .into_val(env)
}

/// Makes the current contract a follower of `manager`'s reference `key`
/// (after this invocation succeeds). `env.deployer().update_current_contract_wasm`
/// pins a Wasm hash again.
pub fn update_current_contract_external_ref(env: &Env, manager: &Address, key: &Symbol) {
    env.update_current_contract_external_ref(manager.to_object(), key.to_symbol_val())
        .unwrap_infallible();
}
