//! Where in an Alembic revision script each statement of its offline SQL is written: the `op.`
//! call (`op.create_index(...)`, `batch_op.add_column(...)`) inside `def upgrade` that produced
//! it.
//!
//! The script is read, not run: a small Python tokenizer finds `def upgrade`, the operation calls
//! in its body and the string literals each call holds. A generated statement is matched to a
//! call by what each says: its kind (`CREATE INDEX` comes from `create_index`, or from
//! `create_table`/`add_column` for a column with `index=True`), then the names it writes (index,
//! constraint and column names, and the SQL of `op.execute`) and its table, as literals of the
//! call. Calls run in order, so among equally good candidates the first at or after the call
//! matched last wins; a call may produce several statements (a loop, `create_table` with its
//! indexes). A statement nothing matches belongs to `def upgrade` as a whole.

use std::ops::Range;

/// What the revision script's `def upgrade` holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Script {
    /// `def upgrade`, from `def` to the end of the name.
    pub upgrade: Option<Range<usize>>,
    /// The operation calls in its body, in source order (calls inside another call's arguments,
    /// such as `op.f(...)`, are part of it).
    pub calls: Vec<OpCall>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpCall {
    /// The operation: `create_index`, `execute`, ...
    pub name: String,
    /// From the receiver (`op`, `batch_op`) to the closing parenthesis.
    pub span: Range<usize>,
    /// The string literals among its arguments, decoded; for a `batch_alter_table` block's
    /// calls, the block's own literals (its table) too.
    pub literals: Vec<String>,
}

/// `op` functions that emit no SQL of their own.
const NOT_EMITTING: &[&str] = &[
    "f",
    "get_bind",
    "get_context",
    "inline_literal",
    "batch_alter_table",
    "implementation_for",
    "register_operation",
    "invoke",
    "run_async",
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(Range<usize>),
    /// A string literal's span and decoded content.
    Str(Range<usize>, String),
    Punct(usize, u8),
    /// The end of a logical line (outside brackets).
    Newline,
}

/// Python tokens, enough to find names, calls and literals: comments are skipped, strings
/// (prefixed, triple-quoted) are one token each, newlines inside brackets or after a `\` are
/// not line ends.
fn tokenize(text: &str) -> Vec<(Token, usize)> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut pos = 0;
    // The column of each token: how far its line is indented, for finding `def` at the top.
    let mut line_start = 0;
    while pos < bytes.len() {
        let c = bytes[pos];
        match c {
            b'\n' => {
                if depth == 0 && !matches!(tokens.last(), Some((Token::Newline, _)) | None) {
                    tokens.push((Token::Newline, pos - line_start));
                }
                pos += 1;
                line_start = pos;
            }
            b'\\' if bytes.get(pos + 1) == Some(&b'\n') => pos += 2,
            b'#' => pos = text[pos..].find('\n').map_or(bytes.len(), |n| pos + n),
            c if c.is_ascii_whitespace() => pos += 1,
            b'\'' | b'"' => {
                let (end, content) = string_literal(text, pos, false);
                tokens.push((Token::Str(pos..end, content), pos - line_start));
                pos = end;
            }
            c if c == b'_' || c.is_ascii_alphabetic() || !c.is_ascii() => {
                let end = text[pos..]
                    .find(|ch: char| !(ch == '_' || ch.is_alphanumeric()))
                    .map_or(bytes.len(), |n| pos + n);
                let word = &text[pos..end];
                let prefix = word.len() <= 2
                    && word.chars().all(|ch| "rRbBuUfF".contains(ch))
                    && matches!(bytes.get(end), Some(b'\'' | b'"'));
                if prefix {
                    let raw = word.contains(['r', 'R']);
                    let (end, content) = string_literal(text, end, raw);
                    tokens.push((Token::Str(pos..end, content), pos - line_start));
                    pos = end;
                } else {
                    tokens.push((Token::Name(pos..end), pos - line_start));
                    pos = end;
                }
            }
            c if c.is_ascii_digit() => {
                let end = text[pos..]
                    .find(|ch: char| !(ch == '_' || ch == '.' || ch.is_ascii_alphanumeric()))
                    .map_or(bytes.len(), |n| pos + n);
                pos = end;
            }
            _ => {
                match c {
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                tokens.push((Token::Punct(pos, c), pos - line_start));
                pos += 1;
            }
        }
    }
    tokens
}

/// The string literal whose quote is at `quote`: its end and its content, with the common escapes decoded (`raw`: none).
fn string_literal(text: &str, quote: usize, raw: bool) -> (usize, String) {
    let bytes = text.as_bytes();
    let q = bytes[quote];
    let triple = bytes.get(quote..quote + 3) == Some(&[q, q, q][..]);
    let open = if triple { 3 } else { 1 };
    let mut pos = quote + open;
    let mut content = String::new();
    while pos < bytes.len() {
        let c = bytes[pos];
        if c == b'\\' && pos + 1 < bytes.len() {
            let next = text[pos + 1..].chars().next().unwrap_or('\\');
            if raw {
                content.push('\\');
                content.push(next);
            } else {
                match next {
                    'n' => content.push('\n'),
                    't' => content.push('\t'),
                    '\n' => {}
                    other => content.push(other),
                }
            }
            pos += 1 + next.len_utf8();
            continue;
        }
        if c == q && (!triple || bytes.get(pos..pos + 3) == Some(&[q, q, q][..])) {
            return (pos + open, content);
        }
        if c == b'\n' && !triple {
            // An unterminated literal ends at its line.
            return (pos, content);
        }
        let ch = text[pos..].chars().next().unwrap_or(' ');
        content.push(ch);
        pos += ch.len_utf8();
    }
    (bytes.len(), content)
}

/// Reads `def upgrade` and its operation calls from a revision script.
pub fn scan(text: &str) -> Script {
    let tokens = tokenize(text);
    let name = |range: &Range<usize>| &text[range.clone()];
    let mut script = Script::default();
    // `def upgrade` at the top level, at the start of a logical line.
    let line_start = |i: usize| i == 0 || matches!(tokens[i - 1].0, Token::Newline);
    let Some(def) = (0..tokens.len()).find(|&i| {
        line_start(i)
            && tokens[i].1 == 0
            && matches!(&tokens[i].0, Token::Name(r) if name(r) == "def")
            && matches!(tokens.get(i + 1), Some((Token::Name(r), _)) if name(r) == "upgrade")
    }) else {
        return script;
    };
    let (Token::Name(def_span), Token::Name(name_span)) = (&tokens[def].0, &tokens[def + 1].0)
    else {
        return script;
    };
    script.upgrade = Some(def_span.start..name_span.end);
    // The body ends at the next logical line that starts at column 0 (after the header's).
    let body_end = (def + 2..tokens.len())
        .find(|&i| line_start(i) && tokens[i].1 == 0 && !matches!(tokens[i].0, Token::Newline))
        .unwrap_or(tokens.len());

    // `with op.batch_alter_table("t") as batch_op:`: the alias and the block's literals.
    let mut receivers: Vec<(String, Vec<String>)> = vec![("op".to_owned(), Vec::new())];
    let mut i = def + 2;
    let mut covered = 0;
    while i + 3 < body_end {
        let call = match (
            &tokens[i].0,
            &tokens[i + 1].0,
            &tokens[i + 2].0,
            &tokens[i + 3].0,
        ) {
            (
                Token::Name(receiver),
                Token::Punct(_, b'.'),
                Token::Name(method),
                Token::Punct(_, b'('),
            ) if receivers.iter().any(|(r, _)| r == name(receiver)) => {
                Some((receiver.clone(), method.clone()))
            }
            _ => None,
        };
        let Some((receiver, method)) = call else {
            i += 1;
            continue;
        };
        // The matching parenthesis, and the literals inside.
        let mut depth = 0usize;
        let mut close = None;
        let mut literals = Vec::new();
        for (j, (token, _)) in tokens.iter().enumerate().take(body_end).skip(i + 3) {
            match token {
                Token::Punct(_, b'(' | b'[' | b'{') => depth += 1,
                Token::Punct(at, b')' | b']' | b'}') => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some((j, *at));
                        break;
                    }
                }
                Token::Str(_, content) => literals.push(content.clone()),
                _ => {}
            }
        }
        let Some((close, close_at)) = close else {
            break;
        };
        let method_name = name(&method).to_owned();
        let receiver_name = name(&receiver);
        if receiver.start >= covered {
            if method_name == "batch_alter_table" {
                // `... ) as alias`
                if let (Some((Token::Name(r#as), _)), Some((Token::Name(alias), _))) =
                    (tokens.get(close + 1), tokens.get(close + 2))
                    && name(r#as) == "as"
                {
                    receivers.push((name(alias).to_owned(), literals.clone()));
                }
            } else if !NOT_EMITTING.contains(&method_name.as_str()) {
                if let Some((_, block)) = receivers.iter().find(|(r, _)| r == receiver_name) {
                    literals.extend(block.iter().cloned());
                }
                script.calls.push(OpCall {
                    name: method_name,
                    span: receiver.start..close_at + 1,
                    literals,
                });
                covered = close_at + 1;
            }
        }
        i += 4;
    }
    script
}

/// What a generated statement is, for matching it to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    CreateTable,
    CreateIndex,
    DropIndex,
    DropTable,
    AddColumn,
    DropColumn,
    AlterColumn,
    RenameTable,
    AddConstraint,
    DropConstraint,
    CreateType,
    Comment,
    Insert,
    Other,
}

/// A statement's class, table and the names it writes (indexes, constraints, columns, types).
#[derive(Debug)]
struct Described {
    class: Class,
    table: Option<String>,
    names: Vec<String>,
}

/// The words of a statement, with quotes taken off names: enough to tell what Alembic wrote.
fn words(sql: &str) -> Vec<String> {
    sql.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';'))
        .filter(|word| !word.is_empty())
        .map(|word| word.replace('"', ""))
        .collect()
}

/// The bare name of a possibly schema-qualified one.
fn bare(name: &str) -> String {
    name.rsplit('.').next().unwrap_or(name).to_owned()
}

fn describe(sql: &str) -> Described {
    let words = words(sql);
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let is = |i: usize, word: &str| upper.get(i).is_some_and(|w| w == word);
    // The first word at or after `i` that is not one of `skip`.
    let after = |mut i: usize, skip: &[&str]| {
        while upper.get(i).is_some_and(|w| skip.contains(&w.as_str())) {
            i += 1;
        }
        i
    };
    let word = |i: usize| words.get(i).cloned();
    let mut described = Described {
        class: Class::Other,
        table: None,
        names: Vec::new(),
    };
    let first = upper.first().map_or("", String::as_str);
    match first {
        "CREATE" => {
            let at = after(
                1,
                &["UNIQUE", "OR", "REPLACE", "TEMPORARY", "TEMP", "UNLOGGED"],
            );
            if is(at, "TABLE") {
                described.class = Class::CreateTable;
                described.table = word(after(at + 1, &["IF", "NOT", "EXISTS"])).map(|t| bare(&t));
            } else if is(at, "INDEX") {
                described.class = Class::CreateIndex;
                let name = after(at + 1, &["CONCURRENTLY", "IF", "NOT", "EXISTS"]);
                if !is(name, "ON") {
                    described.names.extend(word(name));
                }
                if let Some(on) = (at..upper.len()).find(|&i| is(i, "ON")) {
                    described.table = word(after(on + 1, &["ONLY"])).map(|t| bare(&t));
                }
            } else if is(at, "TYPE") {
                described.class = Class::CreateType;
                described.names.extend(word(at + 1).map(|t| bare(&t)));
            }
        }
        "DROP" if is(1, "INDEX") => {
            described.class = Class::DropIndex;
            let name = after(2, &["CONCURRENTLY", "IF", "EXISTS"]);
            described.names.extend(word(name).map(|t| bare(&t)));
        }
        "DROP" if is(1, "TABLE") => {
            described.class = Class::DropTable;
            described.table = word(after(2, &["IF", "EXISTS"])).map(|t| bare(&t));
        }
        "ALTER" if is(1, "TABLE") => {
            let table = after(2, &["IF", "EXISTS", "ONLY"]);
            described.table = word(table).map(|t| bare(&t));
            let action = table + 1;
            let (class, name) = if is(action, "ADD") && is(action + 1, "CONSTRAINT") {
                (Class::AddConstraint, Some(action + 2))
            } else if is(action, "ADD") && is(action + 1, "COLUMN") {
                (
                    Class::AddColumn,
                    Some(after(action + 2, &["IF", "NOT", "EXISTS"])),
                )
            } else if is(action, "ADD") {
                (Class::AddConstraint, None)
            } else if is(action, "DROP") && is(action + 1, "CONSTRAINT") {
                (
                    Class::DropConstraint,
                    Some(after(action + 2, &["IF", "EXISTS"])),
                )
            } else if is(action, "DROP") {
                let at = after(action + 1, &["COLUMN", "IF", "EXISTS"]);
                (Class::DropColumn, Some(at))
            } else if is(action, "ALTER") {
                (Class::AlterColumn, Some(after(action + 1, &["COLUMN"])))
            } else if is(action, "RENAME") && is(action + 1, "TO") {
                (Class::RenameTable, Some(action + 2))
            } else if is(action, "RENAME") {
                (Class::AlterColumn, Some(after(action + 1, &["COLUMN"])))
            } else {
                (Class::Other, None)
            };
            described.class = class;
            described.names.extend(name.and_then(word));
            // `RENAME a TO b`: the new name is written in the call too.
            if class == Class::AlterColumn && is(action, "RENAME") {
                described.names.extend(name.and_then(|at| word(at + 2)));
            }
        }
        "COMMENT" => {
            described.class = Class::Comment;
            if is(1, "ON")
                && let Some(target) = word(3)
            {
                let parts: Vec<&str> = target.split('.').collect();
                if is(2, "COLUMN") && parts.len() >= 2 {
                    described.table = Some(parts[parts.len() - 2].to_owned());
                    described.names.push(parts[parts.len() - 1].to_owned());
                } else {
                    described.table = Some(bare(&target));
                }
            }
        }
        "INSERT" if is(1, "INTO") => {
            described.class = Class::Insert;
            described.table = word(2).map(|t| bare(&t));
        }
        "UPDATE" => described.table = word(after(1, &["ONLY"])).map(|t| bare(&t)),
        "DELETE" if is(1, "FROM") => described.table = word(after(2, &["ONLY"])).map(|t| bare(&t)),
        _ => {}
    }
    described
}

/// Whether operation `op` can produce a statement of `class`; `None` for operations that can
/// produce any (`execute`, and operations this does not know, such as a plugin's).
fn produces(op: &str, class: Class) -> Option<bool> {
    use Class::*;
    let classes: &[Class] = match op {
        "create_table" => &[CreateTable, CreateIndex, CreateType, Comment],
        "drop_table" => &[DropTable],
        "add_column" => &[AddColumn, AddConstraint, CreateIndex, Comment],
        "drop_column" => &[DropColumn],
        "alter_column" => &[AlterColumn, Comment],
        "create_index" => &[CreateIndex],
        "drop_index" => &[DropIndex],
        "create_unique_constraint"
        | "create_foreign_key"
        | "create_check_constraint"
        | "create_primary_key"
        | "create_exclude_constraint" => &[AddConstraint],
        "drop_constraint" => &[DropConstraint],
        "rename_table" => &[RenameTable],
        "create_table_comment" | "drop_table_comment" => &[Comment],
        "bulk_insert" => &[Insert],
        _ => return None,
    };
    Some(classes.contains(&class))
}

/// Whitespace collapsed, lowercase, without a final `;`: how SQL is compared with the text of
/// an `op.execute` literal.
fn normalize(sql: &str) -> String {
    let collapsed = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.trim_end_matches(';').trim_end().to_lowercase()
}

/// For each statement (its SQL), the index of the call in `calls` that produced it, if one
/// matches.
pub fn place(statements: &[&str], calls: &[OpCall]) -> Vec<Option<usize>> {
    let executes: Vec<String> = calls
        .iter()
        .map(|call| normalize(&call.literals.concat()))
        .collect();
    let candidates: Vec<Vec<Candidate>> = statements
        .iter()
        .map(|sql| candidates(sql, calls, &executes))
        .collect();
    let mut placed = vec![None; statements.len()];
    // First the statements a call names or writes out, in order.
    let mut last = 0;
    for (at, found) in candidates.iter().enumerate() {
        let best = found.iter().map(|c| c.score).max().unwrap_or(0);
        if best == 0 {
            continue;
        }
        let top = || found.iter().filter(|c| c.score == best);
        let chosen = top().find(|c| c.call >= last).or_else(|| top().next());
        if let Some(chosen) = chosen {
            last = chosen.call;
            placed[at] = Some(chosen.call);
        }
    }
    // Then the rest, which nothing names: calls run in order, so only a call between those of
    // the placed statements around it, of the right kind before an `execute`, and not yet
    // taken (an `op.execute(variable)` writes one statement). None, and the statement belongs
    // to `def upgrade`.
    let mut taken: Vec<bool> = vec![false; calls.len()];
    for call in placed.iter().flatten() {
        taken[*call] = true;
    }
    // The call of the next placed statement at or after each one.
    let mut next_placed = vec![None; statements.len()];
    let mut next = None;
    for at in (0..statements.len()).rev() {
        next = placed[at].or(next);
        next_placed[at] = next;
    }
    let mut last = 0;
    for at in 0..statements.len() {
        if let Some(call) = placed[at] {
            last = call;
            continue;
        }
        let next = next_placed[at];
        let ahead = || {
            candidates[at].iter().filter(|c| {
                c.call >= last && next.is_none_or(|next| c.call <= next) && !taken[c.call]
            })
        };
        if let Some(chosen) = ahead().find(|c| c.known).or_else(|| ahead().next()) {
            last = chosen.call;
            taken[chosen.call] = true;
            placed[at] = Some(chosen.call);
        }
    }
    placed
}

/// A call that can have produced a statement.
struct Candidate {
    call: usize,
    /// How much of the statement the call names: 3 its SQL written out, 2 its index, column
    /// or constraint, 1 its table, 0 nothing.
    score: u32,
    /// Whether the call is an operation known to produce statements of this kind (not an
    /// `execute` or an operation this does not know).
    known: bool,
}

/// The calls that can have produced `sql`.
fn candidates(sql: &str, calls: &[OpCall], executes: &[String]) -> Vec<Candidate> {
    let described = describe(sql);
    let normalized = normalize(sql);
    let has = |call: &OpCall, name: &str| call.literals.iter().any(|l| l == name);
    let comparable = described.table.is_some() || !described.names.is_empty();
    calls
        .iter()
        .enumerate()
        .filter_map(|(i, call)| match produces(&call.name, described.class) {
            Some(false) => None,
            Some(true) => {
                let named = described.names.iter().any(|name| has(call, name));
                let table = described.table.as_ref().is_some_and(|t| has(call, t));
                // A call that names other tables and columns is another statement's.
                let names_others = comparable && !named && !table && !call.literals.is_empty();
                (!names_others).then(|| Candidate {
                    call: i,
                    score: u32::from(named) * 2 + u32::from(table),
                    known: true,
                })
            }
            None => {
                let written = !normalized.is_empty() && executes[i].contains(&normalized);
                // SQL written out in the call that is not this statement is another's.
                let other_sql = call.name == "execute" && !call.literals.is_empty();
                let score = match (written, other_sql) {
                    (true, _) => 3,
                    (false, true) => return None,
                    (false, false) => 0,
                };
                Some(Candidate {
                    call: i,
                    score,
                    known: false,
                })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = r#""""index
Revision ID: 0003b_idx
"""
from alembic import op

revision = '0003b_idx'

def helper():
    op.drop_table("never")


def upgrade() -> None:
    """Upgrade schema."""
    # op.create_index("commented", "t", ["c"])
    op.create_index(op.f("ix_t_a"), "t", ["a"])
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_t_b", "t", ["b"],
            postgresql_concurrently=True,
        )
    with op.batch_alter_table("t") as batch_op:
        batch_op.add_column(sa.Column("c", sa.Text()))
    op.execute("""
        UPDATE t
        SET c = 'x'  -- backfill
    """)


def downgrade() -> None:
    op.drop_index("ix_t_b")
"#;

    #[test]
    fn finds_the_calls_of_upgrade_only() {
        let script = scan(SCRIPT);
        let upgrade = script.upgrade.clone().unwrap();
        assert_eq!(&SCRIPT[upgrade], "def upgrade");
        let names: Vec<&str> = script.calls.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["create_index", "create_index", "add_column", "execute"]
        );
        assert!(SCRIPT[script.calls[0].span.clone()].starts_with("op.create_index(op.f("));
        assert!(SCRIPT[script.calls[1].span.clone()].ends_with("=True,\n        )"));
        assert_eq!(script.calls[0].literals, ["ix_t_a", "t", "a"]);
        // The block's table comes with its calls.
        assert!(script.calls[2].literals.contains(&"t".to_owned()));
        assert!(script.calls[3].literals[0].contains("SET c = 'x'"));
    }

    #[test]
    fn matches_statements_to_calls() {
        let script = scan(SCRIPT);
        let placed = place(
            &[
                "CREATE INDEX ix_t_a ON t (a)",
                "CREATE INDEX CONCURRENTLY ix_t_b ON t (b)",
                "ALTER TABLE t ADD COLUMN c TEXT",
                "UPDATE t\n        SET c = 'x'  -- backfill",
                "DROP TABLE elsewhere",
            ],
            &script.calls,
        );
        assert_eq!(placed, [Some(0), Some(1), Some(2), Some(3), None]);
    }

    #[test]
    fn a_call_may_produce_several_statements() {
        let text = "def upgrade():\n    op.create_table('a', sa.Column('id', index=True))\n    \
                    op.create_index('ix_b', 'b', ['x'])\n    op.add_column('a', sa.Column('n'))\n";
        let script = scan(text);
        let placed = place(
            &[
                "CREATE TABLE a (id INTEGER)",
                "CREATE INDEX ix_a_id ON a (id)",
                "CREATE INDEX ix_b ON b (x)",
                "ALTER TABLE a ADD COLUMN n INTEGER",
                "ALTER TABLE a RENAME n TO m",
            ],
            &script.calls,
        );
        assert_eq!(placed, [Some(0), Some(0), Some(1), Some(2), None]);
    }

    #[test]
    fn a_statement_without_evidence_is_not_pinned_on_another_call() {
        // A helper function's drop, then a drop of another table's column, then SQL from a
        // variable that an `op.execute` without literals writes once.
        let text = "def upgrade():\n    helper()\n    op.drop_column('raw', 'payload')\n    \
                    op.execute(SQL)\n";
        let script = scan(text);
        let placed = place(
            &[
                "ALTER TABLE staging DROP COLUMN status",
                "ALTER TABLE raw DROP COLUMN payload",
                "ALTER TABLE staging DROP COLUMN amount",
                "ALTER TABLE staging DROP COLUMN other",
            ],
            &script.calls,
        );
        assert_eq!(placed, [None, Some(0), Some(1), None]);
    }

    #[test]
    fn describes_what_alembic_writes() {
        let d = describe("ALTER TABLE raw_crunchbase RENAME homepage_url TO website_url");
        assert_eq!(d.class, Class::AlterColumn);
        assert_eq!(d.table.as_deref(), Some("raw_crunchbase"));
        assert_eq!(d.names, ["homepage_url", "website_url"]);
        let d = describe("CREATE UNIQUE INDEX \"Ix\" ON public.t USING btree (a)");
        assert_eq!(d.class, Class::CreateIndex);
        assert_eq!(
            (d.table.as_deref(), &d.names[..]),
            (Some("t"), &["Ix".to_owned()][..])
        );
        let d = describe("ALTER TABLE t DROP CONSTRAINT uq_t");
        assert_eq!(
            (d.class, &d.names[..]),
            (Class::DropConstraint, &["uq_t".to_owned()][..])
        );
    }
}
