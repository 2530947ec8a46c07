//! A minimal token, written to be run as a *follower*: deployed once per
//! instance (e.g. by the extref factory's `deploy_with(manager, key, salt, [admin])`),
//! its code is whatever its manager's reference points at, so every token of a
//! fleet is upgraded by one reference update.
//!
//! Like `follower`, it is a stock soroban-sdk contract that knows nothing about
//! external references. Built twice from this source:
//!
//! - `token_v1.wasm` (default): mint, balances, transfers and allowances.
//! - `token_v2.wasm` (`--features v2`): runs on v1's data unchanged and differs
//!   visibly, so that a test can tell which code a follower runs:
//!   every transfer also counts the sender's outgoing transfers (`sent`, under
//!   a key v1 never writes), and a zero-amount transfer is refused.
//! - `token_paused.wasm` (`--features v2,paused`): the emergency build a
//!   manager's `pause` points a v2 fleet at. v2's storage layout and reads;
//!   every state-changing call (`mint`, `transfer`, `approve`, `transfer_from`)
//!   is refused with `TokenError::Paused` before it touches anything.
//! - `token_break_*.wasm`: deliberately incompatible builds, one per rule of
//!   `extref check-upgrade` (a removed function, a changed signature, a changed
//!   stored struct, a changed stored enum case, a reused error code). Never
//!   deploy them; they exist to prove the check catches each.
//!
//! **Storage layout is an upgrade contract.** v2 reads what v1 wrote, so the
//! keys and value types of [`DataKey`] must never change between versions;
//! new state goes under new keys ([`V2Key`]), never into existing ones.
#![no_std]

use soroban_sdk::{contract, contracterror, contractimpl, contracttype, Address, Env};

/// Why the token refused an operation. The codes are part of the interface
/// (clients and tests match on them) and are the same in both versions.
#[cfg(not(any(feature = "break_error", feature = "paused")))]
#[contracterror]
#[derive(Copy, Clone, Debug, Eq, PartialEq, PartialOrd, Ord)]
#[repr(u32)]
pub enum TokenError {
    /// A negative amount (mint, transfer, approve): amounts are never negative,
    /// so a negative one is a client bug, not a transfer in reverse.
    NegativeAmount = 1,
    /// The sender's balance is below the amount.
    InsufficientBalance = 2,
    /// `transfer_from` for more than the spender was approved for.
    InsufficientAllowance = 3,
    /// v2 only refuses it: a zero-amount transfer moves nothing but would
    /// still count as a transfer in `sent`.
    ZeroAmount = 4,
}

/// The paused build's errors: the same codes, plus `Paused`.
#[cfg(feature = "paused")]
#[contracterror]
#[derive(Copy, Clone, Debug, Eq, PartialEq, PartialOrd, Ord)]
#[repr(u32)]
pub enum TokenError {
    NegativeAmount = 1,
    InsufficientBalance = 2,
    InsufficientAllowance = 3,
    ZeroAmount = 4,
    /// Every state-changing call is refused while the fleet is paused.
    Paused = 5,
}

/// `break_error`: code 2 reused for another meaning (a client matching 2 as
/// "insufficient balance" would now be wrong).
#[cfg(feature = "break_error")]
#[contracterror]
#[derive(Copy, Clone, Debug, Eq, PartialEq, PartialOrd, Ord)]
#[repr(u32)]
pub enum TokenError {
    NegativeAmount = 1,
    Frozen = 2,
    InsufficientAllowance = 3,
    ZeroAmount = 4,
    InsufficientBalance = 6,
}

/// Key of an allowance: `spender` may move up to the stored amount of `from`'s tokens.
#[cfg(not(feature = "break_struct"))]
#[contracttype]
#[derive(Clone)]
pub struct AllowanceKey {
    pub from: Address,
    pub spender: Address,
}

/// `break_struct`: a field added to a stored struct; allowances stored by
/// earlier builds are no longer found.
#[cfg(feature = "break_struct")]
#[contracttype]
#[derive(Clone)]
pub struct AllowanceKey {
    pub from: Address,
    pub spender: Address,
    pub epoch: u32,
}

fn allowance_key(from: Address, spender: Address) -> AllowanceKey {
    AllowanceKey {
        from,
        spender,
        #[cfg(feature = "break_struct")]
        epoch: 0,
    }
}

/// v1's storage layout, kept exactly by v2.
///
/// `Admin` lives in instance storage (one value, needed by every mint);
/// balances and allowances in persistent storage, one entry per address
/// (pair), so that the instance does not grow with the number of holders.
#[cfg(not(feature = "break_union"))]
#[contracttype]
#[derive(Clone)]
pub enum DataKey {
    Admin,
    Balance(Address),
    Allowance(AllowanceKey),
}

/// `break_union`: the case of a stored key changed its payload; balances
/// stored by earlier builds are no longer found.
#[cfg(feature = "break_union")]
#[contracttype]
#[derive(Clone)]
pub enum DataKey {
    Admin,
    Balance(Address, u32),
    Allowance(AllowanceKey),
}

fn balance_key(id: &Address) -> DataKey {
    #[cfg(not(feature = "break_union"))]
    return DataKey::Balance(id.clone());
    #[cfg(feature = "break_union")]
    return DataKey::Balance(id.clone(), 0);
}

/// State v2 adds, under keys v1 never used: v1's data is not touched, and a
/// rollback to v1 simply ignores it.
#[cfg(feature = "v2")]
#[contracttype]
#[derive(Clone)]
pub enum V2Key {
    /// How many transfers (`transfer` or `transfer_from`) `id` has sent.
    Sent(Address),
}

/// TTL policy for persistent entries, applied on every write: extend to
/// about 30 days (5 s ledgers) once the TTL falls below about 29, so that
/// an active holder's balance never expires and a write pays at most one
/// extension a day.
const DAY_IN_LEDGERS: u32 = 17_280;
const TTL_EXTEND_TO: u32 = 30 * DAY_IN_LEDGERS;
const TTL_THRESHOLD: u32 = TTL_EXTEND_TO - DAY_IN_LEDGERS;

#[contract]
pub struct Token;

#[contractimpl]
impl Token {
    /// Sets the admin, the only address that can mint.
    pub fn __constructor(env: Env, admin: Address) {
        env.storage().instance().set(&DataKey::Admin, &admin);
        bump_instance(&env);
    }

    /// 1 for token_v1.wasm, 2 for token_v2.wasm, 0 for token_paused.wasm.
    pub fn version() -> u32 {
        if cfg!(feature = "paused") {
            0
        } else if cfg!(feature = "v2") {
            2
        } else {
            1
        }
    }

    pub fn admin(env: Env) -> Address {
        env.storage().instance().get(&DataKey::Admin).unwrap()
    }

    /// Creates `amount` new tokens for `to`; requires the admin's authorization.
    pub fn mint(env: Env, to: Address, amount: i128) -> Result<(), TokenError> {
        refuse_if_paused()?;
        Self::admin(env.clone()).require_auth();
        if amount < 0 {
            return Err(TokenError::NegativeAmount);
        }
        let bal = balance_of(&env, &to);
        set_balance(&env, &to, bal + amount);
        bump_instance(&env);
        Ok(())
    }

    /// `id`'s balance (0 for an address that never held tokens).
    pub fn balance(env: Env, id: Address) -> i128 {
        balance_of(&env, &id)
    }

    /// Moves `amount` from `from` to `to`; requires `from`'s authorization.
    #[cfg(not(feature = "break_fn_signature"))]
    pub fn transfer(env: Env, from: Address, to: Address, amount: i128) -> Result<(), TokenError> {
        refuse_if_paused()?;
        from.require_auth();
        move_funds(&env, &from, &to, amount)
    }

    /// `break_fn_signature`: the amount became a u64; every caller passing an
    /// i128 fails.
    #[cfg(feature = "break_fn_signature")]
    pub fn transfer(env: Env, from: Address, to: Address, amount: u64) -> Result<(), TokenError> {
        from.require_auth();
        move_funds(&env, &from, &to, amount as i128)
    }

    /// Allows `spender` to move up to `amount` of `from`'s tokens with
    /// `transfer_from` (replacing any previous allowance); requires `from`'s
    /// authorization. (`break_fn_removed` drops it.)
    #[cfg(not(feature = "break_fn_removed"))]
    pub fn approve(
        env: Env,
        from: Address,
        spender: Address,
        amount: i128,
    ) -> Result<(), TokenError> {
        refuse_if_paused()?;
        from.require_auth();
        if amount < 0 {
            return Err(TokenError::NegativeAmount);
        }
        let key = DataKey::Allowance(allowance_key(from, spender));
        env.storage().persistent().set(&key, &amount);
        env.storage()
            .persistent()
            .extend_ttl(&key, TTL_THRESHOLD, TTL_EXTEND_TO);
        Ok(())
    }

    /// How much `spender` may still move of `from`'s tokens.
    pub fn allowance(env: Env, from: Address, spender: Address) -> i128 {
        env.storage()
            .persistent()
            .get(&DataKey::Allowance(allowance_key(from, spender)))
            .unwrap_or(0)
    }

    /// `spender` moves `amount` of `from`'s tokens to `to`, spending that much
    /// of its allowance; requires `spender`'s authorization (not `from`'s:
    /// `from` gave it with `approve`).
    pub fn transfer_from(
        env: Env,
        spender: Address,
        from: Address,
        to: Address,
        amount: i128,
    ) -> Result<(), TokenError> {
        refuse_if_paused()?;
        spender.require_auth();
        check_amount(amount)?;
        let key = DataKey::Allowance(allowance_key(from.clone(), spender));
        let allowed: i128 = env.storage().persistent().get(&key).unwrap_or(0);
        if allowed < amount {
            return Err(TokenError::InsufficientAllowance);
        }
        env.storage().persistent().set(&key, &(allowed - amount));
        env.storage()
            .persistent()
            .extend_ttl(&key, TTL_THRESHOLD, TTL_EXTEND_TO);
        move_funds(&env, &from, &to, amount)
    }

    /// v2 only: how many transfers `id` has sent since the token ran v2
    /// (transfers made under v1 were not counted).
    #[cfg(feature = "v2")]
    pub fn sent(env: Env, id: Address) -> u32 {
        env.storage()
            .persistent()
            .get(&V2Key::Sent(id))
            .unwrap_or(0)
    }
}

/// The paused build refuses every state-changing call before doing anything.
fn refuse_if_paused() -> Result<(), TokenError> {
    #[cfg(feature = "paused")]
    return Err(TokenError::Paused);
    #[cfg(not(feature = "paused"))]
    Ok(())
}

fn balance_of(env: &Env, id: &Address) -> i128 {
    env.storage()
        .persistent()
        .get(&balance_key(id))
        .unwrap_or(0)
}

fn set_balance(env: &Env, id: &Address, amount: i128) {
    let key = balance_key(id);
    env.storage().persistent().set(&key, &amount);
    env.storage()
        .persistent()
        .extend_ttl(&key, TTL_THRESHOLD, TTL_EXTEND_TO);
}

fn bump_instance(env: &Env) {
    env.storage()
        .instance()
        .extend_ttl(TTL_THRESHOLD, TTL_EXTEND_TO);
}

/// The amount rules of a transfer: never negative; in v2, never zero.
fn check_amount(amount: i128) -> Result<(), TokenError> {
    if amount < 0 {
        return Err(TokenError::NegativeAmount);
    }
    if cfg!(feature = "v2") && amount == 0 {
        return Err(TokenError::ZeroAmount);
    }
    Ok(())
}

/// The transfer itself, after authorization. Reads `to`'s balance only after
/// writing `from`'s, so that a transfer to oneself leaves the balance unchanged.
fn move_funds(env: &Env, from: &Address, to: &Address, amount: i128) -> Result<(), TokenError> {
    check_amount(amount)?;
    let from_bal = balance_of(env, from);
    if from_bal < amount {
        return Err(TokenError::InsufficientBalance);
    }
    set_balance(env, from, from_bal - amount);
    let to_bal = balance_of(env, to);
    set_balance(env, to, to_bal + amount);
    #[cfg(feature = "v2")]
    {
        let key = V2Key::Sent(from.clone());
        let n: u32 = env.storage().persistent().get(&key).unwrap_or(0);
        env.storage().persistent().set(&key, &(n + 1));
        env.storage()
            .persistent()
            .extend_ttl(&key, TTL_THRESHOLD, TTL_EXTEND_TO);
    }
    Ok(())
}

#[cfg(test)]
mod test;
