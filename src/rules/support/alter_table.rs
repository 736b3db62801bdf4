//! The actions of an `ALTER TABLE` on a table that existed before the migration, each with its
//! own span: what the ALTER TABLE locking rules judge. A table created earlier in the same
//! migration is new and empty, so locking it blocks nobody; its actions are not listed.

use std::ops::Range;

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableCmd, AlterTableType, ColumnDef, Constraint, ObjectType};

use crate::catalog::{QualifiedName, RelationKind, changes_nothing};
use crate::diagnostic::Finding;
use crate::engine::StatementContext;
use crate::parse::{Statement, ast, comma_separated, text};
use crate::rules::support::advice;

/// One action of an `ALTER TABLE` (`ADD COLUMN ...`, `ALTER COLUMN x SET NOT NULL`).
pub struct TableAction<'a> {
    pub table: QualifiedName,
    pub cmd: &'a AlterTableCmd,
    pub kind: AlterTableType,
    /// The action's text in the file, or the whole statement when it could not be told apart.
    pub span: Range<usize>,
}

impl<'a> TableAction<'a> {
    /// The column of an `ADD COLUMN`.
    pub fn added_column(&self) -> Option<&'a ColumnDef> {
        match (self.kind, self.cmd.def.as_deref()?.node.as_ref()?) {
            (AlterTableType::AtAddColumn, NodeEnum::ColumnDef(column)) => Some(column),
            _ => None,
        }
    }

    /// The constraint of an `ADD CONSTRAINT` (or a bare `ADD UNIQUE (...)`, `ADD CHECK (...)`).
    pub fn added_constraint(&self) -> Option<&'a Constraint> {
        match (self.kind, self.cmd.def.as_deref()?.node.as_ref()?) {
            (AlterTableType::AtAddConstraint, NodeEnum::Constraint(constraint)) => Some(constraint),
            _ => None,
        }
    }
}

/// The actions of the statement when it is an `ALTER TABLE` of a table that existed before this
/// migration, but those that change nothing ([`changes_nothing`]: `ADD COLUMN IF NOT EXISTS` of
/// a column the catalog already has, `ADD CONSTRAINT` of a name the table has, `DROP ... IF
/// EXISTS` of what it does not have).
pub fn existing_table_actions<'a>(ctx: &StatementContext<'a>) -> Vec<TableAction<'a>> {
    let statement: &'a Statement = ctx.statement;
    let NodeEnum::AlterTableStmt(stmt) = &statement.node else {
        return Vec::new();
    };
    let Some(relation) = &stmt.relation else {
        return Vec::new();
    };
    if stmt.objtype != ObjectType::ObjectTable as i32 {
        return Vec::new();
    }
    let (schema, name) = ast::range_var_name(relation);
    let table = QualifiedName::new(schema, name);
    let known = ctx.catalog.table(&table);
    // `ALTER TABLE` also reaches views, whose actions store nothing.
    if !ctx.is_existing_table(&table) || known.is_some_and(|t| t.kind != RelationKind::Table) {
        return Vec::new();
    }
    let spans = action_spans(ctx, relation.location, stmt.cmds.len());
    stmt.cmds
        .iter()
        .zip(spans)
        .filter_map(|(node, span)| {
            let Some(NodeEnum::AlterTableCmd(cmd)) = node.node.as_ref() else {
                return None;
            };
            let action = TableAction {
                table: table.clone(),
                cmd,
                kind: AlterTableType::try_from(cmd.subtype).unwrap_or(AlterTableType::Undefined),
                span,
            };
            (!changes_nothing(ctx.catalog, stmt, cmd)).then_some(action)
        })
        .collect()
}

/// The spans of the `count` comma-separated actions after the table name.
fn action_spans(ctx: &StatementContext, relation_location: i32, count: usize) -> Vec<Range<usize>> {
    let file = &ctx.migration.file.text;
    let statement = ctx.statement.span.clone();
    let name_start = ctx
        .statement
        .offset(relation_location)
        .clamp(statement.start, statement.end);
    let after_name = name_start + text::name_len(&file[name_start..statement.end]);
    if count == 1 {
        // One action: the rest of the statement, without scanning it.
        let action = text::skip_trivia(file, after_name).min(statement.end)..statement.end;
        return vec![action];
    }
    let items = comma_separated(&file[after_name..statement.end]);
    if items.len() == count {
        items
            .into_iter()
            .map(|item| after_name + item.start..after_name + item.end)
            .collect()
    } else {
        vec![statement; count]
    }
}

/// For `VALIDATE CONSTRAINT`: the span of the `ADD CONSTRAINT ... NOT VALID` of the same
/// constraint, of the kind `is_kind` accepts, earlier in this migration and in the same open
/// transaction. Validating there gains nothing: the lock the ADD took is held until commit, so
/// the scan runs under it.
pub fn added_not_valid_in_same_transaction(
    ctx: &StatementContext,
    action: &TableAction,
    is_kind: impl Fn(&Constraint) -> bool,
) -> Option<Range<usize>> {
    if action.kind != AlterTableType::AtValidateConstraint || !ctx.statement.in_transaction {
        return None;
    }
    let statements = &ctx.migration.parsed.statements;
    let position = statements
        .iter()
        .position(|statement| std::ptr::eq(statement, ctx.statement))?;
    for earlier in statements[..position].iter().rev() {
        if !earlier.in_transaction || matches!(earlier.node, NodeEnum::TransactionStmt(_)) {
            return None;
        }
        let NodeEnum::AlterTableStmt(stmt) = &earlier.node else {
            continue;
        };
        let Some(relation) = &stmt.relation else {
            continue;
        };
        let (schema, name) = ast::range_var_name(relation);
        if QualifiedName::new(schema, name) != action.table {
            continue;
        }
        let added = stmt.cmds.iter().any(|cmd| {
            matches!(
                cmd.node.as_ref(),
                Some(NodeEnum::AlterTableCmd(cmd))
                    if cmd.subtype == AlterTableType::AtAddConstraint as i32
                        && matches!(
                            cmd.def.as_deref().and_then(|def| def.node.as_ref()),
                            Some(NodeEnum::Constraint(constraint))
                                if constraint.skip_validation
                                    && constraint.conname == action.cmd.name
                                    && is_kind(constraint)
                        )
            )
        });
        if added {
            return Some(earlier.span.clone());
        }
    }
    None
}

/// The finding for a `VALIDATE CONSTRAINT` in the same transaction as its `NOT VALID` ADD at
/// `add`; `held` names the lock the ADD took ("the ACCESS EXCLUSIVE lock that ADD took").
pub fn validated_too_soon(
    ctx: &StatementContext,
    action: &TableAction,
    add: Range<usize>,
    held: &str,
) -> Finding {
    let file = &ctx.migration.file.text;
    let line = file[..add.start].matches('\n').count() + 1;
    let message = format!(
        "`VALIDATE CONSTRAINT {}` runs in the same transaction that added it `NOT VALID` (line \
         {line}): {held} is held until commit, so the scan of `{}` runs under it",
        action.cmd.name, action.table
    );
    let note = advice::tool_note(
        ctx.migration.migration.kind(),
        advice::Steps {
            validate_later: true,
            ..advice::Steps::default()
        },
    );
    let help = format!(
        "Commit the `NOT VALID` ADD first and run the VALIDATE in a later transaction: VALIDATE \
         alone takes only SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.{note}"
    );
    ctx.finding(action.span.clone(), message).help(help)
}
