//! Sessions on PostgreSQL servers the tool is pointed at (`--database-url`, `--shadow-url`, and
//! the throwaway cluster's socket): connecting within a time limit, so that a server that
//! accepts and never answers cannot hang a run, and errors that never show the password.

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// Why a database the tool was pointed at could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("cannot start the database client: {0}")]
    Runtime(#[source] std::io::Error),
    /// What the driver said, as [`connection_error`] shows it.
    #[error("{message}")]
    Driver {
        message: String,
        #[source]
        source: sqlx::Error,
    },
}

impl DatabaseError {
    /// The driver's error on the database at `url`, shown without the URL's password.
    pub fn driver(source: sqlx::Error, url: &str) -> DatabaseError {
        DatabaseError::Driver {
            message: connection_error(&source, url),
            source,
        }
    }
}

/// How long connecting may take by default (`--connect-timeout`).
pub const DEFAULT_CONNECT_LIMIT: Duration = Duration::from_secs(10);

/// Connects, or fails once `limit` has passed without a session.
pub async fn connect_within(
    options: &PgConnectOptions,
    limit: Duration,
) -> sqlx::Result<PgConnection> {
    match tokio::time::timeout(limit, PgConnection::connect_with(options)).await {
        Ok(connected) => connected,
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "no session within {} s: the server did not answer (--connect-timeout)",
                limit.as_secs_f64()
            ),
        ))),
    }
}

/// Runs `read` in a session of the database at `url` in which every statement is read-only
/// (the server refuses writes), then closes the session.
pub fn read_only<T>(
    url: &str,
    connect_limit: Duration,
    read: impl AsyncFnOnce(&mut PgConnection) -> sqlx::Result<T>,
) -> Result<T, DatabaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DatabaseError::Runtime)?;
    let session = async {
        let options = url.parse::<PgConnectOptions>()?;
        let mut connection = connect_within(&options, connect_limit).await?;
        sqlx::raw_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            .execute(&mut connection)
            .await?;
        let found = read(&mut connection).await?;
        connection.close().await?;
        Ok(found)
    };
    runtime
        .block_on(session)
        .map_err(|err| DatabaseError::driver(err, url))
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
