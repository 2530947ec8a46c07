//! Unpacking a pristine `.crate` (a tar.gz whose entries live under `NAME-VERSION/`).

use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;

use crate::pins::Pin;

/// Extracts `crate_file` into `dest` (which must exist), dropping the `NAME-VERSION/` prefix.
/// Only regular files and directories are accepted; anything else, or a path that would
/// escape `dest`, is an error rather than something to trust.
pub fn extract_crate(crate_file: &Path, pin: &Pin, dest: &Path) -> Result<()> {
    let file =
        fs::File::open(crate_file).with_context(|| format!("opening {}", crate_file.display()))?;
    let mut archive = tar::Archive::new(GzDecoder::new(file));
    let prefix = pin.archive_prefix();
    let entries = archive
        .entries()
        .with_context(|| format!("reading {}", crate_file.display()))?;
    for entry in entries {
        let mut entry = entry.with_context(|| format!("reading {}", crate_file.display()))?;
        let path = entry.path()?.into_owned();
        let rel = strip_prefix(&path, &prefix).with_context(|| {
            format!(
                "{}: unexpected entry {}",
                crate_file.display(),
                path.display()
            )
        })?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let out = dest.join(&rel);
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if let Some(parent) = out.parent() {
                    fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
                entry
                    .unpack(&out)
                    .with_context(|| format!("extracting {}", out.display()))?;
            }
            other => bail!(
                "{}: entry {} has unsupported type {other:?}",
                crate_file.display(),
                path.display()
            ),
        }
    }
    Ok(())
}

fn strip_prefix(path: &Path, prefix: &str) -> Option<PathBuf> {
    let mut components = path.components();
    match components.next() {
        Some(Component::Normal(first)) if first == prefix => {}
        _ => return None,
    }
    let rest: PathBuf = components.as_path().to_path_buf();
    rest.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(rest)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Builds a `.crate`-like tar.gz from `(path, content)` pairs; used by other modules' tests.
    pub fn make_crate(dir: &Path, pin: &Pin, files: &[(&str, &str)]) -> PathBuf {
        let path = dir.join(pin.crate_file_name());
        let gz = flate2::write::GzEncoder::new(
            fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        let mut builder = tar::Builder::new(gz);
        for (name, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(1_153_704_088); // 2006, like crates.io packages
            header.set_cksum();
            builder
                .append_data(
                    &mut header,
                    format!("{}/{name}", pin.archive_prefix()),
                    content.as_bytes(),
                )
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        path
    }

    pub fn pin(name: &str) -> Pin {
        Pin {
            name: name.into(),
            version: "1.0.0".into(),
            sha256: "0".repeat(64),
        }
    }

    #[test]
    fn extracts_without_prefix() {
        let tmp = tempfile::tempdir().unwrap();
        let p = pin("demo");
        let file = make_crate(tmp.path(), &p, &[("Cargo.toml", "x"), ("src/lib.rs", "y")]);
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        extract_crate(&file, &p, &out).unwrap();
        assert_eq!(fs::read_to_string(out.join("src/lib.rs")).unwrap(), "y");
        assert_eq!(fs::read_to_string(out.join("Cargo.toml")).unwrap(), "x");
    }

    #[test]
    fn rejects_foreign_prefix() {
        let tmp = tempfile::tempdir().unwrap();
        let file = make_crate(tmp.path(), &pin("other"), &[("a", "b")]);
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        assert!(extract_crate(&file, &pin("demo"), &out).is_err());
    }
}
