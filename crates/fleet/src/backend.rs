//! Where the demo runs: the in-process ledger of the test kit, or a real
//! stellar-core node built with the fork. Both take the same calls; both
//! simulate first (the in-process ledger with recording mode, the node client
//! with crates.io `soroban-simulation`), and a call that fails in simulation is
//! refused there, as stellar-rpc refuses it, without being submitted.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use extref_node::{
    client::{CoreClient, Outcome, Simulated, Source},
    keys::NodeKey,
    meta::{core_metric, Applied},
};
use extref_testkit::{
    e2e::{create_v2, invoke_fn, Ledger, Receipt as LedgerReceipt},
    sign::{Account, Key},
};
use soroban_env_host::{
    xdr::{
        ContractCostType, ContractEvent, ContractExecutable, DiagnosticEvent, Hash, HostFunction,
        LedgerEntry, LedgerKey, ScAddress, ScErrorType, ScVal, SorobanAuthorizationEntry,
    },
    HostError,
};

/// What one applied call did and cost.
#[derive(Clone, Debug)]
pub struct Receipt {
    pub result: ScVal,
    pub cpu_insns: u64,
    pub mem_bytes: u64,
    pub read_only: usize,
    pub read_write: usize,
    /// CPU and memory by cost type (in-process only: core reports totals).
    pub by_cost_type: Vec<(ContractCostType, u64, u64)>,
    /// The fee the node charged, in stroops (core only).
    pub fee_charged: Option<i64>,
    /// The resource fee simulation asked for, in stroops.
    pub resource_fee: Option<i64>,
}

impl From<LedgerReceipt> for Receipt {
    fn from(r: LedgerReceipt) -> Self {
        Receipt {
            result: r.result,
            cpu_insns: r.cpu_insns,
            mem_bytes: r.mem_bytes,
            read_only: r.read_only,
            read_write: r.read_write,
            by_cost_type: r.by_cost_type,
            fee_charged: None,
            resource_fee: r.resource_fee,
        }
    }
}

/// Why a call did not apply.
#[derive(Debug)]
pub enum Refusal {
    /// The invocation failed in simulation (in process: also when applying).
    Host(HostError),
    /// The node refused the transaction or applied it and it failed: the
    /// result code, the error the host reported, and the fee charged.
    Node {
        code: String,
        error: Option<soroban_env_host::Error>,
        fee_charged: i64,
    },
}

impl Refusal {
    /// The host error behind the refusal, when one is known.
    pub fn error(&self) -> Option<soroban_env_host::Error> {
        match self {
            Refusal::Host(e) => Some(e.error),
            Refusal::Node { error, .. } => *error,
        }
    }

    /// The contract error code, for refusals a contract raised.
    pub fn contract_code(&self) -> Option<u32> {
        self.error()
            .filter(|e| e.is_type(ScErrorType::Contract))
            .map(|e| e.get_code())
    }

    pub fn describe(&self) -> String {
        match self {
            Refusal::Host(e) => format!("{:?}", e.error),
            Refusal::Node {
                code,
                error,
                fee_charged,
            } => format!(
                "{code}{} (fee charged {fee_charged} stroops)",
                error.map(|e| format!(" {e:?}")).unwrap_or_default()
            ),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl std::error::Error for Refusal {}

/// A call: `contract.function(args)`.
#[derive(Clone, Debug)]
pub struct Call {
    pub contract: ScAddress,
    pub function: String,
    pub args: Vec<ScVal>,
}

impl Call {
    pub fn new(contract: &ScAddress, function: &str, args: Vec<ScVal>) -> Call {
        Call {
            contract: contract.clone(),
            function: function.into(),
            args,
        }
    }
}

pub type Signer<'a> = &'a dyn Fn(&SorobanAuthorizationEntry) -> SorobanAuthorizationEntry;

/// A ledger the demo drives.
pub trait Backend {
    /// Where it runs, for the report.
    fn describe(&self) -> String;
    fn protocol(&self) -> u32;
    fn network_id(&self) -> [u8; 32];
    /// The sequence number of the ledger the next transaction lands in.
    fn sequence(&self) -> u32;
    /// The account that sends, deploys and administers (its key is held).
    fn source_address(&self) -> ScAddress;
    /// Makes `account` exist as described (a multisig account with its signers).
    fn open_account(&mut self, account: &Account, id: &Key, signers: &[Key]) -> Result<()>;
    fn upload(&mut self, wasm: &[u8]) -> Result<Hash>;
    fn create(
        &mut self,
        executable: ContractExecutable,
        salt: [u8; 32],
        args: Vec<ScVal>,
    ) -> Result<(ScAddress, Receipt), Refusal>;
    fn call(&mut self, call: Call) -> Result<Receipt, Refusal>;
    /// A call whose address auth entries `sign` signs (as a wallet signs what
    /// simulation recorded).
    fn call_signed(&mut self, call: Call, sign: Signer) -> Result<Receipt, Refusal>;
    /// Independent calls; the node sends them from several accounts at once.
    fn call_many(&mut self, calls: Vec<Call>) -> Result<Vec<Result<Receipt, Refusal>>> {
        Ok(calls.into_iter().map(|c| self.call(c)).collect())
    }
    /// Lets `ledgers` ledgers close.
    fn advance(&mut self, ledgers: u32) -> Result<()>;
    fn transactions(&self) -> u64;
    /// Every ledger entry the run's transactions created or changed, as the
    /// ledger holds it now (the audit's input).
    fn entries(&mut self) -> Result<BTreeMap<LedgerKey, LedgerEntry>>;
    /// Contract events of every successful transaction, in order.
    fn events(&self) -> Vec<ContractEvent>;
    /// Fees charged in all, in stroops (core only).
    fn fees_charged(&self) -> Option<i64> {
        None
    }
}

// ---------------------------------------------------------------------------
// In process
// ---------------------------------------------------------------------------

/// The test kit's in-process ledger ([`Ledger`]).
pub struct InProcess {
    pub ledger: Ledger,
}

impl InProcess {
    pub fn new(ledger: Ledger) -> InProcess {
        InProcess { ledger }
    }
}

impl Backend for InProcess {
    fn describe(&self) -> String {
        "the test kit's in-process ledger".into()
    }
    fn protocol(&self) -> u32 {
        self.ledger.info.protocol_version
    }
    fn network_id(&self) -> [u8; 32] {
        self.ledger.info.network_id
    }
    fn sequence(&self) -> u32 {
        self.ledger.info.sequence_number
    }
    fn source_address(&self) -> ScAddress {
        self.ledger.source_address()
    }
    fn open_account(&mut self, account: &Account, _id: &Key, _signers: &[Key]) -> Result<()> {
        self.ledger.put(account.entry(), None);
        Ok(())
    }
    fn upload(&mut self, wasm: &[u8]) -> Result<Hash> {
        Ok(self.ledger.upload(wasm)?)
    }
    fn create(
        &mut self,
        executable: ContractExecutable,
        salt: [u8; 32],
        args: Vec<ScVal>,
    ) -> Result<(ScAddress, Receipt), Refusal> {
        let (a, r) = self
            .ledger
            .create(executable, salt, args)
            .map_err(Refusal::Host)?;
        Ok((a, r.into()))
    }
    fn call(&mut self, call: Call) -> Result<Receipt, Refusal> {
        self.ledger
            .invoke(&call.contract, &call.function, call.args)
            .map(Into::into)
            .map_err(Refusal::Host)
    }
    fn call_signed(&mut self, call: Call, sign: Signer) -> Result<Receipt, Refusal> {
        let tx = self
            .ledger
            .prepare_signed(invoke_fn(&call.contract, &call.function, call.args), sign)
            .map_err(Refusal::Host)?;
        self.ledger
            .submit_prepared(&tx)
            .map(Into::into)
            .map_err(Refusal::Host)
    }
    fn advance(&mut self, ledgers: u32) -> Result<()> {
        self.ledger.advance(ledgers);
        Ok(())
    }
    fn transactions(&self) -> u64 {
        self.ledger.transactions()
    }
    fn entries(&mut self) -> Result<BTreeMap<LedgerKey, LedgerEntry>> {
        Ok(self
            .ledger
            .state()
            .into_iter()
            .map(|(k, (e, _))| (k, e))
            .collect())
    }
    fn events(&self) -> Vec<ContractEvent> {
        self.ledger.events().to_vec()
    }
}

// ---------------------------------------------------------------------------
// A stellar-core node
// ---------------------------------------------------------------------------

/// Ledgers a governance or admin signature stays valid for.
const SIGNATURE_LEDGERS: u32 = 50;
/// How long a submitted transaction may take to apply.
const APPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// A real stellar-core node, through [`CoreClient`].
pub struct Core {
    pub client: CoreClient,
    /// The deployer, admin of the tokens and sender of ordered transactions.
    pub(crate) main: Source,
    /// Accounts that send independent calls in parallel (one transaction per
    /// account per ledger, as core's queue allows).
    pub(crate) pool: Vec<Source>,
}

/// One transaction of a batch: its outcome, and what the ledger said of it.
pub(crate) struct Sent {
    pub outcome: Result<Receipt, Refusal>,
    pub applied: Option<Applied>,
}

/// The deployer's key on a node (also the in-process run's source, so both
/// build the same contract addresses).
pub fn deployer_key() -> Key {
    Key::from_seed(0x70)
}

impl Core {
    /// Creates and funds the deployer and `pool` sender accounts from the
    /// network's root account.
    pub fn new(mut client: CoreClient, pool: usize) -> Result<Core> {
        let root_key = client.root();
        let mut root = client
            .source(&root_key)
            .context("the network's root account")?;
        let deployer = NodeKey::from_seed_bytes([0x70; 32]);
        let senders: Vec<NodeKey> = (0..pool)
            .map(|i| {
                let mut seed = [0x71u8; 32];
                seed[..4].copy_from_slice(&(i as u32).to_be_bytes());
                NodeKey::from_seed_bytes(seed)
            })
            .collect();
        let all: Vec<NodeKey> = std::iter::once(deployer.clone())
            .chain(senders.iter().cloned())
            .collect();
        client.create_accounts(&mut root, &all, 10_000)?;
        let main = client.source(&deployer)?;
        let pool = senders
            .iter()
            .map(|k| client.source(k))
            .collect::<Result<Vec<_>>>()?;
        Ok(Core { client, main, pool })
    }

    fn receipt(sim: &Simulated, a: &Applied) -> Receipt {
        let fp = &sim.data.resources.footprint;
        Receipt {
            result: a.return_value.clone().unwrap_or(ScVal::Void),
            cpu_insns: core_metric(&a.diagnostic_events, "cpu_insn").unwrap_or_default(),
            mem_bytes: core_metric(&a.diagnostic_events, "mem_byte").unwrap_or_default(),
            read_only: fp.read_only.len(),
            read_write: fp.read_write.len(),
            by_cost_type: vec![],
            fee_charged: Some(a.fee_charged),
            resource_fee: Some(sim.data.resource_fee),
        }
    }

    fn failed(a: &Applied) -> Refusal {
        Refusal::Node {
            code: a.code.clone(),
            error: host_error(&a.diagnostic_events),
            fee_charged: a.fee_charged,
        }
    }

    /// Simulates `host_fn` from `source`, signs, submits and waits.
    fn run_one(
        client: &mut CoreClient,
        source: &mut Source,
        host_fn: HostFunction,
        sign: Option<Signer>,
    ) -> Result<Result<Receipt, Refusal>> {
        let sim = match client.prepare(&source.key, host_fn, sign, SIGNATURE_LEDGERS)? {
            Ok(s) => s,
            Err(e) => return Ok(Err(Refusal::Host(e))),
        };
        let (env, hash) = client.soroban_envelope(source, &sim)?;
        Ok(match client.submit(&env, hash)? {
            Outcome::Applied(a) if a.success => Ok(Self::receipt(&sim, &a)),
            Outcome::Applied(a) => Err(Self::failed(&a)),
            Outcome::Refused { code, .. } => {
                source.seq -= 1;
                Err(Refusal::Node {
                    code,
                    error: None,
                    fee_charged: 0,
                })
            }
            Outcome::Malformed(m) => bail!("the node could not decode a transaction: {m}"),
        })
    }
}

impl Core {
    /// Host functions sent from pool accounts (`(pool index, host function)`, one per
    /// account): every one simulated on the same state first, then all submitted
    /// back to back so that they land in the same ledger, then their outcomes.
    pub(crate) fn batch(&mut self, items: Vec<(usize, HostFunction)>) -> Result<Vec<Sent>> {
        let mut ready = vec![];
        let mut out: Vec<Option<Sent>> = vec![];
        for (i, host_fn) in items {
            let key = self.pool[i].key.clone();
            match self
                .client
                .prepare(&key, host_fn, None, SIGNATURE_LEDGERS)?
            {
                Err(e) => out.push(Some(Sent {
                    outcome: Err(Refusal::Host(e)),
                    applied: None,
                })),
                Ok(sim) => {
                    let (env, hash) = self.client.soroban_envelope(&mut self.pool[i], &sim)?;
                    ready.push((out.len(), i, env, hash, sim));
                    out.push(None);
                }
            }
        }
        let mut pending = vec![];
        for (slot, i, env, hash, sim) in ready {
            match self.client.send(&env)? {
                None => pending.push((slot, hash, sim)),
                Some(Outcome::Refused { code, .. }) => {
                    self.pool[i].seq -= 1;
                    out[slot] = Some(Sent {
                        outcome: Err(Refusal::Node {
                            code,
                            error: None,
                            fee_charged: 0,
                        }),
                        applied: None,
                    });
                }
                Some(other) => bail!("the node could not take a transaction: {other:?}"),
            }
        }
        let hashes: Vec<[u8; 32]> = pending.iter().map(|p| p.1).collect();
        let applied = self.client.wait_applied(&hashes, APPLY_TIMEOUT)?;
        for ((slot, _, sim), a) in pending.into_iter().zip(applied) {
            let outcome = if a.success {
                Ok(Self::receipt(&sim, &a))
            } else {
                Err(Self::failed(&a))
            };
            out[slot] = Some(Sent {
                outcome,
                applied: Some(a),
            });
        }
        Ok(out
            .into_iter()
            .map(|s| s.expect("every item answered"))
            .collect())
    }
}

/// The error a failed invocation ended with: the host's `host_fn_failed`
/// diagnostic event carries it as its second topic (the `error` events before
/// it trace the frames it went through, innermost first).
pub fn host_error(events: &[DiagnosticEvent]) -> Option<soroban_env_host::Error> {
    use soroban_env_host::xdr::ContractEventBody;
    let topic = |name: &[u8]| {
        events.iter().rev().find_map(|e| {
            let ContractEventBody::V0(body) = &e.event.body;
            match (body.topics.first(), body.topics.get(1)) {
                (Some(ScVal::Symbol(s)), Some(ScVal::Error(err))) if s.0.as_slice() == name => {
                    Some(soroban_env_host::Error::from_scerror(err.clone()))
                }
                _ => None,
            }
        })
    };
    topic(b"host_fn_failed").or_else(|| topic(b"error"))
}

impl Backend for Core {
    fn describe(&self) -> String {
        format!("the stellar-core node at {}", self.client.admin_url)
    }
    fn protocol(&self) -> u32 {
        self.client.protocol
    }
    fn network_id(&self) -> [u8; 32] {
        self.client.network_id
    }
    fn sequence(&self) -> u32 {
        self.client.ledger + 1
    }
    fn source_address(&self) -> ScAddress {
        ScAddress::Account(self.main.key.account_id())
    }
    fn open_account(&mut self, account: &Account, id: &Key, signers: &[Key]) -> Result<()> {
        let root_key = self.client.root();
        let mut root = self.client.source(&root_key)?;
        let id = NodeKey::from_seed_bytes(id.secret());
        self.client.create_account(&mut root, &id, 10_000)?;
        let mut src = self.client.source(&id)?;
        let signers: Vec<NodeKey> = signers
            .iter()
            .map(|k| NodeKey::from_seed_bytes(k.secret()))
            .collect();
        let m = account.thresholds[1];
        self.client.make_multisig(&mut src, &signers, m)?;
        Ok(())
    }
    fn upload(&mut self, wasm: &[u8]) -> Result<Hash> {
        let r = Self::run_one(
            &mut self.client,
            &mut self.main,
            HostFunction::UploadContractWasm(wasm.to_vec().try_into()?),
            None,
        )?
        .map_err(|e| anyhow!("uploading Wasm: {e}"))?;
        match r.result {
            ScVal::Bytes(b) => Ok(Hash(b.as_slice().try_into()?)),
            other => bail!("upload returned {other:?}"),
        }
    }
    fn create(
        &mut self,
        executable: ContractExecutable,
        salt: [u8; 32],
        args: Vec<ScVal>,
    ) -> Result<(ScAddress, Receipt), Refusal> {
        let (address, host_fn) = create_v2(
            self.client.network_id,
            &self.source_address(),
            salt,
            executable,
            args,
        );
        let r = Self::run_one(&mut self.client, &mut self.main, host_fn, None)
            .map_err(|e| node_error(&e))??;
        Ok((address, r))
    }
    fn call(&mut self, call: Call) -> Result<Receipt, Refusal> {
        Self::run_one(
            &mut self.client,
            &mut self.main,
            invoke_fn(&call.contract, &call.function, call.args),
            None,
        )
        .map_err(|e| node_error(&e))?
    }
    fn call_signed(&mut self, call: Call, sign: Signer) -> Result<Receipt, Refusal> {
        Self::run_one(
            &mut self.client,
            &mut self.main,
            invoke_fn(&call.contract, &call.function, call.args),
            Some(sign),
        )
        .map_err(|e| node_error(&e))?
    }
    fn call_many(&mut self, calls: Vec<Call>) -> Result<Vec<Result<Receipt, Refusal>>> {
        let mut out = Vec::with_capacity(calls.len());
        for chunk in calls.chunks(self.pool.len().max(1)) {
            let items = chunk
                .iter()
                .enumerate()
                .map(|(i, c)| (i, invoke_fn(&c.contract, &c.function, c.args.clone())))
                .collect();
            out.extend(self.batch(items)?.into_iter().map(|s| s.outcome));
        }
        Ok(out)
    }
    fn advance(&mut self, ledgers: u32) -> Result<()> {
        self.client.advance(ledgers)
    }
    fn transactions(&self) -> u64 {
        self.client.transactions
    }
    fn entries(&mut self) -> Result<BTreeMap<LedgerKey, LedgerEntry>> {
        let keys: Vec<LedgerKey> = self
            .client
            .touched
            .iter()
            .filter(|k| !matches!(k, LedgerKey::Ttl(_)))
            .cloned()
            .collect();
        let (_, found) = extref_node::client::get_entries(&self.client.query_url, &keys)?;
        Ok(keys
            .into_iter()
            .zip(found)
            .filter_map(|(k, f)| f.entry.map(|e| (k, e)))
            .collect())
    }
    fn events(&self) -> Vec<ContractEvent> {
        self.client.events.clone()
    }
    fn fees_charged(&self) -> Option<i64> {
        Some(self.client.fees_charged)
    }
}

/// A client-side failure while talking to the node, as a refusal that names it.
fn node_error(e: &anyhow::Error) -> Refusal {
    Refusal::Node {
        code: format!("client error: {e:#}"),
        error: None,
        fee_charged: 0,
    }
}
