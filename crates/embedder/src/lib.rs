//! stellar-core's view of the fork. Core embeds a Soroban host per protocol slot and talks
//! to it only through a small bridge: `e2e_invoke::invoke_host_function` with XDR bytes,
//! a `Budget` built from the network's cost settings, the `fees` functions, the module
//! cache, and the version and XDR-identity constants it checks at startup. This crate
//! reproduces those calls in our own code, against the tree `cargo fork dist` writes for
//! core's p28 slot, with the host's default features (or `next`), never `testutils`.
//!
//! [`scenario::run`] is a protocol upgrade on one ledger; the `embedder-check` binary
//! prints its report (the fee figures of `docs/embedding.md`).

pub mod network;
pub mod node;
pub mod scenario;
pub mod xdr_bytes;

/// The identity hash `xdr/Stellar-contract.x.diff` declares for the patched file.
pub fn declared_patched_identity() -> &'static str {
    const DIFF: &str = include_str!("../../../xdr/Stellar-contract.x.diff");
    DIFF.lines()
        .find_map(|l| l.strip_prefix("Patched-Identity: "))
        .expect("the diff's header declares Patched-Identity")
        .trim()
}
