//! `materialize` and `status`.

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::pins::verified_crate_files;
use crate::repo::{CrateSpec, Repo};
use crate::state::{CrateState, State};
use crate::sync::{sync, unsaved};
use crate::tree::{build_target, scan, OnDisk};

/// A crate whose materialized tree is not known to be current.
struct Stale {
    spec: CrateSpec,
    dest: PathBuf,
    disk: std::collections::BTreeMap<String, OnDisk>,
}

/// Brings every pinned crate's materialized tree up to date. Returns without touching
/// anything when each crate's stamp and tree on disk match the state file (the fast path);
/// otherwise rebuilds the stale crates in temp dirs, refuses (unless `force`) if that would
/// overwrite edits not recorded by `save`, and syncs only what differs.
pub fn materialize(repo: &mut Repo, force: bool) -> Result<()> {
    let started = Instant::now();
    fs::create_dir_all(&repo.mat).with_context(|| format!("creating {}", repo.mat.display()))?;
    repo.mat = repo
        .mat
        .canonicalize()
        .with_context(|| format!("resolving {}", repo.mat.display()))?;
    let lock = repo.lock()?;
    let mut state = State::load(&repo.mat)?;

    let mut stale = Vec::new();
    for pin in &lock.crates {
        let spec = repo.spec(pin)?;
        let dest = repo.mat_crate(&pin.name);
        let disk = scan(&dest)?;
        let current = state
            .crates
            .get(&pin.name)
            .is_some_and(|cs| cs.stamp == spec.stamp() && cs.matches(&disk));
        if !current {
            stale.push(Stale { spec, dest, disk });
        }
    }
    let forgotten: Vec<String> = state
        .crates
        .keys()
        .filter(|name| lock.get(name).is_err())
        .cloned()
        .collect();
    for name in &forgotten {
        eprintln!(
            "warning: {name} is no longer in fork.lock; remove {} by hand",
            repo.mat_crate(name).display()
        );
        state.crates.remove(name);
    }
    if stale.is_empty() {
        if !forgotten.is_empty() {
            state.save(&repo.mat)?;
        }
        println!("up to date ({:.2}s)", started.elapsed().as_secs_f64());
        return Ok(());
    }

    let pins: Vec<_> = stale.iter().map(|s| s.spec.pin.clone()).collect();
    let crate_files = verified_crate_files(&repo.cargo_home, &pins)?;
    let mut targets = Vec::new();
    for (s, crate_file) in stale.iter().zip(&crate_files) {
        targets.push(build_target(&s.spec, crate_file, &s.dest)?);
    }

    // Check every crate before touching any, so a refusal leaves everything as it was.
    let mut blocked = Vec::new();
    for (s, target) in stale.iter().zip(&targets) {
        let name = &s.spec.pin.name;
        for edit in unsaved(&s.disk, state.crates.get(name), Some(target)) {
            blocked.push(format!("  {name}: {edit}"));
        }
    }
    if !blocked.is_empty() {
        if !force {
            bail!(
                "materialized/ has unsaved edits that materialize would overwrite:\n{}\n\
                 Record them with `cargo fork save <crate>` (new files go in crates/<crate>/), \
                 or discard them with `cargo fork materialize --force`.",
                blocked.join("\n")
            );
        }
        eprintln!(
            "discarding unsaved edits (--force):\n{}",
            blocked.join("\n")
        );
    }

    for (s, target) in stale.iter().zip(&targets) {
        let report = sync(target, &s.dest, &s.disk)
            .with_context(|| format!("syncing {}", s.dest.display()))?;
        state
            .crates
            .insert(s.spec.pin.name.clone(), CrateState::new(&s.spec, target));
        // Saved after each crate so an interrupted run still knows what it wrote.
        state.save(&repo.mat)?;
        println!(
            "{} {}: {} patch(es), {} overlay file(s): {report}",
            s.spec.pin.name,
            s.spec.pin.version,
            s.spec.series.len(),
            s.spec.overlay.len()
        );
    }
    println!("materialized in {:.2}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Prints, per crate, the series and overlay sizes and the state of the materialized tree.
/// Reads only the working tree and the state file; never fetches or builds.
pub fn status(repo: &Repo) -> Result<()> {
    let lock = repo.lock()?;
    let state = State::load(&repo.mat)?;
    for pin in &lock.crates {
        let spec = repo.spec(pin)?;
        let dest = repo.mat_crate(&pin.name);
        let disk = scan(&dest)?;
        println!(
            "{} {}: {} patch(es), {} overlay file(s)",
            pin.name,
            pin.version,
            spec.series.len(),
            spec.overlay.len()
        );
        let Some(recorded) = state.crates.get(&pin.name) else {
            if disk.is_empty() {
                println!("  not materialized (run `cargo fork materialize`)");
            } else {
                println!("  not materialized by cargo fork (no manifest); `cargo fork materialize` will adopt it");
            }
            continue;
        };
        let edits = unsaved(&disk, Some(recorded), None);
        if !edits.is_empty() {
            println!("  unsaved edits (`cargo fork save {}`):", pin.name);
            for edit in edits {
                println!("    {edit}");
            }
        } else if recorded.stamp != spec.stamp() {
            println!("  stale: the series or overlay changed (run `cargo fork materialize`)");
        } else if !recorded.matches(&disk) {
            println!("  overlay links missing or changed (run `cargo fork materialize`)");
        } else {
            println!("  up to date");
        }
    }
    Ok(())
}
