//! `prefer-timestamptz`: a column is `timestamp` (without time zone).

use super::column_types::typed_columns;
use super::{Rule, RuleMeta, StatementContext};
use crate::diagnostic::{Finding, Severity};

pub struct PreferTimestamptz;

static META: RuleMeta = RuleMeta {
    id: "prefer-timestamptz",
    severity: Severity::Warning,
    doc: include_str!("../../rules/prefer-timestamptz.md"),
    summary: "A column is `timestamp` without time zone",
};

impl Rule for PreferTimestamptz {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

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
            let help = "Use `timestamptz` (`timestamp with time zone`): it stores an instant and \
                        shows it in each session's time zone. drizzle: `timestamp(\"...\", { \
                        withTimezone: true })`; SQLAlchemy: `sa.DateTime(timezone=True)`.";
            out.push(ctx.finding(typed.span(ctx), message).help(help));
        }
    }
}
