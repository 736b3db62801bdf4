//! `unique-constraint-without-index`: `ADD CONSTRAINT ... UNIQUE` or `PRIMARY KEY` on an existing
//! table builds its index under an ACCESS EXCLUSIVE lock, unless it adopts one with `USING INDEX`.

use pg_query::protobuf::{ConstrType, Constraint};

use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::{ast, quote_ident};
use crate::rules::support::advice::{self, Steps};
use crate::rules::support::alter_table::existing_table_actions;

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
        let kind = ctx.migration.migration.kind;
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
            let name = quote_ident(&name);
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
            let note = advice::tool_note(
                kind,
                Steps {
                    concurrently: true,
                    ..Steps::default()
                },
            );
            let help = format!(
                "{first} the index with `CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table_sql} \
                 ({})` outside any transaction block; then `ALTER TABLE {table_sql} ADD \
                 CONSTRAINT {name} {unique} USING INDEX {name}` only updates the \
                 catalog.{not_null_first}{note}",
                columns.join(", ")
            );
            out.push(ctx.finding(action.span.clone(), message).help(help));
        }
    }
}
