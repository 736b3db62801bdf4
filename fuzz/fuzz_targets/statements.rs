//! The statement splitter and span mapping: one chunk of SQL parsed as a migration (including
//! the statements of `DO` blocks), the recovery splitter, the name/type measuring helpers rules
//! use to place spans, and the stored form the cache keeps of a parsed migration.
#![no_main]

use chronos_lint::parse::{self, ParsedMigration, text};
use chronos_lint::source::{Layout, Migration};
use chronos_lint_fuzz::{assert_span, check_parsed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    for piece in text::split_statements(sql) {
        assert_span(sql, &piece, "split_statements");
    }
    check(sql);
    // The same text as the body of a DO block, as drizzle-kit wraps foreign keys.
    if !sql.contains("$fuzz$") {
        check(&format!("DO $fuzz$ BEGIN\n{sql};\nEND $fuzz$;"));
    }
});

fn check(sql: &str) {
    let start = if sql.starts_with('\u{feff}') { 3 } else { 0 };
    let whole = start..sql.len();
    let migration = Migration {
        name: "fuzz".into(),
        file: 0,
        layout: Layout::Plain,
        owner: None,
        chunks: vec![whole],
        starts_in_transaction: false,
        header: 0..0,
        revision: None,
        script: None,
    };
    let parsed = parse::parse_migration(sql, &migration);
    check_parsed(sql, &parsed);
    // The cache's stored form (libpg_query's own encoding of each tree) gives back the same
    // statements.
    let stored = ParsedMigration::from_bytes(&parsed.to_bytes()).expect("stored form decodes");
    assert_eq!(
        format!("{:?}", parsed.statements),
        format!("{:?}", stored.statements)
    );
    assert_eq!(parsed.syntax_errors, stored.syntax_errors);
    for statement in &parsed.statements {
        let text = &sql[statement.span.clone()];
        let name = text::name_len(text);
        assert_span(text, &(0..name), "name_len");
        let type_len = text::type_len(text);
        assert_span(text, &(0..type_len), "type_len");
        assert_span(
            sql,
            &(text::skip_trivia(sql, statement.span.start)..sql.len()),
            "skip_trivia",
        );
        for lexeme in parse::lex(text).iter().take(8) {
            assert_span(text, &lexeme.span, "lex");
            if let Some(name) = lexeme.name()
                && let Some(at) = text::find_name(text, &name)
            {
                assert_span(text, &(at..at), "find_name");
                let len = text::name_len(&text[at..]);
                assert_span(text, &(at..at + len), "name_len after find_name");
            }
        }
    }
}
