//! What applying the migrations to a real PostgreSQL showed (`--shadow`), as plain data: the
//! shadow stage ([`crate::shadow`]) produces it, the shadow rules read it. It lives apart from
//! the shadow module so that the static pipeline and the rules never depend on that module.
//!
//! Migrations and statements are named by position: `migration` indexes
//! `MigrationSet::migrations`, `statement` indexes that migration's `ParsedMigration::statements`
//! (always a top-level statement: a `DO` block runs as one).

use std::ops::Range;

use crate::catalog::{LockMode, QualifiedName};

/// One `--shadow` run over a workspace.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// `PostgreSQL 15.18`, as the server reports itself.
    pub server: String,
    /// The migrations ran as a role confined to the shadow database (`--shadow-url`), which
    /// PostgreSQL lets change nothing outside it.
    pub confined: bool,
    /// Parallel to `Workspace::sets`.
    pub sets: Vec<SetTrace>,
}

/// One migration set applied in order.
#[derive(Debug, Clone, Default)]
pub struct SetTrace {
    /// Every migration that was started, in order.
    pub migrations: Vec<MigrationTrace>,
    /// The statement that failed; nothing after it in the set was applied.
    pub failure: Option<Failure>,
    /// `CREATE EXTENSION` statements skipped because the server lacks the extension.
    pub missing_extensions: Vec<MissingExtension>,
    /// The schema right after the set's last migration, read for drizzle folders that applied
    /// completely (for `snapshot-drift`).
    pub schema: Option<Schema>,
}

#[derive(Debug, Clone, Default)]
pub struct MigrationTrace {
    pub migration: usize,
    pub statements: Vec<StatementTrace>,
}

/// What one statement did to the database.
#[derive(Debug, Clone, Default)]
pub struct StatementTrace {
    pub statement: usize,
    /// Locks of ROW EXCLUSIVE or stronger that the statement took (not already held) on relations
    /// that existed before its migration began, read from `pg_locks` before commit; strongest
    /// mode per relation.
    pub locks: Vec<(Relation, LockMode)>,
    /// Tables that existed before the migration whose `pg_class.relfilenode` the statement
    /// changed: PostgreSQL wrote a new copy of them.
    pub rewritten: Vec<QualifiedName>,
    /// Relations the statement created (tables, views, indexes, ...).
    pub created: Vec<Relation>,
    /// Why the statement was not run, when it was not.
    pub skipped: Option<Skip>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// `CREATE EXTENSION` of an extension the server does not have.
    MissingExtension(String),
    /// A statement that changes the whole server (roles, databases, tablespaces, `ALTER
    /// SYSTEM`): not run on a server given with `--shadow-url`.
    ServerWide,
}

/// A relation (`pg_class` row) by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub name: QualifiedName,
    /// `pg_class.relkind`: `r` table, `p` partitioned table, `v` view, `m` materialized view,
    /// `f` foreign table, `i`/`I` index.
    pub kind: char,
    /// For an index: its table.
    pub table: Option<QualifiedName>,
}

impl Relation {
    /// The table the relation belongs to: an index's table, else itself.
    pub fn owner_table(&self) -> &QualifiedName {
        self.table.as_ref().unwrap_or(&self.name)
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            'r' | 'p' => "table",
            'v' => "view",
            'm' => "materialized view",
            'f' => "foreign table",
            'i' | 'I' => "index",
            'S' => "sequence",
            _ => "relation",
        }
    }
}

/// A statement PostgreSQL rejected.
#[derive(Debug, Clone)]
pub struct Failure {
    pub migration: usize,
    pub statement: usize,
    /// Where in the file: the token at PostgreSQL's error position when it gave one, else the
    /// object the message names, else the statement's first token.
    pub span: Range<usize>,
    pub message: String,
    pub sqlstate: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// An extension skipped earlier in the set that the failure most likely comes from (the
    /// error is about a missing type, function, relation or schema).
    pub missing_extension: Option<String>,
    /// Statements skipped on a server given with `--shadow-url` before the failure.
    pub after_server_wide_skip: bool,
}

#[derive(Debug, Clone)]
pub struct MissingExtension {
    pub migration: usize,
    pub statement: usize,
    pub name: String,
    /// The server has it, but only a superuser may create it, and the migrations ran as a role
    /// confined to the shadow database.
    pub needs_superuser: bool,
}

/// The user schema of the database (extension-owned objects left out).
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub tables: Vec<Table>,
    pub enums: Vec<Enum>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: QualifiedName,
    pub columns: Vec<Column>,
    /// Indexes that do not back a constraint.
    pub indexes: Vec<Index>,
    pub constraints: Vec<Constraint>,
}

#[derive(Debug, Clone, Default)]
pub struct Column {
    pub name: String,
    /// `format_type()` of the column's type (`character varying(255)`, `"Mood"`, `text[]`).
    pub type_name: String,
    /// For enum types (or arrays of them): the enum's name.
    pub enum_type: Option<QualifiedName>,
    pub not_null: bool,
    /// `pg_get_expr` of the default.
    pub default: Option<String>,
    /// `a` (GENERATED ALWAYS) or `d` (BY DEFAULT) for identity columns.
    pub identity: Option<char>,
    /// The expression of a stored generated column.
    pub generated: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub method: String,
    /// Key columns or expressions, as `pg_get_indexdef` prints each.
    pub keys: Vec<String>,
    pub predicate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey {
        references: QualifiedName,
        referenced_columns: Vec<String>,
        /// `pg_constraint.confupdtype` / `confdeltype`: `a` no action, `r` restrict, `c`
        /// cascade, `n` set null, `d` set default.
        on_update: char,
        on_delete: char,
    },
    Check,
    Other,
}

#[derive(Debug, Clone)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Enum {
    pub name: QualifiedName,
    pub values: Vec<String>,
}
