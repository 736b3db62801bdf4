//! A parsed migration as bytes, for the cache: the statements' trees in libpg_query's own
//! protobuf encoding, with their spans and flags beside them.

use pg_query::protobuf::Node;
use prost::Message;

use super::{ParsedMigration, Statement, SyntaxError, pg};

#[derive(Clone, PartialEq, Message)]
struct StoredMigration {
    #[prost(message, repeated, tag = "1")]
    statements: Vec<StoredStatement>,
    #[prost(message, repeated, tag = "2")]
    syntax_errors: Vec<StoredSyntaxError>,
}

#[derive(Clone, PartialEq, Message)]
struct StoredStatement {
    #[prost(uint64, tag = "1")]
    start: u64,
    #[prost(uint64, tag = "2")]
    end: u64,
    #[prost(uint64, tag = "3")]
    base: u64,
    /// A `Node` message: the tree as libpg_query encodes it.
    #[prost(bytes = "vec", tag = "4")]
    node: Vec<u8>,
    #[prost(bool, tag = "5")]
    in_do_block: bool,
    #[prost(bool, tag = "6")]
    in_transaction: bool,
    #[prost(bool, tag = "7")]
    bookkeeping: bool,
}

#[derive(Clone, PartialEq, Message)]
struct StoredSyntaxError {
    #[prost(string, tag = "1")]
    message: String,
    #[prost(uint64, tag = "2")]
    start: u64,
    #[prost(uint64, tag = "3")]
    end: u64,
}

impl ParsedMigration {
    pub fn to_bytes(&self) -> Vec<u8> {
        let stored = StoredMigration {
            statements: self
                .statements
                .iter()
                .enumerate()
                .map(|(index, statement)| {
                    // libpg_query's own encoding when the parse kept it; else encoded here.
                    let node = match self.encoded.get(index) {
                        Some(bytes) if !bytes.is_empty() => bytes.clone(),
                        _ => {
                            let mut node = Vec::new();
                            statement.node.encode(&mut node);
                            node
                        }
                    };
                    StoredStatement {
                        start: statement.span.start as u64,
                        end: statement.span.end as u64,
                        base: statement.base as u64,
                        node,
                        in_do_block: statement.in_do_block,
                        in_transaction: statement.in_transaction,
                        bookkeeping: statement.bookkeeping,
                    }
                })
                .collect(),
            syntax_errors: self
                .syntax_errors
                .iter()
                .map(|error| StoredSyntaxError {
                    message: error.message.clone(),
                    start: error.span.start as u64,
                    end: error.span.end as u64,
                })
                .collect(),
        };
        stored.encode_to_vec()
    }

    /// `None` when the bytes are not a stored migration (a damaged cache file).
    pub fn from_bytes(bytes: &[u8]) -> Option<ParsedMigration> {
        let stored = StoredMigration::decode(bytes).ok()?;
        let offset = |value: u64| usize::try_from(value).ok();
        let statements = stored
            .statements
            .into_iter()
            .map(|statement| {
                let node = pg::decode_deep::<Node>(&statement.node).ok()?.node?;
                Some(Statement {
                    span: offset(statement.start)?..offset(statement.end)?,
                    base: offset(statement.base)?,
                    node,
                    in_do_block: statement.in_do_block,
                    in_transaction: statement.in_transaction,
                    bookkeeping: statement.bookkeeping,
                })
            })
            .collect::<Option<_>>()?;
        let syntax_errors = stored
            .syntax_errors
            .into_iter()
            .map(|error| {
                Some(SyntaxError {
                    span: offset(error.start)?..offset(error.end)?,
                    message: error.message,
                })
            })
            .collect::<Option<_>>()?;
        Some(ParsedMigration {
            statements,
            syntax_errors,
            encoded: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Layout, Migration};

    #[test]
    fn a_parsed_migration_comes_back_from_its_bytes() {
        let text = "BEGIN;\nCREATE TABLE t (id int PRIMARY KEY);\nDO $$ BEGIN ALTER TABLE t ADD \
                    COLUMN a text; END $$;\nSELEC 1;\nCOMMIT;\n";
        let migration = Migration {
            name: "m".into(),
            file: 0,
            layout: Layout::Plain,
            owner: None,
            chunks: std::iter::once(0..text.len()).collect(),
            starts_in_transaction: false,
            header: 0..0,
            revision: None,
            script: None,
        };
        let parsed = crate::parse::parse_migration(text, &migration);
        assert!(!parsed.syntax_errors.is_empty() && parsed.statements.len() > 3);
        assert_eq!(parsed.encoded.len(), parsed.statements.len());
        assert!(parsed.encoded.iter().all(|bytes| !bytes.is_empty()));
        let back = ParsedMigration::from_bytes(&parsed.to_bytes()).unwrap();
        assert_eq!(
            format!("{:?}", parsed.statements),
            format!("{:?}", back.statements)
        );
        assert_eq!(parsed.syntax_errors, back.syntax_errors);
        // Encoded here rather than by libpg_query: the same trees come back.
        let reencoded = ParsedMigration {
            encoded: Vec::new(),
            ..parsed.clone()
        };
        let back = ParsedMigration::from_bytes(&reencoded.to_bytes()).unwrap();
        assert_eq!(
            format!("{:?}", parsed.statements),
            format!("{:?}", back.statements)
        );
        assert!(ParsedMigration::from_bytes(b"\xff\xff not a migration").is_none());
    }
}
