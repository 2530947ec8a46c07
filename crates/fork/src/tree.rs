//! Building the tree a crate should materialize to (pristine + series + overlay links), and
//! reading what is on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use walkdir::WalkDir;

use crate::extract::extract_crate;
use crate::repo::CrateSpec;
use crate::series::{apply_strict, Patch};
use crate::util::{relative_path, sha256_file, slash_path};

/// A regular file of a built tree.
#[derive(Debug, Clone)]
pub struct TargetFile {
    pub sha256: String,
    /// The built copy, inside the target's temp dir.
    pub src: PathBuf,
}

/// What `materialized/<crate>/` should contain. Owns the temp dir its files live in.
#[derive(Debug)]
pub struct Target {
    pub files: BTreeMap<String, TargetFile>,
    /// Overlay symlinks: path -> relative link text.
    pub links: BTreeMap<String, PathBuf>,
    _tmp: tempfile::TempDir,
}

/// Extracts the pristine crate into `dir` and applies `patches` strictly. Returns the
/// pristine file list (before patching), needed for the overlay shadowing check.
pub fn build_tree(
    spec: &CrateSpec,
    crate_file: &Path,
    patches: &[Patch],
    dir: &Path,
) -> Result<BTreeSet<String>> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    extract_crate(crate_file, &spec.pin, dir)?;
    let pristine: BTreeSet<String> = scan(dir)?.into_keys().collect();
    for patch in patches {
        apply_strict(dir, patch)
            .with_context(|| format!("applying the {} series", spec.pin.name))?;
    }
    Ok(pristine)
}

/// The overlay may only add files: shadowing an upstream file would hide upstream changes
/// from the patch series (and from review).
pub fn check_overlay(spec: &CrateSpec, pristine: &BTreeSet<String>) -> Result<()> {
    let shadowed: Vec<&String> = spec
        .overlay
        .iter()
        .filter(|f| pristine.contains(*f))
        .collect();
    if !shadowed.is_empty() {
        let list: Vec<String> = shadowed
            .iter()
            .map(|f| format!("  crates/{}/{f}", spec.pin.name))
            .collect();
        bail!(
            "overlay files shadow upstream files of {} {} (change those with a patch instead):\n{}",
            spec.pin.name,
            spec.pin.version,
            list.join("\n")
        );
    }
    Ok(())
}

/// Builds the full target for `spec`; `dest` is where it will be materialized, needed to
/// compute the relative overlay links (`dest` and the overlay root must be canonical).
pub fn build_target(spec: &CrateSpec, crate_file: &Path, dest: &Path) -> Result<Target> {
    let tmp = tempfile::tempdir().context("creating a temp dir")?;
    let dir = tmp.path().join("tree");
    let pristine = build_tree(spec, crate_file, &spec.series, &dir)?;
    check_overlay(spec, &pristine)?;
    let mut files = BTreeMap::new();
    for (rel, entry) in scan(&dir)? {
        match entry {
            OnDisk::File(sha256) => {
                let src = dir.join(&rel);
                files.insert(rel, TargetFile { sha256, src });
            }
            OnDisk::Link(_) => bail!("{}: upstream tree contains symlink {rel}", spec.pin.name),
        }
    }
    let mut links = BTreeMap::new();
    for rel in &spec.overlay {
        let link_path = dest.join(rel);
        let link_dir = link_path.parent().expect("joined path has a parent");
        links.insert(
            rel.clone(),
            relative_path(link_dir, &spec.overlay_root.join(rel)),
        );
    }
    Ok(Target {
        files,
        links,
        _tmp: tmp,
    })
}

/// One entry of a scanned tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnDisk {
    /// A regular file and its sha256.
    File(String),
    /// A symlink and its (unresolved) target.
    Link(PathBuf),
}

/// Reads a tree: regular files (hashed) and symlinks, keyed by `/`-separated relative path.
/// A `.git` directory at the top is skipped (developers may keep a scratch repo there), and
/// a missing directory reads as empty.
pub fn scan(dir: &Path) -> Result<BTreeMap<String, OnDisk>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return Ok(out);
    }
    let walker = WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| !(e.depth() == 1 && e.file_name() == ".git"));
    for entry in walker {
        let entry = entry.with_context(|| format!("walking {}", dir.display()))?;
        let rel = slash_path(
            entry
                .path()
                .strip_prefix(dir)
                .expect("walkdir stays under its root"),
        );
        let ft = entry.file_type();
        if ft.is_symlink() {
            let target = fs::read_link(entry.path())
                .with_context(|| format!("reading link {}", entry.path().display()))?;
            out.insert(rel, OnDisk::Link(target));
        } else if ft.is_file() {
            out.insert(rel, OnDisk::File(sha256_file(entry.path())?));
        }
    }
    Ok(out)
}
