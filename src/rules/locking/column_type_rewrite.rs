//! `column-type-rewrite`: `ALTER COLUMN ... TYPE` that makes PostgreSQL rewrite an existing table
//! and rebuild its indexes under an ACCESS EXCLUSIVE lock.

use pg_query::NodeEnum;
use pg_query::protobuf::Node;

use crate::catalog::types::{self, ColumnTypeChange, Rewrite};
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;
use crate::source::SourceKind;

declare_rule! {
    pub struct ColumnTypeRewrite {
        id: "column-type-rewrite",
        family: Locking,
        severity: Warning,
        summary: "ALTER COLUMN TYPE rewrites an existing table and its indexes under ACCESS EXCLUSIVE",
    }
}

/// Versions before 12 rewrite timestamp ↔ timestamptz whatever the time zone.
const UTC_SHORTCUT_SINCE: u32 = 12;

impl Rule for ColumnTypeRewrite {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::AlterTableStmt(stmt) = &ctx.statement.node else {
            return;
        };
        for change in types::column_type_changes(ctx.catalog, stmt) {
            if !ctx.is_existing_table(&change.table) {
                continue;
            }
            let (column, table, new) = (change.column, &change.table, &change.new);
            let verdict = verdict(&change);
            let from = change
                .old
                .as_deref()
                .map(|old| format!(" from `{old}`"))
                .unwrap_or_default();
            let change_text = format!("changing `{column}`{from} to `{new}`");
            let message = match verdict {
                Verdict::Rewrites(Rewrite::None) => continue,
                Verdict::Rewrites(Rewrite::Indexes) => {
                    let indexes: Vec<String> = ctx
                        .catalog
                        .indexes_on(table)
                        .filter(|i| i.columns.iter().any(|c| c.as_deref() == Some(column)))
                        .map(|i| format!("`{}`", i.name.name))
                        .collect();
                    if indexes.is_empty() {
                        continue;
                    }
                    format!(
                        "{change_text} rebuilds {} {} of existing table `{table}` under an ACCESS \
                         EXCLUSIVE lock",
                        if indexes.len() == 1 {
                            "index"
                        } else {
                            "indexes"
                        },
                        indexes.join(", ")
                    )
                }
                Verdict::Rewrites(Rewrite::TableUnlessUtc)
                    if ctx.migration.config.pg_version >= UTC_SHORTCUT_SINCE =>
                {
                    format!(
                        "{change_text} rewrites existing table `{table}` unless the session's \
                         TimeZone is UTC, and rebuilds any index on `{column}` either way, under an \
                         ACCESS EXCLUSIVE lock"
                    )
                }
                Verdict::Rewrites(Rewrite::TableUnlessUtc | Rewrite::Table) => format!(
                    "{change_text} rewrites existing table `{table}` and all its indexes under an \
                     ACCESS EXCLUSIVE lock"
                ),
                Verdict::Using => format!(
                    "{change_text} computes every value with its `USING` expression, so PostgreSQL \
                     rewrites existing table `{table}` and all its indexes under an ACCESS EXCLUSIVE \
                     lock"
                ),
                Verdict::Rewrites(Rewrite::Unknown) => {
                    let why = match &change.old {
                        None => format!("the current type of `{column}` is not known here"),
                        Some(old) => {
                            format!("whether `{old}` converts to `{new}` in place is not known")
                        }
                    };
                    format!(
                        "{change_text} may rewrite existing table `{table}` and all its indexes under \
                         an ACCESS EXCLUSIVE lock: {why}"
                    )
                }
            };
            let holds = match ctx.migration.migration.kind {
                SourceKind::Drizzle => {
                    " drizzle-kit holds the lock until all pending migrations have run, since they \
                     share one transaction."
                }
                SourceKind::Alembic => {
                    " Alembic holds it until the revision's transaction commits."
                }
                SourceKind::Plain => "",
            };
            let help = format!(
                "Every read and write of `{table}` waits while the table is copied and its indexes \
                 rebuilt.{holds} For a large table, expand/contract instead: add a column of the new \
                 type, keep it in sync (application writes or a trigger), backfill it in batches, \
                 switch readers, and drop the old column in a later migration. A wider `varchar`, \
                 `varchar` → `text` and a `numeric` with more precision and the same scale need no \
                 rewrite; to cap a length, a `CHECK (char_length(...) <= n) NOT VALID` constraint \
                 and a later `VALIDATE CONSTRAINT` avoid one. Set `lock_timeout` so the migration \
                 gives up instead of queueing behind long transactions."
            );
            out.push(
                ctx.finding(ctx.type_span(change.new_type), message)
                    .help(help),
            );
        }
    }
}

enum Verdict {
    /// What the type change itself does (no `USING`, or one that only names or casts the column).
    Rewrites(Rewrite),
    /// The `USING` expression computes new values: always a rewrite.
    Using,
}

fn verdict(change: &ColumnTypeChange) -> Verdict {
    match change.using {
        None => Verdict::Rewrites(from_old(change, &change.new)),
        Some(using) => through(change, using, &change.new),
    }
}

/// The old type against `to`, or unknown without an old type.
fn from_old(change: &ColumnTypeChange, to: &str) -> Rewrite {
    change
        .old
        .as_deref()
        .map_or(Rewrite::Unknown, |old| types::rewrite(old, to))
}

/// What `USING expr`, coerced to `to`, does: the column itself or casts of it convert like a
/// plain type change (`USING "c"::int8` is what drizzle-kit writes); anything else computes new
/// values, which PostgreSQL stores by rewriting the table.
fn through(change: &ColumnTypeChange, expr: &Node, to: &str) -> Verdict {
    match expr.node.as_ref() {
        Some(NodeEnum::ColumnRef(column_ref))
            if ast::strings(&column_ref.fields).last() == Some(&change.column) =>
        {
            Verdict::Rewrites(from_old(change, to))
        }
        Some(NodeEnum::TypeCast(cast)) => {
            let (Some(arg), Some(cast_type)) = (cast.arg.as_deref(), cast.type_name.as_ref())
            else {
                return Verdict::Using;
            };
            let cast_to = types::type_name(cast_type);
            match through(change, arg, &cast_to) {
                Verdict::Using => Verdict::Using,
                Verdict::Rewrites(inner) => {
                    Verdict::Rewrites(combine(inner, types::rewrite(&cast_to, to)))
                }
            }
        }
        _ => Verdict::Using,
    }
}

/// Two conversions in a row: the heavier one decides; an unknown step stays unknown unless the
/// other one rewrites anyway.
fn combine(a: Rewrite, b: Rewrite) -> Rewrite {
    match (a, b) {
        (Rewrite::Table, _) | (_, Rewrite::Table) => Rewrite::Table,
        (Rewrite::Unknown, _) | (_, Rewrite::Unknown) => Rewrite::Unknown,
        (a, b) => a.max(b),
    }
}
