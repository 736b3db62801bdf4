//! What the Directus CMS has configured on the database: its collections, fields and relations,
//! read from a schema snapshot (`directus schema snapshot`, YAML or JSON) and, with
//! `--database-url`, from the live `directus_collections`, `directus_fields` and
//! `directus_relations` tables (read-only).
//!
//! Directus keys its configuration by table and column name, in the database's default schema
//! (`public`): a collection is a table, a field a column (or an alias, which has none), and a
//! relation a foreign key on a field's column.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde::de::IgnoredAny;
use sqlx::PgConnection;

use crate::catalog::{DEFAULT_SCHEMA, QualifiedName};
use crate::database::{self, DatabaseError};
use crate::regular_file::{self, Links};

/// Where Directus's configuration was read from: the snapshot path as configured, or the
/// database.
pub const LIVE_SOURCE: &str = "the database (--database-url)";

/// Directus's configuration, as far as the rules judge it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    /// Where it was read from, for messages: the snapshot's path as configured, [`LIVE_SOURCE`].
    pub sources: Vec<String>,
    pub collections: Vec<Collection>,
    pub fields: Vec<Field>,
    pub relations: Vec<Relation>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub name: String,
    /// Whether a table (or view) stands behind it; a folder collection has none.
    pub table: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub collection: String,
    pub field: String,
    /// Directus's type: `string`, `integer`, `uuid`, `dateTime`, `json`, `alias`, ...
    pub kind: String,
    pub interface: Option<String>,
    /// Whether a column stands behind it; alias fields (one-to-many, presentation) have none.
    pub column: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// The collection holding the foreign key, and its field.
    pub collection: String,
    pub field: String,
    pub related_collection: Option<String>,
    /// Whether a foreign key stands behind it (a relation can be Directus's alone).
    pub foreign_key: bool,
    /// The foreign key's name, when the snapshot recorded one.
    pub constraint_name: Option<String>,
}

/// Directus works in the default schema: other schemas' tables are none of its.
fn in_directus_schema(table: &QualifiedName) -> bool {
    table.schema == DEFAULT_SCHEMA
}

impl Model {
    /// The collection `table` is, when a table stands behind it.
    pub fn collection(&self, table: &QualifiedName) -> Option<&Collection> {
        if !in_directus_schema(table) {
            return None;
        }
        self.collections
            .iter()
            .find(|collection| collection.table && collection.name == table.name)
    }

    /// The field `column` of `table` is.
    pub fn field(&self, table: &QualifiedName, column: &str) -> Option<&Field> {
        if !in_directus_schema(table) {
            return None;
        }
        self.fields
            .iter()
            .find(|field| field.column && field.collection == table.name && field.field == column)
    }

    /// The fields of `table` that have a column.
    pub fn column_fields(&self, table: &QualifiedName) -> usize {
        if !in_directus_schema(table) {
            return 0;
        }
        self.fields
            .iter()
            .filter(|field| field.column && field.collection == table.name)
            .count()
    }

    /// The relations whose foreign key is on `table`.
    pub fn relations_on<'a>(&'a self, table: &QualifiedName) -> impl Iterator<Item = &'a Relation> {
        let name = in_directus_schema(table).then(|| table.name.clone());
        self.relations
            .iter()
            .filter(move |relation| name.as_deref() == Some(relation.collection.as_str()))
    }

    /// Adds what `other` holds that this model lacks (the same collection, field or relation
    /// read twice counts once; the first reading wins).
    pub fn merge(&mut self, other: Model) {
        self.sources.extend(other.sources);
        for collection in other.collections {
            if !self.collections.iter().any(|c| c.name == collection.name) {
                self.collections.push(collection);
            }
        }
        for field in other.fields {
            let known = self
                .fields
                .iter()
                .any(|f| f.collection == field.collection && f.field == field.field);
            if !known {
                self.fields.push(field);
            }
        }
        for relation in other.relations {
            let known = self
                .relations
                .iter()
                .any(|r| r.collection == relation.collection && r.field == relation.field);
            if !known {
                self.relations.push(relation);
            }
        }
    }
}

/// What `directus schema snapshot` writes. Only the keys the rules use are read; Directus adds
/// keys from version to version, and the others are ignored.
#[derive(Deserialize)]
struct SnapshotFile {
    /// The snapshot format's version; required, to tell a snapshot from any other file.
    #[allow(dead_code)]
    version: IgnoredAny,
    /// The Directus version that wrote it.
    #[allow(dead_code)]
    directus: IgnoredAny,
    vendor: Option<String>,
    collections: Vec<SnapshotCollection>,
    fields: Vec<SnapshotField>,
    relations: Vec<SnapshotRelation>,
}

#[derive(Deserialize)]
struct SnapshotCollection {
    collection: String,
    /// `null` for a folder.
    schema: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct SnapshotField {
    collection: String,
    field: String,
    #[serde(rename = "type")]
    kind: String,
    meta: Option<SnapshotFieldMeta>,
    /// `null` for an alias field.
    schema: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct SnapshotFieldMeta {
    interface: Option<String>,
}

#[derive(Deserialize)]
struct SnapshotRelation {
    collection: String,
    field: String,
    related_collection: Option<String>,
    schema: Option<SnapshotRelationSchema>,
}

#[derive(Deserialize)]
struct SnapshotRelationSchema {
    constraint_name: Option<String>,
}

/// Why a schema snapshot cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read the Directus schema snapshot: {0}")]
    Read(#[source] regular_file::ReadError),
    #[error("the Directus schema snapshot is not valid UTF-8 (invalid byte at offset {at})")]
    NotUtf8 { at: usize },
    /// The parser's message: `shown` is the path as configured.
    #[error(
        "not a Directus schema snapshot (`npx directus schema snapshot {shown}` writes one): \
         {message}"
    )]
    NotASnapshot { shown: String, message: String },
    #[error(
        "a Directus schema snapshot of a `{vendor}` database; chronos-lint lints PostgreSQL \
         migrations"
    )]
    OtherVendor { vendor: String },
}

/// The largest snapshot read: a large instance's is a few MiB.
const MAX_SNAPSHOT_SIZE: u64 = 64 << 20;

/// Reads the snapshot at `path` (JSON when the name ends in `.json`, else YAML); `shown` is the
/// path as configured, kept for messages.
pub fn load_snapshot(path: &Path, shown: &str) -> Result<Model, SnapshotError> {
    let bytes =
        regular_file::read(path, Links::Follow, MAX_SNAPSHOT_SIZE).map_err(SnapshotError::Read)?;
    let text = String::from_utf8(bytes).map_err(|err| SnapshotError::NotUtf8 {
        at: err.utf8_error().valid_up_to(),
    })?;
    let json = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    parse_snapshot(&text, json, shown)
}

/// Parses a snapshot's text.
pub fn parse_snapshot(text: &str, json: bool, shown: &str) -> Result<Model, SnapshotError> {
    // The parsers' errors are kept as text: the YAML one is rewritten to name the file.
    let not_a_snapshot = |message: String| SnapshotError::NotASnapshot {
        shown: shown.to_owned(),
        message,
    };
    let file: SnapshotFile = if json {
        serde_json::from_str(text).map_err(|err| not_a_snapshot(err.to_string()))?
    } else {
        serde_saphyr::from_str(text).map_err(|err| {
            // The parser's own snippet, with the file named.
            let shown_err = err.to_string().replace("<input>", shown);
            not_a_snapshot(shown_err.trim_start_matches("error: ").to_owned())
        })?
    };
    if let Some(vendor) = file.vendor.as_deref()
        && !matches!(
            vendor,
            "postgres" | "postgresql" | "cockroachdb" | "redshift"
        )
    {
        return Err(SnapshotError::OtherVendor {
            vendor: vendor.to_owned(),
        });
    }
    Ok(Model {
        sources: vec![shown.to_owned()],
        collections: file
            .collections
            .into_iter()
            .map(|c| Collection {
                name: c.collection,
                table: c.schema.is_some(),
            })
            .collect(),
        fields: file
            .fields
            .into_iter()
            .map(|f| Field {
                column: f.schema.is_some() && f.kind != "alias",
                collection: f.collection,
                field: f.field,
                kind: f.kind,
                interface: f.meta.and_then(|meta| meta.interface),
            })
            .collect(),
        relations: file
            .relations
            .into_iter()
            .map(|r| Relation {
                collection: r.collection,
                field: r.field,
                related_collection: r.related_collection,
                foreign_key: r.schema.is_some(),
                constraint_name: r.schema.and_then(|schema| schema.constraint_name),
            })
            .collect(),
    })
}

/// The Directus type a column of PostgreSQL type `base` (canonical, as
/// [`crate::catalog::types::base_name`] spells it) is read as, as Directus's schema inspector
/// maps them; `None` for types it reads as `unknown` (enums, arrays, ranges, network types...).
pub fn local_type(base: &str) -> Option<&'static str> {
    Some(match base {
        "bool" => "boolean",
        "int2" | "int4" | "smallserial" | "serial" => "integer",
        "int8" | "bigserial" => "bigInteger",
        "numeric" => "decimal",
        "float4" | "float8" => "float",
        "varchar" | "bpchar" => "string",
        "text" | "citext" => "text",
        "uuid" => "uuid",
        "json" | "jsonb" => "json",
        "date" => "date",
        "timestamp" => "dateTime",
        "timestamptz" => "timestamp",
        "time" | "timetz" => "time",
        "bytea" => "binary",
        "geometry" | "geography" => "geometry",
        _ => return None,
    })
}

/// Whether a field of Directus type `field` keeps working on a column Directus reads as
/// `column` (see [`local_type`]): the compatibility table of `directus-field-broken`.
/// Field types not in the table (`alias`, `unknown`, extensions' types) are never judged.
pub fn holds(field: &str, column: &str) -> Option<bool> {
    const TEXT: &[&str] = &["string", "text"];
    const NUMBER: &[&str] = &["integer", "bigInteger", "decimal", "float"];
    const MOMENT: &[&str] = &["date", "dateTime", "timestamp"];
    let accepted: &[&str] = match field {
        // Text interfaces write any string: a uuid column would refuse most of them.
        "string" | "text" | "hash" | "csv" => TEXT,
        // A uuid kept in a text column is still a string Directus can write.
        "uuid" => &["uuid", "string", "text"],
        "integer" | "bigInteger" => &["integer", "bigInteger"],
        // Range and precision are narrowing-type-change's; the numeric interfaces take them all.
        "decimal" | "float" => NUMBER,
        "boolean" => &["boolean"],
        // The datetime interface edits dates, dates with times and timestamps alike.
        "date" | "dateTime" | "timestamp" => MOMENT,
        "time" => &["time"],
        "json" => &["json"],
        "binary" => &["binary"],
        geometry if geometry == "geometry" || geometry.starts_with("geometry.") => &["geometry"],
        _ => return None,
    };
    Some(accepted.contains(&column))
}

/// Reads Directus's configuration from the live database in a read-only session; `None` when
/// the database has no Directus tables.
pub fn read_live(url: &str, connect_limit: Duration) -> Result<Option<Model>, DatabaseError> {
    database::read_only(url, connect_limit, read)
}

async fn read(connection: &mut PgConnection) -> Result<Option<Model>, sqlx::Error> {
    let present: (bool, bool, bool) = sqlx::query_as(
        "SELECT to_regclass('directus_collections') IS NOT NULL, \
                to_regclass('directus_fields') IS NOT NULL, \
                to_regclass('directus_relations') IS NOT NULL",
    )
    .fetch_one(&mut *connection)
    .await?;
    if present == (false, false, false) {
        return Ok(None);
    }
    let mut model = Model {
        sources: vec![LIVE_SOURCE.to_owned()],
        ..Model::default()
    };
    let configured: Vec<(String, bool)> = if present.0 {
        // A folder collection has no table.
        sqlx::query_as(
            "SELECT d.collection::text, EXISTS (SELECT FROM pg_class c \
                 WHERE c.relname = d.collection AND c.relnamespace = 'public'::regnamespace \
                   AND c.relkind IN ('r', 'p', 'v', 'm')) \
             FROM directus_collections d ORDER BY 1",
        )
        .fetch_all(&mut *connection)
        .await?
    } else {
        Vec::new()
    };
    for (name, table) in configured {
        model.collections.push(Collection { name, table });
    }
    if present.1 {
        // Directus keeps no type for a field: it reads it from the column, as done here.
        let fields: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT f.collection::text, f.field::text, f.interface::text, t.typname::text \
             FROM directus_fields f \
             LEFT JOIN pg_class c ON c.relname = f.collection \
                  AND c.relnamespace = 'public'::regnamespace \
             LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = f.field \
                  AND a.attnum > 0 AND NOT a.attisdropped \
             LEFT JOIN pg_type t ON t.oid = a.atttypid \
             ORDER BY f.collection, f.field",
        )
        .fetch_all(&mut *connection)
        .await?;
        for (collection, field, interface, column_type) in fields {
            let kind = column_type
                .as_deref()
                .map_or("alias", |base| local_type(base).unwrap_or("unknown"));
            model.fields.push(Field {
                column: column_type.is_some(),
                collection,
                field,
                kind: kind.to_owned(),
                interface,
            });
        }
    }
    if present.2 {
        // The foreign key on the relation's column, as the snapshot would name it.
        let relations: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT r.many_collection::text, r.many_field::text, r.one_collection::text, \
                    (SELECT con.conname::text FROM pg_constraint con \
                     JOIN pg_class c ON c.oid = con.conrelid \
                     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = con.conkey[1] \
                     WHERE con.contype = 'f' AND cardinality(con.conkey) = 1 \
                       AND c.relnamespace = 'public'::regnamespace \
                       AND c.relname = r.many_collection AND a.attname = r.many_field \
                     ORDER BY 1 LIMIT 1) \
             FROM directus_relations r ORDER BY 1, 2",
        )
        .fetch_all(&mut *connection)
        .await?;
        for (collection, field, related_collection, constraint_name) in relations {
            // With no key there yet, the migrations may add one: it is then found by column.
            model.relations.push(Relation {
                collection,
                field,
                related_collection,
                foreign_key: true,
                constraint_name,
            });
        }
    }
    Ok(Some(model))
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "\
version: 1
directus: 11.5.1
vendor: postgres
collections:
  - collection: cms_posts
    meta:
      collection: cms_posts
      icon: article
    schema:
      name: cms_posts
  - collection: cms_folder
    meta:
      collection: cms_folder
    schema: null
fields:
  - collection: cms_posts
    field: title
    type: string
    meta:
      interface: input
      special: null
    schema:
      name: title
      table: cms_posts
      data_type: character varying
  - collection: cms_posts
    field: comments
    type: alias
    meta:
      interface: list-o2m
      special:
        - o2m
    schema: null
relations:
  - collection: cms_posts
    field: author_id
    related_collection: cms_authors
    meta:
      many_collection: cms_posts
    schema:
      table: cms_posts
      column: author_id
      constraint_name: cms_posts_author_id_fk
";

    #[test]
    fn reads_collections_fields_and_relations_from_yaml_and_json() {
        let model = parse_snapshot(YAML, false, "snapshot.yaml").unwrap();
        let posts = QualifiedName::new(None, "cms_posts");
        assert!(model.collection(&posts).is_some());
        assert!(
            model
                .collection(&QualifiedName::new(None, "cms_folder"))
                .is_none()
        );
        assert!(
            model
                .collection(&QualifiedName::new(Some("raw"), "cms_posts"))
                .is_none()
        );
        let title = model.field(&posts, "title").unwrap();
        assert_eq!(
            (title.kind.as_str(), title.interface.as_deref()),
            ("string", Some("input"))
        );
        assert!(model.field(&posts, "comments").is_none());
        let relation = model.relations_on(&posts).next().unwrap();
        assert_eq!(
            relation.constraint_name.as_deref(),
            Some("cms_posts_author_id_fk")
        );

        let json = r#"{"version":1,"directus":"10.13.0","vendor":"postgres",
            "collections":[{"collection":"cms_posts","meta":null,"schema":{"name":"cms_posts"}}],
            "fields":[{"collection":"cms_posts","field":"id","type":"uuid","meta":null,
                       "schema":{"name":"id","data_type":"uuid"}}],
            "relations":[]}"#;
        let model = parse_snapshot(json, true, "snapshot.json").unwrap();
        assert_eq!(model.field(&posts, "id").unwrap().kind, "uuid");
    }

    #[test]
    fn other_files_and_vendors_are_refused() {
        let err = parse_snapshot("collections: []\n", false, "s.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("not a Directus schema snapshot"), "{err}");
        let err = parse_snapshot(&YAML.replace("postgres", "mysql"), false, "s.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`mysql`"), "{err}");
        let err = parse_snapshot("version: [", false, "s.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("not a Directus schema snapshot"), "{err}");
    }

    #[test]
    fn the_compatibility_table() {
        assert_eq!(holds("string", "integer"), Some(false));
        assert_eq!(holds("string", "text"), Some(true));
        assert_eq!(holds("string", "uuid"), Some(false));
        assert_eq!(holds("uuid", "text"), Some(true));
        assert_eq!(holds("integer", "boolean"), Some(false));
        assert_eq!(holds("integer", "bigInteger"), Some(true));
        assert_eq!(holds("dateTime", "timestamp"), Some(true));
        assert_eq!(holds("json", "text"), Some(false));
        assert_eq!(holds("geometry.Point", "geometry"), Some(true));
        assert_eq!(holds("alias", "text"), None);
        assert_eq!(local_type("timestamptz"), Some("timestamp"));
        assert_eq!(local_type("public.status"), None);
    }

    #[test]
    fn merging_keeps_the_first_reading() {
        let mut model = parse_snapshot(YAML, false, "snapshot.yaml").unwrap();
        let live = Model {
            sources: vec![LIVE_SOURCE.to_owned()],
            collections: vec![Collection {
                name: "cms_tags".to_owned(),
                table: true,
            }],
            fields: vec![Field {
                collection: "cms_posts".to_owned(),
                field: "title".to_owned(),
                kind: "text".to_owned(),
                interface: None,
                column: true,
            }],
            relations: Vec::new(),
        };
        model.merge(live);
        assert_eq!(model.sources.len(), 2);
        assert_eq!(model.collections.len(), 3);
        let posts = QualifiedName::new(None, "cms_posts");
        assert_eq!(model.field(&posts, "title").unwrap().kind, "string");
    }
}
