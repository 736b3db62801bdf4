//! Bad input, kind by kind, through the command line: each gets a clear message naming the path,
//! the documented exit code (2 for input errors, 1 for error findings), no panic, and the other
//! files of the run are still linted.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn chronos() -> Command {
    let mut cmd = Command::cargo_bin("chronos-lint").unwrap();
    cmd.env_remove("NO_COLOR").timeout(Duration::from_secs(120));
    cmd
}

/// Exit code, stdout and stderr; fails on a panic or a time-out.
fn run(cmd: &mut Command) -> (i32, String, String) {
    let output = cmd.output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed: {err}"));
    (code, out, err)
}

/// A file of a test tree: path and content.
type TreeFile<'a> = (&'a str, &'a [u8]);

/// A good migration linted next to every bad input; its finding shows the run went on.
const GOOD: TreeFile = ("ok/0001.sql", b"CREATE TABLE users (id int);");
const GOOD_FINDING: &str = "ok/0001.sql:1:14: warning[missing-primary-key]";

/// Writes `files` and [`GOOD`] into a temp dir; returns it.
fn tree(files: &[TreeFile]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files.iter().chain([&GOOD]) {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    dir
}

/// Lints `bad` and `ok` in `dir` with compact output.
fn lint_bad_and_ok(dir: &Path) -> (i32, String, String) {
    run(chronos()
        .current_dir(dir)
        .args(["--format", "compact", "bad", "ok"]))
}

/// Exit 2, `error: <path>: <message>` on stderr, and the good file still linted.
fn assert_input_error(
    what: &str,
    (code, out, err): (i32, String, String),
    path: &str,
    message: &str,
) {
    assert_eq!(code, 2, "{what}: {out}{err}");
    assert!(
        err.contains(&format!("error: {path}: {message}")),
        "{what}: expected `{path}: {message}` in: {err}"
    );
    assert!(
        out.contains(GOOD_FINDING),
        "{what}: other files still linted: {out}"
    );
}

#[test]
fn unreadable_content_is_an_input_error_naming_the_file() {
    let sqlite: &[u8] = b"SQLite format 3\x00\x10\x00\x01\x01";
    let cases: &[(&str, TreeFile, &str)] = &[
        (
            "invalid UTF-8",
            ("bad/a.sql", b"SELECT '\xff';"),
            "not valid UTF-8 (invalid byte at offset 8)",
        ),
        (
            "binary file",
            ("bad/a.sql", sqlite),
            "binary file (NUL byte at offset 15)",
        ),
        (
            "NUL byte inside SQL",
            ("bad/a.sql", b"CREATE TABLE t (id int);\n\x00SELECT 1;"),
            "binary file (NUL byte at offset 25)",
        ),
        (
            "UTF-16",
            ("bad/a.sql", b"\xff\xfeS\x00E\x00L\x00"),
            "UTF-16 text (byte-order mark); save the file as UTF-8",
        ),
        ("empty file", ("bad/a.sql", b""), "empty file"),
        (
            "only a byte-order mark and blank lines",
            ("bad/a.sql", b"\xef\xbb\xbf\r\n  \n"),
            "empty file",
        ),
        (
            "truncated journal",
            (
                "bad/meta/_journal.json",
                b"{\"entries\": [{\"idx\": 0, \"wh",
            ),
            "malformed drizzle journal: EOF while parsing",
        ),
        (
            "journal of the wrong shape",
            ("bad/meta/_journal.json", b"{\"entries\": 3}"),
            "malformed drizzle journal: invalid type",
        ),
        (
            "journal entry without a tag",
            (
                "bad/meta/_journal.json",
                b"{\"entries\": [{\"idx\": 0, \"when\": 1}]}",
            ),
            "malformed drizzle journal: missing field `tag`",
        ),
        (
            "journal that is not JSON",
            ("bad/meta/_journal.json", b"entries:\n  - idx: 0\n"),
            "malformed drizzle journal: expected value",
        ),
        (
            "empty journal",
            ("bad/meta/_journal.json", b""),
            "empty file",
        ),
        (
            "journal not UTF-8",
            ("bad/meta/_journal.json", b"{\"entries\": [\xfe]}"),
            "not valid UTF-8",
        ),
    ];
    for (what, file, message) in cases {
        let dir = tree(&[*file]);
        assert_input_error(what, lint_bad_and_ok(dir.path()), file.0, message);
    }
}

/// A folder whose journal cannot be read is not read as plain SQL instead.
#[test]
fn journal_that_is_not_a_file() {
    /// Puts something that is not a journal file at the journal's path.
    type Make = fn(&Path);
    let cases: &[(&str, Make, &str)] = &[
        (
            "a directory",
            |journal| fs::create_dir(journal).unwrap(),
            "not a regular file (a directory); skipped",
        ),
        (
            "a device",
            |journal| std::os::unix::fs::symlink("/dev/null", journal).unwrap(),
            "not a regular file (a device); skipped",
        ),
        (
            "a dangling link",
            |journal| std::os::unix::fs::symlink("gone.json", journal).unwrap(),
            "cannot read: No such file or directory",
        ),
    ];
    for (what, make, message) in cases {
        let dir = tree(&[("bad/0000_init.sql", b"DROP TABLE cms_posts;")]);
        fs::create_dir(dir.path().join("bad/meta")).unwrap();
        make(&dir.path().join("bad/meta/_journal.json"));
        let result = lint_bad_and_ok(dir.path());
        assert!(
            !result.1.contains("bad/0000_init.sql"),
            "{what}: {}",
            result.1
        );
        assert_input_error(what, result, "bad/meta/_journal.json", message);
    }
}

#[test]
fn missing_path_and_empty_directory() {
    let dir = tree(&[]);
    fs::create_dir(dir.path().join("empty")).unwrap();
    let (code, out, err) = run(chronos()
        .current_dir(dir.path())
        .args(["--format", "compact", "missing", "empty", "ok"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("error: missing: no such file or directory"),
        "{err}"
    );
    assert!(
        err.contains(
            "error: empty: no migrations found (no .sql files, no drizzle meta/_journal.json and no \
             alembic.ini)"
        ),
        "{err}"
    );
    assert!(out.contains(GOOD_FINDING), "{out}");

    // The working directory is named `.`, however it was given.
    let (code, _, err) = run(chronos().current_dir(dir.path().join("empty")));
    assert_eq!(code, 2);
    assert!(err.contains("error: .: no migrations found"), "{err}");
}

/// A folder named twice, or a file and its folder, is linted once: each file once, in its place
/// in the set (the index repeats the primary key's only when the table was created first).
#[test]
fn folder_named_twice_is_linted_once() {
    let dir = tree(&[
        ("m/0001_create.sql", b"CREATE TABLE cms_a (id int PRIMARY KEY);"),
        ("m/0002_index.sql", b"CREATE INDEX cms_a_id ON cms_a (id);"),
        (
            "d/meta/_journal.json",
            br#"{"entries":[{"idx":0,"when":1,"tag":"0000_create"},{"idx":1,"when":2,"tag":"0001_index"}]}"#,
        ),
        ("d/0000_create.sql", b"CREATE TABLE cms_b (id int PRIMARY KEY);"),
        ("d/0001_index.sql", b"CREATE INDEX cms_b_id ON cms_b (id);"),
    ]);
    let cases: &[(&[&str], u64, u64)] = &[
        (&["m", "./m"], 2, 2),
        (&["./m/0002_index.sql", "m"], 2, 2),
        (&["m/0001_create.sql", "./m/", "m/../m"], 2, 2),
        (&["d", "./d"], 3, 2),
        (&["d/0001_index.sql", "./d", "d/meta/_journal.json"], 3, 2),
    ];
    for (args, files, migrations) in cases {
        let (code, out, err) = run(chronos()
            .current_dir(dir.path())
            .args(["--format", "json", "--select", "duplicate-index"])
            .args(*args));
        assert_eq!(code, 0, "{args:?}: {err}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        let summary = &json["summary"];
        assert_eq!(summary["input_errors"], 0, "{args:?}: {out}");
        assert_eq!(
            (&summary["files"], &summary["migrations"]),
            (&(*files).into(), &(*migrations).into()),
            "{args:?}: {out}"
        );
        let found = json["diagnostics"].as_array().unwrap();
        assert_eq!(found.len(), 1, "{args:?}: {out}");
    }
}

/// 100 MB of INSERTs: refused at once by size instead of taking minutes and gigabytes.
#[test]
fn huge_file_is_refused_by_its_size() {
    let dir = tree(&[]);
    let row = "INSERT INTO cms_posts (id, title) VALUES (1, 'a row of seed data, like a dump');\n";
    let huge = row.repeat(100 * 1024 * 1024 / row.len() + 1);
    fs::create_dir(dir.path().join("bad")).unwrap();
    fs::write(dir.path().join("bad/dump.sql"), &huge).unwrap();
    let started = Instant::now();
    let result = lint_bad_and_ok(dir.path());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_input_error(
        "huge file",
        result,
        "bad/dump.sql",
        "file is 100.0 MiB; migrations over 16 MiB are not linted (is it a data dump?)",
    );
}

#[test]
fn symbolic_link_loop_is_reported_once_and_skipped() {
    let dir = tree(&[("bad/0001.sql", b"CREATE TABLE cms_a (id int PRIMARY KEY);")]);
    std::os::unix::fs::symlink("..", dir.path().join("bad/loop")).unwrap();
    let (code, out, err) = lint_bad_and_ok(dir.path());
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.matches("symbolic link loop").count(), 1, "{err}");
    assert!(
        err.contains("error: bad/loop: symbolic link loop; skipped"),
        "{err}"
    );
    assert!(out.contains(GOOD_FINDING), "{out}");
}

#[test]
fn dangling_symbolic_link_is_an_input_error() {
    let dir = tree(&[]);
    fs::create_dir(dir.path().join("bad")).unwrap();
    std::os::unix::fs::symlink("nowhere.sql", dir.path().join("bad/0001.sql")).unwrap();
    let (code, out, err) = lint_bad_and_ok(dir.path());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad/0001.sql") && err.contains("No such file"),
        "{err}"
    );
    assert!(out.contains(GOOD_FINDING), "{out}");
}

/// A named pipe called like a migration: never opened (reading one would wait forever).
#[test]
fn named_pipe_is_not_read() {
    let dir = tree(&[]);
    fs::create_dir(dir.path().join("bad")).unwrap();
    let fifo = dir.path().join("bad/0001.sql");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    assert_input_error(
        "named pipe",
        lint_bad_and_ok(dir.path()),
        "bad/0001.sql",
        "not a regular file (a named pipe); skipped",
    );
}

/// A file its reader may not open. Root may open anything, so as root the linter runs as
/// `nobody`, from a copy in the temp dir (the build directory may be closed to other users).
#[test]
fn file_without_read_permission() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tree(&[("bad/0001.sql", b"CREATE TABLE cms_a (id int PRIMARY KEY);")]);
    let file = dir.path().join("bad/0001.sql");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let mut binary = std::path::PathBuf::from(env!("CARGO_BIN_EXE_chronos-lint"));
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        let copy = dir.path().join("chronos-lint");
        fs::copy(&binary, &copy).unwrap();
        binary = copy;
    }
    let mut cmd = std::process::Command::new(binary);
    cmd.current_dir(dir.path())
        .args(["--format", "compact", "bad", "ok"]);
    if root {
        cmd.uid(65534).gid(65534);
    }
    let mut cmd = Command::from_std(cmd);
    let result = run(cmd.timeout(Duration::from_secs(60)));
    assert_input_error(
        "unreadable file",
        result,
        "bad/0001.sql",
        "cannot read: Permission denied",
    );
}

#[test]
fn directory_named_like_a_migration() {
    let dir = tree(&[("bad/0002.sql/notes.txt", b"not SQL")]);
    let (code, out, err) =
        run(chronos()
            .current_dir(dir.path())
            .args(["--format", "compact", "bad/0002.sql", "ok"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("error: bad/0002.sql: no migrations found"),
        "{err}"
    );
    assert!(out.contains(GOOD_FINDING), "{out}");
}

#[test]
fn non_utf8_file_name_is_linted_and_shown_readably() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tree(&[]);
    fs::create_dir(dir.path().join("bad")).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"bad/0001_\xff.sql");
    fs::write(dir.path().join(name), "CREATE TABLE app_a (id int);").unwrap();
    let (code, out, err) = lint_bad_and_ok(dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("bad/0001_\u{fffd}.sql:1:14: warning[missing-primary-key]"),
        "{out}"
    );
    assert!(out.contains(GOOD_FINDING), "{out}");
}

#[test]
fn invalid_utf8_on_standard_input() {
    let (code, _, err) = run(chronos()
        .args(["--stdin-filename", "piped.sql", "-"])
        .write_stdin(b"SELECT '\xc3';".to_vec()));
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "error: piped.sql: standard input is not valid UTF-8 (invalid byte at offset 8)"
        ),
        "{err}"
    );
}

#[test]
fn journal_pointing_outside_the_folder_is_a_missing_file() {
    let dir = tree(&[(
        "bad/meta/_journal.json",
        br#"{"entries":[{"idx":0,"when":1,"tag":"../../etc/passwd"},{"idx":1,"when":2,"tag":"/etc/passwd"}]}"#,
    )]);
    let (code, out, err) = lint_bad_and_ok(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(
        out.contains("error[journal-mismatch] journal entry `../../etc/passwd` has no file")
            && out.contains("error[journal-mismatch] journal entry `/etc/passwd` has no file"),
        "{out}"
    );
    assert!(out.contains(GOOD_FINDING), "{out}");
}

#[test]
fn duplicate_and_extreme_journal_idx() {
    let dir = tree(&[
        (
            "bad/meta/_journal.json",
            br#"{"entries":[
                {"idx":0,"when":1,"tag":"0000_a"},
                {"idx":0,"when":2,"tag":"0001_b"},
                {"idx":9223372036854775807,"when":3,"tag":"0002_c"},
                {"idx":-9223372036854775808,"when":-9223372036854775808,"tag":"0003_d"}]}"#,
        ),
        (
            "bad/0000_a.sql",
            b"CREATE TABLE cms_a (id int PRIMARY KEY);",
        ),
        (
            "bad/0001_b.sql",
            b"CREATE TABLE cms_b (id int PRIMARY KEY);",
        ),
        (
            "bad/0002_c.sql",
            b"CREATE TABLE cms_c (id int PRIMARY KEY);",
        ),
        (
            "bad/0003_d.sql",
            b"CREATE TABLE cms_d (id int PRIMARY KEY);",
        ),
    ]);
    let (code, out, err) = lint_bad_and_ok(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("duplicate idx 0 at `0001_b`"), "{out}");
    assert!(
        out.contains("idx -9223372036854775808 of `0003_d` does not follow idx 9223372036854775807 of `0002_c`"),
        "{out}"
    );
    assert!(out.contains(GOOD_FINDING), "{out}");
}

/// Snapshots hold drizzle-kit's schema state for `generate`; the static linter lints the SQL and
/// never reads them, so a broken one changes nothing.
#[test]
fn snapshot_that_is_not_json_is_not_read() {
    let dir = tree(&[
        (
            "bad/legacy/meta/_journal.json",
            br#"{"entries":[{"idx":0,"when":1,"tag":"0000_a"}]}"#,
        ),
        ("bad/legacy/meta/0000_snapshot.json", b"{\"tables\": {"),
        (
            "bad/legacy/0000_a.sql",
            b"CREATE TABLE cms_a (id int PRIMARY KEY);",
        ),
        (
            "bad/kit1/20260101000000_a/snapshot.json",
            b"\x00\x01 not json",
        ),
        (
            "bad/kit1/20260101000000_a/migration.sql",
            b"CREATE TABLE cms_b (id int PRIMARY KEY);",
        ),
    ]);
    let (code, out, err) = run(chronos()
        .current_dir(dir.path())
        .args(["--format", "json", "bad", "ok"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["summary"]["migrations"], 3, "{out}");
    assert_eq!(json["summary"]["input_errors"], 0, "{out}");
}

#[test]
fn alembic_file_with_a_broken_revision_chain() {
    let dir = tree(&[(
        "bad/upgrade.sql",
        b"-- Running upgrade  -> 0001_raw\n\nCREATE TABLE raw_a (id int PRIMARY KEY);\n\n\
          -- Running upgrade 0002_gone -> 0003_idx\n\nCREATE INDEX ix ON raw_a (id);\n\n\
          -- Running upgrade  -> 0009_again\n\nSELECT 1;\n\n\
          -- Running upgrade 0003_idx -> \n",
    )]);
    let (code, out, err) = lint_bad_and_ok(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("bad/upgrade.sql:5:1: error[alembic-revision-gap] revision `0003_idx` continues from `0002_gone`"),
        "{out}"
    );
    assert!(
        out.contains("revision `0009_again` starts a new history after `0003_idx`"),
        "{out}"
    );
    assert!(out.contains(GOOD_FINDING), "{out}");
}

/// 700 chained operators are valid SQL and linted; nesting past PostgreSQL's own stack limit is
/// the syntax error PostgreSQL reports, at its position.
#[test]
fn deeply_nested_expressions() {
    let chain = format!(
        "ALTER TABLE cms_a ADD COLUMN c text DEFAULT {};",
        vec!["'a'"; 700].join(" || ")
    );
    let parens = format!("SELECT {}1{};", "(".repeat(100_000), ")".repeat(100_000));
    let arrays = format!("SELECT {}1{};", "ARRAY[".repeat(2_000), "]".repeat(2_000));
    let operators = format!("SELECT {};", vec!["1"; 100_000].join("+"));
    let dir = tree(&[
        ("bad/0001_chain.sql", chain.as_bytes()),
        ("bad/0002_parens.sql", parens.as_bytes()),
        ("bad/0003_arrays.sql", arrays.as_bytes()),
        ("bad/0004_operators.sql", operators.as_bytes()),
    ]);
    let (code, out, err) = lint_bad_and_ok(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(!out.contains("0001_chain.sql:1:1: error"), "{out}");
    assert!(
        out.contains("bad/0001_chain.sql:1:13: info[lock-timeout-missing]"),
        "{out}"
    );
    assert!(
        out.contains("bad/0002_parens.sql:1:10004: error[syntax-error] memory exhausted"),
        "{out}"
    );
    assert!(
        out.contains("bad/0003_arrays.sql:1:8: error[syntax-error] stack depth limit exceeded"),
        "{out}"
    );
    assert!(
        out.contains("bad/0004_operators.sql:1:8: error[syntax-error] stack depth limit exceeded"),
        "{out}"
    );
    assert!(out.contains(GOOD_FINDING), "{out}");
}

/// A `DO` block nested 45 deep runs on PostgreSQL, so the statement inside it is linted; one
/// nested past PL/pgSQL's parser stack is the error PostgreSQL 15 reports, on the line it names.
#[test]
fn deeply_nested_do_blocks() {
    let nested = |depth: usize| {
        format!(
            "DO $$\n{}DROP TABLE cms_a;\n{}END $$;\n",
            "BEGIN\n".repeat(depth),
            "END;\n".repeat(depth - 1)
        )
    };
    let (runs, too_deep) = (nested(45), nested(5_000));
    let dir = tree(&[
        ("bad/0001_runs.sql", runs.as_bytes()),
        ("bad/0002_too_deep.sql", too_deep.as_bytes()),
    ]);
    let (code, out, err) = lint_bad_and_ok(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("bad/0001_runs.sql:47:12: error[drop-table]"),
        "{out}"
    );
    assert!(!out.contains("0001_runs.sql:1:1"), "{out}");
    assert!(
        out.contains(
            "bad/0002_too_deep.sql:3334:1: error[syntax-error] memory exhausted at or near \"BEGIN\""
        ),
        "{out}"
    );
    assert!(out.contains(GOOD_FINDING), "{out}");
}

#[test]
fn one_megabyte_statement() {
    let rows: Vec<String> = (0..30_000)
        .map(|i| format!("({i}, 'row {i} of a long seed statement')"))
        .collect();
    let insert = format!(
        "INSERT INTO cms_seed VALUES {};\nUPDATE cms_seed SET title = '{}';\n",
        rows.join(", "),
        "x".repeat(1 << 20)
    );
    assert!(insert.len() > 2 << 20);
    let dir = tree(&[
        (
            "bad/0000_create.sql",
            b"CREATE TABLE cms_seed (id int PRIMARY KEY, title text);",
        ),
        ("bad/0001_seed.sql", insert.as_bytes()),
    ]);
    let started = Instant::now();
    let (code, out, err) = lint_bad_and_ok(dir.path());
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("bad/0001_seed.sql:2:1: warning[unbounded-delete-or-update]"),
        "{out}"
    );
    assert!(out.contains(GOOD_FINDING), "{out}");
}

/// Line endings and a byte-order mark do not shift positions: CRLF and LF lines count alike, a
/// lone CR is not a line break (as in git and GitHub), and the BOM is not a column.
#[test]
fn crlf_bom_and_lone_cr_keep_positions() {
    let dir = tree(&[
        (
            "bad/0001_crlf.sql",
            b"SELECT 1;\r\n\r\nCREATE TABEL t (id int);\r\n",
        ),
        (
            "bad/0002_bom.sql",
            b"\xef\xbb\xbfCREATE TABEL t (id int);\n",
        ),
        ("bad/0003_cr.sql", b"SELECT 1;\rCREATE TABEL t (id int);\r"),
        (
            "bad/0004_all.sql",
            b"\xef\xbb\xbf-- caf\xc3\xa9\r\nSELECT '\xc3\xa9';\r\nCREATE TABEL t (id int);",
        ),
    ]);
    let (code, out, err) = lint_bad_and_ok(dir.path());
    assert_eq!(code, 1, "{err}");
    for expected in [
        "bad/0001_crlf.sql:3:8: error[syntax-error]",
        "bad/0002_bom.sql:1:8: error[syntax-error]",
        "bad/0003_cr.sql:1:18: error[syntax-error]",
        "bad/0004_all.sql:3:8: error[syntax-error]",
    ] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
    assert!(out.contains(GOOD_FINDING), "{out}");
}

#[test]
fn unterminated_strings_and_comments() {
    let dir = tree(&[
        ("bad/0001_quote.sql", b"SELECT 1;\nSELECT 'abc;\n"),
        ("bad/0002_dollar.sql", b"DO $$ BEGIN\nPERFORM 1;\n"),
        ("bad/0003_comment.sql", b"SELECT 1; /* never closed\n"),
        ("bad/0004_ident.sql", b"CREATE TABLE \"cms_x (id int);"),
    ]);
    let (code, out, err) = lint_bad_and_ok(dir.path());
    assert_eq!(code, 1, "{err}");
    for expected in [
        "bad/0001_quote.sql:2:8: error[syntax-error] unterminated quoted string",
        "bad/0002_dollar.sql:1:4: error[syntax-error] unterminated dollar-quoted string",
        "bad/0003_comment.sql:1:11: error[syntax-error] unterminated /* comment",
        "bad/0004_ident.sql:1:14: error[syntax-error] unterminated quoted identifier",
    ] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
    assert!(out.contains(GOOD_FINDING), "{out}");
}
