//! `foreign-key-not-valid`: a foreign key added to an existing table without `NOT VALID` checks
//! every row while holding SHARE ROW EXCLUSIVE on both tables.

use pg_query::protobuf::{ConstrType, Constraint};

use crate::catalog::expr::{ColumnDefault, column_default};
use crate::catalog::{LockMode, QualifiedName};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::{ast, quote_ident};
use crate::rules::support::advice::{self, Steps};
use crate::rules::support::alter_table::{
    TableAction, added_not_valid_in_same_transaction, existing_table_actions, validated_too_soon,
};

declare_rule! {
    pub struct ForeignKeyNotValid {
        id: "foreign-key-not-valid",
        family: Locking,
        severity: Warning,
        summary: "A foreign key added to an existing table without NOT VALID blocks writes to both tables while it checks every row",
    }
}

fn is_foreign_key(constraint: &Constraint) -> bool {
    ast::constraint_type(constraint) == ConstrType::ConstrForeign
}

impl Rule for ForeignKeyNotValid {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        for action in existing_table_actions(ctx) {
            if let Some(constraint) = action.added_constraint() {
                if is_foreign_key(constraint) && !constraint.skip_validation {
                    out.push(added(ctx, &action, constraint, None));
                }
            } else if let Some(column) = action.added_column() {
                // Without a DEFAULT every existing row holds NULL, and PostgreSQL skips the check.
                if column_default(column) == ColumnDefault::None {
                    continue;
                }
                for constraint in
                    ast::constraints(&column.constraints).filter(|c| is_foreign_key(c))
                {
                    out.push(added(ctx, &action, constraint, Some(&column.colname)));
                }
            } else if let Some(add) =
                added_not_valid_in_same_transaction(ctx, &action, is_foreign_key)
            {
                out.push(validated_too_soon(
                    ctx,
                    &action,
                    add,
                    "the SHARE ROW EXCLUSIVE lock that ADD took on both tables",
                ));
            }
        }
    }
}

/// The finding for an FK added with validation; `column` when it came with `ADD COLUMN`.
fn added(
    ctx: &StatementContext,
    action: &TableAction,
    constraint: &Constraint,
    column: Option<&str>,
) -> Finding {
    let kind = ctx.migration.migration.kind();
    let table = &action.table;
    let referenced = constraint.pktable.as_ref().map(|rel| {
        let (schema, name) = ast::range_var_name(rel);
        QualifiedName::new(schema, name)
    });
    let (locked, them) = match &referenced {
        Some(referenced) if referenced != table => {
            (format!("`{table}` and `{referenced}`"), "both")
        }
        _ => (format!("`{table}`"), "it"),
    };
    let named = if constraint.conname.is_empty() {
        String::new()
    } else {
        format!(" `{}`", constraint.conname)
    };
    // The statement itself (an ADD COLUMN with the key), or an ADD COLUMN (RENAME, ...) before
    // it in its transaction, holds ACCESS EXCLUSIVE on the table through the check: reads of it
    // wait too.
    let by_this_statement = ctx
        .locks
        .iter()
        .any(|lock| &lock.table == table && lock.mode == LockMode::AccessExclusive);
    let by_earlier = ctx.transaction.lock_held_on(table) == Some(LockMode::AccessExclusive);
    let message = if by_this_statement || by_earlier {
        let taken_by = if by_earlier {
            "an earlier statement of its transaction"
        } else {
            "this `ALTER TABLE`"
        };
        let referenced = match &referenced {
            Some(referenced) if referenced != table => {
                format!(" and writes to `{referenced}` (SHARE ROW EXCLUSIVE)")
            }
            _ => String::new(),
        };
        format!(
            "foreign key{named} on existing table `{table}` checks every row under the ACCESS \
             EXCLUSIVE lock {taken_by} took, blocking every read and write of it{referenced} \
             until the check is done"
        )
    } else {
        format!(
            "foreign key{named} on existing table `{table}` checks every row while holding SHARE \
             ROW EXCLUSIVE on {locked}, blocking writes to {them} until the check is done"
        )
    };
    // An unnamed key gets PostgreSQL's name for it (`item_owner_id_fkey`).
    let name = ctx
        .written_constraints()
        .iter()
        .find(|written| written.location == constraint.location)
        .map(|written| written.constraint.name_on(&written.table))
        .unwrap_or_else(|| constraint.conname.clone());
    let name = quote_ident(&name);
    let validate = format!(
        "`ALTER TABLE {} VALIDATE CONSTRAINT {name}` in a later transaction",
        table.to_sql()
    );
    let note = advice::tool_note(
        kind,
        Steps {
            validate_later: true,
            not_valid: Some("create_foreign_key"),
            ..Steps::default()
        },
    );
    // Before PostgreSQL 18 a partitioned table refuses `NOT VALID` foreign keys: the key goes
    // on each partition first.
    if column.is_none() && ctx.migration.config.pg_version < 18 && ctx.catalog.is_partitioned(table)
    {
        let statements = advice::partitioned_foreign_key_statements(ctx.catalog, table, constraint);
        let steps = statements
            .as_ref()
            .map(|statements| {
                let sql: Vec<String> = statements.iter().map(|s| format!("`{s};`")).collect();
                format!(" Here: {}.", sql.join(" "))
            })
            .unwrap_or_default();
        let help = format!(
            "`{table}` is partitioned, and PostgreSQL before 18 refuses `NOT VALID` on it. Add the \
             key to each partition `NOT VALID` and run `VALIDATE CONSTRAINT` there (each partition \
             is a plain table: writes go on while it scans), then add it to `{table}` as written: \
             PostgreSQL takes over the partitions' validated keys without checking a row again, \
             so its lock is brief.{steps}{note}"
        );
        let finding = ctx.finding(action.span.clone(), message).help(help);
        return match statements {
            Some(statements) => finding.suggest(Suggestion::instead(statements)),
            None => finding,
        };
    }
    let added_here = key_columns_added_here(ctx, table, constraint)
        .map(|columns| {
            format!(
                " Or, since this migration adds {columns} without a DEFAULT, declare the key on \
                 that `ADD COLUMN` (`... REFERENCES ...`): the rows then hold NULL, and \
                 PostgreSQL skips the check."
            )
        })
        .unwrap_or_default();
    let help = match column {
        Some(column) => format!(
            "Add `{column}` without a DEFAULT: every existing row then holds NULL and PostgreSQL \
             skips the check. Or add the column first, then the foreign key with `NOT VALID`, and \
             run {validate}.{note}"
        ),
        None => format!(
            "Add the constraint with `NOT VALID` (new and changed rows are still checked), then \
             run {validate}: VALIDATE holds only SHARE UPDATE EXCLUSIVE on `{table}` and ROW \
             SHARE on the referenced table, so writes go on while it scans.{added_here}{note}"
        ),
    };
    ctx.finding(action.span.clone(), message).help(help)
}

/// The key's columns, as `` `a` `` or `` `a`, `b` ``, when this migration added every one of them
/// to `table` without a default, so that declaring the key with the column would check no row.
fn key_columns_added_here(
    ctx: &StatementContext,
    table: &QualifiedName,
    constraint: &Constraint,
) -> Option<String> {
    let columns = ast::strings(&constraint.fk_attrs);
    let added_here = !columns.is_empty()
        && columns.iter().all(|name| {
            ctx.column_added_here(table, name)
                .is_some_and(|column| !column.has_default)
        });
    added_here.then(|| {
        let names: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
        names.join(", ")
    })
}
