//! `fk-missing-index`: a migration adds a foreign key, and when it ends no index of the
//! referencing table leads with the key's columns.

use std::collections::BTreeSet;

use pg_query::NodeEnum;
use pg_query::protobuf::ObjectType;

use crate::catalog::{
    Catalog, Constraint, ConstraintKind, QualifiedName, RelationKind, Table, WrittenConstraint,
    written_constraints,
};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{MigrationContext, Rule, StatementContext, declare_rule};
use crate::parse::Statement;
use crate::rules::support::advice;

declare_rule! {
    pub struct FkMissingIndex {
        id: "fk-missing-index",
        family: Indexes,
        severity: Warning,
        summary: "A foreign key is added without an index that leads with its columns",
    }
}

impl Rule for FkMissingIndex {
    fn after_migration(&self, ctx: &MigrationContext, catalog: &Catalog, out: &mut Vec<Finding>) {
        // The foreign keys the migration's statements write, with the statement.
        let written: Vec<(&Statement, WrittenConstraint)> = ctx
            .statements()
            .flat_map(|statement| {
                written_constraints(&statement.node, ctx.index)
                    .into_iter()
                    .filter(|written| {
                        matches!(written.constraint.kind, ConstraintKind::ForeignKey { .. })
                    })
                    .map(move |written| (statement, written))
            })
            .collect();
        if written.is_empty() {
            return;
        }
        for table in tables_given_foreign_keys(ctx, &written, catalog) {
            if table.kind != RelationKind::Table {
                continue;
            }
            for constraint in &table.constraints {
                let ConstraintKind::ForeignKey { references, .. } = &constraint.kind else {
                    continue;
                };
                if constraint.created_in != ctx.index || constraint.columns.is_empty() {
                    continue;
                }
                // A partial index serves the key's lookups only when they imply its predicate
                // (`WHERE fk IS NOT NULL`: a lookup `fk = $1` does); hash serves equality only.
                // An index that leads with the key's columns leads with one of them.
                let mut candidates = constraint
                    .columns
                    .iter()
                    .flat_map(|column| catalog.indexes.leading_with(&table.name, column));
                let indexed = candidates.any(|index| {
                    let serves_lookups = !index.partial
                        || index.not_null_predicate.as_ref().is_some_and(|columns| {
                            columns
                                .iter()
                                .all(|column| constraint.columns.contains(column))
                        });
                    serves_lookups
                        && matches!(index.method.as_str(), "btree" | "hash")
                        && index.leads_with(&constraint.columns)
                });
                if indexed {
                    continue;
                }
                let Some((statement, written)) = written_by(&written, table, constraint) else {
                    continue;
                };
                let statement_ctx = ctx.statement_context(statement, catalog);
                let span =
                    statement_ctx.constraint_span(written.location, constraint.name.as_deref());
                let columns = constraint
                    .columns
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let name = constraint
                    .name
                    .as_ref()
                    .map(|name| format!(" `{name}`"))
                    .unwrap_or_default();
                let message = format!(
                    "foreign key{name} on `{}` ({columns}) has no index that leads with its columns: \
                     every delete or key update on `{references}` scans `{}`",
                    table.name, table.name
                );
                let new_table = table.created_in == ctx.index;
                // A partitioned table refuses `CREATE INDEX CONCURRENTLY`: a partition at a time.
                let partitioned = (table.partitioned && !new_table)
                    .then(|| partitioned_index(&statement_ctx, catalog, table, &constraint.columns))
                    .flatten();
                let add = match &partitioned {
                    Some((help, _)) => help.clone(),
                    None => advice::add_index(ctx, &table.name, &constraint.columns, new_table),
                };
                let help = format!(
                    "{add} An index covers the key when its first columns are the key's columns, \
                     in any order; a partial index counts only when its predicate is `IS NOT \
                     NULL` of key columns, which the foreign key's lookups imply."
                );
                let finding = statement_ctx.finding(span, message).help(help);
                out.push(match partitioned {
                    Some((_, Some(statements))) => finding.suggest(Suggestion::after(statements)),
                    // The recipe for a partitioned table is prose only when its partitions are
                    // not known.
                    Some((_, None)) => finding,
                    None => finding.suggest(advice::index_suggestion(
                        &table.name,
                        &constraint.columns,
                        new_table,
                    )),
                });
            }
        }
    }
}

/// The tables this migration may have given a foreign key: those its statements name, and every
/// table when it renames one (the name written is then not the name at the end).
fn tables_given_foreign_keys<'a>(
    ctx: &MigrationContext,
    written: &[(&Statement, WrittenConstraint)],
    catalog: &'a Catalog,
) -> Vec<&'a Table> {
    let renames_table = ctx.statements().any(|statement| match &statement.node {
        NodeEnum::RenameStmt(stmt) => stmt.rename_type == ObjectType::ObjectTable as i32,
        _ => false,
    });
    if renames_table {
        return catalog.tables.values().collect();
    }
    let named: BTreeSet<&QualifiedName> = written.iter().map(|(_, w)| &w.table).collect();
    named
        .into_iter()
        .filter_map(|name| catalog.table(name))
        .collect()
}

/// The statement of this migration that wrote `constraint` (the last one, if it was re-added).
fn written_by<'w, 's>(
    written: &'w [(&'s Statement, WrittenConstraint)],
    table: &Table,
    constraint: &Constraint,
) -> Option<(&'s Statement, &'w WrittenConstraint)> {
    let same = |written: &WrittenConstraint, same_table: bool| {
        (!same_table || written.table == table.name)
            && match (&written.constraint.name, &constraint.name) {
                (Some(a), Some(b)) => a == b,
                _ => {
                    written.constraint.kind == constraint.kind
                        && written.constraint.columns == constraint.columns
                }
            }
    };
    // A table renamed later in the migration no longer has the name the statement wrote.
    [true, false].into_iter().find_map(|same_table| {
        written
            .iter()
            .rfind(|(_, written)| same(written, same_table))
            .map(|(statement, written)| (*statement, written))
    })
}

/// How to index `columns` of existing partitioned table `table`, and the statements that do it
/// (when every partition is known and plain).
fn partitioned_index(
    ctx: &StatementContext,
    catalog: &Catalog,
    table: &Table,
    columns: &[String],
) -> Option<(String, Option<Vec<String>>)> {
    let quoted: Vec<String> = columns.iter().map(|c| advice::quote(c)).collect();
    let sql = format!(
        "CREATE INDEX {} ON {} ({})",
        advice::quote(&advice::index_name(&table.name, columns)),
        table.name.to_sql(),
        quoted.join(", ")
    );
    let tree = pg_query::parse(&sql, 0).ok()?;
    let Some(NodeEnum::IndexStmt(stmt)) = tree.protobuf.stmts.first()?.stmt.as_ref()?.node.as_ref()
    else {
        return None;
    };
    let statements = advice::partitioned_index_statements(catalog, stmt, &table.name);
    let help = advice::partitioned_index_help(
        ctx,
        &table.name,
        statements.as_deref(),
        "op.create_index(..., postgresql_concurrently=True)",
    );
    Some((help, statements))
}
