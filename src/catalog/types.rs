//! Column types: their canonical spelling, so `int4`, `integer` and `INT` compare equal, and what
//! changing a column from one spelling to another does — whether values can fail to convert or
//! lose data ([`narrowing`]) and whether PostgreSQL rewrites the table ([`rewrite`]).

use std::borrow::Cow;

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableStmt, AlterTableType, Node, TypeName, a_const};

use super::{Catalog, Constraint, ConstraintKind, Index, QualifiedName, Work, range_var};
use crate::parse::ast;

/// `varchar(255)`, `numeric(14,2)`, `int8`, `timestamptz`, `text[]`, `billing.my_enum`.
pub fn type_name(type_name: &TypeName) -> String {
    spelled_as(type_name, &base_name(type_name), true)
}

/// `type_name` spelled with base name `name`, its array bounds and, when `modifiers`, its
/// modifiers: `timestamptz(3)[]`.
pub fn spelled_as(type_name: &TypeName, name: &str, modifiers: bool) -> String {
    let mut spelled = name.to_owned();
    let modifiers: Vec<String> = if !modifiers {
        Vec::new()
    } else {
        type_name
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
            .collect()
    };
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
/// (`char(n)`), `serial`, `billing.my_enum` (`public.` is left out).
pub fn base_name(type_name: &TypeName) -> Cow<'_, str> {
    let names = ast::strings(&type_name.names);
    match names.as_slice() {
        // `public` is the schema an unqualified name is made in and found in (the default
        // `search_path`), so `public.mood` and `mood` are one type.
        ["pg_catalog" | "public", name] | [name] => Cow::Borrowed(canonical(name)),
        parts => Cow::Owned(parts.join(".")),
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

/// One `ALTER COLUMN ... [SET DATA] TYPE` action of an `ALTER TABLE`.
#[derive(Debug)]
pub struct ColumnTypeChange<'a> {
    pub table: QualifiedName,
    pub column: &'a str,
    /// The column's type as the earlier statements left it; `None` when the catalog does not
    /// know the column.
    pub old: Option<String>,
    /// Canonical spelling of the new type.
    pub new: String,
    pub new_type: &'a TypeName,
    /// The `USING` expression.
    pub using: Option<&'a Node>,
    /// `COLLATE` of the new type: the index keys of the column change order.
    pub collation: Option<String>,
}

/// The column type changes of an `ALTER TABLE`, with the old types from `catalog`.
pub fn column_type_changes<'a>(
    catalog: &Catalog,
    stmt: &'a AlterTableStmt,
) -> Vec<ColumnTypeChange<'a>> {
    let Some(table) = stmt.relation.as_ref().map(range_var) else {
        return Vec::new();
    };
    ast::alter_table_cmds(stmt)
        .filter(|(subtype, _)| *subtype == AlterTableType::AtAlterColumnType)
        .filter_map(|(_, cmd)| {
            let NodeEnum::ColumnDef(def) = cmd.def.as_deref()?.node.as_ref()? else {
                return None;
            };
            let new_type = def.type_name.as_ref()?;
            let old = catalog
                .column_of(&table, &cmd.name)
                .map(|c| c.type_name.clone())
                .filter(|t| !t.is_empty());
            Some(ColumnTypeChange {
                table: table.clone(),
                column: &cmd.name,
                old,
                new: type_name(new_type),
                new_type,
                using: def.raw_default.as_deref(),
                collation: def
                    .coll_clause
                    .as_ref()
                    .map(|clause| ast::strings(&clause.collname).join(".")),
            })
        })
        .collect()
}

/// A canonical type spelling taken apart again: `varchar(255)[]` → `varchar`, `[255]`, array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedType {
    /// Canonical base name; the serial pseudo-types are their integer types.
    pub base: String,
    pub modifiers: Vec<i64>,
    pub array: bool,
}

impl ParsedType {
    /// Parses what [`type_name`] produced; `None` when a modifier is not a number.
    pub fn parse(spelled: &str) -> Option<ParsedType> {
        let mut rest = spelled.trim();
        let mut array = false;
        while let Some(element) = rest.strip_suffix("[]") {
            rest = element;
            array = true;
        }
        let (base, modifiers) = match rest.strip_suffix(')').and_then(|r| r.split_once('(')) {
            Some((base, modifiers)) => (
                base,
                modifiers
                    .split(',')
                    .map(|m| m.trim().parse().ok())
                    .collect::<Option<Vec<i64>>>()?,
            ),
            None => (rest, Vec::new()),
        };
        let base = match canonical(base) {
            "serial" | "serial4" => "int4",
            "bigserial" | "serial8" => "int8",
            "smallserial" | "serial2" => "int2",
            "float" => "float8",
            other => other,
        };
        Some(ParsedType {
            base: base.to_owned(),
            modifiers,
            array,
        })
    }

    fn family(&self) -> Family {
        let modifier = |i: usize| self.modifiers.get(i).copied();
        match self.base.as_str() {
            "int2" => Family::Integer(2),
            "int4" => Family::Integer(4),
            "int8" => Family::Integer(8),
            "float4" => Family::Float(4),
            "float8" => Family::Float(8),
            "numeric" => Family::Numeric(modifier(0).map(|p| (p, modifier(1).unwrap_or(0)))),
            "text" => Family::Chars(StringKind::Text, None),
            "varchar" => Family::Chars(StringKind::Varchar, modifier(0)),
            "bpchar" => Family::Chars(StringKind::Bpchar, modifier(0)),
            "bit" => Family::Bit(false, modifier(0)),
            "varbit" => Family::Bit(true, modifier(0)),
            "timestamp" | "timestamptz" | "time" | "timetz" => Family::Temporal(modifier(0)),
            "date" => Family::Date,
            base if BUILTIN.contains(&base) => Family::Builtin,
            _ => Family::UserDefined,
        }
    }
}

/// Built-in types modelled only by name.
const BUILTIN: &[&str] = &[
    "bool",
    "bytea",
    "char",
    "cidr",
    "circle",
    "box",
    "daterange",
    "inet",
    "int4range",
    "int8range",
    "interval",
    "json",
    "jsonb",
    "line",
    "lseg",
    "macaddr",
    "macaddr8",
    "money",
    "name",
    "numrange",
    "oid",
    "path",
    "pg_lsn",
    "point",
    "polygon",
    "tsquery",
    "tsrange",
    "tstzrange",
    "tsvector",
    "uuid",
    "xml",
];

/// Built-in types every text value converts to.
const TAKES_ANY_TEXT: &[&str] = &["bytea", "tsvector"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringKind {
    Text,
    Varchar,
    Bpchar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Size in bytes.
    Integer(u8),
    Float(u8),
    /// (precision, scale); `None` is unconstrained `numeric`.
    Numeric(Option<(i64, i64)>),
    /// Kind and length limit.
    Chars(StringKind, Option<i64>),
    /// Varying, and length.
    Bit(bool, Option<i64>),
    /// Fractional-second precision of timestamp, timestamptz, time, timetz.
    Temporal(Option<i64>),
    Date,
    Builtin,
    UserDefined,
}

/// Digits of the largest value every `int<bytes>` fits below, and of its largest value.
fn integer_digits(bytes: u8) -> (i64, i64) {
    match bytes {
        2 => (4, 5),
        4 => (9, 10),
        _ => (18, 19),
    }
}

/// What changing a column from one type to another can do to the values it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Narrowing {
    /// What happens to the values that do not fit, e.g. "values longer than 100 characters make
    /// it fail"; at least one.
    pub effects: Vec<String>,
}

/// Whether converting a column of type `old` to `new` (both canonical spellings) can fail or lose
/// data. `None` when every value fits, or when the types are not ones this models (user-defined
/// types, arrays against non-arrays): no guessing.
pub fn narrowing(old: &str, new: &str) -> Option<Narrowing> {
    let (old_type, new_type) = (ParsedType::parse(old)?, ParsedType::parse(new)?);
    if old == new || old_type.array != new_type.array {
        return None;
    }
    let mut effects = Vec::new();
    let fails = |what: String| format!("{what} make it fail");
    use Family::*;
    match (old_type.family(), new_type.family()) {
        (Integer(from), Integer(to)) if to < from => {
            effects.push(fails(format!("values outside the range of `{new}`")))
        }
        (Integer(from), Numeric(Some((precision, scale))))
            if precision - scale < integer_digits(from).1 =>
        {
            effects.push(fails(format!(
                "integers with more than {} digits",
                precision - scale
            )))
        }
        (Integer(from), Float(to)) if from > 2 && (to == 4 || from == 8) => effects.push(format!(
            "large integers are rounded to the nearest `{new}` (exact only up to 2^{})",
            if to == 4 { 24 } else { 53 }
        )),
        (Numeric(old_numeric), Integer(to)) => {
            let scale = old_numeric.map_or(1, |(_, scale)| scale);
            let digits = old_numeric.map_or(i64::MAX, |(precision, scale)| precision - scale);
            if scale > 0 {
                effects.push("fractions are rounded away".to_owned());
            }
            if digits > integer_digits(to).0 {
                effects.push(fails(format!("values outside the range of `{new}`")));
            }
        }
        (Numeric(old_numeric), Numeric(Some((precision, scale)))) => {
            let (old_digits, old_scale) = old_numeric
                .map_or((i64::MAX, i64::MAX), |(precision, scale)| {
                    (precision - scale, scale)
                });
            if scale < old_scale {
                effects.push(format!("values are rounded to {scale} decimal places"));
            }
            if precision - scale < old_digits {
                effects.push(fails(format!(
                    "values with more than {} digits before the decimal point",
                    precision - scale
                )));
            }
        }
        (Numeric(_), Float(_)) => {
            effects.push(format!("values are rounded to the nearest `{new}`"));
        }
        (Float(from), Float(to)) if to < from => {
            effects.push(format!(
                "values are rounded to `{new}`'s 6 significant digits"
            ));
            effects.push(fails("values beyond `float4`'s range".to_owned()));
        }
        (Float(_), Integer(_)) => {
            effects.push("fractions are rounded away".to_owned());
            effects.push(fails(format!("values outside the range of `{new}`")));
        }
        (Float(_), Numeric(Some((precision, scale)))) => {
            effects.push(format!("values are rounded to {scale} decimal places"));
            effects.push(fails(format!(
                "values with more than {} digits before the decimal point",
                precision - scale
            )));
        }
        (Chars(_, from), Chars(_, Some(to))) if from.is_none_or(|from| from > to) => {
            effects.push(fails(format!("values longer than {to} characters")))
        }
        (
            Chars(..),
            Integer(_) | Float(_) | Numeric(_) | Temporal(_) | Date | Bit(..) | Builtin,
        ) if !TAKES_ANY_TEXT.contains(&new_type.base.as_str()) => {
            effects.push(fails(format!("values that are not valid `{new}`")))
        }
        (Temporal(from), Temporal(Some(to)))
            if from.is_none_or(|from| from > to) && same_time_kind(&old_type, &new_type) =>
        {
            effects.push(format!("fractional seconds are rounded to {to} digits"))
        }
        (Temporal(_), Date) if old_type.base.starts_with("timestamp") => {
            effects.push("the time of day is dropped".to_owned())
        }
        (Bit(false, from), Bit(false, to)) if from != to => effects.push(fails(format!(
            "bit strings whose length is not {}",
            to.unwrap_or(1)
        ))),
        (Bit(_, from), Bit(true, Some(to))) if from.is_none_or(|from| from > to) => {
            effects.push(fails(format!("bit strings longer than {to}")))
        }
        (Bit(true, _), Bit(false, to)) => effects.push(fails(format!(
            "bit strings whose length is not {}",
            to.unwrap_or(1)
        ))),
        _ => {}
    }
    (!effects.is_empty()).then_some(Narrowing { effects })
}

/// timestamp and timestamptz are one kind for precision; time and timetz another.
fn same_time_kind(a: &ParsedType, b: &ParsedType) -> bool {
    a.base.starts_with("timestamp") == b.base.starts_with("timestamp")
}

/// What `ALTER COLUMN ... TYPE` does to the table's storage (verified on PostgreSQL 15 by comparing
/// `pg_class.relfilenode` before and after; see rules/column-type-rewrite.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rewrite {
    /// Catalog-only: the stored bytes stay valid and indexes are kept.
    None,
    /// The table is kept but indexes on the column are rebuilt (new operator class).
    Indexes,
    /// timestamp ↔ timestamptz: PostgreSQL 12+ skips the table rewrite when the session's
    /// `TimeZone` is UTC; indexes on the column are rebuilt either way.
    TableUnlessUtc,
    /// The table and all its indexes are rewritten.
    Table,
    /// A user-defined type (domain, enum, extension type): cannot tell.
    Unknown,
}

/// What converting a column of type `old` to `new` (both canonical spellings) does to the table,
/// without a `USING` clause (or with one that only names the column or casts it to `new`).
pub fn rewrite(old: &str, new: &str) -> Rewrite {
    if old == new {
        return Rewrite::None;
    }
    let (Some(old_type), Some(new_type)) = (ParsedType::parse(old), ParsedType::parse(new)) else {
        return Rewrite::Unknown;
    };
    if old_type == new_type {
        // Two spellings of one type (`serial` and `int4`).
        return Rewrite::None;
    }
    let (from, to) = (old_type.family(), new_type.family());
    if from == Family::UserDefined || to == Family::UserDefined {
        return Rewrite::Unknown;
    }
    if old_type.array || new_type.array {
        // Arrays convert element by element (ArrayCoerceExpr): even varchar(10)[] → text[].
        return if old_type == new_type {
            Rewrite::None
        } else {
            Rewrite::Table
        };
    }
    use Family::*;
    use StringKind::*;
    match (from, to) {
        // Binary-compatible: only the length limit changes, and it allows every old value.
        (Chars(Text | Varchar, _), Chars(Text, _) | Chars(Varchar, None)) => Rewrite::None,
        (Chars(Varchar, Some(from)), Chars(Varchar, Some(to))) if to >= from => Rewrite::None,
        (Chars(Text | Varchar, _), Chars(Bpchar, None)) => Rewrite::Indexes,
        (Numeric(_), Numeric(None)) => Rewrite::None,
        (Numeric(Some((p1, s1))), Numeric(Some((p2, s2)))) if s1 == s2 && p2 >= p1 => Rewrite::None,
        (Temporal(from_precision), Temporal(to_precision))
            if same_time_kind(&old_type, &new_type) =>
        {
            let widens = match (from_precision, to_precision) {
                (_, None) | (_, Some(6)) => true,
                (Some(from), Some(to)) => to >= from,
                (None, Some(_)) => false,
            };
            let time_zone_changes = old_type.base.ends_with("tz") != new_type.base.ends_with("tz");
            match (widens, time_zone_changes) {
                (false, _) => Rewrite::Table,
                (true, false) => Rewrite::None,
                // time ↔ timetz converts; timestamp ↔ timestamptz depends on TimeZone.
                (true, true) if old_type.base.starts_with("timestamp") => Rewrite::TableUnlessUtc,
                (true, true) => Rewrite::Table,
            }
        }
        (Bit(true, from), Bit(true, to))
            if to.is_none() || from.zip(to).is_some_and(|(f, t)| t >= f) =>
        {
            Rewrite::None
        }
        (Bit(false, _), Bit(true, None)) => Rewrite::Indexes,
        _ => match (old_type.base.as_str(), new_type.base.as_str()) {
            ("cidr", "inet") | ("xml", "text") => Rewrite::None,
            ("xml", "varchar") if new_type.modifiers.is_empty() => Rewrite::None,
            ("int4", "oid") | ("oid", "int4") => Rewrite::Indexes,
            // Same built-in type, other modifiers (interval fields): not modelled.
            (a, b) if a == b && from == Builtin => Rewrite::Unknown,
            _ => Rewrite::Table,
        },
    }
}

/// What a column type change does to the stored values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// What the type change itself does (no `USING`, or one that only names or casts the column).
    Rewrites(Rewrite),
    /// The `USING` expression computes new values: always a rewrite.
    Computed,
}

impl ColumnTypeChange<'_> {
    /// What the change does to the table: by the types alone, or computed by its `USING`.
    pub fn conversion(&self) -> Conversion {
        let conversion = match self.using {
            None => Conversion::Rewrites(from_old(self, &self.new)),
            Some(using) => through(self, using, &self.new),
        };
        // A new collation keeps the stored values but orders them anew: every index on the
        // column is rebuilt.
        match (conversion, &self.collation) {
            (Conversion::Rewrites(rewrite), Some(_)) => {
                Conversion::Rewrites(combine(rewrite, Rewrite::Indexes))
            }
            (conversion, _) => conversion,
        }
    }

    /// Whether PostgreSQL writes the table anew for it, whatever the session's time zone.
    pub fn rewrites_table(&self) -> bool {
        matches!(
            self.conversion(),
            Conversion::Computed | Conversion::Rewrites(Rewrite::Table)
        )
    }

    /// The validated CHECK constraints on the column, which a change that keeps the stored
    /// values checks every row against again (a rewrite checks them as it writes).
    pub fn rechecked<'c>(&self, catalog: &'c Catalog) -> Vec<&'c Constraint> {
        catalog
            .table(&self.table)
            .into_iter()
            .flat_map(|known| &known.constraints)
            .filter(|c| {
                c.kind == ConstraintKind::Check
                    && c.validated
                    && c.columns.iter().any(|c| c == self.column)
            })
            .collect()
    }

    /// The indexes with the column as a key, which a new operator class or collation rebuilds.
    /// In name order.
    pub fn rebuilt_indexes<'c>(&self, catalog: &'c Catalog) -> Vec<&'c Index> {
        let mut rebuilt: Vec<&Index> = catalog
            .indexes
            .on_table(&self.table)
            .filter(|i| i.columns.iter().any(|c| c.as_deref() == Some(self.column)))
            .collect();
        rebuilt.sort_by(|a, b| a.name.cmp(&b.name));
        rebuilt
    }

    /// What the change does to the rows beyond editing the catalog: rewrite the table, rebuild
    /// an index on the column, or check every row again (verified on PostgreSQL 15 with
    /// `pg_class.relfilenode` and `pg_stat_xact_user_tables.seq_scan`); `None` for a change of
    /// the catalog alone.
    pub fn row_work(&self, catalog: &Catalog) -> Option<Work> {
        let rechecks = || (!self.rechecked(catalog).is_empty()).then_some(Work::Scan);
        match self.conversion() {
            Conversion::Rewrites(Rewrite::None) => rechecks(),
            Conversion::Rewrites(Rewrite::Indexes) => {
                if self.rebuilt_indexes(catalog).is_empty() {
                    rechecks()
                } else {
                    Some(Work::IndexBuild)
                }
            }
            Conversion::Rewrites(Rewrite::Unknown | Rewrite::TableUnlessUtc) => {
                Some(Work::MayRewrite)
            }
            Conversion::Rewrites(Rewrite::Table) | Conversion::Computed => Some(Work::Rewrite),
        }
    }
}

/// The old type against `to`, or unknown without an old type.
fn from_old(change: &ColumnTypeChange, to: &str) -> Rewrite {
    change
        .old
        .as_deref()
        .map_or(Rewrite::Unknown, |old| rewrite(old, to))
}

/// What `USING expr`, coerced to `to`, does: the column itself or casts of it convert like a
/// plain type change (`USING "c"::int8` is what drizzle-kit writes); anything else computes new
/// values, which PostgreSQL stores by rewriting the table.
fn through(change: &ColumnTypeChange, expr: &Node, to: &str) -> Conversion {
    match expr.node.as_ref() {
        Some(NodeEnum::ColumnRef(column_ref))
            if ast::strings(&column_ref.fields).last() == Some(&change.column) =>
        {
            Conversion::Rewrites(from_old(change, to))
        }
        Some(NodeEnum::TypeCast(cast)) => {
            let (Some(arg), Some(cast_type)) = (cast.arg.as_deref(), cast.type_name.as_ref())
            else {
                return Conversion::Computed;
            };
            let cast_to = type_name(cast_type);
            match through(change, arg, &cast_to) {
                Conversion::Computed => Conversion::Computed,
                Conversion::Rewrites(inner) => {
                    Conversion::Rewrites(combine(inner, rewrite(&cast_to, to)))
                }
            }
        }
        _ => Conversion::Computed,
    }
}

/// Two conversions in a row: the heavier one decides; an unknown step stays unknown unless the
/// other one rewrites anyway.
fn combine(a: Rewrite, b: Rewrite) -> Rewrite {
    match (a, b) {
        (Rewrite::Table, _) | (_, Rewrite::Table) => Rewrite::Table,
        (Rewrite::Unknown, _) | (_, Rewrite::Unknown) => Rewrite::Unknown,
        (a, b) => a.max(b),
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
        assert_eq!(column_type("CREATE TABLE t (c public.mood)"), "mood");
        assert_eq!(
            column_type("CREATE TABLE t (c billing.mood)"),
            "billing.mood"
        );
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

    #[test]
    fn parses_canonical_spellings() {
        assert_eq!(
            ParsedType::parse("numeric(14,2)[]"),
            Some(ParsedType {
                base: "numeric".to_owned(),
                modifiers: vec![14, 2],
                array: true
            })
        );
        assert_eq!(ParsedType::parse("serial").unwrap().base, "int4");
        assert_eq!(ParsedType::parse("bigserial").unwrap().base, "int8");
        assert_eq!(
            ParsedType::parse("public.mood").unwrap().base,
            "public.mood"
        );
        assert_eq!(ParsedType::parse("varchar(n)"), None);
    }

    #[test]
    fn narrowing_changes() {
        let narrows = |old: &str, new: &str| narrowing(old, new).is_some();
        // The ones every reviewer expects.
        assert!(narrows("varchar(255)", "varchar(100)"));
        assert!(narrows("int8", "int4"));
        assert!(narrows("int4", "int2"));
        assert!(narrows("text", "varchar(100)"));
        assert!(narrows("varchar", "varchar(100)"));
        assert!(narrows("numeric(12,2)", "numeric(10,2)"));
        assert!(narrows("numeric(12,4)", "numeric(12,2)"));
        assert!(
            narrows("numeric(12,2)", "numeric(12,4)"),
            "fewer integer digits"
        );
        assert!(narrows("numeric", "numeric(10,2)"));
        assert!(narrows("numeric(10,2)", "int4"));
        assert!(narrows("float8", "float4"));
        assert!(narrows("int8", "float8"));
        assert!(narrows("int4", "numeric(5,0)"));
        assert!(narrows("bpchar(10)", "varchar(5)"));
        assert!(narrows("text", "int4"));
        assert!(narrows("timestamptz", "timestamptz(3)"));
        assert!(narrows("timestamp", "date"));
        assert!(narrows("varchar(20)[]", "varchar(10)[]"));
        // Widening or lossless.
        assert!(!narrows("varchar(100)", "varchar(255)"));
        assert!(!narrows("varchar(255)", "text"));
        assert!(!narrows("varchar(255)", "varchar"));
        assert!(!narrows("int4", "int8"));
        assert!(!narrows("int2", "int4"));
        assert!(!narrows("serial", "int8"));
        assert!(!narrows("numeric(10,2)", "numeric(12,2)"));
        assert!(!narrows("numeric(10,2)", "numeric"));
        assert!(!narrows("numeric(5,0)", "int4"));
        assert!(!narrows("int4", "numeric(10,0)"));
        assert!(!narrows("int4", "float8"));
        assert!(!narrows("int4", "text"));
        assert!(!narrows("timestamp", "timestamptz"));
        assert!(!narrows("timestamptz(3)", "timestamptz"));
        assert!(!narrows("varchar(10)", "varchar(10)"));
        // Not modelled: no guessing.
        assert!(!narrows("text", "public.mood"));
        assert!(!narrows("public.mood", "text"));
        assert!(!narrows("text[]", "varchar(10)"));
        assert!(!narrows("text", "bytea"));
        assert!(!narrows("serial", "int4"));
    }

    #[test]
    fn narrowing_says_what_happens() {
        assert_eq!(
            narrowing("varchar(255)", "varchar(100)").unwrap().effects,
            ["values longer than 100 characters make it fail"]
        );
        assert_eq!(
            narrowing("numeric(12,4)", "numeric(10,2)").unwrap().effects,
            ["values are rounded to 2 decimal places"]
        );
        assert_eq!(
            narrowing("numeric(14,4)", "numeric(10,2)").unwrap().effects,
            [
                "values are rounded to 2 decimal places",
                "values with more than 8 digits before the decimal point make it fail"
            ]
        );
    }

    /// Each pair checked on PostgreSQL 15.18 against pg_class.relfilenode of the table and of an
    /// index on the column.
    #[test]
    fn rewrites_as_postgres_15_does() {
        use Rewrite::*;
        let cases = [
            ("int4", "int8", Table),
            ("int8", "int4", Table),
            ("int2", "int4", Table),
            ("int4", "numeric", Table),
            ("float4", "float8", Table),
            ("varchar(100)", "varchar(255)", None),
            ("varchar(255)", "varchar(100)", Table),
            ("varchar(255)", "text", None),
            ("varchar(255)", "varchar", None),
            ("varchar", "varchar(10)", Table),
            ("text", "varchar(10)", Table),
            ("text", "varchar", None),
            ("varchar", "text", None),
            ("numeric(10,2)", "numeric(12,2)", None),
            ("numeric(10,2)", "numeric(12,4)", Table),
            ("numeric(12,4)", "numeric(12,2)", Table),
            ("numeric(10,2)", "numeric", None),
            ("numeric", "numeric(10,2)", Table),
            ("bpchar(10)", "bpchar(20)", Table),
            ("bpchar(10)", "text", Table),
            ("varchar(10)", "bpchar(10)", Table),
            ("text", "bpchar", Indexes),
            ("timestamp", "timestamptz", TableUnlessUtc),
            ("timestamptz", "timestamp", TableUnlessUtc),
            ("timestamp(3)", "timestamp(6)", None),
            ("timestamp(6)", "timestamp(3)", Table),
            ("timestamptz(3)", "timestamptz", None),
            ("time(3)", "time(6)", None),
            ("time", "timetz", Table),
            ("date", "timestamp", Table),
            ("cidr", "inet", None),
            ("inet", "cidr", Table),
            ("varbit(5)", "varbit(10)", None),
            ("varbit(5)", "varbit", None),
            ("bit(5)", "bit(10)", Table),
            ("bit(5)", "varbit", Indexes),
            ("bit(5)", "varbit(10)", Table),
            ("int4", "oid", Indexes),
            ("xml", "text", None),
            ("json", "jsonb", Table),
            ("uuid", "text", Table),
            ("int4[]", "int8[]", Table),
            ("varchar(10)[]", "varchar(20)[]", Table),
            ("varchar(10)[]", "text[]", Table),
            ("varchar(10)", "varchar(10)", None),
            ("serial", "int8", Table),
            ("serial", "int4", None),
            ("text", "public.mood", Unknown),
        ];
        for (old, new, expected) in cases {
            assert_eq!(rewrite(old, new), expected, "{old} -> {new}");
        }
    }
}
