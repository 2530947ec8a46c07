//! End-to-end tests of the subcommands on small synthetic repos: a fake `.crate` in a fake
//! `CARGO_HOME`, a `fork.lock` pinning it, patches and overlay files written by the tests.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::extract::tests::{make_crate, pin};
use crate::materialize::materialize;
use crate::repo::Repo;
use crate::save::save;
use crate::state::State;

fn numbered(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} line {i}\n")).collect()
}

struct Fixture {
    _tmp: tempfile::TempDir,
    repo: Repo,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let root = base.join("repo");
        let home = base.join("home");
        let cache = home.join("registry/cache/index.crates.io-0123456789abcdef");
        fs::create_dir_all(&cache).unwrap();
        fs::create_dir_all(&root).unwrap();
        let mut p = pin("demo");
        let lib = numbered("lib", 30);
        let other = numbered("other", 30);
        let file = make_crate(
            &cache,
            &p,
            &[
                ("Cargo.toml", "[package]\nname = \"demo\"\n"),
                ("src/lib.rs", &lib),
                ("src/other.rs", &other),
                ("env.json", "{\"a\": 1}\n"),
            ],
        );
        p.sha256 = crate::util::sha256_file(&file).unwrap();
        fs::write(
            root.join("fork.lock"),
            format!(
                "[[crate]]\nname = \"{}\"\nversion = \"{}\"\nsha256 = \"{}\"\n",
                p.name, p.version, p.sha256
            ),
        )
        .unwrap();
        let repo = Repo {
            mat: root.join("materialized"),
            root,
            cargo_home: home,
        };
        Fixture { _tmp: tmp, repo }
    }

    fn mat(&self, rel: &str) -> PathBuf {
        self.repo.mat.join("demo").join(rel)
    }

    fn krate(&self, rel: &str) -> PathBuf {
        self.repo.root.join("crates/demo").join(rel)
    }

    fn write(&self, path: PathBuf, content: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    fn materialize(&mut self, force: bool) -> anyhow::Result<()> {
        materialize(&mut self.repo, force)
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.mat(rel)).unwrap()
    }

    fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from));
        fs::write(self.mat(rel), text.replacen(from, to, 1)).unwrap();
    }
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

fn set_old_mtime(path: &Path) -> SystemTime {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_153_704_088);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    old
}

const PATCH_OTHER: &str = "Description: tweak other\nAuthor: t\n\ndiff --git a/src/other.rs b/src/other.rs\n--- a/src/other.rs\n+++ b/src/other.rs\n@@ -9,7 +9,7 @@\n other line 9\n other line 10\n other line 11\n-other line 12\n+other line twelve\n other line 13\n other line 14\n other line 15\n";

#[test]
fn materialize_builds_tree_with_relative_overlay_links() {
    let mut f = Fixture::new();
    f.write(f.krate("src/extra.rs"), "// ours\n");
    f.write(f.krate("patches/0001-other.patch"), PATCH_OTHER);
    f.materialize(false).unwrap();

    assert!(f.read("src/other.rs").contains("other line twelve\n"));
    let link = fs::read_link(f.mat("src/extra.rs")).unwrap();
    assert_eq!(link, PathBuf::from("../../../crates/demo/src/extra.rs"));
    assert_eq!(f.read("src/extra.rs"), "// ours\n");
    // Editing through the link edits the tracked file.
    fs::write(f.mat("src/extra.rs"), "// edited\n").unwrap();
    assert_eq!(
        fs::read_to_string(f.krate("src/extra.rs")).unwrap(),
        "// edited\n"
    );
    // Fresh mtimes, not the archive's 2006.
    assert!(mtime(&f.mat("src/lib.rs")) > SystemTime::now() - Duration::from_secs(600));
    assert!(!f.mat("patches").exists());
}

#[test]
fn resync_keeps_mtimes_of_unchanged_files_and_refreshes_changed_ones() {
    let mut f = Fixture::new();
    f.materialize(false).unwrap();
    let old_lib = set_old_mtime(&f.mat("src/lib.rs"));
    set_old_mtime(&f.mat("src/other.rs"));

    f.materialize(false).unwrap(); // no-op
    assert_eq!(mtime(&f.mat("src/lib.rs")), old_lib);

    f.write(f.krate("patches/0001-other.patch"), PATCH_OTHER);
    f.write(f.krate("src/extra.rs"), "// ours\n");
    f.materialize(false).unwrap();
    assert_eq!(
        mtime(&f.mat("src/lib.rs")),
        old_lib,
        "unchanged file was rewritten"
    );
    assert!(
        mtime(&f.mat("src/other.rs")) > old_lib,
        "changed file kept its old mtime"
    );
    assert!(f.read("src/other.rs").contains("twelve"));

    // Dropping the patch and the overlay file restores the pristine file and removes the link.
    fs::remove_file(f.krate("patches/0001-other.patch")).unwrap();
    fs::remove_file(f.krate("src/extra.rs")).unwrap();
    f.materialize(false).unwrap();
    assert!(!f.read("src/other.rs").contains("twelve"));
    assert!(fs::symlink_metadata(f.mat("src/extra.rs")).is_err());
    assert_eq!(mtime(&f.mat("src/lib.rs")), old_lib);
}

#[test]
fn unsaved_edits_are_refused_without_force() {
    let mut f = Fixture::new();
    f.materialize(false).unwrap();
    f.edit("src/lib.rs", "lib line 3\n", "lib line three\n");
    f.write(f.mat("src/stray.rs"), "// new\n");

    let err = format!("{:#}", f.materialize(false).unwrap_err());
    assert!(err.contains("modified: src/lib.rs"), "{err}");
    assert!(err.contains("new file: src/stray.rs"), "{err}");
    assert!(
        f.read("src/lib.rs").contains("lib line three"),
        "edit was lost"
    );

    // Also when the series changed underneath.
    f.write(f.krate("patches/0001-other.patch"), PATCH_OTHER);
    assert!(f.materialize(false).is_err());
    assert!(
        f.read("src/lib.rs").contains("lib line three"),
        "edit was lost"
    );

    f.materialize(true).unwrap();
    assert!(!f.read("src/lib.rs").contains("lib line three"));
    assert!(!f.mat("src/stray.rs").exists());
    assert!(f.read("src/other.rs").contains("twelve"));
}

#[test]
fn top_level_git_dir_is_left_alone() {
    let mut f = Fixture::new();
    f.materialize(false).unwrap();
    f.write(f.mat(".git/HEAD"), "ref: refs/heads/main\n");
    f.materialize(false).unwrap();
    f.write(f.krate("patches/0001-other.patch"), PATCH_OTHER);
    f.materialize(true).unwrap();
    assert_eq!(f.read(".git/HEAD"), "ref: refs/heads/main\n");
}

#[test]
fn save_then_materialize_is_a_noop_and_reproduces_the_edit() {
    let mut f = Fixture::new();
    f.write(f.krate("src/extra.rs"), "// ours\n");
    f.materialize(false).unwrap();
    f.edit("src/lib.rs", "lib line 20\n", "lib line twenty\n");
    f.edit("env.json", "1", "2");

    save(&f.repo, "demo", Some("0001-test.patch")).unwrap();
    let patch = fs::read_to_string(f.krate("patches/0001-test.patch")).unwrap();
    assert!(patch.starts_with("Description: TODO\nAuthor: soroban-extref\nForwarded: not-needed\n"));
    assert!(
        patch.contains("diff --git a/env.json b/env.json\n--- a/env.json\n+++ b/env.json\n"),
        "{patch}"
    );
    assert!(
        patch.contains("--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -17,7 +17,7 @@\n"),
        "{patch}"
    );
    assert!(
        patch.find("env.json") < patch.find("src/lib.rs"),
        "files not sorted"
    );

    let lib = f.mat("src/lib.rs");
    let old = set_old_mtime(&lib);
    let state_before = fs::read_to_string(State::path(&f.repo.mat)).unwrap();
    f.materialize(false).unwrap();
    assert_eq!(mtime(&lib), old, "materialize after save was not a no-op");
    assert_eq!(
        fs::read_to_string(State::path(&f.repo.mat)).unwrap(),
        state_before
    );

    fs::remove_dir_all(&f.repo.mat).unwrap();
    f.materialize(false).unwrap();
    assert!(f.read("src/lib.rs").contains("lib line twenty\n"));
    assert_eq!(f.read("env.json"), "{\"a\": 2}\n");
}

#[test]
fn save_preserves_the_dep3_header_and_refreshes_the_last_patch() {
    let mut f = Fixture::new();
    f.write(f.krate("patches/0001-other.patch"), PATCH_OTHER);
    f.materialize(false).unwrap();
    f.edit("src/other.rs", "other line 28\n", "other line 28 changed\n");

    save(&f.repo, "demo", None).unwrap();
    let patch = fs::read_to_string(f.krate("patches/0001-other.patch")).unwrap();
    assert!(
        patch.starts_with(
            "Description: tweak other\nAuthor: t\n\ndiff --git a/src/other.rs b/src/other.rs\n\
             --- a/src/other.rs\n"
        ),
        "{patch}"
    );
    assert!(patch.contains("+other line twelve\n") && patch.contains("+other line 28 changed\n"));
    f.materialize(false).unwrap();
    crate::materialize::status(&f.repo).unwrap();
}

#[test]
fn save_refuses_the_middle_of_the_stack_new_files_and_empty_diffs() {
    let mut f = Fixture::new();
    f.write(f.krate("patches/0001-other.patch"), PATCH_OTHER);
    f.write(
        f.krate("patches/0002-lib.patch"),
        "Description: lib\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n-lib line 1\n+LIB LINE 1\n lib line 2\n lib line 3\n",
    );
    f.materialize(false).unwrap();

    let err = format!(
        "{:#}",
        save(&f.repo, "demo", Some("0001-other.patch")).unwrap_err()
    );
    assert!(err.contains("re-ordering"), "{err}");
    let err = format!(
        "{:#}",
        save(&f.repo, "demo", Some("0001-new.patch")).unwrap_err()
    );
    assert!(err.contains("middle of the series"), "{err}");
    let err = format!(
        "{:#}",
        save(&f.repo, "demo", Some("0003-new.patch")).unwrap_err()
    );
    assert!(err.contains("nothing to save"), "{err}");

    f.write(f.mat("src/new.rs"), "// new\n");
    let err = format!("{:#}", save(&f.repo, "demo", None).unwrap_err());
    assert!(
        err.contains("overlay") && err.contains("crates/demo/src/new.rs"),
        "{err}"
    );
}

#[test]
fn save_handles_deletions_and_missing_final_newlines() {
    let mut f = Fixture::new();
    f.materialize(false).unwrap();
    fs::remove_file(f.mat("src/other.rs")).unwrap();
    let lib = f.read("src/lib.rs");
    fs::write(f.mat("src/lib.rs"), lib.trim_end()).unwrap();

    save(&f.repo, "demo", Some("0001-trim.patch")).unwrap();
    let patch = fs::read_to_string(f.krate("patches/0001-trim.patch")).unwrap();
    assert!(
        patch.contains(
            "diff --git a/src/other.rs b/src/other.rs\ndeleted file mode 100644\n\
             --- a/src/other.rs\n+++ /dev/null\n"
        ),
        "{patch}"
    );
    assert!(patch.contains("\\ No newline at end of file"), "{patch}");

    fs::remove_dir_all(&f.repo.mat).unwrap();
    f.materialize(false).unwrap();
    assert!(!f.mat("src/other.rs").exists());
    assert_eq!(f.read("src/lib.rs"), lib.trim_end());
}

#[test]
fn overlay_shadowing_an_upstream_file_is_an_error() {
    let mut f = Fixture::new();
    f.write(f.krate("src/lib.rs"), "// shadow\n");
    let err = format!("{:#}", f.materialize(false).unwrap_err());
    assert!(
        err.contains("shadow") && err.contains("crates/demo/src/lib.rs"),
        "{err}"
    );
    assert!(!f.mat("src").exists());
}

#[test]
fn a_pin_mismatch_is_fatal() {
    let mut f = Fixture::new();
    let lock = fs::read_to_string(f.repo.root.join("fork.lock")).unwrap();
    let good = lock.split('"').nth(5).unwrap().to_string();
    let bad = lock.replace(&good, &"0".repeat(64));
    fs::write(f.repo.root.join("fork.lock"), bad).unwrap();
    let err = format!("{:#}", f.materialize(false).unwrap_err());
    assert!(err.contains("sha256 mismatch"), "{err}");
}

#[test]
fn check_reports_copies_of_upstream_files_and_todo_descriptions() {
    let mut f = Fixture::new();
    let root = f.repo.root.clone();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    f.write(f.krate("patches/0001-other.patch"), PATCH_OTHER);
    // `check` also checks stellar-core's series (`core/`): a well-formed one of one patch.
    for dir in [crate::core::BASE_DIR, crate::core::PRODUCTION_DIR] {
        f.write(
            root.join(dir).join("0001-core.patch"),
            "Description: d\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n",
        );
    }
    git(&["add", "."]);
    crate::check::check(&f.repo).unwrap();

    f.materialize(false).unwrap();
    fs::copy(f.mat("src/lib.rs"), f.repo.root.join("copied.rs")).unwrap();
    git(&["add", "copied.rs"]);
    assert!(crate::check::check(&f.repo).is_err());
    git(&["rm", "-q", "--cached", "copied.rs"]);

    f.write(
        f.krate("patches/0001-other.patch"),
        &PATCH_OTHER.replace("tweak other", "TODO"),
    );
    assert!(crate::check::check(&f.repo).is_err());

    // Every file diff needs its `diff --git` line, as `save` writes them.
    f.write(
        f.krate("patches/0001-other.patch"),
        &PATCH_OTHER.replace("diff --git a/src/other.rs b/src/other.rs\n", ""),
    );
    assert!(crate::check::check(&f.repo).is_err());
    f.write(f.krate("patches/0001-other.patch"), PATCH_OTHER);
    crate::check::check(&f.repo).unwrap();
}

#[test]
fn describing_a_saved_patch_does_not_block_the_next_save() {
    let mut f = Fixture::new();
    f.materialize(false).unwrap();
    f.edit("src/lib.rs", "lib line 5\n", "lib line five\n");
    save(&f.repo, "demo", Some("0001-five.patch")).unwrap();

    let path = f.krate("patches/0001-five.patch");
    let described = fs::read_to_string(&path)
        .unwrap()
        .replace("Description: TODO", "Description: spell five");
    fs::write(&path, &described).unwrap();
    f.edit("src/lib.rs", "lib line 25\n", "lib line twenty-five\n");
    save(&f.repo, "demo", None).unwrap();

    let patch = fs::read_to_string(&path).unwrap();
    assert!(patch.starts_with("Description: spell five\n"), "{patch}");
    assert!(patch.contains("+lib line five\n") && patch.contains("+lib line twenty-five\n"));
    f.materialize(false).unwrap();
}

#[test]
fn save_refuses_when_the_series_moved_since_materialize() {
    let mut f = Fixture::new();
    f.materialize(false).unwrap();
    f.edit("src/lib.rs", "lib line 5\n", "lib line five\n");
    f.write(f.krate("patches/0001-other.patch"), PATCH_OTHER);
    let err = format!(
        "{:#}",
        save(&f.repo, "demo", Some("0002-x.patch")).unwrap_err()
    );
    assert!(err.contains("changed since the last"), "{err}");
}

#[test]
fn edits_in_a_tree_without_manifest_can_be_saved_then_adopted() {
    let mut f = Fixture::new();
    f.materialize(false).unwrap();
    fs::remove_file(State::path(&f.repo.mat)).unwrap();
    f.edit("src/lib.rs", "lib line 7\n", "lib line seven\n");
    assert!(
        f.materialize(false).is_err(),
        "unmanaged edits were overwritten"
    );
    save(&f.repo, "demo", Some("0001-seven.patch")).unwrap();
    f.materialize(false).unwrap();
    assert!(f.read("src/lib.rs").contains("lib line seven\n"));
}
