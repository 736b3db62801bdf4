//! `--shadow` end to end on real PostgreSQL: the example migrations, cleanup after normal exit,
//! signals and SIGKILL (of the run and of its server), concurrent runs, `--shadow-url`, refusal
//! of a database that is not empty, a libpq environment that points elsewhere, and suppressions
//! of shadow findings. Each test starts its own clusters (through the binary or
//! `support::cluster`).

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

/// Waits until the slow migration of `slow_migrations`, run by `child`, runs on the server
/// listening in `socket_dir`.
fn wait_for_slow_statement(socket_dir: &Path, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while support::psql_at(
        socket_dir,
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

/// The processes `pid` started: for a postmaster, its backends and auxiliary processes (each
/// in a session of its own, so not in its process group).
fn children_of(pid: i32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&child| {
            std::fs::read_to_string(format!("/proc/{child}/stat")).is_ok_and(|stat| {
                stat.rsplit_once(") ")
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<i32>().ok())
                    == Some(pid)
            })
        })
        .collect()
}

/// A `--shadow` run of [`slow_migrations`] with its clusters in `base`, caught in the middle of
/// its slow statement.
struct SlowRun {
    child: Child,
    postmaster: i32,
    /// The server's own child processes (backends and background workers).
    children: Vec<i32>,
    _input: tempfile::TempDir,
}

fn slow_shadow_run(base: &Path, output: fn() -> Stdio) -> SlowRun {
    let input = slow_migrations();
    let mut child = binary()
        .env("CHRONOS_SHADOW_DIR", base)
        .arg("--shadow")
        .arg(input.path())
        .stdout(output())
        .stderr(output())
        .spawn()
        .unwrap();
    let postmaster = wait_for_postmaster(base, &mut child);
    wait_for_slow_statement(&clusters_in(base).pop().unwrap(), &mut child);
    SlowRun {
        children: children_of(postmaster),
        child,
        postmaster,
        _input: input,
    }
}

/// The System V shared memory segment (key, id) the server in `cluster` recorded in its
/// `postmaster.pid` (line 7).
fn shared_memory_of(cluster: &Path) -> (libc::key_t, libc::c_int) {
    let status = std::fs::read_to_string(cluster.join("data/postmaster.pid")).unwrap();
    let numbers: Vec<u64> = status
        .lines()
        .nth(6)
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    (numbers[0] as libc::key_t, numbers[1] as libc::c_int)
}

/// Whether the shared memory segment still exists.
fn segment_exists((key, id): (libc::key_t, libc::c_int)) -> bool {
    // SAFETY: shmget only looks the key up.
    unsafe { libc::shmget(key, 0, 0) == id }
}

/// Waits for the run to end, killing it after a generous while (a hang is a failure).
fn finish(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the run did not end: {:?}", child.wait_with_output());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
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

/// Runs two `--shadow` runs of the example migrations at once, with their clusters under
/// `base` (the default place when `None`); both must succeed and report the same.
fn two_runs_at_once(base: Option<&Path>) {
    let spawn = || {
        let mut command = binary();
        if let Some(base) = base {
            command.env("CHRONOS_SHADOW_DIR", base);
        }
        command
            .args(["--shadow", "--format", "compact", "migrations/"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let (first, second) = (finish(first), finish(second));
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
fn two_runs_at_once_both_succeed() {
    two_runs_at_once(None);
}

#[test]
fn a_killed_run_is_cleaned_up_by_the_next() {
    let base = shadow_base();
    let SlowRun {
        child: mut killed,
        postmaster,
        children,
        ..
    } = slow_shadow_run(base.path(), Stdio::null);
    killed.kill().unwrap(); // SIGKILL: nothing of the run gets to clean up
    killed.wait().unwrap();
    // The server follows its parent (parent-death signal); the directory stays for the sweep.
    assert!(
        wait_until_gone(postmaster),
        "postgres {postmaster} outlived the killed run"
    );
    for child in children {
        assert!(
            wait_until_gone(child),
            "postgres {child} outlived the killed run"
        );
    }
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
fn sigint_sigterm_and_sighup_stop_and_remove_the_cluster() {
    for (signal, code) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
    ] {
        let base = shadow_base();
        let SlowRun {
            mut child,
            postmaster,
            children,
            ..
        } = slow_shadow_run(base.path(), Stdio::null);
        let pid = i32::try_from(child.id()).unwrap();
        // SAFETY: signalling our own child.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "signal {signal}");
        assert!(!running(postmaster), "postgres survived signal {signal}");
        for child in children {
            assert!(
                wait_until_gone(child),
                "postgres {child} survived signal {signal}"
            );
        }
        assert_eq!(clusters_in(base.path()), Vec::<PathBuf>::new());
    }
}

#[test]
fn a_signal_while_the_template_is_made_leaves_nothing() {
    let base = shadow_base();
    let input = migrations(&[("0001.sql", "CREATE TABLE t (id bigint PRIMARY KEY);\n")]);
    let mut child = binary()
        .env("CHRONOS_SHADOW_DIR", base.path())
        .arg("--shadow")
        .arg(input.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // initdb is writing the template into a directory of its own (no owner file yet).
    let deadline = Instant::now() + Duration::from_secs(60);
    while !clusters_in(base.path())
        .iter()
        .any(|dir| dir.join("data").is_dir() && !dir.join("owner.pid").exists())
    {
        assert!(Instant::now() < deadline, "initdb never started");
        assert!(child.try_wait().unwrap().is_none(), "the run ended first");
        std::thread::sleep(Duration::from_millis(2));
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert_eq!(child.wait().unwrap().code(), Some(143));
    assert_eq!(clusters_in(base.path()), Vec::<PathBuf>::new());
}

#[test]
fn a_server_killed_under_the_run_ends_it_with_an_error_and_leaves_nothing() {
    let base = shadow_base();
    let SlowRun {
        child,
        postmaster,
        children,
        ..
    } = slow_shadow_run(base.path(), Stdio::piped);
    let cluster = clusters_in(base.path()).pop().unwrap();
    let segment = shared_memory_of(&cluster);
    assert!(segment_exists(segment));
    // Dynamic shared memory lives in the cluster's directory, not in /dev/shm.
    assert_eq!(
        support::psql_at(&cluster, "postgres", "SHOW dynamic_shared_memory_type").trim(),
        "mmap"
    );
    // SAFETY: signalling the server the run started (its directory is ours).
    assert_eq!(unsafe { libc::kill(postmaster, libc::SIGKILL) }, 0);

    let output = finish(child);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("stopped during the run"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!running(postmaster), "postgres {postmaster} still runs");
    for child in children {
        assert!(
            wait_until_gone(child),
            "postgres {child} outlived its server"
        );
    }
    assert_eq!(clusters_in(base.path()), Vec::<PathBuf>::new());
    // What the killed server could not remove was removed for it.
    assert!(!segment_exists(segment), "{segment:?} is left behind");
}

#[test]
fn a_cached_template_that_holds_tables_is_refused() {
    let base = shadow_base();
    // A template that is not what initdb made: a copy of a cluster holding a table.
    let source = support::cluster();
    support::psql(&source, "postgres", "CREATE TABLE planted (id int)");
    support::psql(&source, "postgres", "CHECKPOINT");
    let template = base.path().join(source.template().file_name().unwrap());
    let copied = Command::new("cp")
        .arg("-a")
        .arg(source.data_dir())
        .arg(&template)
        .status()
        .unwrap();
    assert!(copied.success());
    std::fs::remove_file(template.join("postmaster.pid")).unwrap();

    let output = binary()
        .env("CHRONOS_SHADOW_DIR", base.path())
        .args(["--shadow", "migrations/"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("refusing to apply migrations"), "{err}");
    assert!(err.contains("public.planted"), "{err}");
    assert!(err.contains(&*template.to_string_lossy()), "{err}");
    assert_eq!(clusters_in(base.path()), Vec::<PathBuf>::new());
}

#[test]
fn two_first_runs_at_once_make_the_template_and_both_succeed() {
    // An empty base: both runs find no template and make one at the same time.
    let base = shadow_base();
    two_runs_at_once(Some(base.path()));
    // One template is left, and no cluster or half-made template.
    assert_eq!(clusters_in(base.path()), Vec::<PathBuf>::new());
    let left: Vec<_> = std::fs::read_dir(base.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with("template-pg"), "{left:?}");
}

/// A cluster standing for the server a user's libpq environment points at: it logs every
/// connection it receives.
fn decoy() -> chronos_lint::shadow::cluster::Cluster {
    let decoy = support::cluster();
    support::psql(&decoy, "postgres", "ALTER SYSTEM SET log_connections = on");
    support::psql(&decoy, "postgres", "SELECT pg_reload_conf()");
    // The server rereads its configuration in its own time.
    let deadline = Instant::now() + Duration::from_secs(60);
    while support::psql(&decoy, "postgres", "SHOW log_connections").trim() != "on" {
        assert!(
            Instant::now() < deadline,
            "log_connections never took effect"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    decoy
}

/// Connections the decoy received after its log was `from` bytes long.
fn connections_since(decoy: &chronos_lint::shadow::cluster::Cluster, from: usize) -> Vec<String> {
    let log = std::fs::read(decoy.log_path()).unwrap();
    String::from_utf8_lossy(&log[from..])
        .lines()
        .filter(|line| line.contains("connection received"))
        .map(str::to_owned)
        .collect()
}

fn log_length(decoy: &chronos_lint::shadow::cluster::Cluster) -> usize {
    std::fs::metadata(decoy.log_path()).unwrap().len() as usize
}

/// Everything of a libpq (and sqlx) environment that can say where to connect, pointing at
/// `decoy`, with session options that would make every migration fail there. Files go to `dir`.
fn environment_towards(
    decoy: &chronos_lint::shadow::cluster::Cluster,
    dir: &Path,
) -> Vec<(&'static str, String)> {
    let socket = decoy.socket_dir().display().to_string();
    let port = chronos_lint::shadow::cluster::PORT.to_string();
    let service_file = dir.join("pg_service.conf");
    std::fs::write(
        &service_file,
        format!("[decoy]\nhost={socket}\nport={port}\nuser=postgres\ndbname=postgres\n"),
    )
    .unwrap();
    let pass_file = dir.join("pgpass");
    std::fs::write(&pass_file, "*:*:*:*:decoy-secret\n").unwrap();
    std::fs::set_permissions(
        &pass_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    vec![
        ("PGHOST", socket),
        ("PGPORT", port),
        ("PGUSER", "postgres".to_owned()),
        ("PGDATABASE", "postgres".to_owned()),
        ("PGPASSWORD", "decoy-secret".to_owned()),
        ("PGPASSFILE", pass_file.display().to_string()),
        ("PGSERVICE", "decoy".to_owned()),
        ("PGSERVICEFILE", service_file.display().to_string()),
        ("PGAPPNAME", "decoy".to_owned()),
        (
            "PGOPTIONS",
            "-c default_transaction_read_only=on".to_owned(),
        ),
        ("DATABASE_URL", decoy.url("postgres")),
    ]
}

/// The run applied the example migrations as usual: no statement failed.
fn assert_applied_cleanly(output: &Output) {
    let report = json(output);
    let rules = rules_of(&report);
    assert!(
        !rules.iter().any(|r| r == "shadow-apply-failed"),
        "{report:#}"
    );
    assert!(rules.iter().any(|r| r == "shadow-lock"), "{report:#}");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn shadow_connects_to_its_own_cluster_whatever_the_environment_says() {
    let decoy = decoy();
    let files = tempfile::tempdir().unwrap();
    let mut environment = environment_towards(&decoy, files.path());
    // TLS the throwaway cluster does not offer (a `--shadow-url` session honours it, as libpq
    // does).
    environment.push(("PGSSLMODE", "require".to_owned()));
    let from = log_length(&decoy);
    let output = binary()
        .envs(environment)
        .args(["--shadow", "--format", "json", "migrations/"])
        .output()
        .unwrap();
    assert_applied_cleanly(&output);
    assert_eq!(connections_since(&decoy, from), Vec::<String>::new());

    // The server it starts takes nothing from the environment either (postgres reads PGPORT).
    let output = binary()
        .env("PGPORT", "not-a-port")
        .args(["--shadow", "--format", "json", "migrations/"])
        .output()
        .unwrap();
    assert_applied_cleanly(&output);
}

#[test]
fn shadow_url_connects_to_the_url_whatever_the_environment_says() {
    let decoy = decoy();
    let server = support::cluster();
    let files = tempfile::tempdir().unwrap();
    let from = log_length(&decoy);
    let output = binary()
        .envs(environment_towards(&decoy, files.path()))
        .args([
            "--shadow-url",
            &server.url("postgres"),
            "--format",
            "json",
            "migrations/",
        ])
        .output()
        .unwrap();
    assert_applied_cleanly(&output);
    assert_eq!(connections_since(&decoy, from), Vec::<String>::new());
    assert_eq!(shadow_databases(&server), "");
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
    wait_for_slow_statement(cluster.socket_dir(), &mut child);
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
