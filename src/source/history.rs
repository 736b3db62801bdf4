//! What the migrations looked like at a git ref (`--changed-since`): which are history, which
//! are new, and which were edited after they were merged.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
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
    pub fn load(git_ref: &str, dir: &Path, workspace: &Workspace) -> Result<Baseline, String> {
        let root = PathBuf::from(git(&["rev-parse", "--show-toplevel"], dir)?.trim());
        let root = root.canonicalize().unwrap_or(root);
        let base_commit = git(&["merge-base", git_ref, "HEAD"], &root)
            .map_err(|err| format!("--changed-since {git_ref}: {err}"))?
            .trim()
            .to_owned();

        let relative: Vec<Option<String>> = workspace
            .files
            .iter()
            .map(|file| {
                let absolute = std::path::absolute(&file.path).ok()?;
                let absolute = absolute.canonicalize().unwrap_or(absolute);
                Some(
                    absolute
                        .strip_prefix(&root)
                        .ok()?
                        .to_string_lossy()
                        .replace('\\', "/"),
                )
            })
            .collect();
        let old_texts = read_blobs(&root, &base_commit, &relative)?;

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
            let status = match (&old_texts[migration.file], migration.kind) {
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

fn git(args: &[&str], dir: &Path) -> Result<String, String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|err| format!("cannot run git: {err}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    String::from_utf8(output.stdout).map_err(|err| err.to_string())
}

/// The text of each path at `commit` (`None` where it did not exist), in one `git cat-file`.
fn read_blobs(
    root: &Path,
    commit: &str,
    paths: &[Option<String>],
) -> Result<Vec<Option<String>>, String> {
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot run git: {err}"))?;
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
        reader
            .read_line(&mut header)
            .map_err(|err| err.to_string())?;
        let fields: Vec<&str> = header.split_whitespace().collect();
        match fields.as_slice() {
            [_, "blob", size] => {
                let size: usize = size
                    .parse()
                    .map_err(|_| format!("git cat-file: bad header {header:?}"))?;
                let mut blob = vec![0; size + 1];
                reader
                    .read_exact(&mut blob)
                    .map_err(|err| err.to_string())?;
                blob.pop();
                texts.push(Some(String::from_utf8_lossy(&blob).into_owned()));
            }
            _ => texts.push(None),
        }
    }
    writer
        .join()
        .map_err(|_| "git cat-file writer panicked".to_owned())?
        .map_err(|err| err.to_string())?;
    child.wait().map_err(|err| err.to_string())?;
    Ok(texts)
}
