//! `duplicate-index`: a statement creates an index that another index of the table already
//! covers (same keys, or its keys a leading prefix of the other's), or that makes an index of an
//! earlier migration redundant. Constraint indexes (PRIMARY KEY, UNIQUE) count.

use std::ops::Range;

use pg_query::NodeEnum;

use crate::catalog::{Catalog, ConstraintKind, Index};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{MigrationContext, Rule, StatementContext, declare_rule};
use crate::parse::quote_ident;

declare_rule! {
    pub struct DuplicateIndex {
        id: "duplicate-index",
        family: Indexes,
        severity: Warning,
        summary: "An index repeats, or is a leading prefix of, another index on the same table",
    }
}

impl Rule for DuplicateIndex {
    /// Judged on the catalog the migration leaves, so an index a later statement drops or
    /// renames away is not reported, and one created later in the migration counts.
    fn after_migration(&self, ctx: &MigrationContext, catalog: &Catalog, out: &mut Vec<Finding>) {
        for index in catalog.indexes.created_by(ctx.index) {
            if index.created_at.statement >= ctx.parsed.statements.len() {
                continue;
            }
            // Made by the same statement, or by one later in this migration.
            let same_statement = |other: &Index| other.created_at == index.created_at;
            let is_later = |other: &Index| other.created_at > index.created_at;
            // The index this one repeats: prefer equal keys, then a constraint's index.
            let covering = catalog
                .indexes_like(index)
                .filter(|other| index.is_covered_by(other))
                .filter(|other| {
                    if !other.is_covered_by(index) {
                        return true;
                    }
                    // Two equal indexes: the one created second is the duplicate.
                    if is_later(other) {
                        return false;
                    }
                    !same_statement(other) || reported_of_pair(index, other)
                })
                .min_by_key(|other| (other.columns.len(), !other.primary, !other.unique));
            let statement_ctx = ctx.statement_at(index.created_at.statement, catalog);
            if let Some(other) = covering {
                let later = if is_later(other) {
                    " (created later in this migration)"
                } else {
                    ""
                };
                let relation = if other.columns.len() == index.columns.len() {
                    format!("duplicates {}{later}", describe(other))
                } else {
                    format!(
                        "is a leading prefix of {} ({}){later}",
                        describe(other),
                        columns(other)
                    )
                };
                let message = format!(
                    "index `{}` on `{}` ({}) {relation}",
                    index.name.name,
                    index.table,
                    columns(index)
                );
                let drop = drop_statement(ctx, catalog, index);
                let help = format!(
                    "Every index is updated on each INSERT and on UPDATEs of its columns, and costs \
                     space and vacuum time; `{}` already serves every lookup `{}` can{}. Leave \
                     `{}` out of the migration (drizzle: remove its `index()`/`uniqueIndex()` or \
                     `.unique()` from the schema; Alembic: its `op.create_index` or \
                     `sa.UniqueConstraint`){}.",
                    other.name.name,
                    index.name.name,
                    if index.unique {
                        " and enforces the same uniqueness"
                    } else {
                        ""
                    },
                    index.name.name,
                    drop.as_ref()
                        .map(|drop| format!(
                            ", or drop it once the migration has run: {}",
                            drop.how()
                        ))
                        .unwrap_or_default()
                );
                out.push(suggest_drop(
                    statement_ctx
                        .finding(span(&statement_ctx, index), message)
                        .help(help),
                    drop,
                ));
                continue;
            }
            // An index of an earlier migration that this one makes redundant.
            let redundant = catalog
                .indexes_like(index)
                .filter(|other| other.created_at.migration < ctx.index)
                .find(|other| other.is_covered_by(index) && !index.is_covered_by(other));
            if let Some(other) = redundant {
                let message = format!(
                    "index `{}` on `{}` ({}) makes {} ({}), from an earlier migration, redundant",
                    index.name.name,
                    index.table,
                    columns(index),
                    describe(other),
                    columns(other)
                );
                let drop = drop_statement(ctx, catalog, other);
                let help = format!(
                    "`{}` serves every lookup `{}` can, and each index is updated on every \
                     write. Drop `{}` once `{}` is built (drizzle: remove it from the schema; \
                     Alembic: `op.drop_index`), in this migration or the next{}.",
                    index.name.name,
                    other.name.name,
                    other.name.name,
                    index.name.name,
                    drop.as_ref()
                        .map(|drop| format!(": {}", drop.how()))
                        .unwrap_or_default()
                );
                out.push(suggest_drop(
                    statement_ctx
                        .finding(span(&statement_ctx, index), message)
                        .help(help),
                    drop,
                ));
            }
        }
    }
}

/// The statement that drops a redundant index, to run once the migration has run.
struct DropIndex {
    sql: String,
    /// `DROP INDEX CONCURRENTLY`, which cannot run in a transaction block.
    concurrently: bool,
}

impl DropIndex {
    /// For the help text.
    fn how(&self) -> String {
        if self.concurrently {
            format!(
                "`{};` on its own, outside a transaction block, which does not block the table's \
                 reads and writes",
                self.sql
            )
        } else {
            format!("`{};`", self.sql)
        }
    }
}

/// How to drop `index`: a constraint's index with its constraint (a primary key's not at all); on
/// a table that existed before the migration (or was made outside the set) `CONCURRENTLY`, unless
/// it is partitioned (PostgreSQL refuses that there).
fn drop_statement(ctx: &MigrationContext, catalog: &Catalog, index: &Index) -> Option<DropIndex> {
    if index.primary {
        return None;
    }
    if index.constraint {
        return Some(DropIndex {
            sql: format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                index.table.to_sql(),
                quote_ident(&index.name.name)
            ),
            concurrently: false,
        });
    }
    // A table the catalog does not know was made outside the set, before this migration.
    let concurrently = catalog
        .table(&index.table)
        .is_none_or(|table| table.created_in != ctx.index && !table.partitioned);
    Some(DropIndex {
        sql: if concurrently {
            format!("DROP INDEX CONCURRENTLY IF EXISTS {}", index.name.to_sql())
        } else {
            format!("DROP INDEX {}", index.name.to_sql())
        },
        concurrently,
    })
}

fn suggest_drop(finding: Finding, drop: Option<DropIndex>) -> Finding {
    match drop {
        Some(drop) => finding.suggest(Suggestion::after([drop.sql])),
        None => finding,
    }
}

/// Of two equal indexes made by the same statement, whether `index` is the one to report: not
/// the primary key's, else the later name.
fn reported_of_pair(index: &Index, other: &Index) -> bool {
    match (index.primary, other.primary) {
        (false, true) => true,
        (true, false) => false,
        _ => index.name > other.name,
    }
}

fn columns(index: &Index) -> String {
    index
        .columns
        .iter()
        .map(|c| format!("`{}`", c.as_deref().unwrap_or("expression")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(index: &Index) -> String {
    if index.primary {
        format!("the primary key's index `{}`", index.name.name)
    } else if index.constraint {
        format!("the index of UNIQUE constraint `{}`", index.name.name)
    } else if index.unique {
        format!("unique index `{}`", index.name.name)
    } else {
        format!("index `{}`", index.name.name)
    }
}

/// Where the statement creates `index`: its name in `CREATE INDEX` (the table when unnamed), or
/// the PRIMARY KEY / UNIQUE constraint that brings it.
fn span(ctx: &StatementContext, index: &Index) -> Range<usize> {
    match &ctx.statement.node {
        NodeEnum::IndexStmt(stmt) => {
            if stmt.idxname.is_empty() {
                let location = stmt.relation.as_ref().map(|rel| rel.location);
                ctx.name_span(location, &index.table.name)
            } else {
                ctx.name_span(None, &stmt.idxname)
            }
        }
        _ => {
            let found = ctx.written_constraints().iter().find(|written| {
                let constraint = &written.constraint;
                let kind_matches = match constraint.kind {
                    ConstraintKind::PrimaryKey => index.primary,
                    ConstraintKind::Unique => !index.primary,
                    _ => false,
                };
                kind_matches
                    && written.table == index.table
                    && match &constraint.name {
                        Some(name) => *name == index.name.name,
                        None => constraint
                            .columns
                            .iter()
                            .cloned()
                            .map(Some)
                            .eq(index.columns.iter().cloned()),
                    }
            });
            match found {
                Some(written) => {
                    ctx.constraint_span(written.location, written.constraint.name.as_deref())
                }
                None => ctx.name_span(None, &index.table.name),
            }
        }
    }
}
