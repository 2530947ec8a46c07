//! A plain soroban-sdk custom account that records what `__check_auth` sees.
//!
//! It accepts any signature and stores the raw authorization contexts it is
//! given in its instance storage under `last_ctx`, so that a test can read
//! them back from the ledger. The contexts stay raw `Val`s: soroban-sdk's
//! `Context` type has no `ExternalRef` executable and could not decode a
//! follower's create-contract context. Hence no `CustomAccountInterface`
//! impl: `__check_auth` is declared directly with the same ABI (payload
//! hash, signature, contexts).
#![no_std]

use soroban_sdk::{contract, contractimpl, symbol_short, BytesN, Env, Error, Val, Vec};

#[contract]
pub struct Account;

#[contractimpl]
impl Account {
    pub fn __check_auth(
        env: Env,
        signature_payload: BytesN<32>,
        signature: Val,
        auth_contexts: Vec<Val>,
    ) -> Result<(), Error> {
        let _ = (signature_payload, signature);
        env.storage()
            .instance()
            .set(&symbol_short!("last_ctx"), &auth_contexts);
        Ok(())
    }
}
