//! What a rule sees: of a migration, of a statement, of a set, and of what `--shadow` observed.

use std::cell::OnceCell;
use std::ops::Range;

use pg_query::NodeEnum;
use pg_query::protobuf::TypeName;

use super::session::{NO_SESSION, SessionSoFar};
use super::transaction::{NO_TRANSACTION, TransactionSoFar};
use crate::applied::AppliedMigration;
use crate::catalog::{
    Catalog, Column, Origin, QualifiedName, TableLock, Target, WrittenColumn, WrittenConstraint,
    written_columns, written_constraints,
};
use crate::config::Config;
use crate::diagnostic::{Finding, Suggestion};
use crate::parse::{ParsedMigration, Statement, locate};
use crate::source::history::{Baseline, Status};
use crate::source::{Migration, MigrationSet, SourceFile};
use crate::trace::SetTrace;

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
            locks: &[],
            transaction: &NO_TRANSACTION,
            session: &NO_SESSION,
            written: Written::default(),
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
    /// The table locks it takes (computed once for all rules).
    pub locks: &'a [TableLock],
    /// What ran before it in its transaction.
    pub transaction: &'a TransactionSoFar,
    /// What its session has set (timeouts) and done before it.
    pub session: &'a SessionSoFar,
    /// The columns and constraints the statement writes, worked out on first use.
    pub(super) written: Written<'a>,
}

/// What a statement writes, worked out once for all the rules that ask.
#[derive(Default)]
pub(super) struct Written<'a> {
    columns: OnceCell<Vec<WrittenColumn<'a>>>,
    constraints: OnceCell<Vec<WrittenConstraint>>,
}

impl<'a> StatementContext<'a> {
    /// [`written_columns`] of the statement.
    pub fn written_columns(&self) -> &[WrittenColumn<'a>] {
        self.written
            .columns
            .get_or_init(|| written_columns(&self.statement.node))
    }

    /// [`written_constraints`] of the statement, as recorded when its migration runs.
    pub fn written_constraints(&self) -> &[WrittenConstraint] {
        self.written
            .constraints
            .get_or_init(|| written_constraints(&self.statement.node, self.migration.index))
    }

    /// The span of the name at a node location (`"public"."users"`). Where the parser kept no
    /// location (`DROP TABLE`, `COMMENT ON`), the first mention of `name` in the statement.
    pub fn name_span(&self, location: Option<i32>, name: &str) -> Range<usize> {
        locate::name_span(&self.migration.file.text, self.statement, location, name)
    }

    /// The span of the first mention of `name` at or after file offset `after` in the statement
    /// (a column or constraint name after the table name), else as [`Self::name_span`] finds it.
    pub fn name_span_after(&self, after: usize, name: &str) -> Range<usize> {
        locate::name_span_after(&self.migration.file.text, self.statement, after, name)
    }

    /// The span of a type name as written (`varchar(100)`, `timestamp(3) with time zone`).
    pub fn type_span(&self, type_name: &TypeName) -> Range<usize> {
        locate::type_span(&self.migration.file.text, self.statement, type_name)
    }

    /// Whether `table` existed before this migration: created by an earlier migration of the set,
    /// or unknown to the catalog (made outside these migrations). Tables created earlier in the
    /// same migration are new, so locking them blocks nobody.
    pub fn is_existing_table(&self, table: &QualifiedName) -> bool {
        self.catalog.existed_before(table, self.migration.index)
    }

    /// `column` of `table`, when this statement's migration added it: it holds no data yet, and
    /// no running code knows it.
    pub fn column_added_here(&self, table: &QualifiedName, column: &str) -> Option<&'a Column> {
        self.catalog
            .table(table)?
            .column(column)
            .filter(|known| known.added_in == self.migration.index)
    }

    /// The statements of the migration before this one, in order.
    pub fn earlier_in_migration(&self) -> &'a [Statement] {
        &self.migration.parsed.statements[..self.index]
    }

    /// The statements of the migration after this one, in order.
    pub fn later_in_migration(&self) -> &'a [Statement] {
        &self.migration.parsed.statements[self.index + 1..]
    }

    /// The statement's source text.
    pub fn statement_text(&self) -> &str {
        &self.migration.file.text[self.statement.span.clone()]
    }

    /// The span of a node `location` to the end of the statement (e.g. one ALTER TABLE action).
    pub fn span_from(&self, location: i32) -> Range<usize> {
        locate::span_from(self.statement, location)
    }

    /// The span of the first token of the statement that reads `keyword` (any case), e.g.
    /// `CONCURRENTLY`; strings, comments and quoted names never match.
    pub fn keyword_span(&self, keyword: &str) -> Option<Range<usize>> {
        locate::keyword_span(&self.migration.file.text, self.statement, keyword)
    }

    /// The span of the statement's first token (`VACUUM`, `REINDEX`), for findings about the
    /// statement as a whole.
    pub fn first_token_span(&self) -> Range<usize> {
        locate::first_token_span(&self.migration.file.text, self.statement)
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
        locate::constraint_span(&self.migration.file.text, self.statement, location, name)
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

    /// `suggestion` as a text edit of this statement, for a suggestion that can run where the
    /// statement runs (in its transaction, if it has one), when it replaces all the statement
    /// does: an `ALTER TABLE` of several actions keeps its other actions, so it is not replaced.
    pub fn in_place(&self, suggestion: Suggestion) -> Suggestion {
        let sole_action = match &self.statement.node {
            NodeEnum::AlterTableStmt(stmt) => stmt.cmds.len() == 1,
            _ => true,
        };
        if sole_action && !self.statement.in_do_block {
            suggestion.replacing(self.statement.span.clone())
        } else {
            suggestion
        }
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
        locate::first_token_span(
            &self.file_of(migration).text,
            self.statement(migration, statement),
        )
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
        let inner = statements[statement + 1..]
            .iter()
            .take_while(|inner| inner.in_do_block);
        locate::mention_span(
            &self.file_of(migration).text,
            std::iter::once(&statements[statement]).chain(inner),
            name,
        )
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

    /// What a failure of migration `failed` left unchecked: the later migrations of the set,
    /// which were not applied.
    pub fn not_applied_after(&self, failed: usize) -> Option<String> {
        let later = self.migration_names(failed + 1);
        (!later.is_empty()).then(|| {
            format!(
                "Later migrations of the set were not applied or checked: {}.",
                later.join(", ")
            )
        })
    }

    /// Names of the set's migrations from `from` on, quoted for a message.
    pub fn migration_names(&self, from: usize) -> Vec<String> {
        self.set.migrations[from.min(self.set.migrations.len())..]
            .iter()
            .map(|migration| format!("`{}`", migration.name))
            .collect()
    }
}
