//! `transaction-control`: `BEGIN`, `COMMIT`, `ROLLBACK` or `END` written into a migration whose
//! tool already runs it in a transaction, or left unbalanced in one that runs on its own.

use pg_query::NodeEnum;
use pg_query::protobuf::TransactionStmtKind;

use crate::catalog::Catalog;
use crate::diagnostic::Finding;
use crate::engine::{MigrationContext, Rule, declare_rule};
use crate::source::SourceKind;

declare_rule! {
    pub struct TransactionControl {
        id: "transaction-control",
        family: Migration,
        severity: Warning,
        summary: "BEGIN/COMMIT/ROLLBACK inside a migration its tool already wraps, or a transaction left unbalanced",
    }
}

/// What a transaction statement does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Control {
    Begin,
    Commit,
    Rollback,
}

fn control(node: &NodeEnum) -> Option<(Control, &'static str)> {
    let NodeEnum::TransactionStmt(stmt) = node else {
        return None;
    };
    match TransactionStmtKind::try_from(stmt.kind).ok()? {
        TransactionStmtKind::TransStmtBegin => Some((Control::Begin, "BEGIN")),
        TransactionStmtKind::TransStmtStart => Some((Control::Begin, "START TRANSACTION")),
        TransactionStmtKind::TransStmtCommit if stmt.chain => {
            Some((Control::Commit, "COMMIT AND CHAIN"))
        }
        TransactionStmtKind::TransStmtCommit => Some((Control::Commit, "COMMIT")),
        TransactionStmtKind::TransStmtRollback => Some((Control::Rollback, "ROLLBACK")),
        TransactionStmtKind::TransStmtPrepare => Some((Control::Commit, "PREPARE TRANSACTION")),
        // SAVEPOINT, RELEASE and ROLLBACK TO work inside the tool's transaction and end nothing.
        _ => None,
    }
}

impl Rule for TransactionControl {
    fn after_migration(&self, ctx: &MigrationContext, catalog: &Catalog, out: &mut Vec<Finding>) {
        let migration = ctx.migration;
        // Alembic's offline SQL writes its own BEGIN and COMMIT, which cannot be told apart from
        // a revision's here.
        if migration.kind() == SourceKind::Alembic {
            return;
        }
        // The transaction of a file sent as one query string (golang-migrate, Prisma) is the
        // implicit one of several statements: an explicit `BEGIN` turns it into a regular one,
        // which `COMMIT` ends, so the file's own BEGIN and COMMIT are judged as in a file run
        // on its own.
        let wrapped =
            migration.starts_in_transaction && !migration.layout.sends_file_as_one_query();
        let controls: Vec<(usize, Control, &str)> = ctx
            .parsed
            .statements
            .iter()
            .enumerate()
            .filter(|(_, statement)| !statement.in_do_block)
            .filter_map(|(at, statement)| {
                control(&statement.node).map(|(control, written)| (at, control, written))
            })
            .collect();
        if wrapped {
            for &(at, control, written) in &controls {
                let statement = ctx.statement_at(at, catalog);
                let (message, help) = wrapped_finding(migration.kind(), control, written);
                out.push(
                    statement
                        .finding(statement.first_token_span(), message)
                        .help(help),
                );
            }
            return;
        }
        // Run on its own: each BEGIN needs its COMMIT (or ROLLBACK), and each of those a BEGIN.
        let mut open: Option<usize> = None;
        for &(at, control, written) in &controls {
            let statement = ctx.statement_at(at, catalog);
            match (control, open) {
                (Control::Begin, None) => open = Some(at),
                (Control::Begin, Some(_)) => out.push(
                    statement
                        .finding(
                            statement.first_token_span(),
                            format!(
                                "`{written}` inside a transaction this migration already began: \
                                 PostgreSQL only warns, and the first `COMMIT` ends both"
                            ),
                        )
                        .help(
                            "Remove the inner one: PostgreSQL has no nested transactions \
                               (use SAVEPOINT for a part that may be rolled back).",
                        ),
                ),
                (Control::Commit | Control::Rollback, Some(_)) => open = None,
                (Control::Commit | Control::Rollback, None) => out.push(
                    statement
                        .finding(
                            statement.first_token_span(),
                            format!(
                                "`{written}` with no transaction open: the statements before it \
                                 ran and were committed one by one, so it ends nothing"
                            ),
                        )
                        .help(
                            "Add the `BEGIN` it belongs to at the start of the migration, or \
                               remove it.",
                        ),
                ),
            }
        }
        if let Some(at) = open {
            let statement = ctx.statement_at(at, catalog);
            out.push(
                statement
                    .finding(
                        statement.first_token_span(),
                        "`BEGIN` with no `COMMIT`: when the session ends, PostgreSQL rolls the \
                         open transaction back, and nothing of this migration is applied",
                    )
                    .help("End the migration with `COMMIT;`."),
            );
        }
    }
}

/// The finding for transaction control inside the transaction the tool keeps.
fn wrapped_finding(kind: SourceKind, control: Control, written: &str) -> (String, String) {
    let (tool, whose) = match kind {
        SourceKind::Drizzle => (
            "a drizzle migration",
            "drizzle-orm's migrator runs every pending migration in one transaction",
        ),
        _ => (
            "a migration run in a transaction (`in_transaction` in chronos-lint.toml)",
            "the migration already runs in a transaction",
        ),
    };
    let message = match control {
        Control::Begin => format!(
            "`{written}` inside {tool}: {whose}, so PostgreSQL only warns, and the migration's \
             own `COMMIT`, if any, ends that transaction midway"
        ),
        Control::Commit => format!(
            "`{written}` inside {tool} commits the transaction midway: {whose}, so what follows \
             (the rest of this migration, later pending ones and the migrator's bookkeeping) runs \
             outside any transaction, and a failure after this point leaves a half-applied deploy"
        ),
        Control::Rollback => format!(
            "`{written}` inside {tool} undoes everything applied before it in the transaction: \
             {whose}, and what follows runs outside any transaction"
        ),
    };
    let help = "Leave the transaction to the tool and remove the statement. A statement that \
                cannot run in a transaction (`CREATE INDEX CONCURRENTLY`, `VACUUM`) belongs \
                outside the migration (see concurrent-in-transaction)."
        .to_owned();
    (message, help)
}
