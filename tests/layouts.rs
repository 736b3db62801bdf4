//! The folder layouts other migration tools write, each laid out exactly as its tool writes it:
//! replayed forward in the tool's order, with down, undo and revert scripts never linted.
//!
//! Order is checked with `drop-column`, which fires only on a table an earlier migration
//! created: a column dropped in a later migration is reported only if the migrations ran in the
//! tool's order.

use std::fs;

use assert_cmd::Command;
use serde_json::Value;

/// A file of a test tree: path and content.
type TreeFile<'a> = (&'a str, &'a str);

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

/// A finding: its rule, path and migration, and the text its span covers in the file (spans are
/// byte offsets in the file as it is on disk).
#[derive(Debug, PartialEq, Eq)]
struct Found {
    rule: String,
    path: String,
    migration: String,
    text: String,
}

/// Runs chronos-lint in `dir` with `args` (JSON output, no cache); the findings in report order,
/// and the JSON summary.
fn lint(dir: &tempfile::TempDir, args: &[&str]) -> (Vec<Found>, Value) {
    let output = Command::cargo_bin("chronos-lint")
        .unwrap()
        .current_dir(dir.path())
        .args(["--format", "json", "--no-cache"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "exit {:?}: {stderr}",
        output.status.code()
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let path = d["path"].as_str().unwrap().to_owned();
            let text = fs::read(dir.path().join(&path)).unwrap();
            let span = d["start_byte"].as_u64().unwrap() as usize
                ..d["end_byte"].as_u64().unwrap() as usize;
            Found {
                rule: d["rule"].as_str().unwrap().to_owned(),
                path,
                migration: d["migration"].as_str().unwrap_or_default().to_owned(),
                text: String::from_utf8_lossy(&text[span]).into_owned(),
            }
        })
        .collect();
    (found, json["summary"].clone())
}

fn found(rule: &str, path: &str, migration: &str, text: &str) -> Found {
    Found {
        rule: rule.to_owned(),
        path: path.to_owned(),
        migration: migration.to_owned(),
        text: text.to_owned(),
    }
}

const DESTRUCTIVE: &[&str] = &["--select", "drop-table,drop-column,syntax-error"];

#[test]
fn golang_migrate_replays_up_files_by_version_and_never_down_files() {
    // `migrate create -ext sql -dir db/migrations -seq` writes 000001_..; unpadded and
    // timestamp versions are read too, ordered as numbers (9 before 10).
    let dir = tree(&[
        (
            "db/migrations/1_create_users.up.sql",
            "CREATE TABLE users (id int PRIMARY KEY, nickname text);\n",
        ),
        (
            "db/migrations/1_create_users.down.sql",
            "DROP TABLE users;\n",
        ),
        (
            "db/migrations/9_create_teams.up.sql",
            "CREATE TABLE teams (id int PRIMARY KEY, motto text);\n",
        ),
        (
            "db/migrations/9_create_teams.down.sql",
            "DROP TABLE IF EXISTS teams;\n",
        ),
        (
            "db/migrations/10_drop_motto.up.sql",
            "ALTER TABLE teams DROP COLUMN motto;\n",
        ),
        (
            "db/migrations/10_drop_motto.down.sql",
            "ALTER TABLE teams ADD COLUMN motto text;\n",
        ),
        (
            "db/migrations/20240101120000_drop_nickname.up.sql",
            "ALTER TABLE users DROP COLUMN nickname;\n",
        ),
        (
            "db/migrations/20240101120000_drop_nickname.down.sql",
            "ALTER TABLE users ADD COLUMN nickname text;\n",
        ),
    ]);
    let (findings, summary) = lint(&dir, &[DESTRUCTIVE, &["db/migrations"]].concat());
    assert_eq!(
        findings,
        [
            found_drop(
                "db/migrations/10_drop_motto.up.sql",
                "10_drop_motto",
                "motto"
            ),
            found_drop(
                "db/migrations/20240101120000_drop_nickname.up.sql",
                "20240101120000_drop_nickname",
                "nickname"
            ),
        ]
    );
    assert_eq!(summary["migrations"], 4, "only the up files are migrations");
    assert_eq!(summary["files"], 4);
}

fn found_drop(path: &str, migration: &str, column: &str) -> Found {
    found("drop-column", path, migration, column)
}

#[test]
fn goose_and_sql_migrate_lint_only_their_up_sections() {
    let create = "-- +goose Up\nCREATE TABLE users (id int PRIMARY KEY, nickname text);\n\n-- +goose Down\nDROP TABLE users;\n";
    let function = "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION one() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\n\n-- +goose Down\nDROP TABLE users;\n";
    let index = "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY users_id ON users (id);\n\n-- +goose Down\nDROP INDEX users_id;\n";
    let drop = "-- +migrate Up\nALTER TABLE users DROP COLUMN nickname;\n\n-- +migrate Down\nDROP TABLE users;\n";
    let wrapped = "-- +migrate Up\nCREATE INDEX CONCURRENTLY users_id2 ON users (id);\n-- +migrate Down\nDROP INDEX users_id2;\n";
    let dir = tree(&[
        ("goose/00001_create_users.sql", create),
        ("goose/00002_function.sql", function),
        ("goose/00003_index.sql", index),
        (
            "sql-migrate/1_create_users.sql",
            create.replace("+goose", "+migrate").as_str(),
        ),
        ("sql-migrate/2_drop_nickname.sql", drop),
        ("sql-migrate/3_index.sql", wrapped),
    ]);
    let args = [
        "--select",
        "drop-table,drop-column,syntax-error,concurrent-in-transaction",
        "goose",
        "sql-migrate",
    ];
    let (findings, summary) = lint(&dir, &args);
    assert_eq!(
        findings,
        [
            found_drop(
                "sql-migrate/2_drop_nickname.sql",
                "2_drop_nickname",
                "nickname"
            ),
            // sql-migrate wraps each migration in a transaction unless `notransaction` says not.
            found(
                "concurrent-in-transaction",
                "sql-migrate/3_index.sql",
                "3_index",
                "CONCURRENTLY"
            ),
        ]
    );
    assert_eq!(summary["statements"], 6, "down sections are not parsed");
}

#[test]
fn dbmate_lints_only_the_up_section_with_spans_in_the_whole_file() {
    let create = "-- migrate:up\nCREATE TABLE users (id int PRIMARY KEY, nickname text);\n\n-- migrate:down\nDROP TABLE users;\n\n";
    let drop = "-- migrate:up\nALTER TABLE users DROP COLUMN nickname;\n\n-- migrate:down\nALTER TABLE users ADD COLUMN nickname text;\nDROP TABLE users;\n";
    let index = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_id ON users (id);\n\n-- migrate:down\nDROP INDEX users_id;\n";
    let wrapped = "-- migrate:up\nCREATE INDEX CONCURRENTLY users_id2 ON users (id);\n\n-- migrate:down\nDROP INDEX users_id2;\n";
    let dir = tree(&[
        ("db/migrations/20240101000000_create_users.sql", create),
        ("db/migrations/20240102000000_drop_nickname.sql", drop),
        ("db/migrations/20240103000000_index.sql", index),
        (
            "db/migrations/20240104000000_index_in_transaction.sql",
            wrapped,
        ),
    ]);
    let args = [
        "--select",
        "drop-table,drop-column,syntax-error,concurrent-in-transaction",
        "db",
    ];
    let (findings, summary) = lint(&dir, &args);
    assert_eq!(
        findings,
        [
            found_drop(
                "db/migrations/20240102000000_drop_nickname.sql",
                "20240102000000_drop_nickname",
                "nickname"
            ),
            // dbmate wraps each migration in a transaction unless `transaction:false` says not.
            found(
                "concurrent-in-transaction",
                "db/migrations/20240104000000_index_in_transaction.sql",
                "20240104000000_index_in_transaction",
                "CONCURRENTLY"
            ),
        ]
    );
    assert_eq!(summary["statements"], 4, "down sections are not parsed");
}

#[test]
fn flyway_runs_versions_numerically_then_repeatables_and_never_undo() {
    let dir = tree(&[
        (
            "src/main/resources/db/migration/V1__create_users.sql",
            "CREATE TABLE users (id int PRIMARY KEY, nickname text, bio text);\n",
        ),
        (
            "src/main/resources/db/migration/V1_1__create_teams.sql",
            "CREATE TABLE teams (id int PRIMARY KEY, motto text);\n",
        ),
        (
            "src/main/resources/db/migration/V9__create_tags.sql",
            "CREATE TABLE tags (id int PRIMARY KEY, color text);\n",
        ),
        (
            "src/main/resources/db/migration/V10__drop_color.sql",
            "ALTER TABLE tags DROP COLUMN color;\n",
        ),
        (
            "src/main/resources/db/migration/U10__drop_color.sql",
            "DROP TABLE tags;\n",
        ),
        (
            "src/main/resources/db/migration/V1.2__drop_motto.sql",
            "ALTER TABLE teams DROP COLUMN motto;\n",
        ),
        // Repeatables run after every versioned migration, by description.
        (
            "src/main/resources/db/migration/R__a_drop_bio.sql",
            "ALTER TABLE users DROP COLUMN bio;\n",
        ),
        (
            "src/main/resources/db/migration/R__b_view.sql",
            "CREATE OR REPLACE VIEW user_names AS SELECT id FROM users;\n",
        ),
        (
            "src/main/resources/db/migration/V11__index.sql",
            "CREATE INDEX CONCURRENTLY users_id ON users (id);\n",
        ),
        // Flyway runs a script of statements PostgreSQL refuses in a transaction without one.
        (
            "src/main/resources/db/migration/V13__index_alone.sql",
            "CREATE INDEX CONCURRENTLY users_id4 ON users (id);\n",
        ),
        (
            "src/main/resources/db/migration/V11__index.sql.conf",
            "executeInTransaction=false\n",
        ),
        (
            "src/main/resources/db/migration/V12__index.sql",
            "CREATE INDEX users_id2 ON users (id);\nCREATE INDEX CONCURRENTLY users_id3 ON users (id);\n",
        ),
    ]);
    let args = [
        "--select",
        "drop-table,drop-column,syntax-error,concurrent-in-transaction",
        "src/main/resources/db/migration",
    ];
    let (findings, summary) = lint(&dir, &args);
    let dir = "src/main/resources/db/migration";
    assert_eq!(
        findings,
        [
            found_drop(&format!("{dir}/R__a_drop_bio.sql"), "R__a_drop_bio", "bio"),
            found_drop(
                &format!("{dir}/V1.2__drop_motto.sql"),
                "V1.2__drop_motto",
                "motto"
            ),
            found_drop(
                &format!("{dir}/V10__drop_color.sql"),
                "V10__drop_color",
                "color"
            ),
            // Flyway runs a migration in a transaction unless its configuration says not.
            found(
                "concurrent-in-transaction",
                &format!("{dir}/V12__index.sql"),
                "V12__index",
                "CONCURRENTLY"
            ),
        ]
    );
    assert_eq!(
        summary["migrations"], 10,
        "the undo script is not a migration"
    );
}

#[test]
fn supabase_migrations_run_in_timestamp_order_each_in_a_transaction() {
    let dir = tree(&[
        ("supabase/config.toml", "project_id = \"app\"\n"),
        (
            "supabase/migrations/20240101000000_create_users.sql",
            "CREATE TABLE users (id int PRIMARY KEY, nickname text);\n",
        ),
        (
            "supabase/migrations/20240102000000_drop_nickname.sql",
            "ALTER TABLE users DROP COLUMN nickname;\n",
        ),
        (
            "supabase/migrations/20240103000000_index.sql",
            "CREATE INDEX CONCURRENTLY users_id ON users (id);\n",
        ),
        // Not named `<timestamp>_<name>.sql`: the Supabase CLI skips it.
        ("supabase/migrations/notes.sql", "DROP TABLE users;\n"),
    ]);
    let args = [
        "--select",
        "drop-table,drop-column,concurrent-in-transaction",
        "supabase/migrations",
    ];
    let (findings, summary) = lint(&dir, &args);
    assert_eq!(
        findings,
        [
            found_drop(
                "supabase/migrations/20240102000000_drop_nickname.sql",
                "20240102000000_drop_nickname",
                "nickname"
            ),
            found(
                "concurrent-in-transaction",
                "supabase/migrations/20240103000000_index.sql",
                "20240103000000_index",
                "CONCURRENTLY"
            ),
        ]
    );
    assert_eq!(summary["migrations"], 3);
}

#[test]
fn sqitch_deploys_in_plan_order_and_never_reverts_or_verifies() {
    // As `sqitch init` and `sqitch add` write it; the plan's order is not the names' order.
    let plan = "%syntax-version=1.0.0\n%project=flipr\n%uri=https://example.com/flipr/\n\n\
                zebras 2024-01-01T00:00:00Z Ann <ann@example.com> # Adds zebras.\n\
                @v1.0.0 2024-01-02T00:00:00Z Ann <ann@example.com> # Tag v1.0.0.\n\n\
                apes [zebras] 2024-01-03T00:00:00Z Ann <ann@example.com> # Drops zebra stripes.\n";
    let dir = tree(&[
        ("sqitch.conf", "[core]\n\tengine = pg\n"),
        ("sqitch.plan", plan),
        (
            "deploy/zebras.sql",
            "-- Deploy flipr:zebras to pg\n\nBEGIN;\n\nCREATE TABLE zebras (id int PRIMARY KEY, stripes int);\n\nCOMMIT;\n",
        ),
        (
            "deploy/apes.sql",
            "-- Deploy flipr:apes to pg\n-- requires: zebras\n\nBEGIN;\n\nALTER TABLE zebras DROP COLUMN stripes;\n\nCOMMIT;\n",
        ),
        (
            "revert/zebras.sql",
            "-- Revert flipr:zebras from pg\n\nBEGIN;\n\nDROP TABLE zebras;\n\nCOMMIT;\n",
        ),
        (
            "revert/apes.sql",
            "-- Revert flipr:apes from pg\n\nBEGIN;\n\nALTER TABLE zebras ADD COLUMN stripes int;\n\nCOMMIT;\n",
        ),
        (
            "verify/zebras.sql",
            "-- Verify flipr:zebras on pg\n\nBEGIN;\n\nSELECT id, stripes FROM zebras WHERE FALSE;\n\nROLLBACK;\n",
        ),
        (
            "verify/apes.sql",
            "-- Verify flipr:apes on pg\n\nBEGIN;\n\nSELECT id FROM zebras WHERE FALSE;\n\nROLLBACK;\n",
        ),
    ]);
    let args = [
        "--select",
        "drop-table,drop-column,syntax-error,transaction-control",
        ".",
    ];
    let (findings, summary) = lint(&dir, &args);
    assert_eq!(findings, [found_drop("deploy/apes.sql", "apes", "stripes")]);
    assert_eq!(summary["migrations"], 2);
    assert_eq!(
        summary["files"], 2,
        "revert and verify scripts are not read"
    );

    // A deploy script named alone (as pre-commit names it) is judged after the plan's earlier
    // changes.
    let (findings, _) = lint(&dir, &["--select", "drop-column", "deploy/apes.sql"]);
    assert_eq!(findings, [found_drop("deploy/apes.sql", "apes", "stripes")]);
}

#[test]
fn sqitch_style_folders_without_a_plan_never_revert_or_verify() {
    let dir = tree(&[
        (
            "db/deploy/users.sql",
            "CREATE TABLE users (id int PRIMARY KEY);\n",
        ),
        ("db/revert/users.sql", "DROP TABLE users;\n"),
        ("db/verify/users.sql", "SELECT id FROM users WHERE FALSE;\n"),
    ]);
    let (findings, summary) = lint(&dir, &["--select", "drop-table", "db"]);
    assert_eq!(findings, []);
    assert_eq!(
        summary["files"], 1,
        "revert and verify scripts are not read"
    );
    let (findings, summary) = lint(&dir, &["db/revert/users.sql"]);
    assert_eq!(findings, []);
    assert_eq!(summary["files"], 0);
}

#[test]
fn flyway_orders_the_scripts_of_a_location_across_its_subfolders() {
    let dir = tree(&[
        (
            "db/migration/release2/V1__create_tags.sql",
            "CREATE TABLE tags (id int PRIMARY KEY, color text);\n",
        ),
        (
            "db/migration/release1/V2__drop_color.sql",
            "ALTER TABLE tags DROP COLUMN color;\n",
        ),
        ("db/migration/release1/U1__undo.sql", "DROP TABLE tags;\n"),
    ]);
    // One set: no system other than Flyway's own creates `tags`.
    let args = [
        "--select",
        "drop-table,drop-column,ownership-violation",
        ".",
    ];
    let (findings, summary) = lint(&dir, &args);
    assert_eq!(
        findings,
        [found_drop(
            "db/migration/release1/V2__drop_color.sql",
            "V2__drop_color",
            "color"
        )]
    );
    assert_eq!(summary["migrations"], 2);
}

#[test]
fn prisma_migration_folders_are_one_set_each_file_one_query_string() {
    let dir = tree(&[
        (
            "prisma/migrations/migration_lock.toml",
            "provider = \"postgresql\"\n",
        ),
        (
            "prisma/migrations/20240101000000_init/migration.sql",
            "CREATE TABLE \"User\" (id int PRIMARY KEY, bio text);\n",
        ),
        (
            "prisma/migrations/20240102000000_drop_bio/migration.sql",
            "ALTER TABLE \"User\" DROP COLUMN bio;\n",
        ),
        // One statement alone runs outside a transaction; with another, in an implicit one.
        (
            "prisma/migrations/20240103000000_index/migration.sql",
            "CREATE INDEX CONCURRENTLY user_id ON \"User\" (id);\n",
        ),
        (
            "prisma/migrations/20240104000000_two/migration.sql",
            "CREATE INDEX CONCURRENTLY user_id2 ON \"User\" (id);\nALTER TABLE \"User\" ADD COLUMN x int;\n",
        ),
    ]);
    let args = [
        "--select",
        "drop-column,ownership-violation,concurrent-in-transaction",
        ".",
    ];
    let (findings, summary) = lint(&dir, &args);
    assert_eq!(
        findings,
        [
            found_drop(
                "prisma/migrations/20240102000000_drop_bio/migration.sql",
                "20240102000000_drop_bio",
                "bio"
            ),
            found(
                "concurrent-in-transaction",
                "prisma/migrations/20240104000000_two/migration.sql",
                "20240104000000_two",
                "CONCURRENTLY"
            ),
        ]
    );
    assert_eq!(summary["migrations"], 4);
}

#[test]
fn hasura_replays_up_sql_and_never_down_sql() {
    let dir = tree(&[
        (
            "hasura/migrations/default/1700000000000_create_users/up.sql",
            "CREATE TABLE users (id int PRIMARY KEY, bio text);\n",
        ),
        (
            "hasura/migrations/default/1700000000000_create_users/down.sql",
            "DROP TABLE users;\n",
        ),
        (
            "hasura/migrations/default/1700000000001_drop_bio/up.sql",
            "ALTER TABLE users DROP COLUMN bio;\n",
        ),
        (
            "hasura/migrations/default/1700000000001_drop_bio/down.sql",
            "ALTER TABLE users ADD COLUMN bio text;\n",
        ),
    ]);
    let args = [
        "--select",
        "drop-table,drop-column,ownership-violation",
        ".",
    ];
    let (findings, summary) = lint(&dir, &args);
    assert_eq!(
        findings,
        [found_drop(
            "hasura/migrations/default/1700000000001_drop_bio/up.sql",
            "1700000000001_drop_bio",
            "bio"
        )]
    );
    assert_eq!(summary["files"], 2, "down.sql is not read");
}

#[test]
fn the_config_forces_a_layout_per_source() {
    let files = [
        (
            "db/1_create_users.up.sql",
            "CREATE TABLE users (id int PRIMARY KEY);\n",
        ),
        ("db/1_create_users.down.sql", "DROP TABLE users;\n"),
    ];
    let dir = tree(&files);
    let (findings, _) = lint(&dir, &[DESTRUCTIVE, &["db"]].concat());
    assert_eq!(findings, []);

    // Read as plain SQL, the down file is one more migration, replayed in path order.
    let mut forced = files.to_vec();
    forced.push((
        "chronos-lint.toml",
        "[[sources]]\npath = \"db\"\nkind = \"plain\"\n",
    ));
    let dir = tree(&forced);
    let (findings, _) = lint(&dir, &[DESTRUCTIVE, &["db"]].concat());
    assert_eq!(
        findings,
        [found(
            "drop-table",
            "db/1_create_users.down.sql",
            "1_create_users.down",
            "users"
        )]
    );

    // A Supabase folder somewhere else.
    let dir = tree(&[
        (
            "chronos-lint.toml",
            "[[sources]]\npath = \"sql\"\nkind = \"supabase\"\n",
        ),
        (
            "sql/20240101000000_create.sql",
            "CREATE TABLE users (id int PRIMARY KEY);\n",
        ),
        ("sql/scratch.sql", "DROP TABLE users;\n"),
    ]);
    let (findings, summary) = lint(&dir, &[DESTRUCTIVE, &["sql"]].concat());
    assert_eq!(findings, []);
    assert_eq!(summary["migrations"], 1);

    let dir = tree(&[
        (
            "chronos-lint.toml",
            "[[sources]]\npath = \"sql\"\nkind = \"liquibase\"\n",
        ),
        ("sql/1.sql", "SELECT 1;\n"),
    ]);
    let output = Command::cargo_bin("chronos-lint")
        .unwrap()
        .current_dir(dir.path())
        .arg("sql")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("liquibase") && err.contains("golang-migrate"),
        "{err}"
    );
}
