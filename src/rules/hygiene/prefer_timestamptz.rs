//! `prefer-timestamptz`: a column is `timestamp` (without time zone).

use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::rules::support::column_types::typed_columns;

declare_rule! {
    pub struct PreferTimestamptz {
        id: "prefer-timestamptz",
        family: Hygiene,
        severity: Warning,
        summary: "A column is `timestamp` without time zone",
    }
}

impl Rule for PreferTimestamptz {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        for typed in typed_columns(ctx) {
            if typed.base != "timestamp" {
                continue;
            }
            let message = format!(
                "column `{}` of `{}` is `{}` without time zone: its values carry no offset, so \
                 they mean different instants to clients in different time zones",
                typed.column.name,
                typed.column.table,
                typed.spelled()
            );
            // The statement with the column as `timestamptz`, of the same precision.
            let retyped = typed.retyped(ctx, &typed.renamed("timestamptz", true));
            let help = format!(
                "Use `timestamptz` (`timestamp with time zone`): it stores an instant and shows \
                 it in each session's time zone.{} drizzle: `timestamp(\"...\", {{ \
                 withTimezone: true }})`; SQLAlchemy: `sa.DateTime(timezone=True)`.",
                retyped.here
            );
            let mut finding = ctx.finding(typed.span(ctx), message).help(help);
            finding.suggestions.extend(retyped.suggestion);
            out.push(finding);
        }
    }
}
