//! `--changed-since` in the repositories CI gives it: a shallow clone (actions/checkout's
//! default), a base branch not fetched, no repository at all; and `--fetch`, which deepens the
//! history as far as the merge base.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use support::git;

mod support;

/// An origin repository: `main` with three migrations in three commits, and `feature`, which
/// adds a fourth on top.
fn origin() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    fs::create_dir(root.join("db")).unwrap();
    for (i, table) in ["cms_a", "cms_b", "cms_c"].iter().enumerate() {
        let sql = format!("CREATE TABLE {table} (id int PRIMARY KEY);\n");
        fs::write(root.join(format!("db/000{i}_{table}.sql")), sql).unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", table]);
    }
    git(root, &["checkout", "-q", "-b", "feature"]);
    fs::write(root.join("db/0003_drop.sql"), "DROP TABLE cms_a;\n").unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "drop"]);
    dir
}

/// A clone of `feature` as actions/checkout makes it: depth 1, one branch.
fn shallow_clone(origin: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.display());
    git(
        dir.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "feature", &url, "repo",
        ],
    );
    dir
}

fn lint(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("chronos-lint")
        .unwrap()
        .current_dir(dir)
        .args([
            "--format",
            "compact",
            "--no-cache",
            "--select",
            "drop-table",
        ])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn a_shallow_clone_says_how_to_fetch_and_fetch_deepens_it() {
    let origin = origin();
    let clone = shallow_clone(origin.path());
    let repo = clone.path().join("repo");
    // The base branch, fetched as shallow as the clone.
    git(
        &repo,
        &[
            "fetch",
            "-q",
            "--depth=1",
            "origin",
            "+refs/heads/main:refs/remotes/origin/main",
        ],
    );
    let (code, _, err) = lint(&repo, &["--changed-since", "origin/main", "db"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: --changed-since origin/main: the clone is shallow"),
        "{err}"
    );
    assert!(
        err.contains("fetch-depth: 0") && err.contains("git fetch --unshallow origin"),
        "{err}"
    );
    assert!(err.contains("--fetch"), "{err}");

    let (code, out, err) = lint(&repo, &["--changed-since", "origin/main", "--fetch", "db"]);
    assert_eq!(code, 1, "{err}");
    // 0000 is history (replayed), and 0003, the branch's own, is reported.
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("db/0003_drop.sql:1:12: error[drop-table]"),
        "{out}"
    );
}

#[test]
fn a_base_branch_not_fetched_is_named_with_the_command_and_fetch_gets_it() {
    let origin = origin();
    let clone = shallow_clone(origin.path());
    let repo = clone.path().join("repo");
    let (code, _, err) = lint(&repo, &["--changed-since", "origin/main", "db"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: --changed-since origin/main: "),
        "{err}"
    );
    assert!(
        err.contains("`git fetch origin main`") && err.contains("--fetch"),
        "{err}"
    );

    let (code, out, err) = lint(&repo, &["--changed-since", "origin/main", "--fetch", "db"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("db/0003_drop.sql"), "{out}");
}

#[test]
fn every_git_error_names_the_flag_and_the_ref() {
    let not_a_repo = tempfile::tempdir().unwrap();
    fs::create_dir(not_a_repo.path().join("db")).unwrap();
    fs::write(not_a_repo.path().join("db/0001.sql"), "SELECT 1;\n").unwrap();
    let (code, _, err) = lint(not_a_repo.path(), &["--changed-since", "main", "db"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: --changed-since main: "), "{err}");
    assert!(err.contains("not in a git repository"), "{err}");

    let origin = origin();
    let (code, _, err) = lint(origin.path(), &["--changed-since", "no-such-ref", "db"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: --changed-since no-such-ref: no such commit or branch"),
        "{err}"
    );

    // Unrelated histories: no merge base in a full clone either.
    let other = tempfile::tempdir().unwrap();
    git(other.path(), &["init", "-q", "-b", "main"]);
    fs::write(other.path().join("x"), "x").unwrap();
    git(other.path(), &["add", "-A"]);
    git(other.path(), &["commit", "-q", "-m", "x"]);
    let url = format!("file://{}", other.path().display());
    git(origin.path(), &["fetch", "-q", &url, "main:unrelated"]);
    let (code, _, err) = lint(origin.path(), &["--changed-since", "unrelated", "db"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(
            "error: --changed-since unrelated: `unrelated` and HEAD have no common history"
        ),
        "{err}"
    );

    let (code, _, err) = lint(origin.path(), &["--fetch", "db"]);
    assert_eq!(code, 2, "--fetch needs --changed-since");
    assert!(err.contains("--changed-since"), "{err}");
}
