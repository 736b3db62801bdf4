//! `refresh-matview-not-concurrent`: `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY` on a
//! materialized view that already exists.

use pg_query::NodeEnum;
use pg_query::protobuf::RefreshMatViewStmt;

use crate::catalog::QualifiedName;
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::{self, ast};

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
        let has_key = ctx.catalog.indexes_on(&view).any(|index| {
            index.unique && !index.partial && index.columns.iter().all(Option::is_some)
        });
        let index = if ctx.catalog.table(&view).is_none() {
            "create one first if it has none"
        } else if has_key {
            "it has one"
        } else {
            "it has none yet: create one first (`CREATE UNIQUE INDEX ... ON` the view's key columns)"
        };
        let concurrent = parse::deparse(&NodeEnum::RefreshMatViewStmt(RefreshMatViewStmt {
            concurrent: true,
            ..stmt.clone()
        }))
        .unwrap_or_else(|| format!("REFRESH MATERIALIZED VIEW CONCURRENTLY {}", view.to_sql()));
        let help = format!(
            "Use `{concurrent}`: it builds the new contents and \
             merges them in while reads go on (EXCLUSIVE lock), and it can run inside a \
             transaction, so it works in drizzle and Alembic migrations as they are. It needs a \
             populated view and a UNIQUE index on plain columns without WHERE; {index}."
        );
        let finding = ctx
            .finding(ctx.name_span(Some(rel.location), &rel.relname), message)
            .help(help);
        // Only a view with such an index can be refreshed concurrently.
        out.push(if has_key {
            finding.suggest(ctx.in_place(Suggestion::instead([concurrent])))
        } else {
            finding
        });
    }
}
