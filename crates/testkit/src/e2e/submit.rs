//! The [`Ledger`]'s second entry point, the way a network drives the host: every
//! operation is a transaction simulated with crates.io `soroban-simulation` (as
//! stellar-rpc simulates: footprint, auth, resources and resource fee), then applied
//! with `invoke_host_function` (enforcing footprint and auth, a fresh budget, the
//! ledger's module cache) and committed. Costs are the applied transaction's own
//! metering, as a validator would charge them. Benchmarks split that in two:
//! [`Ledger::prepare`] simulates once, and [`Ledger::apply_prepared`] applies the
//! prepared transaction without committing, as often as they like.

use soroban_env_host::{
    budget::Budget,
    e2e_invoke::RecordingInvocationAuthMode,
    xdr::{
        ContractCostType, ContractDataDurability, ContractEvent, ContractExecutable,
        DiagnosticEvent, Hash, HostFunction, LedgerEntry, LedgerFootprint, LedgerKey,
        LedgerKeyContractData, ScAddress, ScErrorCode, ScErrorType, ScNonceKey, ScVal,
        SorobanAuthorizationEntry, SorobanCredentials, SorobanResources, SorobanTransactionDataExt,
    },
    HostError,
};
use soroban_simulation::simulation::{
    simulate_invoke_host_function_op, SimulationAdjustmentConfig,
};

use super::{
    builders::{create_v2, invoke_fn, Tx},
    entries::{from_xdr, to_xdr, wasm_hash},
    ledger::{invoke_encoded, Change, EncodedTx, Ledger},
    module_cache::module_cache,
    network::network_config,
};

/// Instructions added to a transaction whose auth entries simulation could not
/// enforce ([`Ledger::prepare_with_auth`]), for the signature checks applying
/// runs: ten ed25519 verifications and more.
pub const SIGNATURE_ROOM: u32 = 10_000_000;

/// What simulation reports for a host function, as stellar-rpc's
/// `simulateTransaction` does.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// The invocation's result; the error is the simulated invocation's.
    pub invoke_result: Result<ScVal, HostError>,
    /// Footprint and resources, adjusted as RPC adjusts them (empty when the
    /// invocation failed).
    pub resources: SorobanResources,
    /// Indices in the read-write footprint of the archived entries the
    /// transaction restores.
    pub restored_rw_entry_indices: Vec<u32>,
    pub auth: Vec<SorobanAuthorizationEntry>,
    /// The resource fee RPC would ask for, in stroops (0 when the invocation
    /// failed).
    pub resource_fee: i64,
    pub events: Vec<ContractEvent>,
    pub diagnostics: Vec<DiagnosticEvent>,
    /// Every entry the invocation would write: (before, after).
    pub modified_entries: Vec<(Option<LedgerEntry>, Option<LedgerEntry>)>,
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
    /// The resource fee simulation asked for (none for a hand-built transaction).
    pub resource_fee: Option<i64>,
    pub events: Vec<ContractEvent>,
    /// CPU instructions and memory bytes by cost type (types that charged).
    pub by_cost_type: Vec<(ContractCostType, u64, u64)>,
}

/// A transaction ready to apply ([`Ledger::prepare`]): the encoded inputs of
/// `invoke_host_function`, with the footprint's ledger entries as they were
/// when it was prepared. [`Ledger::apply_prepared`] runs it any number of times
/// without committing.
#[derive(Clone, Debug)]
pub struct Prepared {
    tx: EncodedTx,
    read_only: usize,
    read_write: usize,
    read_bytes: usize,
    resource_fee: Option<i64>,
}

impl Prepared {
    /// The transaction's auth entries.
    pub fn auth(&self) -> Vec<SorobanAuthorizationEntry> {
        self.tx.auth.iter().map(|a| from_xdr(a)).collect()
    }

    /// The footprint simulation prescribed, and the indices of its
    /// read-write entries that the transaction restores from the archive.
    pub fn footprint(&self) -> (LedgerFootprint, &[u32]) {
        let resources: SorobanResources = from_xdr(&self.tx.resources);
        (resources.footprint, &self.tx.restored_rw_entry_indices)
    }

    /// The resource fee simulation asked for.
    pub fn resource_fee(&self) -> Option<i64> {
        self.resource_fee
    }

    /// The transaction taken apart, to be altered as a careless or hostile
    /// submitter would alter it (a footprint without a key the call needs, auth
    /// stripped or forged, an instruction limit too small to finish, another
    /// call in the same footprint) and encoded again with [`Ledger::prepare_tx`]:
    /// transactions that fail inside the host while applying, which simulation
    /// never produces. Its declared instructions are the applying budget's limit.
    pub fn parts(&self) -> Tx {
        let mut resources: SorobanResources = from_xdr(&self.tx.resources);
        resources.instructions = self.tx.instructions;
        Tx {
            host_fn: from_xdr(&self.tx.host_fn),
            resources,
            restored_rw_entry_indices: self.tx.restored_rw_entry_indices.clone(),
            source: from_xdr(&self.tx.source),
            auth: self.auth(),
        }
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

impl Ledger {
    /// Simulates `host_fn` from this ledger's source with crates.io
    /// `soroban-simulation` (recording footprint, recording auth with non-root
    /// auth disabled, RPC's default adjustments, diagnostics on), on the test
    /// network's settings. Nothing changes. The error is simulation's own
    /// failure (a misconfigured network); the invocation's is in
    /// [`Simulation::invoke_result`].
    pub fn simulate(&self, host_fn: &HostFunction) -> Result<Simulation, HostError> {
        self.simulate_with(host_fn, RecordingInvocationAuthMode::recording(true, false))
    }

    /// [`Ledger::simulate`] in `auth_mode`: recording, or enforcing given
    /// (signed) entries, as a wallet simulates again once it has signed.
    pub fn simulate_with(
        &self,
        host_fn: &HostFunction,
        auth_mode: RecordingInvocationAuthMode,
    ) -> Result<Simulation, HostError> {
        let sim = simulate_invoke_host_function_op(
            self.snapshot(),
            network_config(),
            &SimulationAdjustmentConfig::default_adjustment(),
            &self.info,
            host_fn.clone(),
            auth_mode,
            &self.source,
            self.simulation_seed(host_fn),
            true,
        )
        .map_err(|e| {
            eprintln!("simulation failed: {e:#}");
            HostError::from((ScErrorType::Context, ScErrorCode::InternalError))
        })?;
        let (resources, resource_fee, restored_rw_entry_indices) = match sim.transaction_data {
            Some(data) => {
                let restored = match data.ext {
                    SorobanTransactionDataExt::V1(ext) => {
                        ext.archived_soroban_entries.iter().copied().collect()
                    }
                    SorobanTransactionDataExt::V0 => vec![],
                };
                (data.resources, data.resource_fee, restored)
            }
            None => (SorobanResources::default(), 0, vec![]),
        };
        Ok(Simulation {
            invoke_result: sim.invoke_result,
            resources,
            restored_rw_entry_indices,
            auth: sim.auth,
            resource_fee,
            events: sim.contract_events,
            diagnostics: sim.diagnostic_events,
            modified_entries: sim
                .modified_entries
                .into_iter()
                .map(|d| (d.state_before, d.state_after))
                .collect(),
        })
    }

    /// Simulation of `host_fn` that must succeed: the error is the simulated
    /// invocation's.
    fn simulate_ok(&self, host_fn: &HostFunction) -> Result<Simulation, HostError> {
        let sim = self.simulate(host_fn)?;
        sim.invoke_result.clone()?;
        Ok(sim)
    }

    /// The PRNG seed of a simulation, which draws the nonces of recorded auth:
    /// different for every ledger state and call (as RPC's random seeds are),
    /// so that two signed transactions never get the same nonce. Applying uses
    /// the fixed [`super::PRNG_SEED`], so metering stays reproducible.
    fn simulation_seed(&self, host_fn: &HostFunction) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(to_xdr(host_fn));
        h.update(self.info.sequence_number.to_be_bytes());
        h.update((self.entries.len() as u64).to_be_bytes());
        h.finalize().into()
    }

    /// Simulates `host_fn` on the current ledger and returns the transaction a
    /// validator would receive: encoded host function, resources, auth, and the
    /// footprint's ledger entries as they are now. Nothing changes; the error is
    /// the simulated invocation's. The applying budget's limit is the
    /// instructions simulation prescribes, as stellar-core enforces them: a
    /// transaction whose cost simulation underestimates fails to apply.
    pub fn prepare(&self, host_fn: HostFunction) -> Result<Prepared, HostError> {
        let sim = self.simulate_ok(&host_fn)?;
        Ok(self.prepare_simulated(host_fn, &sim, sim.auth.clone()))
    }

    /// [`Ledger::prepare`], then every auth entry with address credentials is
    /// replaced by `sign(entry)`, as a wallet signs what simulation recorded
    /// (see [`crate::sign`]). Entries of the source account stay as they are.
    /// The resources are those of a second simulation enforcing the signed
    /// entries (what checking the signatures costs), as a wallet asks for them.
    pub fn prepare_signed(
        &self,
        host_fn: HostFunction,
        sign: impl Fn(&SorobanAuthorizationEntry) -> SorobanAuthorizationEntry,
    ) -> Result<Prepared, HostError> {
        let sim = self.simulate_ok(&host_fn)?;
        let auth = sim
            .auth
            .iter()
            .map(|e| match e.credentials {
                SorobanCredentials::Address(_) => sign(e),
                _ => e.clone(),
            })
            .collect();
        self.prepare_enforcing(host_fn, auth, Some(sim))
    }

    /// A transaction for `host_fn` carrying `auth` instead of what simulation
    /// records, as a wallet or someone who crafts a transaction around auth
    /// entries they hold builds it. Simulation enforcing `auth` prescribes the
    /// footprint and resources. Where that simulation fails (entries that do
    /// not authorize the call: a replay, a misuse), the transaction is built
    /// anyway, so that applying it is what refuses it: recording simulation's
    /// footprint with its nonce keys replaced by those of `auth`, and
    /// [`SIGNATURE_ROOM`] more instructions for the signature checks.
    pub fn prepare_with_auth(
        &self,
        host_fn: HostFunction,
        auth: Vec<SorobanAuthorizationEntry>,
    ) -> Result<Prepared, HostError> {
        self.prepare_enforcing(host_fn, auth, None)
    }

    /// [`Ledger::prepare_with_auth`], reusing the recording simulation of
    /// `host_fn` when the caller already ran it.
    fn prepare_enforcing(
        &self,
        host_fn: HostFunction,
        auth: Vec<SorobanAuthorizationEntry>,
        recorded: Option<Simulation>,
    ) -> Result<Prepared, HostError> {
        let enforced = self.simulate_with(
            &host_fn,
            RecordingInvocationAuthMode::Enforcing(auth.clone()),
        )?;
        if enforced.invoke_result.is_ok() {
            return Ok(self.prepare_simulated(host_fn, &enforced, auth));
        }
        let mut sim = match recorded {
            Some(sim) => sim,
            None => self.simulate_ok(&host_fn)?,
        };
        sim.resources.instructions = sim.resources.instructions.saturating_add(SIGNATURE_ROOM);
        let footprint = &mut sim.resources.footprint;
        let mut read_write: Vec<LedgerKey> = footprint
            .read_write
            .iter()
            .filter(|k| !is_nonce_key(k))
            .cloned()
            .collect();
        read_write.extend(auth.iter().filter_map(nonce_key));
        footprint.read_write = read_write.try_into()?;
        Ok(self.prepare_simulated(host_fn, &sim, auth))
    }

    fn prepare_simulated(
        &self,
        host_fn: HostFunction,
        sim: &Simulation,
        auth: Vec<SorobanAuthorizationEntry>,
    ) -> Prepared {
        let tx = Tx {
            host_fn,
            resources: sim.resources.clone(),
            restored_rw_entry_indices: sim.restored_rw_entry_indices.clone(),
            source: self.source.clone(),
            auth,
        };
        let mut prepared = self.prepare_tx(&tx);
        prepared.resource_fee = Some(sim.resource_fee);
        prepared
    }

    /// A hand-built transaction as a validator receives it, with the
    /// footprint's entries as they are now (archived ones flagged as restored
    /// are passed restored), to apply or submit like a simulated one. Its
    /// declared instructions are the applying budget's limit.
    pub fn prepare_tx(&self, tx: &Tx) -> Prepared {
        let encoded = self.encode(tx);
        Prepared {
            read_bytes: encoded.entries.iter().map(|e| e.len()).sum(),
            read_only: tx.read_only().len(),
            read_write: tx.read_write().len(),
            resource_fee: None,
            tx: encoded,
        }
    }

    /// Simulates, applies and commits `host_fn`. The error is the
    /// invocation's (nothing is committed then).
    pub fn submit(&mut self, host_fn: HostFunction) -> Result<Receipt, HostError> {
        let tx = self.prepare(host_fn)?;
        self.submit_prepared(&tx)
    }

    /// Applies and commits a prepared transaction (see [`Ledger::submit`]).
    pub fn submit_prepared(&mut self, tx: &Prepared) -> Result<Receipt, HostError> {
        self.transactions += 1;
        let (receipt, changes) = self.execute(tx)?;
        self.write(&changes);
        self.log.extend(receipt.events.iter().cloned());
        Ok(receipt)
    }

    /// Applies `tx` and commits exactly what the host reports, whether the
    /// invocation succeeds or fails: its ledger changes to the ledger, its
    /// events to the log. [`Ledger::submit_prepared`] commits nothing when the
    /// invocation fails, so it takes the host's atomicity for granted; this
    /// trusts the host's report instead, so that a test can check that a
    /// transaction failing inside the host reports no change and no event.
    /// The error is the invocation's (or `invoke_host_function`'s own).
    pub fn submit_as_reported(&mut self, tx: &Prepared) -> Result<Receipt, HostError> {
        self.transactions += 1;
        let (res, budget) = invoke_encoded(&self.info, &tx.tx, None, self.cache.clone())?;
        let changes: Vec<Change> = res.ledger_changes.iter().map(Change::from).collect();
        self.write(&changes);
        let events: Vec<ContractEvent> = res
            .encoded_contract_events
            .iter()
            .map(|e| from_xdr(e))
            .collect();
        self.log.extend(events.iter().cloned());
        let result: ScVal = from_xdr(&res.encoded_invoke_result?);
        Self::receipt(tx, result, events, &budget)
    }

    /// Applies `tx` (enforcing footprint and auth, a fresh budget, this
    /// ledger's module cache) without committing anything: applying the same
    /// prepared transaction again gives the same result and metering, which
    /// is what benchmarks time. The ledger entries are those `tx` was
    /// prepared with; the error is the invocation's.
    pub fn apply_prepared(&self, tx: &Prepared) -> Result<Receipt, HostError> {
        Ok(self.execute(tx)?.0)
    }

    /// [`Ledger::apply_prepared`], also returning the ledger changes to commit.
    fn execute(&self, tx: &Prepared) -> Result<(Receipt, Vec<Change>), HostError> {
        let (res, budget) = invoke_encoded(&self.info, &tx.tx, None, self.cache.clone())?;
        let result: ScVal = from_xdr(&res.encoded_invoke_result?);
        let events = res
            .encoded_contract_events
            .iter()
            .map(|e| from_xdr(e))
            .collect();
        let receipt = Self::receipt(tx, result, events, &budget)?;
        Ok((
            receipt,
            res.ledger_changes.iter().map(Change::from).collect(),
        ))
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
            resource_fee: tx.resource_fee,
            events,
        })
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
        let (address, host_fn) = create_v2(
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
}
