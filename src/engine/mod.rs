//! Engine stage: what a rule is and what it sees, apart from the rules themselves.
//!
//! A rule is declared once with [`declare_rule!`] (id, family, default severity, summary, doc
//! page) and implements one or more hooks of [`Rule`]: per statement (with the catalog as it
//! stood before the statement), per migration (before its statements, or after them with the
//! catalog it left), or per migration set. Shadow rules judge instead what applying the set to a
//! real PostgreSQL showed (`--shadow`, a [`crate::trace::SetTrace`]). A rule returns
//! [`crate::diagnostic::Finding`]s; the linter attaches the rule id, the configured severity and
//! the migration. The [`SetDriver`] runs the hooks of the rules that are on over one set, and
//! [`check_workspace`] the one hook that sees every set. [`suppress`] reads the suppression
//! comments that take findings back.

mod context;
mod driver;
mod rule;
mod session;
pub mod suppress;
mod transaction;
mod workspace;

pub use context::{MigrationContext, SetContext, StatementContext, TraceContext};
pub use driver::{ActiveRule, History, MigrationResults, SetDriver, check_workspace};
pub(crate) use rule::declare_rule;
pub use rule::{Declared, Family, Rule, RuleId, RuleMeta};
pub use session::{
    SessionSoFar, Timeout, long_lock_on_existing_table, strong_lock_on_existing_table,
};
pub use transaction::{TransactionSoFar, is_looked_back_at};
pub use workspace::{TableUse, WorkspaceContext};
