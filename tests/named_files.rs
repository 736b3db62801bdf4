//! Files named on the command line (as pre-commit and lint-staged pass them), standard input,
//! `--exclude` and ignore files: what is read, what is replayed as context, what is reported.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A temp dir holding `migrations/` of this repository, plus `files`.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("migrations"), &dir.path().join("migrations"));
    write(dir.path(), files);
    dir
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
}

/// Exit code, JSON report and stderr of a run in `dir`.
fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, Value, String) {
    let mut cmd = Command::cargo_bin("chronos-lint").unwrap();
    cmd.current_dir(dir)
        .args(["--format", "json", "--no-cache"])
        .args(args);
    if let Some(stdin) = stdin {
        cmd.write_stdin(stdin);
    }
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("{err}: {stderr}"));
    (output.status.code().unwrap(), json, stderr)
}

/// `rule path` of each finding, in report order.
fn findings(json: &Value) -> Vec<String> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["rule"].as_str().unwrap(),
                d["path"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_named_file_is_judged_after_its_set_and_only_it_is_reported() {
    let dir = project(&[
        (
            "db/0001_create.sql",
            "CREATE TABLE cms_a (id int PRIMARY KEY, note text);\n",
        ),
        (
            "db/0002_drop_note.sql",
            "ALTER TABLE cms_a DROP COLUMN note;\n",
        ),
        ("db/0003_drop_table.sql", "DROP TABLE cms_a;\n"),
    ]);
    let select = ["--select", "drop-column,drop-table"];
    let (code, json, err) = run(
        dir.path(),
        &[&select[..], &["db/0002_drop_note.sql"]].concat(),
        None,
    );
    assert_eq!(code, 1, "{err}");
    // The table exists because 0001 ran first; 0003's DROP TABLE is not this file's.
    assert_eq!(findings(&json), ["drop-column db/0002_drop_note.sql"]);
    assert_eq!(json["summary"]["migrations"], 1);
    assert_eq!(json["summary"]["files"], 1);

    // With its folder named too, everything in the folder is reported, each once.
    let (_, json, _) = run(
        dir.path(),
        &[&select[..], &["db/0002_drop_note.sql", "db"]].concat(),
        None,
    );
    assert_eq!(
        findings(&json),
        [
            "drop-column db/0002_drop_note.sql",
            "drop-table db/0003_drop_table.sql"
        ]
    );
}

#[test]
fn named_drizzle_metadata_is_context_never_sql() {
    let dir = project(&[]);
    let named = [
        "migrations/drizzle/meta/0001_snapshot.json",
        "migrations/drizzle/meta/_journal.json",
        "migrations/drizzle/0001_add_deal_notes.sql",
    ];
    let (code, json, err) = run(dir.path(), &named, None);
    assert!(code < 2, "{err}");
    let rules = findings(&json);
    assert!(
        !rules.iter().any(|f| f.starts_with("syntax-error")),
        "{rules:?}"
    );
    assert!(
        rules
            .iter()
            .all(|f| f.ends_with("0001_add_deal_notes.sql") || f.ends_with("_journal.json")),
        "{rules:?}"
    );
    // A snapshot alone names no migration to report.
    let (code, json, err) = run(
        dir.path(),
        &["migrations/drizzle/meta/0000_snapshot.json"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(findings(&json), Vec::<String>::new());
}

#[test]
fn exclude_applies_to_drizzle_folders_and_their_files() {
    let dir = project(&[]);
    let (_, all, _) = run(dir.path(), &["migrations"], None);
    let in_drizzle = |json: &Value| {
        findings(json)
            .iter()
            .filter(|f| f.contains("migrations/drizzle/"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(
        in_drizzle(&all)
            .iter()
            .any(|f| f.ends_with("0001_add_deal_notes.sql")),
        "{all}"
    );

    let (_, json, err) = run(
        dir.path(),
        &["--exclude", "migrations/drizzle/**", "migrations"],
        None,
    );
    assert_eq!(in_drizzle(&json), Vec::<String>::new(), "{err}");
    assert!(
        !findings(&json).is_empty(),
        "the Alembic file is still linted"
    );

    let one = "migrations/drizzle/0001_add_deal_notes.sql";
    let (_, json, err) = run(dir.path(), &["--exclude", one, "migrations"], None);
    let left = in_drizzle(&json);
    assert!(!left.iter().any(|f| f.ends_with(one)), "{left:?} {err}");
    assert!(
        !left.iter().any(|f| f.starts_with("journal-mismatch")),
        "{left:?}"
    );
    let migrations = |json: &Value| json["summary"]["migrations"].as_u64().unwrap();
    assert_eq!(
        migrations(&json),
        migrations(&all) - 1,
        "the others are still linted"
    );

    // Patterns also match relative to the folder walked, as for plain files.
    let (_, json, err) = run(dir.path(), &["--exclude", "drizzle/**", "migrations"], None);
    assert_eq!(in_drizzle(&json), Vec::<String>::new(), "{err}");
    let (_, json, _) = run(
        dir.path(),
        &["--exclude", "drizzle/0001_add_deal_notes.sql", "migrations"],
        None,
    );
    assert!(!in_drizzle(&json).iter().any(|f| f.ends_with(one)));
}

#[test]
fn ignore_files_leave_folders_out_unless_no_ignore() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("db/.gitignore", "scratch/\n"),
            (
                "db/migrations/0001_create.sql",
                "CREATE TABLE cms_a (id int PRIMARY KEY);\n",
            ),
            (
                "db/scratch/0001_try.sql",
                "CREATE TABLE cms_b (id int PRIMARY KEY);\nDROP TABLE cms_b;\n",
            ),
            ("other/.ignore", "*.sql\n!keep.sql\n"),
            ("other/drop.sql", "SELEC 1;\n"),
            (
                "other/keep.sql",
                "CREATE TABLE cms_c (id int PRIMARY KEY);\n",
            ),
        ],
    );
    let (code, json, err) = run(
        dir.path(),
        &["--select", "syntax-error,unowned-table", "."],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["summary"]["files"], 2, "{json}");

    let (code, json, err) = run(
        dir.path(),
        &["--no-ignore", "--select", "syntax-error", "."],
        None,
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(json["summary"]["files"], 4);
    assert_eq!(findings(&json), ["syntax-error other/drop.sql"]);
}

#[test]
fn stdin_is_judged_as_the_same_file_on_disk_journal_included() {
    // A migration drizzle-kit has not listed in the journal yet.
    let dir = project(&[]);
    let name = "migrations/drizzle/0003_new_index.sql";
    let sql = "CREATE INDEX cms_blog_posts_slug_idx ON cms_blog_posts (slug);\n";
    let (piped_code, piped, err) = run(
        dir.path(),
        &[
            "--select",
            "journal-mismatch,index-not-concurrent",
            "--stdin-filename",
            name,
            "-",
        ],
        Some(sql),
    );
    assert!(
        findings(&piped).contains(&format!("journal-mismatch {name}")),
        "{piped} {err}"
    );

    write(dir.path(), &[(name, sql)]);
    let (disk_code, disk, _) = run(
        dir.path(),
        &["--select", "journal-mismatch,index-not-concurrent", name],
        None,
    );
    assert_eq!(
        (piped_code, &piped["diagnostics"]),
        (disk_code, &disk["diagnostics"])
    );
}
