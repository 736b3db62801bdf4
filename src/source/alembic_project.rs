//! Alembic projects (a directory with `alembic.ini`): rendered to offline SQL by Alembic itself,
//! linted as that SQL, and reported in the revision scripts.
//!
//! chronos-lint runs `alembic -c alembic.ini upgrade base:heads --sql` in the project's directory
//! (the command is `[alembic] command`, by default `alembic` on `PATH`, else `python3 -m
//! alembic`). Offline mode needs no database and writes nothing; Python is told not to write
//! bytecode, so the project's folders stay as they were. `heads` takes every branch, and Alembic
//! orders merges and `depends_on` itself. The output is cut per `-- Running upgrade` revision as
//! any offline file is (`alembic.rs`).
//!
//! Spans: the report computes positions from byte spans of a file's text, and the rules find
//! their spans in SQL. So the rendered SQL is a source of its own, held in memory and never
//! written beside the project, and every stage before the report works on it unchanged. Once the
//! findings are in, each finding in it is re-pointed ([`Generated::place`]) to the revision
//! script the statement came from: at the `op.` call that produced the statement
//! (`alembic_ops.rs` matches them), else at `def upgrade`, with the statement itself added to the
//! message, since the script shows only the call. `--changed-since` judges a revision by its
//! script ([`super::Migration::script`]).
//!
//! Rendering starts Python and imports SQLAlchemy (a second or so), so the SQL is kept in the
//! cache ([`RenderedStore`]) under a hash of everything that renders it: `alembic.ini`, `env.py`,
//! `script.py.mako`, every file of the version folders, and the command.

use std::collections::HashMap;
use std::io::Read;
use std::ops::Range;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use super::read::{self, MAX_FILE_SIZE, MAX_TOKENS, display};
use super::{
    FileId, InputError, MigrationSet, SourceFile, SourceKind, Workspace, alembic, alembic_ops,
};
use crate::config::{AlembicSettings, Config};
use crate::parse::text;

/// The configuration file that makes a directory an Alembic project.
pub const INI: &str = "alembic.ini";

/// The revisions rendered: all of them, from an empty database to every head.
const RANGE: &str = "base:heads";

/// A hash of what renders a project's SQL.
pub type RenderKey = [u8; 32];

/// Where rendered SQL is kept between runs (the cache).
pub trait RenderedStore: Sync {
    /// The SQL rendered for the project at `root` from inputs hashing to `key`, if kept.
    fn get(&self, root: &Path, key: &RenderKey) -> Option<String>;
    /// Keeps the SQL of the project at `root`, replacing what was kept for it.
    fn put(&self, root: &Path, key: &RenderKey, sql: &str);
}

/// Why an Alembic project has no SQL to lint: the message of its input error. `command` is the
/// command as shown, in backquotes.
#[derive(Debug, thiserror::Error)]
pub enum AlembicError {
    #[error("cannot read: {0}")]
    ReadIni(#[source] std::io::Error),
    #[error("cannot run {command}: {source}; {}", spawn_advice(.configured))]
    Spawn {
        command: String,
        /// Whether the command is `[alembic] command`, rather than the default.
        configured: bool,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{command} did not finish within {} s and was stopped (`[alembic] timeout` in \
         chronos-lint.toml sets the limit)",
        .timeout.as_secs()
    )]
    TimedOut { command: String, timeout: Duration },
    #[error("running {command}: {source}")]
    Io {
        command: String,
        #[source]
        source: std::io::Error,
    },
    /// Alembic exited with an error; `stderr` is the end of what it wrote there.
    #[error(
        "Alembic failed to render the project offline: {command} exited with {status}{}\n{stderr}",
        fallback_advice(.fallback)
    )]
    Failed {
        command: String,
        status: std::process::ExitStatus,
        /// Whether the command was the fallback `python3 -m alembic`.
        fallback: bool,
        stderr: String,
    },
    #[error("{command} wrote output that is not UTF-8")]
    NotUtf8 {
        command: String,
        #[source]
        source: std::string::FromUtf8Error,
    },
    #[error("no command to run Alembic")]
    NoCommand,
    #[error(
        "Alembic's offline SQL is over {} MiB or {MAX_TOKENS} tokens; not linted",
        MAX_FILE_SIZE >> 20
    )]
    TooLarge,
}

fn spawn_advice(configured: &bool) -> &'static str {
    if *configured {
        "check `[alembic] command` in chronos-lint.toml"
    } else {
        "install Alembic, or set `[alembic] command` in chronos-lint.toml (such as \
         \"uv run alembic\", \"poetry run alembic\" or a virtualenv's bin/alembic)"
    }
}

fn fallback_advice(fallback: &bool) -> &'static str {
    if *fallback {
        " (no `alembic` on PATH; set `[alembic] command` in chronos-lint.toml to run the \
         project's own)"
    } else {
        ""
    }
}

/// Whether `dir` is an Alembic project.
pub fn has_ini(dir: &Path) -> bool {
    dir.join(INI).is_file()
}

/// The Alembic project a revision script belongs to: the nearest folder above it with
/// `alembic.ini`.
pub fn ini_of_script(path: &Path) -> Option<PathBuf> {
    let absolute = read::absolute(path);
    absolute
        .ancestors()
        .skip(1)
        .find(|dir| has_ini(dir))
        .map(|dir| dir.join(INI))
}

/// What `alembic.ini` says about where the project's scripts are.
#[derive(Debug)]
struct Project {
    /// The directory of the ini file, where Alembic runs.
    root: PathBuf,
    ini: PathBuf,
    /// `script_location`, when it is a directory (not a package resource).
    scripts: Option<PathBuf>,
    /// `version_locations`, or `<scripts>/versions`.
    versions: Vec<PathBuf>,
}

impl Project {
    fn read(ini: &Path) -> Result<Project, AlembicError> {
        let text = std::fs::read_to_string(ini).map_err(AlembicError::ReadIni)?;
        let parent = ini.parent().filter(|p| !p.as_os_str().is_empty());
        let root = read::absolute(parent.unwrap_or(Path::new(".")));
        let root = root.canonicalize().unwrap_or(root);
        let settings = ini_section(&text, "alembic");
        let here = root.to_string_lossy();
        let path = |value: &str| {
            let value = value.replace("%(here)s", &here);
            root.join(value.trim())
        };
        let scripts = settings
            .get("script_location")
            .map(|location| path(location))
            .filter(|dir| dir.is_dir());
        let separator = settings.get("path_separator").map(String::as_str);
        let versions = match settings.get("version_locations") {
            Some(locations) => split_locations(locations, separator)
                .into_iter()
                .map(|location| path(&location))
                .collect(),
            None => scripts.iter().map(|dir| dir.join("versions")).collect(),
        };
        Ok(Project {
            root,
            ini: read::absolute(ini),
            scripts,
            versions,
        })
    }

    /// The hash of everything that renders the SQL; `None` when the scripts are not in a
    /// directory here (a package resource), which leaves nothing to hash.
    fn render_key(&self, command: &[String]) -> Option<RenderKey> {
        let scripts = self.scripts.as_ref()?;
        let mut inputs = vec![
            self.ini.clone(),
            scripts.join("env.py"),
            scripts.join("script.py.mako"),
        ];
        for dir in &self.versions {
            let mut files: Vec<PathBuf> = WalkDir::new(dir)
                .follow_links(true)
                .into_iter()
                .filter_entry(|entry| entry.file_name() != "__pycache__")
                .filter_map(Result::ok)
                .filter(|entry| entry.file_type().is_file())
                .map(walkdir::DirEntry::into_path)
                .collect();
            files.sort();
            inputs.extend(files);
        }
        let mut hasher = Sha256::new();
        hasher.update(b"chronos-lint alembic render 1\0");
        hasher.update(RANGE);
        for word in command {
            hasher.update(b"\0");
            hasher.update(word.as_bytes());
        }
        for path in inputs {
            hasher.update(b"\0");
            hasher.update(path.to_string_lossy().as_bytes());
            // A missing file hashes as such; one that cannot be read leaves nothing to trust.
            match std::fs::read(&path) {
                Ok(bytes) => {
                    hasher.update((bytes.len() as u64).to_le_bytes());
                    hasher.update(&bytes);
                }
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => hasher.update(b"-"),
                Err(_) => return None,
            }
        }
        Some(hasher.finalize().into())
    }

    /// The revision scripts of the version folders, by revision id.
    fn scripts_by_revision(&self) -> HashMap<String, PathBuf> {
        let mut found = HashMap::new();
        for dir in &self.versions {
            let scripts = WalkDir::new(dir)
                .follow_links(true)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|entry| entry.file_name() != "__pycache__")
                .filter_map(Result::ok)
                .filter(|entry| {
                    entry.file_type().is_file()
                        && entry.path().extension().is_some_and(|ext| ext == "py")
                });
            for entry in scripts {
                let Ok(text) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                if let Some(revision) = revision_id(&text) {
                    found.entry(revision).or_insert_with(|| entry.into_path());
                }
            }
        }
        found
    }
}

/// The `key = value` settings of one section of an ini file (continuation lines joined).
fn ini_section(text: &str, name: &str) -> HashMap<String, String> {
    let mut settings = HashMap::new();
    let mut inside = false;
    let mut last: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            inside = trimmed[1..trimmed.len() - 1].trim() == name;
            last = None;
            continue;
        }
        if !inside || trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(value) = last.as_ref().and_then(|key| settings.get_mut(key)) {
                let value: &mut String = value;
                value.push('\n');
                value.push_str(trimmed);
            }
            continue;
        }
        if let Some((key, value)) = trimmed.split_once(['=', ':']) {
            let key = key.trim().to_owned();
            settings.insert(key.clone(), value.trim().to_owned());
            last = Some(key);
        }
    }
    settings
}

/// `version_locations` split as `path_separator` says (Alembic's legacy default: spaces and
/// commas).
fn split_locations(locations: &str, separator: Option<&str>) -> Vec<String> {
    let parts: Vec<&str> = match separator {
        Some("os" | ":") => locations.split(':').collect(),
        Some(";") => locations.split(';').collect(),
        Some("newline") => locations.lines().collect(),
        Some("space") => locations.split_whitespace().collect(),
        _ => locations
            .split(|c: char| c.is_whitespace() || c == ',')
            .collect(),
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The module-level `revision = "..."` (or `revision: str = "..."`) of a revision script.
fn revision_id(script: &str) -> Option<String> {
    script.lines().find_map(|line| {
        let rest = line.strip_prefix("revision")?;
        let rest = rest.trim_start();
        let rest = match rest.strip_prefix(':') {
            Some(annotated) => &annotated[annotated.find('=')?..],
            None => rest,
        };
        let value = rest.strip_prefix('=')?.trim();
        let quote = value.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
        let end = value[1..].find(quote)?;
        Some(value[1..=end].to_owned())
    })
}

/// The rendered SQL of a project, and where each of its statements is written.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The rendered SQL, a file of the workspace that is never shown.
    pub sql: FileId,
    /// The revisions whose scripts were found, in order.
    revisions: Vec<Revision>,
}

#[derive(Debug, Clone)]
struct Revision {
    /// The revision's part of the rendered SQL.
    chunk: Range<usize>,
    /// Its script.
    script: FileId,
    /// `def upgrade` in the script (its first line when there is none).
    upgrade: Range<usize>,
    /// Each statement of the part: its span in the SQL, and the call that produced it.
    statements: Vec<(Range<usize>, Option<Range<usize>>)>,
}

/// Where a finding on generated SQL is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: FileId,
    pub span: Range<usize>,
    /// The generated statement the finding is in, whitespace collapsed.
    pub statement: Option<String>,
}

/// Generated statements are quoted in messages up to this many characters.
const QUOTED: usize = 200;

impl Generated {
    /// Where the finding at `span` of the rendered SQL (`sql`, its text) is reported: the call
    /// that produced its statement, else `def upgrade`. `None` when its revision's script was not
    /// found.
    pub fn place(&self, sql: &str, span: &Range<usize>) -> Option<Place> {
        let revision = self
            .revisions
            .iter()
            .rev()
            .find(|revision| revision.chunk.start <= span.start)
            .filter(|revision| span.start <= revision.chunk.end)?;
        let statement = revision
            .statements
            .iter()
            .find(|(statement, _)| statement.start <= span.start && span.start < statement.end);
        let quoted = statement.map(|(statement, _)| {
            let collapsed = sql[statement.clone()]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            match collapsed.char_indices().nth(QUOTED) {
                Some((cut, _)) => format!("{}…", &collapsed[..cut]),
                None => collapsed,
            }
        });
        let call = statement.and_then(|(_, call)| call.clone());
        Some(Place {
            file: revision.script,
            span: call.unwrap_or_else(|| revision.upgrade.clone()),
            statement: quoted,
        })
    }
}

/// Statements Alembic adds around the revisions: transaction control and its version table.
fn is_bookkeeping(sql: &str) -> bool {
    sql.eq_ignore_ascii_case("BEGIN")
        || sql.eq_ignore_ascii_case("COMMIT")
        || sql.contains("alembic_version")
}

impl Revision {
    fn new(sql: &str, chunk: Range<usize>, script: FileId, script_text: &SourceFile) -> Revision {
        let scanned = alembic_ops::scan(&script_text.text);
        let (statements, _) = text::statements_and_comments(&sql[chunk.clone()]);
        let statements: Vec<Range<usize>> = statements
            .into_iter()
            .map(|s| chunk.start + s.start..chunk.start + s.end)
            .filter(|s| !is_bookkeeping(&sql[s.clone()]))
            .collect();
        let texts: Vec<&str> = statements.iter().map(|s| &sql[s.clone()]).collect();
        let placed = alembic_ops::place(&texts, &scanned.calls);
        Revision {
            chunk,
            script,
            upgrade: scanned.upgrade.unwrap_or_else(|| script_text.first_line()),
            statements: statements
                .into_iter()
                .zip(placed)
                .map(|(statement, call)| (statement, call.map(|i| scanned.calls[i].span.clone())))
                .collect(),
        }
    }
}

/// Renders the project of `ini` and reads it into a migration set, its revisions' scripts into
/// the workspace. A project that cannot be rendered is an input error of its ini file.
pub fn read_project(
    ini: &Path,
    config: &Config,
    store: Option<&dyn RenderedStore>,
    workspace: &mut Workspace,
) -> Option<MigrationSet> {
    let fail = |workspace: &mut Workspace, path: &Path, err: AlembicError| {
        workspace.errors.push(InputError {
            path: display(path),
            message: err.to_string(),
        });
    };
    let project = match Project::read(ini) {
        Ok(project) => project,
        Err(err) => {
            fail(workspace, ini, err);
            return None;
        }
    };
    let settings = &config.alembic;
    let key = project.render_key(settings.command.as_deref().unwrap_or(&[]));
    let kept = key.and_then(|key| store?.get(&project.root, &key));
    let sql = match kept {
        Some(sql) => sql,
        None => match render(&project, settings) {
            Ok(sql) => {
                if let (Some(store), Some(key)) = (store, key) {
                    store.put(&project.root, &key, &sql);
                }
                sql
            }
            Err(err) => {
                fail(workspace, ini, err);
                return None;
            }
        },
    };
    if sql.len() as u64 > MAX_FILE_SIZE || text::count_tokens(&sql, MAX_TOKENS + 1) > MAX_TOKENS {
        fail(workspace, ini, AlembicError::TooLarge);
        return None;
    }
    let ini_name = ini.file_name().map_or_else(
        || INI.to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    let path = project
        .root
        .join(format!("{ini_name} (upgrade {RANGE} --sql)"));
    let sql_file = workspace.add_file(SourceFile {
        name: display(&path),
        path,
        text: sql,
    });
    let owner = config.source_owner(&project.root, SourceKind::Alembic);
    let mut migrations = alembic::split(&workspace.files[sql_file].text, 0, sql_file, owner);
    let scripts = project.scripts_by_revision();
    let mut generated = Generated {
        sql: sql_file,
        revisions: Vec::new(),
    };
    for migration in &mut migrations {
        let Some(path) = scripts.get(&migration.name) else {
            continue;
        };
        let Some(script) = read::load(path, workspace) else {
            continue;
        };
        migration.script = Some(script);
        let chunk = migration.chunks.first().cloned().unwrap_or_default();
        let files = &workspace.files;
        generated.revisions.push(Revision::new(
            &files[sql_file].text,
            chunk,
            script,
            &files[script],
        ));
    }
    workspace.generated.push(generated);
    Some(MigrationSet {
        root: project.root,
        migrations,
        journal: None,
    })
}

/// Runs Alembic's offline mode for the project: the SQL it writes, or why there is none.
fn render(project: &Project, settings: &AlembicSettings) -> Result<String, AlembicError> {
    let ini = project.ini.to_string_lossy().into_owned();
    let args = ["-c", ini.as_str(), "upgrade", RANGE, "--sql"];
    let words = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    let configured = settings.command.is_some();
    let commands = match &settings.command {
        Some(command) => vec![command.clone()],
        None => vec![words(&["alembic"]), words(&["python3", "-m", "alembic"])],
    };
    let shown = |command: &[String]| format!("`{} {}`", command.join(" "), args.join(" "));
    for (i, command) in commands.iter().enumerate() {
        let fallback = i > 0;
        let output = match run(command, &args, &project.root, settings.timeout) {
            Ok(output) => output,
            Err(Run::Spawn(err))
                if err.kind() == std::io::ErrorKind::NotFound && i + 1 < commands.len() =>
            {
                continue;
            }
            Err(Run::Spawn(source)) => {
                return Err(AlembicError::Spawn {
                    command: shown(command),
                    configured,
                    source,
                });
            }
            Err(Run::TimedOut) => {
                return Err(AlembicError::TimedOut {
                    command: shown(command),
                    timeout: settings.timeout,
                });
            }
            Err(Run::Io(source)) => {
                return Err(AlembicError::Io {
                    command: shown(command),
                    source,
                });
            }
        };
        if !output.status.success() {
            return Err(AlembicError::Failed {
                command: shown(command),
                status: output.status,
                fallback,
                stderr: tail(&output.stderr),
            });
        }
        return String::from_utf8(output.stdout).map_err(|source| AlembicError::NotUtf8 {
            command: shown(command),
            source,
        });
    }
    Err(AlembicError::NoCommand)
}

/// The last lines of what a command wrote to stderr, where Python puts the error.
fn tail(stderr: &[u8]) -> String {
    const LINES: usize = 30;
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let from = lines.len().saturating_sub(LINES);
    let mut shown: Vec<String> = lines[from..]
        .iter()
        .map(|line| format!("  {line}"))
        .collect();
    if from > 0 {
        shown.insert(0, "  ...".to_owned());
    }
    if shown.is_empty() {
        return "  (nothing on stderr)".to_owned();
    }
    shown.join("\n")
}

enum Run {
    Spawn(std::io::Error),
    TimedOut,
    Io(std::io::Error),
}

struct Output {
    status: std::process::ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs `command` with `args` in `dir`, stopped (with everything it started) after `timeout`.
fn run(command: &[String], args: &[&str], dir: &Path, timeout: Duration) -> Result<Output, Run> {
    let (program, rest) = command.split_first().ok_or_else(|| {
        Run::Spawn(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "empty command",
        ))
    })?;
    let mut child = Command::new(program)
        .args(rest)
        .args(args)
        .current_dir(dir)
        // Offline rendering must leave the project as it was: no `__pycache__` folders.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a timeout stops what a wrapper (`uv run`) started too.
        .process_group(0)
        .spawn()
        .map_err(Run::Spawn)?;
    let drain = |pipe: Option<Box<dyn Read + Send>>, limit: u64| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.by_ref().take(limit).read_to_end(&mut kept);
                // Read the rest too, so the command never blocks on a full pipe.
                let _ = std::io::copy(&mut pipe, &mut std::io::sink());
            }
            kept
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        MAX_FILE_SIZE + 1,
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        1 << 20,
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let group = -(child.id() as libc::pid_t);
                // SAFETY: kill has no memory preconditions; the group is the child's own.
                unsafe { libc::kill(group, libc::SIGKILL) };
                let _ = child.wait();
                return Err(Run::TimedOut);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(err) => return Err(Run::Io(err)),
        }
    };
    let joined = |handle: std::thread::JoinHandle<Vec<u8>>| handle.join().unwrap_or_default();
    Ok(Output {
        status,
        stdout: joined(stdout),
        stderr: joined(stderr),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_revision_ids() {
        assert_eq!(
            revision_id("x = 1\nrevision: str = '0001_raw'\ndown_revision = None\n").as_deref(),
            Some("0001_raw")
        );
        assert_eq!(
            revision_id("revision = \"ae1027a6acf\"\n").as_deref(),
            Some("ae1027a6acf")
        );
        assert_eq!(revision_id("revisions = ['a']\n# revision = 'b'\n"), None);
    }

    #[test]
    fn reads_the_ini_and_splits_locations() {
        let ini = "[alembic]\nscript_location = %(here)s/migrations\nversion_locations =\n  a\n  b\npath_separator = newline\n[other]\nscript_location = x\n";
        let section = ini_section(ini, "alembic");
        assert_eq!(section["script_location"], "%(here)s/migrations");
        assert_eq!(
            split_locations(&section["version_locations"], Some("newline")),
            ["a", "b"]
        );
        assert_eq!(split_locations("a, b c", None), ["a", "b", "c"]);
        assert_eq!(split_locations("a:b", Some("os")), ["a", "b"]);
    }
}
