//! `drop-constraint`: `ALTER TABLE ... DROP CONSTRAINT` on a table that existed before the
//! migration, unless the same migration adds the constraint back.

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableType, ConstrType, DropBehavior, ObjectType};

use crate::catalog::{ConstraintKind, QualifiedName, range_var};
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::ast;
use crate::rules::support::alter_table::existing_table_actions;

declare_rule! {
    pub struct DropConstraint {
        id: "drop-constraint",
        family: Destructive,
        severity: Warning,
        summary: "DROP CONSTRAINT on an existing table gives up the guarantee it enforced",
    }
}

impl Rule for DropConstraint {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        for action in existing_table_actions(ctx) {
            if action.kind != AlterTableType::AtDropConstraint {
                continue;
            }
            let (table, cmd) = (&action.table, action.cmd);
            let name = &cmd.name;
            let known = ctx
                .catalog
                .table(table)
                .and_then(|t| t.constraint_named(name));
            if replaced_or_dropped_later(
                ctx,
                table,
                name,
                known.map(|c| (&c.kind, c.columns.as_slice())),
            ) {
                continue;
            }
            // `CHECK (col IS NOT NULL)` once `col` is NOT NULL (the set-not-null recipe's last
            // step): NOT NULL keeps the whole guarantee.
            if known.is_some_and(|check| {
                check.only_not_null
                    && check.not_null_columns.iter().all(|column| {
                        ctx.catalog
                            .column_of(table, column)
                            .is_some_and(|column| column.not_null)
                    })
            }) {
                continue;
            }
            let columns = known
                .map(|c| c.columns.join(", "))
                .filter(|c| !c.is_empty())
                .map(|c| format!(" on ({c})"))
                .unwrap_or_default();
            let (what, loss) = match known.map(|c| &c.kind) {
                Some(ConstraintKind::PrimaryKey) => (
                    "primary key",
                    format!(
                        "duplicate keys can be written, and its unique index `{name}` is \
                         dropped with it (queries using it get slower; `ON CONFLICT` on these \
                         columns fails)"
                    ),
                ),
                Some(ConstraintKind::Unique) => (
                    "unique constraint",
                    format!(
                        "duplicates can be written, and its index `{name}` is dropped with it \
                         (queries using it get slower; `ON CONFLICT` on these columns fails)"
                    ),
                ),
                Some(ConstraintKind::ForeignKey { references, .. }) => (
                    "foreign key",
                    format!(
                        "rows can point at missing `{references}` rows, and its ON DELETE / ON \
                         UPDATE actions stop"
                    ),
                ),
                Some(ConstraintKind::Check) => (
                    "check constraint",
                    "rows that break the check can be written".to_owned(),
                ),
                Some(ConstraintKind::Exclusion) => (
                    "exclusion constraint",
                    format!("conflicting rows can be written, and its index `{name}` is dropped"),
                ),
                None => (
                    "constraint",
                    "the database stops enforcing it (a primary key or unique constraint also \
                     takes its index with it)"
                        .to_owned(),
                ),
            };
            let cascade = if cmd.behavior == DropBehavior::DropCascade as i32 {
                "; CASCADE also drops the foreign keys that depend on it"
            } else {
                ""
            };
            let message = format!(
                "dropping {what} `{name}`{columns} of existing table `{table}`: {loss}{cascade}"
            );
            let help = "If the constraint is being replaced, add the new one first and drop the old \
                        one after it: a foreign key or check `NOT VALID` and then `VALIDATE \
                        CONSTRAINT`; a primary key or unique constraint with `CREATE UNIQUE INDEX \
                        CONCURRENTLY` and `ADD CONSTRAINT ... USING INDEX`. If the guarantee is no \
                        longer wanted, check that no code relies on it (upserts, cascades, joins \
                        that assume one row) and suppress this with the reason.";
            out.push(
                ctx.finding(ctx.name_span_after(action.span.start, name), message)
                    .help(help),
            );
        }
    }
}

/// Whether this or a later statement of the same migration adds a constraint to `table` with the
/// same name, or of the same kind on the same columns (the constraint is being replaced), or
/// drops a column of the constraint or the table itself (`drop-column` and `drop-table` report
/// that loss; drizzle-kit drops a foreign key before dropping its column).
fn replaced_or_dropped_later(
    ctx: &StatementContext,
    table: &QualifiedName,
    name: &str,
    known: Option<(&ConstraintKind, &[String])>,
) -> bool {
    let later = ctx
        .migration
        .parsed
        .statements
        .iter()
        .filter(|s| s.span.start >= ctx.statement.span.start);
    for statement in later {
        let stmt = match &statement.node {
            NodeEnum::AlterTableStmt(stmt) => stmt,
            NodeEnum::DropStmt(stmt) if stmt.remove_type == ObjectType::ObjectTable as i32 => {
                let drops_table = stmt.objects.iter().any(|object| {
                    ast::qualified_name(object)
                        .and_then(|parts| QualifiedName::from_parts(&parts))
                        .as_ref()
                        == Some(table)
                });
                if drops_table {
                    return true;
                }
                continue;
            }
            _ => continue,
        };
        if stmt.relation.as_ref().map(range_var).as_ref() != Some(table) {
            continue;
        }
        for (subtype, cmd) in ast::alter_table_cmds(stmt) {
            if subtype == AlterTableType::AtDropColumn
                && known.is_some_and(|(_, columns)| columns.contains(&cmd.name))
            {
                return true;
            }
            let Some(NodeEnum::Constraint(added)) =
                cmd.def.as_deref().and_then(|d| d.node.as_ref())
            else {
                continue;
            };
            if subtype != AlterTableType::AtAddConstraint {
                continue;
            }
            if added.conname == name {
                return true;
            }
            let added_type = ConstrType::try_from(added.contype).unwrap_or(ConstrType::Undefined);
            // A check dropped and another check added: the allowed values are being redefined
            // (how SQLAlchemy changes an Enum's CHECK).
            if added_type == ConstrType::ConstrCheck
                && known.is_none_or(|(kind, _)| *kind == ConstraintKind::Check)
            {
                return true;
            }
            let Some((kind, columns)) = known else {
                continue;
            };
            let (same_kind, keys) = match added_type {
                ConstrType::ConstrPrimary => (*kind == ConstraintKind::PrimaryKey, &added.keys),
                ConstrType::ConstrUnique => (*kind == ConstraintKind::Unique, &added.keys),
                ConstrType::ConstrForeign => (
                    matches!(kind, ConstraintKind::ForeignKey { .. }),
                    &added.fk_attrs,
                ),
                _ => continue,
            };
            if same_kind && ast::strings(keys) == columns {
                return true;
            }
        }
    }
    false
}
