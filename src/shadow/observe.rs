//! What the shadow stage reads back from PostgreSQL's catalogs: the relations that exist when a
//! migration begins, what each statement locked, rewrote and created, and the schema a drizzle
//! folder leaves.

use std::collections::HashMap;

use sqlx::postgres::types::Oid;
use sqlx::{PgConnection, Row};

use crate::catalog::{LockMode, QualifiedName};
use crate::trace::{
    Column, Constraint, ConstraintKind, Enum, Index, Relation, Schema, StatementTrace, Table,
};

/// Schemas that hold no user objects.
const USER_SCHEMA: &str =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'";

/// Relations that existed when a migration began, with their data files.
#[derive(Debug, Default)]
pub struct Before {
    relations: HashMap<u32, (Relation, i64)>,
    oids: Vec<Oid>,
    /// The highest relation OID then: relations made later have higher ones.
    max_oid: u32,
    /// Locks the session already holds on them (a transaction spanning migrations).
    held: HashMap<u32, Vec<LockMode>>,
}

/// Reads the relations that exist now.
pub async fn before(conn: &mut PgConnection) -> sqlx::Result<Before> {
    let sql = format!(
        "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text, c.relfilenode::int8 \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'm', 'v', 'f') AND {USER_SCHEMA}"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    let mut before = Before::default();
    for row in rows {
        let oid: Oid = row.try_get(0)?;
        let relation = Relation {
            name: QualifiedName::new(Some(row.try_get::<&str, _>(1)?), row.try_get(2)?),
            kind: row.try_get::<&str, _>(3)?.chars().next().unwrap_or('r'),
            table: None,
        };
        before
            .relations
            .insert(oid.0, (relation, row.try_get::<i64, _>(4)?));
        before.oids.push(oid);
    }
    let max: Oid = sqlx::query_scalar("SELECT max(oid) FROM pg_class")
        .fetch_one(&mut *conn)
        .await?;
    before.max_oid = max.0;
    let locks = sqlx::query(
        "SELECT relation, mode FROM pg_locks \
          WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted \
            AND relation = ANY($1)",
    )
    .bind(&before.oids)
    .fetch_all(&mut *conn)
    .await?;
    for row in locks {
        let oid: Oid = row.try_get(0)?;
        if let Some(mode) = LockMode::from_pg_locks(row.try_get(1)?) {
            before.held.entry(oid.0).or_default().push(mode);
        }
    }
    Ok(before)
}

/// Follows one migration statement by statement.
#[derive(Debug, Default)]
pub struct Observer {
    /// Lock modes this session holds on relations of [`Before`].
    held: HashMap<u32, Vec<LockMode>>,
    /// Data files as last seen.
    files: HashMap<u32, i64>,
    /// Relations made so far are above this.
    max_oid: u32,
}

impl Observer {
    /// A migration begins: what existed before it is the new baseline. Locks the open
    /// transaction already holds (drizzle-kit's transaction spans migrations) stay held.
    pub fn begin_migration(&mut self, before: &Before) {
        self.files = before
            .relations
            .iter()
            .map(|(&oid, (_, file))| (oid, *file))
            .collect();
        self.max_oid = before.max_oid;
        self.held = before.held.clone();
    }

    /// The transaction ended: its locks are gone.
    pub fn released(&mut self) {
        self.held.clear();
    }

    /// Reads what the statement just run did, inside its transaction (before commit).
    pub async fn after_statement(
        &mut self,
        conn: &mut PgConnection,
        before: &Before,
        trace: &mut StatementTrace,
    ) -> sqlx::Result<()> {
        let sql = format!(
            "SELECT 'lock', l.relation, l.mode, NULL, NULL, NULL, NULL \
               FROM pg_locks l \
              WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted \
                AND l.relation = ANY($1) \
             UNION ALL \
             SELECT 'file', c.oid, c.relfilenode::text, NULL, NULL, NULL, NULL \
               FROM pg_class c WHERE c.oid = ANY($1) \
             UNION ALL \
             SELECT 'new', c.oid, c.relkind::text, n.nspname::text, c.relname::text, \
                    tn.nspname::text, t.relname::text \
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
               LEFT JOIN pg_index i ON i.indexrelid = c.oid \
               LEFT JOIN pg_class t ON t.oid = i.indrelid \
               LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace \
              WHERE c.oid > $2 AND c.relkind IN ('r', 'p', 'm', 'v', 'f', 'i', 'I') AND {USER_SCHEMA}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&before.oids)
            .bind(Oid(self.max_oid))
            .fetch_all(&mut *conn)
            .await?;
        let mut held: HashMap<u32, Vec<LockMode>> = HashMap::new();
        let mut taken: HashMap<u32, LockMode> = HashMap::new();
        let mut max_oid = self.max_oid;
        for row in rows {
            let kind: &str = row.try_get(0)?;
            let oid: Oid = row.try_get(1)?;
            let value: &str = row.try_get(2)?;
            match kind {
                "lock" => {
                    let Some(mode) = LockMode::from_pg_locks(value) else {
                        continue;
                    };
                    held.entry(oid.0).or_default().push(mode);
                    // A lock matters when it is stronger than what the transaction held.
                    let stronger = self
                        .held
                        .get(&oid.0)
                        .is_none_or(|modes| modes.iter().all(|&held| held < mode));
                    if stronger && mode >= LockMode::RowExclusive {
                        let strongest = taken.entry(oid.0).or_insert(mode);
                        *strongest = (*strongest).max(mode);
                    }
                }
                "file" => {
                    let file: i64 = value.parse().unwrap_or_default();
                    let old = self.files.insert(oid.0, file);
                    if old.is_some_and(|old| old != file && file != 0)
                        && let Some((relation, _)) = before.relations.get(&oid.0)
                    {
                        trace.rewritten.push(relation.name.clone());
                    }
                }
                _ => {
                    max_oid = max_oid.max(oid.0);
                    let table = match (
                        row.try_get::<Option<&str>, _>(5)?,
                        row.try_get::<Option<&str>, _>(6)?,
                    ) {
                        (Some(schema), Some(name)) => Some(QualifiedName::new(Some(schema), name)),
                        _ => None,
                    };
                    trace.created.push(Relation {
                        name: QualifiedName::new(
                            row.try_get::<Option<&str>, _>(3)?,
                            row.try_get::<Option<&str>, _>(4)?.unwrap_or_default(),
                        ),
                        kind: value.chars().next().unwrap_or('r'),
                        table,
                    });
                }
            }
        }
        self.held = held;
        self.max_oid = max_oid;
        let mut taken: Vec<(u32, LockMode)> = taken.into_iter().collect();
        taken.sort_unstable();
        trace.locks.extend(
            taken
                .into_iter()
                .filter_map(|(oid, mode)| Some((before.relations.get(&oid)?.0.clone(), mode))),
        );
        Ok(())
    }
}

/// The user schema as it stands (objects that belong to extensions left out).
pub async fn schema(conn: &mut PgConnection) -> sqlx::Result<Schema> {
    let not_extension = |column: &str, class: &str| {
        format!(
            "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{class}'::regclass \
             AND d.objid = {column} AND d.deptype = 'e')"
        )
    };
    let tables_sql = format!(
        "SELECT c.oid, n.nspname::text, c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {USER_SCHEMA} AND {} \
         ORDER BY n.nspname, c.relname",
        not_extension("c.oid", "pg_class")
    );
    let mut tables: Vec<(Oid, Table)> = Vec::new();
    for row in sqlx::query(sqlx::AssertSqlSafe(tables_sql))
        .fetch_all(&mut *conn)
        .await?
    {
        tables.push((
            row.try_get(0)?,
            Table {
                name: QualifiedName::new(Some(row.try_get::<&str, _>(1)?), row.try_get(2)?),
                columns: Vec::new(),
                indexes: Vec::new(),
                constraints: Vec::new(),
            },
        ));
    }
    let oids: Vec<Oid> = tables.iter().map(|(oid, _)| *oid).collect();
    let index_of: HashMap<u32, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, (oid, _))| (oid.0, i))
        .collect();

    let columns = sqlx::query(
        "SELECT a.attrelid, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text, \
                CASE WHEN et.typtype = 'e' THEN en.nspname::text END, \
                CASE WHEN et.typtype = 'e' THEN et.typname::text END \
           FROM pg_attribute a \
           JOIN pg_type t ON t.oid = a.atttypid \
           JOIN pg_type et ON et.oid = CASE WHEN t.typelem <> 0 AND t.typlen = -1 \
                                            THEN t.typelem ELSE t.oid END \
           JOIN pg_namespace en ON en.oid = et.typnamespace \
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
          WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped \
          ORDER BY a.attrelid, a.attnum",
    )
    .bind(&oids)
    .fetch_all(&mut *conn)
    .await?;
    for row in columns {
        let oid: Oid = row.try_get(0)?;
        let Some(&at) = index_of.get(&oid.0) else {
            continue;
        };
        let expression: Option<String> = row.try_get(4)?;
        let generated = row.try_get::<&str, _>(6)?.chars().next();
        let identity = row.try_get::<&str, _>(5)?.chars().next();
        let enum_type = match (
            row.try_get::<Option<&str>, _>(7)?,
            row.try_get::<Option<&str>, _>(8)?,
        ) {
            (Some(schema), Some(name)) => Some(QualifiedName::new(Some(schema), name)),
            _ => None,
        };
        let (default, generated) = if generated.is_some() {
            (None, expression)
        } else {
            (expression, None)
        };
        tables[at].1.columns.push(Column {
            name: row.try_get(1)?,
            type_name: row.try_get(2)?,
            enum_type,
            not_null: row.try_get(3)?,
            default,
            identity,
            generated,
        });
    }

    let indexes = sqlx::query(
        "SELECT i.indrelid, ic.relname::text, i.indisunique, am.amname::text, \
                pg_get_expr(i.indpred, i.indrelid), \
                ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) \
                        FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
                EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid \
                         AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')) \
           FROM pg_index i \
           JOIN pg_class ic ON ic.oid = i.indexrelid \
           JOIN pg_am am ON am.oid = ic.relam \
          WHERE i.indrelid = ANY($1) \
          ORDER BY ic.relname",
    )
    .bind(&oids)
    .fetch_all(&mut *conn)
    .await?;
    for row in indexes {
        let oid: Oid = row.try_get(0)?;
        let backs_constraint: bool = row.try_get(6)?;
        let Some(&at) = index_of.get(&oid.0) else {
            continue;
        };
        if backs_constraint {
            continue;
        }
        tables[at].1.indexes.push(Index {
            name: row.try_get(1)?,
            unique: row.try_get(2)?,
            method: row.try_get(3)?,
            predicate: row.try_get(4)?,
            keys: row.try_get(5)?,
        });
    }

    let constraints = sqlx::query(
        "SELECT con.conrelid, con.conname::text, con.contype::text, \
                ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord) \
                        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num \
                       ORDER BY k.ord), \
                fn.nspname::text, fc.relname::text, \
                ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord) \
                        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num \
                       ORDER BY k.ord), \
                con.confupdtype::text, con.confdeltype::text \
           FROM pg_constraint con \
           LEFT JOIN pg_class fc ON fc.oid = con.confrelid \
           LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
          WHERE con.conrelid = ANY($1) \
          ORDER BY con.conname",
    )
    .bind(&oids)
    .fetch_all(&mut *conn)
    .await?;
    for row in constraints {
        let oid: Oid = row.try_get(0)?;
        let Some(&at) = index_of.get(&oid.0) else {
            continue;
        };
        let first = |value: &str| value.chars().next().unwrap_or('a');
        let kind = match row.try_get::<&str, _>(2)? {
            "p" => ConstraintKind::PrimaryKey,
            "u" => ConstraintKind::Unique,
            "c" => ConstraintKind::Check,
            "f" => ConstraintKind::ForeignKey {
                references: QualifiedName::new(
                    row.try_get::<Option<&str>, _>(4)?,
                    row.try_get::<Option<&str>, _>(5)?.unwrap_or_default(),
                ),
                referenced_columns: row.try_get(6)?,
                on_update: first(row.try_get(7)?),
                on_delete: first(row.try_get(8)?),
            },
            _ => ConstraintKind::Other,
        };
        tables[at].1.constraints.push(Constraint {
            name: row.try_get(1)?,
            kind,
            columns: row.try_get(3)?,
        });
    }

    let enums_sql = format!(
        "SELECT n.nspname::text, t.typname::text, \
                ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid \
                       ORDER BY e.enumsortorder) \
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
          WHERE t.typtype = 'e' AND {USER_SCHEMA} AND {} \
          ORDER BY n.nspname, t.typname",
        not_extension("t.oid", "pg_type")
    );
    let mut enums = Vec::new();
    for row in sqlx::query(sqlx::AssertSqlSafe(enums_sql))
        .fetch_all(&mut *conn)
        .await?
    {
        enums.push(Enum {
            name: QualifiedName::new(Some(row.try_get::<&str, _>(0)?), row.try_get(1)?),
            values: row.try_get(2)?,
        });
    }
    Ok(Schema {
        tables: tables.into_iter().map(|(_, table)| table).collect(),
        enums,
    })
}
