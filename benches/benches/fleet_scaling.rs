//! R3: fleet scaling. One ledger ([`Ledger`]: every transaction simulated,
//! then applied through `e2e_invoke::invoke_host_function` with an enforcing
//! footprint) grows to N = 1, 10, 100, 1,000, 10,000 ExternalRef followers
//! (`follower_v1.wasm`, deployed through the factory), next to N plain-Wasm
//! pinnable contracts that can only be upgraded one by one
//! (`pin` = `update_current_contract_wasm`). At each N:
//!
//! - one ref update (the manager's `set_ref`, delay 0) upgrades the whole
//!   fleet: its metered cost must not depend on N;
//! - upgrading N plain contracts takes N transactions, all really applied:
//!   their summed metered cost is linear in N;
//! - a follower's call (`hello(41)`, first and last deployed) costs the same
//!   whatever N.
//!
//! Measured transactions are prepared once and applied without committing,
//! so the ledger only grows by deployments. The fleet really follows the ref:
//! at each N one committed `set_ref` makes the last follower answer version 2,
//! and another sets the ref back. Criterion times the applies; the metered
//! table (deterministic), `r3.md` and `r3.svg` go to the report directory.

use std::{
    fmt::Write as _,
    time::{Duration, Instant},
};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use extref_benches::{
    check_doc, doc_table, markdown_table, mismatch, paired, quick, record, repo_root, rounds,
    test_mode, write_report,
};
use extref_testkit::thousands;
use extref_testkit::{
    e2e::{invoke_fn, sc_symbol, Ledger, Prepared, Receipt},
    fixtures, FORK_PROTOCOL,
};
use serde_json::{json, Value};
use soroban_env_host::xdr::{ContractCostType, ContractExecutable, Hash, ScAddress, ScVal};

const KEY: &str = "fleet";

fn sym(s: &str) -> ScVal {
    ScVal::Symbol(sc_symbol(s))
}

fn bytes(b: &[u8]) -> ScVal {
    ScVal::Bytes(b.to_vec().try_into().expect("small bytes"))
}

fn salt(tag: u8, i: usize) -> [u8; 32] {
    let mut s = [tag; 32];
    s[..4].copy_from_slice(&(i as u32).to_be_bytes());
    s
}

/// The ledger, its manager and factory, and both fleets.
struct Fleet {
    ledger: Ledger,
    manager: ScAddress,
    factory: ScAddress,
    follower_v1: Hash,
    follower_v2: Hash,
    pinnable_v1: Hash,
    pinnable_v2: Hash,
    /// ExternalRef followers of (`manager`, [`KEY`]).
    followers: Vec<ScAddress>,
    /// Plain `Wasm(pinnable_v1)` contracts, upgraded one by one.
    pinnables: Vec<ScAddress>,
}

impl Fleet {
    fn new() -> Self {
        let mut ledger = Ledger::at_protocol(FORK_PROTOCOL);
        let admin = ScVal::Address(ledger.source_address());
        let mut up = |wasm| ledger.upload(wasm).expect("upload");
        let follower_v1 = up(fixtures::FOLLOWER_V1);
        let follower_v2 = up(fixtures::FOLLOWER_V2);
        let pinnable_v1 = up(fixtures::PINNABLE_V1);
        let pinnable_v2 = up(fixtures::PINNABLE_V2);
        let manager_code = up(fixtures::MANAGER);
        let factory_code = up(fixtures::FACTORY);
        // Delay 0: one ref update is one `set_ref` transaction.
        let (manager, _) = ledger
            .create(
                ContractExecutable::Wasm(manager_code),
                salt(1, 0),
                vec![admin, ScVal::U32(0)],
            )
            .expect("manager");
        let (factory, _) = ledger
            .create(ContractExecutable::Wasm(factory_code), salt(2, 0), vec![])
            .expect("factory");
        let mut fleet = Fleet {
            ledger,
            manager,
            factory,
            follower_v1,
            follower_v2,
            pinnable_v1,
            pinnable_v2,
            followers: vec![],
            pinnables: vec![],
        };
        let v1 = fleet.follower_v1.clone();
        fleet.set_ref(&v1);
        fleet
    }

    fn set_ref_fn(&self, hash: &Hash) -> soroban_env_host::xdr::HostFunction {
        invoke_fn(&self.manager, "set_ref", vec![sym(KEY), bytes(&hash.0)])
    }

    /// Commits a ref update.
    fn set_ref(&mut self, hash: &Hash) {
        let f = self.set_ref_fn(hash);
        self.ledger.submit(f).expect("set_ref");
    }

    /// Deploys followers and pinnables up to `n` of each.
    fn grow(&mut self, n: usize) {
        let admin = ScVal::Address(self.ledger.source_address());
        for i in self.followers.len()..n {
            let r = self
                .ledger
                .invoke(
                    &self.factory,
                    "deploy",
                    vec![
                        ScVal::Address(self.manager.clone()),
                        sym(KEY),
                        bytes(&salt(3, i)),
                    ],
                )
                .expect("factory deploy");
            let ScVal::Address(f) = r.result else {
                panic!("factory returned {:?}", r.result)
            };
            self.followers.push(f);
            let (p, _) = self
                .ledger
                .create(
                    ContractExecutable::Wasm(self.pinnable_v1.clone()),
                    salt(5, i),
                    vec![admin.clone()],
                )
                .expect("pinnable");
            self.pinnables.push(p);
        }
    }

    fn prepare(&self, contract: &ScAddress, function: &str, args: Vec<ScVal>) -> Prepared {
        self.ledger
            .prepare(invoke_fn(contract, function, args))
            .unwrap_or_else(|e| panic!("simulating {function}: {e:?}"))
    }

    fn apply(&self, tx: &Prepared) -> Receipt {
        self.ledger.apply_prepared(tx).expect("apply")
    }

    fn call(&self, follower: &ScAddress) -> Prepared {
        self.prepare(follower, "hello", vec![ScVal::U32(41)])
    }

    fn version(&mut self, contract: &ScAddress) -> ScVal {
        self.ledger
            .invoke(contract, "version", vec![])
            .expect("version")
            .result
    }
}

/// What one N measured.
struct Row {
    n: usize,
    ref_update: Receipt,
    call_first: Receipt,
    call_last: Receipt,
    /// The N `pin` transactions: summed CPU, memory, entries written;
    /// cheapest and dearest one's CPU.
    pins_cpu: u64,
    pins_mem: u64,
    pins_written: usize,
    pin_min: u64,
    pin_max: u64,
    /// Wall time: the N pin applies (prepares excluded), and medians of one
    /// ref update and one follower call (interleaved; none in test mode).
    pins_wall: Duration,
    wall: Option<(Duration, Duration)>,
}

fn measure(fleet: &mut Fleet, n: usize) -> (Row, Prepared, Prepared) {
    let ref_tx = fleet
        .ledger
        .prepare(fleet.set_ref_fn(&fleet.follower_v2))
        .expect("simulating set_ref");
    let ref_update = fleet.apply(&ref_tx);
    assert_eq!(ref_update.result, ScVal::Void);
    let first = fleet.call(&fleet.followers[0]);
    let last_tx = fleet.call(&fleet.followers[n - 1]);
    let (call_first, call_last) = (fleet.apply(&first), fleet.apply(&last_tx));
    assert_eq!(call_first.result, ScVal::U32(42));
    assert_eq!(call_last.result, ScVal::U32(42));

    // Upgrading the N plain contracts one by one: N real transactions.
    let (mut pins_cpu, mut pins_mem, mut pins_written) = (0, 0, 0);
    let (mut pin_min, mut pin_max) = (u64::MAX, 0);
    let mut pins_wall = Duration::ZERO;
    let pin_args = vec![bytes(&fleet.pinnable_v2.0)];
    for p in &fleet.pinnables[..n] {
        let tx = fleet.prepare(p, "pin", pin_args.clone());
        let t = Instant::now();
        let r = fleet.apply(&tx);
        pins_wall += t.elapsed();
        assert_eq!(r.result, ScVal::Void);
        pins_cpu += r.cpu_insns;
        pins_mem += r.mem_bytes;
        pins_written += r.read_write;
        pin_min = pin_min.min(r.cpu_insns);
        pin_max = pin_max.max(r.cpu_insns);
    }

    let wall = (!test_mode()).then(|| {
        let p = paired(
            rounds(),
            10,
            || {
                fleet.apply(&ref_tx);
            },
            || {
                fleet.apply(&last_tx);
            },
        );
        (p.a, p.b)
    });

    // The one update really reaches every follower (then goes back to v1).
    let (v1, v2) = (fleet.follower_v1.clone(), fleet.follower_v2.clone());
    let last = fleet.followers[n - 1].clone();
    fleet.set_ref(&v2);
    assert_eq!(fleet.version(&last), ScVal::U32(2), "follower {n} on v2");
    fleet.set_ref(&v1);
    assert_eq!(fleet.version(&last), ScVal::U32(1), "follower {n} on v1");
    let pinned = fleet.pinnables[n - 1].clone();
    assert_eq!(
        fleet.version(&pinned),
        ScVal::U32(1),
        "applied pins are not committed"
    );

    let row = Row {
        n,
        ref_update,
        call_first,
        call_last,
        pins_cpu,
        pins_mem,
        pins_written,
        pin_min,
        pin_max,
        pins_wall,
        wall,
    };
    (row, ref_tx, last_tx)
}

fn within(a: u64, b: u64, pct: f64) -> bool {
    (a as f64 - b as f64).abs() <= b as f64 * pct / 100.0
}

/// The design's claims, as `docs/benchmarks.md` states them: the ref update
/// costs exactly the same at every N, N pins exactly N times one pin, and a
/// follower call stays within 1% (its own address moves MemCmp a little).
fn check(rows: &[Row]) {
    let base = &rows[0];
    for r in rows {
        assert_eq!(
            (r.ref_update.cpu_insns, r.ref_update.mem_bytes),
            (base.ref_update.cpu_insns, base.ref_update.mem_bytes),
            "ref update at N={}, against N=1",
            r.n
        );
        for call in [&r.call_first, &r.call_last] {
            assert!(
                within(call.cpu_insns, base.call_last.cpu_insns, 1.0),
                "follower call at N={} costs {} CPU, at N=1 {}",
                r.n,
                call.cpu_insns,
                base.call_last.cpu_insns
            );
        }
        // Linear: N pins cost exactly N times one pin.
        assert_eq!((r.pin_min, r.pin_max), (base.pins_cpu, base.pins_cpu));
        assert_eq!(r.pins_cpu, base.pins_cpu * r.n as u64);
        assert_eq!(r.pins_written, r.n * base.pins_written);
    }
}

/// `b - a` by cost type, the types whose CPU differs: `"MemCmp +100"`.
fn cpu_delta(a: &Receipt, b: &Receipt) -> String {
    let cpu = |r: &Receipt, ty| {
        r.by_cost_type
            .iter()
            .find(|(t, _, _)| *t == ty)
            .map_or(0, |(_, c, _)| *c as i64)
    };
    let total = b.cpu_insns as i64 - a.cpu_insns as i64;
    let by_type: Vec<String> = ContractCostType::variants()
        .into_iter()
        .filter(|&ty| cpu(a, ty) != cpu(b, ty))
        .map(|ty| format!("{ty:?} {:+}", cpu(b, ty) - cpu(a, ty)))
        .collect();
    format!("{total:+} ({})", by_type.join(", "))
}

fn us(d: Duration) -> String {
    format!("{:.1} us", d.as_secs_f64() * 1e6)
}

/// A row's deterministic figures, as `r3.json` (and the committed record
/// `docs/records/bench-r3.json`) hold them. `vs_n1`: a follower call's CPU
/// against N = 1's, by cost type, where it differs.
fn row_json(r: &Row, base: &Row) -> Value {
    let call = |c: &Receipt| {
        json!({
            "cpu": c.cpu_insns,
            "mem": c.mem_bytes,
            "vs_n1": (c.cpu_insns != base.call_last.cpu_insns)
                .then(|| cpu_delta(&base.call_last, c)),
        })
    };
    json!({
        "n": r.n,
        "ref_update": {
            "cpu": r.ref_update.cpu_insns,
            "mem": r.ref_update.mem_bytes,
            "entries_written": r.ref_update.read_write,
        },
        "pins": {
            "cpu": r.pins_cpu,
            "mem": r.pins_mem,
            "entries_written": r.pins_written,
            "one_pin_cpu_min": r.pin_min,
            "one_pin_cpu_max": r.pin_max,
        },
        "call_first": call(&r.call_first),
        "call_last": call(&r.call_last),
    })
}

fn int(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not an unsigned integer: {v}"))
}

/// `pins / ref update` as the document prints it: two significant digits
/// below 100, whole numbers above.
fn ratio(r: f64) -> String {
    if r < 1.0 {
        format!("{r:.2}")
    } else if r < 10.0 {
        format!("{r:.1}")
    } else {
        thousands(r.round() as i64)
    }
}

/// `docs/benchmarks.md`'s R3 metered table, from recorded rows.
fn doc_metered_table(rows: &[Value]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let (u, p) = (&r["ref_update"], &r["pins"]);
            vec![
                thousands(int(&r["n"])),
                format!(
                    "{} / {} / {}",
                    thousands(int(&u["cpu"])),
                    thousands(int(&u["mem"])),
                    int(&u["entries_written"])
                ),
                format!(
                    "{} / {}",
                    thousands(int(&p["cpu"])),
                    thousands(int(&p["entries_written"]))
                ),
                ratio(int(&p["cpu"]) as f64 / int(&u["cpu"]) as f64),
                format!(
                    "{} / {}",
                    thousands(int(&r["call_first"]["cpu"])),
                    thousands(int(&r["call_last"]["cpu"]))
                ),
            ]
        })
        .collect();
    doc_table(
        &[
            "N",
            "one ref update: CPU / memory / entries written",
            "N × update_current_contract_wasm: CPU / entries written",
            "ratio",
            "follower call CPU (first / last)",
        ],
        &[0, 1, 2, 3, 4],
        &rows,
    )
}

/// The R3 plot (`docs/img/r3-fleet-scaling.svg`), from recorded rows.
fn plot(rows: &[Value]) -> String {
    let series = |name, color, f: &dyn Fn(&Value) -> u64| Series {
        name,
        color,
        points: rows
            .iter()
            .map(|r| (int(&r["n"]) as f64, f(r) as f64))
            .collect(),
    };
    svg(
        "R3 fleet scaling: metered CPU against fleet size N",
        "contracts in the fleet N (log scale)",
        "metered CPU instructions (log scale)",
        &[
            series("one ref update (ExternalRef fleet)", "#1f77b4", &|r| {
                int(&r["ref_update"]["cpu"])
            }),
            series("N x update_current_contract_wasm", "#d62728", &|r| {
                int(&r["pins"]["cpu"])
            }),
            series("one follower call (hello)", "#2ca02c", &|r| {
                int(&r["call_last"]["cpu"])
            }),
        ],
    )
}

/// The committed record `docs/records/bench-r3.json` against this run (every
/// N measured here must be recorded with exactly these figures), then the
/// document's table, figures and plot against the record. A full run
/// measures every N of the record; test mode the first three.
fn check_record(live: &[Value]) {
    let Some(record) = record("bench-r3.json") else {
        return;
    };
    let rows = record["rows"].as_array().expect("rows");
    for row in live {
        let recorded = rows.iter().find(|r| r["n"] == row["n"]);
        if recorded != Some(row) {
            let msg = format!(
                "docs/records/bench-r3.json differs from this run at N = {}: recorded {}, measured {row}; \
                 a full run (`cargo bench -p extref-benches --bench fleet_scaling`) writes the record \
                 to target/extref-bench/r3.json",
                row["n"],
                recorded.map_or("nothing".to_string(), |r| r.to_string())
            );
            mismatch(&msg);
        }
    }
    check_doc("R3's metered table", &doc_metered_table(rows));
    let svg_path = repo_root().join("docs/img/r3-fleet-scaling.svg");
    let committed = std::fs::read_to_string(&svg_path).expect("docs/img/r3-fleet-scaling.svg");
    if committed != plot(rows) {
        mismatch(
            "docs/img/r3-fleet-scaling.svg is not the plot of docs/records/bench-r3.json \
             (a full run writes it to target/extref-bench/r3.svg)",
        );
    }

    let (base, last) = (&rows[0], &rows[rows.len() - 1]);
    let calls: Vec<u64> = rows
        .iter()
        .flat_map(|r| [int(&r["call_first"]["cpu"]), int(&r["call_last"]["cpu"])])
        .collect();
    let (lo, hi) = (
        *calls.iter().min().expect("rows"),
        *calls.iter().max().expect("rows"),
    );
    let mut quoted = vec![
        (
            "the ref update in the targets",
            format!(
                "ref update **{}** CPU at every N",
                thousands(int(&base["ref_update"]["cpu"]))
            ),
        ),
        (
            "the follower call in the targets",
            format!(
                "the follower call {} to {} CPU (within {:.3}%)",
                thousands(lo),
                thousands(hi),
                (hi - lo) as f64 / lo as f64 * 100.0
            ),
        ),
        (
            "the largest fleet",
            format!("from N = 1 to {}", thousands(int(&last["n"]))),
        ),
    ];
    for r in rows {
        for which in ["first", "last"] {
            if let Some(d) = r[format!("call_{which}")]["vs_n1"].as_str() {
                quoted.push((
                    "a follower call that differs",
                    format!(
                        "At N = {} the {which} follower's call costs {d} against N = 1",
                        thousands(int(&r["n"]))
                    ),
                ));
            }
        }
    }
    for (what, text) in quoted {
        check_doc(what, &text);
    }
}

fn tables(rows: &[Row]) -> (String, String) {
    let metered: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                thousands(r.n as u64),
                thousands(r.ref_update.cpu_insns),
                thousands(r.ref_update.mem_bytes),
                r.ref_update.read_write.to_string(),
                thousands(r.pins_cpu),
                thousands(r.pins_mem),
                r.pins_written.to_string(),
                format!("{:.2}", r.pins_cpu as f64 / r.ref_update.cpu_insns as f64),
                thousands(r.call_first.cpu_insns),
                thousands(r.call_last.cpu_insns),
            ]
        })
        .collect();
    let metered = markdown_table(
        &[
            "N",
            "one ref update CPU",
            "one ref update mem",
            "entries written",
            "N x update_current_contract_wasm CPU",
            "N x update mem",
            "entries written",
            "ratio (CPU)",
            "first follower call CPU",
            "last follower call CPU",
        ],
        &metered,
    );
    let wall: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let (a, b) = r
                .wall
                .map_or(("-".into(), "-".into()), |(a, b)| (us(a), us(b)));
            vec![
                thousands(r.n as u64),
                a,
                format!("{:.1} ms", r.pins_wall.as_secs_f64() * 1e3),
                b,
            ]
        })
        .collect();
    let wall = markdown_table(
        &[
            "N",
            "one ref update (median apply)",
            "N x update_current_contract_wasm (sum of applies)",
            "one follower call (median apply)",
        ],
        &wall,
    );
    (metered, wall)
}

/// One line of [`svg`]: `(N, metered CPU)` points.
struct Series {
    name: &'static str,
    color: &'static str,
    points: Vec<(f64, f64)>,
}

/// A log-log line plot of metered CPU against N: hand-written SVG, fixed
/// formatting, so the same numbers give the same bytes.
fn svg(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> String {
    let (w, h) = (720.0, 460.0);
    let (left, right, top, bottom) = (90.0, 40.0, 50.0, 60.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let points = series.iter().flat_map(|s| s.points.iter());
    let (mut x_hi, mut y_lo, mut y_hi) = (1.0f64, f64::MAX, f64::MIN);
    for &(x, y) in points {
        x_hi = x_hi.max(x.log10().ceil());
        y_lo = y_lo.min(y.log10().floor());
        y_hi = y_hi.max(y.log10().ceil());
    }
    let px = |x: f64| left + x.log10() / x_hi * pw;
    let py = |y: f64| top + ph - (y.log10() - y_lo) / (y_hi - y_lo) * ph;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="24" text-anchor="middle" font-size="15" font-weight="bold">{title}</text>"#,
        w / 2.0
    );
    for k in 0..=x_hi as i32 {
        let x = px(10f64.powi(k));
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/>"##,
            top + ph
        );
        let _ = writeln!(
            s,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            top + ph + 18.0,
            thousands(10i64.pow(k as u32))
        );
    }
    for k in y_lo as i32..=y_hi as i32 {
        let y = py(10f64.powi(k));
        let _ = writeln!(
            s,
            r##"<line x1="{left:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/>"##,
            left + pw
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">10<tspan dy="-6" font-size="9">{k}</tspan></text>"#,
            left - 8.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        s,
        r#"<rect x="{left:.1}" y="{top:.1}" width="{pw:.1}" height="{ph:.1}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{x_label}</text>"#,
        left + pw / 2.0,
        h - 16.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(22 {:.1}) rotate(-90)" text-anchor="middle">{y_label}</text>"#,
        top + ph / 2.0
    );
    for (
        i,
        Series {
            name,
            color,
            points: pts,
        },
    ) in series.iter().enumerate()
    {
        let line: Vec<String> = pts
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
            line.join(" ")
        );
        for &(x, y) in pts {
            let _ = writeln!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{color}"/>"#,
                px(x),
                py(y)
            );
        }
        let ly = top + 18.0 + 18.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{color}" stroke-width="2"/>"#,
            left + 12.0,
            left + 36.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}">{name}</text>"#,
            left + 42.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

fn r3(c: &mut Criterion) {
    let started = Instant::now();
    let ns: &[usize] = if test_mode() {
        &[1, 10, 100]
    } else {
        &[1, 10, 100, 1_000, 10_000]
    };
    let mut fleet = Fleet::new();
    let mut rows = vec![];
    let mut group = c.benchmark_group("R3_fleet_scaling");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for &n in ns {
        let t = Instant::now();
        fleet.grow(n);
        let deployed = t.elapsed();
        let t = Instant::now();
        let (row, ref_tx, call_tx) = measure(&mut fleet, n);
        eprintln!(
            "R3 N={n}: deployed in {:.1} s, measured in {:.1} s, {} ledger entries",
            deployed.as_secs_f64(),
            t.elapsed().as_secs_f64(),
            fleet.ledger.len()
        );
        rows.push(row);
        group.bench_with_input(BenchmarkId::new("ref_update", n), &ref_tx, |b, tx| {
            b.iter(|| fleet.apply(tx))
        });
        group.bench_with_input(BenchmarkId::new("follower_call", n), &call_tx, |b, tx| {
            b.iter(|| fleet.apply(tx))
        });
    }
    group.finish();
    check(&rows);

    let live: Vec<Value> = rows.iter().map(|r| row_json(r, &rows[0])).collect();
    let (metered, wall) = tables(&rows);
    println!("R3 fleet scaling, metered (applied transactions, protocol {FORK_PROTOCOL}):");
    print!("{metered}");
    for r in &rows {
        for (which, call) in [("first", &r.call_first), ("last", &r.call_last)] {
            if call.cpu_insns != rows[0].call_last.cpu_insns {
                println!(
                    "  N={}: {which} follower call CPU differs from N=1 by {}",
                    r.n,
                    cpu_delta(&rows[0].call_last, call)
                );
            }
        }
    }
    println!("R3 wall time (this machine):");
    print!("{wall}");
    let (lo, hi) = (
        rows.iter().map(|r| r.pin_min).min().expect("rows"),
        rows.iter().map(|r| r.pin_max).max().expect("rows"),
    );
    let one_pin = if lo == hi {
        format!("each costs exactly {} CPU", thousands(lo))
    } else {
        format!("each costs {} to {} CPU", thousands(lo), thousands(hi))
    };
    let notes = format!(
        "One ledger grows to each N: N ExternalRef followers of one manager ref \
(`follower_v1.wasm`, deployed through the factory) and N plain `Wasm(pinnable_v1)` \
contracts. \"One ref update\" is the manager's `set_ref` (delay 0) to `follower_v2.wasm`; \
\"N x update_current_contract_wasm\" is the sum of N really applied `pin` \
transactions, one per plain contract ({one_pin}, at every N); \"follower call\" \
is `hello(41)` on the first and the last follower deployed. Every transaction is \
simulated, then applied with an enforcing footprint and a warm module cache; measured \
ones are not committed. Checked: the ref update and the follower call stay within 1% of \
N = 1, the N updates within 1% of N times one. The host only sees a transaction's \
footprint, never the rest of the ledger: a follower call's small differences (MemCmp) come \
from its own address, not from N.\n",
    );
    let md = format!(
        "# R3: fleet scaling\n\n{notes}\n## Metered\n\n{metered}\n## Wall time (machine-dependent{})\n\n{wall}",
        if quick() { ", criterion --quick" } else { "" }
    );
    if test_mode() {
        println!(
            "R3: test mode, N up to {}; reports not written",
            ns[ns.len() - 1]
        );
    } else {
        let record = json!({
            "written_by": "cargo bench -p extref-benches --bench fleet_scaling \
                           (target/extref-bench/r3.json)",
            "protocol": FORK_PROTOCOL,
            "rows": live,
        });
        write_report("r3.md", &md);
        write_report("r3.svg", &plot(&live));
        write_report(
            "r3.json",
            &(serde_json::to_string_pretty(&record).expect("JSON") + "\n"),
        );
    }
    check_record(&live);
    eprintln!("R3 total {:.1} s", started.elapsed().as_secs_f64());
}

criterion_group!(benches, r3);
criterion_main!(benches);
