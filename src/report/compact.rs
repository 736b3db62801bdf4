//! `path:line:col: severity[rule] message`, one line per diagnostic, then `path: error: message`
//! per file that could not be linted. Names and messages are escaped onto their one line.

use std::io::{self, Write};

use super::{LineIndexes, Report, printable};

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut indexes = LineIndexes::new(report.files);
    for diagnostic in report.findings.iter() {
        let (start, _) = indexes.span(&diagnostic);
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            printable(&report.files[diagnostic.file].name),
            start.line,
            start.column,
            diagnostic.severity.as_str(),
            diagnostic.rule,
            printable(&diagnostic.message)
        )?;
    }
    for error in report.input_errors {
        writeln!(
            out,
            "{}: error: {}",
            printable(&error.path),
            printable(&error.message)
        )?;
    }
    Ok(())
}
