//! XDR in and out, as at the C++/Rust boundary: everything crosses it encoded.

use sha2::{Digest, Sha256};
use soroban_env_host::xdr::{
    ContractDataDurability, ContractExecutable, ContractExecutableExternalRef, ContractId,
    ContractIdPreimage, ContractIdPreimageFromAddress, Hash, HashIdPreimage,
    HashIdPreimageContractId, LedgerEntry, LedgerEntryData, LedgerKey, LedgerKeyContractCode,
    LedgerKeyContractData, Limits, ReadXdr, ScAddress, ScSymbol, ScVal, Uint256, WriteXdr,
};

pub fn encode(v: &impl WriteXdr) -> Vec<u8> {
    v.to_xdr(Limits::none()).expect("encodable XDR")
}

pub fn decode<T: ReadXdr>(bytes: &[u8]) -> T {
    T::from_xdr(bytes, Limits::none()).expect("decodable XDR")
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

pub fn symbol(s: &str) -> ScSymbol {
    ScSymbol(s.try_into().expect("valid symbol"))
}

pub fn code_key(hash: &Hash) -> LedgerKey {
    LedgerKey::ContractCode(LedgerKeyContractCode { hash: hash.clone() })
}

pub fn data_key(contract: &ScAddress, key: ScVal) -> LedgerKey {
    LedgerKey::ContractData(LedgerKeyContractData {
        contract: contract.clone(),
        key,
        durability: ContractDataDurability::Persistent,
    })
}

pub fn instance_key(contract: &ScAddress) -> LedgerKey {
    data_key(contract, ScVal::LedgerKeyContractInstance)
}

/// The key of `manager`'s Wasm reference `key`.
pub fn wasm_ref_key(manager: &ScAddress, key: &str) -> LedgerKey {
    data_key(manager, ScVal::LedgerKeyWasmRef(symbol(key)))
}

pub fn external_ref(manager: &ScAddress, key: &str) -> ContractExecutable {
    ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
        manager: manager.clone(),
        key: symbol(key),
    }))
}

/// The address a contract created from `preimage` gets on the network `network_id`.
pub fn contract_address(network_id: [u8; 32], preimage: &ContractIdPreimage) -> ScAddress {
    let id = HashIdPreimage::ContractId(HashIdPreimageContractId {
        network_id: Hash(network_id),
        contract_id_preimage: preimage.clone(),
    });
    ScAddress::Contract(ContractId(Hash(sha256(&encode(&id)))))
}

pub fn address_preimage(deployer: &ScAddress, salt: [u8; 32]) -> ContractIdPreimage {
    ContractIdPreimage::Address(ContractIdPreimageFromAddress {
        address: deployer.clone(),
        salt: Uint256(salt),
    })
}

/// The key of an entry (contract data and code: the kinds a Soroban footprint holds here).
pub fn key_of(entry: &LedgerEntry) -> LedgerKey {
    match &entry.data {
        LedgerEntryData::ContractData(d) => LedgerKey::ContractData(LedgerKeyContractData {
            contract: d.contract.clone(),
            key: d.key.clone(),
            durability: d.durability,
        }),
        LedgerEntryData::ContractCode(c) => code_key(&c.hash),
        other => panic!("no Soroban key for {:?}", other.discriminant()),
    }
}
