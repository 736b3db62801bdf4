//! The names a table and its columns had when the statement's migration began: the `RENAME`s
//! of the migration's earlier statements followed backwards. Help that asks for a step before
//! the migration (or for changes to the release still running during the deploy) must use
//! those names, not the ones the statement sees.

use pg_query::NodeEnum;
use pg_query::protobuf::ObjectType;

use crate::catalog::{QualifiedName, range_var};
use crate::engine::StatementContext;

/// The `RENAME` statements of the migration before the statement, newest first.
fn earlier_renames<'a>(
    ctx: &'a StatementContext,
) -> impl Iterator<Item = &'a pg_query::protobuf::RenameStmt> + 'a {
    ctx.earlier_in_migration()
        .iter()
        .rev()
        .filter_map(|statement| match &statement.node {
            NodeEnum::RenameStmt(stmt) => Some(stmt.as_ref()),
            _ => None,
        })
}

/// `table` (as the statement names it) and `columns` of it, as they were named when the
/// migration began.
pub fn names_before_migration(
    ctx: &StatementContext,
    table: &QualifiedName,
    columns: &[&str],
) -> (QualifiedName, Vec<String>) {
    let mut table = table.clone();
    let mut columns: Vec<String> = columns.iter().map(|&c| c.to_owned()).collect();
    for stmt in earlier_renames(ctx) {
        let Some(relation) = &stmt.relation else {
            continue;
        };
        let renamed = range_var(relation);
        match ObjectType::try_from(stmt.rename_type) {
            Ok(ObjectType::ObjectTable)
                if QualifiedName::new(Some(&renamed.schema), &stmt.newname) == table =>
            {
                table = renamed;
            }
            Ok(ObjectType::ObjectColumn) if renamed == table => {
                for column in columns.iter_mut().filter(|c| **c == stmt.newname) {
                    *column = stmt.subname.clone();
                }
            }
            _ => {}
        }
    }
    (table, columns)
}

/// The name `index` had when the migration began (`ALTER INDEX ... RENAME TO`).
pub fn index_before_migration(ctx: &StatementContext, index: &QualifiedName) -> QualifiedName {
    let mut index = index.clone();
    for stmt in earlier_renames(ctx) {
        let Some(relation) = &stmt.relation else {
            continue;
        };
        let renamed = range_var(relation);
        if stmt.rename_type == ObjectType::ObjectIndex as i32
            && QualifiedName::new(Some(&renamed.schema), &stmt.newname) == index
        {
            index = renamed;
        }
    }
    index
}

/// What this migration renamed before the statement among `table` and `columns`, for help
/// text: "renames table `old_t` to `t` and column `old_c` to `c`"; `None` when the names are
/// those the migration began with.
pub fn renamed_here(
    ctx: &StatementContext,
    table: &QualifiedName,
    columns: &[&str],
) -> Option<String> {
    let (old_table, old_columns) = names_before_migration(ctx, table, columns);
    let mut renamed = Vec::new();
    if &old_table != table {
        renamed.push(format!("table `{old_table}` to `{table}`"));
    }
    for (column, old) in columns.iter().zip(&old_columns) {
        if column != old {
            renamed.push(format!("column `{old}` to `{column}`"));
        }
    }
    (!renamed.is_empty()).then(|| format!("renames {}", renamed.join(" and ")))
}
