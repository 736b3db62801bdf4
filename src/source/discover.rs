//! Walking the paths given on the command line into migration sets.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use globset::GlobSet;
use rayon::prelude::*;
use walkdir::WalkDir;

use super::read::{absolute, display, read_source};
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
