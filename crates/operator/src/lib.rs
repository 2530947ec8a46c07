//! The fleet operator's toolkit. With ExternalRef one write moves every follower, so
//! before a ref moves an operator wants what EVM beacon-fleet teams get from
//! OpenZeppelin's `validateUpgrade`, and after, what indexers give them:
//!
//! - [`upgrade`]: is `new.wasm` a compatible upgrade of `old.wasm`? Compares the two
//!   contracts' specs (the `contractspecv0` section) and env interface versions, and
//!   says which changes break callers or the data followers already stored.
//! - [`audit`]: who runs what, rebuilt from a ledger's entries and events: every ref of
//!   a manager and its history, the followers a factory created, which of them opted
//!   out, and the code hash each runs now; [`input`] reads them from a stellar-core
//!   meta stream or a ledger dump.
//!
//! The `extref` binary runs both: `extref check-upgrade OLD.wasm NEW.wasm` and
//! `extref audit PATH`.

pub mod audit;
pub mod input;
pub mod spec;
pub mod upgrade;
