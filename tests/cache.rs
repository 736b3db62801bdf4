//! The content-hash cache: a run served from it reports exactly what a run without it does,
//! after edits, configuration changes and damage too; an edit re-parses only the edited file.

mod support;

use std::fs;
use std::path::Path;

use assert_cmd::Command;

/// Runs chronos-lint in `dir` with JSON output; returns (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    output_of(
        Command::cargo_bin("chronos-lint")
            .unwrap()
            .current_dir(dir)
            .env("CHRONOS_CACHE_STATS", "1")
            .env_remove("CHRONOS_LINT_CACHE_DIR")
            .args(["--format", "json"])
            .args(args),
    )
}

fn output_of(command: &mut Command) -> (i32, String, String) {
    let output = command.output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// What a run without the cache reports.
fn uncached(dir: &Path, path: &str) -> (i32, String) {
    let (code, out, _) = run(dir, &["--no-cache", path]);
    (code, out)
}

/// A set of plain migrations in which later findings depend on earlier statements: tables
/// with foreign keys, an index that covers one of them later, renames and drops.
fn chained_migrations(dir: &Path, count: usize) {
    fs::create_dir_all(dir).unwrap();
    for n in 0..count {
        let sql = match n % 3 {
            0 => format!(
                "CREATE TABLE app_t{n} (id bigint PRIMARY KEY, parent_id bigint REFERENCES \
                 app_t0 (id), created_at timestamp);\n"
            ),
            1 => format!(
                "ALTER TABLE app_t{} ADD COLUMN note text NOT NULL;\nCREATE INDEX ON app_t{} \
                 (parent_id);\n",
                n - 1,
                n - 1
            ),
            _ => format!("ALTER TABLE app_t{} RENAME COLUMN note TO remark;\n", n - 2),
        };
        fs::write(dir.join(format!("{n:04}_step.sql")), sql).unwrap();
    }
}

fn stats(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|line| line.starts_with("cache: "))
        .unwrap_or_else(|| panic!("no cache figures in: {stderr}"))
}

#[test]
fn results_are_identical_with_and_without_the_cache() {
    let work = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    support::copy_dir(&root.join("fixtures"), &work.path().join("fixtures"));
    support::copy_dir(&root.join("migrations"), &work.path().join("migrations"));
    for path in ["fixtures", "migrations"] {
        let (code, expected) = uncached(work.path(), path);
        assert!(
            !expected.contains("\"diagnostics\": []"),
            "{path} has findings"
        );
        let (cold_code, cold, cold_err) = run(work.path(), &[path]);
        assert_eq!((cold_code, &cold), (code, &expected), "cold run of {path}");
        let parsed_all = format!("parsed {}", count(&cold_err));
        assert!(stats(&cold_err).ends_with(&parsed_all), "{cold_err}");
        let (warm_code, warm, warm_err) = run(work.path(), &[path]);
        assert_eq!((warm_code, &warm), (code, &expected), "warm run of {path}");
        assert!(
            stats(&warm_err).ends_with("trees reused for 0, parsed 0"),
            "{warm_err}"
        );
    }
    assert!(work.path().join(".chronos-lint-cache/v2").is_dir());
}

/// The number of migrations a stats line counts.
fn count(stderr: &str) -> String {
    stats(stderr)
        .trim_start_matches("cache: ")
        .split(' ')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn an_edit_relints_from_the_edited_migration_and_parses_only_it() {
    let work = tempfile::tempdir().unwrap();
    chained_migrations(&work.path().join("db"), 30);
    run(work.path(), &["db"]);
    let (_, _, warm_err) = run(work.path(), &["db"]);
    assert_eq!(
        stats(&warm_err),
        "cache: 30 migrations; findings reused for 30, trees reused for 0, parsed 0"
    );

    // Index the foreign key of app_t9 early: findings of later migrations change.
    let edited = work.path().join("db/0010_step.sql");
    let mut sql = fs::read_to_string(&edited).unwrap();
    sql.push_str("CREATE INDEX ON app_t9 (created_at);\n");
    fs::write(&edited, sql).unwrap();
    let (code, out, err) = run(work.path(), &["db"]);
    assert_eq!(
        stats(&err),
        "cache: 30 migrations; findings reused for 10, trees reused for 29, parsed 1"
    );
    assert_eq!((code, out), uncached(work.path(), "db"));

    // A new migration at the end: everything before it is reused.
    fs::write(
        work.path().join("db/0030_step.sql"),
        "DROP TABLE app_t3;\nALTER TABLE app_t0 ALTER COLUMN created_at TYPE timestamptz;\n",
    )
    .unwrap();
    let (code, out, err) = run(work.path(), &["db"]);
    assert_eq!(
        stats(&err),
        "cache: 31 migrations; findings reused for 30, trees reused for 30, parsed 1"
    );
    assert_eq!((code, out), uncached(work.path(), "db"));

    // An index that makes 0001's index on app_t0 redundant; then 0001 goes away, and with it
    // the finding about it, though the last migration's own text is unchanged.
    fs::write(
        work.path().join("db/0031_step.sql"),
        "CREATE INDEX CONCURRENTLY ON app_t0 (parent_id, created_at);\n",
    )
    .unwrap();
    let (_, out, _) = run(work.path(), &["db"]);
    let redundant = "makes index `app_t0_parent_id_idx`";
    assert!(out.contains(redundant), "{out}");
    fs::remove_file(work.path().join("db/0001_step.sql")).unwrap();
    let (code, out, err) = run(work.path(), &["db"]);
    assert!(stats(&err).ends_with("parsed 0"), "{err}");
    assert!(!out.contains(redundant), "{out}");
    assert_eq!((code, out), uncached(work.path(), "db"));
}

#[test]
fn a_configuration_change_is_not_served_from_the_cache() {
    let work = tempfile::tempdir().unwrap();
    chained_migrations(&work.path().join("db"), 9);
    let (_, before, _) = run(work.path(), &["db"]);
    fs::write(
        work.path().join("chronos-lint.toml"),
        "pg_version = 10\n\n[rules]\nfk-missing-index = \"error\"\nprefer-timestamptz = \"off\"\n",
    )
    .unwrap();
    let (code, after, err) = run(work.path(), &["db"]);
    assert!(stats(&err).contains("findings reused for 0"), "{err}");
    assert_ne!(before, after);
    assert_eq!((code, after), uncached(work.path(), "db"));
    // --select changes the rules that run, so it changes the key too.
    let (code, selected, _) = run(work.path(), &["--select", "add-column-required", "db"]);
    let (expected_code, expected, _) = run(
        work.path(),
        &["--no-cache", "--select", "add-column-required", "db"],
    );
    assert_eq!((code, selected), (expected_code, expected));
}

#[test]
fn a_damaged_cache_is_ignored() {
    let work = tempfile::tempdir().unwrap();
    chained_migrations(&work.path().join("db"), 12);
    run(work.path(), &["db"]);
    let expected = uncached(work.path(), "db");
    let files: Vec<_> = fs::read_dir(work.path().join(".chronos-lint-cache/v2"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    for damage in [
        |bytes: &mut Vec<u8>| bytes.truncate(bytes.len() / 2),
        |bytes: &mut Vec<u8>| {
            let middle = bytes.len() / 2;
            bytes[middle..].iter_mut().for_each(|byte| *byte = !*byte);
        },
        |bytes: &mut Vec<u8>| bytes.clear(),
    ] {
        // Damage the trees too: an edit makes the next run read them.
        for file in &files {
            let mut bytes = fs::read(file).unwrap();
            damage(&mut bytes);
            fs::write(file, bytes).unwrap();
        }
        let (code, out, err) = run(work.path(), &["db"]);
        assert_eq!((code, out), expected, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn the_cache_keeps_out_of_git_and_no_cache_writes_nothing() {
    let work = tempfile::tempdir().unwrap();
    chained_migrations(&work.path().join("db"), 3);
    run(work.path(), &["--no-cache", "db"]);
    assert!(!work.path().join(".chronos-lint-cache").exists());

    run(work.path(), &["db"]);
    let cache = work.path().join(".chronos-lint-cache");
    assert_eq!(
        fs::read_to_string(cache.join(".gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
    assert!(
        fs::read_to_string(cache.join("CACHEDIR.TAG"))
            .unwrap()
            .starts_with("Signature: 8a477f597d28d172789f06886806bc55")
    );
    git(work.path(), &["init", "-q"]);
    let untracked = git(
        work.path(),
        &["status", "--porcelain", "--untracked-files=all"],
    );
    assert!(untracked.contains("db/0000_step.sql"), "{untracked}");
    assert!(!untracked.contains("chronos-lint-cache"), "{untracked}");

    // --cache-dir puts it elsewhere; deleting it is safe.
    let elsewhere = tempfile::tempdir().unwrap();
    let dir = elsewhere.path().join("c");
    let (code, out, _) = run(work.path(), &["--cache-dir", dir.to_str().unwrap(), "db"]);
    assert!(dir.join("v2").is_dir());
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!((code, out), uncached(work.path(), "db"));
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// `--cache-dir .` in a repository: the repository gets no ignore file, which would hide it
/// from git; the cache's own subdirectory, which it created, ignores itself.
#[test]
fn a_directory_the_cache_did_not_create_gets_no_ignore_file() {
    let work = tempfile::tempdir().unwrap();
    chained_migrations(&work.path().join("db"), 3);
    fs::write(work.path().join("notes.txt"), "mine\n").unwrap();
    git(work.path(), &["init", "-q"]);
    let (code, out, _) = run(work.path(), &["--cache-dir", ".", "db"]);
    assert_eq!((code, out), uncached(work.path(), "db"));
    for mark in [".gitignore", "CACHEDIR.TAG"] {
        assert!(!work.path().join(mark).exists(), "{mark}");
        assert!(work.path().join("v2").join(mark).is_file(), "{mark}");
    }
    let status = git(
        work.path(),
        &["status", "--porcelain", "--untracked-files=all"],
    );
    assert_eq!(
        status,
        "?? db/0000_step.sql\n?? db/0001_step.sql\n?? db/0002_step.sql\n?? notes.txt\n"
    );
    let (_, _, err) = run(work.path(), &["--cache-dir", ".", "db"]);
    assert!(stats(&err).ends_with("parsed 0"), "{err}");

    // A directory that exists, made by someone else, stays as it was; and so does a layout
    // subdirectory of that name.
    let existing = work.path().join("existing");
    fs::create_dir_all(existing.join("v2")).unwrap();
    run(work.path(), &["--cache-dir", "existing", "db"]);
    let (_, _, err) = run(work.path(), &["--cache-dir", "existing", "db"]);
    assert!(stats(&err).ends_with("parsed 0"), "{err}");
    for mark in [".gitignore", "CACHEDIR.TAG"] {
        assert!(!existing.join(mark).exists(), "{mark}");
        assert!(!existing.join("v2").join(mark).exists(), "{mark}");
    }
}

/// A directory the cache creates, at any depth, is marked; the directories above it are not.
#[test]
fn a_directory_the_cache_creates_is_marked() {
    let work = tempfile::tempdir().unwrap();
    chained_migrations(&work.path().join("db"), 3);
    run(work.path(), &["--cache-dir", "build/lint-cache", "db"]);
    let created = work.path().join("build/lint-cache");
    assert!(created.join(".gitignore").is_file());
    assert!(created.join("CACHEDIR.TAG").is_file());
    assert!(!created.join("v2/.gitignore").exists());
    assert!(!work.path().join("build/.gitignore").exists());
}

/// `CHRONOS_LINT_CACHE_DIR=` (set to nothing) is as if it were not set.
#[test]
fn an_empty_cache_dir_variable_counts_as_unset() {
    let work = tempfile::tempdir().unwrap();
    chained_migrations(&work.path().join("db"), 3);
    let (code, out, err) = output_of(
        Command::cargo_bin("chronos-lint")
            .unwrap()
            .current_dir(work.path())
            .env("CHRONOS_CACHE_STATS", "1")
            .env("CHRONOS_LINT_CACHE_DIR", "")
            .args(["--format", "json", "db"]),
    );
    assert_eq!((code, out), uncached(work.path(), "db"), "{err}");
    assert!(stats(&err).ends_with("parsed 3"), "{err}");
    assert!(work.path().join(".chronos-lint-cache/v2").is_dir());
}
