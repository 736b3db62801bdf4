//! drizzle-kit migration folders: `meta/_journal.json` plus `NNNN_tag.sql` files.

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;

use super::{
    InputError, Journal, JournalEntry, Layout, Migration, MigrationSet, SourceKind, Workspace, read,
};
use crate::config::Config;

pub const JOURNAL_PATH: &str = "meta/_journal.json";
/// drizzle-kit 1.0 writes `<timestamp>_<name>/migration.sql` next to `snapshot.json`, no journal.
pub const FOLDER_MIGRATION: &str = "migration.sql";
const FOLDER_SNAPSHOT: &str = "snapshot.json";

/// Whether `dir` has a drizzle journal. Anything at the journal's path counts: a journal that is
/// a directory or a device is an input error of the folder, not a reason to read the folder as
/// plain SQL.
pub fn has_journal(dir: &Path) -> bool {
    dir.join(JOURNAL_PATH).symlink_metadata().is_ok()
}

/// Whether `path` is a drizzle-kit 1.0 `<timestamp>_<name>/migration.sql`.
pub fn is_folder_migration(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name == FOLDER_MIGRATION)
        && path
            .parent()
            .is_some_and(|dir| dir.join(FOLDER_SNAPSHOT).is_file())
}
const BREAKPOINT: &str = "--> statement-breakpoint";

#[derive(Deserialize)]
struct JournalFile {
    entries: Vec<JournalFileEntry>,
}

#[derive(Deserialize)]
struct JournalFileEntry {
    idx: i64,
    when: i64,
    tag: String,
    #[serde(default = "default_breakpoints")]
    breakpoints: bool,
}

fn default_breakpoints() -> bool {
    true
}

/// Reads a drizzle folder into a migration set, in journal order.
/// Files `excluded` are not read: an excluded journal leaves the folder out, an excluded
/// migration is neither replayed nor reported.
pub fn read_folder(
    root: &Path,
    config: &Config,
    excluded: &dyn Fn(&Path) -> bool,
    workspace: &mut Workspace,
) -> Option<MigrationSet> {
    let journal_path = root.join(JOURNAL_PATH);
    if excluded(&journal_path) {
        return None;
    }
    let journal_file = read::load(&journal_path, workspace)?;
    let parsed: JournalFile = match serde_json::from_str(&workspace.files[journal_file].text) {
        Ok(parsed) => parsed,
        Err(err) => {
            let path = workspace.files[journal_file].name.clone();
            workspace.errors.push(InputError {
                path,
                message: format!("malformed drizzle journal: {err}"),
            });
            return None;
        }
    };
    let owner = config.source_owner(root, SourceKind::Drizzle);

    let mut entries = Vec::with_capacity(parsed.entries.len());
    let mut migrations = Vec::with_capacity(parsed.entries.len());
    let mut search_from = 0;
    // A tag listed again names a file already read: it is replayed once (`journal-mismatch`
    // reports the repeat).
    let mut tags = std::collections::HashSet::new();
    for entry in parsed.entries {
        let span = tag_span(
            &workspace.files[journal_file].text,
            &entry.tag,
            &mut search_from,
        );
        let sql_path = root.join(format!("{}.sql", entry.tag));
        let inside = Path::new(&entry.tag).components().count() == 1;
        let file_found = inside && (sql_path.is_file() || read::is_stdin(&sql_path, workspace));
        let first = tags.insert(entry.tag.clone());
        if first
            && file_found
            && !excluded(&sql_path)
            && let Some(file) = read::load(&sql_path, workspace)
        {
            let text = &workspace.files[file].text;
            let start = workspace.files[file].content_start();
            migrations.push(Migration {
                name: entry.tag.clone(),
                file,
                layout: Layout::Drizzle,
                owner: owner.clone(),
                chunks: split_breakpoints(text, start, entry.breakpoints),
                // drizzle-orm's migrator runs all pending migrations in one transaction.
                starts_in_transaction: true,
                header: workspace.files[file].first_line(),
                revision: None,
                script: None,
            });
        }
        entries.push(JournalEntry {
            idx: entry.idx,
            when: entry.when,
            tag: entry.tag,
            span,
            file_found,
        });
    }

    let mut unlisted = Vec::new();
    let mut listed: Vec<_> = entries.iter().map(|e| format!("{}.sql", e.tag)).collect();
    listed.sort();
    for sql in sql_files_in(root, workspace) {
        if excluded(&sql) {
            continue;
        }
        let name = sql
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if listed.binary_search(&name).is_err()
            && let Some(file) = read::load(&sql, workspace)
        {
            unlisted.push(file);
        }
    }
    Some(MigrationSet {
        root: root.to_path_buf(),
        migrations,
        journal: Some(Journal {
            file: journal_file,
            entries,
            unlisted,
            snapshot: None,
        }),
    })
}

/// Reads the snapshot drizzle-kit wrote with each folder's last migration
/// (`meta/NNNN_snapshot.json`, NNNN its journal `idx`), for comparing with a real database.
pub fn load_snapshots(workspace: &mut Workspace) {
    for set in 0..workspace.sets.len() {
        let Some(journal) = &workspace.sets[set].journal else {
            continue;
        };
        let Some(last) = journal.entries.last() else {
            continue;
        };
        let path = workspace.sets[set]
            .root
            .join(format!("meta/{:04}_snapshot.json", last.idx));
        if !path.is_file() {
            continue;
        }
        let file = read::load(&path, workspace);
        if let Some(journal) = &mut workspace.sets[set].journal {
            journal.snapshot = file;
        }
    }
}

/// Pieces of a migration between `--> statement-breakpoint` markers (the whole text when the
/// journal entry has `breakpoints: false`).
pub(super) fn split_breakpoints(text: &str, start: usize, breakpoints: bool) -> Vec<Range<usize>> {
    let mut chunks = Vec::new();
    let mut from = start;
    while let Some(at) = text[from..].find(BREAKPOINT).filter(|_| breakpoints) {
        chunks.push(from..from + at);
        from += at + BREAKPOINT.len();
    }
    chunks.push(from..text.len());
    chunks.retain(|chunk| !text[chunk.clone()].trim().is_empty());
    chunks
}

/// The span of `"tag"` in the journal text, searching forward so repeated tags map in order.
fn tag_span(journal: &str, tag: &str, search_from: &mut usize) -> Range<usize> {
    let quoted = format!("\"{tag}\"");
    match journal[*search_from..].find(&quoted) {
        Some(at) => {
            let start = *search_from + at;
            *search_from = start + quoted.len();
            start..start + quoted.len()
        }
        None => 0..0,
    }
}

/// The `.sql` files of a drizzle folder, with the one standard input stands for (which need
/// not exist yet).
fn sql_files_in(root: &Path, workspace: &Workspace) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    if let Some(stdin) = &workspace.stdin
        && stdin.path.parent() == Some(read::absolute(root).as_path())
        && stdin.path.extension().is_some_and(|ext| ext == "sql")
        && let Some(name) = stdin.path.file_name()
    {
        files.push(root.join(name));
    }
    files.sort();
    files.dedup();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_breakpoints_and_drops_empty_pieces() {
        let text = "CREATE TABLE a (id int);--> statement-breakpoint\nCREATE INDEX i ON a (id);--> statement-breakpoint\n";
        let chunks = split_breakpoints(text, 0, true);
        assert_eq!(chunks.len(), 2);
        assert_eq!(&text[chunks[0].clone()], "CREATE TABLE a (id int);");
        assert_eq!(text[chunks[1].clone()].trim(), "CREATE INDEX i ON a (id);");
    }
}
