//! `cross-owner-foreign-key`: a foreign key from one owner's table to another owner's table.

use crate::catalog::{Action, QualifiedName};
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, WorkspaceContext, declare_rule};

declare_rule! {
    pub struct CrossOwnerForeignKey {
        id: "cross-owner-foreign-key",
        family: Ownership,
        severity: Warning,
        summary: "A foreign key references a table of another owner",
    }
}

impl Rule for CrossOwnerForeignKey {
    /// With no owners' patterns: a table belongs to the system whose migrations create it.
    fn check_workspace(&self, ctx: &WorkspaceContext, out: &mut Vec<Finding>) {
        for (set, uses) in ctx.uses.iter().enumerate() {
            for table_use in uses {
                let (Action::Reference, Some(from)) = (table_use.action, &table_use.from) else {
                    continue;
                };
                let referenced = &table_use.table;
                let Some(owner) = ctx.creator(referenced).filter(|&owner| owner != set) else {
                    continue;
                };
                let (system, owner) = (ctx.system(set), ctx.system(owner));
                let message = format!(
                    "foreign key from `{from}` (migrations of {system}) references `{referenced}`, \
                     which the migrations of {owner} create: each system now depends on the other"
                );
                out.push(ctx.finding(table_use, message).help(help(
                    referenced,
                    from,
                    &owner,
                    &format!("the tables of {system}"),
                )));
            }
        }
    }

    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let config = ctx.migration.config;
        // The referencing table is the one the statement creates or alters.
        let Some(referencing) = ctx
            .targets
            .iter()
            .find(|target| matches!(target.action, Action::Create | Action::Alter))
        else {
            return;
        };
        let table = &referencing.table;
        // A table no owner claims belongs, for this purpose, to the system that migrates it.
        let from = config
            .table_owner(Some(&table.schema), &table.name)
            .map(|owner| owner.name.as_str())
            .or(ctx.migration.migration.owner.as_deref());
        let Some(from) = from else {
            return;
        };
        for target in ctx.targets {
            if target.action != Action::Reference {
                continue;
            }
            let referenced = &target.table;
            let Some(to) = config.table_owner(Some(&referenced.schema), &referenced.name) else {
                continue;
            };
            if to.name == from {
                continue;
            }
            let message = format!(
                "foreign key from `{table}` ({from}) references `{referenced}` ({}): {from}'s \
                 migrations now depend on {}'s",
                to.name, to.name
            );
            out.push(
                ctx.finding(ctx.name_span(target.location, &referenced.name), message)
                    .help(help(
                        referenced,
                        table,
                        &to.name,
                        &format!("{from}'s tables"),
                    )),
            );
        }
    }
}

/// What the key costs both systems, and the ways out; `own_tables` names the referencing
/// system's tables.
fn help(
    referenced: &QualifiedName,
    table: &QualifiedName,
    owner: &str,
    own_tables: &str,
) -> String {
    format!(
        "`{referenced}` must exist before this migration runs, and {owner} can no longer drop, \
         rename or rebuild it, or change its key, without first dropping this constraint; every \
         delete or key update on `{referenced}` also checks `{table}`, and adding the constraint \
         takes a SHARE ROW EXCLUSIVE lock on `{referenced}`. Keep foreign keys within \
         {own_tables} (store the id without a constraint and check it in the application or a job), or \
         move both tables to one owner in chronos-lint.toml."
    )
}
