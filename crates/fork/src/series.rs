//! A crate's patch series (`crates/<crate>/patches/NNNN-name.patch`): listing, parsing,
//! DEP-3 headers, and strict application (in process, [`crate::patch`]).

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::patch::Kind;

/// One patch file of a series.
#[derive(Debug, Clone)]
pub struct Patch {
    pub name: String,
    pub content: String,
}

/// Lists `dir/*.patch` in file-name order, which is the application order. A missing
/// directory is an empty series.
pub fn load_series(dir: &Path) -> Result<Vec<Patch>> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
    };
    let mut patches = Vec::new();
    for entry in read {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".patch") {
            continue;
        }
        let path = entry.path();
        let content =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        patches.push(Patch { name, content });
    }
    patches.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(patches)
}

/// Patch names look like `0001-short-name.patch`, so that file-name order is series order.
pub fn validate_patch_name(name: &str) -> Result<()> {
    let ok = name.len() > "0000-.patch".len()
        && name.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && name.as_bytes()[4] == b'-'
        && name.ends_with(".patch")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !ok {
        bail!("patch name {name:?} should look like NNNN-short-name.patch");
    }
    Ok(())
}

/// Splits a patch into its DEP-3 header (everything before the first diff line, kept
/// verbatim) and the diff itself.
pub fn split_header(content: &str) -> (&str, &str) {
    let mut offset = 0;
    for line in content.split_inclusive('\n') {
        if line.starts_with("--- ") || line.starts_with("diff ") || line.starts_with("Index: ") {
            return (&content[..offset], &content[offset..]);
        }
        offset += line.len();
    }
    (content, "")
}

/// The header written into a new patch by `save`.
pub fn header_template() -> String {
    format!(
        "Description: TODO\nAuthor: soroban-extref\nForwarded: not-needed\nLast-Update: {}\n\n",
        crate::util::today()
    )
}

/// Checks the DEP-3 header: it needs a `Description:` (or DEP-3's alias `Subject:`) that is
/// filled in, not the `TODO` left by `save`.
pub fn check_header(content: &str) -> Result<()> {
    let (header, _) = split_header(content);
    let description = header.lines().find_map(|line| {
        let (field, value) = line.split_once(':')?;
        let field = field.trim().to_ascii_lowercase();
        (field == "description" || field == "subject").then(|| value.trim())
    });
    match description {
        None => bail!("no DEP-3 `Description:` header"),
        Some(d) if d.is_empty() || d.to_ascii_uppercase().starts_with("TODO") => {
            bail!("DEP-3 `Description:` is still {d:?}; describe the change")
        }
        Some(_) => Ok(()),
    }
}

/// One file's part of a parsed patch, summarized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// Path relative to the crate root (prefix `a/`/`b/` removed), or `None` for `/dev/null`.
    pub old: Option<String>,
    pub new: Option<String>,
    /// Whether a `diff --git` line introduces it (every patch of ours has one).
    pub git: bool,
    pub added: usize,
    pub removed: usize,
}

impl FileDiff {
    pub fn path(&self) -> &str {
        self.new.as_deref().or(self.old.as_deref()).unwrap_or("?")
    }
}

/// Parses a patch (header and unified diff) with [`crate::patch::parse`], counting added
/// and removed lines per file.
pub fn parse_diff(content: &str) -> Result<Vec<FileDiff>> {
    Ok(crate::patch::parse(content)?
        .into_iter()
        .map(|f| {
            let count = |kind| {
                f.hunks
                    .iter()
                    .flat_map(|h| &h.lines)
                    .filter(|l| l.kind == kind)
                    .count()
            };
            FileDiff {
                added: count(Kind::Added),
                removed: count(Kind::Removed),
                old: f.old,
                new: f.new,
                git: f.git,
            }
        })
        .collect())
}

/// Applies `patch` to the tree at `dir` and fails unless every hunk applies exactly where it
/// says: no fuzz, no offset, nothing reversed or already applied (see [`crate::patch`]). A
/// series that only applies loosely has drifted from the pinned upstream and must be
/// refreshed deliberately. A patch that fails leaves the tree unchanged.
pub fn apply_strict(dir: &Path, patch: &Patch) -> Result<()> {
    let files =
        crate::patch::parse(&patch.content).with_context(|| format!("parsing {}", patch.name))?;
    if files.is_empty() {
        bail!("{} contains no diff", patch.name);
    }
    if let Some(f) = files.iter().find(|f| f.old.is_none()) {
        bail!(
            "{} creates {}: new files belong in the overlay (crates/<crate>/{}), not in a patch",
            patch.name,
            f.path(),
            f.path()
        );
    }
    crate::patch::apply_to_dir(dir, &files).map_err(|e| {
        anyhow::anyhow!(
            "{} does not apply exactly (no fuzz, no offset): {e:#}",
            patch.name
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series_patch(name: &str, content: &str) -> Patch {
        Patch {
            name: name.into(),
            content: content.into(),
        }
    }

    fn lines(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    const PATCH: &str = "Description: change line 5\n\n--- a/f.txt\n+++ b/f.txt\n@@ -3,5 +3,5 @@\n line 3\n line 4\n-line 5\n+LINE 5\n line 6\n line 7\n";

    #[test]
    fn exact_patch_applies() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("f.txt"), lines(10)).unwrap();
        let p = series_patch("0001-x.patch", PATCH);
        apply_strict(tmp.path(), &p).unwrap();
        assert!(fs::read_to_string(tmp.path().join("f.txt"))
            .unwrap()
            .contains("LINE 5\nline 6"));
    }

    #[test]
    fn offset_is_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        // Two extra lines on top: the hunk would apply at offset 2.
        fs::write(tmp.path().join("f.txt"), format!("x\ny\n{}", lines(10))).unwrap();
        let p = series_patch("0001-x.patch", PATCH);
        let err = apply_strict(tmp.path(), &p).unwrap_err().to_string();
        assert!(err.contains("offset"), "{err}");
    }

    #[test]
    fn fuzz_is_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        // A context line differs: only fuzz could apply it, and -F0 forbids it.
        fs::write(
            tmp.path().join("f.txt"),
            lines(10).replace("line 3\n", "line three\n"),
        )
        .unwrap();
        let p = series_patch("0001-x.patch", PATCH);
        let err = apply_strict(tmp.path(), &p).unwrap_err().to_string();
        assert!(err.contains("FAILED"), "{err}");
    }

    #[test]
    fn reversed_is_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(
            tmp.path().join("f.txt"),
            lines(10).replace("line 5", "LINE 5"),
        )
        .unwrap();
        let p = series_patch("0001-x.patch", PATCH);
        assert!(apply_strict(tmp.path(), &p).is_err());
    }

    #[test]
    fn new_files_are_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        let p = series_patch(
            "0001-x.patch",
            "Description: d\n--- /dev/null\n+++ b/new.rs\n@@ -0,0 +1 @@\n+x\n",
        );
        let err = apply_strict(tmp.path(), &p).unwrap_err().to_string();
        assert!(err.contains("overlay"), "{err}");
    }

    #[test]
    fn header_and_stats() {
        let (header, diff) = split_header(PATCH);
        assert_eq!(header, "Description: change line 5\n\n");
        assert!(diff.starts_with("--- a/f.txt"));
        let files = parse_diff(PATCH).unwrap();
        assert_eq!(
            files,
            vec![FileDiff {
                old: Some("f.txt".into()),
                new: Some("f.txt".into()),
                git: false,
                added: 1,
                removed: 1
            }]
        );
        check_header(PATCH).unwrap();
        assert!(check_header(&header_template()).is_err());
        assert!(check_header("--- a/x\n+++ b/x\n").is_err());
    }

    #[test]
    fn removed_line_looking_like_a_header_is_counted() {
        let p = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n--- x\n+++ y\n ctx\n";
        let files = parse_diff(p).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!((files[0].added, files[0].removed), (1, 1));
    }

    #[test]
    fn patch_names() {
        validate_patch_name("0001-test.patch").unwrap();
        assert!(validate_patch_name("1-test.patch").is_err());
        assert!(validate_patch_name("0001-test.diff").is_err());
        assert!(validate_patch_name("0001-a b.patch").is_err());
    }
}
