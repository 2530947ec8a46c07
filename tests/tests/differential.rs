//! Differential property test: random protocol-27 workloads (no ExternalRef)
//! on the fork and on unforked crates.io soroban-env-host 27.0.1 must give
//! identical reports: results, events, ledger changes, storage, metered CPU
//! instructions and memory bytes, op by op and per cost type.
//!
//! The workload language and its one interpreter are
//! `crates/drift/differential.rs`, compiled here against the fork and in
//! `crates/drift` against upstream; the reference runs as one subprocess
//! (`drift-reference --differential`, one workload per line). proptest
//! generates the workloads here and shrinks a failing one to a minimal
//! workload, printed as JSON with a readable diff. `PROPTEST_CASES` sets the
//! number of workloads (default 64), `PROPTEST_RNG_SEED` the seed, and
//! `DIFFERENTIAL_DUMP=FILE` writes every workload with its report;
//! `docs/differential.md` has the long run.

// The literal workload of `a_workload_of_every_op_kind_matches_upstream`.
#![recursion_limit = "512"]

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

use extref_testkit::drift::DriftReference;

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
fn run_both(reference: &mut DriftReference, workload: &Value) -> (Value, Value) {
    reference.send(&workload.to_string());
    let fork = differential::run(workload);
    let upstream = serde_json::from_str(&reference.receive()).expect("the reference answers JSON");
    (fork, upstream)
}

// ---------------------------------------------------------------------------
// Comparing
// ---------------------------------------------------------------------------

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.len() > 600 {
        format!("{}… ({} chars)", &s[..600], s.len())
    } else {
        s
    }
}

/// Every difference between `fork` and `upstream` under `path`, one line
/// (or block) each: numbers with their signed difference, string lists as
/// what only one side has.
fn diff_values(path: &str, fork: &Value, upstream: &Value, out: &mut Vec<String>) {
    if fork == upstream {
        return;
    }
    match (fork, upstream) {
        (Value::Object(f), Value::Object(u)) => {
            let keys: std::collections::BTreeSet<&String> = f.keys().chain(u.keys()).collect();
            for k in keys {
                let null = Value::Null;
                diff_values(
                    &format!("{path}.{k}"),
                    f.get(k).unwrap_or(&null),
                    u.get(k).unwrap_or(&null),
                    out,
                );
            }
        }
        (Value::Array(f), Value::Array(u))
            if f.iter().chain(u).all(Value::is_string) && !path.ends_with(']') =>
        {
            let only = |a: &[Value], b: &[Value]| -> Vec<String> {
                a.iter()
                    .filter(|x| !b.contains(x))
                    .map(|x| format!("      {}", short(x)))
                    .collect()
            };
            let (of, ou) = (only(f, u), only(u, f));
            let mut text = format!("{path}: fork {} items, upstream {}", f.len(), u.len());
            if of.is_empty() && ou.is_empty() {
                text.push_str(" (same items, another order)");
            }
            if !of.is_empty() {
                text.push_str(&format!("\n    only in fork:\n{}", of.join("\n")));
            }
            if !ou.is_empty() {
                text.push_str(&format!("\n    only in upstream:\n{}", ou.join("\n")));
            }
            out.push(text);
        }
        (Value::Array(f), Value::Array(u)) if f.len() == u.len() => {
            for (i, (a, b)) in f.iter().zip(u).enumerate() {
                diff_values(&format!("{path}[{i}]"), a, b, out);
            }
        }
        (Value::Number(a), Value::Number(b)) => match (a.as_u64(), b.as_u64()) {
            (Some(a), Some(b)) => out.push(format!(
                "{path}: fork {a} upstream {b} ({:+})",
                a as i128 - b as i128
            )),
            _ => out.push(format!("{path}: fork {a} upstream {b}")),
        },
        _ => out.push(format!(
            "{path}:\n    fork:     {}\n    upstream: {}",
            short(fork),
            short(upstream)
        )),
    }
}

/// Every difference between two reports, ops named by their workload path
/// (`#3.1 put` is the second inner op of the fourth op). The `host` field
/// differs by design and is left out.
fn diff(fork: &Value, upstream: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let empty = vec![];
    let ops = |r: &Value| r["ops"].as_array().unwrap_or(&empty).clone();
    let (fops, uops) = (ops(fork), ops(upstream));
    for (i, (f, u)) in fops.iter().zip(&uops).enumerate() {
        if f["op"] != u["op"] {
            out.push(format!(
                "ops[{i}]: the runs diverge (fork `{}`, upstream `{}`); later ops not compared",
                short(&f["op"]),
                short(&u["op"])
            ));
            break;
        }
        let mut lines = Vec::new();
        diff_values("", f, u, &mut lines);
        if !lines.is_empty() {
            out.push(format!(
                "op `{}` (ops[{i}]):\n  {}",
                short(&f["op"]),
                lines.join("\n  ")
            ));
        }
    }
    if fops.len() != uops.len() {
        out.push(format!(
            "op count: fork {} upstream {}",
            fops.len(),
            uops.len()
        ));
    }
    let rest = |r: &Value| {
        let mut r = r.clone();
        if let Value::Object(m) = &mut r {
            m.remove("ops");
            m.remove("host");
        }
        r
    };
    diff_values("report", &rest(fork), &rest(upstream), &mut out);
    out
}

/// Compares the two reports of `workload`: the text of the failure if they
/// differ, or if either run panicked (a malformed workload or a host panic).
fn check(workload: &Value, fork: &Value, upstream: &Value) -> Result<(), String> {
    let fork_host = fork["host"].as_str().unwrap_or_default();
    let upstream_host = upstream["host"].as_str().unwrap_or_default();
    if !fork_host.contains("+extref") {
        return Err(format!("the in-process run is not the fork: {fork_host}"));
    }
    if !upstream_host.starts_with("soroban-env 27.0.1 ") || upstream_host.contains("+extref") {
        return Err(format!(
            "the reference is not upstream 27.0.1: {upstream_host}"
        ));
    }
    for (side, r) in [("fork", fork), ("upstream", upstream)] {
        if let Some(p) = r.get("panic") {
            return Err(format!("the workload panicked on {side}: {}", short(p)));
        }
    }
    let diffs = diff(fork, upstream);
    if diffs.is_empty() {
        return Ok(());
    }
    Err(format!(
        "protocol {} drifts from upstream soroban-env-host 27.0.1 ({} difference(s)) on the workload\n{}\n\n{}\n",
        differential::PROTOCOL,
        diffs.len(),
        serde_json::to_string(workload).expect("JSON"),
        diffs.join("\n\n")
    ))
}

// ---------------------------------------------------------------------------
// Generating workloads
// ---------------------------------------------------------------------------

type S = BoxedStrategy<Value>;

const FIXTURES: [&str; 5] = [
    "follower_v1",
    "follower_v2",
    "token_v1",
    "token_v2",
    "account",
];

/// A Wasm name: mostly the fixtures, sometimes one never uploaded.
fn wasm() -> BoxedStrategy<&'static str> {
    prop_oneof![
        12 => prop::sample::select(&FIXTURES[..]),
        1 => Just("bogus"),
    ]
    .boxed()
}

fn acct() -> S {
    (1u8..=4).prop_map(|s| json!({ "acct": s })).boxed()
}

fn contract() -> S {
    (0u8..6).prop_map(|i| json!({ "contract": i })).boxed()
}

/// A contract of a kind (`follower`, `token`, `account`, `sac`).
fn contract_of(kind: &'static str) -> S {
    (0u8..3)
        .prop_map(move |i| json!({ "contract": i, "kind": kind }))
        .boxed()
}

/// An address: often the default source account (1) or a custom account,
/// whose authorization transactions can provide.
fn addr() -> S {
    prop_oneof![
        2 => Just(json!({ "acct": 1 })),
        1 => acct(),
        1 => contract(),
        2 => contract_of("account"),
    ]
    .boxed()
}

fn i128_arg() -> S {
    prop_oneof![
        8 => (-3i64..1000).prop_map(|n| n.to_string()),
        1 => Just(i128::MAX.to_string()),
        1 => Just(i128::MIN.to_string()),
    ]
    .prop_map(|n| json!({ "i128": n }))
    .boxed()
}

fn u32_arg() -> S {
    prop_oneof![8 => 0u32..60, 1 => Just(u32::MAX)]
        .prop_map(|n| json!({ "u32": n }))
        .boxed()
}

/// Symbols: the follower's keys, and the account's instance key.
fn sym_arg() -> S {
    prop_oneof![
        6 => prop::sample::select(&["k", "a"][..]),
        1 => prop::sample::select(&["n", "last_ctx"][..]),
    ]
    .prop_map(|s| json!({ "sym": s }))
    .boxed()
}

fn leaf_arg() -> S {
    prop_oneof![
        3 => u32_arg(),
        1 => (-5i32..5).prop_map(|n| json!({ "i32": n })),
        1 => (0u64..3).prop_map(|n| json!({ "u64": n })),
        2 => i128_arg(),
        3 => sym_arg(),
        1 => prop::sample::select(&["", "x", "hello"][..]).prop_map(|s| json!({ "str": s })),
        1 => (prop::sample::select(&[0u32, 1, 32, 100][..]), 0u8..3)
            .prop_map(|(l, f)| json!({ "bytes": [l, f] })),
        1 => any::<bool>().prop_map(|b| json!({ "bool": b })),
        1 => Just(json!("void")),
        3 => addr(),
    ]
    .boxed()
}

fn arg() -> S {
    leaf_arg()
        .prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({ "vec": v })),
                // A host map's keys are unique and sorted.
                prop::collection::btree_map(
                    prop::sample::select(&["a", "b", "k"][..]),
                    inner,
                    0..3
                )
                .prop_map(|kv| {
                    let pairs: Vec<Value> = kv
                        .into_iter()
                        .map(|(k, v)| json!([{ "sym": k }, v]))
                        .collect();
                    json!({ "map": pairs })
                }),
            ]
        })
        .boxed()
}

/// A storage key: few enough to collide.
fn key_arg() -> S {
    prop_oneof![
        6 => prop::sample::select(&["k", "a"][..]).prop_map(|s| json!({ "sym": s })),
        1 => Just(json!({ "u32": 0 })),
        1 => Just(json!({ "vec": [{ "sym": "Balance" }, { "acct": 1 }] })),
    ]
    .boxed()
}

/// A function of the fixtures (follower, token, account, SAC) and the kind
/// of contract that has it, with arguments of its signature, or (1 in 8)
/// any contract and arbitrary arguments.
fn call_spec() -> BoxedStrategy<(Value, String, Vec<Value>)> {
    let none = || Just(Vec::<Value>::new()).boxed();
    #[allow(clippy::type_complexity)]
    let typed: Vec<(u32, &'static str, &'static str, BoxedStrategy<Vec<Value>>)> = vec![
        (2, "follower", "version", none()),
        (
            3,
            "follower",
            "hello",
            u32_arg().prop_map(|a| vec![a]).boxed(),
        ),
        (
            3,
            "follower",
            "put",
            (sym_arg(), u32_arg()).prop_map(|(k, v)| vec![k, v]).boxed(),
        ),
        (
            3,
            "follower",
            "get",
            sym_arg().prop_map(|k| vec![k]).boxed(),
        ),
        (1, "follower", "whoami", none()),
        (
            2,
            "follower",
            "bump",
            sym_arg().prop_map(|k| vec![k]).boxed(),
        ),
        (1, "token", "version", none()),
        (1, "token", "admin", none()),
        (
            4,
            "token",
            "mint",
            (addr(), i128_arg()).prop_map(|(a, n)| vec![a, n]).boxed(),
        ),
        (2, "token", "balance", addr().prop_map(|a| vec![a]).boxed()),
        (
            4,
            "token",
            "transfer",
            (addr(), addr(), i128_arg())
                .prop_map(|(a, b, n)| vec![a, b, n])
                .boxed(),
        ),
        (
            2,
            "token",
            "approve",
            (addr(), addr(), i128_arg())
                .prop_map(|(a, b, n)| vec![a, b, n])
                .boxed(),
        ),
        (
            1,
            "token",
            "allowance",
            (addr(), addr()).prop_map(|(a, b)| vec![a, b]).boxed(),
        ),
        (
            2,
            "token",
            "transfer_from",
            (addr(), addr(), addr(), i128_arg())
                .prop_map(|(a, b, c, n)| vec![a, b, c, n])
                .boxed(),
        ),
        (1, "token", "sent", addr().prop_map(|a| vec![a]).boxed()),
        (
            1,
            "token",
            "__constructor",
            addr().prop_map(|a| vec![a]).boxed(),
        ),
        (1, "sac", "name", none()),
        (1, "sac", "decimals", none()),
        (1, "sac", "balance", addr().prop_map(|a| vec![a]).boxed()),
        (
            1,
            "sac",
            "mint",
            (addr(), i128_arg()).prop_map(|(a, n)| vec![a, n]).boxed(),
        ),
        (
            1,
            "account",
            "__check_auth",
            Just(vec![
                json!({ "bytes": [32, 1] }),
                json!("void"),
                json!({ "vec": [] }),
            ])
            .boxed(),
        ),
        (1, "follower", "missing_fn", none()),
    ];
    let typed = prop::strategy::Union::new_weighted(
        typed
            .into_iter()
            .map(|(w, kind, name, args)| {
                let call = (contract_of(kind), args)
                    .prop_map(move |(c, a)| (c, name.to_string(), a))
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
        .prop_map(|(c, n, a)| (c, n.to_string(), a));
    prop_oneof![7 => typed, 1 => random].boxed()
}

/// `{contract, kind, fn, args}` of a call.
fn call_target() -> S {
    call_spec()
        .prop_map(|(mut c, f, args)| {
            c["fn"] = json!(f);
            c["args"] = json!(args);
            c
        })
        .boxed()
}

/// Constructor arguments fitting the Wasm (a token takes its admin), or
/// (1 in 5) arbitrary ones.
fn ctor_for(wasm: &'static str) -> S {
    let fitting = if wasm.starts_with("token") {
        addr().prop_map(|a| json!([a])).boxed()
    } else {
        prop_oneof![Just(Value::Null), Just(json!([]))].boxed()
    };
    prop_oneof![
        4 => fitting,
        1 => prop_oneof![
            Just(Value::Null),
            prop::collection::vec(arg(), 0..2).prop_map(Value::from)
        ],
    ]
    .boxed()
}

/// `{deployer, wasm, salt, ctor, v2}` of a creation.
fn create_args(deployer: S) -> S {
    (wasm(), deployer, 0u8..4, any::<bool>())
        .prop_flat_map(|(w, d, salt, v2)| {
            ctor_for(w).prop_map(move |ctor| {
                json!({ "deployer": d, "wasm": w, "salt": salt, "ctor": ctor, "v2": v2 })
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

fn durability() -> BoxedStrategy<&'static str> {
    prop::sample::select(&["p", "t", "i"][..]).boxed()
}

/// An authorized invocation (`{fn, subs}`), sub-invocations `depth` deep.
fn invocation(depth: u32) -> S {
    let f = prop_oneof![
        4 => call_target().prop_map(|c| json!({ "call": c })),
        1 => create_args(addr()).prop_map(|c| json!({ "create": c })),
    ];
    if depth == 0 {
        return f.prop_map(|f| json!({ "fn": f, "subs": [] })).boxed();
    }
    (f, prop::collection::vec(invocation(depth - 1), 0..2))
        .prop_map(|(f, subs)| json!({ "fn": f, "subs": subs }))
        .boxed()
}

fn credentials() -> S {
    prop_oneof![
        2 => Just(json!("source")),
        3 => (
            addr(),
            0u64..3,
            prop_oneof![0u32..3, 100u32..200],
            prop::sample::select(&["address", "address", "v2", "delegates"][..]),
            prop::collection::vec(addr(), 0..2),
        )
            .prop_map(|(a, nonce, exp, kind, delegates)| {
                json!({ "addr": a, "nonce": nonce, "exp": exp, "kind": kind, "delegates": delegates })
            }),
    ]
    .boxed()
}

/// Auth entries for `host_fn`: mostly ones whose root is `host_fn` itself
/// (which can match), sometimes unrelated ones.
fn auth_entries_for(host_fn: Value) -> S {
    let root = match host_fn
        .as_object()
        .and_then(|m| m.keys().next())
        .map(String::as_str)
    {
        Some("call") | Some("create") => Some(json!({ "fn": host_fn, "subs": [] })),
        _ => None,
    };
    let matching = match root {
        Some(root) => credentials()
            .prop_map(move |c| json!({ "creds": c, "root": root.clone() }))
            .boxed(),
        None => invocation(0)
            .prop_flat_map(|inv| {
                credentials().prop_map(move |c| json!({ "creds": c, "root": inv.clone() }))
            })
            .boxed(),
    };
    let unrelated =
        (credentials(), invocation(1)).prop_map(|(c, inv)| json!({ "creds": c, "root": inv }));
    prop::collection::vec(prop_oneof![4 => matching, 1 => unrelated], 0..3)
        .prop_map(Value::from)
        .boxed()
}

fn host_fn() -> S {
    prop_oneof![
        8 => call_target().prop_map(|c| json!({ "call": c })),
        2 => create_args(prop_oneof![3 => (1u8..=2).prop_map(|s| json!({ "acct": s })), 1 => addr()].boxed())
            .prop_map(|c| json!({ "create": c })),
        1 => wasm().prop_map(|w| json!({ "upload": w })),
        1 => prop_oneof![
            Just(json!("native")),
            (1u8..=2).prop_map(|i| json!({ "code": "USD", "issuer": i }))
        ]
        .prop_map(|a| json!({ "sac": a })),
    ]
    .boxed()
}

/// An op inside a test contract frame.
fn inner_op(depth: u32) -> S {
    let mut ops: Vec<(u32, S)> = vec![
        (
            6,
            (key_arg(), arg(), durability())
                .prop_map(|(k, v, d)| json!({ "op": "put", "key": k, "val": v, "dur": d }))
                .boxed(),
        ),
        (
            4,
            (
                prop::sample::select(&["has", "has", "get", "del"][..]),
                key_arg(),
                durability(),
            )
                .prop_map(|(op, k, d)| json!({ "op": op, "key": k, "dur": d }))
                .boxed(),
        ),
        (
            2,
            (key_arg(), durability(), ttl(), ttl())
                .prop_map(|(k, d, t, e)| {
                    json!({ "op": "extend_data", "key": k, "dur": d, "threshold": t, "extend_to": e })
                })
                .boxed(),
        ),
        (
            1,
            (key_arg(), durability(), ttl(), ttl(), ttl())
                .prop_map(|(k, d, e, min, max)| {
                    json!({ "op": "extend_data_v2", "key": k, "dur": d, "extend_to": e, "min": min, "max": max })
                })
                .boxed(),
        ),
        (
            1,
            (ttl(), ttl())
                .prop_map(|(t, e)| json!({ "op": "extend_current", "threshold": t, "extend_to": e }))
                .boxed(),
        ),
        (
            2,
            (prop::collection::vec(arg(), 0..3), arg())
                .prop_map(|(t, d)| json!({ "op": "event", "topics": t, "data": d }))
                .boxed(),
        ),
        (
            2,
            addr()
                .prop_map(|a| json!({ "op": "require_auth", "addr": a }))
                .boxed(),
        ),
        (
            1,
            (addr(), prop::collection::vec(arg(), 0..3))
                .prop_map(|(a, args)| json!({ "op": "require_auth_for_args", "addr": a, "args": args }))
                .boxed(),
        ),
        (
            1,
            prop::collection::vec(invocation(1), 0..3)
                .prop_map(|e| json!({ "op": "authorize", "entries": e }))
                .boxed(),
        ),
        (
            1,
            wasm()
                .prop_map(|w| json!({ "op": "update_wasm", "wasm": w }))
                .boxed(),
        ),
        (3, call_op()),
        (
            1,
            create_args(prop_oneof![contract(), acct()].boxed())
                .prop_map(|mut c| {
                    c["op"] = json!("create");
                    c
                })
                .boxed(),
        ),
        (
            1,
            addr()
                .prop_map(|a| json!({ "op": "get_executable", "addr": a }))
                .boxed(),
        ),
        (1, Just(json!({ "op": "current_address" })).boxed()),
    ];
    if depth > 0 {
        ops.push((1, frame_op(depth - 1)));
    }
    prop::strategy::Union::new_weighted(ops).boxed()
}

fn call_op() -> S {
    (call_target(), prop::bool::weighted(0.3))
        .prop_map(|(mut c, t)| {
            c["op"] = json!("call");
            c["try"] = json!(t);
            c
        })
        .boxed()
}

/// A `put` and then an op on the same key and durability (get, has, del,
/// or a TTL extension of persistent or temporary data): what a random key
/// would rarely hit.
fn put_then_use() -> BoxedStrategy<Vec<Value>> {
    (
        key_arg(),
        arg(),
        prop_oneof![3 => Just("p"), 2 => Just("t"), 1 => Just("i")],
        prop::sample::select(&["get", "has", "del", "extend_data", "extend_data_v2"][..]),
        prop_oneof![4 => 0u32..20_000, 1 => ttl()],
        prop_oneof![4 => 0u32..20_000, 1 => ttl()],
        prop_oneof![4 => 0u32..20_000, 1 => ttl()],
    )
        .prop_map(|(key, val, dur, then, a, b, c)| {
            let put = json!({ "op": "put", "key": key, "val": val, "dur": dur });
            let then = match then {
                "extend_data" => json!({
                    "op": then, "key": key, "dur": dur, "threshold": a, "extend_to": b,
                }),
                "extend_data_v2" => json!({
                    "op": then, "key": key, "dur": dur, "extend_to": a, "min": b.min(c), "max": b.max(c),
                }),
                _ => json!({ "op": then, "key": key, "dur": dur }),
            };
            vec![put, then]
        })
        .boxed()
}

fn frame_op(depth: u32) -> S {
    let chunk = prop_oneof![
        3 => inner_op(depth).prop_map(|op| vec![op]),
        1 => put_then_use(),
    ];
    (
        contract(),
        prop::collection::vec(chunk, 1..5),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(c, chunks, fail)| {
            let body: Vec<Value> = chunks.into_iter().flatten().collect();
            json!({ "op": "frame", "contract": c["contract"], "body": body, "fail": fail })
        })
        .boxed()
}

/// An op of the main host (what `limited` may wrap).
fn host_op() -> S {
    prop_oneof![
        8 => call_op(),
        5 => frame_op(1),
        2 => create_args(addr()).prop_map(|mut c| {
            c["op"] = json!("create");
            c
        }),
        1 => wasm().prop_map(|w| json!({ "op": "upload", "wasm": w })),
        1 => prop_oneof![
            Just(json!("native")),
            (1u8..=2).prop_map(|i| json!({ "code": "USD", "issuer": i }))
        ]
        .prop_map(|a| json!({ "op": "sac", "asset": a })),
        2 => (
            contract(),
            prop::sample::select(&["instance_and_code", "instance", "code"][..]),
            ttl(),
            ttl()
        )
            .prop_map(|(c, w, t, e)| {
                json!({ "op": "extend", "contract": c["contract"], "what": w, "threshold": t, "extend_to": e })
            }),
        1 => (
            contract(),
            prop::sample::select(&["instance_and_code", "instance", "code"][..]),
            ttl(),
            ttl(),
            ttl()
        )
            .prop_map(|(c, s, e, min, max)| {
                json!({ "op": "extend_v2", "contract": c["contract"], "scope": s, "extend_to": e, "min": min, "max": max })
            }),
        1 => addr().prop_map(|a| json!({ "op": "get_executable", "addr": a })),
        3 => host_fn()
            .prop_flat_map(|f| {
                let with_auth = auth_entries_for(f.clone());
                (Just(f), prop::option::weighted(0.5, with_auth))
            })
            .prop_map(|(f, auth)| match auth {
                Some(a) => json!({ "op": "invoke", "fn": f, "auth": a }),
                None => json!({ "op": "invoke", "fn": f }),
            }),
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

fn tx_op() -> S {
    let sim_auth = |f: Value| {
        prop_oneof![
            3 => (any::<bool>(), prop::bool::weighted(0.2))
                .prop_map(|(d, v2)| json!({ "record": { "disable_non_root": d, "v2": v2 } })),
            3 => (any::<bool>(), prop::bool::weighted(0.2), prop_oneof![5 => 10u32..1000, 1 => 0u32..2])
                .prop_map(|(d, v2, exp)| json!({ "two_pass": { "disable_non_root": d, "v2": v2, "exp": exp } })),
            1 => auth_entries_for(f).prop_map(|e| json!({ "enforce": e })),
        ]
    };
    host_fn()
        .prop_flat_map(move |f| {
            (
                Just(f.clone()),
                sim_auth(f),
                1u8..=2,
                prop_oneof![8 => Just("recorded"), 1 => Just("none")],
                prop_oneof![8 => Just("recorded"), 1 => Just("drop_ro"), 1 => Just("drop_rw")],
                prop_oneof![
                    6 => Just(Value::Null),
                    // Applying costs more than simulating (it decodes the
                    // entries' XDR): from half to three times the simulated
                    // instructions.
                    3 => prop_oneof![3 => 150u64..300, 1 => 50u64..150].prop_map(|p| json!({ "pct": p })),
                    1 => limits().prop_map(|(c, _)| json!({ "abs": c })),
                ],
                prop_oneof![6 => Just(Value::Null), 1 => limits().prop_map(|(_, m)| json!(m))],
            )
        })
        .prop_map(|(f, sim_auth, source, apply_auth, footprint, cpu, mem)| {
            json!({
                "op": "tx", "fn": f, "source": source, "sim_auth": sim_auth,
                "apply_auth": apply_auth, "footprint": footprint, "cpu": cpu, "mem": mem,
            })
        })
        .boxed()
}

fn top_op() -> S {
    prop_oneof![
        20 => host_op(),
        6 => tx_op(),
        3 => (limits(), host_op())
            .prop_map(|((cpu, mem), body)| json!({ "op": "limited", "cpu": cpu, "mem": mem, "body": body })),
        1 => any::<bool>().prop_map(|d| json!({ "op": "auth", "mode": "recording", "disable_non_root": d })),
        1 => host_fn()
            .prop_flat_map(auth_entries_for)
            .prop_map(|e| json!({ "op": "auth", "mode": "enforcing", "entries": e })),
        1 => (1u8..=4).prop_map(|s| json!({ "op": "source", "acct": s })),
        1 => Just(json!({ "op": "recorded_auth" })),
        1 => prop_oneof![0u32..20, 4000u32..6000, 500_000u32..600_000]
            .prop_map(|n| json!({ "op": "ledger", "advance": n })),
    ]
    .boxed()
}

/// Setup: upload a fixture and create a contract from it (deployed by an
/// account, so that recording auth lets it through).
fn setup(wasm: &'static str, salt: u8) -> S {
    (acct(), ctor_for(wasm))
        .prop_map(move |(deployer, ctor)| {
            json!([
                { "op": "upload", "wasm": wasm },
                { "op": "create", "wasm": wasm, "deployer": deployer, "salt": salt, "ctor": ctor },
            ])
        })
        .boxed()
}

/// A workload: a setup (most often a follower, a token and a custom
/// account, each of which shrinking may drop, and up to 2 more contracts),
/// then up to 15 random ops.
fn workload() -> S {
    let version = |a: &'static str, b: &'static str| prop::sample::select(vec![a, b]);
    let each_kind = (
        prop::option::weighted(0.9, version("follower_v1", "follower_v2")),
        prop::option::weighted(0.9, version("token_v1", "token_v2")),
        prop::option::weighted(0.9, Just("account")),
    )
        .prop_flat_map(|(f, t, a)| {
            let one = |w: Option<&'static str>, salt: u8| match w {
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
            let mut all: Vec<Value> = [f, t, a]
                .into_iter()
                .flatten()
                .chain(more)
                .flat_map(|s| s.as_array().cloned().unwrap_or_default())
                .collect();
            all.extend(ops);
            json!({ "diagnostics": diagnostics, "metering": metering, "ops": all })
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
fn assert_matches_upstream(workload: &Value) -> Value {
    let mut reference = start_reference();
    let (fork, upstream) = run_both(&mut reference, workload);
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
    let w = json!({ "diagnostics": true, "metering": false, "ops": [
        { "op": "upload", "wasm": "follower_v1" },
        { "op": "upload", "wasm": "follower_v2" },
        { "op": "upload", "wasm": "token_v1" },
        { "op": "upload", "wasm": "account" },
        { "op": "upload", "wasm": "bogus" },
        { "op": "create", "wasm": "follower_v1", "deployer": { "acct": 2 }, "salt": 1, "ctor": null },
        { "op": "create", "wasm": "token_v1", "deployer": { "acct": 2 }, "salt": 2, "ctor": [{ "acct": 3 }] },
        { "op": "create", "wasm": "account", "deployer": { "acct": 2 }, "salt": 3, "ctor": [] },
        { "op": "sac", "asset": "native" },
        { "op": "call", "contract": 0, "fn": "hello", "args": [{ "u32": 41 }], "try": false },
        { "op": "call", "contract": 1, "fn": "mint", "args": [{ "contract": 2 }, { "i128": "100" }], "try": false },
        { "op": "call", "contract": 0, "fn": "missing_fn", "args": [], "try": true },
        { "op": "recorded_auth" },
        { "op": "frame", "contract": 0, "fail": false, "body": [
            { "op": "put", "key": { "sym": "t" }, "val": { "u32": 1 }, "dur": "t" },
            { "op": "put", "key": { "sym": "i" }, "val": { "vec": [{ "u32": 1 }] }, "dur": "i" },
            { "op": "has", "key": { "sym": "t" }, "dur": "t" },
            { "op": "extend_data", "key": { "sym": "t" }, "dur": "t", "threshold": 10, "extend_to": 100 },
            { "op": "extend_data_v2", "key": { "sym": "t" }, "dur": "t", "extend_to": 200, "min": 1, "max": 50 },
            { "op": "extend_current", "threshold": 5000, "extend_to": 9000 },
            { "op": "event", "topics": [{ "sym": "x" }], "data": { "u32": 5 } },
            { "op": "require_auth", "addr": { "acct": 4 } },
            { "op": "require_auth_for_args", "addr": { "contract": 2 }, "args": [{ "u32": 1 }] },
            { "op": "authorize", "entries": [{ "fn": { "create": { "deployer": { "contract": 0 }, "wasm": "follower_v1", "salt": 9, "ctor": [], "v2": true } }, "subs": [] }] },
            { "op": "create", "wasm": "follower_v1", "deployer": { "contract": 0 }, "salt": 9, "ctor": [], "v2": true },
            { "op": "get_executable", "addr": { "contract": 1 } },
            { "op": "current_address" },
            { "op": "update_wasm", "wasm": "follower_v2" },
            { "op": "del", "key": { "sym": "t" }, "dur": "t" },
            { "op": "has", "key": { "sym": "t" }, "dur": "t" },
            { "op": "frame", "contract": 1, "fail": true, "body": [
                { "op": "put", "key": { "sym": "k" }, "val": { "u32": 2 }, "dur": "p" },
            ] },
        ] },
        { "op": "call", "contract": 0, "fn": "version", "args": [], "try": false },
        { "op": "extend", "contract": 0, "what": "instance_and_code", "threshold": 5000, "extend_to": 10_000 },
        { "op": "extend", "contract": 1, "what": "code", "threshold": 5000, "extend_to": 7_000_000 },
        { "op": "extend_v2", "contract": 1, "scope": "instance", "extend_to": 20_000, "min": 1, "max": 100_000 },
        { "op": "get_executable", "addr": { "acct": 1 } },
        { "op": "limited", "cpu": 100_000, "mem": 10_000_000, "body":
            { "op": "call", "contract": 0, "fn": "hello", "args": [{ "u32": 1 }], "try": false } },
        { "op": "limited", "cpu": 100_000_000, "mem": 50_000, "body":
            { "op": "call", "contract": 0, "fn": "hello", "args": [{ "u32": 1 }], "try": false } },
        { "op": "source", "acct": 3 },
        { "op": "invoke",
          "fn": { "call": { "contract": 1, "fn": "mint", "args": [{ "acct": 3 }, { "i128": "5" }] } },
          "auth": [{ "creds": "source", "root": { "fn": { "call": { "contract": 1, "fn": "mint", "args": [{ "acct": 3 }, { "i128": "5" }] } }, "subs": [] } }] },
        { "op": "invoke",
          "fn": { "create": { "deployer": { "acct": 3 }, "wasm": "follower_v1", "salt": 5, "ctor": [], "v2": true } },
          "auth": [{ "creds": { "addr": { "acct": 3 }, "nonce": 1, "exp": 10, "kind": "address", "delegates": [] },
                     "root": { "fn": { "create": { "deployer": { "acct": 3 }, "wasm": "follower_v1", "salt": 5, "ctor": [], "v2": true } }, "subs": [] } }] },
        { "op": "auth", "mode": "recording", "disable_non_root": false },
        { "op": "ledger", "advance": 5000 },
        { "op": "tx", "fn": { "call": { "contract": 1, "fn": "transfer", "args": [{ "contract": 2 }, { "acct": 4 }, { "i128": "10" }] } },
          "source": 1, "sim_auth": { "two_pass": { "disable_non_root": false, "v2": false, "exp": 100 } },
          "apply_auth": "recorded", "footprint": "recorded", "cpu": null, "mem": null },
        { "op": "tx", "fn": { "call": { "contract": 1, "fn": "balance", "args": [{ "acct": 4 }] } },
          "source": 1, "sim_auth": { "record": { "disable_non_root": false, "v2": false } },
          "apply_auth": "recorded", "footprint": "recorded", "cpu": { "pct": 90 }, "mem": null },
        { "op": "tx", "fn": { "create": { "deployer": { "acct": 1 }, "wasm": "follower_v2", "salt": 7, "ctor": [], "v2": true } },
          "source": 1, "sim_auth": { "record": { "disable_non_root": true, "v2": true } },
          "apply_auth": "recorded", "footprint": "recorded", "cpu": null, "mem": null },
        { "op": "tx", "fn": { "call": { "contract": 0, "fn": "put", "args": [{ "sym": "k" }, { "u32": 3 }] } },
          "source": 1, "sim_auth": { "record": { "disable_non_root": false, "v2": false } },
          "apply_auth": "recorded", "footprint": "drop_rw", "cpu": null, "mem": null },
        { "op": "tx", "fn": { "upload": "token_v2" },
          "source": 2, "sim_auth": { "enforce": [] },
          "apply_auth": "none", "footprint": "recorded", "cpu": null, "mem": null },
    ]});
    let fork = assert_matches_upstream(&w);
    for op in fork["ops"].as_array().expect("ops") {
        println!(
            "{:<28} {:>10} {:>10}  {}",
            op["op"].as_str().unwrap_or_default(),
            op["cpu"],
            op["mem"],
            short(&op["result"]).chars().take(90).collect::<String>()
        );
    }
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
/// values and the signed difference.
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
    let diffs = diff(&fork, &upstream);
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
    assert!(diff(&upstream, &upstream).is_empty());
    assert!(check(&json!({}), &fork, &upstream).is_err());
}
