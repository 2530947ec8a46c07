//! A small in-process ledger driven the way a network drives the host: every
//! operation is a transaction that is simulated
//! (`invoke_host_function_in_recording_mode`, for its footprint and auth),
//! then applied with `invoke_host_function` (enforcing footprint and auth, a
//! fresh budget, an optional module cache) and committed. Costs are the
//! applied transaction's own metering, as a validator would charge them.
//! Benchmarks split that in two: [`Chain::prepare`] simulates once, and
//! [`Chain::apply`] applies the prepared transaction without committing, as
//! often as they like.
//!
//! Unlike [`crate::e2e::LedgerState`] (a list, fine for a handful of
//! entries), entries are kept in a map so that fleets of thousands of
//! contracts stay fast.

use std::{collections::BTreeMap, rc::Rc};

use soroban_env_host::{
    budget::Budget,
    e2e_invoke::{
        invoke_host_function_in_recording_mode, InvokeHostFunctionRecordingModeResult,
        LedgerEntryChange, RecordingInvocationAuthMode,
    },
    storage::{EntryWithLiveUntil, SnapshotSource},
    xdr::{
        AccountId, ContractCostType, ContractDataDurability, ContractEvent, ContractExecutable,
        Hash, HostFunction, LedgerEntry, LedgerEntryData, LedgerKey, LedgerKeyContractData,
        ScAddress, ScNonceKey, ScVal, SorobanAuthorizationEntry, SorobanCredentials,
        SorobanResources,
    },
    HostError, LedgerInfo, ModuleCache,
};

use crate::e2e::{
    e2e_ledger_info, from_xdr, has_ttl, invoke_encoded, invoke_fn, key_of, module_cache,
    source_account, to_xdr, ttl_entry, wasm_hash, EncodedTx, TX_INSTRUCTIONS,
};

type Entries = BTreeMap<LedgerKey, EntryWithLiveUntil>;

struct Snapshot(Rc<Entries>);

impl SnapshotSource for Snapshot {
    fn get(&self, key: &Rc<LedgerKey>) -> Result<Option<EntryWithLiveUntil>, HostError> {
        Ok(self.0.get(key.as_ref()).cloned())
    }
}

impl Prepared {
    /// The transaction's auth entries.
    pub fn auth(&self) -> Vec<SorobanAuthorizationEntry> {
        self.tx.auth.iter().map(|a| from_xdr(a)).collect()
    }
}

/// Whether `key` is an address's nonce entry (consumed by signed auth).
fn is_nonce_key(key: &LedgerKey) -> bool {
    matches!(key, LedgerKey::ContractData(d) if matches!(d.key, ScVal::LedgerKeyNonce(_)))
}

/// The nonce entry an auth entry's address credentials consume.
fn nonce_key(entry: &SorobanAuthorizationEntry) -> Option<LedgerKey> {
    let SorobanCredentials::Address(creds) = &entry.credentials else {
        return None;
    };
    Some(LedgerKey::ContractData(LedgerKeyContractData {
        contract: creds.address.clone(),
        key: ScVal::LedgerKeyNonce(ScNonceKey { nonce: creds.nonce }),
        durability: ContractDataDurability::Temporary,
    }))
}

/// What one applied transaction did and cost.
#[derive(Clone, Debug)]
pub struct Receipt {
    pub result: ScVal,
    /// Metered CPU instructions and memory bytes of the applied transaction.
    pub cpu_insns: u64,
    pub mem_bytes: u64,
    /// Footprint sizes: ledger entries the transaction reads, and writes.
    pub read_only: usize,
    pub read_write: usize,
    /// Encoded size of the ledger entries the transaction loads.
    pub read_bytes: usize,
    pub events: Vec<ContractEvent>,
    /// CPU instructions and memory bytes by cost type (types that charged).
    pub by_cost_type: Vec<(ContractCostType, u64, u64)>,
}

/// A simulated transaction ready to apply ([`Chain::prepare`]): the encoded
/// inputs of `invoke_host_function`, with the footprint's ledger entries as
/// they were when it was prepared. [`Chain::apply`] runs it any number of
/// times without committing.
#[derive(Clone, Debug)]
pub struct Prepared {
    tx: EncodedTx,
    read_only: usize,
    read_write: usize,
    read_bytes: usize,
}

impl Prepared {
    /// The footprint simulation prescribed, and the indices of its
    /// read-write entries that the transaction restores from the archive.
    pub fn footprint(&self) -> (soroban_env_host::xdr::LedgerFootprint, &[u32]) {
        let resources: soroban_env_host::xdr::SorobanResources = from_xdr(&self.tx.resources);
        (resources.footprint, &self.tx.restored_rw_entry_indices)
    }

    /// The transaction taken apart, to alter and encode again with
    /// [`Chain::prepare_parts`].
    pub fn parts(&self) -> TxParts {
        TxParts {
            host_fn: from_xdr(&self.tx.host_fn),
            resources: from_xdr(&self.tx.resources),
            restored_rw_entry_indices: self.tx.restored_rw_entry_indices.clone(),
            auth: self.auth(),
            instructions: self.tx.instructions,
        }
    }
}

/// A prepared transaction taken apart ([`Prepared::parts`]), to be altered as
/// a careless or hostile submitter would alter it (a footprint without a key
/// the call needs, auth stripped or forged, an instruction limit too small to
/// finish, another call in the same footprint) and encoded again with
/// [`Chain::prepare_parts`]: transactions that fail inside the host while
/// applying, which simulation never produces.
#[derive(Clone, Debug)]
pub struct TxParts {
    pub host_fn: HostFunction,
    pub resources: SorobanResources,
    /// Indices into `resources.footprint.read_write` of the entries restored
    /// from the archive (keep them in step with the footprint).
    pub restored_rw_entry_indices: Vec<u32>,
    pub auth: Vec<SorobanAuthorizationEntry>,
    /// The instruction limit of the applying budget.
    pub instructions: u32,
}

/// The in-process ledger. A clone is an independent ledger from the same
/// state (entries are copied on write; the module cache is shared, read-only).
#[derive(Clone)]
pub struct Chain {
    pub info: LedgerInfo,
    pub source: AccountId,
    entries: Rc<Entries>,
    cache: Option<ModuleCache>,
    uploaded: Vec<Vec<u8>>,
    /// The contract and system events of every committed transaction, in order:
    /// what a ledger's meta hands an indexer.
    log: Vec<ContractEvent>,
}

impl Chain {
    /// An empty ledger at `protocol`, transactions from [`source_account`].
    pub fn new(protocol: u32) -> Self {
        Chain {
            info: LedgerInfo {
                protocol_version: protocol,
                ..e2e_ledger_info()
            },
            source: source_account(),
            entries: Rc::new(Entries::new()),
            cache: None,
            uploaded: vec![],
            log: vec![],
        }
    }

    /// An empty ledger at `protocol` on the network `network_id`, transactions
    /// from `source` (so that a run here and one on a real network build the same
    /// contract addresses).
    pub fn on_network(protocol: u32, network_id: [u8; 32], source: AccountId) -> Self {
        let mut chain = Chain::new(protocol);
        chain.info.network_id = network_id;
        chain.source = source;
        chain
    }

    /// The events of every committed transaction, oldest first.
    pub fn events(&self) -> &[ContractEvent] {
        &self.log
    }

    /// The transaction source account as an address.
    pub fn source_address(&self) -> ScAddress {
        ScAddress::Account(self.source.clone())
    }

    pub fn entry(&self, key: &LedgerKey) -> Option<&EntryWithLiveUntil> {
        self.entries.get(key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Moves the ledger `ledgers` forward (timelocks, TTLs).
    pub fn advance(&mut self, ledgers: u32) {
        self.info.sequence_number += ledgers;
        self.info.timestamp += 5 * ledgers as u64;
    }

    /// Simulates, applies and commits `host_fn`. The error is the
    /// invocation's (nothing is committed then).
    pub fn submit(&mut self, host_fn: HostFunction) -> Result<Receipt, HostError> {
        let tx = self.prepare(host_fn)?;
        self.submit_prepared(&tx)
    }

    /// Simulates `host_fn` on the current ledger (recording mode) and returns
    /// the transaction a validator would receive: encoded host function,
    /// resources (footprint), auth, and the footprint's ledger entries as
    /// they are now. Nothing changes; the error is the simulated invocation's.
    pub fn prepare(&self, host_fn: HostFunction) -> Result<Prepared, HostError> {
        let sim = self.simulate(&host_fn)?;
        Ok(self.encode(
            &host_fn,
            &sim.resources,
            sim.restored_rw_entry_indices,
            &sim.auth,
        ))
    }

    /// Simulation (recording footprint and auth) of `host_fn` on this ledger.
    fn simulate(
        &self,
        host_fn: &HostFunction,
    ) -> Result<InvokeHostFunctionRecordingModeResult, HostError> {
        let budget = Budget::default();
        budget.reset_cpu_limit(TX_INSTRUCTIONS as u64)?;
        let sim = invoke_host_function_in_recording_mode(
            &budget,
            false,
            host_fn,
            &self.source,
            RecordingInvocationAuthMode::recording(true, false),
            self.info.clone(),
            Rc::new(Snapshot(self.entries.clone())),
            self.simulation_seed(host_fn),
            &mut vec![],
        )?;
        sim.invoke_result.clone()?;
        Ok(sim)
    }

    /// The PRNG seed of a simulation, which draws the nonces of recorded auth:
    /// different for every ledger state and call (as RPC's random seeds are),
    /// so that two signed transactions never get the same nonce. Applying uses
    /// the fixed [`crate::e2e::PRNG_SEED`], so metering stays reproducible.
    fn simulation_seed(&self, host_fn: &HostFunction) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(to_xdr(host_fn));
        h.update(self.info.sequence_number.to_be_bytes());
        h.update((self.entries.len() as u64).to_be_bytes());
        h.finalize().into()
    }

    /// [`Chain::prepare`], then every auth entry with address credentials is
    /// replaced by `sign(entry)`, as a wallet signs what simulation recorded
    /// (see [`crate::sign`]). Entries of the source account stay as they are.
    pub fn prepare_signed(
        &self,
        host_fn: HostFunction,
        sign: impl Fn(&SorobanAuthorizationEntry) -> SorobanAuthorizationEntry,
    ) -> Result<Prepared, HostError> {
        let sim = self.simulate(&host_fn)?;
        let auth: Vec<SorobanAuthorizationEntry> = sim
            .auth
            .iter()
            .map(|e| match e.credentials {
                SorobanCredentials::Address(_) => sign(e),
                _ => e.clone(),
            })
            .collect();
        Ok(self.encode(
            &host_fn,
            &sim.resources,
            sim.restored_rw_entry_indices,
            &auth,
        ))
    }

    /// A transaction for `host_fn` carrying `auth` instead of what simulation
    /// records, as someone who crafts a transaction around auth entries they
    /// hold: simulation's footprint, with its nonce keys replaced by those of
    /// `auth`. Used to replay or misuse signatures.
    pub fn prepare_with_auth(
        &self,
        host_fn: HostFunction,
        auth: Vec<SorobanAuthorizationEntry>,
    ) -> Result<Prepared, HostError> {
        let sim = self.simulate(&host_fn)?;
        let mut resources = sim.resources.clone();
        let mut read_write: Vec<LedgerKey> = resources
            .footprint
            .read_write
            .iter()
            .filter(|k| !is_nonce_key(k))
            .cloned()
            .collect();
        read_write.extend(auth.iter().filter_map(nonce_key));
        resources.footprint.read_write = read_write.try_into()?;
        Ok(self.encode(&host_fn, &resources, sim.restored_rw_entry_indices, &auth))
    }

    /// `parts` as the transaction a validator receives, with the footprint's
    /// entries as they are now (as [`Chain::prepare`] encodes a simulated one),
    /// archived ones flagged in `parts` restored.
    pub fn prepare_parts(&self, parts: &TxParts) -> Prepared {
        let mut tx = self.encode(
            &parts.host_fn,
            &parts.resources,
            parts.restored_rw_entry_indices.clone(),
            &parts.auth,
        );
        tx.tx.instructions = parts.instructions;
        tx
    }

    /// Applies and commits a prepared transaction (see [`Chain::submit`]).
    pub fn submit_prepared(&mut self, tx: &Prepared) -> Result<Receipt, HostError> {
        let (receipt, changes) = self.execute(tx)?;
        self.commit(&changes);
        self.log.extend(receipt.events.iter().cloned());
        Ok(receipt)
    }

    /// Applies `tx` and commits exactly what the host reports, whether the
    /// invocation succeeds or fails: its ledger changes to the ledger, its
    /// events to the log. [`Chain::submit_prepared`] commits nothing when the
    /// invocation fails, so it takes the host's atomicity for granted; this
    /// trusts the host's report instead, so that a test can check that a
    /// transaction failing inside the host reports no change and no event.
    /// The error is the invocation's (or `invoke_host_function`'s own).
    pub fn submit_as_reported(&mut self, tx: &Prepared) -> Result<Receipt, HostError> {
        let (res, budget) = invoke_encoded(&self.info, &tx.tx, None, self.cache.clone())?;
        self.commit(&res.ledger_changes);
        let events: Vec<ContractEvent> = res
            .encoded_contract_events
            .iter()
            .map(|e| from_xdr(e))
            .collect();
        self.log.extend(events.iter().cloned());
        let result: ScVal = from_xdr(&res.encoded_invoke_result?);
        Self::receipt(tx, result, events, &budget)
    }

    /// The transaction a validator receives, with the footprint's entries as
    /// they are now.
    fn encode(
        &self,
        host_fn: &HostFunction,
        resources: &SorobanResources,
        restored_rw_entry_indices: Vec<u32>,
        auth: &[SorobanAuthorizationEntry],
    ) -> Prepared {
        let footprint = &resources.footprint;
        let (entries, ttls): (Vec<Vec<u8>>, Vec<Vec<u8>>) = footprint
            .read_only
            .iter()
            .chain(footprint.read_write.iter())
            .filter_map(|k| self.entries.get(k).map(|e| (k, e)))
            .map(|(k, (entry, live_until))| {
                // stellar-core restores the archived entries simulation flags
                // before applying: they reach the host live for the minimum
                // persistent TTL (else the host refuses them as archived).
                let restored = restored_rw_entry_indices
                    .iter()
                    .any(|&i| footprint.read_write.get(i as usize) == Some(k));
                let restored_until = Some(crate::e2e::restored_live_until(&self.info));
                let live_until = if restored {
                    &restored_until
                } else {
                    live_until
                };
                let ttl = match live_until {
                    Some(l) if has_ttl(k) => to_xdr(&ttl_entry(k, *l)),
                    _ => vec![],
                };
                (to_xdr(entry.as_ref()), ttl)
            })
            .unzip();
        Prepared {
            read_bytes: entries.iter().map(|e| e.len()).sum(),
            read_only: footprint.read_only.len(),
            read_write: footprint.read_write.len(),
            tx: EncodedTx {
                host_fn: to_xdr(host_fn),
                resources: to_xdr(resources),
                restored_rw_entry_indices,
                source: to_xdr(&self.source),
                auth: auth.iter().map(to_xdr).collect(),
                entries,
                ttls,
                instructions: TX_INSTRUCTIONS,
            },
        }
    }

    /// Every entry with its live-until ledger, to compare the ledger before
    /// and after something that must change nothing.
    pub fn state(&self) -> BTreeMap<LedgerKey, (LedgerEntry, Option<u32>)> {
        self.entries
            .iter()
            .map(|(k, (e, l))| (k.clone(), (e.as_ref().clone(), *l)))
            .collect()
    }

    /// Applies `tx` (enforcing footprint and auth, a fresh budget, this
    /// ledger's module cache) without committing anything: applying the same
    /// prepared transaction again gives the same result and metering, which
    /// is what benchmarks time. The ledger entries are those `tx` was
    /// prepared with; the error is the invocation's.
    pub fn apply(&self, tx: &Prepared) -> Result<Receipt, HostError> {
        Ok(self.execute(tx)?.0)
    }

    /// [`Chain::apply`], also returning the ledger changes to commit.
    fn execute(&self, tx: &Prepared) -> Result<(Receipt, Vec<LedgerEntryChange>), HostError> {
        let (res, budget) = invoke_encoded(&self.info, &tx.tx, None, self.cache.clone())?;
        let result: ScVal = from_xdr(&res.encoded_invoke_result?);
        let events = res
            .encoded_contract_events
            .iter()
            .map(|e| from_xdr(e))
            .collect();
        let receipt = Self::receipt(tx, result, events, &budget)?;
        Ok((receipt, res.ledger_changes))
    }

    /// The receipt of a successful invocation of `tx`, from its budget.
    fn receipt(
        tx: &Prepared,
        result: ScVal,
        events: Vec<ContractEvent>,
        budget: &Budget,
    ) -> Result<Receipt, HostError> {
        let mut by_cost_type = vec![];
        for ty in ContractCostType::variants() {
            let t = budget.get_tracker(ty)?;
            if t.cpu > 0 || t.mem > 0 {
                by_cost_type.push((ty, t.cpu, t.mem));
            }
        }
        Ok(Receipt {
            read_bytes: tx.read_bytes,
            by_cost_type,
            result,
            cpu_insns: budget.get_cpu_insns_consumed()?,
            mem_bytes: budget.get_mem_bytes_consumed()?,
            read_only: tx.read_only,
            read_write: tx.read_write,
            events,
        })
    }

    /// Writes an applied transaction's changes to the ledger.
    fn commit(&mut self, changes: &[LedgerEntryChange]) {
        let map = Rc::make_mut(&mut self.entries);
        for change in changes {
            let key: LedgerKey = from_xdr(&change.encoded_key);
            let new_live_until = change.ttl_change.as_ref().map(|t| t.new_live_until_ledger);
            if change.read_only {
                if let (Some(l), Some(e)) = (new_live_until, map.get_mut(&key)) {
                    e.1 = e.1.max(Some(l));
                }
            } else {
                match &change.encoded_new_value {
                    Some(v) => {
                        let entry: LedgerEntry = from_xdr(v);
                        map.insert(key, (Rc::new(entry), new_live_until));
                    }
                    None => {
                        map.remove(&key);
                    }
                }
            }
        }
    }

    /// Uploads `wasm` and adds it to the module cache (as a validator's cache
    /// holds all live code at ledger start).
    pub fn upload(&mut self, wasm: &[u8]) -> Result<Hash, HostError> {
        self.submit(HostFunction::UploadContractWasm(wasm.to_vec().try_into()?))?;
        self.uploaded.push(wasm.to_vec());
        let wasms: Vec<&[u8]> = self.uploaded.iter().map(|w| w.as_slice()).collect();
        self.cache = Some(module_cache(self.info.protocol_version, &wasms)?);
        Ok(wasm_hash(wasm))
    }

    /// Creates a contract with `executable`, deployed by the source account
    /// with `salt`, calling its constructor with `args`.
    pub fn create(
        &mut self,
        executable: ContractExecutable,
        salt: [u8; 32],
        args: Vec<ScVal>,
    ) -> Result<(ScAddress, Receipt), HostError> {
        let (address, host_fn) = crate::e2e::create_v2(
            self.info.network_id,
            &self.source_address(),
            salt,
            executable,
            args,
        );
        let receipt = self.submit(host_fn)?;
        Ok((address, receipt))
    }

    /// `contract.function(args)` as a transaction.
    pub fn invoke(
        &mut self,
        contract: &ScAddress,
        function: &str,
        args: Vec<ScVal>,
    ) -> Result<Receipt, HostError> {
        self.submit(invoke_fn(contract, function, args))
    }

    /// The executable stored in `contract`'s instance.
    pub fn executable_of(&self, contract: &ScAddress) -> Option<ContractExecutable> {
        let (entry, _) = self.entries.get(&crate::e2e::instance_key(contract))?;
        match &entry.data {
            LedgerEntryData::ContractData(d) => match &d.val {
                ScVal::ContractInstance(i) => Some(i.executable.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Every key currently in the ledger (for reports).
    pub fn keys(&self) -> impl Iterator<Item = &LedgerKey> {
        self.entries.keys()
    }

    /// Inserts an entry directly (test setup only).
    pub fn put(&mut self, entry: LedgerEntry, live_until: Option<u32>) {
        Rc::make_mut(&mut self.entries).insert(key_of(&entry), (Rc::new(entry), live_until));
    }
}
