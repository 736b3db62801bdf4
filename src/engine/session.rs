//! The session settings a statement runs with (`lock_timeout`, `statement_timeout`), kept by
//! the set driver as it walks the set, so that asking costs nothing however long the migration.

use pg_query::NodeEnum;
use pg_query::protobuf::{Node, VariableSetKind, a_const};

use crate::catalog::{Catalog, LockMode, TableLock, Work, row_work};
use crate::parse::{Statement, ast};
use crate::source::{MigrationSet, SourceKind};

/// What the session of a statement has set, and done, before it.
///
/// The session is the migration's own for drizzle (earlier migrations may have been applied by
/// another run) and plain files; for Alembic, the whole offline file (one `alembic upgrade` run).
#[derive(Debug, Default)]
pub struct SessionSoFar {
    /// The migration of the last statement seen.
    last: Option<usize>,
    pub lock_timeout: Timeout,
    pub statement_timeout: Timeout,
}

/// One timeout setting as the session sees it.
#[derive(Debug, Default, Clone)]
pub struct Timeout {
    session: bool,
    local: Option<bool>,
    /// An earlier statement of this migration took a lock of SHARE or stronger on a table that
    /// existed before the migration while the timeout was off (for `statement_timeout`: and
    /// read or wrote every row under it).
    locked_without: bool,
}

impl Timeout {
    /// Whether a nonzero timeout is in effect: set for the session, or for the open transaction.
    pub fn in_effect(&self) -> bool {
        self.local.unwrap_or(self.session)
    }

    /// Whether an earlier statement of this migration already took a lock of SHARE or stronger
    /// on an existing table without this timeout.
    pub fn locked_without(&self) -> bool {
        self.locked_without
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

/// Nothing set: for statements seen outside the driver's walk.
pub(super) static NO_SESSION: SessionSoFar = SessionSoFar {
    last: None,
    lock_timeout: Timeout {
        session: false,
        local: None,
        locked_without: false,
    },
    statement_timeout: Timeout {
        session: false,
        local: None,
        locked_without: false,
    },
};

impl SessionSoFar {
    /// Moves on to a statement of migration `index` of `set`.
    pub fn advance(&mut self, set: &MigrationSet, index: usize) {
        if self.last == Some(index) {
            return;
        }
        let same_session = self.last.is_some_and(|last| {
            let (now, before) = (&set.migrations[index], &set.migrations[last]);
            now.kind() == SourceKind::Alembic
                && before.kind() == now.kind()
                && before.file == now.file
        });
        for timeout in [&mut self.lock_timeout, &mut self.statement_timeout] {
            timeout.locked_without = false;
            if !same_session {
                *timeout = Timeout::default();
            }
        }
        self.last = Some(index);
    }

    /// Adds `statement` of migration `migration`, run with `catalog` (the schema before it) on
    /// `pg_version`, taking `locks`: the locks it takes and the settings it changes.
    pub fn record(
        &mut self,
        catalog: &Catalog,
        migration: usize,
        pg_version: u32,
        statement: &Statement,
        locks: &[TableLock],
    ) {
        let unguarded = |t: &Timeout| !t.in_effect() && !t.locked_without;
        if !statement.bookkeeping {
            let node = &statement.node;
            if unguarded(&self.lock_timeout)
                && strong_lock_on_existing_table(catalog, migration, locks).is_some()
            {
                self.lock_timeout.locked_without = true;
            }
            if unguarded(&self.statement_timeout)
                && long_lock_on_existing_table(catalog, migration, pg_version, node, locks)
                    .is_some()
            {
                self.statement_timeout.locked_without = true;
            }
        }
        self.apply(statement);
    }

    /// Adds the settings `statement` changes (for a migration replayed, not judged).
    pub fn record_settings(&mut self, statement: &Statement) {
        self.apply(statement);
    }

    fn timeout(&mut self, name: &str) -> Option<&mut Timeout> {
        match name {
            "lock_timeout" => Some(&mut self.lock_timeout),
            "statement_timeout" => Some(&mut self.statement_timeout),
            _ => None,
        }
    }

    fn apply(&mut self, statement: &Statement) {
        let in_transaction = statement.in_transaction;
        match &statement.node {
            // COMMIT and ROLLBACK end what SET LOCAL set.
            NodeEnum::TransactionStmt(_) if !in_transaction => {
                self.lock_timeout.local = None;
                self.statement_timeout.local = None;
            }
            NodeEnum::VariableSetStmt(stmt) => {
                let kind =
                    VariableSetKind::try_from(stmt.kind).unwrap_or(VariableSetKind::Undefined);
                if kind == VariableSetKind::VarResetAll {
                    for timeout in [&mut self.lock_timeout, &mut self.statement_timeout] {
                        timeout.session = false;
                        timeout.local = None;
                    }
                    return;
                }
                let on = kind == VariableSetKind::VarSetValue
                    && stmt
                        .args
                        .first()
                        .and_then(setting_value)
                        .is_some_and(nonzero);
                if let Some(timeout) = self.timeout(&stmt.name) {
                    timeout.set(on, stmt.is_local, in_transaction);
                }
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
                    let Some(name) = setting_value(&call.args[0]) else {
                        continue;
                    };
                    let on = setting_value(&call.args[1]).is_some_and(nonzero);
                    let local = setting_value(&call.args[2])
                        .is_some_and(|v| matches!(v.as_str(), "true" | "t" | "on"));
                    if let Some(timeout) = self.timeout(&name) {
                        timeout.set(on, local, in_transaction);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The strongest of a statement's `locks` of SHARE or stronger on a table that existed before
/// migration `migration` (the altered table rather than the one a foreign key references, when
/// both are locked alike).
pub fn strong_lock_on_existing_table<'l>(
    catalog: &Catalog,
    migration: usize,
    locks: &'l [TableLock],
) -> Option<&'l TableLock> {
    locks
        .iter()
        .filter(|lock| {
            lock.mode >= LockMode::Share && catalog.existed_before(&lock.table, migration)
        })
        .max_by_key(|lock| lock.mode)
}

/// The lock of SHARE or stronger of `locks`, those `node` takes, that it holds on a table that
/// existed before migration `migration` while it reads or writes every row of it (a rewrite, a
/// scan, an index build), on `pg_version`, with the work: what makes it hold the lock for as
/// long as the table is large.
pub fn long_lock_on_existing_table<'l>(
    catalog: &Catalog,
    migration: usize,
    pg_version: u32,
    node: &NodeEnum,
    locks: &'l [TableLock],
) -> Option<(&'l TableLock, Work)> {
    let found = row_work(catalog, node, pg_version)?;
    let lock = locks
        .iter()
        .filter(|lock| {
            lock.mode >= LockMode::Share
                && found.tables.contains(&lock.table)
                && catalog.existed_before(&lock.table, migration)
        })
        .max_by_key(|lock| lock.mode)?;
    Some((lock, found.work))
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

/// Whether a timeout value turns the timeout on (`0`, `0s`, `0ms` turn it off).
fn nonzero(value: String) -> bool {
    value
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .any(|c| c.is_ascii_digit() && c != '0')
}
