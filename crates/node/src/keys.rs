//! Keys of nodes and accounts, in stellar-core's encodings.

use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest, Sha256};
use soroban_env_host::xdr::{
    AccountId, DecoratedSignature, MuxedAccount, PublicKey, Signature, SignatureHint, Uint256,
};

/// An ed25519 key pair (a node's identity, or an account's signer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeKey {
    seed: [u8; 32],
}

impl NodeKey {
    pub fn from_seed_bytes(seed: [u8; 32]) -> NodeKey {
        NodeKey { seed }
    }

    /// A deterministic key made of one repeated byte (loopback networks only).
    pub fn from_seed(byte: u8) -> NodeKey {
        NodeKey { seed: [byte; 32] }
    }

    /// The network's root account: core derives its key from the network id.
    pub fn root(network_id: [u8; 32]) -> NodeKey {
        NodeKey { seed: network_id }
    }

    /// The 32-byte secret seed.
    pub fn seed_bytes(&self) -> [u8; 32] {
        self.seed
    }

    fn signing(&self) -> SigningKey {
        SigningKey::from_bytes(&self.seed)
    }

    pub fn public(&self) -> [u8; 32] {
        self.signing().verifying_key().to_bytes()
    }

    pub fn secret_strkey(&self) -> String {
        stellar_strkey::ed25519::PrivateKey(self.seed).to_string()
    }

    pub fn public_strkey(&self) -> String {
        stellar_strkey::ed25519::PublicKey(self.public()).to_string()
    }

    pub fn account_id(&self) -> AccountId {
        AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(self.public())))
    }

    pub fn muxed(&self) -> MuxedAccount {
        MuxedAccount::Ed25519(Uint256(self.public()))
    }

    /// A transaction signature: ed25519 over `payload_hash`, with the key's hint.
    pub fn decorated(&self, payload_hash: &[u8; 32]) -> DecoratedSignature {
        let public = self.public();
        let sig = self.signing().sign(payload_hash).to_bytes();
        DecoratedSignature {
            hint: SignatureHint([public[28], public[29], public[30], public[31]]),
            signature: Signature(sig.to_vec().try_into().expect("64 bytes")),
        }
    }
}

/// A network's id: the sha256 of its passphrase.
pub fn network_id(passphrase: &str) -> [u8; 32] {
    Sha256::digest(passphrase.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strkeys_round_trip_and_root_is_derived_from_the_network() {
        let k = NodeKey::from_seed(3);
        assert!(k.secret_strkey().starts_with('S'));
        assert!(k.public_strkey().starts_with('G'));
        let parsed = stellar_strkey::ed25519::PublicKey::from_string(&k.public_strkey()).unwrap();
        assert_eq!(parsed.0, k.public());
        // The root key depends on the network, and only on it.
        let a = NodeKey::root(network_id("a"));
        assert_eq!(a, NodeKey::root(network_id("a")));
        assert_ne!(a.public(), NodeKey::root(network_id("b")).public());
    }
}
