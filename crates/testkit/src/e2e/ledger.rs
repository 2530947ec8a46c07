//! The embedder's ledger: [`LedgerState`] applies invocations through `e2e_invoke` and
//! commits their changes as stellar-core does.

use std::rc::Rc;

use soroban_env_host::{
    budget::Budget,
    e2e_invoke::{
        invoke_host_function, invoke_host_function_in_recording_mode,
        InvokeHostFunctionRecordingModeResult, InvokeHostFunctionResult, LedgerEntryChange,
        LedgerEntryLiveUntilChange, RecordingInvocationAuthMode,
    },
    testutils::MockSnapshotSource,
    xdr::{ContractEvent, DiagnosticEvent, HostFunction, LedgerEntry, LedgerKey, ScVal},
    HostError, LedgerInfo, ModuleCache,
};

use super::{
    builders::Tx,
    entries::{from_xdr, has_ttl, key_of, source_account, to_xdr, ttl_entry},
    PRNG_SEED, TX_INSTRUCTIONS,
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
/// them to `invoke_host_function` ([`LedgerState::encode`]).
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

/// The embedder's ledger: entries with their live-until ledgers (`None` for
/// entries without a TTL), at `info`.
#[derive(Clone)]
pub struct LedgerState {
    pub info: LedgerInfo,
    pub entries: Vec<(LedgerEntry, Option<u32>)>,
}

impl LedgerState {
    pub fn new(info: LedgerInfo) -> Self {
        LedgerState {
            info,
            entries: vec![],
        }
    }

    /// Inserts or replaces (by key) an entry.
    pub fn put(&mut self, entry: LedgerEntry, live_until: Option<u32>) {
        let key = key_of(&entry);
        self.entries.retain(|(e, _)| key_of(e) != key);
        self.entries.push((entry, live_until));
    }

    pub fn remove(&mut self, key: &LedgerKey) {
        self.entries.retain(|(e, _)| &key_of(e) != key);
    }

    pub fn get(&self, key: &LedgerKey) -> Option<&(LedgerEntry, Option<u32>)> {
        self.entries.iter().find(|(e, _)| &key_of(e) == key)
    }

    pub fn live_until(&self, key: &LedgerKey) -> Option<u32> {
        self.get(key).and_then(|(_, l)| *l)
    }

    pub fn set_live_until(&mut self, key: &LedgerKey, live_until: u32) {
        let entry = self
            .entries
            .iter_mut()
            .find(|(e, _)| &key_of(e) == key)
            .expect("entry in the ledger");
        entry.1 = Some(live_until);
    }

    /// The snapshot simulation reads: the whole ledger, archived entries
    /// included.
    pub fn snapshot(&self) -> Rc<MockSnapshotSource> {
        Rc::new(MockSnapshotSource::from_entries(self.entries.clone()))
    }

    /// What stellar-core passes the host for `tx`: the existing entries of
    /// its footprint, XDR-encoded, with their TTL entries (empty for entries
    /// without a TTL), in core's order (the read-only footprint, then the
    /// read-write one; the host's metered cost depends on it). Entries are
    /// passed as they are in this ledger: an archived entry is not filtered
    /// out.
    pub fn encoded_footprint_entries(&self, tx: &Tx) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        tx.read_only()
            .iter()
            .chain(tx.read_write().iter())
            .filter_map(|k| self.get(k))
            .map(|(e, live_until)| {
                let key = key_of(e);
                let ttl = match live_until {
                    Some(l) if has_ttl(&key) => to_xdr(&ttl_entry(&key, *l)),
                    _ => vec![],
                };
                (to_xdr(e), ttl)
            })
            .unzip()
    }

    /// Applies a successful invocation's changes as stellar-core does:
    /// read-write entries are written (or deleted), TTL extensions of
    /// read-only entries are kept.
    pub fn commit(&mut self, changes: &[Change]) {
        for c in changes {
            let new_live_until = c.ttl_change.as_ref().map(|t| t.new_live_until_ledger);
            if c.read_only {
                if let Some(l) = new_live_until {
                    if self.get(&c.key).is_some() && Some(l) > self.live_until(&c.key) {
                        self.set_live_until(&c.key, l);
                    }
                }
            } else {
                match &c.new_entry {
                    Some(e) => self.put(e.clone(), new_live_until),
                    None => self.remove(&c.key),
                }
            }
        }
    }

    /// Runs `tx` through `e2e_invoke::invoke_host_function` (enforcing
    /// footprint and auth), as stellar-core applies it. The outer error is the
    /// API's own failure (budget, internal errors such as malformed inputs);
    /// the invocation's error is in [`Applied::result`].
    pub fn apply(&self, tx: &Tx, module_cache: Option<ModuleCache>) -> Result<Applied, HostError> {
        self.apply_encoded(&self.encode(tx), module_cache)
    }

    /// `tx` and its footprint's entries as the XDR stellar-core hands the
    /// host, encoded once: a bench times [`Self::apply_encoded`] alone.
    pub fn encode(&self, tx: &Tx) -> EncodedTx {
        let (entries, ttls) = self.encoded_footprint_entries(tx);
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

    /// Applies an encoded transaction (see [`Self::apply`]) on a fresh
    /// `Budget::default()` limited to its instructions.
    pub fn apply_encoded(
        &self,
        tx: &EncodedTx,
        module_cache: Option<ModuleCache>,
    ) -> Result<Applied, HostError> {
        let mut diagnostics = vec![];
        let (res, budget) = invoke_encoded(&self.info, tx, Some(&mut diagnostics), module_cache)?;
        Ok(Applied::decode(res, diagnostics, budget))
    }

    /// Simulates `host_fn` with `e2e_invoke::invoke_host_function_in_recording_mode`
    /// (recording footprint, recording auth with non-root auth disabled), as
    /// RPC's simulateTransaction does.
    pub fn simulate(
        &self,
        host_fn: &HostFunction,
    ) -> Result<InvokeHostFunctionRecordingModeResult, HostError> {
        let budget = Budget::default();
        budget.reset_cpu_limit(TX_INSTRUCTIONS as u64)?;
        invoke_host_function_in_recording_mode(
            &budget,
            true,
            host_fn,
            &source_account(),
            RecordingInvocationAuthMode::recording(true, false),
            self.info.clone(),
            self.snapshot(),
            PRNG_SEED,
            &mut vec![],
        )
    }
}
