//! What every stage reports: a rule's finding at a byte span of a file.

use std::ops::Range;
use std::sync::Arc;

use prost::Message;
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
    /// The statements the help suggests, as data.
    pub suggestions: Vec<Suggestion>,
}

impl Finding {
    pub fn new(file: FileId, span: Range<usize>, message: impl Into<String>) -> Self {
        Finding {
            file,
            span,
            message: message.into(),
            help: None,
            migration: None,
            suggestions: Vec::new(),
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

    pub fn suggest(mut self, suggestion: Suggestion) -> Self {
        self.suggestions.push(suggestion);
        self
    }
}

/// Statements a finding's help suggests, as data: the test suite runs every one of them on
/// PostgreSQL (against the schema they are meant for), and the JSON and SARIF outputs carry
/// them for tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// Complete SQL statements, each ending in `;`, to run in order, each in a transaction of
    /// its own (a statement that PostgreSQL refuses inside a transaction block stays valid).
    pub statements: Vec<String>,
    pub when: When,
    /// For a suggestion `instead` of a statement: the statement's bytes in its file (without
    /// its `;`), which the statements can replace as a text edit.
    pub replaces: Option<Range<usize>>,
}

/// Where a [`Suggestion`] goes, which is also the schema it is written against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum When {
    /// Before the flagged statement, on the schema before it (a check to run first).
    Before,
    /// In place of the flagged statement, on the schema before it.
    Instead,
    /// After the flagged statement's migration has been applied.
    After,
}

impl When {
    pub const ALL: [When; 3] = [When::Before, When::Instead, When::After];

    pub fn as_str(self) -> &'static str {
        match self {
            When::Before => "before",
            When::Instead => "instead",
            When::After => "after",
        }
    }
}

impl Suggestion {
    /// Statements to run in place of the flagged one (or of its part the finding is about).
    pub fn instead(statements: impl IntoIterator<Item = String>) -> Self {
        Suggestion {
            statements: statements.into_iter().map(terminated).collect(),
            when: When::Instead,
            replaces: None,
        }
    }

    /// With the statement at `span` as the text they replace: for a statement the suggestion
    /// takes the place of whole.
    pub fn replacing(mut self, span: Range<usize>) -> Self {
        self.replaces = Some(span);
        self
    }

    pub fn before(statements: impl IntoIterator<Item = String>) -> Self {
        Suggestion {
            statements: statements.into_iter().map(terminated).collect(),
            when: When::Before,
            replaces: None,
        }
    }

    pub fn after(statements: impl IntoIterator<Item = String>) -> Self {
        Suggestion {
            statements: statements.into_iter().map(terminated).collect(),
            when: When::After,
            replaces: None,
        }
    }

    /// The text that replaces the statement at [`Self::replaces`], whose `;` stays in the file.
    pub fn replacement(&self) -> String {
        let joined = self.statements.join("\n");
        joined.strip_suffix(';').unwrap_or(&joined).to_owned()
    }
}

/// A [`Suggestion`] as the cache and the findings kept for the report encode it.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct StoredSuggestion {
    #[prost(string, repeated, tag = "1")]
    statements: Vec<String>,
    /// Position in [`When::ALL`].
    #[prost(uint32, tag = "2")]
    when: u32,
    #[prost(uint64, optional, tag = "3")]
    replaces_start: Option<u64>,
    #[prost(uint64, optional, tag = "4")]
    replaces_end: Option<u64>,
}

impl StoredSuggestion {
    pub(crate) fn new(suggestion: &Suggestion) -> Self {
        StoredSuggestion {
            statements: suggestion.statements.clone(),
            when: When::ALL
                .iter()
                .position(|&when| when == suggestion.when)
                .expect("every placement is in the list") as u32,
            replaces_start: suggestion.replaces.as_ref().map(|span| span.start as u64),
            replaces_end: suggestion.replaces.as_ref().map(|span| span.end as u64),
        }
    }

    pub(crate) fn restore(self) -> Option<Suggestion> {
        let offset = |value: u64| usize::try_from(value).ok();
        Some(Suggestion {
            statements: self.statements,
            when: *When::ALL.get(self.when as usize)?,
            replaces: match (self.replaces_start, self.replaces_end) {
                (Some(start), Some(end)) => Some(offset(start)?..offset(end)?),
                _ => None,
            },
        })
    }
}

/// `statement` ending in exactly one `;`.
fn terminated(statement: String) -> String {
    let trimmed = statement.trim_end().trim_end_matches(';');
    format!("{trimmed};")
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
    /// Usually none: boxed, so that a finding without any pays little for them.
    pub suggestions: Box<[Suggestion]>,
}

/// Text that many findings may carry: borrowed when it is fixed, else shared. Equal when the
/// words are, however held.
#[derive(Debug, Clone, Eq)]
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

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
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
