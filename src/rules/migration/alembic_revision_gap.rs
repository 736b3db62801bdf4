//! `alembic-revision-gap`: a revision does not continue from one already applied in order.

use std::collections::HashSet;

use crate::diagnostic::Finding;
use crate::engine::{Rule, SetContext, declare_rule};

declare_rule! {
    pub struct AlembicRevisionGap {
        id: "alembic-revision-gap",
        family: Migration,
        severity: Error,
        summary: "An Alembic revision's down-revision is not a revision that ran before it, or the chain loops",
    }
}

impl Rule for AlembicRevisionGap {
    fn check_set(&self, ctx: &SetContext, out: &mut Vec<Finding>) {
        // Revisions seen so far in the set; branches may continue from any of them.
        let mut seen: HashSet<&str> = HashSet::new();
        // Revisions in the database at this point: upgraded to or from, and not downgraded.
        let mut applied: HashSet<&str> = HashSet::new();
        let mut last: Option<&str> = None;
        let mut previous_file = None;
        for migration in &ctx.set.migrations {
            let Some(revision) = &migration.revision else {
                continue;
            };
            let to = revision.to.as_str();
            if revision.downgrade {
                for from in &revision.from {
                    applied.remove(from.as_str());
                }
                applied.insert(to);
                seen.insert(to);
                last = Some(to);
                previous_file = Some(migration.file);
                continue;
            }
            let missing: Vec<&str> = revision
                .from
                .iter()
                .map(String::as_str)
                .filter(|from| !seen.contains(from))
                .collect();
            // An Alembic project is rendered from its whole graph, where another base (a branch
            // of its own, `down_revision = None`) is legitimate.
            let rendered = migration.script.is_some();
            // A file that starts from base creates `alembic_version`: it is a render for an
            // empty database of its own (another project's, say), not a continuation.
            let own_database = revision.from.is_empty()
                && previous_file != Some(migration.file)
                && ctx.files[migration.file]
                    .text
                    .contains("CREATE TABLE alembic_version");
            let new_history =
                last.is_some() && revision.from.is_empty() && !rendered && !own_database;
            let gap = last.is_some() && !missing.is_empty();
            let previous = last.unwrap_or_default();
            let finding = if revision.from.iter().any(|from| from == to) {
                Some((
                    format!("revision `{to}` continues from itself"),
                    "A revision cannot follow itself, and Alembic refuses a revision graph with a \
                     cycle. Fix the revision's `down_revision`.",
                ))
            } else if new_history {
                Some((
                    format!("revision `{to}` starts a new history after `{previous}`"),
                    GAP_HELP,
                ))
            } else if applied.contains(to) {
                Some((
                    format!(
                        "`{} -> {to}` runs revision `{to}` again: it already ran earlier in this set \
                         (a circular revision chain, or a range rendered twice)",
                        revision.from.join(", ")
                    ),
                    "Alembic refuses a revision graph with a cycle, and the database would run the \
                     revision a second time. Fix the `down_revision` that points back, or render \
                     each range once.",
                ))
            } else if gap {
                Some((
                    format!(
                        "revision `{to}` continues from `{}`, which did not run before it (the previous revision is `{previous}`)",
                        missing.join("`, `")
                    ),
                    GAP_HELP,
                ))
            } else {
                None
            };
            if let Some((message, help)) = finding {
                out.push(
                    Finding::new(migration.file, migration.header.clone(), message)
                        .help(help)
                        .about(&migration.name),
                );
            }
            // After a gap the sections are not one database's history (a folder of several
            // renders, say): what ran before them says nothing about running again.
            if new_history || gap || own_database {
                applied.clear();
            }
            previous_file = Some(migration.file);
            seen.extend(revision.from.iter().map(String::as_str));
            seen.insert(to);
            applied.extend(revision.from.iter().map(String::as_str));
            applied.insert(to);
            last = Some(to);
        }
    }
}

const GAP_HELP: &str = "Revisions between them are missing from the offline SQL, so the database \
                        would skip them. Render the whole range (`alembic upgrade <from>:<to> --sql`) \
                        or fix the revision's `down_revision`.";
