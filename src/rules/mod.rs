//! Rules stage: each rule is one file here; [`REGISTRY`] lists them all.
//!
//! A rule implements one or more hooks of [`Rule`]: per statement (with the catalog as it stood
//! before the statement), per migration (before its statements, or after them with the catalog
//! it left), or per migration set. It returns [`Finding`]s; the
//! linter attaches the rule id, the configured severity and the migration.

mod add_column_required;
mod add_column_volatile_default;
mod advice;
mod alembic_revision_gap;
mod alter_table;
mod check_not_valid;
mod column_type_rewrite;
mod drop_column;
mod drop_constraint;
mod drop_schema;
mod drop_table;
mod foreign_key_not_valid;
mod journal_mismatch;
mod migration_modified;
mod narrowing_type_change;
mod ownership_violation;
mod rename_column;
mod rename_table;
mod set_not_null;
mod syntax_error;
mod tracking_table_touched;
mod truncate_table;
mod unbounded_delete_or_update;
mod unique_constraint_without_index;
mod unowned_table;
pub mod unused_suppression;

use std::ops::Range;

use crate::applied::AppliedMigration;
use pg_query::protobuf::TypeName;

use crate::catalog::{Catalog, QualifiedName, Target};
use crate::config::Config;
use crate::diagnostic::{Finding, Severity};
use crate::parse::{ParsedMigration, Statement, text};
use crate::source::history::{Baseline, Status};
use crate::source::{Migration, MigrationSet, SourceFile};

/// What a rule is, for listings, docs and configuration.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id; also the name of its doc page `rules/<id>.md`.
    pub id: &'static str,
    pub severity: Severity,
    /// The doc page `rules/<id>.md`, compiled in for `chronos-lint explain`.
    pub doc: &'static str,
    /// One line for `chronos-lint rules`.
    pub summary: &'static str,
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;

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
}

/// Every rule, in the order `chronos-lint rules` lists them.
pub static REGISTRY: &[&dyn Rule] = &[
    &ownership_violation::OwnershipViolation,
    &unowned_table::UnownedTable,
    &tracking_table_touched::TrackingTableTouched,
    &syntax_error::SyntaxErrorRule,
    &journal_mismatch::JournalMismatch,
    &alembic_revision_gap::AlembicRevisionGap,
    &migration_modified::MigrationModified,
    &unused_suppression::UnusedSuppression,
    &drop_table::DropTable,
    &drop_column::DropColumn,
    &drop_schema::DropSchema,
    &truncate_table::TruncateTable,
    &rename_table::RenameTable,
    &rename_column::RenameColumn,
    &drop_constraint::DropConstraint,
    &unbounded_delete_or_update::UnboundedDeleteOrUpdate,
    &narrowing_type_change::NarrowingTypeChange,
    &column_type_rewrite::ColumnTypeRewrite,
    &add_column_volatile_default::AddColumnVolatileDefault,
    &add_column_required::AddColumnRequired,
    &set_not_null::SetNotNull,
    &foreign_key_not_valid::ForeignKeyNotValid,
    &check_not_valid::CheckNotValid,
    &unique_constraint_without_index::UniqueConstraintWithoutIndex,
];

pub fn find(id: &str) -> Option<&'static dyn Rule> {
    REGISTRY.iter().copied().find(|rule| rule.meta().id == id)
}

/// The link printed with each diagnostic.
pub fn doc_url(id: &str) -> String {
    format!("https://github.com/chronos-lint/chronos-lint/blob/main/rules/{id}.md")
}

/// What a rule sees of one migration.
pub struct MigrationContext<'a> {
    pub config: &'a Config,
    pub set: &'a MigrationSet,
    pub migration: &'a Migration,
    /// Position of the migration in its set.
    pub index: usize,
    pub file: &'a SourceFile,
    pub parsed: &'a ParsedMigration,
    /// With `--changed-since`: the baseline and this migration's status against it.
    pub history: Option<(&'a Baseline, Option<Status>)>,
}

/// What a rule sees of one statement.
pub struct StatementContext<'a> {
    pub migration: &'a MigrationContext<'a>,
    pub statement: &'a Statement,
    /// The schema before this statement ran.
    pub catalog: &'a Catalog,
    /// Relations this statement touches (computed once for all rules).
    pub targets: &'a [Target],
}

impl StatementContext<'_> {
    /// The span of the name at a node location (`"public"."users"`). Where the parser kept no
    /// location (`DROP TABLE`, `COMMENT ON`), the first mention of `name` in the statement.
    pub fn name_span(&self, location: Option<i32>, name: &str) -> Range<usize> {
        let text = &self.migration.file.text;
        let start = match location.filter(|&l| l >= 0) {
            Some(location) => Some(self.statement.offset(location)),
            None => text::find_name(&text[self.statement.span.clone()], name)
                .map(|at| self.statement.span.start + at),
        };
        match start.filter(|&start| start < text.len()) {
            Some(start) => {
                start
                    ..start
                        + text::name_len(&text[start..])
                            .max(1)
                            .min(text.len() - start)
            }
            None => self.statement.span.clone(),
        }
    }

    /// The span of the first mention of `name` at or after file offset `after` in the statement
    /// (a column or constraint name after the table name), else as [`Self::name_span`] finds it.
    pub fn name_span_after(&self, after: usize, name: &str) -> Range<usize> {
        let text = &self.migration.file.text;
        let after = after.clamp(self.statement.span.start, self.statement.span.end);
        match text::find_name(&text[after..self.statement.span.end], name) {
            Some(at) => {
                let start = after + at;
                start..start + text::name_len(&text[start..]).max(1)
            }
            None => self.name_span(None, name),
        }
    }

    /// The span of a type name as written (`varchar(100)`, `timestamp(3) with time zone`).
    pub fn type_span(&self, type_name: &TypeName) -> Range<usize> {
        let text = &self.migration.file.text;
        let start = self
            .statement
            .offset(type_name.location)
            .clamp(self.statement.span.start, self.statement.span.end);
        let len = text::type_len(&text[start..self.statement.span.end]).max(1);
        start..(start + len).min(self.statement.span.end)
    }

    /// Whether `table` existed before this migration: created by an earlier migration of the set,
    /// or unknown to the catalog (made outside these migrations). Tables created earlier in the
    /// same migration are new, so locking them blocks nobody.
    pub fn is_existing_table(&self, table: &QualifiedName) -> bool {
        self.catalog.existed_before(table, self.migration.index)
    }

    /// The statement's source text.
    pub fn statement_text(&self) -> &str {
        &self.migration.file.text[self.statement.span.clone()]
    }

    /// The span of a node `location` to the end of the statement (e.g. one ALTER TABLE action).
    pub fn span_from(&self, location: i32) -> Range<usize> {
        let start = self
            .statement
            .offset(location)
            .clamp(self.statement.span.start, self.statement.span.end);
        start..self.statement.span.end
    }

    pub fn finding(&self, span: Range<usize>, message: impl Into<String>) -> Finding {
        Finding::new(self.migration.migration.file, span, message)
    }
}

/// What a rule sees of a whole set.
pub struct SetContext<'a> {
    pub config: &'a Config,
    pub set: &'a MigrationSet,
    pub files: &'a [SourceFile],
    /// With `--database-url`: the drizzle migrations the database has applied.
    pub applied: Option<&'a [AppliedMigration]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut ids: Vec<_> = REGISTRY.iter().map(|rule| rule.meta().id).collect();
        for id in &ids {
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id}"
            );
        }
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len());
    }
}
