//! The fork boxes ExternalRef's payload so that the XDR types the host meters
//! by declared size keep upstream 27's in-memory sizes (measured on upstream
//! 27.0.1 / stellar-xdr 27.0.0, x86_64). If one of these grows, metering
//! under-charges (and upstream's debug assertions fire): this must fail first.

use soroban_env_host::xdr::{
    ContractExecutable, ContractExecutableExternalRef, CreateContractArgs, CreateContractArgsV2,
    LedgerEntry, LedgerKey, ScContractInstance, ScVal,
};
use std::mem::size_of;

#[test]
fn metered_xdr_types_keep_upstream_sizes() {
    // Upstream's declared sizes (host/declared_size.rs) for these types.
    assert!(size_of::<ScVal>() <= 64, "ScVal is {}", size_of::<ScVal>());
    assert!(size_of::<ScContractInstance>() <= 64);
    assert!(size_of::<LedgerKey>() <= 120);
    assert!(size_of::<LedgerEntry>() <= 256);
    assert!(size_of::<CreateContractArgs>() <= 120);
    assert!(size_of::<CreateContractArgsV2>() <= 144);
}

#[test]
fn contract_executable_grows_only_by_alignment() {
    // 33 bytes upstream (a 32-byte hash and a tag); the boxed arm raises the
    // alignment to 8. The fork keeps charging 33 bytes per shallow copy (see
    // host/wasm_ref.rs) so protocol 27 costs are unchanged.
    assert_eq!(size_of::<ContractExecutable>(), 40);
    // What the fork declares for the boxed payload.
    assert_eq!(size_of::<ContractExecutableExternalRef>(), 72);
}
