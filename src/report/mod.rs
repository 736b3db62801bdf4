//! Report stage: diagnostics rendered in one output format. Line and column numbers are computed
//! here, once, from byte spans.

mod compact;
mod github;
mod gitlab;
pub mod human;
mod json;
mod line_index;
mod markdown;
mod sarif;

use std::io::{self, Write};
use std::ops::Range;

pub use line_index::{LineIndex, Position};

use crate::diagnostic::{Diagnostic, Severity};
use crate::findings::Findings;
use crate::lint::Stats;
use crate::source::{InputError, SourceFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Compact,
    Sarif,
    Github,
    Gitlab,
    Markdown,
}

/// Everything a format may show.
pub struct Report<'a> {
    pub files: &'a [SourceFile],
    pub findings: &'a Findings,
    pub input_errors: &'a [InputError],
    pub stats: Stats,
    /// Human output uses colour.
    pub color: bool,
    /// Findings only: no summary line.
    pub quiet: bool,
}

impl Report<'_> {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.count(severity)
    }
}

pub fn write(format: Format, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_format(format, report, out)?;
    // A finding whose texts could not be read back ends the report early: say so.
    match report.findings.take_read_error() {
        Some(err) => Err(io::Error::other(format!(
            "cannot read back the findings kept in a temporary file: {err}"
        ))),
        None => Ok(()),
    }
}

fn write_format(format: Format, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, out),
        Format::Json => json::write(report, out),
        Format::Compact => compact::write(report, out),
        Format::Sarif => sarif::write(report, out),
        Format::Github => github::write(report, out),
        Format::Gitlab => gitlab::write(report, out),
        Format::Markdown => markdown::write(report, out),
    }
}

/// `text` with every control character written as an escape (`\n`, `\u{1b}`): names and
/// messages come from the files linted, and a newline must not split a one-line format, nor an
/// escape sequence reach the terminal.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    // The Unicode line and paragraph separators end a line in editors and some terminals too.
    let breaks = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    if !text.chars().any(breaks) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if breaks(c) {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// A stable identity per diagnostic for code-scanning and code-quality tools: rule, path, the
/// flagged text and its occurrence among identical ones — not line numbers, so edits elsewhere in
/// the file keep it. Diagnostics are given in report order, one at a time.
#[derive(Default)]
pub(crate) struct Fingerprints {
    seen: std::collections::HashMap<[u8; 32], usize>,
}

impl Fingerprints {
    pub(crate) fn next(&mut self, report: &Report, d: &Diagnostic) -> String {
        use sha2::{Digest, Sha256};
        let file = &report.files[d.file];
        let flagged = file.text.get(d.span.clone()).unwrap_or_default();
        let key: [u8; 32] = Sha256::new()
            .chain_update(d.rule.as_str())
            .chain_update([0])
            .chain_update(&file.name)
            .chain_update([0])
            .chain_update(flagged.split_whitespace().collect::<Vec<_>>().join(" "))
            .finalize()
            .into();
        let occurrence = self.seen.entry(key).and_modify(|n| *n += 1).or_insert(0);
        let digest = Sha256::new()
            .chain_update(key)
            .chain_update(occurrence.to_le_bytes())
            .finalize();
        hex16(&digest)
    }
}

/// A stable identity for an input error: the file and what was wrong with it.
pub(crate) fn input_error_fingerprint(error: &InputError) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(INPUT_ERROR)
        .chain_update([0])
        .chain_update(&error.path)
        .chain_update([0])
        .chain_update(&error.message)
        .finalize();
    hex16(&digest)
}

/// What formats that name a check for each entry call an input error (a file that could not be
/// linted). It is not a rule: it cannot be configured or suppressed.
pub(crate) const INPUT_ERROR: &str = "input-error";

/// The first 16 bytes of a digest in hex.
fn hex16(digest: &[u8]) -> String {
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A JSON array written from an iterator as it is serialized: a report's entries go straight to
/// the writer, never all held at once (a large run has hundreds of thousands).
pub(crate) struct Streamed<I>(std::cell::RefCell<Option<I>>);

impl<I> Streamed<I> {
    pub(crate) fn new(items: I) -> Self {
        Streamed(std::cell::RefCell::new(Some(items)))
    }
}

impl<I> serde::Serialize for Streamed<I>
where
    I: Iterator,
    I::Item: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let items = self
            .0
            .borrow_mut()
            .take()
            .ok_or_else(|| S::Error::custom("a streamed sequence is written once"))?;
        let mut seq = serializer.serialize_seq(None)?;
        for item in items {
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}

/// Line indexes for the files that have diagnostics, built on first use.
pub(crate) struct LineIndexes<'a> {
    files: &'a [SourceFile],
    built: std::collections::HashMap<usize, LineIndex>,
}

impl<'a> LineIndexes<'a> {
    pub(crate) fn new(files: &'a [SourceFile]) -> Self {
        LineIndexes {
            files,
            built: Default::default(),
        }
    }

    pub(crate) fn span(&mut self, diagnostic: &Diagnostic) -> (Position, Position) {
        self.range(diagnostic.file, &diagnostic.span)
    }

    /// Start and end of bytes `range` of `file`.
    pub(crate) fn range(&mut self, file: usize, range: &Range<usize>) -> (Position, Position) {
        let text = &self.files[file].text;
        let index = self
            .built
            .entry(file)
            .or_insert_with(|| LineIndex::new(text));
        (
            index.position(text, range.start),
            index.position(text, range.end),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::REGISTRY;

    /// One finding spanning two lines, with a message that holds line breaks of every kind, and
    /// one file that could not be read.
    fn render(format: Format) -> String {
        let files = [SourceFile {
            path: "m/0001.sql".into(),
            name: "m/0001.sql".into(),
            text: "DROP\n  TABLE users;\n".into(),
        }];
        let diagnostics = [Diagnostic {
            rule: REGISTRY[0].id(),
            severity: Severity::Error,
            message: "one\ntwo\rthree\u{2028}four\u{2029}five\u{85}six".into(),
            help: None,
            file: 0,
            span: 0..18,
            migration: None,
            suggestions: Box::default(),
        }];
        let input_errors = [InputError {
            path: "m/0002.sql".into(),
            message: "not valid UTF-8".into(),
        }];
        let report = Report {
            files: &files,
            findings: &Findings::in_memory(diagnostics.to_vec()),
            input_errors: &input_errors,
            stats: Stats::default(),
            color: false,
            quiet: false,
        };
        let mut out = Vec::new();
        write(format, &report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn github_gives_columns_only_to_a_span_on_one_line() {
        let out = render(Format::Github);
        let first = out.lines().next().unwrap();
        assert!(
            first.starts_with("::error file=m/0001.sql,line=1,endLine=2,title="),
            "{out}"
        );
        assert!(!first.contains("col="), "{out}");
    }

    #[test]
    fn compact_keeps_one_finding_per_line() {
        let out = render(Format::Compact);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out:?}");
        assert!(lines[0].starts_with("m/0001.sql:1:1: error["), "{out}");
        assert!(
            lines[0].ends_with(r"one\ntwo\rthree\u{2028}four\u{2029}five\u{85}six"),
            "{out}"
        );
        assert!(!out.contains(['\u{2028}', '\u{2029}', '\u{85}', '\r']));
        assert_eq!(lines[1], "m/0002.sql: error: not valid UTF-8");
    }

    #[test]
    fn every_format_reports_input_errors() {
        for format in [
            Format::Human,
            Format::Json,
            Format::Compact,
            Format::Github,
            Format::Gitlab,
            Format::Markdown,
            Format::Sarif,
        ] {
            let out = render(format);
            assert!(out.contains("m/0002.sql"), "{format:?}: {out}");
            assert!(out.contains("not valid UTF-8"), "{format:?}: {out}");
        }
        assert!(
            render(Format::Github)
                .contains("::error file=m/0002.sql,title=input error::not valid UTF-8")
        );
        let sarif: serde_json::Value = serde_json::from_str(&render(Format::Sarif)).unwrap();
        let invocation = &sarif["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        let notification = &invocation["toolExecutionNotifications"][0];
        assert_eq!(notification["level"], "error");
        assert_eq!(
            notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "m/0002.sql"
        );
        let gitlab: serde_json::Value = serde_json::from_str(&render(Format::Gitlab)).unwrap();
        let issue = &gitlab[1];
        assert_eq!(issue["check_name"], INPUT_ERROR);
        assert_eq!(issue["location"]["path"], "m/0002.sql");
        assert_eq!(issue["location"]["lines"]["begin"], 1);
        assert_eq!(issue["fingerprint"].as_str().unwrap().len(), 32);
        assert!(
            render(Format::Human).contains("1 file could not be linted"),
            "{}",
            render(Format::Human)
        );
    }
}
