//! Shared setup for soroban-extref's integration tests, benchmarks and the
//! `fleet` demo, so that all three exercise the fork the same way.
//!
//! Everything here drives a real `soroban_env_host::Host` with real Wasm
//! (the fixtures built from `contracts/`); nothing of the host is mocked.

pub mod bad_input;
pub mod drift;
pub mod e2e;
pub mod fixtures;
pub mod sign;

use soroban_env_host::{
    xdr::{
        AccountId, Hash, LedgerEntry, LedgerKey, PublicKey, ScAddress, ScErrorCode, ScErrorType,
        ScVal, Uint256,
    },
    AddressObject, BytesObject, Env, EnvBase, Error, Host, HostError, LedgerInfo, Symbol,
    TryFromVal, TryIntoVal, Val, VecObject,
};

/// `1234567` as `1,234,567` (how the docs quote measured figures).
pub fn thousands(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// The fork's protocol: upstream 27 plus ExternalRef.
pub const FORK_PROTOCOL: u32 = 28;
/// The upstream protocol the fork extends; it behaves exactly as upstream there.
pub const BASE_PROTOCOL: u32 = 27;

/// The ledger of every host driven directly (`recording_host`, tests' own hosts), at
/// `protocol`: our own settings (TTLs in ledgers), not the ledger of the e2e path,
/// which is [`e2e::e2e_ledger_info`].
pub fn host_ledger_info(protocol: u32) -> LedgerInfo {
    LedgerInfo {
        protocol_version: protocol,
        sequence_number: 100,
        timestamp: 1_700_000_000,
        network_id: [7; 32],
        base_reserve: 10,
        min_persistent_entry_ttl: 4096,
        min_temp_entry_ttl: 16,
        max_entry_ttl: 6_312_000,
    }
}

/// A host with a recording footprint and recording auth (every
/// `require_auth` is granted and recorded), at `protocol`. One host runs a
/// whole scenario (many transactions' worth of calls), so its budget is
/// unlimited; per-call costs are measured as budget deltas.
pub fn recording_host(protocol: u32) -> Result<Host, HostError> {
    let host = Host::test_host_with_recording_footprint();
    host.set_ledger_info(host_ledger_info(protocol))?;
    host.switch_to_recording_auth(true)?;
    host.enable_debug()?;
    host.budget_cloned().reset_unlimited()?;
    Ok(host)
}

/// A deterministic account address (the admin, the deployer of the factory…).
pub fn account(host: &Host, seed: u8) -> Result<AddressObject, HostError> {
    let id = AccountId(PublicKey::PublicKeyTypeEd25519(Uint256([seed; 32])));
    let val = Val::try_from_val(host, &ScVal::Address(ScAddress::Account(id)))?;
    Ok(val.try_into()?)
}

pub fn sym(host: &Host, s: &str) -> Result<Symbol, HostError> {
    Ok(Symbol::try_from_val(host, &s)?)
}

pub fn bytes32(host: &Host, b: [u8; 32]) -> Result<BytesObject, HostError> {
    host.bytes_new_from_slice(&b)
}

pub fn args(host: &Host, vals: &[Val]) -> Result<VecObject, HostError> {
    host.vec_new_from_slice(vals)
}

/// Uploads Wasm code and returns its hash (as a host `BytesObject`).
pub fn upload(host: &Host, wasm: &[u8]) -> Result<BytesObject, HostError> {
    host.upload_wasm(host.bytes_new_from_slice(wasm)?)
}

pub fn hash_of(host: &Host, hash: BytesObject) -> Result<Hash, HostError> {
    let v: Vec<u8> = Vec::try_from_val(host, &hash.to_val())?;
    Ok(Hash(v.try_into().map_err(|_| {
        HostError::from(Error::from_type_and_code(
            ScErrorType::Value,
            ScErrorCode::UnexpectedSize,
        ))
    })?))
}

/// Calls `func(args…)` on `contract`.
pub fn call(host: &Host, contract: AddressObject, func: &str, a: &[Val]) -> Result<Val, HostError> {
    host.call(contract, sym(host, func)?, args(host, a)?)
}

pub fn call_u32(
    host: &Host,
    contract: AddressObject,
    func: &str,
    a: &[Val],
) -> Result<u32, HostError> {
    Ok(call(host, contract, func, a)?.try_into_val(host)?)
}

/// Asserts a host error is exactly `(ty, code)`.
pub fn assert_error(err: &HostError, ty: ScErrorType, code: ScErrorCode) {
    assert!(
        err.error.is_type(ty) && err.error.is_code(code),
        "expected ({ty:?}, {code:?}), got {:?}",
        err.error
    );
}

/// One ledger entry as the host holds it: key, entry and live-until ledger.
pub type EntryState = (LedgerKey, LedgerEntry, Option<u32>);

/// Every ledger entry present in the host's storage, in key order. Keys the
/// host only looked up (recorded as absent in the footprint) are left out, so
/// two states compare equal exactly when no entry was written or deleted.
pub fn ledger_state(host: &Host) -> Result<Vec<EntryState>, HostError> {
    Ok(host
        .get_stored_entries()?
        .into_iter()
        .filter_map(|(key, entry)| {
            entry.map(|(entry, live_until)| ((*key).clone(), (*entry).clone(), live_until))
        })
        .collect())
}

/// Asserts two ledger states are equal, naming only the keys that differ
/// (full entries hold whole Wasm blobs and would drown the message).
pub fn assert_same_ledger(before: &[EntryState], after: &[EntryState]) {
    let changed: Vec<String> = after
        .iter()
        .filter(|e| !before.contains(e))
        .map(|e| format!("written: {:?}", e.0))
        .chain(
            before
                .iter()
                .filter(|e| !after.contains(e))
                .map(|e| format!("changed or deleted: {:?}", e.0)),
        )
        .collect();
    assert!(
        changed.is_empty(),
        "ledger changed:\n{}",
        changed.join("\n")
    );
}

/// A manager (admin: account 1, timelock `delay` ledgers) and a factory,
/// deployed by account 2.
pub struct ManagerAndFactory {
    pub admin: AddressObject,
    pub manager: AddressObject,
    pub factory: AddressObject,
}

impl ManagerAndFactory {
    pub fn deploy(host: &Host, delay: u32) -> Result<Self, HostError> {
        let admin = account(host, 1)?;
        let deployer = account(host, 2)?;
        let manager_hash = upload(host, fixtures::MANAGER)?;
        let factory_hash = upload(host, fixtures::FACTORY)?;
        let manager = host.create_contract_with_constructor(
            deployer,
            manager_hash,
            bytes32(host, [1; 32])?,
            args(host, &[admin.into(), delay.into()])?,
        )?;
        let factory = host.create_contract(deployer, factory_hash, bytes32(host, [2; 32])?)?;
        Ok(ManagerAndFactory {
            admin,
            manager,
            factory,
        })
    }
}

/// A manager, a factory and the follower Wasm versions, set up on one host.
pub struct Fleet {
    pub host: Host,
    pub admin: AddressObject,
    pub manager: AddressObject,
    pub factory: AddressObject,
    pub v1: BytesObject,
    pub v2: BytesObject,
    pub followers: Vec<AddressObject>,
}

impl Fleet {
    /// Uploads the fixtures, deploys the manager (admin = a fixed account, no
    /// timelock: `delay` 0, so `set_ref` is immediate) and the factory, and
    /// points the manager's `key` at v1.
    pub fn setup(host: Host, key: &str) -> Result<Self, HostError> {
        let v1 = upload(&host, fixtures::FOLLOWER_V1)?;
        let v2 = upload(&host, fixtures::FOLLOWER_V2)?;
        let ManagerAndFactory {
            admin,
            manager,
            factory,
        } = ManagerAndFactory::deploy(&host, 0)?;
        let fleet = Fleet {
            host,
            admin,
            manager,
            factory,
            v1,
            v2,
            followers: Vec::new(),
        };
        fleet.set_ref(key, v1)?;
        Ok(fleet)
    }

    /// The manager points `key` at `hash` (one call, admin-authorized).
    pub fn set_ref(&self, key: &str, hash: BytesObject) -> Result<(), HostError> {
        call(
            &self.host,
            self.manager,
            "set_ref",
            &[sym(&self.host, key)?.into(), hash.into()],
        )?;
        Ok(())
    }

    /// The factory deploys `n` more followers of the manager's `key`.
    pub fn deploy(&mut self, key: &str, n: usize) -> Result<(), HostError> {
        for _ in 0..n {
            let i = self.followers.len() as u32;
            let mut salt = [0u8; 32];
            salt[..4].copy_from_slice(&i.to_be_bytes());
            let follower = call(
                &self.host,
                self.factory,
                "deploy",
                &[
                    self.manager.into(),
                    sym(&self.host, key)?.into(),
                    bytes32(&self.host, salt)?.into(),
                ],
            )?;
            self.followers.push(follower.try_into()?);
        }
        Ok(())
    }
}
