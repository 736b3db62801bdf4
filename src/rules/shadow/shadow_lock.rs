//! `shadow-lock`: applied to the shadow database, a statement took a SHARE or stronger lock on
//! a table that existed before its migration (read from `pg_locks` before commit).

use crate::catalog::LockMode;
use crate::diagnostic::Finding;
use crate::engine::{Rule, TraceContext, declare_rule};
use crate::source::SourceKind;

declare_rule! {
    pub struct ShadowLock {
        id: "shadow-lock",
        family: Shadow,
        severity: Warning,
        summary: "with --shadow: a statement takes a SHARE or stronger lock on an existing table (seen in pg_locks)",
    }
}

impl Rule for ShadowLock {
    fn check_trace(&self, ctx: &TraceContext, out: &mut Vec<Finding>) {
        for migration in &ctx.trace.migrations {
            let index = migration.migration;
            let kind = ctx.set.migrations[index].kind();
            for traced in &migration.statements {
                let statement = ctx.statement(index, traced.statement);
                for (relation, mode) in &traced.locks {
                    if *mode < LockMode::Share || !matches!(relation.kind, 'r' | 'p' | 'm' | 'f') {
                        continue;
                    }
                    let table = &relation.name;
                    let span = ctx
                        .mention_span(index, traced.statement, &table.name)
                        .unwrap_or_else(|| ctx.first_token_span(index, traced.statement));
                    let until = if !statement.in_transaction {
                        "while the statement runs"
                    } else if kind == SourceKind::Drizzle {
                        "until the transaction commits, which drizzle-kit does only after every \
                         pending migration has run"
                    } else {
                        "until the transaction commits"
                    };
                    let message = format!(
                        "this statement took {} on existing {} `{table}` ({}, pg_locks): it \
                         blocks {} {until}",
                        mode.a_lock(),
                        relation.kind_name(),
                        ctx.server,
                        mode.blocks(),
                    );
                    let help = "While the lock is held (and while the statement waits for it behind \
                                a long query), every session that needs a conflicting lock queues. \
                                Set a short `lock_timeout` before the statement so it gives up \
                                instead of stalling traffic, keep the transaction short, and use \
                                the forms that take weaker locks: `CREATE INDEX CONCURRENTLY`, \
                                constraints added `NOT VALID` and validated later, a nullable \
                                column backfilled in batches.";
                    out.push(ctx.finding(index, span, message).help(help));
                }
            }
        }
    }
}
