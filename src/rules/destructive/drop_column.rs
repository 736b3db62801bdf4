//! `drop-column`: `ALTER TABLE ... DROP COLUMN` on a table that existed before the migration,
//! and the columns `DROP TYPE`, `DROP DOMAIN` or `DROP EXTENSION` with `CASCADE` take with them.

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableCmd, AlterTableType, DropBehavior, ObjectType};

use crate::catalog::{DEFAULT_SCHEMA, QualifiedName};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;
use crate::rules::support::advice;
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
        check_dropped_types(ctx, out);
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
            // A key column stays NOT NULL: PostgreSQL refuses to drop that.
            let required = ctx.catalog.table(table).is_some_and(|t| {
                t.column(column)
                    .is_some_and(|c| c.not_null && !c.has_default)
                    && t.primary_key()
                        .is_none_or(|key| !key.columns.contains(column))
            });
            // Making it nullable, the first step's change to the schema.
            let nullable = required
                .then(|| {
                    advice::alter_table_sql(
                        ctx,
                        vec![AlterTableCmd {
                            subtype: AlterTableType::AtDropNotNull as i32,
                            name: column.clone(),
                            behavior: DropBehavior::DropRestrict as i32,
                            ..AlterTableCmd::default()
                        }],
                    )
                })
                .flatten();
            let required_note = match &nullable {
                Some(sql) => format!(
                    " `{column}` is NOT NULL without a default: make it nullable (`{sql};`) in \
                     the first step, or the new code's inserts fail."
                ),
                None => String::new(),
            };
            let help = format!(
                "Expand/contract: the release that is still running during the deploy uses \
                 `{column}`, and its queries fail as soon as the column is gone. 1. First {remove}. \
                 2. Once no running instance uses it, {later}.{required_note}"
            );
            let finding = ctx
                .finding(ctx.name_span_after(action.span.start, column), message)
                .help(help);
            out.push(match nullable {
                Some(sql) => finding.suggest(Suggestion::before([sql])),
                None => finding,
            });
        }
    }
}

/// `DROP TYPE`, `DROP DOMAIN` or `DROP EXTENSION` with `CASCADE` drops every column of that type
/// (an extension's, its types'): each column of a table that existed before the migration is
/// reported at the name dropped, as a `DROP COLUMN` would be.
fn check_dropped_types(ctx: &StatementContext, out: &mut Vec<Finding>) {
    let NodeEnum::DropStmt(stmt) = &ctx.statement.node else {
        return;
    };
    if stmt.behavior != DropBehavior::DropCascade as i32 {
        return;
    }
    let kind = match ObjectType::try_from(stmt.remove_type) {
        Ok(ObjectType::ObjectType) => "TYPE",
        Ok(ObjectType::ObjectDomain) => "DOMAIN",
        Ok(ObjectType::ObjectExtension) => "EXTENSION",
        _ => return,
    };
    for object in &stmt.objects {
        let Some(parts) = ast::qualified_name(object) else {
            continue;
        };
        let dropped = parts.join(".");
        let types: Vec<String> = if kind == "EXTENSION" {
            extension_types(&dropped)
                .iter()
                .map(|name| (*name).to_owned())
                .collect()
        } else {
            vec![dropped.clone()]
        };
        let mut lost: Vec<(QualifiedName, String)> = Vec::new();
        for (table_name, table) in &ctx.catalog.tables {
            if !ctx.is_existing_table(table_name) {
                continue;
            }
            for column in &table.columns {
                if types.iter().any(|name| is_of_type(&column.type_name, name)) {
                    lost.push((table_name.clone(), column.name.clone()));
                }
            }
        }
        if lost.is_empty() {
            continue;
        }
        let listed: Vec<String> = lost
            .iter()
            .map(|(table, column)| format!("`{table}.{column}`"))
            .collect();
        let last = parts.last().copied().unwrap_or_default();
        let message = format!(
            "`DROP {kind} {dropped} CASCADE` drops existing {} and {} data: {}",
            if lost.len() == 1 { "column" } else { "columns" },
            if lost.len() == 1 { "its" } else { "their" },
            listed.join(", ")
        );
        let help = format!(
            "CASCADE removes every column whose type depends on `{dropped}`, with no other \
             warning than a NOTICE. Drop or convert those columns first, each in its own \
             expand/contract step (see drop-column): the release still running during the deploy \
             reads and writes them. Then drop the {} without CASCADE, so that PostgreSQL refuses \
             if anything still depends on it.",
            kind.to_lowercase()
        );
        out.push(ctx.finding(ctx.name_span(None, last), message).help(help));
    }
}

/// Whether a column of canonical type `column_type` (`mood`, `public.mood`, `mood[]`,
/// `varchar(10)`) is of type `name` (as `DROP` names it, schema-qualified or not).
fn is_of_type(column_type: &str, name: &str) -> bool {
    let base = column_type
        .split(['(', '['])
        .next()
        .unwrap_or(column_type)
        .trim();
    let bare = |spelled: &str| {
        spelled
            .strip_prefix(&format!("{DEFAULT_SCHEMA}."))
            .unwrap_or(spelled)
            .to_owned()
    };
    bare(base) == bare(name)
}

/// The column types the usual extensions create, which `DROP EXTENSION ... CASCADE` takes with it.
fn extension_types(extension: &str) -> &'static [&'static str] {
    match extension {
        "citext" => &["citext"],
        "hstore" => &["hstore"],
        "ltree" => &["ltree", "lquery", "ltxtquery"],
        "cube" => &["cube"],
        "postgis" => &["geometry", "geography", "box2d", "box3d"],
        "vector" => &["vector", "halfvec", "sparsevec"],
        "isn" => &[
            "ean13", "isbn", "isbn13", "ismn", "ismn13", "issn", "issn13", "upc",
        ],
        "seg" => &["seg"],
        _ => &[],
    }
}
