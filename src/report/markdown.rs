//! `--format markdown`: a pull-request summary (for `$GITHUB_STEP_SUMMARY` or a PR comment).

use std::io::{self, Write};

use super::{LineIndexes, Report};
use crate::diagnostic::Severity;
use crate::rules::doc_url;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let (errors, warnings, infos) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Info),
    );
    let stats = report.stats;
    if report.diagnostics.is_empty() && report.input_errors.is_empty() {
        writeln!(out, "### chronos-lint: no findings\n")?;
    } else {
        writeln!(
            out,
            "### chronos-lint: {errors} error(s), {warnings} warning(s), {infos} info\n"
        )?;
    }
    writeln!(
        out,
        "Linted {} file(s): {} migration(s), {} statement(s).\n",
        stats.files, stats.migrations, stats.statements
    )?;
    if !report.diagnostics.is_empty() {
        writeln!(out, "| | Rule | Location | Finding |")?;
        writeln!(out, "|---|---|---|---|")?;
        let mut indexes = LineIndexes::new(report.files);
        for d in report.diagnostics {
            let (start, _) = indexes.span(d);
            let icon = match d.severity {
                Severity::Error => "❌",
                Severity::Warning => "⚠️",
                Severity::Info => "ℹ️",
            };
            writeln!(
                out,
                "| {icon} | [`{}`]({}) | `{}:{}:{}` | {} |",
                d.rule,
                doc_url(d.rule),
                report.files[d.file].name,
                start.line,
                start.column,
                cell(&d.message),
            )?;
        }
        writeln!(out)?;
    }
    if !report.input_errors.is_empty() {
        writeln!(out, "**Could not read:**\n")?;
        for error in report.input_errors {
            writeln!(out, "- `{}`: {}", error.path, cell(&error.message))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Text safe inside a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
