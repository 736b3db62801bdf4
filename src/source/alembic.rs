//! Alembic offline SQL (`alembic upgrade A:B --sql`): one migration per `-- Running upgrade`
//! section.

use std::ops::Range;

use super::{AlembicRevision, FileId, Layout, Migration};
use crate::parse::text;

/// Whether a file whose SQL starts at `start` looks like Alembic offline output.
pub fn detect(text: &str, start: usize) -> bool {
    text.contains("CREATE TABLE alembic_version")
        || ((text.contains("-- Running upgrade") || text.contains("-- Running downgrade"))
            && !marks(text, start).headers.is_empty())
}

/// Cuts an offline SQL file into revisions. Text before the first header (Alembic's `BEGIN;` and
/// `CREATE TABLE alembic_version`) goes with the first revision.
pub fn split(text: &str, start: usize, file: FileId, owner: Option<String>) -> Vec<Migration> {
    let Marks {
        headers,
        transactions,
    } = marks(text, start);
    if headers.is_empty() {
        let whole = start..text.len();
        return vec![Migration {
            name: "alembic".to_owned(),
            file,
            layout: Layout::Alembic,
            owner,
            chunks: vec![whole],
            starts_in_transaction: false,
            header: start..start,
            revision: None,
            script: None,
        }];
    }
    let mut migrations = Vec::with_capacity(headers.len());
    let mut transactions = transactions.into_iter().peekable();
    // Whether the last BEGIN or COMMIT before a header left a transaction open.
    let mut open = false;
    for (i, (header, revision)) in headers.iter().enumerate() {
        while let Some((_, begin)) = transactions.next_if(|&(at, _)| at < header.start) {
            open = begin;
        }
        let chunk_start = if i == 0 { start } else { header.start };
        let chunk = chunk_start..headers.get(i + 1).map_or(text.len(), |next| next.0.start);
        migrations.push(Migration {
            name: revision.to.clone(),
            file,
            layout: Layout::Alembic,
            owner: owner.clone(),
            chunks: vec![chunk],
            starts_in_transaction: i > 0 && open,
            header: header.clone(),
            revision: Some(revision.clone()),
            script: None,
        });
    }
    migrations
}

/// What Alembic writes around revisions, found where it writes it: a header as a comment on a
/// line of its own between statements, transaction control as statements of their own. The same
/// words in a string, a function body or inside a statement are text.
struct Marks {
    headers: Vec<(Range<usize>, AlembicRevision)>,
    /// Where each `BEGIN` (true) or `COMMIT` (false) starts.
    transactions: Vec<(usize, bool)>,
}

/// The [`Marks`] of `text` from `start` on.
fn marks(text: &str, start: usize) -> Marks {
    let (statements, comments) = text::statements_and_comments(&text[start..]);
    let headers = comments
        .into_iter()
        .filter(|comment| comment.between_statements && comment.own_line)
        .filter_map(|comment| {
            let span = start + comment.span.start..start + comment.span.end;
            let revision = parse_header(text[span.clone()].trim_end())?;
            Some((span, revision))
        })
        .collect();
    let transactions = statements
        .into_iter()
        .filter_map(|statement| {
            let sql = &text[start + statement.start..start + statement.end];
            let begin = if sql.eq_ignore_ascii_case("BEGIN") {
                true
            } else if sql.eq_ignore_ascii_case("COMMIT") {
                false
            } else {
                return None;
            };
            Some((start + statement.start, begin))
        })
        .collect();
    Marks {
        headers,
        transactions,
    }
}

/// `-- Running upgrade a, b -> c` (the source side is empty for the first revision).
fn parse_header(line: &str) -> Option<AlembicRevision> {
    let rest = line
        .strip_prefix("--")?
        .trim_start()
        .strip_prefix("Running ")?;
    let (downgrade, rest) = if let Some(rest) = rest.strip_prefix("upgrade") {
        (false, rest)
    } else {
        (true, rest.strip_prefix("downgrade")?)
    };
    let (from, to) = rest.split_once("->")?;
    let from = from
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let to = to.trim();
    (!to.is_empty()).then(|| AlembicRevision {
        from,
        to: to.to_owned(),
        downgrade,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_including_merges() {
        let header =
            parse_header("-- Running upgrade 0003a_country, 0003b_idx -> 0004_merge").unwrap();
        assert_eq!(header.from, ["0003a_country", "0003b_idx"]);
        assert_eq!(header.to, "0004_merge");
        let first = parse_header("-- Running upgrade  -> 0001_raw").unwrap();
        assert!(first.from.is_empty());
        assert!(
            parse_header("-- Running downgrade 0005 -> 0004")
                .unwrap()
                .downgrade
        );
        assert!(parse_header("-- just a comment").is_none());
    }

    #[test]
    fn splits_sections_and_tracks_transactions() {
        let text = "BEGIN;\n\nCREATE TABLE alembic_version (v int);\n\n-- Running upgrade  -> a\n\nCREATE TABLE raw_a (id int);\n\nCOMMIT;\n\n-- Running upgrade a -> b\n\nCREATE INDEX CONCURRENTLY i ON raw_a (id);\n";
        let migrations = split(text, 0, 0, None);
        assert_eq!(migrations.len(), 2);
        assert_eq!(migrations[0].chunks[0].start, 0);
        assert!(text[migrations[1].chunks[0].clone()].starts_with("-- Running upgrade a -> b"));
        assert!(!migrations[1].starts_in_transaction);
        assert_eq!(
            &text[migrations[1].header.clone()],
            "-- Running upgrade a -> b"
        );
    }

    #[test]
    fn splits_only_at_headers_between_statements() {
        let text = "\u{feff}-- Running upgrade  -> a\n\
                    BEGIN;\n\
                    CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\n\
                    -- Running upgrade x -> fake\nCOMMIT;\nBEGIN END $$;\n\
                    /*\n-- Running upgrade y -> fake\n*/\n\
                    SELECT '\n-- Running upgrade z -> fake\n',\n\
                    -- Running upgrade w -> fake\n1;\n\
                    -- Running upgrade a -> b\n\
                    CREATE INDEX CONCURRENTLY i ON t (c);\n";
        assert!(detect(text, 3));
        let migrations = split(text, 3, 0, None);
        let names: Vec<&str> = migrations.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        // The COMMIT in the function body does not close the transaction BEGIN opened.
        assert!(migrations[1].starts_in_transaction);
        assert!(!detect("SELECT $$\n-- Running upgrade  -> a\n$$;", 0));
    }
}
