//! `alembic-revision-gap`: a revision does not continue from one already applied in order.

use std::collections::HashSet;

use super::{Rule, RuleMeta, SetContext};
use crate::diagnostic::{Finding, Severity};

pub struct AlembicRevisionGap;

static META: RuleMeta = RuleMeta {
    id: "alembic-revision-gap",
    severity: Severity::Error,
    doc: include_str!("../../rules/alembic-revision-gap.md"),
    summary: "An Alembic revision's down-revision is not a revision that ran before it",
};

impl Rule for AlembicRevisionGap {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_set(&self, ctx: &SetContext, out: &mut Vec<Finding>) {
        // Revisions seen so far in the set; branches may continue from any of them.
        let mut seen: HashSet<&str> = HashSet::new();
        let mut last: Option<&str> = None;
        for migration in &ctx.set.migrations {
            let Some(revision) = &migration.revision else {
                continue;
            };
            if revision.downgrade {
                seen.insert(&revision.to);
                last = Some(&revision.to);
                continue;
            }
            if let Some(last) = last {
                let missing: Vec<&str> = revision
                    .from
                    .iter()
                    .map(String::as_str)
                    .filter(|from| !seen.contains(from))
                    .collect();
                let message = if revision.from.is_empty() {
                    Some(format!(
                        "revision `{}` starts a new history after `{last}`",
                        revision.to
                    ))
                } else if !missing.is_empty() {
                    Some(format!(
                        "revision `{}` continues from `{}`, which did not run before it (the previous revision is `{last}`)",
                        revision.to,
                        missing.join("`, `")
                    ))
                } else {
                    None
                };
                if let Some(message) = message {
                    let help = "Revisions between them are missing from the offline SQL, so the database would \
                                skip them. Render the whole range (`alembic upgrade <from>:<to> --sql`) or \
                                fix the revision's `down_revision`.";
                    out.push(
                        Finding::new(migration.file, migration.header.clone(), message)
                            .help(help)
                            .about(&migration.name),
                    );
                }
            }
            seen.extend(revision.from.iter().map(String::as_str));
            seen.insert(&revision.to);
            last = Some(&revision.to);
        }
    }
}
