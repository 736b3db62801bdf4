//! Properties that hold for any input: every diagnostic's span lies inside its file and on UTF-8
//! character boundaries, the line and column reported agree with the byte offset, and every
//! format renders.
//!
//! Inputs are random mixes of SQL that makes rules speak, migration-tool markers, quoting and
//! comment openers, line endings, a byte-order mark, multi-byte characters (some change length
//! when lowercased) and arbitrary text. `PROPTEST_CASES` raises the number of cases.

use std::path::{Path, PathBuf};

use chronos_lint::config::Config;
use chronos_lint::report::{self, Format, LineIndex, Report};
use chronos_lint::source::{self, StdinSource};
use chronos_lint::{lint, parse};
use proptest::prelude::*;
use serde_json::Value;

/// Pieces that reach the rules, the splitters and the span helpers.
const FRAGMENTS: &[&str] = &[
    "CREATE TABLE cms_posts (id int PRIMARY KEY, title varchar(255), at timestamp);",
    "CREATE TABLE raw_events (id bigserial, post_id int, data json);",
    "ALTER TABLE cms_posts ADD COLUMN slug text NOT NULL DEFAULT gen_random_uuid()::text;",
    "ALTER TABLE cms_posts ALTER COLUMN title TYPE varchar(100), ALTER title SET NOT NULL;",
    "ALTER TABLE \"cms_posts\" RENAME COLUMN \"title\" TO \"headline\";",
    "ALTER TABLE raw_events ADD CONSTRAINT fk FOREIGN KEY (post_id) REFERENCES cms_posts (id);",
    "CREATE INDEX cms_posts_slug ON cms_posts (slug);",
    "CREATE UNIQUE INDEX CONCURRENTLY i ON raw_events USING btree (lower(data->>'k'));",
    "DROP TABLE directus_files;",
    "DROP INDEX i;",
    "UPDATE cms_posts SET title = 'x';",
    "DELETE FROM staging_deals;",
    "TRUNCATE staging_deals;",
    "ALTER TYPE mood ADD VALUE 'meh';",
    "CREATE TABLE app_€uro (€ int, char_col char(3));",
    "CREATE TABLE €uro (a\u{3000}int",
    "CREATE TABLE €uro (id int);",
    "ALTER TABLE ẞ ADD CONSTRAINT € CHECK (x > 0), ALTER COLUMN é TYPE ẞ USING é::ẞ;",
    "ALTER TABLE İẞx ADD COLUMN é numeric(10,2) DEFAULT random();",
    "DO $$ BEGIN\n ALTER TABLE cms_posts ADD CONSTRAINT f FOREIGN KEY (id) REFERENCES raw_events(id);\nEXCEPTION WHEN duplicate_object THEN null;\nEND $$;",
    "DO $$ BEGIN ",
    " END $$;",
    "BEGIN;",
    "COMMIT;",
    "INSERT INTO alembic_version (version_num) VALUES ('a');",
    "-- Running upgrade  -> a\n",
    "-- Running upgrade a -> b\n",
    "--> statement-breakpoint",
    "-- chronos-lint: ignore unowned-table -- reason\n",
    "-- chronos-lint: ignore-file drop-table\n",
    "-- chronos-lint: ignore no-such-rule\n",
    "\\set v 1\n",
    "CREATE TABEL t;",
    "SELECT 1 +",
    "'",
    "\"",
    "$x$",
    "/*",
    "*/",
    "--",
    ";",
    "(",
    ")",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\u{feff}",
    "é",
    "€",
    "𝄞",
    "\u{a0}",
    "\u{3000}",
    "İ",
    "ẞ",
    "K",
];

fn input() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        4 => prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => "[a-z_\"'$;() \n\u{e9}\u{3000}]{0,12}",
    ];
    prop::collection::vec(fragment, 0..24).prop_map(|pieces| pieces.concat())
}

/// 1-based line and column of a byte offset, counted the slow, obvious way: lines end at `\n`,
/// columns count characters, and a leading byte-order mark is not a column.
fn naive_position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let mut in_line = &text[line_start..offset];
    if line_start == 0 {
        in_line = in_line.strip_prefix('\u{feff}').unwrap_or(in_line);
    }
    (line, in_line.chars().count() + 1)
}

/// Lints `text` as the content of `path` and checks every diagnostic and the JSON report.
fn check(path: &Path, text: &str, paths: &[PathBuf]) -> Result<(), TestCaseError> {
    let config = Config::default();
    let exclude = config.exclude_matcher(&[]).unwrap();
    let stdin = StdinSource {
        path: path.to_path_buf(),
        text: text.to_owned(),
    };
    let workspace = source::discover(paths, &config, &exclude, Some(stdin));
    let output = lint::lint(&workspace, &config, lint::History::default(), None);
    for d in &output.findings.kept {
        let file = &workspace.files[d.file].text;
        prop_assert!(
            d.span.start <= d.span.end && d.span.end <= file.len(),
            "{}: span {:?} outside a file of {} bytes",
            d.rule,
            d.span,
            file.len()
        );
        prop_assert!(
            file.is_char_boundary(d.span.start) && file.is_char_boundary(d.span.end),
            "{}: span {:?} splits a character",
            d.rule,
            d.span
        );
    }

    let report = Report {
        files: &workspace.files,
        findings: &output.findings,
        input_errors: &workspace.errors,
        stats: output.stats,
        color: false,
        quiet: false,
    };
    for format in [
        Format::Human,
        Format::Compact,
        Format::Sarif,
        Format::Github,
    ] {
        report::write(format, &report, &mut Vec::new()).unwrap();
    }
    let mut json = Vec::new();
    report::write(Format::Json, &report, &mut json).unwrap();
    let json: Value = serde_json::from_slice(&json).unwrap();
    for d in json["diagnostics"].as_array().unwrap() {
        let file = workspace
            .files
            .iter()
            .find(|f| f.name == d["path"].as_str().unwrap())
            .unwrap();
        let number = |key: &str| d[key].as_u64().unwrap() as usize;
        prop_assert_eq!(
            (number("line"), number("column")),
            naive_position(&file.text, number("start_byte")),
            "start of {}",
            d
        );
        prop_assert_eq!(
            (number("end_line"), number("end_column")),
            naive_position(&file.text, number("end_byte")),
            "end of {}",
            d
        );
    }
    Ok(())
}

proptest! {
    /// Plain SQL, or Alembic offline output when a `-- Running upgrade` header is drawn.
    #[test]
    fn loose_file_spans_are_in_bounds_and_positions_agree(text in input()) {
        let path = PathBuf::from("property-input/0001_migration.sql");
        check(&path, &text, std::slice::from_ref(&path))?;
    }

    /// The same text as a migration of a drizzle folder (breakpoint pieces, a transaction).
    #[test]
    fn drizzle_migration_spans_are_in_bounds_and_positions_agree(text in input()) {
        let dir = drizzle_folder();
        check(&dir.join("0000_init.sql"), &text, &[dir])?;
    }

    /// Statement, syntax-error and recovery-split spans straight from the parse stage.
    #[test]
    fn parsed_spans_are_in_bounds(text in input()) {
        let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let whole = start..text.len();
        let migration = source::Migration {
            name: "m".into(),
            file: 0,
            layout: source::Layout::Plain,
            owner: None,
            chunks: vec![whole],
            starts_in_transaction: false,
            header: 0..0,
            revision: None,
            script: None,
        };
        let parsed = parse::parse_migration(&text, &migration);
        let spans = parsed
            .statements
            .iter()
            .map(|s| s.span.clone())
            .chain(parsed.syntax_errors.iter().map(|e| e.span.clone()))
            .chain(parse::text::split_statements(&text));
        for span in spans {
            prop_assert!(span.start <= span.end && span.end <= text.len(), "{:?}", span);
            prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end), "{:?}", span);
        }
    }

    /// The line index agrees with counting, at every offset (between characters or not).
    #[test]
    fn line_index_agrees_with_counting(text in input(), at in any::<prop::sample::Index>()) {
        let offset = at.index(text.len() + 1);
        let mut floor = offset;
        while !text.is_char_boundary(floor) {
            floor -= 1;
        }
        let position = LineIndex::new(&text).position(&text, offset);
        prop_assert_eq!((position.line, position.column), naive_position(&text, floor));
    }
}

/// A drizzle folder whose journal lists `0000_init`; the test's text stands in for that file.
fn drizzle_folder() -> PathBuf {
    static FOLDER: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = FOLDER.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("meta")).unwrap();
        std::fs::write(
            dir.path().join("meta/_journal.json"),
            r#"{"entries":[{"idx":0,"when":1,"tag":"0000_init","breakpoints":true}]}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("0000_init.sql"), "SELECT 1;").unwrap();
        dir
    });
    dir.path().to_path_buf()
}
