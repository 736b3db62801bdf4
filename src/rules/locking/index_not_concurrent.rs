//! `index-not-concurrent`: `CREATE INDEX` without `CONCURRENTLY` on a table that already exists.

use pg_query::NodeEnum;
use pg_query::protobuf::IndexStmt;

use crate::catalog::{QualifiedName, expr};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::{self, ast};
use crate::rules::support::{advice, renames};
use crate::source::SourceKind;

declare_rule! {
    pub struct IndexNotConcurrent {
        id: "index-not-concurrent",
        family: Locking,
        severity: Warning,
        summary: "CREATE INDEX without CONCURRENTLY on an existing table blocks writes during the build",
    }
}

impl Rule for IndexNotConcurrent {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::IndexStmt(stmt) = &ctx.statement.node else {
            return;
        };
        let Some(rel) = &stmt.relation else {
            return;
        };
        if stmt.concurrent {
            return;
        }
        let (schema, name) = ast::range_var_name(rel);
        let table = QualifiedName::new(schema, name);
        if !ctx.is_existing_table(&table) {
            return;
        }
        let partitioned = ctx.catalog.is_partitioned(&table);
        // `ON ONLY` a partitioned table makes the parent's index alone, at once: the first step
        // of building one a partition at a time; with every partition's index built, the parent's
        // attaches them, at once too: the last step.
        if partitioned && (!rel.inh || ctx.catalog.attaches_partition_indexes(stmt)) {
            return;
        }
        let index = QualifiedName::new(schema, &stmt.idxname);
        // `IF NOT EXISTS` for an index the migrations already built does nothing.
        if stmt.if_not_exists && ctx.catalog.index(&index).is_some() {
            return;
        }
        let span = if stmt.idxname.is_empty() {
            ctx.name_span(Some(rel.location), &rel.relname)
        } else {
            ctx.name_span(None, &stmt.idxname)
        };
        let unique = if stmt.unique { "UNIQUE " } else { "" };
        let method = match stmt.access_method.as_str() {
            "" | "btree" => String::new(),
            method => format!(" ... USING {method}"),
        };
        let message = format!(
            "`CREATE {unique}INDEX{method}` on existing table `{table}` blocks writes while it builds"
        );
        if partitioned {
            out.push(advice::partitioned_index_finding(
                ctx.finding(span, message),
                ctx,
                stmt,
                &table,
            ));
            return;
        }
        let (help, suggestions) = advise(ctx, stmt, &table);
        let mut finding = ctx.finding(span, message).help(help);
        for suggestion in suggestions {
            finding = finding.suggest(suggestion);
        }
        out.push(finding);
    }
}

/// The help, and the statements it asks for (none when the index statement cannot be written).
fn advise(
    ctx: &StatementContext,
    stmt: &IndexStmt,
    table: &QualifiedName,
) -> (String, Vec<Suggestion>) {
    let concurrent = IndexStmt {
        concurrent: true,
        ..stmt.clone()
    };
    let Some(concurrent_sql) = parse::deparse(&NodeEnum::IndexStmt(Box::new(concurrent.clone())))
    else {
        return (
            help(ctx, stmt, table, "CREATE INDEX CONCURRENTLY ...", None),
            Vec::new(),
        );
    };
    let named = !stmt.idxname.is_empty();
    if ctx.migration.migration.kind() != SourceKind::Drizzle {
        let instead = Suggestion::instead([concurrent_sql.clone()]);
        // It cannot run where the statement runs: no text edit then.
        let instead = if ctx.statement.in_transaction || ctx.statement.in_do_block {
            instead
        } else {
            ctx.in_place(instead)
        };
        return (help(ctx, stmt, table, &concurrent_sql, None), vec![instead]);
    }
    // drizzle-kit: the index is built outside the migration, `IF NOT EXISTS` when it has a name
    // (so that a second run, and the migration's own statement, find it built).
    let prebuilt = if named {
        parse::deparse(&NodeEnum::IndexStmt(Box::new(IndexStmt {
            if_not_exists: true,
            ..concurrent
        })))
        .unwrap_or_else(|| concurrent_sql.clone())
    } else {
        concurrent_sql.clone()
    };
    // A column this migration adds cannot be indexed before it runs, nor a table or column it
    // renames under the new name: the build comes after.
    if not_there_before(ctx, stmt, table).is_some() {
        return (
            help(ctx, stmt, table, &prebuilt, None),
            vec![Suggestion::after([prebuilt])],
        );
    }
    // The migration's own statement then finds the index built.
    let kept = named
        .then(|| {
            parse::deparse(&NodeEnum::IndexStmt(Box::new(IndexStmt {
                if_not_exists: true,
                ..stmt.clone()
            })))
        })
        .flatten();
    let mut suggestions = vec![Suggestion::before([prebuilt.clone()])];
    if let Some(kept) = &kept {
        suggestions.push(ctx.in_place(Suggestion::instead([kept.clone()])));
    }
    (
        help(ctx, stmt, table, &prebuilt, kept.as_deref()),
        suggestions,
    )
}

/// `concurrent_sql`: the concurrent build to run (for drizzle, the one to run outside the
/// migration); `kept`: what a drizzle migration's statement becomes once that build is done.
fn help(
    ctx: &StatementContext,
    stmt: &IndexStmt,
    table: &QualifiedName,
    concurrent_sql: &str,
    kept: Option<&str>,
) -> String {
    let lock = format!(
        "A plain `CREATE INDEX` holds a SHARE lock on `{table}` for the whole build: reads go on, \
         every INSERT, UPDATE and DELETE waits."
    );
    match ctx.migration.migration.kind() {
        SourceKind::Drizzle => {
            let prebuilt = concurrent_sql;
            let leftover = if stmt.idxname.is_empty() {
                String::new()
            } else {
                advice::invalid_leftover(&advice::quote(&stmt.idxname))
            };
            // A column this migration adds (or a name it gives) is not there before it runs.
            if let Some(reason) = not_there_before(ctx, stmt, table) {
                return format!(
                    "{lock} {reason}, so the index cannot be built as written before it: take \
                     the `CREATE INDEX` out of this migration. {} Then \
                     record the index in the drizzle schema: the next migration's `CREATE INDEX \
                     IF NOT EXISTS` finds it built. {leftover}",
                    advice::drizzle_separate_step(
                        prebuilt,
                        "once `drizzle-kit migrate` has applied this migration"
                    ),
                );
            }
            let kept = kept.map_or_else(
                || "`CREATE INDEX IF NOT EXISTS`".to_owned(),
                |kept| format!("`{kept}`"),
            );
            format!(
                "{lock} {} Then make this statement {kept} (it finds the index built and only \
                 takes the lock for a moment) and mark it `-- chronos-lint: ignore \
                 index-not-concurrent -- built concurrently before migrate`. If `{table}` is small \
                 enough to block writes for the build, keep the statement and suppress this with \
                 that reason instead. {}",
                advice::drizzle_separate_step(prebuilt, "before `drizzle-kit migrate`"),
                // Only a named index is built `IF NOT EXISTS`.
                leftover,
            )
        }
        SourceKind::Alembic => {
            let op = advice::alembic_create_index(stmt, table);
            format!(
                "{lock} {} A concurrent build that fails leaves an INVALID index: drop it and run \
                 the revision again.",
                advice::outside_transaction(ctx, concurrent_sql, &op)
            )
        }
        SourceKind::Plain => {
            // The suggested build keeps the statement's `IF NOT EXISTS`.
            let leftover = if stmt.if_not_exists && !stmt.idxname.is_empty() {
                format!(
                    " {}",
                    advice::invalid_leftover(&advice::quote(&stmt.idxname))
                )
            } else {
                String::new()
            };
            format!(
                "{lock} Build it with `{concurrent_sql}`, which lets writes go on; it cannot run \
                 inside a transaction block.{}{leftover}",
                advice::plain_placement(ctx)
            )
        }
    }
}

/// Why the index cannot be built as written before the statement's migration runs: a column
/// of it that the migration added to the (existing) table, or the table or a column of it
/// that the migration renamed before the statement.
fn not_there_before(
    ctx: &StatementContext,
    stmt: &IndexStmt,
    table: &QualifiedName,
) -> Option<String> {
    let mut columns: Vec<String> = Vec::new();
    for param in stmt.index_params.iter().chain(&stmt.index_including_params) {
        match param.node.as_ref() {
            Some(NodeEnum::IndexElem(elem)) if !elem.name.is_empty() => {
                columns.push(elem.name.clone());
            }
            Some(NodeEnum::IndexElem(elem)) => {
                if let Some(expr) = elem.expr.as_deref() {
                    columns.extend(expr::referenced_columns(expr));
                }
            }
            _ => {}
        }
    }
    if let Some(predicate) = stmt.where_clause.as_deref() {
        columns.extend(expr::referenced_columns(predicate));
    }
    columns.dedup();
    if let Some(column) = columns
        .iter()
        .find(|name| ctx.column_added_here(table, name).is_some())
    {
        return Some(format!("Column `{column}` is added by this migration"));
    }
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    renames::renamed_here(ctx, table, &names)
        .map(|renamed| format!("This migration {renamed} before this statement"))
}
