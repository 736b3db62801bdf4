//! Rules stage: each rule is one file here; [`REGISTRY`] lists them all.
//!
//! A rule implements one or more hooks of [`Rule`]: per statement (with the catalog as it stood
//! before the statement), per migration (before its statements, or after them with the catalog
//! it left), or per migration set. It returns [`Finding`]s; the
//! linter attaches the rule id, the configured severity and the migration.

mod alembic_revision_gap;
mod ban_char;
mod column_types;
mod cross_owner_foreign_key;
mod directus_requires_primary_key;
mod duplicate_index;
mod expected_index;
mod extension_not_allowed;
mod fk_missing_index;
mod index_help;
mod journal_mismatch;
mod missing_primary_key;
mod ownership_violation;
mod prefer_identity;
mod prefer_jsonb;
mod prefer_timestamptz;
mod syntax_error;
mod tracking_table_touched;
mod unowned_table;
pub mod unused_suppression;

use std::ops::Range;

use crate::catalog::{Catalog, QualifiedName, Target};
use crate::config::Config;
use crate::diagnostic::{Finding, Severity};
use crate::parse::{ParsedMigration, Statement, text};
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
    &unused_suppression::UnusedSuppression,
    &fk_missing_index::FkMissingIndex,
    &duplicate_index::DuplicateIndex,
    &missing_primary_key::MissingPrimaryKey,
    &directus_requires_primary_key::DirectusRequiresPrimaryKey,
    &expected_index::ExpectedIndex,
    &cross_owner_foreign_key::CrossOwnerForeignKey,
    &prefer_timestamptz::PreferTimestamptz,
    &prefer_jsonb::PreferJsonb,
    &prefer_identity::PreferIdentity,
    &ban_char::BanChar,
    &extension_not_allowed::ExtensionNotAllowed,
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
}

impl<'a> MigrationContext<'a> {
    /// A statement of this migration seen with `catalog`, for hooks that judge the catalog the
    /// migration left and point at the statement responsible (no targets are computed).
    pub fn statement_context(
        &'a self,
        statement: &'a Statement,
        catalog: &'a Catalog,
    ) -> StatementContext<'a> {
        StatementContext {
            migration: self,
            statement,
            catalog,
            targets: &[],
        }
    }

    /// The statements rules judge: all but migration-tool bookkeeping.
    pub fn statements(&self) -> impl Iterator<Item = &'a Statement> + 'a {
        self.parsed
            .statements
            .iter()
            .filter(|statement| !statement.bookkeeping)
    }
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

    /// The span of a constraint written at node `location`: its name after `CONSTRAINT` when it
    /// has one, else its keyword (`PRIMARY KEY`, `UNIQUE`, `FOREIGN KEY`, `REFERENCES`).
    pub fn constraint_span(&self, location: i32, name: Option<&str>) -> Range<usize> {
        let text = &self.migration.file.text;
        let start = self
            .statement
            .offset(location)
            .clamp(self.statement.span.start, self.statement.span.end);
        let rest = &text[start..self.statement.span.end];
        if let Some(name) = name
            && let Some(at) = text::find_name(rest, name)
        {
            let at = start + at;
            return at..at + text::name_len(&text[at..]).max(1);
        }
        let first = text::name_len(rest);
        let keyword = &rest[..first];
        let end =
            if keyword.eq_ignore_ascii_case("primary") || keyword.eq_ignore_ascii_case("foreign") {
                let next = text::skip_trivia(rest, first);
                next + text::name_len(&rest[next..])
            } else {
                first
            };
        start..start + end.max(1).min(rest.len())
    }

    /// `catalog` (this statement's catalog, or part of it: [`Catalog::only`]) as this statement
    /// leaves it.
    pub fn replay_statement(&self, catalog: &Catalog) -> Catalog {
        let mut catalog = catalog.clone();
        catalog.apply(&self.statement.node, self.migration.index);
        catalog
    }

    /// `catalog` (this statement's catalog, or part of it: [`Catalog::only`]) as the whole
    /// migration leaves it, replaying this statement and the later ones: for checks that a later
    /// statement of the same migration may satisfy or undo.
    pub fn replay_to_migration_end(&self, catalog: &Catalog) -> Catalog {
        let statements = &self.migration.parsed.statements;
        let position = statements
            .iter()
            .position(|statement| std::ptr::eq(statement, self.statement))
            .or_else(|| {
                statements
                    .iter()
                    .position(|statement| statement.span == self.statement.span)
            })
            .unwrap_or(statements.len());
        let mut catalog = catalog.clone();
        for statement in statements.get(position..).unwrap_or_default() {
            catalog.apply(&statement.node, self.migration.index);
        }
        catalog
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
