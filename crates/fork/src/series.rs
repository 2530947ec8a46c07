//! A crate's patch series (`crates/<crate>/patches/NNNN-name.patch`): listing, parsing,
//! DEP-3 headers, and strict application with GNU patch.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// One patch file of a series.
#[derive(Debug, Clone)]
pub struct Patch {
    pub name: String,
    pub path: PathBuf,
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
        patches.push(Patch {
            name,
            path,
            content,
        });
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

/// One file's part of a parsed patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// Path relative to the crate root (prefix `a/`/`b/` removed), or `None` for `/dev/null`.
    pub old: Option<String>,
    pub new: Option<String>,
    pub added: usize,
    pub removed: usize,
}

impl FileDiff {
    pub fn path(&self) -> &str {
        self.new.as_deref().or(self.old.as_deref()).unwrap_or("?")
    }
}

fn header_path(rest: &str) -> Option<String> {
    // `--- a/src/x.rs\t2024-01-01 ...`: the name ends at a tab (timestamps) if any.
    let name = rest.split('\t').next().unwrap_or(rest).trim_end();
    if name == "/dev/null" {
        return None;
    }
    let name = name.split_once('/').map(|(_, p)| p).unwrap_or(name);
    Some(name.to_string())
}

fn hunk_counts(line: &str) -> Option<(usize, usize)> {
    // `@@ -l[,n] +l[,n] @@`; a missing count means 1.
    let body = line.strip_prefix("@@ -")?;
    let (old, rest) = body.split_once(" +")?;
    let new = rest.split_once(" @@")?.0;
    let count = |range: &str| match range.split_once(',') {
        Some((_, n)) => n.parse().ok(),
        None => Some(1),
    };
    Some((count(old)?, count(new)?))
}

/// Parses the unified diff part of a patch, counting added/removed lines per file by
/// following hunk lengths (so a removed line that happens to start with `-- ` is not taken
/// for a file header).
pub fn parse_diff(content: &str) -> Result<Vec<FileDiff>> {
    let (_, diff) = split_header(content);
    let lines: Vec<&str> = diff.lines().collect();
    let mut files: Vec<FileDiff> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(old) = line.strip_prefix("--- ") {
            let new = lines
                .get(i + 1)
                .and_then(|l| l.strip_prefix("+++ "))
                .with_context(|| format!("line {}: `---` without `+++`", i + 1))?;
            files.push(FileDiff {
                old: header_path(old),
                new: header_path(new),
                added: 0,
                removed: 0,
            });
            i += 2;
            continue;
        }
        if let Some((mut old_left, mut new_left)) = hunk_counts(line) {
            let file = files
                .last_mut()
                .with_context(|| format!("line {}: hunk before any file header", i + 1))?;
            i += 1;
            while (old_left > 0 || new_left > 0) && i < lines.len() {
                let l = lines[i];
                match l.as_bytes().first() {
                    Some(b'+') => {
                        file.added += 1;
                        new_left = new_left.saturating_sub(1);
                    }
                    Some(b'-') => {
                        file.removed += 1;
                        old_left = old_left.saturating_sub(1);
                    }
                    Some(b'\\') => {}
                    _ => {
                        old_left = old_left.saturating_sub(1);
                        new_left = new_left.saturating_sub(1);
                    }
                }
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    Ok(files)
}

/// Applies `patch` to the tree at `dir` and fails unless every hunk applies exactly where it
/// says: no fuzz, no offset, nothing reversed or rejected. A series that only applies loosely
/// has drifted from the pinned upstream and must be refreshed deliberately.
pub fn apply_strict(dir: &Path, patch: &Patch) -> Result<()> {
    let files = parse_diff(&patch.content).with_context(|| format!("parsing {}", patch.name))?;
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
    let output = Command::new("patch")
        .args(["-p1", "-F0", "-N", "--no-backup-if-mismatch", "--batch"])
        .arg("--reject-file=-")
        .arg("-d")
        .arg(dir)
        .arg("-i")
        .arg(&patch.path)
        .env("LC_ALL", "C")
        .env("PATCH_GET", "0")
        .env_remove("POSIXLY_CORRECT")
        .env_remove("QUILT_PATCHES")
        .output()
        .context("running GNU patch (is it installed?)")?;
    let out = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let problems: Vec<&str> = out
        .lines()
        .filter(|l| {
            [
                "with fuzz",
                "offset",
                "FAILED",
                "Reversed",
                "garbage",
                "can't find file",
            ]
            .iter()
            .any(|w| l.contains(w))
        })
        .collect();
    if !problems.is_empty() || !output.status.success() {
        let detail = if problems.is_empty() {
            out.trim()
        } else {
            &problems.join("\n")
        };
        bail!(
            "{} does not apply cleanly (fuzz and offsets are not accepted):\n{}",
            patch.name,
            detail
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_patch(dir: &Path, name: &str, content: &str) -> Patch {
        let path = dir.join(name);
        fs::write(&path, content).unwrap();
        Patch {
            name: name.into(),
            path,
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
        let p = write_patch(tmp.path(), "0001-x.patch", PATCH);
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
        let p = write_patch(tmp.path(), "0001-x.patch", PATCH);
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
        let p = write_patch(tmp.path(), "0001-x.patch", PATCH);
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
        let p = write_patch(tmp.path(), "0001-x.patch", PATCH);
        assert!(apply_strict(tmp.path(), &p).is_err());
    }

    #[test]
    fn new_files_are_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write_patch(
            tmp.path(),
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
