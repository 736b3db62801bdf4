//! `lock-timeout-missing`: a migration takes a lock of SHARE or stronger on an existing table
//! without setting `lock_timeout` first. One finding per migration, on the first such statement.

use crate::catalog::{LockMode, TableLock};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, Timeout, declare_rule, strong_lock_on_existing_table};
use crate::rules::support::advice::{py_str, set_timeout, where_to_set};
use crate::rules::support::describe::{locked, verb};
use crate::source::SourceKind;

declare_rule! {
    pub struct LockTimeoutMissing {
        id: "lock-timeout-missing",
        family: Locking,
        severity: Info,
        summary: "A lock of SHARE or stronger on an existing table with no lock_timeout set in the migration",
    }
}

impl Rule for LockTimeoutMissing {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let Some(lock) = unguarded_lock(ctx, &ctx.session.lock_timeout) else {
            return;
        };
        let name = lock.via.as_ref().unwrap_or(&lock.table);
        let span = ctx.name_span(lock.location, &name.name);
        let queued = if lock.mode == LockMode::AccessExclusive {
            "every read and write of the table"
        } else {
            "every write of the table (`INSERT`, `UPDATE`, `DELETE`)"
        };
        let message = format!(
            "{} takes {} on {} without a `lock_timeout` in effect: while it waits behind a long \
             query, {queued} queues behind it",
            verb(&ctx.statement.node),
            lock.mode.a_lock(),
            locked(&lock),
        );
        let set = set_timeout(ctx, "lock_timeout", "'5s'");
        out.push(
            ctx.finding(span, message)
                .help(help(ctx, &set))
                .suggest(Suggestion::before([set])),
        );
    }
}

/// The lock of SHARE or stronger this statement takes on an existing table, when `timeout` is
/// not in effect and no earlier statement of the migration took one without it (reported there).
pub(crate) fn unguarded_lock(ctx: &StatementContext, timeout: &Timeout) -> Option<TableLock> {
    if timeout.in_effect() || timeout.locked_without() {
        return None;
    }
    strong_lock_on_existing_table(ctx.catalog, ctx.migration.index, ctx.locks).cloned()
}

fn help(ctx: &StatementContext, set: &str) -> String {
    let why = "With a timeout the statement gives up when it cannot get the lock in time: the \
               migration fails and can be retried, instead of stalling the application.";
    let tool = match ctx.migration.migration.kind() {
        SourceKind::Drizzle => format!(
            "Start the migration with `{set};--> statement-breakpoint` (drizzle-kit migrate runs \
             it inside its transaction, so it lasts until the commit). Only this migration \
             counts: earlier ones may have been applied by another run."
        ),
        SourceKind::Alembic => format!(
            "Start upgrade() with `op.execute({})`, or set it for every revision in env.py: \
             `context.execute(\"SET lock_timeout = '5s'\")` inside `with \
             context.begin_transaction():`, before `context.run_migrations()`.",
            py_str(set)
        ),
        SourceKind::Plain => format!("Put {}.", where_to_set(ctx, set)),
    };
    format!(
        "{why} {tool} A role or database setting (`ALTER ROLE migrator SET lock_timeout = '5s'`) \
         works too but is invisible to the linter: then turn this rule off in chronos-lint.toml."
    )
}
