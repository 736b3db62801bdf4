//! `--format github`: GitHub Actions workflow commands, one annotation per diagnostic.

use std::io::{self, Write};

use super::{LineIndexes, Report};
use crate::diagnostic::Severity;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut indexes = LineIndexes::new(report.files);
    for d in report.findings.iter() {
        let (start, end) = indexes.span(&d);
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let message = match &d.help {
            Some(help) => format!("{}\n{help}", d.message),
            None => d.message.clone(),
        };
        // The runner drops an annotation's columns when it spans several lines (and may misplace
        // it): columns only on one line.
        let (col, end_col) = if start.line == end.line {
            (
                format!(",col={}", start.column),
                format!(",endColumn={}", end.column),
            )
        } else {
            Default::default()
        };
        writeln!(
            out,
            "::{command} file={},line={}{col},endLine={}{end_col},title={}::{}",
            escape_property(&report.files[d.file].name),
            start.line,
            end.line,
            escape_property(d.rule.as_str()),
            escape_data(&message),
        )?;
    }
    for error in report.input_errors {
        writeln!(
            out,
            "::error file={},title=input error::{}",
            escape_property(&error.path),
            escape_data(&error.message),
        )?;
    }
    Ok(())
}

/// Workflow-command message text: `%`, CR and LF are escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command property values also escape `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
