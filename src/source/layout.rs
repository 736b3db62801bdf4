//! The folder layouts other migration tools write, and the order each tool applies them in:
//! golang-migrate, dbmate, goose, sql-migrate, Flyway, Supabase, and the folder-per-migration
//! layouts of Prisma and Hasura (sqitch, which has a plan file, is in `sqitch.rs`).
//! Only what a tool runs forward is a migration: down, undo and revert scripts are never read.

use std::cmp::Ordering;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::SourceKind;

/// How the migrations of a folder are laid out, named by the tool that writes them. Given as
/// `kind` of a `[[sources]]` entry, or recognised from the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    Drizzle,
    /// Alembic's offline SQL (`alembic upgrade A:B --sql` output), one migration per revision.
    Alembic,
    /// An Alembic project (`alembic.ini`): rendered to offline SQL by running Alembic.
    AlembicProject,
    Plain,
    /// `NNN_name.up.sql` / `NNN_name.down.sql`.
    GolangMigrate,
    /// `-- migrate:up` / `-- migrate:down` sections in one file.
    Dbmate,
    /// `-- +goose Up` / `-- +goose Down` sections in one file.
    Goose,
    /// `-- +migrate Up` / `-- +migrate Down` sections in one file.
    SqlMigrate,
    /// `V<version>__<desc>.sql`, `R__<desc>.sql`, `U<version>__<desc>.sql`.
    Flyway,
    /// `supabase/migrations/<timestamp>_<name>.sql`.
    Supabase,
    /// `sqitch.plan` with `deploy/`, `revert/`, `verify/`.
    Sqitch,
    /// `<timestamp>_<name>/migration.sql`, one folder per migration (without drizzle-kit's
    /// `snapshot.json` beside it).
    Prisma,
    /// `<timestamp>_<name>/up.sql` and `down.sql`, one folder per migration.
    Hasura,
}

impl Layout {
    /// What the rules know the migrations as: the tools other than drizzle-kit and Alembic run
    /// plain SQL files.
    pub fn kind(self) -> SourceKind {
        match self {
            Layout::Drizzle => SourceKind::Drizzle,
            Layout::Alembic | Layout::AlembicProject => SourceKind::Alembic,
            _ => SourceKind::Plain,
        }
    }

    /// Whether the tool runs each migration in a transaction of its own (dbmate's
    /// `transaction:false` and Flyway's `executeInTransaction=false` are read per file, and a
    /// golang-migrate file is one implicit transaction when it holds several statements); `None`
    /// where the configuration says (`in_transaction`, `assume_in_transaction`), as for plain
    /// files. A sqitch script opens its own transaction.
    pub fn in_transaction(self) -> Option<bool> {
        match self {
            Layout::Dbmate
            | Layout::Goose
            | Layout::SqlMigrate
            | Layout::Flyway
            | Layout::Supabase
            | Layout::Hasura => Some(true),
            Layout::Sqitch => Some(false),
            Layout::Drizzle
            | Layout::Alembic
            | Layout::AlembicProject
            | Layout::Plain
            | Layout::GolangMigrate
            | Layout::Prisma => None,
        }
    }

    /// The tool's name, as `kind` spells it: what a set of migrations is called for a person.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Drizzle => "drizzle",
            Layout::Alembic | Layout::AlembicProject => "alembic",
            Layout::Plain => "plain",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Dbmate => "dbmate",
            Layout::Goose => "goose",
            Layout::SqlMigrate => "sql-migrate",
            Layout::Flyway => "flyway",
            Layout::Supabase => "supabase",
            Layout::Sqitch => "sqitch",
            Layout::Prisma => "prisma",
            Layout::Hasura => "hasura",
        }
    }

    /// Whether the tool sends a migration file to PostgreSQL as one query string, which
    /// PostgreSQL runs as one implicit transaction when it holds several statements.
    pub fn sends_file_as_one_query(self) -> bool {
        matches!(self, Layout::GolangMigrate | Layout::Prisma)
    }

    /// The layout the `.sql` file names of one folder show, if any. A dbmate file is recognised
    /// by its text, file by file, and a sqitch project by its plan.
    pub fn of_folder(dir: &Path, files: &[PathBuf]) -> Option<Layout> {
        // drizzle-kit 1.0 folders are drizzle's by each migration, not by folder.
        let mut folders = files.iter().filter_map(|path| folder_migration(path));
        if let Some(layout) = folders.find(|&layout| layout != Layout::Drizzle) {
            return Some(layout);
        }
        let names = || files.iter().filter_map(|path| file_name(path));
        if names().any(|name| golang_migrate(name).is_some()) {
            return Some(Layout::GolangMigrate);
        }
        if names().any(|name| matches!(flyway(name), Some(Flyway::Versioned(..)))) {
            return Some(Layout::Flyway);
        }
        let supabase = dir.file_name().is_some_and(|n| n == "migrations")
            && dir
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "supabase");
        supabase.then_some(Layout::Supabase)
    }

    /// The files of a folder this tool applies, in its order; the rest (down and undo scripts,
    /// names the tool does not read) are left out. `None` when the layout keeps the path order.
    pub fn order(self, files: &[PathBuf]) -> Option<Vec<PathBuf>> {
        let mut keyed: Vec<(Key, &PathBuf)> = match self {
            Layout::GolangMigrate => files
                .iter()
                .filter_map(|path| match golang_migrate(file_name(path)?)? {
                    (version, true) => Some((Key::Version(vec![version]), path)),
                    (_, false) => None,
                })
                .collect(),
            Layout::Flyway => files
                .iter()
                .filter_map(|path| match flyway(file_name(path)?)? {
                    Flyway::Versioned(version) => Some((Key::Version(version), path)),
                    Flyway::Repeatable(description) => Some((Key::Last(description), path)),
                    Flyway::Undo => None,
                })
                .collect(),
            // The Supabase CLI skips files not named `<digits>_<name>.sql`, and applies the
            // rest by version.
            Layout::Supabase => files
                .iter()
                .filter_map(|path| {
                    let (version, rest) = leading_digits(file_name(path)?)?;
                    rest.starts_with('_')
                        .then(|| (Key::Version(vec![version]), path))
                })
                .collect(),
            // A folder's migration file; path order is the order of the folders' timestamps.
            Layout::Prisma | Layout::Hasura => {
                return Some(
                    files
                        .iter()
                        .filter(|path| folder_migration(path) == Some(self) && is_forward(path))
                        .cloned()
                        .collect(),
                );
            }
            _ => return None,
        };
        // Stable: equal versions keep the path order.
        keyed.sort_by(|(a, _), (b, _)| a.cmp(b));
        Some(keyed.into_iter().map(|(_, path)| path.clone()).collect())
    }

    /// The migration's name: the file stem, without golang-migrate's `.up`; a migration in a
    /// folder of its own ([`folder_migration`]) is named by its folder.
    pub fn migration_name(self, path: &Path, in_own_folder: bool) -> String {
        let named = if in_own_folder {
            path.parent().unwrap_or(path)
        } else {
            path
        };
        let stem = named
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        match self {
            Layout::GolangMigrate => stem.strip_suffix(".up").unwrap_or(&stem).to_owned(),
            _ => stem,
        }
    }
}

/// The layout of a migration kept in a folder of its own, `<timestamp>_<name>/<file>.sql`:
/// drizzle-kit 1.0's `migration.sql` beside `snapshot.json`, Prisma's `migration.sql`, Hasura's
/// `up.sql` and `down.sql`. Its set is the folder that holds the migration folders.
pub fn folder_migration(path: &Path) -> Option<Layout> {
    if super::drizzle::is_folder_migration(path) {
        return Some(Layout::Drizzle);
    }
    let folder = path.parent()?.file_name()?.to_str()?;
    let (_, rest) = leading_digits(folder)?;
    if !rest.starts_with('_') {
        return None;
    }
    match file_name(path)? {
        super::drizzle::FOLDER_MIGRATION => Some(Layout::Prisma),
        "up.sql" | "down.sql" => Some(Layout::Hasura),
        _ => None,
    }
}

/// The location a Flyway script belongs to when it sits in a subfolder of one: the nearest
/// folder above it named `migration` or `migrations` (Flyway's default is `db/migration`),
/// whose scripts Flyway orders by version whichever subfolder holds them.
pub fn flyway_location(path: &Path) -> Option<PathBuf> {
    flyway(file_name(path)?)?;
    path.ancestors()
        .skip(2)
        .take(3)
        .find(|dir| {
            dir.file_name()
                .is_some_and(|name| name == "migration" || name == "migrations")
        })
        .map(Path::to_path_buf)
}

/// Whether a folder migration's file runs forward (Hasura's `down.sql` does not).
fn is_forward(path: &Path) -> bool {
    file_name(path) != Some("down.sql")
}

fn file_name(path: &Path) -> Option<&str> {
    path.file_name()?.to_str()
}

/// Where a file sorts in its tool's order.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    /// Numeric version parts, compared part by part (a missing part counts as 0).
    Version(Vec<u128>),
    /// After every versioned migration, by this text (Flyway's repeatables).
    Last(String),
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Key::Version(a), Key::Version(b)) => {
                let len = a.len().max(b.len());
                let part = |v: &[u128], i: usize| v.get(i).copied().unwrap_or(0);
                (0..len)
                    .map(|i| part(a, i).cmp(&part(b, i)))
                    .find(|order| order.is_ne())
                    .unwrap_or(Ordering::Equal)
            }
            (Key::Version(_), Key::Last(_)) => Ordering::Less,
            (Key::Last(_), Key::Version(_)) => Ordering::Greater,
            (Key::Last(a), Key::Last(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The digits `name` starts with, as a number, and the rest.
fn leading_digits(name: &str) -> Option<(u128, &str)> {
    let end = name
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(name.len());
    let number = name[..end].parse().ok()?;
    Some((number, &name[end..]))
}

/// golang-migrate's `<version>_<title>.up.sql` (true) or `.down.sql` (false), with its version.
fn golang_migrate(name: &str) -> Option<(u128, bool)> {
    let (version, rest) = leading_digits(name)?;
    let rest = rest.strip_prefix('_')?;
    if rest.ends_with(".up.sql") {
        Some((version, true))
    } else if rest.ends_with(".down.sql") {
        Some((version, false))
    } else {
        None
    }
}

/// A file name as Flyway reads it (default prefixes and `__` separator).
#[derive(Debug, PartialEq, Eq)]
enum Flyway {
    /// `V1_1__desc.sql`: version 1.1 (parts separated by `.` or `_`).
    Versioned(Vec<u128>),
    /// `R__desc.sql`, ordered by description after the versioned ones.
    Repeatable(String),
    /// `U1__desc.sql`: an undo script, never run forward.
    Undo,
}

fn flyway(name: &str) -> Option<Flyway> {
    let stem = name.strip_suffix(".sql")?;
    if let Some(description) = stem.strip_prefix("R__") {
        return Some(Flyway::Repeatable(description.to_owned()));
    }
    let (prefix, rest) = stem.split_at_checked(1)?;
    let (version, description) = rest.split_once("__")?;
    if description.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let parts = version
        .split(['.', '_'])
        .map(|part| part.parse::<u128>().ok())
        .collect::<Option<Vec<_>>>()?;
    match prefix {
        "V" => Some(Flyway::Versioned(parts)),
        "U" => Some(Flyway::Undo),
        _ => None,
    }
}

/// Whether Flyway's per-script configuration (`<script>.conf` beside it) turns its transaction
/// off (`executeInTransaction=false`).
pub fn flyway_outside_transaction(path: &Path) -> bool {
    let mut conf = path.as_os_str().to_owned();
    conf.push(".conf");
    std::fs::read_to_string(conf).is_ok_and(|text| {
        text.lines().any(|line| {
            line.split_once('=').is_some_and(|(key, value)| {
                key.trim() == "executeInTransaction" && value.trim().eq_ignore_ascii_case("false")
            })
        })
    })
}

/// Statements PostgreSQL refuses inside a transaction block, by their first words, as Flyway's
/// PostgreSQL parser tells them apart.
const OUTSIDE_TRANSACTION: &[&str] = &[
    "CREATE INDEX CONCURRENTLY",
    "CREATE UNIQUE INDEX CONCURRENTLY",
    "DROP INDEX CONCURRENTLY",
    "REINDEX SCHEMA",
    "REINDEX DATABASE",
    "REINDEX SYSTEM",
    "VACUUM",
    "CREATE DATABASE",
    "DROP DATABASE",
    "CREATE TABLESPACE",
    "DROP TABLESPACE",
    "ALTER SYSTEM",
];

/// Whether Flyway runs a script without a transaction by itself: every statement of it is one
/// PostgreSQL refuses inside a transaction (`CREATE INDEX CONCURRENTLY` alone, say). A script
/// that mixes them with others fails under Flyway's default (`mixed=false`) and is judged in a
/// transaction, so that `concurrent-in-transaction` says why.
pub fn flyway_runs_outside_transaction(text: &str, start: usize) -> bool {
    let statements = crate::parse::text::split_statements(&text[start..]);
    !statements.is_empty()
        && statements.iter().all(|statement| {
            let words = text[start + statement.start..start + statement.end]
                .split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_uppercase();
            let refused = |prefix: &&str| {
                words.starts_with(prefix)
                    && words[prefix.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !c.is_alphanumeric() && c != '_')
            };
            OUTSIDE_TRANSACTION.iter().any(refused)
                || (words.starts_with("REINDEX") && words.contains("CONCURRENTLY"))
        })
}

/// The up section of a file that holds both directions, and whether its tool wraps it in a
/// transaction.
#[derive(Debug, PartialEq, Eq)]
pub struct UpSection {
    /// The tool whose markers the file has.
    pub tool: Layout,
    /// The up marker's line.
    pub header: Range<usize>,
    /// From the end of that line to the down marker (or the end of the file).
    pub body: Range<usize>,
    pub in_transaction: bool,
}

/// The up section of a file, found as its tool finds it, by marker comments at the start of a
/// line: dbmate's `-- migrate:up` (option `transaction:false`) and `-- migrate:down`, goose's
/// `-- +goose Up` and `-- +goose Down` (and `-- +goose NO TRANSACTION` anywhere), sql-migrate's
/// `-- +migrate Up` (option `notransaction`) and `-- +migrate Down`.
pub fn up_section(text: &str, start: usize) -> Option<UpSection> {
    let mut up: Option<UpSection> = None;
    let mut goose_no_transaction = false;
    let mut offset = start;
    for line in text[start..].split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let content = line.trim_end();
        let Some((tool, directive)) = marker(content) else {
            continue;
        };
        if tool == Layout::Goose && directive.eq_ignore_ascii_case("no transaction") {
            goose_no_transaction = true;
            continue;
        }
        match &mut up {
            None => {
                let Some(options) = direction(tool, directive, "up") else {
                    continue;
                };
                let in_transaction = !options.split_whitespace().any(|option| {
                    option == "transaction:false" || option.eq_ignore_ascii_case("notransaction")
                });
                let header = line_start..line_start + content.len();
                up = Some(UpSection {
                    tool,
                    body: header.end..text.len(),
                    header,
                    in_transaction,
                });
            }
            Some(section) => {
                if tool == section.tool && direction(tool, directive, "down").is_some() {
                    section.body.end = line_start;
                    break;
                }
            }
        }
    }
    up.map(|section| UpSection {
        in_transaction: section.in_transaction
            && !(section.tool == Layout::Goose && goose_no_transaction),
        ..section
    })
}

/// The tool and directive of a marker comment: `migrate:up` is dbmate's `up`, `+goose Up`
/// goose's `Up`.
fn marker(line: &str) -> Option<(Layout, &str)> {
    let comment = line.strip_prefix("--")?.trim_start();
    if let Some(rest) = comment.strip_prefix("migrate:") {
        return Some((Layout::Dbmate, rest));
    }
    if let Some(rest) = comment.strip_prefix("+goose ") {
        return Some((Layout::Goose, rest.trim()));
    }
    let rest = comment.strip_prefix("+migrate ")?;
    Some((Layout::SqlMigrate, rest.trim()))
}

/// The options after `want` (`up` or `down`) when `directive` is that direction: dbmate spells
/// it in lower case, goose and sql-migrate capitalised (and accept any case).
fn direction<'a>(tool: Layout, directive: &'a str, want: &str) -> Option<&'a str> {
    if tool == Layout::Dbmate {
        return word(directive, want);
    }
    let head = directive.get(..want.len())?;
    let rest = &directive[want.len()..];
    (head.eq_ignore_ascii_case(want) && (rest.is_empty() || rest.starts_with(char::is_whitespace)))
        .then_some(rest)
}

/// The rest of `text` after the word `word` (which must end there or at whitespace).
fn word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(word)?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(PathBuf::from).collect()
    }

    fn ordered(layout: Layout, names: &[&str]) -> Vec<String> {
        layout
            .order(&paths(names))
            .unwrap()
            .iter()
            .map(|p| p.display().to_string())
            .collect()
    }

    #[test]
    fn golang_migrate_runs_up_files_by_numeric_version() {
        let names = [
            "10_c.down.sql",
            "10_c.up.sql",
            "1_a.down.sql",
            "1_a.up.sql",
            "9_b.up.sql",
            "notes.sql",
        ];
        assert_eq!(
            Layout::of_folder(Path::new("db"), &paths(&names)),
            Some(Layout::GolangMigrate)
        );
        assert_eq!(
            ordered(Layout::GolangMigrate, &names),
            ["1_a.up.sql", "9_b.up.sql", "10_c.up.sql"]
        );
        assert_eq!(
            Layout::GolangMigrate.migration_name(Path::new("db/1_a.up.sql"), false),
            "1_a"
        );
    }

    #[test]
    fn flyway_versions_compare_numerically_and_repeatables_run_last() {
        let names = [
            "R__views.sql",
            "R__a_functions.sql",
            "U2__undo.sql",
            "V10__ten.sql",
            "V1_1__one_one.sql",
            "V1__one.sql",
            "V2__two.sql",
            "V1.2__one_two.sql",
            "V9__nine.sql",
        ];
        assert_eq!(
            Layout::of_folder(Path::new("sql"), &paths(&names)),
            Some(Layout::Flyway)
        );
        assert_eq!(
            ordered(Layout::Flyway, &names),
            [
                "V1__one.sql",
                "V1_1__one_one.sql",
                "V1.2__one_two.sql",
                "V2__two.sql",
                "V9__nine.sql",
                "V10__ten.sql",
                "R__a_functions.sql",
                "R__views.sql",
            ]
        );
        assert_eq!(flyway("V1_1__x.sql"), flyway("V1.1__x.sql"));
        assert!(flyway_runs_outside_transaction(
            "-- built without blocking writes\ncreate  index\nconcurrently i ON t (c);\n",
            0
        ));
        assert!(!flyway_runs_outside_transaction(
            "CREATE INDEX CONCURRENTLY i ON t (c);\nCREATE TABLE u (id int);",
            0
        ));
        assert!(!flyway_runs_outside_transaction("VACUUMS;", 0));
        assert_eq!(flyway("Vx__x.sql"), None);
    }

    #[test]
    fn supabase_is_its_folder_and_skips_unversioned_files() {
        let names = ["20240102000000_b.sql", "20240101000000_a.sql", "seed.sql"];
        let dir = Path::new("app/supabase/migrations");
        assert_eq!(
            Layout::of_folder(dir, &paths(&names)),
            Some(Layout::Supabase)
        );
        assert_eq!(Layout::of_folder(Path::new("db"), &paths(&names)), None);
        assert_eq!(
            ordered(Layout::Supabase, &names),
            ["20240101000000_a.sql", "20240102000000_b.sql"]
        );
    }

    #[test]
    fn goose_and_sql_migrate_up_sections() {
        let goose = "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (c);\n-- +goose Down\nDROP INDEX i;\n";
        let up = up_section(goose, 0).unwrap();
        assert_eq!(up.tool, Layout::Goose);
        assert_eq!(&goose[up.header.clone()], "-- +goose Up");
        assert_eq!(
            goose[up.body.clone()].trim(),
            "CREATE INDEX CONCURRENTLY i ON t (c);"
        );
        assert!(!up.in_transaction);
        let goose = "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\n\n-- +goose Down\nDROP FUNCTION f();\n";
        let up = up_section(goose, 0).unwrap();
        assert!(up.in_transaction);
        assert!(!goose[up.body.clone()].contains("DROP"));
        let sql_migrate = "-- +migrate Up notransaction\nCREATE TABLE t (id int);\n-- +migrate Down\nDROP TABLE t;\n";
        let up = up_section(sql_migrate, 0).unwrap();
        assert_eq!(up.tool, Layout::SqlMigrate);
        assert!(!up.in_transaction);
        assert_eq!(
            sql_migrate[up.body.clone()].trim(),
            "CREATE TABLE t (id int);"
        );
        // A down marker of another tool does not end the section.
        let mixed = "-- +migrate Up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n";
        assert_eq!(up_section(mixed, 0).unwrap().body.end, mixed.len());
    }

    #[test]
    fn dbmate_up_section_ends_at_down() {
        let text = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (c);\n\n-- migrate:down\nDROP INDEX i;\n";
        let up = up_section(text, 0).unwrap();
        assert_eq!(&text[up.header.clone()], "-- migrate:up transaction:false");
        assert_eq!(
            text[up.body.clone()].trim(),
            "CREATE INDEX CONCURRENTLY i ON t (c);"
        );
        assert!(!up.in_transaction);
        let only_up = "--migrate:up\nCREATE TABLE t (id int);\n";
        let up = up_section(only_up, 0).unwrap();
        assert!(up.in_transaction);
        assert_eq!(up.body.end, only_up.len());
        assert_eq!(up_section("-- migrate:upgrade\nSELECT 1;", 0), None);
    }
}
