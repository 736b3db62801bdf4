//! `--database-url`: drizzle files compared with what a real database applied, read-only.

mod support;

use assert_cmd::Command;
use sha2::{Digest, Sha256};

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn applied_then_edited_and_missing_migrations_are_reported_without_writing() {
    let cluster = support::cluster();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drizzle");
    std::fs::create_dir_all(folder.join("meta")).unwrap();
    let journal = r#"{"version":"7","dialect":"postgresql","entries":[
        {"idx":0,"version":"7","when":1700000000000,"tag":"0000_init","breakpoints":true},
        {"idx":1,"version":"7","when":1700000001000,"tag":"0001_more","breakpoints":true}]}"#;
    std::fs::write(folder.join("meta/_journal.json"), journal).unwrap();
    let init = "CREATE TABLE \"cms_pages\" (\"id\" uuid PRIMARY KEY NOT NULL);";
    std::fs::write(folder.join("0000_init.sql"), init).unwrap();
    std::fs::write(
        folder.join("0001_more.sql"),
        "ALTER TABLE \"cms_pages\" ADD COLUMN \"slug\" text;",
    )
    .unwrap();

    let rows = format!(
        "CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint);
         INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES
           ('{}', 1700000000000), ('{}', 1700000001000), ('{}', 1699999999000);",
        sha256(init),
        sha256("ALTER TABLE \"cms_pages\" ADD COLUMN \"slug\" varchar(10);"),
        sha256("DROP TABLE old;"),
    );
    support::psql(&cluster, "postgres", &rows);

    let output = Command::cargo_bin("chronos-lint")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "--format",
            "compact",
            "--database-url",
            &cluster.url("postgres"),
            "drizzle",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let findings: Vec<&str> = out
        .lines()
        .filter(|line| line.contains("migration-modified"))
        .collect();
    assert_eq!(findings.len(), 2, "{out}");
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("drizzle/0001_more.sql:1:1:")
                && f.contains("applied to the database and edited")),
        "{out}"
    );
    assert!(
        findings.iter().any(
            |f| f.starts_with("drizzle/meta/_journal.json:1:1:") && f.contains("1699999999000")
        ),
        "{out}"
    );

    // Read-only: the table is exactly as it was.
    assert_eq!(
        support::psql(
            &cluster,
            "postgres",
            "SELECT count(*) FROM drizzle.__drizzle_migrations"
        )
        .trim(),
        "3"
    );
}

#[test]
fn connection_errors_exit_2_without_the_password() {
    let output = Command::cargo_bin("chronos-lint")
        .unwrap()
        .args([
            "--database-url",
            "postgres://app:hunter2@/nowhere?host=/nonexistent-socket-dir",
            "migrations/",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(err.contains("--database-url"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

/// What Directus has configured on the live database is read (read-only) and judged, with no
/// snapshot: its collections, the fields with a column (their type read from the column), and its
/// relations, whose foreign keys are found by column.
#[test]
fn directus_configuration_is_read_from_the_database() {
    let cluster = support::cluster();
    support::psql(&cluster, "postgres", "CREATE DATABASE cms; ");
    support::psql(
        &cluster,
        "cms",
        "CREATE TABLE directus_collections (collection varchar(64) PRIMARY KEY, icon varchar(64));
         CREATE TABLE directus_fields (id serial PRIMARY KEY, collection varchar(64) NOT NULL,
           field varchar(64) NOT NULL, special varchar(64), interface varchar(64));
         CREATE TABLE directus_relations (id serial PRIMARY KEY, many_collection varchar(64) NOT NULL,
           many_field varchar(64) NOT NULL, one_collection varchar(64));
         CREATE TABLE cms_authors (id uuid PRIMARY KEY, name text);
         CREATE TABLE cms_pages (id uuid PRIMARY KEY, title varchar(255), body text,
           author_id uuid CONSTRAINT cms_pages_author_fk REFERENCES cms_authors (id));
         INSERT INTO directus_collections VALUES ('cms_pages', 'article'), ('cms_authors', NULL),
           ('cms', 'folder');
         INSERT INTO directus_fields (collection, field, special, interface) VALUES
           ('cms_pages', 'title', NULL, 'input'), ('cms_pages', 'body', NULL, 'input-rich-text-md'),
           ('cms_pages', 'author_id', 'm2o', 'select-dropdown-m2o'),
           ('cms_authors', 'pages', 'o2m', 'list-o2m');
         INSERT INTO directus_relations (many_collection, many_field, one_collection) VALUES
           ('cms_pages', 'author_id', 'cms_authors');",
    );
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("sql");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("0001_pages.sql"),
        "ALTER TABLE cms_pages ALTER COLUMN title TYPE integer USING 0;
         ALTER TABLE cms_pages DROP CONSTRAINT cms_pages_author_fk;
         ALTER TABLE cms_pages RENAME COLUMN body TO content;
         DROP TABLE cms_authors;",
    )
    .unwrap();
    let run = |url: &str| {
        let output = Command::cargo_bin("chronos-lint")
            .unwrap()
            .current_dir(dir.path())
            .args([
                "--format",
                "compact",
                "--select",
                "directus-field-broken",
                "--no-cache",
                "--database-url",
                url,
                "sql",
            ])
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (code, out, err) = run(&cluster.url("cms"));
    assert_eq!(code, Some(1), "{out}{err}");
    let findings: Vec<&str> = out
        .lines()
        .filter(|line| line.contains("directus-field-broken"))
        .collect();
    assert_eq!(findings.len(), 4, "{out}");
    for expected in [
        "`cms_pages.title` (type `string`, interface `input`)",
        "foreign key `cms_pages_author_fk`",
        "`cms_pages.body` (type `text`, interface `input-rich-text-md`)",
        "Directus collection `cms_authors`",
    ] {
        assert!(
            findings.iter().any(|f| f.contains(expected)),
            "{expected}:\n{out}"
        );
    }
    // Nothing was written.
    assert_eq!(
        support::psql(&cluster, "cms", "SELECT count(*) FROM directus_fields").trim(),
        "4"
    );

    // A database without Directus's tables has no Directus: no error, nothing to judge.
    let (code, out, err) = run(&cluster.url("postgres"));
    assert_eq!(code, Some(0), "{out}{err}");
}
