//! Suppression comments.
//!
//! `-- chronos-lint: ignore <id>[, <id>] -- <reason>` on its own line silences those rules on the
//! next statement; `-- chronos-lint: ignore-file <id>[, <id>]` silences them in the whole file.

use std::ops::Range;

use crate::parse;
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

/// Whether `text` may hold suppression comments (a quick test before scanning it).
pub fn may_have_directives(text: &str) -> bool {
    text.contains(MARKER)
}

/// Reads every directive of a file. `statement_ends` maps a directive to the statement after it:
/// given the directive's end offset it returns the end of the next statement.
///
/// Only real comments count, found as PostgreSQL's scanner reads the file: the marker inside a
/// string, a dollar-quoted body (a function's, or a `DO` block's) or a block comment is text.
pub fn directives(
    file: FileId,
    text: &str,
    statement_end_after: impl Fn(usize) -> usize,
) -> Vec<Directive> {
    let mut found = Vec::new();
    if !may_have_directives(text) {
        return found;
    }
    for comment in parse::text::line_comments(text) {
        let (start, comment_end) = (comment.span.start, comment.span.end);
        let Some(body) = text[start..comment_end]
            .strip_prefix(MARKER)
            .filter(|_| comment.own_line)
        else {
            continue;
        };
        let comment_end = start + text[start..comment_end].trim_end().len();
        let body_start = start + MARKER.len();
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
            span: start..comment_end,
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

    #[test]
    fn only_real_comments_count() {
        let text = "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\n\
                    -- chronos-lint: ignore-file drop-table\nBEGIN END $$;\n\
                    SELECT '\n-- chronos-lint: ignore-file drop-table\n', $t$\n\
                    -- chronos-lint: ignore-file drop-table\n$t$;\n\
                    /* nested /* block */\n-- chronos-lint: ignore-file drop-table\n*/\n\
                    SELECT \"\n-- chronos-lint: ignore-file drop-table\n\";\n\
                    SELECT 1; -- chronos-lint: ignore-file drop-table\n\
                    \u{feff}-- chronos-lint: ignore-file rename-table\r\n";
        let found = directives(0, text, |_| 0);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].ids[0].0, "rename-table");
        assert!(text[found[0].span.clone()].ends_with("rename-table"));
    }
}
