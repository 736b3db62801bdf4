//! `set-not-null`: `ALTER COLUMN ... SET NOT NULL` on an existing table scans every row under an
//! ACCESS EXCLUSIVE lock, unless (PostgreSQL 12+) a validated CHECK already proves the column
//! NOT NULL.

use pg_query::NodeEnum;
use pg_query::protobuf::AlterTableType;

use crate::catalog::{CHECK_SKIPS_SCAN_SINCE, types};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::quote_ident;
use crate::rules::support::advice::{self, Steps};
use crate::rules::support::alter_table::existing_table_actions;

declare_rule! {
    pub struct SetNotNull {
        id: "set-not-null",
        family: Locking,
        severity: Warning,
        summary: "SET NOT NULL scans an existing table under ACCESS EXCLUSIVE unless a validated CHECK proves it",
    }
}

impl Rule for SetNotNull {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let kind = ctx.migration.migration.kind();
        let pg_version = ctx.migration.config.pg_version;
        // A type change of the same statement that rewrites the table checks NOT NULL as it
        // writes each row: no scan of its own, and nothing for a CHECK to save.
        if let NodeEnum::AlterTableStmt(stmt) = &ctx.statement.node
            && types::column_type_changes(ctx.catalog, stmt)
                .iter()
                .any(|change| change.rewrites_table())
        {
            return;
        }
        for action in existing_table_actions(ctx) {
            if action.kind != AlterTableType::AtSetNotNull {
                continue;
            }
            let table = &action.table;
            let name = &action.cmd.name;
            // Already NOT NULL, or proven so: PostgreSQL has nothing to check.
            if !ctx.catalog.set_not_null_scans(table, name, pg_version) {
                continue;
            }
            let column = ctx.catalog.column_of(table, name);
            let (table_sql, name_sql) = (table.to_sql(), quote_ident(name));
            // Of a table made outside these migrations, whether the column is NOT NULL already
            // or a validated CHECK proves it is not known: the scan is not claimed.
            let message = if ctx.catalog.table(table).is_none() && column.is_none() {
                format!(
                    "`SET NOT NULL` on `{name}` of `{table}`, a table these migrations never \
                     created, scans all of it for NULLs under an ACCESS EXCLUSIVE lock, blocking \
                     reads and writes until it is done, unless `{name}` is NOT NULL already or a \
                     validated CHECK proves it (neither is known here)"
                )
            } else {
                format!(
                    "`SET NOT NULL` on `{name}` scans all of existing table `{table}` for NULLs \
                     under an ACCESS EXCLUSIVE lock, blocking reads and writes until it is done"
                )
            };
            let note = advice::tool_note(
                kind,
                Steps {
                    validate_later: true,
                    ..Steps::default()
                },
            );
            // A NOT VALID check that would prove the column once validated.
            let pending_check = ctx.catalog.table(table).and_then(|known| {
                known.constraints.iter().find_map(|constraint| {
                    (!constraint.validated && constraint.not_null_columns.contains(name))
                        .then_some(constraint.name.as_deref())
                        .flatten()
                })
            });
            let set_not_null =
                format!("ALTER TABLE {table_sql} ALTER COLUMN {name_sql} SET NOT NULL");
            let validate = |check: &str| {
                format!(
                    "ALTER TABLE {table_sql} VALIDATE CONSTRAINT {}",
                    quote_ident(check)
                )
            };
            let new_check = || {
                let check = advice::unused_constraint_name(
                    ctx.catalog,
                    table,
                    &format!("{}_{name}_not_null", table.name),
                );
                let add = format!(
                    "ALTER TABLE {table_sql} ADD CONSTRAINT {} CHECK ({name_sql} IS NOT NULL) \
                     NOT VALID",
                    quote_ident(&check)
                );
                (check, add)
            };
            let proven = ctx
                .catalog
                .table(table)
                .is_some_and(|known| known.proves_not_null(name));
            let (help, suggestion) = match (pg_version >= CHECK_SKIPS_SCAN_SINCE, pending_check) {
                (true, Some(check)) => (
                    format!(
                        "`{check}` proves the column NOT NULL once validated: run `{}` in a later \
                         transaction before this statement (it scans under SHARE UPDATE \
                         EXCLUSIVE, which lets reads and writes go on), and PostgreSQL 12+ then \
                         skips the scan of `SET NOT NULL`.{note}",
                        validate(check)
                    ),
                    Some(Suggestion::instead([validate(check), set_not_null])),
                ),
                (true, None) => {
                    let (check, add) = new_check();
                    let validate = validate(&check);
                    let help = format!(
                        "First `{add}`, then run `{validate}` in a later transaction: it scans \
                         under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on. With \
                         the validated check in place, PostgreSQL 12+ skips the scan of `SET NOT \
                         NULL`; drop the check afterwards.{note}"
                    );
                    let drop = format!(
                        "ALTER TABLE {table_sql} DROP CONSTRAINT {}",
                        quote_ident(&check)
                    );
                    (
                        help,
                        Some(Suggestion::instead([add, validate, set_not_null, drop])),
                    )
                }
                // Before PostgreSQL 12 a validated check cannot spare the scan, but it does
                // enforce the rule.
                (false, _) if proven => (
                    format!(
                        "PostgreSQL {pg_version} (`pg_version`) scans here even though a \
                         validated CHECK already keeps `{name}` free of NULLs (from PostgreSQL 12 \
                         that check lets `SET NOT NULL` skip the scan). Rely on the check and \
                         leave out `SET NOT NULL` until then, or run it in a maintenance \
                         window.{note}"
                    ),
                    None,
                ),
                (false, Some(check)) => (
                    old_version_help(pg_version, &name_sql, &note),
                    Some(Suggestion::instead([validate(check)])),
                ),
                (false, None) => {
                    let (check, add) = new_check();
                    (
                        old_version_help(pg_version, &name_sql, &note),
                        Some(Suggestion::instead([add, validate(&check)])),
                    )
                }
            };
            let finding = ctx.finding(action.span.clone(), message).help(help);
            out.push(match suggestion {
                // Not a text edit of the statement: the VALIDATE needs a later transaction.
                Some(suggestion) => finding.suggest(suggestion),
                None => finding,
            });
        }
    }
}

/// Before PostgreSQL 12 the scan cannot be skipped: a validated CHECK enforces the rule instead.
fn old_version_help(pg_version: u32, name_sql: &str, note: &str) -> String {
    format!(
        "PostgreSQL {pg_version} (`pg_version`) always scans here; from PostgreSQL 12 \
         a validated `CHECK ({name_sql} IS NOT NULL)` lets `SET NOT NULL` skip the \
         scan. Until then, keep the column nullable and enforce it with `CHECK \
         ({name_sql} IS NOT NULL) NOT VALID`, validated in a later transaction, or \
         run `SET NOT NULL` in a maintenance window.{note}"
    )
}
