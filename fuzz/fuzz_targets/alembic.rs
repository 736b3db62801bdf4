//! The Alembic offline-SQL splitter: `-- Running upgrade a -> b` sections into migrations, then
//! each migration parsed.
#![no_main]

use chronos_lint::parse;
use chronos_lint::source::alembic;
use chronos_lint_fuzz::{assert_span, check_parsed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let _ = alembic::detect(text, start);
    let migrations = alembic::split(text, start, 0, None);
    assert!(!migrations.is_empty(), "a file is at least one migration");
    let mut end = start;
    for migration in &migrations {
        assert_span(text, &migration.header, "header");
        for chunk in &migration.chunks {
            assert_span(text, chunk, "chunk");
            assert_eq!(chunk.start, end, "chunks follow each other");
            end = chunk.end;
        }
        check_parsed(text, &parse::parse_migration(text, migration));
    }
    assert_eq!(end, text.len(), "chunks cover the file");
});
