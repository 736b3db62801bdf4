//! Catalog stage: the schema as the migrations so far have built it.
//!
//! Statements are replayed in order; rules see the catalog as it stood before each statement.
//! Names are compared as PostgreSQL stores them (the parser has already folded unquoted names).

mod apply;
mod indexes;
pub use indexes::Indexes;
pub mod expr;
mod locks;
mod targets;
pub mod types;
mod work;
mod written;

use std::collections::{BTreeMap, BTreeSet};

pub use apply::{dropped_functions, range_var};
pub use locks::{LockMode, TableLock, table_locks, vacuum_full};
pub use targets::{Action, Target, targets};
pub use work::{
    CHECK_SKIPS_SCAN_SINCE, FAST_DEFAULT_SINCE, RowWork, Work, changes_nothing,
    creates_what_is_there, row_work,
};
pub use written::{
    ColumnChange, WrittenColumn, WrittenConstraint, written_columns, written_constraints,
};

pub const DEFAULT_SCHEMA: &str = "public";
pub use crate::parse::ALEMBIC_VERSION_TABLE;
pub const DRIZZLE_MIGRATIONS_TABLE: &str = "__drizzle_migrations";

/// A schema-qualified name; the schema defaults to `public`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// A stored generated column (`GENERATED ALWAYS AS (...) STORED`).
    pub generated: bool,
    /// The functions its default or generation expression calls (see
    /// [`expr::called_functions`]): `DROP FUNCTION ... CASCADE` drops the default, or the
    /// generated column.
    pub calls: Vec<QualifiedName>,
    /// The migration (index in its set) that added the column, with its table or alone.
    pub added_in: usize,
}

impl Column {
    /// [`Column::added_in`] of a column that was there before the set (on a table made outside
    /// it), which the set's migrations changed.
    pub const FOUND: usize = usize::MAX;
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
    /// Index in its migration set of the migration that added it.
    pub created_in: usize,
    /// For a CHECK: the functions its expression calls, which `DROP FUNCTION ... CASCADE`
    /// drops it with.
    pub calls: Vec<QualifiedName>,
    /// For a CHECK: the columns its expression proves NOT NULL (`CHECK (col IS NOT NULL)`, or
    /// such tests joined with AND). See [`Table::proves_not_null`].
    pub not_null_columns: Vec<String>,
    /// For a CHECK: whether it tests nothing but that (`CHECK (a IS NOT NULL AND b IS NOT
    /// NULL)`), so that NOT NULL on those columns guarantees all it does.
    pub only_not_null: bool,
    /// For a PRIMARY KEY or UNIQUE: what defines its index besides the columns (`DEFERRABLE`,
    /// `INITIALLY DEFERRED`, `NULLS NOT DISTINCT`, `INCLUDE`), spelled so that equal ones
    /// compare equal.
    pub index_options: String,
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
    /// Made a TimescaleDB hypertable (`SELECT create_hypertable('t', ...)`).
    pub hypertable: bool,
    /// A partitioned table (`CREATE TABLE ... PARTITION BY`): it holds no rows itself, and
    /// PostgreSQL refuses some statements on it that it accepts on a plain table.
    pub partitioned: bool,
    /// The partitioned table this one is a partition of (`PARTITION OF`, `ATTACH PARTITION`).
    pub partition_of: Option<QualifiedName>,
}

impl Table {
    /// The constraint called `name`, unnamed ones by the name PostgreSQL gives them.
    pub fn constraint_named(&self, name: &str) -> Option<&Constraint> {
        self.constraints
            .iter()
            .find(|constraint| constraint.name_on(&self.name) == name)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    /// Whether a constraint of this name is on the table (an empty name never is).
    pub fn has_constraint(&self, name: &str) -> bool {
        !name.is_empty()
            && self
                .constraints
                .iter()
                .any(|constraint| constraint.name.as_deref() == Some(name))
    }

    /// Whether a validated CHECK constraint proves `column` NOT NULL, which lets PostgreSQL 12+
    /// skip the table scan of `ALTER COLUMN ... SET NOT NULL`.
    pub fn proves_not_null(&self, column: &str) -> bool {
        self.constraints.iter().any(|constraint| {
            constraint.validated && constraint.not_null_columns.iter().any(|c| c == column)
        })
    }

    /// Whether making `column` NOT NULL (`SET NOT NULL`, a primary key on an existing index)
    /// reads every row on `pg_version`: a column known to be nullable that no validated CHECK
    /// proves NOT NULL (PostgreSQL 12+ skips the scan then).
    pub fn not_null_needs_scan(&self, column: &str, pg_version: u32) -> bool {
        self.column(column).is_some_and(|known| !known.not_null)
            && !(pg_version >= CHECK_SKIPS_SCAN_SINCE && self.proves_not_null(column))
    }

    /// The primary key constraint, if the table has one.
    pub fn primary_key(&self) -> Option<&Constraint> {
        self.constraints
            .iter()
            .find(|constraint| constraint.kind == ConstraintKind::PrimaryKey)
    }
}

/// Where a statement sits: its migration's position in the set and its position in that
/// migration's statements.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub migration: usize,
    pub statement: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: QualifiedName,
    pub table: QualifiedName,
    /// Key columns in order; an expression key is `None`.
    pub columns: Vec<Option<String>>,
    pub unique: bool,
    /// The index of a PRIMARY KEY constraint.
    pub primary: bool,
    /// The index of a PRIMARY KEY or UNIQUE constraint (named after it).
    pub constraint: bool,
    pub partial: bool,
    /// The `WHERE` predicate of a partial index, deparsed (so equal predicates compare equal).
    pub predicate: Option<String>,
    /// For a partial index whose predicate is only `col IS NOT NULL` tests: those columns. A
    /// lookup by equality on all of them implies the predicate, so the planner uses the index
    /// for it (a foreign key's checks look up so).
    pub not_null_predicate: Option<Vec<String>>,
    /// Access method: `btree`, `hash`, `gin`, `gist`, `spgist`, `brin`, `hnsw`, `ivfflat`, ...
    pub method: String,
    /// Per key, its non-default operator class, collation, order and nulls order, spelled
    /// canonically (`text_pattern_ops`, `COLLATE C DESC`); empty for a plain key.
    pub key_options: Vec<String>,
    /// `INCLUDE` columns (stored, not keys).
    pub include: Vec<String>,
    /// The functions its expression keys and predicate call, which `DROP FUNCTION ... CASCADE`
    /// drops it with.
    pub calls: Vec<QualifiedName>,
    pub created_at: Origin,
}

impl Index {
    /// Whether every key is a plain column (no expression).
    pub fn is_plain(&self) -> bool {
        self.columns.iter().all(Option::is_some)
    }

    /// Whether this index's first keys are exactly `columns`, in any order (an equality lookup on
    /// them can use it).
    pub fn leads_with(&self, columns: &[String]) -> bool {
        !columns.is_empty()
            && self.columns.len() >= columns.len()
            && columns.iter().all(|column| {
                self.columns[..columns.len()]
                    .iter()
                    .any(|key| key.as_deref() == Some(column.as_str()))
            })
    }

    /// Whether `other` makes this index redundant: same table, method, predicate and key options,
    /// this index's keys equal to, or (btree only) a leading prefix of, `other`'s, its `INCLUDE`
    /// columns stored by `other` too, and, if this index is unique, `other` unique on the same keys.
    /// Indexes with expression keys are never compared.
    pub fn is_covered_by(&self, other: &Index) -> bool {
        let n = self.columns.len();
        self.table == other.table
            && self.name != other.name
            && self.method == other.method
            && self.predicate == other.predicate
            && self.partial == other.partial
            && (!self.partial || self.predicate.is_some())
            && n > 0
            && self.is_plain()
            && other.is_plain()
            && (n == other.columns.len() || (n < other.columns.len() && self.method == "btree"))
            && self.columns[..] == other.columns[..n]
            && self.key_options.get(..n) == other.key_options.get(..n)
            && self.include.iter().all(|column| {
                other.include.contains(column) || other.columns.contains(&Some(column.clone()))
            })
            && (!self.unique || (other.unique && n == other.columns.len()))
    }
}

/// The schema after the statements replayed so far.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub schemas: BTreeSet<String>,
    pub tables: BTreeMap<QualifiedName, Table>,
    pub indexes: Indexes,
    /// The columns the migrations added to tables they never created (made outside the set,
    /// e.g. by a migration that is not there), as those migrations left them: what the set
    /// itself says about such a table. The table's other columns are not known.
    pub outside: BTreeMap<QualifiedName, Vec<Column>>,
}

#[cfg(test)]
impl Catalog {
    /// For tests: the catalog `setup` leaves, and the tree of the first statement of `sql`.
    pub(crate) fn replayed_with(setup: &str, sql: &str) -> (Catalog, Option<pg_query::NodeEnum>) {
        let mut catalog = Catalog::default();
        for statement in pg_query::parse(setup, 0).unwrap().protobuf.stmts {
            catalog.apply(
                statement.stmt.unwrap().node.as_ref().unwrap(),
                Origin::default(),
            );
        }
        let tree = pg_query::parse(sql, 0).unwrap();
        let node = tree.protobuf.stmts[0].stmt.as_ref().unwrap().node.clone();
        (catalog, node)
    }
}

impl Catalog {
    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.get(name)
    }

    /// Whether `SET NOT NULL` of `column` on `table` reads every row on `pg_version`: unless
    /// the column is known to be NOT NULL already, or (PostgreSQL 12+) a validated CHECK proves
    /// it. A column nothing is known of is taken to need the scan.
    pub fn set_not_null_scans(&self, table: &QualifiedName, column: &str, pg_version: u32) -> bool {
        let proven = pg_version >= CHECK_SKIPS_SCAN_SINCE
            && self
                .table(table)
                .is_some_and(|known| known.proves_not_null(column));
        !proven
            && !self
                .column_of(table, column)
                .is_some_and(|known| known.not_null)
    }

    /// A column of a table the catalog knows, or one the migrations added to a table made
    /// outside them; `None` when nothing says what the column is.
    pub fn column_of(&self, table: &QualifiedName, column: &str) -> Option<&Column> {
        match self.tables.get(table) {
            Some(known) => known.column(column),
            None => self.outside.get(table)?.iter().find(|c| c.name == column),
        }
    }

    pub fn index(&self, name: &QualifiedName) -> Option<&Index> {
        self.indexes.get(name)
    }

    /// Indexes on a table, in name order.
    pub fn indexes_on<'a>(
        &'a self,
        table: &'a QualifiedName,
    ) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes.on_table(table)
    }

    /// The indexes of `table` that could cover `index` or be covered by it
    /// ([`Index::is_covered_by`]): those with the same first key column, in name order.
    pub fn indexes_like<'a>(&'a self, index: &Index) -> impl Iterator<Item = &'a Index> + use<'a> {
        let found = match index.columns.first() {
            Some(Some(lead)) => Some(self.indexes.leading_with(&index.table, lead)),
            _ => None,
        };
        found.into_iter().flatten()
    }

    /// A catalog holding only `tables` (and their indexes and schemas): replaying statements
    /// into it is cheap, and shows what they do to those tables.
    pub fn only(&self, tables: &[&QualifiedName]) -> Catalog {
        Catalog {
            schemas: self.schemas.clone(),
            tables: tables
                .iter()
                .filter_map(|&name| Some((name.clone(), self.tables.get(name)?.clone())))
                .collect(),
            indexes: {
                let mut indexes = Indexes::default();
                for table in tables {
                    for index in self.indexes.on_table(table) {
                        indexes.insert(index.clone());
                    }
                }
                indexes
            },
            outside: tables
                .iter()
                .filter_map(|&name| Some((name.clone(), self.outside.get(name)?.clone())))
                .collect(),
        }
    }

    /// Whether `table` is a partitioned table the catalog knows.
    pub fn is_partitioned(&self, table: &QualifiedName) -> bool {
        self.tables
            .get(table)
            .is_some_and(|table| table.partitioned)
    }

    /// The partitions of `parent`, in name order (direct ones: a partition may be partitioned
    /// in turn).
    pub fn partitions_of<'a>(
        &'a self,
        parent: &'a QualifiedName,
    ) -> impl Iterator<Item = &'a Table> + 'a {
        self.tables
            .values()
            .filter(move |table| table.partition_of.as_ref() == Some(parent))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays each string as one migration.
    fn replay(migrations: &[&str]) -> Catalog {
        let mut catalog = Catalog::default();
        for (index, sql) in migrations.iter().enumerate() {
            let statements = pg_query::parse(sql, 0).unwrap().protobuf.stmts;
            for (statement, raw) in statements.into_iter().enumerate() {
                let origin = Origin {
                    migration: index,
                    statement,
                };
                catalog.apply(&raw.stmt.unwrap().node.unwrap(), origin);
            }
        }
        catalog
    }

    fn name(name: &str) -> QualifiedName {
        QualifiedName::new(None, name)
    }

    #[test]
    fn type_changes_on_tables_made_outside_the_set_are_followed() {
        let (catalog, _) = Catalog::replayed_with(
            "ALTER TABLE params ALTER COLUMN value TYPE VARCHAR(500); \
             ALTER TABLE params ALTER COLUMN value SET NOT NULL;",
            "SELECT 1",
        );
        let table = name("params");
        let value = catalog.column_of(&table, "value").unwrap();
        assert_eq!(value.type_name, "varchar(500)");
        assert!(value.not_null);
        assert_eq!(value.added_in, Column::FOUND);
        assert!(catalog.column_of(&table, "key").is_none());
    }

    #[test]
    fn constraints_remember_the_migration_that_added_them() {
        let catalog = replay(&[
            "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);",
            "ALTER TABLE b ADD COLUMN c_id int REFERENCES a (id); \
             ALTER TABLE b ADD CONSTRAINT b_x_fk FOREIGN KEY (id) REFERENCES a (id) NOT VALID;",
        ]);
        let b = catalog.table(&name("b")).unwrap();
        let created: Vec<(Vec<String>, usize)> = b
            .constraints
            .iter()
            .filter(|c| matches!(c.kind, ConstraintKind::ForeignKey { .. }))
            .map(|c| (c.columns.clone(), c.created_in))
            .collect();
        assert_eq!(
            created,
            [
                (vec!["a_id".to_owned()], 0),
                (vec!["c_id".to_owned()], 1),
                (vec!["id".to_owned()], 1)
            ]
        );
        assert_eq!(b.primary_key().unwrap().created_in, 0);
    }

    #[test]
    fn unnamed_constraints_get_postgres_names() {
        let catalog = replay(&[
            "CREATE TABLE a (id int PRIMARY KEY, x int UNIQUE, y int CHECK (y > 0), UNIQUE (x, y)); \
             CREATE TABLE b (id int, a_id int REFERENCES a); ALTER TABLE b ADD UNIQUE (a_id); \
             ALTER TABLE b ADD UNIQUE (a_id);",
            "ALTER TABLE a DROP CONSTRAINT a_pkey;",
        ]);
        let names = |table: &str| -> Vec<String> {
            catalog
                .table(&name(table))
                .unwrap()
                .constraints
                .iter()
                .map(|c| c.name.clone().unwrap())
                .collect()
        };
        assert_eq!(names("a"), ["a_x_key", "a_y_check", "a_x_y_key"]);
        assert_eq!(names("b"), ["b_a_id_fkey", "b_a_id_key", "b_a_id_key1"]);
        assert!(catalog.table(&name("a")).unwrap().primary_key().is_none());
        assert!(catalog.index(&name("a_pkey")).is_none());
    }

    #[test]
    fn partitioned_tables_know_their_partitions() {
        let catalog = replay(&[
            "CREATE TABLE m (id bigint, at date NOT NULL) PARTITION BY RANGE (at); \
             CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01'); \
             CREATE TABLE m_2025 (id bigint, at date NOT NULL); CREATE TABLE m_2026 (LIKE m); \
             CREATE TABLE m_old PARTITION OF m FOR VALUES FROM ('2000-01-01') TO ('2001-01-01');",
            "ALTER TABLE m ATTACH PARTITION m_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01'); \
             ALTER TABLE m DETACH PARTITION m_old CONCURRENTLY; ALTER TABLE m RENAME TO measures;",
        ]);
        let measures = name("measures");
        assert!(catalog.is_partitioned(&measures));
        assert!(!catalog.is_partitioned(&name("m_2024")));
        let partitions: Vec<&str> = catalog
            .partitions_of(&measures)
            .map(|t| t.name.name.as_str())
            .collect();
        assert_eq!(partitions, ["m_2024", "m_2025"]);
        assert_eq!(catalog.table(&name("m_2024")).unwrap().columns.len(), 2);
        assert!(
            catalog
                .table(&name("m_old"))
                .unwrap()
                .partition_of
                .is_none()
        );

        let mut dropped = catalog.clone();
        let drop = pg_query::parse("DROP TABLE measures", 0)
            .unwrap()
            .protobuf
            .stmts;
        dropped.apply(
            drop[0].stmt.as_ref().unwrap().node.as_ref().unwrap(),
            Origin::default(),
        );
        assert!(dropped.table(&name("m_2024")).is_none());
        assert!(dropped.table(&name("m_old")).is_some());
    }

    #[test]
    fn names_over_63_bytes_are_stored_truncated_as_postgresql_does() {
        // The parser truncates every identifier, definitions and references alike, so a later
        // statement naming the table in full finds it, as on PostgreSQL (with a NOTICE there).
        let long = "a_very_long_table_name_that_goes_on_and_on_beyond_sixty_three_bytes_x";
        let catalog = replay(&[&format!(
            "CREATE TABLE {long} (id int); ALTER TABLE {long}zz ADD COLUMN b int; \
             CREATE TABLE \"{}\" (id int);",
            "é".repeat(33)
        )]);
        let table = catalog
            .table(&name(&long[..63]))
            .expect("stored under its first 63 bytes");
        assert_eq!(table.columns.len(), 2);
        // Cut at a character boundary: 31 two-byte characters.
        assert!(catalog.table(&name(&"é".repeat(31))).is_some());
    }

    #[test]
    fn create_hypertable_marks_the_table() {
        let catalog = replay(&[
            "CREATE TABLE conditions (time timestamptz NOT NULL, v float8); \
             CREATE SCHEMA m; CREATE TABLE m.\"Readings\" (time timestamptz NOT NULL); \
             CREATE TABLE plain (time timestamptz); CREATE TABLE named (time timestamptz);",
            "SELECT create_hypertable('conditions', 'time'); \
             SELECT * FROM create_hypertable('m.\"Readings\"'::regclass, by_range('time')); \
             SELECT public.create_hypertable(relation => 'named', dimension => by_range('time'));",
        ]);
        let hypertable = |table: QualifiedName| catalog.table(&table).unwrap().hypertable;
        assert!(hypertable(name("conditions")));
        assert!(hypertable(QualifiedName::new(Some("m"), "Readings")));
        assert!(hypertable(name("named")));
        assert!(!hypertable(name("plain")));
    }

    #[test]
    fn indexes_keep_method_key_options_include_and_predicate() {
        let catalog = replay(&[
            "CREATE TABLE t (id int, a text, b text, embedding vector(3), geom geometry); \
             CREATE INDEX ON t USING hnsw (embedding vector_cosine_ops); \
             CREATE INDEX t_geom_idx ON t USING gist (geom); \
             CREATE INDEX t_a_b ON t (a COLLATE \"C\" text_pattern_ops DESC, b NULLS FIRST) INCLUDE (id) WHERE (a IS NOT NULL); \
             CREATE INDEX ON t (a); CREATE INDEX ON t (a);",
        ]);
        let index = |n: &str| catalog.index(&name(n)).unwrap();
        let hnsw = index("t_embedding_idx");
        assert_eq!(hnsw.method, "hnsw");
        assert_eq!(hnsw.key_options, ["vector_cosine_ops"]);
        assert_eq!(index("t_geom_idx").method, "gist");
        let a_b = index("t_a_b");
        assert_eq!(
            a_b.key_options,
            ["COLLATE C text_pattern_ops DESC", "NULLS FIRST"]
        );
        assert_eq!(a_b.include, ["id"]);
        assert_eq!(a_b.predicate.as_deref(), Some("a IS NOT NULL"));
        // PostgreSQL numbers a generated name that is taken.
        assert_eq!(index("t_a_idx").columns, index("t_a_idx1").columns);
    }

    #[test]
    fn primary_key_using_index_takes_over_the_index() {
        let catalog = replay(&[
            "CREATE TABLE t (a int NOT NULL, b int NOT NULL); CREATE UNIQUE INDEX t_a_b_idx ON t (a, b); \
             ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_a_b_idx;",
        ]);
        let table = catalog.table(&name("t")).unwrap();
        assert_eq!(table.primary_key().unwrap().columns, ["a", "b"]);
        assert!(catalog.index(&name("t_a_b_idx")).is_none());
        let pkey = catalog.index(&name("t_pkey")).unwrap();
        assert!(pkey.primary && pkey.unique && pkey.constraint);
        assert_eq!(catalog.indexes_on(&name("t")).count(), 1);
    }

    #[test]
    fn indexes_by_the_migration_that_created_them() {
        let catalog = replay(&[
            "CREATE TABLE t (id int PRIMARY KEY, a int, b int); CREATE INDEX old_a ON t (a);",
            "CREATE INDEX z_b ON t (b); CREATE INDEX gone ON t (a, b); CREATE INDEX a_b ON t (a, b); \
             DROP INDEX gone; ALTER INDEX z_b RENAME TO b_idx;",
        ]);
        let names = |migration| {
            catalog
                .indexes
                .created_by(migration)
                .map(|index| (index.name.name.as_str(), index.created_at.statement))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(0), [("t_pkey", 0), ("old_a", 1)]);
        assert_eq!(names(1), [("b_idx", 0), ("a_b", 2)]);
        assert!(names(2).is_empty());
    }

    #[test]
    fn covered_indexes() {
        let catalog = replay(&[
            "CREATE TABLE t (id int PRIMARY KEY, slug text UNIQUE, a int, b int, g geometry); \
             CREATE INDEX slug_idx ON t (slug); \
             CREATE INDEX a_idx ON t (a); CREATE INDEX a_b_idx ON t (a, b); \
             CREATE UNIQUE INDEX a_unique ON t (a); \
             CREATE INDEX a_desc ON t (a DESC); CREATE INDEX a_partial ON t (a) WHERE b > 0; \
             CREATE INDEX a_partial2 ON t (a) WHERE (b > 0); CREATE INDEX a_lower ON t (lower(a::text)); \
             CREATE INDEX g_gist ON t USING gist (g); CREATE INDEX g_btree ON t (g); \
             CREATE INDEX a_hash ON t USING hash (a); CREATE INDEX a_include ON t (a) INCLUDE (b);",
        ]);
        let index = |n: &str| catalog.index(&name(n)).unwrap();
        let covered = |a: &str, b: &str| index(a).is_covered_by(index(b));
        assert!(covered("slug_idx", "t_slug_key"));
        assert!(!covered("t_slug_key", "slug_idx"));
        assert!(covered("a_idx", "a_b_idx"));
        assert!(!covered("a_b_idx", "a_idx"));
        assert!(covered("a_idx", "a_unique"));
        assert!(!covered("a_unique", "a_b_idx"));
        assert!(!covered("a_unique", "a_idx"));
        assert!(!covered("a_desc", "a_idx"));
        assert!(!covered("a_partial", "a_idx"));
        assert!(!covered("a_idx", "a_partial"));
        assert!(covered("a_partial", "a_partial2"));
        assert!(!covered("a_lower", "a_idx"));
        assert!(!covered("g_btree", "g_gist"));
        assert!(!covered("g_gist", "g_btree"));
        assert!(!covered("a_hash", "a_idx"));
        assert!(covered("a_idx", "a_include"));
        assert!(!covered("a_include", "a_idx"));
        assert!(covered("a_include", "a_b_idx"));
        assert!(index("a_b_idx").leads_with(&["a".to_owned()]));
        assert!(!index("a_b_idx").leads_with(&["b".to_owned()]));
    }

    #[test]
    fn indexes_are_found_by_first_key_through_renames() {
        let catalog = replay(&[
            "CREATE TABLE t (a int, b int); CREATE INDEX a_b_idx ON t (a, b); \
             CREATE INDEX b_idx ON t (b); CREATE INDEX expr_idx ON t ((a + b)); \
             ALTER TABLE t RENAME COLUMN a TO c; ALTER TABLE t RENAME TO u; DROP INDEX b_idx;",
        ]);
        let names = |column: &str| -> Vec<String> {
            catalog
                .indexes
                .leading_with(&name("u"), column)
                .map(|index| index.name.name.clone())
                .collect()
        };
        assert_eq!(names("c"), ["a_b_idx"]);
        assert!(names("a").is_empty() && names("b").is_empty());
        assert_eq!(catalog.indexes.leading_with(&name("t"), "c").count(), 0);
        let a_b = catalog.index(&name("a_b_idx")).unwrap();
        assert_eq!(catalog.indexes_like(a_b).count(), 1);
    }

    #[test]
    fn written_constraints_and_columns_point_at_their_nodes() {
        let sql = "ALTER TABLE t ADD COLUMN u int REFERENCES users, ADD CONSTRAINT t_pk PRIMARY KEY (id), \
                   ALTER COLUMN c TYPE json";
        let node = pg_query::parse(sql, 0).unwrap().protobuf.stmts[0]
            .stmt
            .clone()
            .unwrap()
            .node
            .unwrap();
        let constraints = written_constraints(&node, 3);
        assert_eq!(constraints.len(), 2);
        assert_eq!(constraints[0].constraint.columns, ["u"]);
        assert_eq!(constraints[0].constraint.created_in, 3);
        assert!(sql[constraints[0].location as usize..].starts_with("REFERENCES"));
        assert!(sql[constraints[1].location as usize..].starts_with("CONSTRAINT t_pk"));
        let columns = written_columns(&node);
        let names: Vec<(&str, ColumnChange)> = columns.iter().map(|c| (c.name, c.change)).collect();
        assert_eq!(
            names,
            [("u", ColumnChange::Add), ("c", ColumnChange::AlterType)]
        );
    }
}
