//! What a rule is: its declaration ([`declare_rule!`], [`RuleMeta`], [`RuleId`]) and its hooks
//! ([`Rule`]).

use super::{MigrationContext, SetContext, StatementContext, TraceContext, WorkspaceContext};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};

/// What a rule is, for listings, docs and configuration: written once, by [`declare_rule!`].
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id; also the name of its doc page `rules/<id>.md`.
    pub id: &'static str,
    pub family: Family,
    pub severity: Severity,
    /// The doc page `rules/<id>.md`, compiled in for `chronos-lint explain`.
    pub doc: &'static str,
    /// One line for `chronos-lint rules`.
    pub summary: &'static str,
}

impl RuleMeta {
    /// Whether the rule judges what `--shadow` observed ([`Rule::check_trace`]); without
    /// `--shadow` it reports nothing, and suppressions of it are not unused.
    pub fn needs_shadow(&self) -> bool {
        self.family == Family::Shadow
    }
}

/// The families of the rules table in the README and of the doc pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Who may change which tables.
    Ownership,
    /// The migration files themselves: syntax, journals, revision chains, suppressions.
    Migration,
    /// Statements that lose data or break the code still running.
    Destructive,
    /// Statements that lock or rewrite existing tables.
    Locking,
    Indexes,
    /// Column types and extensions.
    Hygiene,
    /// What applying the migrations to a real PostgreSQL showed (`--shadow`).
    Shadow,
}

/// A rule's identity: compared by identity of its declaration, printed as its kebab-case id.
#[derive(Clone, Copy)]
pub struct RuleId(&'static RuleMeta);

impl RuleId {
    /// For [`declare_rule!`]: `meta` is the rule's one declaration.
    #[doc(hidden)]
    pub const fn of(meta: &'static RuleMeta) -> Self {
        RuleId(meta)
    }

    pub fn as_str(self) -> &'static str {
        self.0.id
    }

    pub fn meta(self) -> &'static RuleMeta {
        self.0
    }
}

impl PartialEq for RuleId {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for RuleId {}

impl PartialOrd for RuleId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// By id, as the outputs list them.
impl Ord for RuleId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for RuleId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::fmt::Debug for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What [`declare_rule!`] derives from a rule's declaration.
pub trait Declared {
    fn id(&self) -> RuleId;

    fn meta(&self) -> &'static RuleMeta {
        self.id().meta()
    }
}

/// Declares a rule once: its unit struct, id, family, default severity and summary; the doc
/// page `rules/<id>.md` is compiled in, and `Self::ID` and [`Declared`] are derived.
///
/// ```ignore
/// declare_rule! {
///     pub struct DropColumn {
///         id: "drop-column",
///         family: Destructive,
///         severity: Error,
///         summary: "DROP COLUMN deletes a column of an existing table that running code may still use",
///     }
/// }
/// ```
macro_rules! declare_rule {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            id: $id:literal,
            family: $family:ident,
            severity: $severity:ident,
            summary: $summary:literal $(,)?
        }
    ) => {
        $(#[$attr])*
        $vis struct $name;

        impl $name {
            pub const ID: $crate::engine::RuleId = {
                static META: $crate::engine::RuleMeta = $crate::engine::RuleMeta {
                    id: $id,
                    family: $crate::engine::Family::$family,
                    severity: $crate::diagnostic::Severity::$severity,
                    doc: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $id, ".md")),
                    summary: $summary,
                };
                $crate::engine::RuleId::of(&META)
            };
        }

        impl $crate::engine::Declared for $name {
            fn id(&self) -> $crate::engine::RuleId {
                Self::ID
            }
        }
    };
}
pub(crate) use declare_rule;

pub trait Rule: Declared + Sync {
    fn check_statement(&self, _ctx: &StatementContext, _out: &mut Vec<Finding>) {}

    fn check_migration(&self, _ctx: &MigrationContext, _out: &mut Vec<Finding>) {}

    /// Called after a migration's last statement, with the catalog as the migration left it
    /// (for checks that a later statement of the same migration may satisfy).
    fn after_migration(
        &self,
        _ctx: &MigrationContext,
        _catalog: &Catalog,
        _out: &mut Vec<Finding>,
    ) {
    }

    fn check_set(&self, _ctx: &SetContext, _out: &mut Vec<Finding>) {}

    /// Called once per migration set with what applying it to a real PostgreSQL showed.
    fn check_trace(&self, _ctx: &TraceContext, _out: &mut Vec<Finding>) {}

    /// Called once, after every set is linted, with the tables each set uses (recorded only
    /// when no owners' table patterns are configured).
    fn check_workspace(&self, _ctx: &WorkspaceContext, _out: &mut Vec<Finding>) {}
}
