//! Shared by the integration tests that need a real PostgreSQL: each starts its own throwaway
//! cluster exactly as `--shadow` does.

#![allow(dead_code)]

use chronos_lint::shadow::cluster::{Cluster, PORT, find_binaries};

pub fn cluster() -> Cluster {
    let binaries =
        find_binaries().expect("PostgreSQL server binaries (scripts/bootstrap.sh installs them)");
    Cluster::start(&binaries).expect("throwaway cluster starts")
}

/// Runs SQL with psql against `database` of the cluster.
pub fn psql(cluster: &Cluster, database: &str, sql: &str) -> String {
    psql_at(cluster.socket_dir(), database, sql)
}

/// Runs SQL with psql against `database` of the server listening in `socket_dir`.
pub fn psql_at(socket_dir: &std::path::Path, database: &str, sql: &str) -> String {
    let output = std::process::Command::new("psql")
        .args([
            "-X",
            "-q",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-U",
            "postgres",
            "-h",
        ])
        .arg(socket_dir)
        .args(["-p", &PORT.to_string(), "-d", database, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        output.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Copies the directory tree `from` to `to`.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs a script with psql against `database` of the cluster, each statement in a transaction
/// of its own; with `stop_on_error`, the first error fails it. Gives psql's errors.
pub fn psql_script(
    cluster: &Cluster,
    database: &str,
    script: &str,
    stop_on_error: bool,
) -> Result<(), String> {
    use std::io::Write;
    let mut child = std::process::Command::new("psql")
        .args(["-X", "-q", "-At", "-v"])
        .arg(format!("ON_ERROR_STOP={}", u8::from(stop_on_error)))
        .args(["-U", "postgres", "-h"])
        .arg(cluster.socket_dir())
        .args(["-p", &PORT.to_string(), "-d", database, "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("psql runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(script.as_bytes())
        .expect("psql reads the script");
    let output = child.wait_with_output().expect("psql ends");
    let errors = String::from_utf8_lossy(&output.stderr).into_owned();
    // With ON_ERROR_STOP, psql exits non-zero on the first error; notices are no failure.
    if output.status.success() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Runs git in `dir` as a test author (file-protocol submodules allowed); fails the test on an
/// error, else gives its stdout.
pub fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "protocol.file.allow=always"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
