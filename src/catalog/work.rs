//! What a statement does to a table's rows under its lock: rewrite them, read them all (a scan
//! that checks a constraint, an index build), or recompute a materialized view. Such a statement
//! holds its lock for as long as the table is large; the others (`DROP COLUMN`, `SET DEFAULT`, a
//! rename, a constraint added `NOT VALID`, ...) change the catalog and hold it for a moment.
//!
//! Verified on PostgreSQL 15 by comparing `pg_class.relfilenode` (a rewrite) and
//! `pg_stat_xact_user_tables.seq_scan` (a scan) before and after each statement.

use pg_query::NodeEnum;
use pg_query::protobuf::{
    AlterTableCmd, AlterTableStmt, AlterTableType, ColumnDef, ConstrType, ObjectType,
    ReindexObjectType,
};

use super::expr::column_default;
use super::locks::vacuum_full;
use super::{Catalog, QualifiedName, RelationKind, range_var, types};
use crate::parse::ast;

/// PostgreSQL 11 stores constant and STABLE defaults of a new column in the catalog instead of
/// writing them into every row.
pub const FAST_DEFAULT_SINCE: u32 = 11;

/// PostgreSQL 12 skips the scan of `SET NOT NULL` when a validated CHECK proves the column NOT
/// NULL.
pub const CHECK_SKIPS_SCAN_SINCE: u32 = 12;

/// The kind of work, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Work {
    /// Every row is read: a constraint checked, a type change checked again.
    Scan,
    /// An index is built from every row.
    IndexBuild,
    /// The materialized view's query runs again.
    Query,
    /// The table may be written anew: a type change the linter cannot judge (an unknown old
    /// type, a user-defined one), or timestamp ↔ timestamptz, which rewrites unless the
    /// session's TimeZone is UTC.
    MayRewrite,
    /// The table is written anew.
    Rewrite,
}

impl Work {
    /// The verb, followed by the relation.
    pub fn verb(self) -> &'static str {
        match self {
            Work::Scan => "scans",
            Work::IndexBuild => "builds an index from every row of",
            Work::Query => "recomputes",
            Work::MayRewrite => "may rewrite",
            Work::Rewrite => "rewrites",
        }
    }
}

/// The rows one statement reads or writes: the relations, and the heaviest work done to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowWork {
    pub work: Work,
    pub tables: Vec<QualifiedName>,
}

/// What `node` does to the rows of the relations it names, on `pg_version`, with the schema of
/// `catalog` before it; `None` when it only changes the catalog.
pub fn row_work(catalog: &Catalog, node: &NodeEnum, pg_version: u32) -> Option<RowWork> {
    let on = |work, table| {
        Some(RowWork {
            work,
            tables: vec![table],
        })
    };
    match node {
        NodeEnum::AlterTableStmt(stmt) => alter_table(catalog, stmt, pg_version),
        NodeEnum::IndexStmt(stmt) => {
            let relation = stmt.relation.as_ref()?;
            let table = range_var(relation);
            // `ON ONLY` a partitioned table makes an empty, invalid parent index, and on one
            // whose partitions have the index already it attaches theirs: no build.
            if (!relation.inh && catalog.is_partitioned(&table))
                || catalog.attaches_partition_indexes(stmt)
                || creates_what_is_there(catalog, node)
            {
                return None;
            }
            on(Work::IndexBuild, table)
        }
        NodeEnum::ReindexStmt(stmt) => {
            let named = range_var(stmt.relation.as_ref()?);
            let table = match ReindexObjectType::try_from(stmt.kind) {
                Ok(ReindexObjectType::ReindexObjectTable) => named,
                // An index the catalog does not know stands for its table, as in `table_locks`.
                Ok(ReindexObjectType::ReindexObjectIndex) => catalog
                    .index(&named)
                    .map_or(named, |index| index.table.clone()),
                _ => return None,
            };
            on(Work::IndexBuild, table)
        }
        NodeEnum::ClusterStmt(stmt) => on(Work::Rewrite, range_var(stmt.relation.as_ref()?)),
        NodeEnum::VacuumStmt(stmt) if stmt.is_vacuumcmd && vacuum_full(stmt) => {
            let tables: Vec<QualifiedName> = stmt
                .rels
                .iter()
                .filter_map(|rel| match rel.node.as_ref() {
                    Some(NodeEnum::VacuumRelation(rel)) => rel.relation.as_ref().map(range_var),
                    _ => None,
                })
                .collect();
            (!tables.is_empty()).then_some(RowWork {
                work: Work::Rewrite,
                tables,
            })
        }
        NodeEnum::RefreshMatViewStmt(stmt) => on(Work::Query, range_var(stmt.relation.as_ref()?)),
        _ => None,
    }
}

/// Whether `node` is a `CREATE TABLE IF NOT EXISTS` or `CREATE INDEX IF NOT EXISTS` of what
/// the catalog has: PostgreSQL skips it with a NOTICE, before it reads or locks anything
/// else. (drizzle users' "resync" migrations repeat whole schemas so.)
pub fn creates_what_is_there(catalog: &Catalog, node: &NodeEnum) -> bool {
    match node {
        NodeEnum::CreateStmt(stmt) => {
            stmt.if_not_exists
                && stmt
                    .relation
                    .as_ref()
                    .is_some_and(|relation| catalog.tables.contains_key(&range_var(relation)))
        }
        NodeEnum::IndexStmt(stmt) => {
            stmt.if_not_exists
                && !stmt.idxname.is_empty()
                && stmt.relation.as_ref().is_some_and(|relation| {
                    let schema = range_var(relation).schema;
                    catalog
                        .indexes
                        .contains(&QualifiedName::new(Some(&schema), &stmt.idxname))
                })
        }
        _ => false,
    }
}

/// Whether an `ALTER TABLE` action of `stmt` does nothing to the schema the catalog holds:
/// `ADD COLUMN IF NOT EXISTS` of a column the table has, `ADD CONSTRAINT` of a name the table
/// has (PostgreSQL refuses it before it reads a row; drizzle-kit's `DO ... EXCEPTION WHEN
/// duplicate_object` blocks re-run such statements on purpose) unless the statement drops that
/// constraint first, or `DROP COLUMN IF EXISTS` / `DROP CONSTRAINT IF EXISTS` of what a table
/// the migrations created does not have.
pub fn changes_nothing(catalog: &Catalog, stmt: &AlterTableStmt, cmd: &AlterTableCmd) -> bool {
    let Some(table) = stmt.relation.as_ref().map(range_var) else {
        return false;
    };
    let Some(known) = catalog.table(&table) else {
        return false;
    };
    let subtype = AlterTableType::try_from(cmd.subtype).unwrap_or(AlterTableType::Undefined);
    match (
        subtype,
        cmd.def.as_deref().and_then(|def| def.node.as_ref()),
    ) {
        (AlterTableType::AtAddColumn, Some(NodeEnum::ColumnDef(column))) => {
            cmd.missing_ok && known.column(&column.colname).is_some()
        }
        (AlterTableType::AtAddConstraint, Some(NodeEnum::Constraint(constraint))) => {
            known.has_constraint(&constraint.conname)
                && !ast::alter_table_cmds(stmt).any(|(subtype, other)| {
                    subtype == AlterTableType::AtDropConstraint && other.name == constraint.conname
                })
        }
        (AlterTableType::AtDropColumn, _) => cmd.missing_ok && known.column(&cmd.name).is_none(),
        (AlterTableType::AtDropConstraint, _) => {
            cmd.missing_ok && known.constraint_named(&cmd.name).is_none()
        }
        _ => false,
    }
}

fn alter_table(catalog: &Catalog, stmt: &AlterTableStmt, pg_version: u32) -> Option<RowWork> {
    if stmt.objtype != ObjectType::ObjectTable as i32 {
        return None;
    }
    let table = range_var(stmt.relation.as_ref()?);
    if catalog
        .table(&table)
        .is_some_and(|known| known.kind != RelationKind::Table)
    {
        return None;
    }
    let changes = types::column_type_changes(catalog, stmt);
    let mut found: Option<RowWork> = None;
    let mut add = |work: Work, on: &QualifiedName| match &mut found {
        Some(found) => {
            found.work = found.work.max(work);
            if !found.tables.contains(on) {
                found.tables.push(on.clone());
            }
        }
        None => {
            found = Some(RowWork {
                work,
                tables: vec![on.clone()],
            })
        }
    };
    for change in &changes {
        if let Some(work) = change.row_work(catalog) {
            add(work, &table);
        }
    }
    let rewrites = changes.iter().any(|change| change.rewrites_table());
    for (subtype, cmd) in ast::alter_table_cmds(stmt) {
        if changes_nothing(catalog, stmt, cmd) {
            continue;
        }
        let def = cmd.def.as_deref().and_then(|def| def.node.as_ref());
        use AlterTableType as At;
        match (subtype, def) {
            (At::AtAddColumn, Some(NodeEnum::ColumnDef(column))) => {
                if let Some(work) = added_column(column, pg_version) {
                    add(work, &table);
                }
            }
            // A rewrite of the same statement checks NOT NULL as it writes each row.
            (At::AtSetNotNull, _)
                if !rewrites && catalog.set_not_null_scans(&table, &cmd.name, pg_version) =>
            {
                add(Work::Scan, &table)
            }
            (At::AtAddConstraint, Some(NodeEnum::Constraint(constraint))) => {
                match ast::constraint_type(constraint) {
                    ConstrType::ConstrCheck | ConstrType::ConstrForeign
                        if !constraint.skip_validation =>
                    {
                        add(Work::Scan, &table)
                    }
                    ConstrType::ConstrPrimary | ConstrType::ConstrUnique
                        if constraint.indexname.is_empty() =>
                    {
                        add(Work::IndexBuild, &table)
                    }
                    // A primary key on an existing index makes its columns NOT NULL, which
                    // scans for the ones not known to be NOT NULL already.
                    ConstrType::ConstrPrimary => {
                        let index = QualifiedName::new(Some(&table.schema), &constraint.indexname);
                        let nullable = catalog
                            .table(&table)
                            .zip(catalog.index(&index))
                            .is_some_and(|(known, index)| {
                                index
                                    .columns
                                    .iter()
                                    .flatten()
                                    .any(|column| known.not_null_needs_scan(column, pg_version))
                            });
                        if nullable {
                            add(Work::Scan, &table);
                        }
                    }
                    ConstrType::ConstrExclusion => add(Work::IndexBuild, &table),
                    _ => {}
                }
            }
            (At::AtValidateConstraint, _) => add(Work::Scan, &table),
            (At::AtSetLogged | At::AtSetUnLogged | At::AtSetAccessMethod, _)
            | (At::AtSetTableSpace, _) => add(Work::Rewrite, &table),
            // The partition is scanned for rows outside its bounds (unless a CHECK proves
            // them, which is not modelled).
            (At::AtAttachPartition, Some(NodeEnum::PartitionCmd(partition))) => {
                if let Some(part) = &partition.name {
                    add(Work::Scan, &range_var(part));
                }
            }
            _ => {}
        }
    }
    found
}

/// The work `ADD COLUMN` does: a rewrite for a default computed per row (any default before
/// PostgreSQL 11), a scan for a CHECK on the column or a foreign key whose default fills the
/// rows, an index build for a PRIMARY KEY or UNIQUE.
fn added_column(column: &ColumnDef, pg_version: u32) -> Option<Work> {
    let default = column_default(column);
    if default.per_row() || (pg_version < FAST_DEFAULT_SINCE && default.fills_rows()) {
        return Some(Work::Rewrite);
    }
    let mut work = None;
    for constraint in ast::constraints(&column.constraints) {
        let found = match ast::constraint_type(constraint) {
            ConstrType::ConstrPrimary | ConstrType::ConstrUnique => Work::IndexBuild,
            ConstrType::ConstrCheck => Work::Scan,
            // A new column that reads NULL in every row needs no check of its foreign key.
            ConstrType::ConstrForeign if default.fills_rows() => Work::Scan,
            _ => continue,
        };
        work = work.max(Some(found));
    }
    work
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(setup: &str, sql: &str) -> Option<Work> {
        let (catalog, node) = Catalog::replayed_with(setup, sql);
        row_work(&catalog, node.as_ref().unwrap(), 15).map(|found| found.work)
    }

    const SETUP: &str = "CREATE TABLE u (id int PRIMARY KEY);
        CREATE TABLE t (id int PRIMARY KEY, a int, b text, n int NOT NULL, c varchar(10));
        CREATE UNIQUE INDEX t_a_idx ON t (a);
        CREATE UNIQUE INDEX t_n_idx ON t (n);";

    #[test]
    fn catalog_only_actions_do_no_work() {
        for sql in [
            "ALTER TABLE t ADD COLUMN d int",
            "ALTER TABLE t ADD COLUMN d int NOT NULL DEFAULT 0",
            "ALTER TABLE t ADD COLUMN d timestamptz DEFAULT now()",
            "ALTER TABLE t ADD COLUMN d int REFERENCES u (id)",
            "ALTER TABLE t DROP COLUMN a",
            "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1",
            "ALTER TABLE t ALTER COLUMN a DROP DEFAULT",
            "ALTER TABLE t ALTER COLUMN a DROP NOT NULL",
            "ALTER TABLE t ALTER COLUMN n SET NOT NULL",
            "ALTER TABLE t RENAME COLUMN a TO z",
            "ALTER TABLE t DROP CONSTRAINT t_pkey",
            "ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0) NOT VALID",
            "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) NOT VALID",
            "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE USING INDEX t_a_idx",
            "ALTER TABLE t DROP CONSTRAINT t_pkey, ADD PRIMARY KEY USING INDEX t_n_idx",
            "ALTER TABLE t ALTER COLUMN b TYPE varchar",
            "ALTER TABLE t ALTER COLUMN c TYPE varchar(20)",
            "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
            "DROP TABLE t",
            "TRUNCATE t",
            "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        ] {
            assert_eq!(work(SETUP, sql), None, "{sql}");
        }
    }

    #[test]
    fn statements_that_read_or_write_every_row() {
        use Work::*;
        for (sql, expected) in [
            (
                "ALTER TABLE t ADD COLUMN d uuid DEFAULT gen_random_uuid()",
                Rewrite,
            ),
            ("ALTER TABLE t ADD COLUMN d serial", Rewrite),
            (
                "ALTER TABLE t ADD COLUMN d int GENERATED ALWAYS AS (a * 2) STORED",
                Rewrite,
            ),
            ("ALTER TABLE t ADD COLUMN d int CHECK (d > 0)", Scan),
            (
                "ALTER TABLE t ADD COLUMN d int DEFAULT 1 REFERENCES u (id)",
                Scan,
            ),
            ("ALTER TABLE t ADD COLUMN d int UNIQUE", IndexBuild),
            ("ALTER TABLE t ALTER COLUMN a SET NOT NULL", Scan),
            ("ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0)", Scan),
            (
                "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)",
                Scan,
            ),
            ("ALTER TABLE t VALIDATE CONSTRAINT ck", Scan),
            (
                "ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE (b)",
                IndexBuild,
            ),
            (
                "ALTER TABLE t DROP CONSTRAINT t_pkey, ADD PRIMARY KEY USING INDEX t_a_idx",
                Scan,
            ),
            ("ALTER TABLE t ALTER COLUMN a TYPE bigint", Rewrite),
            ("ALTER TABLE t ALTER COLUMN c TYPE varchar(5)", Rewrite),
            (
                "ALTER TABLE t ALTER COLUMN b TYPE text COLLATE \"C\", ADD CHECK (a > 0)",
                Scan,
            ),
            ("ALTER TABLE t SET UNLOGGED", Rewrite),
            ("CREATE INDEX ON t (b)", IndexBuild),
            ("REINDEX TABLE t", IndexBuild),
            ("CLUSTER t USING t_pkey", Rewrite),
            ("VACUUM FULL t", Rewrite),
            ("REFRESH MATERIALIZED VIEW m", Query),
        ] {
            assert_eq!(work(SETUP, sql), Some(expected), "{sql}");
        }
    }

    #[test]
    fn a_validated_check_spares_the_scan_of_set_not_null() {
        let setup = format!("{SETUP} ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL);");
        assert_eq!(
            work(&setup, "ALTER TABLE t ALTER COLUMN a SET NOT NULL"),
            None
        );
    }
}
