//! Which table-level lock a DDL or maintenance statement takes on which relation.
//!
//! The modes follow PostgreSQL 15 as `pg_locks` shows them inside the statement's transaction
//! (ALTER TABLE takes the strongest lock any of its actions needs). DML is not listed.

use pg_query::NodeEnum;
use pg_query::protobuf::{
    AlterTableCmd, AlterTableStmt, AlterTableType, ConstrType, CreateStmt, DropStmt, Node,
    ObjectType, RangeVar, ReindexObjectType, ReindexStmt, VacuumStmt,
};

use super::apply::range_var;
use super::{Catalog, ConstraintKind, QualifiedName, creates_what_is_there};
use crate::parse::ast;

/// PostgreSQL's table lock modes, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    /// The mode as `LOCK TABLE` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// From PostgreSQL's LOCKMODE number (`LockStmt.mode`: 1 = ACCESS SHARE ... 8 = ACCESS
    /// EXCLUSIVE).
    pub fn from_number(mode: i32) -> Option<Self> {
        Some(match mode {
            1 => LockMode::AccessShare,
            2 => LockMode::RowShare,
            3 => LockMode::RowExclusive,
            4 => LockMode::ShareUpdateExclusive,
            5 => LockMode::Share,
            6 => LockMode::ShareRowExclusive,
            7 => LockMode::Exclusive,
            8 => LockMode::AccessExclusive,
            _ => return None,
        })
    }

    /// Whether the mode conflicts with plain `SELECT` (ACCESS SHARE).
    pub fn blocks_reads(self) -> bool {
        self == LockMode::AccessExclusive
    }

    /// Whether the mode conflicts with `INSERT`/`UPDATE`/`DELETE` (ROW EXCLUSIVE).
    pub fn blocks_writes(self) -> bool {
        self >= LockMode::Share
    }

    /// From the `mode` column of `pg_locks` (`AccessExclusiveLock`).
    pub fn from_pg_locks(mode: &str) -> Option<Self> {
        Some(match mode {
            "AccessShareLock" => LockMode::AccessShare,
            "RowShareLock" => LockMode::RowShare,
            "RowExclusiveLock" => LockMode::RowExclusive,
            "ShareUpdateExclusiveLock" => LockMode::ShareUpdateExclusive,
            "ShareLock" => LockMode::Share,
            "ShareRowExclusiveLock" => LockMode::ShareRowExclusive,
            "ExclusiveLock" => LockMode::Exclusive,
            "AccessExclusiveLock" => LockMode::AccessExclusive,
            _ => return None,
        })
    }

    /// `an ACCESS EXCLUSIVE lock`, `a SHARE lock`.
    pub fn a_lock(self) -> String {
        let article = if self.as_str().starts_with(['A', 'E']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {} lock", self.as_str())
    }

    /// What other sessions cannot do on the table while the lock is held.
    pub fn blocks(self) -> &'static str {
        match self {
            LockMode::AccessExclusive => "every read and write of it",
            LockMode::Exclusive => "every write and `SELECT ... FOR UPDATE` (plain reads go on)",
            LockMode::ShareRowExclusive => {
                "every `INSERT`, `UPDATE` and `DELETE`, and `CREATE INDEX` (plain reads go on)"
            }
            LockMode::Share => "every `INSERT`, `UPDATE` and `DELETE` (reads go on)",
            LockMode::ShareUpdateExclusive => {
                "other schema changes, `VACUUM` and `ANALYZE` (reads and writes go on)"
            }
            LockMode::RowExclusive => "`CREATE INDEX` and most schema changes",
            LockMode::RowShare => "`LOCK TABLE ... EXCLUSIVE` and stronger",
            LockMode::AccessShare => "only `ACCESS EXCLUSIVE` locks",
        }
    }
}

/// A lock a statement takes on one relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLock {
    /// The table (or view, materialized view). For an index the catalog does not know, the
    /// index's own name, and then equal to `via`.
    pub table: QualifiedName,
    pub mode: LockMode,
    /// Node location of the name in the statement, when the parser kept one.
    pub location: Option<i32>,
    /// The index named in the statement, when the lock is on its table.
    pub via: Option<QualifiedName>,
}

impl TableLock {
    /// Whether the lock is on the table of an index the catalog does not know.
    pub fn table_unknown(&self) -> bool {
        self.via.as_ref() == Some(&self.table)
    }
}

/// The table-level locks `node` takes, one entry per relation, strongest mode.
pub fn table_locks(catalog: &Catalog, node: &NodeEnum) -> Vec<TableLock> {
    let mut locks: Vec<TableLock> = Vec::new();
    let mut add = |lock: TableLock| match locks.iter_mut().find(|l| l.table == lock.table) {
        Some(existing) => {
            if lock.mode > existing.mode {
                *existing = lock;
            }
        }
        None => locks.push(lock),
    };
    let on = |rel: &RangeVar, mode| TableLock {
        table: range_var(rel),
        mode,
        location: Some(rel.location),
        via: None,
    };
    match node {
        NodeEnum::AlterTableStmt(stmt) => alter_table(catalog, stmt, &mut add),
        NodeEnum::CreateStmt(stmt) if !creates_what_is_there(catalog, node) => {
            create_table(stmt, &mut add)
        }
        NodeEnum::RenameStmt(stmt) => {
            let renames_relation = matches!(
                ObjectType::try_from(stmt.rename_type),
                Ok(ObjectType::ObjectTable
                    | ObjectType::ObjectView
                    | ObjectType::ObjectMatview
                    | ObjectType::ObjectForeignTable
                    | ObjectType::ObjectColumn
                    | ObjectType::ObjectTabconstraint
                    | ObjectType::ObjectTrigger
                    | ObjectType::ObjectPolicy
                    | ObjectType::ObjectRule)
            );
            if renames_relation && let Some(rel) = &stmt.relation {
                add(on(rel, LockMode::AccessExclusive));
            }
        }
        NodeEnum::DropStmt(stmt) => drop(catalog, stmt, &mut add),
        NodeEnum::TruncateStmt(stmt) => {
            for rel in range_vars(&stmt.relations) {
                add(on(rel, LockMode::AccessExclusive));
            }
        }
        NodeEnum::LockStmt(stmt) => {
            if let Some(mode) = LockMode::from_number(stmt.mode) {
                for rel in range_vars(&stmt.relations) {
                    add(on(rel, mode));
                }
            }
        }
        NodeEnum::ClusterStmt(stmt) => {
            if let Some(rel) = &stmt.relation {
                add(on(rel, LockMode::AccessExclusive));
            }
        }
        NodeEnum::VacuumStmt(stmt) if stmt.is_vacuumcmd => {
            let mode = if vacuum_full(stmt) {
                LockMode::AccessExclusive
            } else {
                LockMode::ShareUpdateExclusive
            };
            for rel in &stmt.rels {
                if let Some(NodeEnum::VacuumRelation(rel)) = rel.node.as_ref()
                    && let Some(rel) = &rel.relation
                {
                    add(on(rel, mode));
                }
            }
        }
        NodeEnum::RefreshMatViewStmt(stmt) => {
            if let Some(rel) = &stmt.relation {
                let mode = if stmt.concurrent {
                    LockMode::Exclusive
                } else {
                    LockMode::AccessExclusive
                };
                add(on(rel, mode));
            }
        }
        NodeEnum::IndexStmt(stmt) => {
            if let Some(rel) = &stmt.relation {
                let mode = if stmt.concurrent {
                    LockMode::ShareUpdateExclusive
                } else {
                    LockMode::Share
                };
                add(on(rel, mode));
            }
        }
        NodeEnum::ReindexStmt(stmt) => reindex(catalog, stmt, &mut add),
        NodeEnum::CreateTrigStmt(stmt) => {
            if let Some(rel) = &stmt.relation {
                add(on(rel, LockMode::ShareRowExclusive));
            }
        }
        NodeEnum::CreatePolicyStmt(stmt) => {
            if let Some(rel) = &stmt.table {
                add(on(rel, LockMode::AccessExclusive));
            }
        }
        NodeEnum::AlterPolicyStmt(stmt) => {
            if let Some(rel) = &stmt.table {
                add(on(rel, LockMode::AccessExclusive));
            }
        }
        NodeEnum::RuleStmt(stmt) => {
            if let Some(rel) = &stmt.relation {
                add(on(rel, LockMode::AccessExclusive));
            }
        }
        NodeEnum::AlterObjectSchemaStmt(stmt) => {
            if let Some(rel) = &stmt.relation {
                add(on(rel, LockMode::AccessExclusive));
            }
        }
        // Replacing a view the catalog knows; an unknown name may just be a new view.
        NodeEnum::ViewStmt(stmt) if stmt.replace => {
            if let Some(rel) = &stmt.view
                && catalog.table(&range_var(rel)).is_some()
            {
                add(on(rel, LockMode::AccessExclusive));
            }
        }
        _ => {}
    }
    locks
}

/// Whether a `VACUUM` has the `FULL` option on.
pub fn vacuum_full(stmt: &VacuumStmt) -> bool {
    ast::option_enabled(&stmt.options, "full")
}

fn range_vars(nodes: &[Node]) -> impl Iterator<Item = &RangeVar> {
    nodes.iter().filter_map(|node| match node.node.as_ref() {
        Some(NodeEnum::RangeVar(rel)) => Some(rel),
        _ => None,
    })
}

/// A new table locks no one out of itself, but its foreign keys lock the tables they reference
/// (SHARE ROW EXCLUSIVE, for their triggers), and a partition locks its parent (ACCESS
/// EXCLUSIVE).
fn create_table(stmt: &CreateStmt, add: &mut impl FnMut(TableLock)) {
    for element in &stmt.table_elts {
        match element.node.as_ref() {
            Some(NodeEnum::Constraint(constraint)) => foreign_key_target(constraint, add),
            Some(NodeEnum::ColumnDef(column)) => {
                for constraint in &column.constraints {
                    if let Some(NodeEnum::Constraint(constraint)) = constraint.node.as_ref() {
                        foreign_key_target(constraint, add);
                    }
                }
            }
            _ => {}
        }
    }
    if stmt.partbound.is_some()
        && let Some(NodeEnum::RangeVar(parent)) =
            stmt.inh_relations.first().and_then(|n| n.node.as_ref())
    {
        add(TableLock {
            table: range_var(parent),
            mode: LockMode::AccessExclusive,
            location: Some(parent.location),
            via: None,
        });
    }
}

fn alter_table(catalog: &Catalog, stmt: &AlterTableStmt, add: &mut impl FnMut(TableLock)) {
    let Some(rel) = &stmt.relation else {
        return;
    };
    if !matches!(
        ObjectType::try_from(stmt.objtype),
        Ok(ObjectType::ObjectTable
            | ObjectType::ObjectView
            | ObjectType::ObjectMatview
            | ObjectType::ObjectForeignTable)
    ) {
        return;
    }
    let mut mode = None;
    for cmd in &stmt.cmds {
        let Some(NodeEnum::AlterTableCmd(cmd)) = cmd.node.as_ref() else {
            continue;
        };
        mode = mode.max(Some(alter_table_cmd_lock(cmd)));
        if cmd.subtype == AlterTableType::AtDropConstraint as i32 {
            dropped_foreign_key_target(catalog, &range_var(rel), &cmd.name, add);
        }
        let def = cmd.def.as_deref().and_then(|def| def.node.as_ref());
        match def {
            // The referenced table of a new foreign key.
            Some(NodeEnum::Constraint(constraint)) => foreign_key_target(constraint, add),
            Some(NodeEnum::ColumnDef(column)) => {
                for constraint in &column.constraints {
                    if let Some(NodeEnum::Constraint(constraint)) = constraint.node.as_ref() {
                        foreign_key_target(constraint, add);
                    }
                }
            }
            // ATTACH / DETACH PARTITION also lock the partition.
            Some(NodeEnum::PartitionCmd(partition)) => {
                if let Some(part) = &partition.name {
                    let part_mode = if partition.concurrent {
                        LockMode::ShareUpdateExclusive
                    } else {
                        LockMode::AccessExclusive
                    };
                    add(TableLock {
                        table: range_var(part),
                        mode: part_mode,
                        location: Some(part.location),
                        via: None,
                    });
                }
            }
            _ => {}
        }
    }
    if let Some(mode) = mode {
        add(TableLock {
            table: range_var(rel),
            mode,
            location: Some(rel.location),
            via: None,
        });
    }
}

fn foreign_key_target(
    constraint: &pg_query::protobuf::Constraint,
    add: &mut impl FnMut(TableLock),
) {
    if constraint.contype == ConstrType::ConstrForeign as i32
        && let Some(pktable) = &constraint.pktable
    {
        add(TableLock {
            table: range_var(pktable),
            mode: LockMode::ShareRowExclusive,
            location: Some(pktable.location),
            via: None,
        });
    }
}

/// Dropping a foreign key drops its triggers on the referenced table too, under ACCESS
/// EXCLUSIVE there.
fn dropped_foreign_key_target(
    catalog: &Catalog,
    table: &QualifiedName,
    name: &str,
    add: &mut impl FnMut(TableLock),
) {
    let references = catalog
        .table(table)
        .into_iter()
        .flat_map(|known| &known.constraints)
        .find_map(|constraint| match &constraint.kind {
            ConstraintKind::ForeignKey { references, .. }
                if constraint.name.as_deref() == Some(name) =>
            {
                Some(references)
            }
            _ => None,
        });
    if let Some(references) = references {
        add(TableLock {
            table: references.clone(),
            mode: LockMode::AccessExclusive,
            location: None,
            via: None,
        });
    }
}

/// The lock one ALTER TABLE action needs on the altered table.
fn alter_table_cmd_lock(cmd: &AlterTableCmd) -> LockMode {
    use AlterTableType as At;
    let subtype = At::try_from(cmd.subtype).unwrap_or(At::Undefined);
    let def = cmd.def.as_deref().and_then(|def| def.node.as_ref());
    match subtype {
        At::AtSetStatistics
        | At::AtSetOptions
        | At::AtResetOptions
        | At::AtClusterOn
        | At::AtDropCluster
        | At::AtSetRelOptions
        | At::AtResetRelOptions
        | At::AtReplaceRelOptions
        | At::AtValidateConstraint
        | At::AtAttachPartition
        | At::AtDetachPartitionFinalize => LockMode::ShareUpdateExclusive,
        At::AtDetachPartition => match def {
            Some(NodeEnum::PartitionCmd(partition)) if partition.concurrent => {
                LockMode::ShareUpdateExclusive
            }
            _ => LockMode::AccessExclusive,
        },
        At::AtEnableTrig
        | At::AtEnableAlwaysTrig
        | At::AtEnableReplicaTrig
        | At::AtDisableTrig
        | At::AtEnableTrigAll
        | At::AtDisableTrigAll
        | At::AtEnableTrigUser
        | At::AtDisableTrigUser => LockMode::ShareRowExclusive,
        At::AtAddConstraint => match def {
            Some(NodeEnum::Constraint(constraint))
                if constraint.contype == ConstrType::ConstrForeign as i32 =>
            {
                LockMode::ShareRowExclusive
            }
            _ => LockMode::AccessExclusive,
        },
        _ => LockMode::AccessExclusive,
    }
}

fn drop(catalog: &Catalog, stmt: &DropStmt, add: &mut impl FnMut(TableLock)) {
    let remove_type = ObjectType::try_from(stmt.remove_type).unwrap_or(ObjectType::Undefined);
    for object in &stmt.objects {
        let Some(parts) = ast::qualified_name(object) else {
            continue;
        };
        let lock = |table, via| TableLock {
            table,
            mode: LockMode::AccessExclusive,
            location: None,
            via,
        };
        match remove_type {
            ObjectType::ObjectTable
            | ObjectType::ObjectView
            | ObjectType::ObjectMatview
            | ObjectType::ObjectForeignTable => {
                if let Some(name) = QualifiedName::from_parts(&parts) {
                    add(lock(name, None));
                }
            }
            ObjectType::ObjectIndex => {
                let Some(index) = QualifiedName::from_parts(&parts) else {
                    continue;
                };
                let mut found = index_lock(catalog, index, LockMode::AccessExclusive, None);
                if stmt.concurrent {
                    found.mode = LockMode::ShareUpdateExclusive;
                }
                add(found);
            }
            // `DROP TRIGGER name ON table`: the object is [schema?, table, name].
            ObjectType::ObjectTrigger | ObjectType::ObjectRule | ObjectType::ObjectPolicy => {
                if let Some(table) = QualifiedName::from_parts(&parts[..parts.len() - 1]) {
                    add(lock(table, None));
                }
            }
            _ => {}
        }
    }
}

fn reindex(catalog: &Catalog, stmt: &ReindexStmt, add: &mut impl FnMut(TableLock)) {
    let Some(rel) = &stmt.relation else {
        return;
    };
    let mode = if ast::option_enabled(&stmt.params, "concurrently") {
        LockMode::ShareUpdateExclusive
    } else {
        LockMode::Share
    };
    match ReindexObjectType::try_from(stmt.kind) {
        Ok(ReindexObjectType::ReindexObjectTable) => add(TableLock {
            table: range_var(rel),
            mode,
            location: Some(rel.location),
            via: None,
        }),
        Ok(ReindexObjectType::ReindexObjectIndex) => {
            add(index_lock(
                catalog,
                range_var(rel),
                mode,
                Some(rel.location),
            ));
        }
        _ => {}
    }
}

/// A lock on the table of `index`, resolved through the catalog; an index the catalog does not
/// know stands for its own (unknown) table.
fn index_lock(
    catalog: &Catalog,
    index: QualifiedName,
    mode: LockMode,
    location: Option<i32>,
) -> TableLock {
    match catalog.index(&index) {
        Some(known) => TableLock {
            table: known.table.clone(),
            mode,
            location,
            via: Some(index),
        },
        None => TableLock {
            table: index.clone(),
            mode,
            location,
            via: Some(index),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locks(setup: &str, sql: &str) -> Vec<(String, LockMode)> {
        let (catalog, node) = Catalog::replayed_with(setup, sql);
        table_locks(&catalog, node.as_ref().unwrap())
            .into_iter()
            .map(|lock| (lock.table.to_string(), lock.mode))
            .collect()
    }

    #[test]
    fn alter_table_takes_the_strongest_action_lock() {
        use LockMode::*;
        assert_eq!(
            locks("", "ALTER TABLE t ADD COLUMN c int"),
            [("t".into(), AccessExclusive)]
        );
        assert_eq!(
            locks("", "ALTER TABLE t ALTER COLUMN c SET STATISTICS 100"),
            [("t".into(), ShareUpdateExclusive)]
        );
        assert_eq!(
            locks(
                "",
                "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES u (id)"
            ),
            [
                ("u".into(), ShareRowExclusive),
                ("t".into(), ShareRowExclusive)
            ]
        );
        assert_eq!(
            locks(
                "",
                "ALTER TABLE t VALIDATE CONSTRAINT f, ALTER COLUMN c SET DEFAULT 1"
            ),
            [("t".into(), AccessExclusive)]
        );
    }

    #[test]
    fn foreign_keys_and_partitions_lock_the_tables_they_name() {
        use LockMode::*;
        // As pg_locks shows them on PostgreSQL 15.
        let setup = "CREATE TABLE p (id int PRIMARY KEY); \
                     CREATE TABLE c (id int, pid int CONSTRAINT c_pid_fk REFERENCES p (id)); \
                     CREATE TABLE e (at date) PARTITION BY RANGE (at);";
        assert_eq!(
            locks(setup, "CREATE TABLE n (pid int REFERENCES p (id))"),
            [("p".into(), ShareRowExclusive)]
        );
        assert_eq!(
            locks(
                setup,
                "CREATE TABLE n (pid int, FOREIGN KEY (pid) REFERENCES p)"
            ),
            [("p".into(), ShareRowExclusive)]
        );
        assert_eq!(
            locks(setup, "ALTER TABLE c DROP CONSTRAINT c_pid_fk"),
            [("p".into(), AccessExclusive), ("c".into(), AccessExclusive)]
        );
        assert_eq!(
            locks(
                setup,
                "CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
            ),
            [("e".into(), AccessExclusive)]
        );
    }

    #[test]
    fn index_statements_lock_the_indexed_table() {
        use LockMode::*;
        let setup = "CREATE TABLE t (id int); CREATE INDEX t_id_idx ON t (id);";
        assert_eq!(
            locks(setup, "DROP INDEX t_id_idx"),
            [("t".into(), AccessExclusive)]
        );
        assert_eq!(
            locks(setup, "DROP INDEX CONCURRENTLY t_id_idx"),
            [("t".into(), ShareUpdateExclusive)]
        );
        assert_eq!(
            locks(setup, "DROP INDEX other_idx"),
            [("other_idx".into(), AccessExclusive)]
        );
        assert_eq!(
            locks(setup, "REINDEX INDEX t_id_idx"),
            [("t".into(), Share)]
        );
        assert_eq!(
            locks(setup, "CREATE INDEX ON t USING hnsw (id)"),
            [("t".into(), Share)]
        );
        assert_eq!(
            locks(setup, "VACUUM (FULL false) t"),
            [("t".into(), ShareUpdateExclusive)]
        );
        assert_eq!(
            locks(setup, "VACUUM FULL t"),
            [("t".into(), AccessExclusive)]
        );
        assert_eq!(
            locks(setup, "DROP TRIGGER tr ON public.t"),
            [("t".into(), AccessExclusive)]
        );
    }
}
