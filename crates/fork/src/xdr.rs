//! The fork's `.x` change, for stellar-core's C++ side: `xdr/Stellar-contract.x.diff`.
//!
//! Core generates its C++ types from `.x` files, so it needs the diff itself; and at
//! startup it compares each `.x` file's *identity hash* with the host's
//! `stellar_xdr::XDR_FILES_SHA256`, so the fork's stellar-xdr must name the patched file.
//! This module keeps the three in step: the diff (and the hashes its header declares),
//! the stellar-xdr series (`XDR_FILES_SHA256`, `xdr-definitions-json/xdr.json`, the doc
//! comments that quote the XDR), and upstream's definitions.
//!
//! Upstream's `.x` files are not part of any package, so `check` works at the level of the
//! definitions, which the stellar-xdr crate carries verbatim in `xdr.json`: applying the
//! diff's hunks to upstream's definitions must give the patched `xdr.json`'s definitions.
//! `xdr-apply` does the full job on a real upstream file (as in core's XDR submodule).

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::repo::Repo;
use crate::util::sha256_bytes;

/// The diff, relative to the repository root.
pub const DIFF: &str = "xdr/Stellar-contract.x.diff";
/// The file's name in `XDR_FILES_SHA256` and in `xdr.json`.
const XDR_FILE: &str = "xdr/Stellar-contract.x";
const XDR_JSON: &str = "xdr-definitions-json/xdr.json";
const GENERATED_RS: &str = "src/generated.rs";

/// stellar-xdr 27's identity hash of a `.x` file: sha256 of its text without `#ifdef`
/// blocks (an `#else` branch is kept) and without any whitespace. Core hashes its `.x`
/// files the same way, so formatting-only edits do not break the startup check.
pub fn identity_hash(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut skipping = false;
    for line in text.lines() {
        let directive = line.trim_start();
        if directive.starts_with("#ifdef") {
            skipping = true;
        } else if directive.starts_with("#else") || directive.starts_with("#endif") {
            skipping = false;
        } else if !skipping {
            kept.extend(line.chars().filter(|c| !c.is_whitespace()));
        }
    }
    sha256_bytes(kept.as_bytes())
}

/// The hashes the diff's header declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub upstream_identity: String,
    pub upstream_sha256: String,
    pub patched_identity: String,
    pub patched_sha256: String,
}

pub fn declared(diff: &str) -> Result<Declared> {
    let (header, _) = crate::series::split_header(diff);
    let field = |name: &str| -> Result<String> {
        let prefix = format!("{name}: ");
        header
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map(|v| v.trim().to_string())
            .with_context(|| format!("{DIFF}: header has no `{name}:` field"))
    };
    Ok(Declared {
        upstream_identity: field("Upstream-Identity")?,
        upstream_sha256: field("Upstream-Sha256")?,
        patched_identity: field("Patched-Identity")?,
        patched_sha256: field("Patched-Sha256")?,
    })
}

/// One hunk's lines: `(' ' | '-' | '+', text)`.
type Hunk = Vec<(char, String)>;

/// The diff's one file, parsed by the tool's patch parser.
fn file_patch(diff: &str) -> Result<crate::patch::FilePatch> {
    let mut files = crate::patch::parse(diff).with_context(|| format!("parsing {DIFF}"))?;
    match files.len() {
        1 => Ok(files.remove(0)),
        n => bail!("{DIFF} should change one file, Stellar-contract.x; it has {n} file diffs"),
    }
}

fn hunks(diff: &str) -> Result<Vec<Hunk>> {
    let file = file_patch(diff)?;
    Ok(file
        .hunks
        .iter()
        .map(|h| {
            h.lines
                .iter()
                .map(|l| (l.kind.sign(), l.text.clone()))
                .collect()
        })
        .collect())
}

fn nonblank(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Applies `hunks` to `base` ignoring blank lines (which sit between definitions, where
/// `base`, rebuilt from definitions, cannot know upstream's layout). Each hunk's old lines
/// must occur exactly once after the previous hunk; anything else is an error.
pub fn apply_ignoring_blank_lines(base: &[String], hunks: &[Hunk]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut at = 0;
    for (n, hunk) in hunks.iter().enumerate() {
        let keep = |want: &[char]| -> Vec<String> {
            hunk.iter()
                .filter(|(c, l)| want.contains(c) && !l.trim().is_empty())
                .map(|(_, l)| l.clone())
                .collect()
        };
        let old = keep(&[' ', '-']);
        let new = keep(&[' ', '+']);
        let found: Vec<usize> = (at..=base.len().saturating_sub(old.len()))
            .filter(|&i| base.get(i..i + old.len()) == Some(&old[..]))
            .collect();
        let start = match found[..] {
            [i] => i,
            [] => bail!("hunk {} does not match upstream's definitions", n + 1),
            _ => bail!(
                "hunk {} matches upstream's definitions {} times",
                n + 1,
                found.len()
            ),
        };
        out.extend_from_slice(&base[at..start]);
        out.extend(new);
        at = start + old.len();
    }
    out.extend_from_slice(&base[at..]);
    Ok(out)
}

/// The recorded hash of `Stellar-contract.x` in a stellar-xdr tree's `XDR_FILES_SHA256`.
fn recorded_hash(generated_rs: &str) -> Result<String> {
    let mut lines = generated_rs.lines();
    lines
        .find(|l| l.trim() == format!("\"{XDR_FILE}\","))
        .and_then(|_| lines.next())
        .map(|l| l.trim().trim_end_matches(',').trim_matches('"').to_string())
        .with_context(|| format!("{GENERATED_RS}: no XDR_FILES_SHA256 entry for {XDR_FILE}"))
}

/// `Stellar-contract.x` as `xdr.json` describes it: the recorded hash and its definitions'
/// `(name, source)` in file order.
type Definitions = (String, Vec<(String, String)>);

fn definitions(xdr_json: &str) -> Result<Definitions> {
    let json: serde_json::Value = serde_json::from_str(xdr_json).context("parsing xdr.json")?;
    let files = json["files"].as_array().context("xdr.json: no files")?;
    let index = files
        .iter()
        .position(|f| f["name"] == XDR_FILE)
        .with_context(|| format!("xdr.json: no file {XDR_FILE}"))?;
    let sha = files[index]["sha256"]
        .as_str()
        .context("xdr.json: file without sha256")?
        .to_string();
    let defs = json["definitions"]
        .as_array()
        .context("xdr.json: no definitions")?
        .iter()
        .filter(|d| d["file_index"].as_u64() == Some(index as u64))
        .map(|d| {
            Ok((
                d["name"]
                    .as_str()
                    .context("definition without name")?
                    .to_string(),
                d["source"]
                    .as_str()
                    .context("definition without source")?
                    .to_string(),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((sha, defs))
}

/// How generated Rust quotes a definition in its doc comment (trailing whitespace is
/// trimmed there, as rustfmt does).
fn doc_quote(source: &str) -> String {
    let mut quote = String::from("/// ```text\n");
    for line in source.lines().map(str::trim_end) {
        if line.is_empty() {
            quote.push_str("///\n");
        } else {
            quote.push_str(&format!("/// {line}\n"));
        }
    }
    quote.push_str("/// ```\n");
    quote
}

/// The pristine stellar-xdr files `check` needs, read before the series is applied.
pub struct Pristine {
    generated_rs: String,
    xdr_json: String,
}

impl Pristine {
    pub fn read(tree: &Path) -> Result<Pristine> {
        let read = |rel: &str| {
            fs::read_to_string(tree.join(rel))
                .with_context(|| format!("reading pristine stellar-xdr {rel}"))
        };
        Ok(Pristine {
            generated_rs: read(GENERATED_RS)?,
            xdr_json: read(XDR_JSON)?,
        })
    }
}

/// `check`'s XDR part. `patched` is the stellar-xdr tree with the whole series applied,
/// `overlay` its overlay directory (`crates/stellar-xdr`). Returns the problems found.
pub fn check(repo: &Repo, pristine: &Pristine, patched: &Path, overlay: &Path) -> Vec<String> {
    match check_inner(repo, pristine, patched, overlay) {
        Ok(problems) => problems,
        Err(e) => vec![format!("{e:#}")],
    }
}

fn check_inner(
    repo: &Repo,
    pristine: &Pristine,
    patched: &Path,
    overlay: &Path,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let diff =
        fs::read_to_string(repo.root.join(DIFF)).with_context(|| format!("reading {DIFF}"))?;
    let declared = declared(&diff)?;

    // Upstream's recorded identity is the one the diff was made against.
    let upstream = recorded_hash(&pristine.generated_rs)?;
    if upstream != declared.upstream_identity {
        problems.push(format!(
            "{DIFF} declares Upstream-Identity {}, but pristine stellar-xdr records {upstream}",
            declared.upstream_identity
        ));
    }
    let (json_upstream, upstream_defs) = definitions(&pristine.xdr_json)?;
    if json_upstream != upstream {
        problems.push(format!(
            "pristine {XDR_JSON} ({json_upstream}) and {GENERATED_RS} ({upstream}) disagree"
        ));
    }

    // The series names the patched file: XDR_FILES_SHA256 and xdr.json.
    let generated = fs::read_to_string(patched.join(GENERATED_RS))?;
    let recorded = recorded_hash(&generated)?;
    let (json_recorded, patched_defs) = definitions(&fs::read_to_string(patched.join(XDR_JSON))?)?;
    for (what, value) in [
        (format!("XDR_FILES_SHA256 in {GENERATED_RS}"), &recorded),
        (format!("the files list of {XDR_JSON}"), &json_recorded),
    ] {
        if *value != declared.patched_identity {
            problems.push(format!(
                "{what} records {value} for {XDR_FILE}; {DIFF} declares Patched-Identity {}",
                declared.patched_identity
            ));
        }
    }

    // The diff turns upstream's definitions into the patched xdr.json's, exactly.
    let join = |defs: &[(String, String)]| {
        defs.iter()
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let applied = apply_ignoring_blank_lines(&nonblank(&join(&upstream_defs)), &hunks(&diff)?)
        .with_context(|| format!("applying {DIFF} to upstream's definitions"))?;
    if applied != nonblank(&join(&patched_defs)) {
        problems.push(format!(
            "{DIFF} applied to upstream's definitions differs from the patched {XDR_JSON}"
        ));
    }

    // Each changed or new definition is quoted verbatim by its generated Rust type.
    let mut rust = String::new();
    for dir in [patched.join("src/generated"), overlay.join("src/generated")] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "rs") {
                rust.push_str(&fs::read_to_string(&path)?);
            }
        }
    }
    for (name, source) in &patched_defs {
        let unchanged = upstream_defs.iter().any(|(n, s)| n == name && s == source);
        if !unchanged && !rust.contains(&doc_quote(source)) {
            problems.push(format!(
                "no generated Rust type quotes the patched definition of {name} verbatim"
            ));
        }
    }
    Ok(problems)
}

/// `xdr-apply`: patches upstream's `Stellar-contract.x` (e.g. in core's XDR submodule) in
/// place or into `output`, refusing any file but the exact upstream one and checking the
/// result's identity against the header (which `check` ties to `XDR_FILES_SHA256`).
pub fn apply(repo: &Repo, file: &Path, output: Option<&Path>) -> Result<()> {
    let diff =
        fs::read_to_string(repo.root.join(DIFF)).with_context(|| format!("reading {DIFF}"))?;
    let declared = declared(&diff)?;
    let text = fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let identity = identity_hash(&text);
    if identity != declared.upstream_identity {
        if identity == declared.patched_identity {
            bail!("{} is already patched", file.display());
        }
        bail!(
            "{} is not upstream's Stellar-contract.x of stellar-xdr 27.0.0: identity {identity}, \
             expected {}",
            file.display(),
            declared.upstream_identity
        );
    }
    // Exactly where the diff says: no fuzz, no offset, blank lines included (crate::patch).
    let contract = file_patch(&diff)?;
    if contract.old.as_deref() != Some("Stellar-contract.x") {
        bail!("{DIFF} patches {}, not Stellar-contract.x", contract.path());
    }
    let result = crate::patch::apply_hunks(text.as_bytes(), &contract.hunks)
        .map_err(|e| anyhow::anyhow!("{DIFF} does not apply exactly: {e}"))?;
    let result = String::from_utf8(result).context("the patched file is not UTF-8")?;
    let patched = identity_hash(&result);
    if patched != declared.patched_identity {
        bail!(
            "patched file has identity {patched}, {DIFF} declares {}",
            declared.patched_identity
        );
    }
    let dest = output.unwrap_or(file);
    // Replaced atomically, keeping its mode; through a symlink, its target is replaced.
    let (target, mode) = match fs::canonicalize(dest) {
        Ok(target) => {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&target)?.permissions().mode();
            (target, mode)
        }
        Err(_) => (dest.to_path_buf(), 0o644),
    };
    crate::util::write_atomic(&target, result.as_bytes(), mode)
        .with_context(|| format!("writing {}", dest.display()))?;
    println!(
        "patched {} -> {}\n  identity {identity} -> {patched}\n  sha256   {} -> {}",
        file.display(),
        dest.display(),
        sha256_bytes(text.as_bytes()),
        sha256_bytes(result.as_bytes())
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_ignores_whitespace_and_ifdef_blocks_but_keeps_else_branches() {
        let plain = "enum A\n{\n    X = 0\n};\n";
        let spaced = "enum A {\r\n\tX   = 0\n\n};";
        assert_eq!(identity_hash(plain), identity_hash(spaced));
        assert_eq!(identity_hash(plain), sha256_bytes(b"enumA{X=0};"));

        let gated = "enum A\n{\n    X = 0\n#ifdef FOO\n    , Y = 1\n#else\n};\n#endif\n";
        // The #ifdef branch goes, the #else branch stays: `enum A { X = 0 };`.
        assert_eq!(identity_hash(gated), identity_hash(plain));
        // Any other change of a non-blank character changes it.
        assert_ne!(
            identity_hash(plain),
            identity_hash("enum A\n{\n    X = 1\n};\n")
        );
    }

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    fn hunk(spec: &[(char, &str)]) -> Hunk {
        spec.iter().map(|(c, l)| (*c, l.to_string())).collect()
    }

    #[test]
    fn hunks_apply_across_a_different_blank_line_layout() {
        // Upstream has the two typedefs on adjacent lines; the base rebuilt from
        // definitions does not know that. Blank lines never decide a match.
        let base = lines("typedef int A;\ntypedef int B;\nstruct S {\n    A a;\n};");
        let h = hunk(&[
            (' ', "typedef int A;"),
            ('+', ""),
            ('+', "typedef int C;"),
            (' ', "typedef int B;"),
            (' ', ""),
            (' ', "struct S {"),
        ]);
        let out = apply_ignoring_blank_lines(&base, &[h]).unwrap();
        assert_eq!(
            out,
            lines("typedef int A;\ntypedef int C;\ntypedef int B;\nstruct S {\n    A a;\n};")
        );
    }

    #[test]
    fn a_hunk_that_does_not_match_or_matches_twice_is_refused() {
        let base = lines("x;\ny;\nx;\ny;");
        let twice = hunk(&[(' ', "x;"), ('-', "y;")]);
        let err = apply_ignoring_blank_lines(&base, &[twice]).unwrap_err();
        assert!(err.to_string().contains("2 times"), "{err}");
        let missing = hunk(&[(' ', "z;"), ('+', "w;")]);
        let err = apply_ignoring_blank_lines(&base, &[missing]).unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
    }

    #[test]
    fn the_header_declares_all_four_hashes() {
        let diff = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(DIFF),
        )
        .unwrap();
        let d = declared(&diff).unwrap();
        for h in [
            &d.upstream_identity,
            &d.upstream_sha256,
            &d.patched_identity,
            &d.patched_sha256,
        ] {
            assert_eq!(h.len(), 64, "{h}");
            assert!(h.bytes().all(|b| b.is_ascii_hexdigit()), "{h}");
        }
        assert_ne!(d.upstream_identity, d.patched_identity);
        assert!(hunks(&diff).unwrap().len() >= 4);
    }
}
