//! A client of a real core node, as a wallet with stellar-rpc would be: it
//! simulates with crates.io `soroban-simulation` (the library stellar-rpc
//! simulates with) over ledger entries read from core's query port, signs
//! Soroban authorization entries and transaction envelopes with ed25519 for the
//! network's passphrase, submits them with `tx?blob=`, and reads each outcome
//! back from core's ledger-close meta stream.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use soroban_env_host::{
    e2e_invoke::RecordingInvocationAuthMode,
    storage::{EntryWithLiveUntil, SnapshotSource},
    xdr::{
        AccountEntry, ContractEvent, CreateAccountOp, Hash, HostFunction, InvokeHostFunctionOp,
        LedgerEntry, LedgerEntryChange, LedgerEntryData, LedgerKey, LedgerKeyAccount, Limits, Memo,
        Operation, OperationBody, Preconditions, ReadXdr, ScErrorCode, ScErrorType, SequenceNumber,
        SetOptionsOp, Signer, SignerKey, SorobanAuthorizationEntry, SorobanCredentials,
        SorobanTransactionData, Transaction, TransactionEnvelope, TransactionExt,
        TransactionResult, TransactionSignaturePayload,
        TransactionSignaturePayloadTaggedTransaction, TransactionV1Envelope, Uint256, WriteXdr,
    },
    HostError, LedgerInfo,
};
use soroban_simulation::{
    simulation::{simulate_invoke_host_function_op, SimulationAdjustmentConfig},
    NetworkConfig,
};

use crate::http;
use crate::keys::{network_id, NodeKey};
use crate::meta::{self, Applied, MetaReader};

/// The inclusion fee every transaction offers (core's base fee is 100 stroops).
pub const INCLUSION_FEE: u32 = 1_000;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str) -> Result<Vec<u8>> {
    Ok(base64::engine::general_purpose::STANDARD.decode(s)?)
}

fn xdr_b64(v: &impl WriteXdr) -> String {
    b64(&v.to_xdr(Limits::none()).expect("encodable"))
}

fn host_err(what: impl std::fmt::Display) -> HostError {
    eprintln!("snapshot read failed: {what}");
    HostError::from((ScErrorType::Storage, ScErrorCode::InternalError))
}

/// Ledger entries as core's query port serves them at its latest ledger,
/// cached for one simulation.
pub struct CoreSnapshot {
    query_url: String,
    cache: RefCell<HashMap<LedgerKey, Option<EntryWithLiveUntil>>>,
}

impl CoreSnapshot {
    pub fn new(query_url: &str) -> CoreSnapshot {
        CoreSnapshot {
            query_url: query_url.to_string(),
            cache: RefCell::new(HashMap::new()),
        }
    }
}

/// One entry as `getledgerentry` reports it.
#[derive(Clone, Debug)]
pub struct Found {
    pub entry: Option<LedgerEntry>,
    pub state: String,
    pub live_until: Option<u32>,
}

/// `POST getledgerentry` for `keys`, answered in their order.
pub fn get_entries(query_url: &str, keys: &[LedgerKey]) -> Result<(u32, Vec<Found>)> {
    let mut out = vec![];
    let mut seq = 0;
    // Core refuses duplicate keys in one request; ask in chunks of distinct keys.
    for chunk in keys.chunks(100) {
        let pairs: Vec<(&str, String)> = chunk.iter().map(|k| ("key", xdr_b64(k))).collect();
        let v = http::post_form(&format!("{query_url}/getledgerentry"), &pairs)?;
        seq = v["ledgerSeq"].as_u64().unwrap_or_default() as u32;
        let entries = v["entries"]
            .as_array()
            .ok_or_else(|| anyhow!("getledgerentry: no entries in {v}"))?;
        ensure!(
            entries.len() == chunk.len(),
            "getledgerentry: {} answers for {} keys",
            entries.len(),
            chunk.len()
        );
        for e in entries {
            let state = e["state"].as_str().unwrap_or_default().to_string();
            let entry = match e["entry"].as_str() {
                Some(s) => Some(LedgerEntry::from_xdr(unb64(s)?, Limits::none())?),
                None => None,
            };
            let live_until = e["liveUntilLedgerSeq"].as_u64().map(|l| l as u32);
            out.push(Found {
                entry,
                state,
                live_until,
            });
        }
    }
    Ok((seq, out))
}

impl SnapshotSource for CoreSnapshot {
    fn get(&self, key: &Rc<LedgerKey>) -> Result<Option<EntryWithLiveUntil>, HostError> {
        if let Some(hit) = self.cache.borrow().get(key.as_ref()) {
            return Ok(hit.clone());
        }
        let (_, found) =
            get_entries(&self.query_url, std::slice::from_ref(key.as_ref())).map_err(host_err)?;
        let f = found
            .into_iter()
            .next()
            .ok_or_else(|| host_err("no answer"))?;
        let value = match (f.state.as_str(), f.entry) {
            ("live", Some(e)) => Some((Rc::new(e), f.live_until)),
            // Archived persistent entries: simulation restores them (live-until 0).
            ("archived", Some(e)) => Some((Rc::new(e), Some(0))),
            _ => None,
        };
        self.cache
            .borrow_mut()
            .insert(key.as_ref().clone(), value.clone());
        Ok(value)
    }
}

/// A transaction source account and the sequence number it used last.
#[derive(Clone, Debug)]
pub struct Source {
    pub key: NodeKey,
    pub seq: i64,
}

/// The outcome of one submitted transaction.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Core's queue refused it (`tx` answered ERROR): the result it gave.
    Refused {
        code: String,
        result: Option<TransactionResult>,
    },
    /// Core could not even decode it (its XDR is not the node's).
    Malformed(String),
    /// It was applied in a ledger (successfully or not).
    Applied(Box<Applied>),
}

/// A simulated call, ready to sign and submit.
pub struct Simulated {
    pub host_fn: HostFunction,
    pub auth: Vec<SorobanAuthorizationEntry>,
    pub data: SorobanTransactionData,
    pub result: soroban_env_host::xdr::ScVal,
    pub instructions: u32,
    /// The network's fee per 10,000 instructions (for padding resources).
    pub fee_per_instructions_increment: i64,
    /// The error an enforcing simulation of the signed auth gave, when it failed.
    pub unverified: Option<HostError>,
}

/// The client. It follows the node's meta stream to know the latest ledger.
pub struct CoreClient {
    pub admin_url: String,
    pub query_url: String,
    pub network_id: [u8; 32],
    meta: MetaReader,
    pub ledger: u32,
    pub protocol: u32,
    pub close_time: u64,
    pub ledger_hashes: BTreeMap<u32, [u8; 32]>,
    applied: HashMap<[u8; 32], Applied>,
    /// Contract events of every successful transaction this client submitted, in
    /// application order (the meta an indexer reads).
    pub events: Vec<ContractEvent>,
    /// Every ledger key a transaction of this client changed.
    pub touched: BTreeSet<LedgerKey>,
    /// Keys whose signatures this client can produce (for address auth).
    signers: HashMap<[u8; 32], NodeKey>,
    pub transactions: u64,
    pub fees_charged: i64,
}

impl CoreClient {
    pub fn connect(
        admin_url: &str,
        query_url: &str,
        meta_path: &Path,
        passphrase: &str,
    ) -> Result<CoreClient> {
        let mut c = CoreClient {
            admin_url: admin_url.trim_end_matches('/').to_string(),
            query_url: query_url.trim_end_matches('/').to_string(),
            network_id: network_id(passphrase),
            meta: MetaReader::new(meta_path),
            ledger: 0,
            protocol: 0,
            close_time: 0,
            ledger_hashes: BTreeMap::new(),
            applied: HashMap::new(),
            events: vec![],
            touched: BTreeSet::new(),
            signers: HashMap::new(),
            transactions: 0,
            fees_charged: 0,
        };
        c.poll()?;
        if c.ledger == 0 {
            let info = crate::process::info(&c.admin_url)?;
            c.ledger = info.ledger;
            c.protocol = info.protocol;
            c.close_time = info.close_time;
        }
        Ok(c)
    }

    /// The network's root account (funded at genesis).
    pub fn root(&self) -> NodeKey {
        NodeKey::root(self.network_id)
    }

    /// Remembers `key` so that auth entries of its account get signed.
    pub fn hold(&mut self, key: &NodeKey) {
        self.signers.insert(key.public(), key.clone());
    }

    /// Reads new ledgers from the meta stream.
    pub fn poll(&mut self) -> Result<()> {
        for m in self.meta.poll()? {
            let closed = meta::closed(&m)?;
            self.ledger = closed.ledger;
            self.protocol = closed.protocol;
            self.close_time = closed.close_time;
            self.ledger_hashes.insert(closed.ledger, closed.hash);
            for tx in closed.txs {
                self.applied.insert(tx.hash, tx);
            }
        }
        Ok(())
    }

    /// Waits until the node has closed ledger `ledger`.
    pub fn wait_ledger(&mut self, ledger: u32, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            self.poll()?;
            if self.ledger >= ledger {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "ledger {ledger} not closed within {timeout:?} (at {})",
                    self.ledger
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Lets `n` ledgers close.
    pub fn advance(&mut self, n: u32) -> Result<()> {
        self.poll()?;
        let target = self.ledger + n;
        self.wait_ledger(target, Duration::from_secs(30 + 5 * n as u64))
    }

    pub fn account(&self, key: &NodeKey) -> Result<Option<AccountEntry>> {
        let k = LedgerKey::Account(LedgerKeyAccount {
            account_id: key.account_id(),
        });
        let (_, found) = get_entries(&self.query_url, &[k])?;
        Ok(match found.into_iter().next().and_then(|f| f.entry) {
            Some(LedgerEntry {
                data: LedgerEntryData::Account(a),
                ..
            }) => Some(a),
            _ => None,
        })
    }

    /// A source for `key`, at its current sequence number.
    pub fn source(&self, key: &NodeKey) -> Result<Source> {
        let a = self
            .account(key)?
            .ok_or_else(|| anyhow!("account {} does not exist", key.public_strkey()))?;
        Ok(Source {
            key: key.clone(),
            seq: a.seq_num.0,
        })
    }

    /// The ledger a simulation runs in: the next one, with the network's
    /// current settings.
    pub fn ledger_info(&self, config: &NetworkConfig) -> LedgerInfo {
        let mut info = LedgerInfo {
            protocol_version: self.protocol,
            sequence_number: self.ledger + 1,
            timestamp: self.close_time,
            network_id: self.network_id,
            base_reserve: 5_000_000,
            ..Default::default()
        };
        config.fill_config_fields_in_ledger_info(&mut info);
        info
    }

    /// Simulates `host_fn` from `source` on the node's current state, recording its
    /// auth. The error is the simulated invocation's, as stellar-rpc reports it.
    pub fn simulate(
        &mut self,
        source: &NodeKey,
        host_fn: HostFunction,
    ) -> Result<Result<Simulated, HostError>> {
        self.simulate_with(
            source,
            host_fn,
            RecordingInvocationAuthMode::recording(true, false),
        )
    }

    fn simulate_with(
        &mut self,
        source: &NodeKey,
        host_fn: HostFunction,
        mode: RecordingInvocationAuthMode,
    ) -> Result<Result<Simulated, HostError>> {
        self.poll()?;
        let snapshot = Rc::new(CoreSnapshot::new(&self.query_url));
        let config = NetworkConfig::load_from_snapshot(snapshot.as_ref())
            .context("the network's Soroban settings")?;
        let info = self.ledger_info(&config);
        let seed: [u8; 32] = Sha256::digest(
            [
                &host_fn.to_xdr(Limits::none())?[..],
                &self.ledger.to_be_bytes(),
                &self.transactions.to_be_bytes(),
            ]
            .concat(),
        )
        .into();
        let sim = simulate_invoke_host_function_op(
            snapshot,
            &config,
            &SimulationAdjustmentConfig::default_adjustment(),
            &info,
            host_fn.clone(),
            mode,
            &source.account_id(),
            seed,
            true,
        )?;
        let result = match sim.invoke_result {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let data = sim
            .transaction_data
            .ok_or_else(|| anyhow!("a successful simulation without transaction data"))?;
        Ok(Ok(Simulated {
            host_fn,
            auth: sim.auth,
            data,
            result,
            instructions: sim.simulated_instructions,
            fee_per_instructions_increment: config.fee_configuration.fee_per_instruction_increment,
            unverified: None,
        }))
    }

    /// What a wallet does with stellar-rpc: simulate (recording auth), sign the
    /// recorded address entries (`custom` signs the ones this client holds no key
    /// for), then simulate again with the signed entries, enforcing them, for the
    /// resources the signature checks use. If the signed entries fail (a signature
    /// short of the threshold, say), the transaction is still built, with the
    /// recording simulation's resources and room for the checks, so that the node
    /// itself refuses it; `unverified` then holds the error simulation saw.
    pub fn prepare(
        &mut self,
        source: &NodeKey,
        host_fn: HostFunction,
        custom: Option<&dyn Fn(&SorobanAuthorizationEntry) -> SorobanAuthorizationEntry>,
        signature_ledgers: u32,
    ) -> Result<Result<Simulated, HostError>> {
        let mut sim = match self.simulate(source, host_fn.clone())? {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let signed = self.sign_auth(&sim.auth, custom, self.ledger + signature_ledgers);
        if signed == sim.auth {
            return Ok(Ok(sim));
        }
        match self.simulate_with(
            source,
            host_fn,
            RecordingInvocationAuthMode::Enforcing(signed.clone()),
        )? {
            Ok(mut enforced) => {
                enforced.auth = signed;
                Ok(Ok(enforced))
            }
            Err(e) => {
                const ROOM: u32 = 10_000_000;
                sim.data.resources.instructions += ROOM;
                sim.data.resource_fee +=
                    (ROOM as i64 * sim.fee_per_instructions_increment + 9_999) / 10_000;
                sim.auth = signed;
                sim.unverified = Some(e);
                Ok(Ok(sim))
            }
        }
    }

    /// Signs every address-credentials entry whose account this client holds a
    /// key for (`custom` signs the rest, e.g. a multisig account's signers).
    pub fn sign_auth(
        &self,
        auth: &[SorobanAuthorizationEntry],
        custom: Option<&dyn Fn(&SorobanAuthorizationEntry) -> SorobanAuthorizationEntry>,
        expiration_ledger: u32,
    ) -> Vec<SorobanAuthorizationEntry> {
        auth.iter()
            .map(|e| match &e.credentials {
                SorobanCredentials::Address(c) => {
                    if let Some(f) = custom {
                        return f(e);
                    }
                    let account = match &c.address {
                        soroban_env_host::xdr::ScAddress::Account(
                            soroban_env_host::xdr::AccountId(
                                soroban_env_host::xdr::PublicKey::PublicKeyTypeEd25519(Uint256(pk)),
                            ),
                        ) => self.signers.get(pk),
                        _ => None,
                    };
                    match account {
                        Some(k) => {
                            let tk = extref_testkit::sign::Key::from_secret(k.seed_bytes());
                            extref_testkit::sign::sign_entry(
                                e,
                                self.network_id,
                                expiration_ledger,
                                &[&tk],
                            )
                        }
                        None => e.clone(),
                    }
                }
                _ => e.clone(),
            })
            .collect()
    }

    /// A signed envelope of `ops` from `source` (its sequence number advanced).
    pub fn envelope(
        &self,
        source: &mut Source,
        ops: Vec<OperationBody>,
        fee: u32,
        soroban: Option<SorobanTransactionData>,
    ) -> Result<(TransactionEnvelope, [u8; 32])> {
        source.seq += 1;
        let tx = Transaction {
            source_account: source.key.muxed(),
            fee,
            seq_num: SequenceNumber(source.seq),
            cond: Preconditions::None,
            memo: Memo::None,
            operations: ops
                .into_iter()
                .map(|body| Operation {
                    source_account: None,
                    body,
                })
                .collect::<Vec<_>>()
                .try_into()?,
            ext: match soroban {
                Some(d) => TransactionExt::V1(d),
                None => TransactionExt::V0,
            },
        };
        let payload = TransactionSignaturePayload {
            network_id: Hash(self.network_id),
            tagged_transaction: TransactionSignaturePayloadTaggedTransaction::Tx(tx.clone()),
        };
        let hash: [u8; 32] = Sha256::digest(payload.to_xdr(Limits::none())?).into();
        let env = TransactionEnvelope::Tx(TransactionV1Envelope {
            tx,
            signatures: vec![source.key.decorated(&hash)].try_into()?,
        });
        Ok((env, hash))
    }

    /// Submits `env` (`tx?blob=`); `Ok(None)` when core accepted it into its queue.
    pub fn send(&mut self, env: &TransactionEnvelope) -> Result<Option<Outcome>> {
        self.send_raw(&env.to_xdr(Limits::none())?)
    }

    /// Submits raw envelope bytes (also bytes this client's XDR could not produce).
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<Option<Outcome>> {
        let url = format!("{}/tx?blob={}", self.admin_url, http::encode(&b64(bytes)));
        let body = match http::get(&url) {
            Ok(b) => b,
            Err(e) => return Ok(Some(Outcome::Malformed(format!("{e:#}")))),
        };
        let v: serde_json::Value = match serde_json::from_str(&body) {
            Ok(v) => v,
            Err(_) => return Ok(Some(Outcome::Malformed(body))),
        };
        self.transactions += 1;
        match v["status"].as_str() {
            Some("PENDING") | Some("DUPLICATE") => Ok(None),
            Some(status) => {
                let result = match v["error"].as_str() {
                    Some(e) => Some(TransactionResult::from_xdr(unb64(e)?, Limits::none())?),
                    None => None,
                };
                let code = match &result {
                    Some(r) => format!("{status} {:?}", r.result.discriminant()),
                    None => status.to_string(),
                };
                Ok(Some(Outcome::Refused { code, result }))
            }
            None => Ok(Some(Outcome::Malformed(body))),
        }
    }

    /// Waits for the ledgers that apply `hashes`, then returns their outcomes.
    pub fn wait_applied(&mut self, hashes: &[[u8; 32]], timeout: Duration) -> Result<Vec<Applied>> {
        let deadline = Instant::now() + timeout;
        loop {
            self.poll()?;
            if hashes.iter().all(|h| self.applied.contains_key(h)) {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "{} transaction(s) not applied within {timeout:?}",
                    hashes
                        .iter()
                        .filter(|h| !self.applied.contains_key(*h))
                        .count()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut out = vec![];
        for h in hashes {
            let a = self.applied.get(h).cloned().expect("present");
            self.fees_charged += a.fee_charged;
            if a.success {
                self.events.extend(a.events.iter().cloned());
            }
            for c in &a.changes {
                if let Some(k) = changed_key(c) {
                    self.touched.insert(k);
                }
            }
            out.push(a);
        }
        Ok(out)
    }

    /// Submits `env` and waits for its outcome.
    pub fn submit(&mut self, env: &TransactionEnvelope, hash: [u8; 32]) -> Result<Outcome> {
        if let Some(o) = self.send(env)? {
            return Ok(o);
        }
        let mut a = self.wait_applied(&[hash], Duration::from_secs(60))?;
        Ok(Outcome::Applied(Box::new(a.remove(0))))
    }

    /// Classic operations from `source`, applied successfully or an error.
    pub fn classic(&mut self, source: &mut Source, ops: Vec<OperationBody>) -> Result<Applied> {
        let fee = INCLUSION_FEE * ops.len() as u32;
        let (env, hash) = self.envelope(source, ops, fee, None)?;
        match self.submit(&env, hash)? {
            Outcome::Applied(a) if a.success => Ok(*a),
            other => bail!("classic transaction failed: {other:?}"),
        }
    }

    /// Creates and funds `key`'s account from `funder`.
    pub fn create_account(&mut self, funder: &mut Source, key: &NodeKey, xlm: i64) -> Result<()> {
        self.classic(
            funder,
            vec![OperationBody::CreateAccount(CreateAccountOp {
                destination: key.account_id(),
                starting_balance: xlm * 10_000_000,
            })],
        )?;
        self.hold(key);
        Ok(())
    }

    /// Creates and funds every account of `keys` that does not exist yet, up to 100
    /// per transaction.
    pub fn create_accounts(
        &mut self,
        funder: &mut Source,
        keys: &[NodeKey],
        xlm: i64,
    ) -> Result<()> {
        let mut missing = vec![];
        for k in keys {
            if self.account(k)?.is_none() {
                missing.push(k.clone());
            }
            self.hold(k);
        }
        for chunk in missing.chunks(100) {
            let ops = chunk
                .iter()
                .map(|k| {
                    OperationBody::CreateAccount(CreateAccountOp {
                        destination: k.account_id(),
                        starting_balance: xlm * 10_000_000,
                    })
                })
                .collect();
            self.classic(funder, ops)?;
        }
        Ok(())
    }

    /// Makes `source`'s account an `m`-of-n multisig of `signers` (master key
    /// weight 0, every threshold `m`).
    pub fn make_multisig(&mut self, source: &mut Source, signers: &[NodeKey], m: u8) -> Result<()> {
        let mut ops: Vec<OperationBody> = signers
            .iter()
            .map(|k| {
                OperationBody::SetOptions(SetOptionsOp {
                    inflation_dest: None,
                    clear_flags: None,
                    set_flags: None,
                    master_weight: None,
                    low_threshold: None,
                    med_threshold: None,
                    high_threshold: None,
                    home_domain: None,
                    signer: Some(Signer {
                        key: SignerKey::Ed25519(Uint256(k.public())),
                        weight: 1,
                    }),
                })
            })
            .collect();
        ops.push(OperationBody::SetOptions(SetOptionsOp {
            inflation_dest: None,
            clear_flags: None,
            set_flags: None,
            master_weight: Some(0),
            low_threshold: Some(m as u32),
            med_threshold: Some(m as u32),
            high_threshold: Some(m as u32),
            home_domain: None,
            signer: None,
        }));
        self.classic(source, ops)?;
        self.signers.remove(&source.key.public());
        Ok(())
    }

    /// The envelope of a prepared call from `source` (its auth as prepared).
    pub fn soroban_envelope(
        &self,
        source: &mut Source,
        sim: &Simulated,
    ) -> Result<(TransactionEnvelope, [u8; 32])> {
        let mut data = sim.data.clone();
        // A small margin over the estimate: core charges what the transaction uses.
        data.resource_fee += 2_000;
        let fee = INCLUSION_FEE as i64 + data.resource_fee;
        let op = OperationBody::InvokeHostFunction(InvokeHostFunctionOp {
            host_function: sim.host_fn.clone(),
            auth: sim.auth.clone().try_into()?,
        });
        self.envelope(source, vec![op], u32::try_from(fee)?, Some(data))
    }
}

/// The key of an entry change (created, updated, removed, restored or state).
pub fn changed_key(c: &LedgerEntryChange) -> Option<LedgerKey> {
    match c {
        LedgerEntryChange::Created(e)
        | LedgerEntryChange::Updated(e)
        | LedgerEntryChange::State(e)
        | LedgerEntryChange::Restored(e) => entry_key(e),
        LedgerEntryChange::Removed(k) => Some(k.clone()),
    }
}

/// The key of an entry (the kinds a Soroban client touches).
pub fn entry_key(e: &LedgerEntry) -> Option<LedgerKey> {
    use soroban_env_host::xdr::{LedgerKeyContractCode, LedgerKeyContractData, LedgerKeyTtl};
    Some(match &e.data {
        LedgerEntryData::Account(a) => LedgerKey::Account(LedgerKeyAccount {
            account_id: a.account_id.clone(),
        }),
        LedgerEntryData::ContractData(d) => LedgerKey::ContractData(LedgerKeyContractData {
            contract: d.contract.clone(),
            key: d.key.clone(),
            durability: d.durability,
        }),
        LedgerEntryData::ContractCode(c) => LedgerKey::ContractCode(LedgerKeyContractCode {
            hash: c.hash.clone(),
        }),
        LedgerEntryData::Ttl(t) => LedgerKey::Ttl(LedgerKeyTtl {
            key_hash: t.key_hash.clone(),
        }),
        _ => return None,
    })
}
