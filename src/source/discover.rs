//! Walking the paths given on the command line into migration sets.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use globset::GlobSet;
use rayon::prelude::*;
use walkdir::WalkDir;

use super::{
    InputError, Migration, MigrationSet, SourceFile, SourceKind, StdinSource, Workspace, alembic,
    drizzle,
};
use crate::config::Config;

/// Directories never worth walking into.
const SKIPPED_DIRS: &[&str] = &["node_modules", "target", "__pycache__"];

/// Finds every migration set under `paths`. Problems with individual paths are collected in
/// [`Workspace::errors`]; everything else is still read.
pub fn discover(
    paths: &[PathBuf],
    config: &Config,
    exclude: &GlobSet,
    stdin: Option<StdinSource>,
) -> Workspace {
    let stdin = stdin.map(|source| StdinSource {
        path: absolute(&source.path),
        ..source
    });
    let is_stdin = |path: &Path| stdin.as_ref().is_some_and(|s| s.path == absolute(path));
    let mut workspace = Workspace {
        stdin: stdin.clone(),
        ..Workspace::default()
    };
    let mut found = Found::default();

    for path in paths {
        if !path.exists() && path.symlink_metadata().is_err() && !is_stdin(path) {
            workspace.errors.push(InputError {
                path: display(path),
                message: "no such file or directory".into(),
            });
            continue;
        }
        let before = found.count;
        if path.is_file() || is_stdin(path) {
            match drizzle_root_of(path) {
                Some(root) => found.drizzle(root),
                None => found.loose(path),
            }
        } else {
            walk(path, exclude, &mut found, &mut workspace);
        }
        if found.count == before && path.is_dir() {
            workspace.errors.push(InputError {
                path: display(path),
                message: "no migrations found (no .sql files and no drizzle meta/_journal.json)"
                    .into(),
            });
        }
    }

    let Found {
        mut drizzle_roots,
        loose,
        ..
    } = found;
    drizzle_roots.sort();
    for root in &drizzle_roots {
        if let Some(set) = drizzle::read_folder(root, config, &mut workspace) {
            workspace.sets.push(set);
        }
    }
    for (dir, mut files) in loose {
        files.sort();
        files.dedup();
        // Read and split in parallel; file ids are given in path order afterwards.
        let stdin = workspace.stdin.as_ref();
        let read: Vec<_> = files
            .par_iter()
            .map(|path| {
                let source = read_source(path, stdin)?;
                let migrations = loose_file_migrations(path, &source, config);
                Ok((source, migrations))
            })
            .collect();
        let mut migrations = Vec::new();
        for read in read {
            match read {
                Ok((source, split)) => {
                    let file = workspace.add_file(source);
                    migrations.extend(split.into_iter().map(|m| Migration { file, ..m }));
                }
                Err(error) => workspace.errors.push(error),
            }
        }
        if !migrations.is_empty() {
            workspace.sets.push(MigrationSet {
                root: dir,
                migrations,
                journal: None,
            });
        }
    }
    workspace
}

/// What the paths hold, each file and folder once however often and however it is named
/// (`migrations ./migrations`, or a file and its folder): paths are compared canonically, and the
/// first spelling is kept.
#[derive(Default)]
struct Found {
    drizzle_roots: Vec<PathBuf>,
    /// Loose .sql files grouped by directory: each directory is one set, in path order.
    loose: BTreeMap<PathBuf, Vec<PathBuf>>,
    /// Canonical paths of the drizzle folders and loose files taken.
    taken: HashSet<PathBuf>,
    /// The directory of each loose set, canonical, with the spelling that keys `loose`.
    set_dirs: HashMap<PathBuf, PathBuf>,
    /// Migrations met, counting repeats: a path that names nothing new still named something.
    count: usize,
}

impl Found {
    fn drizzle(&mut self, root: PathBuf) {
        self.count += 1;
        if self.taken.insert(canonical(&root)) {
            self.drizzle_roots.push(root);
        }
    }

    fn loose(&mut self, path: &Path) {
        self.count += 1;
        if !self.taken.insert(canonical(path)) {
            return;
        }
        let dir = set_dir_of(path);
        let key = self
            .set_dirs
            .entry(canonical(&dir))
            .or_insert_with(|| dir.clone());
        // Spelled under the set's directory, so the set's files sort by their place in it.
        let path = key.join(path.strip_prefix(&dir).unwrap_or(path));
        self.loose.entry(key.clone()).or_default().push(path);
    }
}

/// `path` with symbolic links, `.` and `..` resolved; made absolute when it does not exist (the
/// path of standard input).
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| absolute(path))
}

fn walk(root: &Path, exclude: &GlobSet, found: &mut Found, workspace: &mut Workspace) {
    let mut walker = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().map_or_else(|| display(root), display);
                let message = if err.loop_ancestor().is_some() {
                    "symbolic link loop; skipped".to_owned()
                } else {
                    err.io_error()
                        .map_or_else(|| err.to_string(), ToString::to_string)
                };
                workspace.errors.push(InputError { path, message });
                continue;
            }
        };
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap_or(path);
        if entry.depth() > 0 && (exclude.is_match(relative) || exclude.is_match(path)) {
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_dir() {
            let name = entry.file_name().to_string_lossy();
            let hidden = entry.depth() > 0 && name.starts_with('.');
            if hidden || SKIPPED_DIRS.contains(&name.as_ref()) {
                walker.skip_current_dir();
            } else if drizzle::has_journal(path) {
                found.drizzle(path.to_path_buf());
                walker.skip_current_dir();
            }
        } else if path.extension().is_some_and(|ext| ext == "sql") {
            found.loose(path);
        }
    }
}

/// The drizzle folder a file belongs to, when it is a migration of one.
fn drizzle_root_of(path: &Path) -> Option<PathBuf> {
    let dir = path.parent()?;
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let is_journal = path.file_name().is_some_and(|n| n == "_journal.json");
    let root = if is_journal { dir.parent()? } else { dir };
    drizzle::has_journal(root).then(|| root.to_path_buf())
}

/// The directory whose migration set a loose `.sql` file belongs to: its own directory, or for
/// drizzle-kit 1.0 folder migrations the directory holding the migration folders.
fn set_dir_of(path: &Path) -> PathBuf {
    let dir = parent_of(path);
    if drizzle::is_folder_migration(path) {
        parent_of(&dir)
    } else {
        dir
    }
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A `.sql` file outside a drizzle folder: Alembic offline output or a plain migration.
/// The migrations of loose file `source` (read from `path`): its Alembic revisions, or itself.
/// Their `file` is left 0 for the caller to set.
fn loose_file_migrations(path: &Path, source: &SourceFile, config: &Config) -> Vec<Migration> {
    let file = 0;
    let settings = config.source_settings(path);
    let folder_migration = drizzle::is_folder_migration(path);
    let kind = settings.and_then(|s| s.kind).unwrap_or_else(|| {
        if folder_migration {
            return SourceKind::Drizzle;
        }
        if alembic::detect(&source.text, source.content_start()) {
            SourceKind::Alembic
        } else {
            SourceKind::Plain
        }
    });
    let owner = config.source_owner(path, kind);
    let start = source.content_start();
    match kind {
        SourceKind::Alembic => alembic::split(&source.text, start, file, owner),
        SourceKind::Drizzle | SourceKind::Plain => {
            let in_transaction = settings
                .and_then(|s| s.in_transaction)
                .unwrap_or(kind == SourceKind::Drizzle || config.assume_in_transaction);
            let chunks =
                drizzle::split_breakpoints(&source.text, start, kind == SourceKind::Drizzle);
            // A folder migration is named by its folder.
            let named = if folder_migration {
                path.parent().unwrap_or(path)
            } else {
                path
            };
            let name = named
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            vec![Migration {
                name,
                file,
                kind,
                owner,
                chunks,
                starts_in_transaction: in_transaction,
                header: source.first_line(),
                revision: None,
            }]
        }
    }
}

/// The largest file read as a migration. Files that large are data dumps; hand-written and
/// generated migrations stay far below this.
pub const MAX_FILE_SIZE: u64 = 16 << 20;

/// The most tokens a migration file may have: the memory budget of one file. Linting keeps
/// every statement's parse tree, and a tree costs memory per token, not per byte (measured,
/// release build: about 1.6 kB a token for `SELECT 1;` repeated, 0.5 kB for multi-row
/// INSERTs), so this holds one file to about 1.6 GB at worst. A million tokens is about 4 MB of
/// dense SQL; migrations stay far below it (the largest file of PostgreSQL's own regression
/// suite has about 60,000).
pub const MAX_TOKENS: usize = 1_000_000;

fn too_large(size: u64) -> String {
    format!(
        "file is {:.1} MiB; migrations over {} MiB are not linted (is it a data dump?)",
        size as f64 / f64::from(1 << 20),
        MAX_FILE_SIZE >> 20
    )
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

/// Reads a file as UTF-8 SQL text, recording a clear error when it cannot be used.
pub(super) fn load(path: &Path, workspace: &mut Workspace) -> Option<super::FileId> {
    let read = read_source(path, workspace.stdin.as_ref());
    add_source(read, workspace)
}

/// Records what [`read_source`] gave: the file, or the error.
fn add_source(
    read: Result<SourceFile, InputError>,
    workspace: &mut Workspace,
) -> Option<super::FileId> {
    match read {
        Ok(source) => Some(workspace.add_file(source)),
        Err(error) => {
            workspace.errors.push(error);
            None
        }
    }
}

/// A file's text, or why it cannot be linted. Touches nothing shared, so files can be read in
/// parallel.
fn read_source(path: &Path, stdin: Option<&StdinSource>) -> Result<SourceFile, InputError> {
    let name = display(path);
    let fail = |message: String| {
        Err(InputError {
            path: name.clone(),
            message,
        })
    };
    let stdin = stdin.filter(|stdin| stdin.path == absolute(path));
    let bytes = match stdin {
        Some(stdin) => stdin.text.clone().into_bytes(),
        None => {
            // Never open what is not a regular file: reading a FIFO would wait forever.
            match std::fs::metadata(path) {
                Ok(meta) if !meta.is_file() => {
                    return fail(format!(
                        "not a regular file ({}); skipped",
                        file_kind(&meta)
                    ));
                }
                Ok(meta) if meta.len() > MAX_FILE_SIZE => {
                    return fail(too_large(meta.len()));
                }
                Ok(_) => {}
                Err(err) => return fail(format!("cannot read: {err}")),
            }
            match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(err) => return fail(format!("cannot read: {err}")),
            }
        }
    };
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return fail(too_large(bytes.len() as u64));
    }
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return fail("UTF-16 text (byte-order mark); save the file as UTF-8".into());
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return fail(format!(
            "binary file (NUL byte at offset {at}); not a migration"
        ));
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            return fail(format!("not valid UTF-8 (invalid byte at offset {at})"));
        }
    };
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return fail("empty file".into());
    }
    // A journal or snapshot is read as JSON, not parsed as SQL.
    let sql = path.extension().is_none_or(|extension| extension != "json");
    if sql && crate::parse::text::count_tokens(&text, MAX_TOKENS + 1) > MAX_TOKENS {
        return fail(format!(
            "more than {MAX_TOKENS} tokens of SQL; migrations that large are not linted (is it a \
             data dump? split it, or lint its schema part)"
        ));
    }
    Ok(SourceFile {
        path: path.to_path_buf(),
        name,
        text,
    })
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The working directory, asked once: chronos-lint never changes it.
static WORKING_DIR: LazyLock<Option<PathBuf>> = LazyLock::new(|| std::env::current_dir().ok());

/// A path as shown to the user: relative to the working directory when under it.
pub fn display(path: &Path) -> String {
    let relative = WORKING_DIR
        .as_ref()
        .and_then(|cwd| {
            let absolute = if path.is_absolute() {
                path.to_path_buf()
            } else {
                cwd.join(path)
            };
            absolute.strip_prefix(cwd).ok().map(Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_path_buf());
    let shown = relative.to_string_lossy().replace('\\', "/");
    shown.strip_prefix("./").map(str::to_owned).unwrap_or(shown)
}
