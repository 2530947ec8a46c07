//! No drift at protocol 27, checked against the unforked reference.
//!
//! - [`DriftReference`]: `crates/drift` (crates.io soroban-env-host 27.0.1,
//!   its own workspace and lock file, outside the fork's `[patch]`) running
//!   as a subprocess that answers one line per line it reads.
//!   `tests/no_drift.rs` and the R4 bench (`benches/no_drift.rs`) start it
//!   with `--serve`, `tests/differential.rs` with `--differential`.
//! - The reporter, [`check`] / [`diff`] / [`table`]: the one comparison of a
//!   fork report with the reference's, for the fixed workload and the
//!   generated ones alike.
//!
//! A report is the JSON both sides print: `host` (which host ran; differs by
//! design, checked but not compared), `panic` if the run panicked, `ops` (one
//! record per op: `op` its name, `result`, `cpu` instructions, `mem` bytes,
//! `costs` by cost type as `[iterations, inputs, cpu, mem]`, and whatever
//! else the op observed), and any other fields (`protocol`, `totals`,
//! `storage`, `events`…), compared as a whole.

use std::{
    collections::BTreeSet,
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
    time::Instant,
};

use serde_json::Value;

/// A running `drift-reference`; dropping it closes its stdin (it exits at
/// EOF) and waits for it.
pub struct DriftReference {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl DriftReference {
    /// Builds `crates/drift` under `root` (release into
    /// `target/drift-release`, debug into `target/drift`, the directories
    /// `tests/no_drift.rs` and the benches share) and starts it with `mode`.
    /// Callers pass their own optimization, so both sides of a comparison are
    /// built alike.
    pub fn start(root: &Path, release: bool, mode: &str) -> Self {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let (profile, target_dir) = if release {
            ("release", root.join("target/drift-release"))
        } else {
            ("debug", root.join("target/drift"))
        };
        let mut build = Command::new(&cargo);
        build.args(["build", "--quiet", "--locked"]);
        if release {
            build.arg("--release");
        }
        let started = Instant::now();
        let status = build
            .arg("--manifest-path")
            .arg(root.join("crates/drift/Cargo.toml"))
            .arg("--target-dir")
            .arg(&target_dir)
            .current_dir(root.join("crates/drift"))
            .env_remove("CARGO_TARGET_DIR")
            .status()
            .unwrap_or_else(|e| panic!("running {cargo}: {e}"));
        assert!(status.success(), "building the drift reference: {status}");
        println!(
            "reference (crates/drift, {profile}) built in {:.1}s",
            started.elapsed().as_secs_f64()
        );
        let bin = target_dir
            .join(profile)
            .join(format!("drift-reference{}", std::env::consts::EXE_SUFFIX));
        let mut child = Command::new(&bin)
            .arg(mode)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        DriftReference {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().expect("piped stdout")),
            child,
        }
    }

    /// Sends one request line; [`receive`](Self::receive) reads its answer,
    /// so the caller can work while the reference does.
    pub fn send(&mut self, request: &str) {
        let stdin = self.stdin.as_mut().expect("reference running");
        writeln!(stdin, "{request}").expect("writing to the reference");
        stdin.flush().expect("flushing to the reference");
    }

    /// The answer to the oldest request not yet answered, without its newline.
    pub fn receive(&mut self) -> String {
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .expect("reading the reference");
        assert!(n > 0, "the reference exited (see its stderr above)");
        line.truncate(line.trim_end().len());
        line
    }

    /// [`send`](Self::send), then [`receive`](Self::receive).
    pub fn ask(&mut self, request: &str) -> String {
        self.send(request);
        self.receive()
    }
}

impl Drop for DriftReference {
    fn drop(&mut self) {
        drop(self.stdin.take()); // EOF: the reference exits.
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// The reporter
// ---------------------------------------------------------------------------

/// A value as printed in a difference, cut at 600 characters.
fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.len() > 600 {
        let cut = (0..=600)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}… ({} chars)", &s[..cut], s.len())
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
            let keys: BTreeSet<&String> = f.keys().chain(u.keys()).collect();
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

fn ops(report: &Value) -> &[Value] {
    report["ops"].as_array().map_or(&[], Vec::as_slice)
}

/// Every difference between two reports, op by op (each named as its report
/// names it, e.g. `#3.1 put`, with its index), then the rest of the report
/// (`report.totals.cpu`…). Ops are compared up to the first whose names
/// differ: the runs diverge there. The `host` field differs by design and is
/// left out.
pub fn diff(fork: &Value, upstream: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let (fops, uops) = (ops(fork), ops(upstream));
    for (i, (f, u)) in fops.iter().zip(uops).enumerate() {
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

/// Compares the fork's report with the reference's: the text of the failure
/// if the hosts are not the fork and upstream 27.0.1, if either run
/// panicked, or if the reports differ ([`diff`]). `workload`, the run's
/// input as JSON if it is not the fixed one, is quoted in the failure.
pub fn check(fork: &Value, upstream: &Value, workload: Option<&str>) -> Result<(), String> {
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
            return Err(format!("the run panicked on {side}: {}", short(p)));
        }
    }
    let diffs = diff(fork, upstream);
    if diffs.is_empty() {
        return Ok(());
    }
    let on = workload.map_or(String::new(), |w| format!(" on the workload\n{w}"));
    Err(format!(
        "protocol {} drifts from upstream soroban-env-host 27.0.1 ({} difference(s)){on}\n\n{}\n",
        crate::BASE_PROTOCOL,
        diffs.len(),
        diffs.join("\n\n")
    ))
}

/// The two reports side by side: the hosts, then per op its CPU and memory
/// on each side and whether the whole records are equal, then the budget
/// totals.
pub fn table(fork: &Value, upstream: &Value) -> String {
    let n = |v: &Value| v.as_u64().map_or("-".to_string(), |n| n.to_string());
    let yes = |b: bool| if b { "yes" } else { "NO" };
    let mut out = format!(
        "fork:     {}\nupstream: {}\n{:>3}  {:>10} {:>10}  {:>10} {:>10}  {:<5}  operation\n",
        short(&fork["host"]),
        short(&upstream["host"]),
        "#",
        "cpu fork",
        "cpu up",
        "mem fork",
        "mem up",
        "equal"
    );
    for (i, (f, u)) in ops(fork).iter().zip(ops(upstream)).enumerate() {
        out += &format!(
            "{i:>3}  {:>10} {:>10}  {:>10} {:>10}  {:<5}  {}\n",
            n(&f["cpu"]),
            n(&u["cpu"]),
            n(&f["mem"]),
            n(&u["mem"]),
            yes(f == u),
            short(&f["op"])
        );
    }
    let (ft, ut) = (&fork["totals"], &upstream["totals"]);
    out += &format!(
        "     {:>10} {:>10}  {:>10} {:>10}  {:<5}  budget totals of the main host\n",
        n(&ft["cpu"]),
        n(&ut["cpu"]),
        n(&ft["mem"]),
        n(&ut["mem"]),
        yes(ft == ut)
    );
    out
}
