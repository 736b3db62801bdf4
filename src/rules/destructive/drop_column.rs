//! `drop-column`: `ALTER TABLE ... DROP COLUMN` on a table that existed before the migration,
//! and the columns `DROP TYPE`, `DROP DOMAIN` or `DROP EXTENSION` with `CASCADE` take with them,
//! or `DROP FUNCTION ... CASCADE` (the generated columns computed with the function, and the
//! defaults, CHECK constraints and indexes that call it).

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableCmd, AlterTableType, DropBehavior, ObjectType};

use crate::catalog::{DEFAULT_SCHEMA, QualifiedName, dropped_functions, range_var};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;
use crate::rules::support::alter_table::existing_table_actions;
use crate::rules::support::{advice, renames};
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
        check_dropped_functions(ctx, out);
        for action in existing_table_actions(ctx) {
            if action.kind != AlterTableType::AtDropColumn {
                continue;
            }
            let table = &action.table;
            let column = &action.cmd.name;
            // A column this migration added holds no data yet, and no running code knows it.
            if ctx.column_added_here(table, column).is_some() {
                continue;
            }
            // The running release knows the table and column by the names they had before
            // this migration, which may have renamed (or swapped) them.
            let (old_table, old_columns) =
                renames::names_before_migration(ctx, table, &[column.as_str()]);
            let used = &old_columns[0];
            let renamed = old_table != *table || used != column;
            let was = if old_table != *table {
                format!(" (`{old_table}.{used}` before this migration renamed it)")
            } else if renamed {
                format!(" (`{used}` before this migration renamed it)")
            } else {
                String::new()
            };
            let message = format!(
                "`DROP COLUMN` deletes column `{column}`{was} of existing table `{table}` and its \
                 data"
            );
            if let Some(replacement) = replaced_later(ctx, table, column) {
                let help = format!(
                    "Expand/contract: this migration then gives the name `{column}` to {replacement}. \
                     The release that is still running during the deploy keeps naming `{used}`: \
                     after the migration its queries read and write the new column, whose values \
                     (and type) are not the old ones, and the old column's data is gone. Add the \
                     new column under a name of its own, move the code to it and deploy that, and \
                     drop the old column once no running instance uses it, in a later migration."
                );
                out.push(
                    ctx.finding(ctx.name_span_after(action.span.start, column), message)
                        .help(help),
                );
                continue;
            }
            let (remove, later) = match ctx.migration.migration.kind() {
                SourceKind::Drizzle => (
                    format!(
                        "remove `{used}` from the drizzle schema and from all application code, and \
                         deploy that release without this migration (drizzle-orm names only the \
                         schema's columns in its queries, so the new code neither reads nor writes it)"
                    ),
                    "generate the DROP COLUMN in a later migration",
                ),
                SourceKind::Alembic => (
                    format!(
                        "remove `{used}` from the SQLAlchemy model and from all application code, \
                         and deploy that release without this revision"
                    ),
                    "drop the column in a later revision",
                ),
                SourceKind::Plain => (
                    format!(
                        "stop reading and writing `{used}` in application code, and deploy that"
                    ),
                    "drop the column in a later migration",
                ),
            };
            // A key column stays NOT NULL: PostgreSQL refuses to drop that. NOT NULL set by
            // this migration is not there for the first step, which runs without it.
            let required = ctx.catalog.table(table).is_some_and(|t| {
                t.column(column)
                    .is_some_and(|c| c.not_null && !c.has_default)
                    && t.primary_key()
                        .is_none_or(|key| !key.columns.contains(column))
            }) && !set_not_null_earlier(ctx, &[table, &old_table], &[column, used]);
            // Making it nullable, the first step's change to the schema, with the names the
            // first step sees.
            let nullable = required
                .then(|| {
                    advice::alter_table_sql_on(
                        ctx,
                        &old_table,
                        vec![AlterTableCmd {
                            subtype: AlterTableType::AtDropNotNull as i32,
                            name: used.clone(),
                            behavior: DropBehavior::DropRestrict as i32,
                            ..AlterTableCmd::default()
                        }],
                    )
                })
                .flatten();
            let required_note = match &nullable {
                Some(sql) => format!(
                    " `{used}` is NOT NULL without a default: make it nullable (`{sql};`) in \
                     the first step, or the new code's inserts fail."
                ),
                None => String::new(),
            };
            let help = format!(
                "Expand/contract: the release that is still running during the deploy uses \
                 `{used}`, and its queries fail as soon as the column is gone. 1. First {remove}. \
                 2. Once no running instance uses it, {later}.{required_note}"
            );
            let finding = ctx
                .finding(ctx.name_span_after(action.span.start, column), message)
                .help(help);
            // Right before this statement the names are the renamed ones: the suggestion is
            // the first step's statement only when the migration renamed nothing.
            out.push(match nullable {
                Some(sql) if !renamed => finding.suggest(Suggestion::before([sql])),
                _ => finding,
            });
        }
    }
}

/// Whether a statement of the migration before this one sets NOT NULL on the column, named on
/// one of `tables` as one of `columns` (its names before and after the migration's renames).
fn set_not_null_earlier(
    ctx: &StatementContext,
    tables: &[&QualifiedName],
    columns: &[&String],
) -> bool {
    ctx.earlier_in_migration()
        .iter()
        .any(|statement| match &statement.node {
            NodeEnum::AlterTableStmt(stmt) => {
                stmt.relation
                    .as_ref()
                    .is_some_and(|relation| tables.contains(&&range_var(relation)))
                    && ast::alter_table_cmds(stmt).any(|(subtype, cmd)| {
                        subtype == AlterTableType::AtSetNotNull
                            && columns.iter().any(|column| **column == cmd.name)
                    })
            }
            _ => false,
        })
}

/// What a later statement of the migration gives `column`'s name on `table` to, once the
/// column is dropped: another column renamed to it, or a column added under it.
fn replaced_later(ctx: &StatementContext, table: &QualifiedName, column: &str) -> Option<String> {
    ctx.later_in_migration()
        .iter()
        .find_map(|statement| match &statement.node {
            NodeEnum::RenameStmt(stmt)
                if stmt.rename_type == ObjectType::ObjectColumn as i32
                    && stmt.newname == column
                    && stmt
                        .relation
                        .as_ref()
                        .is_some_and(|r| range_var(r) == *table) =>
            {
                Some(format!("column `{}` (renamed to `{column}`)", stmt.subname))
            }
            NodeEnum::AlterTableStmt(stmt)
                if stmt
                    .relation
                    .as_ref()
                    .is_some_and(|r| range_var(r) == *table) =>
            {
                ast::alter_table_cmds(stmt).find_map(|(subtype, cmd)| {
                    match cmd.def.as_ref().and_then(|def| def.node.as_ref()) {
                        Some(NodeEnum::ColumnDef(def))
                            if subtype == AlterTableType::AtAddColumn && def.colname == column =>
                        {
                            Some(format!("a new column (`ADD COLUMN {column}`)"))
                        }
                        _ => None,
                    }
                })
            }
            _ => None,
        })
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

/// `DROP FUNCTION` (or `DROP ROUTINE`) with `CASCADE` drops every stored generated column
/// computed with the function, and the defaults, CHECK constraints and indexes that call it, on
/// tables that existed before the migration: reported at the function's name, naming each.
fn check_dropped_functions(ctx: &StatementContext, out: &mut Vec<Finding>) {
    let NodeEnum::DropStmt(stmt) = &ctx.statement.node else {
        return;
    };
    if stmt.behavior != DropBehavior::DropCascade as i32
        || !matches!(
            ObjectType::try_from(stmt.remove_type),
            Ok(ObjectType::ObjectFunction | ObjectType::ObjectRoutine)
        )
    {
        return;
    }
    for function in dropped_functions(stmt) {
        let (mut columns, mut also): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        for (table_name, table) in &ctx.catalog.tables {
            if !ctx.is_existing_table(table_name) {
                continue;
            }
            for column in table.columns.iter().filter(|c| c.calls.contains(&function)) {
                if column.generated {
                    columns.push(format!("`{table_name}.{}`", column.name));
                } else {
                    also.push(format!("the default of `{table_name}.{}`", column.name));
                }
            }
            for constraint in table
                .constraints
                .iter()
                .filter(|c| c.calls.contains(&function))
            {
                also.push(format!(
                    "constraint `{}` of `{table_name}`",
                    constraint.name_on(table_name)
                ));
            }
            for index in ctx.catalog.indexes_on(table_name) {
                if index.calls.contains(&function) {
                    also.push(format!("index `{}`", index.name.name));
                }
            }
        }
        let message = match (columns.len(), also.is_empty()) {
            (0, true) => continue,
            (0, false) => format!(
                "`DROP FUNCTION {function} CASCADE` drops what existing tables use it for: {}",
                also.join(", ")
            ),
            (n, _) => {
                let also = if also.is_empty() {
                    String::new()
                } else {
                    format!("; with them {}", also.join(", "))
                };
                format!(
                    "`DROP FUNCTION {function} CASCADE` drops existing generated {} computed with \
                     it, and {} data: {}{also}",
                    if n == 1 { "column" } else { "columns" },
                    if n == 1 { "its" } else { "their" },
                    columns.join(", ")
                )
            }
        };
        let help = format!(
            "CASCADE removes every generated column, default, CHECK constraint and index that \
             calls `{function}` (and the triggers and views that use it), with no other warning \
             than a NOTICE: an insert that leaves out a column that lost its default stores NULL \
             (or fails on NOT NULL), a lost CHECK no longer guards new rows, and queries that used \
             a lost index scan the table. To replace the function, `CREATE OR REPLACE FUNCTION` \
             (same arguments and return type) keeps what depends on it. To retire it, change \
             what uses it first (a generated column in its own expand/contract step, see \
             drop-column: the release still running during the deploy reads it); then drop the \
             function without CASCADE, so that PostgreSQL refuses if anything still depends on \
             it."
        );
        out.push(
            ctx.finding(ctx.name_span(None, &function.name), message)
                .help(help),
        );
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
