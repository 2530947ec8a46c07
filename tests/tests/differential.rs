//! Differential property test: random protocol-27 workloads (no ExternalRef)
//! on the fork and on unforked crates.io soroban-env-host 27.0.1 must give
//! identical reports: results, events, ledger changes, storage, metered CPU
//! instructions and memory bytes, op by op and per cost type.
//!
//! The workload language (`crates/drift/language.rs`, typed: `Workload`,
//! `Op`…) and its one interpreter (`crates/drift/differential.rs`) are
//! compiled here against the fork and in `crates/drift` against upstream; the
//! reference runs as one subprocess (`drift-reference --differential`, one
//! workload per line, as JSON). proptest generates `Op` values here and
//! shrinks a failing workload to a minimal one; the test kit's drift
//! reporter (`extref_testkit::drift`, shared with `no_drift.rs`) compares the
//! reports and prints the minimal workload as JSON with a readable diff.
//! `PROPTEST_CASES` sets the number of workloads (default 64),
//! `PROPTEST_RNG_SEED` the seed, and `DIFFERENTIAL_DUMP=FILE` writes every
//! workload with its report; `docs/differential.md` has the long run.

#[allow(dead_code)]
#[path = "../../crates/drift/differential.rs"]
mod differential;

use std::{
    cell::RefCell,
    collections::BTreeMap,
    hash::BuildHasher,
    io::Write,
    path::{Path, PathBuf},
    time::Instant,
};

use differential::language::{
    Address, AddressCredentials, ApplyAuth, Arg, Asset, AuthEntry, AuthFn, AuthMode, Call,
    ContractRef, CpuLimit, Create, Credentials, CredentialsKind, Durability, Footprint, HostFn,
    Invocation, Kind, Op, SimAuth, Target, TtlScope, Tx, Wasm, Workload, FIXTURES,
};
use extref_testkit::drift::{self, DriftReference};

use proptest::{
    prelude::*,
    test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner},
};
use serde_json::{json, Value};

/// Workloads per run unless `PROPTEST_CASES` says otherwise: CI's size.
const DEFAULT_CASES: u32 = 64;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

// ---------------------------------------------------------------------------
// The reference: upstream 27.0.1, one process for every workload
// ---------------------------------------------------------------------------

/// Builds the reference with this test's optimization and starts it in
/// `--differential` mode (one workload per line, one report per line).
fn start_reference() -> DriftReference {
    DriftReference::start(&repo_root(), !cfg!(debug_assertions), "--differential")
}

/// Runs `workload` on both hosts, the reference in parallel with the fork.
/// JSON is only the wire to the reference.
fn run_both(reference: &mut DriftReference, workload: &Workload) -> (Value, Value) {
    reference.send(&serde_json::to_string(workload).expect("JSON"));
    let fork = differential::run(workload);
    let upstream = serde_json::from_str(&reference.receive()).expect("the reference answers JSON");
    (fork, upstream)
}

/// The reporter's verdict on the two reports of `workload`.
fn check(workload: &Workload, fork: &Value, upstream: &Value) -> Result<(), String> {
    let json = serde_json::to_string(workload).expect("JSON");
    drift::check(fork, upstream, Some(&json))
}

// ---------------------------------------------------------------------------
// Generating workloads
// ---------------------------------------------------------------------------

/// A Wasm: mostly the fixtures, sometimes one never uploaded.
fn wasm() -> BoxedStrategy<Wasm> {
    prop_oneof![
        12 => prop::sample::select(&FIXTURES[..]),
        1 => Just(Wasm::Bogus),
    ]
    .boxed()
}

fn acct() -> BoxedStrategy<Address> {
    (1u8..=4).prop_map(Address::acct).boxed()
}

fn contract() -> BoxedStrategy<ContractRef> {
    (0u8..6).prop_map(ContractRef::any).boxed()
}

/// A contract of a kind.
fn contract_of(kind: Kind) -> BoxedStrategy<ContractRef> {
    (0u8..3).prop_map(move |i| ContractRef::of(kind, i)).boxed()
}

/// An address: often the default source account (1) or a custom account,
/// whose authorization transactions can provide.
fn addr() -> BoxedStrategy<Address> {
    prop_oneof![
        2 => Just(Address::acct(1)),
        1 => acct(),
        1 => contract().prop_map(Address::Contract),
        2 => contract_of(Kind::Account).prop_map(Address::Contract),
    ]
    .boxed()
}

fn i128_arg() -> BoxedStrategy<Arg> {
    prop_oneof![
        8 => (-3i64..1000).prop_map(i128::from),
        1 => Just(i128::MAX),
        1 => Just(i128::MIN),
    ]
    .prop_map(Arg::I128)
    .boxed()
}

fn u32_arg() -> BoxedStrategy<Arg> {
    prop_oneof![8 => 0u32..60, 1 => Just(u32::MAX)]
        .prop_map(Arg::U32)
        .boxed()
}

/// Symbols: the follower's keys, and the account's instance key.
fn sym_arg() -> BoxedStrategy<Arg> {
    prop_oneof![
        6 => prop::sample::select(&["k", "a"][..]),
        1 => prop::sample::select(&["n", "last_ctx"][..]),
    ]
    .prop_map(Arg::sym)
    .boxed()
}

fn leaf_arg() -> BoxedStrategy<Arg> {
    prop_oneof![
        3 => u32_arg(),
        1 => (-5i32..5).prop_map(Arg::I32),
        1 => (0u64..3).prop_map(Arg::U64),
        2 => i128_arg(),
        3 => sym_arg(),
        1 => prop::sample::select(&["", "x", "hello"][..]).prop_map(|s| Arg::Str(s.to_string())),
        1 => (prop::sample::select(&[0u32, 1, 32, 100][..]), 0u8..3)
            .prop_map(|(len, fill)| Arg::Bytes(len, fill)),
        1 => any::<bool>().prop_map(Arg::Bool),
        1 => Just(Arg::Void),
        3 => addr().prop_map(Arg::Addr),
    ]
    .boxed()
}

fn arg() -> BoxedStrategy<Arg> {
    leaf_arg()
        .prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Arg::Vec),
                // A host map's keys are unique and sorted.
                prop::collection::btree_map(
                    prop::sample::select(&["a", "b", "k"][..]),
                    inner,
                    0..3
                )
                .prop_map(|kv| Arg::Map(kv.into_iter().map(|(k, v)| (Arg::sym(k), v)).collect())),
            ]
        })
        .boxed()
}

/// A storage key: few enough to collide.
fn key_arg() -> BoxedStrategy<Arg> {
    prop_oneof![
        6 => prop::sample::select(&["k", "a"][..]).prop_map(Arg::sym),
        1 => Just(Arg::U32(0)),
        1 => Just(Arg::Vec(vec![Arg::sym("Balance"), Arg::Addr(Address::acct(1))])),
    ]
    .boxed()
}

/// A function of the fixtures (follower, token, account, SAC) on a contract
/// of the kind that has it, with arguments of its signature, or (1 in 8)
/// any contract and arbitrary arguments.
fn call_target() -> BoxedStrategy<Target> {
    let none = || Just(Vec::<Arg>::new()).boxed();
    let one = |a: BoxedStrategy<Arg>| a.prop_map(|a| vec![a]).boxed();
    let addr_arg = || addr().prop_map(Arg::Addr);
    #[allow(clippy::type_complexity)]
    let typed: Vec<(u32, Kind, &'static str, BoxedStrategy<Vec<Arg>>)> = vec![
        (2, Kind::Follower, "version", none()),
        (3, Kind::Follower, "hello", one(u32_arg())),
        (
            3,
            Kind::Follower,
            "put",
            (sym_arg(), u32_arg()).prop_map(|(k, v)| vec![k, v]).boxed(),
        ),
        (3, Kind::Follower, "get", one(sym_arg())),
        (1, Kind::Follower, "whoami", none()),
        (2, Kind::Follower, "bump", one(sym_arg())),
        (1, Kind::Token, "version", none()),
        (1, Kind::Token, "admin", none()),
        (
            4,
            Kind::Token,
            "mint",
            (addr_arg(), i128_arg())
                .prop_map(|(a, n)| vec![a, n])
                .boxed(),
        ),
        (2, Kind::Token, "balance", one(addr_arg().boxed())),
        (
            4,
            Kind::Token,
            "transfer",
            (addr_arg(), addr_arg(), i128_arg())
                .prop_map(|(a, b, n)| vec![a, b, n])
                .boxed(),
        ),
        (
            2,
            Kind::Token,
            "approve",
            (addr_arg(), addr_arg(), i128_arg())
                .prop_map(|(a, b, n)| vec![a, b, n])
                .boxed(),
        ),
        (
            1,
            Kind::Token,
            "allowance",
            (addr_arg(), addr_arg())
                .prop_map(|(a, b)| vec![a, b])
                .boxed(),
        ),
        (
            2,
            Kind::Token,
            "transfer_from",
            (addr_arg(), addr_arg(), addr_arg(), i128_arg())
                .prop_map(|(a, b, c, n)| vec![a, b, c, n])
                .boxed(),
        ),
        (1, Kind::Token, "sent", one(addr_arg().boxed())),
        (1, Kind::Token, "__constructor", one(addr_arg().boxed())),
        (1, Kind::Sac, "name", none()),
        (1, Kind::Sac, "decimals", none()),
        (1, Kind::Sac, "balance", one(addr_arg().boxed())),
        (
            1,
            Kind::Sac,
            "mint",
            (addr_arg(), i128_arg())
                .prop_map(|(a, n)| vec![a, n])
                .boxed(),
        ),
        (
            1,
            Kind::Account,
            "__check_auth",
            Just(vec![Arg::Bytes(32, 1), Arg::Void, Arg::Vec(vec![])]).boxed(),
        ),
        (1, Kind::Follower, "missing_fn", none()),
    ];
    let typed = prop::strategy::Union::new_weighted(
        typed
            .into_iter()
            .map(|(w, kind, name, args)| {
                let call = (contract_of(kind), args)
                    .prop_map(move |(contract, args)| Target {
                        contract,
                        func: name.to_string(),
                        args,
                    })
                    .boxed();
                (w, call)
            })
            .collect(),
    );
    let names: Vec<&str> = vec!["hello", "put", "mint", "transfer", "balance", "version"];
    let random = (
        contract(),
        prop::sample::select(names),
        prop::collection::vec(arg(), 0..4),
    )
        .prop_map(|(contract, name, args)| Target {
            contract,
            func: name.to_string(),
            args,
        });
    prop_oneof![7 => typed, 1 => random].boxed()
}

/// Constructor arguments fitting the Wasm (a token takes its admin), or
/// (1 in 5) arbitrary ones.
fn ctor_for(wasm: Wasm) -> BoxedStrategy<Option<Vec<Arg>>> {
    let fitting = if wasm.kind() == Kind::Token {
        addr().prop_map(|a| Some(vec![Arg::Addr(a)])).boxed()
    } else {
        prop_oneof![Just(None), Just(Some(vec![]))].boxed()
    };
    prop_oneof![
        4 => fitting,
        1 => prop_oneof![
            Just(None),
            prop::collection::vec(arg(), 0..2).prop_map(Some)
        ],
    ]
    .boxed()
}

/// A contract creation by `deployer`.
fn create_args(deployer: BoxedStrategy<Address>) -> BoxedStrategy<Create> {
    (wasm(), deployer, 0u8..4, any::<bool>())
        .prop_flat_map(|(wasm, deployer, salt, v2)| {
            ctor_for(wasm).prop_map(move |ctor| Create {
                deployer,
                wasm,
                salt,
                ctor,
                v2,
            })
        })
        .boxed()
}

fn ttl() -> BoxedStrategy<u32> {
    prop_oneof![
        6 => prop::sample::select(
            &[0u32, 1, 15, 16, 100, 4095, 4096, 5000, 20_000, 518_400, 6_311_999, 6_312_000][..]
        ),
        3 => 0u32..100_000,
        1 => 6_000_000u32..7_000_000,
    ]
    .boxed()
}

fn durability() -> BoxedStrategy<Durability> {
    prop::sample::select(
        &[
            Durability::Persistent,
            Durability::Temporary,
            Durability::Instance,
        ][..],
    )
    .boxed()
}

fn ttl_scope() -> BoxedStrategy<TtlScope> {
    prop::sample::select(
        &[
            TtlScope::InstanceAndCode,
            TtlScope::Instance,
            TtlScope::Code,
        ][..],
    )
    .boxed()
}

fn asset() -> BoxedStrategy<Asset> {
    prop_oneof![
        Just(Asset::Native),
        (1u8..=2).prop_map(|issuer| Asset::Alphanum4 {
            code: "USD".to_string(),
            issuer
        })
    ]
    .boxed()
}

/// An authorized invocation, sub-invocations `depth` deep.
fn invocation(depth: u32) -> BoxedStrategy<Invocation> {
    let f = prop_oneof![
        4 => call_target().prop_map(AuthFn::Call),
        1 => create_args(addr()).prop_map(AuthFn::Create),
    ];
    if depth == 0 {
        return f.prop_map(|func| Invocation { func, subs: vec![] }).boxed();
    }
    (f, prop::collection::vec(invocation(depth - 1), 0..2))
        .prop_map(|(func, subs)| Invocation { func, subs })
        .boxed()
}

fn credentials() -> BoxedStrategy<Credentials> {
    prop_oneof![
        2 => Just(Credentials::Source),
        3 => (
            addr(),
            0u64..3,
            prop_oneof![0u32..3, 100u32..200],
            prop::sample::select(
                &[
                    CredentialsKind::Address,
                    CredentialsKind::Address,
                    CredentialsKind::V2,
                    CredentialsKind::Delegates,
                ][..]
            ),
            prop::collection::vec(addr(), 0..2),
        )
            .prop_map(|(addr, nonce, exp, kind, delegates)| {
                Credentials::Address(AddressCredentials { addr, nonce, exp, kind, delegates })
            }),
    ]
    .boxed()
}

/// Auth entries for `host_fn`: mostly ones whose root is `host_fn` itself
/// (which can match), sometimes unrelated ones.
fn auth_entries_for(host_fn: HostFn) -> BoxedStrategy<Vec<AuthEntry>> {
    let root = host_fn
        .auth_fn()
        .map(|func| Invocation { func, subs: vec![] });
    let matching = match root {
        Some(root) => credentials()
            .prop_map(move |creds| AuthEntry {
                creds,
                root: root.clone(),
            })
            .boxed(),
        None => invocation(0)
            .prop_flat_map(|root| {
                credentials().prop_map(move |creds| AuthEntry {
                    creds,
                    root: root.clone(),
                })
            })
            .boxed(),
    };
    let unrelated =
        (credentials(), invocation(1)).prop_map(|(creds, root)| AuthEntry { creds, root });
    prop::collection::vec(prop_oneof![4 => matching, 1 => unrelated], 0..3).boxed()
}

fn host_fn() -> BoxedStrategy<HostFn> {
    prop_oneof![
        8 => call_target().prop_map(HostFn::Call),
        2 => create_args(prop_oneof![3 => (1u8..=2).prop_map(Address::acct), 1 => addr()].boxed())
            .prop_map(HostFn::Create),
        1 => wasm().prop_map(HostFn::Upload),
        1 => asset().prop_map(HostFn::Sac),
    ]
    .boxed()
}

/// `has` (twice as often), `get` or `del` of a key.
const KEY_READS: [fn(Arg, Durability) -> Op; 4] = [
    |key, dur| Op::Has { key, dur },
    |key, dur| Op::Has { key, dur },
    |key, dur| Op::Get { key, dur },
    |key, dur| Op::Del { key, dur },
];

/// An op inside a test contract frame.
fn inner_op(depth: u32) -> BoxedStrategy<Op> {
    let mut ops: Vec<(u32, BoxedStrategy<Op>)> = vec![
        (
            6,
            (key_arg(), arg(), durability())
                .prop_map(|(key, val, dur)| Op::Put { key, val, dur })
                .boxed(),
        ),
        (
            4,
            (
                prop::sample::select(&KEY_READS[..]),
                key_arg(),
                durability(),
            )
                .prop_map(|(op, key, dur)| op(key, dur))
                .boxed(),
        ),
        (
            2,
            (key_arg(), durability(), ttl(), ttl())
                .prop_map(|(key, dur, threshold, extend_to)| Op::ExtendData {
                    key,
                    dur,
                    threshold,
                    extend_to,
                })
                .boxed(),
        ),
        (
            1,
            (key_arg(), durability(), ttl(), ttl(), ttl())
                .prop_map(|(key, dur, extend_to, min, max)| Op::ExtendDataV2 {
                    key,
                    dur,
                    extend_to,
                    min,
                    max,
                })
                .boxed(),
        ),
        (
            1,
            (ttl(), ttl())
                .prop_map(|(threshold, extend_to)| Op::ExtendCurrent {
                    threshold,
                    extend_to,
                })
                .boxed(),
        ),
        (
            2,
            (prop::collection::vec(arg(), 0..3), arg())
                .prop_map(|(topics, data)| Op::Event { topics, data })
                .boxed(),
        ),
        (2, addr().prop_map(|addr| Op::RequireAuth { addr }).boxed()),
        (
            1,
            (addr(), prop::collection::vec(arg(), 0..3))
                .prop_map(|(addr, args)| Op::RequireAuthForArgs { addr, args })
                .boxed(),
        ),
        (
            1,
            prop::collection::vec(invocation(1), 0..3)
                .prop_map(|entries| Op::Authorize { entries })
                .boxed(),
        ),
        (1, wasm().prop_map(|wasm| Op::UpdateWasm { wasm }).boxed()),
        (3, call_op()),
        (
            1,
            create_args(prop_oneof![contract().prop_map(Address::Contract), acct()].boxed())
                .prop_map(Op::Create)
                .boxed(),
        ),
        (
            1,
            addr().prop_map(|addr| Op::GetExecutable { addr }).boxed(),
        ),
        (1, Just(Op::CurrentAddress).boxed()),
    ];
    if depth > 0 {
        ops.push((1, frame_op(depth - 1)));
    }
    prop::strategy::Union::new_weighted(ops).boxed()
}

fn call_op() -> BoxedStrategy<Op> {
    (call_target(), prop::bool::weighted(0.3))
        .prop_map(|(target, try_call)| Op::Call(Call { target, try_call }))
        .boxed()
}

/// An op on a key and durability, given three TTLs it may use.
type KeyOp = fn(Arg, Durability, u32, u32, u32) -> Op;

/// What follows a `put` on its key and durability: `get`, `has`, `del`, or
/// a TTL extension (of persistent or temporary data).
const THEN_USE: [KeyOp; 5] = [
    |key, dur, _, _, _| Op::Get { key, dur },
    |key, dur, _, _, _| Op::Has { key, dur },
    |key, dur, _, _, _| Op::Del { key, dur },
    |key, dur, a, b, _| Op::ExtendData {
        key,
        dur,
        threshold: a,
        extend_to: b,
    },
    |key, dur, a, b, c| Op::ExtendDataV2 {
        key,
        dur,
        extend_to: a,
        min: b.min(c),
        max: b.max(c),
    },
];

/// A `put` and then an op on the same key and durability: what a random key
/// would rarely hit.
fn put_then_use() -> BoxedStrategy<Vec<Op>> {
    (
        key_arg(),
        arg(),
        prop_oneof![
            3 => Just(Durability::Persistent),
            2 => Just(Durability::Temporary),
            1 => Just(Durability::Instance)
        ],
        prop::sample::select(&THEN_USE[..]),
        prop_oneof![4 => 0u32..20_000, 1 => ttl()],
        prop_oneof![4 => 0u32..20_000, 1 => ttl()],
        prop_oneof![4 => 0u32..20_000, 1 => ttl()],
    )
        .prop_map(|(key, val, dur, then, a, b, c)| {
            let put = Op::Put {
                key: key.clone(),
                val,
                dur,
            };
            vec![put, then(key, dur, a, b, c)]
        })
        .boxed()
}

fn frame_op(depth: u32) -> BoxedStrategy<Op> {
    let chunk = prop_oneof![
        3 => inner_op(depth).prop_map(|op| vec![op]),
        1 => put_then_use(),
    ];
    (
        contract(),
        prop::collection::vec(chunk, 1..5),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(c, chunks, fail)| Op::Frame {
            contract: c.contract,
            body: chunks.into_iter().flatten().collect(),
            fail,
        })
        .boxed()
}

/// An op of the main host (what `limited` may wrap).
fn host_op() -> BoxedStrategy<Op> {
    prop_oneof![
        8 => call_op(),
        5 => frame_op(1),
        2 => create_args(addr()).prop_map(Op::Create),
        1 => wasm().prop_map(|wasm| Op::Upload { wasm }),
        1 => asset().prop_map(|asset| Op::Sac { asset }),
        2 => (contract(), ttl_scope(), ttl(), ttl())
            .prop_map(|(c, what, threshold, extend_to)| Op::Extend {
                contract: c.contract,
                what,
                threshold,
                extend_to,
            }),
        1 => (contract(), ttl_scope(), ttl(), ttl(), ttl())
            .prop_map(|(c, scope, extend_to, min, max)| Op::ExtendV2 {
                contract: c.contract,
                scope,
                extend_to,
                min,
                max,
            }),
        1 => addr().prop_map(|addr| Op::GetExecutable { addr }),
        3 => host_fn()
            .prop_flat_map(|f| {
                let with_auth = auth_entries_for(f.clone());
                (Just(f), prop::option::weighted(0.5, with_auth))
            })
            .prop_map(|(func, auth)| Op::Invoke { func, auth }),
    ]
    .boxed()
}

/// A budget that a call may or may not exhaust: CPU from 0 to ~12M
/// instructions, memory from 0 to ~3 MB, log-uniform.
fn limits() -> BoxedStrategy<(u64, u64)> {
    ((0u32..24), (0u32..22), 1u64..4)
        .prop_map(|(c, m, k)| ((k << c) / 2, (k << m) / 2))
        .boxed()
}

fn tx_op() -> BoxedStrategy<Op> {
    let sim_auth = |f: HostFn| {
        prop_oneof![
            3 => (any::<bool>(), prop::bool::weighted(0.2))
                .prop_map(|(disable_non_root, v2)| SimAuth::Record { disable_non_root, v2 }),
            3 => (any::<bool>(), prop::bool::weighted(0.2), prop_oneof![5 => 10u32..1000, 1 => 0u32..2])
                .prop_map(|(disable_non_root, v2, exp)| SimAuth::TwoPass { disable_non_root, v2, exp }),
            1 => auth_entries_for(f).prop_map(SimAuth::Enforce),
        ]
    };
    host_fn()
        .prop_flat_map(move |f| {
            (
                Just(f.clone()),
                sim_auth(f),
                1u8..=2,
                prop_oneof![8 => Just(ApplyAuth::Recorded), 1 => Just(ApplyAuth::Nothing)],
                prop_oneof![
                    8 => Just(Footprint::Recorded),
                    1 => Just(Footprint::DropRo),
                    1 => Just(Footprint::DropRw)
                ],
                prop_oneof![
                    6 => Just(None),
                    // Applying costs more than simulating (it decodes the
                    // entries' XDR): from half to three times the simulated
                    // instructions.
                    3 => prop_oneof![3 => 150u64..300, 1 => 50u64..150]
                        .prop_map(|p| Some(CpuLimit::Pct(p))),
                    1 => limits().prop_map(|(c, _)| Some(CpuLimit::Abs(c))),
                ],
                prop_oneof![6 => Just(None), 1 => limits().prop_map(|(_, m)| Some(m))],
            )
        })
        .prop_map(
            |(func, sim_auth, source, apply_auth, footprint, cpu, mem)| {
                Op::Tx(Tx {
                    func,
                    source,
                    sim_auth,
                    apply_auth,
                    footprint,
                    cpu,
                    mem,
                })
            },
        )
        .boxed()
}

fn top_op() -> BoxedStrategy<Op> {
    prop_oneof![
        20 => host_op(),
        6 => tx_op(),
        3 => (limits(), host_op()).prop_map(|((cpu, mem), body)| Op::Limited {
            cpu,
            mem,
            body: Box::new(body)
        }),
        1 => any::<bool>()
            .prop_map(|disable_non_root| Op::Auth(AuthMode::Recording { disable_non_root })),
        1 => host_fn()
            .prop_flat_map(auth_entries_for)
            .prop_map(|entries| Op::Auth(AuthMode::Enforcing { entries })),
        1 => (1u8..=4).prop_map(|acct| Op::Source { acct }),
        1 => Just(Op::RecordedAuth),
        1 => prop_oneof![0u32..20, 4000u32..6000, 500_000u32..600_000]
            .prop_map(|advance| Op::Ledger { advance }),
    ]
    .boxed()
}

/// Setup: upload a fixture and create a contract from it (deployed by an
/// account, so that recording auth lets it through).
fn setup(wasm: Wasm, salt: u8) -> BoxedStrategy<Vec<Op>> {
    (acct(), ctor_for(wasm))
        .prop_map(move |(deployer, ctor)| {
            vec![
                Op::Upload { wasm },
                Op::Create(Create {
                    deployer,
                    wasm,
                    salt,
                    ctor,
                    v2: false,
                }),
            ]
        })
        .boxed()
}

/// A workload: a setup (most often a follower, a token and a custom
/// account, each of which shrinking may drop, and up to 2 more contracts),
/// then up to 15 random ops.
fn workload() -> BoxedStrategy<Workload> {
    let version = |a: Wasm, b: Wasm| prop::sample::select(vec![a, b]);
    let each_kind = (
        prop::option::weighted(0.9, version(Wasm::FollowerV1, Wasm::FollowerV2)),
        prop::option::weighted(0.9, version(Wasm::TokenV1, Wasm::TokenV2)),
        prop::option::weighted(0.9, Just(Wasm::Account)),
    )
        .prop_flat_map(|(f, t, a)| {
            let one = |w: Option<Wasm>, salt: u8| match w {
                Some(w) => setup(w, salt).prop_map(Some).boxed(),
                None => Just(None).boxed(),
            };
            (one(f, 0), one(t, 1), one(a, 2))
        });
    let more = prop::collection::vec(
        (prop::sample::select(&FIXTURES[..]), 3u8..8).prop_flat_map(|(w, s)| setup(w, s)),
        0..3,
    );
    (
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.15),
        each_kind,
        more,
        prop::collection::vec(top_op(), 0..16),
    )
        .prop_map(|(diagnostics, metering, (f, t, a), more, ops)| {
            let mut all: Vec<Op> = [f, t, a]
                .into_iter()
                .flatten()
                .chain(more)
                .flatten()
                .collect();
            all.extend(ops);
            Workload {
                diagnostics,
                metering,
                ops: all,
            }
        })
        .boxed()
}

// ---------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------

/// What the generated workloads exercised: per op kind, how many ran and
/// how many succeeded.
#[derive(Default)]
struct Coverage {
    workloads: u64,
    ops: BTreeMap<String, (u64, u64)>,
    /// Per op kind, how often each error was the result.
    errors: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Coverage {
    fn add(&mut self, report: &Value) {
        self.workloads += 1;
        for op in report["ops"].as_array().into_iter().flatten() {
            let name = op["op"].as_str().unwrap_or_default();
            // "#3.1 put" -> "put"; "#4 tx apply" -> "tx apply".
            let kind = name.split_once(' ').map_or(name, |(_, k)| k).to_string();
            let result = op["result"].as_str().unwrap_or_default();
            let ok = !result.starts_with("Err(");
            if !ok {
                *self
                    .errors
                    .entry(kind.clone())
                    .or_default()
                    .entry(result.to_string())
                    .or_default() += 1;
            }
            let e = self.ops.entry(kind).or_default();
            e.0 += 1;
            e.1 += u64::from(ok);
        }
    }

    fn print(&self) {
        let total: u64 = self.ops.values().map(|e| e.0).sum();
        let ok: u64 = self.ops.values().map(|e| e.1).sum();
        println!(
            "{} workloads, {total} ops ({ok} succeeded, {} failed as expected alike on both hosts)",
            self.workloads,
            total - ok
        );
        for (kind, (n, ok)) in &self.ops {
            let mut errors: Vec<(&String, &u64)> =
                self.errors.get(kind).into_iter().flatten().collect();
            errors.sort_by(|a, b| b.1.cmp(a.1));
            let top: Vec<String> = errors
                .iter()
                .take(3)
                .map(|(e, n)| {
                    format!(
                        "{n} {}",
                        e.trim_start_matches("Err(Error(").trim_end_matches("))")
                    )
                })
                .collect();
            println!("  {kind:<22} {n:>6} ran {ok:>6} ok   {}", top.join(", "));
        }
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

#[test]
fn generated_workloads_match_upstream() {
    let reference = RefCell::new(start_reference());
    let coverage = RefCell::new(Coverage::default());
    // A seed of our own when none is given, printed so that any run can be
    // repeated exactly.
    let seed: u64 = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::collections::hash_map::RandomState::new().hash_one(0u8));
    println!("seed {seed}: PROPTEST_RNG_SEED={seed} generates these workloads again");
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 2_000,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    // DIFFERENTIAL_DUMP=FILE writes each passing workload and its report, a
    // JSON line each.
    let dump = std::env::var_os("DIFFERENTIAL_DUMP")
        .map(|p| RefCell::new(std::fs::File::create(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"))));
    let started = Instant::now();
    let result = runner.run(&workload(), |w| {
        let (fork, upstream) = run_both(&mut reference.borrow_mut(), &w);
        check(&w, &fork, &upstream).map_err(TestCaseError::fail)?;
        coverage.borrow_mut().add(&fork);
        if let Some(dump) = &dump {
            writeln!(
                dump.borrow_mut(),
                "{}",
                json!({ "workload": w, "report": fork })
            )
            .expect("writing the dump");
        }
        Ok(())
    });
    println!(
        "{} generated workloads in {:.1}s",
        cases(),
        started.elapsed().as_secs_f64()
    );
    coverage.borrow().print();
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, minimal)) => panic!(
            "minimal failing workload (seed {seed}):\n{}\n\n{reason}",
            serde_json::to_string_pretty(&minimal).expect("JSON")
        ),
        Err(TestError::Abort(reason)) => panic!("proptest aborted: {reason}"),
    }
    let coverage = coverage.borrow();
    let ok: u64 = coverage.ops.values().map(|e| e.1).sum();
    assert!(ok > 0, "no generated op succeeded: the generator is broken");
}

/// Runs one workload (e.g. a minimal failing one, as a regression test) on
/// both hosts, asserts the reports are equal, and returns the fork's.
fn assert_matches_upstream(workload: &Workload) -> Value {
    let mut reference = start_reference();
    let (fork, upstream) = run_both(&mut reference, workload);
    print!("{}", drift::table(&fork, &upstream));
    if let Err(e) = check(workload, &fork, &upstream) {
        panic!("{e}");
    }
    fork
}

/// Every op kind once, with what each must do on both hosts: the
/// interpreter exercises what it claims to (calls succeed, a custom
/// account's `__check_auth` runs in a two-pass transaction, budgets run out)
/// and the hosts agree on all of it.
#[test]
fn a_workload_of_every_op_kind_matches_upstream() {
    let acct = Address::acct;
    let contract = |i| Address::Contract(ContractRef::any(i));
    let a_acct = |seed| Arg::Addr(acct(seed));
    let target = |contract: u8, func: &str, args: Vec<Arg>| Target {
        contract: ContractRef::any(contract),
        func: func.to_string(),
        args,
    };
    let call = |contract: u8, func: &str, args: Vec<Arg>, try_call: bool| {
        Op::Call(Call {
            target: target(contract, func, args),
            try_call,
        })
    };
    let create = |deployer: Address, wasm: Wasm, salt: u8, ctor: Option<Vec<Arg>>| Create {
        deployer,
        wasm,
        salt,
        ctor,
        v2: false,
    };
    let create_v2 = |deployer: Address, wasm: Wasm, salt: u8| Create {
        deployer,
        wasm,
        salt,
        ctor: Some(vec![]),
        v2: true,
    };
    let root = |func: AuthFn| Invocation { func, subs: vec![] };
    let (t, k) = (Arg::sym("t"), Arg::sym("k"));
    let tx = |func: HostFn, source: u8, sim_auth: SimAuth| Tx {
        func,
        source,
        sim_auth,
        apply_auth: ApplyAuth::Recorded,
        footprint: Footprint::Recorded,
        cpu: None,
        mem: None,
    };
    let record = |disable_non_root: bool, v2: bool| SimAuth::Record {
        disable_non_root,
        v2,
    };
    let mint = target(1, "mint", vec![a_acct(3), Arg::I128(5)]);
    let hello_1 = call(0, "hello", vec![Arg::U32(1)], false);

    let w = Workload {
        diagnostics: true,
        metering: false,
        ops: vec![
            Op::Upload {
                wasm: Wasm::FollowerV1,
            },
            Op::Upload {
                wasm: Wasm::FollowerV2,
            },
            Op::Upload {
                wasm: Wasm::TokenV1,
            },
            Op::Upload {
                wasm: Wasm::Account,
            },
            Op::Upload { wasm: Wasm::Bogus },
            Op::Create(create(acct(2), Wasm::FollowerV1, 1, None)),
            Op::Create(create(acct(2), Wasm::TokenV1, 2, Some(vec![a_acct(3)]))),
            Op::Create(create(acct(2), Wasm::Account, 3, Some(vec![]))),
            Op::Sac {
                asset: Asset::Native,
            },
            call(0, "hello", vec![Arg::U32(41)], false),
            call(
                1,
                "mint",
                vec![Arg::Addr(contract(2)), Arg::I128(100)],
                false,
            ),
            call(0, "missing_fn", vec![], true),
            Op::RecordedAuth,
            Op::Frame {
                contract: 0,
                fail: false,
                body: vec![
                    Op::Put {
                        key: t.clone(),
                        val: Arg::U32(1),
                        dur: Durability::Temporary,
                    },
                    Op::Put {
                        key: Arg::sym("i"),
                        val: Arg::Vec(vec![Arg::U32(1)]),
                        dur: Durability::Instance,
                    },
                    Op::Has {
                        key: t.clone(),
                        dur: Durability::Temporary,
                    },
                    Op::ExtendData {
                        key: t.clone(),
                        dur: Durability::Temporary,
                        threshold: 10,
                        extend_to: 100,
                    },
                    Op::ExtendDataV2 {
                        key: t.clone(),
                        dur: Durability::Temporary,
                        extend_to: 200,
                        min: 1,
                        max: 50,
                    },
                    Op::ExtendCurrent {
                        threshold: 5000,
                        extend_to: 9000,
                    },
                    Op::Event {
                        topics: vec![Arg::sym("x")],
                        data: Arg::U32(5),
                    },
                    Op::RequireAuth { addr: acct(4) },
                    Op::RequireAuthForArgs {
                        addr: contract(2),
                        args: vec![Arg::U32(1)],
                    },
                    Op::Authorize {
                        entries: vec![root(AuthFn::Create(create_v2(
                            contract(0),
                            Wasm::FollowerV1,
                            9,
                        )))],
                    },
                    Op::Create(create_v2(contract(0), Wasm::FollowerV1, 9)),
                    Op::GetExecutable { addr: contract(1) },
                    Op::CurrentAddress,
                    Op::UpdateWasm {
                        wasm: Wasm::FollowerV2,
                    },
                    Op::Del {
                        key: t.clone(),
                        dur: Durability::Temporary,
                    },
                    Op::Has {
                        key: t.clone(),
                        dur: Durability::Temporary,
                    },
                    Op::Frame {
                        contract: 1,
                        fail: true,
                        body: vec![Op::Put {
                            key: k.clone(),
                            val: Arg::U32(2),
                            dur: Durability::Persistent,
                        }],
                    },
                ],
            },
            call(0, "version", vec![], false),
            Op::Extend {
                contract: 0,
                what: TtlScope::InstanceAndCode,
                threshold: 5000,
                extend_to: 10_000,
            },
            Op::Extend {
                contract: 1,
                what: TtlScope::Code,
                threshold: 5000,
                extend_to: 7_000_000,
            },
            Op::ExtendV2 {
                contract: 1,
                scope: TtlScope::Instance,
                extend_to: 20_000,
                min: 1,
                max: 100_000,
            },
            Op::GetExecutable { addr: acct(1) },
            Op::Limited {
                cpu: 100_000,
                mem: 10_000_000,
                body: Box::new(hello_1.clone()),
            },
            Op::Limited {
                cpu: 100_000_000,
                mem: 50_000,
                body: Box::new(hello_1),
            },
            Op::Source { acct: 3 },
            Op::Invoke {
                func: HostFn::Call(mint.clone()),
                auth: Some(vec![AuthEntry {
                    creds: Credentials::Source,
                    root: root(AuthFn::Call(mint)),
                }]),
            },
            Op::Invoke {
                func: HostFn::Create(create_v2(acct(3), Wasm::FollowerV1, 5)),
                auth: Some(vec![AuthEntry {
                    creds: Credentials::Address(AddressCredentials {
                        addr: acct(3),
                        nonce: 1,
                        exp: 10,
                        kind: CredentialsKind::Address,
                        delegates: vec![],
                    }),
                    root: root(AuthFn::Create(create_v2(acct(3), Wasm::FollowerV1, 5))),
                }]),
            },
            Op::Auth(AuthMode::Recording {
                disable_non_root: false,
            }),
            Op::Ledger { advance: 5000 },
            Op::Tx(tx(
                HostFn::Call(target(
                    1,
                    "transfer",
                    vec![Arg::Addr(contract(2)), a_acct(4), Arg::I128(10)],
                )),
                1,
                SimAuth::TwoPass {
                    disable_non_root: false,
                    v2: false,
                    exp: 100,
                },
            )),
            Op::Tx(Tx {
                cpu: Some(CpuLimit::Pct(90)),
                ..tx(
                    HostFn::Call(target(1, "balance", vec![a_acct(4)])),
                    1,
                    record(false, false),
                )
            }),
            Op::Tx(tx(
                HostFn::Create(create_v2(acct(1), Wasm::FollowerV2, 7)),
                1,
                record(true, true),
            )),
            Op::Tx(Tx {
                footprint: Footprint::DropRw,
                ..tx(
                    HostFn::Call(target(0, "put", vec![k, Arg::U32(3)])),
                    1,
                    record(false, false),
                )
            }),
            Op::Tx(Tx {
                apply_auth: ApplyAuth::Nothing,
                ..tx(HostFn::Upload(Wasm::TokenV2), 2, SimAuth::Enforce(vec![]))
            }),
        ],
    };

    // The wire form: every op's tag is the name its records carry, and the
    // workload survives the trip to the reference.
    fn tags_are_names(ops: &[Op]) {
        for op in ops {
            let wire = serde_json::to_value(op).expect("JSON");
            assert_eq!(wire["op"], op.name(), "{wire}");
            if let Op::Frame { body, .. } = op {
                tags_are_names(body);
            }
        }
    }
    tags_are_names(&w.ops);
    let wire = serde_json::to_string(&w).expect("JSON");
    assert_eq!(
        serde_json::from_str::<Workload>(&wire).expect("a workload"),
        w
    );

    let fork = assert_matches_upstream(&w);
    let result = |name: &str| -> String {
        fork["ops"]
            .as_array()
            .expect("ops")
            .iter()
            .find(|o| o["op"] == name)
            .unwrap_or_else(|| panic!("no op `{name}` in the report"))["result"]
            .as_str()
            .expect("result")
            .to_string()
    };
    assert_eq!(result("#9 call"), "U32(42)");
    assert_eq!(result("#10 call"), "Void", "mint by recording auth");
    assert!(result("#4 upload").starts_with("Err("), "bogus Wasm");
    assert_eq!(result("#13.2 has"), "Bool(true)");
    assert!(result("#13.10 create").starts_with("Address(Contract("));
    assert_eq!(result("#13.15 has"), "Bool(false)");
    assert_eq!(result("#13.16.0 put"), "Void");
    assert_eq!(result("#13.16 frame"), "Err(Error(Contract, #7))");
    assert_eq!(result("#13 frame"), "Err(Error(Contract, #7))");
    assert_eq!(
        result("#14 call"),
        "U32(1)",
        "the frame's update rolled back"
    );
    assert_eq!(result("#18 get_executable"), "Void", "an account");
    assert_eq!(result("#19.0 call"), "Err(Error(Budget, ExceededLimit))");
    assert_eq!(result("#20.0 call"), "Err(Error(Budget, ExceededLimit))");
    assert_eq!(
        result("#22 invoke"),
        "Void",
        "mint authorized by the source account"
    );
    assert_eq!(result("#26 tx simulate again"), "Void");
    assert_eq!(
        result("#26 tx apply"),
        "Void",
        "the custom account's __check_auth ran"
    );
    assert_eq!(
        result("#27 tx simulate"),
        "I128(Int128Parts { hi: 0, lo: 10 })"
    );
    assert_eq!(result("#27 tx apply"), "Err(Error(Budget, ExceededLimit))");
    assert!(result("#28 tx apply").starts_with("Address(Contract("));
    let restored = &fork["ops"]
        .as_array()
        .expect("ops")
        .iter()
        .find(|o| o["op"] == "#28 tx simulate")
        .expect("#28")["restored"];
    assert_ne!(restored, &json!([]), "the archived code is restored");
    assert_eq!(result("#29 tx apply"), "Err(Error(Storage, ExceededLimit))");
    assert!(result("#30 tx apply").starts_with("Bytes("));
    assert!(
        fork["tx_ledger"]
            .as_array()
            .expect("ledger")
            .iter()
            .any(|e| e.as_str().expect("entry").contains("last_ctx")),
        "the custom account stored its auth contexts in the transactions' ledger"
    );
}

/// The failure text names the op and the field that differs, with both
/// values and the signed difference: the test kit's reporter, shared with
/// `no_drift.rs`, on this test's reports.
#[test]
fn a_drift_is_reported_by_op_and_cost_type() {
    let upstream = json!({
        "host": "soroban-env 27.0.1 (interface protocol 27)",
        "ops": [
            { "op": "#0 call", "result": "U32(42)", "cpu": 100, "mem": 10,
              "costs": { "MemCpy": [1, 33, 40, 0], "MemCmp": [1, 8, 60, 0] } },
            { "op": "#1 tx apply", "result": "Void", "cpu": 5, "mem": 1, "costs": {},
              "events": ["a", "b"] },
        ],
        "totals": { "cpu": 105, "mem": 11 },
        "storage": ["x"],
    });
    let mut fork = upstream.clone();
    fork["host"] = json!("soroban-env 27.0.1+extref.1 (interface protocol 28)");
    fork["ops"][0]["cpu"] = json!(107);
    fork["ops"][0]["costs"]["MemCpy"][2] = json!(47);
    fork["ops"][1]["events"] = json!(["a", "c"]);
    fork["totals"]["cpu"] = json!(112);
    let diffs = drift::diff(&fork, &upstream);
    let text = diffs.join("\n");
    assert_eq!(diffs.len(), 3, "{text}");
    assert!(diffs[0].starts_with("op `#0 call` (ops[0]):"), "{text}");
    assert!(
        diffs[0].contains(".cpu: fork 107 upstream 100 (+7)"),
        "{text}"
    );
    assert!(
        diffs[0].contains(".costs.MemCpy[2]: fork 47 upstream 40 (+7)"),
        "{text}"
    );
    assert!(!diffs[0].contains("MemCmp"), "{text}");
    assert!(diffs[1].contains("only in fork:\n      c"), "{text}");
    assert!(diffs[1].contains("only in upstream:\n      b"), "{text}");
    assert_eq!(diffs[2], "report.totals.cpu: fork 112 upstream 105 (+7)");
    assert!(drift::diff(&upstream, &upstream).is_empty());
    let w = Workload {
        diagnostics: false,
        metering: false,
        ops: vec![],
    };
    let failure = check(&w, &fork, &upstream).expect_err("a drift");
    assert!(
        failure.contains(
            r#"on the workload
{"diagnostics":false,"metering":false,"ops":[]}"#
        ),
        "{failure}"
    );
}
