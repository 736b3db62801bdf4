//! `unbounded-delete-or-update`: `DELETE` or `UPDATE` without `WHERE` on a table that existed
//! before the migration.

use pg_query::NodeEnum;

use crate::catalog::{QualifiedName, is_tracking_table, range_var};
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::source::SourceKind;

declare_rule! {
    pub struct UnboundedDeleteOrUpdate {
        id: "unbounded-delete-or-update",
        family: Destructive,
        severity: Warning,
        summary: "DELETE or UPDATE without WHERE touches every row of an existing table",
    }
}

impl Rule for UnboundedDeleteOrUpdate {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let (verb, effect, rel) = match &ctx.statement.node {
            NodeEnum::DeleteStmt(stmt) if stmt.where_clause.is_none() => {
                ("DELETE", "deletes", stmt.relation.as_ref())
            }
            NodeEnum::UpdateStmt(stmt) if stmt.where_clause.is_none() => {
                ("UPDATE", "changes", stmt.relation.as_ref())
            }
            _ => return,
        };
        let Some(rel) = rel else {
            return;
        };
        let table = range_var(rel);
        // Bookkeeping tables are `tracking-table-touched`'s; new tables are empty.
        if is_tracking_table(&table) || !ctx.is_existing_table(&table) {
            return;
        }
        if fills_new_columns(ctx, &table) {
            return;
        }
        let message =
            format!("`{verb}` without `WHERE` {effect} every row of existing table `{table}`");
        let holds = match ctx.migration.migration.kind() {
            SourceKind::Drizzle => {
                "until drizzle-kit commits its single transaction over all pending migrations"
            }
            SourceKind::Alembic => "until the revision's transaction commits",
            SourceKind::Plain if ctx.statement.in_transaction => "until the transaction commits",
            SourceKind::Plain => "while it runs",
        };
        let help = format!(
            "One statement over the whole table locks every row it touches {holds}, so application \
             writes to those rows wait, and it leaves a dead copy of each row behind. Limit it to \
             the rows that need it (a backfill: `WHERE \"column\" IS NULL`); for a large table, run \
             it in batches outside the migration (`... WHERE id IN (SELECT id FROM \"{name}\" WHERE \
             ... LIMIT 10000)`, repeated until no rows change). If every row really must change, \
             suppress this with the reason.",
            name = table.name
        );
        let head = ctx.statement.span.start..ctx.name_span(Some(rel.location), &rel.relname).end;
        out.push(ctx.finding(head, message).help(help));
    }
}

/// An `UPDATE` that sets only columns this migration added to `table`: the backfill of a new
/// column, meant for every row. The `ADD COLUMN` before it already holds the table's ACCESS
/// EXCLUSIVE lock to the end of the transaction, so the row locks block nobody else.
fn fills_new_columns(ctx: &StatementContext, table: &QualifiedName) -> bool {
    let NodeEnum::UpdateStmt(stmt) = &ctx.statement.node else {
        return false;
    };
    let mut targets = stmt
        .target_list
        .iter()
        .filter_map(|target| match &target.node {
            Some(NodeEnum::ResTarget(target)) => Some(target.name.as_str()),
            _ => None,
        });
    targets.clone().next().is_some()
        && targets.all(|name| ctx.column_added_here(table, name).is_some())
}
