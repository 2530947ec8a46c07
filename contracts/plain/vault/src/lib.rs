//! A vault written to exercise `extref check-upgrade` on real upgrades: holders
//! deposit and withdraw up to a limit, the owner sets the limit and each holder's
//! tier, and every kind of contract type a spec can hold is stored: a private key
//! enum (`DataKey`), structs (`Config`, `Checkpoint`), an integer enum (`Tier`), an
//! error enum and an event. Like `token`, a stock soroban-sdk contract that can run
//! as a follower.
//!
//! The private `DataKey` is exported into the spec (`#[contracttype(export = true)]`)
//! and the storage types are declared with `extref_spec::storage_types!`, so the
//! check sees every type stored data depends on. Builds, by feature:
//!
//! - `vault_v1.wasm` (default) and `vault_v2.wasm` (`v2`): a compatible upgrade. v2
//!   renames `Config` to `Settings` (same fields: the name is never stored), renames
//!   `set_config`'s input, and adds `withdrawn`, the key `DataKey::Withdrawn`,
//!   `Tier::Platinum`, `VaultError::ZeroAmount` and the `Withdrawn` event.
//! - `vault_hidden_v1.wasm` (`hidden`): `DataKey` private and not exported, no
//!   declaration, as a stock contract is; `vault_hidden_break.wasm` (`hidden,
//!   break_union_case_removed`) renames its `Owner` case. The check cannot see it
//!   (and says so): the owner is lost, and with it `upgrade`, for good.
//! - `vault_break_<rule>.wasm` (`break_<rule>`): one incompatible change each, named
//!   after the check's rule it must trip. Never deploy them.
//!
//! **Storage layout is an upgrade contract**: v2 reads what v1 wrote.
#![no_std]

#[cfg(any(not(feature = "break_event_removed"), feature = "v2"))]
use soroban_sdk::contractevent;
use soroban_sdk::{contract, contracterror, contractimpl, contracttype, Address, BytesN, Env};

/// The storage key enum with the given cases: private, as contracts keep their keys,
/// and exported into the spec unless `hidden`.
macro_rules! data_key {
    ($($case:tt)*) => {
        /// Where the vault keeps its state: the owner and the config in instance
        /// storage, the rest in persistent storage.
        #[cfg_attr(not(feature = "hidden"), contracttype(export = true))]
        #[cfg_attr(feature = "hidden", contracttype)]
        #[derive(Clone)]
        enum DataKey { $($case)* }
    };
}

#[cfg(not(any(
    feature = "v2",
    feature = "break_union_case_removed",
    feature = "break_constructor_changed"
)))]
data_key!(Owner, Config, Balance(Address), Tier(Address), Checkpoint);
#[cfg(feature = "v2")]
data_key!(
    Owner,
    Config,
    Balance(Address),
    Tier(Address),
    Checkpoint,
    Withdrawn(Address)
);
// `break_union_case_removed`: the owner's case renamed; the owner v1 stored is never found.
#[cfg(feature = "break_union_case_removed")]
data_key!(Admin, Config, Balance(Address), Tier(Address), Checkpoint);
#[cfg(feature = "break_constructor_changed")]
data_key!(
    Owner,
    Config,
    Balance(Address),
    Tier(Address),
    Checkpoint,
    Treasury
);

fn owner_key() -> DataKey {
    #[cfg(not(feature = "break_union_case_removed"))]
    return DataKey::Owner;
    #[cfg(feature = "break_union_case_removed")]
    return DataKey::Admin;
}

/// The vault's limits, set by the owner.
#[cfg(not(feature = "v2"))]
#[contracttype]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Config {
    /// The most one holder may hold.
    pub limit: i128,
    pub fee_bps: u32,
}

/// v2's name for `Config`: the same fields, so the values v1 stored decode.
#[cfg(feature = "v2")]
#[contracttype]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Settings {
    pub limit: i128,
    pub fee_bps: u32,
}
#[cfg(feature = "v2")]
use Settings as Config;

/// The last deposit: stored only, never an argument or a result.
#[cfg(not(feature = "break_type_removed"))]
#[contracttype]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Checkpoint {
    pub ledger: u32,
    /// Deposited in all, ever.
    pub total: i128,
}

/// A holder's tier, stored as its number.
#[cfg(not(any(
    feature = "v2",
    feature = "break_enum_case_removed",
    feature = "break_enum_case_renumbered",
    feature = "break_enum_value_reused",
    feature = "break_type_kind_changed"
)))]
#[contracttype]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[repr(u32)]
pub enum Tier {
    Basic = 0,
    Gold = 1,
}

#[cfg(feature = "v2")]
#[contracttype]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[repr(u32)]
pub enum Tier {
    Basic = 0,
    Gold = 1,
    Platinum = 2,
}

/// `break_enum_case_removed`: Gold dropped; a stored 1 no longer decodes.
#[cfg(feature = "break_enum_case_removed")]
#[contracttype]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[repr(u32)]
pub enum Tier {
    Basic = 0,
}

/// `break_enum_case_renumbered`: Gold moved to 2; a stored 1 no longer decodes.
#[cfg(feature = "break_enum_case_renumbered")]
#[contracttype]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[repr(u32)]
pub enum Tier {
    Basic = 0,
    Gold = 2,
}

/// `break_enum_value_reused`: Silver inserted in the middle; a stored 1 (Gold) now
/// reads as Silver.
#[cfg(feature = "break_enum_value_reused")]
#[contracttype]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[repr(u32)]
pub enum Tier {
    Basic = 0,
    Silver = 1,
    Gold = 2,
}

/// `break_type_kind_changed`: the same cases as a union (stored as `[name]`, not as a
/// number); a stored 1 no longer decodes.
#[cfg(feature = "break_type_kind_changed")]
#[contracttype]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Tier {
    Basic,
    Gold,
}

/// Why the vault refused an operation; clients match on the codes.
#[cfg(not(any(
    feature = "v2",
    feature = "break_error_code_removed",
    feature = "break_error_code_renumbered"
)))]
#[contracterror]
#[derive(Copy, Clone, Debug, Eq, PartialEq, PartialOrd, Ord)]
#[repr(u32)]
pub enum VaultError {
    NegativeAmount = 1,
    /// The deposit would take the holder above the limit.
    OverLimit = 2,
    Insufficient = 3,
}

#[cfg(feature = "v2")]
#[contracterror]
#[derive(Copy, Clone, Debug, Eq, PartialEq, PartialOrd, Ord)]
#[repr(u32)]
pub enum VaultError {
    NegativeAmount = 1,
    OverLimit = 2,
    Insufficient = 3,
    /// v2 refuses zero-amount withdrawals.
    ZeroAmount = 4,
}

/// `break_error_code_removed`: OverLimit dropped (a deposit over the limit traps); a
/// client handling code 2 never sees it again, and a later build could give 2 another
/// meaning that no pairwise check would see.
#[cfg(feature = "break_error_code_removed")]
#[contracterror]
#[derive(Copy, Clone, Debug, Eq, PartialEq, PartialOrd, Ord)]
#[repr(u32)]
pub enum VaultError {
    NegativeAmount = 1,
    Insufficient = 3,
}

/// `break_error_code_renumbered`: Insufficient moved from 3 to 5.
#[cfg(feature = "break_error_code_renumbered")]
#[contracterror]
#[derive(Copy, Clone, Debug, Eq, PartialEq, PartialOrd, Ord)]
#[repr(u32)]
pub enum VaultError {
    NegativeAmount = 1,
    OverLimit = 2,
    Insufficient = 5,
}

/// Published by every deposit: topics `["deposited", from]`, data `{amount}`.
#[cfg(not(any(feature = "break_event_removed", feature = "break_event_changed")))]
#[contractevent]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Deposited {
    #[topic]
    pub from: Address,
    pub amount: i128,
}

/// `break_event_changed`: the amount moved from the data to the topics.
#[cfg(feature = "break_event_changed")]
#[contractevent]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Deposited {
    #[topic]
    pub from: Address,
    #[topic]
    pub amount: i128,
}

/// v2: published by every withdrawal.
#[cfg(feature = "v2")]
#[contractevent]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Withdrawn {
    #[topic]
    pub to: Address,
    pub amount: i128,
}

// The storage types, for `extref check-upgrade` (`hidden` and `break_storage_undeclared`
// leave the declaration out).
#[cfg(not(any(
    feature = "v2",
    feature = "hidden",
    feature = "break_type_removed",
    feature = "break_storage_undeclared"
)))]
extref_spec::storage_types!(DataKey, Config, Tier, Checkpoint);
#[cfg(feature = "v2")]
extref_spec::storage_types!(DataKey, Settings, Tier, Checkpoint);
#[cfg(feature = "break_type_removed")]
extref_spec::storage_types!(DataKey, Config, Tier);

#[contract]
pub struct Vault;

#[contractimpl]
impl Vault {
    /// `owner` sets the config and the tiers, and upgrades the vault.
    #[cfg(not(any(
        feature = "break_constructor_changed",
        feature = "break_constructor_removed"
    )))]
    pub fn __constructor(env: Env, owner: Address, limit: i128) {
        init(&env, owner, limit);
    }

    /// `break_constructor_changed`: a treasury too, which deposits now read. Vaults
    /// deployed earlier never ran this constructor: every deposit traps there.
    #[cfg(feature = "break_constructor_changed")]
    pub fn __constructor(env: Env, owner: Address, limit: i128, treasury: Address) {
        init(&env, owner, limit);
        env.storage().instance().set(&DataKey::Treasury, &treasury);
    }

    /// `break_constructor_removed`: initialization moved to a function; a factory
    /// deploying with constructor arguments now fails.
    #[cfg(feature = "break_constructor_removed")]
    pub fn init(env: Env, owner: Address, limit: i128) {
        if env.storage().instance().has(&owner_key()) {
            panic!("initialized");
        }
        init(&env, owner, limit);
    }

    /// 1 for vault_v1.wasm and the breaking builds, 2 for vault_v2.wasm.
    pub fn version() -> u32 {
        if cfg!(feature = "v2") {
            2
        } else {
            1
        }
    }

    pub fn owner(env: Env) -> Address {
        owner(&env)
    }

    #[cfg(not(feature = "v2"))]
    pub fn config(env: Env) -> Config {
        config(&env)
    }

    #[cfg(feature = "v2")]
    pub fn config(env: Env) -> Settings {
        config(&env)
    }

    /// Owner only.
    #[cfg(not(feature = "v2"))]
    pub fn set_config(env: Env, config: Config) {
        owner(&env).require_auth();
        env.storage().instance().set(&DataKey::Config, &config);
    }

    /// Owner only.
    #[cfg(feature = "v2")]
    pub fn set_config(env: Env, settings: Settings) {
        owner(&env).require_auth();
        env.storage().instance().set(&DataKey::Config, &settings);
    }

    /// Adds `amount` to `from`'s balance, up to the limit; `from` authorizes.
    pub fn deposit(env: Env, from: Address, amount: i128) -> Result<(), VaultError> {
        from.require_auth();
        if amount < 0 {
            return Err(VaultError::NegativeAmount);
        }
        let new_balance = balance(&env, &from) + amount;
        if new_balance > config(&env).limit {
            #[cfg(not(feature = "break_error_code_removed"))]
            return Err(VaultError::OverLimit);
            #[cfg(feature = "break_error_code_removed")]
            panic!("over the limit");
        }
        #[cfg(feature = "break_constructor_changed")]
        {
            let treasury: Address = env.storage().instance().get(&DataKey::Treasury).unwrap();
            let fee = amount * config(&env).fee_bps as i128 / 10_000;
            let credited = balance(&env, &treasury) + fee;
            set_balance(&env, &treasury, credited);
        }
        set_balance(&env, &from, new_balance);
        checkpoint(&env, amount);
        #[cfg(not(feature = "break_event_removed"))]
        Deposited { from, amount }.publish(&env);
        Ok(())
    }

    /// Takes `amount` from `to`'s balance; `to` authorizes.
    pub fn withdraw(env: Env, to: Address, amount: i128) -> Result<(), VaultError> {
        to.require_auth();
        if amount < 0 {
            return Err(VaultError::NegativeAmount);
        }
        #[cfg(feature = "v2")]
        if amount == 0 {
            return Err(VaultError::ZeroAmount);
        }
        let balance = balance(&env, &to);
        if balance < amount {
            return Err(VaultError::Insufficient);
        }
        set_balance(&env, &to, balance - amount);
        #[cfg(feature = "v2")]
        {
            let key = DataKey::Withdrawn(to.clone());
            let before: i128 = env.storage().persistent().get(&key).unwrap_or(0);
            env.storage().persistent().set(&key, &(before + amount));
            Withdrawn { to, amount }.publish(&env);
        }
        Ok(())
    }

    pub fn balance(env: Env, id: Address) -> i128 {
        balance(&env, &id)
    }

    /// v2 only: what `id` withdrew since the vault ran v2.
    #[cfg(feature = "v2")]
    pub fn withdrawn(env: Env, id: Address) -> i128 {
        env.storage()
            .persistent()
            .get(&DataKey::Withdrawn(id))
            .unwrap_or(0)
    }

    /// Owner only.
    pub fn set_tier(env: Env, id: Address, tier: Tier) {
        owner(&env).require_auth();
        env.storage().persistent().set(&DataKey::Tier(id), &tier);
    }

    pub fn tier(env: Env, id: Address) -> Tier {
        env.storage()
            .persistent()
            .get(&DataKey::Tier(id))
            .unwrap_or(Tier::Basic)
    }

    /// The ledger of the last deposit (0 before any).
    pub fn last_deposit_ledger(env: Env) -> u32 {
        #[cfg(not(feature = "break_type_removed"))]
        return env
            .storage()
            .instance()
            .get::<_, Checkpoint>(&DataKey::Checkpoint)
            .map(|c| c.ledger)
            .unwrap_or(0);
        // `break_type_removed`: the checkpoint is the ledger alone, and v1's stored
        // struct no longer decodes.
        #[cfg(feature = "break_type_removed")]
        return env
            .storage()
            .instance()
            .get::<_, u32>(&DataKey::Checkpoint)
            .unwrap_or(0);
    }

    /// `break_duplicate_type`: the fee settings of the `fees` library, whose type is
    /// also named `Config`.
    #[cfg(feature = "break_duplicate_type")]
    pub fn fee_config(env: Env) -> fees::Config {
        fees::Config {
            bps: config(&env).fee_bps,
            collector: owner(&env),
        }
    }

    /// Runs `wasm_hash` from now on (owner only): a vault deployed on its own
    /// upgrades itself; a follower pins that code (leaves its fleet).
    pub fn upgrade(env: Env, wasm_hash: BytesN<32>) {
        owner(&env).require_auth();
        env.deployer().update_current_contract_wasm(wasm_hash);
    }
}

fn init(env: &Env, owner: Address, limit: i128) {
    env.storage().instance().set(&owner_key(), &owner);
    env.storage()
        .instance()
        .set(&DataKey::Config, &Config { limit, fee_bps: 0 });
}

fn owner(env: &Env) -> Address {
    env.storage().instance().get(&owner_key()).unwrap()
}

fn config(env: &Env) -> Config {
    env.storage().instance().get(&DataKey::Config).unwrap()
}

fn balance(env: &Env, id: &Address) -> i128 {
    env.storage()
        .persistent()
        .get(&DataKey::Balance(id.clone()))
        .unwrap_or(0)
}

fn set_balance(env: &Env, id: &Address, amount: i128) {
    env.storage()
        .persistent()
        .set(&DataKey::Balance(id.clone()), &amount);
}

fn checkpoint(env: &Env, amount: i128) {
    #[cfg(not(feature = "break_type_removed"))]
    {
        let total = env
            .storage()
            .instance()
            .get::<_, Checkpoint>(&DataKey::Checkpoint)
            .map(|c| c.total)
            .unwrap_or(0);
        let c = Checkpoint {
            ledger: env.ledger().sequence(),
            total: total + amount,
        };
        env.storage().instance().set(&DataKey::Checkpoint, &c);
    }
    #[cfg(feature = "break_type_removed")]
    {
        let _ = amount;
        env.storage()
            .instance()
            .set(&DataKey::Checkpoint, &env.ledger().sequence());
    }
}

#[cfg(test)]
mod test;
