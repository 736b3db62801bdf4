//! What a statement's transaction ran before it, as the set driver walks the set.

use std::collections::BTreeMap;

use pg_query::NodeEnum;

use crate::catalog::{LockMode, QualifiedName, TableLock};
use crate::parse::Statement;
use crate::source::{MigrationSet, SourceKind};

/// What a statement's transaction ran before it, kept by the set driver as it goes (so asking
/// costs nothing, however long the transaction): the statements that created or changed types,
/// and the table locks taken, which are held until the transaction ends.
///
/// A statement outside a transaction block is a transaction of its own (with the statements
/// of its `DO` block). drizzle-kit runs all pending migrations in one transaction, so a
/// transaction goes on into the next drizzle migration; an Alembic offline file into the next
/// revision of the same file until a `COMMIT`. Plain files are applied one by one.
#[derive(Debug, Default)]
pub struct TransactionSoFar {
    /// The kind of run the last statement belonged to, and its migration.
    last: Option<(Run, usize)>,
    /// Positions (migration, statement) of `CREATE TYPE ... AS ENUM` and `ALTER TYPE` statements
    /// earlier in the run.
    pub(super) type_changes: Vec<(usize, usize)>,
    /// The strongest table lock earlier statements of the transaction took on each table: of
    /// this migration only for drizzle, whose earlier migrations may have run before.
    locks: BTreeMap<QualifiedName, LockMode>,
}

/// Statements that share a transaction: those in a transaction block, or those of a `DO` block
/// run on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Transaction,
    DoBlock,
}

/// Nothing: for statements seen outside the driver's walk.
pub(super) static NO_TRANSACTION: TransactionSoFar = TransactionSoFar {
    last: None,
    type_changes: Vec::new(),
    locks: BTreeMap::new(),
};

impl TransactionSoFar {
    /// Moves on to `statement` of migration `index` of `set`: afterwards `self` holds what its
    /// transaction ran before it. [`TransactionSoFar::record`] adds it once it is judged.
    pub fn advance(&mut self, set: &MigrationSet, index: usize, statement: &Statement) {
        let run = if statement.in_transaction {
            Some(Run::Transaction)
        } else if statement.in_do_block {
            Some(Run::DoBlock)
        } else {
            None
        };
        let goes_on = match (self.last, run) {
            (Some((last_run, last_index)), Some(run)) if last_run == run => {
                last_index == index
                    || (run == Run::Transaction
                        && set.migrations[index]
                            .may_share_transaction_with(&set.migrations[last_index]))
            }
            _ => false,
        };
        if !goes_on {
            self.type_changes.clear();
            self.locks.clear();
        } else if self.last.is_some_and(|(_, last_index)| last_index != index)
            && set.migrations[index].kind() == SourceKind::Drizzle
        {
            // Earlier drizzle migrations may have been applied by another run: their locks
            // are not known to be held.
            self.locks.clear();
        }
        self.last = run.map(|run| (run, index));
    }

    /// Adds `statement` (statement `position` of migration `index`), which takes `locks`, to
    /// its transaction.
    pub fn record(
        &mut self,
        index: usize,
        position: usize,
        statement: &Statement,
        locks: &[TableLock],
    ) {
        if self.last.is_none() {
            return;
        }
        if is_looked_back_at(&statement.node) {
            self.type_changes.push((index, position));
        }
        for lock in locks {
            let held = self.locks.entry(lock.table.clone()).or_insert(lock.mode);
            *held = (*held).max(lock.mode);
        }
    }

    /// The strongest lock earlier statements of the transaction took on `table` and still hold.
    pub fn lock_held_on(&self, table: &QualifiedName) -> Option<LockMode> {
        self.locks.get(table).copied()
    }
}

/// Whether a later statement of the same transaction may look back at `node`: only the type
/// changes ([`TransactionSoFar::type_changes`]) are, so a judged migration whose transaction
/// goes on can let go of every other statement's tree.
pub fn is_looked_back_at(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::CreateEnumStmt(_) | NodeEnum::AlterEnumStmt(_)
    )
}
