//! PostgreSQL's own regression SQL (`../shared/corpus/pg-regress`, 243 files from PostgreSQL's
//! development branch): every file is linted without a panic, and every syntax error is one we
//! expect.
//!
//! The files' psql meta-commands sit in comments (`/* \gset */`), and none causes an error. The
//! syntax errors are of two kinds, reviewed file by file:
//! - syntax newer than the parser: libpg_query speaks PostgreSQL 18, and the development branch
//!   adds property graphs (`CREATE PROPERTY GRAPH`, `GRAPH_TABLE ... MATCH`), `FOR PORTION OF`,
//!   `SPLIT`/`MERGE PARTITION(S)`, `REPACK`, `ON CONFLICT DO SELECT`, `COPY ... (FORMAT json)`,
//!   `RESPECT`/`IGNORE NULLS`, publications `EXCEPT`/`ALL SEQUENCES`, subscriptions and foreign-data
//!   wrappers with `SERVER`/`CONNECTION`, more `CREATE SCHEMA` elements, and `JSON_TABLE ... PLAN`;
//! - statements the suite writes wrong on purpose to test PostgreSQL's error messages (all of
//!   `errors.sql`; `NOT NUL`, `drop operator === ()`, `CREATE STATISTICS tst FROM sometab`,
//!   `DO $$begin return 1; end$$`, ...), and one `DO` block whose body was a psql variable whose
//!   `\set` lines are commented out (`DO 'dobody'` in `largeobject.sql`).
//!
//! Errors are counted per file and kind; a change in the splitter, the parser or the spans that
//! adds or loses one shows here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chronos_lint::config::Config;
use chronos_lint::{lint, parse, source};

/// Statement text that marks syntax PostgreSQL 18 does not have.
const NEWER_SYNTAX: &[&str] = &[
    "PROPERTY GRAPH",
    "GRAPH_TABLE",
    "PORTION OF",
    "SPLIT PARTITION",
    "MERGE PARTITIONS",
    "REPACK",
    "DO SELECT",
    "(FORMAT JSON",
    "RESPECT NULLS",
    "IGNORE NULLS",
    "EXCEPT (TABLE",
    "ALL SEQUENCES",
    "SET ALL TABLES",
    " SERVER ",
    "DATA WRAPPER",
    "CREATE SCHEMA",
    " PLAN",
];

/// Reviewed: file → (errors from newer syntax, errors written on purpose).
const EXPECTED: &[(&str, usize, usize)] = &[
    ("aggregates.sql", 0, 1),
    ("alter_generic.sql", 16, 0),
    ("alter_table.sql", 0, 1),
    ("cluster.sql", 10, 0),
    ("collate.icu.utf8.sql", 0, 1),
    ("collate.linux.utf8.sql", 0, 1),
    ("collate.sql", 0, 1),
    ("constraints.sql", 1, 3),
    ("copy.sql", 33, 2),
    ("copy2.sql", 0, 1),
    ("copyencoding.sql", 2, 0),
    ("copyselect.sql", 0, 1),
    ("create_operator.sql", 0, 1),
    ("create_property_graph.sql", 75, 0),
    ("create_schema.sql", 2, 1),
    ("create_table.sql", 0, 2),
    ("domain.sql", 0, 2),
    ("errors.sql", 0, 42),
    ("event_trigger.sql", 3, 1),
    ("fast_default.sql", 1, 0),
    ("for_portion_of.sql", 165, 0),
    ("foreign_data.sql", 1, 0),
    ("foreign_key.sql", 0, 4),
    ("generated_stored.sql", 1, 1),
    ("generated_virtual.sql", 1, 1),
    ("graph_table.sql", 110, 0),
    ("graph_table_rls.sql", 7, 0),
    ("guc.sql", 0, 3),
    ("insert_conflict.sql", 30, 0),
    ("largeobject.sql", 0, 1),
    ("limit.sql", 0, 2),
    ("merge.sql", 0, 4),
    ("object_address.sql", 1, 0),
    ("partition_merge.sql", 46, 0),
    ("partition_split.sql", 70, 0),
    ("plpgsql.sql", 0, 1),
    ("privileges.sql", 23, 0),
    ("publication.sql", 29, 9),
    ("rowsecurity.sql", 9, 1),
    ("rules.sql", 1, 1),
    ("sqljson.sql", 0, 5),
    ("sqljson_jsontable.sql", 27, 4),
    ("stats_ext.sql", 0, 3),
    ("strings.sql", 0, 7),
    ("subscription.sql", 7, 0),
    ("triggers.sql", 1, 4),
    ("updatable_views.sql", 21, 0),
    ("vacuum.sql", 0, 1),
    ("window.sql", 31, 1),
    ("without_overlaps.sql", 18, 0),
    ("xml.sql", 0, 1),
];

/// The regression SQL: `$CHRONOS_CORPUS/pg-regress`, by default the shared corpus beside the
/// repository. A checkout without it skips this test, saying so, unless
/// `CHRONOS_REQUIRE_CORPUS` is set.
fn corpus() -> Option<PathBuf> {
    let root = std::env::var_os("CHRONOS_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let dir = root.join("pg-regress");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CHRONOS_REQUIRE_CORPUS").is_none(),
        "{}: the regression corpus is missing",
        dir.display()
    );
    eprintln!(
        "skipped: {} not found (set CHRONOS_CORPUS to the corpus folder)",
        dir.display()
    );
    None
}

#[test]
fn regression_suite_lints_without_panics_and_only_expected_syntax_errors() {
    let Some(corpus) = corpus() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 243);

    let config = Config::default();
    let exclude = config.exclude_matcher(&[]).unwrap();
    let mut panicked = Vec::new();
    let mut found: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut statements = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let linted = std::panic::catch_unwind(|| {
            let workspace = source::discover(std::slice::from_ref(path), &config, &exclude, None);
            assert!(workspace.errors.is_empty(), "{:?}", workspace.errors);
            let output = lint::lint(&workspace, &config, lint::History::default(), None);
            (workspace, output)
        });
        let Ok((workspace, output)) = linted else {
            panicked.push(name);
            continue;
        };
        statements += output.stats.statements;
        let text = &workspace.files[0].text;
        let pieces = parse::text::split_statements(text);
        for diagnostic in output
            .findings
            .kept
            .iter()
            .filter(|d| d.rule.as_str() == "syntax-error")
        {
            let statement = pieces
                .iter()
                .find(|piece| piece.contains(&diagnostic.span.start))
                .map_or("", |piece| &text[piece.clone()])
                .to_uppercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let counts = found.entry(name.clone()).or_default();
            if NEWER_SYNTAX.iter().any(|marker| statement.contains(marker)) {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
    }
    assert!(panicked.is_empty(), "panicked on {panicked:?}");
    let newer: usize = found.values().map(|counts| counts.0).sum();
    let wrong: usize = found.values().map(|counts| counts.1).sum();
    eprintln!(
        "{} files, {statements} statements; {} files with syntax errors: {newer} from newer syntax, \
         {wrong} written wrong on purpose",
        files.len(),
        found.len()
    );
    let expected: BTreeMap<String, (usize, usize)> = EXPECTED
        .iter()
        .map(|&(name, newer, wrong)| (name.to_owned(), (newer, wrong)))
        .collect();
    assert_eq!(found, expected);
}
