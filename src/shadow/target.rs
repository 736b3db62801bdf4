//! Where the migrations are applied: the `postgres` database of a throwaway cluster, or a
//! database `chronos_shadow_<random>` created on a `--shadow-url` server; checked empty, and
//! dropped afterwards. Nothing else is ever written to, and nothing else is connected to: the
//! libpq environment (`PGHOST`, `PGPORT`, `PGOPTIONS`, ...), which sqlx reads whenever connect
//! options are made, is kept out (see [`Connect`]).

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{Connection, PgConnection};

use super::cleanup;
use super::cluster::{self, Cluster};
use crate::applied::{connection_error, redact};

/// Variables of the libpq environment that say where to connect, as whom, or with which session
/// settings. sqlx takes from them what a URL leaves out, and `PGOPTIONS` always.
const STEERING: &[&str] = &[
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGOPTIONS",
    "PGAPPNAME",
];

/// The rest of what sqlx reads: the password and TLS settings. They change how a session
/// authenticates, not where it goes.
const CREDENTIALS: &[&str] = &[
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
];

/// Where the shadow connects: the socket of the throwaway cluster it starts, or the server of
/// `--shadow-url`.
#[derive(Debug, Clone)]
pub struct Connect {
    /// What the cluster's socket, port, user and database are set on.
    base: PgConnectOptions,
    /// `--shadow-url` as given, and parsed.
    url: Option<(String, Result<PgConnectOptions, String>)>,
}

impl Connect {
    /// Connect options made with the libpq variables unset for the moment it takes, so that
    /// none of them steers the shadow: the cluster's sessions take nothing from the environment,
    /// and a `--shadow-url` session takes from it only the password and TLS settings the URL
    /// leaves out (`PGPASSWORD`, `PGPASSFILE` or `~/.pgpass`, `PGSSLMODE`, ...). Host, port,
    /// user and database are the URL's, or libpq's defaults; never `PGHOST`, `PGPORT`, ...
    ///
    /// # Safety
    ///
    /// Unsets and restores environment variables: no other thread may be running.
    pub unsafe fn isolated(url: Option<String>) -> Connect {
        let everything = [STEERING, CREDENTIALS].concat();
        // SAFETY: the caller guarantees that no other thread runs.
        unsafe {
            Connect {
                base: without(&everything, PgConnectOptions::new_without_pgpass),
                url: url.map(|url| {
                    let parsed = without(STEERING, || parse(&url));
                    (url, parsed)
                }),
            }
        }
    }

    /// Connect options as sqlx makes them, filling in from the libpq environment what the URL
    /// leaves out (and `PGOPTIONS`), for callers whose environment is their own (tests). The
    /// cluster's socket, port, user, database and TLS mode are set all the same.
    pub fn from_environment(url: Option<String>) -> Connect {
        Connect {
            base: PgConnectOptions::new_without_pgpass(),
            url: url.map(|url| {
                let parsed = parse(&url);
                (url, parsed)
            }),
        }
    }

    /// `--shadow-url`, when given.
    pub fn url(&self) -> Option<&str> {
        self.url.as_ref().map(|(url, _)| url.as_str())
    }

    /// The superuser's session on `database` of `cluster`, over its socket and nowhere else.
    fn cluster(&self, cluster: &Cluster, database: &str) -> PgConnectOptions {
        self.base
            .clone()
            .socket(cluster.socket_dir())
            .port(cluster::PORT)
            .username(cluster::SUPERUSER)
            .database(database)
            .ssl_mode(PgSslMode::Disable)
    }
}

fn parse(url: &str) -> Result<PgConnectOptions, String> {
    PgConnectOptions::from_str(url)
        .map_err(|err| format!("--shadow-url: {}", redact(&err.to_string(), url)))
}

/// Runs `make` with the environment variables `names` unset, and sets them back.
///
/// # Safety
///
/// No other thread may be running.
unsafe fn without<T>(names: &[&str], make: impl FnOnce() -> T) -> T {
    let saved: Vec<(&str, std::ffi::OsString)> = names
        .iter()
        .filter_map(|&name| Some((name, std::env::var_os(name)?)))
        .collect();
    for name in names {
        // SAFETY: no other thread runs (the caller's guarantee).
        unsafe { std::env::remove_var(name) };
    }
    let made = make();
    for (name, value) in saved {
        // SAFETY: as above.
        unsafe { std::env::set_var(name, value) };
    }
    made
}

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
    /// The `postgres` database of `cluster`; refuses it if it holds tables (a template that is
    /// not what initdb made).
    pub async fn cluster(connect: &Connect, cluster: &Cluster) -> Result<Target, String> {
        let target = Target {
            options: connect.cluster(cluster, "postgres"),
            shared: false,
            description: format!("a throwaway PostgreSQL {} cluster", cluster.major_version()),
            _cleanup: None,
        };
        let tables = user_tables(&target.options)
            .await
            .map_err(|err| format!("shadow database ({}): {err}", target.description))?;
        if !tables.is_empty() {
            return Err(format!(
                "refusing to apply migrations to {}: its `postgres` database already holds user \
                 tables ({}), copied from the cached template {}. Migrations are only ever \
                 applied to an empty database; delete that directory to have it made again",
                target.description,
                tables.join(", "),
                cluster.template().display()
            ));
        }
        Ok(target)
    }

    /// Creates an empty database on the `--shadow-url` server; refuses a database that holds
    /// tables.
    pub async fn create_on(connect: &Connect) -> Result<Target, String> {
        let Some((url, admin)) = &connect.url else {
            return Err("--shadow-url: no URL given".to_owned());
        };
        let admin = admin.clone()?;
        let name = format!("chronos_shadow_{}", random_suffix());
        let shown = |err: sqlx::Error| format!("--shadow-url: {}", connection_error(&err, url));

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
                    connection_error(&err, url)
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
        let tables = user_tables(&target.options).await.map_err(shown)?;
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

/// Up to five user tables of the database (extension members left out).
async fn user_tables(options: &PgConnectOptions) -> sqlx::Result<Vec<String>> {
    let mut conn = PgConnection::connect_with(options).await?;
    let tables = sqlx::query_scalar(
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
    .await?;
    let _ = conn.close().await;
    Ok(tables)
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
