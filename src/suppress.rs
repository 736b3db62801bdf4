//! Suppression comments.
//!
//! `-- chronos-lint: ignore <id>[, <id>] -- <reason>` on its own line silences those rules on the
//! next statement; `-- chronos-lint: ignore-file <id>[, <id>]` silences them in the whole file.

use std::ops::Range;

use crate::source::FileId;

const MARKER: &str = "-- chronos-lint:";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The next statement: diagnostics starting in this byte range.
    Next(Range<usize>),
    File,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub file: FileId,
    /// The comment's span.
    pub span: Range<usize>,
    pub scope: Scope,
    /// Rule ids with their spans in the comment.
    pub ids: Vec<(String, Range<usize>)>,
    pub reason: Option<String>,
}

/// Whether `text` may hold suppression comments (a quick test before reading it line by line).
pub fn may_have_directives(text: &str) -> bool {
    text.contains(MARKER)
}

/// Reads every directive of a file. `statement_ends` maps a directive to the statement after it:
/// given the directive's end offset it returns the end of the next statement.
pub fn directives(
    file: FileId,
    text: &str,
    statement_end_after: impl Fn(usize) -> usize,
) -> Vec<Directive> {
    let mut found = Vec::new();
    if !may_have_directives(text) {
        return found;
    }
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let start = line_start;
        line_start += line.len();
        let indent = line.len() - line.trim_start().len();
        let Some(body) = line.trim_start().strip_prefix(MARKER) else {
            continue;
        };
        let comment_end = start + line.trim_end().len();
        let body_start = start + indent + MARKER.len();
        let body = body.trim_end();
        let (command, ids_at) = {
            let trimmed = body.trim_start();
            let at = body_start + (body.len() - trimmed.len());
            let word_len = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
            (&trimmed[..word_len], at + word_len)
        };
        let scope = match command {
            "ignore" => Scope::Next(comment_end..statement_end_after(comment_end)),
            "ignore-file" => Scope::File,
            _ => continue,
        };
        let rest = &text[ids_at..comment_end];
        let (ids_text, reason) = match rest.find("--") {
            Some(at) => (
                &rest[..at],
                Some(rest[at + 2..].trim().to_owned()).filter(|r| !r.is_empty()),
            ),
            None => (rest, None),
        };
        let mut ids = Vec::new();
        let mut offset = ids_at;
        for part in ids_text.split(',') {
            let id = part.trim();
            if !id.is_empty() {
                let id_start = offset + part.find(id).unwrap_or(0);
                ids.push((id.to_owned(), id_start..id_start + id.len()));
            }
            offset += part.len() + 1;
        }
        found.push(Directive {
            file,
            span: start + indent..comment_end,
            scope,
            ids,
            reason,
        });
    }
    found
}

impl Directive {
    /// Whether this directive silences `rule` at `span_start` of its file.
    pub fn covers(&self, rule: &str, span_start: usize) -> Option<usize> {
        let index = self.ids.iter().position(|(id, _)| id == rule)?;
        match &self.scope {
            Scope::File => Some(index),
            Scope::Next(range) => range.contains(&span_start).then_some(index),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_reason_and_scope() {
        let text =
            "-- chronos-lint: ignore drop-table, rename-table -- legacy cleanup\nDROP TABLE x;\n";
        let found = directives(0, text, |_| 80);
        assert_eq!(found.len(), 1);
        let directive = &found[0];
        assert_eq!(directive.ids.len(), 2);
        assert_eq!(&text[directive.ids[1].1.clone()], "rename-table");
        assert_eq!(directive.reason.as_deref(), Some("legacy cleanup"));
        assert!(directive.covers("drop-table", 70).is_some());
        assert!(directive.covers("drop-table", 90).is_none());
    }

    #[test]
    fn file_scope_and_unrelated_comments() {
        let text = "-- just a comment\n  -- chronos-lint: ignore-file unowned-table\n";
        let found = directives(3, text, |_| 0);
        assert_eq!(found[0].scope, Scope::File);
        assert!(found[0].covers("unowned-table", 10_000).is_some());
        assert!(found[0].reason.is_none());
    }
}
