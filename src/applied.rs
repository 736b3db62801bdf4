//! Migrations a live database has applied (`--database-url`), read without writing anything.
//!
//! drizzle-orm records each applied migration in `drizzle.__drizzle_migrations` as the sha256 of
//! the whole file and the journal entry's `when` (`created_at`).

use sqlx::Connection;

/// One row of `drizzle.__drizzle_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub hash: String,
    /// The journal `when` of the migration, in milliseconds.
    pub created_at: Option<i64>,
}

/// Reads the drizzle migrations table in a read-only session. A database without the table has
/// applied nothing.
pub fn read_drizzle(url: &str) -> Result<Vec<AppliedMigration>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the database client: {err}"))?;
    runtime
        .block_on(read(url))
        .map_err(|err| connection_error(&err, url))
}

async fn read(url: &str) -> Result<Vec<AppliedMigration>, sqlx::Error> {
    let mut connection = sqlx::PgConnection::connect(url).await?;
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

/// What a database error says, without the URL's password, and, when the server's TLS
/// certificate was refused, what to change in the URL.
pub fn connection_error(err: &sqlx::Error, url: &str) -> String {
    let message = redact(&err.to_string(), url);
    let hint = if !message.contains("invalid peer certificate") {
        return message;
    } else if message.contains("NotValidForName") {
        "the certificate is not for this host name: connect by a name it was issued for, or use \
         `sslmode=verify-ca`"
    } else {
        "the certificate is not signed by a CA this client trusts: name the CA's file with \
         `sslrootcert=<file>` in the URL, or use `sslmode=require` to encrypt without verifying"
    };
    format!("{message} ({hint})")
}

/// `message` without the URL's password, should the driver have quoted it.
pub fn redact(message: &str, url: &str) -> String {
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(credentials, _)| credentials.split_once(':'))
        .map(|(_, password)| password)
        .filter(|password| !password.is_empty());
    match password {
        Some(password) => message.replace(password, "****"),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_the_password() {
        let url = "postgres://app:s3cret@db.internal/prod";
        assert_eq!(
            redact("auth failed for app:s3cret", url),
            "auth failed for app:****"
        );
        assert_eq!(
            redact("no password here", "postgres://app@db/prod"),
            "no password here"
        );
    }
}
