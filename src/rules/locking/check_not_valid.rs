//! `check-not-valid`: a CHECK constraint added to an existing table without `NOT VALID` scans
//! every row under an ACCESS EXCLUSIVE lock.

use pg_query::NodeRef;
use pg_query::protobuf::{ConstrType, Constraint};

use crate::catalog::QualifiedName;
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::{ast, quote_ident};
use crate::rules::support::advice::{self, Steps};
use crate::rules::support::alter_table::{
    added_not_valid_in_same_transaction, existing_table_actions, validated_too_soon,
};

declare_rule! {
    pub struct CheckNotValid {
        id: "check-not-valid",
        family: Locking,
        severity: Warning,
        summary: "A CHECK added to an existing table without NOT VALID scans it under ACCESS EXCLUSIVE",
    }
}

fn is_check(constraint: &Constraint) -> bool {
    ast::constraint_type(constraint) == ConstrType::ConstrCheck
}

impl Rule for CheckNotValid {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let kind = ctx.migration.migration.kind();
        for action in existing_table_actions(ctx) {
            let table = &action.table;
            let validate = |name: &str| {
                format!(
                    "`ALTER TABLE {} VALIDATE CONSTRAINT {name}` in a later transaction",
                    table.to_sql()
                )
            };
            let note = advice::tool_note(
                kind,
                Steps {
                    validate_later: true,
                    not_valid: Some("create_check_constraint"),
                    ..Steps::default()
                },
            );
            let lock =
                "under an ACCESS EXCLUSIVE lock that blocks reads and writes until it is done";
            if let Some(constraint) = action.added_constraint() {
                if !is_check(constraint) || constraint.skip_validation {
                    continue;
                }
                let (named, raw_name) = if constraint.conname.is_empty() {
                    (String::new(), default_name(table, constraint))
                } else {
                    (
                        format!(" `{}`", constraint.conname),
                        constraint.conname.clone(),
                    )
                };
                let name = quote_ident(&raw_name).into_owned();
                let message = format!(
                    "CHECK constraint{named} on existing table `{table}` scans every row {lock}"
                );
                let help = format!(
                    "Add it with `NOT VALID` (new and changed rows are still checked), then run \
                     {}: VALIDATE scans under SHARE UPDATE EXCLUSIVE, which lets reads and writes \
                     go on.{note}",
                    validate(&name)
                );
                let finding = ctx.finding(action.span.clone(), message).help(help);
                out.push(
                    match not_valid_then_validate(ctx, table, constraint, &raw_name) {
                        Some(suggestion) => finding.suggest(suggestion),
                        None => finding,
                    },
                );
            } else if let Some(column) = action.added_column() {
                for _ in ast::constraints(&column.constraints).filter(|c| is_check(c)) {
                    let name = &column.colname;
                    let message = format!(
                        "CHECK on new column `{name}` scans every row of existing table `{table}` \
                         {lock}"
                    );
                    let help = format!(
                        "A column constraint cannot be `NOT VALID`. Add `{name}` without the \
                         CHECK, then add the CHECK as a table constraint with `NOT VALID`, and \
                         run {}.{note}",
                        validate(&quote_ident(&format!("{}_{name}_check", table.name)))
                    );
                    out.push(ctx.finding(action.span.clone(), message).help(help));
                }
            } else if let Some(add) = added_not_valid_in_same_transaction(ctx, &action, is_check) {
                out.push(validated_too_soon(
                    ctx,
                    &action,
                    add,
                    "the ACCESS EXCLUSIVE lock that ADD took",
                ));
            }
        }
    }
}

/// `constraint` added `NOT VALID` under `name`, then validated: in place of the `ADD`, the
/// VALIDATE in a later transaction.
fn not_valid_then_validate(
    ctx: &StatementContext,
    table: &QualifiedName,
    constraint: &Constraint,
    name: &str,
) -> Option<Suggestion> {
    let add = advice::alter_table_sql(ctx, vec![advice::add_not_valid(constraint, name)])?;
    let validate = format!(
        "ALTER TABLE {} VALIDATE CONSTRAINT {}",
        table.to_sql(),
        quote_ident(name)
    );
    Some(Suggestion::instead([add, validate]))
}

/// The name PostgreSQL gives an unnamed CHECK: `<table>_<first column it mentions>_check`.
fn default_name(table: &QualifiedName, constraint: &Constraint) -> String {
    let column = constraint.raw_expr.as_deref().and_then(|expr| {
        expr.node
            .as_ref()?
            .nodes()
            .into_iter()
            .find_map(|(node, ..)| match node {
                NodeRef::ColumnRef(column) => {
                    ast::strings(&column.fields).last().map(|c| c.to_string())
                }
                _ => None,
            })
    });
    match column {
        Some(column) => format!("{}_{column}_check", table.name),
        None => format!("{}_check", table.name),
    }
}
