//! Shared helpers of the soroban-extref benchmarks (R1-R4, `benches/benches/`):
//! host-independent metered records, interleaved wall-time ratios, quick mode
//! and the report directory.
//!
//! Wall-time ratios are measured here rather than read off criterion's
//! separate runs: the two sides of a ratio alternate round by round (and
//! swap order each round), so a slow stretch of a noisy machine hits both.
//! Criterion still times each case on its own for the absolute medians.

use extref_testkit::thousands;
use std::{
    fmt::Write as _,
    path::PathBuf,
    time::{Duration, Instant},
};

/// True when the bench binary was given criterion's `--quick` flag: setups
/// shrink their repetition counts too (never the measured workload itself).
pub fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

/// True when criterion runs the binary as a test, each bench once: under
/// `cargo test --benches` (no `--bench` flag) or `cargo bench -- --test`
/// (criterion's own rule). The benches' own interleaved wall-time
/// measurements are skipped then, and setups may shrink.
/// `--list` (criterion lists the benches) counts as test mode too: nothing
/// is measured.
pub fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    !has("--bench") || has("--test") || has("--list")
}

/// `<repo>/target/extref-bench/`, where each bench writes its report
/// (markdown tables, the R3 plot) for `docs/benchmarks.md`
/// (`test-mode/` below it in test mode).
pub fn report_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    // Test-mode runs (each bench once, shrunken setups) must not overwrite
    // the measured reports.
    let dir = if test_mode() {
        target.join("extref-bench").join("test-mode")
    } else {
        target.join("extref-bench")
    };
    std::fs::create_dir_all(&dir).expect("creating target/extref-bench");
    dir
}

/// Writes `text` to `<report_dir>/<name>` and says where.
pub fn write_report(name: &str, text: &str) {
    let path = report_dir().join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    println!("report: {}", path.display());
}

/// One metered run, host-independent (cost types by name), so the fork and
/// upstream hosts of different versions report in one shape.
#[derive(Clone, Debug, Default)]
pub struct Metered {
    pub cpu: u64,
    pub mem: u64,
    /// `(cost type, cpu, mem)` for every cost type, in XDR order.
    pub by_type: Vec<(String, u64, u64)>,
}

impl Metered {
    /// `other - self`, per cost type, only the types whose CPU differs:
    /// `"ValDeser +500, MemCpy +32"`.
    pub fn cpu_delta_by_type(&self, other: &Metered) -> String {
        let mut out = Vec::new();
        for ((ty, a, _), (ty2, b, _)) in self.by_type.iter().zip(&other.by_type) {
            assert_eq!(ty, ty2, "cost types in the same order");
            if a != b {
                out.push(format!("{ty} {:+}", *b as i64 - *a as i64));
            }
        }
        if out.is_empty() {
            "none".to_string()
        } else {
            out.join(", ")
        }
    }

    pub fn cpu_delta(&self, other: &Metered) -> i64 {
        other.cpu as i64 - self.cpu as i64
    }

    pub fn mem_delta(&self, other: &Metered) -> i64 {
        other.mem as i64 - self.mem as i64
    }
}

/// Median wall times of two closures measured alternately, and the median of
/// their per-round ratio `b / a`.
#[derive(Clone, Copy, Debug)]
pub struct Paired {
    pub rounds: usize,
    pub iters: usize,
    /// Median time of one run of `a`, of `b`.
    pub a: Duration,
    pub b: Duration,
    /// Median, first and third quartile of the per-round ratio `b / a`.
    pub ratio: f64,
    pub ratio_q1: f64,
    pub ratio_q3: f64,
}

impl Paired {
    pub fn summary(&self) -> String {
        format!(
            "{:.1} us vs {:.1} us, ratio {:.3} (IQR {:.3}-{:.3}, {} rounds x {} runs)",
            self.a.as_secs_f64() * 1e6,
            self.b.as_secs_f64() * 1e6,
            self.ratio,
            self.ratio_q1,
            self.ratio_q3,
            self.rounds,
            self.iters
        )
    }
}

fn quartiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    assert!(!v.is_empty());
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.25), at(0.5), at(0.75))
}

/// Times `iters` runs of `f`, returns the time of one run.
pub fn time_runs(iters: usize, f: &mut impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed() / iters as u32
}

/// Runs `a` and `b` alternately, `rounds` rounds of `iters` runs each (after
/// one warm-up round), swapping which goes first every round.
pub fn paired(rounds: usize, iters: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> Paired {
    let total = |f: &mut dyn FnMut(), n: usize| {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        start.elapsed()
    };
    paired_timed(rounds, iters, |n| total(&mut a, n), |n| total(&mut b, n))
}

/// [`paired`] for closures that time themselves: each is called with a run
/// count and returns the wall time of that many runs (as criterion's
/// `iter_custom`), e.g. measured inside another process, which leaves the
/// round trip to that process out.
pub fn paired_timed(
    rounds: usize,
    iters: usize,
    mut a: impl FnMut(usize) -> Duration,
    mut b: impl FnMut(usize) -> Duration,
) -> Paired {
    let n = iters as u32;
    a(iters);
    b(iters);
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (da, db) = if round % 2 == 0 {
            let da = a(iters) / n;
            (da, b(iters) / n)
        } else {
            let db = b(iters) / n;
            (a(iters) / n, db)
        };
        ta.push(da.as_secs_f64());
        tb.push(db.as_secs_f64());
        ratios.push(db.as_secs_f64() / da.as_secs_f64());
    }
    let (_, a_med, _) = quartiles(ta);
    let (_, b_med, _) = quartiles(tb);
    let (q1, ratio, q3) = quartiles(ratios);
    Paired {
        rounds,
        iters,
        a: Duration::from_secs_f64(a_med),
        b: Duration::from_secs_f64(b_med),
        ratio,
        ratio_q1: q1,
        ratio_q3: q3,
    }
}

/// Rounds for [`paired`]: fewer in quick mode.
pub fn rounds() -> usize {
    if quick() {
        11
    } else {
        41
    }
}

/// The repository's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ has a parent")
        .to_path_buf()
}

/// `docs/benchmarks.md`, whose deterministic figures the benches check.
pub const DOC: &str = "docs/benchmarks.md";

/// Checks that `docs/benchmarks.md` quotes `expected` (a table, a row or a
/// phrase) verbatim: deterministic figures (metered CPU and memory, and the
/// figures of the committed records in `docs/records/`) must be the ones a
/// run gives, so a change that moves one fails `cargo test --benches` until
/// the document moves too. In test mode a difference panics with the text
/// the document should hold; in a measuring run it is printed as a warning
/// (the report is then what the document is updated from).
pub fn check_doc(what: &str, expected: &str) {
    let path = repo_root().join(DOC);
    let doc = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    if doc.contains(expected) {
        return;
    }
    mismatch(&format!("{DOC} should quote {what} as:\n{expected}"));
}

/// A committed record, `docs/records/<name>` (JSON), that a measuring run
/// wrote to the report directory. Missing, it fails in test mode; a
/// measuring run (which may be the one writing it) warns and gets `None`.
pub fn record(name: &str) -> Option<serde_json::Value> {
    let path = repo_root().join("docs/records").join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display())),
        ),
        Err(e) if test_mode() => panic!("reading {}: {e}", path.display()),
        Err(e) => {
            eprintln!("warning: no record {}: {e}", path.display());
            None
        }
    }
}

/// A difference between a run and a committed record or document: fails in
/// test mode, is printed as a warning in a measuring run.
pub fn mismatch(msg: &str) {
    if test_mode() {
        panic!("{msg}");
    }
    eprintln!("warning: {msg}");
}

/// `+1,234` / `-1,234` / `+0`.
pub fn signed(n: i64) -> String {
    if n < 0 {
        thousands(n)
    } else {
        format!("+{}", thousands(n))
    }
}

/// A markdown table as `docs/benchmarks.md` prints it: the columns listed in
/// `numeric` right-aligned.
pub fn doc_table(header: &[&str], numeric: &[usize], rows: &[Vec<String>]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| {} |", header.join(" | "));
    let align: Vec<&str> = (0..header.len())
        .map(|i| if numeric.contains(&i) { "---:" } else { "---" })
        .collect();
    let _ = writeln!(s, "| {} |", align.join(" | "));
    for r in rows {
        assert_eq!(r.len(), header.len(), "a row of {} cells", header.len());
        s.push('|');
        for c in r {
            if c.is_empty() {
                s.push_str(" |");
            } else {
                let _ = write!(s, " {c} |");
            }
        }
        s.push('\n');
    }
    s
}

/// A markdown table from a header and rows.
pub fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| {} |", header.join(" | "));
    let _ = writeln!(
        s,
        "|{}|",
        header.iter().map(|_| " --- ").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
    s
}

/// The request of instruction-count mode, `EXTREF_BENCH_COUNT=<case>:<runs>`
/// (set by `benches/instructions.sh`, which runs the bench binaries under
/// callgrind): run one case that many times, nothing else, and exit.
pub fn count_request() -> Option<(String, u32)> {
    let spec = std::env::var("EXTREF_BENCH_COUNT").ok()?;
    let (case, runs) = spec.rsplit_once(':')?;
    Some((case.to_string(), runs.parse().ok()?))
}

/// In instruction-count mode, runs the requested case of `cases` and exits
/// the process; otherwise returns. A bench calls it after its setup, so a
/// count of `k` runs minus a count of 1 run is `k - 1` runs alone.
pub fn count_mode(cases: Vec<(String, Box<dyn FnMut() + '_>)>) {
    let Some((name, runs)) = count_request() else {
        return;
    };
    let names: Vec<String> = cases.iter().map(|c| c.0.clone()).collect();
    let Some((_, mut f)) = cases.into_iter().find(|(n, _)| *n == name) else {
        eprintln!("no case {name:?}; cases: {}", names.join(" "));
        std::process::exit(2);
    };
    for _ in 0..runs {
        f();
    }
    std::process::exit(0);
}
