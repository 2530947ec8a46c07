//! The bad-input catalogue (`docs/bad-input.md`): every row of its table is one
//! entry of [`CASES`] and one `#[test]` of the same name, generated together by
//! the `catalogue!` macro, and `the_table_is_the_registry` checks that the
//! document's rows (ID, input, path, expected error, storage) are exactly the
//! registry's, in order.
//!
//! The harness is the test kit's (`extref_testkit::bad_input`); this file
//! keeps the catalogue, its worlds and its inputs. A case runs through one of
//! two harnesses, the only places that turn an outcome into an [`Observed`]
//! error, and both compare the complete ledger before and after:
//! - `tx`: a transaction through `e2e_invoke::invoke_host_function` (enforcing
//!   footprint and auth, as stellar-core applies it). Its ledger changes must
//!   be no-ops, and the ledger after committing them must equal the ledger
//!   before (every entry and TTL).
//! - `contract`: input only a contract can produce, on a `Host` directly
//!   (testutils); the host's whole storage map (every entry and live-until
//!   ledger) must be unchanged.
//!
//! Inputs that typed Rust APIs cannot express (raw `Val` bits: wrong tags,
//! forged object handles, malformed symbols) come from tiny contracts written in
//! WAT at test time ([`wasm`]), importing the fork's functions (module `l`,
//! exports `h`..`n`) and declaring interface protocol 28 (or 27).

use extref_testkit::{
    account,
    bad_input::{
        harness::{self, Dim, Observed, Succeeded},
        wasm::{self, Arg},
        Path,
    },
    e2e::{
        code_entry, code_key, contract_address, created_address, e2e_ledger_info, external_ref,
        footprint, instance_entry, instance_key, invoke_fn, key_of, sc_symbol, source_account,
        source_account_create_auth, to_xdr, wasm_hash, wasm_ref_entry, wasm_ref_key, Ledger, Tx,
        LEDGER_SEQ, LIVE_UNTIL,
    },
    fixtures::{FOLLOWER_V1, FOLLOWER_V2},
    recording_host, sym, upload, BASE_PROTOCOL, FORK_PROTOCOL,
};
use soroban_env_host::{
    e2e_testutils,
    storage::AccessType,
    xdr::{
        ContractDataDurability, ContractDataEntry, ContractExecutable,
        ContractExecutableExternalRef, ContractId, ContractIdPreimage,
        ContractIdPreimageFromAddress, CreateContractArgs, CreateContractArgsV2, ExtensionPoint,
        Hash, HostFunction, InvokeContractArgs, LedgerEntry, LedgerEntryData, LedgerKey,
        LedgerKeyContractCode, LedgerKeyContractData, ScAddress, ScContractInstance, ScErrorCode,
        ScErrorType, ScMap, ScMapEntry, ScSymbol, ScVal, SorobanAddressCredentials,
        SorobanAuthorizationEntry, SorobanAuthorizedFunction, SorobanAuthorizedInvocation,
        SorobanCredentials, Uint256,
    },
    AddressObject, Env, Error, Host, HostError, LedgerInfo, ModuleCache, Val,
};

// ---------------------------------------------------------------------------
// The registry
// ---------------------------------------------------------------------------

/// One row of the catalogue.
struct Case {
    id: &'static str,
    input: &'static str,
    path: Path,
    expected: (ScErrorType, ScErrorCode),
    /// The positive control of a `tx` row with a [`GENERIC`] error.
    control: Option<Control>,
    /// For a row where the guest catches the error: what it returns after
    /// catching it, which only a recovered guest returns (a failed
    /// transaction with the same error does not pass such a row).
    caught: Option<&'static str>,
}

/// The same transaction as a case's with its one bad element fixed, which
/// must succeed: the case's error is that element's, not the setup's.
struct Control {
    /// What is fixed, as the table says it.
    fix: &'static str,
    run: fn() -> Succeeded,
}

/// Errors the host also answers for mistakes in a case's own setup (a key
/// left out of the footprint, an entry not handed in, an entry of the wrong
/// shape, a value of the wrong type): a `tx` row expecting one of them has a
/// positive control (`every_generic_tx_row_has_a_control`).
const GENERIC: [(ScErrorType, ScErrorCode); 4] = [
    (ScErrorType::Storage, ScErrorCode::ExceededLimit),
    (ScErrorType::Storage, ScErrorCode::MissingValue),
    (ScErrorType::Storage, ScErrorCode::InternalError),
    (ScErrorType::Value, ScErrorCode::InvalidInput),
];

impl Case {
    fn row(&self) -> String {
        let check = match (&self.control, self.caught) {
            (Some(c), None) => format!("succeeds with {}", c.fix),
            (None, Some(cont)) => format!("the guest goes on: {cont}"),
            (None, None) => "-".into(),
            (Some(_), Some(_)) => panic!("{}: a control and a catch", self.id),
        };
        format!(
            "| {} | {} | {} | ({}, {}) | yes | {check} |",
            self.id,
            self.input,
            self.path.as_str(),
            self.expected.0.name(),
            self.expected.1.name()
        )
    }
}

/// `Some(Control)` from a catalogue line's `@control`, if any.
macro_rules! control {
    () => {
        None
    };
    ($fix:literal, $run:expr) => {
        Some(Control {
            fix: $fix,
            run: $run,
        })
    };
}

/// `Some(continuation)` from a catalogue line's `@caught`, if any.
macro_rules! caught {
    () => {
        None
    };
    ($cont:literal) => {
        Some($cont)
    };
}

/// Declares every case once: its registry entry and its test. A line may
/// go on with `@control "what is fixed" => run;` (a positive control) or
/// `@caught "what the guest returns";` (the guest recovers).
macro_rules! catalogue {
    ($(
        $id:ident, $path:ident, ($ty:ident, $code:ident), $input:literal => $run:expr;
        $( @control $fix:literal => $ctl:expr; )?
        $( @caught $cont:literal; )?
    )*) => {
        const CASES: &[Case] = &[$(
            Case {
                id: stringify!($id),
                input: $input,
                path: Path::$path,
                expected: (ScErrorType::$ty, ScErrorCode::$code),
                control: control!($( $fix, $ctl )?),
                caught: caught!($( $cont )?),
            },
        )*];

        $(
            #[test]
            #[allow(non_snake_case)]
            fn $id() {
                run_case(stringify!($id), Path::$path, $run);
            }
        )*
    };
}

/// Runs one case and checks the error it observed is the registry's, that
/// the guest caught it exactly when the registry says so, and that its
/// control, if any, succeeds.
fn run_case(id: &str, path: Path, run: fn() -> Observed) {
    let case = CASES.iter().find(|c| c.id == id).expect("registered");
    let observed = run();
    assert_eq!(observed.path(), path, "{id}: ran on the wrong path");
    assert_eq!(
        observed.caught(),
        case.caught.is_some(),
        "{id}: the guest caught the error (true) or the invocation failed (false)"
    );
    if let Some(control) = &case.control {
        (control.run)();
    }
    let error = observed.error();
    let got = (
        *ScErrorType::VARIANTS
            .iter()
            .find(|t| error.is_type(**t))
            .expect("a type"),
        *ScErrorCode::VARIANTS
            .iter()
            .find(|c| error.is_code(**c))
            .unwrap_or_else(|| panic!("{id}: a contract error: {error:?}")),
    );
    assert_eq!(got, case.expected, "{id}: {}", case.input);
}

#[test]
fn the_table_is_the_registry() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/bad-input.md"))
        .expect("docs/bad-input.md");
    let rows: Vec<String> = doc
        .lines()
        .filter(|l| {
            let id = l.trim_start_matches("| ").split(' ').next().unwrap_or("");
            l.starts_with("| ")
                && id.len() == 3
                && id.as_bytes()[0].is_ascii_uppercase()
                && id[1..].bytes().all(|b| b.is_ascii_digit())
        })
        .map(|l| l.trim_end().to_string())
        .collect();
    let want: Vec<String> = CASES.iter().map(Case::row).collect();
    if rows != want {
        panic!(
            "docs/bad-input.md's table differs from the registry; it should read:\n{}",
            want.join("\n")
        );
    }
    let mut ids: Vec<&str> = CASES.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), CASES.len(), "duplicate IDs");
    assert!(CASES.len() >= 60);
}

/// Every `tx` row whose error is [`GENERIC`] has a positive control, and
/// every control succeeds (each row's own test also runs its control).
/// Controls belong to `tx` rows only: the `contract` rows with raw
/// arguments have theirs in `bad_argument`.
#[test]
fn every_generic_tx_row_has_a_control() {
    let missing: Vec<&str> = CASES
        .iter()
        .filter(|c| c.path == Path::Tx && GENERIC.contains(&c.expected) && c.control.is_none())
        .map(|c| c.id)
        .collect();
    assert!(
        missing.is_empty(),
        "generic errors without a control: {missing:?}"
    );
    let mut controls = 0;
    for case in CASES {
        if let Some(control) = &case.control {
            assert_eq!(
                case.path,
                Path::Tx,
                "{}: a control on a contract row",
                case.id
            );
            (control.run)();
            controls += 1;
        }
    }
    assert!(controls >= 60, "{controls} controls");
}

// ---------------------------------------------------------------------------
// ScVal helpers
// ---------------------------------------------------------------------------

fn sv_sym(s: &str) -> ScVal {
    ScVal::Symbol(sc_symbol(s))
}

fn sv_bytes(b: &[u8]) -> ScVal {
    ScVal::Bytes(b.to_vec().try_into().unwrap())
}

fn sv_hash(h: &Hash) -> ScVal {
    sv_bytes(&h.0)
}

fn sv_addr(a: &ScAddress) -> ScVal {
    ScVal::Address(a.clone())
}

fn sv_vec(v: Vec<ScVal>) -> ScVal {
    ScVal::Vec(Some(v.try_into().unwrap()))
}

fn ref_sv(key: &str) -> ScVal {
    ScVal::LedgerKeyWasmRef(sc_symbol(key))
}

/// A symbol of any bytes and length: XDR carries what `ScSymbol` checks only
/// when converting.
fn raw_symbol(text: &str) -> ScSymbol {
    ScSymbol(text.as_bytes().to_vec().try_into().unwrap())
}

fn account_address(seed: u8) -> ScAddress {
    ScAddress::Account(e2e_testutils::get_account_id([seed; 32]))
}

fn code_key_of(hash: &Hash) -> LedgerKey {
    LedgerKey::ContractCode(LedgerKeyContractCode { hash: hash.clone() })
}

// ---------------------------------------------------------------------------
// The transaction world
// ---------------------------------------------------------------------------

const TOKEN: &str = "token";
const PROBE: &str = "probe";
const KEY32: &str = "abcdefghijklmnopqrstuvwxyz_01234";

/// One ledger for every `tx` case: codes follower v1, v2 and the probe; `m`,
/// a probe contract owning refs "token" (v1) and "probe" (the probe); `f`, a
/// follower of (m, "token"); `g` and `g2`, followers of (m, "probe") that run
/// the probe; `p`, a plain probe contract; `sac`, a Stellar asset contract.
#[derive(Clone)]
struct World {
    ledger: Ledger,
    probe: Vec<u8>,
    m: ScAddress,
    f: ScAddress,
    g: ScAddress,
    g2: ScAddress,
    p: ScAddress,
    sac: ScAddress,
}

fn contract_instance(
    contract: &ScAddress,
    executable: ContractExecutable,
    storage: Option<ScMap>,
) -> LedgerEntry {
    data_entry(
        contract,
        ScVal::LedgerKeyContractInstance,
        ContractDataDurability::Persistent,
        ScVal::ContractInstance(ScContractInstance {
            executable,
            storage,
        }),
    )
}

fn data_entry(
    contract: &ScAddress,
    key: ScVal,
    durability: ContractDataDurability,
    val: ScVal,
) -> LedgerEntry {
    e2e_testutils::ledger_entry(LedgerEntryData::ContractData(ContractDataEntry {
        ext: ExtensionPoint::V0,
        contract: contract.clone(),
        key,
        durability,
        val,
    }))
}

impl World {
    /// The world, built once per test thread (the ledger is not `Sync`).
    fn get() -> World {
        thread_local! {
            static WORLD: World = World::build();
        }
        WORLD.with(World::clone)
    }

    fn build() -> World {
        let probe = wasm::probe(true);
        let (m, f, g, g2, p, sac) = (
            contract_address(0xaa),
            contract_address(0xf0),
            contract_address(0xf1),
            contract_address(0xf2),
            contract_address(0xbb),
            contract_address(0x5a),
        );
        let mut ledger = Ledger::new(e2e_ledger_info());
        for wasm in [FOLLOWER_V1, FOLLOWER_V2, &probe] {
            ledger.put(code_entry(wasm), Some(LIVE_UNTIL));
        }
        let probe_exe = ContractExecutable::Wasm(wasm_hash(&probe));
        for (addr, exe) in [
            (&m, probe_exe.clone()),
            (&p, probe_exe),
            (&f, external_ref(&m, TOKEN)),
            (&g, external_ref(&m, PROBE)),
            (&g2, external_ref(&m, PROBE)),
            (&sac, ContractExecutable::StellarAsset),
        ] {
            ledger.put(instance_entry(addr, exe), Some(LIVE_UNTIL));
        }
        ledger.put(
            wasm_ref_entry(&m, TOKEN, &wasm_hash(FOLLOWER_V1)),
            Some(LIVE_UNTIL),
        );
        ledger.put(
            wasm_ref_entry(&m, PROBE, &wasm_hash(&probe)),
            Some(LIVE_UNTIL),
        );
        World {
            ledger,
            probe,
            m,
            f,
            g,
            g2,
            p,
            sac,
        }
    }

    fn at_protocol(mut self, protocol: u32) -> Self {
        self.ledger.info = LedgerInfo {
            protocol_version: protocol,
            ..self.ledger.info
        };
        self
    }

    /// A module cache of the world's code, as stellar-core keeps one.
    fn cache(&self) -> ModuleCache {
        extref_testkit::e2e::module_cache(FORK_PROTOCOL, &[FOLLOWER_V1, FOLLOWER_V2, &self.probe])
            .unwrap()
    }

    fn probe_code(&self) -> LedgerKey {
        code_key(&self.probe)
    }

    /// What a call of a probe contract `c` (plain Wasm) reads.
    fn probe_keys(&self, c: &ScAddress) -> Vec<LedgerKey> {
        vec![instance_key(c), self.probe_code()]
    }

    /// What a call of `g` (a follower running the probe) reads.
    fn g_keys(&self, g: &ScAddress) -> Vec<LedgerKey> {
        vec![
            instance_key(g),
            wasm_ref_key(&self.m, PROBE),
            self.probe_code(),
        ]
    }

    fn f_keys(&self) -> Vec<LedgerKey> {
        vec![
            instance_key(&self.f),
            wasm_ref_key(&self.m, TOKEN),
            code_key(FOLLOWER_V1),
        ]
    }

    /// `host_fn` with footprint `ro` (less any key of `rw`) and `rw`.
    fn run(&self, host_fn: HostFunction, ro: Vec<LedgerKey>, rw: Vec<LedgerKey>) -> Observed {
        harness::tx(&self.ledger, &Tx::new(host_fn, fp(ro, rw)))
    }

    /// [`World::run`] as a control, which must succeed.
    fn run_ok(&self, host_fn: HostFunction, ro: Vec<LedgerKey>, rw: Vec<LedgerKey>) -> Succeeded {
        harness::succeeds(&self.ledger, &Tx::new(host_fn, fp(ro, rw)))
    }

    /// `c.function(args)` with footprint `ro`, `rw`.
    fn call(
        &self,
        c: &ScAddress,
        function: &str,
        args: Vec<ScVal>,
        ro: Vec<LedgerKey>,
        rw: Vec<LedgerKey>,
    ) -> Observed {
        self.run(invoke_fn(c, function, args), ro, rw)
    }

    /// [`World::call`] as a control, which must succeed.
    fn call_ok(
        &self,
        c: &ScAddress,
        function: &str,
        args: Vec<ScVal>,
        ro: Vec<LedgerKey>,
        rw: Vec<LedgerKey>,
    ) -> Succeeded {
        self.run_ok(invoke_fn(c, function, args), ro, rw)
    }

    /// A follower call `f.version()` with f's usual footprint.
    fn call_f(&self) -> Observed {
        self.call(&self.f, "version", vec![], self.f_keys(), vec![])
    }

    /// [`World::call_f`] as a control: it answers follower v1's version.
    fn call_f_ok(&self) -> Succeeded {
        let ok = self.call_ok(&self.f, "version", vec![], self.f_keys(), vec![]);
        assert_eq!(ok.result(), &ScVal::U32(1));
        ok
    }

    /// The source account deploys a follower of (`manager`, `key`) with
    /// `CreateContractV2` (its auth entry included); footprint: `ro`, and the
    /// new instance read-write (or read-only when `instance_rw` is false).
    fn create_follower(
        &self,
        manager: &ScAddress,
        key: ScSymbol,
        ro: Vec<LedgerKey>,
        instance_rw: bool,
    ) -> Observed {
        harness::tx(
            &self.ledger,
            &self.create_follower_tx(manager, key, ro, instance_rw),
        )
    }

    /// [`World::create_follower`] as a control, which must succeed.
    fn create_follower_ok(
        &self,
        manager: &ScAddress,
        key: ScSymbol,
        ro: Vec<LedgerKey>,
        instance_rw: bool,
    ) -> Succeeded {
        harness::succeeds(
            &self.ledger,
            &self.create_follower_tx(manager, key, ro, instance_rw),
        )
    }

    fn create_follower_tx(
        &self,
        manager: &ScAddress,
        key: ScSymbol,
        ro: Vec<LedgerKey>,
        instance_rw: bool,
    ) -> Tx {
        let args = CreateContractArgsV2 {
            contract_id_preimage: ContractIdPreimage::Address(ContractIdPreimageFromAddress {
                address: ScAddress::Account(source_account()),
                salt: Uint256([7; 32]),
            }),
            executable: ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
                manager: manager.clone(),
                key,
            })),
            constructor_args: Default::default(),
        };
        create_with_tx(args, ro, instance_rw)
    }

    fn create_with(
        &self,
        args: CreateContractArgsV2,
        ro: Vec<LedgerKey>,
        instance_rw: bool,
    ) -> Observed {
        harness::tx(&self.ledger, &create_with_tx(args, ro, instance_rw))
    }

    /// Replaces the value of (m, "token") (an embedder's malformed ref entry).
    fn with_token_ref_value(mut self, val: ScVal) -> Self {
        self.ledger.put(
            data_entry(
                &self.m,
                ref_sv(TOKEN),
                ContractDataDurability::Persistent,
                val,
            ),
            Some(LIVE_UNTIL),
        );
        self
    }
}

/// The source account's `CreateContractV2` of `args` (its auth entry
/// included); footprint: `ro`, and the new instance read-write (or read-only
/// when `instance_rw` is false).
fn create_with_tx(args: CreateContractArgsV2, mut ro: Vec<LedgerKey>, instance_rw: bool) -> Tx {
    let instance = instance_key(&created_address(&args.contract_id_preimage));
    let auth = vec![source_account_create_auth(&args)];
    let rw = if instance_rw {
        vec![instance]
    } else {
        ro.push(instance);
        vec![]
    };
    Tx::new(HostFunction::CreateContractV2(args), fp(ro, rw)).with_auth(auth)
}

/// A footprint of `ro` (less any key of `rw`, which would turn it read-only)
/// and `rw`, each key once.
fn fp(ro: Vec<LedgerKey>, rw: Vec<LedgerKey>) -> soroban_env_host::xdr::LedgerFootprint {
    let mut ro_once: Vec<LedgerKey> = vec![];
    for k in ro {
        if !rw.contains(&k) && !ro_once.contains(&k) {
            ro_once.push(k);
        }
    }
    footprint(ro_once, rw)
}

/// The source account's `CreateContractV2` of a follower of (m, "token"),
/// with its auth entry and exact footprint.
fn create_tx(w: &World) -> Tx {
    let args = follower_args(&w.m, TOKEN);
    let created = created_address(&args.contract_id_preimage);
    Tx::new(
        HostFunction::CreateContractV2(args.clone()),
        footprint(
            vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)],
            vec![instance_key(&created)],
        ),
    )
    .with_auth(vec![source_account_create_auth(&args)])
}

/// The salt the probe's `create` uses in the cases.
fn salt() -> ScVal {
    sv_bytes(&[3; 32])
}

/// The address `deployer` gets for [`salt`].
fn created_by(deployer: &ScAddress) -> ScAddress {
    created_address(&ContractIdPreimage::Address(
        ContractIdPreimageFromAddress {
            address: deployer.clone(),
            salt: Uint256([3; 32]),
        },
    ))
}

// ---------------------------------------------------------------------------
// The host world (contract-only inputs)
// ---------------------------------------------------------------------------

/// A host at protocol 28 (recording footprint and auth) with follower v1 and
/// v2 uploaded, the manager fixture (no timelock) whose ref "token" points at
/// v1, a follower of it, and `extra` deployed as a plain contract.
struct HostWorld {
    host: Host,
    manager: AddressObject,
    follower: AddressObject,
    contract: AddressObject,
    v2: soroban_env_host::BytesObject,
}

impl HostWorld {
    fn new(extra: &[u8]) -> HostWorld {
        let mut fleet =
            extref_testkit::Fleet::setup(recording_host(FORK_PROTOCOL).unwrap(), TOKEN).unwrap();
        fleet.deploy(TOKEN, 1).unwrap();
        let host = fleet.host;
        let hash = upload(&host, extra).unwrap();
        let contract = host
            .create_contract(
                account(&host, 2).unwrap(),
                hash,
                extref_testkit::bytes32(&host, [9; 32]).unwrap(),
            )
            .unwrap();
        HostWorld {
            manager: fleet.manager,
            follower: fleet.followers[0],
            contract,
            v2: fleet.v2,
            host,
        }
    }

    fn call(&self, c: AddressObject, f: &str) -> Result<Val, HostError> {
        extref_testkit::call(&self.host, c, f, &[])
    }

    /// Runs `f` inside a frame of `contract`.
    fn contract_id(&self, contract: AddressObject) -> Result<ContractId, HostError> {
        match self.host.scaddress_from_address(contract)? {
            ScAddress::Contract(id) => Ok(id),
            other => panic!("not a contract: {other:?}"),
        }
    }

    fn as_contract<T>(
        &self,
        contract: AddressObject,
        f: impl FnOnce() -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        let id = self.contract_id(contract)?;
        let mut out = None;
        self.host
            .with_test_contract_frame(id, sym(&self.host, "test")?, || {
                out = Some(f()?);
                Ok(Val::VOID.into())
            })?;
        Ok(out.unwrap())
    }
}

/// The raw-call contract of a wrong argument: `export`'s argument `index`
/// replaced by each of `variants`, every other argument valid. The control
/// call (all arguments valid) must end with `control`, which differs from
/// the cases' error, so each failure is the bad argument's.
fn bad_argument(
    export: &str,
    index: usize,
    variants: Vec<Arg>,
    control: Result<(), (ScErrorType, ScErrorCode)>,
) -> Observed {
    let (_, _, types) = wasm::FORK_FNS.iter().find(|f| f.0 == export).unwrap();
    let good: Vec<Arg> = types
        .iter()
        .map(|t| match *t {
            "Symbol" => Arg::Raw(wasm::small_symbol("nokey")),
            "BytesObject" => Arg::Bytes32,
            "AddressObject" => Arg::SelfAddress,
            "VecObject" => Arg::EmptyVec,
            "U32Val" => Arg::Raw(wasm::u32_val(10)),
            other => panic!("{other}"),
        })
        .collect();
    let calls: Vec<Vec<Arg>> = variants
        .into_iter()
        .map(|v| {
            let mut args = good.clone();
            args[index] = v;
            args
        })
        .collect();
    let w = HostWorld::new(&wasm::raw_calls(export, &good, &calls));
    let ctrl = w.call(w.contract, "ctrl");
    match (&ctrl, control) {
        (Ok(_), Ok(())) => {}
        (Err(e), Err((ty, code))) if e.error.is_type(ty) && e.error.is_code(code) => {}
        _ => panic!("control call: {ctrl:?}, expected {control:?}"),
    }
    harness::all_same(
        (0..calls.len())
            .map(|i| harness::host(&w.host, || w.call(w.contract, &format!("run{i}"))))
            .collect(),
    )
}

/// Wrong values for an argument of type `ty`: other types, forged handles.
fn wrong(ty: &str) -> Vec<Arg> {
    use wasm::*;
    let unknown = |tag| Arg::Raw(object(tag, 2000));
    let absolute = |tag| Arg::Raw(object(tag, 1));
    match ty {
        "Symbol" => vec![
            Arg::Raw(u32_val(7)),
            Arg::Bytes32,
            Arg::Retagged(TAG_STRING),
            unknown(74),
            absolute(74),
        ],
        "U32Val" => vec![
            Arg::Raw(((7u64 << 32) | TAG_I32) as i64),
            Arg::Raw(small_symbol("seven")),
            Arg::Raw(((1u64 << 8) | TAG_U32) as i64),
        ],
        "BytesObject" => vec![
            Arg::Raw(u32_val(7)),
            Arg::SelfAddress,
            Arg::Retagged(TAG_BYTES),
            unknown(TAG_BYTES),
            absolute(TAG_BYTES),
        ],
        "AddressObject" => vec![
            Arg::Raw(u32_val(7)),
            Arg::Bytes32,
            Arg::Retagged(TAG_ADDRESS),
            unknown(TAG_ADDRESS),
            absolute(TAG_ADDRESS),
        ],
        "VecObject" => vec![
            Arg::Raw(u32_val(7)),
            Arg::Bytes32,
            Arg::Raw(small_symbol("vec")),
            unknown(TAG_VEC),
            absolute(TAG_VEC),
        ],
        other => panic!("{other}"),
    }
}

const MISSING: Result<(), (ScErrorType, ScErrorCode)> =
    Err((ScErrorType::Storage, ScErrorCode::MissingValue));

fn arg_case(
    export: &str,
    index: usize,
    control: Result<(), (ScErrorType, ScErrorCode)>,
) -> Observed {
    let (_, _, types) = wasm::FORK_FNS.iter().find(|f| f.0 == export).unwrap();
    bad_argument(export, index, wrong(types[index]), control)
}

/// Each of the seven functions called with `key` as its key argument (other
/// arguments valid).
fn every_key(key: Arg) -> Observed {
    harness::all_same(
        wasm::FORK_FNS
            .iter()
            .map(|(export, _, types)| {
                let index = types.iter().position(|t| *t == "Symbol").unwrap();
                let control = if *export == "k" { Ok(()) } else { MISSING };
                bad_argument(export, index, vec![key.clone()], control)
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// The catalogue
// ---------------------------------------------------------------------------

catalogue! {
    // --- A: every argument of the seven functions: wrong type, forged handle
    A01, Contract, (Value, InvalidInput), "`set_contract_wasm_ref` `key`: a U32Val, a BytesObject, a VecObject retagged String, an unknown relative handle, an absolute handle" => || arg_case("h", 0, MISSING);
    A02, Contract, (Value, InvalidInput), "`set_contract_wasm_ref` `wasm_hash`: a U32Val, an AddressObject, a VecObject retagged Bytes, an unknown relative handle, an absolute handle" => || arg_case("h", 1, MISSING);
    A03, Contract, (Value, InvalidInput), "`create_contract_with_external_ref` `deployer`: a U32Val, a BytesObject, a VecObject retagged Address, an unknown relative handle, an absolute handle" => || arg_case("i", 0, MISSING);
    A04, Contract, (Value, InvalidInput), "`create_contract_with_external_ref` `manager`: as A03" => || arg_case("i", 1, MISSING);
    A05, Contract, (Value, InvalidInput), "`create_contract_with_external_ref` `key`: as A01" => || arg_case("i", 2, MISSING);
    A06, Contract, (Value, InvalidInput), "`create_contract_with_external_ref` `salt`: as A02" => || arg_case("i", 3, MISSING);
    A07, Contract, (Value, InvalidInput), "`get_contract_wasm_ref` `manager`: as A03" => || arg_case("j", 0, MISSING);
    A08, Contract, (Value, InvalidInput), "`get_contract_wasm_ref` `key`: as A01" => || arg_case("j", 1, MISSING);
    A09, Contract, (Value, InvalidInput), "`has_contract_wasm_ref` `manager`: as A03" => || arg_case("k", 0, Ok(()));
    A10, Contract, (Value, InvalidInput), "`has_contract_wasm_ref` `key`: as A01" => || arg_case("k", 1, Ok(()));
    A11, Contract, (Value, InvalidInput), "`extend_contract_wasm_ref_ttl` `key`: as A01" => || arg_case("l", 0, MISSING);
    A12, Contract, (Value, InvalidInput), "`extend_contract_wasm_ref_ttl` `threshold`: an I32Val, a Symbol, a U32Val with a nonzero minor" => || arg_case("l", 1, MISSING);
    A13, Contract, (Value, InvalidInput), "`extend_contract_wasm_ref_ttl` `extend_to`: as A12" => || arg_case("l", 2, MISSING);
    A14, Contract, (Value, InvalidInput), "`update_current_contract_external_ref` `manager`: as A03" => || arg_case("m", 0, MISSING);
    A15, Contract, (Value, InvalidInput), "`update_current_contract_external_ref` `key`: as A01" => || arg_case("m", 1, MISSING);
    A16, Contract, (Value, InvalidInput), "`create_contract_with_external_ref_and_constructor` `deployer`: as A03" => || arg_case("n", 0, MISSING);
    A17, Contract, (Value, InvalidInput), "`create_contract_with_external_ref_and_constructor` `manager`: as A03" => || arg_case("n", 1, MISSING);
    A18, Contract, (Value, InvalidInput), "`create_contract_with_external_ref_and_constructor` `key`: as A01" => || arg_case("n", 2, MISSING);
    A19, Contract, (Value, InvalidInput), "`create_contract_with_external_ref_and_constructor` `salt`: as A02" => || arg_case("n", 3, MISSING);
    A20, Contract, (Value, InvalidInput), "`create_contract_with_external_ref_and_constructor` `constructor_args`: a U32Val, a BytesObject, a Symbol, an unknown relative handle, an absolute handle" => || arg_case("n", 4, MISSING);
    // --- A: lengths and values, from a transaction through a forwarding contract
    A21, Tx, (Value, InvalidInput), "`set_contract_wasm_ref` with a `wasm_hash` of 0, 31 and 33 bytes" => || {
        let w = World::get();
        harness::all_same([0usize, 31, 33].iter().map(|n| {
            w.call(&w.m, "set", vec![sv_sym(TOKEN), sv_bytes(&vec![1; *n])], w.probe_keys(&w.m), vec![wasm_ref_key(&w.m, TOKEN)])
        }).collect())
    };
    @control "a hash of 32 bytes, follower v2's" => || {
        let w = World::get();
        w.call_ok(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    A22, Tx, (Object, UnexpectedSize), "`create_contract_with_external_ref` with a `salt` of 31 and 33 bytes" => || {
        let w = World::get();
        harness::all_same([31usize, 33].iter().map(|n| {
            w.call(&w.p, "create", vec![sv_addr(&w.p), sv_addr(&w.m), sv_sym(TOKEN), sv_bytes(&vec![1; *n])],
                [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]].concat(), vec![])
        }).collect())
    };
    A23, Tx, (Object, UnexpectedSize), "`create_contract_with_external_ref_and_constructor` with a `salt` of 31 bytes" => || {
        let w = World::get();
        w.call(&w.p, "create_ctor", vec![sv_addr(&w.p), sv_addr(&w.m), sv_sym(TOKEN), sv_bytes(&[1; 31]), sv_vec(vec![])],
            [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]].concat(), vec![])
    };
    A24, Tx, (Context, InvalidAction), "`create_contract_with_external_ref_and_constructor` with one constructor argument for code without a constructor" => || {
        let w = World::get();
        w.call(&w.p, "create_ctor", vec![sv_addr(&w.p), sv_addr(&w.m), sv_sym(TOKEN), salt(), sv_vec(vec![ScVal::U32(1)])],
            [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]].concat(), vec![instance_key(&created_by(&w.p))])
    };
    A25, Tx, (Storage, InvalidInput), "`extend_contract_wasm_ref_ttl` with `threshold` above `extend_to`" => || {
        let w = World::get();
        w.call(&w.m, "extend", vec![sv_sym(TOKEN), ScVal::U32(100), ScVal::U32(50)], [w.probe_keys(&w.m), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![])
    };
    A26, Tx, (Value, InvalidInput), "wrong-typed transaction arguments forwarded to the functions: `set(String, Bytes)`, `set(Symbol, Symbol)`, `get(U32, Symbol)`, `follow(Bytes, Symbol)`" => || {
        let w = World::get();
        let k = w.probe_keys(&w.m);
        harness::all_same(vec![
            w.call(&w.m, "set", vec![ScVal::String(TOKEN.as_bytes().to_vec().try_into().unwrap()), sv_hash(&wasm_hash(FOLLOWER_V1))], k.clone(), vec![]),
            w.call(&w.m, "set", vec![sv_sym(TOKEN), sv_sym(TOKEN)], k.clone(), vec![]),
            w.call(&w.m, "get", vec![ScVal::U32(1), sv_sym(TOKEN)], k.clone(), vec![]),
            w.call(&w.m, "follow", vec![sv_bytes(&[0; 32]), sv_sym(TOKEN)], k, vec![]),
        ])
    };
    @control "arguments of the right types: `set(Symbol, Bytes)`, `get(Address, Symbol)`, `follow(Address, Symbol)`" => || {
        let w = World::get();
        let k = w.probe_keys(&w.m);
        w.call_ok(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V1))], [k.clone(), vec![code_key(FOLLOWER_V1)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)]);
        w.call_ok(&w.m, "get", vec![sv_addr(&w.m), sv_sym(TOKEN)], [k.clone(), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![]);
        w.call_ok(&w.m, "follow", vec![sv_addr(&w.m), sv_sym(TOKEN)], [k, vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![instance_key(&w.m)])
    };

    // --- S: symbols
    S01, Tx, (Storage, MissingValue), "key of 0 characters: `get_contract_wasm_ref(m, \"\")` (a valid key, never set)" => || {
        let w = World::get();
        w.call(&w.p, "get", vec![sv_addr(&w.m), sv_sym("")], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, "")]].concat(), vec![])
    };
    @control "the ref (m, \"\") set" => || {
        let mut w = World::get();
        w.ledger.put(wasm_ref_entry(&w.m, "", &wasm_hash(FOLLOWER_V1)), Some(LIVE_UNTIL));
        let ok = w.call_ok(&w.p, "get", vec![sv_addr(&w.m), sv_sym("")], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, "")]].concat(), vec![]);
        assert_eq!(ok.result(), &sv_hash(&wasm_hash(FOLLOWER_V1)));
        ok
    };
    S02, Tx, (Storage, MissingValue), "key of 32 characters: `CreateContractV2` of a follower of (m, 32-character key) never set" => || {
        let w = World::get();
        w.create_follower(&w.m, sc_symbol(KEY32), vec![wasm_ref_key(&w.m, KEY32)], true)
    };
    @control "the ref (m, 32-character key) set" => || {
        let mut w = World::get();
        w.ledger.put(wasm_ref_entry(&w.m, KEY32, &wasm_hash(FOLLOWER_V1)), Some(LIVE_UNTIL));
        w.create_follower_ok(&w.m, sc_symbol(KEY32), vec![wasm_ref_key(&w.m, KEY32), code_key(FOLLOWER_V1)], true)
    };
    S03, Tx, (Value, InvalidInput), "key of 33 characters in a `CreateContractV2` ExternalRef executable (hand-encoded XDR)" => || {
        let w = World::get();
        let host_fn = overlong_key_create(&w);
        raw_host_fn_tx(&w.ledger, host_fn, vec![wasm_ref_key(&w.m, TOKEN)])
    };
    @control "a key of 32 characters whose ref is set (the XDR as encoded)" => || {
        let mut w = World::get();
        w.ledger.put(wasm_ref_entry(&w.m, KEY32, &wasm_hash(FOLLOWER_V1)), Some(LIVE_UNTIL));
        w.create_follower_ok(&w.m, sc_symbol(KEY32), vec![wasm_ref_key(&w.m, KEY32), code_key(FOLLOWER_V1)], true)
    };
    S04, Tx, (Value, InvalidInput), "key of 33 characters as a transaction argument: `get_contract_wasm_ref(m, <33 characters>)` (hand-encoded XDR)" => || {
        let w = World::get();
        let host_fn = overlong_symbol_arg(&w);
        raw_host_fn_tx(&w.ledger, host_fn, w.probe_keys(&w.p))
    };
    @control "a key of 32 characters whose ref is set (the XDR as encoded)" => || {
        let mut w = World::get();
        w.ledger.put(wasm_ref_entry(&w.m, KEY32, &wasm_hash(FOLLOWER_V1)), Some(LIVE_UNTIL));
        let ok = w.call_ok(&w.p, "get", vec![sv_addr(&w.m), sv_sym(KEY32)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, KEY32)]].concat(), vec![]);
        assert_eq!(ok.result(), &sv_hash(&wasm_hash(FOLLOWER_V1)));
        ok
    };
    S05, Tx, (Value, InvalidInput), "key with a bad character (`to-ken`) in a `CreateContractV2` ExternalRef executable, its ref key in the footprint" => || {
        let w = World::get();
        w.create_follower(&w.m, raw_symbol("to-ken"), vec![wasm_ref_key_raw(&w.m, "to-ken")], true)
    };
    @control "the key `token`" => || {
        let w = World::get();
        w.create_follower_ok(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    S06, Tx, (Value, InvalidInput), "key with a bad character (`to-ken`) in a `CreateContractV2` ExternalRef executable, its ref key not in the footprint" => || {
        let w = World::get();
        w.create_follower(&w.m, raw_symbol("to-ken"), vec![], true)
    };
    @control "the key `token`, its ref key in the footprint" => || {
        let w = World::get();
        w.create_follower_ok(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    S07, Tx, (Value, InvalidInput), "key with bad characters (`to-ken`, `tok en`, `tök`) as a transaction argument to `set_contract_wasm_ref`" => || {
        let w = World::get();
        harness::all_same(["to-ken", "tok en", "tök"].iter().map(|k| {
            w.call(&w.m, "set", vec![ScVal::Symbol(raw_symbol(k)), sv_hash(&wasm_hash(FOLLOWER_V2))],
                [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
        }).collect())
    };
    @control "the key `token`" => || {
        let w = World::get();
        w.call_ok(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    S08, Contract, (Value, InvalidInput), "key that is a malformed small symbol (bits 54-55 set), to each of the seven functions" => || {
        every_key(Arg::Raw(((3u64 << 62) | wasm::TAG_SYMBOL) as i64))
    };
    S09, Contract, (Value, InvalidInput), "key of 33 characters made by the contract from linear memory, to each of the seven functions" => || {
        every_key(Arg::MemorySymbol("abcdefghijklmnopqrstuvwxyz_012345"))
    };
    S10, Contract, (Value, InvalidInput), "key with a bad character made by the contract from linear memory (`to-ken`), to each of the seven functions" => || {
        every_key(Arg::MemorySymbol("to-ken"))
    };
    S11, Tx, (Value, InvalidInput), "key with a bad character (`to-ken`) in a `CreateContract` (v1) ExternalRef executable" => || {
        let w = World::get();
        harness::tx(&w.ledger, &create_v1_tx(&w, raw_symbol("to-ken"), vec![wasm_ref_key_raw(&w.m, "to-ken")]))
    };
    @control "the key `token`, its ref key in the footprint" => || {
        let w = World::get();
        harness::succeeds(&w.ledger, &create_v1_tx(&w, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]))
    };

    // --- C: code hashes
    C01, Tx, (Storage, MissingValue), "`set_contract_wasm_ref` to the hash of code never uploaded (its code key in the footprint)" => || {
        let w = World::get();
        let h = Hash([0xee; 32]);
        w.call(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&h)], [w.probe_keys(&w.m), vec![code_key_of(&h)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    @control "the hash of uploaded code, follower v2's" => || {
        let w = World::get();
        w.call_ok(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    C02, Tx, (Storage, InternalError), "`set_contract_wasm_ref` to the hash of archived code (handed in with a live-until below the ledger)" => || {
        let mut w = World::get();
        w.ledger.set_live_until(&code_key(FOLLOWER_V2), LEDGER_SEQ - 1);
        w.call(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    @control "the code live" => || {
        let w = World::get();
        w.call_ok(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    C03, Tx, (Storage, MissingValue), "`set_contract_wasm_ref` to the hash of evicted code (no longer in the live ledger, not restored)" => || {
        let mut w = World::get();
        w.ledger.remove(&code_key(FOLLOWER_V2));
        w.call(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    @control "the code in the live ledger" => || {
        let w = World::get();
        w.call_ok(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    C04, Tx, (Storage, MissingValue), "follower call whose ref points at code that does not exist" => || {
        let h = Hash([0xee; 32]);
        let w = World::get().with_token_ref_value(sv_hash(&h));
        w.call(&w.f, "version", vec![], vec![instance_key(&w.f), wasm_ref_key(&w.m, TOKEN), code_key_of(&h)], vec![])
    };
    @control "the ref at uploaded code, follower v1" => || {
        World::get().call_f_ok()
    };
    C05, Tx, (Storage, InternalError), "follower call whose ref points at archived code" => || {
        let mut w = World::get();
        w.ledger.set_live_until(&code_key(FOLLOWER_V1), LEDGER_SEQ - 1);
        w.call_f()
    };
    @control "the code live" => || {
        World::get().call_f_ok()
    };
    C06, Tx, (Storage, MissingValue), "follower call whose ref points at evicted code" => || {
        let mut w = World::get();
        w.ledger.remove(&code_key(FOLLOWER_V1));
        w.call_f()
    };
    @control "the code in the live ledger" => || {
        World::get().call_f_ok()
    };
    C07, Tx, (Storage, MissingValue), "`CreateContractV2` of a follower whose ref points at code that does not exist" => || {
        let h = Hash([0xee; 32]);
        let w = World::get().with_token_ref_value(sv_hash(&h));
        w.create_follower(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key_of(&h)], true)
    };
    @control "the ref at uploaded code, follower v1" => || {
        let w = World::get();
        w.create_follower_ok(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    C08, Tx, (Storage, MissingValue), "`extend_contract_instance_and_code_ttl` of a follower whose ref points at code that does not exist" => || {
        let h = Hash([0xee; 32]);
        let w = World::get().with_token_ref_value(sv_hash(&h));
        w.call(&w.p, "ext_code", vec![sv_addr(&w.f), ScVal::U32(100), ScVal::U32(1000)],
            [w.probe_keys(&w.p), vec![instance_key(&w.f), wasm_ref_key(&w.m, TOKEN), code_key_of(&h)]].concat(), vec![])
    };
    @control "the ref at uploaded code, follower v1" => || {
        let w = World::get();
        w.call_ok(&w.p, "ext_code", vec![sv_addr(&w.f), ScVal::U32(100), ScVal::U32(1000)],
            [w.probe_keys(&w.p), vec![instance_key(&w.f), wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]].concat(), vec![])
    };

    // --- M: managers
    M01, Tx, (Value, InvalidInput), "`CreateContractV2` of a follower whose manager is an account" => || {
        let w = World::get();
        let a = account_address(9);
        w.create_follower(&a, sc_symbol(TOKEN), vec![wasm_ref_key(&a, TOKEN)], true)
    };
    @control "the manager m" => || {
        let w = World::get();
        w.create_follower_ok(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    M02, Tx, (Storage, MissingValue), "`CreateContractV2` of a follower whose manager is a contract that does not exist" => || {
        let w = World::get();
        let c = contract_address(0x77);
        w.create_follower(&c, sc_symbol(TOKEN), vec![wasm_ref_key(&c, TOKEN)], true)
    };
    @control "the manager m" => || {
        let w = World::get();
        w.create_follower_ok(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    M03, Tx, (Storage, MissingValue), "`CreateContractV2` of a follower whose manager is a Stellar asset contract" => || {
        let w = World::get();
        w.create_follower(&w.sac, sc_symbol(TOKEN), vec![wasm_ref_key(&w.sac, TOKEN)], true)
    };
    @control "the manager m" => || {
        let w = World::get();
        w.create_follower_ok(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    M04, Tx, (Storage, MissingValue), "`CreateContractV2` of a follower whose manager is the follower itself (the address being created)" => || {
        let w = World::get();
        let me = created_address(&ContractIdPreimage::Address(ContractIdPreimageFromAddress {
            address: ScAddress::Account(source_account()),
            salt: Uint256([7; 32]),
        }));
        w.create_follower(&me, sc_symbol(TOKEN), vec![wasm_ref_key(&me, TOKEN)], true)
    };
    @control "the manager m" => || {
        let w = World::get();
        w.create_follower_ok(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    M05, Tx, (Value, InvalidInput), "`update_current_contract_external_ref` to an account manager" => || {
        let w = World::get();
        w.call(&w.p, "follow", vec![sv_addr(&account_address(9)), sv_sym(TOKEN)], vec![w.probe_code()], vec![instance_key(&w.p)])
    };
    @control "the manager m" => || {
        let w = World::get();
        w.call_ok(&w.p, "follow", vec![sv_addr(&w.m), sv_sym(TOKEN)], vec![w.probe_code(), wasm_ref_key(&w.m, TOKEN)], vec![instance_key(&w.p)])
    };
    M06, Tx, (Storage, MissingValue), "`update_current_contract_external_ref` to a contract that does not exist" => || {
        let w = World::get();
        let c = contract_address(0x77);
        w.call(&w.p, "follow", vec![sv_addr(&c), sv_sym(TOKEN)], vec![w.probe_code(), wasm_ref_key(&c, TOKEN)], vec![instance_key(&w.p)])
    };
    @control "the manager m" => || {
        let w = World::get();
        w.call_ok(&w.p, "follow", vec![sv_addr(&w.m), sv_sym(TOKEN)], vec![w.probe_code(), wasm_ref_key(&w.m, TOKEN)], vec![instance_key(&w.p)])
    };
    M07, Tx, (Storage, MissingValue), "`update_current_contract_external_ref` to a Stellar asset contract" => || {
        let w = World::get();
        w.call(&w.p, "follow", vec![sv_addr(&w.sac), sv_sym(TOKEN)], vec![w.probe_code(), wasm_ref_key(&w.sac, TOKEN)], vec![instance_key(&w.p)])
    };
    @control "the manager m" => || {
        let w = World::get();
        w.call_ok(&w.p, "follow", vec![sv_addr(&w.m), sv_sym(TOKEN)], vec![w.probe_code(), wasm_ref_key(&w.m, TOKEN)], vec![instance_key(&w.p)])
    };
    M08, Tx, (Storage, MissingValue), "`update_current_contract_external_ref` to the calling contract itself, which holds no such ref" => || {
        let w = World::get();
        w.call(&w.p, "follow", vec![sv_addr(&w.p), sv_sym(TOKEN)], vec![w.probe_code(), wasm_ref_key(&w.p, TOKEN)], vec![instance_key(&w.p)])
    };
    @control "the manager m" => || {
        let w = World::get();
        w.call_ok(&w.p, "follow", vec![sv_addr(&w.m), sv_sym(TOKEN)], vec![w.probe_code(), wasm_ref_key(&w.m, TOKEN)], vec![instance_key(&w.p)])
    };
    M09, Tx, (Value, InvalidInput), "`create_contract_with_external_ref` with an account manager" => || {
        let w = World::get();
        w.call(&w.p, "create", vec![sv_addr(&w.p), sv_addr(&account_address(9)), sv_sym(TOKEN), salt()], w.probe_keys(&w.p), vec![instance_key(&created_by(&w.p))])
    };
    @control "the manager m" => || {
        let w = World::get();
        w.call_ok(&w.p, "create", vec![sv_addr(&w.p), sv_addr(&w.m), sv_sym(TOKEN), salt()],
            [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]].concat(), vec![instance_key(&created_by(&w.p))])
    };
    M10, Tx, (Storage, MissingValue), "`create_contract_with_external_ref_and_constructor` with a Stellar asset contract manager" => || {
        let w = World::get();
        w.call(&w.p, "create_ctor", vec![sv_addr(&w.p), sv_addr(&w.sac), sv_sym(TOKEN), salt(), sv_vec(vec![])],
            [w.probe_keys(&w.p), vec![wasm_ref_key(&w.sac, TOKEN)]].concat(), vec![instance_key(&created_by(&w.p))])
    };
    @control "the manager m" => || {
        let w = World::get();
        w.call_ok(&w.p, "create_ctor", vec![sv_addr(&w.p), sv_addr(&w.m), sv_sym(TOKEN), salt(), sv_vec(vec![])],
            [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]].concat(), vec![instance_key(&created_by(&w.p))])
    };
    M11, Tx, (Storage, MissingValue), "`get_contract_wasm_ref` of an account (no storage access: its would-be ref key is not in the footprint)" => || {
        let w = World::get();
        w.call(&w.p, "get", vec![sv_addr(&account_address(9)), sv_sym(TOKEN)], w.probe_keys(&w.p), vec![])
    };
    @control "the manager m" => || {
        let w = World::get();
        let ok = w.call_ok(&w.p, "get", vec![sv_addr(&w.m), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![]);
        assert_eq!(ok.result(), &sv_hash(&wasm_hash(FOLLOWER_V1)));
        ok
    };
    M12, Tx, (Storage, MissingValue), "`get_contract_wasm_ref` of a Stellar asset contract" => || {
        let w = World::get();
        w.call(&w.p, "get", vec![sv_addr(&w.sac), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.sac, TOKEN)]].concat(), vec![])
    };
    @control "the manager m" => || {
        let w = World::get();
        let ok = w.call_ok(&w.p, "get", vec![sv_addr(&w.m), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![]);
        assert_eq!(ok.result(), &sv_hash(&wasm_hash(FOLLOWER_V1)));
        ok
    };
    M13, Tx, (Storage, MissingValue), "follower call of an instance (handed in) whose ExternalRef manager is an account" => || {
        let mut w = World::get();
        let a = account_address(9);
        w.ledger.put(instance_entry(&w.f, external_ref(&a, TOKEN)), Some(LIVE_UNTIL));
        w.call(&w.f, "version", vec![], vec![instance_key(&w.f), wasm_ref_key(&a, TOKEN), code_key(FOLLOWER_V1)], vec![])
    };
    @control "the instance's manager m" => || {
        World::get().call_f_ok()
    };

    // --- F: a ref key forged wherever XDR carries one
    F01, Tx, (Storage, ExceededLimit), "footprint: the ref key with temporary durability instead of persistent (follower call)" => || {
        let w = World::get();
        w.call(&w.f, "version", vec![], vec![instance_key(&w.f), temp_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], vec![])
    };
    @control "the ref key persistent" => || {
        World::get().call_f_ok()
    };
    F02, Tx, (Storage, MissingValue), "footprint and ledger entries: a ref entry owned by an account, handed in; `get_contract_wasm_ref` of that account" => || {
        let mut w = World::get();
        let a = account_address(9);
        w.ledger.put(wasm_ref_entry(&a, TOKEN, &wasm_hash(FOLLOWER_V1)), Some(LIVE_UNTIL));
        w.call(&w.p, "get", vec![sv_addr(&a), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&a, TOKEN)]].concat(), vec![])
    };
    @control "the ref owned by m" => || {
        let w = World::get();
        let ok = w.call_ok(&w.p, "get", vec![sv_addr(&w.m), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![]);
        assert_eq!(ok.result(), &sv_hash(&wasm_hash(FOLLOWER_V1)));
        ok
    };
    F03, Tx, (Storage, InternalError), "ledger entries: a ref entry handed in that is not in the footprint" => || {
        let w = World::get();
        let mut enc = w.ledger.encode(&Tx::new(invoke_fn(&w.f, "version", vec![]), footprint(w.f_keys(), vec![])));
        let mut narrower = Tx::new(invoke_fn(&w.f, "version", vec![]), footprint(vec![instance_key(&w.f), code_key(FOLLOWER_V1)], vec![]));
        narrower.resources.instructions = extref_testkit::e2e::TX_INSTRUCTIONS;
        enc.resources = to_xdr(&narrower.resources);
        harness::encoded(&w.ledger, &enc)
    };
    @control "the ref key in the footprint" => || {
        let w = World::get();
        let enc = w.ledger.encode(&Tx::new(invoke_fn(&w.f, "version", vec![]), footprint(w.f_keys(), vec![])));
        harness::succeeds_encoded(&w.ledger, &enc)
    };
    F04, Tx, (Value, UnexpectedType), "create args: `CreateContractV2` of a follower with constructor argument `LedgerKeyWasmRef(\"token\")`" => || {
        let w = World::get();
        let mut args = follower_args(&w.m, TOKEN);
        args.constructor_args = vec![ref_sv(TOKEN)].try_into().unwrap();
        w.create_with(args, vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    F05, Tx, (Value, UnexpectedType), "invocation args: `LedgerKeyWasmRef(\"token\")` as the key argument of `get_contract_wasm_ref`, bare and inside a vector and a map" => || {
        let w = World::get();
        let map = ScVal::Map(Some(ScMap(vec![ScMapEntry { key: ref_sv(TOKEN), val: ScVal::U32(1) }].try_into().unwrap())));
        harness::all_same([ref_sv(TOKEN), sv_vec(vec![ref_sv(TOKEN)]), map].into_iter().map(|k| {
            w.call(&w.p, "get", vec![sv_addr(&w.m), k], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![])
        }).collect())
    };
    F06, Tx, (Value, UnexpectedType), "auth entries: a contract-function authorization whose args carry `LedgerKeyWasmRef(\"token\")`" => || {
        let w = World::get();
        let auth = SorobanAuthorizationEntry {
            credentials: SorobanCredentials::SourceAccount,
            root_invocation: SorobanAuthorizedInvocation {
                function: SorobanAuthorizedFunction::ContractFn(InvokeContractArgs {
                    contract_address: w.m.clone(),
                    function_name: sc_symbol("set"),
                    args: vec![ref_sv(TOKEN)].try_into().unwrap(),
                }),
                sub_invocations: Default::default(),
            },
        };
        let tx = Tx::new(invoke_fn(&w.f, "version", vec![]), footprint(w.f_keys(), vec![])).with_auth(vec![auth]);
        harness::tx(&w.ledger, &tx)
    };
    F07, Tx, (Auth, InvalidAction), "auth entries: the source account's `CreateContractV2HostFn` authorization of a follower creation, its constructor args carrying `LedgerKeyWasmRef(\"token\")` (never converted: it authorizes nothing else)" => || {
        let w = World::get();
        let args = follower_args(&w.m, TOKEN);
        let mut forged = args.clone();
        forged.constructor_args = vec![ref_sv(TOKEN)].try_into().unwrap();
        let created = created_address(&args.contract_id_preimage);
        let tx = Tx::new(HostFunction::CreateContractV2(args), footprint(vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], vec![instance_key(&created)])).with_auth(vec![source_account_create_auth(&forged)]);
        harness::tx(&w.ledger, &tx)
    };
    F08, Tx, (Value, UnexpectedType), "auth entries: address credentials whose signature is `LedgerKeyWasmRef(\"token\")`" => || {
        let w = World::get();
        let auth = SorobanAuthorizationEntry {
            credentials: SorobanCredentials::AddressV2(SorobanAddressCredentials {
                address: account_address(9),
                nonce: 1,
                signature_expiration_ledger: LEDGER_SEQ + 10,
                signature: ref_sv(TOKEN),
            }),
            root_invocation: SorobanAuthorizedInvocation {
                function: SorobanAuthorizedFunction::ContractFn(InvokeContractArgs {
                    contract_address: w.f.clone(),
                    function_name: sc_symbol("version"),
                    args: Default::default(),
                }),
                sub_invocations: Default::default(),
            },
        };
        let tx = Tx::new(invoke_fn(&w.f, "version", vec![]), footprint(w.f_keys(), vec![])).with_auth(vec![auth]);
        harness::tx(&w.ledger, &tx)
    };
    F09, Tx, (Value, InternalError), "contract-instance storage: a follower instance (handed in) whose storage map has the key `LedgerKeyWasmRef(\"token\")`, loaded by the follower" => || {
        let mut w = World::get();
        let storage = ScMap(vec![ScMapEntry { key: ref_sv(TOKEN), val: ScVal::U32(1) }].try_into().unwrap());
        w.ledger.put(contract_instance(&w.g, external_ref(&w.m, PROBE), Some(storage)), Some(LIVE_UNTIL));
        w.call(&w.g, "idata", vec![sv_sym("k")], w.g_keys(&w.g), vec![])
    };
    F10, Tx, (Value, InternalError), "contract-instance storage: a contract instance whose storage map holds the value `LedgerKeyWasmRef(\"token\")`, loaded by the contract" => || {
        let mut w = World::get();
        let storage = ScMap(vec![ScMapEntry { key: sv_sym("k"), val: ref_sv(TOKEN) }].try_into().unwrap());
        w.ledger.put(contract_instance(&w.p, ContractExecutable::Wasm(wasm_hash(&w.probe)), Some(storage)), Some(LIVE_UNTIL));
        w.call(&w.p, "idata", vec![sv_sym("k")], w.probe_keys(&w.p), vec![])
    };
    F11, Tx, (Value, UnexpectedType), "events: `LedgerKeyWasmRef(\"token\")` to a contract that publishes its argument as an event topic and data" => || {
        let w = World::get();
        w.call(&w.p, "emit", vec![ref_sv(TOKEN)], w.probe_keys(&w.p), vec![])
    };
    F12, Tx, (Value, InternalError), "ledger entries: a contract-data entry (handed in) whose value is `LedgerKeyWasmRef(\"token\")`, read by its contract" => || {
        let mut w = World::get();
        let e = data_entry(&w.p, sv_sym("k"), ContractDataDurability::Persistent, ref_sv(TOKEN));
        let k = key_of(&e);
        w.ledger.put(e, Some(LIVE_UNTIL));
        w.call(&w.p, "data", vec![sv_sym("k")], [w.probe_keys(&w.p), vec![k]].concat(), vec![])
    };

    // --- E: ref entries of the wrong shape handed in by an embedder
    E01, Tx, (Storage, InternalError), "follower call; the ref entry's value is a U32" => || {
        World::get().with_token_ref_value(ScVal::U32(7)).call_f()
    };
    @control "the value a hash of uploaded code" => || {
        World::get().call_f_ok()
    };
    E02, Tx, (Storage, InternalError), "follower call; the ref entry's value is 31 bytes" => || {
        World::get().with_token_ref_value(sv_bytes(&[1; 31])).call_f()
    };
    @control "the value a hash of uploaded code" => || {
        World::get().call_f_ok()
    };
    E03, Tx, (Storage, InternalError), "follower call; the ref entry's value is 33 bytes" => || {
        World::get().with_token_ref_value(sv_bytes(&[1; 33])).call_f()
    };
    @control "the value a hash of uploaded code" => || {
        World::get().call_f_ok()
    };
    E04, Tx, (Storage, ExceededLimit), "follower call; the ref entry is temporary (wrong durability), declared and handed in as such" => || {
        let mut w = World::get();
        w.ledger.remove(&wasm_ref_key(&w.m, TOKEN));
        w.ledger.put(data_entry(&w.m, ref_sv(TOKEN), ContractDataDurability::Temporary, sv_hash(&wasm_hash(FOLLOWER_V1))), Some(LIVE_UNTIL));
        w.call(&w.f, "version", vec![], vec![instance_key(&w.f), temp_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], vec![])
    };
    @control "the ref entry persistent" => || {
        World::get().call_f_ok()
    };
    E05, Tx, (Storage, MissingValue), "follower call; a temporary entry under the ref's key handed in, the persistent ref declared but absent" => || {
        let mut w = World::get();
        w.ledger.remove(&wasm_ref_key(&w.m, TOKEN));
        w.ledger.put(data_entry(&w.m, ref_sv(TOKEN), ContractDataDurability::Temporary, sv_hash(&wasm_hash(FOLLOWER_V1))), Some(LIVE_UNTIL));
        w.call(&w.f, "version", vec![], [w.f_keys(), vec![temp_ref_key(&w.m, TOKEN)]].concat(), vec![])
    };
    @control "the persistent ref handed in (the temporary entry still there)" => || {
        let mut w = World::get();
        w.ledger.put(data_entry(&w.m, ref_sv(TOKEN), ContractDataDurability::Temporary, sv_hash(&wasm_hash(FOLLOWER_V1))), Some(LIVE_UNTIL));
        w.call_ok(&w.f, "version", vec![], [w.f_keys(), vec![temp_ref_key(&w.m, TOKEN)]].concat(), vec![])
    };
    E06, Tx, (Storage, InternalError), "follower call; the ref entry handed in without its TTL entry" => || {
        let w = World::get();
        let tx = Tx::new(invoke_fn(&w.f, "version", vec![]), footprint(w.f_keys(), vec![]));
        let mut enc = w.ledger.encode(&tx);
        let ref_xdr = to_xdr(w.ledger.get(&wasm_ref_key(&w.m, TOKEN)).map(|(e, _)| e.as_ref()).unwrap());
        let i = enc.entries.iter().position(|e| *e == ref_xdr).unwrap();
        enc.ttls[i] = vec![];
        harness::encoded(&w.ledger, &enc)
    };
    @control "its TTL entry handed in" => || {
        let w = World::get();
        let enc = w.ledger.encode(&Tx::new(invoke_fn(&w.f, "version", vec![]), footprint(w.f_keys(), vec![])));
        harness::succeeds_encoded(&w.ledger, &enc)
    };
    E07, Tx, (Storage, InternalError), "follower call; the ref entry handed in archived (live-until below the ledger)" => || {
        let mut w = World::get();
        w.ledger.set_live_until(&wasm_ref_key(&w.m, TOKEN), LEDGER_SEQ - 1);
        w.call_f()
    };
    @control "the ref live" => || {
        World::get().call_f_ok()
    };
    E08, Tx, (Storage, InternalError), "`get_contract_wasm_ref` of a ref whose value is a U32" => || {
        let w = World::get().with_token_ref_value(ScVal::U32(7));
        w.call(&w.p, "get", vec![sv_addr(&w.m), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![])
    };
    @control "the value a hash of uploaded code" => || {
        let w = World::get();
        let ok = w.call_ok(&w.p, "get", vec![sv_addr(&w.m), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![]);
        assert_eq!(ok.result(), &sv_hash(&wasm_hash(FOLLOWER_V1)));
        ok
    };
    E09, Tx, (Storage, InternalError), "`has_contract_wasm_ref` of a ref whose value is 31 bytes" => || {
        let w = World::get().with_token_ref_value(sv_bytes(&[1; 31]));
        w.call(&w.p, "has", vec![sv_addr(&w.m), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![])
    };
    @control "the value a hash of uploaded code" => || {
        let w = World::get();
        let ok = w.call_ok(&w.p, "has", vec![sv_addr(&w.m), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![]);
        assert_eq!(ok.result(), &ScVal::Bool(true));
        ok
    };
    E10, Tx, (Storage, InternalError), "`set_contract_wasm_ref` over an existing ref whose value is a U32" => || {
        let w = World::get().with_token_ref_value(ScVal::U32(7));
        w.call(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    @control "the value a hash of uploaded code" => || {
        let w = World::get();
        w.call_ok(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    E11, Tx, (Storage, InternalError), "`CreateContractV2` of a follower of a ref whose value is a U32" => || {
        let w = World::get().with_token_ref_value(ScVal::U32(7));
        w.create_follower(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    @control "the value a hash of uploaded code" => || {
        let w = World::get();
        w.create_follower_ok(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    E12, Tx, (Storage, InternalError), "`extend_contract_instance_and_code_ttl` of a follower whose ref's value is a U32" => || {
        let w = World::get().with_token_ref_value(ScVal::U32(7));
        w.call(&w.p, "ext_code", vec![sv_addr(&w.f), ScVal::U32(100), ScVal::U32(1000)],
            [w.probe_keys(&w.p), vec![instance_key(&w.f), wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]].concat(), vec![])
    };
    @control "the value a hash of uploaded code" => || {
        let w = World::get();
        w.call_ok(&w.p, "ext_code", vec![sv_addr(&w.f), ScVal::U32(100), ScVal::U32(1000)],
            [w.probe_keys(&w.p), vec![instance_key(&w.f), wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]].concat(), vec![])
    };

    // --- W: read-only versus read-write footprint
    W01, Tx, (Storage, ExceededLimit), "`set_contract_wasm_ref` updating a ref declared read-only" => || {
        let w = World::get();
        w.call(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2), wasm_ref_key(&w.m, TOKEN)]].concat(), vec![])
    };
    @control "the ref read-write" => || {
        let w = World::get();
        w.call_ok(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    W02, Tx, (Storage, ExceededLimit), "`set_contract_wasm_ref` creating a ref declared read-only" => || {
        let w = World::get();
        w.call(&w.m, "set", vec![sv_sym("new"), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2), wasm_ref_key(&w.m, "new")]].concat(), vec![])
    };
    @control "the ref read-write" => || {
        let w = World::get();
        let ok = w.call_ok(&w.m, "set", vec![sv_sym("new"), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, "new")]);
        assert!(ok.wrote(&wasm_ref_key(&w.m, "new")));
        ok
    };
    W03, Tx, (Storage, ExceededLimit), "`set_contract_wasm_ref` with the code entry not in the footprint" => || {
        let w = World::get();
        w.call(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], w.probe_keys(&w.m), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    @control "the code key in the footprint" => || {
        let w = World::get();
        w.call_ok(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)])
    };
    W04, Tx, (Storage, ExceededLimit), "`update_current_contract_external_ref` with the contract's instance declared read-only" => || {
        let w = World::get();
        w.call(&w.p, "follow", vec![sv_addr(&w.m), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![])
    };
    @control "the instance read-write" => || {
        let w = World::get();
        w.call_ok(&w.p, "follow", vec![sv_addr(&w.m), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![instance_key(&w.p)])
    };
    W05, Tx, (Storage, ExceededLimit), "`CreateContractV2` of a follower with the new instance declared read-only" => || {
        let w = World::get();
        w.create_follower(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], false)
    };
    @control "the new instance read-write" => || {
        let w = World::get();
        w.create_follower_ok(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    W06, Tx, (Storage, ExceededLimit), "`create_contract_with_external_ref` with the new instance declared read-only" => || {
        let w = World::get();
        w.call(&w.p, "create", vec![sv_addr(&w.p), sv_addr(&w.m), sv_sym(TOKEN), salt()],
            [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1), instance_key(&created_by(&w.p))]].concat(), vec![])
    };
    @control "the new instance read-write" => || {
        let w = World::get();
        w.call_ok(&w.p, "create", vec![sv_addr(&w.p), sv_addr(&w.m), sv_sym(TOKEN), salt()],
            [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]].concat(), vec![instance_key(&created_by(&w.p))])
    };
    W07, Tx, (Storage, ExceededLimit), "follower call with the ref entry not in the footprint" => || {
        let w = World::get();
        w.call(&w.f, "version", vec![], vec![instance_key(&w.f), code_key(FOLLOWER_V1)], vec![])
    };
    @control "the ref key in the footprint" => || {
        World::get().call_f_ok()
    };
    W08, Tx, (Storage, ExceededLimit), "`extend_contract_wasm_ref_ttl` with the ref entry not in the footprint" => || {
        let w = World::get();
        w.call(&w.m, "extend", vec![sv_sym(TOKEN), ScVal::U32(100), ScVal::U32(1000)], w.probe_keys(&w.m), vec![])
    };
    @control "the ref key in the footprint" => || {
        let w = World::get();
        w.call_ok(&w.m, "extend", vec![sv_sym(TOKEN), ScVal::U32(100), ScVal::U32(1000)], [w.probe_keys(&w.m), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![])
    };
    W09, Tx, (Storage, ExceededLimit), "`get_contract_wasm_ref` and `has_contract_wasm_ref` with the ref entry not in the footprint" => || {
        let w = World::get();
        harness::all_same(["get", "has"].iter().map(|f| {
            w.call(&w.p, f, vec![sv_addr(&w.m), sv_sym(TOKEN)], w.probe_keys(&w.p), vec![])
        }).collect())
    };
    @control "the ref key in the footprint" => || {
        let w = World::get();
        w.call_ok(&w.p, "get", vec![sv_addr(&w.m), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![]);
        w.call_ok(&w.p, "has", vec![sv_addr(&w.m), sv_sym(TOKEN)], [w.probe_keys(&w.p), vec![wasm_ref_key(&w.m, TOKEN)]].concat(), vec![])
    };
    W10, Tx, (Storage, ExceededLimit), "`CreateContractV2` of a follower with the ref entry not in the footprint" => || {
        let w = World::get();
        w.create_follower(&w.m, sc_symbol(TOKEN), vec![code_key(FOLLOWER_V1)], true)
    };
    @control "the ref key in the footprint" => || {
        let w = World::get();
        w.create_follower_ok(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };

    // --- P: protocol 27 on every new path
    P01, Tx, (WasmVm, InvalidAction), "protocol 27: upload of a protocol-27 contract importing `set_contract_wasm_ref` (l.h)" => || upload_at_27(wasm::importing(BASE_PROTOCOL, "h"));
    P02, Tx, (WasmVm, InvalidAction), "protocol 27: as P01, importing `create_contract_with_external_ref` (l.i)" => || upload_at_27(wasm::importing(BASE_PROTOCOL, "i"));
    P03, Tx, (WasmVm, InvalidAction), "protocol 27: as P01, importing `get_contract_wasm_ref` (l.j)" => || upload_at_27(wasm::importing(BASE_PROTOCOL, "j"));
    P04, Tx, (WasmVm, InvalidAction), "protocol 27: as P01, importing `has_contract_wasm_ref` (l.k)" => || upload_at_27(wasm::importing(BASE_PROTOCOL, "k"));
    P05, Tx, (WasmVm, InvalidAction), "protocol 27: as P01, importing `extend_contract_wasm_ref_ttl` (l.l)" => || upload_at_27(wasm::importing(BASE_PROTOCOL, "l"));
    P06, Tx, (WasmVm, InvalidAction), "protocol 27: as P01, importing `update_current_contract_external_ref` (l.m)" => || upload_at_27(wasm::importing(BASE_PROTOCOL, "m"));
    P07, Tx, (WasmVm, InvalidAction), "protocol 27: as P01, importing `create_contract_with_external_ref_and_constructor` (l.n)" => || upload_at_27(wasm::importing(BASE_PROTOCOL, "n"));
    P08, Tx, (WasmVm, InvalidInput), "protocol 27: upload of a contract declaring interface protocol 28 (as contracts built on the fork's env do)" => || upload_at_27(wasm::importing(FORK_PROTOCOL, "h"));
    P09, Tx, (Value, InvalidInput), "protocol 27: `CreateContract` (v1) with an ExternalRef executable" => || {
        let w = World::get().at_protocol(BASE_PROTOCOL);
        harness::tx(&w.ledger, &create_v1_tx(&w, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]))
    };
    @control "protocol 28" => || {
        let w = World::get();
        harness::succeeds(&w.ledger, &create_v1_tx(&w, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)]))
    };
    P10, Tx, (Value, InvalidInput), "protocol 27: `CreateContractV2` with an ExternalRef executable" => || {
        let w = World::get().at_protocol(BASE_PROTOCOL);
        w.create_follower(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    @control "protocol 28" => || {
        let w = World::get();
        w.create_follower_ok(&w.m, sc_symbol(TOKEN), vec![wasm_ref_key(&w.m, TOKEN), code_key(FOLLOWER_V1)], true)
    };
    P11, Tx, (Value, InvalidInput), "protocol 27: a call of a follower (instance handed in)" => || {
        World::get().at_protocol(BASE_PROTOCOL).call_f()
    };
    @control "protocol 28" => || {
        World::get().call_f_ok()
    };
    P12, Tx, (Value, InvalidInput), "protocol 27: `extend_contract_instance_and_code_ttl`, `extend_contract_code_ttl` and `extend_contract_instance_and_code_ttl_v2` (code scope) of a follower, by a protocol-27 contract" => || {
        let w = World27::new();
        harness::all_same(w.extends().into_iter().map(|tx| harness::tx(&w.w.ledger, &tx)).collect())
    };
    @control "protocol 28 (the same protocol-27 contract)" => || {
        let w = World27::new().at_fork_protocol();
        let mut all: Vec<Succeeded> = w.extends().iter().map(|tx| harness::succeeds(&w.w.ledger, tx)).collect();
        all.pop().unwrap()
    };
    P13, Tx, (Value, InvalidInput), "protocol 27: `get_address_executable` of a follower, by a protocol-27 contract" => || {
        let w = World27::new();
        w.w.call(&w.p27, "executable", vec![sv_addr(&w.w.f)], [w.keys(), w.w.f_keys()].concat(), vec![])
    };
    @control "protocol 28 (the same protocol-27 contract)" => || {
        let w = World27::new().at_fork_protocol();
        w.w.call_ok(&w.p27, "executable", vec![sv_addr(&w.w.f)], [w.keys(), w.w.f_keys()].concat(), vec![])
    };
    P14, Tx, (Context, InvalidAction), "protocol 27: `try_call` of a follower by a protocol-27 contract (the guest sees the narrowed error)" => || {
        let w = World27::new();
        harness::tx_mentioning(&w.w.ledger, &Tx::new(invoke_fn(&w.p27, "try", vec![sv_addr(&w.w.f), sv_sym("version"), sv_vec(vec![])]), footprint([w.keys(), w.w.f_keys()].concat(), vec![])), "external ref executables need protocol 28")
    };
    @caught "`try` (protocol-27 probe) returns `[error, caught]`, built after the catch";

    // --- B: budget exhaustion at every charge (host), or across a transaction
    B01, Contract, (Budget, ExceededLimit), "CPU exhausted at each charge of `set_contract_wasm_ref` (hash visit, code lookup, key build, ref read, write, event)" => || {
        walk_fork_fn(Dim::Cpu, |w| w.as_contract(w.manager, || w.host.set_contract_wasm_ref(sym(&w.host, TOKEN)?, w.v2)))
    };
    B02, Contract, (Budget, ExceededLimit), "memory exhausted at each allocation of `set_contract_wasm_ref`" => || {
        walk_fork_fn(Dim::Mem, |w| w.as_contract(w.manager, || w.host.set_contract_wasm_ref(sym(&w.host, TOKEN)?, w.v2)))
    };
    B03, Contract, (Budget, ExceededLimit), "CPU exhausted at each charge of `create_contract_with_external_ref` (auth, id, ref check, instance write, constructor lookup on the resolved code)" => || {
        walk_fork_fn(Dim::Cpu, |w| w.as_contract(w.contract, || {
            w.host.create_contract_with_external_ref(w.contract, w.manager, sym(&w.host, TOKEN)?, extref_testkit::bytes32(&w.host, [4; 32])?)
        }))
    };
    B04, Contract, (Budget, ExceededLimit), "memory exhausted at each allocation of `create_contract_with_external_ref`" => || {
        walk_fork_fn(Dim::Mem, |w| w.as_contract(w.contract, || {
            w.host.create_contract_with_external_ref(w.contract, w.manager, sym(&w.host, TOKEN)?, extref_testkit::bytes32(&w.host, [4; 32])?)
        }))
    };
    B05, Contract, (Budget, ExceededLimit), "CPU exhausted at each charge of `get_contract_wasm_ref` and `has_contract_wasm_ref`" => || {
        harness::all_same(vec![
            walk_fork_fn(Dim::Cpu, |w| w.host.get_contract_wasm_ref(w.manager, sym(&w.host, TOKEN)?)),
            walk_fork_fn(Dim::Cpu, |w| w.host.has_contract_wasm_ref(w.manager, sym(&w.host, TOKEN)?)),
        ])
    };
    B06, Contract, (Budget, ExceededLimit), "memory exhausted at each allocation of `get_contract_wasm_ref` and `has_contract_wasm_ref`" => || {
        harness::all_same(vec![
            walk_fork_fn(Dim::Mem, |w| w.host.get_contract_wasm_ref(w.manager, sym(&w.host, TOKEN)?)),
            walk_fork_fn(Dim::Mem, |w| w.host.has_contract_wasm_ref(w.manager, sym(&w.host, TOKEN)?)),
        ])
    };
    B07, Contract, (Budget, ExceededLimit), "CPU exhausted at each charge of `extend_contract_wasm_ref_ttl`" => || {
        walk_fork_fn(Dim::Cpu, |w| w.as_contract(w.manager, || w.host.extend_contract_wasm_ref_ttl(sym(&w.host, TOKEN)?, 10_000u32.into(), 20_000u32.into())))
    };
    B08, Contract, (Budget, ExceededLimit), "memory exhausted at each allocation of `extend_contract_wasm_ref_ttl`" => || {
        walk_fork_fn(Dim::Mem, |w| w.as_contract(w.manager, || w.host.extend_contract_wasm_ref_ttl(sym(&w.host, TOKEN)?, 10_000u32.into(), 20_000u32.into())))
    };
    B09, Contract, (Budget, ExceededLimit), "CPU exhausted at each charge of `update_current_contract_external_ref` (ref check, instance read, event, instance write)" => || {
        walk_fork_fn(Dim::Cpu, |w| w.as_contract(w.contract, || w.host.update_current_contract_external_ref(w.manager, sym(&w.host, TOKEN)?)))
    };
    B10, Contract, (Budget, ExceededLimit), "memory exhausted at each allocation of `update_current_contract_external_ref`" => || {
        walk_fork_fn(Dim::Mem, |w| w.as_contract(w.contract, || w.host.update_current_contract_external_ref(w.manager, sym(&w.host, TOKEN)?)))
    };
    B11, Contract, (Budget, ExceededLimit), "CPU exhausted at each charge of `create_contract_with_external_ref_and_constructor`" => || {
        walk_fork_fn(Dim::Cpu, |w| w.as_contract(w.contract, || {
            w.host.create_contract_with_external_ref_and_constructor(w.contract, w.manager, sym(&w.host, TOKEN)?, extref_testkit::bytes32(&w.host, [4; 32])?, w.host.vec_new()?)
        }))
    };
    B12, Contract, (Budget, ExceededLimit), "memory exhausted at each allocation of `create_contract_with_external_ref_and_constructor`" => || {
        walk_fork_fn(Dim::Mem, |w| w.as_contract(w.contract, || {
            w.host.create_contract_with_external_ref_and_constructor(w.contract, w.manager, sym(&w.host, TOKEN)?, extref_testkit::bytes32(&w.host, [4; 32])?, w.host.vec_new()?)
        }))
    };
    B13, Contract, (Budget, ExceededLimit), "CPU exhausted at each charge of resolution and the call it leads to (a follower call: instance, ref read, code, VM)" => || {
        walk_fork_fn(Dim::Cpu, |w| w.call(w.follower, "version"))
    };
    B14, Contract, (Budget, ExceededLimit), "memory exhausted at each allocation of resolution and the call it leads to" => || {
        walk_fork_fn(Dim::Mem, |w| w.call(w.follower, "version"))
    };
    B15, Tx, (Budget, ExceededLimit), "CPU exhausted at each charge of a `CreateContractV2` transaction of a follower (decoding, auth, id, ref check, instance write, constructor lookup), module cache" => || {
        let w = World::get();
        harness::tx_budget_walk(&w.ledger, &create_tx(&w), &w.cache(), Dim::Cpu, 100)
    };
    B16, Tx, (Budget, ExceededLimit), "memory exhausted at each allocation of a `CreateContractV2` transaction of a follower, module cache" => || {
        let w = World::get();
        harness::tx_budget_walk(&w.ledger, &create_tx(&w), &w.cache(), Dim::Mem, 20)
    };
    B17, Contract, (Budget, ExceededLimit), "CPU exhausted at each charge of a `try_call` of a follower: budget errors are not recoverable" => || {
        walk_fork_fn(Dim::Cpu, |w| w.as_contract(w.contract, || {
            let v = w.host.try_call(w.follower, sym(&w.host, "version")?, w.host.vec_new()?)?;
            assert!(Error::try_from(v).is_err(), "a budget error reached the guest");
            Ok(v)
        }))
    };
    B18, Tx, (Budget, ExceededLimit), "CPU exhausted at each charge of a follower call through `invoke_host_function` (instance, ref read, code, VM), module cache" => || {
        let w = World::get();
        harness::tx_budget_walk(&w.ledger, &Tx::new(invoke_fn(&w.f, "version", vec![]), footprint(w.f_keys(), vec![])), &w.cache(), Dim::Cpu, 100)
    };
    B19, Tx, (Budget, ExceededLimit), "memory exhausted at each allocation of a follower call through `invoke_host_function`, module cache" => || {
        let w = World::get();
        harness::tx_budget_walk(&w.ledger, &Tx::new(invoke_fn(&w.f, "version", vec![]), footprint(w.f_keys(), vec![])), &w.cache(), Dim::Mem, 20)
    };
    B20, Tx, (Budget, ExceededLimit), "CPU exhausted at each charge of a manager's `set_contract_wasm_ref` transaction, module cache" => || {
        let w = World::get();
        let tx = Tx::new(invoke_fn(&w.m, "set", vec![sv_sym(TOKEN), sv_hash(&wasm_hash(FOLLOWER_V2))]), footprint([w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, TOKEN)]));
        harness::tx_budget_walk(&w.ledger, &tx, &w.cache(), Dim::Cpu, 100)
    };
    B21, Tx, (Budget, ExceededLimit), "instruction limit at 40 points below the cost of a follower call without a module cache (the resolved code is parsed)" => || {
        let w = World::get();
        harness::tx_budget_sweep(&w.ledger, &Tx::new(invoke_fn(&w.f, "version", vec![]), footprint(w.f_keys(), vec![])), 40)
    };

    // --- D: deep call chains, ref updates by nested frames
    D01, Tx, (WasmVm, MissingValue), "p -> g -> m.set(\"probe\", follower v1), then p -> g2.fwd: g2's next frame resolves to v1, which has no `fwd`" => || {
        let w = World::get();
        let set = sv_vec(vec![sv_sym(PROBE), sv_hash(&wasm_hash(FOLLOWER_V1))]);
        let inner = sv_vec(vec![sv_addr(&w.m), sv_sym("set"), set]);
        w.call(&w.p, "two", vec![sv_addr(&w.g), sv_sym("fwd"), inner, sv_addr(&w.g2), sv_sym("fwd"), sv_vec(vec![sv_addr(&w.p), sv_sym("version"), sv_vec(vec![])])],
            [w.probe_keys(&w.p), w.g_keys(&w.g), vec![instance_key(&w.g2), instance_key(&w.m), code_key(FOLLOWER_V1)]].concat(), vec![wasm_ref_key(&w.m, PROBE)])
    };
    D02, Tx, (WasmVm, InvalidAction), "p -> g -> m.set(\"probe\", follower v2) succeeds, then p traps: the nested update is rolled back" => || {
        let w = World::get();
        let set = sv_vec(vec![sv_sym(PROBE), sv_hash(&wasm_hash(FOLLOWER_V2))]);
        w.call(&w.p, "fwd_fail", vec![sv_addr(&w.g), sv_sym("fwd"), sv_vec(vec![sv_addr(&w.m), sv_sym("set"), set])],
            [w.probe_keys(&w.p), w.g_keys(&w.g), vec![instance_key(&w.m), code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, PROBE)])
    };
    D03, Tx, (WasmVm, MissingValue), "g -> m.set(\"probe\", follower v2), updating g's own ref from a nested frame: g's running frame keeps its code and goes on to call g2.fwd, which resolves to v2 (no `fwd`)" => || {
        let w = World::get();
        let set = sv_vec(vec![sv_sym(PROBE), sv_hash(&wasm_hash(FOLLOWER_V2))]);
        w.call(&w.g, "two", vec![sv_addr(&w.m), sv_sym("set"), set, sv_addr(&w.g2), sv_sym("fwd"), sv_vec(vec![sv_addr(&w.p), sv_sym("version"), sv_vec(vec![])])],
            [w.g_keys(&w.g), vec![instance_key(&w.m), instance_key(&w.g2), code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, PROBE)])
    };
    D04, Tx, (Context, InvalidAction), "re-entry through a follower: g -> m -> g" => || {
        let w = World::get();
        w.call(&w.g, "fwd", vec![sv_addr(&w.m), sv_sym("fwd"), sv_vec(vec![sv_addr(&w.g), sv_sym("version"), sv_vec(vec![])])],
            [w.g_keys(&w.g), vec![instance_key(&w.m)]].concat(), vec![])
    };
    D05, Tx, (Context, ExceededLimit), "a call chain one frame deeper than the host allows, alternating followers and plain Wasm contracts" => deep_chain;
    D06, Tx, (Storage, ExceededLimit), "a follower frame (running the manager's code) calls `set_contract_wasm_ref`: it targets its own ref, and only the manager's is writable" => || {
        let w = World::get();
        w.call(&w.g, "set", vec![sv_sym(PROBE), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.g_keys(&w.g), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.m, PROBE)])
    };
    @control "g's own ref (g, \"probe\") read-write, which it writes" => || {
        let w = World::get();
        let ok = w.call_ok(&w.g, "set", vec![sv_sym(PROBE), sv_hash(&wasm_hash(FOLLOWER_V2))], [w.g_keys(&w.g), vec![code_key(FOLLOWER_V2)]].concat(), vec![wasm_ref_key(&w.g, PROBE)]);
        assert!(ok.wrote(&wasm_ref_key(&w.g, PROBE)));
        ok
    };
    D07, Tx, (Storage, MissingValue), "p -> g -> g2 -> f where f's ref is missing (declared): the error crosses Wasm and ExternalRef frames" => || {
        let mut w = World::get();
        w.ledger.remove(&wasm_ref_key(&w.m, TOKEN));
        let inner = sv_vec(vec![sv_addr(&w.f), sv_sym("version"), sv_vec(vec![])]);
        let mid = sv_vec(vec![sv_addr(&w.g2), sv_sym("fwd"), inner]);
        w.call(&w.p, "fwd", vec![sv_addr(&w.g), sv_sym("fwd"), mid],
            [w.probe_keys(&w.p), w.g_keys(&w.g), vec![instance_key(&w.g2)], w.f_keys()].concat(), vec![])
    };
    @control "f's ref present: the chain answers f's version, 1" => || {
        let w = World::get();
        let inner = sv_vec(vec![sv_addr(&w.f), sv_sym("version"), sv_vec(vec![])]);
        let mid = sv_vec(vec![sv_addr(&w.g2), sv_sym("fwd"), inner]);
        let ok = w.call_ok(&w.p, "fwd", vec![sv_addr(&w.g), sv_sym("fwd"), mid],
            [w.probe_keys(&w.p), w.g_keys(&w.g), vec![instance_key(&w.g2)], w.f_keys()].concat(), vec![]);
        assert_eq!(ok.result(), &ScVal::U32(1));
        ok
    };

    // --- T: try_call of a follower whose ref is missing or broken
    T01, Tx, (Context, InvalidAction), "`try_call` of a follower whose ref is missing (declared): the guest recovers with the narrowed error" => || {
        let mut w = World::get();
        w.ledger.remove(&wasm_ref_key(&w.m, TOKEN));
        harness::tx_mentioning(&w.ledger, &Tx::new(invoke_fn(&w.p, "try", vec![sv_addr(&w.f), sv_sym("version"), sv_vec(vec![])]), footprint([w.probe_keys(&w.p), w.f_keys()].concat(), vec![])), "wasm ref")
    };
    @caught "`try` returns `[error, caught]`, built after the catch";
    T02, Tx, (Storage, ExceededLimit), "`try_call` of a follower whose ref is not in the footprint: not recoverable" => || {
        let w = World::get();
        w.call(&w.p, "try", vec![sv_addr(&w.f), sv_sym("version"), sv_vec(vec![])], [w.probe_keys(&w.p), vec![instance_key(&w.f), code_key(FOLLOWER_V1)]].concat(), vec![])
    };
    @control "the ref key in the footprint: `try` returns f's version, 1" => || {
        let w = World::get();
        let ok = w.call_ok(&w.p, "try", vec![sv_addr(&w.f), sv_sym("version"), sv_vec(vec![])], [w.probe_keys(&w.p), w.f_keys()].concat(), vec![]);
        assert_eq!(ok.result(), &ScVal::U32(1));
        ok
    };
    T03, Tx, (Storage, InternalError), "`try_call` of a follower whose ref's value is a U32: not recoverable" => || {
        let w = World::get().with_token_ref_value(ScVal::U32(7));
        w.call(&w.p, "try", vec![sv_addr(&w.f), sv_sym("version"), sv_vec(vec![])], [w.probe_keys(&w.p), w.f_keys()].concat(), vec![])
    };
    @control "the value a hash of uploaded code: `try` returns f's version, 1" => || {
        let w = World::get();
        let ok = w.call_ok(&w.p, "try", vec![sv_addr(&w.f), sv_sym("version"), sv_vec(vec![])], [w.probe_keys(&w.p), w.f_keys()].concat(), vec![]);
        assert_eq!(ok.result(), &ScVal::U32(1));
        ok
    };
    T04, Tx, (Context, InvalidAction), "`try_call` of a follower whose ref points at code that does not exist: the guest recovers with the narrowed error" => || {
        let h = Hash([0xee; 32]);
        let w = World::get().with_token_ref_value(sv_hash(&h));
        w.call(&w.p, "try", vec![sv_addr(&w.f), sv_sym("version"), sv_vec(vec![])], [w.probe_keys(&w.p), vec![instance_key(&w.f), wasm_ref_key(&w.m, TOKEN), code_key_of(&h)]].concat(), vec![])
    };
    @caught "`try` returns `[error, caught]`, built after the catch";
    T05, Contract, (Context, InvalidAction), "`try_call` of a follower whose ref is missing, from a contract frame on the host" => || {
        let w = HostWorld::new(&wasm::probe(true));
        remove_ref(&w, TOKEN);
        harness::host_guest(&w.host, || w.as_contract(w.contract, || {
            let r = w.host.try_call(w.follower, sym(&w.host, "version")?, w.host.vec_new()?)?;
            // The frame goes on after catching, as the probe's `try` does.
            let v = w.host.vec_push_back(w.host.vec_new()?, r)?;
            Ok(w.host.vec_push_back(v, sym(&w.host, "caught")?.into())?.into())
        }))
    };
    @caught "the contract frame (test code on the host, not Wasm) returns `[error, caught]`, built after the catch";
}

// ---------------------------------------------------------------------------
// Case helpers
// ---------------------------------------------------------------------------

fn temp_ref_key(manager: &ScAddress, key: &str) -> LedgerKey {
    LedgerKey::ContractData(LedgerKeyContractData {
        contract: manager.clone(),
        key: ref_sv(key),
        durability: ContractDataDurability::Temporary,
    })
}

fn wasm_ref_key_raw(manager: &ScAddress, key: &str) -> LedgerKey {
    LedgerKey::ContractData(LedgerKeyContractData {
        contract: manager.clone(),
        key: ScVal::LedgerKeyWasmRef(raw_symbol(key)),
        durability: ContractDataDurability::Persistent,
    })
}

/// The source account's `CreateContract` (v1) of a follower of (m, `key`)
/// with salt 7 (its auth entry included); footprint: `ro`, and the new
/// instance read-write.
fn create_v1_tx(w: &World, key: ScSymbol, ro: Vec<LedgerKey>) -> Tx {
    let args = CreateContractArgs {
        contract_id_preimage: ContractIdPreimage::Address(ContractIdPreimageFromAddress {
            address: ScAddress::Account(source_account()),
            salt: Uint256([7; 32]),
        }),
        executable: ContractExecutable::ExternalRef(Box::new(ContractExecutableExternalRef {
            manager: w.m.clone(),
            key,
        })),
    };
    let created = created_address(&args.contract_id_preimage);
    let auth = SorobanAuthorizationEntry {
        credentials: SorobanCredentials::SourceAccount,
        root_invocation: SorobanAuthorizedInvocation {
            function: SorobanAuthorizedFunction::CreateContractHostFn(args.clone()),
            sub_invocations: Default::default(),
        },
    };
    Tx::new(
        HostFunction::CreateContract(args),
        footprint(ro, vec![instance_key(&created)]),
    )
    .with_auth(vec![auth])
}

/// `CreateContractV2` args deploying a follower of (`manager`, `key`) from the
/// source account with salt 7.
fn follower_args(manager: &ScAddress, key: &str) -> CreateContractArgsV2 {
    extref_testkit::e2e::create_follower_args(
        &ScAddress::Account(source_account()),
        [7; 32],
        manager,
        key,
    )
}

/// Applies a transaction whose host function is raw XDR (`host_fn`), with
/// footprint `ro` read-only.
fn raw_host_fn_tx(ledger: &Ledger, host_fn: Vec<u8>, ro: Vec<LedgerKey>) -> Observed {
    let placeholder = Tx::new(
        HostFunction::UploadContractWasm(Default::default()),
        footprint(ro, vec![]),
    );
    let mut enc = ledger.encode(&placeholder);
    enc.host_fn = host_fn;
    harness::encoded(ledger, &enc)
}

/// Replaces the first occurrence of `marker`'s XDR (a 32-character symbol:
/// length, bytes) with a 33-character one.
fn lengthen_symbol(mut xdr: Vec<u8>, marker: &str) -> Vec<u8> {
    assert_eq!(marker.len(), 32);
    let mut needle = 32u32.to_be_bytes().to_vec();
    needle.extend_from_slice(marker.as_bytes());
    let at = xdr
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("marker in the XDR");
    // 33 bytes padded to 36: length 33, the text, one more char, 3 zero bytes.
    let mut long = 33u32.to_be_bytes().to_vec();
    long.extend_from_slice(marker.as_bytes());
    long.extend_from_slice(b"x\0\0\0");
    xdr.splice(at..at + needle.len(), long);
    xdr
}

fn overlong_key_create(w: &World) -> Vec<u8> {
    let args = CreateContractArgsV2 {
        executable: external_ref(&w.m, KEY32),
        ..follower_args(&w.m, TOKEN)
    };
    lengthen_symbol(to_xdr(&HostFunction::CreateContractV2(args)), KEY32)
}

fn overlong_symbol_arg(w: &World) -> Vec<u8> {
    let host_fn = invoke_fn(&w.p, "get", vec![sv_addr(&w.m), sv_sym(KEY32)]);
    lengthen_symbol(to_xdr(&host_fn), KEY32)
}

/// Uploads `wasm` with an `UploadContractWasm` transaction at protocol 27.
fn upload_at_27(wasm: Vec<u8>) -> Observed {
    let w = World::get().at_protocol(BASE_PROTOCOL);
    let host_fn = HostFunction::UploadContractWasm(wasm.clone().try_into().unwrap());
    w.run(host_fn, vec![], vec![code_key(&wasm)])
}

/// The world at protocol 27 with a protocol-27 probe `p27` deployed.
struct World27 {
    w: World,
    p27: ScAddress,
    code: Vec<u8>,
}

impl World27 {
    fn new() -> World27 {
        let mut w = World::get().at_protocol(BASE_PROTOCOL);
        let code = wasm::probe(false);
        let p27 = contract_address(0x27);
        w.ledger.put(code_entry(&code), Some(LIVE_UNTIL));
        w.ledger.put(
            instance_entry(&p27, ContractExecutable::Wasm(wasm_hash(&code))),
            Some(LIVE_UNTIL),
        );
        World27 { w, p27, code }
    }

    fn keys(&self) -> Vec<LedgerKey> {
        vec![instance_key(&self.p27), code_key(&self.code)]
    }

    /// The same ledger at protocol 28 (a protocol-27 contract still runs).
    fn at_fork_protocol(mut self) -> Self {
        self.w = self.w.at_protocol(FORK_PROTOCOL);
        self
    }

    /// p27's three extensions of f's code: `ext_code`, `ext_code_only`,
    /// `ext_v2` with scope 2, `ContractTtlExtension::Code` (the probe passes
    /// the U32Val's value, the raw enum the host function takes).
    fn extends(&self) -> Vec<Tx> {
        let args = |extra: Vec<ScVal>| [vec![sv_addr(&self.w.f)], extra].concat();
        let keys = [
            self.keys(),
            vec![
                instance_key(&self.w.f),
                wasm_ref_key(&self.w.m, TOKEN),
                code_key(FOLLOWER_V1),
            ],
        ]
        .concat();
        [
            ("ext_code", args(vec![ScVal::U32(100), ScVal::U32(1000)])),
            (
                "ext_code_only",
                args(vec![ScVal::U32(100), ScVal::U32(1000)]),
            ),
            (
                "ext_v2",
                args(vec![
                    ScVal::U32(2),
                    ScVal::U32(1000),
                    ScVal::U32(0),
                    ScVal::U32(u32::MAX),
                ]),
            ),
        ]
        .into_iter()
        .map(|(f, a)| Tx::new(invoke_fn(&self.p27, f, a), fp(keys.clone(), vec![])))
        .collect()
    }
}

/// Walks the budget of `op` on a fresh [`HostWorld`] (its extra contract: the
/// probe); `op` must fail at 2 charges at least.
fn walk_fork_fn<T>(dim: Dim, op: impl Fn(&HostWorld) -> Result<T, HostError>) -> Observed {
    let w = HostWorld::new(&wasm::probe(true));
    let frame = w.contract_id(w.contract).unwrap();
    harness::budget_walk(&w.host, frame, dim, 2, || op(&w))
}

/// Deletes `manager`'s ref `key` from the host's storage, as an embedder
/// whose ledger lost it would (no host function can).
fn remove_ref(w: &HostWorld, key: &str) {
    let manager = w.host.scaddress_from_address(w.manager).unwrap();
    let key = std::rc::Rc::new(wasm_ref_key(&manager, key));
    w.host
        .setup_storage_entry(key, None, AccessType::ReadWrite)
        .unwrap();
}

/// A chain of calls `l[0].chain(l, 1)` -> `l[1].chain(l, 2)` -> ... over
/// distinct contracts alternating followers of (m, "probe") and plain probe
/// contracts. The host allows `DEFAULT_HOST_DEPTH_LIMIT` frames: a chain of
/// one contract fewer runs (control: the transaction's own frame counts), the
/// full chain fails.
fn deep_chain() -> Observed {
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(|| {
            let mut w = World::get();
            let depth = soroban_env_host::DEFAULT_HOST_DEPTH_LIMIT as usize;
            let exe_plain = ContractExecutable::Wasm(wasm_hash(&w.probe));
            let contracts: Vec<ScAddress> = (0..depth)
                .map(|i| {
                    let mut id = [0x40u8; 32];
                    id[..4].copy_from_slice(&(i as u32).to_be_bytes());
                    ScAddress::Contract(soroban_env_host::xdr::ContractId(Hash(id)))
                })
                .collect();
            for (i, c) in contracts.iter().enumerate() {
                let exe = if i % 2 == 0 {
                    external_ref(&w.m, PROBE)
                } else {
                    exe_plain.clone()
                };
                w.ledger.put(instance_entry(c, exe), Some(LIVE_UNTIL));
            }
            let cache = extref_testkit::e2e::module_cache(FORK_PROTOCOL, &[&w.probe]).unwrap();
            let chain_tx = |n: usize| {
                let list = sv_vec(contracts[..n].iter().map(sv_addr).collect());
                let mut ro: Vec<LedgerKey> = contracts[..n].iter().map(instance_key).collect();
                ro.extend([wasm_ref_key(&w.m, PROBE), w.probe_code()]);
                Tx::new(
                    invoke_fn(&contracts[0], "chain", vec![list, ScVal::U32(1)]),
                    footprint(ro, vec![]),
                )
            };
            let ok = w
                .ledger
                .apply(&chain_tx(depth - 1), Some(cache.clone()))
                .unwrap();
            assert_eq!(
                ok.result.unwrap(),
                ScVal::U32(depth as u32 - 1),
                "control chain"
            );
            harness::tx_with_cache(&w.ledger, &chain_tx(depth), Some(cache))
        })
        .unwrap()
        .join()
        .unwrap()
}

/// The other side of S01 and S02: keys of 0 and 32 characters are valid refs
/// that a manager can set (so those rows fail on the missing ref, not on the key).
#[test]
fn keys_of_0_and_32_characters_are_valid_refs() {
    let w = World::get();
    for key in ["", KEY32] {
        let tx = Tx::new(
            invoke_fn(
                &w.m,
                "set",
                vec![sv_sym(key), sv_hash(&wasm_hash(FOLLOWER_V2))],
            ),
            fp(
                [w.probe_keys(&w.m), vec![code_key(FOLLOWER_V2)]].concat(),
                vec![wasm_ref_key(&w.m, key)],
            ),
        );
        let applied = w.ledger.apply(&tx, None).unwrap();
        assert_eq!(applied.result.as_ref().unwrap(), &ScVal::Void);
        let written = applied.change(&wasm_ref_key(&w.m, key)).unwrap();
        assert_eq!(
            written.new_entry,
            Some(wasm_ref_entry(&w.m, key, &wasm_hash(FOLLOWER_V2)))
        );
    }
}
