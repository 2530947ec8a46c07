//! Where things are: the repo root, `fork.lock`, `crates/<crate>/` and the materialized root.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use walkdir::WalkDir;

use crate::pins::{Lock, Pin};
use crate::series::{load_series, Patch};
use crate::util::{sha256_bytes, slash_path};

/// Bumped whenever the way a tree is built changes, so old stamps stop matching.
const STAMP_FORMAT: &str = "fork-stamp-v1";

/// The repository the tool works on.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Directory holding `fork.lock` (absolute, canonical).
    pub root: PathBuf,
    /// Materialized root, `<root>/materialized` unless `--dir` says otherwise (absolute).
    pub mat: PathBuf,
    /// Where cargo keeps its registry cache (`$CARGO_HOME`).
    pub cargo_home: PathBuf,
}

impl Repo {
    /// Resolves `--repo` (default: the nearest ancestor of the cwd holding `fork.lock`) and
    /// `--dir`.
    pub fn discover(repo: Option<PathBuf>, dir: Option<PathBuf>) -> Result<Repo> {
        let cwd = std::env::current_dir().context("reading the current directory")?;
        let root = match repo {
            Some(r) => cwd.join(r),
            None => cwd
                .ancestors()
                .find(|d| d.join("fork.lock").is_file())
                .with_context(|| {
                    format!(
                        "no fork.lock in {} or any parent; pass --repo",
                        cwd.display()
                    )
                })?
                .to_path_buf(),
        };
        let root = root
            .canonicalize()
            .with_context(|| format!("resolving repo {}", root.display()))?;
        if !root.join("fork.lock").is_file() {
            bail!("{} has no fork.lock", root.display());
        }
        let mat = match dir {
            Some(d) => cwd.join(d),
            None => root.join("materialized"),
        };
        // Canonical when it exists, so relative overlay symlinks are computed between real
        // locations; `materialize` creates it and canonicalizes again.
        let mat = mat.canonicalize().unwrap_or(mat);
        Ok(Repo {
            root,
            mat,
            cargo_home: crate::pins::cargo_home(),
        })
    }

    pub fn lock(&self) -> Result<Lock> {
        Lock::load(&self.root.join("fork.lock"))
    }

    /// `crates/<crate>/`: the overlay plus `patches/`.
    pub fn crate_dir(&self, name: &str) -> PathBuf {
        self.root.join("crates").join(name)
    }

    pub fn patches_dir(&self, name: &str) -> PathBuf {
        self.crate_dir(name).join("patches")
    }

    pub fn mat_crate(&self, name: &str) -> PathBuf {
        self.mat.join(name)
    }

    /// Everything the tool knows about one pinned crate, read from the working tree.
    pub fn spec(&self, pin: &Pin) -> Result<CrateSpec> {
        Ok(CrateSpec {
            pin: pin.clone(),
            series: load_series(&self.patches_dir(&pin.name))?,
            overlay: overlay_files(&self.crate_dir(&pin.name))?,
            overlay_root: self.crate_dir(&pin.name),
        })
    }
}

/// A pinned crate with its patch series and overlay.
#[derive(Debug, Clone)]
pub struct CrateSpec {
    pub pin: Pin,
    pub series: Vec<Patch>,
    /// Overlay files, relative to `overlay_root`, `/`-separated and sorted.
    pub overlay: Vec<String>,
    pub overlay_root: PathBuf,
}

impl CrateSpec {
    /// Changes whenever the materialized tree would: the pin, any patch's name or content,
    /// or the set of overlay files (their content is reached through symlinks, so it does
    /// not matter here).
    pub fn stamp(&self) -> String {
        let mut buf = Vec::new();
        for part in [
            STAMP_FORMAT,
            &self.pin.name,
            &self.pin.version,
            &self.pin.sha256,
        ] {
            buf.extend_from_slice(part.as_bytes());
            buf.push(0);
        }
        for patch in &self.series {
            buf.extend_from_slice(
                format!("patch\0{}\0{}\0", patch.name, patch.content.len()).as_bytes(),
            );
            buf.extend_from_slice(patch.content.as_bytes());
        }
        for file in &self.overlay {
            buf.extend_from_slice(format!("overlay\0{file}\0").as_bytes());
        }
        sha256_bytes(&buf)
    }

    /// `(name, sha256 of the diff)` of each patch, as recorded in the state file. The DEP-3
    /// header is left out: filling in a `Description:` after `save` does not change the
    /// tree, and must not make the next `save` think the series moved underneath it.
    pub fn patch_hashes(&self) -> Vec<(String, String)> {
        self.series
            .iter()
            .map(|p| {
                let (_, diff) = crate::series::split_header(&p.content);
                (p.name.clone(), sha256_bytes(diff.as_bytes()))
            })
            .collect()
    }
}

/// Lists the overlay: every file under `crate_dir` except the `patches/` directory.
pub fn overlay_files(crate_dir: &Path) -> Result<Vec<String>> {
    if !crate_dir.exists() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    let walker = WalkDir::new(crate_dir)
        .into_iter()
        .filter_entry(|e| !(e.depth() == 1 && e.file_name() == "patches"));
    for entry in walker {
        let entry = entry.with_context(|| format!("walking {}", crate_dir.display()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(crate_dir)
            .expect("walkdir stays under its root");
        files.push(slash_path(rel));
    }
    files.sort();
    Ok(files)
}
