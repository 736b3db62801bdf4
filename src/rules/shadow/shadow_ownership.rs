//! `shadow-ownership`: applied to the shadow database, a migration created, wrote or changed
//! another owner's table in a way the statement text does not show (dynamic SQL in a `DO` block,
//! a function, a trigger), so the static `ownership-violation` could not see it.

use crate::catalog::{LockMode, QualifiedName};
use crate::diagnostic::Finding;
use crate::engine::{Rule, TraceContext, declare_rule};

declare_rule! {
    pub struct ShadowOwnership {
        id: "shadow-ownership",
        family: Shadow,
        severity: Error,
        summary: "with --shadow: what the database really holds after a migration breaks ownership (e.g. objects made by dynamic SQL)",
    }
}

impl Rule for ShadowOwnership {
    fn check_trace(&self, ctx: &TraceContext, out: &mut Vec<Finding>) {
        for migration in &ctx.trace.migrations {
            let index = migration.migration;
            let Some(source_owner) = ctx.set.migrations[index].owner.as_deref() else {
                continue;
            };
            for traced in &migration.statements {
                let position = traced.statement;
                // The owner of `table` when it is not `source_owner` and the statement does not
                // name it (the static rules judge what the statement names).
                let foreign_owner = |table: &QualifiedName, names: &[&str]| {
                    let owner = ctx.config.table_owner(Some(&table.schema), &table.name)?;
                    let named = names
                        .iter()
                        .any(|name| ctx.mention_span(index, position, name).is_some());
                    (owner.name != source_owner && !named).then_some(owner)
                };
                let span = ctx.first_token_span(index, position);
                for (relation, mode) in &traced.locks {
                    let table = relation.owner_table();
                    let Some(owner) = foreign_owner(table, &[&table.name]) else {
                        continue;
                    };
                    let did = if *mode == LockMode::RowExclusive {
                        "wrote rows of"
                    } else {
                        "changed or locked"
                    };
                    out.push(
                        ctx.finding(
                            index,
                            span.clone(),
                            format!(
                                "{source_owner} migration {did} {} `{table}`, which belongs to {}: \
                                 PostgreSQL shows this statement taking {} on it through SQL the \
                                 statement does not name (dynamic SQL, a function or a trigger)",
                                relation.kind_name(),
                                owner.name,
                                mode.a_lock(),
                            ),
                        )
                        .help(help(source_owner, &owner.name)),
                    );
                }
                for relation in &traced.created {
                    // An index of a table made by the same statement is part of that table.
                    if relation
                        .table
                        .as_ref()
                        .is_some_and(|table| traced.created.iter().any(|r| &r.name == table))
                    {
                        continue;
                    }
                    let table = relation.owner_table();
                    let Some(owner) = foreign_owner(table, &[&table.name, &relation.name.name])
                    else {
                        continue;
                    };
                    let on = match &relation.table {
                        Some(table) => format!(" on `{table}`"),
                        None => String::new(),
                    };
                    out.push(
                        ctx.finding(
                            index,
                            span.clone(),
                            format!(
                                "{source_owner} migration created {} `{}`{on}, which belongs to {}; \
                                 the statement does not name it (dynamic SQL or a function made it)",
                                relation.kind_name(),
                                relation.name,
                                owner.name,
                            ),
                        )
                        .help(help(source_owner, &owner.name)),
                    );
                }
            }
        }
    }
}

fn help(source_owner: &str, owner: &str) -> String {
    format!(
        "Only {owner} migrations may change {owner}'s tables. Move this change to the {owner} \
         migrations, or, if the table has moved to {source_owner}, update the owners in \
         chronos-lint.toml. SQL built at run time hides what it touches from review: prefer plain \
         statements."
    )
}
