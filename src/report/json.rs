//! `--format json`: one object with a stable schema (`version` 1), written as it is serialized.

use std::io::{self, Write};

use serde::Serialize;

use super::{LineIndexes, Report, Streamed};
use crate::diagnostic::{Severity, Text};

#[derive(Serialize)]
struct Output<D, E> {
    version: u32,
    diagnostics: D,
    errors: E,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: Severity,
    message: String,
    help: Option<Text>,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    start_byte: usize,
    end_byte: usize,
    migration: Option<String>,
    suggestions: Vec<JsonSuggestion>,
}

/// A suggestion: statements to run in order, each in a transaction of its own, `instead` of the
/// flagged statement or `after` its migration.
#[derive(Serialize)]
struct JsonSuggestion {
    when: &'static str,
    statements: Vec<String>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    migrations: usize,
    statements: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    input_errors: usize,
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut indexes = LineIndexes::new(report.files);
    let diagnostics = report.findings.iter().map(move |d| {
        let (start, end) = indexes.span(&d);
        JsonDiagnostic {
            rule: d.rule.as_str(),
            severity: d.severity,
            message: d.message,
            help: d.help,
            path: &report.files[d.file].name,
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            start_byte: d.span.start,
            end_byte: d.span.end,
            migration: d.migration.as_deref().map(str::to_owned),
            suggestions: d
                .suggestions
                .into_iter()
                .map(|suggestion| JsonSuggestion {
                    when: suggestion.when.as_str(),
                    statements: suggestion.statements,
                })
                .collect(),
        }
    });
    let errors = report.input_errors.iter().map(|e| JsonError {
        path: &e.path,
        message: &e.message,
    });
    let output = Output {
        version: 1,
        diagnostics: Streamed::new(diagnostics),
        errors: Streamed::new(errors),
        summary: Summary {
            files: report.stats.files,
            migrations: report.stats.migrations,
            statements: report.stats.statements,
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            infos: report.count(Severity::Info),
            input_errors: report.input_errors.len(),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    writeln!(out)
}
