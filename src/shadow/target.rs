//! Where the migrations are applied: the `postgres` database of a throwaway cluster, or a
//! database `chronos_shadow_<random>` created on a `--shadow-url` server, checked empty, and
//! dropped afterwards. Nothing else is ever written to.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use super::cleanup;
use super::cluster::Cluster;
use crate::applied::redact;

/// The database the migrations go to, and what removes it.
pub struct Target {
    pub options: PgConnectOptions,
    /// Whether this is a server the tool did not start (server-wide statements are not run).
    pub shared: bool,
    /// Shown in messages: `throwaway cluster` or the database name.
    pub description: String,
    _cleanup: Option<cleanup::Guard>,
}

impl Target {
    pub fn cluster(cluster: &Cluster) -> Result<Target, String> {
        let options =
            PgConnectOptions::from_str(&cluster.url("postgres")).map_err(|err| err.to_string())?;
        Ok(Target {
            options,
            shared: false,
            description: format!("a throwaway PostgreSQL {} cluster", cluster.major_version()),
            _cleanup: None,
        })
    }

    /// Creates an empty database on the server at `url`; refuses a database that holds tables.
    pub async fn create_on(url: &str) -> Result<Target, String> {
        let admin = PgConnectOptions::from_str(url)
            .map_err(|err| format!("--shadow-url: {}", redact(&err.to_string(), url)))?;
        let name = format!("chronos_shadow_{}", random_suffix());
        let shown = |err: sqlx::Error| format!("--shadow-url: {}", redact(&err.to_string(), url));

        let mut conn = PgConnection::connect_with(&admin).await.map_err(shown)?;
        // Registered first: an interrupt during CREATE DATABASE still drops what it made.
        let guard = {
            let (admin, name) = (admin.clone(), name.clone());
            cleanup::register(move || drop_database(&admin, &name))
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .map_err(|err| {
                format!(
                    "--shadow-url: cannot create the shadow database `{name}` (the role needs \
                     CREATEDB): {}",
                    redact(&err.to_string(), url)
                )
            })?;
        let _ = conn.close().await;

        let options = admin.clone().database(&name);
        let target = Target {
            options,
            shared: true,
            description: format!("database `{name}`"),
            _cleanup: Some(guard),
        };
        let mut conn = PgConnection::connect_with(&target.options)
            .await
            .map_err(shown)?;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'p') \
                AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                AND n.nspname !~ '^pg_(toast|temp)' \
                AND NOT EXISTS (SELECT 1 FROM pg_depend d \
                                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
                                   AND d.deptype = 'e') \
              ORDER BY 1 LIMIT 5",
        )
        .fetch_all(&mut conn)
        .await
        .map_err(shown)?;
        let _ = conn.close().await;
        if !tables.is_empty() {
            return Err(format!(
                "--shadow-url: refusing to apply migrations to `{name}`: it already holds user \
                 tables ({}), copied from the server's template1. Migrations are only ever \
                 applied to an empty database; clean template1 or use another server",
                tables.join(", ")
            ));
        }
        Ok(target)
    }
}

/// Drops a database made by [`Target::create_on`], ending sessions still connected to it.
fn drop_database(admin: &PgConnectOptions, name: &str) {
    // On a thread of its own: this may run inside another runtime (a panic unwinding through
    // it) or in the signal handler.
    let (admin, name) = (admin.clone(), name.to_owned());
    let _ = std::thread::spawn(move || drop_database_now(&admin, &name)).join();
}

fn drop_database_now(admin: &PgConnectOptions, name: &str) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async {
        let Ok(mut conn) = PgConnection::connect_with(admin).await else {
            return;
        };
        let forced = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
        if forced.is_err() {
            // Before PostgreSQL 13: end the sessions, then drop.
            let _ = sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            )
            .bind(name)
            .execute(&mut conn)
            .await;
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\""
            )))
            .execute(&mut conn)
            .await;
        }
        let _ = conn.close().await;
    });
}

/// 12 hex digits that differ between runs, processes and calls.
fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}
