//! `refresh-matview-not-concurrent`: `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY` on a
//! materialized view that already exists.

use pg_query::NodeEnum;

use crate::catalog::QualifiedName;
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;

declare_rule! {
    pub struct RefreshMatviewNotConcurrent {
        id: "refresh-matview-not-concurrent",
        family: Locking,
        severity: Warning,
        summary: "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of an existing view",
    }
}

impl Rule for RefreshMatviewNotConcurrent {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::RefreshMatViewStmt(stmt) = &ctx.statement.node else {
            return;
        };
        // WITH NO DATA empties the view; there is no concurrent form of it.
        if stmt.concurrent || stmt.skip_data {
            return;
        }
        let Some(rel) = &stmt.relation else {
            return;
        };
        let (schema, name) = ast::range_var_name(rel);
        let view = QualifiedName::new(schema, name);
        if !ctx.is_existing_table(&view) {
            return;
        }
        let message = format!(
            "`REFRESH MATERIALIZED VIEW` takes an ACCESS EXCLUSIVE lock on existing materialized \
             view `{view}`: reads of it wait until the refresh finishes"
        );
        let index = if ctx.catalog.table(&view).is_none() {
            "create one first if it has none"
        } else if ctx.catalog.indexes_on(&view).any(|index| {
            index.unique && !index.partial && index.columns.iter().all(Option::is_some)
        }) {
            "it has one"
        } else {
            "it has none yet: create one first (`CREATE UNIQUE INDEX ... ON` the view's key columns)"
        };
        let help = format!(
            "Use `REFRESH MATERIALIZED VIEW CONCURRENTLY {view}`: it builds the new contents and \
             merges them in while reads go on (EXCLUSIVE lock), and it can run inside a \
             transaction, so it works in drizzle and Alembic migrations as they are. It needs a \
             populated view and a UNIQUE index on plain columns without WHERE; {index}."
        );
        out.push(
            ctx.finding(ctx.name_span(Some(rel.location), &rel.relname), message)
                .help(help),
        );
    }
}
