//! Migration rules: the migration files themselves (syntax, drizzle journals, Alembic revision
//! chains, edits to merged migrations, suppression comments).

pub(crate) mod alembic_revision_gap;
pub(crate) mod journal_mismatch;
pub(crate) mod migration_modified;
pub(crate) mod syntax_error;
pub(crate) mod transaction_control;
pub mod unused_suppression;
