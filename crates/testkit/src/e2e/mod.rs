//! End-to-end setup through `soroban_env_host::e2e_invoke`, the API
//! stellar-core calls: ledger state built directly as XDR ledger entries,
//! transactions encoded to XDR, enforcing footprints, and simulation
//! (`invoke_host_function_in_recording_mode`).
//!
//! Every invocation runs on a fresh host built by `e2e_invoke` itself, exactly
//! as an embedder runs it; [`Ledger`] plays the embedder's ledger, and
//! [`Ledger::commit`] applies an invocation's ledger changes the way
//! stellar-core does.
//!
//! One file per concern, everything re-exported here: `entries.rs` (keys, entries,
//! XDR), `builders.rs` (host functions, footprints, auth, [`Tx`]), `ledger.rs`
//! ([`Ledger`]: state, hand-built transactions, commit), `submit.rs` (simulate
//! and submit), `network.rs` (the settings simulation runs with),
//! `module_cache.rs`, and `ref_ledger.rs` (the standard scenario, [`RefLedger`]).

use soroban_env_host::{e2e_testutils, LedgerInfo};

use crate::FORK_PROTOCOL;

mod builders;
mod entries;
mod ledger;
mod module_cache;
mod network;
mod ref_ledger;
mod submit;

pub use builders::*;
pub use entries::*;
pub use ledger::*;
pub use module_cache::*;
pub use network::*;
pub use ref_ledger::*;
pub use submit::*;

/// The ledger sequence of [`e2e_ledger_info`] (upstream's e2e default).
pub const LEDGER_SEQ: u32 = e2e_testutils::DEFAULT_LEDGER_SEQ;
/// A live-until ledger well past [`LEDGER_SEQ`].
pub const LIVE_UNTIL: u32 = LEDGER_SEQ + 50_000;
/// The instruction limit of every transaction built here: ample for the
/// fixtures, including parsing Wasm outside a module cache.
pub const TX_INSTRUCTIONS: u32 = 100_000_000;
/// The PRNG seed passed to every invocation.
pub const PRNG_SEED: [u8; 32] = [0; 32];

/// Upstream's e2e ledger settings (network id, TTL limits, sequence
/// [`LEDGER_SEQ`]) at the fork's protocol 28: the ledger of every invocation
/// through `e2e_invoke` here. Hosts driven directly use
/// [`crate::host_ledger_info`], whose values differ.
pub fn e2e_ledger_info() -> LedgerInfo {
    LedgerInfo {
        protocol_version: FORK_PROTOCOL,
        ..e2e_testutils::default_ledger_info()
    }
}

/// The live-until ledger stellar-core gives an entry it restores from the
/// archive: the minimum persistent TTL from the current ledger.
pub fn restored_live_until(info: &LedgerInfo) -> u32 {
    info.sequence_number + info.min_persistent_entry_ttl - 1
}
