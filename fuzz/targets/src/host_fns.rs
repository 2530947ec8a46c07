//! The seven Wasm-ref host functions (`l.h`..`l.n`) called through the `Env`
//! trait, as a native contract calls them (the same argument checks as the
//! VM's dispatch: tags, object handles), from test contract frames of a
//! manager, a follower, a factory, a plain contract or a missing contract.
//!
//! Ledger: a manager with refs `token` (follower v1) and `fleet2` (v2), a
//! follower of `token`, a factory, a plain v2 contract, their code. Each input
//! picks the protocol (27 or 28), the footprint (recording, or enforcing with
//! each entry absent / read-only / read-write), the auth mode, the budget
//! limits, and a sequence of operations with arbitrary arguments: symbols
//! (small, object, invalid), addresses, hashes of any length, vectors, and
//! valid, mis-tagged or dangling object handles.
//!
//! Asserts, besides "no panic":
//! - each operation runs in its own frame; when the frame fails, the ledger
//!   is exactly as before it (entries and TTLs);
//! - `set`, `get`, `has`, `extend` and `update` write nothing before failing
//!   other than by running out of budget (the state inside the frame right
//!   after the error equals the state before);
//! - at protocol 27 every one of the seven functions fails;
//! - no operation fails with an internal error (the ledger is well-formed);
//! - `has` and `get` agree, and `get` returns exactly the ref entry's hash;
//! - a contract call that succeeds runs the code its executable resolves to
//!   in the ledger (`version()` is 1 for follower v1, 2 for v2).

use std::{collections::BTreeMap, rc::Rc, sync::OnceLock};

use extref_testkit::{
    call, fixtures, host_ledger_info, ledger_state, recording_host, sym, Fleet, BASE_PROTOCOL,
    FORK_PROTOCOL,
};
use soroban_env_host::{
    budget::Budget,
    storage::{AccessType, Footprint, Storage},
    testutils::MockSnapshotSource,
    xdr::{
        AccountId, ContractDataDurability, ContractExecutable, ContractId, Hash, LedgerEntry,
        LedgerEntryData, LedgerKey, LedgerKeyContractData, PublicKey, ScAddress, ScErrorCode,
        ScErrorType, ScSymbol, ScVal, Uint256,
    },
    AddressObject, BytesObject, Env, EnvBase, Host, HostError, MeteredOrdMap, Object, Symbol, Tag,
    TryFromVal, Val, VecObject,
};

use crate::Reader;

/// Ref keys of the base ledger, and symbols the operations pick from.
pub const NAMES: &[&str] = &[
    "token",
    "fleet2",
    "other",
    "a_symbol_of_exactly_32_chars_xyz",
];

/// Operation codes (`op % OPS`).
pub const OP_SET: u8 = 0;
pub const OP_CREATE: u8 = 1;
pub const OP_GET: u8 = 2;
pub const OP_HAS: u8 = 3;
pub const OP_EXTEND: u8 = 4;
pub const OP_UPDATE: u8 = 5;
pub const OP_CREATE_WITH_CONSTRUCTOR: u8 = 6;
/// `version()` on a contract (runs Wasm), checked against the ledger.
pub const OP_CALL_VERSION: u8 = 7;
/// Upstream's `update_current_contract_wasm`: pins a hash again.
pub const OP_PIN_WASM: u8 = 8;
/// Later operations run in a frame of another contract.
pub const OP_SWITCH_FRAME: u8 = 9;
pub const OPS: u8 = 10;

/// Header flag bits.
pub const FLAG_PROTOCOL_27: u8 = 1;
pub const FLAG_ENFORCING_FOOTPRINT: u8 = 2;
pub const FLAG_ENFORCING_AUTH: u8 = 4;
pub const FLAG_LIMITED_BUDGET: u8 = 8;
pub const FLAG_DEBUG: u8 = 16;
/// Enforcing footprint only: also allow writing refs `NAMES` of every contract.
pub const FLAG_FOOTPRINT_NEW_REFS: u8 = 32;

/// The base ledger, built once with real Wasm by the testkit.
pub struct Base {
    pub entries: Vec<(LedgerKey, LedgerEntry, Option<u32>)>,
    /// Frame / call targets: manager, follower, factory, plain, missing.
    pub contracts: [ScAddress; 5],
    /// Code hashes: follower v1, v2, manager, factory.
    pub hashes: [Hash; 4],
}

pub const MANAGER: usize = 0;
pub const FOLLOWER: usize = 1;
pub const FACTORY: usize = 2;
pub const PLAIN: usize = 3;
pub const MISSING: usize = 4;

fn contract_id(addr: &ScAddress) -> ContractId {
    match addr {
        ScAddress::Contract(id) => id.clone(),
        other => panic!("not a contract: {other:?}"),
    }
}

pub fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| build_base().expect("base ledger"))
}

fn build_base() -> Result<Base, HostError> {
    let mut fleet = Fleet::setup(recording_host(FORK_PROTOCOL)?, "token")?;
    fleet.deploy("token", 1)?;
    fleet.set_ref("fleet2", fleet.v2)?;
    let host = &fleet.host;
    let plain = host.create_contract(
        extref_testkit::account(host, 2)?,
        fleet.v2,
        extref_testkit::bytes32(host, [7; 32])?,
    )?;
    let addr = |a: AddressObject| host.scaddress_from_address(a);
    let hash = |b: BytesObject| extref_testkit::hash_of(host, b);
    let manager_hash = extref_testkit::e2e::wasm_hash(fixtures::MANAGER);
    let factory_hash = extref_testkit::e2e::wasm_hash(fixtures::FACTORY);
    Ok(Base {
        entries: ledger_state(host)?,
        contracts: [
            addr(fleet.manager)?,
            addr(fleet.followers[0])?,
            addr(fleet.factory)?,
            addr(plain)?,
            ScAddress::Contract(ContractId(Hash([0x99; 32]))),
        ],
        hashes: [hash(fleet.v1)?, hash(fleet.v2)?, manager_hash, factory_hash],
    })
}

/// Entries by key with their live-until ledgers: the ledger as the host sees
/// it (the base, overlaid with what the host's storage loaded or wrote).
type State = BTreeMap<LedgerKey, (LedgerEntry, Option<u32>)>;

fn state(host: &Host, base: &Base) -> State {
    let mut s: State = base
        .entries
        .iter()
        .map(|(k, e, l)| (k.clone(), (e.clone(), *l)))
        .collect();
    for (k, v) in host.get_stored_entries().expect("storage borrow") {
        match v {
            Some((e, l)) => s.insert((*k).clone(), ((*e).clone(), l)),
            None => s.remove(&k),
        };
    }
    s
}

fn ref_key(manager: &ScAddress, key: &ScSymbol) -> LedgerKey {
    LedgerKey::ContractData(LedgerKeyContractData {
        contract: manager.clone(),
        key: ScVal::LedgerKeyWasmRef(key.clone()),
        durability: ContractDataDurability::Persistent,
    })
}

fn instance_key(contract: &ScAddress) -> LedgerKey {
    extref_testkit::e2e::instance_key(contract)
}

fn data_val(s: &State, key: &LedgerKey) -> Option<ScVal> {
    match &s.get(key)?.0.data {
        LedgerEntryData::ContractData(d) => Some(d.val.clone()),
        _ => None,
    }
}

/// The hash a ref entry holds (a well-formed one: 32 bytes).
fn ref_hash(s: &State, manager: &ScAddress, key: &ScSymbol) -> Option<Hash> {
    match data_val(s, &ref_key(manager, key))? {
        ScVal::Bytes(b) => <[u8; 32]>::try_from(b.as_slice()).ok().map(Hash),
        _ => None,
    }
}

/// The `version()` a successful call of `contract` must answer, from the
/// ledger: its executable, resolved through the ref entry if it is a ref.
fn expected_version(s: &State, base: &Base, contract: &ScAddress) -> Option<u32> {
    let ScVal::ContractInstance(instance) = data_val(s, &instance_key(contract))? else {
        return None;
    };
    let hash = match instance.executable {
        ContractExecutable::Wasm(h) => h,
        ContractExecutable::ExternalRef(r) => ref_hash(s, &r.manager, &r.key)?,
        ContractExecutable::StellarAsset => return None,
    };
    base.hashes[..2]
        .iter()
        .position(|h| *h == hash)
        .map(|i| i as u32 + 1)
}

/// Asserts two ledger states are equal, naming what differs.
fn assert_same(before: &State, after: &State, what: &str) {
    if before == after {
        return;
    }
    let mut diffs = vec![];
    for (k, v) in after {
        match before.get(k) {
            None => diffs.push(format!("created {k:?}")),
            Some(b) if b.1 != v.1 => diffs.push(format!("ttl {:?} -> {:?} of {k:?}", b.1, v.1)),
            Some(b) if b != v => diffs.push(format!("modified {k:?}: {:?}", v.0.data)),
            _ => {}
        }
    }
    for k in before.keys().filter(|k| !after.contains_key(k)) {
        diffs.push(format!("deleted {k:?}"));
    }
    panic!("{what} changed the ledger:\n{}", diffs.join("\n"));
}

/// A host for one input, on the base ledger.
fn new_host(base: &Base, flags: u8, r: &mut Reader) -> Result<Host, HostError> {
    let budget = Budget::default();
    budget.reset_unlimited()?;
    let storage = if flags & FLAG_ENFORCING_FOOTPRINT != 0 {
        let mut footprint = MeteredOrdMap::new();
        let mut map = MeteredOrdMap::new();
        for (key, entry, live_until) in &base.entries {
            let access = match r.choose(3) {
                0 => continue,
                1 => AccessType::ReadOnly,
                _ => AccessType::ReadWrite,
            };
            let key = Rc::new(key.clone());
            footprint = footprint.insert(key.clone(), access, &budget)?;
            map = map.insert(key, Some((Rc::new(entry.clone()), *live_until)), &budget)?;
        }
        if flags & FLAG_FOOTPRINT_NEW_REFS != 0 {
            for contract in &base.contracts {
                for name in NAMES {
                    let key = Rc::new(ref_key(contract, &ScSymbol((*name).try_into().unwrap())));
                    if footprint.get::<Rc<LedgerKey>>(&key, &budget)?.is_none() {
                        footprint =
                            footprint.insert(key.clone(), AccessType::ReadWrite, &budget)?;
                        map = map.insert(key, None, &budget)?;
                    }
                }
            }
        }
        Storage::with_enforcing_footprint_and_map(Footprint(footprint), map)
    } else {
        let entries = base
            .entries
            .iter()
            .map(|(_, e, l)| (e.clone(), *l))
            .collect();
        Storage::with_recording_footprint(Rc::new(MockSnapshotSource::from_entries(entries)))
    };
    let host = Host::with_storage_and_budget(storage, budget);
    let protocol = if flags & FLAG_PROTOCOL_27 != 0 {
        BASE_PROTOCOL
    } else {
        FORK_PROTOCOL
    };
    host.set_ledger_info(host_ledger_info(protocol))?;
    host.set_base_prng_seed([0; 32])?;
    if flags & FLAG_ENFORCING_AUTH == 0 {
        // Non-root auth allowed: test frames have no root invocation.
        host.switch_to_recording_auth(false)?;
    }
    if flags & FLAG_DEBUG != 0 || crate::tracing() {
        host.enable_debug()?;
    }
    Ok(host)
}

/// Objects created before the run: what handles (valid or re-tagged) point at.
struct Objects {
    all: Vec<Val>,
    /// Address objects: the five contracts, then two accounts.
    addresses: Vec<AddressObject>,
    /// Bytes objects: the four code hashes, then 32 zero bytes.
    bytes: Vec<BytesObject>,
    vecs: Vec<VecObject>,
    symbols: Vec<Symbol>,
}

impl Objects {
    fn new(host: &Host, base: &Base) -> Result<Self, HostError> {
        let mut addresses = vec![];
        for c in &base.contracts {
            addresses.push(AddressObject::try_from_val(
                host,
                &Val::try_from_val(host, &ScVal::Address(c.clone()))?,
            )?);
        }
        for seed in [1, 9] {
            let id = AccountId(PublicKey::PublicKeyTypeEd25519(Uint256([seed; 32])));
            addresses.push(AddressObject::try_from_val(
                host,
                &Val::try_from_val(host, &ScVal::Address(ScAddress::Account(id)))?,
            )?);
        }
        let mut bytes = vec![];
        for h in &base.hashes {
            bytes.push(host.bytes_new_from_slice(&h.0)?);
        }
        bytes.push(host.bytes_new_from_slice(&[0; 32])?);
        let vecs = vec![
            host.vec_new()?,
            host.vec_new_from_slice(&[1u32.into()])?,
            host.vec_new_from_slice(&[addresses[0].into(), bytes[0].into()])?,
        ];
        let symbols = NAMES
            .iter()
            .map(|n| sym(host, n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut all: Vec<Val> = vec![];
        all.extend(addresses.iter().map(|v| v.to_val()));
        all.extend(bytes.iter().map(|v| v.to_val()));
        all.extend(vecs.iter().map(|v| v.to_val()));
        all.extend(symbols.iter().map(|v| v.to_val()));
        all.push(host.map_new()?.to_val());
        all.push(host.string_new_from_slice(b"not a symbol")?.to_val());
        // Only objects: a re-tagged small value would be a relative handle.
        all.retain(|v| Object::try_from(*v).is_ok());
        Ok(Objects {
            all,
            addresses,
            bytes,
            vecs,
            symbols,
        })
    }
}

/// `val`'s payload with its tag replaced: a handle to another object's slot
/// (or a non-object) presented as `tag`.
fn retag(val: Val, tag: Tag) -> Val {
    Val::from_payload((val.get_payload() & !0xff) | tag as u64)
}

/// An object of type `tag` at object-table index `index` (its absolute
/// handle is `index << 1 | 1`): valid, of another type, or dangling.
///
/// Native callers only ever hold absolute handles: the VM turns a Wasm
/// frame's relative handles into absolute ones, or fails, before a host
/// function runs, and the host refuses a relative handle outside a VM as an
/// internal error. Indices stay below 2^23, so that a dangling handle's
/// payload fits a small `U64Val`: above that, upstream's "unknown object
/// reference" error allocates its argument while the object table is
/// borrowed and fails as `(Context, InternalError)` instead, which only a
/// native caller can reach (Wasm never gets past the relative table).
fn raw_object(index: u32, tag: Tag) -> Val {
    let handle = ((index % (1 << 23)) << 1) | 1;
    Val::from_payload(((handle as u64) << 32) | tag as u64)
}

/// Typed arguments from the input. `None` when the input asks for a value
/// the host would not build (e.g. an invalid symbol string), or the host ran
/// out of budget building it: the operation is skipped.
struct Args<'h> {
    host: &'h Host,
    objs: &'h Objects,
}

impl Args<'_> {
    /// A typed wrapper around a `Val` whose tag is already right.
    fn typed<T: TryFrom<Val>>(v: Val) -> Option<T> {
        T::try_from(v).ok()
    }

    /// The common tail of every object-typed choice: an existing object of
    /// any type re-tagged as `tag`, or a raw (likely dangling) handle.
    fn handle(&self, r: &mut Reader, tag: Tag) -> Val {
        if r.u8().is_multiple_of(2) {
            retag(self.objs.all[r.choose(self.objs.all.len())], tag)
        } else {
            // Mostly near the live objects, sometimes anywhere.
            let index = match r.u8() % 4 {
                0 => r.u32(),
                _ => r.u8() as u32,
            };
            raw_object(index, tag)
        }
    }

    fn symbol(&self, r: &mut Reader) -> Option<Symbol> {
        match r.u8() % 8 {
            0..=3 => Some(self.objs.symbols[r.choose(self.objs.symbols.len())]),
            4 => {
                // A symbol from arbitrary bytes: valid ones of any length become
                // small symbols or symbol objects; invalid ones are refused.
                let len = r.choose(40);
                let s = r.bytes(len);
                let s = std::str::from_utf8(&s).ok()?;
                Symbol::try_from_val(self.host, &s).ok()
            }
            5 => {
                let body = ((r.u32() as u64) << 24) | (r.u32() as u64 & 0xff_ffff);
                Self::typed(Val::from_payload((body << 8) | Tag::SymbolSmall as u64))
            }
            _ => Self::typed(self.handle(r, Tag::SymbolObject)),
        }
    }

    fn address(&self, r: &mut Reader) -> Option<AddressObject> {
        match r.u8() % 4 {
            0..=2 => Some(self.objs.addresses[r.choose(self.objs.addresses.len())]),
            _ => Self::typed(self.handle(r, Tag::AddressObject)),
        }
    }

    /// Hashes and salts: the known code hashes, bytes of any length, or handles.
    fn bytes(&self, r: &mut Reader) -> Option<BytesObject> {
        match r.u8() % 6 {
            0..=2 => Some(self.objs.bytes[r.choose(self.objs.bytes.len())]),
            3 => {
                let b = r.array32();
                self.host.bytes_new_from_slice(&b).ok()
            }
            4 => {
                let len = r.choose(66);
                let b = r.bytes(len);
                self.host.bytes_new_from_slice(&b).ok()
            }
            _ => Self::typed(self.handle(r, Tag::BytesObject)),
        }
    }

    fn vec(&self, r: &mut Reader) -> Option<VecObject> {
        match r.u8() % 4 {
            0..=2 => Some(self.objs.vecs[r.choose(self.objs.vecs.len())]),
            _ => Self::typed(self.handle(r, Tag::VecObject)),
        }
    }
}

fn is_budget_error(e: &HostError) -> bool {
    e.error.is_type(ScErrorType::Budget)
}

pub fn run(data: &[u8]) {
    let base = base();
    let mut r = Reader::new(data);
    let flags = r.u8();
    let (cpu, mem) = (r.u32(), r.u32());
    let Ok(host) = new_host(base, flags, &mut r) else {
        return;
    };
    let Ok(objs) = Objects::new(&host, base) else {
        return;
    };
    if flags & FLAG_LIMITED_BUDGET != 0 {
        // Up to ~430M instructions and ~270 MB: from "nothing" to "ample".
        let cpu = (cpu as u64 % 5_000_000) * (1 + (cpu >> 26) as u64);
        let mem = (mem as u64 % 4_000_000) * (1 + (mem >> 26) as u64);
        host.budget_cloned()
            .reset_limits(cpu, mem)
            .expect("budget borrow");
    }
    let protocol_27 = flags & FLAG_PROTOCOL_27 != 0;
    let args = Args {
        host: &host,
        objs: &objs,
    };
    let mut frame = r.choose(base.contracts.len());
    let mut ops = 0;
    while !r.is_empty() && ops < 24 {
        ops += 1;
        let op = r.u8() % OPS;
        if op == OP_SWITCH_FRAME {
            frame = r.choose(base.contracts.len());
            continue;
        }
        run_op(&host, base, &args, &mut r, op, frame, protocol_27);
    }
}

/// One operation with its arguments, read from the input before it runs so
/// that every input byte keeps its meaning whatever happens (a skipped
/// operation, a frame that cannot be pushed). `None` arguments are values
/// the host would not build: the operation is then skipped.
#[derive(Debug)]
enum Op {
    Set(Option<Symbol>, Option<BytesObject>),
    Create(
        Option<AddressObject>,
        Option<AddressObject>,
        Option<Symbol>,
        Option<BytesObject>,
    ),
    CreateWithConstructor(
        Option<AddressObject>,
        Option<AddressObject>,
        Option<Symbol>,
        Option<BytesObject>,
        Option<VecObject>,
    ),
    GetOrHas(bool, Option<AddressObject>, Option<Symbol>),
    Extend(Option<Symbol>, u32, u32),
    Update(Option<AddressObject>, Option<Symbol>),
    PinWasm(Option<BytesObject>),
    CallVersion(usize),
}

impl Op {
    fn read(op: u8, a: &Args, r: &mut Reader) -> Op {
        match op {
            OP_SET => Op::Set(a.symbol(r), a.bytes(r)),
            OP_CREATE => Op::Create(a.address(r), a.address(r), a.symbol(r), a.bytes(r)),
            OP_CREATE_WITH_CONSTRUCTOR => Op::CreateWithConstructor(
                a.address(r),
                a.address(r),
                a.symbol(r),
                a.bytes(r),
                a.vec(r),
            ),
            OP_GET | OP_HAS => Op::GetOrHas(op == OP_GET, a.address(r), a.symbol(r)),
            OP_EXTEND => Op::Extend(a.symbol(r), r.u32(), r.u32()),
            OP_UPDATE => Op::Update(a.address(r), a.symbol(r)),
            OP_PIN_WASM => Op::PinWasm(a.bytes(r)),
            OP_CALL_VERSION => Op::CallVersion(r.choose(5)),
            _ => unreachable!("op {op}"),
        }
    }

    /// Runs the operation in the current frame: `None` if it was skipped,
    /// else the host function's result.
    fn run(&self, host: &Host, base: &Base, a: &Args) -> Option<Result<(), HostError>> {
        Some(match *self {
            Op::Set(key, hash) => host.set_contract_wasm_ref(key?, hash?).map(|_| ()),
            Op::Create(deployer, manager, key, salt) => host
                .create_contract_with_external_ref(deployer?, manager?, key?, salt?)
                .map(|_| ()),
            Op::CreateWithConstructor(deployer, manager, key, salt, args) => host
                .create_contract_with_external_ref_and_constructor(
                    deployer?, manager?, key?, salt?, args?,
                )
                .map(|_| ()),
            Op::GetOrHas(get_first, manager, key) => {
                check_get_and_has(host, base, manager?, key?, get_first)
            }
            Op::Extend(key, threshold, extend_to) => host
                .extend_contract_wasm_ref_ttl(key?, threshold.into(), extend_to.into())
                .map(|_| ()),
            Op::Update(manager, key) => host
                .update_current_contract_external_ref(manager?, key?)
                .map(|_| ()),
            Op::PinWasm(hash) => host.update_current_contract_wasm(hash?).map(|_| ()),
            Op::CallVersion(callee) => {
                let expected = expected_version(&state(host, base), base, &base.contracts[callee]);
                let res = call(host, a.objs.addresses[callee], "version", &[]);
                if let Ok(v) = &res {
                    let got = u32::try_from(*v).ok();
                    assert!(
                        got.is_some() && got == expected,
                        "{:?} answered version {got:?}, its ledger resolves to {expected:?}",
                        base.contracts[callee]
                    );
                }
                res.map(|_| ())
            }
        })
    }
}

/// What an operation observed inside its frame.
struct Outcome {
    err: Option<HostError>,
    /// The ledger right after the host function returned, inside the frame.
    in_frame: State,
}

fn run_op(
    host: &Host,
    base: &Base,
    a: &Args,
    r: &mut Reader,
    code: u8,
    frame: usize,
    protocol_27: bool,
) {
    let op = Op::read(code, a, r);
    let current = &base.contracts[frame];
    let before = state(host, base);
    let mut outcome = None;
    let func = Symbol::try_from_small_str("test").expect("small symbol");
    let frame_res = host.with_test_contract_frame(contract_id(current), func, || {
        let Some(res) = op.run(host, base, a) else {
            return Ok(Val::VOID.into());
        };
        let in_frame = state(host, base);
        let err = res.err();
        let ret = match &err {
            Some(e) => Err(e.clone()),
            None => Ok(Val::VOID.into()),
        };
        outcome = Some(Outcome { err, in_frame });
        ret
    });
    let after = state(host, base);
    if crate::tracing() {
        let res = outcome.as_ref().map(|o| o.err.as_ref().map(|e| e.error));
        let frame_res = frame_res.as_ref().map_err(|e| e.error);
        eprintln!("host_fns: {op:?} in frame {frame}: {res:?}, frame {frame_res:?}");
    }
    if frame_res.is_err() {
        assert_same(&before, &after, &format!("a failed frame ({op:?})"));
    }
    let Some(Outcome { err, in_frame }) = outcome else {
        return; // the operation was skipped, or the frame could not be pushed
    };
    if protocol_27 && code <= OP_CREATE_WITH_CONSTRUCTOR {
        assert!(err.is_some(), "op {code} succeeded at protocol 27");
    }
    if let Some(e) = &err {
        // The ledger here is well-formed: an internal error is a host bug.
        assert!(
            !e.error.is_code(ScErrorCode::InternalError),
            "op {code} failed with an internal error: {e:?}"
        );
        // Checks come before writes. Running out of budget can happen at any
        // charge, after the write too (e.g. in `set`'s event): then the frame's
        // rollback, asserted above, is what undoes it.
        if matches!(code, OP_SET | OP_GET | OP_HAS | OP_EXTEND | OP_UPDATE) && !is_budget_error(e) {
            assert_same(
                &before,
                &in_frame,
                &format!("{op:?}, before failing with {:?},", e.error),
            );
        }
    }
}

/// `get_contract_wasm_ref` or `has_contract_wasm_ref` (the operation, whose
/// result this returns), then the other one in the same frame as a check:
/// they agree with each other and `get` returns the ledger's ref hash.
fn check_get_and_has(
    host: &Host,
    base: &Base,
    manager: AddressObject,
    key: Symbol,
    get_first: bool,
) -> Result<(), HostError> {
    let (got, had) = if get_first {
        let got = host.get_contract_wasm_ref(manager, key);
        if got.is_err() {
            return got.map(|_| ());
        }
        (got, host.has_contract_wasm_ref(manager, key))
    } else {
        let had = host.has_contract_wasm_ref(manager, key);
        if had.is_err() {
            return had.map(|_| ());
        }
        (host.get_contract_wasm_ref(manager, key), had)
    };
    let first = if get_first {
        got.as_ref().map(|_| ())
    } else {
        had.as_ref().map(|_| ())
    };
    let first = first.map_err(|e| e.clone());
    // A budget error on the check says nothing about the ref.
    let spent = |r: Result<(), &HostError>| matches!(r, Err(e) if is_budget_error(e));
    if spent(got.as_ref().map(|_| ())) || spent(had.as_ref().map(|_| ())) {
        return first;
    }
    let had = bool::from(had.expect("has succeeded"));
    match &got {
        Ok(bytes) => {
            assert!(had, "get_contract_wasm_ref found a ref has_ denies");
            // The ref as the ledger holds it (skipped if the budget is spent).
            let v = Vec::<u8>::try_from_val(host, &bytes.to_val());
            let manager = host.scaddress_from_address(manager);
            let key = ScVal::try_from_val(host, &key.to_val());
            if let (Ok(v), Ok(manager), Ok(ScVal::Symbol(key))) = (v, manager, key) {
                let in_ledger = ref_hash(&state(host, base), &manager, &key);
                assert_eq!(
                    Some(v.as_slice()),
                    in_ledger.as_ref().map(|h| h.0.as_slice()),
                    "get_contract_wasm_ref differs from the ledger's ref entry"
                );
            }
        }
        Err(e) => {
            assert!(!had, "has_contract_wasm_ref found a ref get_ fails on");
            assert!(
                e.error.is_type(ScErrorType::Storage) && e.error.is_code(ScErrorCode::MissingValue),
                "get_contract_wasm_ref of a missing ref: {:?}",
                e.error
            );
        }
    }
    first
}
