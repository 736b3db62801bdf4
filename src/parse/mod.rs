//! Parse stage: migration text → spanned PostgreSQL statements.
//!
//! Each migration arrives as byte ranges ("chunks") of its file. A chunk is parsed in one call;
//! when that fails, it is split with PostgreSQL's scanner and each statement is parsed alone, so
//! one bad statement does not hide the rest. Statements inside `DO` blocks are parsed too, with
//! spans pointing into the block.

pub mod ast;
mod do_block;
pub mod locate;
mod pg;
mod stored;
pub mod text;

use std::ops::Range;

use pg_query::NodeEnum;

use crate::source::{Migration, SourceKind};

/// Parses SQL text with PostgreSQL's grammar, nothing more (the floor the benchmarks compare with).
pub use pg::parse as parse_sql;
pub use pg::{Lexeme, LexemeKind, comma_separated, deparse, lex, quote_ident, token_end};

/// The table Alembic records the applied revision in: its statements are bookkeeping.
pub const ALEMBIC_VERSION_TABLE: &str = "alembic_version";
/// One parsed SQL statement and where it is.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The statement's bytes in its file, from its first token to its last (no `;`).
    pub span: Range<usize>,
    /// File offset that node `location` fields are relative to.
    pub base: usize,
    pub node: NodeEnum,
    /// Extracted from the body of a `DO` block.
    pub in_do_block: bool,
    /// Runs inside an open transaction when the migration tool applies it.
    pub in_transaction: bool,
    /// Migration-tool bookkeeping (`BEGIN`, `alembic_version` updates): understood, not linted.
    pub bookkeeping: bool,
}

impl Statement {
    /// File offset of a node `location` inside this statement.
    pub fn offset(&self, location: i32) -> usize {
        self.base + usize::try_from(location).unwrap_or(0)
    }
}

/// A statement PostgreSQL's grammar rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// The offending token (or the statement start, when PostgreSQL gave no position).
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct ParsedMigration {
    pub statements: Vec<Statement>,
    pub syntax_errors: Vec<SyntaxError>,
    /// Each statement's tree as libpg_query encoded it, indexed like `statements` (empty where
    /// unknown), for the cache.
    pub encoded: Vec<Vec<u8>>,
}

/// Parses every chunk of `migration` in `file_text`.
pub fn parse_migration(file_text: &str, migration: &Migration) -> ParsedMigration {
    let mut parsed = ParsedMigration::default();
    for chunk in &migration.chunks {
        parse_chunk(file_text, chunk.clone(), &mut parsed);
    }
    // Statements of a DO block follow their block, so one pass in order sees each state.
    let mut in_transaction = migration.starts_in_transaction;
    for statement in &mut parsed.statements {
        if !statement.in_do_block {
            match transaction_effect(&statement.node) {
                Some(TransactionEffect::Begin) => in_transaction = true,
                Some(TransactionEffect::End) => in_transaction = false,
                None => {}
            }
            statement.bookkeeping = transaction_effect(&statement.node).is_some()
                || (migration.kind() == SourceKind::Alembic
                    && touches_alembic_version(&statement.node));
        }
        statement.in_transaction = in_transaction;
    }
    parsed
}

fn parse_chunk(file_text: &str, chunk: Range<usize>, out: &mut ParsedMigration) {
    let text = &file_text[chunk.clone()];
    match pg::parse(text) {
        Ok(tree) => push_statements(file_text, chunk.start, text, tree, out),
        Err(error) => {
            // Parse statement by statement so the valid ones are still linted.
            let pieces = text::split_statements(text);
            if pieces.len() <= 1 {
                out.syntax_errors
                    .push(located_error(file_text, chunk.start, text, error));
                return;
            }
            for piece in pieces {
                let piece_text = &text[piece.clone()];
                let start = chunk.start + piece.start;
                match pg::parse(piece_text) {
                    Ok(tree) => push_statements(file_text, start, piece_text, tree, out),
                    Err(error) => out
                        .syntax_errors
                        .push(located_error(file_text, start, piece_text, error)),
                }
            }
        }
    }
}

fn located_error(file_text: &str, base: usize, text: &str, error: pg::SyntaxError) -> SyntaxError {
    let span = match error.offset {
        Some(offset) if offset < text.len() => {
            base + offset..base + pg::token_end(text, offset).min(text.len())
        }
        // "at end of input": point at the last token of the text.
        _ => {
            let end = base + text.trim_end().len();
            // Whitespace may be more than one byte (U+3000): start after all of it.
            let start = file_text[base..end]
                .char_indices()
                .rfind(|&(_, c)| c.is_whitespace())
                .map_or(base, |(ws, c)| base + ws + c.len_utf8());
            start..end
        }
    };
    SyntaxError {
        message: error.message,
        span,
    }
}

fn push_statements(
    file_text: &str,
    base: usize,
    text: &str,
    parsed: pg::ParsedSql,
    out: &mut ParsedMigration,
) {
    let mut encoded = parsed.encoded.into_iter();
    for raw in parsed.tree.stmts {
        let tree_bytes = encoded.next().unwrap_or_default();
        let Some(node) = raw.stmt.and_then(|stmt| stmt.node) else {
            continue;
        };
        let start = usize::try_from(raw.stmt_location).unwrap_or(0);
        let end = match usize::try_from(raw.stmt_len) {
            Ok(0) | Err(_) => text.len(),
            Ok(len) => start + len,
        };
        let end = start + text[start..end].trim_end().len();
        let start = text::skip_trivia(text, start).min(end);
        let statement = Statement {
            span: base + start..base + end,
            base,
            node,
            in_do_block: false,
            in_transaction: false,
            bookkeeping: false,
        };
        let inner = match &statement.node {
            NodeEnum::DoStmt(stmt) => do_block::extract(file_text, &statement, stmt),
            _ => Default::default(),
        };
        out.statements.push(statement);
        out.encoded.push(tree_bytes);
        out.statements.extend(inner.statements);
        out.encoded.extend(inner.encoded);
        out.syntax_errors.extend(inner.syntax_errors);
    }
}

enum TransactionEffect {
    Begin,
    End,
}

fn transaction_effect(node: &NodeEnum) -> Option<TransactionEffect> {
    use pg_query::protobuf::TransactionStmtKind as Kind;
    let NodeEnum::TransactionStmt(stmt) = node else {
        return None;
    };
    match Kind::try_from(stmt.kind).ok()? {
        Kind::TransStmtBegin | Kind::TransStmtStart => Some(TransactionEffect::Begin),
        Kind::TransStmtCommit
        | Kind::TransStmtRollback
        | Kind::TransStmtPrepare
        | Kind::TransStmtCommitPrepared
        | Kind::TransStmtRollbackPrepared => Some(TransactionEffect::End),
        _ => None,
    }
}

fn touches_alembic_version(node: &NodeEnum) -> bool {
    let relation = match node {
        NodeEnum::CreateStmt(stmt) => stmt.relation.as_ref(),
        NodeEnum::InsertStmt(stmt) => stmt.relation.as_ref(),
        NodeEnum::UpdateStmt(stmt) => stmt.relation.as_ref(),
        NodeEnum::DeleteStmt(stmt) => stmt.relation.as_ref(),
        NodeEnum::DropStmt(stmt) => {
            return stmt.objects.iter().any(|object| {
                ast::qualified_name(object)
                    .is_some_and(|name| name.last() == Some(&ALEMBIC_VERSION_TABLE))
            });
        }
        _ => None,
    };
    relation.is_some_and(|rel| rel.relname == ALEMBIC_VERSION_TABLE)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `text` parsed as one plain migration.
    pub(crate) fn parse_plain(text: &str) -> ParsedMigration {
        let whole = 0..text.len();
        let migration = Migration {
            name: "m".into(),
            file: 0,
            layout: crate::source::Layout::Plain,
            owner: None,
            chunks: vec![whole],
            starts_in_transaction: false,
            header: 0..0,
            revision: None,
            script: None,
        };
        parse_migration(text, &migration)
    }

    #[test]
    fn end_of_input_error_starts_after_multibyte_whitespace() {
        // PostgreSQL reads `a　int` (U+3000 inside) as one name, then misses the type.
        let text = "CREATE TABLE x (a\u{3000}int";
        let parsed = parse_plain(text);
        let error = &parsed.syntax_errors[0];
        assert_eq!(error.message, "syntax error at end of input");
        assert_eq!(&text[error.span.clone()], "int");
    }

    #[test]
    fn semicolons_inside_rule_actions_do_not_split_after_an_error() {
        let text = "CREATE TABEL t (id int);\ncreate rule r as on delete to t do also (\n delete from a where x = old.x;\n delete from b where x = old.x\n);";
        let parsed = parse_plain(text);
        assert_eq!(parsed.syntax_errors.len(), 1, "{:?}", parsed.syntax_errors);
        assert_eq!(parsed.statements.len(), 1);
    }
}
