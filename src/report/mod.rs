//! Report stage: diagnostics rendered in one output format. Line and column numbers are computed
//! here, once, from byte spans.

mod compact;
mod github;
mod gitlab;
mod human;
mod json;
mod line_index;
mod markdown;
mod sarif;

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
    Sarif,
    Github,
    Gitlab,
    Markdown,
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
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
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
/// the file keep it.
pub(crate) fn fingerprints(report: &Report) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let mut seen: std::collections::HashMap<[u8; 32], usize> = std::collections::HashMap::new();
    report
        .diagnostics
        .iter()
        .map(|d| {
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
            let occurrence = seen.entry(key).and_modify(|n| *n += 1).or_insert(0);
            let digest = Sha256::new()
                .chain_update(key)
                .chain_update(occurrence.to_le_bytes())
                .finalize();
            digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
        })
        .collect()
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
