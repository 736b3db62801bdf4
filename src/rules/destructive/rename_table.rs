//! `rename-table`: renaming a table (or view) that existed before the migration.

use pg_query::NodeEnum;
use pg_query::protobuf::ObjectType;

use crate::catalog::{QualifiedName, range_var};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::source::SourceKind;

declare_rule! {
    pub struct RenameTable {
        id: "rename-table",
        family: Destructive,
        severity: Error,
        summary: "Renaming an existing table breaks running code that still uses the old name",
    }
}

impl Rule for RenameTable {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::RenameStmt(stmt) = &ctx.statement.node else {
            return;
        };
        let kind = match ObjectType::try_from(stmt.rename_type) {
            Ok(ObjectType::ObjectTable | ObjectType::ObjectForeignTable) => "table",
            Ok(ObjectType::ObjectView) => "view",
            Ok(ObjectType::ObjectMatview) => "materialized view",
            _ => return,
        };
        let Some(rel) = &stmt.relation else {
            return;
        };
        let table = range_var(rel);
        // `ALTER TABLE` also renames indexes; the catalog tells them apart.
        if !ctx.is_existing_table(&table) || ctx.catalog.index(&table).is_some() {
            return;
        }
        let new = &stmt.newname;
        let message = format!(
            "renaming existing {kind} `{table}` to `{new}` breaks running code that still uses `{}`",
            table.name
        );
        let tool = match ctx.migration.migration.kind() {
            SourceKind::Drizzle => {
                " drizzle-kit writes this rename when you answer \"rename table\" at its prompt; \
                 put the view in a custom migration generated right after it (`drizzle-kit \
                 generate --custom`), which `drizzle-kit migrate` applies in the same transaction, \
                 and keep the view out of the drizzle schema."
            }
            _ => "",
        };
        // The view takes the old name in the table's schema, over the renamed table.
        let renamed = QualifiedName::new(Some(&table.schema), new);
        let view = format!(
            "CREATE VIEW {} AS SELECT * FROM {}",
            table.to_sql(),
            renamed.to_sql()
        );
        let help = format!(
            "During a deploy the old release keeps running until the new one replaces it, and its \
             queries name `{old}`. Either keep a compatibility view: rename, and in the same \
             migration `{view};` (a simple view is \
             updatable, so old code can still read and write), then drop the view in a later \
             migration once no running code uses `{old}`. Or expand/contract: create `{new}`, \
             write to both (application or trigger), backfill, switch readers to `{new}`, and drop \
             `{old}` in a later migration.{tool}",
            old = table.name
        );
        let mut finding = ctx
            .finding(ctx.name_span(Some(rel.location), &rel.relname), message)
            .help(help);
        // The rename and the view, in the statement's place (one transaction is right for both);
        // after `IF EXISTS`, the table may not be there to view.
        if kind == "table"
            && !stmt.missing_ok
            && let Some(rename) = crate::parse::deparse(&ctx.statement.node)
        {
            finding = finding.suggest(ctx.in_place(Suggestion::instead([rename, view])));
        }
        out.push(finding);
    }
}
