//! What PostgreSQL makes of column defaults and CHECK expressions: whether a default is
//! volatile (so `ADD COLUMN` must write it into every row), and which columns a CHECK proves
//! NOT NULL (so `SET NOT NULL` can skip its scan).

use pg_query::protobuf::{BoolExprType, ColumnDef, ConstrType, Node, NullTestType};
use pg_query::{NodeEnum, NodeRef};

use super::QualifiedName;
use crate::parse::ast;

/// Built-in and common extension functions marked VOLATILE in `pg_proc` that make sense in a
/// column default. A default calling one of them is evaluated once per row.
const VOLATILE_FUNCTIONS: &[&str] = &[
    // PostgreSQL core
    "random",
    "random_normal",
    "gen_random_uuid",
    "uuidv4",
    "uuidv7",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "currval",
    "lastval",
    "setval",
    // uuid-ossp
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    // pgcrypto
    "gen_random_bytes",
    "gen_salt",
    // pg_uuidv7, pgx_ulid
    "uuid_generate_v7",
    "gen_ulid",
];

/// The serial pseudo-types: a column default of `nextval()` on a new sequence.
const SERIAL_TYPES: &[&str] = &[
    "smallserial",
    "serial2",
    "serial",
    "serial4",
    "bigserial",
    "serial8",
];

/// What a new column holds in the rows that already exist, as PostgreSQL 11+ fills it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnDefault {
    /// No `DEFAULT`: existing rows read NULL.
    None,
    /// `DEFAULT NULL`.
    Null,
    /// A default PostgreSQL evaluates once and stores in the catalog (a constant, or a STABLE
    /// expression such as `now()`).
    Once,
    /// A default that calls a VOLATILE function: evaluated for every row.
    Volatile { function: String, location: i32 },
    /// A `serial`-family type: `nextval()` for every row.
    Serial { type_name: String, location: i32 },
    /// `GENERATED ... AS IDENTITY`: a sequence value for every row.
    Identity { location: i32 },
    /// `GENERATED ALWAYS AS (...) STORED`: computed for every row. (PostgreSQL 18's VIRTUAL
    /// generated columns store nothing and read as [`ColumnDefault::None`].)
    Generated { location: i32 },
}

impl ColumnDefault {
    /// Whether existing rows get a value other than NULL.
    pub fn fills_rows(&self) -> bool {
        !matches!(self, ColumnDefault::None | ColumnDefault::Null)
    }

    /// Whether `ADD COLUMN` must compute the value for every row (and so rewrite the table)
    /// on PostgreSQL 11 and later.
    pub fn per_row(&self) -> bool {
        !matches!(
            self,
            ColumnDefault::None | ColumnDefault::Null | ColumnDefault::Once
        )
    }
}

/// The default of a column definition (`ADD COLUMN`, `CREATE TABLE`).
pub fn column_default(column: &ColumnDef) -> ColumnDefault {
    let mut found = column
        .raw_default
        .as_deref()
        .map_or(ColumnDefault::None, expression_default);
    for constraint in ast::constraints(&column.constraints) {
        match ast::constraint_type(constraint) {
            ConstrType::ConstrDefault => {
                if let Some(expr) = constraint.raw_expr.as_deref() {
                    found = expression_default(expr);
                }
            }
            ConstrType::ConstrIdentity => {
                return ColumnDefault::Identity {
                    location: constraint.location,
                };
            }
            // PostgreSQL 18's VIRTUAL columns are computed on read and store nothing.
            ConstrType::ConstrGenerated if constraint.generated_kind != "v" => {
                return ColumnDefault::Generated {
                    location: constraint.location,
                };
            }
            _ => {}
        }
    }
    if found == ColumnDefault::None
        && let Some(type_name) = &column.type_name
        && let [name] | ["pg_catalog", name] = ast::strings(&type_name.names).as_slice()
        && SERIAL_TYPES.contains(name)
    {
        return ColumnDefault::Serial {
            type_name: (*name).to_owned(),
            location: type_name.location,
        };
    }
    found
}

fn expression_default(expr: &Node) -> ColumnDefault {
    if is_null(expr) {
        return ColumnDefault::Null;
    }
    match volatile_call(expr) {
        Some((function, location)) => ColumnDefault::Volatile { function, location },
        None => ColumnDefault::Once,
    }
}

/// `NULL`, possibly cast (`NULL::text`).
fn is_null(expr: &Node) -> bool {
    match expr.node.as_ref() {
        Some(NodeEnum::AConst(constant)) => constant.isnull || constant.val.is_none(),
        Some(NodeEnum::TypeCast(cast)) => cast.arg.as_deref().is_some_and(is_null),
        _ => false,
    }
}

/// The columns `expr` names (`length(slug) < 100 AND status <> ''` names `slug` and `status`).
pub fn referenced_columns(expr: &Node) -> Vec<String> {
    let Some(node) = expr.node.as_ref() else {
        return Vec::new();
    };
    let mut columns: Vec<String> = Vec::new();
    for (node, ..) in node.nodes() {
        if let NodeRef::ColumnRef(reference) = node
            && let Some(name) = ast::strings(&reference.fields).last()
            && !columns.iter().any(|known| known == name)
        {
            columns.push((*name).to_owned());
        }
    }
    columns
}

/// The functions `expr` calls, each once, as `DROP FUNCTION` would name them: an unqualified
/// call resolves to the `public` schema (the default search path); calls qualified with
/// `pg_catalog` are left out (built-ins cannot be dropped). What `DROP FUNCTION ... CASCADE`
/// takes with it is found by these names.
pub fn called_functions(expr: &Node) -> Vec<QualifiedName> {
    let Some(node) = expr.node.as_ref() else {
        return Vec::new();
    };
    let mut calls: Vec<QualifiedName> = Vec::new();
    for (node, ..) in node.nodes() {
        if let NodeRef::FuncCall(call) = node
            && let name = ast::strings(&call.funcname)
            && name.first() != Some(&"pg_catalog")
            && let Some(function) = QualifiedName::from_parts(&name)
            && !calls.contains(&function)
        {
            calls.push(function);
        }
    }
    calls
}

/// The first call to a VOLATILE function in `expr`, with its node location. Functions the
/// linter does not know (user-defined ones) are taken as not volatile.
pub fn volatile_call(expr: &Node) -> Option<(String, i32)> {
    let node = expr.node.as_ref()?;
    node.nodes().into_iter().find_map(|(node, ..)| match node {
        NodeRef::FuncCall(call) => {
            let name = ast::strings(&call.funcname);
            let function = match name.as_slice() {
                [function] | ["pg_catalog" | "public", function] => *function,
                _ => return None,
            };
            VOLATILE_FUNCTIONS
                .contains(&function)
                .then(|| (function.to_owned(), call.location))
        }
        _ => None,
    })
}

/// The columns a CHECK expression proves NOT NULL: `col IS NOT NULL`, or such tests joined
/// with `AND`. PostgreSQL 12+ skips the scan of `SET NOT NULL` when a validated CHECK proves it.
pub fn not_null_columns(check: &Node) -> Vec<String> {
    let mut columns = Vec::new();
    collect_not_null(check, &mut columns);
    columns
}

/// The columns of a predicate that is nothing but `col IS NOT NULL` tests joined with AND;
/// `None` when it tests anything else. An equality on each of those columns implies it.
pub fn only_not_null_tests(predicate: &Node) -> Option<Vec<String>> {
    let columns = not_null_columns(predicate);
    let conjuncts = count_conjuncts(predicate);
    (!columns.is_empty() && columns.len() == conjuncts).then_some(columns)
}

fn count_conjuncts(expr: &Node) -> usize {
    match expr.node.as_ref() {
        Some(NodeEnum::BoolExpr(bool_expr)) if bool_expr.boolop == BoolExprType::AndExpr as i32 => {
            bool_expr.args.iter().map(count_conjuncts).sum()
        }
        _ => 1,
    }
}

fn collect_not_null(expr: &Node, out: &mut Vec<String>) {
    match expr.node.as_ref() {
        Some(NodeEnum::NullTest(test))
            if test.nulltesttype == NullTestType::IsNotNull as i32 && !test.argisrow =>
        {
            // A CHECK or index predicate can name only its own table's columns, so a
            // qualified `"t"."col"` (as drizzle-kit writes it) is `col`.
            if let Some(NodeEnum::ColumnRef(column)) =
                test.arg.as_deref().and_then(|arg| arg.node.as_ref())
                && let Some(name) = ast::strings(&column.fields).last()
            {
                out.push((*name).to_owned());
            }
        }
        Some(NodeEnum::BoolExpr(bool_expr)) if bool_expr.boolop == BoolExprType::AndExpr as i32 => {
            for arg in &bool_expr.args {
                collect_not_null(arg, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added_column(sql: &str) -> ColumnDef {
        let tree = pg_query::parse(sql, 0).unwrap();
        let Some(NodeEnum::AlterTableStmt(stmt)) = tree.protobuf.stmts[0]
            .stmt
            .as_ref()
            .and_then(|s| s.node.clone())
        else {
            panic!("not an ALTER TABLE")
        };
        let Some(NodeEnum::AlterTableCmd(cmd)) = stmt.cmds[0].node.clone() else {
            panic!()
        };
        let Some(NodeEnum::ColumnDef(column)) = cmd.def.and_then(|d| d.node) else {
            panic!()
        };
        *column
    }

    fn default_of(definition: &str) -> ColumnDefault {
        column_default(&added_column(&format!(
            "ALTER TABLE t ADD COLUMN {definition}"
        )))
    }

    #[test]
    fn tells_volatile_defaults_from_ones_evaluated_once() {
        assert_eq!(default_of("c int"), ColumnDefault::None);
        assert_eq!(default_of("c int DEFAULT NULL"), ColumnDefault::Null);
        assert_eq!(default_of("c text DEFAULT NULL::text"), ColumnDefault::Null);
        for once in [
            "c int DEFAULT 1",
            "c boolean DEFAULT false NOT NULL",
            "c timestamptz DEFAULT now()",
            "c timestamptz DEFAULT CURRENT_TIMESTAMP",
            "c jsonb DEFAULT '{}'::jsonb",
            "c text DEFAULT lower('ABC')",
            "c timestamptz DEFAULT (now() + interval '1 day')",
        ] {
            assert_eq!(default_of(once), ColumnDefault::Once, "{once}");
        }
        for (volatile, function) in [
            ("c uuid DEFAULT gen_random_uuid()", "gen_random_uuid"),
            ("c float8 DEFAULT random()", "random"),
            ("c timestamptz DEFAULT clock_timestamp()", "clock_timestamp"),
            (
                "c uuid DEFAULT public.uuid_generate_v4()",
                "uuid_generate_v4",
            ),
            ("c bigint DEFAULT nextval('s'::regclass)", "nextval"),
            ("c text DEFAULT md5(random()::text)", "random"),
            ("c text DEFAULT gen_random_uuid()::text", "gen_random_uuid"),
        ] {
            assert!(
                matches!(default_of(volatile), ColumnDefault::Volatile { function: f, .. } if f == function),
                "{volatile}"
            );
        }
        assert!(matches!(
            default_of("c bigserial"),
            ColumnDefault::Serial { type_name, .. } if type_name == "bigserial"
        ));
        assert!(matches!(
            default_of("c int GENERATED ALWAYS AS IDENTITY"),
            ColumnDefault::Identity { .. }
        ));
        assert!(matches!(
            default_of("c int GENERATED ALWAYS AS (id * 2) STORED"),
            ColumnDefault::Generated { .. }
        ));
        assert_eq!(
            default_of("c int GENERATED ALWAYS AS (id * 2) VIRTUAL"),
            ColumnDefault::None
        );
    }

    fn check_expr(sql: &str) -> Node {
        let tree = pg_query::parse(&format!("ALTER TABLE t ADD CHECK ({sql})"), 0).unwrap();
        let Some(NodeEnum::AlterTableStmt(stmt)) = tree.protobuf.stmts[0]
            .stmt
            .as_ref()
            .and_then(|s| s.node.clone())
        else {
            panic!()
        };
        let Some(NodeEnum::AlterTableCmd(cmd)) = stmt.cmds[0].node.clone() else {
            panic!()
        };
        let Some(NodeEnum::Constraint(constraint)) = cmd.def.and_then(|d| d.node) else {
            panic!()
        };
        *constraint.raw_expr.unwrap()
    }

    #[test]
    fn finds_columns_a_check_proves_not_null() {
        assert_eq!(not_null_columns(&check_expr("a IS NOT NULL")), ["a"]);
        assert_eq!(
            not_null_columns(&check_expr("\"A\" IS NOT NULL AND b IS NOT NULL AND c > 0")),
            ["A", "b"]
        );
        assert!(not_null_columns(&check_expr("a IS NULL")).is_empty());
        assert_eq!(
            not_null_columns(&check_expr(
                "\"t\".\"a\" IS NOT NULL AND public.t.b IS NOT NULL"
            )),
            ["a", "b"]
        );
        assert!(not_null_columns(&check_expr("a IS NOT NULL OR b IS NOT NULL")).is_empty());
        assert!(not_null_columns(&check_expr("a > 0")).is_empty());
    }
}
