//! The command line as users run it: exit codes, formats, bad input.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn chronos() -> Command {
    let mut cmd = Command::cargo_bin("chronos-lint").unwrap();
    cmd.env_remove("NO_COLOR");
    cmd
}

fn stdout_of(cmd: &mut Command) -> (i32, String, String) {
    let output = cmd.output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn example_migrations_are_clean() {
    let (code, out, err) = stdout_of(chronos().arg("migrations/"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("0 errors, 0 warnings, 0 info in 5 files (7 migrations"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn json_has_the_documented_shape_and_exact_positions() {
    let (code, out, _) = stdout_of(chronos().args([
        "--format",
        "json",
        "fixtures/syntax-error/fail/bom_crlf_multibyte.sql",
    ]));
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["version"], 1);
    let diagnostic = &json["diagnostics"][0];
    assert_eq!(diagnostic["rule"], "syntax-error");
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(
        diagnostic["path"],
        "fixtures/syntax-error/fail/bom_crlf_multibyte.sql"
    );
    // Line 3 is "\tALTER TABLE cms_café ADD COLUMN x int NOT NUL;" after a BOM and CRLF lines.
    assert_eq!(
        (diagnostic["line"].as_u64(), diagnostic["column"].as_u64()),
        (Some(3), Some(44))
    );
    assert_eq!(
        (
            diagnostic["end_line"].as_u64(),
            diagnostic["end_column"].as_u64()
        ),
        (Some(3), Some(47))
    );
    let text = fs::read("fixtures/syntax-error/fail/bom_crlf_multibyte.sql").unwrap();
    let (start, end) = (
        diagnostic["start_byte"].as_u64().unwrap() as usize,
        diagnostic["end_byte"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], b"NUL");
    assert!(diagnostic["help"].is_string());
    assert_eq!(diagnostic["migration"], "bom_crlf_multibyte");
    assert_eq!(json["summary"]["errors"], 1);
    assert_eq!(json["summary"]["statements"], 1);
}

#[test]
fn compact_output_and_fail_on() {
    let case = "fixtures/unowned-table/fail/new_tables_without_owner.sql";
    let (code, out, _) = stdout_of(chronos().args(["--format", "compact", case]));
    assert_eq!(code, 0, "warnings do not fail by default");
    insta::assert_snapshot!(out, @r"
    fixtures/unowned-table/fail/new_tables_without_owner.sql:1:14: warning[unowned-table] table `users` matches no owner's table patterns
    fixtures/unowned-table/fail/new_tables_without_owner.sql:6:13: warning[unowned-table] table `monthly_report` matches no owner's table patterns
    fixtures/unowned-table/fail/new_tables_without_owner.sql:8:40: warning[unowned-table] table `legacy_posts` matches no owner's table patterns
    ");
    let (code, _, _) =
        stdout_of(chronos().args(["--format", "compact", "--fail-on", "warning", case]));
    assert_eq!(code, 1);
    let (code, _, _) =
        stdout_of(chronos().args(["--fail-on", "never", "fixtures/syntax-error/fail"]));
    assert_eq!(code, 0);
}

#[test]
fn config_sets_owners_and_severities() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("0001.sql"),
        "-- chronos-lint: ignore unowned-table -- kept for when the rule is on\nCREATE TABLE users (id int PRIMARY KEY);\nUPDATE raw_events SET x = 1;\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("chronos-lint.toml"),
        "[[sources]]\npath = \".\"\nowner = \"drizzle\"\n[rules]\nunowned-table = \"off\"\n",
    )
    .unwrap();
    let (code, out, err) = stdout_of(
        chronos()
            .current_dir(dir.path())
            .args(["--format", "compact", "."]),
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "0001.sql:3:8: error[ownership-violation] drizzle migration writes to `raw_events`, which belongs to alembic\n"
    );
}

#[test]
fn config_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("chronos-lint.toml"),
        "[rules]\ndrop-tabel = \"off\"\n",
    )
    .unwrap();
    let (code, _, err) = stdout_of(chronos().current_dir(dir.path()));
    assert_eq!(code, 2);
    assert!(
        err.contains("chronos-lint.toml") && err.contains("drop-tabel"),
        "{err}"
    );
    fs::write(dir.path().join("chronos-lint.toml"), "colour = true\n").unwrap();
    let (code, _, err) = stdout_of(chronos().current_dir(dir.path()));
    assert_eq!(code, 2);
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn rules_and_explain() {
    let (code, out, _) = stdout_of(chronos().arg("rules"));
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|line| line.starts_with("ownership-violation") && line.contains("error"))
    );
    let (code, out, _) = stdout_of(chronos().args(["explain", "journal-mismatch"]));
    assert_eq!(code, 0);
    assert!(out.starts_with("# journal-mismatch"));
    let (code, _, err) = stdout_of(chronos().args(["explain", "nope"]));
    assert_eq!(code, 2);
    assert!(err.contains("nope"));
}

/// A file of a test tree: path and content.
type TreeFile<'a> = (&'a str, &'a [u8]);

/// Writes `files` into a temp dir; returns it.
fn tree(files: &[TreeFile]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    dir
}

/// Each bad input: exit 2, one message naming the path, and the good file is still linted.
#[test]
fn bad_input_is_reported_with_its_path_and_the_rest_is_linted() {
    let good: TreeFile = ("ok/0001.sql", b"CREATE TABLE users (id int);");
    let cases: &[(&str, &[TreeFile], &str)] = &[
        (
            "invalid UTF-8",
            &[("bad/a.sql", b"SELECT '\xff';")],
            "not valid UTF-8",
        ),
        (
            "binary",
            &[("bad/a.sql", b"\x00\x01\x02SQLite")],
            "binary file",
        ),
        ("empty file", &[("bad/a.sql", b"")], "empty file"),
        (
            "malformed journal",
            &[("bad/meta/_journal.json", b"{\"entries\": [")],
            "malformed drizzle journal",
        ),
        (
            "journal of the wrong shape",
            &[("bad/meta/_journal.json", b"{\"entries\": 3}")],
            "malformed drizzle journal",
        ),
    ];
    for (what, files, message) in cases {
        let mut all = files.to_vec();
        all.push(good);
        let dir = tree(&all);
        let (code, out, err) = stdout_of(
            chronos()
                .current_dir(dir.path())
                .args(["--format", "compact", "bad", "ok"]),
        );
        assert_eq!(code, 2, "{what}: {err}");
        assert!(
            err.contains("bad/") && err.contains(message),
            "{what}: {err}"
        );
        assert!(
            out.contains("ok/0001.sql:1:14: warning[unowned-table]"),
            "{what}: other files still linted: {out}"
        );
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
}

#[test]
fn missing_path_and_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("empty")).unwrap();
    let (code, _, err) = stdout_of(chronos().current_dir(dir.path()).args(["missing", "empty"]));
    assert_eq!(code, 2);
    assert!(err.contains("missing: no such file or directory"), "{err}");
    assert!(err.contains("empty: no migrations found"), "{err}");
}

#[test]
fn journal_pointing_outside_the_folder_is_a_missing_file() {
    let dir = tree(&[(
        "d/meta/_journal.json",
        br#"{"entries":[{"idx":0,"when":1,"tag":"../../etc/passwd","breakpoints":true}]}"#,
    )]);
    let (code, out, err) = stdout_of(
        chronos()
            .current_dir(dir.path())
            .args(["--format", "compact", "d"]),
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("journal-mismatch") && out.contains("has no file"),
        "{out}"
    );
    assert!(Path::new("/etc/passwd").exists());
}

#[test]
fn drizzle_kit_1_folder_migrations_form_one_set_named_by_folder() {
    let dir = tree(&[
        (
            "drizzle/20260101000000_init/migration.sql",
            b"CREATE TABLE users (id int PRIMARY KEY);--> statement-breakpoint\nCREATE TABLE teams (id int PRIMARY KEY);",
        ),
        ("drizzle/20260101000000_init/snapshot.json", b"{}"),
        (
            "drizzle/20260102000000_more/migration.sql",
            b"CREATE TABLE roles (id int PRIMARY KEY);",
        ),
        ("drizzle/20260102000000_more/snapshot.json", b"{}"),
    ]);
    let (code, out, err) = stdout_of(
        chronos()
            .current_dir(dir.path())
            .args(["--format", "json", "drizzle"]),
    );
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["summary"]["migrations"], 2);
    assert_eq!(json["summary"]["statements"], 3);
    let migrations: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["migration"].as_str().unwrap())
        .collect();
    assert_eq!(
        migrations,
        [
            "20260101000000_init",
            "20260101000000_init",
            "20260102000000_more"
        ]
    );
}
