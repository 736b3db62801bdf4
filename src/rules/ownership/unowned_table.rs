//! `unowned-table`: a migration creates (or renames to) a table no owner's patterns match.

use pg_query::NodeEnum;
use pg_query::protobuf::ObjectType;

use crate::catalog::{Action, QualifiedName, is_tracking_table};
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;

declare_rule! {
    pub struct UnownedTable {
        id: "unowned-table",
        family: Ownership,
        severity: Warning,
        summary: "A new table's name matches no owner's table patterns",
    }
}

impl Rule for UnownedTable {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        // A temporary table lives for one session: it is no owner's.
        if ast::creates_temporary_table(&ctx.statement.node) {
            return;
        }
        let config = ctx.migration.config;
        // Without owners' patterns a table belongs to whoever creates it: none is unowned.
        if !config.owners_by_pattern() {
            return;
        }
        let created = ctx
            .targets
            .iter()
            .filter(|t| t.action == Action::Create)
            .map(|t| (t.table.clone(), t.location));
        let renamed = match &ctx.statement.node {
            NodeEnum::RenameStmt(stmt) if stmt.rename_type == ObjectType::ObjectTable as i32 => {
                stmt.relation.as_ref().map(|rel| {
                    (
                        QualifiedName::new(
                            Some(&rel.schemaname)
                                .filter(|s| !s.is_empty())
                                .map(String::as_str),
                            &stmt.newname,
                        ),
                        None,
                    )
                })
            }
            _ => None,
        };
        for (table, location) in created.chain(renamed) {
            if is_tracking_table(&table)
                || config
                    .table_owner(Some(&table.schema), &table.name)
                    .is_some()
            {
                continue;
            }
            let patterns: Vec<String> = config
                .owners
                .iter()
                .map(|owner| format!("{} ({})", owner.name, owner.patterns.join(", ")))
                .collect();
            let message = format!("table `{table}` matches no owner's table patterns");
            let help = format!(
                "Every table in the shared database needs an owner so that only one migration system \
                 changes it. Rename it to fit an owner's prefix — {} — or add a pattern for it in \
                 chronos-lint.toml.",
                patterns.join("; ")
            );
            out.push(
                ctx.finding(ctx.name_span(location, &table.name), message)
                    .help(help),
            );
        }
    }
}
