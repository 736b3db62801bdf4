//! `--shadow-url` with a superuser's URL: whatever the migrations try (dynamic SQL, functions,
//! server files, other sessions), the server is left exactly as it was, but for nothing at all.
//! Each attempt is a migration set of its own, so that each is tried whatever the others do.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use chronos_lint::shadow::cluster::Cluster;

/// What a migration could change outside its database: roles and their memberships and
/// settings, databases (owners, grants, settings, comments), tablespaces, comments on shared
/// objects, and the settings file `ALTER SYSTEM` writes.
fn server_state(cluster: &Cluster) -> String {
    let queries = [
        "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, \
                rolreplication, rolbypassrls, rolconnlimit, rolpassword IS NULL, rolvaliduntil \
           FROM pg_authid ORDER BY rolname",
        "SELECT r.rolname, m.rolname, admin_option FROM pg_auth_members a \
           JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member ORDER BY 1, 2",
        "SELECT setdatabase, setrole, setconfig FROM pg_db_role_setting ORDER BY 1, 2",
        // Access lists as stored: a GRANT that grants nothing, by a role that holds a
        // privilege on the database (CONNECT, through PUBLIC), makes PostgreSQL write out the
        // default list, which the run puts back.
        "SELECT datname, pg_get_userbyid(datdba), coalesce(datacl::text, 'none'), \
                datallowconn, datconnlimit \
           FROM pg_database ORDER BY datname",
        "SELECT spcname, pg_get_userbyid(spcowner), coalesce(spcacl::text, 'none'), spcoptions \
           FROM pg_tablespace ORDER BY spcname",
        "SELECT classoid::regclass, objoid, description FROM pg_shdescription ORDER BY 1, 2",
    ];
    let mut state: Vec<String> = queries
        .iter()
        .map(|query| support::psql(cluster, "postgres", query))
        .collect();
    state.push(
        std::fs::read_to_string(cluster.data_dir().join("postgresql.auto.conf"))
            .unwrap_or_default(),
    );
    state.join("\n----\n")
}

/// One migration set per attempt: (folder, SQL). `{dir}` is a directory the server may write.
/// Each is reported, but the two in [`UNREPORTED`].
const ATTEMPTS: &[(&str, &str)] = &[
    (
        "role_in_do",
        "DO $$ BEGIN CREATE ROLE chronos_intruder SUPERUSER LOGIN; END $$;",
    ),
    (
        "grant_on_database",
        "DO $$ BEGIN EXECUTE 'GRANT ALL ON DATABASE victim TO PUBLIC'; END $$;",
    ),
    (
        "revoke_on_database",
        "DO $$ BEGIN EXECUTE 'REVOKE CONNECT ON DATABASE victim FROM PUBLIC'; END $$;",
    ),
    (
        "comment_on_database",
        "DO $$ BEGIN EXECUTE 'COMMENT ON DATABASE victim IS ''taken'''; END $$;",
    ),
    (
        "database_owner",
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE victim OWNER TO %I', current_user); END $$;",
    ),
    (
        "tablespace_owner",
        "DO $$ BEGIN EXECUTE format('ALTER TABLESPACE pg_default OWNER TO %I', current_user); END $$;",
    ),
    (
        "tablespace_grant",
        "DO $$ BEGIN EXECUTE 'GRANT CREATE ON TABLESPACE pg_default TO PUBLIC'; END $$;",
    ),
    (
        "drop_owned",
        "DO $$ BEGIN EXECUTE 'DROP OWNED BY postgres'; END $$;",
    ),
    (
        "role_in_function",
        "CREATE FUNCTION lock_out() RETURNS void LANGUAGE plpgsql AS $$ \
         BEGIN ALTER ROLE postgres CONNECTION LIMIT 1; END $$;\nSELECT lock_out();",
    ),
    (
        "role_settings",
        "DO $$ BEGIN EXECUTE 'ALTER ROLE ALL SET work_mem = ''1GB'''; END $$;",
    ),
    (
        "copy_to_server_file",
        "COPY (SELECT 'written') TO '{dir}/copied.txt';",
    ),
    (
        "large_object_export",
        "SELECT lo_export(lo_from_bytea(0, 'written'), '{dir}/exported.txt');",
    ),
    (
        "terminate_other_sessions",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
          WHERE datname = 'victim' AND pid <> pg_backend_pid();",
    ),
    (
        "set_role",
        "SET ROLE postgres;\nCREATE ROLE chronos_intruder;",
    ),
    ("alter_system", "ALTER SYSTEM SET work_mem = '1GB';"),
    ("static_grant", "GRANT ALL ON DATABASE victim TO PUBLIC;"),
    (
        "static_owner",
        "ALTER DATABASE victim OWNER TO CURRENT_USER;\nCOMMENT ON ROLE postgres IS 'taken';",
    ),
];

/// GRANT and REVOKE on a database by a role that holds a privilege there (CONNECT, through
/// PUBLIC) but may not grant it: PostgreSQL changes nothing and says so in a warning, not an
/// error, and a warning inside dynamic SQL is not seen. Written plainly, they are reported.
const UNREPORTED: &[&str] = &["grant_on_database", "revoke_on_database"];

#[test]
fn a_superuser_shadow_url_run_leaves_the_server_as_it_was() {
    let cluster = support::cluster();
    support::psql(&cluster, "postgres", "CREATE DATABASE victim");
    support::psql(&cluster, "victim", "CREATE TABLE kept (id int)");

    // A directory the server, running as another user when we are root, could write to.
    let files = tempfile::tempdir().unwrap();
    std::fs::set_permissions(files.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let project = tempfile::tempdir().unwrap();
    for (folder, sql) in ATTEMPTS {
        let dir = project.path().join(folder);
        std::fs::create_dir(&dir).unwrap();
        let sql = sql.replace("{dir}", &files.path().display().to_string());
        std::fs::write(dir.join("0001_attempt.sql"), sql).unwrap();
    }

    // Another session on the server, which a migration must not be able to end.
    let mut bystander = Command::new("psql")
        .args(["-X", "-q", "-U", "postgres", "-h"])
        .arg(cluster.socket_dir())
        .args(["-p", "5432", "-d", "victim", "-c", "SELECT pg_sleep(120)"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while support::psql(
        &cluster,
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'victim'",
    )
    .trim()
        == "0"
    {
        assert!(
            std::time::Instant::now() < deadline,
            "bystander never connected"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    let before = server_state(&cluster);
    let output = Command::new(env!("CARGO_BIN_EXE_chronos-lint"))
        .current_dir(project.path())
        .args(["--no-cache", "--format", "json", "--shadow-url"])
        .arg(cluster.url("postgres"))
        .args(ATTEMPTS.iter().map(|(folder, _)| *folder))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(2), "{stderr}");
    let after = server_state(&cluster);

    assert_eq!(before, after, "the server changed");
    assert!(
        bystander.try_wait().unwrap().is_none(),
        "the other session was ended"
    );
    let _ = bystander.kill();
    let _ = bystander.wait();
    let written: Vec<_> = std::fs::read_dir(files.path()).unwrap().collect();
    assert!(
        written.is_empty(),
        "files written on the server: {written:?}"
    );
    assert_eq!(
        support::psql(&cluster, "victim", "SELECT count(*) FROM kept").trim(),
        "0"
    );

    // Every attempt is a finding: refused to the confined role, or not run at all.
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let reported: std::collections::BTreeSet<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "shadow-server-change")
        .map(|d| {
            let path = d["path"].as_str().unwrap();
            path.split('/').next().unwrap().to_owned()
        })
        .collect();
    let attempted: std::collections::BTreeSet<String> = ATTEMPTS
        .iter()
        .map(|(folder, _)| (*folder).to_owned())
        .filter(|folder| !UNREPORTED.contains(&folder.as_str()))
        .collect();
    assert_eq!(reported, attempted, "{report:#}");
}

#[test]
fn a_superuser_shadow_url_run_refuses_when_the_confined_role_cannot_log_in() {
    // Unix-socket logins only for the superuser (peer-like): the role of the run is turned away.
    let binaries = chronos_lint::shadow::cluster::find_binaries().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let hba = dir.path().join("pg_hba.conf");
    std::fs::write(&hba, "local all postgres trust\n").unwrap();
    let cluster = Cluster::start_with(&binaries, &[("hba_file", &hba.display().to_string())])
        .expect("cluster starts");
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("0001_t.sql"),
        "CREATE TABLE t (id bigint PRIMARY KEY);",
    )
    .unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_chronos-lint"))
        .current_dir(project.path())
        .args(["--no-cache", "--shadow-url"])
        .arg(cluster.url("postgres"))
        .arg(".")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot log in"), "{stderr}");
    assert!(stderr.contains("--shadow"), "{stderr}");
    // Nothing is left behind: neither the database nor the role of the run.
    assert_nothing_left(&cluster);
}

/// No `chronos_shadow_*` database or role is left on the server.
fn assert_nothing_left(cluster: &Cluster) {
    for (catalog, column) in [("pg_database", "datname"), ("pg_roles", "rolname")] {
        let query =
            format!("SELECT count(*) FROM {catalog} WHERE {column} LIKE 'chronos_shadow_%'");
        assert_eq!(
            support::psql(cluster, "postgres", &query).trim(),
            "0",
            "{catalog}"
        );
    }
}

#[test]
fn an_extension_only_a_superuser_may_create_is_reported_unverified() {
    let cluster = support::cluster();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("0001_places.sql"),
        "CREATE EXTENSION IF NOT EXISTS postgis;\n\
         CREATE TABLE places (id bigint PRIMARY KEY, at geometry(Point, 4326));\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_chronos-lint"))
        .current_dir(project.path())
        .args(["--no-cache", "--format", "json", "--shadow-url"])
        .arg(cluster.url("postgres"))
        .arg(".")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(2), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = report["diagnostics"].as_array().unwrap();
    let unavailable: Vec<_> = findings
        .iter()
        .filter(|d| d["rule"] == "extension-unavailable")
        .collect();
    assert_eq!(unavailable.len(), 1, "{report:#}");
    let message = unavailable[0]["message"].as_str().unwrap();
    assert!(message.contains("`postgis`"), "{message}");
    assert!(message.contains("superuser"), "{message}");
    // The table that needs it failed for its absence: blamed on the extension, not reported
    // as a failure of the migration.
    assert!(
        !findings.iter().any(|d| d["rule"] == "shadow-apply-failed"),
        "{report:#}"
    );
}

/// A URL role that may not create roles cannot have the migrations confined: they are not
/// applied at all, whatever else it may do on the server (here: write server files).
#[test]
fn a_shadow_url_role_that_cannot_create_roles_is_refused() {
    let cluster = support::cluster();
    support::psql(
        &cluster,
        "postgres",
        "CREATE ROLE app LOGIN CREATEDB; GRANT pg_write_server_files TO app",
    );
    let written = tempfile::tempdir().unwrap();
    let target = written.path().join("x.txt");
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("0001_t.sql"),
        format!("COPY (SELECT 1) TO '{}';", target.display()),
    )
    .unwrap();
    let url = cluster.url("postgres").replacen("postgres@", "app@", 1);
    let output = Command::new(env!("CARGO_BIN_EXE_chronos-lint"))
        .current_dir(project.path())
        .args(["--no-cache", "--shadow-url", &url, "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refusing to apply migrations as `app`") && stderr.contains("CREATEROLE"),
        "{stderr}"
    );
    assert!(!target.exists(), "the server wrote {}", target.display());
    assert_nothing_left(&cluster);
}
