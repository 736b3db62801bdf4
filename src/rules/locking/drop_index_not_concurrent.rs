//! `drop-index-not-concurrent`: `DROP INDEX` without `CONCURRENTLY` on an index of a table that
//! already exists.

use pg_query::NodeEnum;
use pg_query::protobuf::ObjectType;

use crate::catalog::QualifiedName;
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;
use crate::rules::support::{advice, renames};
use crate::source::SourceKind;

declare_rule! {
    pub struct DropIndexNotConcurrent {
        id: "drop-index-not-concurrent",
        family: Locking,
        severity: Warning,
        summary: "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on an existing table",
    }
}

impl Rule for DropIndexNotConcurrent {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::DropStmt(stmt) = &ctx.statement.node else {
            return;
        };
        if stmt.concurrent || stmt.remove_type != ObjectType::ObjectIndex as i32 {
            return;
        }
        for object in &stmt.objects {
            let Some(index) =
                ast::qualified_name(object).and_then(|parts| QualifiedName::from_parts(&parts))
            else {
                continue;
            };
            // An index the catalog does not know was made outside these migrations, on a table
            // that exists already.
            let table = ctx.catalog.index(&index).map(|known| known.table.clone());
            if table.as_ref().is_some_and(|t| !ctx.is_existing_table(t)) {
                continue;
            }
            let on = table.as_ref().map_or_else(
                || "its table".to_owned(),
                |table| format!("existing table `{table}`"),
            );
            let message = format!(
                "`DROP INDEX` `{index}` takes an ACCESS EXCLUSIVE lock on {on}: reads and writes \
                 wait until the drop is done"
            );
            let span = ctx.name_span(None, &index.name);
            if let Some(table) = table.as_ref().filter(|t| ctx.catalog.is_partitioned(t)) {
                out.push(ctx.finding(span, message).help(partitioned_help(table)));
                continue;
            }
            let index_sql = index.to_sql();
            let mut finding = ctx.finding(span, message);
            // A statement that drops this index alone can be replaced as a whole.
            let sole = stmt.objects.len() == 1;
            let in_place = |suggestion: Suggestion| {
                if sole {
                    ctx.in_place(suggestion)
                } else {
                    suggestion
                }
            };
            let old_name = renames::index_before_migration(ctx, &index);
            let help = if ctx.migration.migration.kind() == SourceKind::Drizzle && old_name != index
            {
                // Renamed by this migration: dropping it first would break the rename, so it
                // is dropped once the migration has run.
                let after = format!("DROP INDEX CONCURRENTLY IF EXISTS {index_sql}");
                finding = finding.suggest(Suggestion::after([after.clone()]));
                format!(
                    "{WHY} This migration renames `{old_name}` to `{index}` before this \
                     statement, so the index cannot be dropped under this name before it (and \
                     dropping it first would make the rename fail): take the `DROP INDEX` out of \
                     this migration. {}",
                    advice::drizzle_separate_step(
                        &after,
                        "once `drizzle-kit migrate` has applied this migration"
                    )
                )
            } else if ctx.migration.migration.kind() == SourceKind::Drizzle {
                // Dropped outside the migration first; the migration's own drop then finds it
                // gone.
                let prebuilt = format!("DROP INDEX CONCURRENTLY IF EXISTS {index_sql}");
                let kept = format!("DROP INDEX IF EXISTS {index_sql}");
                finding = finding
                    .suggest(Suggestion::before([prebuilt.clone()]))
                    .suggest(in_place(Suggestion::instead([kept.clone()])));
                drizzle_help(&prebuilt, &kept)
            } else {
                let if_exists = if stmt.missing_ok { "IF EXISTS " } else { "" };
                let sql = format!("DROP INDEX CONCURRENTLY {if_exists}{index_sql}");
                let instead = Suggestion::instead([sql.clone()]);
                // It cannot run where the statement runs: no text edit then.
                finding = finding.suggest(
                    if ctx.statement.in_transaction || ctx.statement.in_do_block {
                        instead
                    } else {
                        in_place(instead)
                    },
                );
                help(ctx, &sql, &index, table.as_ref())
            };
            out.push(finding.help(help));
        }
    }
}

const WHY: &str = "The drop itself is quick, but it must wait for every query on the table to \
                   finish, and every query that arrives meanwhile waits behind it.";

/// drizzle-kit: `prebuilt` drops the index before the migration, which `kept` then finds gone.
fn drizzle_help(prebuilt: &str, kept: &str) -> String {
    format!(
        "{WHY} {} Then make this statement `{kept}` (a no-op once the index is gone) and mark it \
         `-- chronos-lint: ignore drop-index-not-concurrent -- dropped concurrently before \
         migrate`. If the table is small and quiet, keep the statement and suppress this with \
         that reason instead.",
        advice::drizzle_separate_step(prebuilt, "before `drizzle-kit migrate`")
    )
}

/// `sql`: the concurrent drop to run instead.
fn help(
    ctx: &StatementContext,
    sql: &str,
    index: &QualifiedName,
    table: Option<&QualifiedName>,
) -> String {
    let why = WHY;
    match ctx.migration.migration.kind() {
        SourceKind::Alembic | SourceKind::Drizzle => {
            let op = advice::alembic_drop_index(index, table);
            format!("{why} {}", advice::outside_transaction(ctx, sql, &op))
        }
        SourceKind::Plain => format!(
            "{why} Use `{sql}` (one index per statement, no CASCADE): it waits for running \
             queries without blocking new ones; it cannot run inside a transaction block.{}",
            advice::plain_placement(ctx)
        ),
    }
}

/// An index of a partitioned table has no concurrent drop: PostgreSQL refuses `DROP INDEX
/// CONCURRENTLY` of it, and the partitions' indexes cannot be dropped while attached.
fn partitioned_help(table: &QualifiedName) -> String {
    format!(
        "`{table}` is partitioned, and PostgreSQL refuses `DROP INDEX CONCURRENTLY` of its \
         indexes (nor can the partitions' indexes be dropped one by one while attached): this \
         plain `DROP INDEX` is the only form, and it takes ACCESS EXCLUSIVE on `{table}` and \
         every partition. The drop itself is quick: set a short `lock_timeout` first, so that it \
         gives up (and can be retried) instead of queueing every query behind it, and run it \
         when the table is quiet; then mark it `-- chronos-lint: ignore \
         drop-index-not-concurrent -- partitioned index, lock_timeout set`."
    )
}
