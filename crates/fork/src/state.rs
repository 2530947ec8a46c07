//! `materialized/.fork-state.json`: what `materialize` (or `save`) last wrote, so that later
//! runs can tell unsaved edits from stale trees, and skip work when nothing changed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::repo::CrateSpec;
use crate::tree::{OnDisk, Target};

pub const STATE_FILE: &str = ".fork-state.json";

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub crates: BTreeMap<String, CrateState>,
}

/// The manifest of one materialized crate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CrateState {
    pub version: String,
    /// `CrateSpec::stamp` of the inputs the tree was built from.
    pub stamp: String,
    /// `(name, sha256)` of the patches applied, in order.
    pub patches: Vec<(String, String)>,
    /// Regular files written: path -> sha256.
    pub files: BTreeMap<String, String>,
    /// Overlay symlinks created: path -> link text.
    pub links: BTreeMap<String, PathBuf>,
}

impl CrateState {
    pub fn new(spec: &CrateSpec, target: &Target) -> CrateState {
        CrateState {
            version: spec.pin.version.clone(),
            stamp: spec.stamp(),
            patches: spec.patch_hashes(),
            files: target
                .files
                .iter()
                .map(|(p, f)| (p.clone(), f.sha256.clone()))
                .collect(),
            links: target.links.clone(),
        }
    }

    /// True when the tree on disk is exactly what was recorded: same files with the same
    /// content, same links, nothing extra.
    pub fn matches(&self, disk: &BTreeMap<String, OnDisk>) -> bool {
        disk.len() == self.files.len() + self.links.len()
            && disk.iter().all(|(path, entry)| match entry {
                OnDisk::File(sha) => self.files.get(path) == Some(sha),
                OnDisk::Link(to) => self.links.get(path) == Some(to),
            })
    }
}

impl State {
    pub fn path(mat: &Path) -> PathBuf {
        mat.join(STATE_FILE)
    }

    /// Reads the state; a missing file is an empty state (nothing materialized yet).
    pub fn load(mat: &Path) -> Result<State> {
        let path = State::path(mat);
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).with_context(|| {
                format!(
                    "parsing {} (delete it and run `cargo fork materialize --force` to start over)",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    pub fn save(&self, mat: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self).context("serializing state")?;
        text.push('\n');
        crate::util::write_atomic(&State::path(mat), text.as_bytes(), 0o644)
    }
}
