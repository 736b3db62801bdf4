//! `invalid-on-partitioned-table`: a statement in a form PostgreSQL refuses on a partitioned
//! table (or its index), so the migration fails: `CREATE INDEX CONCURRENTLY` on the parent,
//! `DROP INDEX CONCURRENTLY` of the parent's index, and (before PostgreSQL 18) a foreign key
//! added `NOT VALID`.

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableType, ConstrType, ObjectType};

use crate::catalog::QualifiedName;
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;
use crate::rules::support::advice;

declare_rule! {
    pub struct InvalidOnPartitionedTable {
        id: "invalid-on-partitioned-table",
        family: Locking,
        severity: Error,
        summary: "CREATE/DROP INDEX CONCURRENTLY or a NOT VALID foreign key on a partitioned table: PostgreSQL refuses it",
    }
}

/// PostgreSQL 18 accepts `NOT VALID` foreign keys on partitioned tables.
const NOT_VALID_FOREIGN_KEY_SINCE: u32 = 18;

impl Rule for InvalidOnPartitionedTable {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        match &ctx.statement.node {
            NodeEnum::IndexStmt(stmt) if stmt.concurrent => {
                let Some(rel) = &stmt.relation else {
                    return;
                };
                let table = crate::catalog::range_var(rel);
                if !ctx.catalog.is_partitioned(&table) {
                    return;
                }
                let span = ctx
                    .keyword_span("CONCURRENTLY")
                    .unwrap_or_else(|| ctx.first_token_span());
                let message = format!(
                    "`CREATE INDEX CONCURRENTLY` on partitioned table `{table}`: PostgreSQL \
                     refuses it (\"cannot create index on partitioned table concurrently\") and \
                     the migration fails"
                );
                out.push(advice::partitioned_index_finding(
                    ctx.finding(span, message),
                    ctx,
                    &ast_without_concurrently(stmt),
                    &table,
                ));
            }
            NodeEnum::DropStmt(stmt)
                if stmt.concurrent && stmt.remove_type == ObjectType::ObjectIndex as i32 =>
            {
                for object in &stmt.objects {
                    let Some(index) = ast::qualified_name(object)
                        .and_then(|parts| QualifiedName::from_parts(&parts))
                    else {
                        continue;
                    };
                    let Some(known) = ctx.catalog.index(&index) else {
                        continue;
                    };
                    if !ctx.catalog.is_partitioned(&known.table) {
                        continue;
                    }
                    let message = format!(
                        "`DROP INDEX CONCURRENTLY` of `{index}`, an index of partitioned table \
                         `{}`: PostgreSQL refuses it (\"cannot drop partitioned index \
                         concurrently\") and the migration fails",
                        known.table
                    );
                    let help = format!(
                        "A partitioned index can only be dropped with a plain `DROP INDEX {}`, \
                         which drops the partitions' indexes with it (they cannot be dropped on \
                         their own while attached) and takes ACCESS EXCLUSIVE on `{}` and every \
                         partition until it is done. The drop itself is quick: set a short \
                         `lock_timeout` first so that it gives up instead of queueing every \
                         query behind it, and run it when the table is quiet.",
                        index.to_sql(),
                        known.table
                    );
                    out.push(
                        ctx.finding(ctx.name_span(None, &index.name), message)
                            .help(help)
                            .suggest(Suggestion::instead([format!(
                                "DROP INDEX {}",
                                index.to_sql()
                            )])),
                    );
                }
            }
            NodeEnum::AlterTableStmt(stmt)
                if ctx.migration.config.pg_version < NOT_VALID_FOREIGN_KEY_SINCE =>
            {
                let Some(rel) = &stmt.relation else {
                    return;
                };
                let table = crate::catalog::range_var(rel);
                if !ctx.catalog.is_partitioned(&table) {
                    return;
                }
                for (kind, cmd) in ast::alter_table_cmds(stmt) {
                    let Some(NodeEnum::Constraint(constraint)) =
                        cmd.def.as_deref().and_then(|def| def.node.as_ref())
                    else {
                        continue;
                    };
                    if kind != AlterTableType::AtAddConstraint
                        || ast::constraint_type(constraint) != ConstrType::ConstrForeign
                        || !constraint.skip_validation
                    {
                        continue;
                    }
                    out.push(not_valid_foreign_key(ctx, &table, constraint));
                }
            }
            _ => {}
        }
    }
}

fn ast_without_concurrently(stmt: &pg_query::protobuf::IndexStmt) -> pg_query::protobuf::IndexStmt {
    pg_query::protobuf::IndexStmt {
        concurrent: false,
        ..stmt.clone()
    }
}

fn not_valid_foreign_key(
    ctx: &StatementContext,
    table: &QualifiedName,
    constraint: &pg_query::protobuf::Constraint,
) -> Finding {
    let pg_version = ctx.migration.config.pg_version;
    let named = (!constraint.conname.is_empty()).then_some(constraint.conname.as_str());
    let span = ctx.constraint_span(constraint.location, named);
    let message = format!(
        "foreign key added `NOT VALID` to partitioned table `{table}`: PostgreSQL {pg_version} \
         (`pg_version`) refuses it (\"cannot add NOT VALID foreign key on partitioned table\"; \
         18 accepts it) and the migration fails"
    );
    let statements = advice::partitioned_foreign_key_statements(ctx.catalog, table, constraint);
    let steps = advice::here(statements.as_deref());
    let help = format!(
        "Add the key to each partition instead, `NOT VALID`, and `VALIDATE CONSTRAINT` it there \
         (each partition is a plain table: writes go on while it scans); then add it to \
         `{table}` without `NOT VALID`: PostgreSQL takes over the partitions' validated keys \
         without checking a row again, so the lock it holds is brief.{steps}"
    );
    let finding = ctx.finding(span, message).help(help);
    match statements {
        Some(statements) => finding.suggest(Suggestion::instead(statements)),
        None => finding,
    }
}
