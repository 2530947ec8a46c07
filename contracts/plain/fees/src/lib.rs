//! A library of contract types, as a contract imports them. Its `Config` has the
//! name of the vault's own `Config`: a contract using both has two spec entries
//! named `Config` (`vault_break_duplicate_type.wasm`), which `extref check-upgrade`
//! must report rather than let one silently replace the other.
#![no_std]

use soroban_sdk::{contracttype, Address};

/// Who collects fees, and how much.
#[contracttype]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Config {
    pub bps: u32,
    pub collector: Address,
}
