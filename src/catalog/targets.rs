//! Which relations a statement touches, and how: the facts ownership rules judge.

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableType, ConstrType, Node, ObjectType, RangeVar};

use super::apply::range_var;
use super::{Catalog, QualifiedName};
use crate::parse::ast;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// CREATE TABLE / VIEW / TABLE AS.
    Create,
    /// ALTER, COMMENT, GRANT, triggers, policies: changes the relation's definition.
    Alter,
    /// CREATE or DROP of an index on the relation.
    Index,
    Rename,
    Drop,
    Truncate,
    /// INSERT, UPDATE, DELETE, MERGE, COPY FROM, REFRESH.
    Write,
    /// Named as the referenced side of a foreign key.
    Reference,
}

impl Action {
    /// Every action, in a fixed order (the cache stores an action as its position here).
    pub const ALL: [Action; 8] = [
        Action::Create,
        Action::Alter,
        Action::Index,
        Action::Rename,
        Action::Drop,
        Action::Truncate,
        Action::Write,
        Action::Reference,
    ];

    pub fn verb(self) -> &'static str {
        match self {
            Action::Create => "creates",
            Action::Alter => "alters",
            Action::Index => "indexes",
            Action::Rename => "renames",
            Action::Drop => "drops",
            Action::Truncate => "truncates",
            Action::Write => "writes to",
            Action::Reference => "adds a foreign key referencing",
        }
    }
}

/// A relation a statement touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub table: QualifiedName,
    pub action: Action,
    /// Node location of the name in the statement, when the parser kept one.
    pub location: Option<i32>,
    /// The name written in the statement, when it was not the table's (an index name).
    pub via: Option<String>,
}

/// The relations `node` touches, resolving index names through the catalog.
pub fn targets(catalog: &Catalog, node: &NodeEnum) -> Vec<Target> {
    let mut found = Vec::new();
    let mut push = |rel: &RangeVar, action| {
        found.push(Target {
            table: range_var(rel),
            action,
            location: Some(rel.location),
            via: None,
        });
    };
    match node {
        NodeEnum::CreateStmt(stmt) => {
            if let Some(rel) = &stmt.relation {
                push(rel, Action::Create);
            }
            for element in &stmt.table_elts {
                match element.node.as_ref() {
                    Some(NodeEnum::ColumnDef(column)) => {
                        references(&column.constraints, &mut push);
                    }
                    Some(NodeEnum::Constraint(_)) => {
                        references(std::slice::from_ref(element), &mut push)
                    }
                    _ => {}
                }
            }
        }
        NodeEnum::CreateTableAsStmt(stmt) => {
            if let Some(rel) = stmt.into.as_ref().and_then(|into| into.rel.as_ref()) {
                push(rel, Action::Create);
            }
        }
        NodeEnum::ViewStmt(stmt) => {
            if let Some(view) = &stmt.view {
                push(view, Action::Create);
            }
        }
        NodeEnum::AlterTableStmt(stmt) => {
            let Some(rel) = &stmt.relation else {
                return found;
            };
            if stmt.objtype == ObjectType::ObjectIndex as i32 {
                return index_target(catalog, range_var(rel), Action::Index, Some(rel.location))
                    .into_iter()
                    .collect();
            }
            push(rel, Action::Alter);
            for cmd in &stmt.cmds {
                let Some(NodeEnum::AlterTableCmd(cmd)) = cmd.node.as_ref() else {
                    continue;
                };
                let Some(def) = cmd.def.as_deref() else {
                    continue;
                };
                match (AlterTableType::try_from(cmd.subtype), def.node.as_ref()) {
                    (Ok(AlterTableType::AtAddConstraint), Some(NodeEnum::Constraint(_))) => {
                        references(std::slice::from_ref(def), &mut push);
                    }
                    (Ok(AlterTableType::AtAddColumn), Some(NodeEnum::ColumnDef(column))) => {
                        references(&column.constraints, &mut push);
                    }
                    _ => {}
                }
            }
        }
        NodeEnum::IndexStmt(stmt) => {
            if let Some(rel) = &stmt.relation {
                push(rel, Action::Index);
            }
        }
        NodeEnum::RenameStmt(stmt) => {
            let Some(rel) = &stmt.relation else {
                return found;
            };
            match ObjectType::try_from(stmt.rename_type) {
                Ok(ObjectType::ObjectIndex) => {
                    return index_target(
                        catalog,
                        range_var(rel),
                        Action::Index,
                        Some(rel.location),
                    )
                    .into_iter()
                    .collect();
                }
                Ok(
                    ObjectType::ObjectTable | ObjectType::ObjectView | ObjectType::ObjectMatview,
                ) => push(rel, Action::Rename),
                _ => push(rel, Action::Alter),
            }
        }
        NodeEnum::DropStmt(stmt) => {
            let remove_type =
                ObjectType::try_from(stmt.remove_type).unwrap_or(ObjectType::Undefined);
            for object in &stmt.objects {
                let Some(name) =
                    ast::qualified_name(object).and_then(|p| QualifiedName::from_parts(&p))
                else {
                    continue;
                };
                match remove_type {
                    ObjectType::ObjectTable
                    | ObjectType::ObjectView
                    | ObjectType::ObjectMatview
                    | ObjectType::ObjectForeignTable => {
                        found.push(Target {
                            table: name,
                            action: Action::Drop,
                            location: None,
                            via: None,
                        });
                    }
                    ObjectType::ObjectIndex => {
                        found.extend(index_target(catalog, name, Action::Index, None))
                    }
                    _ => {}
                }
            }
        }
        NodeEnum::TruncateStmt(stmt) => {
            for rel in &stmt.relations {
                if let Some(NodeEnum::RangeVar(rel)) = rel.node.as_ref() {
                    push(rel, Action::Truncate);
                }
            }
        }
        NodeEnum::InsertStmt(stmt) => stmt
            .relation
            .iter()
            .for_each(|rel| push(rel, Action::Write)),
        NodeEnum::UpdateStmt(stmt) => stmt
            .relation
            .iter()
            .for_each(|rel| push(rel, Action::Write)),
        NodeEnum::DeleteStmt(stmt) => stmt
            .relation
            .iter()
            .for_each(|rel| push(rel, Action::Write)),
        NodeEnum::MergeStmt(stmt) => stmt
            .relation
            .iter()
            .for_each(|rel| push(rel, Action::Write)),
        NodeEnum::CopyStmt(stmt) if stmt.is_from => stmt
            .relation
            .iter()
            .for_each(|rel| push(rel, Action::Write)),
        NodeEnum::RefreshMatViewStmt(stmt) => stmt
            .relation
            .iter()
            .for_each(|rel| push(rel, Action::Write)),
        NodeEnum::CreateTrigStmt(stmt) => stmt
            .relation
            .iter()
            .for_each(|rel| push(rel, Action::Alter)),
        NodeEnum::CreatePolicyStmt(stmt) => {
            stmt.table.iter().for_each(|rel| push(rel, Action::Alter))
        }
        NodeEnum::RuleStmt(stmt) => stmt
            .relation
            .iter()
            .for_each(|rel| push(rel, Action::Alter)),
        NodeEnum::AlterOwnerStmt(stmt) => stmt
            .relation
            .iter()
            .for_each(|rel| push(rel, Action::Alter)),
        NodeEnum::AlterObjectSchemaStmt(stmt) => stmt
            .relation
            .iter()
            .for_each(|rel| push(rel, Action::Alter)),
        NodeEnum::CommentStmt(stmt) => {
            let objtype = ObjectType::try_from(stmt.objtype).unwrap_or(ObjectType::Undefined);
            let parts = stmt
                .object
                .as_deref()
                .and_then(ast::qualified_name)
                .unwrap_or_default();
            let table = match objtype {
                ObjectType::ObjectTable | ObjectType::ObjectView | ObjectType::ObjectMatview => {
                    QualifiedName::from_parts(&parts)
                }
                ObjectType::ObjectColumn => {
                    QualifiedName::from_parts(&parts[..parts.len().saturating_sub(1)])
                }
                _ => None,
            };
            if let Some(table) = table {
                found.push(Target {
                    table,
                    action: Action::Alter,
                    location: None,
                    via: None,
                });
            }
        }
        _ => {}
    }
    found
}

/// The table an index belongs to, when the catalog knows the index.
fn index_target(
    catalog: &Catalog,
    index: QualifiedName,
    action: Action,
    location: Option<i32>,
) -> Option<Target> {
    let table = catalog.index(&index)?.table.clone();
    Some(Target {
        table,
        action,
        location,
        via: Some(index.to_string()),
    })
}

/// Foreign-key references among `constraints`.
fn references(constraints: &[Node], push: &mut impl FnMut(&RangeVar, Action)) {
    for constraint in constraints {
        let Some(NodeEnum::Constraint(constraint)) = constraint.node.as_ref() else {
            continue;
        };
        if constraint.contype == ConstrType::ConstrForeign as i32
            && let Some(pktable) = &constraint.pktable
        {
            push(pktable, Action::Reference);
        }
    }
}
