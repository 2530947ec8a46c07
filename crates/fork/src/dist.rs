//! `dist`: the fork as stellar-core takes a host, a self-contained cargo workspace shaped
//! like an rs-soroban-env checkout (core's `src/rust/soroban/pNN` submodule): the patched
//! `soroban-env-host`, `-common` and `-macros` as members, the patched `stellar-xdr` wired
//! in by path, and a `Cargo.lock` seeded from this repository's, so the versions core
//! builds are the ones our tests ran.
//!
//! The tree is synced, not rewritten: files whose content did not change keep their mtime
//! and `<dir>/target` survives, so rebuilding after a new `dist` is incremental.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use walkdir::WalkDir;

use crate::pins::cargo_bin;
use crate::repo::Repo;
use crate::util::{slash_path, write_atomic};

/// Marks a directory as written by `dist`, so that it may be overwritten by the next one.
pub const MARKER: &str = ".soroban-extref-dist";
/// The members, as in an rs-soroban-env checkout; stellar-xdr comes in by `[patch]` only.
const MEMBERS: &[&str] = &[
    "soroban-env-common",
    "soroban-env-host",
    "soroban-env-macros",
];
/// The host package, the one core builds and links.
const HOST: &str = "soroban-env-host";
/// Default output, under the repository's (ignored) target directory.
pub const DEFAULT_DIR: &str = "target/core-p28";

/// Feature sets core builds a host slot with: the p28 slot is built with `next` (core's
/// `--enable-next-protocol-version-unsafe-for-production`), `tracy` is optional, and
/// `testutils` / `recording_mode` are never enabled. `build` marks the set that is fully
/// compiled (the others are type-checked).
const FEATURE_SETS: &[(&str, &[&str], bool)] = &[
    ("next", &["next"], true),
    ("default", &[], false),
    ("next,tracy", &["next", "tracy"], false),
];

/// Dependency versions pinned in the dist's lock although the repository's lock has newer
/// ones: newer generic-array releases deprecate APIs upstream's host still calls, which
/// would show as upstream warnings in every build of the slot.
const LOCK_PINS: &[(&str, &str)] = &[("generic-array", "0.14.7")];

pub fn dist(repo: &mut Repo, dir: Option<&Path>, check: bool) -> Result<()> {
    crate::materialize::materialize(repo, false)?;
    let cwd = std::env::current_dir()?;
    let dir = match dir {
        Some(d) => cwd.join(d),
        None => repo.root.join(DEFAULT_DIR),
    };
    prepare(&dir)?;

    let lock = repo.lock()?;
    let mut written = 0;
    for pin in &lock.crates {
        written += sync_crate(&repo.mat_crate(&pin.name), &dir.join(&pin.name))?;
    }
    write_if_changed(
        &dir.join("Cargo.toml"),
        workspace_manifest(&lock).as_bytes(),
    )?;
    write_if_changed(&dir.join("README.md"), readme().as_bytes())?;
    write_if_changed(&dir.join(".gitignore"), b"/target\n")?;
    write_if_changed(&dir.join(MARKER), b"written by `cargo fork dist`\n")?;
    resolve_lock(repo, &dir)?;
    println!(
        "dist: {} ({} file(s) written; members {}, stellar-xdr by path)",
        dir.display(),
        written,
        MEMBERS.join(", ")
    );
    println!("\nFor an embedder that builds with cargo (e.g. core's fastdev path):\n");
    print!("{}", patch_block(&lock, &dir));

    if check {
        check_builds(&dir)?;
    }
    Ok(())
}

/// Creates `dir`, or accepts it if it is empty or an earlier `dist`; refuses anything else.
fn prepare(dir: &Path) -> Result<()> {
    if dir.exists() {
        let empty = fs::read_dir(dir)?.next().is_none();
        if !empty && !dir.join(MARKER).is_file() {
            bail!(
                "{} exists and was not written by `cargo fork dist`; choose another directory",
                dir.display()
            );
        }
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// Mirrors `src` (overlay symlinks followed) into `dest`; returns how many files it wrote.
fn sync_crate(src: &Path, dest: &Path) -> Result<usize> {
    use std::os::unix::fs::PermissionsExt;
    let mut wanted = BTreeSet::new();
    let mut written = 0;
    for entry in WalkDir::new(src).follow_links(true) {
        let entry = entry.with_context(|| format!("walking {}", src.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = slash_path(entry.path().strip_prefix(src).expect("under src"));
        let bytes = fs::read(entry.path())?;
        let mode = entry.metadata()?.permissions().mode();
        let to = dest.join(&rel);
        if fs::read(&to).ok().as_deref() != Some(&bytes[..]) {
            write_atomic(&to, &bytes, mode)?;
            written += 1;
        }
        wanted.insert(rel);
    }
    if dest.exists() {
        for entry in WalkDir::new(dest).contents_first(true) {
            let entry = entry?;
            let rel = slash_path(entry.path().strip_prefix(dest).expect("under dest"));
            if entry.file_type().is_dir() {
                if rel.is_empty() {
                    continue;
                }
                // Fails (and is kept) unless empty.
                let _ = fs::remove_dir(entry.path());
            } else if !wanted.contains(&rel) {
                fs::remove_file(entry.path())?;
            }
        }
    }
    Ok(written)
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if fs::read(path).ok().as_deref() != Some(bytes) {
        write_atomic(path, bytes, 0o644)?;
    }
    Ok(())
}

fn workspace_manifest(lock: &crate::pins::Lock) -> String {
    let mut s = String::from(
        "# Written by soroban-extref's `cargo fork dist`: the fork's host, shaped like an\n\
         # rs-soroban-env checkout for stellar-core's p28 host slot. Do not edit: regenerate.\n\
         [workspace]\nresolver = \"2\"\nmembers = [",
    );
    s.push_str(
        &MEMBERS
            .iter()
            .map(|m| format!("\"{m}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    s.push_str("]\n\n# The members depend on each other (and on stellar-xdr) by crates.io version;\n# these make every one of them resolve to the patched copy here.\n[patch.crates-io]\n");
    for pin in &lock.crates {
        s.push_str(&format!("{} = {{ path = \"{}\" }}\n", pin.name, pin.name));
    }
    s.push_str(RELEASE_PROFILE);
    s
}

/// rs-soroban-env's release profile (its workspace manifest at the commit crates.io's
/// 27.0.1 was published from, 58e274d6): stellar-core builds each slot with `--release` in
/// the slot's own workspace, so the host must be compiled as upstream's is. Overflow checks
/// stay on (an overflow traps instead of wrapping, as on every validator running
/// upstream), and `lto` keeps the bitcode that core's LTO link of its static library needs.
const RELEASE_PROFILE: &str =
    "\n# As rs-soroban-env's workspace: core builds the slot with --release.\n\
[profile.release]\nlto = true\ndebug = true\noverflow-checks = true\n";

fn patch_block(lock: &crate::pins::Lock, dir: &Path) -> String {
    let mut s = String::from("[patch.crates-io]\n");
    for pin in &lock.crates {
        s.push_str(&format!(
            "{} = {{ path = \"{}\" }}\n",
            pin.name,
            dir.join(&pin.name).display()
        ));
    }
    s
}

fn readme() -> String {
    format!(
        "# soroban-extref host for stellar-core's p28 slot\n\n\
         Generated by `cargo fork dist` in the soroban-extref repository; regenerate, do not edit.\n\
         Upstream soroban-env-host/-common/-macros 27.0.1 and stellar-xdr 27.0.0 with the fork's\n\
         patch series (ledger protocol 28 = 27 + ExternalRef). Build as core builds its newest slot:\n\n\
         ```sh\n\
         cargo fetch --locked\n\
         cargo build --offline --locked -p {HOST} --features next   # + tracy if wanted\n\
         ```\n\n\
         Core's C++ side needs the matching XDR: apply the repository's\n\
         `xdr/Stellar-contract.x.diff` to the stellar-xdr checkout core compiles.\n\
         See the repository's `docs/embedding.md`.\n"
    )
}

/// Brings `<dir>/Cargo.lock` to the dist's dependency graph, starting from the repository's
/// lock so shared dependencies keep the versions our tests ran with, then applies
/// [`LOCK_PINS`].
fn resolve_lock(repo: &Repo, dir: &Path) -> Result<()> {
    let lock = dir.join("Cargo.lock");
    if !lock.is_file() {
        fs::copy(repo.root.join("Cargo.lock"), &lock).context("seeding the dist's Cargo.lock")?;
    }
    let manifest = dir.join("Cargo.toml");
    let cargo = |args: &[&str]| -> Result<bool> {
        Ok(Command::new(cargo_bin())
            .args(args)
            .arg("--manifest-path")
            .arg(&manifest)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .status()
            .context("running cargo")?
            .success())
    };
    // Offline first (no index access when every version is cached), then online.
    if !cargo(&["metadata", "--format-version", "1", "--offline"])?
        && !cargo(&["metadata", "--format-version", "1"])?
    {
        bail!("cargo could not resolve {}", manifest.display());
    }
    let text = fs::read_to_string(&lock)?;
    for (name, version) in LOCK_PINS {
        let locked = locked_versions(&text, name);
        if !locked.is_empty() && locked.iter().any(|v| v != version) {
            let spec = format!("{name}@{}", locked[0]);
            if !cargo(&["update", "--offline", "-p", &spec, "--precise", version])?
                && !cargo(&["update", "-p", &spec, "--precise", version])?
            {
                bail!("could not pin {name} to {version} in {}", lock.display());
            }
        }
    }
    Ok(())
}

/// The versions of package `name` in a Cargo.lock.
fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{name}\"") {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
            {
                out.push(v.to_string());
            }
        }
    }
    out
}

/// `cargo fetch`, then the host in each of core's feature sets, offline and locked, failing
/// on any compiler warning (ours or upstream's: the pinned lock leaves upstream none).
fn check_builds(dir: &Path) -> Result<()> {
    let manifest = dir.join("Cargo.toml");
    let status = Command::new(cargo_bin())
        .args(["fetch", "--locked", "--manifest-path"])
        .arg(&manifest)
        .status()
        .context("running cargo fetch")?;
    if !status.success() {
        bail!("cargo fetch failed in {}", dir.display());
    }
    let mut failures = Vec::new();
    for (name, features, build) in FEATURE_SETS {
        let verb = if *build { "build" } else { "check" };
        let mut cmd = Command::new(cargo_bin());
        cmd.arg(verb)
            .args(["--offline", "--locked", "-p", HOST, "--message-format=json"])
            .arg("--manifest-path")
            .arg(&manifest)
            .env_remove("RUSTFLAGS")
            .stderr(Stdio::inherit());
        if !features.is_empty() {
            cmd.args(["--features", &features.join(",")]);
        }
        eprintln!("dist: cargo {verb} -p {HOST} (features: {name})");
        let out = cmd.output().context("running cargo")?;
        let warnings = warnings(&String::from_utf8_lossy(&out.stdout));
        for w in &warnings {
            eprintln!("{w}");
        }
        if !out.status.success() {
            failures.push(format!("cargo {verb} with features {name} failed"));
        } else if !warnings.is_empty() {
            failures.push(format!(
                "cargo {verb} with features {name}: {} warning(s)",
                warnings.len()
            ));
        } else {
            println!("dist: {HOST} {verb}s with features {name}: no warnings");
        }
    }
    if !failures.is_empty() {
        bail!(
            "the dist does not build cleanly:\n- {}",
            failures.join("\n- ")
        );
    }
    Ok(())
}

/// The rendered warnings among cargo's JSON messages (duplicates dropped).
fn warnings(json_lines: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    for line in json_lines.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-message" || msg["message"]["level"] != "warning" {
            continue;
        }
        let rendered = msg["message"]["rendered"]
            .as_str()
            .unwrap_or("")
            .to_string();
        // The "N warnings emitted" summaries carry no span.
        if msg["message"]["spans"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
        {
            seen.insert(format!(
                "[{}] {rendered}",
                msg["package_id"].as_str().unwrap_or("?")
            ));
        }
    }
    seen.into_iter().collect()
}

/// The dist's directory for `repo` (for callers that run things in it).
pub fn default_dir(repo: &Repo) -> PathBuf {
    repo.root.join(DEFAULT_DIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slot_is_built_as_upstreams_with_overflow_checks_and_lto() {
        let m = workspace_manifest(&crate::pins::Lock { crates: vec![] });
        let profile = m
            .split("[profile.release]")
            .nth(1)
            .expect("a release profile");
        for line in ["lto = true", "debug = true", "overflow-checks = true"] {
            assert!(profile.lines().any(|l| l == line), "{line} missing: {m}");
        }
    }

    #[test]
    fn locked_versions_reads_every_version_of_a_package() {
        let lock = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = \"2.1.0\"\n\n[[package]]\nname = \"a\"\nversion = \"1.2.0\"\n";
        assert_eq!(locked_versions(lock, "a"), vec!["1.0.0", "1.2.0"]);
        assert!(locked_versions(lock, "c").is_empty());
    }

    #[test]
    fn warnings_keeps_spanned_compiler_warnings_only() {
        let lines = [
            r#"{"reason":"compiler-message","package_id":"p","message":{"level":"warning","rendered":"unused x","spans":[{"file_name":"src/a.rs"}]}}"#,
            r#"{"reason":"compiler-message","package_id":"p","message":{"level":"warning","rendered":"1 warning emitted","spans":[]}}"#,
            r#"{"reason":"compiler-message","package_id":"p","message":{"level":"error","rendered":"bad","spans":[{"file_name":"src/a.rs"}]}}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(warnings(&lines), vec!["[p] unused x".to_string()]);
    }

    #[test]
    fn sync_writes_only_changed_files_and_removes_stale_ones() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        fs::create_dir_all(src.path().join("src")).unwrap();
        fs::write(src.path().join("src/a.rs"), "a").unwrap();
        fs::write(src.path().join("Cargo.toml"), "t").unwrap();
        assert_eq!(sync_crate(src.path(), dest.path()).unwrap(), 2);
        assert_eq!(sync_crate(src.path(), dest.path()).unwrap(), 0);
        fs::write(src.path().join("src/a.rs"), "b").unwrap();
        fs::remove_file(src.path().join("Cargo.toml")).unwrap();
        assert_eq!(sync_crate(src.path(), dest.path()).unwrap(), 1);
        assert_eq!(
            fs::read_to_string(dest.path().join("src/a.rs")).unwrap(),
            "b"
        );
        assert!(!dest.path().join("Cargo.toml").exists());
    }
}
