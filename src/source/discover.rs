//! Walking the paths given on the command line into migration sets.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use globset::GlobSet;
use rayon::prelude::*;
use walkdir::WalkDir;

use super::alembic_project::{self, RenderedStore};
use super::ignored::IgnoreFiles;
use super::layout::{self, Layout};
use super::read::{absolute, display, read_source};
use super::{
    InputError, Migration, MigrationSet, SourceFile, StdinSource, Workspace, alembic, drizzle,
    sqitch,
};
use crate::config::Config;

/// Directories never worth walking into.
const SKIPPED_DIRS: &[&str] = &["node_modules", "target", "__pycache__"];

/// How paths are turned into migration sets.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// Paths left out, whatever kind of file they are.
    pub exclude: &'a GlobSet,
    /// Whether `.gitignore` and `.ignore` files leave paths out of the folders walked.
    pub ignore_files: bool,
    /// Whether a file named among the paths brings the rest of its set along, replayed before
    /// and after it as its tool would, with only the named files reported.
    pub named_in_context: bool,
    /// Where the SQL rendered from Alembic projects is kept between runs.
    pub rendered: Option<&'a dyn RenderedStore>,
}

/// Finds every migration set under `paths`, with ignore files respected and named files read
/// alone. Problems with individual paths are collected in [`Workspace::errors`]; everything
/// else is still read.
pub fn discover(
    paths: &[PathBuf],
    config: &Config,
    exclude: &GlobSet,
    stdin: Option<StdinSource>,
) -> Workspace {
    let options = Options {
        exclude,
        ignore_files: true,
        named_in_context: false,
        rendered: None,
    };
    discover_with(paths, config, options, stdin)
}

/// [`discover`] with every option.
pub fn discover_with(
    paths: &[PathBuf],
    config: &Config,
    options: Options,
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
    let walker = Walker { options };

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
            found.named.insert(canonical(path));
            walker.named_file(path, config, &mut found, &mut workspace);
        } else {
            found.walked.push(canonical(path));
            found.walked_as_given.push(path.clone());
            walker.walk(path, None, config, &mut found, &mut workspace);
            // A folder inside an Alembic project (`migrations/`, `versions/`) brings the
            // project; its own revision scripts are the ones reported.
            if found.count == before
                && let Some(ini) = alembic_project::ini_of_script(path)
            {
                found.alembic_project(ini);
            }
        }
        if found.count == before && path.is_dir() {
            workspace.errors.push(InputError {
                path: display(path),
                message: "no migrations found (no .sql files, no drizzle meta/_journal.json and \
                          no alembic.ini)"
                    .into(),
            });
        }
    }

    let Found {
        mut drizzle_roots,
        mut sqitch_roots,
        mut alembic_projects,
        loose,
        named,
        walked,
        walked_as_given,
        ..
    } = found;
    // Patterns match relative to the folder walked for drizzle and sqitch files too.
    let excluded = |path: &Path| walker.excluded_under(path, &walked_as_given);
    drizzle_roots.sort();
    for root in &drizzle_roots {
        if let Some(set) = drizzle::read_folder(root, config, &excluded, &mut workspace) {
            workspace.sets.push(set);
        }
    }
    sqitch_roots.sort();
    for root in &sqitch_roots {
        if let Some(set) = sqitch::read_project(root, config, &excluded, &mut workspace) {
            workspace.sets.push(set);
        }
    }
    alembic_projects.sort();
    for ini in &alembic_projects {
        let rendered = options.rendered;
        if let Some(set) = alembic_project::read_project(ini, config, rendered, &mut workspace) {
            workspace.sets.push(set);
        }
    }
    for (dir, mut files) in loose {
        files.sort();
        files.dedup();
        // The folder's tool decides which files run and in what order.
        let forced = config.source_settings(&dir).and_then(|s| s.kind);
        // An Alembic project's SQL is what Alembic renders, not the files beside it.
        if forced == Some(Layout::AlembicProject) {
            continue;
        }
        let folder = forced.or_else(|| Layout::of_folder(&absolute(&dir), &files));
        if let Some(ordered) = folder.and_then(|layout| layout.order(&files)) {
            files = ordered;
        }
        // Read and split in parallel; file ids are given in path order afterwards.
        let stdin = workspace.stdin.as_ref();
        let read: Vec<_> = files
            .par_iter()
            .map(|path| {
                let source = read_source(path, stdin)?;
                let migrations = loose_file_migrations(path, &source, config, folder);
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
    // With files named, only they and the files of the folders named are reported.
    if options.named_in_context && !named.is_empty() {
        let mut reported: Vec<bool> = workspace
            .files
            .iter()
            .map(|file| {
                let path = canonical(&file.path);
                named.contains(&path) || walked.iter().any(|dir| path.starts_with(dir))
            })
            .collect();
        // Rendered SQL counts as reported when a revision script it is reported in does.
        for set in &workspace.sets {
            for migration in &set.migrations {
                if let Some(script) = migration.script {
                    reported[migration.file] |= reported[script];
                }
            }
        }
        workspace.reported = Some(reported);
    }
    workspace
}

/// What the paths hold, each file and folder once however often and however it is named
/// (`migrations ./migrations`, or a file and its folder): paths are compared canonically, and the
/// first spelling is kept.
#[derive(Default)]
struct Found {
    drizzle_roots: Vec<PathBuf>,
    sqitch_roots: Vec<PathBuf>,
    /// The ini files of Alembic projects.
    alembic_projects: Vec<PathBuf>,
    /// Canonical paths of the files named among the paths, and of the folders named.
    named: HashSet<PathBuf>,
    walked: Vec<PathBuf>,
    /// The folders named, as written.
    walked_as_given: Vec<PathBuf>,
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

    fn sqitch(&mut self, root: PathBuf) {
        self.count += 1;
        if self.taken.insert(canonical(&root)) {
            self.sqitch_roots.push(root);
        }
    }

    fn alembic_project(&mut self, ini: PathBuf) {
        self.count += 1;
        if self.taken.insert(canonical(&ini)) {
            self.alembic_projects.push(ini);
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

/// Walks folders with the options of a run.
struct Walker<'a> {
    options: Options<'a>,
}

impl Walker<'_> {
    /// Whether `path` is excluded: the patterns are matched against the path relative to the
    /// folder walked, as written, and relative to the working directory.
    fn excluded(&self, path: &Path, root: Option<&Path>) -> bool {
        self.excluded_under(path, root.as_slice())
    }

    /// [`Walker::excluded`], with the path relative to whichever of `roots` it is under.
    fn excluded_under(&self, path: &Path, roots: &[impl AsRef<Path>]) -> bool {
        let exclude = self.options.exclude;
        if exclude.is_empty() {
            return false;
        }
        let relative = |root: &Path| path.strip_prefix(root).ok();
        roots
            .iter()
            .filter_map(|root| relative(root.as_ref()))
            .any(|relative| exclude.is_match(relative))
            || exclude.is_match(path)
            || exclude.is_match(display(path))
    }

    /// A file named among the paths: its set, read whole when named files come with their
    /// context. Files that are not SQL (a drizzle journal or snapshot) only name their set.
    fn named_file(
        &self,
        path: &Path,
        config: &Config,
        found: &mut Found,
        workspace: &mut Workspace,
    ) {
        if self.excluded(path, None) {
            return;
        }
        let context = self.options.named_in_context;
        if let Some(root) = drizzle_root_of(path) {
            return found.drizzle(root);
        }
        if context && let Some(root) = sqitch::root_of(path) {
            return found.sqitch(root);
        }
        // An Alembic project's ini, `env.py` or `script.py.mako` names the whole project (every
        // revision is reported); a revision script brings its project, and only it is reported.
        let ini = self.alembic_ini(path, config);
        let script = || {
            path.extension()
                .is_some_and(|ext| ext == "py" || ext == "mako")
                .then(|| alembic_project::ini_of_script(path))
                .flatten()
        };
        if let Some(ini) = ini.or_else(script) {
            let whole = path == ini
                || path
                    .file_name()
                    .is_some_and(|n| n == "env.py" || n == "script.py.mako");
            if whole {
                found.walked.push(canonical(&parent_of(&ini)));
            }
            return found.alembic_project(ini);
        }
        let sql = path.extension().is_some_and(|ext| ext == "sql");
        // A revert or verify script named alone is no migration.
        if sql && sqitch::is_backward_folder(&parent_of(path)) {
            found.count += 1;
            return;
        }
        let snapshot = path.file_name().is_some_and(|n| n == "snapshot.json");
        let in_folder_set = |path: &Path| drizzle::is_folder_migration(path);
        let set_member = if snapshot {
            parent_of(path).join(drizzle::FOLDER_MIGRATION)
        } else {
            path.to_path_buf()
        };
        if context && (sql || (snapshot && in_folder_set(&set_member))) {
            let dir = set_dir_of(&set_member);
            self.walk(&dir, Some(&canonical(&dir)), config, found, workspace);
        }
        if sql || !context {
            found.loose(path);
        }
    }

    /// The ini file of the Alembic project `path` is: a folder's `alembic.ini`, an `alembic.ini`,
    /// or the ini file a `[[sources]]` entry of kind `alembic-project` names.
    fn alembic_ini(&self, path: &Path, config: &Config) -> Option<PathBuf> {
        if path.is_dir() {
            let ini = path.join(alembic_project::INI);
            return ini.is_file().then_some(ini);
        }
        let named_ini = path.file_name().is_some_and(|n| n == alembic_project::INI);
        let pointed = config
            .source_settings(path)
            .is_some_and(|s| s.kind == Some(Layout::AlembicProject) && s.path == absolute(path));
        (path.is_file() && (named_ini || pointed)).then(|| path.to_path_buf())
    }

    /// Walks `root` for migration sets; with `only_set`, for the loose files of that one set
    /// (canonical), as context of a named file.
    fn walk(
        &self,
        root: &Path,
        only_set: Option<&Path>,
        config: &Config,
        found: &mut Found,
        workspace: &mut Workspace,
    ) {
        let mut walker = WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            // A set's loose files, its folder migrations and the scripts in subfolders of a
            // Flyway location are at most this deep.
            .max_depth(if only_set.is_some() { 4 } else { usize::MAX })
            .into_iter();
        let mut ignores = self.options.ignore_files.then(|| IgnoreFiles::above(root));
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
            let is_dir = entry.file_type().is_dir();
            let left_out = entry.depth() > 0
                && (self.excluded(path, Some(root))
                    || ignores
                        .as_mut()
                        .is_some_and(|ignores| ignores.is_ignored(path, entry.depth(), is_dir)));
            if left_out {
                if is_dir {
                    walker.skip_current_dir();
                }
                continue;
            }
            if is_dir {
                let name = entry.file_name().to_string_lossy();
                let hidden = entry.depth() > 0 && name.starts_with('.');
                let backward = entry.depth() > 0 && sqitch::is_backward_folder(path);
                if hidden || backward || SKIPPED_DIRS.contains(&name.as_ref()) {
                    walker.skip_current_dir();
                    continue;
                }
                if only_set.is_none() {
                    if drizzle::has_journal(path) {
                        found.drizzle(path.to_path_buf());
                        walker.skip_current_dir();
                        continue;
                    }
                    if sqitch::has_plan(path) {
                        found.sqitch(path.to_path_buf());
                        walker.skip_current_dir();
                        continue;
                    }
                    // Not skipped: an `alembic.ini` is often at the top of a repository that
                    // holds other migration sets too.
                    let ini = path.join(alembic_project::INI);
                    if ini.is_file() && !self.excluded(&ini, Some(root)) {
                        found.alembic_project(ini);
                    }
                }
                if let Some(ignores) = &mut ignores {
                    ignores.enter(path, entry.depth());
                }
            } else if path.extension().is_some_and(|ext| ext == "sql")
                && only_set.is_none_or(|set| canonical(&set_dir_of(path)) == set)
            {
                found.loose(path);
            } else if only_set.is_none()
                && path.file_name().is_some_and(|n| n != alembic_project::INI)
                && let Some(ini) = self.alembic_ini(path, config)
            {
                found.alembic_project(ini);
            }
        }
        // The file standard input stands for need not exist: it is still one of its set.
        if let (Some(stdin), Some(set)) = (&workspace.stdin, only_set)
            && canonical(&set_dir_of(&stdin.path)) == set
        {
            found.loose(&stdin.path.clone());
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
    // The journal and snapshots are in `meta/`.
    let in_meta = dir.file_name().is_some_and(|n| n == "meta")
        && path.extension().is_some_and(|ext| ext == "json");
    let root = if in_meta { dir.parent()? } else { dir };
    drizzle::has_journal(root).then(|| root.to_path_buf())
}

/// The directory whose migration set a loose `.sql` file belongs to: its own directory, or for
/// a migration in a folder of its own (drizzle-kit 1.0, Prisma, Hasura) the directory holding
/// the migration folders, and for a Flyway script in a subfolder its location.
fn set_dir_of(path: &Path) -> PathBuf {
    if let Some(location) = layout::flyway_location(path) {
        return location;
    }
    let dir = parent_of(path);
    if layout::folder_migration(path).is_some() {
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

/// The migrations of loose file `source` (read from `path`; `folder`: the layout its folder
/// has): its Alembic revisions, the up section of a dbmate, goose or sql-migrate file, or
/// itself. Their `file` is left 0 for the
/// caller to set.
fn loose_file_migrations(
    path: &Path,
    source: &SourceFile,
    config: &Config,
    folder: Option<Layout>,
) -> Vec<Migration> {
    let file = 0;
    let settings = config.source_settings(path);
    let folder_migration = layout::folder_migration(path);
    let start = source.content_start();
    let up_section = || layout::up_section(&source.text, start);
    // Cheap words first: most files have no section markers.
    let marked = ["migrate:up", "+goose", "+migrate"]
        .iter()
        .any(|word| source.text.contains(word));
    let layout = settings.and_then(|s| s.kind).or(folder).unwrap_or_else(|| {
        if folder_migration == Some(Layout::Drizzle) {
            Layout::Drizzle
        } else if let Some(section) = up_section().filter(|_| marked) {
            section.tool
        } else if alembic::detect(&source.text, start) {
            Layout::Alembic
        } else {
            Layout::Plain
        }
    });
    let kind = layout.kind();
    let owner = config.source_owner(path, kind);
    if matches!(layout, Layout::Alembic | Layout::AlembicProject) {
        return alembic::split(&source.text, start, file, owner);
    }
    let configured = settings.and_then(|s| s.in_transaction);
    let mut in_transaction = configured
        .or(layout.in_transaction())
        .unwrap_or(layout == Layout::Drizzle || config.assume_in_transaction);
    let mut header = source.first_line();
    let mut chunks = drizzle::split_breakpoints(&source.text, start, layout == Layout::Drizzle);
    match layout {
        // Only the up section runs forward; spans stay those of the whole file.
        Layout::Dbmate | Layout::Goose | Layout::SqlMigrate => {
            if let Some(up) = up_section() {
                let blank = source.text[up.body.clone()].trim().is_empty();
                chunks = if blank { Vec::new() } else { vec![up.body] };
                header = up.header;
                in_transaction = configured.unwrap_or(up.in_transaction);
            }
        }
        Layout::Flyway if configured.is_none() => {
            in_transaction = !layout::flyway_outside_transaction(path)
                && !layout::flyway_runs_outside_transaction(&source.text, start);
        }
        // The file goes as one query string, which PostgreSQL runs as one implicit transaction
        // when it holds several statements.
        _ if layout.sends_file_as_one_query() && configured.is_none() => {
            in_transaction = crate::parse::text::split_statements(&source.text[start..]).len() > 1;
        }
        _ => {}
    }
    let name = layout.migration_name(path, folder_migration.is_some());
    vec![Migration {
        name,
        file,
        layout,
        owner,
        chunks,
        starts_in_transaction: in_transaction,
        header,
        revision: None,
        script: None,
    }]
}
