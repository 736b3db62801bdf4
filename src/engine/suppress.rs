//! Suppression comments.
//!
//! `-- chronos-lint: ignore <id>[, <id>] -- <reason>` on its own line silences those rules on the
//! next statement, and at the end of a statement's line on that statement;
//! `-- chronos-lint: ignore-file <id>[, <id>]` silences them in the whole file. `/* ... */`
//! comments work the same way. A comment that starts with `chronos-lint` and is not one of these
//! is reported, so a suppression that silences nothing for a typo does not go unnoticed.

use std::collections::HashMap;
use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::parse;
use crate::source::{FileId, SourceFile};

/// What a suppression comment starts with.
const MARKER: &str = "chronos-lint";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One statement: diagnostics starting in this byte range.
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

/// A comment that starts with `chronos-lint` but is no suppression: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub file: FileId,
    pub span: Range<usize>,
    pub problem: String,
}

/// Whether `text` may hold suppression comments (a quick test before scanning it).
pub fn may_have_directives(text: &str) -> bool {
    text.contains(MARKER)
}

/// Reads every suppression comment of a file. `statements`: the spans of its statements, which
/// tell what an `ignore` comment applies to.
///
/// Only real comments count, found as PostgreSQL's scanner reads the file: the marker inside a
/// string, a dollar-quoted body (a function's, or a `DO` block's) or nested in a block comment is
/// text.
pub fn directives(
    file: FileId,
    text: &str,
    statements: &[Range<usize>],
) -> (Vec<Directive>, Vec<Malformed>) {
    let (mut found, mut malformed) = (Vec::new(), Vec::new());
    if !may_have_directives(text) {
        return (found, malformed);
    }
    for comment in parse::text::comments(text) {
        let (start, end) = (comment.span.start, comment.span.end);
        let inner = if comment.block {
            start + 2..end - usize::from(text[start..end].ends_with("*/") && end >= start + 4) * 2
        } else {
            start + 2..end
        };
        let body = &text[inner.clone()];
        let lead = body.len() - body.trim_start().len();
        let Some(after_marker) = body.trim_start().strip_prefix(MARKER) else {
            continue;
        };
        // The comment as reported: without trailing spaces (or a CR before the line break).
        let span = start..start + text[start..end].trim_end().len();
        let marker_end = inner.start + lead + MARKER.len();
        let body_end = inner.start + body.trim_end().len();
        let bad = |problem: String| Malformed {
            file,
            span: span.clone(),
            problem,
        };
        let Some(after_colon) = after_marker.strip_prefix(':') else {
            malformed.push(bad(
                "suppression comment without its colon: expected `chronos-lint:`".to_owned(),
            ));
            continue;
        };
        let verb_at =
            (marker_end + 1 + (after_colon.len() - after_colon.trim_start().len())).min(body_end);
        let verb_len = text[verb_at..body_end]
            .find(char::is_whitespace)
            .unwrap_or(body_end - verb_at);
        let verb = &text[verb_at..verb_at + verb_len];
        let scope = match verb {
            "ignore" => Scope::Next(statement_after(statements, text, &comment, span.end)),
            "ignore-file" => Scope::File,
            "" => {
                malformed.push(bad(
                    "suppression comment says nothing after `chronos-lint:`: expected `ignore` \
                     or `ignore-file`"
                        .to_owned(),
                ));
                continue;
            }
            other => {
                malformed.push(bad(format!(
                    "unknown suppression `{other}`: expected `ignore` or `ignore-file`"
                )));
                continue;
            }
        };
        let ids_at = verb_at + verb_len;
        let rest = &text[ids_at..body_end];
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
        if ids.iter().any(|(id, _)| id.contains(char::is_whitespace)) {
            let listed: Vec<&str> = ids
                .iter()
                .flat_map(|(id, _)| id.split_whitespace())
                .collect();
            malformed.push(bad(format!(
                "rule ids in a suppression are separated by commas: expected `{}`",
                listed.join(", ")
            )));
            continue;
        }
        found.push(Directive {
            file,
            span,
            scope,
            ids,
            reason,
        });
    }
    (found, malformed)
}

/// The statement an `ignore` comment applies to: the one its line ends (or that it is inside)
/// when code comes before it on its line, else the next statement after `after`.
fn statement_after(
    statements: &[Range<usize>],
    text: &str,
    comment: &parse::text::LineComment,
    after: usize,
) -> Range<usize> {
    if !comment.own_line {
        let line_start = text[..comment.span.start]
            .rfind('\n')
            .map_or(0, |nl| nl + 1);
        // The outermost of the statements that start before the comment and reach its line
        // (a DO block rather than a statement of its body).
        let on_line = statements
            .iter()
            .filter(|span| span.start <= comment.span.start && span.end >= line_start)
            .max_by_key(|span| (span.end, std::cmp::Reverse(span.start)));
        if let Some(span) = on_line {
            return span.start..span.end.max(comment.span.start);
        }
    }
    let end = statements
        .iter()
        .filter(|span| span.start >= after)
        .min_by_key(|span| span.start)
        .map_or(after, |span| span.end);
    after..end
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

/// The suppression comments of the files linted, and which of their rule ids silenced a
/// finding.
#[derive(Default)]
pub struct Suppressions {
    files: HashMap<FileId, Vec<(Directive, Vec<bool>)>>,
    malformed: Vec<Malformed>,
}

impl Suppressions {
    /// Reads the comments of `source`, file `file` of the workspace, whose statements are at
    /// `statement_spans`.
    pub fn read(&mut self, source: &SourceFile, file: FileId, statement_spans: &[Range<usize>]) {
        if statement_spans.is_empty() {
            return;
        }
        let (found, bad) = directives(file, &source.text, statement_spans);
        if !found.is_empty() {
            let found = found.into_iter().map(|directive| {
                let used = vec![false; directive.ids.len()];
                (directive, used)
            });
            self.files.insert(file, found.collect());
        }
        self.malformed.extend(bad);
    }

    pub fn merge(&mut self, other: Suppressions) {
        self.files.extend(other.files);
        self.malformed.extend(other.malformed);
    }

    /// Whether a comment silences `diagnostic`; marks every id that does as used.
    pub fn silences(&mut self, diagnostic: &Diagnostic) -> bool {
        let mut silenced = false;
        for (directive, used) in self.files.get_mut(&diagnostic.file).into_iter().flatten() {
            if let Some(id_index) =
                directive.covers(diagnostic.rule.as_str(), diagnostic.span.start)
            {
                used[id_index] = true;
                silenced = true;
            }
        }
        silenced
    }

    /// Every comment with which of its ids silenced a finding, and the comments that are no
    /// suppression, once every finding has been through [`Suppressions::silences`].
    pub fn into_judged(self) -> (impl Iterator<Item = (Directive, Vec<bool>)>, Vec<Malformed>) {
        (self.files.into_values().flatten(), self.malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_reason_and_scope() {
        let text =
            "-- chronos-lint: ignore drop-table, rename-table -- legacy cleanup\nDROP TABLE x;\n";
        let (found, malformed) = directives(0, text, &[67..79, 85..90]);
        assert!(malformed.is_empty());
        assert_eq!(found.len(), 1);
        let directive = &found[0];
        assert_eq!(directive.ids.len(), 2);
        assert_eq!(&text[directive.ids[1].1.clone()], "rename-table");
        assert_eq!(directive.reason.as_deref(), Some("legacy cleanup"));
        assert!(directive.covers("drop-table", 70).is_some());
        assert!(directive.covers("drop-table", 86).is_none());
    }

    #[test]
    fn file_scope_and_unrelated_comments() {
        let text = "-- just a comment\n  -- chronos-lint: ignore-file unowned-table\n";
        let (found, _) = directives(3, text, &[]);
        assert_eq!(found[0].scope, Scope::File);
        assert!(found[0].covers("unowned-table", 10_000).is_some());
        assert!(found[0].reason.is_none());
    }

    #[test]
    fn a_trailing_comment_applies_to_the_statement_of_its_line() {
        let text = "CREATE TABLE t (id int);\nDROP TABLE t; -- chronos-lint: ignore drop-table\n\
                    DROP TABLE u;\n";
        let statements = crate::parse::text::split_statements(text);
        let (found, _) = directives(0, text, &statements);
        let drop_t = text.find("DROP TABLE t").unwrap();
        let drop_u = text.find("DROP TABLE u").unwrap();
        assert!(found[0].covers("drop-table", drop_t).is_some());
        assert!(found[0].covers("drop-table", drop_u).is_none());
        assert!(found[0].covers("drop-table", 0).is_none());

        // On the last line of a statement written over several, and inside one.
        let text = "CREATE INDEX i\n  ON t (a); /* chronos-lint: ignore index-not-concurrent */\n\
                    CREATE TABLE v (\n  id int -- chronos-lint: ignore prefer-identity\n);\n";
        let statements = crate::parse::text::split_statements(text);
        let (found, malformed) = directives(0, text, &statements);
        assert!(malformed.is_empty(), "{malformed:?}");
        assert_eq!(found.len(), 2);
        assert!(found[0].covers("index-not-concurrent", 0).is_some());
        assert_eq!(&text[found[0].ids[0].1.clone()], "index-not-concurrent");
        assert!(text[found[0].span.clone()].ends_with("*/"));
        let v = text.find("CREATE TABLE v").unwrap();
        assert!(found[1].covers("prefer-identity", v).is_some());
        assert!(found[1].covers("prefer-identity", 0).is_none());
    }

    #[test]
    fn block_comments_on_their_own_line() {
        let text = "/* chronos-lint: ignore drop-table -- agreed */\nDROP TABLE x;\n\
                    /*\n chronos-lint: ignore-file rename-table\n*/\n";
        let statements = crate::parse::text::split_statements(text);
        let (found, malformed) = directives(0, text, &statements);
        assert!(malformed.is_empty(), "{malformed:?}");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].reason.as_deref(), Some("agreed"));
        assert!(
            found[0]
                .covers("drop-table", text.find("DROP").unwrap())
                .is_some()
        );
        assert_eq!(found[1].scope, Scope::File);
    }

    #[test]
    fn comments_that_start_like_a_suppression_and_are_none_are_reported() {
        for (comment, expected) in [
            (
                "-- chronos-lint ignore drop-table",
                "expected `chronos-lint:`",
            ),
            (
                "-- chronos-lint: ingore drop-table",
                "`ingore`: expected `ignore` or",
            ),
            ("-- chronos-lint: ignore_file drop-table", "`ignore_file`"),
            ("-- chronos-lint:", "says nothing"),
            ("/* chronos-lint: */", "says nothing"),
            (
                "-- chronos-lint: ignore drop-table rename-table",
                "expected `drop-table, rename-table`",
            ),
            (
                "DROP TABLE x; -- chronos-lint; ignore drop-table",
                "without its colon",
            ),
        ] {
            let text = format!("{comment}\nDROP TABLE x;\n");
            let (found, malformed) = directives(0, &text, &[]);
            assert!(found.is_empty(), "{comment}");
            assert_eq!(malformed.len(), 1, "{comment}");
            assert!(
                malformed[0].problem.contains(expected),
                "{comment}: {malformed:?}"
            );
            assert!(
                text[malformed[0].span.clone()].ends_with(
                    comment
                        .split("; --")
                        .last()
                        .unwrap()
                        .trim_start_matches("DROP TABLE x;")
                        .trim_end()
                )
            );
        }
        // Other comments that mention the tool are not suppressions.
        let (found, malformed) = directives(0, "-- run chronos-lint: ignore it\n", &[]);
        assert!(found.is_empty() && malformed.is_empty());
    }

    #[test]
    fn only_real_comments_count() {
        let text = "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\n\
                    -- chronos-lint: ignore-file drop-table\nBEGIN END $$;\n\
                    SELECT '\n-- chronos-lint: ignore-file drop-table\n', $t$\n\
                    -- chronos-lint: ignore-file drop-table\n/* chronos-lint: ignore-file drop-table */\n$t$;\n\
                    /* nested /* block */\n-- chronos-lint: ignore-file drop-table\n*/\n\
                    /* nested /* chronos-lint: nonsense */ */\n\
                    SELECT \"\n-- chronos-lint: ignore-file drop-table\n\";\n\
                    SELECT E'\\' -- chronos-lint: nonsense\n';\n\
                    SELECT 1; -- chronos-lint: ignore-file unowned-table\n\
                    \u{feff}-- chronos-lint: ignore-file rename-table\r\n";
        let (found, malformed) = directives(0, text, &[]);
        assert!(malformed.is_empty(), "{malformed:#?}");
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].ids[0].0, "unowned-table");
        assert_eq!(found[1].ids[0].0, "rename-table");
        assert!(text[found[1].span.clone()].ends_with("rename-table"));
    }
}
