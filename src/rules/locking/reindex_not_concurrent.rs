//! `reindex-not-concurrent`: `REINDEX` without `CONCURRENTLY` (PostgreSQL 12+) on existing
//! tables.

use pg_query::NodeEnum;
use pg_query::protobuf::ReindexObjectType;

use crate::catalog::QualifiedName;
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;
use crate::rules::support::advice::{self, py_str};
use crate::source::SourceKind;

declare_rule! {
    pub struct ReindexNotConcurrent {
        id: "reindex-not-concurrent",
        family: Locking,
        severity: Warning,
        summary: "REINDEX without CONCURRENTLY blocks writes (and reads using the index) on existing tables",
    }
}

/// PostgreSQL got `REINDEX CONCURRENTLY` in version 12.
const CONCURRENT_REINDEX_SINCE: u32 = 12;

impl Rule for ReindexNotConcurrent {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::ReindexStmt(stmt) = &ctx.statement.node else {
            return;
        };
        if ast::option_enabled(&stmt.params, "concurrently") {
            return;
        }
        let relation = stmt.relation.as_ref().map(|rel| {
            let (schema, name) = ast::range_var_name(rel);
            (QualifiedName::new(schema, name), rel)
        });
        let (kind, span, message) = match (ReindexObjectType::try_from(stmt.kind), &relation) {
            (Ok(ReindexObjectType::ReindexObjectIndex), Some((index, rel))) => {
                let table = ctx.catalog.index(index).map(|known| known.table.clone());
                if table.as_ref().is_some_and(|t| !ctx.is_existing_table(t)) {
                    return;
                }
                let on = table.map_or_else(
                    || "its table".to_owned(),
                    |table| format!("existing table `{table}`"),
                );
                (
                    "INDEX",
                    ctx.name_span(Some(rel.location), &rel.relname),
                    format!(
                        "`REINDEX INDEX` `{index}` blocks writes to {on}, and reads that use the \
                         index, until the rebuild finishes"
                    ),
                )
            }
            (Ok(ReindexObjectType::ReindexObjectTable), Some((table, rel))) => {
                if !ctx.is_existing_table(table) {
                    return;
                }
                (
                    "TABLE",
                    ctx.name_span(Some(rel.location), &rel.relname),
                    format!(
                        "`REINDEX TABLE` blocks writes to existing table `{table}`, and reads \
                         that use its indexes, until every index is rebuilt"
                    ),
                )
            }
            (Ok(ReindexObjectType::ReindexObjectSchema), _) => (
                "SCHEMA",
                name_or_keyword(ctx, &stmt.name),
                format!(
                    "`REINDEX SCHEMA` `{}` blocks writes to each of its tables, and reads that \
                     use their indexes, while that table's indexes are rebuilt",
                    stmt.name
                ),
            ),
            (Ok(ReindexObjectType::ReindexObjectDatabase), _) => (
                "DATABASE",
                name_or_keyword(ctx, &stmt.name),
                "`REINDEX DATABASE` blocks writes to each table of the database, and reads that \
                 use its indexes, while that table's indexes are rebuilt"
                    .to_owned(),
            ),
            // System catalogs cannot be reindexed concurrently at all.
            _ => return,
        };
        let target = match &relation {
            Some((name, _)) => name.to_sql(),
            None => crate::parse::quote_ident(&stmt.name).into_owned(),
        };
        let finding = ctx.finding(span, message).help(help(ctx, kind, &target));
        let concurrent = format!("REINDEX {kind} CONCURRENTLY {target}");
        out.push(
            if ctx.migration.config.pg_version < CONCURRENT_REINDEX_SINCE {
                finding
            } else if ctx.statement.in_transaction || ctx.statement.in_do_block {
                // It cannot run where the statement runs: no text edit.
                finding.suggest(Suggestion::instead([concurrent]))
            } else {
                finding.suggest(ctx.in_place(Suggestion::instead([concurrent])))
            },
        );
    }
}

fn name_or_keyword(ctx: &StatementContext, name: &str) -> std::ops::Range<usize> {
    if name.is_empty() {
        ctx.first_token_span()
    } else {
        ctx.name_span(None, name)
    }
}

fn help(ctx: &StatementContext, kind: &str, target: &str) -> String {
    let pg_version = ctx.migration.config.pg_version;
    if pg_version < CONCURRENT_REINDEX_SINCE {
        let rebuild = "build a replacement with `CREATE INDEX CONCURRENTLY`, then `DROP INDEX \
                       CONCURRENTLY` the old index and `ALTER INDEX ... RENAME` the new one (an \
                       index behind a constraint is swapped with `ALTER TABLE ... ADD CONSTRAINT \
                       ... USING INDEX`)";
        let outside = match ctx.migration.migration.kind() {
            SourceKind::Plain => advice::plain_placement(ctx).to_owned(),
            _ => format!(
                " {}",
                advice::outside_transaction(
                    ctx,
                    "CREATE INDEX CONCURRENTLY",
                    "op.create_index(..., postgresql_concurrently=True)"
                )
            ),
        };
        return format!(
            "PostgreSQL {pg_version} (config `pg_version`) has no `REINDEX CONCURRENTLY` (it came \
             in 12): {rebuild}.{outside}"
        );
    }
    let sql = format!("REINDEX {kind} CONCURRENTLY {target}");
    let op = format!("op.execute({})", py_str(&sql));
    let base = format!(
        "`{sql}` builds new indexes next to the old ones and swaps them without blocking writes \
         (it needs more time and disk, and cannot run inside a transaction block)."
    );
    match ctx.migration.migration.kind() {
        SourceKind::Plain => format!("{base}{}", advice::plain_placement(ctx)),
        _ => format!("{base} {}", advice::outside_transaction(ctx, &sql, &op)),
    }
}

#[cfg(test)]
mod tests {
    use super::ReindexNotConcurrent;
    use crate::rules::testing::{lint, pg};

    #[test]
    fn help_follows_the_postgres_version() {
        let files = [("0001.sql", "REINDEX TABLE cms_posts;\n")];
        let modern = lint(&files, &pg(15), ReindexNotConcurrent::ID);
        assert!(
            modern[0]
                .help
                .as_deref()
                .unwrap()
                .contains("REINDEX TABLE CONCURRENTLY cms_posts")
        );
        let old = lint(&files, &pg(11), ReindexNotConcurrent::ID);
        let help = old[0].help.as_deref().unwrap();
        assert!(help.contains("has no `REINDEX CONCURRENTLY`"), "{help}");
        assert!(help.contains("CREATE INDEX CONCURRENTLY"), "{help}");
    }
}
