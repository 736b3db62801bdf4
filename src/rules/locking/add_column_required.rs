//! `add-column-required`: `ADD COLUMN ... NOT NULL` without a default on an existing table, which
//! fails as soon as the table has a row.

use pg_query::protobuf::ConstrType;

use super::set_not_null::CHECK_SKIPS_SCAN_SINCE;
use crate::catalog::expr::column_default;
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::{ast, quote_ident};
use crate::rules::support::advice::{self, Steps};
use crate::rules::support::alter_table::existing_table_actions;

declare_rule! {
    pub struct AddColumnRequired {
        id: "add-column-required",
        family: Locking,
        severity: Error,
        summary: "ADD COLUMN ... NOT NULL without a default fails on an existing table with rows",
    }
}

impl Rule for AddColumnRequired {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let kind = ctx.migration.migration.kind;
        let pg_version = ctx.migration.config.pg_version;
        for action in existing_table_actions(ctx) {
            let Some(column) = action.added_column() else {
                continue;
            };
            let not_null = column.is_not_null
                || ast::constraints(&column.constraints).any(|constraint| {
                    matches!(
                        ast::constraint_type(constraint),
                        ConstrType::ConstrNotnull | ConstrType::ConstrPrimary
                    )
                });
            // Identity, serial and generated columns fill the existing rows themselves.
            if !not_null || column_default(column).fills_rows() {
                continue;
            }
            let table = &action.table;
            let name = &column.colname;
            let (table_sql, name_sql) = (table.to_sql(), quote_ident(name));
            let message = format!(
                "new NOT NULL column `{name}` has no default, so adding it to existing table \
                 `{table}` fails as soon as the table has a row"
            );
            let check_first = pg_version >= CHECK_SKIPS_SCAN_SINCE;
            let steps = if check_first {
                let check = advice::unused_constraint_name(
                    ctx.catalog,
                    table,
                    &format!("{}_{name}_not_null", table.name),
                );
                let check = quote_ident(&check).into_owned();
                format!(
                    "add `CONSTRAINT {check} CHECK ({name_sql} IS NOT NULL) NOT VALID`, run \
                     `VALIDATE CONSTRAINT {check}` in a later transaction, then `ALTER TABLE \
                     {table_sql} ALTER COLUMN {name_sql} SET NOT NULL` (it skips its scan) and \
                     drop the check"
                )
            } else {
                format!(
                    "then `ALTER TABLE {table_sql} ALTER COLUMN {name_sql} SET NOT NULL` (on \
                     PostgreSQL {pg_version} this scans the table under ACCESS EXCLUSIVE; 12+ can \
                     skip the scan with a validated CHECK)"
                )
            };
            let note = advice::tool_note(
                kind,
                Steps {
                    backfill: true,
                    validate_later: check_first,
                    ..Steps::default()
                },
            );
            let constant_default = if pg_version >= 11 {
                "which PostgreSQL 11+ stores without a rewrite".to_owned()
            } else {
                format!("though on PostgreSQL {pg_version} that rewrites the table (11+ does not)")
            };
            let help = format!(
                "Add `{name}` as a nullable column, backfill existing rows in batches that each \
                 commit, {steps}. Or, when one value suits every existing row, add the column \
                 with a constant DEFAULT, {constant_default}.{note}"
            );
            out.push(ctx.finding(action.span.clone(), message).help(help));
        }
    }
}
