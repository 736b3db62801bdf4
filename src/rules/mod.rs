//! Rules stage: each rule is one file in the folder of its family (`rules/<family>/<rule>.rs`),
//! declared with [`declare_rule!`]; [`REGISTRY`] lists them all, and `support/` holds what
//! several rules share.
//!
//! A rule implements one or more hooks of [`Rule`]: per statement (with the catalog as it stood
//! before the statement), per migration (before its statements, or after them with the catalog
//! it left), or per migration set. Shadow rules judge instead what applying the set to a real
//! PostgreSQL showed (`--shadow`, a [`SetTrace`]). A rule returns [`Finding`]s; the
//! linter attaches the rule id, the configured severity and the migration.

mod destructive;
mod hygiene;
mod indexes;
mod locking;
pub mod migration;
mod ownership;
mod shadow;
mod support;

use std::ops::Range;

use pg_query::NodeEnum;
use pg_query::protobuf::TypeName;

use crate::applied::AppliedMigration;
use crate::catalog::{Catalog, Origin, QualifiedName, Target};
use crate::config::Config;
use crate::diagnostic::{Finding, Severity};
use crate::parse::{self, ParsedMigration, Statement, text};
use crate::source::history::{Baseline, Status};
use crate::source::{Migration, MigrationSet, SourceFile};
use crate::trace::SetTrace;

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
            pub const ID: $crate::rules::RuleId = {
                static META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                    id: $id,
                    family: $crate::rules::Family::$family,
                    severity: $crate::diagnostic::Severity::$severity,
                    doc: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $id, ".md")),
                    summary: $summary,
                };
                $crate::rules::RuleId::of(&META)
            };
        }

        impl $crate::rules::Declared for $name {
            fn id(&self) -> $crate::rules::RuleId {
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
}

/// Every rule, in the order `chronos-lint rules` lists them.
pub static REGISTRY: &[&dyn Rule] = &[
    &ownership::ownership_violation::OwnershipViolation,
    &ownership::unowned_table::UnownedTable,
    &ownership::tracking_table_touched::TrackingTableTouched,
    &migration::syntax_error::SyntaxErrorRule,
    &migration::journal_mismatch::JournalMismatch,
    &migration::alembic_revision_gap::AlembicRevisionGap,
    &migration::migration_modified::MigrationModified,
    &migration::unused_suppression::UnusedSuppression,
    &destructive::drop_table::DropTable,
    &destructive::drop_column::DropColumn,
    &destructive::drop_schema::DropSchema,
    &destructive::truncate_table::TruncateTable,
    &destructive::rename_table::RenameTable,
    &destructive::rename_column::RenameColumn,
    &destructive::drop_constraint::DropConstraint,
    &destructive::unbounded_delete_or_update::UnboundedDeleteOrUpdate,
    &destructive::narrowing_type_change::NarrowingTypeChange,
    &locking::column_type_rewrite::ColumnTypeRewrite,
    &locking::add_column_volatile_default::AddColumnVolatileDefault,
    &locking::add_column_required::AddColumnRequired,
    &locking::set_not_null::SetNotNull,
    &locking::foreign_key_not_valid::ForeignKeyNotValid,
    &locking::check_not_valid::CheckNotValid,
    &locking::unique_constraint_without_index::UniqueConstraintWithoutIndex,
    &locking::index_not_concurrent::IndexNotConcurrent,
    &locking::drop_index_not_concurrent::DropIndexNotConcurrent,
    &locking::reindex_not_concurrent::ReindexNotConcurrent,
    &locking::concurrent_in_transaction::ConcurrentInTransaction,
    &locking::enum_value_in_transaction::EnumValueInTransaction,
    &locking::table_rewrite_maintenance::TableRewriteMaintenance,
    &locking::refresh_matview_not_concurrent::RefreshMatviewNotConcurrent,
    &locking::lock_timeout_missing::LockTimeoutMissing,
    &indexes::fk_missing_index::FkMissingIndex,
    &indexes::duplicate_index::DuplicateIndex,
    &indexes::missing_primary_key::MissingPrimaryKey,
    &ownership::directus_requires_primary_key::DirectusRequiresPrimaryKey,
    &indexes::expected_index::ExpectedIndex,
    &ownership::cross_owner_foreign_key::CrossOwnerForeignKey,
    &hygiene::prefer_timestamptz::PreferTimestamptz,
    &hygiene::prefer_jsonb::PreferJsonb,
    &hygiene::prefer_identity::PreferIdentity,
    &hygiene::ban_char::BanChar,
    &hygiene::extension_not_allowed::ExtensionNotAllowed,
    &shadow::shadow_apply_failed::ShadowApplyFailed,
    &shadow::shadow_lock::ShadowLock,
    &shadow::shadow_rewrite::ShadowRewrite,
    &shadow::shadow_ownership::ShadowOwnership,
    &shadow::shadow_server_change::ShadowServerChange,
    &shadow::snapshot_drift::SnapshotDrift,
    &shadow::extension_unavailable::ExtensionUnavailable,
];

/// The rule a user names (configuration, suppressions, `explain`).
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    REGISTRY
        .iter()
        .copied()
        .find(|rule| rule.id().as_str() == id)
}

/// The link printed with each diagnostic.
pub fn doc_url(id: RuleId) -> String {
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
    /// The parsed migrations before this one in the set (`set.migrations[..index]`), for rules
    /// that follow a transaction or a session across migrations.
    pub earlier: &'a [ParsedMigration],
}

impl<'a> MigrationContext<'a> {
    /// A statement of this migration seen with `catalog`, for hooks that judge the catalog the
    /// migration left and point at the statement responsible (no targets are computed).
    pub fn statement_context(
        &'a self,
        statement: &'a Statement,
        catalog: &'a Catalog,
    ) -> StatementContext<'a> {
        let index = self
            .parsed
            .statements
            .iter()
            .position(|s| std::ptr::eq(s, statement))
            .unwrap_or(0);
        self.statement_at(index, catalog)
    }

    /// Statement `index` of this migration seen with `catalog`, as [`Self::statement_context`].
    pub fn statement_at(&'a self, index: usize, catalog: &'a Catalog) -> StatementContext<'a> {
        StatementContext {
            migration: self,
            statement: &self.parsed.statements[index],
            index,
            catalog,
            targets: &[],
            transaction: &NO_TRANSACTION,
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
    /// Position of the statement in `migration.parsed.statements`.
    pub index: usize,
    /// The schema before this statement ran.
    pub catalog: &'a Catalog,
    /// Relations this statement touches (computed once for all rules).
    pub targets: &'a [Target],
    /// What ran before it in its transaction.
    pub transaction: &'a TransactionSoFar,
}

/// What a statement's transaction ran before it, kept by the set driver as it goes (so asking
/// costs nothing, however long the transaction): the statements that created or changed types.
///
/// A statement outside a transaction block is a transaction of its own (with the statements
/// of its `DO` block). drizzle-kit runs all pending migrations in one transaction, so a
/// transaction goes on into the next drizzle migration; an Alembic offline file into the next
/// revision of the same file until a `COMMIT`. Plain files are applied one by one.
#[derive(Debug, Default)]
pub struct TransactionSoFar {
    /// The kind of run the last statement belonged to, and its migration.
    last: Option<(Run, usize)>,
    /// Positions (migration, statement) of `CREATE TYPE ... AS ENUM` and `ALTER TYPE` statements
    /// earlier in the run.
    type_changes: Vec<(usize, usize)>,
}

/// Statements that share a transaction: those in a transaction block, or those of a `DO` block
/// run on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Transaction,
    DoBlock,
}

/// Nothing: for statements seen outside the driver's walk.
static NO_TRANSACTION: TransactionSoFar = TransactionSoFar {
    last: None,
    type_changes: Vec::new(),
};

impl TransactionSoFar {
    /// Moves on to `statement` of migration `index` of `set`: afterwards `self` holds what its
    /// transaction ran before it. [`TransactionSoFar::record`] adds it once it is judged.
    pub fn advance(&mut self, set: &MigrationSet, index: usize, statement: &Statement) {
        let run = if statement.in_transaction {
            Some(Run::Transaction)
        } else if statement.in_do_block {
            Some(Run::DoBlock)
        } else {
            None
        };
        let goes_on = match (self.last, run) {
            (Some((last_run, last_index)), Some(run)) if last_run == run => {
                last_index == index
                    || (run == Run::Transaction
                        && set.migrations[index]
                            .may_share_transaction_with(&set.migrations[last_index]))
            }
            _ => false,
        };
        if !goes_on {
            self.type_changes.clear();
        }
        self.last = run.map(|run| (run, index));
    }

    /// Adds `statement` (statement `position` of migration `index`) to its transaction.
    pub fn record(&mut self, index: usize, position: usize, statement: &Statement) {
        if self.last.is_some()
            && matches!(
                statement.node,
                NodeEnum::CreateEnumStmt(_) | NodeEnum::AlterEnumStmt(_)
            )
        {
            self.type_changes.push((index, position));
        }
    }
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

    /// The span of the first token of the statement that reads `keyword` (any case), e.g.
    /// `CONCURRENTLY`; strings, comments and quoted names never match.
    pub fn keyword_span(&self, keyword: &str) -> Option<Range<usize>> {
        let start = self.statement.span.start;
        parse::lex(self.statement_text())
            .into_iter()
            .find(|lexeme| lexeme.text.eq_ignore_ascii_case(keyword))
            .map(|lexeme| start + lexeme.span.start..start + lexeme.span.end)
    }

    /// The span of the statement's first token (`VACUUM`, `REINDEX`), for findings about the
    /// statement as a whole.
    pub fn first_token_span(&self) -> Range<usize> {
        let start = self.statement.span.start;
        let end = start + parse::token_end(self.statement_text(), 0);
        start..end.min(self.statement.span.end)
    }

    /// The statements that created or changed types (`CREATE TYPE`, `ALTER TYPE`) earlier in
    /// this statement's transaction, nearest first, with the index of their migration in the
    /// set: what PostgreSQL's rules for new enum values need. See [`TransactionSoFar`].
    pub fn type_changes_earlier_in_transaction(
        &self,
    ) -> impl Iterator<Item = (usize, &Statement)> + '_ {
        self.transaction
            .type_changes
            .iter()
            .rev()
            .map(|&(migration, statement)| {
                let parsed = if migration == self.migration.index {
                    self.migration.parsed
                } else {
                    &self.migration.earlier[migration]
                };
                (migration, &parsed.statements[statement])
            })
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
        catalog.apply(&self.statement.node, self.origin());
        catalog
    }

    /// `catalog` (this statement's catalog, or part of it: [`Catalog::only`]) as the whole
    /// migration leaves it, replaying this statement and the later ones: for checks that a later
    /// statement of the same migration may satisfy or undo.
    pub fn replay_to_migration_end(&self, catalog: &Catalog) -> Catalog {
        let statements = &self.migration.parsed.statements;
        let mut catalog = catalog.clone();
        for (index, statement) in statements.iter().enumerate().skip(self.index) {
            // Statements about other tables cannot change the part replayed here.
            let relevant = index == self.index
                || crate::catalog::targets(&catalog, &statement.node)
                    .iter()
                    .any(|target| catalog.table(&target.table).is_some());
            if relevant {
                let origin = Origin {
                    migration: self.migration.index,
                    statement: index,
                };
                catalog.apply(&statement.node, origin);
            }
        }
        catalog
    }

    pub fn finding(&self, span: Range<usize>, message: impl Into<String>) -> Finding {
        Finding::new(self.migration.migration.file, span, message)
    }

    /// Where this statement sits in the set.
    pub fn origin(&self) -> Origin {
        Origin {
            migration: self.migration.index,
            statement: self.index,
        }
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

/// What a shadow rule sees of one migration set: the set, its parsed statements and what
/// applying it to a real PostgreSQL showed.
pub struct TraceContext<'a> {
    pub config: &'a Config,
    pub set: &'a MigrationSet,
    pub files: &'a [SourceFile],
    /// Parallel to `set.migrations`.
    pub parsed: &'a [ParsedMigration],
    pub trace: &'a SetTrace,
    /// `PostgreSQL 15.18`: the server the migrations were applied to.
    pub server: &'a str,
    /// The migrations ran as a role confined to the shadow database (`--shadow-url`).
    pub confined: bool,
}

impl TraceContext<'_> {
    pub fn statement(&self, migration: usize, statement: usize) -> &Statement {
        &self.parsed[migration].statements[statement]
    }

    pub fn file_of(&self, migration: usize) -> &SourceFile {
        &self.files[self.set.migrations[migration].file]
    }

    /// The span of the statement's first token (`ALTER`, `DO`).
    pub fn first_token_span(&self, migration: usize, statement: usize) -> Range<usize> {
        let span = self.statement(migration, statement).span.clone();
        let text = &self.file_of(migration).text[span.clone()];
        span.start..span.start + parse::token_end(text, 0).min(text.len())
    }

    /// Where a statement names `name` as an identifier (in a `DO` block: in the statements
    /// extracted from its body); `None` when it never does (dynamic SQL, a function, a
    /// trigger), so that the static rules could not see it.
    pub fn mention_span(
        &self,
        migration: usize,
        statement: usize,
        name: &str,
    ) -> Option<Range<usize>> {
        let statements = &self.parsed[migration].statements;
        let text = &self.file_of(migration).text;
        let inner = statements[statement + 1..]
            .iter()
            .take_while(|inner| inner.in_do_block);
        std::iter::once(&statements[statement])
            .chain(inner)
            .find_map(|candidate| {
                let sql = &text[candidate.span.clone()];
                parse::lex(sql)
                    .into_iter()
                    .find(|lexeme| lexeme.name().as_deref() == Some(name))
                    .map(|lexeme| {
                        candidate.span.start + lexeme.span.start
                            ..candidate.span.start + lexeme.span.end
                    })
            })
    }

    /// A finding about `migration` of the set.
    pub fn finding(
        &self,
        migration: usize,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Finding {
        let migration = &self.set.migrations[migration];
        Finding::new(migration.file, span, message).about(&migration.name)
    }

    /// Names of the set's migrations from `from` on, quoted for a message.
    pub fn migration_names(&self, from: usize) -> Vec<String> {
        self.set.migrations[from.min(self.set.migrations.len())..]
            .iter()
            .map(|migration| format!("`{}`", migration.name))
            .collect()
    }
}

/// Linting small migration sets in unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::config::Config;
    use crate::diagnostic::Diagnostic;
    use crate::rules::RuleId;

    /// Writes `files` (path, text) into a temporary directory, lints it as `chronos-lint` would,
    /// and returns the diagnostics of rule `id`.
    pub fn lint(files: &[(&str, &str)], config: &Config, id: RuleId) -> Vec<Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let exclude = config.exclude_matcher(&[]).unwrap();
        let workspace =
            crate::source::discover(&[dir.path().to_path_buf()], config, &exclude, None);
        assert!(workspace.errors.is_empty(), "{:?}", workspace.errors);
        crate::lint::lint(&workspace, config, crate::lint::History::default(), None)
            .diagnostics
            .into_iter()
            .filter(|diagnostic| diagnostic.rule == id)
            .collect()
    }

    /// The defaults with another PostgreSQL version.
    pub fn pg(version: u32) -> Config {
        Config {
            pg_version: version,
            ..Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut ids: Vec<_> = REGISTRY.iter().map(|rule| rule.id().as_str()).collect();
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
