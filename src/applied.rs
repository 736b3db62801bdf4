//! Migrations a live database has applied (`--database-url`), read without writing anything.
//!
//! drizzle-orm records each applied migration in `drizzle.__drizzle_migrations` as the sha256 of
//! the whole file and the journal entry's `when` (`created_at`).

use std::time::Duration;

use sqlx::PgConnection;

use crate::database::{self, DatabaseError};

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
    database::read_only(url, connect_limit, read)
}

async fn read(connection: &mut PgConnection) -> Result<Vec<AppliedMigration>, sqlx::Error> {
    let exists: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('drizzle.__drizzle_migrations')::text")
            .fetch_one(&mut *connection)
            .await?;
    let rows: Vec<(String, Option<i64>)> = if exists.is_some() {
        sqlx::query_as("SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id")
            .fetch_all(&mut *connection)
            .await?
    } else {
        Vec::new()
    };
    Ok(rows
        .into_iter()
        .map(|(hash, created_at)| AppliedMigration { hash, created_at })
        .collect())
}
