//! `snapshot-drift`: the schema the drizzle migrations really produce (applied to the shadow
//! database) differs from drizzle-kit's last `meta/NNNN_snapshot.json`. What differs is
//! [`crate::snapshot_diff`]'s; the rule places each difference at the snapshot's keys.

use std::collections::HashSet;
use std::ops::Range;

use crate::catalog::QualifiedName;
use crate::diagnostic::Finding;
use crate::engine::{Rule, TraceContext, declare_rule};
use crate::snapshot_diff;
use crate::source::snapshot::Snapshot;

declare_rule! {
    pub struct SnapshotDrift {
        id: "snapshot-drift",
        family: Shadow,
        severity: Error,
        summary: "with --shadow: the schema after the last drizzle migration differs from its meta/NNNN_snapshot.json",
    }
}

const HELP: &str = "drizzle-kit writes the next migration by diffing your TypeScript schema against \
                    this snapshot, so the next `drizzle-kit generate` will repeat or miss this \
                    change. Usually a generated migration was edited by hand, or a custom \
                    migration changes the schema. Make them agree: put the change in the \
                    TypeScript schema and regenerate, instead of editing the SQL.";

impl Rule for SnapshotDrift {
    fn check_trace(&self, ctx: &TraceContext, out: &mut Vec<Finding>) {
        let Some(journal) = &ctx.set.journal else {
            return;
        };
        let (Some(file), Some(schema), Some(last)) = (
            journal.snapshot,
            &ctx.trace.schema,
            ctx.set.migrations.last(),
        ) else {
            return;
        };
        let text = &ctx.files[file].text;
        let snapshot = match Snapshot::parse(text) {
            Ok(snapshot) => snapshot,
            Err(err) => {
                out.push(
                    Finding::new(
                        file,
                        ctx.files[file].first_line(),
                        format!("cannot read the drizzle snapshot: {err}"),
                    )
                    .about(&last.name),
                );
                return;
            }
        };
        if !snapshot.is_postgres() {
            return;
        }
        // Tables this set made (others in the database belong to other sets).
        let created: HashSet<&QualifiedName> = ctx
            .trace
            .migrations
            .iter()
            .flat_map(|m| &m.statements)
            .flat_map(|s| &s.created)
            .filter(|r| matches!(r.kind, 'r' | 'p'))
            .map(|r| &r.name)
            .collect();
        let differences = snapshot_diff::diff(&snapshot, schema, &created);
        out.extend(differences.into_iter().map(|difference| {
            let path: Vec<&str> = difference.path.iter().map(String::as_str).collect();
            Finding::new(file, span_of(text, &path), difference.message)
                .help(HELP)
                .about(&last.name)
        }));
    }
}

/// The deepest key of `path` the snapshot has, else its first line.
fn span_of(text: &str, path: &[&str]) -> Range<usize> {
    (1..=path.len())
        .rev()
        .find_map(|len| key_span(text, &path[..len]))
        .unwrap_or(0..text.find('\n').unwrap_or(text.len()))
}

/// The span of the JSON key at `path` (each key searched after the previous one).
fn key_span(text: &str, path: &[&str]) -> Option<Range<usize>> {
    let mut from = 0;
    let mut span = None;
    for key in path {
        let quoted = serde_json::to_string(key).ok()?;
        let mut search = from;
        let found = loop {
            let at = search + text[search..].find(&quoted)?;
            let end = at + quoted.len();
            if text[end..].trim_start().starts_with(':') {
                break at..end;
            }
            search = end;
        };
        from = found.end;
        span = Some(found);
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys() {
        let text = r#"{"tables": {"public.a": {"columns": {"id": {"name": "id"}}}}}"#;
        let span = key_span(text, &["tables", "public.a", "columns", "id"]).unwrap();
        assert_eq!(&text[span], "\"id\"");
    }
}
