//! Where the migrations are applied: the `postgres` database of a throwaway cluster, or a
//! database `chronos_shadow_<random>` created on a `--shadow-url` server; checked empty, and
//! dropped afterwards. Nothing else is ever written to, and nothing else is connected to: the
//! libpq environment (`PGHOST`, `PGPORT`, `PGOPTIONS`, ...), which sqlx reads whenever connect
//! options are made, is kept out (see [`Connect`]).
//!
//! On a `--shadow-url` server the migrations run as a role made for the run, `chronos_shadow_
//! <random>`: no superuser, no CREATEROLE, no CREATEDB, a member of no role, owner of the shadow
//! database and of nothing else, dropped with it. Whatever a migration tries, dynamic SQL and
//! functions included, it cannot change roles, other databases, tablespaces, settings or server
//! files, nor signal other sessions: PostgreSQL refuses, rather than a filter that cannot see
//! inside a `DO` block. When that role cannot log in, a superuser URL is refused rather than
//! used.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{Connection, PgConnection};

use super::cleanup;
use super::cluster::{self, Cluster};
use crate::database::{connect_within, connection_error, redact};

/// `--shadow-url` is no connection URL sqlx reads (the reason, with any password redacted).
#[derive(Debug, Clone, thiserror::Error)]
#[error("--shadow-url: {0}")]
pub struct InvalidUrl(String);

/// Why the database the migrations go to cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(transparent)]
    Url(#[from] InvalidUrl),
    #[error("--shadow-url: no URL given")]
    NoUrl,
    /// The `--shadow-url` server refused or failed (its reason, with any password redacted).
    #[error("--shadow-url: {0}")]
    Server(String),
    #[error(
        "--shadow-url: cannot create the shadow database `{name}` (the role needs CREATEDB): \
         {reason}"
    )]
    CreateDatabase { name: String, reason: String },
    #[error(
        "--shadow-url: the role `{name}` made for this run cannot log in ({reason}). The \
         migrations run as that role, confined to the shadow database, so that nothing they do \
         can change the rest of the server; running them as the URL's role instead would let \
         them. Let password logins through for `chronos_shadow_*` roles (pg_hba.conf, e.g. \
         `host all all <network> scram-sha-256`), or use --shadow, a private throwaway cluster"
    )]
    RoleCannotLogIn { name: String, reason: String },
    #[error(
        "--shadow-url: refusing to apply migrations as `{role}`: it may not create roles, so \
         they could not run as a role made for the run, confined to the shadow database, and \
         would run with every privilege `{role}` has on the server (its own settings, the \
         databases it owns, the server roles it belongs to). Give it CREATEROLE, or use \
         --shadow, a private throwaway cluster"
    )]
    CannotConfine { role: String },
    #[error(
        "--shadow-url: refusing to apply migrations to `{name}`: it already holds user tables \
         ({tables}), copied from the server's template1. Migrations are only ever applied to an \
         empty database; clean template1 or use another server"
    )]
    DatabaseNotEmpty { name: String, tables: String },
    /// The throwaway cluster's `postgres` database cannot be read.
    #[error("shadow database ({description}): {source}")]
    Cluster {
        description: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "refusing to apply migrations to {description}: its `postgres` database already holds \
         user tables ({tables}), copied from the cached template {}. Migrations are only ever \
         applied to an empty database; delete that directory to have it made again",
        .template.display()
    )]
    TemplateNotEmpty {
        description: String,
        tables: String,
        template: std::path::PathBuf,
    },
}

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
    url: Option<(String, Result<PgConnectOptions, InvalidUrl>)>,
    /// Whether the migrations run on that server as a role confined to the shadow database
    /// (always, but for a server the caller started for the run and removes: see
    /// [`Connect::unconfined`]).
    confine: bool,
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
                confine: true,
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
            confine: true,
        }
    }

    /// The migrations run as the URL's own role: only for a server that the caller started for
    /// this run and throws away, where nothing is shared (the rule fixtures' clusters), so that
    /// it judges them as the private cluster of `--shadow` does.
    pub fn unconfined(self) -> Connect {
        Connect {
            confine: false,
            ..self
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

fn parse(url: &str) -> Result<PgConnectOptions, InvalidUrl> {
    PgConnectOptions::from_str(url).map_err(|err| InvalidUrl(redact(&err.to_string(), url)))
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
    /// Whether the migrations run as a role confined to the shadow database.
    pub confined: bool,
    /// Shown in messages: `throwaway cluster` or the database name.
    pub description: String,
    _cleanup: Option<cleanup::Guard>,
}

impl Target {
    /// The `postgres` database of `cluster`; refuses it if it holds tables (a template that is
    /// not what initdb made).
    pub async fn cluster(
        connect: &Connect,
        cluster: &Cluster,
        connect_limit: Duration,
    ) -> Result<Target, TargetError> {
        let target = Target {
            options: connect.cluster(cluster, "postgres"),
            shared: false,
            confined: false,
            description: format!("a throwaway PostgreSQL {} cluster", cluster.major_version()),
            _cleanup: None,
        };
        let tables = user_tables(&target.options, connect_limit)
            .await
            .map_err(|source| TargetError::Cluster {
                description: target.description.clone(),
                source,
            })?;
        if !tables.is_empty() {
            return Err(TargetError::TemplateNotEmpty {
                description: target.description,
                tables: tables.join(", "),
                template: cluster.template().to_path_buf(),
            });
        }
        Ok(target)
    }

    /// Creates an empty database on the `--shadow-url` server, owned by a role made for the run
    /// that the migrations then run as; refuses a database that holds tables.
    pub async fn create_on(
        connect: &Connect,
        connect_limit: Duration,
    ) -> Result<Target, TargetError> {
        let Some((url, admin)) = &connect.url else {
            return Err(TargetError::NoUrl);
        };
        let admin = admin.clone()?;
        let name = format!("chronos_shadow_{}", random_suffix());
        let shown = |err: sqlx::Error| TargetError::Server(connection_error(&err, url));

        let mut conn = connect_within(&admin, connect_limit).await.map_err(shown)?;
        let (role, superuser, may_create_roles): (String, bool, bool) = sqlx::query_as(
            "SELECT rolname::text, rolsuper, rolcreaterole FROM pg_roles \
             WHERE rolname = current_user",
        )
        .fetch_one(&mut conn)
        .await
        .map_err(shown)?;
        // Nothing the migrations do may reach past the shadow database: without a role made
        // for the run, they are not applied at all.
        if connect.confine && !(superuser || may_create_roles) {
            let _ = conn.close().await;
            return Err(TargetError::CannotConfine { role });
        }
        // A GRANT on a database by the run's role, which holds CONNECT through PUBLIC but may not
        // grant it, changes no privilege, yet PostgreSQL stores the default access list it
        // leaves in place of none: as a superuser, put back none where there was none.
        let default_acls: Vec<i64> = if superuser {
            sqlx::query_scalar("SELECT oid::int8 FROM pg_database WHERE datacl IS NULL")
                .fetch_all(&mut conn)
                .await
                .map_err(shown)?
        } else {
            Vec::new()
        };
        // Registered first: an interrupt during CREATE ROLE or CREATE DATABASE still drops what
        // they made.
        let guard = {
            let (admin, name, confine) = (admin.clone(), name.clone(), connect.confine);
            cleanup::register(move || {
                drop_database_and_role(&admin, &name, confine, &default_acls, connect_limit);
            })
        };
        let run_as = if connect.confine {
            Some(
                create_role(&mut conn, &name, superuser)
                    .await
                    .map_err(shown)?,
            )
        } else {
            None
        };
        let owner = match run_as {
            Some(_) => format!(" OWNER \"{name}\""),
            None => String::new(),
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE \"{name}\"{owner}"
        )))
        .execute(&mut conn)
        .await
        .map_err(|err| TargetError::CreateDatabase {
            name: name.clone(),
            reason: connection_error(&err, url),
        })?;
        let _ = conn.close().await;

        let options = match &run_as {
            Some(password) => admin.clone().username(&name).password(password),
            None => admin.clone(),
        }
        .database(&name);
        let tables = match user_tables(&options, connect_limit).await {
            Ok(tables) => tables,
            Err(err) if run_as.is_some() => {
                return Err(TargetError::RoleCannotLogIn {
                    name,
                    reason: connection_error(&err, url),
                });
            }
            Err(err) => return Err(shown(err)),
        };
        if !tables.is_empty() {
            return Err(TargetError::DatabaseNotEmpty {
                name,
                tables: tables.join(", "),
            });
        }
        Ok(Target {
            options,
            shared: true,
            confined: run_as.is_some(),
            description: format!("database `{name}`"),
            _cleanup: Some(guard),
        })
    }
}

/// Creates the role `name` the migrations run as, and returns its password. It may log in and
/// nothing more; a creator that is not a superuser is made a member of it, as PostgreSQL
/// requires of whoever gives a database to a role. It inherits (the default): as the database's
/// owner it is a member of `pg_database_owner`, which owns the `public` schema from
/// PostgreSQL 15 on.
async fn create_role(conn: &mut PgConnection, name: &str, superuser: bool) -> sqlx::Result<String> {
    let password = random_password()?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}' NOSUPERUSER NOCREATEDB NOCREATEROLE \
         NOREPLICATION NOBYPASSRLS"
    )))
    .execute(&mut *conn)
    .await?;
    if !superuser {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "GRANT \"{name}\" TO CURRENT_USER"
        )))
        .execute(&mut *conn)
        .await?;
    }
    Ok(password)
}

/// Up to five user tables of the database (extension members left out).
async fn user_tables(options: &PgConnectOptions, limit: Duration) -> sqlx::Result<Vec<String>> {
    let mut conn = connect_within(options, limit).await?;
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

/// Drops a database made by [`Target::create_on`], ending sessions still connected to it, and
/// then the role of the same name that owned it.
fn drop_database_and_role(
    admin: &PgConnectOptions,
    name: &str,
    role: bool,
    default_acls: &[i64],
    limit: Duration,
) {
    // On a thread of its own: this may run inside another runtime (a panic unwinding through
    // it) or in the signal handler.
    let (admin, name, default_acls) = (admin.clone(), name.to_owned(), default_acls.to_vec());
    let _ = std::thread::spawn(move || {
        drop_database_and_role_now(&admin, &name, role, &default_acls, limit);
    })
    .join();
}

fn drop_database_and_role_now(
    admin: &PgConnectOptions,
    name: &str,
    role: bool,
    default_acls: &[i64],
    limit: Duration,
) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async {
        let Ok(mut conn) = connect_within(admin, limit).await else {
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
        if role {
            // It owned the database and what was in it, and nothing else.
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP ROLE IF EXISTS \"{name}\""
            )))
            .execute(&mut conn)
            .await;
        }
        // Only an access list that says no more than the default it stands for goes back to
        // none: a change anyone else made meanwhile stays.
        if !default_acls.is_empty() {
            let _ = sqlx::query(
                "UPDATE pg_database SET datacl = NULL WHERE oid = ANY($1::int8[]::oid[]) \
                 AND datacl = acldefault('d', datdba)",
            )
            .bind(default_acls)
            .execute(&mut conn)
            .await;
        }
        let _ = conn.close().await;
    });
}

/// 32 hex digits from the system's random source: the password of the run's role, which lives
/// only as long as the run.
fn random_password() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
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
