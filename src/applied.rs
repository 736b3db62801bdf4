//! Migrations a live database has applied (`--database-url`), read without writing anything.
//!
//! drizzle-orm records each applied migration in `drizzle.__drizzle_migrations` as the sha256 of
//! the whole file and the journal entry's `when` (`created_at`).

use std::time::Duration;

use sqlx::Connection;

use crate::database::{DatabaseError, connect_within};

/// One row of `drizzle.__drizzle_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub hash: String,
    /// The journal `when` of the migration, in milliseconds.
    pub created_at: Option<i64>,
}

/// Reads the drizzle migrations table in a read-only session. A database without the table has
/// applied nothing.
pub fn read_drizzle(
    url: &str,
    connect_limit: Duration,
) -> Result<Vec<AppliedMigration>, DatabaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DatabaseError::Runtime)?;
    runtime
        .block_on(read(url, connect_limit))
        .map_err(|err| DatabaseError::driver(err, url))
}

async fn read(url: &str, connect_limit: Duration) -> Result<Vec<AppliedMigration>, sqlx::Error> {
    let options = url.parse::<sqlx::postgres::PgConnectOptions>()?;
    let mut connection = connect_within(&options, connect_limit).await?;
    // Every statement of this session is read-only: the server refuses writes.
    sqlx::raw_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        .execute(&mut connection)
        .await?;
    let exists: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('drizzle.__drizzle_migrations')::text")
            .fetch_one(&mut connection)
            .await?;
    let rows: Vec<(String, Option<i64>)> = if exists.is_some() {
        sqlx::query_as("SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id")
            .fetch_all(&mut connection)
            .await?
    } else {
        Vec::new()
    };
    connection.close().await?;
    Ok(rows
        .into_iter()
        .map(|(hash, created_at)| AppliedMigration { hash, created_at })
        .collect())
}
