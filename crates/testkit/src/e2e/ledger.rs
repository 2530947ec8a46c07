//! The test kit's one ledger, [`Ledger`]: entries with their live-until ledgers, the
//! network's ledger info, a transaction source, a module cache and an event log. This file
//! holds its state and its first entry point, a hand-built transaction ([`Tx`]) applied
//! through `e2e_invoke` ([`Ledger::apply`]) and committed as stellar-core commits
//! ([`Ledger::commit`]); `submit.rs` holds the second, simulate-and-submit.

use std::{collections::BTreeMap, rc::Rc};

use soroban_env_host::{
    budget::Budget,
    e2e_invoke::{
        invoke_host_function, InvokeHostFunctionResult, LedgerEntryChange,
        LedgerEntryLiveUntilChange,
    },
    storage::{EntryWithLiveUntil, SnapshotSource},
    xdr::{
        AccountId, ContractEvent, ContractExecutable, DiagnosticEvent, LedgerEntry,
        LedgerEntryData, LedgerFootprint, LedgerKey, ScAddress, ScVal,
    },
    HostError, LedgerInfo, ModuleCache,
};

use super::{
    builders::Tx,
    e2e_ledger_info,
    entries::{from_xdr, has_ttl, instance_key, key_of, source_account, to_xdr, ttl_entry},
    restored_live_until, PRNG_SEED,
};

/// A ledger entry's effect of one invocation, decoded from
/// `e2e_invoke::LedgerEntryChange`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub read_only: bool,
    pub key: LedgerKey,
    /// The entry after the invocation (read-write entries only).
    pub new_entry: Option<LedgerEntry>,
    pub ttl_change: Option<LedgerEntryLiveUntilChange>,
}

impl From<&LedgerEntryChange> for Change {
    fn from(c: &LedgerEntryChange) -> Self {
        Change {
            read_only: c.read_only,
            key: from_xdr(&c.encoded_key),
            new_entry: c.encoded_new_value.as_deref().map(from_xdr),
            ttl_change: c.ttl_change.clone(),
        }
    }
}

/// `e2e_invoke::invoke_host_function` on an encoded transaction, as
/// stellar-core applies it: a fresh `Budget::default()` limited to the
/// transaction's instructions (returned for its trackers), diagnostics when
/// asked for.
pub fn invoke_encoded(
    info: &LedgerInfo,
    tx: &EncodedTx,
    diagnostics: Option<&mut Vec<DiagnosticEvent>>,
    module_cache: Option<ModuleCache>,
) -> Result<(InvokeHostFunctionResult, Budget), HostError> {
    let budget = Budget::default();
    budget.reset_cpu_limit(tx.instructions as u64)?;
    let res = invoke_encoded_with_budget(&budget, info, tx, diagnostics, module_cache)?;
    Ok((res, budget))
}

/// [`invoke_encoded`] on a budget of the caller's (e.g. with other limits,
/// read afterwards even when the invocation fails).
pub fn invoke_encoded_with_budget(
    budget: &Budget,
    info: &LedgerInfo,
    tx: &EncodedTx,
    diagnostics: Option<&mut Vec<DiagnosticEvent>>,
    module_cache: Option<ModuleCache>,
) -> Result<InvokeHostFunctionResult, HostError> {
    let enable_diagnostics = diagnostics.is_some();
    let mut sink = vec![];
    invoke_host_function(
        budget,
        enable_diagnostics,
        &tx.host_fn,
        &tx.resources,
        &tx.restored_rw_entry_indices,
        &tx.source,
        tx.auth.iter(),
        info.clone(),
        tx.entries.iter(),
        tx.ttls.iter(),
        &PRNG_SEED.to_vec(),
        diagnostics.unwrap_or(&mut sink),
        None,
        module_cache,
    )
}

/// A transaction and its footprint's entries encoded as stellar-core passes
/// them to `invoke_host_function` ([`Ledger::encode`]).
#[derive(Clone, Debug)]
pub struct EncodedTx {
    pub host_fn: Vec<u8>,
    pub resources: Vec<u8>,
    pub restored_rw_entry_indices: Vec<u32>,
    pub source: Vec<u8>,
    pub auth: Vec<Vec<u8>>,
    /// The existing footprint entries and their TTL entries (empty for
    /// entries without one).
    pub entries: Vec<Vec<u8>>,
    pub ttls: Vec<Vec<u8>>,
    pub instructions: u32,
}

/// The outcome of an enforcing invocation, decoded.
pub struct Applied {
    pub result: Result<ScVal, HostError>,
    /// One per footprint entry; empty when the invocation failed.
    pub changes: Vec<Change>,
    pub events: Vec<ContractEvent>,
    pub diagnostics: Vec<DiagnosticEvent>,
    /// The invocation's budget, for its cost trackers.
    pub budget: Budget,
}

impl Applied {
    /// Decodes a successful invocation's result, changes and events.
    pub fn decode(
        res: InvokeHostFunctionResult,
        diagnostics: Vec<DiagnosticEvent>,
        budget: Budget,
    ) -> Self {
        Applied {
            result: res.encoded_invoke_result.map(|v| from_xdr(&v)),
            changes: res.ledger_changes.iter().map(Change::from).collect(),
            events: res
                .encoded_contract_events
                .iter()
                .map(|e| from_xdr(e))
                .collect(),
            diagnostics,
            budget,
        }
    }

    pub fn change(&self, key: &LedgerKey) -> Option<&Change> {
        self.changes.iter().find(|c| &c.key == key)
    }

    /// Whether a diagnostic event mentions `text` (e.g. an error message).
    pub fn diagnostics_mention(&self, text: &str) -> bool {
        self.diagnostics
            .iter()
            .any(|e| format!("{:?}", e.event).contains(text))
    }
}

type Entries = BTreeMap<LedgerKey, EntryWithLiveUntil>;

/// The ledger as simulation reads it: every entry, archived ones included (with
/// their live-until ledgers, so that recording mode restores them).
pub struct Snapshot(Rc<Entries>);

impl SnapshotSource for Snapshot {
    fn get(&self, key: &Rc<LedgerKey>) -> Result<Option<EntryWithLiveUntil>, HostError> {
        Ok(self.0.get(key.as_ref()).cloned())
    }
}

/// The in-process ledger every test, bench, fuzz target and the `fleet` demo run on.
/// Entries are kept in a map by key (fleets of thousands of contracts stay fast); the
/// host always receives a footprint's entries in stellar-core's order, never the
/// map's. A clone is an independent ledger from the same state (entries are copied
/// on write; the module cache is shared, read-only).
///
/// Two entry points:
/// - simulate and submit ([`Ledger::submit`], [`Ledger::prepare`] and the
///   variants in `submit.rs`): crates.io `soroban-simulation`, as stellar-rpc runs
///   it, prescribes footprint, auth, resources and resource fee; the transaction is
///   applied on a fresh budget with this ledger's module cache and committed;
/// - apply a hand-built transaction ([`Ledger::apply`], [`Ledger::apply_encoded`]):
///   any footprint, auth, entries and module cache, nothing committed until the
///   caller commits the changes ([`Ledger::commit`]).
///
/// It counts transactions ([`Ledger::transactions`]) as a network does: every
/// submitted transaction, applied or failed (not those simulation refuses, which
/// RPC never sends), and every hand-built one committed.
#[derive(Clone)]
pub struct Ledger {
    pub info: LedgerInfo,
    /// The source account of simulated transactions.
    pub source: AccountId,
    pub(super) entries: Rc<Entries>,
    pub(super) cache: Option<ModuleCache>,
    pub(super) uploaded: Vec<Vec<u8>>,
    /// The contract and system events of every submitted transaction, in order:
    /// what a ledger's meta hands an indexer.
    pub(super) log: Vec<ContractEvent>,
    pub(super) transactions: u64,
}

impl Ledger {
    /// An empty ledger at `info`, transactions from [`source_account`].
    pub fn new(info: LedgerInfo) -> Self {
        Ledger {
            info,
            source: source_account(),
            entries: Rc::new(Entries::new()),
            cache: None,
            uploaded: vec![],
            log: vec![],
            transactions: 0,
        }
    }

    /// An empty ledger with [`e2e_ledger_info`]'s settings at `protocol`.
    pub fn at_protocol(protocol: u32) -> Self {
        Ledger::new(LedgerInfo {
            protocol_version: protocol,
            ..e2e_ledger_info()
        })
    }

    /// An empty ledger at `protocol` on the network `network_id`, transactions
    /// from `source` (so that a run here and one on a real network build the same
    /// contract addresses).
    pub fn on_network(protocol: u32, network_id: [u8; 32], source: AccountId) -> Self {
        let mut ledger = Ledger::at_protocol(protocol);
        ledger.info.network_id = network_id;
        ledger.source = source;
        ledger
    }

    /// Inserts or replaces (by key) an entry.
    pub fn put(&mut self, entry: LedgerEntry, live_until: Option<u32>) {
        Rc::make_mut(&mut self.entries).insert(key_of(&entry), (Rc::new(entry), live_until));
    }

    pub fn remove(&mut self, key: &LedgerKey) {
        Rc::make_mut(&mut self.entries).remove(key);
    }

    pub fn get(&self, key: &LedgerKey) -> Option<&EntryWithLiveUntil> {
        self.entries.get(key)
    }

    pub fn live_until(&self, key: &LedgerKey) -> Option<u32> {
        self.get(key).and_then(|(_, l)| *l)
    }

    /// Sets an entry's live-until ledger. Panics if the entry is not in the ledger.
    pub fn set_live_until(&mut self, key: &LedgerKey, live_until: u32) {
        let entry = Rc::make_mut(&mut self.entries)
            .get_mut(key)
            .expect("entry in the ledger");
        entry.1 = Some(live_until);
    }

    /// Every entry with its live-until ledger, in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&LedgerKey, &EntryWithLiveUntil)> {
        self.entries.iter()
    }

    /// Every key, in order (for reports).
    pub fn keys(&self) -> impl Iterator<Item = &LedgerKey> {
        self.entries.keys()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry with its live-until ledger, to compare the ledger before and
    /// after something that must change nothing.
    pub fn state(&self) -> BTreeMap<LedgerKey, (LedgerEntry, Option<u32>)> {
        self.entries
            .iter()
            .map(|(k, (e, l))| (k.clone(), (e.as_ref().clone(), *l)))
            .collect()
    }

    /// The executable stored in `contract`'s instance.
    pub fn executable_of(&self, contract: &ScAddress) -> Option<ContractExecutable> {
        let (entry, _) = self.get(&instance_key(contract))?;
        match &entry.data {
            LedgerEntryData::ContractData(d) => match &d.val {
                ScVal::ContractInstance(i) => Some(i.executable.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Moves the ledger `ledgers` forward (timelocks, TTLs).
    pub fn advance(&mut self, ledgers: u32) {
        self.info.sequence_number += ledgers;
        self.info.timestamp += 5 * ledgers as u64;
    }

    /// The transaction source account as an address.
    pub fn source_address(&self) -> ScAddress {
        ScAddress::Account(self.source.clone())
    }

    /// The events of every submitted transaction, oldest first.
    pub fn events(&self) -> &[ContractEvent] {
        &self.log
    }

    /// How many transactions were submitted (applied or failed) or committed by
    /// hand.
    pub fn transactions(&self) -> u64 {
        self.transactions
    }

    /// The snapshot simulation reads: the whole ledger, archived entries
    /// included.
    pub fn snapshot(&self) -> Rc<Snapshot> {
        Rc::new(Snapshot(self.entries.clone()))
    }

    /// What stellar-core passes the host for a footprint: its existing entries,
    /// XDR-encoded, with their TTL entries (empty for entries without a TTL), in
    /// core's order (the read-only footprint, then the read-write one; the host's
    /// metered cost depends on it). The read-write entries at
    /// `restored_rw_entry_indices` are passed as core passes them after restoring
    /// them from the archive: live for the minimum persistent TTL. Every other
    /// entry is passed as it is here: an archived one is not filtered out.
    pub fn encoded_footprint_entries(
        &self,
        footprint: &LedgerFootprint,
        restored_rw_entry_indices: &[u32],
    ) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let restored = |k: &LedgerKey| {
            restored_rw_entry_indices
                .iter()
                .any(|&i| footprint.read_write.get(i as usize) == Some(k))
        };
        footprint
            .read_only
            .iter()
            .chain(footprint.read_write.iter())
            .filter_map(|k| self.get(k).map(|e| (k, e)))
            .map(|(k, (entry, live_until))| {
                let live_until = if restored(k) {
                    Some(restored_live_until(&self.info))
                } else {
                    *live_until
                };
                let ttl = match live_until {
                    Some(l) if has_ttl(k) => to_xdr(&ttl_entry(k, l)),
                    _ => vec![],
                };
                (to_xdr(entry.as_ref()), ttl)
            })
            .unzip()
    }

    /// `tx` and its footprint's entries as the XDR stellar-core hands the host,
    /// encoded once: a bench times [`Self::apply_encoded`] alone. The applying
    /// budget's limit is the transaction's declared instructions.
    pub fn encode(&self, tx: &Tx) -> EncodedTx {
        let (entries, ttls) =
            self.encoded_footprint_entries(&tx.resources.footprint, &tx.restored_rw_entry_indices);
        EncodedTx {
            host_fn: to_xdr(&tx.host_fn),
            resources: to_xdr(&tx.resources),
            restored_rw_entry_indices: tx.restored_rw_entry_indices.clone(),
            source: to_xdr(&tx.source),
            auth: tx.auth.iter().map(to_xdr).collect(),
            entries,
            ttls,
            instructions: tx.resources.instructions,
        }
    }

    /// Runs `tx` through `e2e_invoke::invoke_host_function` (enforcing
    /// footprint and auth), as stellar-core applies it, with `module_cache`;
    /// nothing is committed. The outer error is the API's own failure (budget,
    /// internal errors such as malformed inputs); the invocation's error is in
    /// [`Applied::result`].
    pub fn apply(&self, tx: &Tx, module_cache: Option<ModuleCache>) -> Result<Applied, HostError> {
        self.apply_encoded(&self.encode(tx), module_cache)
    }

    /// Applies an encoded transaction (see [`Self::apply`]) on a fresh
    /// `Budget::default()` limited to its instructions, diagnostics on.
    pub fn apply_encoded(
        &self,
        tx: &EncodedTx,
        module_cache: Option<ModuleCache>,
    ) -> Result<Applied, HostError> {
        let mut diagnostics = vec![];
        let (res, budget) = invoke_encoded(&self.info, tx, Some(&mut diagnostics), module_cache)?;
        Ok(Applied::decode(res, diagnostics, budget))
    }

    /// Commits one hand-built transaction's changes as stellar-core does:
    /// read-write entries are written (or deleted), TTL extensions of read-only
    /// entries are kept. Counts one transaction.
    pub fn commit(&mut self, changes: &[Change]) {
        self.write(changes);
        self.transactions += 1;
    }

    /// Writes an applied transaction's changes (see [`Ledger::commit`]).
    pub(super) fn write(&mut self, changes: &[Change]) {
        let map = Rc::make_mut(&mut self.entries);
        for c in changes {
            let new_live_until = c.ttl_change.as_ref().map(|t| t.new_live_until_ledger);
            if c.read_only {
                if let (Some(l), Some(e)) = (new_live_until, map.get_mut(&c.key)) {
                    e.1 = e.1.max(Some(l));
                }
            } else {
                match &c.new_entry {
                    Some(e) => {
                        map.insert(c.key.clone(), (Rc::new(e.clone()), new_live_until));
                    }
                    None => {
                        map.remove(&c.key);
                    }
                }
            }
        }
    }
}
