//! Statements inside `DO $$ ... $$` blocks.
//!
//! drizzle-kit wraps foreign keys in `DO $$ BEGIN ... EXCEPTION WHEN duplicate_object ... END $$`.
//! The block is compiled as PL/pgSQL, as the server compiles it before running it; each embedded
//! SQL statement is then found in the body text (PL/pgSQL keeps it verbatim) and parsed with the
//! SQL grammar, so its span points inside the original file. A body PL/pgSQL rejects is a syntax
//! error at the offending token, as the server reports it.

use std::ops::Range;

use pg_query::protobuf::DoStmt;
use serde_json::Value;

use super::{ParsedMigration, Statement, SyntaxError, ast, parse_chunk, pg};

pub(super) fn extract(file_text: &str, block: &Statement, stmt: &DoStmt) -> ParsedMigration {
    let mut found = ParsedMigration::default();
    let Some(body) = plpgsql_body(file_text, block, stmt) else {
        return found;
    };
    let json = match pg::parse_plpgsql(&file_text[block.span.clone()]) {
        Ok(json) => json,
        Err(error) => {
            let span = match error.offset {
                Some(offset) => {
                    let at = block.span.start + offset;
                    at..pg::token_end(&file_text[..block.span.end], at)
                }
                None => body.error_span(file_text, &error.message),
            };
            found.syntax_errors.push(SyntaxError {
                message: error.message,
                span,
            });
            return found;
        }
    };
    // Only a dollar-quoted body is kept verbatim, so only there can statements be found.
    let Some(text) = body.verbatim.clone() else {
        return found;
    };
    let mut queries = embedded_sql(&json);
    // Statements come in the order of the JSON, not of the source; line numbers restore it.
    queries.sort_by_key(|(line, _)| *line);

    let mut cursor = text.start;
    for (_, query) in queries {
        let Some(at) = file_text[cursor..text.end].find(query.as_str()) else {
            continue;
        };
        let start = cursor + at;
        let end = start + query.len();
        parse_chunk(file_text, start..end, &mut found);
        cursor = end;
    }
    for statement in &mut found.statements {
        statement.in_do_block = true;
    }
    found
}

/// The body of a PL/pgSQL `DO` block.
struct Body {
    /// The string literal holding it, quotes included.
    literal: Range<usize>,
    /// The body between the `$tag$` delimiters of a dollar-quoted literal (the only kind whose
    /// text is the body as written).
    verbatim: Option<Range<usize>>,
}

/// The body of a `DO` block written in PL/pgSQL (the default language).
fn plpgsql_body(file_text: &str, block: &Statement, stmt: &DoStmt) -> Option<Body> {
    let mut body_location = None;
    for arg in &stmt.args {
        let Some(pg_query::NodeEnum::DefElem(option)) = arg.node.as_ref() else {
            continue;
        };
        let value = option.arg.as_deref().and_then(ast::string);
        match option.defname.as_str() {
            "as" => body_location = Some(option.arg_location),
            "language" if value.is_some_and(|lang| !lang.eq_ignore_ascii_case("plpgsql")) => {
                return None;
            }
            _ => {}
        }
    }
    let start = block.offset(body_location?);
    let statement = file_text.get(..block.span.end)?;
    let literal = start..pg::token_end(statement, start);
    let verbatim = (|| {
        let rest = &statement[literal.clone()];
        let tag_len = rest.strip_prefix('$')?.find('$')? + 2;
        let body_len = rest.len().checked_sub(2 * tag_len)?;
        Some(start + tag_len..start + tag_len + body_len)
    })();
    Some(Body { literal, verbatim })
}

impl Body {
    /// Where PL/pgSQL's `message` about this body points: the offending token (where the server
    /// points), the closing quote when the body ended too soon, the literal when the body is
    /// not one whose tokens can be placed.
    fn error_span(&self, file_text: &str, message: &str) -> Range<usize> {
        let literal = &file_text[self.literal.clone()];
        // The body, where it starts in the file, and how many bytes its quoting added before a
        // body offset: none in a dollar-quoted body, one per `'` in a `'...'` one (written `''`).
        let (body, body_start, quoted): (std::borrow::Cow<str>, usize, bool) =
            match (&self.verbatim, literal.strip_prefix('\'')) {
                (Some(text), _) => (file_text[text.clone()].into(), text.start, false),
                (None, Some(inner)) if inner.ends_with('\'') => (
                    inner[..inner.len() - 1].replace("''", "'").into(),
                    self.literal.start + 1,
                    true,
                ),
                // An escape string (`E'...'`): its text is not the body as written.
                _ => return self.literal.clone(),
            };
        let in_file = |offset: usize| {
            let doubled = if quoted {
                body[..offset].matches('\'').count()
            } else {
                0
            };
            body_start + offset + doubled
        };
        let closing = in_file(body.len())..self.literal.end;
        if message.ends_with("at end of input") {
            return closing;
        }
        // A dollar quote the body does not contain, to compile parts of it.
        let delimiter = (0..)
            .map(|n| format!("${}$", "b".repeat(n)))
            .find(|delimiter| !body.contains(delimiter.as_str()))
            .unwrap_or_default();
        match offending_token(&body, &delimiter, message) {
            Some(token) => in_file(token.start)..in_file(token.end),
            None => self.literal.start..body_start,
        }
    }
}

/// The token of `body` that PL/pgSQL's `message` is about, found by compiling prefixes of the
/// body (delimited by `delimiter`): compilation stops at the first error, so the shortest prefix
/// that fails with the same message ends at the token PL/pgSQL stopped on. That is the offending
/// token of a PL/pgSQL syntax error; for an embedded SQL statement PL/pgSQL stops at its `;`, and
/// a second search ends the statement early (`prefix;`) to find the token inside it.
fn offending_token(body: &str, delimiter: &str, message: &str) -> Option<Range<usize>> {
    let tokens = pg::lex(body);
    let fails = |text: String| {
        pg::parse_plpgsql(&format!("DO {delimiter}{text}{delimiter}"))
            .is_err_and(|error| error.message == message)
    };
    // The name the message quotes, as in `syntax error at or near "TABEL"`.
    let named = message
        .split_once('"')
        .and_then(|(_, rest)| rest.rsplit_once('"'))
        .map(|(name, _)| name);
    let is_named = |token: &pg::Lexeme| {
        named.is_some_and(|name| token.text == name || token.name().as_deref() == Some(name))
    };

    let stop = tokens.partition_point(|token| !fails(body[..token.span.end].to_owned()));
    let stopped_on = tokens.get(stop)?;
    if named.is_none() || is_named(stopped_on) {
        return Some(stopped_on.span.clone());
    }
    let inside =
        tokens[..stop].partition_point(|token| !fails(format!("{};", &body[..token.span.end])));
    if let Some(token) = tokens[..stop].get(inside).filter(|token| is_named(token)) {
        return Some(token.span.clone());
    }
    // Otherwise the nearest mention of the name before the stop (`"x" is not a known variable`).
    let mentioned = tokens[..=stop].iter().rev().find(|token| is_named(token));
    Some(mentioned.unwrap_or(stopped_on).span.clone())
}

/// The line and SQL text of every statement the function runs that its text holds: each
/// `PLpgSQL_stmt_execsql`, and each `EXECUTE` of a constant string (`EXECUTE 'DROP TABLE t'`,
/// whose SQL is the string's text when it has no doubled quote). Each statement object is read
/// on its own: the function as a whole nests as deeply as its blocks, and serde_json refuses to
/// read a tree deeper than 128 levels (about 40 nested blocks).
fn embedded_sql(json: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for (kind, pointer) in [
        ("PLpgSQL_stmt_execsql", "/sqlstmt/PLpgSQL_expr/query"),
        ("PLpgSQL_stmt_dynexecute", "/query/PLpgSQL_expr/query"),
    ] {
        // Inside a JSON string a `"` is escaped, so this only matches an object's key.
        let key = format!("{{\"{kind}\":");
        for (at, _) in json.match_indices(key.as_str()) {
            let mut objects = serde_json::Deserializer::from_str(&json[at..]).into_iter::<Value>();
            let Some(Ok(object)) = objects.next() else {
                continue;
            };
            let statement = &object[kind];
            let Some(query) = statement.pointer(pointer).and_then(Value::as_str) else {
                continue;
            };
            let query = if kind == "PLpgSQL_stmt_execsql" {
                query
            } else {
                match constant_string(query) {
                    Some(sql) => sql,
                    None => continue,
                }
            };
            let line = statement.get("lineno").and_then(Value::as_u64).unwrap_or(0);
            out.push((line, query.to_owned()));
        }
    }
    out
}

/// The text of `expr` when it is one plain string literal without doubled quotes (`'...'`), so
/// that the text is the SQL, as written in the file.
fn constant_string(expr: &str) -> Option<&str> {
    let inner = expr.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    (!inner.contains('\'') && !inner.trim().is_empty()).then_some(inner)
}

#[cfg(test)]
mod tests {
    use crate::parse::ParsedMigration;
    use crate::parse::tests::parse_plain;

    fn parse(sql: &str) -> ParsedMigration {
        parse_plain(sql)
    }

    /// Each error where PostgreSQL 15 reports it (`LINE n:` and the caret of psql's report).
    #[test]
    fn rejected_bodies_are_errors_at_the_server_position() {
        let cases = [
            (
                "DO $a$ BEGIN DROP TABLE x END $a$;",
                "unexpected end of function definition at end of input",
                "1:31 $a$",
            ),
            (
                "DO $$\nBEGIN\n  DROP TABEL x;\nEND $$;",
                "syntax error at or near \"TABEL\"",
                "3:8 TABEL",
            ),
            (
                "DO $$\nBEGIN\n  ALTER TABLE x\n    ADD COLUMN y int int,\n    ADD COLUMN z int;\nEND $$;",
                "syntax error at or near \"int\"",
                "4:22 int",
            ),
            (
                "DO $$ BEGIN PERFORM 1; SELECT 1 1; END $$;",
                "syntax error at or near \"1\"",
                "1:33 1",
            ),
            (
                "DO $$\nBEGIN\n  IF true THEN\n    PERFORM 1;\n  END;\nEND $$;",
                "syntax error at or near \";\"",
                "5:6 ;",
            ),
            (
                "DO $$\nBEGIN\n  nosuchvar := 1;\nEND $$;",
                "\"nosuchvar\" is not a known variable",
                "3:3 nosuchvar",
            ),
            (
                "DO $$ BEGIN\n RETURN 1;\nEND $$;",
                "RETURN cannot have a parameter in function returning void",
                "2:9 1",
            ),
            (
                "DO $$\n<<outer>>\nBEGIN\n  EXIT inner;\nEND $$;",
                "there is no label \"inner\" attached to any block or loop enclosing this statement",
                "4:8 inner",
            ),
            (
                "DO $$\nBEGIN\n  -- café ☕\n  RAISE NOTICE 'é'; DROP TABEL x;\nEND $$;",
                "syntax error at or near \"TABEL\"",
                "4:26 TABEL",
            ),
            (
                "DO LANGUAGE plpgsql $$ BEGIN SELEC 1; END $$;",
                "syntax error at or near \"SELEC\"",
                "1:30 SELEC",
            ),
            (
                "DO 'BEGIN RAISE NOTICE ''it''''s''; DROP TABEL x; END';",
                "syntax error at or near \"TABEL\"",
                "1:42 TABEL",
            ),
        ];
        for (sql, message, at) in cases {
            let parsed = parse(sql);
            let [error] = parsed.syntax_errors.as_slice() else {
                panic!("{sql}: {:?}", parsed.syntax_errors);
            };
            let before = &sql[..error.span.start];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
            let found = format!("{line}:{column} {}", &sql[error.span.clone()]);
            assert_eq!(
                (error.message.as_str(), found.as_str()),
                (message, at),
                "{sql}"
            );
        }
    }

    #[test]
    fn bodies_the_server_runs_are_not_errors() {
        // 45 nested blocks: deeper than serde_json reads a tree, not than PL/pgSQL compiles.
        let nested = format!(
            "DO $$ {} DROP TABLE cms_posts; {} $$;",
            "BEGIN ".repeat(45),
            vec!["END"; 45].join("; ")
        );
        let parsed = parse(&nested);
        assert!(
            parsed.syntax_errors.is_empty(),
            "{:?}",
            parsed.syntax_errors
        );
        assert_eq!(
            parsed.statements.len(),
            2,
            "the DO block and the DROP inside it"
        );
        for sql in [
            "DO $$ BEGIN\n ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES c(id);\n\
             EXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;",
            // Catalog lookups (the type) are the server's, when the block runs.
            "DO $$ DECLARE v nosuchtype; BEGIN PERFORM 1; END $$;",
            "DO LANGUAGE plpython3u $$ this is not PL/pgSQL $$;",
        ] {
            let parsed = parse(sql);
            assert!(
                parsed.syntax_errors.is_empty(),
                "{sql}: {:?}",
                parsed.syntax_errors
            );
        }
    }
}
