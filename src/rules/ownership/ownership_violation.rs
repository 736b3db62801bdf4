//! `ownership-violation`: a migration touches a table that another migration system owns.
//! A foreign key that only references another owner's table is `cross-owner-foreign-key`'s.

use crate::catalog::Action;
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, WorkspaceContext, declare_rule};

declare_rule! {
    pub struct OwnershipViolation {
        id: "ownership-violation",
        family: Ownership,
        severity: Error,
        summary: "A migration creates, alters, indexes or writes another owner's table",
    }
}

impl Rule for OwnershipViolation {
    /// With no owners' patterns: a table belongs to the system whose migrations create it.
    fn check_workspace(&self, ctx: &WorkspaceContext, out: &mut Vec<Finding>) {
        for (set, uses) in ctx.uses.iter().enumerate() {
            for table_use in uses {
                if table_use.action == Action::Reference {
                    continue;
                }
                let table = &table_use.table;
                let Some(owner) = ctx.creator(table).filter(|&owner| owner != set) else {
                    continue;
                };
                let via = table_use
                    .via
                    .as_ref()
                    .map(|index| format!(" (through index `{index}`)"))
                    .unwrap_or_default();
                let (system, owner) = (ctx.system(set), ctx.system(owner));
                let message = format!(
                    "migration of {system} {} `{table}`{via}, which the migrations of {owner} create",
                    table_use.action.verb(),
                );
                let help = format!(
                    "With no owners configured, a table belongs to the migration system that \
                     creates it, so that one system's schema model stays true. Make this change \
                     in the migrations of {owner}, or, if the table has moved, declare the owners \
                     and their table patterns in chronos-lint.toml (`chronos-lint init` writes \
                     one)."
                );
                out.push(ctx.finding(table_use, message).help(help));
            }
        }
    }

    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let migration = ctx.migration;
        let Some(source_owner) = migration.migration.owner.as_deref() else {
            return;
        };
        for target in ctx.targets {
            if target.action == Action::Reference {
                continue;
            }
            let table = &target.table;
            let Some(owner) = migration
                .config
                .table_owner(Some(&table.schema), &table.name)
            else {
                continue;
            };
            if owner.name == source_owner {
                continue;
            }
            let via = target
                .via
                .as_ref()
                .map(|index| format!(" (through index `{index}`)"))
                .unwrap_or_default();
            let message = format!(
                "{source_owner} migration {} `{table}`{via}, which belongs to {}",
                target.action.verb(),
                owner.name
            );
            let help = if owner.kind.is_none() {
                format!(
                    "{} manages `{table}` itself (patterns: {}); no migration may change it. Make the \
                     change through {}, or update the owners in chronos-lint.toml if the table has moved.",
                    owner.name,
                    owner.patterns.join(", "),
                    owner.name
                )
            } else {
                format!(
                    "Only {} migrations may change `{table}` (patterns: {}). Make this change in the {} \
                     migrations, or update the owners in chronos-lint.toml if the table has moved.",
                    owner.name,
                    owner.patterns.join(", "),
                    owner.name
                )
            };
            out.push(
                ctx.finding(ctx.name_span(target.location, &target.table.name), message)
                    .help(help),
            );
        }
    }
}
