//! Keys and entries: ledger keys, entries and TTLs built as XDR, and XDR round trips.

use soroban_env_host::{
    e2e_testutils,
    xdr::{
        AccountId, ContractCodeEntry, ContractDataDurability, ContractDataEntry,
        ContractExecutable, ContractExecutableExternalRef, ContractId, ExtensionPoint, Hash,
        LedgerEntry, LedgerEntryData, LedgerKey, LedgerKeyAccount, LedgerKeyContractCode,
        LedgerKeyContractData, Limits, ReadXdr, ScAddress, ScContractInstance, ScSymbol, ScVal,
        TtlEntry, WriteXdr,
    },
};

/// The transaction source account (the one upstream's e2e tests use).
pub fn source_account() -> AccountId {
    e2e_testutils::get_account_id([123; 32])
}

/// A contract address made of one repeated byte.
pub fn contract_address(seed: u8) -> ScAddress {
    ScAddress::Contract(ContractId(Hash([seed; 32])))
}

pub fn sc_symbol(s: &str) -> ScSymbol {
    ScSymbol(s.try_into().expect("valid symbol"))
}

/// sha256 of `wasm`, the hash of its ContractCode entry.
pub fn wasm_hash(wasm: &[u8]) -> Hash {
    Hash(e2e_testutils::get_wasm_hash(wasm))
}

pub fn code_key(wasm: &[u8]) -> LedgerKey {
    e2e_testutils::get_wasm_key(wasm)
}

/// A ContractCode entry for `wasm`, with refined cost inputs (as uploaded
/// today).
pub fn code_entry(wasm: &[u8]) -> LedgerEntry {
    e2e_testutils::wasm_entry(wasm)
}

pub fn instance_key(contract: &ScAddress) -> LedgerKey {
    LedgerKey::ContractData(LedgerKeyContractData {
        contract: contract.clone(),
        key: ScVal::LedgerKeyContractInstance,
        durability: ContractDataDurability::Persistent,
    })
}

/// A contract instance entry with no instance storage.
pub fn instance_entry(contract: &ScAddress, executable: ContractExecutable) -> LedgerEntry {
    e2e_testutils::ledger_entry(LedgerEntryData::ContractData(ContractDataEntry {
        ext: ExtensionPoint::V0,
        contract: contract.clone(),
        key: ScVal::LedgerKeyContractInstance,
        durability: ContractDataDurability::Persistent,
        val: ScVal::ContractInstance(ScContractInstance {
            executable,
            storage: None,
        }),
    }))
}

pub fn external_ref(manager: &ScAddress, key: &str) -> ContractExecutable {
    ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
        manager: manager.clone(),
        key: sc_symbol(key),
    }))
}

/// The key of `manager`'s Wasm reference `key`.
pub fn wasm_ref_key(manager: &ScAddress, key: &str) -> LedgerKey {
    LedgerKey::ContractData(LedgerKeyContractData {
        contract: manager.clone(),
        key: ScVal::LedgerKeyWasmRef(sc_symbol(key)),
        durability: ContractDataDurability::Persistent,
    })
}

/// `manager`'s Wasm reference `key`, pointing at `hash`: the entry
/// `set_contract_wasm_ref` writes.
pub fn wasm_ref_entry(manager: &ScAddress, key: &str, hash: &Hash) -> LedgerEntry {
    e2e_testutils::ledger_entry(LedgerEntryData::ContractData(ContractDataEntry {
        ext: ExtensionPoint::V0,
        contract: manager.clone(),
        key: ScVal::LedgerKeyWasmRef(sc_symbol(key)),
        durability: ContractDataDurability::Persistent,
        val: e2e_testutils::bytes_sc_val(&hash.0),
    }))
}

/// The ledger key of an entry (the kinds these tests use).
pub fn key_of(entry: &LedgerEntry) -> LedgerKey {
    match &entry.data {
        LedgerEntryData::ContractData(d) => LedgerKey::ContractData(LedgerKeyContractData {
            contract: d.contract.clone(),
            key: d.key.clone(),
            durability: d.durability,
        }),
        LedgerEntryData::ContractCode(ContractCodeEntry { hash, .. }) => {
            LedgerKey::ContractCode(LedgerKeyContractCode { hash: hash.clone() })
        }
        LedgerEntryData::Account(a) => LedgerKey::Account(LedgerKeyAccount {
            account_id: a.account_id.clone(),
        }),
        other => panic!("no key for {:?}", other.discriminant()),
    }
}

/// Whether entries of this key kind carry a TTL.
pub fn has_ttl(key: &LedgerKey) -> bool {
    matches!(key, LedgerKey::ContractData(_) | LedgerKey::ContractCode(_))
}

pub fn to_xdr(v: &impl WriteXdr) -> Vec<u8> {
    v.to_xdr(Limits::none()).expect("encodable XDR")
}

pub fn from_xdr<T: ReadXdr>(bytes: &[u8]) -> T {
    T::from_xdr(bytes, Limits::none()).expect("decodable XDR")
}

/// The TTL entry of `key` (keyed by the sha256 of the key's XDR).
pub fn ttl_entry(key: &LedgerKey, live_until: u32) -> TtlEntry {
    TtlEntry {
        key_hash: Hash(e2e_testutils::get_wasm_hash(&to_xdr(key))),
        live_until_ledger_seq: live_until,
    }
}
