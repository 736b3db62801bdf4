//! `add-column-required`: `ADD COLUMN ... NOT NULL` without a default on an existing table, which
//! fails as soon as the table has a row.

use pg_query::NodeEnum;
use pg_query::protobuf::{ConstrType, RangeVar};

use crate::catalog::expr::column_default;
use crate::catalog::{CHECK_SKIPS_SCAN_SINCE, QualifiedName, range_var};
use crate::diagnostic::{Finding, Suggestion};
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
        let kind = ctx.migration.migration.kind();
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
            if emptied_earlier_in_transaction(ctx, table) {
                continue;
            }
            let name = &column.colname;
            let message = format!(
                "new NOT NULL column `{name}` has no default, so adding it to existing table \
                 `{table}` fails as soon as the table has a row"
            );
            let check_first = pg_version >= CHECK_SKIPS_SCAN_SINCE;
            let not_null = not_null_statements(ctx, table, name);
            let steps = match not_null_help(&not_null, pg_version) {
                steps if not_null.len() == 1 => format!("then {steps}"),
                steps => steps,
            };
            // The column added nullable: not for a primary key, which has no nullable form.
            let primary_key = ast::constraints(&column.constraints)
                .any(|constraint| ast::constraint_type(constraint) == ConstrType::ConstrPrimary);
            let add = (!primary_key)
                .then(|| {
                    advice::add_column_keeping(action.cmd, |constraint| {
                        ast::constraint_type(constraint) != ConstrType::ConstrNotnull
                    })
                })
                .flatten()
                .and_then(|cmd| advice::alter_table_sql(ctx, vec![cmd]));
            let nullable = match &add {
                Some(add) => format!("Add `{name}` as a nullable column (`{add}`)"),
                None => format!("Add `{name}` as a nullable column"),
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
                "{nullable}, backfill existing rows in batches that each commit, {steps}. Or, \
                 when one value suits every existing row, add the column with a constant \
                 DEFAULT, {constant_default}.{note}"
            );
            let finding = ctx.finding(action.span.clone(), message).help(help);
            out.push(match add {
                // Only the nullable ADD stands in for the statement: the NOT NULL steps must
                // wait for the backfill (the VALIDATE fails on the rows it has not filled, and a
                // CHECK added before it fails the running release's inserts), which the help
                // describes. No text edit: the column is then nullable until those steps run.
                Some(add) => finding.suggest(Suggestion::instead([add])),
                None => finding,
            });
        }
    }
}

/// Whether an earlier statement of this migration, in the same transaction, emptied `table`
/// (`DELETE` without `WHERE`, `TRUNCATE`) and none put rows back: the new column then has no
/// row to fill (a reset migration's pattern).
fn emptied_earlier_in_transaction(ctx: &StatementContext, table: &QualifiedName) -> bool {
    if !ctx.statement.in_transaction {
        return false;
    }
    let names = |relation: &RangeVar| range_var(relation) == *table;
    let mut emptied = false;
    for statement in ctx.earlier_in_migration() {
        match &statement.node {
            NodeEnum::DeleteStmt(delete) if delete.where_clause.is_none() => {
                emptied |= delete.relation.as_ref().is_some_and(names);
            }
            NodeEnum::TruncateStmt(truncate) => {
                emptied |= truncate.relations.iter().any(|node| {
                    matches!(&node.node, Some(NodeEnum::RangeVar(relation)) if names(relation))
                });
            }
            NodeEnum::InsertStmt(insert) if insert.relation.as_ref().is_some_and(names) => {
                emptied = false;
            }
            _ => {}
        }
        // A COMMIT between lets other sessions fill the table again.
        if !statement.in_transaction {
            emptied = false;
        }
    }
    emptied
}

/// The statements that make `name`, a column of `table` whose rows have been filled, NOT NULL:
/// from PostgreSQL 12 a CHECK added `NOT VALID` and validated in a later transaction (which lets
/// reads and writes go on) spares `SET NOT NULL` its scan, and is dropped after; before 12 there
/// is only `SET NOT NULL`, which scans.
pub(super) fn not_null_statements(
    ctx: &StatementContext,
    table: &QualifiedName,
    name: &str,
) -> Vec<String> {
    let (table_sql, name_sql) = (table.to_sql(), quote_ident(name));
    let set_not_null = format!("ALTER TABLE {table_sql} ALTER COLUMN {name_sql} SET NOT NULL");
    if ctx.migration.config.pg_version < CHECK_SKIPS_SCAN_SINCE {
        return vec![set_not_null];
    }
    let check = advice::unused_constraint_name(
        ctx.catalog,
        table,
        &format!("{}_{name}_not_null", table.name),
    );
    let check = quote_ident(&check);
    vec![
        format!(
            "ALTER TABLE {table_sql} ADD CONSTRAINT {check} CHECK ({name_sql} IS NOT NULL) NOT \
             VALID"
        ),
        format!("ALTER TABLE {table_sql} VALIDATE CONSTRAINT {check}"),
        set_not_null,
        format!("ALTER TABLE {table_sql} DROP CONSTRAINT {check}"),
    ]
}

/// The steps of [`not_null_statements`], for a help text: "add `...`, run `...` in a later
/// transaction, ...", or before PostgreSQL 12 "`... SET NOT NULL` (on PostgreSQL ...)".
pub(super) fn not_null_help(statements: &[String], pg_version: u32) -> String {
    match statements {
        [check, validate, set_not_null, drop] => format!(
            "add `{check}`, run `{validate}` in a later transaction, then `{set_not_null}` (it \
             skips its scan) and drop the check with `{drop}`"
        ),
        _ => format!(
            "`{}` (on PostgreSQL {pg_version} this scans the table under ACCESS EXCLUSIVE; \
             12+ can skip the scan with a validated CHECK)",
            statements.join("; ")
        ),
    }
}
