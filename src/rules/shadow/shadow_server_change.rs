//! `shadow-server-change`: with `--shadow-url`, a migration changes, or tries to change, the
//! server outside its own database (roles, databases, tablespaces, settings, server files, other
//! sessions). Statements that plainly do are not run on a shared server; what dynamic SQL or a
//! function tries, PostgreSQL refuses, as the migrations run there as a role confined to the
//! shadow database.

use crate::diagnostic::Finding;
use crate::engine::{Rule, TraceContext, declare_rule};
use crate::trace::Skip;

declare_rule! {
    pub struct ShadowServerChange {
        id: "shadow-server-change",
        family: Shadow,
        severity: Warning,
        summary: "with --shadow-url: a statement changes the server outside its database; it was not run there, or PostgreSQL refused it",
    }
}

/// SQLSTATE of "permission denied" (`insufficient_privilege`).
pub const INSUFFICIENT_PRIVILEGE: &str = "42501";

const HELP: &str = "Check it with --shadow instead: a private throwaway cluster, where the \
                    migrations run as its superuser and nothing is shared.";

impl Rule for ShadowServerChange {
    fn check_trace(&self, ctx: &TraceContext, out: &mut Vec<Finding>) {
        for migration in &ctx.trace.migrations {
            for traced in &migration.statements {
                if traced.skipped != Some(Skip::ServerWide) {
                    continue;
                }
                let index = migration.migration;
                out.push(
                    ctx.finding(
                        index,
                        ctx.first_token_span(index, traced.statement),
                        "not run on the --shadow-url server, so not verified: this statement \
                         changes the whole server (roles, databases, tablespaces or settings), \
                         which is never done to a shared server",
                    )
                    .help(format!(
                        "{HELP} Later statements that need what it makes may fail here for its \
                         absence."
                    )),
                );
            }
        }
        let Some(failure) = &ctx.trace.failure else {
            return;
        };
        if !refused_to_confined_role(ctx, failure) {
            return;
        }
        let mut help = vec![HELP.to_owned()];
        help.extend(ctx.not_applied_after(failure.migration));
        out.push(
            ctx.finding(
                failure.migration,
                failure.span.clone(),
                format!(
                    "{} refused this statement to the role the migrations run as on the \
                     --shadow-url server, which may change nothing outside the shadow database: \
                     {}",
                    ctx.server, failure.message
                ),
            )
            .help(help.join(" ")),
        );
    }
}

/// A failure that is the confinement of `--shadow-url` at work rather than the migration's own
/// (reported here, not by `shadow-apply-failed`). An extension that only a superuser may create
/// is `extension-unavailable`'s.
pub fn refused_to_confined_role(ctx: &TraceContext, failure: &crate::trace::Failure) -> bool {
    ctx.confined
        && failure.sqlstate == INSUFFICIENT_PRIVILEGE
        && failure.missing_extension.is_none()
}
