//! `tracking-table-touched`: a migration changes a migration tool's bookkeeping table.

use crate::catalog::is_tracking_table;
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};

declare_rule! {
    pub struct TrackingTableTouched {
        id: "tracking-table-touched",
        family: Ownership,
        severity: Error,
        summary: "A migration changes alembic_version or drizzle.__drizzle_migrations",
    }
}

impl Rule for TrackingTableTouched {
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
