//! `truncate-table`: `TRUNCATE` of a table that existed before the migration.

use pg_query::NodeEnum;
use pg_query::protobuf::DropBehavior;

use crate::catalog::{is_tracking_table, range_var};
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};

declare_rule! {
    pub struct TruncateTable {
        id: "truncate-table",
        family: Destructive,
        severity: Error,
        summary: "TRUNCATE deletes every row of an existing table",
    }
}

impl Rule for TruncateTable {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::TruncateStmt(stmt) = &ctx.statement.node else {
            return;
        };
        let cascade = stmt.behavior == DropBehavior::DropCascade as i32;
        for rel in &stmt.relations {
            let Some(NodeEnum::RangeVar(rel)) = rel.node.as_ref() else {
                continue;
            };
            let table = range_var(rel);
            if is_tracking_table(&table) || !ctx.is_existing_table(&table) {
                continue;
            }
            let cascade_note = if cascade {
                ", and CASCADE empties every table with a foreign key to it"
            } else {
                ""
            };
            let message =
                format!("`TRUNCATE` deletes every row of existing table `{table}`{cascade_note}");
            let help = format!(
                "The rows cannot be recovered, and `TRUNCATE` holds an ACCESS EXCLUSIVE lock on \
                 `{table}` until the migration's transaction commits. A schema migration should not \
                 throw data away: if the rows move elsewhere, copy them first in the same \
                 transaction; if they are truly disposable (a cache, a staging load), suppress this \
                 with the reason. To remove only some rows, use `DELETE ... WHERE`."
            );
            out.push(
                ctx.finding(ctx.name_span(Some(rel.location), &rel.relname), message)
                    .help(help),
            );
        }
    }
}
