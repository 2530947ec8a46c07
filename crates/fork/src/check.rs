//! `check`: everything CI should insist on about the pins, the series and the overlay.

use std::collections::HashMap;
use std::fs;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::extract::extract_crate;
use crate::pins::verified_crate_files;
use crate::repo::Repo;
use crate::series::{apply_strict, check_header, parse_diff};
use crate::tree::{check_overlay, scan, OnDisk};

/// The crate whose series must agree with `xdr/Stellar-contract.x.diff`.
const XDR_CRATE: &str = "stellar-xdr";

/// Files this small are too generic (a one-line `mod.rs`, an empty test) to count as copied.
const MIN_COPY_SIZE: u64 = 64;

fn is_license(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_uppercase();
    base.starts_with("LICENSE") || base.starts_with("COPYING")
}

/// One row of the series table.
struct Row {
    krate: String,
    patch: String,
    files: usize,
    added: usize,
    removed: usize,
}

/// Runs every check, printing all problems before failing, so one run shows everything to fix.
pub fn check(repo: &Repo) -> Result<()> {
    let lock = repo.lock()?;
    let mut failures: Vec<String> = Vec::new();

    // (a) Pins. Everything else needs the pristine sources, so this one is fatal at once.
    let crate_files =
        verified_crate_files(&repo.cargo_home, &lock.crates).context("pin check failed")?;
    println!("pins: {} crate(s) match fork.lock", lock.crates.len());

    let mut pristine_by_hash: HashMap<String, String> = HashMap::new();
    let mut rows = Vec::new();
    for (pin, crate_file) in lock.crates.iter().zip(&crate_files) {
        let spec = repo.spec(pin)?;
        let tmp = tempfile::tempdir().context("creating a temp dir")?;
        let dir = tmp.path();
        extract_crate(crate_file, pin, dir)?;
        let pristine = scan(dir)?;
        for (path, entry) in &pristine {
            if let OnDisk::File(sha) = entry {
                let big = fs::metadata(dir.join(path))?.len() >= MIN_COPY_SIZE;
                if big && !is_license(path) {
                    pristine_by_hash
                        .insert(sha.clone(), format!("{} {}/{path}", pin.name, pin.version));
                }
            }
        }

        // (d) Overlay shadowing.
        if let Err(e) = check_overlay(&spec, &pristine.keys().cloned().collect()) {
            failures.push(format!("{e:#}"));
        }

        // (g) below needs stellar-xdr's XDR identity and definitions as upstream has them.
        let xdr_pristine = if pin.name == XDR_CRATE {
            Some(crate::xdr::Pristine::read(dir)?)
        } else {
            None
        };

        // (b) Strict application on a pristine tree, (c) DEP-3 headers and git's diff
        // format, (f) statistics.
        let mut applied = true;
        for patch in &spec.series {
            let shown = format!("crates/{}/patches/{}", pin.name, patch.name);
            if let Err(e) = check_header(&patch.content) {
                failures.push(format!("{shown}: {e:#}"));
            }
            match parse_diff(&patch.content) {
                Ok(files) => {
                    // One diff format for every patch, the one `save` writes.
                    for f in files.iter().filter(|f| !f.git) {
                        failures.push(format!(
                            "{shown}: {} has no `diff --git` line before its `---`/`+++`",
                            f.path()
                        ));
                    }
                    rows.push(Row {
                        krate: pin.name.clone(),
                        patch: patch.name.clone(),
                        files: files.len(),
                        added: files.iter().map(|f| f.added).sum(),
                        removed: files.iter().map(|f| f.removed).sum(),
                    })
                }
                Err(e) => failures.push(format!("{shown}: {e:#}")),
            }
            if let Err(e) = apply_strict(dir, patch) {
                // Later patches build on this one; applying them would only add noise.
                failures.push(format!("{shown}: {e:#}"));
                applied = false;
                break;
            }
        }

        // (g) The .x diff for stellar-core, the series' XDR identity and its definitions
        // agree with each other and with upstream's.
        if let (Some(pristine), true) = (&xdr_pristine, applied) {
            let problems = crate::xdr::check(repo, pristine, dir, &spec.overlay_root);
            if problems.is_empty() {
                println!("xdr: {} matches the stellar-xdr series", crate::xdr::DIFF);
            }
            failures.extend(problems);
        }
        if spec.series.is_empty() {
            rows.push(Row {
                krate: pin.name.clone(),
                patch: "(no patches)".into(),
                files: 0,
                added: 0,
                removed: 0,
            });
        }
    }

    // (h) stellar-core's series (no core sources here: names, headers, diff shape).
    let core_problems = crate::core::check_series(repo);
    if core_problems.is_empty() {
        println!(
            "core: {} and {} are well-formed",
            crate::core::BASE_DIR,
            crate::core::PRODUCTION_DIR
        );
    }
    failures.extend(core_problems);

    // (e) No tracked file may be a verbatim copy of upstream code: upstream changes go in
    // patches, so the repo holds only our diffs and our own files.
    match copied_files(repo, &pristine_by_hash) {
        Ok(copies) => failures.extend(copies),
        Err(e) => failures.push(format!("{e:#}")),
    }

    print_table(&rows);
    if !failures.is_empty() {
        eprintln!("\ncheck found {} problem(s):", failures.len());
        for f in &failures {
            eprintln!("- {}", f.replace('\n', "\n  "));
        }
        bail!("check failed");
    }
    println!("check: ok");
    Ok(())
}

fn copied_files(repo: &Repo, pristine_by_hash: &HashMap<String, String>) -> Result<Vec<String>> {
    let output = Command::new("git")
        .arg("-C")
        .arg(&repo.root)
        .args(["ls-files", "-z"])
        .output()
        .context("running git ls-files")?;
    if !output.status.success() {
        bail!(
            "git ls-files failed in {}: {}",
            repo.root.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let mut copies = Vec::new();
    for path in output.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(path);
        let full = repo.root.join(path.as_ref());
        // Deleted-but-tracked files and symlinks are not copies.
        let Ok(meta) = fs::symlink_metadata(&full) else {
            continue;
        };
        if !meta.is_file() || meta.len() < MIN_COPY_SIZE || is_license(&path) {
            continue;
        }
        if let Some(upstream) = pristine_by_hash.get(&crate::util::sha256_file(&full)?) {
            copies.push(format!("{path} is a verbatim copy of {upstream}"));
        }
    }
    Ok(copies)
}

fn print_table(rows: &[Row]) {
    let kw = rows
        .iter()
        .map(|r| r.krate.len())
        .chain([5])
        .max()
        .unwrap_or(5);
    let pw = rows
        .iter()
        .map(|r| r.patch.len())
        .chain([5])
        .max()
        .unwrap_or(5);
    println!(
        "\n{:<kw$}  {:<pw$}  {:>5}  {:>7}  {:>7}",
        "crate", "patch", "files", "added", "removed"
    );
    for r in rows {
        println!(
            "{:<kw$}  {:<pw$}  {:>5}  {:>7}  {:>7}",
            r.krate,
            r.patch,
            r.files,
            format!("+{}", r.added),
            format!("-{}", r.removed)
        );
    }
}
