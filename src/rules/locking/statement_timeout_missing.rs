//! `statement-timeout-missing`: a migration rewrites, scans or indexes every row of an existing
//! table under a lock of SHARE or stronger without setting `statement_timeout` first, so nothing
//! bounds how long it holds the lock. The companion of `lock-timeout-missing`: one finding per
//! migration, on the first such statement. Statements that only change the catalog (`DROP
//! COLUMN`, `SET DEFAULT`, a rename, a constraint added `NOT VALID`) hold their lock for a moment
//! and are left to `lock-timeout-missing`.

use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule, long_lock_on_existing_table};
use crate::rules::support::advice::{set_timeout, where_to_set};
use crate::rules::support::describe::{locked, verb};
use crate::source::SourceKind;

declare_rule! {
    pub struct StatementTimeoutMissing {
        id: "statement-timeout-missing",
        family: Locking,
        severity: Info,
        summary: "A rewrite, scan or index build of an existing table under a lock of SHARE or stronger with no statement_timeout set in the migration",
    }
}

impl Rule for StatementTimeoutMissing {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let timeout = &ctx.session.statement_timeout;
        if timeout.in_effect() || timeout.locked_without() {
            return;
        }
        let Some((lock, work)) = long_lock_on_existing_table(
            ctx.catalog,
            ctx.migration.index,
            ctx.migration.config.pg_version,
            &ctx.statement.node,
            ctx.locks,
        ) else {
            return;
        };
        let name = lock.via.as_ref().unwrap_or(&lock.table);
        let span = ctx.name_span(lock.location, &name.name);
        // A stronger lock an earlier statement of the transaction took is held through this one.
        let (held, blocked) = match ctx.transaction.lock_held_on(&lock.table) {
            Some(held) if held > lock.mode => (
                format!(
                    " (and {} an earlier statement of its transaction took)",
                    held.a_lock()
                ),
                held.blocks(),
            ),
            _ => (String::new(), lock.mode.blocks()),
        };
        let message = format!(
            "{} {} {} under {}{held} with no `statement_timeout` in effect: nothing bounds how \
             long it blocks {blocked}",
            verb(&ctx.statement.node),
            work.verb(),
            locked(lock),
            lock.mode.a_lock(),
        );
        let statement = set_timeout(ctx, "statement_timeout", "'15min'");
        let mut set = where_to_set(ctx, &statement);
        if ctx.migration.migration.kind() == SourceKind::Alembic {
            set.push_str(", or `context.execute(...)` in env.py for every revision");
        }
        let help = format!(
            "Set {set}, sized above what the statement needs on production data: past it, \
             PostgreSQL cancels the statement, the migration rolls back and the lock is \
             released, instead of blocking the table for as long as a scan, rewrite or index \
             build takes. Keep `lock_timeout` shorter: it bounds only the wait for the lock. A \
             role or database setting works too but is invisible to the linter: then turn this \
             rule off in chronos-lint.toml (`[rules]`, `statement-timeout-missing = \"off\"`)."
        );
        out.push(
            ctx.finding(span, message)
                .help(help)
                .suggest(Suggestion::before([statement])),
        );
    }
}
