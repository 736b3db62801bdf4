//! Report stage: diagnostics rendered in one output format. Line and column numbers are computed
//! here, once, from byte spans.

mod compact;
mod human;
mod json;
mod line_index;

use std::io::{self, Write};

pub use line_index::{LineIndex, Position};

use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::Stats;
use crate::source::{InputError, SourceFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Compact,
}

/// Everything a format may show.
pub struct Report<'a> {
    pub files: &'a [SourceFile],
    pub diagnostics: &'a [Diagnostic],
    pub input_errors: &'a [InputError],
    pub stats: Stats,
    /// Human output uses colour.
    pub color: bool,
}

impl Report<'_> {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

pub fn write(format: Format, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, out),
        Format::Json => json::write(report, out),
        Format::Compact => compact::write(report, out),
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
        let text = &self.files[diagnostic.file].text;
        let index = self
            .built
            .entry(diagnostic.file)
            .or_insert_with(|| LineIndex::new(text));
        (
            index.position(text, diagnostic.span.start),
            index.position(text, diagnostic.span.end),
        )
    }
}
