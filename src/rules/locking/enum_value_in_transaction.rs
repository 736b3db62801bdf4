//! `enum-value-in-transaction`: `ALTER TYPE ... ADD VALUE` inside a transaction. Before
//! PostgreSQL 12 the statement itself fails there; from 12 on it runs, but the new value cannot
//! be used until the transaction commits, so a later statement of the same transaction that uses
//! it fails.

use std::ops::Range;

use pg_query::NodeEnum;
use pg_query::protobuf::AlterEnumStmt;

use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::{self, LexemeKind, Statement, ast};
use crate::rules::support::advice::{self, py_str};
use crate::source::SourceKind;

declare_rule! {
    pub struct EnumValueInTransaction {
        id: "enum-value-in-transaction",
        family: Locking,
        severity: Error,
        summary: "ALTER TYPE ... ADD VALUE in a transaction (before PG 12), or its new value used before commit",
    }
}

/// PostgreSQL 12 allowed `ALTER TYPE ... ADD VALUE` inside a transaction block.
const ADD_VALUE_IN_TRANSACTION_SINCE: u32 = 12;

impl Rule for EnumValueInTransaction {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let statement = ctx.statement;
        if !statement.in_transaction && !statement.in_do_block {
            return;
        }
        if ctx.migration.config.pg_version < ADD_VALUE_IN_TRANSACTION_SINCE {
            if let NodeEnum::AlterEnumStmt(stmt) = &statement.node
                && let Some(value) = added_value(stmt)
            {
                check_add_before_12(ctx, stmt, value, out);
            }
            return;
        }
        if matches!(
            statement.node,
            NodeEnum::AlterEnumStmt(_) | NodeEnum::CreateEnumStmt(_) | NodeEnum::CommentStmt(_)
        ) {
            return;
        }
        check_use(ctx, out);
    }
}

/// The value an `ALTER TYPE ... ADD VALUE` adds (not `RENAME VALUE`).
fn added_value(stmt: &AlterEnumStmt) -> Option<&str> {
    (stmt.old_val.is_empty() && !stmt.new_val.is_empty()).then_some(stmt.new_val.as_str())
}

/// The enum's name without schema.
fn type_name(stmt: &AlterEnumStmt) -> &str {
    ast::strings(&stmt.type_name).last().copied().unwrap_or("")
}

/// The span of the first string constant with `value` in the statement.
fn literal_span(ctx: &StatementContext, value: &str) -> Option<Range<usize>> {
    let start = ctx.statement.span.start;
    parse::lex(ctx.statement_text())
        .into_iter()
        .find(|lexeme| lexeme.string_value().as_deref() == Some(value))
        .map(|lexeme| start + lexeme.span.start..start + lexeme.span.end)
}

fn check_add_before_12(
    ctx: &StatementContext,
    stmt: &AlterEnumStmt,
    value: &str,
    out: &mut Vec<Finding>,
) {
    let enum_name = type_name(stmt);
    // Before 12, adding to a type created in the same transaction was allowed.
    let created_here = ctx
        .type_changes_earlier_in_transaction()
        .any(|(_, earlier)| {
            matches!(&earlier.node, NodeEnum::CreateEnumStmt(create)
            if ast::strings(&create.type_name).last().copied() == Some(enum_name))
        });
    if created_here {
        return;
    }
    let pg_version = ctx.migration.config.pg_version;
    let message = if ctx.statement.in_transaction {
        format!(
            "`ALTER TYPE ... ADD VALUE` cannot run inside a transaction block before PostgreSQL \
             12 (`pg_version` is {pg_version}), and {}: the migration fails",
            advice::transaction_reason(ctx)
        )
    } else {
        format!(
            "`ALTER TYPE ... ADD VALUE` cannot be executed from a function before PostgreSQL 12 \
             (`pg_version` is {pg_version}), and this one is inside a DO block: the migration fails"
        )
    };
    let op = format!("op.execute({})", py_str(ctx.statement_text()));
    let help = format!(
        "{} PostgreSQL 12 and later accept it in a transaction.",
        advice::outside_transaction(ctx, "ALTER TYPE ... ADD VALUE", &op)
    );
    let span = literal_span(ctx, value).unwrap_or_else(|| ctx.name_span(None, enum_name));
    out.push(ctx.finding(span, message).help(help));
}

fn check_use(ctx: &StatementContext, out: &mut Vec<Finding>) {
    // Values added earlier in the transaction; only then is the statement's text worth a scan.
    let added: Vec<(usize, &Statement, &AlterEnumStmt, &str)> = ctx
        .type_changes_earlier_in_transaction()
        .filter_map(|(migration, earlier)| match &earlier.node {
            NodeEnum::AlterEnumStmt(stmt) => Some((migration, earlier, stmt, added_value(stmt)?)),
            _ => None,
        })
        .collect();
    if added.is_empty() {
        return;
    }
    let lexemes = parse::lex(ctx.statement_text());
    let literals: Vec<(String, Range<usize>)> = lexemes
        .iter()
        .filter(|lexeme| lexeme.kind == LexemeKind::String)
        .filter_map(|lexeme| Some((lexeme.string_value()?, lexeme.span.clone())))
        .collect();
    if literals.is_empty() {
        return;
    }
    let names: Vec<String> = lexemes.iter().filter_map(|lexeme| lexeme.name()).collect();
    let mut reported: Vec<&str> = Vec::new();
    for (migration, earlier, stmt, value) in added {
        if reported.contains(&value) {
            continue;
        }
        let Some((_, span)) = literals.iter().find(|(literal, _)| literal == value) else {
            continue;
        };
        let enum_name = type_name(stmt);
        if !uses_enum(ctx, &names, enum_name) {
            continue;
        }
        reported.push(value);
        let start = ctx.statement.span.start;
        let span = start + span.start..start + span.end;
        out.push(
            ctx.finding(span, message(ctx, value, enum_name, migration, earlier))
                .help(help(ctx, migration)),
        );
    }
}

/// Whether the statement involves the enum: names the type (a cast, a column definition, or a
/// column named like the type), or writes to a table with a column of that type.
fn uses_enum(ctx: &StatementContext, names: &[String], enum_name: &str) -> bool {
    if names.iter().any(|name| name == enum_name) {
        return true;
    }
    ctx.targets.iter().any(|target| {
        ctx.catalog.table(&target.table).is_some_and(|table| {
            table.columns.iter().any(|column| {
                let base = column.type_name.trim_end_matches("[]");
                base.rsplit('.').next() == Some(enum_name)
            })
        })
    })
}

fn message(
    ctx: &StatementContext,
    value: &str,
    enum_name: &str,
    migration: usize,
    earlier: &Statement,
) -> String {
    let where_added = if migration == ctx.migration.index {
        if earlier.in_do_block && !earlier.in_transaction {
            "earlier in this DO block".to_owned()
        } else {
            "earlier in this migration".to_owned()
        }
    } else {
        format!(
            "by migration `{}`",
            ctx.migration.set.migrations[migration].name
        )
    };
    format!(
        "enum value '{value}' was added to `{enum_name}` {where_added}, in the same transaction; \
         PostgreSQL refuses to use a new enum value before that transaction commits (\"unsafe use \
         of new value\"): the migration fails"
    )
}

fn help(ctx: &StatementContext, migration: usize) -> String {
    if ctx.statement.in_do_block && !ctx.statement.in_transaction {
        return "The DO block runs as one transaction: run the `ADD VALUE` as a statement of its \
                own before the block, or use the value after the block."
            .to_owned();
    }
    match ctx.migration.migration.kind() {
        SourceKind::Drizzle => {
            let fix = if migration == ctx.migration.index {
                "Move the statement that uses the value to a new migration, and deploy the one \
                 that adds the value (run drizzle-kit migrate) before it."
            } else {
                "Deploy the migration that adds the value (run drizzle-kit migrate) before the one \
                 that uses it."
            };
            format!(
                "drizzle-kit migrate runs all pending migrations in one transaction, so the value \
                 is usable only in a later `drizzle-kit migrate` run. {fix}"
            )
        }
        SourceKind::Alembic => "Commit the new value before using it: run the `ADD VALUE` in \
             `with op.get_context().autocommit_block():` (it commits at once), or use the value in \
             a later revision and run each revision in its own transaction \
             (`context.configure(..., transaction_per_migration=True)` in env.py)."
            .to_owned(),
        SourceKind::Plain => "Commit the new value before using it: `COMMIT;` after the `ADD \
             VALUE` (and `BEGIN;` again if needed), or use the value in a later file."
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::EnumValueInTransaction;
    use crate::rules::testing::{lint, pg};

    const ADD_AND_USE: &str = "CREATE TABLE app_checkins (id int, mood mood);\nBEGIN;\n\
        ALTER TYPE mood ADD VALUE 'calm';\nINSERT INTO app_checkins VALUES (1, 'calm');\nCOMMIT;\n";

    #[test]
    fn before_12_the_add_itself_fails_in_a_transaction() {
        let found = lint(
            &[("0001.sql", ADD_AND_USE)],
            &pg(11),
            EnumValueInTransaction::ID,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("before PostgreSQL 12"),
            "{}",
            found[0].message
        );
        assert_eq!(&ADD_AND_USE[found[0].span.clone()], "'calm'");
        assert!(ADD_AND_USE[..found[0].span.start].ends_with("ADD VALUE "));
    }

    #[test]
    fn before_12_a_type_created_in_the_same_transaction_may_grow() {
        let sql = "BEGIN;\nCREATE TYPE mood AS ENUM ('happy');\nALTER TYPE mood ADD VALUE 'calm';\nCOMMIT;\n";
        assert!(lint(&[("0001.sql", sql)], &pg(11), EnumValueInTransaction::ID).is_empty());
        let outside = "ALTER TYPE mood ADD VALUE 'calm';\n";
        assert!(
            lint(
                &[("0001.sql", outside)],
                &pg(11),
                EnumValueInTransaction::ID
            )
            .is_empty()
        );
    }

    #[test]
    fn from_12_only_the_use_fails() {
        let found = lint(
            &[("0001.sql", ADD_AND_USE)],
            &pg(12),
            EnumValueInTransaction::ID,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("unsafe use"),
            "{}",
            found[0].message
        );
        assert!(ADD_AND_USE[..found[0].span.start].ends_with("VALUES (1, "));
    }
}
