//! The command line as users run it: exit codes, formats, configuration (bad input: bad_input.rs).

mod support;

use std::fs;

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
fn example_migrations_have_no_errors() {
    let (code, out, err) = stdout_of(chronos().arg("migrations/"));
    assert_eq!(code, 0, "{out}{err}");
    // No errors. Warnings: drizzle-kit cannot emit NOT VALID for its foreign key on the existing
    // `cms_docs_pages`, and the indexes built on existing tables take write locks.
    assert!(out.contains("0 errors, "), "{out}");
    assert!(out.contains(" in 5 files (7 migrations"), "{out}");
    assert!(
        out.contains("foreign key `cms_docs_pages_author_id_cms_authors_id_fk` on existing table `cms_docs_pages`"),
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
        // Its `int` key is another rule's finding, not the point here.
        "--ignore",
        "prefer-bigint-key",
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
    assert_eq!(diagnostic["suggestions"], Value::Array(Vec::new()));
    assert_eq!(json["summary"]["errors"], 1);
    assert_eq!(json["summary"]["statements"], 1);
}

#[test]
fn json_lists_the_suggested_statements() {
    let (_, out, _) = stdout_of(chronos().args([
        "--format",
        "json",
        "--no-cache",
        "--select",
        "set-not-null",
        "fixtures/set-not-null/fail/plain",
    ]));
    let json: Value = serde_json::from_str(&out).unwrap();
    let suggestion = &json["diagnostics"][0]["suggestions"][0];
    assert_eq!(suggestion["when"], "instead", "{out}");
    let statements: Vec<&str> = suggestion["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(statements.len(), 4, "{out}");
    assert!(statements[0].contains("CHECK") && statements[0].ends_with("NOT VALID;"));
    assert!(statements[1].contains("VALIDATE CONSTRAINT"));
    assert!(statements[2].ends_with("SET NOT NULL;"));
    assert!(statements[3].contains("DROP CONSTRAINT"));
}

#[test]
fn compact_output_and_fail_on() {
    let case = "fixtures/unowned-table/fail/new_tables_without_owner.sql";
    let (code, out, _) =
        stdout_of(chronos().args(["--format", "compact", "--select", "unowned-table", case]));
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
        "-- chronos-lint: ignore unowned-table -- kept for when the rule is on
CREATE TABLE users (id bigint PRIMARY KEY);
UPDATE raw_events SET x = 1 WHERE id = 1;
",
    )
    .unwrap();
    fs::write(
        dir.path().join("chronos-lint.toml"),
        "[owners.drizzle]\ntables = [\"app_*\"]\n[owners.alembic]\ntables = [\"raw_*\"]\n\
         [[sources]]\npath = \".\"\nowner = \"drizzle\"\n[rules]\nunowned-table = \"off\"\n",
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

/// `--config` naming a named pipe or a device: refused at once, naming the path, never read
/// (a pipe would wait for a writer, `/dev/zero` never ends).
#[test]
fn config_that_is_not_a_regular_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("0001.sql"), "CREATE TABLE t (id int);\n").unwrap();
    let fifo = dir.path().join("pipe.toml");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    for (config, kind) in [("pipe.toml", "a named pipe"), ("/dev/zero", "a device")] {
        let (code, out, err) = stdout_of(
            chronos()
                .current_dir(dir.path())
                .args(["--config", config, "."])
                .timeout(std::time::Duration::from_secs(60)),
        );
        assert_eq!(code, 2, "{out}{err}");
        assert_eq!(
            err,
            format!("error: {config}: cannot read config: not a regular file ({kind})\n")
        );
    }
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

#[test]
fn rules_table_is_aligned_whatever_the_id_length() {
    let (_, out, _) = stdout_of(chronos().arg("rules"));
    let longest = out
        .lines()
        .map(|line| line.split(' ').next().unwrap().len())
        .max()
        .unwrap();
    assert!(longest > 26, "the longest id is longer than the old column");
    for line in out.lines() {
        let severity = &line[longest + 1..];
        assert!(
            ["error ", "warning ", "info "]
                .iter()
                .any(|s| severity.starts_with(s)),
            "{line}"
        );
    }
}

#[test]
fn ignore_statistics_quiet_and_output_file() {
    let compact = |args: &[&str]| {
        let (code, out, err) = stdout_of(
            chronos()
                .args(["--no-cache", "--format", "compact"])
                .args(args),
        );
        assert!(code < 2, "{err}");
        out
    };
    let all = compact(&["migrations/"]);
    assert!(all.contains("[index-not-concurrent]"), "{all}");
    let ignored = compact(&[
        "--ignore",
        "index-not-concurrent,lock-timeout-missing",
        "migrations/",
    ]);
    assert!(!ignored.contains("[index-not-concurrent]"), "{ignored}");
    assert!(!ignored.contains("[lock-timeout-missing]"), "{ignored}");
    assert_eq!(
        ignored.lines().count()
            + all.matches("[index-not-concurrent]").count()
            + all.matches("[lock-timeout-missing]").count(),
        all.lines().count()
    );
    // --ignore wins over --select.
    let none = compact(&[
        "--select",
        "index-not-concurrent",
        "--ignore",
        "index-not-concurrent",
        "migrations/",
    ]);
    assert_eq!(none, "");
    let (code, _, err) = stdout_of(chronos().args(["--ignore", "nope", "migrations/"]));
    assert_eq!(code, 2);
    assert!(err.contains("--ignore: unknown rule id `nope`"), "{err}");

    // Statistics: count, id and summary per rule, most first, adding up to the findings.
    let (_, stats, _) = stdout_of(chronos().args(["--no-cache", "--statistics", "migrations/"]));
    let mut total = 0;
    let mut previous = usize::MAX;
    for line in stats.lines() {
        let mut fields = line.split_whitespace();
        let count: usize = fields.next().unwrap().parse().unwrap();
        let id = fields.next().unwrap();
        assert_eq!(count, all.matches(&format!("[{id}]")).count(), "{line}");
        assert!(count <= previous, "{stats}");
        assert!(line.ends_with(fields.collect::<Vec<_>>().join(" ").as_str()));
        previous = count;
        total += count;
    }
    assert_eq!(total, all.lines().count(), "{stats}");
    // With --format json, the same rows as JSON.
    let (_, json, _) = stdout_of(chronos().args([
        "--no-cache",
        "--statistics",
        "--format",
        "json",
        "migrations/",
    ]));
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), stats.lines().count(), "{json}");
    for (row, line) in rows.iter().zip(stats.lines()) {
        let count = row["count"].as_u64().unwrap().to_string();
        let rule = row["rule"].as_str().unwrap();
        assert!(line.trim_start().starts_with(&count), "{line}");
        assert!(line.contains(rule), "{line}");
    }

    // Quiet: the findings without the summary line.
    let (_, human, _) = stdout_of(chronos().args(["--no-cache", "migrations/"]));
    let (_, quiet, _) = stdout_of(chronos().args(["--no-cache", "-q", "migrations/"]));
    assert!(human.contains(" in 5 files ("), "{human}");
    assert!(!quiet.contains(" in 5 files ("), "{quiet}");
    assert!(human.starts_with(quiet.as_str()));

    // The report goes to the file, nothing to stdout; a file that cannot be made is exit 2.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.txt");
    let (code, out, _) = stdout_of(
        chronos()
            .args(["--no-cache", "--format", "compact", "--output-file"])
            .arg(&file)
            .arg("migrations/"),
    );
    assert_eq!(code, 0);
    assert_eq!(out, "");
    assert_eq!(fs::read_to_string(&file).unwrap(), all);
    let (code, _, err) = stdout_of(
        chronos()
            .arg("--output-file")
            .arg(dir.path().join("no/such/dir/r.txt"))
            .arg("migrations/"),
    );
    assert_eq!(code, 2);
    assert!(err.contains("--output-file"), "{err}");
}

#[test]
fn color_choice_and_no_color() {
    let human = |color: &str, no_color: Option<&str>| {
        let mut cmd = chronos();
        cmd.args(["--no-cache", "--color", color, "migrations/"]);
        if let Some(value) = no_color {
            cmd.env("NO_COLOR", value);
        }
        stdout_of(&mut cmd).1
    };
    assert!(human("always", None).contains('\u{1b}'));
    assert!(
        human("always", Some("1")).contains('\u{1b}'),
        "always is always"
    );
    assert!(!human("never", None).contains('\u{1b}'));
    // auto: not on a terminal here, so none.
    assert!(!human("auto", None).contains('\u{1b}'));
    let (code, _, err) = stdout_of(chronos().args(["--color", "sometimes"]));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn shell_completions() {
    for (shell, marker) in [
        ("bash", "complete -F _chronos__lint"),
        ("zsh", "#compdef chronos-lint"),
        ("fish", "complete -c chronos-lint"),
        ("powershell", "chronos-lint"),
        ("elvish", "chronos-lint"),
    ] {
        let (code, out, err) = stdout_of(chronos().args(["completions", shell]));
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(out.contains("statistics"), "{shell}");
    }
}

/// A file of a test tree: path and content.
type TreeFile<'a> = (&'a str, &'a [u8]);

/// Writes `files` into a temp dir; returns it.
/// The `chronos` preset's owners, for a tree whose findings show ownership.
const CHRONOS_PRESET: TreeFile = (
    "chronos-lint.toml",
    include_bytes!("../presets/chronos.toml"),
);

fn tree(files: &[TreeFile]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    dir
}

#[test]
fn drizzle_kit_1_folder_migrations_form_one_set_named_by_folder() {
    let dir = tree(&[
        (
            "drizzle/20260101000000_init/migration.sql",
            b"CREATE TABLE users (id bigint PRIMARY KEY);--> statement-breakpoint\nCREATE TABLE teams (id bigint PRIMARY KEY);",
        ),
        ("drizzle/20260101000000_init/snapshot.json", b"{}"),
        (
            "drizzle/20260102000000_more/migration.sql",
            b"CREATE TABLE roles (id bigint PRIMARY KEY);",
        ),
        ("drizzle/20260102000000_more/snapshot.json", b"{}"),
        CHRONOS_PRESET,
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

#[test]
fn stdin_stands_for_the_named_file_inside_its_drizzle_folder() {
    // The journal's folder gives the catalog and owner; stdin replaces the file's text.
    let edited = "UPDATE cms_blog_posts SET excerpt = left(content, 200);--> statement-breakpoint\nDROP TABLE raw_crunchbase;";
    let output = chronos()
        .args([
            "--format",
            "compact",
            "--stdin-filename",
            "migrations/drizzle/0002_backfill_excerpt.sql",
            "-",
        ])
        .write_stdin(edited)
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1));
    let ownership: String = out
        .lines()
        .filter(|line| line.contains("[ownership-violation]"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(
        ownership,
        "migrations/drizzle/0002_backfill_excerpt.sql:2:12: error[ownership-violation] drizzle migration drops `raw_crunchbase`, which belongs to alembic\n"
    );
    let (code, _, err) = stdout_of(chronos().args(["--stdin-filename", "x.sql", "migrations/"]));
    assert_eq!(code, 2, "--stdin-filename without `-`");
    assert!(err.contains("--stdin-filename"));
}

#[test]
fn changed_since_reports_only_new_and_edited_migrations() {
    let dir = tree(&[
        ("db/0001_users.sql", b"CREATE TABLE users (id int);"),
        ("db/upgrade.sql", b"BEGIN;\n\nCREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);\n\n-- Running upgrade  -> a1\n\nCREATE TABLE things (id int);\n\nINSERT INTO alembic_version (version_num) VALUES ('a1');\n\nCOMMIT;\n"),
        CHRONOS_PRESET,
    ]);
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "history"]);
    git(&["checkout", "-q", "-b", "feature"]);
    fs::write(
        dir.path().join("db/0002_teams.sql"),
        "CREATE TABLE teams (id int);",
    )
    .unwrap();
    let upgrade = fs::read_to_string(dir.path().join("db/upgrade.sql")).unwrap();
    let appended = upgrade.replace(
        "COMMIT;\n",
        "-- Running upgrade a1 -> b2\n\nCREATE TABLE gadgets (id int);\n\nUPDATE alembic_version SET version_num='b2';\n\nCOMMIT;\n",
    );
    fs::write(dir.path().join("db/upgrade.sql"), appended).unwrap();
    git(&["commit", "-q", "-am", "more"]);

    let (code, out, err) = stdout_of(chronos().current_dir(dir.path()).args([
        "--format",
        "compact",
        "--select",
        "unowned-table",
        "--changed-since",
        "main",
        "db",
    ]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("db/0002_teams.sql:1:14: warning[unowned-table] table `teams`"),
        "{out}"
    );
    assert!(
        lines[1].contains("db/upgrade.sql") && lines[1].contains("`gadgets`"),
        "{out}"
    );

    let (code, _, err) =
        stdout_of(
            chronos()
                .current_dir(dir.path())
                .args(["--changed-since", "no-such-ref", "db"]),
        );
    assert_eq!(code, 2);
    assert!(err.contains("no-such-ref"), "{err}");
}

#[test]
fn standard_input_is_read_no_further_than_the_size_limit() {
    // An endless input: the run must stop reading at the limit, not at the end.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chronos-lint"))
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let chunk = vec![b'x'; 1 << 20];
        // Ends when the reader closes the pipe.
        while std::io::Write::write_all(&mut stdin, &chunk).is_ok() {}
    });
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("over 16 MiB"), "{stderr}");
}

#[test]
fn an_empty_database_url_variable_counts_as_unset() {
    let (code, _, stderr) = stdout_of(chronos().env("CHRONOS_DATABASE_URL", "").args([
        "--no-cache",
        "--fail-on",
        "never",
        "migrations/",
    ]));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn an_overlong_glob_is_refused_with_its_setting() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("chronos-lint.toml");
    fs::write(
        &config,
        format!("exclude = [\"{}\"]\n", "a*".repeat(100_000)),
    )
    .unwrap();
    let (code, _, stderr) = stdout_of(chronos().arg("--config").arg(&config).arg("migrations/"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("exclude: a pattern of 200000 bytes"),
        "{stderr}"
    );
}

/// Globs are bounded in total too: a configuration file over 1 MiB is not read.
#[test]
fn a_configuration_over_a_megabyte_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("chronos-lint.toml");
    let pattern = format!("\"{}\"", "a*".repeat(500));
    let patterns = vec![pattern; 1_100].join(", ");
    fs::write(&config, format!("exclude = [{patterns}]\n")).unwrap();
    let (code, _, stderr) = stdout_of(chronos().arg("--config").arg(&config).arg("migrations/"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("larger than 1 MiB"), "{stderr}");
}

#[test]
fn a_file_over_the_token_budget_is_an_input_error_and_the_others_are_linted() {
    let dir = tempfile::tempdir().unwrap();
    // 1.2 million tokens in 4 MB: under the size limit, over the budget.
    fs::write(
        dir.path().join("0001_dump.sql"),
        "SELECT 1;\n".repeat(400_000),
    )
    .unwrap();
    fs::write(dir.path().join("0002_drop.sql"), "DROP TABLE cms_pages;\n").unwrap();
    let (code, stdout, stderr) = stdout_of(chronos().current_dir(dir.path()).args([
        "--no-cache",
        "--format",
        "compact",
        ".",
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("0001_dump.sql") && stderr.contains("more than 1000000 tokens"),
        "{stderr}"
    );
    assert!(stdout.contains("0002_drop.sql"), "{stdout}");
}

/// Findings of the ownership rules in compact output.
fn ownership_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|line| {
            [
                "[ownership-violation]",
                "[unowned-table]",
                "[cross-owner-foreign-key]",
            ]
            .iter()
            .any(|rule| line.contains(rule))
        })
        .collect()
}

#[test]
fn without_configuration_a_table_belongs_to_the_system_that_creates_it() {
    let dir = tree(&[
        (
            "app/0001_users.sql",
            b"CREATE TABLE users (id bigint PRIMARY KEY, email text);",
        ),
        (
            "etl/0001_load.sql",
            b"CREATE TABLE loads (id bigint PRIMARY KEY);\nUPDATE users SET email = lower(email);",
        ),
    ]);
    let (code, out, err) = stdout_of(chronos().current_dir(dir.path()).args([
        "--format",
        "compact",
        "--no-cache",
        ".",
    ]));
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        ownership_lines(&out),
        [
            "etl/0001_load.sql:2:8: error[ownership-violation] migration of `etl` (plain) writes to `users`, which the migrations of `app` (plain) create"
        ]
    );
}

#[test]
fn init_writes_owners_from_the_migrations_and_never_overwrites() {
    let dir = tree(&[
        (
            "db/app/0001_users.sql",
            b"CREATE TABLE app_users (id bigint PRIMARY KEY);\nCREATE TABLE app_teams (id bigint PRIMARY KEY);\nCREATE TABLE settings (id bigint PRIMARY KEY);",
        ),
        (
            "db/etl/0001_load.sql",
            b"CREATE TABLE raw_events (id bigint PRIMARY KEY);\nCREATE TEMP TABLE batch (id bigint);",
        ),
    ]);
    let (code, out, err) = stdout_of(chronos().current_dir(dir.path()).arg("init"));
    assert_eq!(code, 0, "{err}");
    let written = fs::read_to_string(dir.path().join("chronos-lint.toml")).unwrap();
    assert_eq!(out, written);
    assert!(
        written.contains("[owners.app]\ntables = [\"app_*\", \"settings\"]"),
        "{written}"
    );
    assert!(
        written.contains("[owners.etl]\ntables = [\"raw_events\"]"),
        "{written}"
    );
    assert!(
        written.contains("[[sources]]\npath = \"db/etl\"\nowner = \"etl\""),
        "{written}"
    );

    // With it, a new table outside the patterns is unowned and the other system's change is
    // reported; the tables that were there are quiet.
    fs::write(
        dir.path().join("db/etl/0002_more.sql"),
        "CREATE TABLE scratch (id bigint PRIMARY KEY);\nALTER TABLE app_users ADD COLUMN x int;",
    )
    .unwrap();
    let (_, out, err) = stdout_of(chronos().current_dir(dir.path()).args([
        "--format",
        "compact",
        "--no-cache",
        "db",
    ]));
    let found = ownership_lines(&out);
    assert_eq!(found.len(), 2, "{out}{err}");
    assert!(
        found[0].contains("[unowned-table] table `scratch`"),
        "{out}"
    );
    assert!(
        found[1].contains(
            "[ownership-violation] etl migration alters `app_users`, which belongs to app"
        ),
        "{out}"
    );

    let (code, _, err) = stdout_of(chronos().current_dir(dir.path()).arg("init"));
    assert_eq!(code, 2);
    assert!(err.contains("exists already"), "{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("chronos-lint.toml")).unwrap(),
        written
    );
}

#[test]
fn init_with_the_chronos_preset_and_on_real_folders() {
    let dir = tree(&[("db/0001.sql", b"CREATE TABLE notes (id int PRIMARY KEY);")]);
    let (code, _, err) = stdout_of(
        chronos()
            .current_dir(dir.path())
            .args(["init", "--preset", "chronos"]),
    );
    assert_eq!(code, 0, "{err}");
    let written = fs::read_to_string(dir.path().join("chronos-lint.toml")).unwrap();
    assert!(written.contains(include_str!("../presets/chronos.toml")));
    assert!(
        written.contains("# [[sources]]\n# path = \"db\""),
        "{written}"
    );
    let (code, _, err) = stdout_of(
        chronos()
            .current_dir(dir.path())
            .args(["init", "--preset", "nope"]),
    );
    assert_eq!(code, 2);
    assert!(err.contains("unknown preset `nope`"), "{err}");

    // On real drizzle folders: neither without a configuration nor with the one init writes is
    // there ownership noise.
    for folder in ["dokploy", "zero-mail", "ai-chatbot", "nextjs-saas-starter"] {
        let source = std::path::Path::new("../shared/corpus/real-drizzle").join(folder);
        if !source.is_dir() {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        support::copy_dir(&source, dir.path());
        let lint = || {
            stdout_of(chronos().current_dir(dir.path()).args([
                "--format",
                "compact",
                "--no-cache",
                ".",
            ]))
        };
        let (_, out, _) = lint();
        assert!(ownership_lines(&out).is_empty(), "{folder}: {out}");
        let (code, _, err) = stdout_of(chronos().current_dir(dir.path()).arg("init"));
        assert_eq!(code, 0, "{folder}: {err}");
        let (_, out, _) = lint();
        assert!(ownership_lines(&out).is_empty(), "{folder}: {out}");
    }
}
