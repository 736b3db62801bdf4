//! Time limits: a server that accepts and never answers, and migrations that never end, stop a
//! run within its limits (`--connect-timeout`, `--shadow-statement-timeout`) and say which;
//! a migration's own `statement_timeout` does not reach the shadow's own queries.

mod support;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn lint(project: &std::path::Path, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_chronos-lint"))
        .current_dir(project)
        .args(["--no-cache", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (output, started.elapsed())
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, sql) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, sql).unwrap();
    }
    dir
}

fn findings(output: &Output, rule: &str) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!("{err}: {}", String::from_utf8_lossy(&output.stderr));
    });
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == rule)
        .cloned()
        .collect()
}

#[test]
fn a_server_that_never_answers_is_given_up_on() {
    // Accepts connections and never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let connections: Vec<_> = listener.incoming().take(2).collect();
        std::thread::sleep(Duration::from_secs(30));
        drop(connections);
    });
    let project = project(&[("0001_t.sql", "CREATE TABLE t (id bigint PRIMARY KEY);")]);
    let url = format!("postgres://app@127.0.0.1:{port}/app?sslmode=disable");
    for flag in ["--database-url", "--shadow-url"] {
        let (output, took) = lint(project.path(), &["--connect-timeout", "1", flag, &url, "."]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains(flag), "{stderr}");
        assert!(stderr.contains("--connect-timeout"), "{stderr}");
        assert!(took < Duration::from_secs(15), "{flag} took {took:?}");
    }
    drop(held);
}

#[test]
fn statements_that_never_end_are_canceled_and_reported() {
    let project = project(&[
        ("sleep/0001_sleep.sql", "SELECT pg_sleep(600);\n"),
        (
            "loop/0002_loop.sql",
            // Its own statement_timeout cannot lift the shadow's limit.
            "SET statement_timeout = 0;\nDO $$ BEGIN LOOP PERFORM 1; END LOOP; END $$;\n",
        ),
    ]);
    let cluster = support::cluster();
    // Each folder is a set of one migration.
    for file in ["sleep/0001_sleep.sql", "loop/0002_loop.sql"] {
        let (output, took) = lint(
            project.path(),
            &[
                "--shadow-statement-timeout",
                "1",
                "--shadow-url",
                &cluster.url("postgres"),
                file,
            ],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_ne!(output.status.code(), Some(2), "{file}: {stderr}");
        assert!(took < Duration::from_secs(30), "{file} took {took:?}");
        let failed = findings(&output, "shadow-apply-failed");
        assert_eq!(failed.len(), 1, "{file}: {failed:?}");
        let message = failed[0]["message"].as_str().unwrap();
        assert!(
            message.contains("still running after 1 s") && message.contains("canceled"),
            "{message}"
        );
    }
}

/// A migration that catches the cancel, or locks new sessions out before it runs long, is still
/// stopped: the canceling session is opened before any migration runs, and a statement that
/// outlives the cancel has its session ended. The set's finding says so; the other sets and
/// the static findings are reported as ever.
#[test]
fn statements_that_outlive_the_cancel_end_their_session_and_only_their_set() {
    let project = project(&[
        (
            "swallow/0001_swallow.sql",
            "DO $$ BEGIN LOOP BEGIN PERFORM pg_sleep(1); \
             EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$;\n",
        ),
        (
            "locked/0001_locked.sql",
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I CONNECTION LIMIT 1', \
             current_database()); END $$;\nSELECT pg_sleep(600);\n",
        ),
        (
            "other/0001_create.sql",
            "CREATE TABLE t (id int PRIMARY KEY);\n",
        ),
        ("other/0002_drop.sql", "DROP TABLE t;\n"),
    ]);
    let cluster = support::cluster();
    for (file, phrase) in [
        ("swallow/0001_swallow.sql", "its session was ended"),
        ("locked/0001_locked.sql", "still running after 1 s"),
    ] {
        let (output, took) = lint(
            project.path(),
            &[
                "--shadow-statement-timeout",
                "1",
                "--shadow-url",
                &cluster.url("postgres"),
                file,
                "other",
            ],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_ne!(output.status.code(), Some(2), "{file}: {stderr}");
        assert!(took < Duration::from_secs(40), "{file} took {took:?}");
        let failed = findings(&output, "shadow-apply-failed");
        assert_eq!(failed.len(), 1, "{file}: {failed:?}");
        let message = failed[0]["message"].as_str().unwrap();
        assert!(message.contains(phrase), "{file}: {message}");
        assert_eq!(findings(&output, "drop-table").len(), 1, "{file}: {stderr}");
    }
}

#[test]
fn a_migrations_statement_timeout_does_not_reach_the_shadows_own_queries() {
    // Two thousand new tables, their locks held: reading what a statement did takes the shadow
    // well over the 1 ms the migration then allows its own statements.
    let project = project(&[(
        "0001_many.sql",
        "BEGIN;\n\
         DO $$ BEGIN FOR i IN 1..2000 LOOP \
           EXECUTE format('CREATE TABLE t%s (id bigint PRIMARY KEY)', i); END LOOP; END $$;\n\
         SET LOCAL statement_timeout = '1ms';\n\
         SELECT 1;\n\
         SET LOCAL statement_timeout = 0;\n\
         COMMIT;\n",
    )]);
    let cluster = support::cluster();
    let (output, _) = lint(
        project.path(),
        &["--shadow-url", &cluster.url("postgres"), "."],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(2), "{stderr}");
    assert!(
        findings(&output, "shadow-apply-failed").is_empty(),
        "{stderr}"
    );
}
