//! drizzle-kit's schema snapshots (`meta/NNNN_snapshot.json`, PostgreSQL dialect, format
//! versions 5–7): the schema drizzle-kit believes the migrations so far produce, which it diffs
//! against on the next `generate`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Snapshot {
    #[serde(default)]
    pub dialect: String,
    #[serde(default)]
    pub tables: BTreeMap<String, Table>,
    #[serde(default)]
    pub enums: BTreeMap<String, Enum>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Table {
    pub name: String,
    /// Empty for `public`.
    #[serde(default)]
    pub schema: String,
    #[serde(default)]
    pub columns: BTreeMap<String, Column>,
    #[serde(default)]
    pub indexes: BTreeMap<String, Value>,
    #[serde(default)]
    pub foreign_keys: BTreeMap<String, Value>,
    #[serde(default)]
    pub composite_primary_keys: BTreeMap<String, Value>,
    #[serde(default)]
    pub unique_constraints: BTreeMap<String, Value>,
    #[serde(default)]
    pub check_constraints: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    /// The schema of an enum type.
    pub type_schema: Option<String>,
    #[serde(default)]
    pub primary_key: bool,
    #[serde(default)]
    pub not_null: bool,
    /// An SQL expression as a string, or a JSON number or boolean.
    pub default: Option<Value>,
    /// `{"type": "always" | "byDefault", ...}`.
    pub identity: Option<Value>,
    /// `{"as": "<expression>", "type": "stored"}`.
    pub generated: Option<Value>,
    /// Older formats: a column-level UNIQUE.
    #[serde(default)]
    pub is_unique: bool,
    pub unique_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Enum {
    pub name: String,
    #[serde(default)]
    pub schema: String,
    #[serde(default)]
    pub values: Vec<String>,
}

/// An index as drizzle-kit records it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    pub name: String,
    #[serde(default)]
    pub columns: Vec<IndexColumn>,
    #[serde(default)]
    pub is_unique: bool,
    pub method: Option<String>,
    #[serde(rename = "where")]
    pub predicate: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexColumn {
    pub expression: String,
    #[serde(default)]
    pub is_expression: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForeignKey {
    pub name: String,
    pub table_to: String,
    pub schema_to: Option<String>,
    #[serde(default)]
    pub columns_from: Vec<String>,
    #[serde(default)]
    pub columns_to: Vec<String>,
    pub on_update: Option<String>,
    pub on_delete: Option<String>,
}

/// A primary key or unique constraint over named columns.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KeyConstraint {
    pub name: String,
    #[serde(default)]
    pub columns: Vec<String>,
}

impl Snapshot {
    pub fn parse(text: &str) -> Result<Snapshot, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Whether this is a PostgreSQL snapshot (`postgresql`, or `pg` in older formats).
    pub fn is_postgres(&self) -> bool {
        matches!(self.dialect.as_str(), "postgresql" | "pg")
    }
}

impl Table {
    /// The table's schema (`public` when the snapshot leaves it empty).
    pub fn schema_name(&self) -> &str {
        if self.schema.is_empty() {
            "public"
        } else {
            &self.schema
        }
    }

    /// Entries of one of the keyed sections in the object form drizzle-kit 0.2x writes (older
    /// formats wrote strings; those are skipped).
    pub fn entries<T: for<'de> Deserialize<'de>>(section: &BTreeMap<String, Value>) -> Vec<T> {
        section
            .values()
            .filter_map(|value| serde_json::from_value(value.clone()).ok())
            .collect()
    }
}
