//! The whole lint of one file: discovery (as SQL on standard input), parsing, catalog replay,
//! every rule, suppressions, and every output format.
#![no_main]

use std::path::PathBuf;

use chronos_lint::config::Config;
use chronos_lint::{lint, source};
use chronos_lint_fuzz::check_output;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks settings that change which rules speak.
    let Some((&settings, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let config = Config {
        pg_version: if settings & 1 == 0 { 15 } else { 10 },
        assume_in_transaction: settings & 2 != 0,
        ..Config::default()
    };
    let exclude = config.exclude_matcher(&[]).unwrap();
    let path = PathBuf::from("fuzz-input/0001_migration.sql");
    let stdin = source::StdinSource {
        path: path.clone(),
        text: text.to_owned(),
    };
    let workspace = source::discover(&[path], &config, &exclude, Some(stdin));
    let output = lint::lint(&workspace, &config, lint::History::default(), None);
    check_output(&workspace, &output, true);
});
