//! `add-column-volatile-default`: `ADD COLUMN` on an existing table with a default that must be
//! computed for every row, which rewrites the table under an ACCESS EXCLUSIVE lock.

use std::ops::Range;

use pg_query::protobuf::{ColumnDef, ConstrType};

use crate::catalog::FAST_DEFAULT_SINCE;
use crate::catalog::expr::{ColumnDefault, column_default};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::{ast, quote_ident};
use crate::rules::support::advice::{self, Steps};
use crate::rules::support::alter_table::{TableAction, existing_table_actions};

use super::add_column_required::{not_null_help, not_null_statements};

declare_rule! {
    pub struct AddColumnVolatileDefault {
        id: "add-column-volatile-default",
        family: Locking,
        severity: Warning,
        summary: "ADD COLUMN with a volatile default (or any default before PostgreSQL 11) rewrites an existing table",
    }
}

impl Rule for AddColumnVolatileDefault {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let pg_version = ctx.migration.config.pg_version;
        let kind = ctx.migration.migration.kind();
        for action in existing_table_actions(ctx) {
            let Some(column) = action.added_column() else {
                continue;
            };
            let default = column_default(column);
            let table = &action.table;
            let name = &column.colname;
            let (table_sql, name_sql) = (table.to_sql(), quote_ident(name));
            let lock =
                "under an ACCESS EXCLUSIVE lock that blocks reads and writes until it is done";
            let backfill = "backfill existing rows in batches that each commit";
            let note = advice::tool_note(
                kind,
                Steps {
                    backfill: true,
                    ..Steps::default()
                },
            );
            // The column added without its default, which is then set for new rows only.
            let split = split_default(ctx, &action, column);
            let (span, message, help) = match &default {
                ColumnDefault::Volatile { function, location } => (
                    ctx.name_span(Some(*location), function),
                    format!(
                        "new column `{name}` with volatile default `{function}()` rewrites \
                         existing table `{table}` to give every row its own value, {lock}"
                    ),
                    match &split {
                        Some(split) => format!(
                            "Add `{name}` without a default (or with a constant one): `{}`; \
                                 then `{}` so that new rows get one, and {backfill}{}. Constant \
                                 and STABLE defaults (`now()`, literals) do not rewrite on \
                                 PostgreSQL 11+.{note}",
                            split.add,
                            split.set_default,
                            split.not_null_help(pg_version),
                        ),
                        None => format!(
                            "Add `{name}` without a default (or with a constant one), {backfill}, \
                             then `ALTER TABLE {table_sql} ALTER COLUMN {name_sql} SET DEFAULT \
                             {}` so that new rows get one. Constant and STABLE defaults \
                             (`now()`, literals) do not rewrite on PostgreSQL 11+.{note}",
                            default_text(ctx, column, &action.span).unwrap_or("...")
                        ),
                    },
                ),
                ColumnDefault::Serial {
                    type_name,
                    location,
                } => (
                    ctx.name_span(Some(*location), type_name),
                    format!(
                        "new `{type_name}` column `{name}` rewrites existing table `{table}` to \
                         give every row a sequence value, {lock}"
                    ),
                    format!(
                        "Create the sequence, add `{name}` as a plain integer column, {backfill} \
                         (`nextval(...)`), then `ALTER TABLE {table_sql} ALTER COLUMN {name_sql} \
                         SET DEFAULT nextval(...)` and `ALTER SEQUENCE ... OWNED BY \
                         {table_sql}.{name_sql}`.{note}"
                    ),
                ),
                ColumnDefault::Identity { location } => (
                    ctx.name_span(Some(*location), "GENERATED"),
                    format!(
                        "new identity column `{name}` rewrites existing table `{table}` to give \
                         every row a sequence value, {lock}"
                    ),
                    format!(
                        "Add `{name}` as a plain integer column, {backfill}, make it NOT NULL \
                         (see set-not-null), then `ALTER TABLE {table_sql} ALTER COLUMN \
                         {name_sql} ADD GENERATED BY DEFAULT AS IDENTITY` (no rewrite) and move \
                         its sequence past the largest value with `setval`.{note}"
                    ),
                ),
                ColumnDefault::Generated { location } => (
                    ctx.name_span(Some(*location), "GENERATED"),
                    format!(
                        "new stored generated column `{name}` rewrites existing table `{table}` \
                         to compute every row, {lock}"
                    ),
                    format!(
                        "A stored generated column cannot be added without a rewrite. Add a plain \
                         column kept current by a trigger and {backfill}; or run the rewrite in a \
                         maintenance window; or, on PostgreSQL 18+, add a VIRTUAL generated \
                         column, which stores nothing.{note}"
                    ),
                ),
                ColumnDefault::Once if pg_version < FAST_DEFAULT_SINCE => (
                    action.span.clone(),
                    format!(
                        "new column `{name}` with a DEFAULT rewrites existing table `{table}` on \
                         PostgreSQL {pg_version} (`pg_version`), {lock}; only PostgreSQL 11+ \
                         stores the default without a rewrite"
                    ),
                    match &split {
                        Some(split) => format!(
                            "Add `{name}` without a default (`{}`), then `{}` (new rows \
                                 only, no rewrite), then {backfill}{}.{note}",
                            split.add,
                            split.set_default,
                            split.not_null_help(pg_version),
                        ),
                        None => format!(
                            "Add `{name}` without a default, then `ALTER TABLE {table_sql} ALTER \
                             COLUMN {name_sql} SET DEFAULT {}` (new rows only, no rewrite), then \
                             {backfill}.{note}",
                            default_text(ctx, column, &action.span).unwrap_or("...")
                        ),
                    },
                ),
                ColumnDefault::None | ColumnDefault::Null | ColumnDefault::Once => continue,
            };
            // The arms that get here with a volatile default, or any default before PostgreSQL
            // 11, are the ones whose help gives the split.
            let suggestion = match default {
                ColumnDefault::Volatile { .. } | ColumnDefault::Once => {
                    split.map(|split| split.suggestion(ctx))
                }
                _ => None,
            };
            let finding = ctx.finding(span, message).help(help);
            out.push(match suggestion {
                Some(suggestion) => finding.suggest(suggestion),
                None => finding,
            });
        }
    }
}

/// A column added with a default, as the statements that add it without one and then set the
/// default for new rows, and (for a NOT NULL column, added nullable) make it NOT NULL once the
/// existing rows are filled.
struct SplitDefault {
    add: String,
    set_default: String,
    not_null: Vec<String>,
}

impl SplitDefault {
    /// What stands in for the flagged statement: the ADD and the SET DEFAULT. The NOT NULL
    /// steps wait for the backfill (their VALIDATE fails on the rows it has not filled), which
    /// the help describes; with them the column is nullable until then, so no text edit.
    fn suggestion(self, ctx: &StatementContext) -> Suggestion {
        let nullable = self.not_null.is_empty();
        let suggestion = Suggestion::instead([self.add, self.set_default]);
        if nullable {
            ctx.in_place(suggestion)
        } else {
            suggestion
        }
    }

    /// The NOT NULL steps, for a help text: empty for a nullable column.
    fn not_null_help(&self, pg_version: u32) -> String {
        if self.not_null.is_empty() {
            String::new()
        } else {
            format!(
                "; then make it NOT NULL: {}",
                not_null_help(&self.not_null, pg_version)
            )
        }
    }
}

/// `None` for a primary key column, which has no nullable form, or when a statement cannot be
/// written.
fn split_default(
    ctx: &StatementContext,
    action: &TableAction,
    column: &ColumnDef,
) -> Option<SplitDefault> {
    let constraints: Vec<_> = ast::constraints(&column.constraints).collect();
    if constraints
        .iter()
        .any(|c| ast::constraint_type(c) == ConstrType::ConstrPrimary)
    {
        return None;
    }
    let default = constraints
        .iter()
        .find(|c| ast::constraint_type(c) == ConstrType::ConstrDefault)?
        .raw_expr
        .as_deref()?;
    let not_null = column.is_not_null
        || constraints
            .iter()
            .any(|c| ast::constraint_type(c) == ConstrType::ConstrNotnull);
    let add = advice::add_column_keeping(action.cmd, |c| {
        !matches!(
            ast::constraint_type(c),
            ConstrType::ConstrDefault | ConstrType::ConstrNotnull
        )
    })?;
    Some(SplitDefault {
        add: advice::alter_table_sql(ctx, vec![add])?,
        set_default: advice::alter_table_sql(
            ctx,
            vec![advice::set_default(&column.colname, default)],
        )?,
        not_null: if not_null {
            not_null_statements(ctx, &action.table, &column.colname)
        } else {
            Vec::new()
        },
    })
}

/// The text of a column's `DEFAULT` expression as written: from after the `DEFAULT` keyword to
/// the next column constraint, or the end of the `ADD COLUMN` action.
fn default_text<'a>(
    ctx: &'a StatementContext,
    column: &ColumnDef,
    action: &Range<usize>,
) -> Option<&'a str> {
    let constraints: Vec<_> = ast::constraints(&column.constraints).collect();
    let at = constraints
        .iter()
        .position(|c| ast::constraint_type(c) == ConstrType::ConstrDefault)?;
    let file = &ctx.migration.file.text;
    let start = ctx.statement.offset(constraints[at].location);
    let end = constraints
        .get(at + 1)
        .map_or(action.end, |next| ctx.statement.offset(next.location));
    let text = file.get(start..end.min(action.end))?;
    let expression = text
        .get(..7)?
        .eq_ignore_ascii_case("default")
        .then(|| text[7..].trim())?;
    (!expression.is_empty()).then_some(expression)
}
