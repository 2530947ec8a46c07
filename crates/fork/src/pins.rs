//! `fork.lock`: the pinned upstream packages, and finding/fetching/verifying their `.crate`s.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::util::sha256_file;

/// One `[[crate]]` table of `fork.lock`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Pin {
    pub name: String,
    pub version: String,
    /// SHA-256 of the `.crate` file: the same value as the `checksum` in a `Cargo.lock`.
    pub sha256: String,
}

impl Pin {
    /// File name of the package in cargo's registry cache.
    pub fn crate_file_name(&self) -> String {
        format!("{}-{}.crate", self.name, self.version)
    }

    /// The single top-level directory inside the `.crate` archive.
    pub fn archive_prefix(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }
}

#[derive(Debug, Deserialize)]
pub struct Lock {
    #[serde(rename = "crate", default)]
    pub crates: Vec<Pin>,
}

impl Lock {
    pub fn load(path: &Path) -> Result<Lock> {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let lock: Lock =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let mut seen = std::collections::BTreeSet::new();
        for pin in &lock.crates {
            if !seen.insert(&pin.name) {
                bail!("{}: crate {} is pinned twice", path.display(), pin.name);
            }
            if pin.sha256.len() != 64 || !pin.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!("{}: {} has a malformed sha256", path.display(), pin.name);
            }
        }
        Ok(lock)
    }

    pub fn get(&self, name: &str) -> Result<&Pin> {
        self.crates
            .iter()
            .find(|p| p.name == name)
            .with_context(|| {
                let names: Vec<_> = self.crates.iter().map(|p| p.name.as_str()).collect();
                format!(
                    "no crate {name} in fork.lock (pinned: {})",
                    names.join(", ")
                )
            })
    }
}

/// `$CARGO_HOME`, defaulting to `~/.cargo` as cargo itself does.
pub fn cargo_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(home);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| OsString::from("."));
    PathBuf::from(home).join(".cargo")
}

/// The cargo binary to run: `$CARGO` (set by cargo for `cargo run`) or `cargo` on `PATH`.
pub fn cargo_bin() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

/// Looks for the package in every `registry/cache/index.crates.io-*` directory; the hash
/// suffix differs between cargo versions, so it is globbed rather than computed.
pub fn find_cached(cargo_home: &Path, pin: &Pin) -> Option<PathBuf> {
    let cache = cargo_home.join("registry").join("cache");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&cache)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("index.crates.io-")
        })
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|d| d.join(pin.crate_file_name()))
        .find(|p| p.is_file())
}

/// Downloads the pinned packages into cargo's cache through `cargo fetch` on a throwaway
/// manifest (outside the repo, with its own `[workspace]`, so the repo's `[patch]` to
/// `materialized/` cannot interfere).
pub fn fetch(home: &Path, pins: &[Pin]) -> Result<()> {
    let dir = tempfile::tempdir().context("creating a temp dir for cargo fetch")?;
    let mut manifest = String::from(
        "[package]\nname = \"fork-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\n",
    );
    for pin in pins {
        // The host is fetched with the feature the fork builds it with, so that its optional
        // dependencies are in the cache too (offline builds afterwards).
        let features = if pin.name == "soroban-env-host" {
            ", features = [\"testutils\"]"
        } else {
            ""
        };
        manifest.push_str(&format!(
            "{} = {{ version = \"={}\"{features} }}\n",
            pin.name, pin.version
        ));
    }
    fs::write(dir.path().join("Cargo.toml"), manifest)?;
    fs::create_dir_all(dir.path().join("src"))?;
    fs::write(dir.path().join("src/lib.rs"), "")?;
    let names: Vec<_> = pins.iter().map(|p| p.crate_file_name()).collect();
    eprintln!("fetching {} with cargo", names.join(", "));
    let status = Command::new(cargo_bin())
        .arg("fetch")
        .current_dir(dir.path())
        .env("CARGO_HOME", home)
        .status()
        .context("running cargo fetch")?;
    if !status.success() {
        bail!(
            "cargo fetch failed ({status}) while fetching {}",
            names.join(", ")
        );
    }
    Ok(())
}

/// Returns the cached `.crate` of every pin, fetching the missing ones first, after checking
/// each against its `fork.lock` sha256. A mismatch is fatal: the fork would silently be
/// built on different upstream code.
pub fn verified_crate_files(home: &Path, pins: &[Pin]) -> Result<Vec<PathBuf>> {
    let missing: Vec<Pin> = pins
        .iter()
        .filter(|p| find_cached(home, p).is_none())
        .cloned()
        .collect();
    if !missing.is_empty() {
        fetch(home, &missing)?;
    }
    pins.iter()
        .map(|pin| {
            let path = find_cached(home, pin).with_context(|| {
                format!(
                    "{} is not in {} even after cargo fetch",
                    pin.crate_file_name(),
                    home.join("registry/cache").display()
                )
            })?;
            let actual = sha256_file(&path)?;
            if actual != pin.sha256 {
                bail!(
                    "sha256 mismatch for {}:\n  fork.lock: {}\n  actual:    {}\nThe cached package is not the pinned one; refusing to use it.",
                    path.display(),
                    pin.sha256,
                    actual
                );
            }
            Ok(path)
        })
        .collect()
}
