//! What the migrations looked like at a git ref (`--changed-since`): which are history, which
//! are new, and which were edited after they were merged.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{FileId, Migration, SourceKind, Workspace, alembic};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not at the ref: reported.
    New,
    /// At the ref with the same text: history, replayed but not reported.
    Unchanged,
    /// At the ref with other text: reported, and `migration-modified`.
    Modified,
}

/// Why `--changed-since` has no baseline: the ref, and what went wrong.
#[derive(Debug, thiserror::Error)]
#[error("--changed-since {git_ref}: {source}")]
pub struct BaselineError {
    pub git_ref: String,
    #[source]
    pub source: GitError,
}

/// What went wrong reading the history from git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(#[source] io::Error),
    /// git failed, and said this (nothing, as `git merge-base` when there is no merge base).
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    NotUtf8(#[from] std::string::FromUtf8Error),
    #[error(
        "{} is not in a git repository; --changed-since compares with the repository's history",
        .0.display()
    )]
    NotARepository(PathBuf),
    /// The ref is not here, and fetching it was not asked for; `remote` has its remote and
    /// branch when it names a remote's branch.
    #[error("no such commit or branch here; {}", fetch_advice(.remote))]
    Missing { remote: Option<(String, String)> },
    #[error("`{git_ref}` and HEAD have no common history to compare")]
    NoCommonHistory { git_ref: String },
    #[error(
        "the clone is shallow and its history does not reach a commit HEAD shares with \
         `{git_ref}`. Fetch the history: set `fetch-depth: 0` in actions/checkout, or run \
         `git fetch --unshallow {remote}`; or pass --fetch to deepen it as needed"
    )]
    Shallow { git_ref: String, remote: String },
    #[error("--fetch: git fetch --deepen={step} {remote}: {source}")]
    Deepen {
        step: u32,
        remote: String,
        #[source]
        source: Box<GitError>,
    },
    #[error("--fetch: git fetch --unshallow {remote}: {source}")]
    Unshallow {
        remote: String,
        #[source]
        source: Box<GitError>,
    },
    #[error("--fetch: cannot fetch branch `{branch}` of {remote}: {source}")]
    FetchBranch {
        branch: String,
        remote: String,
        #[source]
        source: Box<GitError>,
    },
    #[error("--fetch: not a branch, tag or commit of origin either")]
    NotOnOrigin,
    /// Talking to `git cat-file`.
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("git cat-file: bad header {0:?}")]
    BadHeader(String),
    #[error("git cat-file writer panicked")]
    WriterPanicked,
}

/// How to get a missing ref: `remote` is the remote and branch it names, if any.
fn fetch_advice(remote: &Option<(String, String)>) -> String {
    match remote {
        Some((name, branch)) => format!(
            "fetch it first (`git fetch {name} {branch}`, or `fetch-depth: 0` in \
             actions/checkout), or pass --fetch"
        ),
        None => "fetch it first, or pass --fetch".to_owned(),
    }
}

/// Each migration's and file's status relative to the merge base with a git ref.
#[derive(Debug, Clone)]
pub struct Baseline {
    pub git_ref: String,
    pub base_commit: String,
    files: HashMap<FileId, Status>,
    migrations: HashMap<(FileId, String), Status>,
}

impl Baseline {
    /// Reads every workspace file at the merge base of `git_ref` and HEAD of the repository
    /// that contains `dir`.
    pub fn load(
        git_ref: &str,
        dir: &Path,
        workspace: &Workspace,
    ) -> Result<Baseline, BaselineError> {
        Baseline::load_fetching(git_ref, dir, workspace, false)
    }

    /// [`Baseline::load`]; with `fetch`, a ref missing here is fetched and a shallow clone's
    /// history deepened until HEAD and the ref have a merge base (`--fetch`). Every error names
    /// the flag and the ref.
    pub fn load_fetching(
        git_ref: &str,
        dir: &Path,
        workspace: &Workspace,
        fetch: bool,
    ) -> Result<Baseline, BaselineError> {
        let failed = |source| BaselineError {
            git_ref: git_ref.to_owned(),
            source,
        };
        let root = repository_root(dir).map_err(failed)?;
        let base_commit = merge_base(git_ref, &root, fetch).map_err(failed)?;
        Baseline::read(git_ref, base_commit, &root, workspace).map_err(failed)
    }

    fn read(
        git_ref: &str,
        base_commit: String,
        root: &Path,
        workspace: &Workspace,
    ) -> Result<Baseline, GitError> {
        let relative: Vec<Option<String>> = workspace
            .files
            .iter()
            .map(|file| {
                let absolute = std::path::absolute(&file.path).ok()?;
                let absolute = absolute.canonicalize().unwrap_or(absolute);
                Some(
                    absolute
                        .strip_prefix(root)
                        .ok()?
                        .to_string_lossy()
                        .replace('\\', "/"),
                )
            })
            .collect();
        let old_texts = read_blobs(root, &base_commit, &relative)?;

        let mut files = HashMap::new();
        let mut migrations = HashMap::new();
        for (id, (file, old)) in workspace.files.iter().zip(&old_texts).enumerate() {
            let status = match old {
                None => Status::New,
                Some(old) if *old == file.text => Status::Unchanged,
                Some(_) => Status::Modified,
            };
            files.insert(id, status);
        }
        for migration in workspace.sets.iter().flat_map(|set| &set.migrations) {
            let file = &workspace.files[migration.file];
            let status = match (&old_texts[migration.file], migration.kind()) {
                // A revision rendered from its script is as new as the script.
                _ if let Some(script) = migration.script => files[&script],
                (None, _) => Status::New,
                (Some(old), SourceKind::Alembic) => alembic_status(migration, &file.text, old),
                (Some(_), _) => files[&migration.file],
            };
            migrations.insert((migration.file, migration.name.clone()), status);
        }
        Ok(Baseline {
            git_ref: git_ref.to_owned(),
            base_commit,
            files,
            migrations,
        })
    }

    pub fn migration(&self, file: FileId, name: &str) -> Option<Status> {
        self.migrations.get(&(file, name.to_owned())).copied()
    }

    /// Whether a diagnostic about `migration` (or about `file`, when it names none) is news.
    pub fn is_reportable(&self, file: FileId, migration: Option<&str>) -> bool {
        let status = match migration.and_then(|name| self.migration(file, name)) {
            Some(status) => status,
            None => self.files.get(&file).copied().unwrap_or(Status::New),
        };
        status != Status::Unchanged
    }
}

/// An Alembic revision is history when the file at the ref has the same revision with the same
/// text; revisions appended to an offline file are new.
fn alembic_status(migration: &Migration, text: &str, old: &str) -> Status {
    let start = usize::from(old.starts_with('\u{feff}')) * 3;
    // Where Alembic puts BEGIN;/COMMIT; depends on what follows, so they are not content.
    let section = |text: &str, m: &Migration| -> Vec<String> {
        m.chunks
            .iter()
            .flat_map(|chunk| text[chunk.clone()].lines())
            .map(str::trim)
            .filter(|line| {
                !line.is_empty()
                    && !line.eq_ignore_ascii_case("BEGIN;")
                    && !line.eq_ignore_ascii_case("COMMIT;")
            })
            .map(str::to_owned)
            .collect()
    };
    let current = section(text, migration);
    let old_migrations = alembic::split(old, start, migration.file, None);
    match old_migrations.iter().find(|m| m.name == migration.name) {
        None => Status::New,
        Some(m) if section(old, m) == current => Status::Unchanged,
        Some(_) => Status::Modified,
    }
}

/// The top of the git repository holding `dir`.
fn repository_root(dir: &Path) -> Result<PathBuf, GitError> {
    let top = git(&["rev-parse", "--show-toplevel"], dir).map_err(|err| match err {
        GitError::Failed(message) if message.contains("not a git repository") => {
            GitError::NotARepository(dir.to_path_buf())
        }
        err => err,
    })?;
    let root = PathBuf::from(top.trim());
    Ok(root.canonicalize().unwrap_or(root))
}

/// The deepening steps of a shallow clone (commits), before the whole history is fetched.
const DEEPEN_STEPS: &[u32] = &[50, 100, 200, 400, 800, 1600];

/// The merge base of `git_ref` and HEAD; with `fetch`, fetched (as the action's fetch-base.sh
/// does) when the ref or the history to it is missing.
fn merge_base(git_ref: &str, root: &Path, fetch: bool) -> Result<String, GitError> {
    let remote = Remote::of(git_ref, root);
    let mut spec = None;
    if !resolves(git_ref, root) {
        if !fetch {
            return Err(GitError::Missing {
                remote: remote
                    .as_ref()
                    .map(|remote| (remote.name.clone(), remote.branch.clone())),
            });
        }
        spec = Some(fetch_ref(git_ref, remote.as_ref(), root)?);
    } else if fetch && let Some(remote) = &remote {
        // Bring a remote branch up to date, as a pull request check wants it.
        let refspec = remote.refspec();
        if fetch_first(&remote.name, &refspec, root).is_ok() {
            spec = Some((remote.name.clone(), refspec));
        }
    }
    let base = || git(&["merge-base", git_ref, "HEAD"], root);
    let found = |base: String| Ok(base.trim().to_owned());
    let no_common = || GitError::NoCommonHistory {
        git_ref: git_ref.to_owned(),
    };
    match base() {
        Ok(base) => return found(base),
        // git says nothing when there is no merge base.
        Err(GitError::Failed(message)) if message.is_empty() => {}
        Err(err) => return Err(err),
    }
    if !is_shallow(root) {
        return Err(no_common());
    }
    let name = remote
        .as_ref()
        .map_or("origin", |r| r.name.as_str())
        .to_owned();
    if !fetch {
        return Err(GitError::Shallow {
            git_ref: git_ref.to_owned(),
            remote: name,
        });
    }
    let (name, spec) = spec.unwrap_or((name, String::new()));
    let head = git(&["rev-parse", "HEAD"], root)?.trim().to_owned();
    let deepen = |how: &str| {
        let mut args = vec!["fetch", "--no-tags", "--quiet", how, name.as_str()];
        if !spec.is_empty() {
            args.push(&spec);
        }
        // HEAD itself, when the remote serves it (a pull request's merge commit); else the ref.
        let mut with_head = args.clone();
        with_head.push(&head);
        git(&with_head, root)
            .or_else(|_| git(&args, root))
            .map(drop)
    };
    for step in DEEPEN_STEPS {
        deepen(&format!("--deepen={step}")).map_err(|err| GitError::Deepen {
            step: *step,
            remote: name.clone(),
            source: Box::new(err),
        })?;
        if let Ok(base) = base() {
            return found(base);
        }
        if !is_shallow(root) {
            return Err(no_common());
        }
    }
    deepen("--unshallow").map_err(|err| GitError::Unshallow {
        remote: name.clone(),
        source: Box::new(err),
    })?;
    base().map_or_else(|_| Err(no_common()), found)
}

/// A ref of the form `<remote>/<branch>`, for a remote the repository has.
struct Remote {
    name: String,
    branch: String,
}

impl Remote {
    fn of(git_ref: &str, root: &Path) -> Option<Remote> {
        let (name, branch) = git_ref.split_once('/')?;
        let remotes = git(&["remote"], root).ok()?;
        remotes
            .lines()
            .any(|remote| remote == name)
            .then(|| Remote {
                name: name.to_owned(),
                branch: branch.to_owned(),
            })
    }

    fn refspec(&self) -> String {
        format!(
            "+refs/heads/{0}:refs/remotes/{1}/{0}",
            self.branch, self.name
        )
    }
}

/// Fetches a ref missing here: a remote's branch, else a branch, tag or commit of `origin`.
/// Gives the remote and refspec fetched.
fn fetch_ref(
    git_ref: &str,
    remote: Option<&Remote>,
    root: &Path,
) -> Result<(String, String), GitError> {
    if let Some(remote) = remote {
        let refspec = remote.refspec();
        return fetch_first(&remote.name, &refspec, root)
            .map(|()| (remote.name.clone(), refspec))
            .map_err(|err| GitError::FetchBranch {
                branch: remote.branch.clone(),
                remote: remote.name.clone(),
                source: Box::new(err),
            });
    }
    let candidates = [
        format!("+refs/heads/{git_ref}:refs/remotes/origin/{git_ref}"),
        format!("+refs/tags/{git_ref}:refs/tags/{git_ref}"),
        git_ref.to_owned(),
    ];
    for refspec in candidates {
        if fetch_first("origin", &refspec, root).is_ok() && resolves(git_ref, root) {
            return Ok(("origin".to_owned(), refspec));
        }
    }
    Err(GitError::NotOnOrigin)
}

/// `git fetch` of one refspec, only as deep as the clone is (depth 1 in a shallow clone).
fn fetch_first(remote: &str, refspec: &str, root: &Path) -> Result<(), GitError> {
    let mut args = vec!["fetch", "--no-tags", "--quiet"];
    if is_shallow(root) {
        args.push("--depth=1");
    }
    args.extend([remote, refspec]);
    git(&args, root).map(drop)
}

fn resolves(git_ref: &str, root: &Path) -> bool {
    let commit = format!("{git_ref}^{{commit}}");
    git(&["rev-parse", "--verify", "--quiet", &commit], root).is_ok()
}

fn is_shallow(root: &Path) -> bool {
    git(&["rev-parse", "--is-shallow-repository"], root).is_ok_and(|out| out.trim() == "true")
}

/// Runs git in `dir`: its output, or its message (empty when git said nothing, as
/// `git merge-base` does when there is no merge base).
fn git(args: &[&str], dir: &Path) -> Result<String, GitError> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(GitError::Spawn)?;
    if !output.status.success() {
        return Err(GitError::Failed(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ));
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// The text of each path at `commit` (`None` where it did not exist), in one `git cat-file`.
fn read_blobs(
    root: &Path,
    commit: &str,
    paths: &[Option<String>],
) -> Result<Vec<Option<String>>, GitError> {
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(GitError::Spawn)?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let requests: String = paths
        .iter()
        .map(|path| {
            format!(
                "{commit}:{}\n",
                path.as_deref()
                    .unwrap_or(".chronos-lint/not-in-this-repository")
            )
        })
        .collect();
    // Write from a thread: git answers while we are still asking.
    let writer = std::thread::spawn(move || stdin.write_all(requests.as_bytes()));
    let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut texts = Vec::with_capacity(paths.len());
    for _ in paths {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let fields: Vec<&str> = header.split_whitespace().collect();
        match fields.as_slice() {
            [_, "blob", size] => {
                let size: usize = size
                    .parse()
                    .map_err(|_| GitError::BadHeader(header.clone()))?;
                let mut blob = vec![0; size + 1];
                reader.read_exact(&mut blob)?;
                blob.pop();
                texts.push(Some(String::from_utf8_lossy(&blob).into_owned()));
            }
            _ => texts.push(None),
        }
    }
    writer.join().map_err(|_| GitError::WriterPanicked)??;
    child.wait()?;
    Ok(texts)
}
