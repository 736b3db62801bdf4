//! What a statement writes into the catalog, with the node location of each piece, for rules
//! that judge the catalog a migration left and point back at the statement that made it.

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableType, ColumnDef, Node, TypeName};

use super::apply::{constraint_definition, range_var};
use super::{Constraint, QualifiedName};

/// A table or column constraint written in a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenConstraint {
    pub table: QualifiedName,
    /// As the catalog records it when the statement runs in migration `migration`.
    pub constraint: Constraint,
    /// Node location of the constraint (`CONSTRAINT name ...`, or its keyword).
    pub location: i32,
}

/// How a statement writes a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnChange {
    /// In `CREATE TABLE`.
    Create,
    /// `ALTER TABLE ... ADD COLUMN`.
    Add,
    /// `ALTER TABLE ... ALTER COLUMN ... TYPE`.
    AlterType,
}

/// A column definition or type change written in a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenColumn<'a> {
    pub table: QualifiedName,
    pub name: &'a str,
    pub type_name: Option<&'a TypeName>,
    /// Node location of the column name, when the parser kept one.
    pub location: Option<i32>,
    pub change: ColumnChange,
}

/// The constraints `node` adds (`CREATE TABLE`, `ALTER TABLE ... ADD CONSTRAINT` / `ADD COLUMN`),
/// recorded as run by migration `migration`.
pub fn written_constraints(node: &NodeEnum, migration: usize) -> Vec<WrittenConstraint> {
    let mut found = Vec::new();
    let (table, elements): (_, Vec<(&Node, Option<&ColumnDef>)>) = match node {
        NodeEnum::CreateStmt(stmt) => (
            stmt.relation.as_ref(),
            stmt.table_elts
                .iter()
                .map(|element| match element.node.as_ref() {
                    Some(NodeEnum::ColumnDef(column)) => (element, Some(column.as_ref())),
                    _ => (element, None),
                })
                .collect(),
        ),
        NodeEnum::AlterTableStmt(stmt) => (
            stmt.relation.as_ref(),
            stmt.cmds
                .iter()
                .filter_map(|cmd| match cmd.node.as_ref() {
                    Some(NodeEnum::AlterTableCmd(cmd)) => {
                        let def = cmd.def.as_deref()?;
                        match (AlterTableType::try_from(cmd.subtype), def.node.as_ref()) {
                            (Ok(AlterTableType::AtAddConstraint), _) => Some((def, None)),
                            (
                                Ok(AlterTableType::AtAddColumn),
                                Some(NodeEnum::ColumnDef(column)),
                            ) => Some((def, Some(column.as_ref()))),
                            _ => None,
                        }
                    }
                    _ => None,
                })
                .collect(),
        ),
        _ => return found,
    };
    let Some(table) = table.map(range_var) else {
        return found;
    };
    let mut push = |node: &Node, column: &[String]| {
        if let Some(NodeEnum::Constraint(constraint)) = node.node.as_ref()
            && let Some(definition) = constraint_definition(constraint, column, migration)
        {
            found.push(WrittenConstraint {
                table: table.clone(),
                constraint: definition,
                location: constraint.location,
            });
        }
    };
    for (element, column) in elements {
        match column {
            Some(column) => {
                for constraint in &column.constraints {
                    push(constraint, std::slice::from_ref(&column.colname));
                }
            }
            None => push(element, &[]),
        }
    }
    found
}

/// The columns `node` defines or retypes (`CREATE TABLE`, `ADD COLUMN`, `ALTER COLUMN ... TYPE`).
pub fn written_columns(node: &NodeEnum) -> Vec<WrittenColumn<'_>> {
    let mut found = Vec::new();
    match node {
        NodeEnum::CreateStmt(stmt) => {
            let Some(table) = stmt.relation.as_ref().map(range_var) else {
                return found;
            };
            for element in &stmt.table_elts {
                if let Some(NodeEnum::ColumnDef(column)) = element.node.as_ref() {
                    found.push(WrittenColumn {
                        table: table.clone(),
                        name: &column.colname,
                        type_name: column.type_name.as_ref(),
                        location: Some(column.location).filter(|&l| l >= 0),
                        change: ColumnChange::Create,
                    });
                }
            }
        }
        NodeEnum::AlterTableStmt(stmt) => {
            let Some(table) = stmt.relation.as_ref().map(range_var) else {
                return found;
            };
            for cmd in &stmt.cmds {
                let Some(NodeEnum::AlterTableCmd(cmd)) = cmd.node.as_ref() else {
                    continue;
                };
                let Some(NodeEnum::ColumnDef(column)) =
                    cmd.def.as_deref().and_then(|def| def.node.as_ref())
                else {
                    continue;
                };
                let (name, change) = match AlterTableType::try_from(cmd.subtype) {
                    Ok(AlterTableType::AtAddColumn) => (&column.colname, ColumnChange::Add),
                    Ok(AlterTableType::AtAlterColumnType) => (&cmd.name, ColumnChange::AlterType),
                    _ => continue,
                };
                found.push(WrittenColumn {
                    table: table.clone(),
                    name,
                    type_name: column.type_name.as_ref(),
                    location: Some(column.location)
                        .filter(|&l| l >= 0 && change == ColumnChange::Add),
                    change,
                });
            }
        }
        _ => {}
    }
    found
}
