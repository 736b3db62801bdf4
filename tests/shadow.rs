//! `--shadow` end to end on real PostgreSQL: the example migrations, cleanup after normal exit,
//! signals and SIGKILL, concurrent runs, `--shadow-url`, and suppressions of shadow findings.
//! Each test starts its own clusters (through the binary or `support::cluster`).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chronos-lint"))
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "{err}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn rules_of(report: &serde_json::Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_owned())
        .collect()
}

/// A folder of plain migrations.
fn migrations(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// A run whose second migration sleeps, so it can be interrupted mid-way.
fn slow_migrations() -> tempfile::TempDir {
    migrations(&[
        (
            "0001_create.sql",
            "CREATE TABLE cms_posts (id bigint PRIMARY KEY);\n",
        ),
        ("0002_slow.sql", "SELECT pg_sleep(60);\n"),
    ])
}

/// The cluster directories under a shadow base directory.
fn clusters_in(base: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(base)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("chronos-shadow-"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until a cluster under `base` has a running server; returns its postmaster pid.
fn wait_for_postmaster(base: &Path, child: &mut Child) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before its cluster started"
        );
        for cluster in clusters_in(base) {
            let pid_file = cluster.join("data/postmaster.pid");
            if let Ok(text) = std::fs::read_to_string(&pid_file)
                // The last line is the server status once it accepts connections.
                && text.contains("ready")
                && let Some(pid) = text.lines().next().and_then(|l| l.trim().parse().ok())
            {
                return pid;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no cluster started in {}",
            base.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether a process runs (a zombie no longer does).
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
        Err(_) => false,
    }
}

fn wait_until_gone(pid: i32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while running(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// A private base directory for clusters (its own template cache), so sweeps and leftovers
/// of other tests do not mix in.
fn shadow_base() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("chronos-shadow-test-")
        .tempdir_in(std::env::temp_dir())
        .unwrap()
}

#[test]
fn the_example_migrations_apply_cleanly() {
    let output = binary()
        .args(["--shadow", "--format", "json", "migrations/"])
        .output()
        .unwrap();
    let report = json(&output);
    let rules = rules_of(&report);
    for rule in [
        "shadow-apply-failed",
        "snapshot-drift",
        "extension-unavailable",
    ] {
        assert!(!rules.iter().any(|r| r == rule), "{rule}: {report:#}");
    }
    // The locks the example really takes on existing tables are reported.
    assert!(rules.iter().any(|r| r == "shadow-lock"), "{report:#}");
    // Nothing but the report: no progress when the output is not a terminal.
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn two_runs_at_once_both_succeed() {
    let spawn = || {
        binary()
            .args(["--shadow", "--format", "compact", "migrations/"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    for output in [&first, &second] {
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(first.stdout, second.stdout);
    assert!(String::from_utf8_lossy(&first.stdout).contains("shadow-lock"));
}

#[test]
fn a_killed_run_is_cleaned_up_by_the_next() {
    let base = shadow_base();
    let input = slow_migrations();
    let mut killed = binary()
        .env("CHRONOS_SHADOW_DIR", base.path())
        .arg("--shadow")
        .arg(input.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let postmaster = wait_for_postmaster(base.path(), &mut killed);
    killed.kill().unwrap(); // SIGKILL: nothing of the run gets to clean up
    killed.wait().unwrap();
    // The server follows its parent (parent-death signal); the directory stays for the sweep.
    assert!(
        wait_until_gone(postmaster),
        "postgres {postmaster} outlived the killed run"
    );
    assert_eq!(clusters_in(base.path()).len(), 1);

    let quick = migrations(&[(
        "0001.sql",
        "CREATE TABLE cms_tags (id bigint PRIMARY KEY);\n",
    )]);
    let next = binary()
        .env("CHRONOS_SHADOW_DIR", base.path())
        .arg("--shadow")
        .arg(quick.path())
        .output()
        .unwrap();
    assert_eq!(
        next.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    assert!(!running(postmaster), "postgres {postmaster} still runs");
    assert_eq!(clusters_in(base.path()), Vec::<PathBuf>::new());
}

#[test]
fn sigint_and_sigterm_stop_and_remove_the_cluster() {
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let base = shadow_base();
        let input = slow_migrations();
        let mut child = binary()
            .env("CHRONOS_SHADOW_DIR", base.path())
            .arg("--shadow")
            .arg(input.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let postmaster = wait_for_postmaster(base.path(), &mut child);
        let pid = i32::try_from(child.id()).unwrap();
        // SAFETY: signalling our own child.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "signal {signal}");
        assert!(!running(postmaster), "postgres survived signal {signal}");
        assert_eq!(clusters_in(base.path()), Vec::<PathBuf>::new());
    }
}

/// Databases named `chronos_shadow_*` on a cluster.
fn shadow_databases(cluster: &chronos_lint::shadow::cluster::Cluster) -> String {
    support::psql(
        cluster,
        "postgres",
        "SELECT string_agg(datname, ',') FROM pg_database WHERE datname LIKE 'chronos_shadow_%'",
    )
    .trim()
    .to_owned()
}

#[test]
fn shadow_url_creates_uses_and_drops_its_own_database() {
    let cluster = support::cluster();
    support::psql(&cluster, "postgres", "CREATE TABLE users_keep_out (id int)");
    let output = binary()
        .args([
            "--format",
            "json",
            "--shadow-url",
            &cluster.url("postgres"),
            "migrations/",
        ])
        .output()
        .unwrap();
    let report = json(&output);
    assert!(
        rules_of(&report).iter().any(|r| r == "shadow-lock"),
        "{report:#}"
    );
    assert_eq!(shadow_databases(&cluster), "");
    // The database of the URL was only used to create the shadow database.
    assert_eq!(
        support::psql(
            &cluster,
            "postgres",
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        )
        .trim(),
        "1"
    );
}

#[test]
fn shadow_url_refuses_a_database_that_holds_tables() {
    let cluster = support::cluster();
    support::psql(&cluster, "template1", "CREATE TABLE leftover (id int)");
    let output = binary()
        .args(["--shadow-url", &cluster.url("postgres"), "migrations/"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("refusing to apply migrations"), "{err}");
    assert!(err.contains("public.leftover"), "{err}");
    assert_eq!(shadow_databases(&cluster), "");
}

#[test]
fn shadow_url_errors_never_show_the_password() {
    let output = binary()
        .args([
            "--shadow-url",
            "postgres://app:hunter2@/nowhere?host=/nonexistent-socket-dir",
            "migrations/",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("--shadow-url"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn an_interrupted_shadow_url_run_drops_its_database() {
    let cluster = support::cluster();
    let input = slow_migrations();
    let mut child = binary()
        .args(["--shadow-url", &cluster.url("postgres")])
        .arg(input.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Wait for the slow statement to run in the shadow database.
    while support::psql(
        &cluster,
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'",
    )
    .trim()
        == "0"
    {
        assert!(Instant::now() < deadline, "the slow migration never ran");
        assert!(child.try_wait().unwrap().is_none());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_ne!(shadow_databases(&cluster), "");
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(shadow_databases(&cluster), "");
}

#[test]
fn suppressions_apply_to_shadow_findings() {
    let input = migrations(&[
        (
            "0001_create.sql",
            "CREATE TABLE cms_posts (id bigint PRIMARY KEY, status text);\n",
        ),
        (
            "0002_index.sql",
            "-- chronos-lint: ignore shadow-lock -- twelve rows, no concurrent writers\n\
             CREATE INDEX cms_posts_status_idx ON cms_posts (status);\n",
        ),
    ]);
    let run = |shadow: bool| {
        let mut command = binary();
        command.args([
            "--format",
            "json",
            "--select",
            "shadow-lock,unused-suppression",
        ]);
        if shadow {
            command.arg("--shadow");
        }
        json(&command.arg(input.path()).output().unwrap())
    };
    // Suppressed with --shadow; without it the suppression is not reported as unused.
    assert_eq!(rules_of(&run(true)), Vec::<String>::new());
    assert_eq!(rules_of(&run(false)), Vec::<String>::new());

    std::fs::write(
        input.path().join("0002_index.sql"),
        "CREATE INDEX cms_posts_status_idx ON cms_posts (status);\n",
    )
    .unwrap();
    assert_eq!(rules_of(&run(true)), ["shadow-lock"]);
}

#[test]
fn a_panic_stops_and_removes_the_cluster() {
    let seen = std::sync::Mutex::new(None);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let cluster = support::cluster();
        let pid_file = cluster.data_dir().join("postmaster.pid");
        let pid: i32 = std::fs::read_to_string(pid_file)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        *seen.lock().unwrap() = Some((cluster.socket_dir().to_path_buf(), pid));
        panic!("a bug while the cluster runs");
    }));
    assert!(result.is_err());
    let (dir, pid) = seen.lock().unwrap().take().unwrap();
    assert!(!dir.exists(), "{} is left behind", dir.display());
    assert!(wait_until_gone(pid), "postgres {pid} still runs");
}

/// Runs the binary with a terminal on stdout and stderr (util-linux `script`); `None` when
/// `script` is not installed.
fn on_a_terminal(args: &str) -> Option<String> {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_chronos-lint"));
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn progress_shows_on_a_terminal_and_nowhere_else() {
    let Some(human) = on_a_terminal("--shadow migrations/drizzle") else {
        eprintln!("skipped: no `script` to provide a terminal");
        return;
    };
    assert!(human.contains("applying"), "{human}");
    let machine = on_a_terminal("--shadow --format json migrations/drizzle").unwrap();
    assert!(!machine.contains("applying"), "{machine}");
    let piped = on_a_terminal("--shadow migrations/drizzle > /dev/null").unwrap();
    assert!(!piped.contains("applying"), "{piped}");
}
