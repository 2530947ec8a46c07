//! The contract Wasm the tests run, built from `contracts/` by
//! `contracts/build.sh` (Debian's Rust toolchain, soroban-sdk 27.0.6) and
//! committed, so building the tests needs no wasm toolchain.

/// A plain soroban-sdk follower (stock upstream env, protocol 27): `version()`
/// answers 1.
pub const FOLLOWER_V1: &[u8] = include_bytes!("../../../tests/fixtures/follower_v1.wasm");
/// The same follower with `version()` = 2 and a `bump` function; same storage layout.
pub const FOLLOWER_V2: &[u8] = include_bytes!("../../../tests/fixtures/follower_v2.wasm");
/// Holds Wasm refs for several keys, governed by an admin: `__constructor(admin,
/// delay)`; `set_ref(key, hash)` (immediate, only when `delay` is 0), or
/// `propose(key, hash)` then, `delay` ledgers later, `apply(key)` (by anyone);
/// `set_canary(key, canary)`, `rollback(key)`, `current(key)`, `pending(key)`,
/// `extend(key, threshold, extend_to)`, and the emergency `pause(key, paused)` /
/// `unpause(key)` / `paused(key)` (admin, no timelock). Errors: `Timelocked` = 1,
/// `NoProposal` = 2, `TooEarly` = 3, `CanaryNotLive` = 4, `NoPrevious` = 5,
/// `InvalidCanary` = 6, `AlreadyPaused` = 7, `NotPaused` = 8, `IsPaused` = 9,
/// `NoRef` = 10.
pub const MANAGER: &[u8] = include_bytes!("../../../tests/fixtures/manager.wasm");
/// Deploys followers: `deploy(manager, key, salt)` with
/// `create_contract_with_external_ref`, `deploy_with(manager, key, salt, args)`
/// with `create_contract_with_external_ref_and_constructor`; each emits
/// `("deployed", manager, key)` with the follower's address.
pub const FACTORY: &[u8] = include_bytes!("../../../tests/fixtures/factory.wasm");
/// A plain soroban-sdk custom account: `__check_auth` accepts any signature
/// and stores the raw authorization contexts it was given (a `Vec<Val>`) in
/// its instance storage under the symbol `last_ctx`.
pub const ACCOUNT: &[u8] = include_bytes!("../../../tests/fixtures/account.wasm");
/// A plain soroban-sdk token meant to run as a follower: `__constructor(admin)`,
/// `mint`, `balance`, `transfer`, `approve`, `allowance`, `transfer_from`;
/// `version()` answers 1. Errors: `NegativeAmount` = 1, `InsufficientBalance`
/// = 2, `InsufficientAllowance` = 3.
pub const TOKEN_V1: &[u8] = include_bytes!("../../../tests/fixtures/token_v1.wasm");
/// The token with `version()` = 2 and v1's storage layout: each transfer also
/// counts the sender's outgoing transfers (`sent(id)`), and a zero amount is
/// refused (`ZeroAmount` = 4).
pub const TOKEN_V2: &[u8] = include_bytes!("../../../tests/fixtures/token_v2.wasm");
/// A follower that opts out and back in (built on extref-sdk, protocol 28):
/// `__constructor(admin)`, `pin(hash)` (`update_current_contract_wasm`),
/// `follow(manager, key)` (`update_current_contract_external_ref`); `version()` answers 1.
pub const PINNABLE_V1: &[u8] = include_bytes!("../../../tests/fixtures/pinnable_v1.wasm");
/// The same with `version()` = 2.
pub const PINNABLE_V2: &[u8] = include_bytes!("../../../tests/fixtures/pinnable_v2.wasm");
/// The token's emergency build (`--features v2,paused`): v2's storage layout,
/// reads work, every state-changing call refused with `TokenError::Paused` = 5;
/// `version()` answers 0. What a manager's `pause` points a v2 fleet at.
pub const TOKEN_PAUSED: &[u8] = include_bytes!("../../../tests/fixtures/token_paused.wasm");
/// Deliberately incompatible token builds, one per `check-upgrade` rule (never
/// deployed): `approve` removed; `transfer`'s amount a u64; a field added to the
/// stored `AllowanceKey`; the stored `DataKey::Balance` case's payload changed;
/// error code 2 reused for another meaning.
pub const TOKEN_BREAK_FN_REMOVED: &[u8] =
    include_bytes!("../../../tests/fixtures/token_break_fn_removed.wasm");
pub const TOKEN_BREAK_FN_SIGNATURE: &[u8] =
    include_bytes!("../../../tests/fixtures/token_break_fn_signature.wasm");
pub const TOKEN_BREAK_STRUCT: &[u8] =
    include_bytes!("../../../tests/fixtures/token_break_struct.wasm");
pub const TOKEN_BREAK_UNION: &[u8] =
    include_bytes!("../../../tests/fixtures/token_break_union.wasm");
pub const TOKEN_BREAK_ERROR: &[u8] =
    include_bytes!("../../../tests/fixtures/token_break_error.wasm");
