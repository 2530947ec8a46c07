//! `core`: stellar-core with the fork in its p28 host slot, built from a checkout the user
//! provides (`git clone --recursive` of stellar/stellar-core at [`CORE_COMMIT`]).
//!
//! `prepare` applies our core patch series (`core/patches/`, plus `core/production/` for a
//! release build at protocol 28), installs `cargo fork dist` as the p28 submodule (a real
//! git submodule: core's Makefile reads `.git/modules/src/rust/soroban/p28/{HEAD,index}`)
//! and applies `xdr/Stellar-contract.x.diff` in `src/protocol-curr/xdr`. `build` then
//! configures (clang + libc++ when clang-19 is installed, ccache when present) and runs
//! make, incrementally: nothing is redone that did not change.
//!
//! Core's files never enter this repository: the series holds our diffs only, and the
//! checkout (with its build tree) lives wherever the user put it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};

use crate::repo::Repo;
use crate::series::{
    apply_strict, check_header, load_series, parse_diff, validate_patch_name, Patch,
};
use crate::util::sha256_bytes;

/// The stellar-core commit the series is made against: the 27-era tree whose p28 slot is
/// a 27.0.0 host built with `next` (706f5ff5c plus the release build's p28 wiring).
pub const CORE_COMMIT: &str = "273c2c784cbd8dbe19022da53e6532b6d4a7c7c8";
/// The base series: what every build of core with the fork needs.
pub const BASE_DIR: &str = "core/patches";
/// The production series, on top of the base: protocol 28 current, without `next`.
pub const PRODUCTION_DIR: &str = "core/production";
/// The p28 slot and the XDR directory, relative to the checkout.
const SLOT: &str = "src/rust/soroban/p28";
const XDR_DIR: &str = "src/protocol-curr/xdr";
/// What `prepare` did to a checkout, so that running it again changes nothing.
const STAMP: &str = ".soroban-extref-core";
/// The dist commit's fixed identity and date: the same dist gives the same commit, so the
/// Makefile's git-state rule does not rebuild the slot for nothing.
const DIST_DATE: &str = "2026-01-01T00:00:00Z";

/// Which build of core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The p28 slot as core's 27-era tree uses it: `--enable-next-protocol-version-unsafe-for-production`.
    Next,
    /// Protocol 28 as core's current protocol, a release build (production series).
    Production,
}

pub struct Options {
    pub checkout: PathBuf,
    pub variant: Variant,
    pub jobs: usize,
    /// Extra `./configure` arguments (e.g. `--disable-spdlog` where spdlog's pin is missing).
    pub configure_args: Vec<String>,
    /// A git config file for every git and cargo fetch (e.g. `url.<mirror>.insteadOf`).
    pub git_config: Option<PathBuf>,
}

fn series(repo: &Repo, variant: Variant) -> Result<Vec<Patch>> {
    let mut all = load_series(&repo.root.join(BASE_DIR))?;
    if variant == Variant::Production {
        all.extend(load_series(&repo.root.join(PRODUCTION_DIR))?);
    }
    Ok(all)
}

/// The series' own checks (run by `cargo fork check`, which has no core checkout): names,
/// DEP-3 headers, parseable diffs that only modify existing files, `diff --git` headers.
pub fn check_series(repo: &Repo) -> Vec<String> {
    let mut problems = vec![];
    for dir in [BASE_DIR, PRODUCTION_DIR] {
        let patches = match load_series(&repo.root.join(dir)) {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("{dir}: {e:#}"));
                continue;
            }
        };
        if patches.is_empty() {
            problems.push(format!("{dir}: no patches"));
        }
        for p in &patches {
            let shown = format!("{dir}/{}", p.name);
            if let Err(e) = validate_patch_name(&p.name) {
                problems.push(format!("{shown}: {e:#}"));
            }
            if let Err(e) = check_header(&p.content) {
                problems.push(format!("{shown}: {e:#}"));
            }
            match parse_diff(&p.content) {
                Ok(files) if files.is_empty() => problems.push(format!("{shown}: no diff")),
                Ok(files) => {
                    if let Some(f) = files.iter().find(|f| f.old.is_none()) {
                        problems.push(format!(
                            "{shown}: creates {} (core's tree gets diffs of existing files only)",
                            f.path()
                        ));
                    }
                    let gits = p
                        .content
                        .lines()
                        .filter(|l| l.starts_with("diff --git "))
                        .count();
                    if gits != files.len() {
                        problems.push(format!(
                            "{shown}: {} file(s) but {gits} `diff --git` line(s)",
                            files.len()
                        ));
                    }
                }
                Err(e) => problems.push(format!("{shown}: {e:#}")),
            }
        }
    }
    problems
}

fn git(dir: &Path, opts: &Options) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir);
    if let Some(cfg) = &opts.git_config {
        c.env("GIT_CONFIG_GLOBAL", cfg);
    }
    c
}

fn run(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd.output().with_context(|| format!("starting {what}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "{what} failed: {}{}",
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(text)
}

fn stream(mut cmd: Command, what: &str) -> Result<()> {
    eprintln!("running {what}");
    let status = cmd.status().with_context(|| format!("starting {what}"))?;
    ensure!(status.success(), "{what} failed ({status})");
    Ok(())
}

/// The stamp of a prepared checkout: the series applied (names and sha256) and the variant.
fn stamp_text(patches: &[Patch], variant: Variant) -> String {
    let mut s = format!("variant {variant:?}\n");
    for p in patches {
        s.push_str(&format!(
            "{} {}\n",
            sha256_bytes(p.content.as_bytes()),
            p.name
        ));
    }
    s
}

/// Applies the series (once), installs the dist as the p28 submodule and patches the XDR.
pub fn prepare(repo: &mut Repo, opts: &Options) -> Result<()> {
    let co = &opts.checkout;
    ensure!(
        co.join("src/main/Config.cpp").is_file(),
        "{} is not a stellar-core checkout",
        co.display()
    );
    let head = run(git(co, opts).args(["rev-parse", "HEAD"]), "git rev-parse")?;
    ensure!(
        head.trim() == CORE_COMMIT,
        "{} is at {}; the series is made against stellar-core {CORE_COMMIT}",
        co.display(),
        head.trim()
    );

    // 1. The series, strictly, once.
    let patches = series(repo, opts.variant)?;
    let want = stamp_text(&patches, opts.variant);
    match fs::read_to_string(co.join(STAMP)) {
        Ok(have) if have == want => {
            eprintln!("core series already applied ({} patches)", patches.len())
        }
        Ok(have) => bail!(
            "{} was prepared with another series or variant:\n{have}\nreset it first: \
             git -C {0} checkout -- . && rm {0}/{STAMP}",
            co.display()
        ),
        Err(_) => {
            for p in &patches {
                apply_strict(co, p).with_context(|| format!("applying {}", p.name))?;
                eprintln!("applied {}", p.name);
            }
            fs::write(co.join(STAMP), &want)?;
        }
    }

    // 2. The fork as the p28 submodule.
    install_dist(repo, opts)?;

    // 3. The .x diff in the XDR core compiles (identity checked before and after).
    let contract = co.join(XDR_DIR).join("Stellar-contract.x");
    let diff = fs::read_to_string(repo.root.join(crate::xdr::DIFF))?;
    let declared = crate::xdr::declared(&diff)?;
    let text =
        fs::read_to_string(&contract).with_context(|| format!("reading {}", contract.display()))?;
    if crate::xdr::identity_hash(&text) == declared.patched_identity {
        eprintln!("{XDR_DIR}/Stellar-contract.x already carries the fork's XDR");
    } else {
        crate::xdr::apply(repo, &contract, None)?;
    }
    Ok(())
}

/// Writes `cargo fork dist` into the slot and makes it a git submodule whose commit is a
/// function of its content.
fn install_dist(repo: &mut Repo, opts: &Options) -> Result<()> {
    let co = &opts.checkout;
    let slot = co.join(SLOT);
    let modules = co.join(".git/modules").join(SLOT);
    if slot.exists() && !slot.join(crate::dist::MARKER).is_file() {
        // Upstream's p28 checkout (or nothing): the slot becomes ours.
        fs::remove_dir_all(&slot)?;
        let _ = fs::remove_dir_all(&modules);
    }
    crate::dist::dist(repo, Some(&slot), false)?;
    if !modules.join("HEAD").is_file() || !slot.join(".git").exists() {
        // Replace whatever was there (upstream's p28 checkout) with a repository of ours.
        let _ = fs::remove_dir_all(&modules);
        let _ = fs::remove_file(slot.join(".git"));
        let _ = fs::remove_dir_all(slot.join(".git"));
        run(
            git(&slot, opts).args(["init", "-q"]),
            "git init in the p28 slot",
        )?;
    }
    run(
        git(&slot, opts).args(["add", "-A"]),
        "git add in the p28 slot",
    )?;
    let dirty = !git(&slot, opts)
        .args(["diff", "--cached", "--quiet"])
        .status()?
        .success();
    let has_head = git(&slot, opts)
        .args(["rev-parse", "-q", "--verify", "HEAD"])
        .output()?
        .status
        .success();
    if dirty || !has_head {
        let mut c = git(&slot, opts);
        c.args([
            "-c",
            "user.name=soroban-extref",
            "-c",
            "user.email=dist@soroban-extref",
            "commit",
            "-q",
            "-m",
        ])
        .arg("soroban-extref: cargo fork dist")
        .env("GIT_AUTHOR_DATE", DIST_DATE)
        .env("GIT_COMMITTER_DATE", DIST_DATE);
        run(&mut c, "git commit in the p28 slot")?;
    }
    if slot.join(".git").is_dir() {
        run(
            git(co, opts).args(["submodule", "absorbgitdirs", SLOT]),
            "git submodule absorbgitdirs",
        )?;
    }
    let commit = run(
        git(&slot, opts).args(["rev-parse", "HEAD"]),
        "git rev-parse in the slot",
    )?;
    // The superproject records the dist as the p28 submodule's commit.
    run(
        git(co, opts).args([
            "update-index",
            "--cacheinfo",
            &format!("160000,{},{SLOT}", commit.trim()),
        ]),
        "git update-index of the p28 gitlink",
    )?;
    eprintln!("p28 slot: cargo fork dist at commit {}", commit.trim());
    Ok(())
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd} >/dev/null"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The configure command line for `opts`.
pub fn configure_args(opts: &Options) -> Vec<String> {
    let mut args = vec![
        "--disable-tests".to_string(),
        "--disable-postgres".to_string(),
    ];
    if opts.variant == Variant::Next {
        args.push("--enable-next-protocol-version-unsafe-for-production".into());
    }
    args.extend(opts.configure_args.iter().cloned());
    args
}

/// prepare, then autogen (once), configure (when its arguments changed) and make.
pub fn build(repo: &mut Repo, opts: &Options) -> Result<PathBuf> {
    prepare(repo, opts)?;
    let co = &opts.checkout;
    let ccache = if have("ccache") { "ccache " } else { "" };
    let (cc, cxx, stdlib) = if have("clang++-19") {
        (
            format!("{ccache}clang-19"),
            format!("{ccache}clang++-19"),
            " -stdlib=libc++",
        )
    } else {
        (format!("{ccache}cc"), format!("{ccache}c++"), "")
    };
    let env = [
        ("CC", cc),
        ("CXX", cxx),
        ("CFLAGS", "-O2 -g1".to_string()),
        ("CXXFLAGS", format!("-O2 -g1{stdlib}")),
        ("LDFLAGS", stdlib.trim().to_string()),
    ];
    let with_env = |mut c: Command| {
        for (k, v) in &env {
            c.env(k, v);
        }
        if let Some(cfg) = &opts.git_config {
            c.env("GIT_CONFIG_GLOBAL", cfg);
        }
        c.env("CARGO_NET_GIT_FETCH_WITH_CLI", "true");
        c.current_dir(co);
        c
    };
    if !co.join("configure").is_file() {
        for lib in ["lib/xdrpp", "lib/gperftools"] {
            let mut c = with_env(Command::new("./autogen.sh"));
            c.current_dir(co.join(lib));
            stream(c, &format!("autogen in {lib}"))?;
        }
        let mut c = with_env(Command::new("./autogen.sh"));
        c.arg("--skip-submodules");
        stream(c, "core's autogen.sh")?;
    }
    let args = configure_args(opts);
    let recorded = co.join(".soroban-extref-configure");
    let line = format!(
        "{}\n{}",
        args.join(" "),
        env.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if !co.join("config.status").is_file()
        || fs::read_to_string(&recorded).ok().as_deref() != Some(line.as_str())
    {
        let mut c = with_env(Command::new("./configure"));
        c.args(&args);
        stream(c, &format!("./configure {}", args.join(" ")))?;
        fs::write(&recorded, &line)?;
    }
    let mut c = with_env(Command::new("make"));
    c.arg(format!("-j{}", opts.jobs));
    stream(c, "make")?;
    let bin = co.join("src/stellar-core");
    ensure!(
        bin.is_file(),
        "make finished but {} is missing",
        bin.display()
    );
    println!("built {}", bin.display());
    Ok(bin)
}

/// The dist's dependency tree as core's Makefile computes it for `p28-expect.txt`, with
/// the dist at `<core>/src/rust/soroban/p28`.
pub fn expected_tree(dist: &Path) -> Result<String> {
    let tmp = tempfile::tempdir()?;
    let slot = tmp.path().join(SLOT);
    fs::create_dir_all(slot.parent().expect("has a parent"))?;
    std::os::unix::fs::symlink(dist, &slot)?;
    let mut c = Command::new(crate::pins::cargo_bin());
    c.args([
        "tree",
        "--offline",
        "--locked",
        "--package",
        "soroban-env-host",
        "--edges",
        "no-dev",
        "--target",
        "all",
        "--manifest-path",
    ])
    .arg(slot.join("Cargo.toml"))
    .current_dir(tmp.path());
    let out = run(&mut c, "cargo tree on the dist")?;
    // The Makefile strips the core tree's absolute path; through the symlink cargo
    // reports the dist's own path, which stands for <core>/src/rust/soroban/p28.
    let real = fs::canonicalize(dist)?;
    Ok(out
        .replace(&format!("{}/", tmp.path().display()), "")
        .replace(&real.display().to_string(), SLOT))
}

/// The new text of `src/rust/src/dep-trees/p28-expect.txt` in the base series.
pub fn patched_expect(repo: &Repo) -> Result<String> {
    let patches = load_series(&repo.root.join(BASE_DIR))?;
    let p = patches
        .iter()
        .find(|p| {
            p.content
                .contains("+++ b/src/rust/src/dep-trees/p28-expect.txt")
        })
        .context("no patch of p28-expect.txt in the core series")?;
    let mut out = String::new();
    let mut inside = false;
    for line in p.content.lines() {
        if line.starts_with("+++ ") {
            inside = line.ends_with("dep-trees/p28-expect.txt");
            continue;
        }
        if line.starts_with("diff --git") {
            inside = false;
        }
        if !inside || line.starts_with("@@") || line.starts_with("--- ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix('+') {
            out.push_str(rest);
            out.push('\n');
        } else if let Some(rest) = line.strip_prefix(' ') {
            out.push_str(rest);
            out.push('\n');
        }
    }
    Ok(out)
}

/// `p28-expect.txt` in the series equals the dist's tree (run after `dist --check`).
pub fn check_expect(repo: &Repo, dist: &Path) -> Result<()> {
    let want = expected_tree(dist)?;
    let have = patched_expect(repo)?;
    if want != have {
        let diff: Vec<String> = want
            .lines()
            .zip(have.lines())
            .filter(|(a, b)| a != b)
            .take(5)
            .map(|(a, b)| format!("  dist: {a}\n  patch: {b}"))
            .collect();
        bail!(
            "core/patches' p28-expect.txt is not the dist's dependency tree ({} vs {} lines); \
             regenerate it:\n{}",
            want.lines().count(),
            have.lines().count(),
            diff.join("\n")
        );
    }
    println!(
        "core series: p28-expect.txt matches the dist's dependency tree ({} lines)",
        want.lines().count()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_build_asks_for_next_and_the_production_build_does_not() {
        let mut o = Options {
            checkout: PathBuf::from("/x"),
            variant: Variant::Next,
            jobs: 2,
            configure_args: vec!["--disable-spdlog".into()],
            git_config: None,
        };
        let a = configure_args(&o);
        assert!(a.contains(&"--enable-next-protocol-version-unsafe-for-production".to_string()));
        assert_eq!(a.last().unwrap(), "--disable-spdlog");
        o.variant = Variant::Production;
        assert!(!configure_args(&o)
            .iter()
            .any(|a| a.contains("next-protocol")));
    }

    #[test]
    fn the_stamp_names_every_patch_and_the_variant() {
        let p = Patch {
            name: "0001-a.patch".into(),
            content: "x".into(),
        };
        let s = stamp_text(&[p], Variant::Production);
        assert!(s.starts_with("variant Production\n"));
        assert!(s.contains(" 0001-a.patch\n"));
    }
}
