//! `migration-modified`: a migration that was already merged has been edited.

use super::{MigrationContext, Rule, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::source::SourceKind;
use crate::source::history::Status;

pub struct MigrationModified;

static META: RuleMeta = RuleMeta {
    id: "migration-modified",
    severity: Severity::Error,
    doc: include_str!("../../rules/migration-modified.md"),
    summary: "A migration that exists at the base ref (--changed-since) was edited since",
};

impl Rule for MigrationModified {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_migration(&self, ctx: &MigrationContext, out: &mut Vec<Finding>) {
        let Some((baseline, Some(Status::Modified))) = ctx.history else {
            return;
        };
        let migration = ctx.migration;
        let consequence = match migration.kind {
            SourceKind::Drizzle => {
                "drizzle-orm's migrator never re-runs an applied migration, so databases that already \
                 applied it keep the old version while new ones get the edited one"
            }
            SourceKind::Alembic => {
                "Alembic never re-runs an applied revision, so databases that already applied it keep \
                 the old version while new ones get the edited one"
            }
            SourceKind::Plain => "databases that already applied it will not get the edit",
        };
        let message = format!(
            "migration `{}` exists at {} ({}) and was edited since: {consequence}",
            migration.name,
            baseline.git_ref,
            &baseline.base_commit[..baseline.base_commit.len().min(12)],
        );
        let help = "Applied history must not change. Revert the edit and put the change in a new \
                    migration.";
        out.push(Finding::new(migration.file, migration.header.clone(), message).help(help));
    }
}
