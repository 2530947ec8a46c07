//! Unified diffs, parsed and applied in process: the fork tool's only patch program, so it
//! needs nothing but cargo.
//!
//! Application is exact. Each hunk must match, byte for byte, at the line its header states
//! (in the file as it was before the patch): no fuzz, no offset, no whitespace leniency, no
//! reversed or already-applied patch. That is what GNU `patch -p1 -F0 -N` accepts once any
//! "offset", "fuzz" or "Reversed" report counts as a failure, as the tool used it before,
//! including its rule that a hunk whose trailing context is shorter than its leading context
//! ends at the end of the file. It refuses a few inputs GNU patch would turn into a wrong
//! file: lines inserted past the end of the file or glued to a last line that lacks its
//! newline, and a hunk that drops the final newline but does not end the file.
//!
//! Paths are stripped of their first component (`-p1`). Existing files are changed or
//! deleted; creating files, renames, copies, mode changes and binary diffs are refused.
//! Every file of a patch is computed in memory first, so a patch that fails changes
//! nothing; then each file is replaced atomically, keeping its permission bits.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

/// What a hunk line does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// ` `: present before and after.
    Context,
    /// `-`: only before.
    Removed,
    /// `+`: only after.
    Added,
}

impl Kind {
    pub fn sign(self) -> char {
        match self {
            Kind::Context => ' ',
            Kind::Removed => '-',
            Kind::Added => '+',
        }
    }
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: Kind,
    /// The text without its sign and without the `\n` (a `\r` is kept: it is content).
    pub text: String,
    /// False when `\ No newline at end of file` follows it.
    pub newline: bool,
}

impl Line {
    fn bytes(&self) -> Vec<u8> {
        let mut b = self.text.as_bytes().to_vec();
        if self.newline {
            b.push(b'\n');
        }
        b
    }
}

/// One `@@ -l,n +l,n @@` hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
    pub lines: Vec<Line>,
    /// 1-based line of the `@@` header in the text parsed.
    pub at: usize,
}

impl Hunk {
    /// The lines the file has before the patch (context and removed).
    pub fn old_lines(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|l| l.kind != Kind::Added)
    }

    /// The lines the file has after the patch (context and added).
    pub fn new_lines(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|l| l.kind != Kind::Removed)
    }

    fn leading_context(&self) -> usize {
        self.lines
            .iter()
            .take_while(|l| l.kind == Kind::Context)
            .count()
    }

    fn trailing_context(&self) -> usize {
        self.lines
            .iter()
            .rev()
            .take_while(|l| l.kind == Kind::Context)
            .count()
    }

    fn header(&self) -> String {
        format!(
            "@@ -{},{} +{},{} @@",
            self.old_start, self.old_len, self.new_start, self.new_len
        )
    }
}

/// One file's part of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePatch {
    /// The `---` path with its first component stripped, or `None` for `/dev/null`.
    pub old: Option<String>,
    /// The `+++` path, likewise.
    pub new: Option<String>,
    /// Whether a `diff --git` line introduced it.
    pub git: bool,
    pub hunks: Vec<Hunk>,
    /// 1-based line of its `---` header in the text parsed.
    pub at: usize,
}

impl FilePatch {
    pub fn path(&self) -> &str {
        self.new.as_deref().or(self.old.as_deref()).unwrap_or("?")
    }
}

/// `--- a/src/x.rs\t2024-01-01 …` → `src/x.rs` (`-p1`); `/dev/null` → `None`.
fn header_path(rest: &str, at: usize) -> Result<Option<String>> {
    let name = rest.split('\t').next().unwrap_or(rest).trim_end();
    if name == "/dev/null" {
        return Ok(None);
    }
    let Some((_, stripped)) = name.split_once('/') else {
        bail!("line {at}: {name:?} has no leading directory to strip (the tool applies -p1)");
    };
    let safe = !stripped.is_empty()
        && Path::new(stripped)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if !safe {
        bail!("line {at}: refusing the path {name:?} (absolute, empty or with `..`)");
    }
    Ok(Some(stripped.to_string()))
}

/// `@@ -l[,n] +l[,n] @@[ section]`, a missing count meaning 1.
fn hunk_header(line: &str) -> Option<(usize, usize, usize, usize)> {
    let body = line.strip_prefix("@@ -")?;
    let (old, rest) = body.split_once(" +")?;
    let new = rest.split_once(" @@")?.0;
    let range = |r: &str| -> Option<(usize, usize)> {
        match r.split_once(',') {
            Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (old_start, old_len) = range(old)?;
    let (new_start, new_len) = range(new)?;
    Some((old_start, old_len, new_start, new_len))
}

/// Git's extended header lines that may sit between `diff --git` and `---`, and whether
/// this applier can honour them.
fn git_extended_header(line: &str) -> Option<Result<(), &'static str>> {
    const TOLERATED: &[&str] = &["index ", "new file mode ", "deleted file mode "];
    const REFUSED: &[(&str, &str)] = &[
        ("old mode ", "a mode change"),
        ("new mode ", "a mode change"),
        ("similarity index ", "a rename or copy"),
        ("dissimilarity index ", "a rename or copy"),
        ("rename from ", "a rename"),
        ("rename to ", "a rename"),
        ("copy from ", "a copy"),
        ("copy to ", "a copy"),
        ("Binary files ", "a binary diff"),
        ("GIT binary patch", "a binary diff"),
    ];
    if TOLERATED.iter().any(|p| line.starts_with(p)) {
        return Some(Ok(()));
    }
    REFUSED
        .iter()
        .find(|(p, _)| line.starts_with(p))
        .map(|(_, what)| Err(*what))
}

/// Parses every file diff in `text`. Anything before the first `diff `/`---` line (a DEP-3
/// header, a mail) and text between files is ignored, as GNU patch does; inside a hunk,
/// every line is checked against the counts of its `@@` header.
pub fn parse(text: &str) -> Result<Vec<FilePatch>> {
    let lines: Vec<&str> = text
        .split_inclusive('\n')
        .map(|l| l.strip_suffix('\n').unwrap_or(l))
        .collect();
    let mut files = Vec::new();
    // The 1-based line of a `diff --git` not yet followed by its `---`.
    let mut pending_git: Option<usize> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("diff --git ") {
            if let Some(at) = pending_git {
                bail!("line {at}: `diff --git` without `---`/`+++` lines (not supported)");
            }
            pending_git = Some(i + 1);
            i += 1;
            continue;
        }
        if let Some(at) = pending_git {
            if let Some(Err(what)) = git_extended_header(line) {
                bail!(
                    "line {}: {what} (diff --git at line {at}) is not supported",
                    i + 1
                );
            }
        }
        if let Some(old) = line.strip_prefix("--- ") {
            let at = i + 1;
            let new = lines
                .get(i + 1)
                .and_then(|l| l.strip_prefix("+++ "))
                .with_context(|| format!("line {at}: `---` without `+++`"))?;
            let mut file = FilePatch {
                old: header_path(old, at)?,
                new: header_path(new, at + 1)?,
                git: pending_git.take().is_some(),
                hunks: Vec::new(),
                at,
            };
            i += 2;
            while i < lines.len() && lines[i].starts_with("@@") {
                let (hunk, next) = parse_hunk(&lines, i, &file, file.hunks.len() + 1)?;
                file.hunks.push(hunk);
                i = next;
            }
            if file.hunks.is_empty() {
                bail!("line {at}: no hunk follows the header of {}", file.path());
            }
            files.push(file);
            continue;
        }
        if line.starts_with("@@ ") {
            bail!("line {}: hunk without a `---`/`+++` file header", i + 1);
        }
        i += 1;
    }
    if let Some(at) = pending_git {
        bail!("line {at}: `diff --git` without `---`/`+++` lines (not supported)");
    }
    Ok(files)
}

/// Parses the hunk whose `@@` header is `lines[i]`; returns it and the index after it.
fn parse_hunk(lines: &[&str], i: usize, file: &FilePatch, n: usize) -> Result<(Hunk, usize)> {
    let at = i + 1;
    let what = || format!("hunk #{n} of {} (line {at})", file.path());
    let (old_start, old_len, new_start, new_len) = hunk_header(lines[i])
        .with_context(|| format!("line {at}: malformed hunk header {:?}", lines[i]))?;
    if old_len > 0 && old_start == 0 {
        bail!("{}: line 0 does not exist", what());
    }
    if old_len == 0 && new_len == 0 {
        bail!("{}: an empty hunk", what());
    }
    let mut hunk = Hunk {
        old_start,
        old_len,
        new_start,
        new_len,
        lines: Vec::new(),
        at,
    };
    let (mut old_left, mut new_left) = (old_len, new_len);
    let mut i = i + 1;
    loop {
        // A `\ No newline at end of file` marks the line before it, also after the last one.
        if let Some(marker) = lines.get(i).filter(|l| l.starts_with('\\')) {
            let Some(last) = hunk.lines.last_mut() else {
                bail!("line {}: {marker:?} before any line of {}", i + 1, what());
            };
            last.newline = false;
            i += 1;
            continue;
        }
        if old_left == 0 && new_left == 0 {
            break;
        }
        let Some(line) = lines.get(i) else {
            bail!("{} ends early: the patch is truncated", what());
        };
        let (kind, text) = match line.as_bytes().first() {
            Some(b' ') => (Kind::Context, &line[1..]),
            Some(b'-') => (Kind::Removed, &line[1..]),
            Some(b'+') => (Kind::Added, &line[1..]),
            // An empty context line whose leading space was stripped (editors do that).
            None => (Kind::Context, ""),
            Some(_) => bail!("line {}: {line:?} is not a line of {}", i + 1, what()),
        };
        let fits = match kind {
            Kind::Context => old_left > 0 && new_left > 0,
            Kind::Removed => old_left > 0,
            Kind::Added => new_left > 0,
        };
        if !fits {
            bail!(
                "line {}: {} has more {} lines than its header counts",
                i + 1,
                what(),
                if old_left == 0 && kind != Kind::Added {
                    "old"
                } else {
                    "new"
                }
            );
        }
        if kind != Kind::Added {
            old_left -= 1;
        }
        if kind != Kind::Removed {
            new_left -= 1;
        }
        hunk.lines.push(Line {
            kind,
            text: text.to_string(),
            newline: true,
        });
        i += 1;
    }
    // Only the last line of either side can lack its newline.
    for side in [
        hunk.old_lines().collect::<Vec<_>>(),
        hunk.new_lines().collect::<Vec<_>>(),
    ] {
        if side.iter().rev().skip(1).any(|l| !l.newline) {
            bail!(
                "{}: `\\ No newline at end of file` after a line that is not the last",
                what()
            );
        }
    }
    Ok((hunk, i))
}

/// Why a hunk does not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HunkError {
    /// 1-based number of the hunk in its file.
    pub hunk: usize,
    pub header: String,
    /// 1-based line of the hunk's `@@` header in the patch.
    pub patch_line: usize,
    pub reason: String,
}

impl fmt::Display for HunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "hunk #{} ({}, patch line {}) {}",
            self.hunk, self.header, self.patch_line, self.reason
        )
    }
}

impl std::error::Error for HunkError {}

fn shown(line: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(line))
}

fn matches_at(file: &[&[u8]], at: usize, want: &[Vec<u8>]) -> bool {
    file.get(at..at + want.len())
        .is_some_and(|have| have.iter().zip(want).all(|(h, w)| *h == &w[..]))
}

/// Applies one file's hunks to its content, each exactly where its header says.
pub fn apply_hunks(content: &[u8], hunks: &[Hunk]) -> Result<Vec<u8>, HunkError> {
    let file: Vec<&[u8]> = content.split_inclusive(|&b| b == b'\n').collect();
    let mut out = Vec::with_capacity(content.len());
    let mut done = 0;
    for (k, hunk) in hunks.iter().enumerate() {
        let fail = |reason: String| HunkError {
            hunk: k + 1,
            header: hunk.header(),
            patch_line: hunk.at,
            reason,
        };
        let old: Vec<Vec<u8>> = hunk.old_lines().map(Line::bytes).collect();
        let new: Vec<Vec<u8>> = hunk.new_lines().map(Line::bytes).collect();
        // `-l,0` inserts after line l; otherwise line l is the first old line.
        let start = if old.is_empty() {
            hunk.old_start
        } else {
            hunk.old_start.saturating_sub(1)
        };
        if start < done {
            return Err(fail(format!(
                "starts at line {}, before the end of hunk #{k} (line {done}): hunks must be \
                 in file order and must not overlap",
                hunk.old_start
            )));
        }
        if start > file.len() {
            return Err(fail(format!(
                "FAILED at line {}: the file has only {} lines",
                hunk.old_start,
                file.len()
            )));
        }
        let ends_file = start + old.len() == file.len();
        if !old.is_empty() && hunk.trailing_context() < hunk.leading_context() && !ends_file {
            // diff shortens trailing context only at the end of the file.
            let at_end = file.len().checked_sub(old.len());
            let reason = match at_end.filter(|&at| matches_at(&file, at, &old)) {
                Some(at) => format!(
                    "FAILED at line {}: it matches at the end of the file, line {} (offset \
                     {:+} lines); offsets are not accepted",
                    hunk.old_start,
                    at + 1,
                    at as i64 - start as i64
                ),
                None => format!(
                    "FAILED at line {}: its trailing context is shorter than its leading \
                     context, so it must end at the end of the file, which has {} lines",
                    hunk.old_start,
                    file.len()
                ),
            };
            return Err(fail(reason));
        }
        if old.is_empty() && start > 0 && !file[start - 1].ends_with(b"\n") {
            // Lines inserted after a last line that lacks its newline would be glued to it.
            return Err(fail(format!(
                "FAILED at line {}: the file's last line has no newline, the patch expects one",
                hunk.old_start
            )));
        }
        if new.last().is_some_and(|l| !l.ends_with(b"\n")) && !ends_file {
            return Err(fail(format!(
                "FAILED at line {}: its last line has no newline but it does not end the file",
                hunk.old_start
            )));
        }
        if !matches_at(&file, start, &old) {
            return Err(fail(diagnose(&file, start, hunk, &old, &new)));
        }
        out.extend(file[done..start].iter().flat_map(|l| l.iter()));
        out.extend(new.iter().flatten());
        done = start + old.len();
    }
    out.extend(file[done..].iter().flat_map(|l| l.iter()));
    Ok(out)
}

/// Says why `old` is not at `start`: already applied, elsewhere (an offset), or how the
/// file differs.
fn diagnose(file: &[&[u8]], start: usize, hunk: &Hunk, old: &[Vec<u8>], new: &[Vec<u8>]) -> String {
    let line = hunk.old_start;
    let new_at = hunk.new_start.saturating_sub(1);
    if !new.is_empty() && (matches_at(file, start, new) || matches_at(file, new_at, new)) {
        return format!(
            "FAILED at line {line}: the file already has its new lines: the patch is already \
             applied or reversed"
        );
    }
    let elsewhere: Vec<usize> = (0..=file.len().saturating_sub(old.len()))
        .filter(|&i| matches_at(file, i, old))
        .collect();
    if let Some(&at) = elsewhere.iter().min_by_key(|&&i| i.abs_diff(start)) {
        let offset = at as i64 - start as i64;
        return format!(
            "FAILED at line {line}: it matches at line {} instead (offset {offset:+} lines); \
             offsets are not accepted",
            at + 1
        );
    }
    let differ = old
        .iter()
        .enumerate()
        .find(|(j, want)| file.get(start + j).is_none_or(|have| have != &&want[..]));
    match differ {
        Some((j, want)) => match file.get(start + j) {
            Some(have) => format!(
                "FAILED at line {line}: line {} is {}, the patch expects {}",
                start + j + 1,
                shown(have),
                shown(want)
            ),
            None => format!(
                "FAILED at line {line}: the file ends at line {}, the patch expects {} more",
                file.len(),
                old.len() - j
            ),
        },
        None => format!("FAILED at line {line}"),
    }
}

/// What applying a diff does to one file.
enum Outcome {
    Write(Vec<u8>),
    Delete,
}

/// Applies the parsed diff `files` to the tree at `dir`. Nothing is written unless every
/// hunk of every file applies; then each file is replaced atomically with its permission
/// bits kept, or removed when the diff deletes it.
pub fn apply_to_dir(dir: &Path, files: &[FilePatch]) -> Result<()> {
    if files.is_empty() {
        bail!("no file diff found");
    }
    // Results by path; a file named twice is patched on top of its first result.
    let mut results: BTreeMap<String, (PathBuf, u32, Outcome)> = BTreeMap::new();
    for file in files {
        let path = match (&file.old, &file.new) {
            (None, _) => bail!("{}: creating files is not supported", file.path()),
            (Some(old), Some(new)) if old != new => {
                bail!("{old} -> {new}: renaming files is not supported")
            }
            (Some(old), _) => old.clone(),
        };
        let full = dir.join(&path);
        let (content, mode) = match results.get(&path) {
            Some((_, mode, Outcome::Write(content))) => (content.clone(), *mode),
            Some((_, _, Outcome::Delete)) => bail!("{path}: patched after its deletion"),
            None => {
                use std::os::unix::fs::PermissionsExt;
                let meta = fs::symlink_metadata(&full)
                    .with_context(|| format!("{path}: can't find file to patch"))?;
                if !meta.file_type().is_file() {
                    bail!("{path} is not a regular file: refusing to patch it");
                }
                let content =
                    fs::read(&full).with_context(|| format!("reading {}", full.display()))?;
                (content, meta.permissions().mode())
            }
        };
        let patched =
            apply_hunks(&content, &file.hunks).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        let outcome = if file.new.is_none() {
            if !patched.is_empty() {
                bail!(
                    "{path}: the diff deletes it, but it keeps {} bytes",
                    patched.len()
                );
            }
            Outcome::Delete
        } else {
            Outcome::Write(patched)
        };
        results.insert(path, (full, mode, outcome));
    }
    for (_, (full, mode, outcome)) in results {
        match outcome {
            Outcome::Write(bytes) => crate::util::write_atomic(&full, &bytes, mode)?,
            Outcome::Delete => {
                fs::remove_file(&full).with_context(|| format!("removing {}", full.display()))?
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn lines(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    /// Parses `diff` (one file) and applies it to `content`.
    fn apply(content: &str, diff: &str) -> Result<String, String> {
        let files = parse(diff).map_err(|e| format!("{e:#}"))?;
        assert_eq!(files.len(), 1);
        apply_hunks(content.as_bytes(), &files[0].hunks)
            .map(|b| String::from_utf8(b).unwrap())
            .map_err(|e| e.to_string())
    }

    const TWO_HUNKS: &str = "--- a/f\n+++ b/f\n\
        @@ -2,3 +2,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n\
        @@ -8,4 +8,5 @@\n line 8\n line 9\n+line 9.5\n line 10\n line 11\n";

    #[test]
    fn parses_git_and_plain_diffs_of_several_files_after_a_header() {
        let text = "Description: two files\n more text\n---\n\
            diff --git a/src/a.rs b/src/a.rs\nindex 0123..4567 100644\n\
            --- a/src/a.rs\n+++ b/src/a.rs\n@@ -1,2 +1,2 @@ fn a() {\n-x\n+y\n z\n\
            some text between files\n\
            --- a/b.txt\t2024-01-01 00:00:00\n+++ b/b.txt\n@@ -3 +3,2 @@\n c\n+d\n\\ No newline at end of file\n";
        let files = parse(text).unwrap();
        assert_eq!(files.len(), 2);
        let (a, b) = (&files[0], &files[1]);
        assert_eq!(
            (a.old.as_deref(), a.new.as_deref(), a.git),
            (Some("src/a.rs"), Some("src/a.rs"), true)
        );
        assert_eq!((b.path(), b.git, b.at), ("b.txt", false, 13));
        assert_eq!(a.hunks[0].at, 8);
        let kinds: Vec<char> = a.hunks[0].lines.iter().map(|l| l.kind.sign()).collect();
        assert_eq!(kinds, ['-', '+', ' ']);
        let h = &b.hunks[0];
        assert_eq!(
            (h.old_start, h.old_len, h.new_start, h.new_len),
            (3, 1, 3, 2)
        );
        assert!(h.lines[0].newline && !h.lines[1].newline);
        // A removed line that looks like a file header is counted by the hunk, not parsed.
        let files = parse("--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n--- x\n+++ y\n ctx\n").unwrap();
        assert_eq!(files[0].hunks[0].lines.len(), 3);
    }

    #[test]
    fn malformed_and_unsupported_diffs_are_refused() {
        let cases = [
            ("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n", "truncated"),
            (
                "--- a/f\n+++ b/f\n@@ -1,1 +1,1 @@\n-a\n-b\n+c\n",
                "more old lines",
            ),
            (
                "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n*b\n",
                "is not a line of hunk #1",
            ),
            ("--- a/f\n+++ b/f\n@@ -x +1 @@\n", "malformed hunk header"),
            ("--- a/f\n+++ b/f\n@@ -0,0 +0,0 @@\n", "empty hunk"),
            ("--- a/f\n+++ b/f\n", "no hunk follows"),
            ("@@ -1 +1 @@\n-a\n+b\n", "without a `---`/`+++`"),
            ("--- a/f\nnot a header\n", "`---` without `+++`"),
            (
                "--- f\n+++ f\n@@ -1 +1 @@\n-a\n+b\n",
                "no leading directory",
            ),
            (
                "--- a/../f\n+++ b/../f\n@@ -1 +1 @@\n-a\n+b\n",
                "refusing the path",
            ),
            (
                "diff --git a/f b/g\nsimilarity index 90%\nrename from f\n",
                "rename or copy",
            ),
            (
                "diff --git a/f b/f\nold mode 100644\nnew mode 100755\n",
                "mode change",
            ),
            (
                "diff --git a/f b/f\nBinary files a/f and b/f differ\n",
                "binary diff",
            ),
            (
                "diff --git a/f b/f\ndiff --git a/g b/g\n",
                "without `---`/`+++` lines",
            ),
            (
                "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-a\n\\ No newline at end of file\n-b\n+c\n+d\n",
                "not the last",
            ),
        ];
        for (diff, want) in cases {
            let err = format!("{:#}", parse(diff).unwrap_err());
            assert!(err.contains(want), "{diff:?}: {err}");
        }
    }

    #[test]
    fn every_hunk_applies_at_its_stated_line() {
        let out = apply(&lines(12), TWO_HUNKS).unwrap();
        assert_eq!(
            out,
            lines(12)
                .replace("line 3\n", "LINE 3\n")
                .replace("line 9\n", "line 9\nline 9.5\n")
        );
        // The second hunk's context moved by one line: an offset, refused with no partial
        // result.
        let moved = lines(12).replace("line 5\n", "line 5\nextra\n");
        let err = apply(&moved, TWO_HUNKS).unwrap_err();
        assert!(
            err.starts_with("hunk #2 (@@ -8,4 +8,5 @@, patch line 8) FAILED at line 8"),
            "{err}"
        );
        assert!(
            err.contains("matches at line 9 instead (offset +1 lines)"),
            "{err}"
        );
    }

    #[test]
    fn changed_context_already_applied_and_overlapping_hunks_fail() {
        let fuzz = lines(12).replace("line 4\n", "line four\n");
        let err = apply(&fuzz, TWO_HUNKS).unwrap_err();
        assert!(
            err.contains(
                "FAILED at line 2: line 4 is \"line four\\n\", the patch expects \"line 4\\n\""
            ),
            "{err}"
        );
        let done = apply(&lines(12), TWO_HUNKS).unwrap();
        let err = apply(&done, TWO_HUNKS).unwrap_err();
        assert!(err.contains("already applied or reversed"), "{err}");
        let overlap = "--- a/f\n+++ b/f\n@@ -4,2 +4,2 @@\n-line 4\n+x\n line 5\n@@ -5,1 +5,1 @@\n-line 5\n+y\n";
        let err = apply(&lines(6), overlap).unwrap_err();
        assert!(err.contains("hunks must be in file order"), "{err}");
        let err = apply(&lines(2), "--- a/f\n+++ b/f\n@@ -5,0 +6 @@\n+z\n").unwrap_err();
        assert!(err.contains("the file has only 2 lines"), "{err}");
    }

    #[test]
    fn missing_newlines_at_the_end_of_file_are_exact() {
        let drop_nl = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n line 1\n-line 2\n+line 2\n\\ No newline at end of file\n";
        assert_eq!(apply(&lines(2), drop_nl).unwrap(), "line 1\nline 2");
        // Already without its newline: the old side ("line 2\n") does not match.
        assert!(apply("line 1\nline 2", drop_nl)
            .unwrap_err()
            .contains("already applied"));
        let add_nl = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n line 1\n-line 2\n\\ No newline at end of file\n+line 2\n";
        assert_eq!(apply("line 1\nline 2", add_nl).unwrap(), lines(2));
        assert!(apply(&lines(2), add_nl).is_err());
        // Context without a newline matches only a last line without one.
        let ctx = "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n line 1\n+new\n line 2\n\\ No newline at end of file\n";
        assert_eq!(apply("line 1\nline 2", ctx).unwrap(), "line 1\nnew\nline 2");
        assert!(apply(&lines(2), ctx).is_err());
        // Lines are never glued to a last line that lacks its newline.
        let append = "--- a/f\n+++ b/f\n@@ -2,0 +3 @@\n+line 3\n";
        assert_eq!(apply(&lines(2), append).unwrap(), lines(3));
        assert!(apply("line 1\nline 2", append)
            .unwrap_err()
            .contains("no newline"));
    }

    #[test]
    fn short_trailing_context_anchors_the_hunk_at_the_end_of_the_file() {
        // diff shortens trailing context only at the end of the file.
        let at_end = "--- a/f\n+++ b/f\n@@ -3,3 +3,4 @@\n line 3\n line 4\n line 5\n+line 6\n";
        assert_eq!(apply(&lines(5), at_end).unwrap(), lines(6));
        let err = apply(&lines(7), at_end).unwrap_err();
        assert!(
            err.contains("must end at the end of the file, which has 7 lines"),
            "{err}"
        );
        let err = apply(&format!("line 0\n{}", lines(5)), at_end).unwrap_err();
        assert!(
            err.contains("matches at the end of the file, line 4 (offset +1 lines)"),
            "{err}"
        );
    }

    #[test]
    fn carriage_returns_are_content() {
        let crlf = "a\r\nb\r\nc\r\n";
        let patch_crlf = "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\r\n-b\r\n+B\r\n c\r\n";
        assert_eq!(apply(crlf, patch_crlf).unwrap(), "a\r\nB\r\nc\r\n");
        let patch_lf = "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n";
        assert!(apply(crlf, patch_lf)
            .unwrap_err()
            .contains("FAILED at line 1"));
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn files_keep_their_modes_and_a_failing_patch_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a.sh"), tmp.path().join("sub/b.txt"));
        fs::create_dir(tmp.path().join("sub")).unwrap();
        fs::write(&a, lines(3)).unwrap();
        fs::write(&b, lines(3)).unwrap();
        fs::set_permissions(&a, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&b, fs::Permissions::from_mode(0o600)).unwrap();
        let both = |new_b: &str| {
            format!(
                "diff --git a/a.sh b/a.sh\n--- a/a.sh\n+++ b/a.sh\n@@ -1,3 +1,3 @@\n line 1\n-line 2\n+LINE 2\n line 3\n\
                 diff --git a/sub/b.txt b/sub/b.txt\n--- a/sub/b.txt\n+++ b/sub/b.txt\n@@ -1,3 +1,3 @@\n line 1\n-{new_b}\n+B\n line 3\n"
            )
        };
        let err = apply_to_dir(tmp.path(), &parse(&both("no such line")).unwrap()).unwrap_err();
        assert!(err.to_string().starts_with("sub/b.txt: hunk #1"), "{err}");
        assert_eq!(
            fs::read_to_string(&a).unwrap(),
            lines(3),
            "a.sh was written"
        );

        apply_to_dir(tmp.path(), &parse(&both("line 2")).unwrap()).unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "line 1\nLINE 2\nline 3\n");
        assert_eq!(fs::read_to_string(&b).unwrap(), "line 1\nB\nline 3\n");
        assert_eq!((mode(&a), mode(&b)), (0o755, 0o600));
        // No temp file left behind.
        assert_eq!(fs::read_dir(tmp.path().join("sub")).unwrap().count(), 1);
    }

    #[test]
    fn deletions_apply_and_creations_symlinks_and_missing_files_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fs::write(dir.join("gone"), "x\ny\n").unwrap();
        let delete = "diff --git a/gone b/gone\ndeleted file mode 100644\n--- a/gone\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n";
        apply_to_dir(dir, &parse(delete).unwrap()).unwrap();
        assert!(!dir.join("gone").exists());

        fs::write(dir.join("kept"), "x\ny\nz\n").unwrap();
        let partial = "--- a/kept\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n";
        let err = apply_to_dir(dir, &parse(partial).unwrap()).unwrap_err();
        assert!(err.to_string().contains("keeps 2 bytes"), "{err}");

        let create = "--- /dev/null\n+++ b/new\n@@ -0,0 +1 @@\n+x\n";
        let err = apply_to_dir(dir, &parse(create).unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("creating files is not supported"),
            "{err}"
        );

        std::os::unix::fs::symlink("kept", dir.join("link")).unwrap();
        let through = "--- a/link\n+++ b/link\n@@ -1 +1 @@\n-x\n+X\n";
        let err = apply_to_dir(dir, &parse(through).unwrap()).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        assert_eq!(fs::read_to_string(dir.join("kept")).unwrap(), "x\ny\nz\n");

        let missing = "--- a/nothing\n+++ b/nothing\n@@ -1 +1 @@\n-x\n+X\n";
        let err = apply_to_dir(dir, &parse(missing).unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("can't find file to patch"),
            "{err}"
        );
    }

    #[test]
    fn a_file_named_twice_is_patched_on_its_first_result() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("f"), lines(3)).unwrap();
        let twice = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-line 1\n+one\n\
            --- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n one\n-line 2\n+two\n line 3\n";
        apply_to_dir(tmp.path(), &parse(twice).unwrap()).unwrap();
        assert_eq!(
            fs::read_to_string(tmp.path().join("f")).unwrap(),
            "one\ntwo\nline 3\n"
        );
    }
}
