//! `directus-field-broken`: a migration drops or renames a table or column Directus has
//! configured (a collection, a field), drops the foreign key behind a Directus relation, or
//! changes a field's column to a type its Directus type cannot hold.

use std::ops::Range;

use pg_query::NodeEnum;
use pg_query::protobuf::{AlterTableType, ObjectType};

use crate::catalog::types::{self, ParsedType};
use crate::catalog::{Action, ConstraintKind, QualifiedName, range_var};
use crate::config::Config;
use crate::diagnostic::Finding;
use crate::directus::{self, Field, Model, Relation};
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::rules::support::alter_table::existing_table_actions;

declare_rule! {
    pub struct DirectusFieldBroken {
        id: "directus-field-broken",
        family: Ownership,
        severity: Error,
        summary: "A migration drops, renames or retypes a table, column or foreign key Directus has configured",
    }
}

impl Rule for DirectusFieldBroken {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let config = ctx.migration.config;
        let Some(model) = config.directus.as_deref() else {
            return;
        };
        match &ctx.statement.node {
            NodeEnum::DropStmt(_) => {
                for target in ctx.targets.iter().filter(|t| t.action == Action::Drop) {
                    if let Some(collection) = existing_collection(ctx, model, &target.table) {
                        out.push(collection_dropped(ctx, config, model, &collection));
                    }
                }
            }
            NodeEnum::RenameStmt(stmt) => {
                let Some(rel) = &stmt.relation else {
                    return;
                };
                let table = range_var(rel);
                let table_span = ctx.name_span(Some(rel.location), &rel.relname);
                match ObjectType::try_from(stmt.rename_type) {
                    Ok(ObjectType::ObjectColumn) => {
                        if !ctx.is_existing_table(&table) {
                            return;
                        }
                        let Some(field) = model.field(&table, &stmt.subname) else {
                            return;
                        };
                        let span = ctx.name_span_after(table_span.end, &stmt.subname);
                        out.push(field_renamed(ctx, config, field, &stmt.newname, span));
                    }
                    Ok(
                        ObjectType::ObjectTable
                        | ObjectType::ObjectView
                        | ObjectType::ObjectMatview,
                    ) => {
                        if let Some(collection) = existing_collection(ctx, model, &table) {
                            out.push(collection_renamed(
                                ctx,
                                config,
                                model,
                                &collection,
                                &stmt.newname,
                                table_span,
                            ));
                        }
                    }
                    _ => {}
                }
            }
            NodeEnum::AlterObjectSchemaStmt(stmt) => {
                let moves_table = matches!(
                    ObjectType::try_from(stmt.object_type),
                    Ok(ObjectType::ObjectTable
                        | ObjectType::ObjectView
                        | ObjectType::ObjectMatview)
                );
                let Some(rel) = stmt.relation.as_ref().filter(|_| moves_table) else {
                    return;
                };
                let table = range_var(rel);
                if let Some(collection) = existing_collection(ctx, model, &table) {
                    let span = ctx.name_span(Some(rel.location), &rel.relname);
                    out.push(collection_moved(
                        ctx,
                        config,
                        model,
                        &collection,
                        &stmt.newschema,
                        span,
                    ));
                }
            }
            NodeEnum::AlterTableStmt(stmt) => {
                for action in existing_table_actions(ctx) {
                    let (table, name) = (&action.table, &action.cmd.name);
                    match action.kind {
                        AlterTableType::AtDropColumn => {
                            if let Some(field) = model.field(table, name) {
                                let span = ctx.name_span_after(action.span.start, name);
                                out.push(field_dropped(ctx, config, field, span));
                            }
                        }
                        AlterTableType::AtDropConstraint => {
                            if let Some(relation) = broken_relation(ctx, model, table, name) {
                                let span = ctx.name_span_after(action.span.start, name);
                                out.push(relation_dropped(
                                    ctx, config, model, relation, name, span,
                                ));
                            }
                        }
                        _ => {}
                    }
                }
                for change in types::column_type_changes(ctx.catalog, stmt) {
                    if !ctx.is_existing_table(&change.table) {
                        continue;
                    }
                    let Some(field) = model.field(&change.table, change.column) else {
                        continue;
                    };
                    // Types Directus reads as `unknown` (enums, arrays, domains) are not judged.
                    let Some(read_as) = ParsedType::parse(&change.new)
                        .filter(|parsed| !parsed.array)
                        .and_then(|parsed| directus::local_type(&parsed.base))
                    else {
                        continue;
                    };
                    if directus::holds(&field.kind, read_as) == Some(false) {
                        let span = ctx.type_span(change.new_type);
                        let written = ctx.migration.file.text[span.clone()].to_owned();
                        out.push(field_retyped(ctx, config, field, &written, read_as, span));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The collection `table` is, when the table existed before this migration (one the migration
/// creates is not the one Directus configured).
fn existing_collection(
    ctx: &StatementContext,
    model: &Model,
    table: &QualifiedName,
) -> Option<QualifiedName> {
    (ctx.is_existing_table(table) && model.collection(table).is_some()).then(|| table.clone())
}

/// `table.field (type `t`, interface `i`)`.
fn describe(field: &Field) -> String {
    let interface = match &field.interface {
        Some(interface) => format!("interface `{interface}`"),
        None => "no interface".to_owned(),
    };
    format!(
        "Directus field `{}.{}` (type `{}`, {interface})",
        field.collection, field.field, field.kind
    )
}

/// How to bring the committed snapshot up to date, when one is configured.
fn refresh(config: &Config) -> String {
    match &config.directus_snapshot {
        Some((shown, path)) => {
            let json = path.extension().is_some_and(|ext| ext == "json");
            format!(
                " Then refresh the committed snapshot with `npx directus schema snapshot {}{}` \
                 and commit it with this migration.",
                if json { "--format json " } else { "" },
                dot_relative(shown)
            )
        }
        None => String::new(),
    }
}

/// `./directus/snapshot.yaml` for a relative path, as the Directus CLI is usually given it.
fn dot_relative(path: &str) -> String {
    if path.starts_with('/') || path.starts_with('.') {
        path.to_owned()
    } else {
        format!("./{path}")
    }
}

/// Where Directus's configuration was read: `directus/snapshot.yaml`, the database.
fn sources(model: &Model) -> String {
    model
        .sources
        .iter()
        .map(|source| {
            if source == directus::LIVE_SOURCE {
                source.clone()
            } else {
                format!("`{source}`")
            }
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

fn collection_dropped(
    ctx: &StatementContext,
    config: &Config,
    model: &Model,
    table: &QualifiedName,
) -> Finding {
    let fields = model.column_fields(table);
    let message = format!(
        "dropping `{table}` deletes Directus collection `{table}` ({fields} configured field{} \
         in {}): editors lose it, and its fields, relations, permissions and presets point at a \
         table that is gone",
        if fields == 1 { "" } else { "s" },
        sources(model)
    );
    let help = format!(
        "Directus keeps a collection's configuration (`directus_collections`, `directus_fields`, \
         `directus_relations`, permissions, presets) by table name and fails on what names a \
         missing table. Delete the collection in Directus first (Settings → Data Model → \
         `{table}` → Delete Collection, or `npx directus schema apply` of a snapshot without \
         it), which drops the table itself; leave this DROP out, or keep it for databases \
         Directus does not manage and make it `DROP TABLE IF EXISTS`.{}",
        refresh(config)
    );
    ctx.finding(ctx.name_span(None, &table.name), message)
        .help(help)
}

fn collection_renamed(
    ctx: &StatementContext,
    config: &Config,
    model: &Model,
    table: &QualifiedName,
    new: &str,
    span: Range<usize>,
) -> Finding {
    let message = format!(
        "renaming `{table}` to `{new}` breaks Directus collection `{table}` ({} configured \
         fields in {}): Directus finds its configuration under the old name and no table there, \
         and shows `{new}` as a new, unconfigured collection",
        model.column_fields(table),
        sources(model)
    );
    let help = format!(
        "Directus cannot follow a rename: its fields, relations, permissions, presets and \
         bookmarks are keyed by `{table}`. Keep the name, or move the configuration with the \
         table: create collection `{new}` in Directus with the same fields, interfaces, \
         relations and permissions (or rename it in an exported snapshot and `npx directus \
         schema apply` it right after this migration), then delete `{table}` there.{}",
        refresh(config)
    );
    ctx.finding(span, message).help(help)
}

fn collection_moved(
    ctx: &StatementContext,
    config: &Config,
    model: &Model,
    table: &QualifiedName,
    schema: &str,
    span: Range<usize>,
) -> Finding {
    let message = format!(
        "moving `{table}` to schema `{schema}` breaks Directus collection `{table}` ({} \
         configured fields in {}): Directus reads the tables of one schema (its \
         `DB_SEARCH_PATH`), so it finds its configuration and no table",
        model.column_fields(table),
        sources(model)
    );
    let help = format!(
        "Keep the table in the schema Directus reads. If editors no longer need it there, \
         take collection `{table}` out of Directus's configuration (its fields, relations, \
         permissions and presets) in the same deploy, as it has no table to show.{}",
        refresh(config)
    );
    ctx.finding(span, message).help(help)
}

fn field_dropped(
    ctx: &StatementContext,
    config: &Config,
    field: &Field,
    span: Range<usize>,
) -> Finding {
    let message = format!(
        "dropping column `{}` of `{}` deletes {}: its item forms, filters, presets and \
         permissions name a column that is gone",
        field.field,
        field.collection,
        describe(field)
    );
    let help = format!(
        "Delete the field in Directus first (Settings → Data Model → `{}` → `{}` → Delete \
         Field, or `npx directus schema apply` of a snapshot without it): Directus then drops \
         the column itself and clears the field's relations, so this DROP COLUMN can be left \
         out or made `DROP COLUMN IF EXISTS`. Check the presets, permissions and flows that \
         filter on `{}` too.{}",
        field.collection,
        field.field,
        field.field,
        refresh(config)
    );
    ctx.finding(span, message).help(help)
}

fn field_renamed(
    ctx: &StatementContext,
    config: &Config,
    field: &Field,
    new: &str,
    span: Range<usize>,
) -> Finding {
    let message = format!(
        "renaming column `{}` of `{}` to `{new}` breaks {}: Directus keeps the field's \
         configuration under the old name, finds no column there, and shows `{new}` as a new \
         field with no interface",
        field.field,
        field.collection,
        describe(field)
    );
    let help = format!(
        "Directus cannot follow a column rename. Add `{new}` next to `{old}` instead, configure \
         it in Directus like `{old}` (interface, display, validation, relation, permissions, \
         presets), copy the values over, and delete field `{old}` in Directus in a later \
         release, which drops its column.{}",
        refresh(config),
        old = field.field,
    );
    ctx.finding(span, message).help(help)
}

fn field_retyped(
    ctx: &StatementContext,
    config: &Config,
    field: &Field,
    new: &str,
    read_as: &str,
    span: Range<usize>,
) -> Finding {
    let message = format!(
        "changing column `{}` of `{}` to `{new}` breaks {}: Directus reads the column as type \
         `{read_as}`, which the `{}` field cannot hold, so its interface and display stop \
         working for editors",
        field.field,
        field.collection,
        describe(field),
        field.kind
    );
    let help = format!(
        "Change the field in Directus with the column: convert it there first (Settings → Data \
         Model → `{}` → `{}`: a type of `{read_as}` with an interface for it), or `npx directus \
         schema apply` a snapshot with the field's new type right after this migration. \
         Compatible changes (see the rule's table) need nothing in Directus.{}",
        field.collection,
        field.field,
        refresh(config)
    );
    ctx.finding(span, message).help(help)
}

/// The Directus relation whose foreign key `constraint` of `table` is, when the migration does
/// not leave another foreign key in its place (on the same column, to the same collection).
/// A relation whose column the migration drops is the dropped field's finding.
fn broken_relation<'a>(
    ctx: &StatementContext,
    model: &'a Model,
    table: &QualifiedName,
    constraint: &str,
) -> Option<&'a Relation> {
    let known = ctx
        .catalog
        .table(table)
        .and_then(|t| t.constraint_named(constraint));
    let relation = model.relations_on(table).find(|relation| {
        let by_columns = known.is_some_and(|known| {
            matches!(&known.kind, ConstraintKind::ForeignKey { references, .. }
                if relation.related_collection.as_deref() == Some(references.name.as_str()))
                && known.columns == [relation.field.as_str()]
        });
        relation.foreign_key
            && (relation.constraint_name.as_deref() == Some(constraint) || by_columns)
    })?;
    let end = ctx.replay_to_migration_end(&ctx.catalog.only(&[table]));
    let Some(after) = end.table(table) else {
        // Dropped later in the migration (the collection's finding), or a table the migrations
        // never created, where nothing can be seen to replace the key.
        return ctx.catalog.table(table).is_none().then_some(relation);
    };
    after.column(&relation.field)?;
    let replaced = after.constraints.iter().any(|c| {
        c.columns == [relation.field.as_str()]
            && matches!(&c.kind, ConstraintKind::ForeignKey { references, .. }
                if relation.related_collection.as_deref().is_none_or(|r| r == references.name))
    });
    (!replaced).then_some(relation)
}

fn relation_dropped(
    ctx: &StatementContext,
    config: &Config,
    model: &Model,
    relation: &Relation,
    constraint: &str,
    span: Range<usize>,
) -> Finding {
    let table = QualifiedName::new(None, &relation.collection);
    let field = model
        .field(&table, &relation.field)
        .map(describe)
        .unwrap_or_else(|| {
            format!(
                "Directus field `{}.{}`",
                relation.collection, relation.field
            )
        });
    let related = relation
        .related_collection
        .as_deref()
        .map(|related| format!(" to `{related}`"))
        .unwrap_or_default();
    let message = format!(
        "dropping foreign key `{constraint}` of `{}` breaks the relation of {field}{related}: \
         the relation stays configured with no foreign key behind it, so its on-delete action and \
         the integrity the relational interface relies on are gone",
        relation.collection
    );
    let help = format!(
        "Directus reads a relation's on-delete and on-update actions from its foreign key and \
         shows the field's related items through it. If the key is being replaced, add the new \
         one on `{}` (to the same collection) in this migration; otherwise remove the relation \
         in Directus first (Settings → Data Model → `{}` → `{}` → Relationship), or `npx \
         directus schema apply` of a snapshot without it.{}",
        relation.field,
        relation.collection,
        relation.field,
        refresh(config)
    );
    ctx.finding(span, message).help(help)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::rules::testing;

    fn config(model: Model) -> Config {
        Config {
            directus: Some(Arc::new(model)),
            ..Config::default()
        }
    }

    const TABLES: &str = "CREATE TABLE cms_authors (id uuid PRIMARY KEY, name text);
        CREATE TABLE cms_posts (id uuid PRIMARY KEY, title text,
          author_id uuid REFERENCES cms_authors (id), editor_id uuid REFERENCES cms_authors (id));
        CREATE SCHEMA raw;
        CREATE TABLE raw.cms_posts (id uuid PRIMARY KEY, title text);";

    /// What `--database-url` reads: no constraint names, so foreign keys are found by column.
    fn live() -> Model {
        let field = |field: &str, kind: &str, interface: &str| Field {
            collection: "cms_posts".to_owned(),
            field: field.to_owned(),
            kind: kind.to_owned(),
            interface: Some(interface.to_owned()),
            column: true,
        };
        Model {
            sources: vec![directus::LIVE_SOURCE.to_owned()],
            collections: vec![Collection {
                name: "cms_posts".to_owned(),
                table: true,
            }],
            fields: vec![
                field("title", "text", "input"),
                field("author_id", "uuid", "select-dropdown-m2o"),
            ],
            relations: vec![Relation {
                collection: "cms_posts".to_owned(),
                field: "author_id".to_owned(),
                related_collection: Some("cms_authors".to_owned()),
                foreign_key: true,
                constraint_name: None,
            }],
        }
    }

    use crate::directus::Collection;

    #[test]
    fn a_relation_without_a_constraint_name_is_found_by_its_column() {
        let findings = testing::lint(
            &[
                ("0001.sql", TABLES),
                (
                    "0002.sql",
                    "ALTER TABLE cms_posts DROP CONSTRAINT cms_posts_editor_id_fkey;
                     ALTER TABLE cms_posts DROP CONSTRAINT cms_posts_author_id_fkey;",
                ),
            ],
            &config(live()),
            DirectusFieldBroken::ID,
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(
            findings[0]
                .message
                .contains("`cms_posts_author_id_fkey` of `cms_posts`"),
            "{}",
            findings[0].message
        );
        // Read from the database, there is no snapshot to refresh.
        let help = findings[0].help.as_deref().unwrap();
        assert!(!help.contains("schema snapshot"), "{help}");
    }

    #[test]
    fn other_schemas_and_new_tables_are_not_directus_s() {
        let findings = testing::lint(
            &[
                ("0001.sql", TABLES),
                (
                    "0002.sql",
                    "ALTER TABLE raw.cms_posts DROP COLUMN title;
                     DROP TABLE raw.cms_posts;
                     CREATE TABLE cms_tags (id uuid PRIMARY KEY, label text);
                     ALTER TABLE cms_tags RENAME COLUMN label TO name;",
                ),
            ],
            &config(live()),
            DirectusFieldBroken::ID,
        );
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn nothing_is_judged_without_directus_configuration() {
        let findings = testing::lint(
            &[
                ("0001.sql", TABLES),
                ("0002.sql", "ALTER TABLE cms_posts DROP COLUMN title;"),
            ],
            &Config::default(),
            DirectusFieldBroken::ID,
        );
        assert!(findings.is_empty(), "{findings:#?}");
        let findings = testing::lint(
            &[
                ("0001.sql", TABLES),
                ("0002.sql", "ALTER TABLE cms_posts DROP COLUMN title;"),
            ],
            &config(live()),
            DirectusFieldBroken::ID,
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
    }
}
