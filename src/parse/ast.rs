//! Reading names and values out of pg_query nodes.

use pg_query::NodeEnum;
use pg_query::protobuf::{
    AlterTableCmd, AlterTableStmt, AlterTableType, ConstrType, Constraint, Node, RangeVar,
};

/// The string value of a `String` node.
pub fn string(node: &Node) -> Option<&str> {
    match node.node.as_ref()? {
        NodeEnum::String(value) => Some(&value.sval),
        _ => None,
    }
}

/// The parts of a dotted name given as a `List` of `String` nodes (`DROP TABLE s.t`), or as a
/// single `String`.
pub fn qualified_name(node: &Node) -> Option<Vec<&str>> {
    match node.node.as_ref()? {
        NodeEnum::List(list) => list.items.iter().map(string).collect(),
        NodeEnum::String(value) => Some(vec![value.sval.as_str()]),
        // `DROP TYPE` and `DROP DOMAIN` name their objects as type names.
        NodeEnum::TypeName(type_name) => Some(strings(&type_name.names)),
        _ => None,
    }
}

/// The strings of a list of `String` nodes (column lists, type names).
pub fn strings(nodes: &[Node]) -> Vec<&str> {
    nodes.iter().filter_map(string).collect()
}

/// A relation named by a `RangeVar`, schema optional.
pub fn range_var_name(range_var: &RangeVar) -> (Option<&str>, &str) {
    let schema = (!range_var.schemaname.is_empty()).then_some(range_var.schemaname.as_str());
    (schema, range_var.relname.as_str())
}

/// The actions of an `ALTER TABLE`, with their kind.
pub fn alter_table_cmds<'a>(
    stmt: &'a AlterTableStmt,
) -> impl Iterator<Item = (AlterTableType, &'a AlterTableCmd)> + 'a {
    stmt.cmds.iter().filter_map(|cmd| match cmd.node.as_ref()? {
        NodeEnum::AlterTableCmd(cmd) => Some((
            AlterTableType::try_from(cmd.subtype).unwrap_or(AlterTableType::Undefined),
            cmd.as_ref(),
        )),
        _ => None,
    })
}
/// The `Constraint` nodes among `nodes` (a column's constraints, a table's elements).
pub fn constraints(nodes: &[Node]) -> impl Iterator<Item = &Constraint> {
    nodes.iter().filter_map(|node| match node.node.as_ref()? {
        NodeEnum::Constraint(constraint) => Some(&**constraint),
        _ => None,
    })
}

/// A constraint's type.
pub fn constraint_type(constraint: &Constraint) -> ConstrType {
    ConstrType::try_from(constraint.contype).unwrap_or(ConstrType::Undefined)
}

/// Whether a boolean option (`FULL`, `CONCURRENTLY`) is given and not turned off
/// (`(FULL false)`, `(CONCURRENTLY off)`, `(FULL 0)`).
pub fn option_enabled(options: &[Node], name: &str) -> bool {
    options.iter().any(|option| {
        let Some(NodeEnum::DefElem(option)) = option.node.as_ref() else {
            return false;
        };
        if option.defname != name {
            return false;
        }
        match option.arg.as_deref().and_then(|arg| arg.node.as_ref()) {
            None => true,
            Some(NodeEnum::String(value)) => !matches!(
                value.sval.to_ascii_lowercase().as_str(),
                "false" | "off" | "no" | "0"
            ),
            Some(NodeEnum::Integer(value)) => value.ival != 0,
            Some(NodeEnum::Boolean(value)) => value.boolval,
            Some(_) => true,
        }
    })
}

/// Whether `node` creates a temporary table (`CREATE TEMP TABLE`, `CREATE TEMP TABLE ... AS`),
/// which lives for one session and is no part of the schema.
pub fn creates_temporary_table(node: &NodeEnum) -> bool {
    let relation = match node {
        NodeEnum::CreateStmt(stmt) => stmt.relation.as_ref(),
        NodeEnum::CreateTableAsStmt(stmt) => stmt.into.as_ref().and_then(|into| into.rel.as_ref()),
        _ => None,
    };
    relation.is_some_and(|relation| relation.relpersistence == "t")
}
