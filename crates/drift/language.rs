//! The differential workload language, as Rust types: what
//! `tests/tests/differential.rs` generates and `differential.rs` interprets.
//!
//! This file is a module of `differential.rs`, which is compiled twice,
//! unchanged: against the fork by the test and against unforked upstream by
//! `crates/drift`. The generator and the interpreter therefore share one
//! definition, and a misspelt op, field or value is a compile error on both
//! sides rather than a panic on one. JSON (serde, the same derive on both
//! sides) is only the wire format at the process boundary: one [`Workload`]
//! per line from the test to the reference. It depends on nothing but serde,
//! so it says nothing about hosts; `differential.rs` gives each op its
//! meaning.
//!
//! Every op names what it uses by small indices and seeds, never by values a
//! host produced, so any sub-list of a workload is a valid workload (proptest
//! shrinks a failure to a minimal one):
//!
//! - a contract is a [`ContractRef`]: the `i % n`-th of the `n` contracts
//!   created so far (by ops or transactions; a fixed absent contract while
//!   there are none), or the same among those of one [`Kind`] (among all if
//!   there is none of that kind);
//! - an account is [`Address::Account`]: the ed25519 account whose key is 32
//!   bytes `seed` (no ledger entry: only source-account auth works for it);
//! - a Wasm is a [`Wasm`]: a fixture, or [`Wasm::Bogus`].

use serde::{Deserialize, Serialize};

/// One generated workload: the ops, run in order on one main host, and two
/// switches of that host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Diagnostic events on (main host and transactions).
    pub diagnostics: bool,
    /// soroban-sdk's invocation metering: the host resets the budget and the
    /// events at each top-level invocation, as soroban-sdk tests see it.
    pub metering: bool,
    pub ops: Vec<Op>,
}

/// An operation. On the wire, `{"op": "<snake_case name>", fields...}`.
///
/// Ops run on the main host (recording footprint, protocol 27 ledger,
/// unlimited budget) unless said otherwise. The first group are host
/// function calls, at the top level or in a [`Op::Frame`]; the second only
/// mean something in a frame (at the top level they fail as a contract-less
/// host fails them); the third are top-level only (in a frame the
/// interpreter refuses them: the report says `panic`, on both sides).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    // -- host functions, top level or in a frame ------------------------------
    /// `upload_wasm`.
    Upload { wasm: Wasm },
    /// `create_contract`, or `create_contract_with_constructor` when `ctor`
    /// is given (`v2` is not used here; it is for [`HostFn::Create`]).
    Create(Create),
    /// `create_asset_contract`.
    Sac { asset: Asset },
    /// `call`, or `try_call`.
    Call(Call),
    /// `extend_contract_instance_and_code_ttl`, `_instance_ttl` or
    /// `_code_ttl` of the `contract`-th contract (any kind).
    Extend {
        contract: u8,
        what: TtlScope,
        threshold: u32,
        extend_to: u32,
    },
    /// `extend_contract_instance_and_code_ttl_v2`.
    ExtendV2 {
        contract: u8,
        scope: TtlScope,
        extend_to: u32,
        min: u32,
        max: u32,
    },
    /// `get_address_executable`.
    GetExecutable { addr: Address },
    /// A test contract frame of the `contract`-th contract running `body`,
    /// each inner op recorded. Like a contract it stops at the first failing
    /// inner op, and `fail` makes it fail at its end (rolling its writes
    /// back). At most 4 deep.
    Frame {
        contract: u8,
        body: Vec<Op>,
        fail: bool,
    },

    // -- inside a frame -------------------------------------------------------
    /// `put_contract_data`.
    Put { key: Arg, val: Arg, dur: Durability },
    /// `get_contract_data`.
    Get { key: Arg, dur: Durability },
    /// `has_contract_data`.
    Has { key: Arg, dur: Durability },
    /// `del_contract_data`.
    Del { key: Arg, dur: Durability },
    /// `extend_contract_data_ttl`.
    ExtendData {
        key: Arg,
        dur: Durability,
        threshold: u32,
        extend_to: u32,
    },
    /// `extend_contract_data_ttl_v2`.
    ExtendDataV2 {
        key: Arg,
        dur: Durability,
        extend_to: u32,
        min: u32,
        max: u32,
    },
    /// `extend_current_contract_instance_and_code_ttl`.
    ExtendCurrent { threshold: u32, extend_to: u32 },
    /// `contract_event`.
    Event { topics: Vec<Arg>, data: Arg },
    /// `require_auth`.
    RequireAuth { addr: Address },
    /// `require_auth_for_args`.
    RequireAuthForArgs { addr: Address, args: Vec<Arg> },
    /// `authorize_as_curr_contract` with these invocations as the
    /// contract-visible `InvokerContractAuthEntry` list.
    Authorize { entries: Vec<Invocation> },
    /// `update_current_contract_wasm`.
    UpdateWasm { wasm: Wasm },
    /// `get_current_contract_address`.
    CurrentAddress,

    // -- top level only ---------------------------------------------------------
    /// `switch_to_recording_auth`, or `set_authorization_entries`.
    Auth(AuthMode),
    /// `set_source_account`.
    Source { acct: u8 },
    /// `get_recorded_auth_payloads`.
    RecordedAuth,
    /// Moves the ledger sequence (and time) on by `advance`.
    Ledger { advance: u32 },
    /// Runs `body` (any top-level op but `Limited` and `Tx`) with a budget of
    /// `cpu` instructions and `mem` bytes.
    Limited { cpu: u64, mem: u64, body: Box<Op> },
    /// `invoke_function`, as a transaction's host runs it, after
    /// `set_authorization_entries(auth)` if `auth` is given.
    Invoke {
        #[serde(rename = "fn")]
        func: HostFn,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth: Option<Vec<AuthEntry>>,
    },
    /// A transaction through stellar-core's entry points, simulated then
    /// applied (see [`Tx`]).
    Tx(Tx),
}

impl Op {
    /// The op's tag on the wire, which names its records in the report
    /// (`#3.1 put`).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Upload { .. } => "upload",
            Op::Create(_) => "create",
            Op::Sac { .. } => "sac",
            Op::Call(_) => "call",
            Op::Extend { .. } => "extend",
            Op::ExtendV2 { .. } => "extend_v2",
            Op::GetExecutable { .. } => "get_executable",
            Op::Frame { .. } => "frame",
            Op::Put { .. } => "put",
            Op::Get { .. } => "get",
            Op::Has { .. } => "has",
            Op::Del { .. } => "del",
            Op::ExtendData { .. } => "extend_data",
            Op::ExtendDataV2 { .. } => "extend_data_v2",
            Op::ExtendCurrent { .. } => "extend_current",
            Op::Event { .. } => "event",
            Op::RequireAuth { .. } => "require_auth",
            Op::RequireAuthForArgs { .. } => "require_auth_for_args",
            Op::Authorize { .. } => "authorize",
            Op::UpdateWasm { .. } => "update_wasm",
            Op::CurrentAddress => "current_address",
            Op::Auth(_) => "auth",
            Op::Source { .. } => "source",
            Op::RecordedAuth => "recorded_auth",
            Op::Ledger { .. } => "ledger",
            Op::Limited { .. } => "limited",
            Op::Invoke { .. } => "invoke",
            Op::Tx(_) => "tx",
        }
    }
}

/// A Wasm: one of the protocol-27 fixtures (stock soroban-sdk, interface
/// 27), or `Bogus`: a hash never uploaded, and as upload bytes not Wasm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wasm {
    FollowerV1,
    FollowerV2,
    TokenV1,
    TokenV2,
    Account,
    Bogus,
}

/// The fixtures, in the order the generator samples them.
pub const FIXTURES: [Wasm; 5] = [
    Wasm::FollowerV1,
    Wasm::FollowerV2,
    Wasm::TokenV1,
    Wasm::TokenV2,
    Wasm::Account,
];

impl Wasm {
    /// The kind of a contract created from this Wasm.
    pub fn kind(self) -> Kind {
        match self {
            Wasm::FollowerV1 | Wasm::FollowerV2 => Kind::Follower,
            Wasm::TokenV1 | Wasm::TokenV2 => Kind::Token,
            Wasm::Account => Kind::Account,
            Wasm::Bogus => Kind::Bogus,
        }
    }
}

/// What a contract was created from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Follower,
    Token,
    Account,
    /// A Stellar asset contract.
    Sac,
    /// From [`Wasm::Bogus`]: never created (the hash is never uploaded), kept
    /// so that every Wasm has a kind.
    Bogus,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Follower => "follower",
            Kind::Token => "token",
            Kind::Account => "account",
            Kind::Sac => "sac",
            Kind::Bogus => "bogus",
        }
    }
}

/// The `contract`-th contract created so far (modulo their number), among
/// those of `kind` if given and there are any. On the wire `{"contract": i}`
/// or `{"contract": i, "kind": k}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractRef {
    pub contract: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
}

impl ContractRef {
    pub fn any(contract: u8) -> Self {
        ContractRef {
            contract,
            kind: None,
        }
    }

    pub fn of(kind: Kind, contract: u8) -> Self {
        ContractRef {
            contract,
            kind: Some(kind),
        }
    }
}

/// An account, on the wire `{"acct": seed}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountRef {
    pub acct: u8,
}

/// An address: an account or a contract (on the wire, the object of
/// either).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Address {
    Account(AccountRef),
    Contract(ContractRef),
}

impl Address {
    pub fn acct(seed: u8) -> Self {
        Address::Account(AccountRef { acct: seed })
    }

    pub fn contract(c: ContractRef) -> Self {
        Address::Contract(c)
    }
}

/// A value (`ScVal`). On the wire `{"u32": n}`, `{"i128": "decimal"}`,
/// `{"bytes": [len, fill]}`, `"void"`, `{"vec": [..]}`, `{"map": [[k, v],
/// ..]}`, or an address's object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arg {
    U32(u32),
    I32(i32),
    U64(u64),
    /// A decimal string on the wire (JSON numbers stop at 64 bits).
    I128(#[serde(with = "decimal")] i128),
    Sym(String),
    Str(String),
    /// `len` bytes, each `fill`.
    Bytes(u32, u8),
    Bool(bool),
    Void,
    Vec(Vec<Arg>),
    /// Entries in the order given (a host map's keys must be sorted and
    /// unique: the generator's are).
    Map(Vec<(Arg, Arg)>),
    #[serde(untagged)]
    Addr(Address),
}

impl Arg {
    pub fn sym(s: &str) -> Self {
        Arg::Sym(s.to_string())
    }
}

/// An `i128` as a decimal string.
mod decimal {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(n: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(n)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(D::Error::custom)
    }
}

/// A storage durability: `p`ersistent, `t`emporary or `i`nstance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Durability {
    #[serde(rename = "p")]
    Persistent,
    #[serde(rename = "t")]
    Temporary,
    #[serde(rename = "i")]
    Instance,
}

/// What a contract TTL extension covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TtlScope {
    InstanceAndCode,
    Instance,
    Code,
}

/// An asset contract's asset: `"native"`, or `{"code", "issuer"}` (an
/// alphanum4 code issued by the account of seed `issuer`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Asset {
    Native,
    #[serde(untagged)]
    Alphanum4 {
        code: String,
        issuer: u8,
    },
}

/// A contract creation: by [`Op::Create`], as a [`HostFn`] or as an
/// authorized function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Create {
    pub deployer: Address,
    pub wasm: Wasm,
    pub salt: u8,
    /// Constructor arguments; none is the constructor-less
    /// `create_contract` (as a host function: no arguments).
    pub ctor: Option<Vec<Arg>>,
    /// As a host function or authorized function, `CreateContractV2`
    /// (with constructor arguments) rather than `CreateContract`.
    #[serde(default)]
    pub v2: bool,
}

/// A contract function and its arguments. On the wire the contract's fields
/// sit beside `fn` and `args`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    #[serde(flatten)]
    pub contract: ContractRef,
    #[serde(rename = "fn")]
    pub func: String,
    pub args: Vec<Arg>,
}

/// [`Op::Call`]: a call, or with `try_call` a `try_call`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    #[serde(flatten)]
    pub target: Target,
    #[serde(rename = "try")]
    pub try_call: bool,
}

/// A host function as a transaction carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostFn {
    Call(Target),
    Create(Create),
    Upload(Wasm),
    Sac(Asset),
}

/// An authorized function (`SorobanAuthorizedFunction`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthFn {
    Call(Target),
    Create(Create),
}

impl HostFn {
    /// The authorized function of this host function, if it has one.
    pub fn auth_fn(&self) -> Option<AuthFn> {
        match self {
            HostFn::Call(t) => Some(AuthFn::Call(t.clone())),
            HostFn::Create(c) => Some(AuthFn::Create(c.clone())),
            HostFn::Upload(_) | HostFn::Sac(_) => None,
        }
    }

    /// The kind of the contract this host function creates, if it creates
    /// one.
    pub fn created_kind(&self) -> Option<Kind> {
        match self {
            HostFn::Create(c) => Some(c.wasm.kind()),
            HostFn::Sac(_) => Some(Kind::Sac),
            HostFn::Call(_) | HostFn::Upload(_) => None,
        }
    }
}

/// An authorized invocation and its sub-invocations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invocation {
    #[serde(rename = "fn")]
    pub func: AuthFn,
    pub subs: Vec<Invocation>,
}

/// A `SorobanAuthorizationEntry`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthEntry {
    pub creds: Credentials,
    pub root: Invocation,
}

/// An auth entry's credentials: `"source"`, or an address's (signatures
/// are `Void`: the `account` fixture's `__check_auth` accepts anything).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credentials {
    Source,
    #[serde(untagged)]
    Address(AddressCredentials),
}

/// Address credentials; the signature expires `exp` ledgers after the
/// current one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressCredentials {
    pub addr: Address,
    pub nonce: u64,
    pub exp: u32,
    pub kind: CredentialsKind,
    /// The delegates' addresses (`Delegates` only).
    pub delegates: Vec<Address>,
}

/// `Address`, `AddressV2` or `AddressWithDelegates` credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialsKind {
    Address,
    V2,
    Delegates,
}

/// [`Op::Auth`]: the main host's auth mode. On the wire a `mode` field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthMode {
    Recording { disable_non_root: bool },
    Enforcing { entries: Vec<AuthEntry> },
}

/// [`Op::Tx`]: a transaction through stellar-core's entry points on a
/// ledger of its own (the main host's storage overlaid with the ledger
/// changes of the transactions applied before; the main host does not see
/// them), simulated with `invoke_host_function_in_recording_mode`, then
/// applied with `invoke_host_function`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tx {
    #[serde(rename = "fn")]
    pub func: HostFn,
    /// The source account's seed.
    pub source: u8,
    pub sim_auth: SimAuth,
    pub apply_auth: ApplyAuth,
    pub footprint: Footprint,
    /// The application's CPU budget; none is unlimited.
    pub cpu: Option<CpuLimit>,
    /// The application's memory budget in bytes; none is unlimited.
    pub mem: Option<u64>,
}

/// How a transaction is simulated, as a client would.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimAuth {
    /// Recording auth.
    Record { disable_non_root: bool, v2: bool },
    /// Enforcing these entries.
    Enforce(Vec<AuthEntry>),
    /// Recording, then again enforcing the recorded entries with their
    /// signatures' expiration set `exp` ledgers on: the second pass runs
    /// custom accounts' `__check_auth`, so its footprint covers them.
    TwoPass {
        disable_non_root: bool,
        v2: bool,
        exp: u32,
    },
}

/// The auth a transaction is applied with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyAuth {
    /// The simulation's.
    Recorded,
    /// None.
    #[serde(rename = "none")]
    Nothing,
}

/// The footprint a transaction is applied with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Footprint {
    /// The simulation's.
    Recorded,
    /// The simulation's without its first read-only key.
    DropRo,
    /// The simulation's without its first read-write key.
    DropRw,
}

/// A transaction's CPU budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CpuLimit {
    /// Instructions.
    Abs(u64),
    /// A percentage of the simulated instructions.
    Pct(u64),
}
