//! `--format markdown`: a pull-request summary (for `$GITHUB_STEP_SUMMARY` or a PR comment).

use std::io::{self, Write};

use super::{LineIndexes, Report, printable};
use crate::diagnostic::Severity;
use crate::rules::doc_url;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let (errors, warnings, infos) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Info),
    );
    let stats = report.stats;
    if report.findings.is_empty() && report.input_errors.is_empty() {
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
    if !report.findings.is_empty() {
        writeln!(out, "| | Rule | Location | Finding |")?;
        writeln!(out, "|---|---|---|---|")?;
        let mut indexes = LineIndexes::new(report.files);
        for d in report.findings.iter() {
            let (start, _) = indexes.span(&d);
            let icon = match d.severity {
                Severity::Error => "❌",
                Severity::Warning => "⚠️",
                Severity::Info => "ℹ️",
            };
            writeln!(
                out,
                "| {icon} | [`{}`]({}) | {} | {} |",
                d.rule,
                doc_url(d.rule),
                code(&format!(
                    "{}:{}:{}",
                    report.files[d.file].name, start.line, start.column
                )),
                cell(&d.message),
            )?;
        }
        writeln!(out)?;
    }
    if !report.input_errors.is_empty() {
        writeln!(out, "**Could not read:**\n")?;
        for error in report.input_errors {
            // The first line in the list; the rest (a tool's stderr) as a code block under it.
            let (first, rest) = error
                .message
                .split_once('\n')
                .unwrap_or((&error.message, ""));
            writeln!(out, "- {}: {}", code(&error.path), cell(first))?;
            if !rest.is_empty() {
                let lines: Vec<_> = rest.lines().map(printable).collect();
                let longest = lines.iter().map(|line| longest_backticks(line)).max();
                let fence = "`".repeat(longest.unwrap_or(0).max(2) + 1);
                writeln!(out, "\n  {fence}")?;
                for line in lines {
                    writeln!(out, "  {line}")?;
                }
                writeln!(out, "  {fence}\n")?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Text shown as itself inside a table cell: no HTML, no cell break, no line break.
fn cell(text: &str) -> String {
    printable(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

/// A code span of `text` inside a table cell, whatever backticks it holds: the fence is one
/// backtick longer than the longest run in it, and `|` is escaped, as GitHub's tables need even
/// in code.
fn code(text: &str) -> String {
    let text = printable(text).replace('|', "\\|");
    let fence = "`".repeat(longest_backticks(&text) + 1);
    // A space inside the fence keeps a backtick at either end from joining it.
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// The longest run of backticks in `text`: a fence around it is longer.
fn longest_backticks(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_code_spans_show_text_as_itself() {
        assert_eq!(
            cell("a|b <img src=x> & c\nd"),
            "a\\|b &lt;img src=x&gt; &amp; c\\nd"
        );
        assert_eq!(code("m/0001.sql:1:2"), "`m/0001.sql:1:2`");
        assert_eq!(code("m/a`b|c.sql"), "``m/a`b\\|c.sql``");
        assert_eq!(code("`x"), "`` `x ``");
    }
}
