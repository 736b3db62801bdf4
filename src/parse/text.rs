//! Small lexical helpers over SQL text: skipping comments, measuring names, splitting.

use std::ops::Range;

/// The first offset at or after `pos` that is not whitespace or a comment.
pub fn skip_trivia(text: &str, pos: usize) -> usize {
    skip_trivia_noting(text, pos, &mut |_, _| {})
}

/// [`skip_trivia`], handing each comment it skips to `note` (with whether it is a block comment).
fn skip_trivia_noting(
    text: &str,
    mut pos: usize,
    note: &mut dyn FnMut(Range<usize>, bool),
) -> usize {
    let bytes = text.as_bytes();
    loop {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if bytes[pos..].starts_with(b"--") {
            let end = line_comment_end(text, pos);
            note(pos..end, false);
            pos = end;
        } else if bytes[pos..].starts_with(b"/*") {
            let end = block_comment_end(text, pos);
            note(pos..end, true);
            pos = end;
        } else {
            return pos;
        }
    }
}

/// End of the `--` comment starting at `start`: its line's end, without the line break.
fn line_comment_end(text: &str, start: usize) -> usize {
    let end = text[start..].find('\n').map_or(text.len(), |nl| start + nl);
    if text[..end].ends_with('\r') && end > start {
        end - 1
    } else {
        end
    }
}

/// End of the (possibly nested) block comment starting at `start`.
fn block_comment_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut pos = start;
    while pos + 1 < bytes.len() {
        match &bytes[pos..pos + 2] {
            b"/*" => {
                depth += 1;
                pos += 2;
            }
            b"*/" => {
                depth -= 1;
                pos += 2;
                if depth == 0 {
                    return pos;
                }
            }
            _ => pos += 1,
        }
    }
    text.len()
}

/// A comment of SQL text, as PostgreSQL's scanner reads the text: never one inside a string, a
/// quoted name, a dollar-quoted body or another block comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineComment {
    /// From `--` to the end of its line, without the line break; or from `/*` to its `*/`.
    pub span: Range<usize>,
    /// A `/* */` comment (only [`comments`] gives them).
    pub block: bool,
    /// Between statements (before the first, after a `;`), not inside one.
    pub between_statements: bool,
    /// Nothing but whitespace before it on its line (a byte-order mark is not text).
    pub own_line: bool,
}

impl LineComment {
    fn new(text: &str, span: Range<usize>, block: bool, between_statements: bool) -> Self {
        let line_start = text[..span.start].rfind('\n').map_or(0, |nl| nl + 1);
        let own_line = text[line_start..span.start]
            .chars()
            .all(|c| c.is_whitespace() || c == '\u{feff}');
        LineComment {
            span,
            block,
            between_statements,
            own_line,
        }
    }
}

/// Every `--` comment of `text`, read as [`split_statements`] reads the text.
pub fn line_comments(text: &str) -> Vec<LineComment> {
    statements_and_comments(text).1
}

/// Every comment of `text`, `--` and `/* */` (outermost only), in order.
pub fn comments(text: &str) -> Vec<LineComment> {
    scan(text).1
}

/// Splits SQL text into statement ranges at top-level `;`, for recovery after a syntax error.
///
/// Cuts where psql would: quotes, dollar quotes and comments are skipped, and a `;` inside
/// parentheses (`CREATE RULE ... DO (a; b)`) or inside the `BEGIN ... END` of a
/// `CREATE FUNCTION`/`PROCEDURE` (`BEGIN ATOMIC`) does not end the statement. A line starting
/// with `\\` (a psql meta-command) is a piece of its own, so one does not swallow the statements
/// around it.
pub fn split_statements(text: &str) -> Vec<Range<usize>> {
    statements_and_comments(text).0
}

/// How many tokens `text` has, counted as the parser would see them, up to `limit` (it stops
/// there): a literal, a quoted name and a comment are one each, whatever their length. What a
/// file costs to lint grows with this count, not with its bytes.
pub fn count_tokens(text: &str, limit: usize) -> usize {
    let bytes = text.as_bytes();
    let (mut pos, mut tokens) = (0, 0);
    while pos < bytes.len() && tokens < limit {
        pos = match bytes[pos] {
            c if c.is_ascii_whitespace() => {
                pos += 1;
                continue;
            }
            b'\'' | b'"' | b'$' => quoted_token_end(text, pos).unwrap_or(pos + 1),
            b'-' if bytes[pos..].starts_with(b"--") => line_comment_end(text, pos),
            b'/' if bytes[pos..].starts_with(b"/*") => block_comment_end(text, pos),
            c if c == b'_' || c.is_ascii_alphanumeric() || !c.is_ascii() => {
                let first = text[pos..].chars().next().map_or(1, char::len_utf8);
                text[pos + first..]
                    .find(|c: char| !(is_identifier_char(c) || c == '$'))
                    .map_or(text.len(), |len| pos + first + len)
            }
            _ => pos + 1,
        };
        tokens += 1;
    }
    tokens
}

/// [`split_statements`] and [`line_comments`] in one reading.
pub fn statements_and_comments(text: &str) -> (Vec<Range<usize>>, Vec<LineComment>) {
    let (pieces, mut comments) = scan(text);
    comments.retain(|comment| !comment.block);
    (pieces, comments)
}

/// Statements and every comment, in one reading.
fn scan(text: &str) -> (Vec<Range<usize>>, Vec<LineComment>) {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut comments = Vec::new();
    let skip_between = |comments: &mut Vec<LineComment>, pos| {
        skip_trivia_noting(text, pos, &mut |span, block| {
            comments.push(LineComment::new(text, span, block, true));
        })
    };
    let mut start = skip_between(&mut comments, 0);
    let mut pos = start;
    let mut nesting = Nesting::default();
    while pos < bytes.len() {
        match bytes[pos] {
            b'\\' if pos == start => {
                let end = text[pos..].find('\n').map_or(text.len(), |nl| pos + nl);
                pieces.push(start..end);
                start = skip_between(&mut comments, end);
                pos = start;
                nesting = Nesting::default();
                continue;
            }
            b';' if nesting.is_top_level() => {
                pieces.push(start..pos);
                start = skip_between(&mut comments, pos + 1);
                pos = start;
                nesting = Nesting::default();
                continue;
            }
            b'(' => {
                nesting.parens += 1;
                pos += 1;
            }
            b')' => {
                nesting.parens = nesting.parens.saturating_sub(1);
                pos += 1;
            }
            b'\'' | b'"' | b'$' => pos = quoted_token_end(text, pos).unwrap_or(pos + 1),
            b'-' if bytes[pos..].starts_with(b"--") => {
                let end = line_comment_end(text, pos);
                comments.push(LineComment::new(text, pos..end, false, false));
                pos = end;
            }
            b'/' if bytes[pos..].starts_with(b"/*") => {
                let end = block_comment_end(text, pos);
                comments.push(LineComment::new(text, pos..end, true, false));
                pos = end;
            }
            // A word, read whole: `$` inside one does not start a dollar quote.
            c if c == b'_' || c.is_ascii_alphabetic() || !c.is_ascii() => {
                let first = text[pos..].chars().next().map_or(1, char::len_utf8);
                let end = text[pos + first..]
                    .find(|c: char| !(is_identifier_char(c) || c == '$'))
                    .map_or(text.len(), |len| pos + first + len);
                nesting.word(&text[pos..end]);
                pos = end;
            }
            _ => pos += 1,
        }
    }
    if start < bytes.len() {
        pieces.push(start..bytes.len());
    }
    pieces.retain(|piece| !piece.is_empty());
    (pieces, comments)
}

/// What keeps a `;` from ending a statement, tracked as psql's scanner does (psqlscan.l).
#[derive(Default)]
struct Nesting {
    parens: usize,
    /// How many words the statement has so far.
    words: usize,
    /// The first words, when they are `CREATE`, `OR`, `REPLACE`, `FUNCTION` or `PROCEDURE`.
    leading: [Option<&'static str>; 4],
    /// Open `BEGIN` (and `CASE` inside one) of a routine body, closed by `END`.
    begins: usize,
}

impl Nesting {
    fn is_top_level(&self) -> bool {
        self.parens == 0 && self.begins == 0
    }

    fn word(&mut self, word: &str) {
        const LEADING: &[&str] = &["create", "or", "replace", "function", "procedure"];
        if let Some(slot) = self.leading.get_mut(self.words) {
            *slot = LEADING
                .iter()
                .find(|known| word.eq_ignore_ascii_case(known))
                .copied();
        }
        self.words += 1;
        let routine = matches!(
            self.leading,
            [Some("create"), Some("function" | "procedure"), ..]
                | [
                    Some("create"),
                    Some("or"),
                    Some("replace"),
                    Some("function" | "procedure")
                ]
        );
        if !routine || self.parens > 0 {
            return;
        }
        // CASE also ends with END; it only matters inside a BEGIN.
        if word.eq_ignore_ascii_case("begin")
            || (word.eq_ignore_ascii_case("case") && self.begins > 0)
        {
            self.begins += 1;
        } else if word.eq_ignore_ascii_case("end") {
            self.begins = self.begins.saturating_sub(1);
        }
    }
}

/// The end of the quoted token at `pos`: a string (`'...'`, `E'...'`), a quoted name or a
/// dollar-quoted body (just past the `$` when it starts none); `None` for any other byte.
fn quoted_token_end(text: &str, pos: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    Some(match bytes[pos] {
        b'\'' => quoted_end(
            bytes,
            pos,
            b'\'',
            pos > 0 && matches!(bytes[pos - 1], b'e' | b'E'),
        ),
        b'"' => quoted_end(bytes, pos, b'"', false),
        b'$' => dollar_quoted_end(text, pos),
        _ => return None,
    })
}

/// End of a quoted token starting at `start`; a doubled quote escapes it.
fn quoted_end(bytes: &[u8], start: usize, quote: u8, backslash_escapes: bool) -> usize {
    let mut pos = start + 1;
    while pos < bytes.len() {
        if backslash_escapes && bytes[pos] == b'\\' {
            pos += 2;
        } else if bytes[pos] == quote {
            if bytes.get(pos + 1) == Some(&quote) {
                pos += 2;
            } else {
                return pos + 1;
            }
        } else {
            pos += 1;
        }
    }
    bytes.len()
}

/// End of a `$tag$...$tag$` string at `start`, or just past the `$` when it is not one.
fn dollar_quoted_end(text: &str, start: usize) -> usize {
    let rest = &text[start + 1..];
    let tag_len = rest
        .find(|c: char| !is_identifier_char(c))
        .unwrap_or(rest.len());
    if !rest[tag_len..].starts_with('$')
        || rest[..tag_len].starts_with(|c: char| c.is_ascii_digit())
    {
        return start + 1;
    }
    let delimiter = &text[start..start + tag_len + 2];
    let body = start + delimiter.len();
    text[body..]
        .find(delimiter)
        .map_or(text.len(), |at| body + at + delimiter.len())
}

/// `sql` on one line, for quoting it in prose: comments are dropped and each run of whitespace
/// becomes one space (none after `(` or before `)` and `,`); quoted strings and names and
/// dollar-quoted bodies stay as written.
pub fn one_line(sql: &str) -> std::borrow::Cow<'_, str> {
    let spaced = sql.contains(['\n', '\r', '\t']) || sql.contains("  ");
    if !spaced && !sql.contains("--") && !sql.contains("/*") {
        return sql.into();
    }
    let bytes = sql.as_bytes();
    let mut line = String::with_capacity(sql.len());
    let (mut pos, mut gap) = (0, false);
    while pos < bytes.len() {
        let end = match bytes[pos] {
            c if c.is_ascii_whitespace() => {
                (gap, pos) = (true, pos + 1);
                continue;
            }
            b'-' if bytes[pos..].starts_with(b"--") => {
                (gap, pos) = (true, line_comment_end(sql, pos));
                continue;
            }
            b'/' if bytes[pos..].starts_with(b"/*") => {
                (gap, pos) = (true, block_comment_end(sql, pos));
                continue;
            }
            b'\'' | b'"' | b'$' => quoted_token_end(sql, pos).unwrap_or(pos + 1),
            // A word whole: `$` inside one starts no dollar quote.
            c if c == b'_' || c.is_ascii_alphabetic() || !c.is_ascii() => {
                let first = sql[pos..].chars().next().map_or(1, char::len_utf8);
                sql[pos + first..]
                    .find(|c: char| !(is_identifier_char(c) || c == '$'))
                    .map_or(sql.len(), |len| pos + first + len)
            }
            _ => pos + 1,
        };
        let token = &sql[pos..end];
        let tight = line.ends_with('(') || token.starts_with([')', ',']);
        if gap && !line.is_empty() && !tight {
            line.push(' ');
        }
        line.push_str(token);
        (gap, pos) = (false, end);
    }
    line.into()
}

/// Offset of the first mention of identifier `name` in `sql` (quoted or not, possibly
/// schema-qualified: the offset is where the qualified name starts).
pub fn find_name(sql: &str, name: &str) -> Option<usize> {
    let is_ident = |c: char| is_identifier_char(c) || c == '$';
    // A name with upper case can only have been written quoted, exactly.
    let lower;
    let haystack = if name.chars().any(char::is_uppercase) {
        sql
    } else {
        lower = lowercase_in_place(sql);
        lower.as_str()
    };
    let mut from = 0;
    while let Some(at) = haystack[from..].find(name).map(|at| from + at) {
        let end = at + name.len();
        let before = sql[..at].chars().next_back();
        let after = sql[end..].chars().next();
        let quoted = before == Some('"') && after == Some('"');
        if quoted || (!before.is_some_and(is_ident) && !after.is_some_and(is_ident)) {
            let mut start = if quoted { at - 1 } else { at };
            // Include a schema qualifier written before the name.
            if sql[..start].ends_with('.') {
                let qualifier = sql[..start - 1]
                    .char_indices()
                    .rev()
                    .take_while(|&(_, c)| is_ident(c) || c == '"')
                    .last()
                    .map_or(start - 1, |(i, _)| i);
                start = qualifier;
            }
            return Some(start);
        }
        from = end;
    }
    None
}

/// `text` lowercased character by character where that keeps each character's byte length, so
/// offsets into the result are offsets into `text` (`İ` and `K` keep their case).
fn lowercase_in_place(text: &str) -> String {
    text.chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if l.len_utf8() == c.len_utf8() => l,
                _ => c,
            }
        })
        .collect()
}

/// Whether `c` may continue an unquoted identifier: PostgreSQL takes every non-ASCII character
/// as a letter.
fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()
}

/// Length of the possibly qualified, possibly quoted name at the start of `text`
/// (`"public"."users"`, `raw_crunchbase`, `s.t`); 0 when `text` does not start with a name.
pub fn name_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut pos = 0;
    loop {
        let part = identifier_len(&text[pos..]);
        if part == 0 {
            return pos;
        }
        pos += part;
        if bytes.get(pos) == Some(&b'.') && identifier_len(&text[pos + 1..]) > 0 {
            pos += 1;
        } else {
            return pos;
        }
    }
}

/// Length of the type name at the start of `text` (`varchar(100)`, `character varying(20)[]`,
/// `timestamp(3) with time zone`, `interval day to second`, `"public"."mood"`): the name, its
/// modifiers and array bounds, and the words that continue a multi-word type name; whatever
/// follows (`USING`, `NOT NULL`, `PRIMARY KEY`, `,`) is not part of it.
pub fn type_len(text: &str) -> usize {
    /// Words that continue a type name.
    const CONTINUATIONS: &[&str] = &[
        "with",
        "without",
        "time",
        "zone",
        "varying",
        "precision",
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "to",
    ];
    let mut end = name_len(text);
    loop {
        let rest = &text[end..];
        let next = end + rest.len() - rest.trim_start().len();
        let after = &text[next..];
        let close = match after.as_bytes().first() {
            Some(b'(') => Some(b')'),
            Some(b'[') => Some(b']'),
            _ => None,
        };
        if let Some(close) = close {
            match after.bytes().position(|b| b == close) {
                Some(at) => end = next + at + 1,
                None => return end,
            }
            continue;
        }
        let word = identifier_len(after);
        if word > 0
            && CONTINUATIONS
                .iter()
                .any(|c| after[..word].eq_ignore_ascii_case(c))
        {
            end = next + word;
            continue;
        }
        return end;
    }
}

fn identifier_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b'"') {
        let mut pos = 1;
        while pos < bytes.len() {
            if bytes[pos] == b'"' {
                if bytes.get(pos + 1) == Some(&b'"') {
                    pos += 2;
                    continue;
                }
                return pos + 1;
            }
            pos += 1;
        }
        return 0;
    }
    text.char_indices()
        .find(|&(i, c)| !(is_identifier_char(c) || (i > 0 && c == '$')))
        .map_or(text.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_lines_and_drops_comments_but_keeps_strings() {
        let sql =
            "CREATE TABLE \"t\" (\n\t\"a\" text DEFAULT 'x\n  y', -- note\n\tb int /* c */\n)";
        assert_eq!(
            one_line(sql),
            "CREATE TABLE \"t\" (\"a\" text DEFAULT 'x\n  y', b int)"
        );
        assert_eq!(
            one_line("SELECT $a$\n -- kept\n$a$,\n  E'\\' --'"),
            "SELECT $a$\n -- kept\n$a$, E'\\' --'"
        );
        assert!(matches!(
            one_line("SELECT 1"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn skips_line_and_nested_block_comments() {
        let sql = "  -- a\n/* b /* c */ d */\n\tSELECT";
        assert_eq!(&sql[skip_trivia(sql, 0)..], "SELECT");
        assert_eq!(skip_trivia("-- only", 0), 7);
    }

    #[test]
    fn splits_around_quotes_comments_and_meta_commands() {
        let sql = "SELECT ';' AS a; -- x; y\n\\set v 1\nSELECT $f$ ; $f$, E'\\';'; CREATE TABEL t";
        let pieces: Vec<&str> = split_statements(sql).into_iter().map(|r| &sql[r]).collect();
        assert_eq!(
            pieces,
            [
                "SELECT ';' AS a",
                "\\set v 1",
                "SELECT $f$ ; $f$, E'\\';'",
                "CREATE TABEL t"
            ]
        );
    }

    #[test]
    fn finds_real_line_comments_and_where_they_stand() {
        let sql = "-- head\r\nSELECT '--no', $b$ -- no $b$, \"--no\" /* -- no */ -- tail\n\
                   ;\n  -- between\nSELECT 1 -- inside\n, 2;";
        let comments: Vec<(&str, bool, bool)> = line_comments(sql)
            .into_iter()
            .map(|c| (&sql[c.span], c.between_statements, c.own_line))
            .collect();
        assert_eq!(
            comments,
            [
                ("-- head", true, true),
                ("-- tail", false, false),
                ("-- between", true, true),
                ("-- inside", false, false)
            ]
        );
    }

    #[test]
    fn keeps_semicolons_in_parentheses_and_routine_bodies() {
        let sql = "create rule r as on update to t do also (\n update a set x = 1; update b set x = 1\n);\n\
                   CREATE FUNCTION f(x int) RETURNS int LANGUAGE SQL\nBEGIN ATOMIC\n SELECT CASE WHEN x > 0 THEN 1 END;\n SELECT x;\nEND;\n\
                   CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; END; SELECT a$b$c; SELECT 2";
        let pieces: Vec<&str> = split_statements(sql).into_iter().map(|r| &sql[r]).collect();
        assert_eq!(pieces.len(), 5, "{pieces:#?}");
        assert!(pieces[0].ends_with("update b set x = 1\n)"));
        assert!(pieces[1].ends_with("SELECT x;\nEND"));
        assert_eq!(
            pieces[2..],
            [
                "CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; END",
                "SELECT a$b$c",
                "SELECT 2"
            ]
        );
        // Outside routines, BEGIN is a statement of its own.
        assert_eq!(split_statements("BEGIN; SELECT 1; END;").len(), 3);
        assert_eq!(split_statements("€\u{1};\u{3000}x"), [0..4, 5..9]);
    }

    #[test]
    fn finds_names_quoted_qualified_or_bare() {
        assert_eq!(
            find_name("DROP TABLE directus_files", "directus_files"),
            Some(11)
        );
        assert_eq!(
            find_name("DROP TABLE \"public\".\"raw_x\"", "raw_x"),
            Some(11)
        );
        assert_eq!(find_name("DROP TABLE raw_xy, raw_x", "raw_x"), Some(19));
        assert_eq!(find_name("DROP TABLE RAW_X", "raw_x"), Some(11));
        assert_eq!(find_name("DROP TABLE y", "raw_x"), None);
        assert_eq!(
            find_name("ALTER TYPE \"public\".\"serviceType\" ADD", "serviceType"),
            Some(11)
        );
        assert_eq!(
            find_name(
                "ALTER TABLE \"Chat\" DROP COLUMN \"lastContext\"",
                "lastContext"
            ),
            Some(31)
        );
    }

    #[test]
    fn measures_type_names() {
        fn len(sql: &str) -> &str {
            &sql[..type_len(sql)]
        }
        assert_eq!(len("varchar(100);--> statement-breakpoint"), "varchar(100)");
        assert_eq!(len("numeric(10, 2) USING x::numeric"), "numeric(10, 2)");
        assert_eq!(
            len("character varying(20)[], ALTER c TYPE int"),
            "character varying(20)[]"
        );
        assert_eq!(
            len("timestamp(3) with time zone\n"),
            "timestamp(3) with time zone"
        );
        assert_eq!(
            len("\"public\".\"mood\" USING \"c\"::\"public\".\"mood\""),
            "\"public\".\"mood\""
        );
        assert_eq!(len("text COLLATE \"C\""), "text");
        assert_eq!(len("bigint"), "bigint");
        assert_eq!(len("serial PRIMARY KEY NOT NULL,"), "serial");
        assert_eq!(
            len("interval day to second DEFAULT"),
            "interval day to second"
        );
        assert_eq!(len("double precision[] NOT NULL"), "double precision[]");
    }

    #[test]
    fn measures_qualified_and_quoted_names() {
        assert_eq!(name_len("\"public\".\"app_deals\" ADD"), 20);
        assert_eq!(name_len("raw_crunchbase (id"), 14);
        assert_eq!(name_len("s.t;"), 3);
        assert_eq!(name_len("\"we\"\"ird\" x"), 9);
        assert_eq!(name_len("(x)"), 0);
        assert_eq!(name_len("tëst x"), "tëst".len());
        // PostgreSQL reads every non-ASCII character as part of a name, even `€` or U+3000.
        assert_eq!(name_len("€uro (id"), "€uro".len());
        assert_eq!(name_len("a\u{3000}b c"), "a\u{3000}b".len());
    }

    #[test]
    fn finds_names_after_characters_whose_lowercase_has_another_length() {
        // `İ` lowercases to three bytes and `ẞ` to two: offsets must still be the text's own.
        let sql = "ALTER TABLE \"İ\" RENAME éx TO \"ẞ\"";
        assert_eq!(find_name(sql, "éx"), sql.find("éx"));
        assert_eq!(find_name("SELECT İé, xé FROM t", "xé"), Some(13));
    }

    #[test]
    fn counts_tokens_as_the_parser_sees_them() {
        assert_eq!(count_tokens("SELECT 1;", 100), 3);
        assert_eq!(
            count_tokens("SELECT 'a;b' -- c\n, $x$ y $x$, \"q r\";", 100),
            8
        );
        assert_eq!(count_tokens("SELECT 1; SELECT 2;", 4), 4);
    }
}
