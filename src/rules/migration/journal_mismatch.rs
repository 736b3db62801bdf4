//! `journal-mismatch`: a drizzle journal and its folder disagree, or its order is broken.

use crate::diagnostic::Finding;
use crate::engine::{Rule, SetContext, declare_rule};

declare_rule! {
    pub struct JournalMismatch {
        id: "journal-mismatch",
        family: Migration,
        severity: Error,
        summary: "drizzle meta/_journal.json and the migration files disagree, or idx/when are out of order",
    }
}

impl Rule for JournalMismatch {
    fn check_set(&self, ctx: &SetContext, out: &mut Vec<Finding>) {
        let Some(journal) = &ctx.set.journal else {
            return;
        };
        let mut previous: Option<&crate::source::JournalEntry> = None;
        let mut seen_idx = std::collections::HashSet::new();
        let mut seen_tags = std::collections::HashMap::new();
        for entry in &journal.entries {
            let finding = |message: String, help: &str| {
                Finding::new(journal.file, entry.span.clone(), message)
                    .help(help.to_owned())
                    .about(&entry.tag)
            };
            if !entry.file_found {
                out.push(finding(
                    format!("journal entry `{}` has no file `{}.sql` in the folder", entry.tag, entry.tag),
                    "drizzle-kit migrate fails on a missing file. Restore the file, or regenerate the \
                     journal with drizzle-kit instead of editing it by hand.",
                ));
            }
            let first = *seen_tags.entry(entry.tag.as_str()).or_insert(entry);
            if !std::ptr::eq(first, entry) {
                out.push(finding(
                    format!(
                        "`{}` is listed again (idx {}, first at idx {}): drizzle-orm's migrator runs \
                         `{}.sql` once per entry",
                        entry.tag, entry.idx, first.idx, entry.tag
                    ),
                    "A merge kept both sides of the journal. Remove the repeated entry, or regenerate \
                     the journal with drizzle-kit instead of editing it by hand.",
                ));
            }
            if !seen_idx.insert(entry.idx) {
                out.push(finding(
                    format!("duplicate idx {} at `{}`", entry.idx, entry.tag),
                    "Two branches each added a migration with the same number. Regenerate the later one \
                     on top of the merged journal (`drizzle-kit generate`).",
                ));
            } else if let Some(prev) =
                previous.filter(|prev| prev.idx.checked_add(1) != Some(entry.idx))
            {
                out.push(finding(
                    format!("idx {} of `{}` does not follow idx {} of `{}`", entry.idx, entry.tag, prev.idx, prev.tag),
                    "Journal entries are numbered 0, 1, 2, ... in order; a gap or step back means an entry \
                     was removed or merged by hand.",
                ));
            }
            if let Some(prev) = previous.filter(|prev| entry.when <= prev.when) {
                out.push(finding(
                    format!(
                        "`when` of `{}` ({}) is not newer than `{}` ({}): databases that already applied \
                         `{}` will silently never apply it",
                        entry.tag, entry.when, prev.tag, prev.when, prev.tag
                    ),
                    "drizzle-orm's migrator applies only journal entries whose `when` is newer than the last \
                     applied migration. An entry merged from an older branch keeps its old timestamp: \
                     regenerate the migration after merging so it gets a new one.",
                ));
            }
            previous = Some(entry);
        }
        for &file in &journal.unlisted {
            let source = &ctx.files[file];
            let name = source
                .path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            out.push(
                Finding::new(file, source.first_line(), format!("`{name}` is not listed in meta/_journal.json"))
                    .help(
                        "drizzle-kit migrate only applies migrations listed in the journal, so this file never \
                         runs. Add it with drizzle-kit, or delete it if it was abandoned.",
                    ),
            );
        }
    }
}
