//! Writes the seed corpus: `seeds [DIR]` (default: `fuzz/corpus` next to this
//! crate) gets `<target>/seed-*` for every target. Deterministic: rerunning it
//! rewrites the same bytes (`tests/replay.rs` checks the committed files).

use std::{fs, path::PathBuf};

fn main() -> std::io::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus"));
    for (target, seeds) in extref_fuzz_targets::seeds::all() {
        let dir = dir.join(target);
        fs::create_dir_all(&dir)?;
        for (name, bytes) in &seeds {
            fs::write(dir.join(name), bytes)?;
        }
        println!("{}: {} seeds", dir.display(), seeds.len());
    }
    Ok(())
}
