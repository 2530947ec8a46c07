//! A validator's side of the host, reproduced in our own code: the live Soroban ledger
//! state, the module cache it maintains, and transaction application through the bridge
//! API core's host adapter calls (`e2e_invoke::invoke_host_function`, the `fees`
//! functions, the budget's counters), with every input and output as XDR bytes.

use std::collections::BTreeMap;

use soroban_env_host::{
    budget::{AsBudget, Budget},
    e2e_invoke::{extract_rent_changes, invoke_host_function, LedgerEntryChange},
    fees::{
        compute_rent_fee, compute_transaction_resource_fee, LedgerEntryRentChange,
        TransactionResources,
    },
    vm::wasm_module_memory_cost,
    xdr::{
        AccountId, ContractCostType, ContractDataDurability, DecoratedSignature, DiagnosticEvent,
        Hash, HostFunction, InvokeHostFunctionOp, LedgerEntry, LedgerEntryData, LedgerFootprint,
        LedgerKey, Memo, MuxedAccount, Operation, OperationBody, Preconditions, PublicKey, ScError,
        ScVal, SequenceNumber, Signature, SignatureHint, SorobanAuthorizationEntry,
        SorobanResources, SorobanTransactionData, SorobanTransactionDataExt, Transaction,
        TransactionEnvelope, TransactionExt, TransactionV1Envelope, TtlEntry, Uint256,
    },
    CompilationContext, Error, ErrorHandler, HostError, LedgerInfo, ModuleCache, Val,
};

use crate::network::NetworkConfig;
use crate::xdr_bytes::{decode, encode, key_of, sha256};

/// The compilation context the node parses modules with, outside any transaction (core
/// has its own, with an unlimited budget).
#[derive(Clone)]
pub struct CoreCompilationContext(Budget);

impl CoreCompilationContext {
    pub fn new() -> CoreCompilationContext {
        // A generous fixed budget: compiling the fixtures takes far less.
        let budget = Budget::try_from_configs(
            10_000_000_000,
            10_000_000_000,
            Default::default(),
            Default::default(),
        )
        .expect("budget");
        CoreCompilationContext(budget)
    }
}

impl Default for CoreCompilationContext {
    fn default() -> Self {
        Self::new()
    }
}

impl AsBudget for CoreCompilationContext {
    fn as_budget(&self) -> &Budget {
        &self.0
    }
}

impl ErrorHandler for CoreCompilationContext {
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

impl CompilationContext for CoreCompilationContext {}

/// A Soroban transaction as its source builds it: one host function, its auth entries and
/// footprint. Resources and fees are filled in by [`Node::apply`] (as simulation would).
#[derive(Clone, Debug)]
pub struct Tx {
    pub host_fn: HostFunction,
    pub auth: Vec<SorobanAuthorizationEntry>,
    pub read_only: Vec<LedgerKey>,
    pub read_write: Vec<LedgerKey>,
}

impl Tx {
    pub fn new(host_fn: HostFunction, read_only: Vec<LedgerKey>, read_write: Vec<LedgerKey>) -> Tx {
        Tx {
            host_fn,
            auth: vec![],
            read_only,
            read_write,
        }
    }

    pub fn with_auth(mut self, auth: SorobanAuthorizationEntry) -> Tx {
        self.auth.push(auth);
        self
    }
}

/// What a transaction was charged, in stroops, and the resources behind it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fee {
    pub instructions: u32,
    pub write_entries: u32,
    pub write_bytes: u32,
    pub tx_size_bytes: u32,
    pub events_size_bytes: u32,
    /// Instructions, entries, bytes, transaction size (and historical storage).
    pub non_refundable: i64,
    /// Events and return value.
    pub events: i64,
    /// Rent of the entries written or extended.
    pub rent: i64,
}

impl Fee {
    pub fn total(&self) -> i64 {
        self.non_refundable + self.events + self.rent
    }
}

/// One applied transaction.
pub struct Applied {
    /// The invocation's result, or its error.
    pub result: Result<ScVal, ScError>,
    pub fee: Fee,
    /// The budget's counters after the call (core reads these for its metrics).
    pub cpu_insns: u64,
    pub mem_bytes: u64,
    /// `VmInstantiation`'s (cpu, mem): zero when every module came from the cache.
    pub vm_instantiation: (u64, u64),
    /// `VmInstantiation`'s wall time in ns, as core reads it for its metrics (0 unless the
    /// host was built to track time).
    pub vm_instantiation_nsecs: u64,
    /// The ledger changes, as the host reported them (empty on failure).
    pub changes: Vec<LedgerEntryChange>,
    pub events: Vec<Vec<u8>>,
    pub diagnostics: Vec<DiagnosticEvent>,
}

impl Applied {
    /// The rent of the changes to `key` alone, at `node`'s ledger.
    pub fn rent_of(&self, node: &Node, key: &LedgerKey) -> i64 {
        let encoded = encode(key);
        let Some(i) = self.changes.iter().position(|c| c.encoded_key == encoded) else {
            return 0;
        };
        compute_rent_fee(
            &extract_rent_changes(&self.changes[i..=i]),
            &node.network.rent_config(),
            node.info.sequence_number,
        )
    }
}

/// A stopped node's ledger: what [`Node::start`] takes.
pub struct Stopped {
    pub info: LedgerInfo,
    pub network_entries: Vec<Vec<u8>>,
    pub entries: Vec<(LedgerEntry, u32)>,
    pub source: AccountId,
}

/// An entry in the live state and its live-until ledger (Soroban entries only).
type Live = BTreeMap<LedgerKey, (LedgerEntry, u32)>;

/// The validator: live state, archive, module cache, network settings and ledger info.
pub struct Node {
    pub info: LedgerInfo,
    pub network: NetworkConfig,
    pub network_entries: Vec<Vec<u8>>,
    live: Live,
    archived: Live,
    cache: ModuleCache,
    ctx: CoreCompilationContext,
    pub source: AccountId,
    seq_num: i64,
    /// Transactions applied so far (failed ones included: they pay too).
    pub applied: usize,
}

impl Node {
    /// Starts a node on `entries` (the live state) with the network settings
    /// `network_entries`: decodes the settings and compiles every live contract into a new
    /// module cache, as core does when it starts.
    pub fn start(
        info: LedgerInfo,
        network_entries: Vec<Vec<u8>>,
        entries: Vec<(LedgerEntry, u32)>,
        source: AccountId,
    ) -> Result<Node, HostError> {
        let ctx = CoreCompilationContext::new();
        let cache = ModuleCache::new(&ctx)?;
        let node = Node {
            network: NetworkConfig::load(&network_entries),
            network_entries,
            info,
            live: entries
                .into_iter()
                .map(|(e, until)| (key_of(&e), (e, until)))
                .collect(),
            archived: Live::new(),
            cache,
            ctx,
            source,
            seq_num: 1,
            applied: 0,
        };
        let codes: Vec<Vec<u8>> = node
            .live
            .values()
            .filter_map(|(e, _)| match &e.data {
                LedgerEntryData::ContractCode(c) => Some(c.code.to_vec()),
                _ => None,
            })
            .collect();
        for code in codes {
            node.cache.parse_and_cache_module_simple(
                &node.ctx,
                node.info.protocol_version,
                &code,
            )?;
        }
        Ok(node)
    }

    /// Stops the node, handing back what it was started with, now (for a restart).
    pub fn stop(self) -> Stopped {
        self.cache.clear().expect("clear the module cache");
        Stopped {
            info: self.info,
            network_entries: self.network_entries,
            entries: self.live.into_values().collect(),
            source: self.source,
        }
    }

    pub fn cache_contains(&self, hash: &Hash) -> bool {
        self.cache.contains_module(hash).expect("module cache")
    }

    pub fn get(&self, key: &LedgerKey) -> Option<&LedgerEntry> {
        self.live.get(key).map(|(e, _)| e)
    }

    pub fn live_until(&self, key: &LedgerKey) -> Option<u32> {
        self.live.get(key).map(|(_, l)| *l)
    }

    pub fn is_archived(&self, key: &LedgerKey) -> bool {
        self.archived.contains_key(key)
    }

    /// A protocol upgrade (`upgrades?mode=set&protocolversion=N`): the next ledger runs at
    /// `version`, on the same state and the same module cache.
    pub fn upgrade_protocol(&mut self, version: u32) {
        self.info.protocol_version = version;
        self.close_ledger();
    }

    pub fn close_ledger(&mut self) {
        self.advance_to(self.info.sequence_number + 1);
    }

    /// Closes ledgers up to `seq`: entries whose TTL ran out are evicted, persistent ones
    /// to the archive, and evicted code leaves the module cache.
    pub fn advance_to(&mut self, seq: u32) {
        self.info.sequence_number = seq;
        self.info.timestamp += 5;
        let expired: Vec<LedgerKey> = self
            .live
            .iter()
            .filter(|(_, (_, until))| *until < seq)
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            let (entry, until) = self.live.remove(&key).expect("listed");
            if let LedgerKey::ContractCode(c) = &key {
                self.cache.remove_module(&c.hash).expect("module cache");
            }
            let temporary = matches!(&key, LedgerKey::ContractData(d)
                if d.durability == ContractDataDurability::Temporary);
            if !temporary {
                self.archived.insert(key, (entry, until));
            }
        }
    }

    /// The size rent is charged on: the XDR size, plus the module's memory for code.
    fn size_for_rent(&self, entry: &LedgerEntry) -> u32 {
        let xdr = encode(entry).len() as u32;
        match &entry.data {
            LedgerEntryData::ContractCode(code) => {
                let budget = self.network.budget(100_000_000).expect("budget");
                xdr + wasm_module_memory_cost(&budget, code).expect("module memory cost") as u32
            }
            _ => xdr,
        }
    }

    /// ExtendFootprintTTL, which core applies itself (not through the host): each live
    /// entry of `keys` lives at least until `extend_to` ledgers from now. Returns the rent.
    pub fn extend_ttl(&mut self, keys: &[LedgerKey], extend_to: u32) -> i64 {
        let new_until = self.info.sequence_number + extend_to;
        let mut changes = Vec::new();
        for key in keys {
            let Some((entry, until)) = self.live.get(key).cloned() else {
                continue;
            };
            if until >= new_until {
                continue;
            }
            let size = self.size_for_rent(&entry);
            changes.push(LedgerEntryRentChange {
                is_persistent: !matches!(key, LedgerKey::ContractData(d)
                    if d.durability == ContractDataDurability::Temporary),
                is_code_entry: matches!(key, LedgerKey::ContractCode(_)),
                old_size_bytes: size,
                new_size_bytes: size,
                old_live_until_ledger: until,
                new_live_until_ledger: new_until,
            });
            self.live.get_mut(key).expect("live").1 = new_until;
        }
        compute_rent_fee(
            &changes,
            &self.network.rent_config(),
            self.info.sequence_number,
        )
    }

    /// The footprint's live entries and their TTL entries, encoded in footprint order, as
    /// core hands them to the host.
    fn encoded_entries(&self, keys: &[LedgerKey]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let mut entries = Vec::new();
        let mut ttls = Vec::new();
        for key in keys {
            if let Some((entry, until)) = self.live.get(key) {
                entries.push(encode(entry));
                ttls.push(encode(&TtlEntry {
                    key_hash: Hash(sha256(&encode(key))),
                    live_until_ledger_seq: *until,
                }));
            }
        }
        (entries, ttls)
    }

    fn envelope(
        &self,
        tx: &Tx,
        resources: SorobanResources,
        resource_fee: i64,
    ) -> TransactionEnvelope {
        let PublicKey::PublicKeyTypeEd25519(Uint256(source)) = &self.source.0;
        TransactionEnvelope::Tx(TransactionV1Envelope {
            tx: Transaction {
                source_account: MuxedAccount::Ed25519(Uint256(*source)),
                fee: u32::try_from(resource_fee + 100).unwrap_or(u32::MAX),
                seq_num: SequenceNumber(self.seq_num),
                cond: Preconditions::None,
                memo: Memo::None,
                operations: vec![Operation {
                    source_account: None,
                    body: OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
                        host_function: tx.host_fn.clone(),
                        auth: tx.auth.clone().try_into().expect("few auth entries"),
                    }),
                }]
                .try_into()
                .expect("one operation"),
                ext: TransactionExt::V1(SorobanTransactionData {
                    ext: SorobanTransactionDataExt::V0,
                    resources,
                    resource_fee,
                }),
            },
            // A signature's worth of bytes: the envelope's size is what is charged.
            signatures: vec![DecoratedSignature {
                hint: SignatureHint([0; 4]),
                signature: Signature(vec![0; 64].try_into().expect("64 bytes")),
            }]
            .try_into()
            .expect("one signature"),
        })
    }

    /// Runs the transaction in `envelope` (XDR) on a fresh budget of `instructions`, as
    /// core's adapter does: decode the envelope's Soroban parts, hand them to
    /// `invoke_host_function` re-encoded, with the footprint's entries and the module cache.
    fn invoke(
        &self,
        envelope: &[u8],
        instructions: u32,
    ) -> Result<(Applied, SorobanResources), HostError> {
        let TransactionEnvelope::Tx(env) = decode::<TransactionEnvelope>(envelope) else {
            unreachable!("built as a v1 envelope");
        };
        let TransactionExt::V1(data) = &env.tx.ext else {
            unreachable!("a Soroban transaction");
        };
        let OperationBody::InvokeHostFunction(op) = &env.tx.operations[0].body else {
            unreachable!("an InvokeHostFunction operation");
        };
        let footprint = &data.resources.footprint;
        let keys: Vec<LedgerKey> = footprint
            .read_only
            .iter()
            .chain(footprint.read_write.iter())
            .cloned()
            .collect();
        let (entries, ttls) = self.encoded_entries(&keys);
        let budget = self.network.budget(instructions)?;
        let mut diagnostics = Vec::new();
        let res = invoke_host_function(
            &budget,
            true,
            encode(&op.host_function),
            encode(&data.resources),
            &[],
            encode(&self.source),
            op.auth.iter().map(encode).collect::<Vec<_>>().into_iter(),
            self.info.clone(),
            entries.into_iter(),
            ttls.into_iter(),
            encode(&Hash(sha256(&self.seq_num.to_be_bytes()))),
            &mut diagnostics,
            None,
            Some(self.cache.clone()),
        )?;
        let vm = budget.get_tracker(ContractCostType::VmInstantiation)?;
        let result = match res.encoded_invoke_result {
            Ok(bytes) => Ok(decode::<ScVal>(&bytes)),
            Err(e) => Err(ScError::try_from(e.error).expect("an ScError")),
        };
        let applied = Applied {
            result,
            fee: Fee::default(),
            cpu_insns: budget.get_cpu_insns_consumed()?,
            mem_bytes: budget.get_mem_bytes_consumed()?,
            vm_instantiation: (vm.cpu, vm.mem),
            vm_instantiation_nsecs: budget.get_time(ContractCostType::VmInstantiation)?,
            changes: res.ledger_changes,
            events: res.encoded_contract_events,
            diagnostics,
        };
        Ok((applied, data.resources.clone()))
    }

    /// Simulates `tx` (its footprint is given; this measures instructions and sizes, as RPC
    /// simulation would), then applies it with exactly those resources and charges its
    /// fees: the resource fee of the declared resources, refundable events, and rent.
    /// A successful transaction's changes are committed; new code joins the module cache.
    pub fn apply(&mut self, tx: &Tx) -> Result<Applied, HostError> {
        let footprint = LedgerFootprint {
            read_only: tx.read_only.clone().try_into().expect("small footprint"),
            read_write: tx.read_write.clone().try_into().expect("small footprint"),
        };
        let max = self.network.compute.tx_max_instructions as u32;
        let probe = SorobanResources {
            footprint: footprint.clone(),
            instructions: max,
            disk_read_bytes: 0,
            write_bytes: self.network.ledger_cost.tx_max_write_bytes,
        };
        let (simulated, _) = self.invoke(&encode(&self.envelope(tx, probe, 0)), max)?;

        // The declared resources: what simulation measured.
        let write_bytes: u32 = simulated
            .changes
            .iter()
            .filter(|c| !c.read_only)
            .filter_map(|c| c.encoded_new_value.as_ref().map(|v| v.len() as u32))
            .sum();
        let resources = SorobanResources {
            footprint,
            instructions: simulated.cpu_insns as u32,
            // Live Soroban state is in memory: only classic or archived entries are read
            // from disk, and these transactions touch neither.
            disk_read_bytes: 0,
            write_bytes,
        };
        let sized = encode(&self.envelope(tx, resources.clone(), i64::from(u32::MAX)));
        let events_size = simulated.events.iter().map(Vec::len).sum::<usize>()
            + simulated
                .result
                .as_ref()
                .map(|v| encode(v).len())
                .unwrap_or(0);
        let tx_resources = TransactionResources {
            instructions: resources.instructions,
            disk_read_entries: 0,
            write_entries: tx.read_write.len() as u32,
            disk_read_bytes: 0,
            write_bytes,
            contract_events_size_bytes: events_size as u32,
            transaction_size_bytes: sized.len() as u32,
        };
        let (non_refundable, refundable) =
            compute_transaction_resource_fee(&tx_resources, &self.network.fee_config());
        let envelope = encode(&self.envelope(tx, resources, non_refundable + refundable));

        let (mut applied, _) = self.invoke(&envelope, tx_resources.instructions)?;
        assert_eq!(
            applied.cpu_insns, simulated.cpu_insns,
            "applying consumed what simulating did"
        );
        self.seq_num += 1;
        self.applied += 1;
        let rent = if applied.result.is_ok() {
            compute_rent_fee(
                &extract_rent_changes(&applied.changes),
                &self.network.rent_config(),
                self.info.sequence_number,
            )
        } else {
            0
        };
        applied.fee = Fee {
            instructions: tx_resources.instructions,
            write_entries: tx_resources.write_entries,
            write_bytes,
            tx_size_bytes: tx_resources.transaction_size_bytes,
            events_size_bytes: tx_resources.contract_events_size_bytes,
            non_refundable,
            events: if applied.result.is_ok() {
                refundable
            } else {
                0
            },
            rent,
        };
        if applied.result.is_ok() {
            self.commit(&applied.changes)?;
        }
        Ok(applied)
    }

    /// Applies a successful invocation's changes as core does: read-write entries take
    /// their new value (or go), read-only entries may only have their TTL extended; new
    /// contract code is compiled into the module cache.
    fn commit(&mut self, changes: &[LedgerEntryChange]) -> Result<(), HostError> {
        for c in changes {
            let key: LedgerKey = decode(&c.encoded_key);
            let new_until = c.ttl_change.as_ref().map(|t| t.new_live_until_ledger);
            if c.read_only {
                if let (Some(until), Some(live)) = (new_until, self.live.get_mut(&key)) {
                    live.1 = live.1.max(until);
                }
                continue;
            }
            match &c.encoded_new_value {
                Some(bytes) => {
                    let entry: LedgerEntry = decode(bytes);
                    if let LedgerEntryData::ContractCode(code) = &entry.data {
                        self.cache.parse_and_cache_module_simple(
                            &self.ctx,
                            self.info.protocol_version,
                            &code.code,
                        )?;
                    }
                    let until = new_until
                        .or_else(|| self.live_until(&key))
                        .expect("a Soroban entry has a TTL");
                    self.live.insert(key, (entry, until));
                }
                None => {
                    self.live.remove(&key);
                }
            }
        }
        Ok(())
    }
}
