//! The findings a run keeps for its report.
//!
//! The report is sorted by file and written after every set is judged, so findings are kept
//! until then. What sorting, filtering and counting need (rule, severity, place, migration) stays
//! in memory as a [`Kept`] of a few dozen bytes; the texts (message, help, suggested statements),
//! most of a finding's size, are encoded into an arena that moves to an unnamed temporary file
//! once it passes a bound. A large run's memory then does not grow with its findings, and a
//! small run never touches the disk.

use std::io::{self, Write};
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

use prost::Message;

use crate::diagnostic::{Diagnostic, Severity, StoredSuggestion, Text};
use crate::engine::RuleId;
use crate::source::FileId;

/// Arena bytes held in memory before the arena moves to a temporary file: about 8,000 findings.
const SPILL_AT: usize = 8 << 20;

/// Overrides [`SPILL_AT`], so that tests can send every finding through the temporary file.
const SPILL_AT_VARIABLE: &str = "CHRONOS_LINT_SPILL_AT";

/// A kept finding: all of it but its texts, which are in the arena.
#[derive(Debug, Clone)]
pub struct Kept {
    pub rule: RuleId,
    pub severity: Severity,
    pub file: FileId,
    pub span: Range<usize>,
    pub migration: Option<Arc<str>>,
    /// Where the finding was made, as (set, position): what orders findings at one place.
    pub made: (u32, u32),
    texts: Range<u64>,
}

/// A finding's texts, as the arena encodes them.
#[derive(Clone, PartialEq, Message)]
struct StoredTexts {
    #[prost(string, tag = "1")]
    message: String,
    #[prost(string, optional, tag = "2")]
    help: Option<String>,
    #[prost(message, repeated, tag = "3")]
    suggestions: Vec<StoredSuggestion>,
}

/// Where the texts go while sets are judged in parallel.
pub struct Arena {
    spill_at: usize,
    inner: Mutex<ArenaBytes>,
}

#[derive(Default)]
struct ArenaBytes {
    memory: Vec<u8>,
    file: Option<std::fs::File>,
    /// Bytes written to `file`.
    spilled: u64,
}

impl Default for Arena {
    fn default() -> Self {
        let spill_at = std::env::var(SPILL_AT_VARIABLE)
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(SPILL_AT);
        Arena {
            spill_at,
            inner: Mutex::default(),
        }
    }
}

impl Arena {
    /// Keeps `diagnostics`, made in this order by a set, the first of them its `first`-th
    /// finding; their texts go to the arena in one append.
    pub fn keep(&self, (set, first): (u32, usize), diagnostics: Vec<Diagnostic>) -> Vec<Kept> {
        let mut chunk = Vec::new();
        let mut kept = Vec::with_capacity(diagnostics.len());
        for (position, diagnostic) in diagnostics.into_iter().enumerate() {
            let start = chunk.len() as u64;
            StoredTexts {
                message: diagnostic.message,
                help: diagnostic.help.map(|help| help.to_string()),
                suggestions: diagnostic
                    .suggestions
                    .iter()
                    .map(StoredSuggestion::new)
                    .collect(),
            }
            .encode_raw(&mut chunk);
            kept.push(Kept {
                rule: diagnostic.rule,
                severity: diagnostic.severity,
                file: diagnostic.file,
                span: diagnostic.span,
                migration: diagnostic.migration,
                made: (set, u32::try_from(first + position).unwrap_or(u32::MAX)),
                texts: start..chunk.len() as u64,
            });
        }
        let base = self.append(chunk);
        for finding in &mut kept {
            finding.texts = finding.texts.start + base..finding.texts.end + base;
        }
        kept
    }

    /// Appends `chunk`, returning its offset in the arena.
    fn append(&self, chunk: Vec<u8>) -> u64 {
        let mut bytes = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let base = bytes.spilled + bytes.memory.len() as u64;
        if bytes.file.is_none() && bytes.memory.len() + chunk.len() > self.spill_at {
            // Without a temporary file the arena stays in memory: slower to fail than to lint.
            if let Ok(mut file) = tempfile::tempfile()
                && file.write_all(&bytes.memory).is_ok()
            {
                bytes.spilled = bytes.memory.len() as u64;
                bytes.memory = Vec::new();
                bytes.file = Some(file);
            }
        }
        let written = match &mut bytes.file {
            Some(file) => file.write_all(&chunk).map(|()| true),
            None => Ok(false),
        };
        match written {
            Ok(true) => bytes.spilled += chunk.len() as u64,
            Ok(false) => bytes.memory.extend_from_slice(&chunk),
            Err(err) => {
                // Offsets stay true only if every byte lands: keep the arena in memory again.
                eprintln!("warning: cannot write findings to a temporary file: {err}");
                let file = bytes.file.take().expect("the arena was written to a file");
                bytes.memory = read_back(&file, base).unwrap_or_default();
                bytes.spilled = 0;
                bytes.memory.extend_from_slice(&chunk);
            }
        }
        base
    }

    fn finish(self) -> ArenaBytes {
        self.inner
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The first `len` bytes of `file`.
fn read_back(file: &std::fs::File, len: u64) -> io::Result<Vec<u8>> {
    let mut bytes = vec![0; usize::try_from(len).map_err(io::Error::other)?];
    read_at(file, &mut bytes, 0)?;
    Ok(bytes)
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, buffer: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buffer, offset)
}

#[cfg(windows)]
fn read_at(file: &std::fs::File, mut buffer: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buffer.is_empty() {
        match file.seek_read(buffer, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buffer = &mut buffer[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

/// A run's kept findings with their texts.
pub struct Findings {
    pub kept: Vec<Kept>,
    arena: ArenaBytes,
    /// Why [`Findings::iter`] stopped early, if it did.
    read_error: Mutex<Option<io::Error>>,
}

impl Findings {
    pub fn new(kept: Vec<Kept>, arena: Arena) -> Self {
        Findings {
            kept,
            arena: arena.finish(),
            read_error: Mutex::default(),
        }
    }

    /// `diagnostics` kept in this order, in memory.
    pub fn in_memory(diagnostics: Vec<Diagnostic>) -> Self {
        let arena = Arena {
            spill_at: usize::MAX,
            inner: Mutex::default(),
        };
        let kept = arena.keep((0, 0), diagnostics);
        Findings::new(kept, arena)
    }

    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.kept.iter().filter(|k| k.severity == severity).count()
    }

    /// Every finding with its texts, in order, for writing them one at a time. Stops at a
    /// finding whose texts cannot be read back; [`Findings::take_read_error`] then says why.
    pub fn iter(&self) -> impl Iterator<Item = Diagnostic> + '_ {
        self.kept
            .iter()
            .map_while(|kept| match self.diagnostic(kept) {
                Ok(diagnostic) => Some(diagnostic),
                Err(err) => {
                    *self
                        .read_error
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(err);
                    None
                }
            })
    }

    /// Why the last [`Findings::iter`] stopped before the end.
    pub fn take_read_error(&self) -> Option<io::Error> {
        self.read_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Whether the texts went to a temporary file.
    pub fn spilled(&self) -> bool {
        self.arena.file.is_some()
    }

    /// `finding` with its texts.
    pub fn diagnostic(&self, finding: &Kept) -> io::Result<Diagnostic> {
        let len =
            usize::try_from(finding.texts.end - finding.texts.start).map_err(io::Error::other)?;
        let mut buffer;
        let bytes = match &self.arena.file {
            Some(file) => {
                buffer = vec![0; len];
                read_at(file, &mut buffer, finding.texts.start)?;
                &buffer[..]
            }
            None => {
                let start = usize::try_from(finding.texts.start).map_err(io::Error::other)?;
                self.arena
                    .memory
                    .get(start..start + len)
                    .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?
            }
        };
        let texts = StoredTexts::decode(bytes).map_err(io::Error::other)?;
        Ok(Diagnostic {
            rule: finding.rule,
            severity: finding.severity,
            message: texts.message,
            help: texts.help.map(Text::from),
            file: finding.file,
            span: finding.span.clone(),
            migration: finding.migration.clone(),
            suggestions: texts
                .suggestions
                .into_iter()
                .map(StoredSuggestion::restore)
                .collect::<Option<_>>()
                .ok_or_else(|| io::Error::other("a kept suggestion does not decode"))?,
        })
    }

    /// Every finding with its texts, in order.
    pub fn diagnostics(&self) -> io::Result<Vec<Diagnostic>> {
        self.kept.iter().map(|kept| self.diagnostic(kept)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Suggestion;

    fn diagnostics() -> Vec<Diagnostic> {
        let rule = crate::rules::REGISTRY[0].id();
        (0..50)
            .map(|n| Diagnostic {
                rule,
                severity: Severity::Warning,
                message: format!("finding {n}"),
                help: (n % 2 == 0).then(|| Text::from("fixed help")),
                file: n % 3,
                span: n..n + 4,
                migration: (n % 5 == 0).then(|| Arc::from("0001_init")),
                suggestions: if n % 7 == 0 {
                    vec![Suggestion::instead([format!("SELECT {n}")]).replacing(0..n)].into()
                } else {
                    Box::default()
                },
            })
            .collect()
    }

    fn round_trip(spill_at: usize) -> Findings {
        let arena = Arena {
            spill_at,
            inner: Mutex::default(),
        };
        let all = diagnostics();
        let (first, second) = all.split_at(20);
        let mut kept = arena.keep((0, 0), first.to_vec());
        kept.extend(arena.keep((1, 0), second.to_vec()));
        Findings::new(kept, arena)
    }

    #[test]
    fn texts_read_back_the_same_from_memory_and_from_the_temporary_file() {
        let in_memory = round_trip(usize::MAX);
        let spilled = round_trip(0);
        let halfway = round_trip(600);
        assert!(!in_memory.spilled());
        assert!(spilled.spilled() && halfway.spilled());
        let expected = diagnostics();
        assert_eq!(in_memory.diagnostics().unwrap(), expected);
        assert_eq!(spilled.diagnostics().unwrap(), expected);
        assert_eq!(halfway.diagnostics().unwrap(), expected);
        assert_eq!(spilled.kept[25].made, (1, 5));
    }
}
