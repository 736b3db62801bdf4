//! Human output: miette's graphical report per diagnostic (snippet, label on the span, help,
//! rule id and doc link), then a summary line.

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan,
    MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::Report;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::doc_url;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let theme = if report.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100);
    let mut rendered = String::new();
    for diagnostic in report.diagnostics {
        let file = &report.files[diagnostic.file];
        let view = View {
            diagnostic,
            source: NamedText {
                name: &file.name,
                text: &file.text,
            },
        };
        rendered.clear();
        handler
            .render_report(&mut rendered, &view)
            .map_err(io::Error::other)?;
        out.write_all(rendered.as_bytes())?;
        writeln!(out)?;
    }
    let (errors, warnings, infos) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Info),
    );
    let stats = report.stats;
    writeln!(
        out,
        "{} error{}, {} warning{}, {} info in {} file{} ({} migration{}, {} statement{})",
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

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// A diagnostic as miette sees it.
struct View<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedText<'a>,
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
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
        self.diagnostic
            .help
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
