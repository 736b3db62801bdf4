//! `migration-modified`: a migration that was already merged has been edited.

use crate::diagnostic::Finding;
use crate::engine::{MigrationContext, Rule, SetContext, declare_rule};
use crate::source::SourceKind;
use crate::source::history::Status;

declare_rule! {
    pub struct MigrationModified {
        id: "migration-modified",
        family: Migration,
        severity: Error,
        summary: "A migration that exists at the base ref (--changed-since) was edited since",
    }
}

impl Rule for MigrationModified {
    fn check_migration(&self, ctx: &MigrationContext, out: &mut Vec<Finding>) {
        let Some((baseline, Some(Status::Modified))) = ctx.history else {
            return;
        };
        let migration = ctx.migration;
        let consequence = match migration.kind() {
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

    /// With `--database-url`: drizzle migrations whose file no longer hashes to what the database
    /// recorded when it applied them, and applied migrations the folder no longer has.
    fn check_set(&self, ctx: &SetContext, out: &mut Vec<Finding>) {
        let (Some(applied), Some(journal)) = (ctx.applied, &ctx.set.journal) else {
            return;
        };
        for row in applied {
            let entry = journal
                .entries
                .iter()
                .find(|entry| Some(entry.when) == row.created_at);
            let migration =
                entry.and_then(|entry| ctx.set.migrations.iter().find(|m| m.name == entry.tag));
            match (entry, migration) {
                (Some(_), Some(migration)) => {
                    let file = &ctx.files[migration.file];
                    let hash = hex_sha256(file.text.as_bytes());
                    if hash != row.hash {
                        let message = format!(
                            "migration `{}` was applied to the database and edited since (database hash \
                             {}…, file hash {}…)",
                            migration.name,
                            &row.hash[..row.hash.len().min(12)],
                            &hash[..12]
                        );
                        let help = "The database will never run the edited version. Revert the file to \
                                    what was applied and put the change in a new migration.";
                        out.push(
                            Finding::new(migration.file, migration.header.clone(), message)
                                .help(help)
                                .about(&migration.name),
                        );
                    }
                }
                _ => {
                    let when = row
                        .created_at
                        .map_or_else(|| "unknown".to_owned(), |when| when.to_string());
                    let message = format!(
                        "the database applied a migration (created_at {when}, hash {}…) that this folder \
                         does not have",
                        &row.hash[..row.hash.len().min(12)]
                    );
                    let help = "A migration was deleted or renamed after it ran, or the database was \
                                migrated from another branch. Restore the migration in the journal and folder.";
                    out.push(
                        Finding::new(journal.file, ctx.files[journal.file].first_line(), message)
                            .help(help),
                    );
                }
            }
        }
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
