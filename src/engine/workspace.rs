//! What the rules see across migration sets. With no owners' table patterns configured, a table
//! belongs to the migration system (the set) whose migrations create it, and only the whole
//! workspace knows which that is: each set records the tables it uses without having created
//! them first, and the workspace hook judges those uses once every set is linted.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::catalog::{Action, QualifiedName};
use crate::config::Config;
use crate::diagnostic::Finding;
use crate::source::{FileId, Workspace};

/// A statement's use of a table its set had not created before it: the set's first `CREATE` of
/// the table, or a use of a table some other system may create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableUse {
    pub table: QualifiedName,
    pub action: Action,
    /// The name written, when it was not the table's (an index name).
    pub via: Option<String>,
    /// For a foreign key's referenced table: the table the key is on.
    pub from: Option<QualifiedName>,
    pub file: FileId,
    /// The table's name in the statement.
    pub span: Range<usize>,
    pub migration: Arc<str>,
}

/// Every set's table uses, with the system that creates each table.
pub struct WorkspaceContext<'a> {
    pub config: &'a Config,
    pub workspace: &'a Workspace,
    /// Per set, in workspace order.
    pub uses: &'a [Vec<TableUse>],
    /// The first set (in workspace order) whose migrations create each table.
    creators: HashMap<&'a QualifiedName, usize>,
}

impl<'a> WorkspaceContext<'a> {
    pub fn new(config: &'a Config, workspace: &'a Workspace, uses: &'a [Vec<TableUse>]) -> Self {
        let mut creators = HashMap::new();
        for (set, set_uses) in uses.iter().enumerate() {
            for table_use in set_uses {
                if table_use.action == Action::Create {
                    creators.entry(&table_use.table).or_insert(set);
                }
            }
        }
        WorkspaceContext {
            config,
            workspace,
            uses,
            creators,
        }
    }

    /// The set whose migrations create `table`, when one does.
    pub fn creator(&self, table: &QualifiedName) -> Option<usize> {
        self.creators.get(table).copied()
    }

    /// Set `set` named for a person: its folder and kind (`` `db/drizzle` (drizzle) ``).
    pub fn system(&self, set: usize) -> String {
        let set = &self.workspace.sets[set];
        let kind = set.layout().name();
        // As file names are shown: without a leading `./`.
        let root = set.root.strip_prefix(".").unwrap_or(&set.root);
        let root = if root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            root
        };
        format!("`{}` ({kind})", root.display())
    }

    /// A finding at `table_use`, about its migration.
    pub fn finding(&self, table_use: &TableUse, message: impl Into<String>) -> Finding {
        Finding::new(table_use.file, table_use.span.clone(), message)
            .about(table_use.migration.as_ref())
    }
}
