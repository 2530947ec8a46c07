//! The harness of the bad-input catalogue (`tests/tests/bad_input.rs`,
//! `docs/bad-input.md`): the catalogue keeps its rows; the kit keeps how a row
//! is run and observed.
//! - [`harness`]: the only constructors of [`harness::Observed`] (a case's
//!   error, observed after the ledger or the host's storage was checked
//!   unchanged) and of [`harness::Succeeded`] (a positive control's outcome).
//! - [`wasm`]: tiny contracts written in WAT at test time, for inputs typed
//!   Rust APIs cannot express (raw `Val` bits).

pub mod harness;
pub mod wasm;

/// Where a case's input arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// In a transaction, through `invoke_host_function`.
    Tx,
    /// From a contract only, run on the host directly.
    Contract,
}

impl Path {
    pub fn as_str(self) -> &'static str {
        match self {
            Path::Tx => "tx",
            Path::Contract => "contract",
        }
    }
}
