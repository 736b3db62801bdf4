//! `drop-table`: a migration drops a table that existed before it, with all its rows.

use pg_query::NodeEnum;
use pg_query::protobuf::{DropBehavior, ObjectType};

use crate::catalog::{QualifiedName, is_tracking_table};
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;
use crate::source::SourceKind;

declare_rule! {
    pub struct DropTable {
        id: "drop-table",
        family: Destructive,
        severity: Error,
        summary: "DROP TABLE deletes an existing table and its rows",
    }
}

impl Rule for DropTable {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::DropStmt(stmt) = &ctx.statement.node else {
            return;
        };
        if stmt.remove_type != ObjectType::ObjectTable as i32 {
            return;
        }
        let cascade = stmt.behavior == DropBehavior::DropCascade as i32;
        for object in &stmt.objects {
            let Some(table) =
                ast::qualified_name(object).and_then(|p| QualifiedName::from_parts(&p))
            else {
                continue;
            };
            // Bookkeeping tables are `tracking-table-touched`'s.
            if is_tracking_table(&table) || !ctx.is_existing_table(&table) {
                continue;
            }
            let cascade_note = if cascade {
                " (CASCADE also drops the views and foreign keys that depend on it)"
            } else {
                ""
            };
            let message = format!(
                "`DROP TABLE` deletes existing table `{table}` and all its rows{cascade_note}"
            );
            let remove = match ctx.migration.migration.kind() {
                SourceKind::Drizzle => {
                    "remove it from the drizzle schema and from all application code"
                }
                SourceKind::Alembic => {
                    "remove its SQLAlchemy model and every use of it from the application"
                }
                SourceKind::Plain => "remove every use of it from the application",
            };
            let help = format!(
                "Running application code that still reads or writes `{table}` fails the moment this \
                 commits, and the rows are gone for good. First {remove}, and deploy that release \
                 without this migration; then drop the table in a later migration, once no running \
                 instance uses it. Keep a copy if the data may be needed (`pg_dump --table={table}`). \
                 If the table is already unused, suppress this with the reason."
            );
            out.push(
                ctx.finding(ctx.name_span(None, &table.name), message)
                    .help(help),
            );
        }
    }
}
