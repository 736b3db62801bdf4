//! `column-type-rewrite`: `ALTER COLUMN ... TYPE` that makes PostgreSQL rewrite an existing table
//! and rebuild its indexes under an ACCESS EXCLUSIVE lock.

use pg_query::NodeEnum;

use crate::catalog::types::{self, Conversion, Rewrite};
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
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
            let verdict = change.conversion();
            let from = change
                .old
                .as_deref()
                .map(|old| format!(" from `{old}`"))
                .unwrap_or_default();
            let change_text = format!("changing `{column}`{from} to `{new}`");
            // Without a rewrite, PostgreSQL still checks every row against the validated CHECK
            // constraints on the column (a rewrite checks them as it writes).
            let checks: Vec<String> = change
                .rechecked(ctx.catalog)
                .iter()
                .map(|c| format!("`{}`", c.name_on(table)))
                .collect();
            let rechecks = (!checks.is_empty()).then(|| {
                format!(
                    "checks every row against {} {} again",
                    plural(checks.len(), "constraint", "constraints"),
                    checks.join(", ")
                )
            });
            let message = match verdict {
                Conversion::Rewrites(Rewrite::None) => match rechecks {
                    None => continue,
                    Some(rechecks) => format!(
                        "{change_text} keeps the stored values but {rechecks}, scanning existing \
                         table `{table}` under an ACCESS EXCLUSIVE lock"
                    ),
                },
                Conversion::Rewrites(Rewrite::Indexes) => {
                    let indexes: Vec<String> = change
                        .rebuilt_indexes(ctx.catalog)
                        .iter()
                        .map(|i| format!("`{}`", i.name.name))
                        .collect();
                    let rebuilds = (!indexes.is_empty()).then(|| {
                        format!(
                            "rebuilds {} {}",
                            plural(indexes.len(), "index", "indexes"),
                            indexes.join(", ")
                        )
                    });
                    let work: Vec<String> = rebuilds.into_iter().chain(rechecks).collect();
                    if work.is_empty() {
                        continue;
                    }
                    format!(
                        "{change_text} {} under an ACCESS EXCLUSIVE lock on existing table \
                         `{table}`",
                        work.join(" and ")
                    )
                }
                Conversion::Rewrites(Rewrite::TableUnlessUtc)
                    if ctx.migration.config.pg_version >= UTC_SHORTCUT_SINCE =>
                {
                    format!(
                        "{change_text} rewrites existing table `{table}` unless the session's \
                         TimeZone is UTC, and rebuilds any index on `{column}` either way, under an \
                         ACCESS EXCLUSIVE lock"
                    )
                }
                Conversion::Rewrites(Rewrite::TableUnlessUtc | Rewrite::Table) => format!(
                    "{change_text} rewrites existing table `{table}` and all its indexes under an \
                     ACCESS EXCLUSIVE lock"
                ),
                Conversion::Computed => format!(
                    "{change_text} computes every value with its `USING` expression, so PostgreSQL \
                     rewrites existing table `{table}` and all its indexes under an ACCESS EXCLUSIVE \
                     lock"
                ),
                Conversion::Rewrites(Rewrite::Unknown) => {
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
            let holds = match ctx.migration.migration.kind() {
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

fn plural(count: usize, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 { one } else { many }
}
