//! The unforked reference: `crates/drift` (crates.io soroban-env-host
//! 27.0.1, its own workspace and lock file, outside the fork's `[patch]`)
//! running as a subprocess that answers one line per line it reads.
//! `tests/differential.rs` starts it with `--differential`, the R4 bench
//! (`benches/no_drift.rs`) with `--serve`.

use std::{
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
    time::Instant,
};

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
