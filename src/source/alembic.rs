//! Alembic offline SQL (`alembic upgrade A:B --sql`): one migration per `-- Running upgrade`
//! section.

use super::{AlembicRevision, FileId, Migration, SourceKind};

/// Whether a file looks like Alembic offline output.
pub fn detect(text: &str) -> bool {
    text.contains("-- Running upgrade")
        || text.contains("-- Running downgrade")
        || text.contains("CREATE TABLE alembic_version")
}

/// Cuts an offline SQL file into revisions. Text before the first header (Alembic's `BEGIN;` and
/// `CREATE TABLE alembic_version`) goes with the first revision.
pub fn split(text: &str, start: usize, file: FileId, owner: Option<String>) -> Vec<Migration> {
    let mut headers = Vec::new();
    let mut in_transaction = false;
    let mut pos = start;
    for line in text[start..].split_inclusive('\n') {
        let trimmed = line.trim();
        // Alembic writes transaction control on lines of their own.
        if trimmed.eq_ignore_ascii_case("BEGIN;") {
            in_transaction = true;
        } else if trimmed.eq_ignore_ascii_case("COMMIT;") {
            in_transaction = false;
        } else if let Some(revision) = parse_header(trimmed) {
            headers.push((pos, pos + line.trim_end().len(), revision, in_transaction));
        }
        pos += line.len();
    }

    if headers.is_empty() {
        let whole = start..text.len();
        return vec![Migration {
            name: "alembic".to_owned(),
            file,
            kind: SourceKind::Alembic,
            owner,
            chunks: vec![whole],
            starts_in_transaction: false,
            header: start..start,
            revision: None,
        }];
    }
    let mut migrations = Vec::with_capacity(headers.len());
    for (i, (header_start, header_end, revision, open)) in headers.iter().enumerate() {
        let chunk_start = if i == 0 { start } else { *header_start };
        let chunk = chunk_start..headers.get(i + 1).map_or(text.len(), |next| next.0);
        migrations.push(Migration {
            name: revision.to.clone(),
            file,
            kind: SourceKind::Alembic,
            owner: owner.clone(),
            chunks: vec![chunk],
            starts_in_transaction: if i == 0 { false } else { *open },
            header: *header_start..*header_end,
            revision: Some(revision.clone()),
        });
    }
    migrations
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
}
