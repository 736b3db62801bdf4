//! `lock-timeout-missing`: a migration takes a lock of SHARE or stronger on an existing table
//! without setting `lock_timeout` first. One finding per migration, on the first such statement.

use pg_query::NodeEnum;
use pg_query::protobuf::ObjectType;

use crate::catalog::{LockMode, TableLock};
use crate::diagnostic::{Finding, Suggestion};
use crate::engine::{Rule, StatementContext, Timeout, declare_rule, strong_lock_on_existing_table};
use crate::rules::support::advice::py_str;
use crate::source::SourceKind;

declare_rule! {
    pub struct LockTimeoutMissing {
        id: "lock-timeout-missing",
        family: Locking,
        severity: Info,
        summary: "A lock of SHARE or stronger on an existing table with no lock_timeout set in the migration",
    }
}

impl Rule for LockTimeoutMissing {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let Some(lock) = unguarded_lock(ctx, &ctx.session.lock_timeout) else {
            return;
        };
        let name = lock.via.as_ref().unwrap_or(&lock.table);
        let span = ctx.name_span(lock.location, &name.name);
        let queued = if lock.mode == LockMode::AccessExclusive {
            "every read and write of the table"
        } else {
            "every write of the table (`INSERT`, `UPDATE`, `DELETE`)"
        };
        let message = format!(
            "{} takes {} on {} without a `lock_timeout` in effect: while it waits behind a long \
             query, {queued} queues behind it",
            verb(&ctx.statement.node),
            lock.mode.a_lock(),
            locked(&lock),
        );
        let set = set_timeout(ctx, "lock_timeout", "'5s'");
        out.push(
            ctx.finding(span, message)
                .help(help(ctx, &set))
                .suggest(Suggestion::before([set])),
        );
    }
}

/// `SET [LOCAL] <setting> = <value>`, to run before the statement, at the top of its migration:
/// `LOCAL` where the migration runs in a transaction (drizzle-kit and Alembic run each in one),
/// so that the setting ends with it.
pub(crate) fn set_timeout(ctx: &StatementContext, setting: &str, value: &str) -> String {
    let local = match ctx.migration.migration.kind() {
        SourceKind::Drizzle | SourceKind::Alembic => true,
        SourceKind::Plain => ctx.statement.in_transaction,
    };
    let local = if local { "LOCAL " } else { "" };
    format!("SET {local}{setting} = {value}")
}

/// Where `set` ([`set_timeout`]) goes in the migration, for a help text.
pub(crate) fn where_to_set(ctx: &StatementContext, set: &str) -> String {
    match ctx.migration.migration.kind() {
        SourceKind::Drizzle => format!(
            "`{set};--> statement-breakpoint` at the top of the migration (drizzle-kit migrate \
             runs it inside its transaction, so it lasts until the commit)"
        ),
        SourceKind::Alembic => format!("`op.execute({})` at the start of upgrade()", py_str(set)),
        SourceKind::Plain if ctx.statement.in_transaction => format!(
            "`{set};` at the top of the file's transaction (the file runs in one, and `SET \
             LOCAL` lasts until it ends)"
        ),
        SourceKind::Plain => format!(
            "`{set};` at the top of the file (`SET LOCAL` when the file runs in a transaction)"
        ),
    }
}

/// The lock of SHARE or stronger this statement takes on an existing table, when `timeout` is
/// not in effect and no earlier statement of the migration took one without it (reported there).
pub(crate) fn unguarded_lock(ctx: &StatementContext, timeout: &Timeout) -> Option<TableLock> {
    if timeout.in_effect() || timeout.locked_without() {
        return None;
    }
    strong_lock_on_existing_table(ctx.catalog, ctx.migration.index, ctx.locks).cloned()
}

/// The locked relation as the message names it.
pub(crate) fn locked(lock: &TableLock) -> String {
    let name = lock.via.as_ref().unwrap_or(&lock.table);
    if lock.table_unknown() {
        format!("the table of index `{name}`")
    } else {
        format!("existing table `{}`", lock.table)
    }
}

/// How the message names the statement.
pub(crate) fn verb(node: &NodeEnum) -> &'static str {
    match node {
        NodeEnum::AlterTableStmt(_) => "`ALTER TABLE`",
        NodeEnum::RenameStmt(_) => "`ALTER TABLE ... RENAME`",
        NodeEnum::AlterObjectSchemaStmt(_) => "`ALTER TABLE ... SET SCHEMA`",
        NodeEnum::DropStmt(stmt) => match ObjectType::try_from(stmt.remove_type) {
            Ok(ObjectType::ObjectTable) => "`DROP TABLE`",
            Ok(ObjectType::ObjectView) => "`DROP VIEW`",
            Ok(ObjectType::ObjectMatview) => "`DROP MATERIALIZED VIEW`",
            Ok(ObjectType::ObjectForeignTable) => "`DROP FOREIGN TABLE`",
            Ok(ObjectType::ObjectIndex) => "`DROP INDEX`",
            Ok(ObjectType::ObjectTrigger) => "`DROP TRIGGER`",
            Ok(ObjectType::ObjectPolicy) => "`DROP POLICY`",
            Ok(ObjectType::ObjectRule) => "`DROP RULE`",
            _ => "`DROP`",
        },
        NodeEnum::TruncateStmt(_) => "`TRUNCATE`",
        NodeEnum::LockStmt(_) => "`LOCK TABLE`",
        NodeEnum::ClusterStmt(_) => "`CLUSTER`",
        NodeEnum::VacuumStmt(_) => "`VACUUM FULL`",
        NodeEnum::RefreshMatViewStmt(_) => "`REFRESH MATERIALIZED VIEW`",
        NodeEnum::CreatePolicyStmt(_) => "`CREATE POLICY`",
        NodeEnum::AlterPolicyStmt(_) => "`ALTER POLICY`",
        NodeEnum::RuleStmt(_) => "`CREATE RULE`",
        NodeEnum::ViewStmt(_) => "`CREATE OR REPLACE VIEW`",
        NodeEnum::IndexStmt(_) => "`CREATE INDEX`",
        NodeEnum::ReindexStmt(_) => "`REINDEX`",
        NodeEnum::CreateTrigStmt(_) => "`CREATE TRIGGER`",
        NodeEnum::CreateStmt(_) => "`CREATE TABLE`",
        _ => "This statement",
    }
}

fn help(ctx: &StatementContext, set: &str) -> String {
    let why = "With a timeout the statement gives up when it cannot get the lock in time: the \
               migration fails and can be retried, instead of stalling the application.";
    let tool = match ctx.migration.migration.kind() {
        SourceKind::Drizzle => format!(
            "Start the migration with `{set};--> statement-breakpoint` (drizzle-kit migrate runs \
             it inside its transaction, so it lasts until the commit). Only this migration \
             counts: earlier ones may have been applied by another run."
        ),
        SourceKind::Alembic => format!(
            "Start upgrade() with `op.execute({})`, or set it for every revision in env.py: \
             `context.execute(\"SET lock_timeout = '5s'\")` inside `with \
             context.begin_transaction():`, before `context.run_migrations()`.",
            py_str(set)
        ),
        SourceKind::Plain => format!("Put {}.", where_to_set(ctx, set)),
    };
    format!(
        "{why} {tool} A role or database setting (`ALTER ROLE migrator SET lock_timeout = '5s'`) \
         works too but is invisible to the linter: then turn this rule off in chronos-lint.toml."
    )
}
