//! The contract Wasm the tests run, built from `contracts/` by
//! `contracts/build.sh` (Debian's Rust toolchain, soroban-sdk 27.0.6) and
//! committed, so building the tests needs no wasm toolchain.

/// A plain soroban-sdk follower (stock upstream env, protocol 27): `version()`
/// answers 1.
pub const FOLLOWER_V1: &[u8] = include_bytes!("../../../tests/fixtures/follower_v1.wasm");
/// The same follower with `version()` = 2 and a `bump` function; same storage layout.
pub const FOLLOWER_V2: &[u8] = include_bytes!("../../../tests/fixtures/follower_v2.wasm");
/// Holds Wasm refs; `set_ref` is admin-gated and calls `set_contract_wasm_ref`.
pub const MANAGER: &[u8] = include_bytes!("../../../tests/fixtures/manager.wasm");
/// Deploys followers with `create_contract_with_external_ref`.
pub const FACTORY: &[u8] = include_bytes!("../../../tests/fixtures/factory.wasm");
/// A plain soroban-sdk custom account: `__check_auth` accepts any signature
/// and stores the raw authorization contexts it was given (a `Vec<Val>`) in
/// its instance storage under the symbol `last_ctx`.
pub const ACCOUNT: &[u8] = include_bytes!("../../../tests/fixtures/account.wasm");
