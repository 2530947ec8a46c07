//! Real signed authorization: classic accounts whose ed25519 signers sign
//! Soroban authorization entries, as a wallet does, over the real
//! `HashIdPreimage::SorobanAuthorization` (network id, nonce, signature
//! expiration ledger, invocation tree).
//!
//! The host verifies these signatures exactly as on a network: the account
//! entry's signers and medium threshold decide, the nonce is consumed, and the
//! signature expires.

use ed25519_dalek::{Signer as _, SigningKey};
use soroban_env_host::xdr::{
    AccountEntry, AccountEntryExt, AccountId, Hash, HashIdPreimage,
    HashIdPreimageSorobanAuthorization, LedgerEntry, LedgerEntryData, LedgerEntryExt, PublicKey,
    ScAddress, ScBytes, ScMap, ScMapEntry, ScSymbol, ScVal, SequenceNumber, Signer, SignerKey,
    SorobanAddressCredentials, SorobanAuthorizationEntry, SorobanCredentials, String32, Thresholds,
    Uint256,
};

use crate::e2e::to_xdr;

/// One ed25519 key, made from a seed byte (deterministic keys for tests).
#[derive(Clone)]
pub struct Key(SigningKey);

impl Key {
    pub fn from_seed(seed: u8) -> Key {
        Key(SigningKey::from_bytes(&[seed; 32]))
    }

    /// A key from its 32-byte secret seed.
    pub fn from_secret(secret: [u8; 32]) -> Key {
        Key(SigningKey::from_bytes(&secret))
    }

    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// The 32-byte secret seed (to hand the same key to another signer).
    pub fn secret(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The account whose master key this is.
    pub fn account_id(&self) -> AccountId {
        AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(self.public())))
    }

    pub fn address(&self) -> ScAddress {
        ScAddress::Account(self.account_id())
    }

    fn sign(&self, payload: &[u8; 32]) -> [u8; 64] {
        self.0.sign(payload).to_bytes()
    }
}

/// A classic account: its id, its master key's weight, extra signers with
/// their weights, and its thresholds. Soroban authorization needs signatures
/// worth the medium threshold.
#[derive(Clone)]
pub struct Account {
    pub id: AccountId,
    pub master_weight: u8,
    pub signers: Vec<(Key, u8)>,
    /// `[low, medium, high]`.
    pub thresholds: [u8; 3],
}

impl Account {
    /// A plain account: its master key alone (weight 1, thresholds 0).
    pub fn single(key: &Key) -> Account {
        Account {
            id: key.account_id(),
            master_weight: 1,
            signers: vec![],
            thresholds: [0, 0, 0],
        }
    }

    /// An `m`-of-`keys.len()` multisig account: a master key that cannot sign
    /// (weight 0; the account id is `id`'s), each key weight 1, every
    /// threshold `m`.
    pub fn multisig(id: &Key, keys: &[Key], m: u8) -> Account {
        Account {
            id: id.account_id(),
            master_weight: 0,
            signers: keys.iter().map(|k| (k.clone(), 1)).collect(),
            thresholds: [m, m, m],
        }
    }

    pub fn address(&self) -> ScAddress {
        ScAddress::Account(self.id.clone())
    }

    /// Its ledger entry (10,000 XLM, sequence 1).
    pub fn entry(&self) -> LedgerEntry {
        let mut signers: Vec<Signer> = self
            .signers
            .iter()
            .map(|(k, w)| Signer {
                key: SignerKey::Ed25519(Uint256(k.public())),
                weight: u32::from(*w),
            })
            .collect();
        // The ledger keeps signers sorted by key.
        signers.sort_by(|a, b| a.key.cmp(&b.key));
        LedgerEntry {
            last_modified_ledger_seq: 0,
            data: LedgerEntryData::Account(AccountEntry {
                account_id: self.id.clone(),
                balance: 100_000_000_000,
                seq_num: SequenceNumber(1),
                num_sub_entries: signers.len() as u32,
                inflation_dest: None,
                flags: 0,
                home_domain: String32::default(),
                thresholds: Thresholds([
                    self.master_weight,
                    self.thresholds[0],
                    self.thresholds[1],
                    self.thresholds[2],
                ]),
                signers: signers.try_into().expect("at most 20 signers"),
                ext: AccountEntryExt::V0,
            }),
            ext: LedgerEntryExt::V0,
        }
    }
}

/// The payload an address signs for `entry`'s credentials and invocation, on
/// the network `network_id`: sha256 of the `SorobanAuthorization` preimage.
pub fn payload(network_id: [u8; 32], entry: &SorobanAuthorizationEntry) -> [u8; 32] {
    let SorobanCredentials::Address(creds) = &entry.credentials else {
        panic!("only address credentials are signed");
    };
    let preimage = HashIdPreimage::SorobanAuthorization(HashIdPreimageSorobanAuthorization {
        network_id: Hash(network_id),
        nonce: creds.nonce,
        signature_expiration_ledger: creds.signature_expiration_ledger,
        invocation: entry.root_invocation.clone(),
    });
    sha256(&to_xdr(&preimage))
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

fn bytes_val(b: &[u8]) -> ScVal {
    ScVal::Bytes(ScBytes(b.to_vec().try_into().expect("small")))
}

fn symbol_val(s: &str) -> ScVal {
    ScVal::Symbol(ScSymbol(s.try_into().expect("symbol")))
}

/// `entry` (address credentials, e.g. as simulation recorded it) made to
/// expire at `expiration_ledger` and signed by `keys` over the payload for
/// `network_id`. The signature is the account contract's: a vector of
/// `{public_key, signature}` maps, sorted by public key.
pub fn sign_entry(
    entry: &SorobanAuthorizationEntry,
    network_id: [u8; 32],
    expiration_ledger: u32,
    keys: &[&Key],
) -> SorobanAuthorizationEntry {
    let mut entry = entry.clone();
    let SorobanCredentials::Address(creds) = &mut entry.credentials else {
        panic!("only address credentials are signed");
    };
    creds.signature_expiration_ledger = expiration_ledger;
    creds.signature = ScVal::Void;
    let payload = payload(network_id, &entry);
    let mut sigs: Vec<([u8; 32], [u8; 64])> = keys
        .iter()
        .map(|k| (k.public(), k.sign(&payload)))
        .collect();
    sigs.sort_by_key(|s| s.0);
    let sigs: Vec<ScVal> = sigs
        .into_iter()
        .map(|(pk, sig)| {
            ScVal::Map(Some(ScMap(
                vec![
                    ScMapEntry {
                        key: symbol_val("public_key"),
                        val: bytes_val(&pk),
                    },
                    ScMapEntry {
                        key: symbol_val("signature"),
                        val: bytes_val(&sig),
                    },
                ]
                .try_into()
                .expect("two"),
            )))
        })
        .collect();
    let SorobanCredentials::Address(creds) = &mut entry.credentials else {
        unreachable!()
    };
    creds.signature = ScVal::Vec(Some(sigs.try_into().expect("few signatures")));
    entry
}

/// The address an entry's credentials name, if any.
pub fn credentials_address(entry: &SorobanAuthorizationEntry) -> Option<&ScAddress> {
    match &entry.credentials {
        SorobanCredentials::Address(SorobanAddressCredentials { address, .. }) => Some(address),
        _ => None,
    }
}
