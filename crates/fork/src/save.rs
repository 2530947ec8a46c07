//! `save`: turn the edits made in `materialized/<crate>/` into the last patch of the series
//! (the equivalent of `quilt refresh`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;

use anyhow::{bail, Context, Result};
use similar::TextDiff;

use crate::pins::verified_crate_files;
use crate::repo::Repo;
use crate::series::{header_template, parse_diff, split_header, validate_patch_name, Patch};
use crate::state::{CrateState, State};
use crate::tree::{build_target, build_tree, scan, OnDisk};

/// Which patch `save` writes, and where it sits in the series.
struct Choice {
    name: String,
    /// Patches applied before it: the base its diff is computed against.
    base: Vec<Patch>,
    /// The patch's current content, when it already exists.
    existing: Option<String>,
}

/// Only the last patch (or a new one after it) can be rewritten: changing a patch in the
/// middle of the stack would shift the context of every later patch.
fn choose(series: &[Patch], crate_name: &str, requested: Option<&str>) -> Result<Choice> {
    let last = series.last();
    let name = match (requested, last) {
        (Some(n), _) => n.to_string(),
        (None, Some(p)) => p.name.clone(),
        (None, None) => bail!(
            "{crate_name} has no patches yet; name the first one: \
             `cargo fork save {crate_name} --patch 0001-short-name.patch`"
        ),
    };
    validate_patch_name(&name)?;
    match series.iter().position(|p| p.name == name) {
        Some(i) if i + 1 == series.len() => Ok(Choice {
            name,
            base: series[..i].to_vec(),
            existing: Some(series[i].content.clone()),
        }),
        Some(_) => bail!(
            "{name} is not the last patch of the {crate_name} series (that is {}); \
             editing the middle of a stack needs re-ordering: save into a new last patch, \
             or reorder the series by hand",
            last.map_or("?", |p| &p.name)
        ),
        None => {
            if let Some(last) = last.filter(|l| name <= l.name) {
                bail!(
                    "a new patch {name} would sort before {}, i.e. into the middle of the series; \
                     pick a higher number",
                    last.name
                );
            }
            Ok(Choice {
                name,
                base: series.to_vec(),
                existing: None,
            })
        }
    }
}

fn read_text(path: &std::path::Path) -> Result<String> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{} is not UTF-8 text; binary changes cannot go in a patch",
            path.display()
        )
    })
}

fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

/// Writes the diff between (pristine + the patches before the chosen one) and the current
/// materialized tree into the chosen patch, in git's format (a `diff --git` line before each
/// file's `---`/`+++`, as `check` requires), then records the tree as the materialized state.
pub fn save(repo: &Repo, crate_name: &str, requested: Option<&str>) -> Result<()> {
    let lock = repo.lock()?;
    let pin = lock.get(crate_name)?.clone();
    let spec = repo.spec(&pin)?;
    let mut state = State::load(&repo.mat)?;
    match state.crates.get(crate_name) {
        // The diff is taken against the series as it is on disk now; if it differs from
        // what the tree was built from (e.g. after a pull), the patch would silently revert it.
        Some(recorded)
            if recorded.version != pin.version || recorded.patches != spec.patch_hashes() =>
        {
            bail!(
                "the {crate_name} pin or patch series changed since the last `cargo fork materialize`, \
                 so the materialized tree is not based on it; saving would undo those changes. \
                 Move your edits aside, run `cargo fork materialize --force`, and re-apply them."
            )
        }
        Some(_) => {}
        // A tree edited before the tool managed it: adopt it, so its edits can be saved
        // (materialize refuses to overwrite them).
        None => eprintln!(
            "warning: {} has no manifest; assuming it was built from the current series",
            repo.mat_crate(crate_name).display()
        ),
    }
    let choice = choose(&spec.series, crate_name, requested)?;

    let crate_file = verified_crate_files(&repo.cargo_home, std::slice::from_ref(&pin))?.remove(0);
    let tmp = tempfile::tempdir().context("creating a temp dir")?;
    let base_dir = tmp.path().join("base");
    build_tree(&spec, &crate_file, &choice.base, &base_dir)?;
    let base = scan(&base_dir)?;
    let dest = repo.mat_crate(crate_name);
    let disk = scan(&dest)?;
    let recorded_links = state.crates.get(crate_name).map(|r| r.links.keys());
    let overlay: BTreeSet<&String> = spec
        .overlay
        .iter()
        .chain(recorded_links.into_iter().flatten())
        .collect();

    let paths: BTreeSet<&String> = base
        .keys()
        .chain(
            disk.iter()
                .filter(|(_, e)| matches!(e, OnDisk::File(_)))
                .map(|(p, _)| p),
        )
        .collect();
    let mut diff = String::new();
    let mut new_files = Vec::new();
    for path in paths {
        match (base.get(path), disk.get(path)) {
            (Some(OnDisk::File(a)), Some(OnDisk::File(b))) if a == b => {}
            (Some(_), Some(OnDisk::File(_))) => {
                diff.push_str(&format!("diff --git a/{path} b/{path}\n"));
                diff.push_str(&unified(
                    &read_text(&base_dir.join(path))?,
                    &read_text(&dest.join(path))?,
                    &format!("a/{path}"),
                    &format!("b/{path}"),
                ))
            }
            (Some(_), None) => {
                let mode = fs::metadata(base_dir.join(path))?.permissions().mode();
                diff.push_str(&format!(
                    "diff --git a/{path} b/{path}\ndeleted file mode {}\n",
                    if mode & 0o111 != 0 {
                        "100755"
                    } else {
                        "100644"
                    }
                ));
                diff.push_str(&unified(
                    &read_text(&base_dir.join(path))?,
                    "",
                    &format!("a/{path}"),
                    "/dev/null",
                ))
            }
            (Some(_), Some(OnDisk::Link(_))) => {
                bail!("materialized/{crate_name}/{path} is an upstream file replaced by a symlink")
            }
            (None, Some(OnDisk::File(_))) if overlay.contains(path) => bail!(
                "materialized/{crate_name}/{path} should be a symlink to the overlay but is a \
                 regular file (an editor replaced it?); copy it to crates/{crate_name}/{path}"
            ),
            (None, _) => new_files.push(format!("  {path} -> crates/{crate_name}/{path}")),
        }
    }
    if !new_files.is_empty() {
        bail!(
            "new files cannot go in a patch; move them to the overlay:\n{}",
            new_files.join("\n")
        );
    }
    if diff.is_empty() {
        bail!(
            "materialized/{crate_name} has no changes on top of {}; nothing to save{}",
            if choice.base.is_empty() {
                "pristine".to_string()
            } else {
                format!("the patches before {}", choice.name)
            },
            if choice.existing.is_some() {
                format!(
                    " (to drop {}, delete it and run `cargo fork materialize --force`)",
                    choice.name
                )
            } else {
                String::new()
            }
        );
    }

    let header = match &choice.existing {
        Some(content) => split_header(content).0.to_string(),
        None => header_template(),
    };
    let patch_path = repo.patches_dir(crate_name).join(&choice.name);
    crate::util::write_atomic(&patch_path, format!("{header}{diff}").as_bytes(), 0o644)?;

    // Prove the new series reproduces the tree before recording it as materialized; on
    // failure put the old patch back.
    let verified = (|| -> Result<CrateState> {
        let spec = repo.spec(&pin)?;
        let target = build_target(&spec, &crate_file, &dest)?;
        let built: BTreeMap<&String, &String> =
            target.files.iter().map(|(p, f)| (p, &f.sha256)).collect();
        let on_disk: BTreeMap<&String, &String> = disk
            .iter()
            .filter_map(|(p, e)| match e {
                OnDisk::File(sha) => Some((p, sha)),
                OnDisk::Link(_) => None,
            })
            .collect();
        if built != on_disk {
            bail!("internal error: the saved series does not reproduce materialized/{crate_name}");
        }
        Ok(CrateState::new(&spec, &target))
    })();
    let new_state = match verified {
        Ok(s) => s,
        Err(e) => {
            match &choice.existing {
                Some(old) => crate::util::write_atomic(&patch_path, old.as_bytes(), 0o644)?,
                None => fs::remove_file(&patch_path)?,
            }
            return Err(e.context(format!("{} left unchanged", patch_path.display())));
        }
    };
    state.crates.insert(crate_name.to_string(), new_state);
    state.save(&repo.mat)?;

    println!(
        "{} {}",
        if choice.existing.is_some() {
            "refreshed"
        } else {
            "created"
        },
        patch_path
            .strip_prefix(&repo.root)
            .unwrap_or(&patch_path)
            .display()
    );
    for file in parse_diff(&diff)? {
        println!("  {:<60} +{} -{}", file.path(), file.added, file.removed);
    }
    if choice.existing.is_none() {
        println!("fill in its Description: header (`cargo fork check` requires it)");
    }
    Ok(())
}
