//! `shadow-rewrite`: applied to the shadow database, a statement rewrote a table that existed
//! before its migration (its `pg_class.relfilenode` changed).

use pg_query::NodeEnum;

use crate::diagnostic::Finding;
use crate::engine::{Rule, TraceContext, declare_rule};

declare_rule! {
    pub struct ShadowRewrite {
        id: "shadow-rewrite",
        family: Shadow,
        severity: Warning,
        summary: "with --shadow: a statement rewrites an existing table (its relfilenode changed)",
    }
}

impl Rule for ShadowRewrite {
    fn check_trace(&self, ctx: &TraceContext, out: &mut Vec<Finding>) {
        for migration in &ctx.trace.migrations {
            let index = migration.migration;
            for traced in &migration.statements {
                // TRUNCATE swaps in an empty file; nothing is copied (see `truncate-table`).
                if matches!(
                    ctx.statement(index, traced.statement).node,
                    NodeEnum::TruncateStmt(_)
                ) {
                    continue;
                }
                for table in &traced.rewritten {
                    let span = ctx
                        .mention_span(index, traced.statement, &table.name)
                        .unwrap_or_else(|| ctx.first_token_span(index, traced.statement));
                    let message = format!(
                        "this statement rewrote existing table `{table}` (its relfilenode changed \
                         on {}): every row and index is copied while an ACCESS EXCLUSIVE lock \
                         blocks every read and write of it",
                        ctx.server
                    );
                    let help = "The rewrite takes as long as copying the whole table and needs \
                                room for a second copy. Avoid it: add a column without a volatile \
                                default and backfill it in batches; change a column's type by \
                                adding a new column, backfilling it and switching readers over; \
                                keep `VACUUM FULL` and `CLUSTER` out of migrations \
                                (pg_repack does the same online).";
                    out.push(ctx.finding(index, span, message).help(help));
                }
            }
        }
    }
}
