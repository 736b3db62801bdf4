//! Where in a statement's text a name, a type, a keyword or a constraint is written: the byte
//! spans findings point at, found by lexing the statement's text where the parse tree keeps no
//! end (or no location at all).
//!
//! `text` is always the whole file the statement was read from; spans are file offsets.

use std::ops::Range;

use pg_query::protobuf::TypeName;

use super::{Statement, lex, text, token_end};

/// The span of the name at a node location (`"public"."users"`). Where the parser kept no
/// location (`DROP TABLE`, `COMMENT ON`), the first mention of `name` in the statement.
pub fn name_span(
    text: &str,
    statement: &Statement,
    location: Option<i32>,
    name: &str,
) -> Range<usize> {
    let start = match location.filter(|&l| l >= 0) {
        Some(location) => Some(statement.offset(location)),
        None => {
            text::find_name(&text[statement.span.clone()], name).map(|at| statement.span.start + at)
        }
    };
    match start.filter(|&start| start < text.len()) {
        Some(start) => {
            start
                ..start
                    + text::name_len(&text[start..])
                        .max(1)
                        .min(text.len() - start)
        }
        None => statement.span.clone(),
    }
}

/// The span of the first mention of `name` at or after file offset `after` in the statement
/// (a column or constraint name after the table name), else as [`name_span`] finds it.
pub fn name_span_after(
    text: &str,
    statement: &Statement,
    after: usize,
    name: &str,
) -> Range<usize> {
    let after = after.clamp(statement.span.start, statement.span.end);
    match text::find_name(&text[after..statement.span.end], name) {
        Some(at) => {
            let start = after + at;
            start..start + text::name_len(&text[start..]).max(1)
        }
        None => name_span(text, statement, None, name),
    }
}

/// The span of a type name as written (`varchar(100)`, `timestamp(3) with time zone`).
pub fn type_span(text: &str, statement: &Statement, type_name: &TypeName) -> Range<usize> {
    let start = statement
        .offset(type_name.location)
        .clamp(statement.span.start, statement.span.end);
    let len = text::type_len(&text[start..statement.span.end]).max(1);
    start..(start + len).min(statement.span.end)
}

/// The span of a node `location` to the end of the statement (e.g. one ALTER TABLE action).
pub fn span_from(statement: &Statement, location: i32) -> Range<usize> {
    let start = statement
        .offset(location)
        .clamp(statement.span.start, statement.span.end);
    start..statement.span.end
}

/// The span of the first token of the statement that reads `keyword` (any case), e.g.
/// `CONCURRENTLY`; strings, comments and quoted names never match.
pub fn keyword_span(text: &str, statement: &Statement, keyword: &str) -> Option<Range<usize>> {
    let start = statement.span.start;
    lex(&text[statement.span.clone()])
        .into_iter()
        .find(|lexeme| lexeme.text.eq_ignore_ascii_case(keyword))
        .map(|lexeme| start + lexeme.span.start..start + lexeme.span.end)
}

/// The span of the statement's first token (`VACUUM`, `REINDEX`, `ALTER`, `DO`), for findings
/// about the statement as a whole.
pub fn first_token_span(text: &str, statement: &Statement) -> Range<usize> {
    let start = statement.span.start;
    let end = start + token_end(&text[statement.span.clone()], 0);
    start..end.min(statement.span.end)
}

/// The span of a constraint written at node `location`: its name after `CONSTRAINT` when it
/// has one, else its keyword (`PRIMARY KEY`, `UNIQUE`, `FOREIGN KEY`, `REFERENCES`).
pub fn constraint_span(
    text: &str,
    statement: &Statement,
    location: i32,
    name: Option<&str>,
) -> Range<usize> {
    let start = statement
        .offset(location)
        .clamp(statement.span.start, statement.span.end);
    let rest = &text[start..statement.span.end];
    if let Some(name) = name
        && let Some(at) = text::find_name(rest, name)
    {
        let at = start + at;
        return at..at + text::name_len(&text[at..]).max(1);
    }
    let first = text::name_len(rest);
    let keyword = &rest[..first];
    let end = if keyword.eq_ignore_ascii_case("primary") || keyword.eq_ignore_ascii_case("foreign")
    {
        let next = text::skip_trivia(rest, first);
        next + text::name_len(&rest[next..])
    } else {
        first
    };
    start..start + end.max(1).min(rest.len())
}

/// Where the first of `statements` (a statement and, for a `DO` block, the statements extracted
/// from its body) names `name` as an identifier; `None` when none does (dynamic SQL, a function,
/// a trigger).
pub fn mention_span<'a>(
    text: &str,
    statements: impl IntoIterator<Item = &'a Statement>,
    name: &str,
) -> Option<Range<usize>> {
    statements.into_iter().find_map(|candidate| {
        let sql = &text[candidate.span.clone()];
        lex(sql)
            .into_iter()
            .find(|lexeme| lexeme.name().as_deref() == Some(name))
            .map(|lexeme| {
                candidate.span.start + lexeme.span.start..candidate.span.start + lexeme.span.end
            })
    })
}
