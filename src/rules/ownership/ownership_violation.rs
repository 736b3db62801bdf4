//! `ownership-violation`: a migration touches a table that another migration system owns.
//! A foreign key that only references another owner's table is `cross-owner-foreign-key`'s.

use crate::catalog::Action;
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};

declare_rule! {
    pub struct OwnershipViolation {
        id: "ownership-violation",
        family: Ownership,
        severity: Error,
        summary: "A migration creates, alters, indexes or writes another owner's table",
    }
}

impl Rule for OwnershipViolation {
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
