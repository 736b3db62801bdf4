//! `rename-column`: renaming a column of a table that existed before the migration.

use pg_query::NodeEnum;
use pg_query::protobuf::ObjectType;

use crate::catalog::range_var;
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::source::SourceKind;

declare_rule! {
    pub struct RenameColumn {
        id: "rename-column",
        family: Destructive,
        severity: Error,
        summary: "Renaming a column of an existing table breaks running code that still uses the old name",
    }
}

impl Rule for RenameColumn {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::RenameStmt(stmt) = &ctx.statement.node else {
            return;
        };
        if stmt.rename_type != ObjectType::ObjectColumn as i32 {
            return;
        }
        let Some(rel) = &stmt.relation else {
            return;
        };
        let table = range_var(rel);
        if !ctx.is_existing_table(&table) {
            return;
        }
        let (old, new) = (&stmt.subname, &stmt.newname);
        // A column this migration added is used by no running code yet.
        let added_here = ctx
            .catalog
            .table(&table)
            .and_then(|known| known.column(old))
            .is_some_and(|column| column.added_in == ctx.migration.index);
        if added_here {
            return;
        }
        let message = format!(
            "renaming column `{old}` of existing table `{table}` to `{new}` breaks running code that \
             still uses `{old}`"
        );
        let tool = match ctx.migration.migration.kind {
            SourceKind::Drizzle => format!(
                " drizzle-kit writes this rename when you answer its rename prompt with \"rename \
                 column\": instead, add `{new}` to the schema next to `{old}`, backfill it in a \
                 custom migration (`drizzle-kit generate --custom`), and remove `{old}` from the \
                 schema in a later release."
            ),
            SourceKind::Alembic => {
                " In Alembic: `op.add_column`, a backfill with `op.execute`, and \
                 `op.drop_column` in a later revision, instead of \
                 `op.alter_column(new_column_name=...)`."
                    .to_owned()
            }
            SourceKind::Plain => String::new(),
        };
        let help = format!(
            "During a deploy the old release keeps running until the new one replaces it, and its \
             queries name `{old}`. Expand/contract instead: 1. add column `{new}`; 2. write both \
             columns (from the application, or with a trigger) and backfill `{new}` from `{old}` in \
             batches; 3. switch readers to `{new}`; 4. stop writing `{old}` and drop it in a later \
             migration.{tool}"
        );
        let after = ctx.name_span(Some(rel.location), &rel.relname).end;
        out.push(
            ctx.finding(ctx.name_span_after(after, old), message)
                .help(help),
        );
    }
}
