//! TLS for `--shadow-url` and `--database-url`: a throwaway cluster that listens on loopback TCP,
//! accepts only TLS connections (`hostssl` in its hba file), and presents a certificate signed
//! by a throwaway CA made here with openssl.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use chronos_lint::shadow::cluster::{Cluster, find_binaries};

/// Runs openssl in `dir`; panics with its output when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Process::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (scripts/bootstrap.sh installs it)");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA named `name`: `<name>.crt` and `<name>.key` in `dir`.
fn certificate_authority(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
        ],
    );
}

/// `server.crt` for localhost and 127.0.0.1, signed by the CA `ca`, and its `server.key`.
fn server_certificate(dir: &Path, ca: &str) {
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName = DNS:localhost, IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    );
}

/// The server reads its key as the cluster's user (`postgres` when we are root) and refuses a
/// key that others can read.
fn give_key_to_server(dir: &Path) {
    let key = dir.join("server.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    if unsafe { libc::geteuid() } == 0 {
        let id = |flag: &str| -> u32 {
            let output = Process::new("id")
                .args([flag, "postgres"])
                .output()
                .unwrap();
            String::from_utf8(output.stdout)
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        std::os::unix::fs::chown(&key, Some(id("-u")), Some(id("-g"))).unwrap();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct TlsServer {
    _cluster: Cluster,
    port: u16,
    dir: tempfile::TempDir,
}

impl TlsServer {
    fn start() -> TlsServer {
        let dir = tempfile::tempdir().unwrap();
        // The server, running as another user when we are root, reads its files from here.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        certificate_authority(dir.path(), "ca");
        certificate_authority(dir.path(), "other-ca");
        server_certificate(dir.path(), "ca");
        give_key_to_server(dir.path());
        // Only TLS over TCP: a connection that does not use it is refused.
        std::fs::write(
            dir.path().join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
        )
        .unwrap();
        let port = free_port();
        let path = |name: &str| dir.path().join(name).display().to_string();
        let binaries = find_binaries().expect("PostgreSQL server binaries");
        let cluster = Cluster::start_with(
            &binaries,
            &[
                ("listen_addresses", "127.0.0.1"),
                ("port", &port.to_string()),
                ("ssl", "on"),
                ("ssl_cert_file", &path("server.crt")),
                ("ssl_key_file", &path("server.key")),
                ("hba_file", &path("pg_hba.conf")),
            ],
        )
        .expect("TLS cluster starts");
        TlsServer {
            _cluster: cluster,
            port,
            dir,
        }
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres?{query}", self.port)
    }

    fn ca(&self, name: &str) -> String {
        self.dir
            .path()
            .join(format!("{name}.crt"))
            .display()
            .to_string()
    }
}

/// Two migrations: the second rewrites the table the first made, which only the shadow sees.
fn migrations() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("sql");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("0001_things.sql"),
        "CREATE TABLE things (id bigint PRIMARY KEY, n integer);\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("0002_widen.sql"),
        "ALTER TABLE things ALTER COLUMN n TYPE bigint;\n",
    )
    .unwrap();
    dir
}

fn lint(project: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let output = Command::cargo_bin("chronos-lint")
        .unwrap()
        .current_dir(project)
        .args(["--no-cache", "--format", "json"])
        .args(args)
        .arg("sql")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_default();
    (
        output.status.code(),
        report,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn rules(report: &serde_json::Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| d["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn shadow_url_and_database_url_speak_tls() {
    let server = TlsServer::start();
    let project = migrations();

    let verify_full = format!("sslmode=verify-full&sslrootcert={}", server.ca("ca"));
    for url in [
        server.url("127.0.0.1", "sslmode=require"),
        server.url("localhost", &verify_full),
    ] {
        let (code, report, stderr) = lint(project.path(), &["--shadow-url", &url]);
        assert_ne!(code, Some(2), "{url}: {stderr}");
        assert_eq!(report["errors"], serde_json::json!([]), "{url}: {stderr}");
        // The migrations ran on the server: only the shadow sees the rewrite.
        assert!(
            rules(&report).contains(&"shadow-rewrite".to_owned()),
            "{url}: {report}"
        );
    }

    // Read-only comparison with the drizzle bookkeeping table: connecting is what is tested.
    let (code, _, stderr) = lint(
        project.path(),
        &[
            "--database-url",
            &server.url("127.0.0.1", "sslmode=require"),
        ],
    );
    assert_ne!(code, Some(2), "{stderr}");
}

#[test]
fn tls_failures_exit_2_with_a_clear_message() {
    let server = TlsServer::start();
    let project = migrations();

    // A certificate from a CA the client was not told to trust.
    let wrong_ca = server.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", server.ca("other-ca")),
    );
    let (code, _, stderr) = lint(project.path(), &["--shadow-url", &wrong_ca]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--shadow-url"), "{stderr}");
    assert!(stderr.contains("sslrootcert"), "{stderr}");
    let (code, _, stderr) = lint(project.path(), &["--database-url", &wrong_ca]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--database-url"), "{stderr}");
    assert!(stderr.contains("sslrootcert"), "{stderr}");

    // The server takes only TLS; without it the connection is refused, and said so.
    let plain = server.url("127.0.0.1", "sslmode=disable");
    let (code, _, stderr) = lint(project.path(), &["--shadow-url", &plain]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--shadow-url"), "{stderr}");
}
