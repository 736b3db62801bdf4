//! Human output: miette's graphical report per diagnostic (snippet, label on the span, help,
//! rule id and doc link), then a summary line.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan,
    MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::{Report, printable};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::doc_url;
use crate::source::InputError;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let theme = if report.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Lines break at spaces only, and a word longer than the line stays whole: a rule id, table
    // name or path broken at its hyphen or slash would be copied wrong (into a suppression).
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false);
    let mut rendered = String::new();
    // Per file, its text as shown: control characters masked (made once, for the files that
    // have findings).
    let mut shown: std::collections::HashMap<usize, (String, Cow<str>)> = Default::default();
    for diagnostic in report.findings.iter() {
        let file = &report.files[diagnostic.file];
        let (name, text) = shown
            .entry(diagnostic.file)
            .or_insert_with(|| (printable(&file.name).into_owned(), masked(&file.text)));
        let view = View {
            diagnostic: &diagnostic,
            message: terminal_safe(&diagnostic.message),
            help: diagnostic.help.as_deref().map(terminal_safe),
            source: NamedText { name, text },
        };
        rendered.clear();
        handler
            .render_report(&mut rendered, &view)
            .map_err(io::Error::other)?;
        out.write_all(rendered.as_bytes())?;
        writeln!(out)?;
    }
    for error in report.input_errors {
        writeln!(out, "{}", input_error(error))?;
    }
    if !report.input_errors.is_empty() {
        writeln!(out)?;
    }
    if report.quiet {
        return Ok(());
    }
    let (errors, warnings, infos) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Info),
    );
    let stats = report.stats;
    let unread = match report.input_errors.len() {
        0 => String::new(),
        1 => "; 1 file could not be linted".to_owned(),
        n => format!("; {n} files could not be linted"),
    };
    writeln!(
        out,
        "{} error{}, {} warning{}, {} info in {} file{} ({} migration{}, {} statement{}){unread}",
        errors,
        plural(errors),
        warnings,
        plural(warnings),
        infos,
        stats.files,
        plural(stats.files),
        stats.migrations,
        plural(stats.migrations),
        stats.statements,
        plural(stats.statements),
    )
}

/// `error: <path>: <message>`, safe for a terminal; a message of several lines (a tool's
/// stderr) goes on indented.
pub fn input_error(error: &InputError) -> String {
    let message = terminal_safe(&error.message).replace('\n', "\n  ");
    format!("error: {}: {message}", printable(&error.path))
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// The file's text with each control character but line breaks and tabs replaced by as many
/// `?` as it has bytes: an escape sequence in SQL must not reach the terminal, and every byte
/// offset must stay where it was.
fn masked(text: &str) -> Cow<'_, str> {
    let masks = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if !text.chars().any(masks) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if masks(c) {
                    "?".repeat(c.len_utf8())
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// A message or help text as shown: line breaks kept, other control characters escaped.
fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.split('\n')
            .map(printable)
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// A diagnostic as miette sees it.
struct View<'a> {
    diagnostic: &'a Diagnostic,
    message: Cow<'a, str>,
    help: Option<Cow<'a, str>>,
    source: NamedText<'a>,
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for View<'_> {}

impl MietteDiagnostic for View<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(doc_url(self.diagnostic.rule)))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = &self.diagnostic.span;
        let label = LabeledSpan::new_with_span(
            Some("here".to_owned()),
            SourceSpan::from(span.start..span.end),
        );
        Some(Box::new(std::iter::once(label)))
    }
}

/// A file's text with its name, without copying it.
struct NamedText<'a> {
    name: &'a str,
    text: &'a str,
}

impl SourceCode for NamedText<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        // miette counts columns in bytes; count characters, as every other format does.
        let start = inner.span().offset();
        let line_start = self.text[..start].rfind('\n').map_or(0, |nl| nl + 1);
        let column = self.text[line_start..start]
            .trim_start_matches('\u{feff}')
            .chars()
            .count();
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_owned(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_never_breaks_an_identifier_or_path() {
        let words = [
            "-- chronos-lint: ignore index-not-concurrent",
            "migrations/drizzle/0001_add_deal_notes.sql",
            "unique-constraint-without-index",
            "a-very-long-name-with-no-space-that-runs-past-the-whole-width-of-the-report-and-beyond-it-too",
        ];
        let help = words
            .iter()
            .cycle()
            .take(12)
            .enumerate()
            .map(|(i, word)| format!("{} {word}", "x".repeat(i % 7)))
            .collect::<Vec<_>>()
            .join(" ");
        let files = [crate::source::SourceFile {
            path: "m.sql".into(),
            name: "m.sql".into(),
            text: "DROP TABLE users;\n".into(),
        }];
        let diagnostics = [Diagnostic {
            rule: crate::rules::REGISTRY[0].id(),
            severity: Severity::Warning,
            message: help.clone(),
            help: Some(help.into()),
            file: 0,
            span: 0..4,
            migration: None,
            suggestions: Box::default(),
        }];
        let report = Report {
            files: &files,
            findings: &crate::findings::Findings::in_memory(diagnostics.to_vec()),
            input_errors: &[],
            stats: Default::default(),
            color: false,
            quiet: false,
        };
        let mut out = Vec::new();
        write(&report, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        for word in words.iter().flat_map(|w| w.split(' ')) {
            assert_eq!(out.matches(word).count(), 6, "`{word}` broken in:\n{out}");
        }
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let sql = "SELECT '\u{1b}]0;owned\u{7}\u{9b}2J';\r\n\tDROP TABLE x;";
        let shown = masked(sql);
        assert_eq!(shown.len(), sql.len());
        assert!(
            !shown
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        );
        assert_eq!(terminal_safe("a\u{1b}[2Jb\nc"), "a\\u{1b}[2Jb\nc");
    }
}
