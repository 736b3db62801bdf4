//! How the safe alternatives of the locking rules are run under each migration tool, so every
//! help text says it the same, true way.
//!
//! drizzle-kit migrate applies all pending migrations in ONE transaction and has no
//! non-transactional mode. `alembic upgrade` runs all revisions in one transaction unless
//! `transaction_per_migration=True`; `op.get_context().autocommit_block()` commits, runs its body
//! outside a transaction, and begins a new one. Plain files run as the configuration says.

use crate::source::SourceKind;

/// The steps a help text asks for that depend on how the migration tool runs transactions.
#[derive(Debug, Default, Clone, Copy)]
pub struct Steps<'a> {
    /// Fill existing rows in batches that each commit.
    pub backfill: bool,
    /// Run a `VALIDATE CONSTRAINT` in a later transaction than the `NOT VALID` ADD.
    pub validate_later: bool,
    /// Run `CREATE INDEX CONCURRENTLY`, which cannot run in a transaction block.
    pub concurrently: bool,
    /// Add a constraint `NOT VALID`; the Alembic operation that adds it
    /// (`create_foreign_key`, `create_check_constraint`).
    pub not_valid: Option<&'a str>,
}

/// A closing sentence saying how to do `steps` with this tool: starts with a space, or is empty
/// when there is nothing tool-specific to say.
pub fn tool_note(kind: SourceKind, steps: Steps) -> String {
    let mut parts: Vec<String> = Vec::new();
    match kind {
        SourceKind::Drizzle => {
            if steps.not_valid.is_some() {
                parts.push(
                    "drizzle-kit never emits `NOT VALID`: add it to the generated SQL".into(),
                );
            }
            let mut outside = Vec::new();
            if steps.backfill {
                outside.push("backfill from a script outside it".to_owned());
            }
            if steps.validate_later {
                outside.push(
                    "ship the VALIDATE in a later migration (`drizzle-kit generate --custom`) \
                     deployed after this one is applied"
                        .to_owned(),
                );
            }
            if !outside.is_empty() {
                parts.push(format!(
                    "drizzle-kit migrate runs all pending migrations in one transaction: {}",
                    outside.join(", and ")
                ));
            }
            if steps.concurrently {
                parts.push(
                    "drizzle-kit migrate wraps every migration in a transaction and has no \
                     non-transactional mode: run `CREATE INDEX CONCURRENTLY` by hand or from the \
                     deploy script before this migration"
                        .into(),
                );
            }
        }
        SourceKind::Alembic => {
            let mut alembic = Vec::new();
            if let Some(op) = steps.not_valid {
                alembic.push(format!(
                    "`op.{op}(..., postgresql_not_valid=True)` adds it NOT VALID"
                ));
            }
            if steps.backfill {
                alembic.push(
                    "run the batches inside `with op.get_context().autocommit_block():` (or from \
                     a script)"
                        .to_owned(),
                );
            }
            if steps.validate_later {
                alembic.push(
                    "give the VALIDATE its own transaction with a later revision and \
                     `transaction_per_migration=True` in env.py, or inside `with \
                     op.get_context().autocommit_block():` (by default `alembic upgrade` runs all \
                     revisions in one transaction)"
                        .to_owned(),
                );
            }
            if steps.concurrently {
                alembic.push(
                    "build the index inside `with op.get_context().autocommit_block():` with \
                     `op.create_index(..., unique=True, postgresql_concurrently=True)`"
                        .to_owned(),
                );
            }
            if !alembic.is_empty() {
                parts.push(format!("In Alembic, {}", alembic.join("; ")));
            }
        }
        SourceKind::Plain => {}
    }
    parts.into_iter().map(|part| format!(" {part}.")).collect()
}
