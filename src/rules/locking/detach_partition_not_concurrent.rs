//! `detach-partition-not-concurrent`: `ALTER TABLE ... DETACH PARTITION` without `CONCURRENTLY`
//! on an existing partitioned table takes ACCESS EXCLUSIVE on it.

use pg_query::NodeEnum;
use pg_query::protobuf::AlterTableType;

use crate::catalog::range_var;
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;
use crate::rules::support::advice;

declare_rule! {
    pub struct DetachPartitionNotConcurrent {
        id: "detach-partition-not-concurrent",
        family: Locking,
        severity: Warning,
        summary: "DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on an existing partitioned table",
    }
}

/// `DETACH PARTITION ... CONCURRENTLY` arrived in PostgreSQL 14.
const CONCURRENT_DETACH_SINCE: u32 = 14;

impl Rule for DetachPartitionNotConcurrent {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::AlterTableStmt(stmt) = &ctx.statement.node else {
            return;
        };
        let Some(rel) = &stmt.relation else {
            return;
        };
        let table = range_var(rel);
        if !ctx.is_existing_table(&table) {
            return;
        }
        for (kind, cmd) in ast::alter_table_cmds(stmt) {
            let Some(NodeEnum::PartitionCmd(partition)) =
                cmd.def.as_deref().and_then(|def| def.node.as_ref())
            else {
                continue;
            };
            if kind != AlterTableType::AtDetachPartition || partition.concurrent {
                continue;
            }
            let Some(part) = partition.name.as_ref() else {
                continue;
            };
            let part = range_var(part);
            let span = ctx.name_span(partition.name.as_ref().map(|p| p.location), &part.name);
            let message = format!(
                "`DETACH PARTITION` `{part}` takes an ACCESS EXCLUSIVE lock on partitioned table \
                 `{table}`: every read and write of it waits until the detach is done"
            );
            let pg_version = ctx.migration.config.pg_version;
            let mut finding = ctx.finding(span, message);
            if pg_version >= CONCURRENT_DETACH_SINCE {
                let sql = format!(
                    "ALTER TABLE {} DETACH PARTITION {} CONCURRENTLY",
                    table.to_sql(),
                    part.to_sql()
                );
                let help = format!(
                    "Use `{sql}`: it takes only SHARE UPDATE EXCLUSIVE on `{table}` (reads and \
                     writes go on) and waits for the queries that use the partition. It cannot \
                     run inside a transaction block, nor while `{table}` has a DEFAULT \
                     partition; if it is interrupted, finish it with `ALTER TABLE {} DETACH \
                     PARTITION {} FINALIZE`. {}",
                    table.to_sql(),
                    part.to_sql(),
                    advice::outside_transaction(
                        ctx,
                        &sql,
                        &format!("op.execute({})", advice::py_str(&sql))
                    )
                );
                finding = finding.help(help).suggest(Suggestion::instead([sql]));
            } else {
                finding = finding.help(format!(
                    "PostgreSQL {pg_version} (`pg_version`) has no `DETACH PARTITION ... \
                     CONCURRENTLY` (it came in 14): the plain detach is the only form. It is \
                     quick once it has the lock: set a short `lock_timeout` first, so that it \
                     gives up instead of queueing every query on `{table}` behind it, and run it \
                     when the table is quiet."
                ));
            }
            out.push(finding);
        }
    }
}
