//! soroban-extref on a real stellar-core node.
//!
//! - [`config`] and [`process`]: loopback networks of core processes built
//!   with the fork (a standalone validator; or validators that run SCP with each
//!   other, plus a watcher that streams meta), and core's own upgrade command.
//! - [`client`]: a wallet-and-RPC client of such a node: simulation with
//!   crates.io `soroban-simulation` over entries read from core, ed25519-signed
//!   auth and envelopes, `tx?blob=` submission, outcomes from the meta stream.
//! - [`network`]: starting, upgrading and stopping whole networks.

pub mod client;
pub mod config;
pub mod http;
pub mod keys;
pub mod meta;
pub mod network;
pub mod process;
