//! `exclusion-constraint`: an `EXCLUDE` constraint added to an existing table checks every row
//! and builds its index under ACCESS EXCLUSIVE, and has no `NOT VALID` or `USING INDEX` form.

use pg_query::protobuf::ConstrType;

use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;
use crate::rules::support::alter_table::existing_table_actions;

declare_rule! {
    pub struct ExclusionConstraint {
        id: "exclusion-constraint",
        family: Locking,
        severity: Warning,
        summary: "An EXCLUDE constraint added to an existing table builds its index under ACCESS EXCLUSIVE, with no NOT VALID way round",
    }
}

impl Rule for ExclusionConstraint {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        for action in existing_table_actions(ctx) {
            let Some(constraint) = action.added_constraint() else {
                continue;
            };
            if ast::constraint_type(constraint) != ConstrType::ConstrExclusion {
                continue;
            }
            let table = &action.table;
            let named = if constraint.conname.is_empty() {
                String::new()
            } else {
                format!(" `{}`", constraint.conname)
            };
            let message = format!(
                "exclusion constraint{named} on existing table `{table}` builds its index and \
                 checks every row under an ACCESS EXCLUSIVE lock: reads and writes wait until \
                 it is done"
            );
            let help = format!(
                "There is no gentler form: PostgreSQL refuses `EXCLUDE ... NOT VALID` (\"EXCLUDE \
                 constraints cannot be marked NOT VALID\"), and `USING INDEX` takes only a UNIQUE \
                 or PRIMARY KEY index, so the index cannot be built concurrently first. Either \
                 give the constraint to a new table (create it with the constraint, copy the rows \
                 over in batches, switch names in one short transaction), or run this in a \
                 maintenance window, with a `lock_timeout` set, when `{table}` may be blocked for \
                 as long as the index build over all its rows takes."
            );
            out.push(ctx.finding(action.span.clone(), message).help(help));
        }
    }
}
