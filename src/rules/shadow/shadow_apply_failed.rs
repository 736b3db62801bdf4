//! `shadow-apply-failed`: PostgreSQL rejected a statement when the migrations were applied to
//! the shadow database (`--shadow`).

use crate::diagnostic::Finding;
use crate::engine::{Rule, TraceContext, declare_rule};
use crate::source::SourceKind;

declare_rule! {
    pub struct ShadowApplyFailed {
        id: "shadow-apply-failed",
        family: Shadow,
        severity: Error,
        summary: "with --shadow: PostgreSQL rejects a statement when the migrations are applied for real",
    }
}

/// SQLSTATE of "cannot run inside a transaction block".
const ACTIVE_SQL_TRANSACTION: &str = "25001";

impl Rule for ShadowApplyFailed {
    fn check_trace(&self, ctx: &TraceContext, out: &mut Vec<Finding>) {
        let Some(failure) = &ctx.trace.failure else {
            return;
        };
        // A statement that needs an extension the shadow lacks: `extension-unavailable`; one
        // the confinement of `--shadow-url` refused: `shadow-server-change`.
        if failure.missing_extension.is_some()
            || super::shadow_server_change::refused_to_confined_role(ctx, failure)
        {
            return;
        }
        let migration = &ctx.set.migrations[failure.migration];
        let mut help = vec![match migration.kind() {
            SourceKind::Drizzle => {
                "The migration fails the same way in production, and drizzle-kit rolls back every \
                 pending migration with it."
            }
            _ => "The migration fails the same way in production.",
        }
        .to_owned()];
        if let Some(detail) = &failure.detail {
            help.push(format!("PostgreSQL: {detail}"));
        }
        if let Some(hint) = &failure.hint {
            help.push(format!("Hint: {hint}"));
        }
        if failure.sqlstate == ACTIVE_SQL_TRANSACTION {
            help.push(
                match migration.kind() {
                    SourceKind::Drizzle => {
                        "drizzle-kit migrate runs every pending migration in one transaction and has \
                         no non-transactional mode: run this statement outside drizzle-kit (by hand \
                         or from the deploy script) and leave it out of the migration."
                    }
                    SourceKind::Alembic => {
                        "Alembic runs the revision in a transaction: put this operation inside \
                         `with op.get_context().autocommit_block():`."
                    }
                    SourceKind::Plain => {
                        "This file runs in a transaction (`in_transaction`/`assume_in_transaction` \
                         in chronos-lint.toml, or its own BEGIN): run the statement outside it."
                    }
                }
                .to_owned(),
            );
        }
        help.extend(ctx.not_applied_after(failure.migration));
        if failure.after_server_wide_skip {
            help.push(
                "Statements that change the whole server (roles, databases, tablespaces) were not \
                 run on the --shadow-url server; if this failure comes from one of them, check it \
                 with the throwaway cluster (--shadow without --shadow-url)."
                    .to_owned(),
            );
        }
        out.push(
            ctx.finding(
                failure.migration,
                failure.span.clone(),
                format!(
                    "{} rejected this statement: {} (SQLSTATE {})",
                    ctx.server, failure.message, failure.sqlstate
                ),
            )
            .help(help.join(" ")),
        );
    }
}
