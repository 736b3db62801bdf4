//! `drop-column`: `ALTER TABLE ... DROP COLUMN` on a table that existed before the migration.

use pg_query::protobuf::AlterTableType;

use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::rules::support::alter_table::existing_table_actions;
use crate::source::SourceKind;

declare_rule! {
    pub struct DropColumn {
        id: "drop-column",
        family: Destructive,
        severity: Error,
        summary: "DROP COLUMN deletes a column of an existing table that running code may still use",
    }
}

impl Rule for DropColumn {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        for action in existing_table_actions(ctx) {
            if action.kind != AlterTableType::AtDropColumn {
                continue;
            }
            let table = &action.table;
            let column = &action.cmd.name;
            let message = format!(
                "`DROP COLUMN` deletes column `{column}` of existing table `{table}` and its data"
            );
            let (remove, later) = match ctx.migration.migration.kind {
                SourceKind::Drizzle => (
                    format!(
                        "remove `{column}` from the drizzle schema and from all application code, and \
                         deploy that release without this migration (drizzle-orm names only the \
                         schema's columns in its queries, so the new code neither reads nor writes it)"
                    ),
                    "generate the DROP COLUMN in a later migration",
                ),
                SourceKind::Alembic => (
                    format!(
                        "remove `{column}` from the SQLAlchemy model and from all application code, \
                         and deploy that release without this revision"
                    ),
                    "drop the column in a later revision",
                ),
                SourceKind::Plain => (
                    format!(
                        "stop reading and writing `{column}` in application code, and deploy that"
                    ),
                    "drop the column in a later migration",
                ),
            };
            let required = ctx
                .catalog
                .table(table)
                .and_then(|t| t.column(column))
                .is_some_and(|c| c.not_null && !c.has_default);
            let required_note = if required {
                format!(
                    " `{column}` is NOT NULL without a default: make it nullable (`ALTER COLUMN \
                     \"{column}\" DROP NOT NULL`) in the first step, or the new code's inserts fail."
                )
            } else {
                String::new()
            };
            let help = format!(
                "Expand/contract: the release that is still running during the deploy uses \
                 `{column}`, and its queries fail as soon as the column is gone. 1. First {remove}. \
                 2. Once no running instance uses it, {later}.{required_note}"
            );
            out.push(
                ctx.finding(ctx.name_span_after(action.span.start, column), message)
                    .help(help),
            );
        }
    }
}
