//! Reading names and values out of pg_query nodes.

use pg_query::NodeEnum;
use pg_query::protobuf::{Node, RangeVar};

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
