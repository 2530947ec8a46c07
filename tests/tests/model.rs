//! A model-based property test of the whole ExternalRef feature (issue 10,
//! item 2; `docs/proptest-model.md`).
//!
//! proptest generates a sequence of operations (set / get / extend a ref,
//! upload code, deploy followers directly or through a follower that runs the
//! factory's code, switch a follower to a ref or pin it, call it, advance the
//! ledger until entries archive). Each operation runs end to end on a
//! [`Ledger`]: simulated (recording footprint and auth, auto-restore of
//! archived entries), then applied with `invoke_host_function` under an
//! enforcing footprint with the module cache, then committed. The same
//! operation runs on [`Model`], a plain-Rust description of the spec's rules
//! (`docs/spec.md`) that knows nothing of the host. After every step:
//!
//! - outcome: success with the model's return value, or failure (with the
//!   model's error where the spec names one), found by simulation: a
//!   transaction that simulates must apply;
//! - events: exactly the model's (`wasm_ref_updated`, `executable_update`);
//! - the footprint of every successful transaction: of the existing
//!   entries, exactly those the model read (read-only), wrote or restored
//!   (read-write), and the restored ones flagged as such;
//! - the whole ledger: same keys, same values (code, instances with their
//!   executables and storage, refs with their hashes, contract data), same
//!   live-until ledgers; a failed step changed nothing at all;
//! - every deployed follower is probed (simulated and applied, not committed)
//!   with `version()`: the code it runs, and its footprint, exactly {instance,
//!   ref, resolved code}, archived entries read-write and flagged restored.
//!
//! A generated [`Op::Corrupt`] makes the next transaction that simulates be
//! applied first in a corrupted form ([`Fault`]: a footprint key dropped or
//! made read-only, auth stripped or signed by a stranger, an instruction
//! limit too small, the wrong constructor): it fails inside the host, its
//! reported changes and events are committed ([`Ledger::submit_as_reported`]),
//! and the whole ledger and the event log must be as before. Then the
//! transaction runs as prepared.
//!
//! `PROPTEST_CASES` sets the number of cases (default [`CI_CASES`]),
//! `MODEL_MAX_OPS` the maximum length of a case (default [`MAX_OPS`]).

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    sync::OnceLock,
};

use extref_testkit::{
    e2e::{self, created_address, instance_key, invoke_fn, sc_symbol, wasm_hash, Ledger, Prepared},
    fixtures,
    sign::{sign_entry, Account, Key},
    thousands, FORK_PROTOCOL,
};
use proptest::{prelude::*, strategy::ValueTree};
use soroban_env_host::{
    xdr::{
        ContractDataDurability, ContractEvent, ContractEventBody, ContractEventType,
        ContractEventV0, ContractExecutable, ContractExecutableExternalRef, ContractIdPreimage,
        ContractIdPreimageFromAddress, ExtensionPoint, Hash, HostFunction, Int128Parts,
        LedgerEntryData, LedgerKey, LedgerKeyAccount, LedgerKeyContractCode, LedgerKeyContractData,
        ScAddress, ScErrorCode, ScErrorType, ScMap, ScMapEntry, ScNonceKey, ScSymbol, ScVal, ScVec,
        SorobanAddressCredentials, SorobanCredentials, Uint256,
    },
    Error, HostError,
};

/// Cases per run in CI (debug build): the whole file takes about 25 s.
const CI_CASES: u32 = 24;
/// Operations per case, at most (`MODEL_MAX_OPS` overrides it, for long runs
/// of long cases).
const MAX_OPS: usize = 48;
/// Run (and checked) before every case's operations: cases start from a
/// small fleet.
/// - Refs: m0 "a" -> follower v1, m0 "b" -> token v1, m0 "c" -> follower
///   v2, m1 "a" -> pinnable v1, m1 "b" -> the factory's code, m1 "c" -> the
///   manager's code; "d" is unset; token v2 and pinnable v2 are not uploaded.
/// - Followers: slot 0 (follower v1), slot 1 (a token, constructed with the
///   admin), slot 5 (a pinnable, likewise), slot 7 (follower v2); slot 2
///   runs the factory's code: a follower that deploys followers; slot 6 runs
///   the manager's code (admin, no timelock): a follower that is a manager,
///   which owns no refs yet.
const PRELUDE: [Op; 16] = [
    Op::Upload(Code::FollowerV1),
    Op::Upload(Code::FollowerV2),
    Op::Upload(Code::TokenV1),
    Op::Upload(Code::PinnableV1),
    Op::SetRef(Target::Manager(0), 0, HashArg::Code(Code::FollowerV1)),
    Op::SetRef(Target::Manager(0), 1, HashArg::Code(Code::TokenV1)),
    Op::SetRef(Target::Manager(0), 2, HashArg::Code(Code::FollowerV2)),
    Op::SetRef(Target::Manager(1), 0, HashArg::Code(Code::PinnableV1)),
    Op::SetRef(Target::Manager(1), 1, HashArg::Code(Code::Factory)),
    Op::SetRef(Target::Manager(1), 2, HashArg::Code(Code::Manager)),
    Op::Deploy {
        slot: 0,
        target: Target::Manager(0),
        key: 0,
        constructor: Some(Ctor::None),
    },
    Op::Deploy {
        slot: 1,
        target: Target::Manager(0),
        key: 1,
        constructor: Some(Ctor::Admin),
    },
    Op::Deploy {
        slot: 2,
        target: Target::Manager(1),
        key: 1,
        constructor: Some(Ctor::None),
    },
    Op::Deploy {
        slot: 5,
        target: Target::Manager(1),
        key: 0,
        constructor: Some(Ctor::Admin),
    },
    Op::Deploy {
        slot: 6,
        target: Target::Manager(1),
        key: 2,
        constructor: Some(Ctor::AdminNoDelay),
    },
    Op::Deploy {
        slot: 7,
        target: Target::Manager(0),
        key: 2,
        constructor: Some(Ctor::None),
    },
];
/// Cases of the deterministic coverage check.
const COVERAGE_CASES: usize = 20;

// ---------------------------------------------------------------------------
// Pools: small, so that operations meet each other
// ---------------------------------------------------------------------------

/// Ref keys of every manager.
const KEYS: [&str; 4] = ["a", "b", "c", "d"];
/// Contract-data keys of the follower code (`put`, `get`, `bump`).
const DATA_KEYS: [&str; 2] = ["x", "y"];
/// The managers' timelocks: two without (so `set_ref` works), one with.
const DELAYS: [u32; 3] = [0, 0, 10];
/// The manager's `Timelocked` error.
const TIMELOCKED: u32 = 1;
/// The paused token's `Paused` error.
const TOKEN_PAUSED: u32 = 5;
/// A hash no code has.
const UNKNOWN_HASH: [u8; 32] = [0xee; 32];
/// The token's TTL policy (`contracts/plain/token`): extend to 30 days once
/// below 29, on every balance write and on the instance (and so, for a
/// follower, on its ref and resolved code).
const TOKEN_EXTEND_TO: u32 = 30 * 17_280;
const TOKEN_THRESHOLD: u32 = TOKEN_EXTEND_TO - 17_280;

/// The code a ref or a pinned follower can point at: the fixtures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Code {
    FollowerV1,
    FollowerV2,
    PinnableV1,
    PinnableV2,
    TokenV1,
    TokenV2,
    /// The token's emergency build: `version()` 0, `mint` refused.
    TokenPaused,
    Factory,
    Manager,
}

const CODES: [Code; 9] = [
    Code::FollowerV1,
    Code::FollowerV2,
    Code::PinnableV1,
    Code::PinnableV2,
    Code::TokenV1,
    Code::TokenV2,
    Code::TokenPaused,
    Code::Factory,
    Code::Manager,
];

impl Code {
    fn wasm(self) -> &'static [u8] {
        match self {
            Code::FollowerV1 => fixtures::FOLLOWER_V1,
            Code::FollowerV2 => fixtures::FOLLOWER_V2,
            Code::PinnableV1 => fixtures::PINNABLE_V1,
            Code::PinnableV2 => fixtures::PINNABLE_V2,
            Code::TokenV1 => fixtures::TOKEN_V1,
            Code::TokenV2 => fixtures::TOKEN_V2,
            Code::TokenPaused => fixtures::TOKEN_PAUSED,
            Code::Factory => fixtures::FACTORY,
            Code::Manager => fixtures::MANAGER,
        }
    }

    fn hash(self) -> Hash {
        static HASHES: OnceLock<Vec<Hash>> = OnceLock::new();
        let hashes = HASHES.get_or_init(|| CODES.iter().map(|c| wasm_hash(c.wasm())).collect());
        hashes[self as usize].clone()
    }

    /// The code with this hash (only the fixtures are ever uploaded).
    fn of_hash(hash: &Hash) -> Code {
        CODES
            .into_iter()
            .find(|c| &c.hash() == hash)
            .expect("only fixture code is uploaded")
    }

    /// What `version()` answers, if the code has it.
    fn version(self) -> Option<u32> {
        match self {
            Code::FollowerV1 | Code::PinnableV1 | Code::TokenV1 => Some(1),
            Code::FollowerV2 | Code::PinnableV2 | Code::TokenV2 => Some(2),
            Code::TokenPaused => Some(0),
            Code::Factory | Code::Manager => None,
        }
    }

    /// Arguments of its `__constructor` (0: none).
    fn constructor_arity(self) -> usize {
        match self {
            Code::PinnableV1 | Code::PinnableV2 => 1,
            Code::TokenV1 | Code::TokenV2 | Code::TokenPaused => 1,
            Code::Manager => 2,
            _ => 0,
        }
    }

    fn is_follower(self) -> bool {
        matches!(self, Code::FollowerV1 | Code::FollowerV2)
    }

    fn is_pinnable(self) -> bool {
        matches!(self, Code::PinnableV1 | Code::PinnableV2)
    }

    fn is_token(self) -> bool {
        matches!(self, Code::TokenV1 | Code::TokenV2 | Code::TokenPaused)
    }
}

/// Who deploys a follower slot: the factory, or a follower slot that runs
/// the factory's code (a follower deploying a follower: nested frames).
#[derive(Clone, Copy, Debug)]
enum Deployer {
    Factory,
    Slot(usize),
}

/// The follower addresses, each from its deployer and salt. The prelude
/// deploys slots 0, 1, 2, 5, 6 and 7; slot 2 runs the factory's code and deploys
/// slot 3, which can deploy slot 4 if it runs the factory's code too.
const SLOTS: [(Deployer, u8); 10] = [
    (Deployer::Factory, 0),
    (Deployer::Factory, 1),
    (Deployer::Factory, 2),
    (Deployer::Slot(2), 0),
    (Deployer::Slot(3), 0),
    (Deployer::Factory, 3),
    (Deployer::Factory, 4),
    (Deployer::Factory, 5),
    (Deployer::Factory, 6),
    (Deployer::Factory, 7),
];

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

/// A Wasm hash argument.
#[derive(Clone, Copy, Debug)]
enum HashArg {
    Code(Code),
    /// 32 bytes that are no code's hash.
    Unknown,
    /// 31 bytes: not a hash at all.
    Short,
}

/// An address that owns refs (or should not): the callee of `set_ref`,
/// `current` and `extend`, the manager argument of a deployment or a `follow`.
#[derive(Clone, Copy, Debug)]
enum Target {
    Manager(usize),
    /// A follower slot: it owns refs if it runs the manager's code.
    Slot(usize),
    /// A contract that owns no refs.
    Factory,
    /// An account: not a contract, cannot own refs.
    Account,
}

/// The constructor arguments of a deployment.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ctor {
    /// `deploy`: none (a default constructor call).
    None,
    /// `deploy_with([admin])`: pinnable, token.
    Admin,
    /// `deploy_with([admin, 0])`: a manager without timelock.
    AdminNoDelay,
}

impl Ctor {
    fn arity(self) -> usize {
        match self {
            Ctor::None => 0,
            Ctor::Admin => 1,
            Ctor::AdminNoDelay => 2,
        }
    }

    fn for_arity(arity: usize) -> Ctor {
        match arity {
            0 => Ctor::None,
            1 => Ctor::Admin,
            _ => Ctor::AdminNoDelay,
        }
    }
}

/// A function called on a follower slot.
#[derive(Clone, Copy, Debug)]
enum Call {
    Version,
    Put(usize, u32),
    Get(usize),
    /// follower v2 only.
    Bump(usize),
    /// token: mints to the admin; extends the balance, the instance and so
    /// the ref and the code.
    Mint(i64),
    Balance,
    /// pinnable: `update_current_contract_wasm`.
    Pin(HashArg),
    /// pinnable: `update_current_contract_external_ref`.
    Follow(Target, usize),
}

/// How [`Op::Corrupt`] alters a transaction that simulated, so that it fails
/// inside the host while applying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// The footprint without its `n`-th key (modulo its length) and that
    /// entry: the host meets a key it may not touch. Every key simulation
    /// recorded is accessed, so any of them fails.
    DropKey(u8),
    /// The `n`-th read-write key that is not restored (a key the transaction
    /// writes or creates) declared read-only: the write is refused.
    ReadOnly(u8),
    /// No auth entries: the admin's `require_auth` finds none.
    NoAuth,
    /// The source account's authorizations as address credentials signed by a
    /// key that is not the account's (its entry and the nonce in the
    /// footprint): the signature is refused.
    WrongSigner,
    /// An instruction limit of half what the transaction uses.
    BudgetHalf,
    /// An instruction limit one below what the transaction uses: it runs out
    /// at its very last charge, after every write it makes.
    BudgetEnd,
    /// A deployment run with other constructor arguments in the same
    /// footprint: the host writes the new instance, then the constructor
    /// traps (the factory's call fails after a write).
    WrongConstructor,
}

/// The kinds of [`Fault`], as [`Stats::applied_failures`] counts them.
const FAULTS: [&str; 7] = [
    "footprint without a key",
    "written key read-only",
    "no auth",
    "wrong signer",
    "budget: half",
    "budget: one instruction short",
    "wrong constructor after the instance write",
];

impl Fault {
    fn kind(self) -> &'static str {
        match self {
            Fault::DropKey(_) => FAULTS[0],
            Fault::ReadOnly(_) => FAULTS[1],
            Fault::NoAuth => FAULTS[2],
            Fault::WrongSigner => FAULTS[3],
            Fault::BudgetHalf => FAULTS[4],
            Fault::BudgetEnd => FAULTS[5],
            Fault::WrongConstructor => FAULTS[6],
        }
    }
}

#[derive(Clone, Copy)]
enum Op {
    Upload(Code),
    /// `manager.set_ref(key, hash)` (`set_contract_wasm_ref`).
    SetRef(Target, usize, HashArg),
    /// `manager.current(key)` (`has_contract_wasm_ref`, `get_contract_wasm_ref`).
    GetRef(Target, usize),
    /// `manager.extend(key, threshold, extend_to)` (`extend_contract_wasm_ref_ttl`).
    ExtendRef(Target, usize, u32, u32),
    /// Deploys follower slot `slot` of `(target, key)` through its deployer,
    /// with constructor arguments. `None`: those the ref's code needs now
    /// (the harness asks the model), so that deployments often succeed.
    Deploy {
        slot: usize,
        target: Target,
        key: usize,
        constructor: Option<Ctor>,
    },
    Call(usize, Call),
    /// `Call` on the first slot from this one (cyclically) whose code has
    /// the function now (the harness asks the model; recorded as a `Call`).
    CallAuto(usize, Call),
    /// Moves the ledger forward.
    Advance(u32),
    /// The next transaction that simulates and that the fault applies to is
    /// first applied corrupted (see [`Fault`]); it must fail and change
    /// nothing.
    Corrupt(Fault),
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Upload(c) => write!(f, "Upload({c:?})"),
            Op::SetRef(m, k, h) => write!(f, "SetRef({m:?}, {:?}, {h:?})", KEYS[*k]),
            Op::GetRef(m, k) => write!(f, "GetRef({m:?}, {:?})", KEYS[*k]),
            Op::ExtendRef(m, k, t, e) => write!(f, "ExtendRef({m:?}, {:?}, {t}, {e})", KEYS[*k]),
            Op::Deploy {
                slot,
                target,
                key,
                constructor,
            } => write!(
                f,
                "Deploy(s{slot}, {target:?}, {:?}, ctor: {})",
                KEYS[*key],
                constructor.map_or("auto".into(), |c| format!("{c:?}"))
            ),
            Op::Call(s, c) => write!(f, "Call(s{s}, {c:?})"),
            Op::CallAuto(s, c) => write!(f, "CallAuto(s{s}, {c:?})"),
            Op::Advance(n) => write!(f, "Advance({n})"),
            Op::Corrupt(fault) => write!(f, "Corrupt({fault:?})"),
        }
    }
}

// ---------------------------------------------------------------------------
// Values and keys
// ---------------------------------------------------------------------------

fn sym(s: &str) -> ScVal {
    ScVal::Symbol(sc_symbol(s))
}

fn scvec(items: Vec<ScVal>) -> ScVal {
    ScVal::Vec(Some(ScVec(items.try_into().unwrap())))
}

fn bytes(b: &[u8]) -> ScVal {
    ScVal::Bytes(b.to_vec().try_into().unwrap())
}

fn i128_val(x: i128) -> ScVal {
    ScVal::I128(Int128Parts {
        hi: (x >> 64) as i64,
        lo: x as u64,
    })
}

fn hash_arg(h: HashArg) -> ScVal {
    match h {
        HashArg::Code(c) => bytes(&c.hash().0),
        HashArg::Unknown => bytes(&UNKNOWN_HASH),
        HashArg::Short => bytes(&[0x11; 31]),
    }
}

fn code_key(hash: &Hash) -> LedgerKey {
    LedgerKey::ContractCode(LedgerKeyContractCode { hash: hash.clone() })
}

fn data_key(contract: &ScAddress, key: ScVal) -> LedgerKey {
    LedgerKey::ContractData(LedgerKeyContractData {
        contract: contract.clone(),
        key,
        durability: ContractDataDurability::Persistent,
    })
}

fn ref_key(manager: &ScAddress, key: &ScSymbol) -> LedgerKey {
    data_key(manager, ScVal::LedgerKeyWasmRef(key.clone()))
}

/// A unit variant of a `#[contracttype]` enum (`DataKey::Admin`…).
fn unit_variant(name: &str) -> ScVal {
    scvec(vec![sym(name)])
}

/// Instance storage as the contracts write it (keys sorted).
fn instance_storage(mut items: Vec<(ScVal, ScVal)>) -> Option<ScMap> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let entries: Vec<ScMapEntry> = items
        .into_iter()
        .map(|(key, val)| ScMapEntry { key, val })
        .collect();
    Some(ScMap(entries.try_into().unwrap()))
}

/// An instance storage value (`DataKey::Admin`…), if set.
fn stored(storage: &Option<ScMap>, name: &str) -> Option<ScVal> {
    let key = unit_variant(name);
    storage
        .as_ref()?
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.val.clone())
}

/// The contract-visible `ContractExecutable`, as `executable_update` carries it.
fn executable_val(e: &ContractExecutable) -> ScVal {
    match e {
        ContractExecutable::Wasm(h) => scvec(vec![sym("Wasm"), bytes(&h.0)]),
        ContractExecutable::ExternalRef(r) => {
            let fields = ScMap(
                vec![
                    ScMapEntry {
                        key: sym("key"),
                        val: ScVal::Symbol(r.key.clone()),
                    },
                    ScMapEntry {
                        key: sym("manager"),
                        val: ScVal::Address(r.manager.clone()),
                    },
                ]
                .try_into()
                .unwrap(),
            );
            scvec(vec![sym("ExternalRef"), ScVal::Map(Some(fields))])
        }
        ContractExecutable::StellarAsset => unreachable!("no asset contracts here"),
    }
}

fn system_event(contract: &ScAddress, topics: Vec<ScVal>, data: ScVal) -> ContractEvent {
    ContractEvent {
        type_: ContractEventType::System,
        ..contract_event(contract, topics, data)
    }
}

fn contract_event(contract: &ScAddress, topics: Vec<ScVal>, data: ScVal) -> ContractEvent {
    let ScAddress::Contract(id) = contract else {
        unreachable!("events come from contracts")
    };
    ContractEvent {
        ext: ExtensionPoint::V0,
        contract_id: Some(id.clone()),
        type_: ContractEventType::Contract,
        body: ContractEventBody::V0(ContractEventV0 {
            topics: topics.try_into().unwrap(),
            data,
        }),
    }
}

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

/// What a ledger entry holds, as far as the feature is concerned.
#[derive(Clone, Debug, PartialEq)]
enum Abs {
    Code,
    Instance(ContractExecutable, Option<ScMap>),
    Ref(Hash),
    Data(ScVal),
}

/// Ledger entries by key, with their live-until ledgers.
type Entries = BTreeMap<LedgerKey, (Abs, u32)>;

/// The fixed addresses of a run.
#[derive(Clone)]
struct World {
    admin: ScAddress,
    managers: Vec<ScAddress>,
    factory: ScAddress,
    slots: Vec<ScAddress>,
    min_persistent_ttl: u32,
    max_entry_ttl: u32,
}

impl World {
    fn target(&self, t: Target) -> ScAddress {
        match t {
            Target::Manager(m) => self.managers[m].clone(),
            Target::Slot(s) => self.slots[s].clone(),
            Target::Factory => self.factory.clone(),
            Target::Account => self.admin.clone(),
        }
    }

    fn deployer(&self, slot: usize) -> ScAddress {
        match SLOTS[slot].0 {
            Deployer::Factory => self.factory.clone(),
            Deployer::Slot(s) => self.slots[s].clone(),
        }
    }

    /// The instance storage a constructor writes: `Admin`, and `Delay` for
    /// the manager's.
    fn constructed_storage(&self, ctor: Ctor) -> Option<ScMap> {
        let admin = (unit_variant("Admin"), ScVal::Address(self.admin.clone()));
        match ctor {
            Ctor::None => None,
            Ctor::Admin => instance_storage(vec![admin]),
            Ctor::AdminNoDelay => {
                instance_storage(vec![admin, (unit_variant("Delay"), ScVal::U32(0))])
            }
        }
    }

    fn balance_key(&self, token: &ScAddress) -> LedgerKey {
        data_key(
            token,
            scvec(vec![sym("Balance"), ScVal::Address(self.admin.clone())]),
        )
    }
}

/// Why the model says a step fails. `Any`: the spec does not name the error
/// (a contract panics, a constructor is missing, a function does not exist).
#[derive(Clone, Debug, PartialEq)]
enum Fail {
    Host(ScErrorType, ScErrorCode),
    Contract(u32),
    Any,
}

const MISSING: Fail = Fail::Host(ScErrorType::Storage, ScErrorCode::MissingValue);
const INVALID_INPUT_VALUE: Fail = Fail::Host(ScErrorType::Value, ScErrorCode::InvalidInput);

impl Fail {
    fn matches(&self, err: &HostError) -> bool {
        match self {
            Fail::Host(ty, code) => err.error.is_type(*ty) && err.error.is_code(*code),
            Fail::Contract(c) => err.error == Error::from_contract_error(*c),
            Fail::Any => true,
        }
    }
}

/// The plain-Rust ledger: the spec's rules over [`Entries`].
#[derive(Clone)]
struct Model {
    seq: u32,
    entries: Entries,
}

/// One transaction on a copy of the model: reads restore archived entries
/// (as simulation's auto-restore then the embedder do), writes and events
/// accumulate; dropped if the transaction fails.
struct Tx<'w> {
    w: &'w World,
    seq: u32,
    entries: Entries,
    events: Vec<ContractEvent>,
    /// Existing entries accessed; entries written or created; archived
    /// entries restored (also written): the footprint simulation must record.
    read: BTreeSet<LedgerKey>,
    written: BTreeSet<LedgerKey>,
    restored: BTreeSet<LedgerKey>,
}

impl<'w> Tx<'w> {
    fn new(w: &'w World, m: &Model) -> Self {
        Tx {
            w,
            seq: m.seq,
            entries: m.entries.clone(),
            events: vec![],
            read: BTreeSet::new(),
            written: BTreeSet::new(),
            restored: BTreeSet::new(),
        }
    }

    fn into_model(self) -> Model {
        Model {
            seq: self.seq,
            entries: self.entries,
        }
    }

    /// The live-until ledger of a new (or restored) persistent entry.
    fn min_live_until(&self) -> u32 {
        self.seq + self.w.min_persistent_ttl - 1
    }

    /// Accesses an entry: an archived one is restored first.
    fn touch(&mut self, key: &LedgerKey) -> Option<&mut (Abs, u32)> {
        let (seq, restored) = (self.seq, self.min_live_until());
        let entry = self.entries.get_mut(key)?;
        self.read.insert(key.clone());
        if entry.1 < seq {
            entry.1 = restored;
            self.restored.insert(key.clone());
            self.written.insert(key.clone());
        }
        Some(entry)
    }

    fn get(&mut self, key: &LedgerKey) -> Option<Abs> {
        self.touch(key).map(|e| e.0.clone())
    }

    /// Writes an entry: an update keeps its TTL, a new one gets the minimum.
    fn put(&mut self, key: &LedgerKey, value: Abs) {
        let live_until = self.min_live_until();
        match self.touch(key) {
            Some(e) => e.0 = value,
            None => {
                self.entries.insert(key.clone(), (value, live_until));
            }
        }
        self.written.insert(key.clone());
    }

    /// `extend_ttl`'s rule: if the TTL is at most `threshold`, it becomes
    /// `extend_to` (clamped to the maximum), never shorter.
    ///
    /// `ledger + extend_to` past `u32::MAX` is upstream's internal error,
    /// except for a ref, whose extension clamps `extend_to` first.
    fn extend(&mut self, key: &LedgerKey, threshold: u32, extend_to: u32) -> Result<(), Fail> {
        if threshold > extend_to {
            return Err(Fail::Host(ScErrorType::Storage, ScErrorCode::InvalidInput));
        }
        let seq = self.seq;
        let max_live_until = seq + self.w.max_entry_ttl - 1;
        let is_ref = matches!(key, LedgerKey::ContractData(d) if matches!(d.key, ScVal::LedgerKeyWasmRef(_)));
        let entry = self.touch(key).ok_or(MISSING)?;
        let new_live_until = match seq.checked_add(extend_to) {
            Some(l) => l.min(max_live_until),
            None if is_ref => max_live_until,
            None => return Err(Fail::Host(ScErrorType::Context, ScErrorCode::InternalError)),
        };
        if entry.1 - seq <= threshold && new_live_until > entry.1 {
            entry.1 = new_live_until;
        }
        Ok(())
    }

    fn instance(
        &mut self,
        contract: &ScAddress,
    ) -> Result<(ContractExecutable, Option<ScMap>), Fail> {
        match self.get(&instance_key(contract)) {
            Some(Abs::Instance(exec, storage)) => Ok((exec, storage)),
            None => Err(MISSING),
            Some(other) => unreachable!("instance entry holds {other:?}"),
        }
    }

    /// The hash an executable runs: a ref is read (restored) at every frame.
    fn resolve(&mut self, exec: &ContractExecutable) -> Result<Hash, Fail> {
        match exec {
            ContractExecutable::Wasm(h) => Ok(h.clone()),
            ContractExecutable::ExternalRef(r) => match self.get(&ref_key(&r.manager, &r.key)) {
                Some(Abs::Ref(h)) => Ok(h),
                None => Err(MISSING),
                Some(other) => unreachable!("ref entry holds {other:?}"),
            },
            ContractExecutable::StellarAsset => unreachable!(),
        }
    }

    /// A call frame of `contract`: its instance, its executable resolved, its
    /// code loaded. Returns the executable, the instance storage and the code.
    fn frame(
        &mut self,
        contract: &ScAddress,
    ) -> Result<(ContractExecutable, Option<ScMap>, Code), Fail> {
        let (exec, storage) = self.instance(contract)?;
        let hash = self.resolve(&exec)?;
        self.get(&code_key(&hash)).ok_or(MISSING)?;
        Ok((exec, storage, Code::of_hash(&hash)))
    }

    /// `extend_current_contract_instance_and_code_ttl`: the instance and the
    /// code; for a follower the ref and the resolved code.
    fn extend_instance_and_code(
        &mut self,
        contract: &ScAddress,
        threshold: u32,
        extend_to: u32,
    ) -> Result<(), Fail> {
        let (exec, _) = self.instance(contract)?;
        self.extend(&instance_key(contract), threshold, extend_to)?;
        if let ContractExecutable::ExternalRef(r) = &exec {
            self.extend(&ref_key(&r.manager, &r.key), threshold, extend_to)?;
        }
        let hash = self.resolve(&exec)?;
        self.extend(&code_key(&hash), threshold, extend_to)
    }

    fn set_executable(
        &mut self,
        contract: &ScAddress,
        new: ContractExecutable,
    ) -> Result<(), Fail> {
        let (old, storage) = self.instance(contract)?;
        self.events.push(system_event(
            contract,
            vec![
                sym("executable_update"),
                executable_val(&old),
                executable_val(&new),
            ],
            scvec(vec![]),
        ));
        self.put(&instance_key(contract), Abs::Instance(new, storage));
        Ok(())
    }

    fn wasm_hash_arg(&mut self, h: HashArg) -> Result<Hash, Fail> {
        let hash = match h {
            HashArg::Code(c) => c.hash(),
            HashArg::Unknown => Hash(UNKNOWN_HASH),
            // The contract's `BytesN<32>` argument refuses it.
            HashArg::Short => return Err(Fail::Any),
        };
        self.get(&code_key(&hash)).ok_or(MISSING)?;
        Ok(hash)
    }

    /// A call frame of a contract that should run the manager's code.
    fn manager_frame(&mut self, m: Target) -> Result<(ScAddress, Option<ScMap>), Fail> {
        if matches!(m, Target::Account) {
            return Err(Fail::Any);
        }
        let manager = self.w.target(m);
        let (_, storage, code) = self.frame(&manager)?;
        if code != Code::Manager {
            return Err(Fail::Any);
        }
        Ok((manager, storage))
    }

    /// The executable `ExternalRef(target, key)` after the checks of creation.
    fn external_ref(&mut self, target: Target, key: usize) -> Result<ContractExecutable, Fail> {
        if matches!(target, Target::Account) {
            return Err(INVALID_INPUT_VALUE);
        }
        let manager = self.w.target(target);
        let key = sc_symbol(KEYS[key]);
        if self.get(&ref_key(&manager, &key)).is_none() {
            return Err(MISSING);
        }
        Ok(ContractExecutable::ExternalRef(Box::new(
            ContractExecutableExternalRef { manager, key },
        )))
    }

    /// Runs one operation (not `Advance`): its return value, or why it fails.
    fn run(&mut self, op: Op) -> Result<ScVal, Fail> {
        let w = self.w;
        match op {
            Op::Upload(code) => {
                let key = code_key(&code.hash());
                if self.touch(&key).is_none() {
                    self.put(&key, Abs::Code);
                }
                Ok(bytes(&code.hash().0))
            }
            Op::SetRef(m, key, hash) => {
                if matches!(hash, HashArg::Short) {
                    return Err(Fail::Any);
                }
                let (manager, storage) = self.manager_frame(m)?;
                // `admin().require_auth()`: the admin must be set.
                stored(&storage, "Admin").ok_or(Fail::Any)?;
                if stored(&storage, "Delay").is_some_and(|d| d != ScVal::U32(0)) {
                    return Err(Fail::Contract(TIMELOCKED));
                }
                let hash = self.wasm_hash_arg(hash)?;
                let rk = ref_key(&manager, &sc_symbol(KEYS[key]));
                let old = match self.get(&rk) {
                    Some(Abs::Ref(old)) => bytes(&old.0),
                    _ => ScVal::Void,
                };
                self.put(&rk, Abs::Ref(hash.clone()));
                self.events.push(system_event(
                    &manager,
                    vec![sym("wasm_ref_updated"), sym(KEYS[key])],
                    scvec(vec![old, bytes(&hash.0)]),
                ));
                Ok(ScVal::Void)
            }
            Op::GetRef(m, key) => {
                let (manager, _) = self.manager_frame(m)?;
                match self.get(&ref_key(&manager, &sc_symbol(KEYS[key]))) {
                    Some(Abs::Ref(h)) => Ok(bytes(&h.0)),
                    _ => Ok(ScVal::Void),
                }
            }
            Op::ExtendRef(m, key, threshold, extend_to) => {
                let (manager, _) = self.manager_frame(m)?;
                self.extend(
                    &ref_key(&manager, &sc_symbol(KEYS[key])),
                    threshold,
                    extend_to,
                )?;
                self.extend_instance_and_code(&manager, threshold, extend_to)?;
                Ok(ScVal::Void)
            }
            Op::Deploy {
                slot,
                target,
                key,
                constructor,
            } => {
                let (_, _, deployer_code) = self.frame(&w.deployer(slot))?;
                if deployer_code != Code::Factory {
                    return Err(Fail::Any);
                }
                let follower = &w.slots[slot];
                if self.get(&instance_key(follower)).is_some() {
                    return Err(Fail::Host(ScErrorType::Storage, ScErrorCode::ExistingValue));
                }
                let exec = self.external_ref(target, key)?;
                self.put(&instance_key(follower), Abs::Instance(exec, None));
                // The constructor runs on the resolved code, in a frame of
                // the new follower.
                let (_, _, code) = self.frame(follower)?;
                let ctor = constructor.expect("resolved by the harness");
                if code.constructor_arity() != ctor.arity() {
                    return Err(Fail::Any);
                }
                if ctor != Ctor::None {
                    // `__constructor(admin[, delay])` stores its arguments.
                    let exec = self.instance(follower)?.0;
                    self.put(
                        &instance_key(follower),
                        Abs::Instance(exec, w.constructed_storage(ctor)),
                    );
                    if code.is_token() {
                        self.extend_instance_and_code(follower, TOKEN_THRESHOLD, TOKEN_EXTEND_TO)?;
                    }
                }
                // The factory's code: `("deployed", manager, key)`, the follower.
                self.events.push(contract_event(
                    &w.deployer(slot),
                    vec![
                        sym("deployed"),
                        ScVal::Address(w.target(target)),
                        sym(KEYS[key]),
                    ],
                    ScVal::Address(follower.clone()),
                ));
                Ok(ScVal::Address(follower.clone()))
            }
            Op::Call(slot, call) => self.call(&w.slots[slot], call),
            Op::CallAuto(..) | Op::Advance(_) | Op::Corrupt(_) => {
                unreachable!("not a transaction")
            }
        }
    }

    fn call(&mut self, contract: &ScAddress, call: Call) -> Result<ScVal, Fail> {
        let w = self.w;
        let (_, storage, code) = self.frame(contract)?;
        if code == Code::TokenPaused && matches!(call, Call::Mint(_)) {
            // Refused before anything else, admin or not.
            return Err(Fail::Contract(TOKEN_PAUSED));
        }
        let has_admin = stored(&storage, "Admin").is_some();
        if !accepts(code, has_admin, call) {
            // No such function in this code, or its admin is missing.
            return Err(Fail::Any);
        }
        let data = |k: usize| data_key(contract, sym(DATA_KEYS[k]));
        match call {
            Call::Version => code.version().map(ScVal::U32).ok_or(Fail::Any),
            Call::Put(k, v) => {
                self.put(&data(k), Abs::Data(ScVal::U32(v)));
                Ok(ScVal::Void)
            }
            Call::Get(k) => Ok(match self.get(&data(k)) {
                Some(Abs::Data(v)) => v,
                _ => ScVal::Void,
            }),
            Call::Bump(k) => {
                let v = match self.get(&data(k)) {
                    Some(Abs::Data(ScVal::U32(v))) => v + 1,
                    _ => 1,
                };
                self.put(&data(k), Abs::Data(ScVal::U32(v)));
                Ok(ScVal::U32(v))
            }
            Call::Mint(amount) => {
                let key = w.balance_key(contract);
                let old = match self.get(&key) {
                    Some(Abs::Data(ScVal::I128(p))) => ((p.hi as i128) << 64) | p.lo as i128,
                    _ => 0,
                };
                self.put(&key, Abs::Data(i128_val(old + amount as i128)));
                self.extend(&key, TOKEN_THRESHOLD, TOKEN_EXTEND_TO)?;
                self.extend_instance_and_code(contract, TOKEN_THRESHOLD, TOKEN_EXTEND_TO)?;
                Ok(ScVal::Void)
            }
            Call::Balance => Ok(match self.get(&w.balance_key(contract)) {
                Some(Abs::Data(v)) => v,
                _ => i128_val(0),
            }),
            Call::Pin(h) => {
                let hash = self.wasm_hash_arg(h)?;
                self.set_executable(contract, ContractExecutable::Wasm(hash))?;
                Ok(ScVal::Void)
            }
            Call::Follow(target, key) => {
                let exec = self.external_ref(target, key)?;
                self.set_executable(contract, exec)?;
                Ok(ScVal::Void)
            }
        }
    }
}

/// Whether `code` has the function of `call`, and, for the functions that
/// read it, its instance holds the admin a constructor stored.
fn accepts(code: Code, has_admin: bool, call: Call) -> bool {
    match call {
        Call::Version => code.version().is_some(),
        Call::Put(..) | Call::Get(_) => code.is_follower(),
        Call::Bump(_) => code == Code::FollowerV2,
        Call::Mint(_) => code.is_token() && (has_admin || code == Code::TokenPaused),
        Call::Balance => code.is_token(),
        Call::Pin(_) | Call::Follow(..) => code.is_pinnable() && has_admin,
    }
}

// ---------------------------------------------------------------------------
// The ledger, compared with the model
// ---------------------------------------------------------------------------

/// The ledger in the model's terms.
fn ledger_entries(ledger: &Ledger) -> Entries {
    ledger
        .state()
        .into_iter()
        // The admin's account entry, put at setup for signed auth
        // (`Fault::WrongSigner`), is not the feature's; `Ledger::state`
        // comparisons cover it.
        .filter(|(_, (entry, _))| !matches!(entry.data, LedgerEntryData::Account(_)))
        .map(|(key, (entry, live_until))| {
            let abs = match &entry.data {
                LedgerEntryData::ContractCode(c) => {
                    assert_eq!(key, code_key(&c.hash));
                    assert_eq!(wasm_hash(c.code.as_slice()), c.hash);
                    Abs::Code
                }
                LedgerEntryData::ContractData(d) => match (&d.key, &d.val) {
                    (ScVal::LedgerKeyContractInstance, ScVal::ContractInstance(i)) => {
                        Abs::Instance(i.executable.clone(), i.storage.clone())
                    }
                    (ScVal::LedgerKeyWasmRef(_), ScVal::Bytes(b)) => {
                        Abs::Ref(Hash(b.as_slice().try_into().expect("32-byte hash")))
                    }
                    (ScVal::LedgerKeyWasmRef(_), other) => panic!("ref holds {other:?}"),
                    _ => Abs::Data(d.val.clone()),
                },
                other => panic!("unexpected entry {other:?}"),
            };
            (key, (abs, live_until.expect("contract entries have a TTL")))
        })
        .collect()
}

/// A readable difference of two ledgers (whole entries hold Wasm blobs).
fn ledger_diff(model: &Entries, ledger: &Entries) -> Vec<String> {
    let keys: BTreeSet<&LedgerKey> = model.keys().chain(ledger.keys()).collect();
    keys.into_iter()
        .filter(|k| model.get(*k) != ledger.get(*k))
        .map(|k| {
            format!(
                "{k:?}\n    model: {:?}\n    ledger: {:?}",
                model.get(k),
                ledger.get(k)
            )
        })
        .collect()
}

/// What the operations of a run did: how often each kind of operation
/// succeeded and failed, entries restored, probes of archived followers.
#[derive(Clone, Default, Debug)]
struct Stats {
    ok: BTreeMap<&'static str, u32>,
    failed: BTreeMap<String, u32>,
    /// Corrupted transactions applied (each failed inside the host and
    /// changed nothing), by [`Fault`] kind.
    applied_failures: BTreeMap<&'static str, u32>,
    /// Archived entries restored by a committed transaction.
    restored: u32,
    /// Probes of a follower with at least one archived entry (simulation
    /// restores it, the probe applies that).
    archived_probes: u32,
    /// Probes run, and time spent in transactions, probes and checks.
    probes: u32,
    tx_time: std::time::Duration,
    probe_time: std::time::Duration,
    check_time: std::time::Duration,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        for (k, n) in other.ok {
            *self.ok.entry(k).or_default() += n;
        }
        for (k, n) in other.failed {
            *self.failed.entry(k).or_default() += n;
        }
        for (k, n) in other.applied_failures {
            *self.applied_failures.entry(k).or_default() += n;
        }
        self.restored += other.restored;
        self.archived_probes += other.archived_probes;
        self.probes += other.probes;
        self.tx_time += other.tx_time;
        self.probe_time += other.probe_time;
        self.check_time += other.check_time;
    }
}

/// The kind of an operation, for [`Stats`].
fn label(op: Op) -> &'static str {
    match op {
        Op::Upload(_) => "upload",
        Op::SetRef(Target::Slot(_), ..) => "set_ref by a follower",
        Op::SetRef(..) => "set_ref",
        Op::GetRef(..) => "get_ref",
        Op::ExtendRef(Target::Slot(_), ..) => "extend_ref by a follower",
        Op::ExtendRef(..) => "extend_ref",
        Op::Deploy { slot, .. } => match (SLOTS[slot].0, op) {
            (Deployer::Slot(_), _) => "deploy by a follower",
            (
                _,
                Op::Deploy {
                    constructor: Some(Ctor::None),
                    ..
                },
            ) => "deploy",
            _ => "deploy with constructor",
        },
        Op::Call(_, c) | Op::CallAuto(_, c) => match c {
            Call::Version => "call version",
            Call::Put(..) => "call put",
            Call::Get(_) => "call get",
            Call::Bump(_) => "call bump",
            Call::Mint(_) => "call mint",
            Call::Balance => "call balance",
            Call::Pin(_) => "call pin",
            Call::Follow(..) => "call follow",
        },
        Op::Advance(_) => "advance",
        Op::Corrupt(_) => "corrupt",
    }
}

#[derive(Clone)]
struct Harness {
    stats: Stats,
    ledger: Ledger,
    world: World,
    model: Model,
    /// Code uploaded through [`Ledger::upload`] (which also caches its module).
    cached: BTreeSet<Code>,
    /// Operations run so far, for failure messages; whether the prelude is
    /// over.
    done: Vec<Op>,
    after_prelude: bool,
    /// Faults of [`Op::Corrupt`] waiting for a transaction they apply to.
    pending: Vec<Fault>,
}

impl Harness {
    /// The managers (admin: the source account), the factory, and their code.
    fn new() -> Self {
        let mut ledger = Ledger::at_protocol(FORK_PROTOCOL);
        let admin = ledger.source_address();
        // The admin's (the source account's) account entry: its master key
        // alone signs, so that a signature by any other key is refused for
        // that reason (`Fault::WrongSigner`), not for a missing account.
        let account = Account {
            id: ledger.source.clone(),
            master_weight: 1,
            signers: vec![],
            thresholds: [0, 0, 0],
        };
        ledger.put(account.entry(), None);
        let manager_code = ledger.upload(fixtures::MANAGER).expect("upload manager");
        let factory_code = ledger.upload(fixtures::FACTORY).expect("upload factory");
        let seq = ledger.info.sequence_number;
        let min_live_until = seq + ledger.info.min_persistent_entry_ttl - 1;
        let mut entries = Entries::new();
        entries.insert(code_key(&manager_code), (Abs::Code, min_live_until));
        entries.insert(code_key(&factory_code), (Abs::Code, min_live_until));

        let mut managers = vec![];
        for (i, delay) in DELAYS.into_iter().enumerate() {
            let args = vec![ScVal::Address(admin.clone()), ScVal::U32(delay)];
            let exec = ContractExecutable::Wasm(manager_code.clone());
            let (manager, _) = ledger
                .create(exec.clone(), [0xa0 + i as u8; 32], args)
                .expect("create manager");
            let storage = instance_storage(vec![
                (unit_variant("Admin"), ScVal::Address(admin.clone())),
                (unit_variant("Delay"), ScVal::U32(delay)),
            ]);
            entries.insert(
                instance_key(&manager),
                (Abs::Instance(exec, storage), min_live_until),
            );
            managers.push(manager);
        }
        let exec = ContractExecutable::Wasm(factory_code);
        let (factory, _) = ledger
            .create(exec.clone(), [0xfa; 32], vec![])
            .expect("create factory");
        entries.insert(
            instance_key(&factory),
            (Abs::Instance(exec, None), min_live_until),
        );

        let mut slots: Vec<ScAddress> = vec![];
        for (deployer, salt) in SLOTS {
            let deployer = match deployer {
                Deployer::Factory => factory.clone(),
                Deployer::Slot(s) => slots[s].clone(),
            };
            slots.push(created_address(&ContractIdPreimage::Address(
                ContractIdPreimageFromAddress {
                    address: deployer,
                    salt: Uint256([salt; 32]),
                },
            )));
        }
        let world = World {
            admin,
            managers,
            factory,
            slots,
            min_persistent_ttl: ledger.info.min_persistent_entry_ttl,
            max_entry_ttl: ledger.info.max_entry_ttl,
        };
        let mut h = Harness {
            ledger,
            world,
            model: Model { seq, entries },
            cached: [Code::Manager, Code::Factory].into(),
            done: vec![],
            after_prelude: false,
            pending: vec![],
            stats: Stats::default(),
        };
        h.check_ledger("setup");
        for op in PRELUDE {
            h.step(op);
        }
        h.done.clear();
        h.after_prelude = true;
        h.stats = Stats::default();
        h
    }

    /// A harness after the setup and the prelude: built once per thread,
    /// cloned for each case (the setup parses every module for the cache).
    fn fresh() -> Self {
        thread_local! {
            static SETUP: Harness = Harness::new();
        }
        SETUP.with(Harness::clone)
    }

    fn context(&self) -> String {
        match self.after_prelude {
            true => format!("after the prelude and {:?}", self.done),
            false => format!("in the prelude: {:?}", self.done),
        }
    }

    fn check_ledger(&self, what: &str) {
        let diff = ledger_diff(&self.model.entries, &ledger_entries(&self.ledger));
        assert!(
            diff.is_empty(),
            "{what}: ledger differs from the model ({}):\n{}",
            self.context(),
            diff.join("\n")
        );
    }

    fn host_fn(&self, op: Op) -> HostFunction {
        let w = &self.world;
        match op {
            Op::Upload(code) => {
                HostFunction::UploadContractWasm(code.wasm().to_vec().try_into().unwrap())
            }
            Op::SetRef(m, k, h) => {
                invoke_fn(&w.target(m), "set_ref", vec![sym(KEYS[k]), hash_arg(h)])
            }
            Op::GetRef(m, k) => invoke_fn(&w.target(m), "current", vec![sym(KEYS[k])]),
            Op::ExtendRef(m, k, t, e) => invoke_fn(
                &w.target(m),
                "extend",
                vec![sym(KEYS[k]), ScVal::U32(t), ScVal::U32(e)],
            ),
            Op::Deploy {
                slot,
                target,
                key,
                constructor,
            } => {
                let mut args = vec![
                    ScVal::Address(w.target(target)),
                    sym(KEYS[key]),
                    bytes(&[SLOTS[slot].1; 32]),
                ];
                let admin = ScVal::Address(w.admin.clone());
                let f = match constructor.expect("resolved by the harness") {
                    Ctor::None => "deploy",
                    Ctor::Admin => {
                        args.push(scvec(vec![admin]));
                        "deploy_with"
                    }
                    Ctor::AdminNoDelay => {
                        args.push(scvec(vec![admin, ScVal::U32(0)]));
                        "deploy_with"
                    }
                };
                invoke_fn(&w.deployer(slot), f, args)
            }
            Op::Call(slot, call) => {
                let admin = ScVal::Address(w.admin.clone());
                let (f, args) = match call {
                    Call::Version => ("version", vec![]),
                    Call::Put(k, v) => ("put", vec![sym(DATA_KEYS[k]), ScVal::U32(v)]),
                    Call::Get(k) => ("get", vec![sym(DATA_KEYS[k])]),
                    Call::Bump(k) => ("bump", vec![sym(DATA_KEYS[k])]),
                    Call::Mint(a) => ("mint", vec![admin, i128_val(a as i128)]),
                    Call::Balance => ("balance", vec![admin]),
                    Call::Pin(h) => ("pin", vec![hash_arg(h)]),
                    Call::Follow(t, k) => {
                        ("follow", vec![ScVal::Address(w.target(t)), sym(KEYS[k])])
                    }
                };
                invoke_fn(&w.slots[slot], f, args)
            }
            Op::CallAuto(..) | Op::Advance(_) | Op::Corrupt(_) => unreachable!(),
        }
    }

    fn step(&mut self, op: Op) {
        let op = self.resolve_auto(op);
        self.done.push(op);
        if let Op::Corrupt(fault) = op {
            self.pending.push(fault);
            return;
        }
        let t = std::time::Instant::now();
        let changed = if let Op::Advance(n) = op {
            self.ledger.advance(n);
            self.model.seq += n;
            *self.stats.ok.entry(label(op)).or_default() += 1;
            true
        } else {
            self.transact(op)
        };
        self.stats.tx_time += t.elapsed();
        let t = std::time::Instant::now();
        self.check_ledger(&format!("{op:?}"));
        self.stats.check_time += t.elapsed();
        // A failed step changed nothing (checked): the probes would repeat
        // the previous step's.
        if changed {
            let t = std::time::Instant::now();
            self.probe_followers();
            self.stats.probe_time += t.elapsed();
        }
    }

    /// A deployment with `constructor: None` gets the arguments the ref's
    /// code needs now (none if there is no such ref).
    fn resolve_auto(&self, op: Op) -> Op {
        if let Op::CallAuto(from, call) = op {
            let n = SLOTS.len();
            let slot = (from..from + n).map(|i| i % n).find(|&i| {
                let mut tx = Tx::new(&self.world, &self.model);
                let follower = &self.world.slots[i];
                tx.frame(follower).is_ok_and(|(_, storage, code)| {
                    accepts(code, stored(&storage, "Admin").is_some(), call)
                })
            });
            return Op::Call(slot.unwrap_or(from), call);
        }
        let Op::Deploy {
            slot,
            target,
            key,
            constructor: None,
        } = op
        else {
            return op;
        };
        let manager = self.world.target(target);
        let arity = match self
            .model
            .entries
            .get(&ref_key(&manager, &sc_symbol(KEYS[key])))
        {
            Some((Abs::Ref(h), _)) => Code::of_hash(h).constructor_arity(),
            _ => 0,
        };
        Op::Deploy {
            slot,
            target,
            key,
            constructor: Some(Ctor::for_arity(arity)),
        }
    }

    /// Runs a transaction on both sides and compares; whether it succeeded.
    fn transact(&mut self, op: Op) -> bool {
        // A copy of the addresses, so that the ledger can be driven meanwhile.
        let world = self.world.clone();
        let mut tx = Tx::new(&world, &self.model);
        let expected = tx.run(op);
        let before = self.ledger.state();
        // The ledger: the first upload of a code also caches its module (as a
        // validator's cache holds all live code); anything else is simulated,
        // then applied and committed.
        let actual = match op {
            Op::Upload(code) if !self.cached.contains(&code) => {
                let r = self.ledger.upload(code.wasm());
                if r.is_ok() {
                    self.cached.insert(code);
                }
                r.map(|h| (bytes(&h.0), vec![], None))
            }
            _ => {
                let prepared = self.ledger.prepare(self.host_fn(op));
                match prepared {
                    Err(e) => Err(e),
                    Ok(p) => {
                        // Corrupted forms first, each on the ledger as it is.
                        self.corrupt(op, &p);
                        match self.ledger.submit_prepared(&p) {
                            Ok(r) => {
                                let (footprint, restored) = p.footprint();
                                Ok((r.result, r.events, Some((footprint, restored.to_vec()))))
                            }
                            Err(e) => panic!(
                                "{op:?}: simulation succeeded but apply failed: {e:?} ({})",
                                self.context()
                            ),
                        }
                    }
                }
            }
        };
        match (expected, actual) {
            (Ok(want), Ok((got, events, footprint))) => {
                assert_eq!(got, want, "{op:?}: result ({})", self.context());
                assert_eq!(events, tx.events, "{op:?}: events ({})", self.context());
                if let Some((footprint, restored)) = footprint {
                    // Of the entries that exist, simulation records exactly
                    // those the model accessed: read-only unless written or
                    // restored. (Absent keys a contract looks up are left out.)
                    let ro: BTreeSet<LedgerKey> = footprint
                        .read_only
                        .iter()
                        .filter(|k| before.contains_key(*k))
                        .cloned()
                        .collect();
                    let rw: BTreeSet<LedgerKey> = footprint.read_write.iter().cloned().collect();
                    let restored: BTreeSet<LedgerKey> = restored
                        .iter()
                        .map(|&i| footprint.read_write[i as usize].clone())
                        .collect();
                    let what = format!("{op:?} ({})", self.context());
                    let model_ro: BTreeSet<LedgerKey> =
                        tx.read.difference(&tx.written).cloned().collect();
                    assert_eq!(ro, model_ro, "{what}: read-only footprint");
                    assert_eq!(rw, tx.written, "{what}: read-write footprint");
                    assert_eq!(restored, tx.restored, "{what}: restored entries");
                }
                let seq = self.model.seq;
                let next = tx.into_model();
                self.stats.restored += self
                    .model
                    .entries
                    .iter()
                    .filter(|(k, (_, l))| *l < seq && next.entries[*k].1 >= seq)
                    .count() as u32;
                self.model = next;
                *self.stats.ok.entry(label(op)).or_default() += 1;
                true
            }
            (Err(fail), Err(err)) => {
                let reason = format!("{}: {fail:?}", label(op));
                assert!(
                    fail.matches(&err),
                    "{op:?}: expected failure {fail:?}, got {:?} ({})",
                    err.error,
                    self.context()
                );
                assert!(
                    before == self.ledger.state(),
                    "{op:?}: a failed step changed the ledger ({})",
                    self.context()
                );
                *self.stats.failed.entry(reason).or_default() += 1;
                false
            }
            (Ok(want), Err(err)) => panic!(
                "{op:?}: model says Ok({want:?}), ledger failed with {:?} ({})",
                err.error,
                self.context()
            ),
            (Err(fail), Ok((got, ..))) => panic!(
                "{op:?}: model says {fail:?}, ledger returned Ok({got:?}) ({})",
                self.context()
            ),
        }
    }

    /// Applies `p` (the simulated transaction of `op`) in the corrupted form
    /// of every pending fault that applies to it: each must fail inside the
    /// host with the fault's error, and committing what the host reports
    /// must leave the whole ledger (entries and TTLs) and the event log as
    /// they were. Faults that do not apply wait for a later transaction.
    fn corrupt(&mut self, op: Op, p: &Prepared) {
        let pending = std::mem::take(&mut self.pending);
        for fault in pending {
            let Some((parts, expected)) = self.corrupted(op, p, fault) else {
                self.pending.push(fault);
                continue;
            };
            let bad = self.ledger.prepare_tx(&parts);
            let before = self.ledger.state();
            let events = self.ledger.events().len();
            let what = format!("{op:?} corrupted by {fault:?} ({})", self.context());
            let err = match self.ledger.submit_as_reported(&bad) {
                Ok(r) => panic!("{what}: applied, returned {:?}", r.result),
                Err(e) => e,
            };
            assert!(
                expected.matches(&err),
                "{what}: expected {expected:?}, got {:?}",
                err.error
            );
            assert!(
                self.ledger.state() == before,
                "{what}: a transaction that failed inside the host changed the ledger"
            );
            assert_eq!(
                self.ledger.events().len(),
                events,
                "{what}: a transaction that failed inside the host emitted events"
            );
            *self.stats.applied_failures.entry(fault.kind()).or_default() += 1;
        }
    }

    /// The corrupted form of `p` for `fault` and the failure it must end
    /// with, or None if the fault does not apply to this transaction.
    fn corrupted(&self, op: Op, p: &Prepared, fault: Fault) -> Option<(e2e::Tx, Fail)> {
        let exceeded = Fail::Host(ScErrorType::Storage, ScErrorCode::ExceededLimit);
        let budget = Fail::Host(ScErrorType::Budget, ScErrorCode::ExceededLimit);
        let auth = Fail::Host(ScErrorType::Auth, ScErrorCode::InvalidAction);
        let mut parts = p.parts();
        let fp = &mut parts.resources.footprint;
        let restored = &mut parts.restored_rw_entry_indices;
        let expected = match fault {
            Fault::DropKey(n) => {
                let (ro, rw) = (fp.read_only.len(), fp.read_write.len());
                let i = n as usize % (ro + rw).max(1);
                if i < ro {
                    fp.read_only = remove_at(&fp.read_only, i);
                } else if i - ro < rw {
                    fp.read_write = remove_at(&fp.read_write, i - ro);
                    drop_index(restored, i - ro);
                } else {
                    return None;
                }
                exceeded
            }
            Fault::ReadOnly(n) => {
                let written: Vec<usize> = (0..fp.read_write.len())
                    .filter(|i| !restored.contains(&(*i as u32)))
                    .collect();
                if written.is_empty() {
                    return None;
                }
                let i = written[n as usize % written.len()];
                let key = fp.read_write[i].clone();
                fp.read_write = remove_at(&fp.read_write, i);
                drop_index(restored, i);
                let mut ro = fp.read_only.to_vec();
                ro.push(key);
                fp.read_only = ro.try_into().unwrap();
                exceeded
            }
            Fault::NoAuth => {
                if parts.auth.is_empty() {
                    return None;
                }
                parts.auth.clear();
                auth
            }
            Fault::WrongSigner => {
                if parts.auth.is_empty() {
                    return None;
                }
                let source = self.ledger.source_address();
                let expiration = self.ledger.info.sequence_number + 1_000;
                let stranger = Key::from_seed(0x5e);
                let mut rw = fp.read_write.to_vec();
                for (i, entry) in parts.auth.iter_mut().enumerate() {
                    if !matches!(entry.credentials, SorobanCredentials::SourceAccount) {
                        continue;
                    }
                    let nonce = 1_000 + i as i64;
                    entry.credentials = SorobanCredentials::Address(SorobanAddressCredentials {
                        address: source.clone(),
                        nonce,
                        signature_expiration_ledger: expiration,
                        signature: ScVal::Void,
                    });
                    *entry =
                        sign_entry(entry, self.ledger.info.network_id, expiration, &[&stranger]);
                    rw.push(LedgerKey::ContractData(LedgerKeyContractData {
                        contract: source.clone(),
                        key: ScVal::LedgerKeyNonce(ScNonceKey { nonce }),
                        durability: ContractDataDurability::Temporary,
                    }));
                }
                fp.read_write = rw.try_into().unwrap();
                let mut ro = fp.read_only.to_vec();
                ro.push(LedgerKey::Account(LedgerKeyAccount {
                    account_id: self.ledger.source.clone(),
                }));
                fp.read_only = ro.try_into().unwrap();
                // Simulation priced no signature check: room for one, as a
                // submitter who signs adds it (the kit's rule for auth it
                // cannot simulate).
                parts.resources.instructions += e2e::SIGNATURE_ROOM;
                auth
            }
            Fault::BudgetHalf | Fault::BudgetEnd => {
                let used = self
                    .ledger
                    .apply_prepared(p)
                    .unwrap_or_else(|e| panic!("{op:?}: simulated but does not apply: {e:?}"))
                    .cpu_insns as u32;
                parts.resources.instructions = match fault {
                    Fault::BudgetHalf => used / 2,
                    _ => used - 1,
                };
                budget
            }
            Fault::WrongConstructor => {
                let Op::Deploy {
                    slot,
                    target,
                    key,
                    constructor: Some(ctor),
                } = op
                else {
                    return None;
                };
                let other = Op::Deploy {
                    slot,
                    target,
                    key,
                    constructor: Some(match ctor {
                        Ctor::None => Ctor::Admin,
                        _ => Ctor::None,
                    }),
                };
                // The model agrees it fails (the arity is wrong).
                let expected = Tx::new(&self.world, &self.model).run(other).err()?;
                parts.host_fn = self.host_fn(other);
                expected
            }
        };
        Some((parts, expected))
    }

    /// Simulates and applies (without committing) `version()` on every
    /// deployed follower: the code it runs, and the footprint of the call.
    fn probe_followers(&mut self) {
        for (i, follower) in self.world.slots.iter().enumerate() {
            if !self.model.entries.contains_key(&instance_key(follower)) {
                continue;
            }
            let mut tx = Tx::new(&self.world, &self.model);
            let expected = tx.frame(follower).and_then(|(exec, _, code)| {
                let v = code.version().ok_or(Fail::Any)?;
                Ok((exec, code, v))
            });
            if expected.is_err() {
                // The factory's or the manager's code: no `version` to ask
                // (the operations on these slots show which code runs).
                continue;
            }
            self.stats.probes += 1;
            let prepared = self.ledger.prepare(invoke_fn(follower, "version", vec![]));
            let what = format!("probe of s{i} ({})", self.context());
            match (expected, prepared) {
                (Err(_), Err(_)) => {}
                (Ok((exec, code, v)), Ok(p)) => {
                    let (footprint, restored) = p.footprint();
                    let mut keys = vec![instance_key(follower), code_key(&code.hash())];
                    if let ContractExecutable::ExternalRef(r) = &exec {
                        keys.push(ref_key(&r.manager, &r.key));
                    }
                    let archived = |k: &LedgerKey| self.model.entries[k].1 < self.model.seq;
                    let ro: BTreeSet<_> = keys.iter().filter(|k| !archived(k)).cloned().collect();
                    let rw: BTreeSet<_> = keys.iter().filter(|k| archived(k)).cloned().collect();
                    assert_eq!(
                        footprint.read_only.iter().cloned().collect::<BTreeSet<_>>(),
                        ro,
                        "{what}: read-only footprint"
                    );
                    assert_eq!(
                        footprint
                            .read_write
                            .iter()
                            .cloned()
                            .collect::<BTreeSet<_>>(),
                        rw,
                        "{what}: read-write footprint"
                    );
                    assert_eq!(
                        restored,
                        (0..rw.len() as u32).collect::<Vec<_>>(),
                        "{what}: restored entries"
                    );
                    self.stats.archived_probes += u32::from(!rw.is_empty());
                    let receipt = self
                        .ledger
                        .apply_prepared(&p)
                        .unwrap_or_else(|e| panic!("{what}: apply failed: {e:?}"));
                    assert_eq!(receipt.result, ScVal::U32(v), "{what}: {code:?}");
                }
                (Ok((_, code, v)), Err(e)) => panic!(
                    "{what}: expected {code:?} version {v}, simulation failed: {:?}",
                    e.error
                ),
                (Err(f), Ok(_)) => panic!("{what}: expected {f:?}, simulation succeeded"),
            }
        }
    }
}

/// `keys` without its `i`-th.
fn remove_at(keys: &[LedgerKey], i: usize) -> soroban_env_host::xdr::VecM<LedgerKey> {
    let mut keys = keys.to_vec();
    keys.remove(i);
    keys.try_into().unwrap()
}

/// Restored indices after removing read-write key `i` from the footprint.
fn drop_index(restored: &mut Vec<u32>, i: usize) {
    let i = i as u32;
    restored.retain(|&r| r != i);
    for r in restored.iter_mut() {
        if *r > i {
            *r -= 1;
        }
    }
}

/// Runs `ops` from a fresh setup, checking every step.
fn run(ops: &[Op]) -> Stats {
    let mut h = Harness::fresh();
    for &op in ops {
        h.step(op);
    }
    h.stats
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

fn code() -> impl Strategy<Value = Code> {
    prop::sample::select(CODES.to_vec())
}

fn hash_arg_strategy() -> impl Strategy<Value = HashArg> {
    prop_oneof![
        10 => code().prop_map(HashArg::Code),
        1 => Just(HashArg::Unknown),
        1 => Just(HashArg::Short),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        10 => owner(),
        1 => Just(Target::Factory),
        1 => Just(Target::Account),
    ]
}

/// Mostly the managers without a timelock, sometimes a follower slot (which
/// owns refs if it runs the manager's code).
fn owner() -> impl Strategy<Value = Target> {
    prop_oneof![
        8 => (0..2usize).prop_map(Target::Manager),
        1 => Just(Target::Manager(2)),
        2 => prop_oneof![2 => Just(6), 1 => slot()].prop_map(Target::Slot),
    ]
}

fn key() -> impl Strategy<Value = usize> {
    0..KEYS.len()
}

fn slot() -> impl Strategy<Value = usize> {
    0..SLOTS.len()
}

/// Mostly the slots the prelude left free.
fn free_slot() -> impl Strategy<Value = usize> {
    prop_oneof![3 => prop::sample::select(vec![3usize, 4, 8, 9]), 1 => slot()]
}

fn data() -> impl Strategy<Value = usize> {
    0..DATA_KEYS.len()
}

/// TTL arguments around the minimum persistent TTL (100,000 ledgers), the
/// token's 30 days, past the maximum (clamped) and at `u32::MAX` (overflows
/// the ledger sequence).
fn threshold() -> impl Strategy<Value = u32> {
    prop::sample::select(vec![0, 50_000, 99_999, 100_000, 518_400, 1_000_000])
}

fn extend_to() -> impl Strategy<Value = u32> {
    prop::sample::select(vec![0, 50_000, 100_000, 518_400, 20_000_000, u32::MAX])
}

/// Ledgers to advance: the edges of the minimum TTL and of the token's TTL,
/// or anything up to past both.
fn ledgers() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(1u32),
        Just(99_999),
        Just(100_000),
        Just(518_400),
        1..700_000u32,
    ]
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        4 => Just(Call::Version),
        2 => (data(), 0..100u32).prop_map(|(k, v)| Call::Put(k, v)),
        1 => data().prop_map(Call::Get),
        1 => data().prop_map(Call::Bump),
        2 => (0..1000i64).prop_map(Call::Mint),
        1 => Just(Call::Balance),
        2 => hash_arg_strategy().prop_map(Call::Pin),
        2 => (target(), key()).prop_map(|(t, k)| Call::Follow(t, k)),
    ]
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        any::<u8>().prop_map(Fault::DropKey),
        any::<u8>().prop_map(Fault::ReadOnly),
        Just(Fault::NoAuth),
        Just(Fault::WrongSigner),
        Just(Fault::BudgetHalf),
        Just(Fault::BudgetEnd),
        Just(Fault::WrongConstructor),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => code().prop_map(Op::Upload),
        4 => (owner(), key(), hash_arg_strategy()).prop_map(|(m, k, h)| Op::SetRef(m, k, h)),
        1 => (owner(), key()).prop_map(|(m, k)| Op::GetRef(m, k)),
        1 => (owner(), key(), threshold(), extend_to(), 0..4u8).prop_map(|(m, k, t, e, valid)| {
            // Mostly a valid pair (threshold <= extend_to).
            Op::ExtendRef(m, k, if valid > 0 { t.min(e) } else { t }, e)
        }),
        3 => (free_slot(), target(), key(), prop_oneof![
            3 => Just(None),
            1 => prop::sample::select(vec![Ctor::None, Ctor::Admin, Ctor::AdminNoDelay]).prop_map(Some)
        ]).prop_map(|(slot, target, key, constructor)| {
            Op::Deploy { slot, target, key, constructor }
        }),
        3 => (slot(), call()).prop_map(|(s, c)| Op::Call(s, c)),
        6 => (slot(), call()).prop_map(|(s, c)| Op::CallAuto(s, c)),
        1 => ledgers().prop_map(Op::Advance),
        2 => fault().prop_map(Op::Corrupt),
    ]
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CI_CASES);
    ProptestConfig {
        cases,
        // Counterexamples become plain #[test]s below, not files in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The property. With --nocapture it prints what the generated cases did
/// (the same counts as `the_generator_reaches_every_outcome`, for
/// `PROPTEST_CASES` random cases).
#[test]
fn the_ledger_follows_the_model() {
    let totals = std::cell::RefCell::new(Stats::default());
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let result = runner.run(&ops(), |ops| {
        let stats = run(&ops);
        totals.borrow_mut().merge(stats);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!("{:#?}", totals.into_inner());
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let max = std::env::var("MODEL_MAX_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(MAX_OPS);
    prop::collection::vec(op(), 1..=max)
}

/// The generator is not degenerate: over a fixed sample of cases, every kind
/// of operation succeeds and fails, archived entries get restored, and
/// archived followers are probed. (Also prints the counts, with --nocapture.)
#[test]
fn the_generator_reaches_every_outcome() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut stats = Stats::default();
    for _ in 0..COVERAGE_CASES {
        let ops = ops().new_tree(&mut runner).unwrap().current();
        stats.merge(run(&ops));
    }
    eprintln!("{stats:#?}");
    let missing: Vec<&str> = [
        "upload",
        "set_ref",
        "set_ref by a follower",
        "get_ref",
        "extend_ref",
        "deploy",
        "deploy with constructor",
        "deploy by a follower",
        "call version",
        "call put",
        "call get",
        "call bump",
        "call mint",
        "call balance",
        "call pin",
        "call follow",
        "advance",
    ]
    .into_iter()
    .filter(|l| !stats.ok.contains_key(l))
    .collect();
    assert!(missing.is_empty(), "never succeeded: {missing:?}");
    let errors: Vec<&str> = [
        "set_ref: Host(Storage, MissingValue)",
        "set_ref: Contract(1)",
        "extend_ref: Host(Storage, InvalidInput)",
        "extend_ref: Host(Storage, MissingValue)",
        "deploy: Host(Storage, ExistingValue)",
        "deploy: Host(Storage, MissingValue)",
        "deploy: Host(Value, InvalidInput)",
        "call pin: Host(Storage, MissingValue)",
        "call follow: Host(Storage, MissingValue)",
    ]
    .into_iter()
    .filter(|l| !stats.failed.contains_key(*l))
    .collect();
    assert!(errors.is_empty(), "never failed so: {errors:?}");
    // Transactions that fail inside the host while applying, of every kind.
    let never: Vec<&str> = FAULTS
        .into_iter()
        .filter(|k| !stats.applied_failures.contains_key(k))
        .collect();
    assert!(never.is_empty(), "never applied corrupted so: {never:?}");
    assert!(stats.restored > 0 && stats.archived_probes > 0);

    // The counts are deterministic (a fixed seed): docs/proptest-model.md quotes them, and
    // a change to the generator, the model or the fixtures that moves one fails here until
    // the document moves too.
    let corrupted: Vec<String> = FAULTS
        .iter()
        .map(|k| format!("{k} {}", stats.applied_failures[k]))
        .collect();
    let row = format!(
        "| `the_generator_reaches_every_outcome` (deterministic, checked by the test) | {COVERAGE_CASES} | {} / {} | {}: {} |",
        thousands(stats.ok.values().sum::<u32>()),
        thousands(stats.failed.values().sum::<u32>()),
        stats.applied_failures.values().sum::<u32>(),
        corrupted.join(", ")
    );
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/proptest-model.md"
    ))
    .expect("docs/proptest-model.md");
    assert!(
        doc.contains(&row),
        "docs/proptest-model.md's row of this test should read:\n{row}"
    );
}

// ---------------------------------------------------------------------------
// Fixed scenarios (and shrunk counterexamples, if any)
// ---------------------------------------------------------------------------

/// Every kind of operation, in an order where each one succeeds: the model
/// and the ledger agree on a whole life cycle, archival and restores included.
#[test]
fn a_full_life_cycle() {
    use Code::*;
    let (m0, m1) = (Target::Manager(0), Target::Manager(1));
    let stats = run(&[
        Op::Deploy {
            slot: 8,
            target: m0,
            key: 0,
            constructor: Some(Ctor::None),
        },
        Op::Call(0, Call::Put(0, 7)),
        Op::Call(1, Call::Mint(5)),
        Op::Upload(TokenV2),
        // The fleet upgrade: one ref update.
        Op::SetRef(Target::Manager(0), 0, HashArg::Code(FollowerV2)),
        Op::SetRef(Target::Manager(0), 1, HashArg::Code(TokenV2)),
        Op::Call(0, Call::Bump(0)),
        Op::Call(8, Call::Version),
        Op::GetRef(Target::Manager(0), 0),
        Op::ExtendRef(Target::Manager(0), 0, 100_000, 518_400),
        // Everything but the ref, the token and what they extended archives.
        Op::Advance(200_000),
        Op::Call(0, Call::Get(0)),
        Op::Advance(518_400),
        Op::Call(1, Call::Balance),
        // Slot 2 runs the factory's code: a follower deploys a follower.
        Op::Deploy {
            slot: 3,
            target: m1,
            key: 0,
            constructor: Some(Ctor::Admin),
        },
        Op::Call(3, Call::Pin(HashArg::Code(PinnableV1))),
        Op::Call(3, Call::Version),
        Op::Call(3, Call::Follow(m0, 0)),
        Op::Call(3, Call::Version),
        Op::Call(5, Call::Follow(m0, 1)),
        Op::Call(5, Call::Mint(3)),
        Op::Upload(FollowerV1),
        Op::Call(0, Call::Version),
        // Slot 6 runs the manager's code: a follower that owns a ref.
        Op::SetRef(Target::Slot(6), 0, HashArg::Code(TokenV1)),
        Op::Deploy {
            slot: 9,
            target: Target::Slot(6),
            key: 0,
            constructor: Some(Ctor::Admin),
        },
        Op::Call(9, Call::Mint(1)),
        Op::GetRef(Target::Slot(6), 0),
        Op::ExtendRef(Target::Slot(6), 0, 600_000, 600_000),
        Op::Advance(150_000),
        Op::Call(9, Call::Balance),
    ]);
    assert!(stats.failed.is_empty(), "{stats:?}");
    assert!(stats.restored > 0 && stats.archived_probes > 0, "{stats:?}");
}

/// Refused steps, each with the error the spec (or a fixture) names, and each
/// checked to leave the ledger as it was: bad hashes, a timelock, invalid TTL
/// arguments (`u32::MAX` passes the ref's clamp but overflows the manager's
/// own instance extension, upstream's internal error), creation checks, a
/// paused token. These fail in simulation; the corrupted transactions fail
/// inside the host while applying, one of each [`Fault`]: a mint without a
/// footprint key, with its balance read-only, without auth, signed by a
/// stranger, with half and all but one of its instructions; a deployment
/// whose constructor traps after the host wrote the new instance.
#[test]
fn refused_steps_change_nothing() {
    use Code::*;
    let (m0, m2) = (Target::Manager(0), Target::Manager(2));
    let deploy = |slot, target, key, ctor| Op::Deploy {
        slot,
        target,
        key,
        constructor: Some(ctor),
    };
    let stats = run(&[
        Op::SetRef(m2, 0, HashArg::Code(FollowerV1)),
        Op::SetRef(m0, 0, HashArg::Unknown),
        Op::SetRef(m0, 0, HashArg::Code(PinnableV2)),
        Op::SetRef(m0, 0, HashArg::Short),
        Op::ExtendRef(m0, 0, 10, 5),
        Op::ExtendRef(m0, 3, 0, 10),
        Op::ExtendRef(m0, 0, 0, u32::MAX),
        deploy(0, m0, 0, Ctor::None),
        deploy(8, Target::Account, 0, Ctor::None),
        deploy(8, Target::Factory, 0, Ctor::None),
        deploy(8, m0, 3, Ctor::None),
        deploy(8, m0, 0, Ctor::Admin),
        deploy(8, m0, 1, Ctor::None),
        Op::Call(8, Call::Version),
        Op::Call(0, Call::Pin(HashArg::Code(FollowerV1))),
        Op::Call(5, Call::Pin(HashArg::Unknown)),
        Op::Call(5, Call::Follow(Target::Account, 0)),
        Op::Call(5, Call::Follow(m0, 3)),
        Op::Corrupt(Fault::DropKey(0)),
        Op::Corrupt(Fault::ReadOnly(0)),
        Op::Corrupt(Fault::NoAuth),
        Op::Corrupt(Fault::WrongSigner),
        Op::Corrupt(Fault::BudgetHalf),
        Op::Corrupt(Fault::BudgetEnd),
        Op::Corrupt(Fault::WrongConstructor),
        Op::Call(1, Call::Mint(2)),
        deploy(8, m0, 1, Ctor::Admin),
        // The emergency build: reads work, `mint` is refused.
        Op::Upload(TokenPaused),
        Op::SetRef(m0, 1, HashArg::Code(TokenPaused)),
        Op::Call(1, Call::Mint(1)),
        Op::Call(1, Call::Version),
        Op::Call(1, Call::Balance),
    ]);
    let failed: u32 = stats.failed.values().sum();
    assert_eq!(failed, 19, "{stats:#?}");
    for reason in [
        "set_ref: Contract(1)",
        "set_ref: Host(Storage, MissingValue)",
        "extend_ref: Host(Storage, InvalidInput)",
        "extend_ref: Host(Storage, MissingValue)",
        "extend_ref: Host(Context, InternalError)",
        "deploy: Host(Storage, ExistingValue)",
        "deploy: Host(Value, InvalidInput)",
        "deploy: Host(Storage, MissingValue)",
        "call version: Host(Storage, MissingValue)",
        "call pin: Host(Storage, MissingValue)",
        "call follow: Host(Value, InvalidInput)",
        "call follow: Host(Storage, MissingValue)",
        "call mint: Contract(5)",
    ] {
        assert!(stats.failed.contains_key(reason), "{reason}: {stats:#?}");
    }
    for kind in FAULTS {
        assert_eq!(
            stats.applied_failures.get(kind),
            Some(&1),
            "{kind}: {stats:#?}"
        );
    }
}
