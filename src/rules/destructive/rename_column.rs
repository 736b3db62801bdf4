//! `rename-column`: renaming a column of a table that existed before the migration.

use pg_query::NodeEnum;
use pg_query::protobuf::ObjectType;

use crate::catalog::range_var;
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::quote_ident;
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
        if ctx.column_added_here(&table, old).is_some() {
            return;
        }
        let known = ctx
            .catalog
            .table(&table)
            .and_then(|known| known.column(old));
        // The expand step in the rename's place: the new column, of the old one's type (a
        // serial's integer: the new column takes no sequence of its own).
        let add = known.and_then(|column| {
            let type_name = match column.type_name.as_str() {
                "serial" | "serial4" => "int4",
                "bigserial" | "serial8" => "int8",
                "smallserial" | "serial2" => "int2",
                other => other,
            };
            let sql = format!(
                "ALTER TABLE {} ADD COLUMN {} {type_name}",
                table.to_sql(),
                quote_ident(new)
            );
            pg_query::parse(&sql, 0)
                .ok()?
                .deparse(pg_query::DeparseOptions::default())
                .ok()
        });
        let message = format!(
            "renaming column `{old}` of existing table `{table}` to `{new}` breaks running code that \
             still uses `{old}`"
        );
        let tool = match ctx.migration.migration.kind() {
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
             queries name `{old}`. Expand/contract instead: 1. add column `{new}`{add_sql}; 2. write both \
             columns (from the application, or with a trigger) and backfill `{new}` from `{old}` in \
             batches; 3. switch readers to `{new}`; 4. stop writing `{old}` and drop it in a later \
             migration.{tool}",
            add_sql = add
                .as_ref()
                .map(|sql| format!(" (`{sql};`)"))
                .unwrap_or_default()
        );
        let after = ctx.name_span(Some(rel.location), &rel.relname).end;
        let finding = ctx
            .finding(ctx.name_span_after(after, old), message)
            .help(help);
        out.push(match add {
            Some(sql) => finding.suggest(ctx.in_place(Suggestion::instead([sql]))),
            None => finding,
        });
    }
}
