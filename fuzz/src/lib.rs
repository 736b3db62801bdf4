//! Invariants the fuzz targets check on top of "no panic".

use std::ops::Range;

use chronos_lint::lint::LintOutput;
use chronos_lint::parse::ParsedMigration;
use chronos_lint::report::{self, Format, Report};
use chronos_lint::source::Workspace;

/// A span must lie inside its text and start and end on UTF-8 character boundaries.
pub fn assert_span(text: &str, span: &Range<usize>, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} outside a text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} splits a UTF-8 character"
    );
}

/// Statement and syntax-error spans of a parsed migration.
pub fn check_parsed(text: &str, parsed: &ParsedMigration) {
    for statement in &parsed.statements {
        assert_span(text, &statement.span, "statement");
        assert!(
            statement.base <= statement.span.start,
            "base after the statement"
        );
    }
    for error in &parsed.syntax_errors {
        assert_span(text, &error.span, "syntax error");
    }
}

/// Every diagnostic's span lies in its file; every output format renders.
pub fn check_output(workspace: &Workspace, output: &LintOutput, render: bool) {
    for diagnostic in &output.findings.kept {
        let file = &workspace.files[diagnostic.file];
        assert_span(&file.text, &diagnostic.span, diagnostic.rule.as_str());
    }
    if !render {
        return;
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
        Format::Json,
        Format::Compact,
        Format::Sarif,
        Format::Github,
        Format::Gitlab,
        Format::Markdown,
    ] {
        let mut sink = Vec::new();
        report::write(format, &report, &mut sink).expect("writing to memory does not fail");
    }
}
