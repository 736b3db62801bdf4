//! The one place that calls libpg_query directly.
//!
//! `pg_query::parse` drops the error position and walks every tree to collect table names we do
//! not use, so we call the protobuf entry point ourselves: one call gives either the tree or the
//! error with PostgreSQL's cursor position.

use std::ffi::{CStr, CString, c_char, c_int};
use std::ops::Range;

use pg_query::protobuf;
use prost::Message;

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobuf {
    len: usize,
    data: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobufParseResult {
    parse_tree: PgQueryProtobuf,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

unsafe extern "C" {
    fn pg_query_parse_protobuf_opts(
        input: *const c_char,
        parser_options: c_int,
    ) -> PgQueryProtobufParseResult;
    fn pg_query_free_protobuf_parse_result(result: PgQueryProtobufParseResult);
    fn pg_query_parse_plpgsql(input: *const c_char) -> PgQueryPlpgsqlParseResult;
    fn pg_query_free_plpgsql_parse_result(result: PgQueryPlpgsqlParseResult);
}

#[repr(C)]
struct PgQueryPlpgsqlParseResult {
    plpgsql_funcs: *mut c_char,
    error: *mut PgQueryError,
}

/// A syntax error as PostgreSQL reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// Byte offset into the parsed text of the offending token, when PostgreSQL gave one.
    pub offset: Option<usize>,
}

/// What the PostgreSQL grammar made of some SQL.
#[derive(Debug)]
pub struct ParsedSql {
    pub tree: protobuf::ParseResult,
    /// Each statement's tree as libpg_query encoded it (a `Node` message), indexed like
    /// `tree.stmts`: what the cache stores, without encoding the tree again.
    pub encoded: Vec<Vec<u8>>,
}

/// Parses `sql` with the PostgreSQL grammar.
pub fn parse(sql: &str) -> Result<ParsedSql, SyntaxError> {
    let Ok(input) = CString::new(sql) else {
        let offset = sql.find('\0');
        return Err(SyntaxError {
            message: "NUL byte in SQL text".into(),
            offset,
        });
    };
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the result is
    // read only before it is freed, and freed exactly once.
    unsafe {
        let result = pg_query_parse_protobuf_opts(input.as_ptr(), 0);
        let outcome = if result.error.is_null() {
            let bytes = std::slice::from_raw_parts(
                result.parse_tree.data as *const u8,
                result.parse_tree.len,
            );
            decode(bytes).map(|tree| ParsedSql {
                encoded: statement_nodes(bytes)
                    .into_iter()
                    .map(|node| bytes[node].to_vec())
                    .collect(),
                tree,
            })
        } else {
            let error = &*result.error;
            let message = CStr::from_ptr(error.message).to_string_lossy().into_owned();
            // cursorpos counts characters from 1; 0 means "no position".
            let offset = usize::try_from(error.cursorpos)
                .ok()
                .filter(|&pos| pos > 0)
                .map(|pos| char_to_byte_offset(sql, pos - 1));
            Err(SyntaxError { message, offset })
        };
        pg_query_free_protobuf_parse_result(result);
        outcome
    }
}

/// Compiles the PL/pgSQL of every `DO` block and `LANGUAGE plpgsql` function in `sql`, as the
/// server does before it runs one, and gives libpg_query's JSON of the compiled functions.
///
/// An error in a body comes without a position: the server keeps it for its own report, and
/// libpg_query does not pass it on.
pub fn parse_plpgsql(sql: &str) -> Result<String, SyntaxError> {
    let Ok(input) = CString::new(sql) else {
        return Err(SyntaxError {
            message: "NUL byte in SQL text".into(),
            offset: sql.find('\0'),
        });
    };
    // SAFETY: as in `parse`; the strings are copied before the result is freed.
    unsafe {
        let result = pg_query_parse_plpgsql(input.as_ptr());
        let outcome = if result.error.is_null() {
            Ok(CStr::from_ptr(result.plpgsql_funcs)
                .to_string_lossy()
                .into_owned())
        } else {
            let error = &*result.error;
            let offset = usize::try_from(error.cursorpos)
                .ok()
                .filter(|&pos| pos > 0)
                .map(|pos| char_to_byte_offset(sql, pos - 1));
            Err(SyntaxError {
                message: CStr::from_ptr(error.message).to_string_lossy().into_owned(),
                offset,
            })
        };
        pg_query_free_plpgsql_parse_result(result);
        outcome
    }
}

/// Trees nested deeper than this are decoded on a thread of their own: prost decodes
/// recursively, and an unoptimised build needs several kB of stack per level.
const INLINE_DECODE_DEPTH: usize = 100;
/// Stack for decoding a deep tree. libpg_query emits at most 10,000 levels, and fewer in practice:
/// PostgreSQL's own stack-depth check stops the parser first.
const DEEP_DECODE_STACK: usize = 512 << 20;

/// Decodes libpg_query's parse tree, however deep (`a || b || ... ` with 50 terms is already
/// deeper than prost's default limit of 100).
fn decode(bytes: &[u8]) -> Result<protobuf::ParseResult, SyntaxError> {
    decode_deep(bytes).map_err(|err| SyntaxError {
        message: err.to_string(),
        offset: None,
    })
}

/// Why a parse tree cannot be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("could not decode the parse tree: {0}")]
    Decode(#[from] prost::DecodeError),
    /// No thread with a stack deep enough for the tree could be started.
    #[error("could not decode a deeply nested parse tree: {0}")]
    Thread(#[source] std::io::Error),
}

/// Decodes a message that may hold a parse tree of any depth: a deep one on a thread with a
/// stack large enough for prost's recursion.
pub fn decode_deep<M: Message + Default>(bytes: &[u8]) -> Result<M, DecodeError> {
    let decode = || M::decode(bytes).map_err(DecodeError::from);
    if nesting_depth(bytes) <= INLINE_DECODE_DEPTH {
        return decode();
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("decode-deep-tree".into())
            .stack_size(DEEP_DECODE_STACK)
            .spawn_scoped(scope, decode)
            .map_err(DecodeError::Thread)?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// How deeply messages nest in protobuf `bytes`, read without the schema: a length-delimited
/// field counts as a nested message when its bytes read as one (so a string that happens to read
/// as a message can only make the figure larger). Iterative, so any depth is safe to measure.
fn nesting_depth(bytes: &[u8]) -> usize {
    // The unread part of each message being read, innermost last.
    let mut stack = Vec::new();
    stack.push(0..bytes.len());
    let mut deepest = 1;
    while let Some(frame) = stack.last_mut() {
        if frame.start == frame.end {
            stack.pop();
            continue;
        }
        let Some((_, field)) = next_field(bytes, frame) else {
            // Not a message after all (a string or bytes): a leaf of its parent.
            stack.pop();
            continue;
        };
        if let Some(nested) = field {
            stack.push(nested);
            deepest = deepest.max(stack.len());
        }
    }
    deepest
}

/// Reads one field of the message in `frame`, advancing it: its number, and `Some(range)` of a
/// non-empty length-delimited value or `None` of a scalar; `None` overall when the bytes are not
/// a well-formed field.
fn next_field(
    bytes: &[u8],
    frame: &mut std::ops::Range<usize>,
) -> Option<(u64, Option<std::ops::Range<usize>>)> {
    let key = read_varint(bytes, frame)?;
    let number = key >> 3;
    if number == 0 {
        return None;
    }
    match key & 7 {
        0 => read_varint(bytes, frame).map(|_| (number, None)),
        1 | 5 => {
            let len = if key & 7 == 1 { 8 } else { 4 };
            if frame.end - frame.start < len {
                return None;
            }
            frame.start += len;
            Some((number, None))
        }
        2 => {
            let len = usize::try_from(read_varint(bytes, frame)?).ok()?;
            if frame.end - frame.start < len {
                return None;
            }
            let value = frame.start..frame.start + len;
            frame.start += len;
            Some((number, (len > 0).then_some(value)))
        }
        _ => None,
    }
}

/// The bytes of each statement's tree in libpg_query's encoded `ParseResult` (field 2, `stmts`,
/// and in each `RawStmt` field 1, `stmt`: a `Node` message), in order; an empty range for a
/// statement without one.
fn statement_nodes(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut nodes = Vec::new();
    let mut result = 0..bytes.len();
    while result.start < result.end {
        let Some((number, value)) = next_field(bytes, &mut result) else {
            break;
        };
        if number != 2 {
            continue;
        }
        let mut raw = value.unwrap_or(0..0);
        let mut node = 0..0;
        while raw.start < raw.end {
            match next_field(bytes, &mut raw) {
                Some((1, Some(value))) => node = value,
                Some(_) => {}
                None => break,
            }
        }
        nodes.push(node);
    }
    nodes
}

fn read_varint(bytes: &[u8], frame: &mut std::ops::Range<usize>) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes[..frame.end].get(frame.start)?;
        frame.start += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn char_to_byte_offset(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(byte, _)| byte)
}

/// The end of the SQL token that starts at `start` (for labelling a syntax error), found with
/// PostgreSQL's own scanner; falls back to the next whitespace.
pub fn token_end(sql: &str, start: usize) -> usize {
    let rest = &sql[start..];
    if let Ok(scan) = pg_query::scan(rest)
        && let Some(token) = scan.tokens.first()
        && token.start == 0
        && token.end > 0
    {
        return start + token.end as usize;
    }
    let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
    start + len.max(rest.chars().next().map_or(0, char::len_utf8))
}

/// The comma-separated items of `sql` at bracket depth 0, trimmed to their first and last token
/// (`ADD COLUMN a numeric(14,2), ALTER COLUMN b SET NOT NULL` → two items). Tokens come from
/// PostgreSQL's scanner, so commas in strings, quoted names and comments do not split. Empty
/// when the text does not scan.
pub fn comma_separated(sql: &str) -> Vec<std::ops::Range<usize>> {
    use pg_query::protobuf::Token;
    let Ok(scan) = pg_query::scan(sql) else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<std::ops::Range<usize>> = None;
    for token in &scan.tokens {
        let kind = Token::try_from(token.token).unwrap_or(Token::Nul);
        if matches!(kind, Token::SqlComment | Token::CComment) {
            continue;
        }
        let (start, end) = (token.start as usize, token.end as usize);
        match kind {
            Token::Ascii44 if depth == 0 => {
                items.extend(current.take());
                continue;
            }
            Token::Ascii40 | Token::Ascii91 => depth += 1,
            Token::Ascii41 | Token::Ascii93 => depth = depth.saturating_sub(1),
            _ => {}
        }
        match &mut current {
            Some(item) => item.end = end,
            None => current = Some(start..end),
        }
    }
    items.extend(current);
    items
}

/// An identifier as SQL must spell it: bare when PostgreSQL would read it back unchanged
/// (lowercase, not a reserved word), double-quoted otherwise (`userId` → `"userId"`).
pub fn quote_ident(name: &str) -> std::borrow::Cow<'_, str> {
    use pg_query::protobuf::{KeywordKind, Token};
    let bare = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && pg_query::scan(name).is_ok_and(|scan| match scan.tokens.as_slice() {
            [token] => {
                token.token == Token::Ident as i32
                    || token.keyword_kind == KeywordKind::UnreservedKeyword as i32
            }
            _ => false,
        });
    if bare {
        name.into()
    } else {
        format!("\"{}\"", name.replace('"', "\"\"")).into()
    }
}

/// SQL text for a statement node, as PostgreSQL's deparser writes it (used to show a corrected
/// statement in help text).
pub fn deparse(node: &pg_query::NodeEnum) -> Option<String> {
    node.deparse(pg_query::DeparseOptions::default()).ok()
}

/// What kind of token a [`Lexeme`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexemeKind {
    /// A string constant (`'x'`, `E'x'`, `$$x$$`).
    String,
    /// An identifier, quoted or not.
    Identifier,
    /// A keyword (which may also serve as a name: `status`, `type`).
    Keyword,
    Other,
}

/// One token of SQL text as PostgreSQL's scanner sees it; spans are byte offsets into the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexeme<'a> {
    pub span: Range<usize>,
    pub text: &'a str,
    pub kind: LexemeKind,
}

impl Lexeme<'_> {
    /// The value of a string constant: quotes removed and doubled quotes undone for standard
    /// `'...'` strings, the body of a dollar-quoted one; `None` for other tokens and escape strings.
    pub fn string_value(&self) -> Option<String> {
        if self.kind != LexemeKind::String {
            return None;
        }
        if let Some(inner) = self
            .text
            .strip_prefix('\'')
            .and_then(|t| t.strip_suffix('\''))
        {
            return Some(inner.replace("''", "'"));
        }
        let tag_end = self.text.strip_prefix('$')?.find('$')? + 2;
        let tag = &self.text[..tag_end];
        self.text
            .strip_prefix(tag)?
            .strip_suffix(tag)
            .map(str::to_owned)
    }

    /// The name a keyword or identifier token stands for, as PostgreSQL stores it (unquoted
    /// names fold to lower case).
    pub fn name(&self) -> Option<String> {
        match self.kind {
            LexemeKind::Identifier | LexemeKind::Keyword => {}
            _ => return None,
        }
        match self
            .text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
        {
            Some(quoted) => Some(quoted.replace("\"\"", "\"")),
            None => Some(self.text.to_lowercase()),
        }
    }
}

/// The tokens of `sql` (empty when the scanner rejects the text).
pub fn lex(sql: &str) -> Vec<Lexeme<'_>> {
    use pg_query::protobuf::{KeywordKind, Token};
    let Ok(scan) = pg_query::scan(sql) else {
        return Vec::new();
    };
    scan.tokens
        .iter()
        .filter_map(|token| {
            let start = usize::try_from(token.start).ok()?;
            let end = usize::try_from(token.end).ok()?;
            let text = sql.get(start..end)?;
            let kind = if token.keyword_kind != KeywordKind::NoKeyword as i32 {
                LexemeKind::Keyword
            } else if token.token == Token::Sconst as i32 {
                LexemeKind::String
            } else if token.token == Token::Ident as i32 {
                LexemeKind::Identifier
            } else {
                LexemeKind::Other
            };
            Some(Lexeme {
                span: start..end,
                text,
                kind,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_error_position_in_bytes() {
        let sql = "SELECT 'é'; CREATE TABEL x ();";
        let err = parse(sql).unwrap_err();
        assert_eq!(err.message, "syntax error at or near \"TABEL\"");
        let at = err.offset.unwrap();
        assert_eq!(&sql[at..token_end(sql, at)], "TABEL");
    }

    #[test]
    fn measures_nesting_like_the_decoder() {
        let depth = |sql: &str| {
            let input = CString::new(sql).unwrap();
            // SAFETY: as in `parse`.
            unsafe {
                let result = pg_query_parse_protobuf_opts(input.as_ptr(), 0);
                assert!(result.error.is_null());
                let bytes = std::slice::from_raw_parts(
                    result.parse_tree.data as *const u8,
                    result.parse_tree.len,
                );
                let depth = nesting_depth(bytes);
                pg_query_free_protobuf_parse_result(result);
                depth
            }
        };
        let chain = |n: usize| format!("SELECT {}", vec!["1"; n].join(" + "));
        // prost's default limit of 100 rejected 48 terms and accepted 47.
        assert_eq!(depth(&chain(47)), 101);
        assert_eq!(depth(&chain(48)), 103);
        assert!(depth("SELECT 1") < 10);
        assert_eq!(nesting_depth(b"\xff"), 1, "not a message: the root alone");
    }

    #[test]
    fn parses_expressions_nested_deeper_than_prost_allows_by_default() {
        for n in [48, 300] {
            let sql = format!("SELECT {}", vec!["'a'"; n].join(" || "));
            let tree = parse(&sql).unwrap_or_else(|err| panic!("{n} terms: {err:?}"));
            assert_eq!(tree.tree.stmts.len(), 1);
        }
    }

    #[test]
    fn quotes_identifiers_only_when_needed() {
        assert_eq!(quote_ident("amount_usd"), "amount_usd");
        assert_eq!(quote_ident("name"), "name");
        assert_eq!(quote_ident("userId"), "\"userId\"");
        assert_eq!(quote_ident("order"), "\"order\"");
        assert_eq!(quote_ident("1st"), "\"1st\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn splits_at_top_level_commas() {
        let sql = "ADD COLUMN a numeric(14, 2) DEFAULT ARRAY[1,2], -- x, y\n ALTER COLUMN \"b,c\" SET DEFAULT ',' ";
        let items: Vec<&str> = comma_separated(sql).into_iter().map(|r| &sql[r]).collect();
        assert_eq!(
            items,
            [
                "ADD COLUMN a numeric(14, 2) DEFAULT ARRAY[1,2]",
                "ALTER COLUMN \"b,c\" SET DEFAULT ','"
            ]
        );
    }

    #[test]
    fn parses_statements_with_locations() {
        let parsed = parse("SELECT 1; SELECT 2").unwrap();
        assert_eq!(parsed.tree.stmts.len(), 2);
        // Locations point at the statement's first token.
        assert_eq!(parsed.tree.stmts[1].stmt_location, 10);
        // libpg_query's encoding of each statement decodes to the same tree.
        assert_eq!(parsed.encoded.len(), 2);
        for (raw, bytes) in parsed.tree.stmts.iter().zip(&parsed.encoded) {
            let node = protobuf::Node::decode(bytes.as_slice()).unwrap();
            assert_eq!(Some(&node), raw.stmt.as_deref());
        }
    }

    #[test]
    fn lexes_strings_names_and_keywords() {
        let sql = "UPDATE \"Posts\" SET status = 'it''s', x = $t$a'b$t$ -- 'c'\nWHERE Kind::\"myEnum\" = E'\\n'";
        let lexemes = lex(sql);
        let strings: Vec<Option<String>> = lexemes
            .iter()
            .filter(|l| l.kind == LexemeKind::String)
            .map(Lexeme::string_value)
            .collect();
        assert_eq!(
            strings,
            [Some("it's".to_owned()), Some("a'b".to_owned()), None]
        );
        let names: Vec<String> = lexemes.iter().filter_map(Lexeme::name).collect();
        assert!(names.contains(&"Posts".to_owned()), "{names:?}");
        assert!(names.contains(&"myEnum".to_owned()));
        assert!(names.contains(&"kind".to_owned()));
        let set = lexemes.iter().find(|l| l.text == "SET").unwrap();
        assert_eq!(set.kind, LexemeKind::Keyword);
        assert_eq!(&sql[set.span.clone()], "SET");
    }
}
