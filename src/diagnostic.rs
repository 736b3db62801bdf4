//! What every stage reports: a rule's finding at a byte span of a file.

use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

use crate::engine::RuleId;
use crate::source::FileId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity `{other}` (expected error, warning or info)"
            )),
        }
    }
}

/// A finding as a rule produces it, before the linter attaches rule id and severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: FileId,
    pub span: Range<usize>,
    pub message: String,
    /// Most help is fixed text, borrowed or shared rather than copied into each of thousands
    /// of findings.
    pub help: Option<Text>,
    /// The migration the finding is about, for findings of a whole set (journal entries,
    /// revision headers); findings of a migration or statement get theirs from the linter.
    pub migration: Option<String>,
}

impl Finding {
    pub fn new(file: FileId, span: Range<usize>, message: impl Into<String>) -> Self {
        Finding {
            file,
            span,
            message: message.into(),
            help: None,
            migration: None,
        }
    }

    pub fn about(mut self, migration: impl Into<String>) -> Self {
        self.migration = Some(migration.into());
        self
    }

    pub fn help(mut self, help: impl Into<Text>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// A finding attributed to its rule, with the configured severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    pub help: Option<Text>,
    pub file: FileId,
    pub span: Range<usize>,
    /// The migration the finding is about, when it is about one (shared by its findings).
    pub migration: Option<Arc<str>>,
}

/// Text that many findings may carry: borrowed when it is fixed, else shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Static(&'static str),
    Shared(Arc<str>),
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Text::Static(text) => text,
            Text::Shared(text) => text,
        }
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl From<&'static str> for Text {
    fn from(text: &'static str) -> Self {
        Text::Static(text)
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text::Shared(Arc::from(text))
    }
}

impl From<Arc<str>> for Text {
    fn from(text: Arc<str>) -> Self {
        Text::Shared(text)
    }
}
