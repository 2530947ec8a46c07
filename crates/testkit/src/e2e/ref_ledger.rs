//! The standard scenario: a manager, its reference and one follower ([`RefLedger`]).

use soroban_env_host::xdr::{ContractExecutable, LedgerKey, ScAddress, ScVal};

use crate::fixtures;

use super::{
    builders::{footprint, invoke_fn, Tx},
    e2e_ledger_info,
    entries::{
        code_entry, code_key, contract_address, external_ref, instance_entry, instance_key,
        wasm_hash, wasm_ref_entry, wasm_ref_key,
    },
    ledger::Ledger,
    LIVE_UNTIL,
};

/// A ledger with a manager, its Wasm reference `key` pointing at follower v1,
/// and one follower of that reference; follower v1 and v2 code uploaded.
/// Every entry lives until [`LIVE_UNTIL`].
pub struct RefLedger {
    pub ledger: Ledger,
    pub manager: ScAddress,
    pub follower: ScAddress,
    pub key: String,
}

impl RefLedger {
    pub fn new(key: &str) -> Self {
        let manager = contract_address(0xaa);
        let follower = contract_address(0xf0);
        let mut ledger = Ledger::new(e2e_ledger_info());
        for wasm in [
            fixtures::FOLLOWER_V1,
            fixtures::FOLLOWER_V2,
            fixtures::MANAGER,
        ] {
            ledger.put(code_entry(wasm), Some(LIVE_UNTIL));
        }
        // The manager is an ordinary Wasm contract; resolution never reads
        // its instance.
        ledger.put(
            instance_entry(
                &manager,
                ContractExecutable::Wasm(wasm_hash(fixtures::MANAGER)),
            ),
            Some(LIVE_UNTIL),
        );
        ledger.put(
            wasm_ref_entry(&manager, key, &wasm_hash(fixtures::FOLLOWER_V1)),
            Some(LIVE_UNTIL),
        );
        ledger.put(
            instance_entry(&follower, external_ref(&manager, key)),
            Some(LIVE_UNTIL),
        );
        RefLedger {
            ledger,
            manager,
            follower,
            key: key.to_string(),
        }
    }

    pub fn ref_key(&self) -> LedgerKey {
        wasm_ref_key(&self.manager, &self.key)
    }

    pub fn follower_instance_key(&self) -> LedgerKey {
        instance_key(&self.follower)
    }

    /// Points the reference at `wasm`'s hash, keeping the entry's TTL (as
    /// `set_contract_wasm_ref` does).
    pub fn point_ref_at(&mut self, wasm: &[u8]) {
        let live_until = self.ledger.live_until(&self.ref_key());
        self.ledger.put(
            wasm_ref_entry(&self.manager, &self.key, &wasm_hash(wasm)),
            live_until,
        );
    }

    /// `follower.function(args)` with a read-only footprint of the follower's
    /// instance, the reference and `wasm`'s code: what a follower call
    /// running `wasm` needs.
    pub fn follower_call(&self, function: &str, args: Vec<ScVal>, wasm: &[u8]) -> Tx {
        Tx::new(
            invoke_fn(&self.follower, function, args),
            footprint(
                vec![self.follower_instance_key(), self.ref_key(), code_key(wasm)],
                vec![],
            ),
        )
    }
}
