//! `lock-timeout-missing`: a migration takes an ACCESS EXCLUSIVE lock on an existing table
//! without setting `lock_timeout` first. One finding per migration, on the first such statement.

use pg_query::NodeEnum;
use pg_query::protobuf::{Node, ObjectType, VariableSetKind, a_const};

use crate::catalog::{Catalog, LockMode, TableLock, table_locks};
use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};
use crate::parse::{Statement, ast};
use crate::source::SourceKind;

declare_rule! {
    pub struct LockTimeoutMissing {
        id: "lock-timeout-missing",
        family: Locking,
        severity: Info,
        summary: "ACCESS EXCLUSIVE lock on an existing table with no lock_timeout set in the migration",
    }
}

impl Rule for LockTimeoutMissing {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let migration = ctx.migration;
        let Some(lock) = exclusive_lock(ctx.catalog, migration.index, ctx.statement) else {
            return;
        };
        // Replay what ran before in the same session: the whole offline file for Alembic (one
        // `alembic upgrade` run), this migration alone for drizzle (earlier migrations may have
        // been applied by another run) and plain files.
        let mut timeout = Timeout::default();
        if migration.migration.kind == SourceKind::Alembic {
            for (index, parsed) in migration.earlier.iter().enumerate() {
                if migration.set.migrations[index].file == migration.migration.file {
                    parsed.statements.iter().for_each(|s| timeout.apply(s));
                }
            }
        }
        for earlier in &migration.parsed.statements[..ctx.index] {
            timeout.apply(earlier);
            if !timeout.in_effect()
                && !earlier.bookkeeping
                && exclusive_lock(ctx.catalog, migration.index, earlier).is_some()
            {
                // Reported on that earlier statement already.
                return;
            }
        }
        if timeout.in_effect() {
            return;
        }
        let name = lock.via.as_ref().unwrap_or(&lock.table);
        let span = ctx.name_span(lock.location, &name.name);
        let on = if lock.table_unknown() {
            format!("the table of index `{name}`")
        } else {
            format!("existing table `{}`", lock.table)
        };
        let message = format!(
            "{} takes an ACCESS EXCLUSIVE lock on {on} without a `lock_timeout` in effect: while \
             it waits behind a long query, every read and write of the table queues behind it",
            verb(&ctx.statement.node),
        );
        out.push(ctx.finding(span, message).help(help(ctx)));
    }
}

/// The ACCESS EXCLUSIVE lock `statement` takes on a table that existed before migration
/// `migration`, if any.
fn exclusive_lock(catalog: &Catalog, migration: usize, statement: &Statement) -> Option<TableLock> {
    table_locks(catalog, &statement.node)
        .into_iter()
        .find(|lock| {
            lock.mode == LockMode::AccessExclusive && catalog.existed_before(&lock.table, migration)
        })
}

/// `lock_timeout` as the session sees it: set for the session, or for the open transaction.
#[derive(Default)]
struct Timeout {
    session: bool,
    local: Option<bool>,
}

impl Timeout {
    fn in_effect(&self) -> bool {
        self.local.unwrap_or(self.session)
    }

    fn apply(&mut self, statement: &Statement) {
        match &statement.node {
            // COMMIT and ROLLBACK end what SET LOCAL set.
            NodeEnum::TransactionStmt(_) if !statement.in_transaction => self.local = None,
            NodeEnum::VariableSetStmt(stmt) => {
                let kind =
                    VariableSetKind::try_from(stmt.kind).unwrap_or(VariableSetKind::Undefined);
                if kind == VariableSetKind::VarResetAll {
                    self.session = false;
                    self.local = None;
                    return;
                }
                if stmt.name != "lock_timeout" {
                    return;
                }
                let on = kind == VariableSetKind::VarSetValue
                    && stmt
                        .args
                        .first()
                        .and_then(setting_value)
                        .is_some_and(nonzero);
                self.set(on, stmt.is_local, statement.in_transaction);
            }
            // SELECT set_config('lock_timeout', '5s', is_local)
            NodeEnum::SelectStmt(select) => {
                for target in &select.target_list {
                    let Some(NodeEnum::ResTarget(target)) = target.node.as_ref() else {
                        continue;
                    };
                    let Some(NodeEnum::FuncCall(call)) =
                        target.val.as_deref().and_then(|v| v.node.as_ref())
                    else {
                        continue;
                    };
                    let function = ast::strings(&call.funcname);
                    if function.last() != Some(&"set_config") || call.args.len() != 3 {
                        continue;
                    }
                    if setting_value(&call.args[0]).as_deref() != Some("lock_timeout") {
                        continue;
                    }
                    let on = setting_value(&call.args[1]).is_some_and(nonzero);
                    let local = setting_value(&call.args[2])
                        .is_some_and(|v| matches!(v.as_str(), "true" | "t" | "on"));
                    self.set(on, local, statement.in_transaction);
                }
            }
            _ => {}
        }
    }

    fn set(&mut self, on: bool, local: bool, in_transaction: bool) {
        if local {
            // SET LOCAL outside a transaction block does nothing.
            if in_transaction {
                self.local = Some(on);
            }
        } else {
            self.session = on;
            self.local = None;
        }
    }
}

/// A constant as text: `'5s'`, `5000`, `true`.
fn setting_value(node: &Node) -> Option<String> {
    let node = match node.node.as_ref()? {
        NodeEnum::TypeCast(cast) => cast.arg.as_deref()?.node.as_ref()?,
        other => other,
    };
    let NodeEnum::AConst(constant) = node else {
        return None;
    };
    Some(match constant.val.as_ref()? {
        a_const::Val::Sval(value) => value.sval.clone(),
        a_const::Val::Ival(value) => value.ival.to_string(),
        a_const::Val::Fval(value) => value.fval.clone(),
        a_const::Val::Boolval(value) => value.boolval.to_string(),
        a_const::Val::Bsval(_) => return None,
    })
}

/// Whether a `lock_timeout` value turns the timeout on (`0`, `0s`, `0ms` turn it off).
fn nonzero(value: String) -> bool {
    value
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .any(|c| c.is_ascii_digit() && c != '0')
}

/// How the message names the statement.
fn verb(node: &NodeEnum) -> &'static str {
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
        _ => "This statement",
    }
}

fn help(ctx: &StatementContext) -> String {
    let why = "With a timeout the statement gives up when it cannot get the lock in time: the \
               migration fails and can be retried, instead of stalling the application.";
    let tool = match ctx.migration.migration.kind {
        SourceKind::Drizzle => {
            "Start the migration with `SET LOCAL lock_timeout = '5s';--> statement-breakpoint` \
             (drizzle-kit migrate runs it inside its transaction, so it lasts until the commit). \
             Only this migration counts: earlier ones may have been applied by another run."
        }
        SourceKind::Alembic => {
            "Start upgrade() with `op.execute(\"SET LOCAL lock_timeout = '5s'\")`, or set it for \
             every revision in env.py: `context.execute(\"SET lock_timeout = '5s'\")` inside \
             `with context.begin_transaction():`, before `context.run_migrations()`."
        }
        SourceKind::Plain => {
            "Put `SET lock_timeout = '5s';` at the top of the file (`SET LOCAL` when the file runs \
             in a transaction)."
        }
    };
    format!(
        "{why} {tool} A role or database setting (`ALTER ROLE migrator SET lock_timeout = '5s'`) \
         works too but is invisible to the linter: then turn this rule off in chronos-lint.toml."
    )
}
