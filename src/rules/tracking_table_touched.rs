//! `tracking-table-touched`: a migration changes a migration tool's bookkeeping table.

use super::{Rule, RuleMeta, StatementContext};
use crate::catalog::is_tracking_table;
use crate::diagnostic::{Finding, Severity};

pub struct TrackingTableTouched;

static META: RuleMeta = RuleMeta {
    id: "tracking-table-touched",
    severity: Severity::Error,
    doc: include_str!("../../rules/tracking-table-touched.md"),
    summary: "A migration changes alembic_version or drizzle.__drizzle_migrations",
};

impl Rule for TrackingTableTouched {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        for target in ctx
            .targets
            .iter()
            .filter(|target| is_tracking_table(&target.table))
        {
            let message = format!(
                "migration {} `{}`, a migration tool's bookkeeping table",
                target.action.verb(),
                target.table
            );
            let help = "alembic_version and drizzle.__drizzle_migrations record which migrations ran; \
                        editing them makes a tool skip or re-run migrations. Let the tool maintain them \
                        (`alembic stamp` for Alembic), and never from another system's migrations.";
            out.push(
                ctx.finding(ctx.name_span(target.location, &target.table.name), message)
                    .help(help),
            );
        }
    }
}
