//! Replays, on stable, every committed input through the targets' logic:
//! the seed corpus (`fuzz/corpus/<target>/`) and the crash regressions
//! (`fuzz/regressions/<target>/`, one file per bug the fuzzers found).
//! A panic here is the bug coming back.

use std::{
    fs,
    path::{Path, PathBuf},
};

use extref_fuzz_targets::{e2e_follower, host_fns, seeds, xdr_roundtrip, Target};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The files of `dir`, sorted (none if it does not exist).
fn inputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(read) = fs::read_dir(dir) else {
        return vec![];
    };
    let mut files: Vec<PathBuf> = read
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).expect("readable input");
            (p, bytes)
        })
        .collect()
}

fn replay(target: &str, run: Target) {
    // `EXTREF_FUZZ_INPUT=<file>`: replay just that file (e.g. a new crash).
    if let Some(file) = std::env::var_os("EXTREF_FUZZ_INPUT") {
        let path = PathBuf::from(file);
        if path.to_string_lossy().contains(target) {
            run(&fs::read(&path).expect("readable input"));
        }
        return;
    }
    let mut n = 0;
    for kind in ["corpus", "regressions"] {
        for (path, bytes) in inputs(&fuzz_dir().join(kind).join(target)) {
            eprintln!("replaying {}", path.display());
            run(&bytes);
            n += 1;
        }
    }
    assert!(n > 0, "no committed inputs for {target}");
}

#[test]
fn xdr_roundtrip_inputs() {
    replay("xdr_roundtrip", xdr_roundtrip::run);
}

#[test]
fn host_fns_inputs() {
    replay("host_fns", host_fns::run);
}

#[test]
fn e2e_follower_inputs() {
    replay("e2e_follower", e2e_follower::run);
}

/// The committed seeds are exactly what `seeds` generates (rerun
/// `cargo run -p extref-fuzz-targets --bin seeds` after changing a format).
#[test]
fn committed_seeds_are_reproducible() {
    for (target, seeds) in seeds::all() {
        let dir = fuzz_dir().join("corpus").join(target);
        for (name, bytes) in seeds {
            let committed = fs::read(dir.join(&name))
                .unwrap_or_else(|e| panic!("{target}/{name} is not committed: {e}"));
            assert!(
                committed == bytes,
                "{target}/{name} differs from its generator"
            );
        }
    }
}

/// A few thousand pseudo-random inputs per target (xorshift, fixed seed):
/// a smoke test of the targets themselves on stable, where libFuzzer is
/// not available. `EXTREF_FUZZ_SMOKE=N` runs N inputs instead.
#[test]
fn pseudo_random_inputs() {
    let n: u64 = std::env::var("EXTREF_FUZZ_SMOKE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (name, run) in extref_fuzz_targets::TARGETS {
        for i in 0..n {
            let len = (next() % 200) as usize;
            let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if std::env::var_os("EXTREF_FUZZ_TRACE").is_some() {
                eprintln!("{name} #{i}: {}", hex(&data));
            }
            run(&data);
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
