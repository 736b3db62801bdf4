//! How drizzle-kit's last schema snapshot (`meta/NNNN_snapshot.json`, [`crate::source::snapshot`])
//! differs from the schema the migrations really produced (observed with `--shadow`,
//! [`crate::trace::Schema`]): tables, their columns, keys, indexes and constraints, and enum
//! types. The differences are plain data, each at the snapshot's JSON keys that describe it; the
//! `snapshot-drift` rule turns them into findings.

use std::collections::{BTreeSet, HashMap, HashSet};

use pg_query::NodeEnum;
use pg_query::protobuf::a_const;
use serde_json::Value;

use crate::catalog::{QualifiedName, types};
use crate::source::snapshot::{self, ForeignKey, Index, KeyConstraint, Snapshot};
use crate::trace::{self, ConstraintKind};

/// One way the snapshot and the database disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The snapshot's JSON keys where it says what differs, outermost first (`tables`, the
    /// table's key, `columns`, the column's key, ...); a shorter path when the snapshot lacks
    /// what the database has.
    pub path: Vec<String>,
    pub message: String,
}

/// The differences between `snapshot` and `schema`, in a stable order. Tables of `schema`
/// missing from the snapshot count only if they are `created` (made by the migrations of the
/// set; others in the database belong to other sets).
pub fn diff(
    snapshot: &Snapshot,
    schema: &trace::Schema,
    created: &HashSet<&QualifiedName>,
) -> Vec<Difference> {
    let mut found = Differences(Vec::new());
    compare_tables(snapshot, schema, created, &mut found);
    compare_enums(snapshot, schema, &mut found);
    found.0
}

/// The differences found so far.
struct Differences(Vec<Difference>);

impl Differences {
    /// Records a difference the snapshot says at `path`.
    fn at(&mut self, path: &[&str], message: String) {
        self.0.push(Difference {
            path: path.iter().map(|&key| key.to_owned()).collect(),
            message,
        });
    }
}

/// Tables in one and not the other, and the tables in both compared.
fn compare_tables(
    snapshot: &Snapshot,
    schema: &trace::Schema,
    created: &HashSet<&QualifiedName>,
    found: &mut Differences,
) {
    let tables: HashMap<&QualifiedName, &trace::Table> =
        schema.tables.iter().map(|t| (&t.name, t)).collect();
    let mut in_snapshot = HashSet::new();
    for (key, table) in &snapshot.tables {
        let name = QualifiedName::new(Some(stored(table.schema_name())), stored(&table.name));
        match tables.get(&name) {
            Some(actual) => compare_table(key, table, actual, found),
            None => found.at(
                &["tables", key.as_str()],
                format!(
                    "the snapshot has table `{name}`; the database after the migrations has none"
                ),
            ),
        }
        in_snapshot.insert(name);
    }
    for table in &schema.tables {
        if created.contains(&table.name) && !in_snapshot.contains(&table.name) {
            found.at(
                &["tables"],
                format!(
                    "the migrations create table `{}`; the snapshot does not have it",
                    table.name
                ),
            );
        }
    }
}

/// Enum types the snapshot has that the database lacks or has with other values.
fn compare_enums(snapshot: &Snapshot, schema: &trace::Schema, found: &mut Differences) {
    let enums: HashMap<&QualifiedName, &trace::Enum> =
        schema.enums.iter().map(|e| (&e.name, e)).collect();
    for (key, snapshot_enum) in &snapshot.enums {
        let schema_name = if snapshot_enum.schema.is_empty() {
            "public"
        } else {
            &snapshot_enum.schema
        };
        let name = QualifiedName::new(Some(schema_name), &snapshot_enum.name);
        let path = ["enums", key.as_str()];
        match enums.get(&name) {
            None => found.at(
                &path,
                format!("the snapshot has enum type `{name}`; the database has none"),
            ),
            Some(actual) if actual.values != snapshot_enum.values => found.at(
                &path,
                format!(
                    "enum type `{name}` has values ({}) in the snapshot but ({}) in the database",
                    quoted(&snapshot_enum.values),
                    quoted(&actual.values)
                ),
            ),
            Some(_) => {}
        }
    }
}

/// One table in both: columns, primary key, unique constraints, indexes, foreign keys and CHECK
/// constraints, in that order. `key` is the table's key in the snapshot.
fn compare_table(
    key: &str,
    table: &snapshot::Table,
    actual: &trace::Table,
    found: &mut Differences,
) {
    compare_columns(key, table, actual, found);
    compare_primary_key(key, table, actual, found);
    compare_unique_constraints(key, table, actual, found);
    compare_indexes(key, table, actual, found);
    compare_foreign_keys(key, table, actual, found);
    compare_checks(key, table, actual, found);
}

/// Columns, by name: missing on either side, or with another type, nullability, default,
/// identity or generation.
fn compare_columns(
    key: &str,
    table: &snapshot::Table,
    actual: &trace::Table,
    found: &mut Differences,
) {
    let name = &actual.name;
    for (column_key, column) in &table.columns {
        let path = ["tables", key, "columns", column_key.as_str()];
        match actual
            .columns
            .iter()
            .find(|c| c.name == stored(&column.name))
        {
            Some(db) => {
                compare_column(&path, &format!("{name}.{}", column.name), column, db, found)
            }
            None => found.at(
                &path,
                format!(
                    "the snapshot has column `{name}.{}`; the database has none",
                    column.name
                ),
            ),
        }
    }
    for db in &actual.columns {
        if !table.columns.values().any(|c| stored(&c.name) == db.name) {
            found.at(
                &["tables", key, "columns"],
                format!(
                    "the database has column `{name}.{}` ({}); the snapshot does not",
                    db.name, db.type_name
                ),
            );
        }
    }
}

/// One column in both (`column_name` is `table.column`), at `path`.
fn compare_column(
    path: &[&str],
    column_name: &str,
    column: &snapshot::Column,
    db: &trace::Column,
    found: &mut Differences,
) {
    if !type_matches(column, db) {
        found.at(
            path,
            format!(
                "column `{column_name}` is `{}` in the snapshot but `{}` in the database",
                column.type_name, db.type_name
            ),
        );
    }
    if column.not_null != db.not_null {
        let says = |not_null: bool| if not_null { "NOT NULL" } else { "nullable" };
        found.at(
            path,
            format!(
                "column `{column_name}` is {} in the snapshot but {} in the database",
                says(column.not_null),
                says(db.not_null)
            ),
        );
    }
    if !default_matches(column, db) {
        let shown = |default: Option<String>| default.unwrap_or_else(|| "no default".into());
        found.at(
            path,
            format!(
                "column `{column_name}` has {} in the snapshot but {} in the database",
                shown(
                    column
                        .default
                        .as_ref()
                        .map(|d| format!("default `{}`", sql_of(d)))
                ),
                shown(db.default.as_ref().map(|d| format!("default `{d}`")))
            ),
        );
    }
    let identity = column
        .identity
        .as_ref()
        .and_then(|identity| identity.get("type")?.as_str())
        .map(|kind| if kind == "always" { 'a' } else { 'd' });
    if identity != db.identity {
        let says = |identity: Option<char>| match identity {
            Some('a') => "GENERATED ALWAYS AS IDENTITY",
            Some(_) => "GENERATED BY DEFAULT AS IDENTITY",
            None => "not an identity column",
        };
        found.at(
            path,
            format!(
                "column `{column_name}` is {} in the snapshot but {} in the database",
                says(identity),
                says(db.identity)
            ),
        );
    }
    if column.generated.is_some() != db.generated.is_some() {
        let says = |generated: bool| {
            if generated {
                "generated"
            } else {
                "not generated"
            }
        };
        found.at(
            path,
            format!(
                "column `{column_name}` is {} in the snapshot but {} in the database",
                says(column.generated.is_some()),
                says(db.generated.is_some())
            ),
        );
    }
}

/// The primary key's columns: the snapshot's column flags and composite keys against the
/// database's PRIMARY KEY constraint.
fn compare_primary_key(
    key: &str,
    table: &snapshot::Table,
    actual: &trace::Table,
    found: &mut Differences,
) {
    let mut snapshot_pk: BTreeSet<&str> = table
        .columns
        .values()
        .filter(|c| c.primary_key)
        .map(|c| c.name.as_str())
        .collect();
    let composite: Vec<KeyConstraint> = snapshot::Table::entries(&table.composite_primary_keys);
    for pk in &composite {
        snapshot_pk.extend(pk.columns.iter().map(String::as_str));
    }
    let db_pk: BTreeSet<&str> = actual
        .constraints
        .iter()
        .filter(|c| c.kind == ConstraintKind::PrimaryKey)
        .flat_map(|c| c.columns.iter().map(String::as_str))
        .collect();
    if snapshot_pk != db_pk {
        let shown = |columns: &BTreeSet<&str>| {
            if columns.is_empty() {
                "no primary key".to_owned()
            } else {
                format!(
                    "primary key ({})",
                    columns.iter().copied().collect::<Vec<_>>().join(", ")
                )
            }
        };
        found.at(
            &["tables", key, "compositePrimaryKeys"],
            format!(
                "table `{}` has {} in the snapshot but {} in the database",
                actual.name,
                shown(&snapshot_pk),
                shown(&db_pk)
            ),
        );
    }
}

/// Unique constraints (the snapshot's and its older column-level UNIQUE), by name: missing on
/// either side, or on other columns.
fn compare_unique_constraints(
    key: &str,
    table: &snapshot::Table,
    actual: &trace::Table,
    found: &mut Differences,
) {
    let name = &actual.name;
    let mut uniques: Vec<KeyConstraint> = snapshot::Table::entries(&table.unique_constraints);
    for column in table.columns.values().filter(|c| c.is_unique) {
        uniques.push(KeyConstraint {
            name: column
                .unique_name
                .clone()
                .unwrap_or_else(|| format!("{}_{}_unique", table.name, column.name)),
            columns: vec![column.name.clone()],
        });
    }
    let db_uniques: Vec<&trace::Constraint> = actual
        .constraints
        .iter()
        .filter(|c| c.kind == ConstraintKind::Unique)
        .collect();
    for unique in &uniques {
        let path = ["tables", key, "uniqueConstraints", unique.name.as_str()];
        match db_uniques.iter().find(|c| c.name == stored(&unique.name)) {
            None => found.at(
                &path,
                format!(
                    "the snapshot has unique constraint `{}` on `{name}`; the database has none",
                    unique.name
                ),
            ),
            Some(db) if db.columns != unique.columns => found.at(
                &path,
                format!(
                    "unique constraint `{}` covers ({}) in the snapshot but ({}) in the database",
                    unique.name,
                    unique.columns.join(", "),
                    db.columns.join(", ")
                ),
            ),
            Some(_) => {}
        }
    }
    for db in &db_uniques {
        if !uniques.iter().any(|u| stored(&u.name) == db.name) {
            found.at(
                &["tables", key, "uniqueConstraints"],
                format!(
                    "the database has unique constraint `{}` on `{name}` ({}); the snapshot does not",
                    db.name,
                    db.columns.join(", ")
                ),
            );
        }
    }
}

/// Indexes that do not back a constraint, by name: missing on either side, or differing.
fn compare_indexes(
    key: &str,
    table: &snapshot::Table,
    actual: &trace::Table,
    found: &mut Differences,
) {
    let indexes: Vec<Index> = snapshot::Table::entries(&table.indexes);
    for index in &indexes {
        let path = ["tables", key, "indexes", index.name.as_str()];
        match actual
            .indexes
            .iter()
            .find(|i| i.name == stored(&index.name))
        {
            Some(db) => compare_index(&path, index, db, found),
            None => found.at(
                &path,
                format!(
                    "the snapshot has index `{}` on `{}`; the database has none",
                    index.name, actual.name
                ),
            ),
        }
    }
    for db in &actual.indexes {
        if !indexes.iter().any(|i| stored(&i.name) == db.name) {
            found.at(
                &["tables", key, "indexes"],
                format!(
                    "the database has index `{}` on `{}` ({}); the snapshot does not",
                    db.name,
                    actual.name,
                    db.keys.join(", ")
                ),
            );
        }
    }
}

/// One index in both, at `path`: uniqueness, keys (expressions without casts) and method.
fn compare_index(path: &[&str], index: &Index, db: &trace::Index, found: &mut Differences) {
    if index.is_unique != db.unique {
        let says = |unique: bool| if unique { "unique" } else { "not unique" };
        found.at(
            path,
            format!(
                "index `{}` is {} in the snapshot but {} in the database",
                index.name,
                says(index.is_unique),
                says(db.unique)
            ),
        );
    }
    let keys_match = index.columns.len() == db.keys.len()
        && index.columns.iter().zip(&db.keys).all(|(column, key)| {
            if column.is_expression {
                canonical_expression(&column.expression) == canonical_expression(key)
            } else {
                unquote(key) == column.expression
            }
        });
    if !keys_match {
        let snapshot_keys: Vec<&str> = index
            .columns
            .iter()
            .map(|c| c.expression.as_str())
            .collect();
        found.at(
            path,
            format!(
                "index `{}` is on ({}) in the snapshot but on ({}) in the database",
                index.name,
                snapshot_keys.join(", "),
                db.keys.join(", ")
            ),
        );
    }
    let method = index.method.as_deref().unwrap_or("btree");
    if method != db.method {
        found.at(
            path,
            format!(
                "index `{}` uses {method} in the snapshot but {} in the database",
                index.name, db.method
            ),
        );
    }
}

/// Foreign keys, by name: missing on either side, or differing.
fn compare_foreign_keys(
    key: &str,
    table: &snapshot::Table,
    actual: &trace::Table,
    found: &mut Differences,
) {
    let foreign_keys: Vec<ForeignKey> = snapshot::Table::entries(&table.foreign_keys);
    let db_foreign_keys: Vec<&trace::Constraint> = actual
        .constraints
        .iter()
        .filter(|c| matches!(c.kind, ConstraintKind::ForeignKey { .. }))
        .collect();
    for fk in &foreign_keys {
        let path = ["tables", key, "foreignKeys", fk.name.as_str()];
        match db_foreign_keys.iter().find(|c| c.name == stored(&fk.name)) {
            Some(db) => compare_foreign_key(&path, fk, db, found),
            None => found.at(
                &path,
                format!(
                    "the snapshot has foreign key `{}` on `{}`; the database has none",
                    fk.name, actual.name
                ),
            ),
        }
    }
    for db in &db_foreign_keys {
        if !foreign_keys.iter().any(|fk| stored(&fk.name) == db.name) {
            found.at(
                &["tables", key, "foreignKeys"],
                format!(
                    "the database has foreign key `{}` on `{}`; the snapshot does not",
                    db.name, actual.name
                ),
            );
        }
    }
}

/// One foreign key in both, at `path`: referenced table and columns, its columns, and its
/// ON DELETE and ON UPDATE actions.
fn compare_foreign_key(
    path: &[&str],
    fk: &ForeignKey,
    db: &trace::Constraint,
    found: &mut Differences,
) {
    let ConstraintKind::ForeignKey {
        references,
        referenced_columns,
        on_update,
        on_delete,
    } = &db.kind
    else {
        return;
    };
    let target = QualifiedName::new(
        fk.schema_to.as_deref().filter(|s| !s.is_empty()),
        &fk.table_to,
    );
    let mut differences = Vec::new();
    if &target != references || fk.columns_to != *referenced_columns {
        differences.push(format!(
            "references `{target}` ({}) in the snapshot but `{references}` ({}) in the database",
            fk.columns_to.join(", "),
            referenced_columns.join(", ")
        ));
    }
    if fk.columns_from != db.columns {
        differences.push(format!(
            "is on ({}) in the snapshot but on ({}) in the database",
            fk.columns_from.join(", "),
            db.columns.join(", ")
        ));
    }
    for (what, snapshot_action, db_action) in [
        ("ON DELETE", &fk.on_delete, *on_delete),
        ("ON UPDATE", &fk.on_update, *on_update),
    ] {
        let snapshot_action = snapshot_action.as_deref().unwrap_or("no action");
        if snapshot_action != action_name(db_action) {
            differences.push(format!(
                "has {what} {snapshot_action} in the snapshot but {} in the database",
                action_name(db_action)
            ));
        }
    }
    for difference in differences {
        found.at(path, format!("foreign key `{}` {difference}", fk.name));
    }
}

/// CHECK constraints, by name: missing on either side (their expressions are not compared).
fn compare_checks(
    key: &str,
    table: &snapshot::Table,
    actual: &trace::Table,
    found: &mut Differences,
) {
    let name = &actual.name;
    let checks: Vec<String> = table
        .check_constraints
        .iter()
        .map(|(key, value)| {
            value
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(key)
                .to_owned()
        })
        .collect();
    for check in &checks {
        if !actual
            .constraints
            .iter()
            .any(|c| c.kind == ConstraintKind::Check && c.name == stored(check))
        {
            found.at(
                &["tables", key, "checkConstraints", check.as_str()],
                format!(
                    "the snapshot has check constraint `{check}` on `{name}`; the database has none"
                ),
            );
        }
    }
    for db in actual
        .constraints
        .iter()
        .filter(|c| c.kind == ConstraintKind::Check)
    {
        if !checks.iter().any(|check| stored(check) == db.name) {
            found.at(
                &["tables", key, "checkConstraints"],
                format!(
                    "the database has check constraint `{}` on `{name}`; the snapshot does not",
                    db.name
                ),
            );
        }
    }
}

/// Whether the snapshot's column type is the database's.
fn type_matches(column: &snapshot::Column, db: &trace::Column) -> bool {
    let (base, dimensions) = strip_array(&column.type_name);
    if let Some(enum_type) = &db.enum_type {
        let schema = column.type_schema.as_deref().unwrap_or("public");
        return unquote(base) == enum_type.name
            && schema == enum_type.schema
            && dimensions == strip_array(&db.type_name).1;
    }
    if column.type_schema.is_some() {
        return false;
    }
    let serial = match base.to_ascii_lowercase().as_str() {
        "smallserial" | "serial2" => Some("int2"),
        "serial" | "serial4" => Some("int4"),
        "bigserial" | "serial8" => Some("int8"),
        _ => None,
    };
    if let Some(integer) = serial {
        return canonical_type(&db.type_name) == integer
            && db
                .default
                .as_deref()
                .is_some_and(|d| d.starts_with("nextval("));
    }
    canonical_type(&column.type_name) == canonical_type(&db.type_name)
}

/// Whether the snapshot's column default is the database's (a serial's sequence default aside).
fn default_matches(column: &snapshot::Column, db: &trace::Column) -> bool {
    let serial = strip_array(&column.type_name)
        .0
        .to_ascii_lowercase()
        .contains("serial");
    match (&column.default, &db.default) {
        (None, None) => true,
        (None, Some(_)) => serial,
        (Some(_), None) => false,
        (Some(snapshot), Some(db)) => canonical_default(&sql_of(snapshot)) == canonical_default(db),
    }
}

/// A snapshot default as SQL: strings are SQL text, JSON numbers and booleans their literal.
fn sql_of(value: &Value) -> String {
    match value {
        Value::String(sql) => sql.clone(),
        other => other.to_string(),
    }
}

/// `text[][]` → (`text`, 2).
fn strip_array(type_name: &str) -> (&str, usize) {
    let mut base = type_name.trim();
    let mut dimensions = 0;
    while let Some(inner) = base.strip_suffix("[]") {
        base = inner.trim_end();
        dimensions += 1;
    }
    (base, dimensions)
}

/// `"Name"` → `Name`; an unquoted name as it is.
fn unquote(name: &str) -> String {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => name.to_owned(),
    }
}

/// A type's canonical spelling (`character varying(255)` and `varchar(255)` agree).
fn canonical_type(spelled: &str) -> String {
    let fallback = || spelled.to_ascii_lowercase().replace(' ', "");
    let Ok(mut tree) = pg_query::parse(&format!("SELECT NULL::{spelled}"), 0) else {
        return fallback();
    };
    match expression_mut(&mut tree) {
        Some(NodeEnum::TypeCast(cast)) => cast
            .type_name
            .as_ref()
            .map_or_else(fallback, types::type_name),
        _ => fallback(),
    }
}

/// A default's canonical form: a constant by its value (JSON as data), anything else as
/// PostgreSQL's deparser writes it; casts are left out on both sides, since PostgreSQL adds the
/// implicit ones (`'draft'::character varying`, `lower((title)::text)`).
fn canonical_default(sql: &str) -> String {
    let Some(mut tree) = parse_expression(sql) else {
        return sql.trim().to_owned();
    };
    if let Some(NodeEnum::AConst(constant)) = expression_mut(&mut tree) {
        let value = match &constant.val {
            Some(a_const::Val::Ival(int)) => int.ival.to_string(),
            Some(a_const::Val::Fval(float)) => float.fval.clone(),
            Some(a_const::Val::Boolval(boolean)) => boolean.boolval.to_string(),
            // JSON is compared as data: PostgreSQL reprints a jsonb default its own way.
            Some(a_const::Val::Sval(string)) => match serde_json::from_str::<Value>(&string.sval) {
                Ok(json @ (Value::Object(_) | Value::Array(_))) => json.to_string(),
                _ => string.sval.clone(),
            },
            Some(a_const::Val::Bsval(bits)) => bits.bsval.clone(),
            None => "NULL".to_owned(),
        };
        return format!("constant {value}");
    }
    pg_query::deparse(&tree.protobuf, pg_query::DeparseOptions::default())
        .unwrap_or_else(|_| sql.trim().to_owned())
}

/// An index expression's canonical form, casts left out.
fn canonical_expression(sql: &str) -> String {
    parse_expression(sql)
        .and_then(|tree| {
            pg_query::deparse(&tree.protobuf, pg_query::DeparseOptions::default()).ok()
        })
        .unwrap_or_else(|| sql.trim().to_owned())
}

/// `SELECT <sql>` parsed, with every cast in the expression removed.
fn parse_expression(sql: &str) -> Option<pg_query::ParseResult> {
    let mut tree = pg_query::parse(&format!("SELECT {sql}"), 0).ok()?;
    if let Some(node) = expression_mut(&mut tree) {
        strip_casts(node);
    }
    Some(tree)
}

/// The single expression of `SELECT <expr>`.
fn expression_mut(tree: &mut pg_query::ParseResult) -> Option<&mut NodeEnum> {
    let stmt = tree
        .protobuf
        .stmts
        .first_mut()?
        .stmt
        .as_mut()?
        .node
        .as_mut()?;
    let NodeEnum::SelectStmt(select) = stmt else {
        return None;
    };
    let NodeEnum::ResTarget(target) = select.target_list.first_mut()?.node.as_mut()? else {
        return None;
    };
    target.val.as_mut()?.node.as_mut()
}

/// Replaces every `x::type` by `x` in the expressions defaults and indexes use.
fn strip_casts(node: &mut NodeEnum) {
    fn each(nodes: &mut [pg_query::protobuf::Node]) {
        for node in nodes {
            if let Some(node) = node.node.as_mut() {
                strip_casts(node);
            }
        }
    }
    fn boxed(node: &mut Option<Box<pg_query::protobuf::Node>>) {
        if let Some(node) = node.as_mut().and_then(|n| n.node.as_mut()) {
            strip_casts(node);
        }
    }
    while let NodeEnum::TypeCast(cast) = node {
        let Some(inner) = cast.arg.take().and_then(|arg| arg.node) else {
            return;
        };
        *node = inner;
    }
    match node {
        NodeEnum::FuncCall(call) => each(&mut call.args),
        NodeEnum::AExpr(expr) => {
            boxed(&mut expr.lexpr);
            boxed(&mut expr.rexpr);
        }
        NodeEnum::BoolExpr(expr) => each(&mut expr.args),
        NodeEnum::CoalesceExpr(expr) => each(&mut expr.args),
        NodeEnum::NullTest(test) => boxed(&mut test.arg),
        NodeEnum::AArrayExpr(array) => each(&mut array.elements),
        NodeEnum::List(list) => each(&mut list.items),
        _ => {}
    }
}

/// A name as PostgreSQL stores it: at most 63 bytes (longer names are truncated, with a notice).
fn stored(name: &str) -> &str {
    const MAX: usize = 63;
    if name.len() <= MAX {
        return name;
    }
    let mut end = MAX;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// A foreign key action (`pg_constraint.confdeltype`) as drizzle-kit spells it.
fn action_name(action: char) -> &'static str {
    match action {
        'r' => "restrict",
        'c' => "cascade",
        'n' => "set null",
        'd' => "set default",
        _ => "no action",
    }
}

/// `'a', 'b'`.
fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_compare_by_canonical_spelling() {
        assert_eq!(
            canonical_type("character varying(255)"),
            canonical_type("varchar(255)")
        );
        assert_eq!(
            canonical_type("timestamp(3) with time zone"),
            canonical_type("timestamp (3) with time zone")
        );
        assert_eq!(
            canonical_type("numeric(18, 2)"),
            canonical_type("numeric(18,2)")
        );
        assert_eq!(canonical_type("integer[]"), canonical_type("int4[]"));
        assert_ne!(
            canonical_type("timestamp"),
            canonical_type("timestamp with time zone")
        );
    }

    #[test]
    fn defaults_compare_constants_by_value() {
        assert_eq!(
            canonical_default("'draft'"),
            canonical_default("'draft'::character varying")
        );
        assert_eq!(canonical_default("-1"), canonical_default("'-1'::integer"));
        assert_eq!(canonical_default("false"), canonical_default("false"));
        assert_eq!(
            canonical_default("'[]'::jsonb"),
            canonical_default("'[]'::jsonb")
        );
        assert_eq!(
            canonical_default(r#"'{"b":1,"a":[]}'::jsonb"#),
            canonical_default(r#"'{"a": [], "b": 1}'::jsonb"#)
        );
        assert_eq!(canonical_default("now()"), canonical_default("now()"));
        assert_ne!(canonical_default("'a'"), canonical_default("'b'::text"));
        assert_eq!(
            canonical_default("ARRAY[]::text[]"),
            canonical_default("ARRAY[]::text[]")
        );
        assert_eq!(
            canonical_expression("lower(\"title\")"),
            canonical_expression("lower((title)::text)")
        );
    }
}
