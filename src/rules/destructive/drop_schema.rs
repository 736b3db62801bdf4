//! `drop-schema`: a migration drops a schema it did not create, with everything in it.

use pg_query::NodeEnum;
use pg_query::protobuf::{DropBehavior, ObjectType};

use crate::catalog::{DRIZZLE_MIGRATIONS_TABLE, is_tracking_table};
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;

declare_rule! {
    pub struct DropSchema {
        id: "drop-schema",
        family: Destructive,
        severity: Error,
        summary: "DROP SCHEMA removes an existing schema (with CASCADE, every table in it)",
    }
}

impl Rule for DropSchema {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::DropStmt(stmt) = &ctx.statement.node else {
            return;
        };
        if stmt.remove_type != ObjectType::ObjectSchema as i32 {
            return;
        }
        let cascade = stmt.behavior == DropBehavior::DropCascade as i32;
        for object in &stmt.objects {
            let Some(schema) = ast::qualified_name(object).and_then(|p| p.last().copied()) else {
                continue;
            };
            if created_earlier_in_migration(ctx, schema) {
                continue;
            }
            let tables: Vec<String> = ctx
                .catalog
                .tables
                .keys()
                .filter(|t| t.schema == schema)
                .map(|t| format!("`{}`", t.name))
                .collect();
            let listed = format!(
                "{} {}",
                if tables.len() == 1 { "table" } else { "tables" },
                tables.join(", ")
            );
            let contents = match (cascade, tables.is_empty()) {
                (true, true) => " and every object in it (CASCADE)".to_owned(),
                (true, false) => format!(" and every object in it (CASCADE), including {listed}"),
                (false, true) => String::new(),
                (false, false) => format!("; without CASCADE it fails while {listed} remain in it"),
            };
            let message = format!("`DROP SCHEMA` removes existing schema `{schema}`{contents}");
            let tracking = ctx
                .catalog
                .tables
                .keys()
                .any(|t| t.schema == schema && is_tracking_table(t))
                || schema == "drizzle";
            let tracking_note = if tracking {
                format!(
                    " This schema holds migration bookkeeping (drizzle keeps `{DRIZZLE_MIGRATIONS_TABLE}` \
                     in `drizzle`): dropping it makes the tool re-run every migration."
                )
            } else {
                String::new()
            };
            let help = format!(
                "A schema is shared by everything in it, including objects other migration systems or \
                 the application created, and application code that still uses it fails at once. \
                 Drop the tables one by one in earlier migrations after the application stops using \
                 them (each reviewed on its own), keep a dump (`pg_dump --schema={schema}`), and drop \
                 the empty schema last, without CASCADE.{tracking_note}"
            );
            out.push(ctx.finding(ctx.name_span(None, schema), message).help(help));
        }
    }
}

/// Whether an earlier statement of the same migration created `schema` (so it holds nothing
/// older than this migration).
fn created_earlier_in_migration(ctx: &StatementContext, schema: &str) -> bool {
    ctx.migration
        .parsed
        .statements
        .iter()
        .take_while(|s| s.span.start < ctx.statement.span.start)
        .any(|s| matches!(&s.node, NodeEnum::CreateSchemaStmt(create) if create.schemaname == schema))
}
