//! Canonical spelling of column types, so `int4`, `integer` and `INT` compare equal.

use pg_query::NodeEnum;
use pg_query::protobuf::{TypeName, a_const};

use crate::parse::ast;

/// `varchar(255)`, `numeric(14,2)`, `int8`, `timestamptz`, `text[]`, `public.my_enum`.
pub fn type_name(type_name: &TypeName) -> String {
    let mut spelled = base_name(type_name);
    let modifiers: Vec<String> = type_name
        .typmods
        .iter()
        .filter_map(|node| match node.node.as_ref()? {
            NodeEnum::AConst(constant) => match constant.val.as_ref()? {
                a_const::Val::Ival(int) => Some(int.ival.to_string()),
                a_const::Val::Sval(string) => Some(string.sval.clone()),
                _ => None,
            },
            NodeEnum::ColumnRef(_) => None,
            _ => None,
        })
        .collect();
    if !modifiers.is_empty() {
        spelled.push('(');
        spelled.push_str(&modifiers.join(","));
        spelled.push(')');
    }
    for _ in &type_name.array_bounds {
        spelled.push_str("[]");
    }
    spelled
}

/// The canonical name without modifiers or array bounds: `varchar`, `timestamp`, `bpchar`
/// (`char(n)`), `serial`, `public.my_enum`.
pub fn base_name(type_name: &TypeName) -> String {
    let names = ast::strings(&type_name.names);
    match names.as_slice() {
        ["pg_catalog", name] => canonical(name).to_owned(),
        [name] => canonical(name).to_owned(),
        parts => parts.join("."),
    }
}

/// PostgreSQL's internal name for the SQL-standard spellings the grammar leaves as written.
fn canonical(name: &str) -> &str {
    match name {
        "integer" | "int" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "double precision" => "float8",
        "boolean" => "bool",
        "character varying" => "varchar",
        "character" => "bpchar",
        "decimal" => "numeric",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column_type(sql: &str) -> String {
        let tree = pg_query::parse(sql, 0).unwrap();
        let Some(NodeEnum::CreateStmt(stmt)) = tree.protobuf.stmts[0]
            .stmt
            .as_ref()
            .and_then(|s| s.node.clone())
        else {
            panic!("not a CREATE TABLE")
        };
        let Some(NodeEnum::ColumnDef(column)) = stmt.table_elts[0].node.as_ref() else {
            panic!()
        };
        type_name(column.type_name.as_ref().unwrap())
    }

    #[test]
    fn spells_types_canonically() {
        assert_eq!(
            column_type("CREATE TABLE t (c varchar(255))"),
            "varchar(255)"
        );
        assert_eq!(column_type("CREATE TABLE t (c INTEGER)"), "int4");
        assert_eq!(
            column_type("CREATE TABLE t (c numeric(14, 2))"),
            "numeric(14,2)"
        );
        assert_eq!(
            column_type("CREATE TABLE t (c timestamp with time zone)"),
            "timestamptz"
        );
        assert_eq!(column_type("CREATE TABLE t (c text[])"), "text[]");
        assert_eq!(column_type("CREATE TABLE t (c public.mood)"), "public.mood");
        assert_eq!(column_type("CREATE TABLE t (c character(3))"), "bpchar(3)");
        assert_eq!(column_type("CREATE TABLE t (c char)"), "bpchar(1)");
        assert_eq!(column_type("CREATE TABLE t (c \"char\")"), "char");
        assert_eq!(
            column_type("CREATE TABLE t (c timestamp(3)[])"),
            "timestamp(3)[]"
        );
        assert_eq!(column_type("CREATE TABLE t (c json)"), "json");
        assert_eq!(column_type("CREATE TABLE t (c bigserial)"), "bigserial");
    }
}
