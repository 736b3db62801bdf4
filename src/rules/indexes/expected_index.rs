//! `expected-index`: a column the config says must be indexed (`expected_indexes` of the table's
//! owner) is created without an index that leads with it by the end of its migration.

use std::collections::BTreeSet;

use crate::catalog::{Catalog, ColumnChange, RelationKind, written_columns};
use crate::diagnostic::Finding;
use crate::engine::{MigrationContext, Rule, declare_rule};
use crate::rules::support::advice;

declare_rule! {
    pub struct ExpectedIndex {
        id: "expected-index",
        family: Indexes,
        severity: Warning,
        summary: "A column the config expects to be indexed (e.g. `slug` on cms tables) has no index",
    }
}

impl Rule for ExpectedIndex {
    fn after_migration(&self, ctx: &MigrationContext, catalog: &Catalog, out: &mut Vec<Finding>) {
        let mut seen = BTreeSet::new();
        for statement in ctx.statements() {
            for column in written_columns(&statement.node) {
                if column.change == ColumnChange::AlterType {
                    continue;
                }
                let Some(table) = catalog.table(&column.table) else {
                    continue;
                };
                let new_table = table.created_in == ctx.index;
                if table.kind != RelationKind::Table
                    || (column.change == ColumnChange::Create && !new_table)
                    || table.column(column.name).is_none()
                {
                    continue;
                }
                let Some((owner, expected)) = ctx.config.expected_index(
                    Some(&table.name.schema),
                    &table.name.name,
                    column.name,
                ) else {
                    continue;
                };
                if !seen.insert((table.name.clone(), column.name)) {
                    continue;
                }
                let indexed = catalog.indexes_on(&table.name).any(|index| {
                    index.columns.first().and_then(Option::as_deref) == Some(column.name)
                });
                if indexed {
                    continue;
                }
                let statement_ctx = ctx.statement_context(statement, catalog);
                let span = statement_ctx.name_span(column.location, column.name);
                let tables = expected
                    .tables
                    .as_ref()
                    .map(|tables| format!(" of `{}` tables", tables.patterns.join("`, `")))
                    .unwrap_or_default();
                let message = format!(
                    "column `{}` of `{}` has no index that leads with it; {} expects `{}` \
                     columns{tables} to be indexed",
                    column.name,
                    table.name,
                    owner.name,
                    expected.columns.join("`, `")
                );
                let help = format!(
                    "{} If nothing looks rows up by `{}`, change `expected_indexes` of \
                     `[owners.{}]` in chronos-lint.toml.",
                    advice::add_index(
                        ctx,
                        &table.name,
                        std::slice::from_ref(&column.name.to_owned()),
                        new_table
                    ),
                    column.name,
                    owner.name
                );
                let index = advice::index_suggestion(
                    &table.name,
                    std::slice::from_ref(&column.name.to_owned()),
                    new_table,
                );
                out.push(
                    statement_ctx
                        .finding(span, message)
                        .help(help)
                        .suggest(index),
                );
            }
        }
    }
}
