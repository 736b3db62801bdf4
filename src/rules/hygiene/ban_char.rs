//! `ban-char`: a column is `char(n)` / `character(n)`.

use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::rules::support::column_types::typed_columns;

declare_rule! {
    pub struct BanChar {
        id: "ban-char",
        family: Hygiene,
        severity: Warning,
        summary: "A column is `char(n)`, which pads values with spaces",
    }
}

impl Rule for BanChar {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        for typed in typed_columns(ctx) {
            // `bpchar` is `char(n)`/`character(n)`; the one-byte `"char"` is another type.
            if typed.base != "bpchar" {
                continue;
            }
            let span = typed.span(ctx);
            let written = &ctx.migration.file.text[span.clone()];
            let message = format!(
                "column `{}` of `{}` is `{written}`: values are padded with spaces to its length",
                typed.column.name, typed.column.table
            );
            // The statement with the column as `text`.
            let retyped = typed.retyped(ctx, &typed.renamed("text", false));
            let help = format!(
                "`char(n)` pads with spaces, then ignores them in `=` comparisons and drops them \
                 in casts to `text` and in concatenation, but keeps them for `LIKE`, regular \
                 expressions and `octet_length`; it saves no space over `text`. Use `text` or \
                 `varchar(n)`, with `CHECK (char_length(col) = n)` when every value must have \
                 that length.{} drizzle: `text()`/`varchar({{ length }})`; SQLAlchemy: \
                 `sa.String`.",
                retyped.here
            );
            let mut finding = ctx.finding(span, message).help(help);
            finding.suggestions.extend(retyped.suggestion);
            out.push(finding);
        }
    }
}
