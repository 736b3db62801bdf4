//! `table-rewrite-maintenance`: `VACUUM FULL` and `CLUSTER` rewrite whole tables under an
//! ACCESS EXCLUSIVE lock.

use pg_query::NodeEnum;

use crate::catalog::{QualifiedName, vacuum_full};
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;

declare_rule! {
    pub struct TableRewriteMaintenance {
        id: "table-rewrite-maintenance",
        family: Locking,
        severity: Warning,
        summary: "VACUUM FULL or CLUSTER rewrites existing tables under an ACCESS EXCLUSIVE lock",
    }
}

const HELP: &str = "Reads and writes of the table wait for the whole rewrite, which takes as long \
    as copying the table and its indexes. Keep it out of migrations: reclaim space online with \
    pg_repack or pg_squeeze (they rewrite without holding the lock), or run it by hand in a \
    maintenance window. Plain `VACUUM` (without FULL) and `ANALYZE` do not block reads or writes.";

impl Rule for TableRewriteMaintenance {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let (command, tables, span) = match &ctx.statement.node {
            NodeEnum::VacuumStmt(stmt) if stmt.is_vacuumcmd && vacuum_full(stmt) => {
                let tables: Vec<QualifiedName> = stmt
                    .rels
                    .iter()
                    .filter_map(|rel| match rel.node.as_ref() {
                        Some(NodeEnum::VacuumRelation(rel)) => rel.relation.as_ref(),
                        _ => None,
                    })
                    .map(|rel| {
                        let (schema, name) = ast::range_var_name(rel);
                        QualifiedName::new(schema, name)
                    })
                    .collect();
                let span = ctx
                    .keyword_span("full")
                    .unwrap_or_else(|| ctx.first_token_span());
                ("VACUUM FULL", tables, span)
            }
            NodeEnum::ClusterStmt(stmt) => {
                let Some(rel) = &stmt.relation else {
                    let message = "`CLUSTER` without a table rewrites every table clustered \
                                   before, each under an ACCESS EXCLUSIVE lock";
                    out.push(ctx.finding(ctx.first_token_span(), message).help(HELP));
                    return;
                };
                let (schema, name) = ast::range_var_name(rel);
                let span = ctx.name_span(Some(rel.location), &rel.relname);
                ("CLUSTER", vec![QualifiedName::new(schema, name)], span)
            }
            _ => return,
        };
        let message = if tables.is_empty() {
            format!(
                "`{command}` without a table rewrites every table of the database, each under an \
                 ACCESS EXCLUSIVE lock"
            )
        } else {
            let existing: Vec<String> = tables
                .iter()
                .filter(|table| ctx.is_existing_table(table))
                .map(|table| format!("`{table}`"))
                .collect();
            if existing.is_empty() {
                return;
            }
            let noun = if existing.len() == 1 {
                "existing table"
            } else {
                "existing tables"
            };
            format!(
                "`{command}` rewrites {noun} {} under an ACCESS EXCLUSIVE lock",
                existing.join(", ")
            )
        };
        out.push(ctx.finding(span, message).help(HELP));
    }
}
