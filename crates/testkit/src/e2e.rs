//! End-to-end setup through `soroban_env_host::e2e_invoke`, the API
//! stellar-core calls: ledger state built directly as XDR ledger entries,
//! transactions encoded to XDR, enforcing footprints, and simulation
//! (`invoke_host_function_in_recording_mode`).
//!
//! Every invocation runs on a fresh host built by `e2e_invoke` itself, exactly
//! as an embedder runs it; [`LedgerState`] plays the embedder's ledger, and
//! [`LedgerState::commit`] applies a successful invocation's ledger changes the
//! way stellar-core does.

use std::rc::Rc;

use soroban_env_host::{
    budget::{AsBudget, Budget},
    e2e_invoke::{
        invoke_host_function, invoke_host_function_in_recording_mode,
        InvokeHostFunctionRecordingModeResult, InvokeHostFunctionResult, LedgerEntryChange,
        LedgerEntryLiveUntilChange, RecordingInvocationAuthMode,
    },
    e2e_testutils,
    testutils::MockSnapshotSource,
    xdr::{
        AccountId, ContractCodeEntry, ContractDataDurability, ContractDataEntry, ContractEvent,
        ContractExecutable, ContractExecutableExternalRef, ContractId, ContractIdPreimage,
        ContractIdPreimageFromAddress, CreateContractArgsV2, DiagnosticEvent, ExtensionPoint, Hash,
        HostFunction, InvokeContractArgs, LedgerEntry, LedgerEntryData, LedgerFootprint, LedgerKey,
        LedgerKeyAccount, LedgerKeyContractCode, LedgerKeyContractData, Limits, ReadXdr, ScAddress,
        ScContractInstance, ScSymbol, ScVal, SorobanAuthorizationEntry, SorobanAuthorizedFunction,
        SorobanAuthorizedInvocation, SorobanCredentials, SorobanResources, TtlEntry, Uint256,
        WriteXdr,
    },
    CompilationContext, Error, ErrorHandler, HostError, LedgerInfo, ModuleCache, Val,
};

use crate::{fixtures, FORK_PROTOCOL};

/// The ledger sequence of [`e2e_ledger_info`] (upstream's e2e default).
pub const LEDGER_SEQ: u32 = e2e_testutils::DEFAULT_LEDGER_SEQ;
/// A live-until ledger well past [`LEDGER_SEQ`].
pub const LIVE_UNTIL: u32 = LEDGER_SEQ + 50_000;
/// The instruction limit of every transaction built here: ample for the
/// fixtures, including parsing Wasm outside a module cache.
pub const TX_INSTRUCTIONS: u32 = 100_000_000;
/// The PRNG seed passed to every invocation.
pub const PRNG_SEED: [u8; 32] = [0; 32];

/// Upstream's e2e ledger settings (network id, TTL limits, sequence
/// [`LEDGER_SEQ`]) at the fork's protocol 28: the ledger of every invocation
/// through `e2e_invoke` here. Hosts driven directly use
/// [`crate::host_ledger_info`], whose values differ.
pub fn e2e_ledger_info() -> LedgerInfo {
    LedgerInfo {
        protocol_version: FORK_PROTOCOL,
        ..e2e_testutils::default_ledger_info()
    }
}

/// The live-until ledger stellar-core gives an entry it restores from the
/// archive: the minimum persistent TTL from the current ledger.
pub fn restored_live_until(info: &LedgerInfo) -> u32 {
    info.sequence_number + info.min_persistent_entry_ttl - 1
}

// ---------------------------------------------------------------------------
// Keys and entries
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Host functions, footprints, auth
// ---------------------------------------------------------------------------

pub fn invoke_fn(contract: &ScAddress, function: &str, args: Vec<ScVal>) -> HostFunction {
    HostFunction::InvokeContract(InvokeContractArgs {
        contract_address: contract.clone(),
        function_name: sc_symbol(function),
        args: args.try_into().expect("few args"),
    })
}

pub fn footprint(read_only: Vec<LedgerKey>, read_write: Vec<LedgerKey>) -> LedgerFootprint {
    LedgerFootprint {
        read_only: read_only.try_into().expect("small footprint"),
        read_write: read_write.try_into().expect("small footprint"),
    }
}

/// `CreateContractArgsV2` deploying a follower of `manager`'s `key` from
/// `deployer` with `salt`, no constructor arguments.
pub fn create_follower_args(
    deployer: &ScAddress,
    salt: [u8; 32],
    manager: &ScAddress,
    key: &str,
) -> CreateContractArgsV2 {
    CreateContractArgsV2 {
        contract_id_preimage: ContractIdPreimage::Address(ContractIdPreimageFromAddress {
            address: deployer.clone(),
            salt: Uint256(salt),
        }),
        executable: external_ref(manager, key),
        constructor_args: Default::default(),
    }
}

/// The address a create-contract preimage yields on [`e2e_ledger_info`]'s network.
pub fn created_address(preimage: &ContractIdPreimage) -> ScAddress {
    ScAddress::Contract(ContractId(Hash(e2e_testutils::get_contract_id_hash(
        preimage,
    ))))
}

/// A `CreateContractV2` of `executable` by `deployer` with `salt`, calling the
/// constructor with `args`, and the address it creates on the network `network_id`.
pub fn create_v2(
    network_id: [u8; 32],
    deployer: &ScAddress,
    salt: [u8; 32],
    executable: ContractExecutable,
    args: Vec<ScVal>,
) -> (ScAddress, HostFunction) {
    let preimage = ContractIdPreimage::Address(ContractIdPreimageFromAddress {
        address: deployer.clone(),
        salt: Uint256(salt),
    });
    let address = created_address_on(network_id, &preimage);
    let host_fn = HostFunction::CreateContractV2(CreateContractArgsV2 {
        contract_id_preimage: preimage,
        executable,
        constructor_args: args.try_into().expect("few constructor args"),
    });
    (address, host_fn)
}

/// The address a create-contract preimage yields on the network `network_id`.
pub fn created_address_on(network_id: [u8; 32], preimage: &ContractIdPreimage) -> ScAddress {
    use sha2::Digest;
    let id = soroban_env_host::xdr::HashIdPreimage::ContractId(
        soroban_env_host::xdr::HashIdPreimageContractId {
            network_id: Hash(network_id),
            contract_id_preimage: preimage.clone(),
        },
    );
    ScAddress::Contract(ContractId(Hash(sha2::Sha256::digest(to_xdr(&id)).into())))
}

/// The auth entry a transaction's source account gives for a
/// `CreateContractV2` host function it deploys itself (no signature: the
/// transaction's own signature covers it).
pub fn source_account_create_auth(args: &CreateContractArgsV2) -> SorobanAuthorizationEntry {
    SorobanAuthorizationEntry {
        credentials: SorobanCredentials::SourceAccount,
        root_invocation: SorobanAuthorizedInvocation {
            function: SorobanAuthorizedFunction::CreateContractV2HostFn(args.clone()),
            sub_invocations: Default::default(),
        },
    }
}

/// The Soroban part of a transaction, as stellar-core hands it to the host.
#[derive(Clone, Debug)]
pub struct Tx {
    pub host_fn: HostFunction,
    pub resources: SorobanResources,
    /// Indices in the read-write footprint of entries restored from the
    /// archive by this transaction.
    pub restored_rw_entry_indices: Vec<u32>,
    pub source: AccountId,
    pub auth: Vec<SorobanAuthorizationEntry>,
}

impl Tx {
    /// A transaction from [`source_account`] with no auth entries and
    /// [`TX_INSTRUCTIONS`].
    pub fn new(host_fn: HostFunction, footprint: LedgerFootprint) -> Self {
        Tx {
            host_fn,
            resources: SorobanResources {
                footprint,
                instructions: TX_INSTRUCTIONS,
                disk_read_bytes: 0,
                write_bytes: 0,
            },
            restored_rw_entry_indices: vec![],
            source: source_account(),
            auth: vec![],
        }
    }

    /// The transaction a simulation prescribes: its footprint, restored
    /// entries and auth (instructions stay [`TX_INSTRUCTIONS`]).
    pub fn from_simulation(
        host_fn: HostFunction,
        sim: &InvokeHostFunctionRecordingModeResult,
    ) -> Self {
        Tx {
            restored_rw_entry_indices: sim.restored_rw_entry_indices.clone(),
            auth: sim.auth.clone(),
            ..Tx::new(host_fn, sim.resources.footprint.clone())
        }
    }

    pub fn with_auth(mut self, auth: Vec<SorobanAuthorizationEntry>) -> Self {
        self.auth = auth;
        self
    }

    pub fn with_restored(mut self, restored_rw_entry_indices: Vec<u32>) -> Self {
        self.restored_rw_entry_indices = restored_rw_entry_indices;
        self
    }

    pub fn read_only(&self) -> &[LedgerKey] {
        self.resources.footprint.read_only.as_slice()
    }

    pub fn read_write(&self) -> &[LedgerKey] {
        self.resources.footprint.read_write.as_slice()
    }

    fn in_footprint(&self, key: &LedgerKey) -> bool {
        self.read_only().contains(key) || self.read_write().contains(key)
    }
}

// ---------------------------------------------------------------------------
// Ledger state and invocations
// ---------------------------------------------------------------------------

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
    /// without a TTL). Entries are passed as they are in this ledger: an
    /// archived entry is not filtered out.
    pub fn encoded_footprint_entries(&self, tx: &Tx) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        self.entries
            .iter()
            .filter(|(e, _)| tx.in_footprint(&key_of(e)))
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

// ---------------------------------------------------------------------------
// Module cache
// ---------------------------------------------------------------------------

/// The compilation context an embedder parses modules with, outside any host
/// (an unlimited budget of its own).
#[derive(Clone)]
pub struct CompileContext(Budget);

impl CompileContext {
    pub fn new() -> Result<Self, HostError> {
        let budget = Budget::default();
        budget.reset_unlimited()?;
        Ok(CompileContext(budget))
    }
}

impl AsBudget for CompileContext {
    fn as_budget(&self) -> &Budget {
        &self.0
    }
}

impl ErrorHandler for CompileContext {
    fn map_err<T, E>(&self, res: Result<T, E>) -> Result<T, HostError>
    where
        Error: From<E>,
        E: std::fmt::Debug,
    {
        res.map_err(|e| HostError::from(Error::from(e)))
    }

    fn error(&self, error: Error, _msg: &str, _args: &[Val]) -> HostError {
        HostError::from(error)
    }
}

impl CompilationContext for CompileContext {}

/// A module cache holding `wasms` parsed for `protocol`, as stellar-core
/// builds one from the live contract code at ledger start.
pub fn module_cache(protocol: u32, wasms: &[&[u8]]) -> Result<ModuleCache, HostError> {
    let ctx = CompileContext::new()?;
    let cache = ModuleCache::new(&ctx)?;
    for wasm in wasms {
        cache.parse_and_cache_module_simple(&ctx, protocol, wasm)?;
    }
    Ok(cache)
}

// ---------------------------------------------------------------------------
// The standard scenario
// ---------------------------------------------------------------------------

/// A ledger with a manager, its Wasm reference `key` pointing at follower v1,
/// and one follower of that reference; follower v1 and v2 code uploaded.
/// Every entry lives until [`LIVE_UNTIL`].
pub struct RefLedger {
    pub ledger: LedgerState,
    pub manager: ScAddress,
    pub follower: ScAddress,
    pub key: String,
}

impl RefLedger {
    pub fn new(key: &str) -> Self {
        let manager = contract_address(0xaa);
        let follower = contract_address(0xf0);
        let mut ledger = LedgerState::new(e2e_ledger_info());
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
