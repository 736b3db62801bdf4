//! `missing-primary-key`: `CREATE TABLE` without a primary key, and none added by the end of the
//! same migration.

use std::collections::BTreeSet;

use pg_query::NodeEnum;

use crate::catalog::{Catalog, QualifiedName, RelationKind, is_tracking_table};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{MigrationContext, Rule, declare_rule};
use crate::parse::ast;

declare_rule! {
    pub struct MissingPrimaryKey {
        id: "missing-primary-key",
        family: Indexes,
        severity: Warning,
        summary: "A new table has no primary key when its migration ends",
    }
}

impl Rule for MissingPrimaryKey {
    fn after_migration(&self, ctx: &MigrationContext, catalog: &Catalog, out: &mut Vec<Finding>) {
        let mut reported = BTreeSet::new();
        for statement in ctx.statements() {
            let NodeEnum::CreateStmt(stmt) = &statement.node else {
                continue;
            };
            let Some(relation) = &stmt.relation else {
                continue;
            };
            // Temporary tables live for one session; partitions get the parent's key; `LIKE`
            // may copy one from a table the catalog cannot see.
            let copies_definition = stmt
                .table_elts
                .iter()
                .any(|element| matches!(element.node, Some(NodeEnum::TableLikeClause(_))));
            if ast::creates_temporary_table(&statement.node)
                || stmt.partbound.is_some()
                || copies_definition
            {
                continue;
            }
            let (schema, name) = ast::range_var_name(relation);
            let name = QualifiedName::new(schema, name);
            let Some(table) = catalog.table(&name) else {
                continue;
            };
            if table.kind != RelationKind::Table
                || table.created_in != ctx.index
                || table.primary_key().is_some()
                || table.hypertable
                || is_tracking_table(&name)
                || !reported.insert(name.clone())
            {
                continue;
            }
            let statement_ctx = ctx.statement_context(statement, catalog);
            let span = statement_ctx.name_span(Some(relation.location), &name.name);
            let message = format!("table `{name}` has no primary key");
            // The surrogate key as a statement, where the table has no `id` to collide with
            // (and is not partitioned: its key would have to hold the partition key).
            let add = (table.column("id").is_none() && !table.partitioned).then(|| {
                format!(
                    "ALTER TABLE {} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                    name.to_sql()
                )
            });
            let surrogate = match &add {
                Some(sql) => format!("`{sql};`"),
                None => "`id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY`".to_owned(),
            };
            let help = format!(
                "Without a primary key a row cannot be addressed on its own: logical replication \
                 cannot replicate UPDATE or DELETE on `{name}`, Directus and most ORMs cannot edit \
                 its rows, and duplicate rows go unnoticed. Add one in this migration: a \
                 surrogate {surrogate} (drizzle: `.primaryKey()`; SQLAlchemy: \
                 `primary_key=True`) or `PRIMARY KEY (...)` on the natural key."
            );
            let finding = statement_ctx.finding(span, message).help(help);
            out.push(match add {
                Some(sql) => finding.suggest(Suggestion::after([sql])),
                None => finding,
            });
        }
    }
}
