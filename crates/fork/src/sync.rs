//! Bringing `materialized/<crate>/` in line with a built target while keeping builds
//! incremental (untouched files keep their mtimes) and never losing unsaved edits silently.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{Context, Result};
use walkdir::WalkDir;

use crate::state::CrateState;
use crate::tree::{OnDisk, Target};

/// A change in a materialized tree that no patch or overlay file records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Modified(String),
    /// A file that neither upstream nor the overlay has.
    New(String),
    Deleted(String),
    /// An overlay symlink replaced by a regular file (e.g. by `sed -i`): the edit did not
    /// reach the tracked file.
    ReplacedLink(String),
}

impl fmt::Display for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Edit::Modified(p) => write!(f, "modified: {p}"),
            Edit::New(p) => write!(f, "new file: {p} (new files belong in the overlay)"),
            Edit::Deleted(p) => write!(f, "deleted:  {p}"),
            Edit::ReplacedLink(p) => write!(
                f,
                "overlay link replaced by a regular file: {p} (copy it over the tracked overlay file)"
            ),
        }
    }
}

/// Lists the edits in `disk` relative to what was last written (`recorded`), or, for a tree
/// never written by this tool, relative to `target`. A file that already equals the new
/// `target` is not an edit worth protecting.
pub fn unsaved(
    disk: &BTreeMap<String, OnDisk>,
    recorded: Option<&CrateState>,
    target: Option<&Target>,
) -> Vec<Edit> {
    let target_files: BTreeMap<&String, &String> = target
        .map(|t| t.files.iter().map(|(p, f)| (p, &f.sha256)).collect())
        .unwrap_or_default();
    let base_files: BTreeMap<&String, &String> = match recorded {
        Some(r) => r.files.iter().collect(),
        None => target_files.clone(),
    };
    let is_link = |p: &String| {
        recorded.is_some_and(|r| r.links.contains_key(p))
            || target.is_some_and(|t| t.links.contains_key(p))
    };
    let mut edits = Vec::new();
    for (path, entry) in disk {
        let OnDisk::File(sha) = entry else { continue };
        if base_files.get(path) == Some(&sha) || target_files.get(path) == Some(&sha) {
            continue;
        }
        edits.push(if is_link(path) {
            Edit::ReplacedLink(path.clone())
        } else if base_files.contains_key(path) {
            Edit::Modified(path.clone())
        } else {
            Edit::New(path.clone())
        });
    }
    // A tree never written by this tool is adopted: its missing files are not deletions.
    let recorded_files = recorded.map(|r| r.files.keys()).into_iter().flatten();
    for path in recorded_files {
        let gone = !matches!(disk.get(path), Some(OnDisk::File(_)));
        let still_wanted = target.is_none() || target_files.contains_key(path);
        if gone && still_wanted {
            edits.push(Edit::Deleted(path.clone()));
        }
    }
    edits.sort_by(|a, b| edit_path(a).cmp(edit_path(b)));
    edits
}

fn edit_path(e: &Edit) -> &str {
    match e {
        Edit::Modified(p) | Edit::New(p) | Edit::Deleted(p) | Edit::ReplacedLink(p) => p,
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    pub written: usize,
    pub linked: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

impl fmt::Display for SyncReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} written, {} linked, {} deleted, {} unchanged",
            self.written, self.linked, self.deleted, self.unchanged
        )
    }
}

/// Makes `dest` match `target`. `disk` is a fresh `scan(dest)`. Only entries that differ are
/// touched: rewritten files get a fresh mtime (so cargo rebuilds them), the rest keep theirs.
pub fn sync(target: &Target, dest: &Path, disk: &BTreeMap<String, OnDisk>) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;

    // Deletions first, so a path that turns from a file into a directory is free to reuse.
    for path in disk.keys() {
        if !target.files.contains_key(path) && !target.links.contains_key(path) {
            let p = dest.join(path);
            fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
            report.deleted += 1;
        }
    }

    for (path, file) in &target.files {
        if disk.get(path) == Some(&OnDisk::File(file.sha256.clone())) {
            report.unchanged += 1;
            continue;
        }
        let out = dest.join(path);
        clear_path(&out)?;
        let bytes =
            fs::read(&file.src).with_context(|| format!("reading {}", file.src.display()))?;
        let mode = fs::metadata(&file.src)?.permissions().mode();
        crate::util::write_atomic(&out, &bytes, mode)?;
        report.written += 1;
    }

    for (path, link) in &target.links {
        if disk.get(path) == Some(&OnDisk::Link(link.clone())) {
            report.unchanged += 1;
            continue;
        }
        let out = dest.join(path);
        clear_path(&out)?;
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::os::unix::fs::symlink(link, &out)
            .with_context(|| format!("linking {} -> {}", out.display(), link.display()))?;
        report.linked += 1;
    }

    remove_empty_dirs(dest)?;
    Ok(report)
}

/// Removes whatever is at `path` (file, link or directory) so something new can go there.
fn clear_path(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            fs::remove_dir_all(path).with_context(|| format!("removing {}", path.display()))
        }
        Ok(_) => fs::remove_file(path).with_context(|| format!("removing {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("inspecting {}", path.display())),
    }
}

/// Drops directories left empty by deletions (bottom-up), never touching a top-level `.git`.
fn remove_empty_dirs(dest: &Path) -> Result<()> {
    let walker = WalkDir::new(dest)
        .min_depth(1)
        .contents_first(true)
        .into_iter()
        .filter_entry(|e| !(e.depth() == 1 && e.file_name() == ".git"));
    for entry in walker {
        let entry = entry.with_context(|| format!("walking {}", dest.display()))?;
        if entry.file_type().is_dir()
            && fs::read_dir(entry.path())
                .with_context(|| format!("listing {}", entry.path().display()))?
                .next()
                .is_none()
        {
            fs::remove_dir(entry.path())
                .with_context(|| format!("removing {}", entry.path().display()))?;
        }
    }
    Ok(())
}
