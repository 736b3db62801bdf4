//! Catalog stage: the schema as the migrations so far have built it.
//!
//! Statements are replayed in order; rules see the catalog as it stood before each statement.
//! Names are compared as PostgreSQL stores them (the parser has already folded unquoted names).

mod apply;
pub mod expr;
mod locks;
mod targets;
pub mod types;

use std::collections::{BTreeMap, BTreeSet};

pub use apply::range_var;
pub use locks::{LockMode, TableLock, table_locks, vacuum_full};
pub use targets::{Action, Target, targets};

pub const DEFAULT_SCHEMA: &str = "public";
pub const ALEMBIC_VERSION_TABLE: &str = "alembic_version";
pub const DRIZZLE_MIGRATIONS_TABLE: &str = "__drizzle_migrations";

/// A schema-qualified name; the schema defaults to `public`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: Option<&str>, name: &str) -> Self {
        QualifiedName {
            schema: schema.unwrap_or(DEFAULT_SCHEMA).to_owned(),
            name: name.to_owned(),
        }
    }

    /// From the parts of a dotted name (`["s", "t"]` or `["t"]`); a database prefix is ignored.
    pub fn from_parts(parts: &[&str]) -> Option<Self> {
        match parts {
            [name] => Some(QualifiedName::new(None, name)),
            [.., schema, name] => Some(QualifiedName::new(Some(schema), name)),
            [] => None,
        }
    }

    /// The name as SQL spells it, quoted where needed; the `public` schema is left out.
    pub fn to_sql(&self) -> String {
        let name = crate::parse::quote_ident(&self.name);
        if self.schema == DEFAULT_SCHEMA {
            name.into_owned()
        } else {
            format!("{}.{name}", crate::parse::quote_ident(&self.schema))
        }
    }
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.schema == DEFAULT_SCHEMA {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{}.{}", self.schema, self.name)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    Table,
    View,
    MaterializedView,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// Canonical type spelling (see [`types::type_name`]).
    pub type_name: String,
    pub not_null: bool,
    pub has_default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey {
        references: QualifiedName,
        referenced_columns: Vec<String>,
    },
    Check,
    Exclusion,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub name: Option<String>,
    pub kind: ConstraintKind,
    pub columns: Vec<String>,
    /// False for `NOT VALID` constraints not yet validated.
    pub validated: bool,
    /// For a CHECK: the columns its expression proves NOT NULL (`CHECK (col IS NOT NULL)`, or
    /// such tests joined with AND). See [`Table::proves_not_null`].
    pub not_null_columns: Vec<String>,
}

impl Constraint {
    /// The constraint's name, or the one PostgreSQL gives an unnamed constraint on `table`
    /// (`t_pkey`, `t_a_b_key`, `t_a_fkey`, `t_a_check`, `t_a_excl`).
    pub fn name_on(&self, table: &QualifiedName) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        let suffix = match self.kind {
            ConstraintKind::PrimaryKey => return format!("{}_pkey", table.name),
            ConstraintKind::Unique => "key",
            ConstraintKind::ForeignKey { .. } => "fkey",
            ConstraintKind::Check => "check",
            ConstraintKind::Exclusion => "excl",
        };
        let mut parts = vec![table.name.as_str()];
        parts.extend(self.columns.iter().map(String::as_str));
        parts.push(suffix);
        parts.join("_")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: QualifiedName,
    pub kind: RelationKind,
    pub columns: Vec<Column>,
    pub constraints: Vec<Constraint>,
    /// Index in its migration set of the migration that created it.
    pub created_in: usize,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    /// Whether a validated CHECK constraint proves `column` NOT NULL, which lets PostgreSQL 12+
    /// skip the table scan of `ALTER COLUMN ... SET NOT NULL`.
    pub fn proves_not_null(&self, column: &str) -> bool {
        self.constraints.iter().any(|constraint| {
            constraint.validated && constraint.not_null_columns.iter().any(|c| c == column)
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: QualifiedName,
    pub table: QualifiedName,
    /// Key columns in order; an expression key is `None`.
    pub columns: Vec<Option<String>>,
    pub unique: bool,
    pub partial: bool,
    pub method: String,
    pub created_in: usize,
}

/// The schema after the statements replayed so far.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub schemas: BTreeSet<String>,
    pub tables: BTreeMap<QualifiedName, Table>,
    pub indexes: BTreeMap<QualifiedName, Index>,
}

impl Catalog {
    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.get(name)
    }

    pub fn index(&self, name: &QualifiedName) -> Option<&Index> {
        self.indexes.get(name)
    }

    /// Indexes on a table, in name order.
    pub fn indexes_on<'a>(
        &'a self,
        table: &'a QualifiedName,
    ) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes
            .values()
            .filter(move |index| &index.table == table)
    }

    /// Whether a table existed before migration `migration` of the set (or is unknown to the
    /// catalog, which means something outside these migrations created it).
    pub fn existed_before(&self, table: &QualifiedName, migration: usize) -> bool {
        self.tables
            .get(table)
            .is_none_or(|table| table.created_in < migration)
    }
}

/// Whether a table is one of the migration tools' bookkeeping tables.
pub fn is_tracking_table(table: &QualifiedName) -> bool {
    table.name == ALEMBIC_VERSION_TABLE || table.name == DRIZZLE_MIGRATIONS_TABLE
}
