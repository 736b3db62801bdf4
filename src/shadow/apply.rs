//! Applying one migration set statement by statement, with the transactions its tool uses:
//! drizzle-kit runs every pending migration of a folder in one transaction; Alembic's offline
//! SQL says where its transactions begin and end (`BEGIN;`/`COMMIT;`); plain files run in a
//! transaction of their own when configured so, else statement by statement. A statement that
//! cannot run in a transaction block therefore fails here exactly when it would in production.
//!
//! A statement outside any transaction is still run inside a short one of its own so its locks
//! can be read before they are released; if PostgreSQL refuses that (SQLSTATE 25001, e.g.
//! `CREATE INDEX CONCURRENTLY`), it is run again on its own, as the tool would.

use std::collections::HashSet;
use std::ops::Range;
use std::time::Duration;

use pg_query::NodeEnum;
use pg_query::protobuf::{ObjectType, TransactionStmtKind};
use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgErrorPosition};
use sqlx::{Connection, PgConnection};

use super::Limits;
use super::observe::{self, Observer};
use super::progress::Progress;
use crate::database::connect_within;
use crate::parse::{self, ParsedMigration, Statement, text};
use crate::source::{MigrationSet, SourceFile};
use crate::trace::{Failure, MigrationTrace, MissingExtension, SetTrace, Skip, StatementTrace};

/// SQLSTATE of "cannot run inside a transaction block".
const ACTIVE_SQL_TRANSACTION: &str = "25001";

/// SQLSTATE of a canceled statement (`query_canceled`).
const QUERY_CANCELED: &str = "57014";

/// How long a statement may take to end after it was canceled before its session is ended.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// SQLSTATEs of errors about something that does not exist, which a skipped extension would
/// have made: undefined object, function, table, schema.
const UNDEFINED: &[&str] = &["42704", "42883", "42P01", "3F000"];

/// The migrations of one set and what is needed to run them.
pub struct SetInput<'a> {
    pub set: &'a MigrationSet,
    pub files: &'a [SourceFile],
    pub parsed: &'a [ParsedMigration],
}

/// State shared by the sets of one run (they go to one database, in order).
pub struct Run<'a> {
    /// Extensions the migrations' role can install on the server.
    pub available_extensions: HashSet<String>,
    /// Extensions the server has that only a superuser may install, when the migrations run as
    /// a role confined to the shadow database (`--shadow-url`).
    pub superuser_extensions: HashSet<String>,
    /// Extensions skipped so far (any set).
    pub skipped_extensions: Vec<String>,
    /// A server the tool did not start: server-wide statements are not run.
    pub shared: bool,
    pub limits: Limits,
    pub progress: &'a Progress,
}

/// A statement's error, or a failure of the connection itself (which ends the whole run).
enum StatementError {
    Rejected(Box<PgDatabaseError>),
    /// Past the statement limit, canceling did not stop the statement (a migration can catch
    /// the cancel): its session was ended, and the set goes no further.
    Ended,
    Connection(sqlx::Error),
}

impl From<sqlx::Error> for StatementError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::Database(db) => match db.try_downcast::<PgDatabaseError>() {
                Ok(pg) => StatementError::Rejected(pg),
                Err(other) => StatementError::Connection(sqlx::Error::Database(other)),
            },
            other => StatementError::Connection(other),
        }
    }
}

impl From<StatementError> for sqlx::Error {
    fn from(err: StatementError) -> Self {
        match err {
            StatementError::Rejected(error) => sqlx::Error::Database(error),
            StatementError::Ended => sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "a statement ran past --shadow-statement-timeout and its session was ended",
            )),
            StatementError::Connection(err) => err,
        }
    }
}

/// A session the migrations run on, with what it takes to stop a statement that runs too long.
struct Session<'c> {
    conn: &'c mut PgConnection,
    /// The session's backend, which another session cancels.
    pid: i32,
    /// A second session of the same role, opened before any migration runs: it cancels the
    /// first even after a migration has locked new sessions out (`CONNECTION LIMIT`, `NOLOGIN`).
    canceller: Option<PgConnection>,
    options: &'c PgConnectOptions,
    limits: Limits,
    /// A statement was canceled for running past the limit since the flag was last cleared
    /// (before each migration statement).
    timed_out: bool,
    /// The session was ended past the limit: it is dropped, not closed.
    ended: bool,
}

impl Session<'_> {
    /// Runs `sql`. Past the statement limit it is canceled from another session (a migration
    /// can neither lift nor outlast this limit, unlike its own `statement_timeout`); if it does
    /// not end then, its session is ended, and if even that does not answer, it is left.
    async fn execute(&mut self, sql: &str) -> Result<(), StatementError> {
        let query = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut *self.conn);
        let Some(limit) = self.limits.statement else {
            query.await?;
            return Ok(());
        };
        tokio::pin!(query);
        let canceller = &mut self.canceller;
        let (options, connect, pid) = (self.options, self.limits.connect, self.pid);
        let result = tokio::select! {
            result = &mut query => result,
            () = tokio::time::sleep(limit) => {
                self.timed_out = true;
                signal_backend(canceller, options, connect, "pg_cancel_backend", pid).await;
                match tokio::time::timeout(CANCEL_GRACE, &mut query).await {
                    Ok(result) => result,
                    Err(_) => {
                        signal_backend(canceller, options, connect, "pg_terminate_backend", pid)
                            .await;
                        // Ended or not, the session is done with.
                        let _ = tokio::time::timeout(CANCEL_GRACE, &mut query).await;
                        self.ended = true;
                        return Err(StatementError::Ended);
                    }
                }
            }
        };
        result?;
        Ok(())
    }

    /// The shadow's own catalog queries run free of a `statement_timeout` the migration set:
    /// it is lifted for them and put back by [`Session::restore_statement_timeout`], locally
    /// inside a transaction so that the session's own value is untouched.
    async fn lift_statement_timeout(
        &mut self,
        in_transaction: bool,
    ) -> sqlx::Result<Option<String>> {
        let current: String = sqlx::query_scalar("SELECT current_setting('statement_timeout')")
            .fetch_one(&mut *self.conn)
            .await?;
        if current == "0" {
            return Ok(None);
        }
        sqlx::query("SELECT set_config('statement_timeout', '0', $1)")
            .bind(in_transaction)
            .execute(&mut *self.conn)
            .await?;
        Ok(Some(current))
    }

    async fn restore_statement_timeout(
        &mut self,
        saved: Option<String>,
        in_transaction: bool,
    ) -> sqlx::Result<()> {
        if let Some(saved) = saved {
            sqlx::query("SELECT set_config('statement_timeout', $1, $2)")
                .bind(saved)
                .bind(in_transaction)
                .execute(&mut *self.conn)
                .await?;
        }
        Ok(())
    }
}

/// Cancels the statement of backend `pid`, or ends its session, from a session of its own
/// (of the same role, which PostgreSQL allows). Best effort: the caller waits either way.
async fn signal_backend(
    canceller: &mut Option<PgConnection>,
    options: &PgConnectOptions,
    limit: Duration,
    function: &str,
    pid: i32,
) {
    let signal = || sqlx::AssertSqlSafe(format!("SELECT {function}($1)"));
    if let Some(conn) = canceller {
        let sent = sqlx::query(signal()).bind(pid).execute(&mut *conn);
        if matches!(tokio::time::timeout(limit, sent).await, Ok(Ok(_))) {
            return;
        }
        // The migration ended that session too: a new one may still get in.
        *canceller = None;
    }
    if let Ok(mut conn) = connect_within(options, limit).await {
        let _ = sqlx::query(signal()).bind(pid).execute(&mut conn).await;
        let _ = conn.close().await;
    }
}

/// One step of applying a set, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Migration `.0` begins.
    Start(usize),
    /// Statement `.1` of migration `.0`.
    Run(usize, usize),
    /// The tool opens a transaction.
    Begin,
    /// The tool commits.
    Commit,
    /// The migration file rolls back.
    Rollback,
    /// Migration `.0` is done.
    End(usize),
    /// Migration `.0` has a statement PostgreSQL cannot parse: the tool stops there.
    Unparsable(usize),
}

/// The steps of a set with the transactions its tool uses (see the module doc).
fn plan(input: &SetInput) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut open = false;
    let migrations = &input.set.migrations;
    for (index, migration) in migrations.iter().enumerate() {
        let parsed = &input.parsed[index];
        if !parsed.syntax_errors.is_empty() {
            steps.push(Step::Unparsable(index));
            return steps;
        }
        steps.push(Step::Start(index));
        for (position, statement) in parsed.statements.iter().enumerate() {
            if statement.in_do_block {
                // Runs as part of its block.
                continue;
            }
            if let NodeEnum::TransactionStmt(stmt) = &statement.node {
                match TransactionStmtKind::try_from(stmt.kind) {
                    Ok(
                        TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart,
                    ) => {
                        if !open {
                            steps.push(Step::Begin);
                            open = true;
                        }
                        continue;
                    }
                    Ok(TransactionStmtKind::TransStmtCommit) => {
                        if open {
                            steps.push(Step::Commit);
                            open = false;
                        }
                        continue;
                    }
                    Ok(TransactionStmtKind::TransStmtRollback) => {
                        if open {
                            steps.push(Step::Rollback);
                            open = false;
                        }
                        continue;
                    }
                    // Savepoints and two-phase commit run as written.
                    _ => {}
                }
            }
            if statement.in_transaction && !open {
                steps.push(Step::Begin);
                open = true;
            } else if !statement.in_transaction && open {
                steps.push(Step::Commit);
                open = false;
            }
            steps.push(Step::Run(index, position));
        }
        steps.push(Step::End(index));
        // The tool's transaction ends with the migration unless the next one continues it.
        let continues = migrations
            .get(index + 1)
            .is_some_and(|next| next.may_share_transaction_with(migration));
        if open && !continues {
            steps.push(Step::Commit);
            open = false;
        }
    }
    if open {
        steps.push(Step::Commit);
    }
    steps
}

/// Applies `input` on a new session of `conn_options` and records what happened.
pub async fn apply_set(
    run: &mut Run<'_>,
    conn_options: &sqlx::postgres::PgConnectOptions,
    input: &SetInput<'_>,
) -> sqlx::Result<SetTrace> {
    // A session per set, as each migration tool has its own: `SET`s do not leak between sets.
    let mut conn = connect_within(conn_options, run.limits.connect).await?;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut conn)
        .await?;
    let canceller = match run.limits.statement {
        Some(_) => connect_within(conn_options, run.limits.connect).await.ok(),
        None => None,
    };
    let mut applier = Applier {
        session: Session {
            conn: &mut conn,
            pid,
            canceller,
            options: conn_options,
            limits: run.limits,
            timed_out: false,
            ended: false,
        },
        input,
        observer: Observer::default(),
        open: false,
        split: false,
        last: None,
        server_wide_skipped: false,
        trace: SetTrace::default(),
    };
    let result = applier.apply(run).await;
    let trace = std::mem::take(&mut applier.trace);
    let ended = applier.session.ended;
    if let Some(canceller) = applier.session.canceller.take() {
        let _ = canceller.close().await;
    }
    // A session ended mid-statement has nothing left to say goodbye to: its socket is dropped.
    if !ended {
        let _ = conn.close().await;
    }
    result.map(|()| trace)
}

struct Applier<'c, 'i> {
    session: Session<'c>,
    input: &'i SetInput<'i>,
    observer: Observer,
    /// A transaction is open.
    open: bool,
    /// The open transaction spans migrations and is committed at each migration's end (its
    /// statements already passed in one transaction).
    split: bool,
    /// The last statement run: a failing `COMMIT` is blamed on it.
    last: Option<(usize, usize)>,
    server_wide_skipped: bool,
    trace: SetTrace,
}

/// Whether the set can go on.
type Continue = bool;

impl<'i> Applier<'_, 'i> {
    async fn apply(&mut self, run: &mut Run<'_>) -> sqlx::Result<()> {
        let steps = plan(self.input);
        let mut before = observe::Before::default();
        // The migration being applied (taken into the trace at its end).
        let mut current: Option<MigrationTrace> = None;
        for (at, &step) in steps.iter().enumerate() {
            match step {
                Step::Unparsable(_) => {
                    // `syntax-error` reports it; the tool fails there and rolls back.
                    if self.open {
                        self.finish("ROLLBACK").await?;
                    }
                    return Ok(());
                }
                Step::Start(index) => {
                    run.progress
                        .migration(&self.input.set.migrations[index].name);
                    let saved = self.session.lift_statement_timeout(self.open).await?;
                    before = observe::before(self.session.conn).await?;
                    self.session
                        .restore_statement_timeout(saved, self.open)
                        .await?;
                    self.observer.begin_migration(&before);
                    current = Some(MigrationTrace {
                        migration: index,
                        statements: Vec::new(),
                    });
                }
                Step::End(_) => {
                    self.trace.migrations.extend(current.take());
                    run.progress.applied();
                    let group_goes_on = !matches!(
                        steps.get(at + 1),
                        Some(Step::Commit | Step::Rollback) | None
                    );
                    if self.split && self.open && group_goes_on {
                        // Each migration's locks are measured with the earlier ones committed.
                        if !self.commit().await? {
                            return Ok(());
                        }
                        self.begin().await?;
                    }
                }
                Step::Begin => {
                    let end = steps[at..]
                        .iter()
                        .position(|s| matches!(s, Step::Commit | Step::Rollback))
                        .map_or(steps.len(), |n| at + n);
                    let group = &steps[at + 1..end];
                    let first = group.iter().find_map(|s| match s {
                        Step::Run(m, _) => Some(*m),
                        _ => None,
                    });
                    let spans_migrations = group
                        .iter()
                        .any(|s| matches!(s, Step::Run(m, _) if Some(*m) != first));
                    if spans_migrations && !self.dry_run(run, group).await? {
                        return Ok(());
                    }
                    self.begin().await?;
                    self.split = spans_migrations;
                }
                Step::Commit => {
                    self.split = false;
                    if !self.commit().await? {
                        self.trace.migrations.extend(current.take());
                        return Ok(());
                    }
                }
                Step::Rollback => {
                    self.split = false;
                    if self.open {
                        self.finish("ROLLBACK").await?;
                    }
                }
                Step::Run(index, position) => {
                    let mut statement_trace = StatementTrace {
                        statement: position,
                        ..StatementTrace::default()
                    };
                    let statement = &self.input.parsed[index].statements[position];
                    if let Some(skip) = skip(run, &statement.node) {
                        if let Skip::MissingExtension(name) = &skip {
                            self.trace.missing_extensions.push(MissingExtension {
                                migration: index,
                                statement: position,
                                name: name.clone(),
                                needs_superuser: run.superuser_extensions.contains(name),
                            });
                            run.skipped_extensions.push(name.clone());
                        } else {
                            self.server_wide_skipped = true;
                        }
                        statement_trace.skipped = Some(skip);
                        if let Some(current) = &mut current {
                            current.statements.push(statement_trace);
                        }
                        continue;
                    }
                    let sql = self.sql(index, position);
                    self.session.timed_out = false;
                    let outcome = self.run_statement(sql, &before, &mut statement_trace).await;
                    self.last = Some((index, position));
                    if let Some(current) = &mut current {
                        current.statements.push(statement_trace);
                    }
                    match outcome {
                        Ok(()) => {}
                        Err(StatementError::Connection(err)) => return Err(err),
                        Err(StatementError::Ended) => {
                            self.ended((index, position));
                            self.trace.migrations.extend(current.take());
                            return Ok(());
                        }
                        Err(StatementError::Rejected(error)) => {
                            if self.open {
                                self.finish("ROLLBACK").await?;
                            }
                            self.fail(run, (index, position), &error);
                            self.trace.migrations.extend(current.take());
                            return Ok(());
                        }
                    }
                }
            }
        }
        if self.input.set.journal.is_some() {
            let saved = self.session.lift_statement_timeout(self.open).await?;
            self.trace.schema = Some(observe::schema(self.session.conn).await?);
            self.session
                .restore_statement_timeout(saved, self.open)
                .await?;
        }
        Ok(())
    }

    fn sql(&self, migration: usize, position: usize) -> &'i str {
        let input: &'i SetInput<'i> = self.input;
        let statement = &input.parsed[migration].statements[position];
        let file = &input.files[input.set.migrations[migration].file];
        &file.text[statement.span.clone()]
    }

    /// Runs the statements of a transaction that spans migrations once as the tool does, in
    /// one transaction, and rolls it back. Failures found so are failures of the set.
    async fn dry_run(&mut self, run: &mut Run<'_>, group: &[Step]) -> sqlx::Result<Continue> {
        self.session.execute("BEGIN").await?;
        let mut skipped = Vec::new();
        for step in group {
            let &Step::Run(index, position) = step else {
                continue;
            };
            let statement = &self.input.parsed[index].statements[position];
            match skip(run, &statement.node) {
                Some(Skip::MissingExtension(name)) => {
                    skipped.push((index, position, name));
                    continue;
                }
                Some(Skip::ServerWide) => continue,
                None => {}
            }
            self.session.timed_out = false;
            match self.session.execute(self.sql(index, position)).await {
                Ok(()) => {}
                Err(StatementError::Connection(err)) => return Err(err),
                Err(StatementError::Ended) => {
                    self.ended((index, position));
                    return Ok(false);
                }
                Err(StatementError::Rejected(error)) => {
                    self.session.execute("ROLLBACK").await?;
                    for (migration, statement, name) in skipped {
                        self.trace.missing_extensions.push(MissingExtension {
                            migration,
                            statement,
                            needs_superuser: run.superuser_extensions.contains(&name),
                            name: name.clone(),
                        });
                        run.skipped_extensions.push(name);
                    }
                    self.fail(run, (index, position), &error);
                    return Ok(false);
                }
            }
        }
        self.session.execute("ROLLBACK").await?;
        Ok(true)
    }

    async fn begin(&mut self) -> sqlx::Result<()> {
        self.session.execute("BEGIN").await?;
        self.open = true;
        self.observer.released();
        Ok(())
    }

    /// Ends the open transaction with `COMMIT` or `ROLLBACK`.
    async fn finish(&mut self, how: &str) -> Result<(), StatementError> {
        self.open = false;
        self.observer.released();
        self.session.execute(how).await
    }

    /// Commits; a rejected commit (a deferred constraint) is the failure of the last statement.
    async fn commit(&mut self) -> sqlx::Result<Continue> {
        if !self.open {
            return Ok(true);
        }
        match self.finish("COMMIT").await {
            Ok(()) => Ok(true),
            Err(StatementError::Connection(err)) => Err(err),
            Err(StatementError::Ended) => {
                if let Some(at) = self.last {
                    self.ended(at);
                }
                Ok(false)
            }
            Err(StatementError::Rejected(error)) => {
                if let Some(at) = self.last {
                    self.trace.failure = Some(self.failure_at(at, &error));
                }
                Ok(false)
            }
        }
    }

    /// Runs one statement and reads what it did.
    async fn run_statement(
        &mut self,
        sql: &str,
        before: &observe::Before,
        trace: &mut StatementTrace,
    ) -> Result<(), StatementError> {
        if self.open {
            self.session.execute(sql).await?;
            self.observe(before, trace, true).await?;
            return Ok(());
        }
        // Autocommit: in a transaction of its own so its locks can be read before commit.
        self.session.execute("BEGIN").await?;
        self.observer.released();
        match self.session.execute(sql).await {
            Ok(()) => {
                self.observe(before, trace, true).await?;
                self.session.execute("COMMIT").await?;
            }
            Err(StatementError::Rejected(error)) if error.code() == ACTIVE_SQL_TRANSACTION => {
                self.session.execute("ROLLBACK").await?;
                self.session.execute(sql).await?;
                // Locks are gone; rewrites and new relations still show.
                self.observe(before, trace, false).await?;
            }
            // The session is gone: nothing to roll back on.
            Err(StatementError::Ended) => return Err(StatementError::Ended),
            Err(err) => {
                self.session.execute("ROLLBACK").await?;
                return Err(err);
            }
        }
        self.observer.released();
        Ok(())
    }

    /// Reads what the statement just run did.
    async fn observe(
        &mut self,
        before: &observe::Before,
        trace: &mut StatementTrace,
        in_transaction: bool,
    ) -> sqlx::Result<()> {
        let saved = self.session.lift_statement_timeout(in_transaction).await?;
        self.observer
            .after_statement(self.session.conn, before, trace)
            .await?;
        self.session
            .restore_statement_timeout(saved, in_transaction)
            .await
    }

    /// Records the failure of statement `at`, blaming a missing extension when it is one.
    fn fail(&mut self, run: &mut Run<'_>, at: (usize, usize), error: &PgDatabaseError) {
        let mut blamed = None;
        // An extension created inside a DO block (or a dependency of one) that is not there.
        if let Some(name) = unavailable_extension(error.message()) {
            self.trace.missing_extensions.push(MissingExtension {
                migration: at.0,
                statement: at.1,
                needs_superuser: run.superuser_extensions.contains(&name),
                name: name.clone(),
            });
            run.skipped_extensions.push(name.clone());
            blamed = Some(name);
        } else if UNDEFINED.contains(&error.code()) {
            blamed = run.skipped_extensions.last().cloned();
        }
        let mut failure = self.failure_at(at, error);
        failure.missing_extension = blamed;
        self.trace.failure = Some(failure);
    }

    /// The statement at `at` ran past the statement limit and its session had to be ended.
    fn ended(&mut self, (migration, position): (usize, usize)) {
        let statement = &self.input.parsed[migration].statements[position];
        let limit = self.session.limits.statement.unwrap_or_default();
        self.trace.failure = Some(Failure {
            migration,
            statement: position,
            span: statement.span.clone(),
            message: format!(
                "still running after {} s, the shadow's limit for one statement \
                 (--shadow-statement-timeout), and canceling it did not stop it (the migration \
                 catches the cancel, or locked the shadow's own sessions out), so its session was \
                 ended",
                limit.as_secs_f64()
            ),
            sqlstate: QUERY_CANCELED.to_owned(),
            detail: None,
            hint: None,
            missing_extension: None,
            after_server_wide_skip: self.server_wide_skipped,
        });
    }

    fn failure_at(
        &self,
        (migration, position): (usize, usize),
        error: &PgDatabaseError,
    ) -> Failure {
        let input = self.input;
        let statement = &input.parsed[migration].statements[position];
        let file = &input.files[input.set.migrations[migration].file];
        let message = match self.session.limits.statement {
            Some(limit) if self.session.timed_out && error.code() == QUERY_CANCELED => format!(
                "still running after {} s, the shadow's limit for one statement \
                 (--shadow-statement-timeout), so it was canceled",
                limit.as_secs_f64()
            ),
            _ => error.message().to_owned(),
        };
        Failure {
            migration,
            statement: position,
            span: error_span(&file.text, statement, error),
            message,
            sqlstate: error.code().to_owned(),
            detail: error.detail().map(str::to_owned),
            hint: error.hint().map(str::to_owned),
            missing_extension: None,
            after_server_wide_skip: self.server_wide_skipped,
        }
    }
}

/// Why a statement is not run, if it is not.
fn skip(run: &Run, node: &NodeEnum) -> Option<Skip> {
    match node {
        NodeEnum::CreateExtensionStmt(stmt)
            if !run.available_extensions.contains(&stmt.extname) =>
        {
            Some(Skip::MissingExtension(stmt.extname.clone()))
        }
        node if run.shared && server_wide(node) => Some(Skip::ServerWide),
        _ => None,
    }
}

/// The extension an error says is not installed on the server (`could not open extension
/// control file ".../vector.control"`, or `extension "vector" is not available`), or may not be
/// created by the migrations' role (`permission denied to create extension "postgis"`).
fn unavailable_extension(message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("permission denied to create extension \"") {
        return rest.split_once('"').map(|(name, _)| name.to_owned());
    }
    if let Some(at) = message.find("extension control file \"") {
        let path = &message[at + "extension control file \"".len()..];
        let path = &path[..path.find('"')?];
        let file = path.rsplit('/').next()?;
        return file.strip_suffix(".control").map(str::to_owned);
    }
    let rest = message.strip_prefix("extension \"")?;
    let (name, rest) = rest.split_once('"')?;
    rest.contains("not available").then(|| name.to_owned())
}

/// Where an error points in the file: PostgreSQL's error position (in the statement, or in a
/// query inside its `DO` block), else the first name the message quotes, else the statement's
/// first token.
fn error_span(file_text: &str, statement: &Statement, error: &PgDatabaseError) -> Range<usize> {
    let sql = &file_text[statement.span.clone()];
    let start = statement.span.start;
    let offset = match error.position() {
        Some(PgErrorPosition::Original(position)) => Some(char_offset(sql, position)),
        Some(PgErrorPosition::Internal { position, query }) => {
            sql.find(query).map(|at| at + char_offset(query, position))
        }
        None => None,
    };
    if let Some(offset) = offset.filter(|&offset| offset < sql.len()) {
        return start + offset..start + parse::token_end(sql, offset).min(sql.len());
    }
    // "... CONCURRENTLY cannot run inside a transaction block": the keyword that makes it so.
    if error.code() == ACTIVE_SQL_TRANSACTION
        && let Some(keyword) = parse::lex(sql)
            .into_iter()
            .find(|lexeme| lexeme.text.eq_ignore_ascii_case("CONCURRENTLY"))
    {
        return start + keyword.span.start..start + keyword.span.end;
    }
    let quoted = error
        .message()
        .split('"')
        .skip(1)
        .step_by(2)
        .find_map(|name| text::find_name(sql, name).map(|at| (at, name)));
    if let Some((at, _)) = quoted {
        let len = text::name_len(&sql[at..]).max(1);
        return start + at..start + (at + len).min(sql.len());
    }
    start..start + parse::token_end(sql, 0).min(sql.len())
}

/// Byte offset of PostgreSQL's 1-based character position.
fn char_offset(text: &str, position: usize) -> usize {
    text.char_indices()
        .nth(position.saturating_sub(1))
        .map_or(text.len(), |(byte, _)| byte)
}

/// Statements that change the whole server rather than one database: roles, databases,
/// tablespaces, server settings, and the privileges, owners and comments of those.
fn server_wide(node: &NodeEnum) -> bool {
    let shared_object = |object_type: i32| {
        matches!(
            ObjectType::try_from(object_type),
            Ok(ObjectType::ObjectRole
                | ObjectType::ObjectDatabase
                | ObjectType::ObjectTablespace
                | ObjectType::ObjectParameterAcl)
        )
    };
    match node {
        NodeEnum::CreatedbStmt(_)
        | NodeEnum::DropdbStmt(_)
        | NodeEnum::AlterDatabaseStmt(_)
        | NodeEnum::AlterDatabaseSetStmt(_)
        | NodeEnum::AlterDatabaseRefreshCollStmt(_)
        | NodeEnum::AlterSystemStmt(_)
        | NodeEnum::CreateTableSpaceStmt(_)
        | NodeEnum::DropTableSpaceStmt(_)
        | NodeEnum::AlterTableSpaceOptionsStmt(_)
        | NodeEnum::CreateRoleStmt(_)
        | NodeEnum::AlterRoleStmt(_)
        | NodeEnum::AlterRoleSetStmt(_)
        | NodeEnum::DropRoleStmt(_)
        | NodeEnum::GrantRoleStmt(_)
        | NodeEnum::DropOwnedStmt(_)
        | NodeEnum::ReassignOwnedStmt(_)
        | NodeEnum::CreateSubscriptionStmt(_) => true,
        NodeEnum::RenameStmt(stmt) => shared_object(stmt.rename_type),
        NodeEnum::GrantStmt(stmt) => shared_object(stmt.objtype),
        NodeEnum::AlterOwnerStmt(stmt) => shared_object(stmt.object_type),
        NodeEnum::CommentStmt(stmt) => shared_object(stmt.objtype),
        NodeEnum::SecLabelStmt(stmt) => shared_object(stmt.objtype),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// The plan of the one set found in `files`, written as text: `[` and `]` for a
    /// transaction, `mN:` for a migration, `sN` for a statement run.
    fn plan_of(files: &[(&str, &str)]) -> String {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let config = Config::default();
        let exclude = config.exclude_matcher(&[]).unwrap();
        let workspace =
            crate::source::discover(&[dir.path().to_path_buf()], &config, &exclude, None);
        let set = &workspace.sets[0];
        let parsed: Vec<ParsedMigration> = set
            .migrations
            .iter()
            .map(|m| parse::parse_migration(&workspace.files[m.file].text, m))
            .collect();
        let input = SetInput {
            set,
            files: &workspace.files,
            parsed: &parsed,
        };
        plan(&input)
            .iter()
            .map(|step| match step {
                Step::Start(m) => format!("m{m}:"),
                Step::Run(_, s) => format!("s{s}"),
                Step::Begin => "[".into(),
                Step::Commit => "]".into(),
                Step::Rollback => "rollback".into(),
                Step::End(_) => ";".into(),
                Step::Unparsable(m) => format!("unparsable m{m}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn drizzle_runs_every_migration_in_one_transaction() {
        let journal = r#"{"entries":[
            {"idx":0,"when":1,"tag":"0000_a","breakpoints":true},
            {"idx":1,"when":2,"tag":"0001_b","breakpoints":true}]}"#;
        let plan = plan_of(&[
            ("d/meta/_journal.json", journal),
            (
                "d/0000_a.sql",
                "CREATE TABLE a (id int);--> statement-breakpoint\nSELECT 1;",
            ),
            ("d/0001_b.sql", "ALTER TABLE a ADD COLUMN b int;"),
        ]);
        assert_eq!(plan, "m0: [ s0 s1 ; m1: s0 ; ]");
    }

    #[test]
    fn alembic_follows_its_begin_and_commit_lines() {
        let sql = "BEGIN;\n\nCREATE TABLE alembic_version (v text);\n\n-- Running upgrade  -> a\n\n\
                   CREATE TABLE raw_a (id int);\n\n-- Running upgrade a -> b\n\nCOMMIT;\n\n\
                   CREATE INDEX CONCURRENTLY i ON raw_a (id);\n\nBEGIN;\n\nUPDATE alembic_version SET v = 'b';\n\nCOMMIT;\n";
        assert_eq!(
            plan_of(&[("upgrade.sql", sql)]),
            "m0: [ s1 s2 ; m1: ] s1 [ s3 ] ;"
        );
    }

    #[test]
    fn plain_files_run_statement_by_statement_and_stop_at_a_syntax_error() {
        let plan = plan_of(&[
            (
                "0001.sql",
                "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY i ON a (id);",
            ),
            ("0002.sql", "CREATE TABEL b (id int);"),
        ]);
        assert_eq!(plan, "m0: s0 s1 ; unparsable m1");
    }

    #[test]
    fn reads_the_missing_extension_from_the_message() {
        assert_eq!(
            unavailable_extension(
                "could not open extension control file \"/usr/share/postgresql/15/extension/vector.control\": No such file or directory"
            )
            .as_deref(),
            Some("vector")
        );
        assert_eq!(
            unavailable_extension("extension \"age\" is not available").as_deref(),
            Some("age")
        );
        assert_eq!(
            unavailable_extension("permission denied to create extension \"postgis\"").as_deref(),
            Some("postgis")
        );
        assert_eq!(unavailable_extension("relation \"x\" does not exist"), None);
    }

    #[test]
    fn character_positions_become_byte_offsets() {
        assert_eq!(char_offset("SELECT 'é', x", 13), 13);
        assert_eq!(char_offset("abc", 1), 0);
    }
}
