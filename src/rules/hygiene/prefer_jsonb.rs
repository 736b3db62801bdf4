//! `prefer-jsonb`: a column is `json`.

use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::rules::support::column_types::typed_columns;

declare_rule! {
    pub struct PreferJsonb {
        id: "prefer-jsonb",
        family: Hygiene,
        severity: Warning,
        summary: "A column is `json` rather than `jsonb`",
    }
}

impl Rule for PreferJsonb {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        for typed in typed_columns(ctx) {
            if typed.base != "json" {
                continue;
            }
            let message = format!(
                "column `{}` of `{}` is `{}`: stored as text and parsed again on every access, \
                 with no equality operator and no GIN index",
                typed.column.name,
                typed.column.table,
                typed.spelled()
            );
            // The statement with the column as `jsonb`.
            let retyped = typed.retyped(ctx, &typed.renamed("jsonb", false));
            let help = format!(
                "Use `jsonb` (drizzle: `jsonb()`; SQLAlchemy: \
                 `sqlalchemy.dialects.postgresql.JSONB`).{} Keep `json` only when the exact text \
                 must survive (key order, duplicate keys, whitespace, e.g. a payload whose \
                 signature is checked), and suppress this with that reason.",
                retyped.here
            );
            let mut finding = ctx.finding(typed.span(ctx), message).help(help);
            finding.suggestions.extend(retyped.suggestion);
            out.push(finding);
        }
    }
}
