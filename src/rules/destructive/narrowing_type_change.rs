//! `narrowing-type-change`: `ALTER COLUMN ... TYPE` to a type that cannot hold every value of
//! the old one, on a table that existed before the migration.

use pg_query::NodeEnum;

use crate::catalog::types::{self, Conversion, ParsedType};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::quote_ident;

declare_rule! {
    pub struct NarrowingTypeChange {
        id: "narrowing-type-change",
        family: Destructive,
        severity: Error,
        summary: "ALTER COLUMN TYPE to a narrower type can fail on existing data or lose it",
    }
}

impl Rule for NarrowingTypeChange {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::AlterTableStmt(stmt) = &ctx.statement.node else {
            return;
        };
        for change in types::column_type_changes(ctx.catalog, stmt) {
            if !ctx.is_existing_table(&change.table) {
                continue;
            }
            // The catalog does not know the column: no guessing.
            let Some(old) = change.old.as_deref() else {
                continue;
            };
            // A `USING` that computes new values (`left(name, 10)`, `(id % 1000)::int`) is the
            // author's mapping of the old ones; what it gives cannot be shown to fail here.
            if change.conversion() == Conversion::Computed {
                continue;
            }
            let Some(narrowing) = types::narrowing(old, &change.new) else {
                continue;
            };
            let (column, table, new) = (change.column, &change.table, &change.new);
            let message = format!(
                "changing `{column}` of existing table `{table}` from `{old}` to `{new}` can fail or \
                 lose data: {}",
                narrowing.effects.join("; ")
            );
            let new_type = ParsedType::parse(new).filter(|t| !t.array);
            let length_limit = new_type
                .as_ref()
                .filter(|t| matches!(t.base.as_str(), "varchar" | "bpchar"))
                .and_then(|t| t.modifiers.first().copied());
            let modifiers = new_type
                .as_ref()
                .map_or(&[][..], |t| t.modifiers.as_slice());
            let col = quote_ident(column);
            let over = match (length_limit, new_type.as_ref().map(|t| t.base.as_str())) {
                (Some(limit), _) => Some(format!("char_length({col}) > {limit}")),
                (None, Some("int2")) => Some(format!("{col} NOT BETWEEN -32768 AND 32767")),
                (None, Some("int4")) => {
                    Some(format!("{col} NOT BETWEEN -2147483648 AND 2147483647"))
                }
                (None, Some("numeric")) => match modifiers {
                    [precision, scale @ ..] => {
                        let scale = scale.first().copied().unwrap_or(0);
                        Some(format!(
                            "{col} <> round({col}, {scale}) OR abs({col}) >= 1e{}",
                            precision - scale
                        ))
                    }
                    [] => None,
                },
                _ => None,
            };
            // The rows the new type cannot hold, counted on the table before the change.
            let count_query =
                over.map(|over| format!("SELECT count(*) FROM {} WHERE {over}", table.to_sql()));
            let count = count_query
                .as_ref()
                .map(|query| format!(" (`{query}`)"))
                .unwrap_or_default();
            let limit_note = match length_limit {
                Some(limit) => format!(
                    " To cap new values without touching old ones or rewriting the table, keep \
                     `{old}` and add `CHECK (char_length({col}) <= {limit}) NOT VALID`, then \
                     `VALIDATE CONSTRAINT` in a later migration once the data fits."
                ),
                None => String::new(),
            };
            let help = format!(
                "Count the rows that would not fit before merging{count}, fix them in an earlier \
                 migration or keep the wider type, and first deploy application code that only writes values that fit: the release still \
                 running during the deploy may write values the new type rejects.{limit_note}"
            );
            let finding = ctx
                .finding(ctx.type_span(change.new_type), message)
                .help(help);
            out.push(match count_query {
                Some(query) => finding.suggest(Suggestion::before([query])),
                None => finding,
            });
        }
    }
}
