//! `unique-constraint-without-index`: `ADD CONSTRAINT ... UNIQUE` or `PRIMARY KEY` on an existing
//! table builds its index under an ACCESS EXCLUSIVE lock, unless it adopts one with `USING INDEX`.

use std::ops::Range;

use pg_query::protobuf::{ConstrType, Constraint};

use crate::catalog::{CHECK_SKIPS_SCAN_SINCE, QualifiedName};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::{ast, quote_ident};
use crate::rules::support::advice::{self, Steps};
use crate::rules::support::alter_table::existing_table_actions;
use crate::rules::support::renames;
use crate::source::SourceKind;

declare_rule! {
    pub struct UniqueConstraintWithoutIndex {
        id: "unique-constraint-without-index",
        family: Locking,
        severity: Warning,
        summary: "UNIQUE or PRIMARY KEY added to an existing table without USING INDEX builds its index under ACCESS EXCLUSIVE",
    }
}

/// `UNIQUE` or `PRIMARY KEY`, for messages; `None` for other constraints.
fn unique_kind(constraint: &Constraint) -> Option<&'static str> {
    match ast::constraint_type(constraint) {
        ConstrType::ConstrUnique => Some("UNIQUE"),
        ConstrType::ConstrPrimary => Some("PRIMARY KEY"),
        _ => None,
    }
}

impl Rule for UniqueConstraintWithoutIndex {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let kind = ctx.migration.migration.kind();
        for action in existing_table_actions(ctx) {
            let table = &action.table;
            let table_sql = table.to_sql();
            let (constraint, new_column, keys) = if let Some(constraint) = action.added_constraint()
            {
                let keys: Vec<String> = ast::strings(&constraint.keys)
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                (constraint, None, keys)
            } else if let Some(column) = action.added_column() {
                let Some(constraint) =
                    ast::constraints(&column.constraints).find(|c| unique_kind(c).is_some())
                else {
                    continue;
                };
                (
                    constraint,
                    Some(&column.colname),
                    vec![column.colname.clone()],
                )
            } else {
                continue;
            };
            let Some(unique) = unique_kind(constraint) else {
                continue;
            };
            if !constraint.indexname.is_empty() {
                if unique == "PRIMARY KEY" {
                    check_nullable_keys(
                        ctx,
                        &action.table,
                        &constraint.indexname,
                        &action.span,
                        out,
                    );
                }
                continue;
            }
            let named = if constraint.conname.is_empty() {
                String::new()
            } else {
                format!(" `{}`", constraint.conname)
            };
            let message = match new_column {
                Some(column) => format!(
                    "{unique} on new column `{column}` builds its index on existing table \
                     `{table}` under an ACCESS EXCLUSIVE lock, blocking reads and writes until it \
                     is built"
                ),
                None => format!(
                    "{unique} constraint{named} on existing table `{table}` builds its index \
                     under an ACCESS EXCLUSIVE lock, blocking reads and writes until it is built"
                ),
            };
            // PostgreSQL's own names: `<table>_pkey`, `<table>_<columns>_key`.
            let name = if !constraint.conname.is_empty() {
                constraint.conname.clone()
            } else if unique == "PRIMARY KEY" {
                format!("{}_pkey", table.name)
            } else {
                format!("{}_{}_key", table.name, keys.join("_"))
            };
            // The index is built before the constraint is added, while an index of the
            // constraint's name may still exist (the primary key being redefined): it is built
            // under a name of its own, and `USING INDEX` renames it after the constraint.
            let index_name = if unique == "PRIMARY KEY"
                || ctx
                    .catalog
                    .indexes_on(table)
                    .any(|index| index.name.name == name)
            {
                format!("{name}_new")
            } else {
                name.clone()
            };
            let (name, index_name) = (quote_ident(&name), quote_ident(&index_name));
            let columns: Vec<_> = keys.iter().map(|key| quote_ident(key)).collect();
            let first = if new_column.is_some() {
                "Add the column without the constraint, then build"
            } else {
                "Build"
            };
            // PRIMARY KEY USING INDEX sets nullable key columns NOT NULL, which scans the table.
            let nullable_keys = unique == "PRIMARY KEY"
                && (new_column.is_some()
                    || ctx.catalog.table(table).is_none_or(|known| {
                        keys.iter()
                            .any(|key| known.column(key).is_none_or(|column| !column.not_null))
                    }));
            let not_null_first = if nullable_keys {
                " Make the key columns NOT NULL first (see set-not-null): otherwise `PRIMARY KEY \
                 USING INDEX` sets them NOT NULL itself and scans the table."
            } else {
                ""
            };
            let build = format!(
                "CREATE UNIQUE INDEX CONCURRENTLY {index_name} ON {table_sql} ({})",
                columns.join(", ")
            );
            let adopt = format!(
                "ALTER TABLE {table_sql} ADD CONSTRAINT {name} {unique} USING INDEX {index_name}"
            );
            let note = if kind == SourceKind::Drizzle {
                drizzle_note(
                    ctx,
                    table,
                    &keys,
                    new_column.is_some(),
                    &build,
                    &adopt,
                    &index_name,
                )
            } else {
                advice::tool_note(
                    kind,
                    Steps {
                        concurrently: true,
                        ..Steps::default()
                    },
                )
            };
            let help = format!(
                "{first} the index with `{build}` outside any transaction block; then `{adopt}` \
                 only updates the catalog.{not_null_first}{note}"
            );
            let finding = ctx.finding(action.span.clone(), message).help(help);
            // The two statements stand for the constraint alone: not when a column comes with
            // it, a key column still takes NULLs, or a primary key is there to be replaced.
            let replaces_key = unique == "PRIMARY KEY"
                && ctx
                    .catalog
                    .table(table)
                    .is_some_and(|known| known.primary_key().is_some());
            out.push(if new_column.is_none() && !nullable_keys && !replaces_key {
                finding.suggest(Suggestion::instead([build, adopt]))
            } else {
                finding
            });
        }
    }
}

/// How drizzle runs the concurrent build: before `drizzle-kit migrate`, with the names the
/// table and keys have before the migration; after it when a key column is added by it.
fn drizzle_note(
    ctx: &StatementContext,
    table: &QualifiedName,
    keys: &[String],
    new_column: bool,
    build: &str,
    adopt: &str,
    index_name: &str,
) -> String {
    let added = new_column
        || keys
            .iter()
            .any(|key| ctx.column_added_here(table, key).is_some());
    if added {
        return format!(
            " A key column is added by this migration, so the index cannot be built before it: \
             leave the constraint out of this migration. {} Then run `{adopt}` the same way.",
            advice::drizzle_separate_step(
                build,
                "once `drizzle-kit migrate` has applied this migration"
            )
        );
    }
    let key_names: Vec<&str> = keys.iter().map(String::as_str).collect();
    let Some(renamed) = renames::renamed_here(ctx, table, &key_names) else {
        return advice::tool_note(
            SourceKind::Drizzle,
            Steps {
                concurrently: true,
                ..Steps::default()
            },
        );
    };
    let (old_table, old_keys) = renames::names_before_migration(ctx, table, &key_names);
    let old_keys: Vec<_> = old_keys.iter().map(|key| quote_ident(key)).collect();
    let before = format!(
        "CREATE UNIQUE INDEX CONCURRENTLY {index_name} ON {} ({})",
        old_table.to_sql(),
        old_keys.join(", ")
    );
    format!(
        " drizzle-kit migrate wraps every migration in a transaction and has no \
         non-transactional mode: build the index by hand or from the deploy script before this \
         migration, with the names it finds there, since this migration {renamed} before this \
         statement: `{before}` (the rename carries the index along)."
    )
}

/// `PRIMARY KEY USING INDEX i` of an existing table: the index is adopted as it is, but key
/// columns that may hold NULL are set NOT NULL, and that reads every row under the ACCESS
/// EXCLUSIVE lock (unless a validated CHECK proves them, PostgreSQL 12+).
fn check_nullable_keys(
    ctx: &StatementContext,
    table: &QualifiedName,
    index: &str,
    span: &Range<usize>,
    out: &mut Vec<Finding>,
) {
    let Some(known) = ctx.catalog.table(table) else {
        return;
    };
    let Some(index) = ctx
        .catalog
        .indexes_on(table)
        .find(|candidate| candidate.name.name == index)
    else {
        return;
    };
    let pg_version = ctx.migration.config.pg_version;
    let nullable: Vec<&str> = index
        .columns
        .iter()
        .flatten()
        .map(String::as_str)
        .filter(|key| known.not_null_needs_scan(key, pg_version))
        .collect();
    if nullable.is_empty() {
        return;
    }
    let listed = nullable
        .iter()
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let message = format!(
        "`PRIMARY KEY USING INDEX` sets {listed} NOT NULL, which scans all of existing table \
         `{table}` for NULLs under an ACCESS EXCLUSIVE lock"
    );
    let table_sql = table.to_sql();
    let steps: Vec<String> = nullable
        .iter()
        .map(|key| {
            let check_name = format!("{}_{key}_not_null", table.name);
            let check = quote_ident(&check_name);
            let key = quote_ident(key);
            format!(
                "`ALTER TABLE {table_sql} ADD CONSTRAINT {check} CHECK ({key} IS NOT NULL) NOT \
                 VALID;`, `ALTER TABLE {table_sql} VALIDATE CONSTRAINT {check};` (it scans under a \
                 SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on), then `ALTER \
                 TABLE {table_sql} ALTER COLUMN {key} SET NOT NULL;`"
            )
        })
        .collect();
    let help = if pg_version >= CHECK_SKIPS_SCAN_SINCE {
        format!(
            "Make the keys NOT NULL first without the long lock: {}. PostgreSQL then knows them \
             NOT NULL from the validated check, and adopting the index changes the catalog only; \
             the checks can be dropped afterwards.",
            steps.join("; ")
        )
    } else {
        format!(
            "Before PostgreSQL 12 (`pg_version` is {pg_version}) setting NOT NULL always scans; \
             do it at a quiet time, or backfill and set it in its own short migration first."
        )
    };
    out.push(ctx.finding(span.clone(), message).help(help));
}
