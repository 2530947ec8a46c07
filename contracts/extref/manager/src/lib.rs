//! Manager contract: owns named Wasm references that follower contracts run,
//! behind a small governance layer.
//!
//! A reference `key` is a host-held entry of this contract (see `docs/spec.md`);
//! every follower created as `ExternalRef(this, key)` runs the Wasm it points at
//! from its next call frame on. One write here upgrades a whole fleet, which is
//! exactly why that write is governed:
//!
//! - **Timelock.** `propose(key, hash)` (admin) records a pending update that
//!   anyone may `apply` once `delay` ledgers have passed, so that every user of
//!   the fleet sees an upgrade coming (the `proposed` event) and can react
//!   before it takes effect. `set_ref` (immediate) exists only for managers
//!   created with `delay = 0`.
//! - **Canary (staged rollout).** `set_canary(key, canary)`: `key` (e.g. the
//!   production fleet) only receives a hash that is already live on `canary`
//!   (a small fleet that goes first).
//! - **Rollback.** `apply` remembers the hash it replaced; `rollback(key)` (admin)
//!   returns to it at once, without the timelock: an emergency brake back to
//!   code that already ran, never a way to install new code.
//! - **Pause.** `pause(key, paused)` (admin, no timelock: it is for emergencies)
//!   points `key` at a paused build of the fleet's code, one that keeps its
//!   storage layout and refuses every state-changing call; the whole fleet stops
//!   in one transaction. `unpause(key)` returns `key` to exactly the hash pause
//!   replaced. While paused, nothing else moves `key` (`apply`, `set_ref`,
//!   `rollback` are refused), so an upgrade cannot silently lift a pause.
//!
//! The reference itself is only ever written through
//! `extref_sdk::set_contract_wasm_ref` (the host checks the hash is uploaded
//! code); the manager's own bookkeeping (pending proposals, previous hashes,
//! canaries) is ordinary contract data.
#![no_std]

use extref_sdk::{extend_contract_wasm_ref_ttl, get_contract_wasm_ref, set_contract_wasm_ref};
use soroban_sdk::{
    contract, contracterror, contractevent, contractimpl, contracttype, Address, BytesN, Env,
    Symbol,
};

/// Why the manager refused a call. Codes are stable: clients match on them.
#[contracterror]
#[derive(Copy, Clone, Debug, Eq, PartialEq, PartialOrd, Ord)]
#[repr(u32)]
pub enum Error {
    /// `set_ref` on a manager with a timelock: use `propose` + `apply`.
    Timelocked = 1,
    /// `apply` of a key with no pending proposal.
    NoProposal = 2,
    /// `apply` before the proposal's eta ledger.
    TooEarly = 3,
    /// The key has a canary, and the canary's reference does not point at
    /// this hash yet.
    CanaryNotLive = 4,
    /// `rollback` of a key with no previous hash (never updated by `apply`,
    /// or already rolled back).
    NoPrevious = 5,
    /// `set_canary(key, key)`: a key cannot be its own canary (nothing could
    /// ever be applied to it).
    InvalidCanary = 6,
    /// `pause` of a key that is already paused.
    AlreadyPaused = 7,
    /// `unpause` of a key that is not paused.
    NotPaused = 8,
    /// `apply`, `set_ref` or `rollback` of a paused key: unpause first.
    IsPaused = 9,
    /// `pause` of a key that has no reference yet: there is nothing to stop.
    NoRef = 10,
}

/// A proposed update of one reference.
#[contracttype]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Pending {
    pub hash: BytesN<32>,
    /// First ledger sequence number at which `apply` succeeds.
    pub eta: u32,
}

/// Storage keys. `Admin` and `Delay` are instance storage (read by most
/// calls); the per-key entries are persistent storage, so that the instance
/// does not grow with the number of references.
#[contracttype]
#[derive(Clone)]
enum DataKey {
    Admin,
    Delay,
    Pending(Symbol),
    Previous(Symbol),
    Canary(Symbol),
    /// The hash `unpause` returns to (present while paused).
    Paused(Symbol),
}

/// An update of `key` to `hash` was proposed; `apply` succeeds from ledger `eta`.
#[contractevent(topics = ["proposed"], data_format = "vec")]
pub struct Proposed {
    #[topic]
    pub key: Symbol,
    pub hash: BytesN<32>,
    pub eta: u32,
}

/// `key` now points at `new` (it pointed at `old`, or did not exist).
#[contractevent(topics = ["applied"], data_format = "vec")]
pub struct Applied {
    #[topic]
    pub key: Symbol,
    pub old: Option<BytesN<32>>,
    pub new: BytesN<32>,
}

/// The admin returned `key` from `from` to the previous hash `to`.
#[contractevent(topics = ["rolled_back"], data_format = "vec")]
pub struct RolledBack {
    #[topic]
    pub key: Symbol,
    pub from: Option<BytesN<32>>,
    pub to: BytesN<32>,
}

/// `key` now only accepts hashes already live on `canary`.
#[contractevent(topics = ["canary_set"], data_format = "single-value")]
pub struct CanarySet {
    #[topic]
    pub key: Symbol,
    pub canary: Symbol,
}

/// `key` was paused: it pointed at `from` and now points at the paused build `to`.
#[contractevent(topics = ["paused"], data_format = "vec")]
pub struct Paused {
    #[topic]
    pub key: Symbol,
    pub from: BytesN<32>,
    pub to: BytesN<32>,
}

/// `key` was unpaused: it points at `to` again, the hash the pause replaced.
#[contractevent(topics = ["unpaused"], data_format = "single-value")]
pub struct Unpaused {
    #[topic]
    pub key: Symbol,
    pub to: BytesN<32>,
}

#[contract]
pub struct Manager;

#[contractimpl]
impl Manager {
    /// `admin` governs every reference; `delay` is the timelock in ledgers
    /// between `propose` and `apply` (0: no timelock, `set_ref` allowed).
    pub fn __constructor(env: Env, admin: Address, delay: u32) {
        env.storage().instance().set(&DataKey::Admin, &admin);
        env.storage().instance().set(&DataKey::Delay, &delay);
    }

    pub fn admin(env: Env) -> Address {
        env.storage().instance().get(&DataKey::Admin).unwrap()
    }

    /// The timelock in ledgers.
    pub fn delay(env: Env) -> u32 {
        env.storage().instance().get(&DataKey::Delay).unwrap_or(0)
    }

    /// Immediately points reference `key` at `hash`; admin only, and only on a
    /// manager without a timelock (else `Timelocked`: a timelock that the admin
    /// could bypass would protect no one). The canary rule applies.
    ///
    /// Writes nothing but the reference: no `previous` is recorded, so an
    /// ungoverned `set_ref` is not undone by `rollback` (set the old hash again).
    pub fn set_ref(env: Env, key: Symbol, hash: BytesN<32>) -> Result<(), Error> {
        Self::admin(env.clone()).require_auth();
        if Self::delay(env.clone()) != 0 {
            return Err(Error::Timelocked);
        }
        refuse_if_paused(&env, &key)?;
        check_canary(&env, &key, &hash)?;
        set_contract_wasm_ref(&env, &key, &hash);
        Ok(())
    }

    /// Proposes pointing `key` at `hash` once the timelock has passed; admin
    /// only. Replaces any pending proposal for `key` (and restarts its timelock).
    /// Emits `("proposed", key)` with data `(hash, eta)`.
    pub fn propose(env: Env, key: Symbol, hash: BytesN<32>) {
        Self::admin(env.clone()).require_auth();
        let eta = env
            .ledger()
            .sequence()
            .saturating_add(Self::delay(env.clone()));
        let pending = Pending {
            hash: hash.clone(),
            eta,
        };
        env.storage()
            .persistent()
            .set(&DataKey::Pending(key.clone()), &pending);
        Proposed { key, hash, eta }.publish(&env);
    }

    /// Carries out `key`'s pending proposal. Anyone may call it: the admin's
    /// decision was `propose`, and the timelock, not the caller, decides when.
    /// Fails with `NoProposal`, `TooEarly` (ledger < eta) or `CanaryNotLive`.
    /// Remembers the replaced hash for `rollback`. Emits `("applied", key)` with
    /// data `(old hash or void, new hash)`.
    pub fn apply(env: Env, key: Symbol) -> Result<(), Error> {
        let pending_key = DataKey::Pending(key.clone());
        let pending: Pending = env
            .storage()
            .persistent()
            .get(&pending_key)
            .ok_or(Error::NoProposal)?;
        if env.ledger().sequence() < pending.eta {
            return Err(Error::TooEarly);
        }
        refuse_if_paused(&env, &key)?;
        check_canary(&env, &key, &pending.hash)?;
        let old = get_contract_wasm_ref(&env, &env.current_contract_address(), &key);
        if let Some(old) = &old {
            env.storage()
                .persistent()
                .set(&DataKey::Previous(key.clone()), old);
        }
        set_contract_wasm_ref(&env, &key, &pending.hash);
        env.storage().persistent().remove(&pending_key);
        Applied {
            key,
            old,
            new: pending.hash,
        }
        .publish(&env);
        Ok(())
    }

    /// Staged rollout: from now on `key` only receives (by `apply` or `set_ref`)
    /// a hash that `canary`'s reference already points at. Admin only.
    /// `rollback` is not gated: it only returns to code `key` already ran.
    pub fn set_canary(env: Env, key: Symbol, canary: Symbol) -> Result<(), Error> {
        Self::admin(env.clone()).require_auth();
        if key == canary {
            return Err(Error::InvalidCanary);
        }
        env.storage()
            .persistent()
            .set(&DataKey::Canary(key.clone()), &canary);
        CanarySet { key, canary }.publish(&env);
        Ok(())
    }

    /// The canary of `key`, if any.
    pub fn canary(env: Env, key: Symbol) -> Option<Symbol> {
        env.storage().persistent().get(&DataKey::Canary(key))
    }

    /// Emergency: points `key` back at the hash the last `apply` replaced, at
    /// once (no timelock, no canary); admin only. The previous hash is then
    /// forgotten, so a second rollback fails with `NoPrevious` and moving
    /// forward again takes a new proposal through the timelock. A pending
    /// proposal is kept (the admin can replace it with `propose`).
    /// Emits `("rolled_back", key)` with data `(rolled back hash, restored hash)`.
    pub fn rollback(env: Env, key: Symbol) -> Result<(), Error> {
        Self::admin(env.clone()).require_auth();
        refuse_if_paused(&env, &key)?;
        let previous_key = DataKey::Previous(key.clone());
        let previous: BytesN<32> = env
            .storage()
            .persistent()
            .get(&previous_key)
            .ok_or(Error::NoPrevious)?;
        let from = get_contract_wasm_ref(&env, &env.current_contract_address(), &key);
        set_contract_wasm_ref(&env, &key, &previous);
        env.storage().persistent().remove(&previous_key);
        RolledBack {
            key,
            from,
            to: previous,
        }
        .publish(&env);
        Ok(())
    }

    /// Emergency brake: points `key` at `paused`, a build of the fleet's code
    /// that keeps its storage layout and refuses every state-changing call, at
    /// once (no timelock, no canary; the host checks `paused` is uploaded
    /// code). Admin only. Remembers the hash it replaced for `unpause`.
    /// Emits `("paused", key)` with data `(replaced hash, paused hash)`.
    pub fn pause(env: Env, key: Symbol, paused: BytesN<32>) -> Result<(), Error> {
        Self::admin(env.clone()).require_auth();
        let paused_key = DataKey::Paused(key.clone());
        if env.storage().persistent().has(&paused_key) {
            return Err(Error::AlreadyPaused);
        }
        let from = get_contract_wasm_ref(&env, &env.current_contract_address(), &key)
            .ok_or(Error::NoRef)?;
        set_contract_wasm_ref(&env, &key, &paused);
        env.storage().persistent().set(&paused_key, &from);
        Paused {
            key,
            from,
            to: paused,
        }
        .publish(&env);
        Ok(())
    }

    /// Lifts a pause: `key` points again at exactly the hash `pause` replaced.
    /// Admin only, no timelock. Emits `("unpaused", key)` with that hash.
    pub fn unpause(env: Env, key: Symbol) -> Result<(), Error> {
        Self::admin(env.clone()).require_auth();
        let paused_key = DataKey::Paused(key.clone());
        let to: BytesN<32> = env
            .storage()
            .persistent()
            .get(&paused_key)
            .ok_or(Error::NotPaused)?;
        set_contract_wasm_ref(&env, &key, &to);
        env.storage().persistent().remove(&paused_key);
        Unpaused { key, to }.publish(&env);
        Ok(())
    }

    /// While `key` is paused, the hash `unpause` will return it to.
    pub fn paused(env: Env, key: Symbol) -> Option<BytesN<32>> {
        env.storage().persistent().get(&DataKey::Paused(key))
    }

    /// The hash reference `key` points at, as the host holds it.
    pub fn current(env: Env, key: Symbol) -> Option<BytesN<32>> {
        get_contract_wasm_ref(&env, &env.current_contract_address(), &key)
    }

    /// `key`'s pending proposal: `(hash, eta)`.
    pub fn pending(env: Env, key: Symbol) -> Option<(BytesN<32>, u32)> {
        env.storage()
            .persistent()
            .get::<_, Pending>(&DataKey::Pending(key))
            .map(|p| (p.hash, p.eta))
    }

    /// The hash `rollback(key)` would return to.
    pub fn previous(env: Env, key: Symbol) -> Option<BytesN<32>> {
        env.storage().persistent().get(&DataKey::Previous(key))
    }

    /// Extends the TTL of reference `key` (if below `threshold`, to `extend_to`
    /// ledgers), together with the manager's instance and its bookkeeping for
    /// `key`. Anyone may pay for keeping a fleet alive; nothing else changes.
    /// (Extending any follower's code TTL extends the reference too.)
    pub fn extend(env: Env, key: Symbol, threshold: u32, extend_to: u32) {
        extend_contract_wasm_ref_ttl(&env, &key, threshold, extend_to);
        env.storage().instance().extend_ttl(threshold, extend_to);
        for k in [
            DataKey::Pending(key.clone()),
            DataKey::Previous(key.clone()),
            DataKey::Canary(key.clone()),
            DataKey::Paused(key),
        ] {
            if env.storage().persistent().has(&k) {
                env.storage()
                    .persistent()
                    .extend_ttl(&k, threshold, extend_to);
            }
        }
    }
}

/// Nothing but `unpause` moves a paused key.
fn refuse_if_paused(env: &Env, key: &Symbol) -> Result<(), Error> {
    if env
        .storage()
        .persistent()
        .has(&DataKey::Paused(key.clone()))
    {
        return Err(Error::IsPaused);
    }
    Ok(())
}

/// The canary rule: if `key` has a canary, `hash` must be live on it.
fn check_canary(env: &Env, key: &Symbol, hash: &BytesN<32>) -> Result<(), Error> {
    let canary: Option<Symbol> = env
        .storage()
        .persistent()
        .get(&DataKey::Canary(key.clone()));
    if let Some(canary) = canary {
        if get_contract_wasm_ref(env, &env.current_contract_address(), &canary).as_ref()
            != Some(hash)
        {
            return Err(Error::CanaryNotLive);
        }
    }
    Ok(())
}

#[cfg(test)]
mod test;
