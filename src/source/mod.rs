//! Sources stage: finds migration sets on disk and cuts them into migrations.
//!
//! A migration set is replayed in order into one catalog: a drizzle folder (journal order), a
//! sqitch project (plan order), or the loose `.sql` files of one directory (in the order of the
//! tool whose layout the folder has, else path order; Alembic offline files contribute one
//! migration per revision).

pub mod alembic;
mod alembic_ops;
pub mod alembic_project;
mod discover;
mod drizzle;
pub mod history;
mod ignored;
mod layout;
mod read;
pub mod snapshot;
mod sqitch;

use std::ops::Range;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use discover::{Options, discover, discover_with};
pub use drizzle::load_snapshots;
pub use layout::Layout;
pub use read::MAX_FILE_SIZE;

/// Index of a file in [`Workspace::files`].
pub type FileId = usize;

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The path as reported: relative to the working directory when it is under it.
    pub name: String,
    pub text: String,
}

impl SourceFile {
    /// Where SQL starts: after a UTF-8 byte-order mark, if any.
    pub fn content_start(&self) -> usize {
        if self.text.starts_with('\u{feff}') {
            3
        } else {
            0
        }
    }

    /// The first line's span, for findings about a whole file.
    pub fn first_line(&self) -> Range<usize> {
        let start = self.content_start();
        let end = self.text[start..]
            .find(['\r', '\n'])
            .map_or(self.text.len(), |n| start + n);
        start..end
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Drizzle,
    Alembic,
    Plain,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Drizzle => "drizzle",
            SourceKind::Alembic => "alembic",
            SourceKind::Plain => "plain",
        }
    }
}

/// One migration: what its tool applies as a unit.
#[derive(Debug, Clone)]
pub struct Migration {
    /// Drizzle tag, Alembic target revision, or file stem.
    pub name: String,
    pub file: FileId,
    /// The tool whose layout the migration is written in.
    pub layout: Layout,
    /// The owner (migration system) that writes this migration, when known.
    pub owner: Option<String>,
    /// Byte ranges of the file to parse, in order (drizzle statement-breakpoint pieces).
    pub chunks: Vec<Range<usize>>,
    /// Whether the tool has a transaction open when this migration starts.
    pub starts_in_transaction: bool,
    /// Where findings about the migration as a whole point.
    pub header: Range<usize>,
    pub revision: Option<AlembicRevision>,
    /// The file the migration is written in when its SQL is generated from it (an Alembic
    /// revision script): what `--changed-since` compares, and where findings are reported.
    pub script: Option<FileId>,
}

impl Migration {
    /// What the rules know the migration as: drizzle-kit's, Alembic's, or a plain SQL file.
    pub fn kind(&self) -> SourceKind {
        self.layout.kind()
    }

    /// Whether a transaction still open at the end of `previous` can be the one this migration
    /// runs in: drizzle-kit applies every pending migration of a folder in one transaction, and
    /// an Alembic offline file runs its revisions in the transactions its BEGIN/COMMIT lines
    /// open. Plain files are applied one by one.
    pub fn may_share_transaction_with(&self, previous: &Migration) -> bool {
        match self.kind() {
            SourceKind::Drizzle => previous.kind() == SourceKind::Drizzle,
            SourceKind::Alembic => previous.file == self.file,
            SourceKind::Plain => false,
        }
    }
}

/// An Alembic `-- Running upgrade A, B -> C` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlembicRevision {
    pub from: Vec<String>,
    pub to: String,
    pub downgrade: bool,
}

/// Migrations replayed in order into one catalog.
#[derive(Debug, Clone)]
pub struct MigrationSet {
    pub root: PathBuf,
    pub migrations: Vec<Migration>,
    pub journal: Option<Journal>,
}

impl MigrationSet {
    /// The kind of its migrations (a set holds one kind): what the set is named by.
    pub fn kind(&self) -> SourceKind {
        self.layout().kind()
    }

    /// The layout of its migrations: the tool whose set it is, for a person.
    pub fn layout(&self) -> Layout {
        self.migrations
            .first()
            .map_or(Layout::Plain, |migration| migration.layout)
    }
}

/// A drizzle `meta/_journal.json` and how it matches the folder.
#[derive(Debug, Clone)]
pub struct Journal {
    pub file: FileId,
    pub entries: Vec<JournalEntry>,
    /// `.sql` files in the folder that no entry names (loaded only to point at them).
    pub unlisted: Vec<FileId>,
    /// The last entry's `meta/NNNN_snapshot.json`, once [`load_snapshots`] has read it.
    pub snapshot: Option<FileId>,
}

#[derive(Debug, Clone)]
pub struct JournalEntry {
    pub idx: i64,
    pub when: i64,
    pub tag: String,
    /// The entry's tag in the journal text.
    pub span: Range<usize>,
    pub file_found: bool,
}

/// A path that could not be read as a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Workspace {
    pub files: Vec<SourceFile>,
    pub sets: Vec<MigrationSet>,
    pub errors: Vec<InputError>,
    /// Text read from standard input, standing in for the file at its path.
    stdin: Option<StdinSource>,
    /// Per file, whether its findings are reported; `None`: all are. Files read only as the
    /// context of a named file are replayed, not reported.
    pub reported: Option<Vec<bool>>,
    /// SQL generated from the files it is reported in (Alembic projects).
    pub generated: Vec<alembic_project::Generated>,
}

/// SQL given on standard input (`chronos-lint --stdin-filename PATH -`): linted as if it were
/// the content of PATH, which need not exist.
#[derive(Debug, Clone)]
pub struct StdinSource {
    pub path: PathBuf,
    pub text: String,
}

impl Workspace {
    /// Whether findings in `file` are reported.
    pub fn is_reported(&self, file: FileId) -> bool {
        self.reported
            .as_ref()
            .is_none_or(|reported| reported.get(file).copied().unwrap_or(true))
    }

    /// Whether `file` is SQL generated from other files, never shown itself.
    pub fn is_generated(&self, file: FileId) -> bool {
        self.generated.iter().any(|generated| generated.sql == file)
    }

    /// Where a span of generated SQL is written: the file, span and the generated statement (when
    /// the span is in one) that findings at `span` of `file` are reported at. `None` for a file
    /// that is not generated.
    pub fn written_at(&self, file: FileId, span: &Range<usize>) -> Option<alembic_project::Place> {
        self.generated
            .iter()
            .find(|generated| generated.sql == file)?
            .place(&self.files[file].text, span)
    }

    fn add_file(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        self.files.len() - 1
    }
}
