//! `test`, `fleet` and `bench`: wrappers so day-to-day work needs only two commands (and
//! benchmarking a third).

use std::fs;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::pins::cargo_bin;
use crate::repo::Repo;

fn run(mut cmd: Command, what: &str) -> Result<()> {
    eprintln!("running {what}");
    let status = cmd.status().with_context(|| format!("starting {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// `materialize`, `check`, this tool's tests, the workspace's tests, the benchmarks once
/// each, the example contracts' native tests, the dist for stellar-core (built with core's
/// feature sets) and the embedder test on it, the fuzz targets' replay on stable, then
/// upstream's own soroban-env-host integration tests built against the fork.
/// `harness_args` go to the test binaries (not to the fuzz replay).
pub fn test(repo: &mut Repo, harness_args: &[String], skip_upstream: bool) -> Result<()> {
    crate::materialize::materialize(repo, false)?;
    crate::check::check(repo)?;
    lockfiles_current(repo)?;

    // This tool's own tests (release, as `cargo fork` builds it: its dependencies are built).
    let mut cmd = Command::new(cargo_bin());
    cmd.current_dir(&repo.root)
        .args(["test", "--release", "--locked", "--manifest-path"])
        .arg(repo.root.join("crates/fork/Cargo.toml"));
    run(cmd, "the fork tool's tests")?;

    let mut cmd = Command::new(cargo_bin());
    cmd.current_dir(&repo.root).args(["test", "--workspace"]);
    if repo.root.join("Cargo.lock").is_file() {
        cmd.arg("--locked");
    }
    if !harness_args.is_empty() {
        cmd.arg("--").args(harness_args);
    }
    run(cmd, "cargo test --workspace")?;

    // The benchmarks, each run once (criterion's test mode, debug build): they must keep
    // building and their deterministic assertions (metered identities, flat costs) hold.
    let mut cmd = Command::new(cargo_bin());
    cmd.current_dir(&repo.root)
        .args(["test", "-p", "extref-benches", "--benches"]);
    if repo.root.join("Cargo.lock").is_file() {
        cmd.arg("--locked");
    }
    run(cmd, "the benchmarks in test mode (cargo test --benches)")?;

    for (ws, features) in CONTRACT_TESTS {
        let what = match features {
            Some(f) => format!("native tests of contracts/{ws} (--features {f})"),
            None => format!("native tests of contracts/{ws}"),
        };
        run(contract_tests(repo, ws, *features, harness_args), &what)?;
    }

    // stellar-core's view: the tree its p28 slot would build, built offline with core's
    // feature sets and no warnings, then the embedder test against it, with and without
    // `next`.
    crate::dist::dist(repo, None, true)?;
    crate::core::check_expect(repo, &crate::dist::default_dir(repo))?;
    for features in [None, Some("next")] {
        run(
            embedder_tests(repo, features, harness_args),
            &format!(
                "the embedder test (crates/embedder{})",
                features
                    .map(|f| format!(", --features {f}"))
                    .unwrap_or_default()
            ),
        )?;
    }

    // The fuzz targets' logic on stable: every committed seed and regression input,
    // and pseudo-random inputs (fuzz/run.sh runs the targets under libFuzzer).
    let mut cmd = Command::new(cargo_bin());
    cmd.current_dir(&repo.root)
        .args(["test", "--locked", "--manifest-path"])
        .arg(repo.root.join("fuzz/Cargo.toml"))
        .args(["-p", "extref-fuzz-targets"]);
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        cmd.arg("--target-dir").arg(repo.root.join("target"));
    }
    run(
        cmd,
        "the fuzz targets' seeds and regressions (fuzz/targets, stable)",
    )?;

    if skip_upstream {
        return Ok(());
    }
    run(
        upstream_host_tests(repo, harness_args)?,
        "upstream soroban-env-host tests",
    )
}

/// Every committed `Cargo.lock` agrees with its manifests (`cargo metadata --locked`, a
/// few seconds), so a stale lock file fails here, before the builds, and not after them in
/// the step that happens to use it.
fn lockfiles_current(repo: &Repo) -> Result<()> {
    let out = Command::new("git")
        .current_dir(&repo.root)
        .args(["ls-files", "--", "Cargo.lock", "*/Cargo.lock"])
        .output()
        .context("listing the committed Cargo.lock files (git ls-files)")?;
    if !out.status.success() {
        bail!("git ls-files failed ({})", out.status);
    }
    let listed = String::from_utf8(out.stdout).context("git ls-files output")?;
    let mut stale = Vec::new();
    for lock in listed.lines() {
        let manifest = repo.root.join(lock).with_file_name("Cargo.toml");
        let status = Command::new(cargo_bin())
            .current_dir(&repo.root)
            .args([
                "metadata",
                "--locked",
                "--format-version",
                "1",
                "--manifest-path",
            ])
            .arg(&manifest)
            .stdout(std::process::Stdio::null())
            .status()
            .with_context(|| format!("cargo metadata for {lock}"))?;
        if !status.success() {
            stale.push(lock.to_string());
        }
    }
    if !stale.is_empty() {
        bail!(
            "stale lock files (run `cargo metadata --manifest-path <dir>/Cargo.toml` and commit): {}",
            stale.join(", ")
        );
    }
    eprintln!(
        "lock files: {} committed, all current",
        listed.lines().count()
    );
    Ok(())
}

/// The contract workspaces under `contracts/` whose native (soroban-sdk `testutils`) tests
/// `test` runs, each once with default features and once with the features building their
/// v2 contracts, whose tests are `#[cfg(feature = "v2")]`. `contracts/extref` [patch]es
/// the SDK's env to `materialized/`, so its tests run on the fork's host.
const CONTRACT_TESTS: &[(&str, Option<&str>)] = &[
    ("plain", None),
    ("plain", Some("follower/v2,token/v2,vault/v2")),
    ("extref", None),
    ("extref", Some("pinnable/v2")),
];

/// `cargo test` of one contract workspace, natively, with the project's toolchain (the
/// cargo running this tool, not the Debian wasm toolchain of `contracts/build.sh`).
/// Target dir `<target>/contracts-native`: shared by both workspaces (their host builds
/// differ and do not collide) and apart from the Wasm target dirs `contracts/*/target`,
/// which `build.sh` owns.
fn contract_tests(
    repo: &Repo,
    ws: &str,
    features: Option<&str>,
    harness_args: &[String],
) -> Command {
    let dir = repo.root.join("contracts").join(ws);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo.root.join("target"))
        .join("contracts-native");
    let mut cmd = Command::new(cargo_bin());
    cmd.current_dir(&repo.root)
        .arg("test")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target);
    if dir.join("Cargo.lock").is_file() {
        cmd.arg("--locked");
    }
    if let Some(f) = features {
        cmd.args(["--features", f]);
    }
    if !harness_args.is_empty() {
        cmd.arg("--").args(harness_args);
    }
    cmd
}

/// `cargo test` of `crates/embedder` (its own workspace, on `cargo fork dist`'s output),
/// sharing the dist's target directory, where `dist --check` built the host already.
fn embedder_tests(repo: &Repo, features: Option<&str>, harness_args: &[String]) -> Command {
    let mut cmd = Command::new(cargo_bin());
    cmd.current_dir(&repo.root)
        .args(["test", "--locked", "--manifest-path"])
        .arg(repo.root.join("crates/embedder/Cargo.toml"))
        .arg("--target-dir")
        .arg(crate::dist::default_dir(repo).join("target"));
    if let Some(f) = features {
        cmd.args(["--features", f]);
    }
    if !harness_args.is_empty() {
        cmd.arg("--").args(harness_args);
    }
    cmd
}

/// The host whose upstream integration tests `test` runs.
const HOST: &str = "soroban-env-host";

/// Builds the command for upstream's own `tests/*.rs` of the materialized host, compiled
/// against the other materialized crates.
///
/// The obvious `cargo test -p soroban-env-host --features testutils --tests` from the repo
/// root does not work: the host is a `[patch]` path dependency, not a workspace member, and
/// cargo refuses ("cannot specify features for packages outside of workspace"; without
/// `--features`: "cannot be tested because it requires dev-dependencies and is not a member
/// of the workspace"). `--manifest-path materialized/soroban-env-host/Cargo.toml` is no
/// better: the crate becomes its own workspace without the root's `[patch]` (its siblings
/// would come pristine from crates.io) and cargo would rewrite its `Cargo.lock` inside
/// `materialized/`, which the next `materialize` would report as an unsaved edit.
///
/// So this writes a wrapper workspace into `<repo>/target/fork-upstream-tests/` (ignored by
/// git) whose only member is a symlink to `materialized/soroban-env-host`, patches the other
/// pinned crates to their materialized trees, and seeds its `Cargo.lock` from the root's so
/// shared dependencies resolve to the same versions. Equivalent to running, there:
/// `cargo test --features testutils --test '*' --target-dir <repo>/target`.
/// `--test '*'` selects only `tests/*.rs`: the lib's unit tests need upstream's unpublished
/// test-wasm crates and cannot build from the published package.
fn upstream_host_tests(repo: &Repo, harness_args: &[String]) -> Result<Command> {
    let wrapper = repo.root.join("target").join("fork-upstream-tests");
    fs::create_dir_all(&wrapper).with_context(|| format!("creating {}", wrapper.display()))?;
    let link = wrapper.join(HOST);
    if fs::symlink_metadata(&link).is_ok() {
        fs::remove_file(&link).with_context(|| format!("removing {}", link.display()))?;
    }
    std::os::unix::fs::symlink(repo.mat_crate(HOST), &link)
        .with_context(|| format!("linking {}", link.display()))?;

    let mut manifest = format!(
        "# Written by `cargo fork test`: runs upstream's {HOST} tests against the fork.\n\
         [workspace]\nresolver = \"2\"\nmembers = [\"{HOST}\"]\n\n[patch.crates-io]\n"
    );
    for pin in repo.lock()?.crates.iter().filter(|p| p.name != HOST) {
        manifest.push_str(&format!(
            "{} = {{ path = {:?} }}\n",
            pin.name,
            repo.mat_crate(&pin.name).display().to_string()
        ));
    }
    fs::write(wrapper.join("Cargo.toml"), manifest)?;
    let root_lock = repo.root.join("Cargo.lock");
    if root_lock.is_file() {
        fs::copy(&root_lock, wrapper.join("Cargo.lock"))
            .with_context(|| format!("copying {}", root_lock.display()))?;
    }

    let mut cmd = Command::new(cargo_bin());
    cmd.current_dir(&wrapper)
        .args(["test", "--features", "testutils", "--test", "*"]);
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        cmd.arg("--target-dir").arg(repo.root.join("target"));
    }
    if !harness_args.is_empty() {
        cmd.arg("--").args(harness_args);
    }
    Ok(cmd)
}

/// `materialize`, then the workspace's `fleet` binary (`crates/fleet`, release build) with
/// `args`.
pub fn fleet(repo: &mut Repo, args: &[String]) -> Result<()> {
    crate::materialize::materialize(repo, false)?;
    let mut cmd = Command::new(cargo_bin());
    cmd.current_dir(&repo.root)
        .args(["run", "--release", "-p", "fleet", "--"])
        .args(args);
    run(cmd, "cargo run -p fleet")
}

/// `materialize`, then the criterion benchmarks (`benches/`), all four groups, then (for
/// the whole set, with valgrind installed) `benches/instructions.py`. `args` go to the bench
/// binaries, e.g. `--quick` or a filter.
pub fn bench(repo: &mut Repo, args: &[String]) -> Result<()> {
    crate::materialize::materialize(repo, false)?;
    let mut cmd = Command::new(cargo_bin());
    cmd.current_dir(&repo.root)
        .args(["bench", "-p", "extref-benches"]);
    if repo.root.join("Cargo.lock").is_file() {
        cmd.arg("--locked");
    }
    cmd.arg("--").args(args);
    run(cmd, "cargo bench -p extref-benches")?;

    // The instruction counts (callgrind), when the whole set was asked for and valgrind
    // is installed: noise-free ratios beside the wall-time ones.
    let whole = args.is_empty() || args == ["--quick"];
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if whole && have("valgrind") && have("python3") {
        let mut cmd = Command::new("python3");
        cmd.current_dir(&repo.root).arg("benches/instructions.py");
        run(
            cmd,
            "instruction counts under callgrind (benches/instructions.py)",
        )?;
    } else if whole {
        eprintln!("skipping instruction counts: needs valgrind and python3");
    }
    Ok(())
}
