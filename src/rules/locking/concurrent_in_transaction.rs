//! `concurrent-in-transaction`: a statement PostgreSQL refuses inside a transaction block (or a
//! function) runs in one, so the migration fails.

use std::ops::Range;

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableType, DropStmt, IndexStmt, ObjectType, ReindexObjectType};

use crate::catalog::QualifiedName;
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;
use crate::rules::support::advice::{self, py_str};
use crate::source::SourceKind;

declare_rule! {
    pub struct ConcurrentInTransaction {
        id: "concurrent-in-transaction",
        family: Locking,
        severity: Error,
        summary: "CONCURRENTLY, VACUUM, CREATE DATABASE and the like inside a transaction: the migration fails",
    }
}

/// A statement that cannot run in a transaction block: how PostgreSQL names it, where to point,
/// and the Alembic operation that runs it.
struct Refused {
    what: String,
    span: Range<usize>,
    alembic: String,
    /// The index's table is created in this same migration.
    new_table: bool,
}

impl Rule for ConcurrentInTransaction {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let statement = ctx.statement;
        if !statement.in_transaction && !statement.in_do_block {
            return;
        }
        let Some(refused) = refused(ctx) else {
            return;
        };
        let what = &refused.what;
        let message = if statement.in_transaction {
            format!(
                "`{what}` cannot run inside a transaction block, and {}: the migration fails",
                advice::transaction_reason(ctx)
            )
        } else {
            format!(
                "`{what}` cannot be executed from a function, and this one is inside a DO block: \
                 the migration fails"
            )
        };
        let mut help = String::new();
        if statement.in_do_block {
            help.push_str("Move it out of the DO block: PostgreSQL refuses it in any function. ");
        }
        if statement.in_transaction {
            help.push_str(&advice::outside_transaction(ctx, what, &refused.alembic));
        }
        // On a table nobody uses yet, the statement without CONCURRENTLY runs where it is.
        let plain = if refused.new_table {
            without_concurrently(&statement.node)
        } else {
            None
        };
        if refused.new_table {
            help = match &plain {
                Some(plain) => format!(
                    "The table is created in this same migration, so nobody uses it yet: drop \
                     CONCURRENTLY (`{plain}`)."
                ),
                None => "The table is created in this same migration, so nobody uses it yet: \
                         drop CONCURRENTLY."
                    .to_owned(),
            };
        } else if ctx.migration.migration.kind() == SourceKind::Drizzle
            && matches!(&statement.node, NodeEnum::IndexStmt(_))
        {
            help.push_str(
                " Or drop CONCURRENTLY and accept the SHARE lock if the table is small \
                 (index-not-concurrent then asks for a reason).",
            );
        }
        let finding = ctx
            .finding(refused.span, message)
            .help(help.trim_end().to_owned());
        out.push(match plain {
            Some(plain) => finding.suggest(ctx.in_place(Suggestion::instead([plain]))),
            None => finding,
        });
    }
}

/// `CREATE INDEX` or `DROP INDEX` without CONCURRENTLY.
fn without_concurrently(node: &NodeEnum) -> Option<String> {
    match node {
        NodeEnum::IndexStmt(stmt) => {
            crate::parse::deparse(&NodeEnum::IndexStmt(Box::new(IndexStmt {
                concurrent: false,
                ..(**stmt).clone()
            })))
        }
        NodeEnum::DropStmt(stmt) => crate::parse::deparse(&NodeEnum::DropStmt(DropStmt {
            concurrent: false,
            ..stmt.clone()
        })),
        _ => None,
    }
}

fn refused(ctx: &StatementContext) -> Option<Refused> {
    let execute = |sql: &str| format!("op.execute({})", py_str(sql));
    // The command's words, from the statement's first token to the last word of `what`.
    let whole = |what: &str| {
        let first = ctx.first_token_span();
        let last_word = what.rsplit(' ').next().unwrap_or(what);
        let span = match ctx.keyword_span(last_word) {
            Some(last) if last.start >= first.start => first.start..last.end,
            _ => first,
        };
        Refused {
            what: what.to_owned(),
            span,
            alembic: execute(ctx.statement_text()),
            new_table: false,
        }
    };
    let concurrently = |what: &str, alembic: String, table: Option<&QualifiedName>| Refused {
        what: what.to_owned(),
        span: ctx
            .keyword_span("concurrently")
            .unwrap_or_else(|| ctx.first_token_span()),
        alembic,
        new_table: table.is_some_and(|table| !ctx.is_existing_table(table)),
    };
    Some(match &ctx.statement.node {
        NodeEnum::IndexStmt(stmt) if stmt.concurrent => {
            let table = stmt.relation.as_ref().map_or_else(
                || QualifiedName::new(None, ""),
                |rel| {
                    let (schema, name) = ast::range_var_name(rel);
                    QualifiedName::new(schema, name)
                },
            );
            concurrently(
                "CREATE INDEX CONCURRENTLY",
                advice::alembic_create_index(stmt, &table),
                Some(&table),
            )
        }
        NodeEnum::DropStmt(stmt)
            if stmt.concurrent && stmt.remove_type == ObjectType::ObjectIndex as i32 =>
        {
            let index = stmt
                .objects
                .first()
                .and_then(ast::qualified_name)
                .and_then(|parts| QualifiedName::from_parts(&parts));
            let table = index
                .as_ref()
                .and_then(|index| ctx.catalog.index(index))
                .map(|known| known.table.clone());
            let alembic = match &index {
                Some(index) => advice::alembic_drop_index(index, table.as_ref()),
                None => execute(ctx.statement_text()),
            };
            concurrently("DROP INDEX CONCURRENTLY", alembic, table.as_ref())
        }
        NodeEnum::ReindexStmt(stmt) => {
            if ast::option_enabled(&stmt.params, "concurrently") {
                concurrently("REINDEX CONCURRENTLY", execute(ctx.statement_text()), None)
            } else {
                match ReindexObjectType::try_from(stmt.kind).ok()? {
                    ReindexObjectType::ReindexObjectSchema => whole("REINDEX SCHEMA"),
                    ReindexObjectType::ReindexObjectDatabase => whole("REINDEX DATABASE"),
                    ReindexObjectType::ReindexObjectSystem => whole("REINDEX SYSTEM"),
                    _ => return None,
                }
            }
        }
        NodeEnum::VacuumStmt(stmt) if stmt.is_vacuumcmd => whole("VACUUM"),
        // CLUSTER without a table re-clusters every table clustered before.
        NodeEnum::ClusterStmt(stmt) if stmt.relation.is_none() => whole("CLUSTER"),
        NodeEnum::CreatedbStmt(_) => whole("CREATE DATABASE"),
        NodeEnum::DropdbStmt(_) => whole("DROP DATABASE"),
        NodeEnum::AlterDatabaseStmt(stmt)
            if stmt.options.iter().any(|option| {
                matches!(option.node.as_ref(), Some(NodeEnum::DefElem(d)) if d.defname == "tablespace")
            }) =>
        {
            whole("ALTER DATABASE SET TABLESPACE")
        }
        NodeEnum::CreateTableSpaceStmt(_) => whole("CREATE TABLESPACE"),
        NodeEnum::DropTableSpaceStmt(_) => whole("DROP TABLESPACE"),
        NodeEnum::AlterSystemStmt(_) => whole("ALTER SYSTEM"),
        NodeEnum::AlterTableStmt(stmt)
            if stmt.cmds.iter().any(|cmd| {
                matches!(cmd.node.as_ref(), Some(NodeEnum::AlterTableCmd(cmd))
                    if cmd.subtype == AlterTableType::AtDetachPartition as i32
                        && matches!(cmd.def.as_deref().and_then(|d| d.node.as_ref()),
                            Some(NodeEnum::PartitionCmd(p)) if p.concurrent))
            }) =>
        {
            concurrently(
                "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY",
                execute(ctx.statement_text()),
                None,
            )
        }
        _ => return None,
    })
}
