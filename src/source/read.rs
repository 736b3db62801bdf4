//! Reading one file as migration text: the limits a file must keep (size, tokens), the errors
//! that say why it cannot be linted, and paths as they are shown. Discovery and the drizzle
//! folders both read through here.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use super::{FileId, InputError, SourceFile, StdinSource, Workspace};

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

/// Reads a file as UTF-8 SQL text, recording a clear error when it cannot be used.
pub(super) fn load(path: &Path, workspace: &mut Workspace) -> Option<FileId> {
    let read = read_source(path, workspace.stdin.as_ref());
    add_source(read, workspace)
}

/// Records what [`read_source`] gave: the file, or the error.
fn add_source(read: Result<SourceFile, InputError>, workspace: &mut Workspace) -> Option<FileId> {
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
pub(super) fn read_source(
    path: &Path,
    stdin: Option<&StdinSource>,
) -> Result<SourceFile, InputError> {
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
                        crate::regular_file::kind(&meta)
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

/// Whether standard input stands for `path`.
pub(super) fn is_stdin(path: &Path, workspace: &Workspace) -> bool {
    workspace
        .stdin
        .as_ref()
        .is_some_and(|stdin| stdin.path == absolute(path))
}

/// `path` made absolute (not resolved), as far as it can be.
pub(super) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The working directory, asked once: chronos-lint never changes it.
static WORKING_DIR: LazyLock<Option<PathBuf>> = LazyLock::new(|| std::env::current_dir().ok());

/// A path as shown to the user: relative to the working directory when under it.
pub(super) fn display(path: &Path) -> String {
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
    let shown = shown.strip_prefix("./").map(str::to_owned).unwrap_or(shown);
    // The working directory itself.
    if shown.is_empty() {
        ".".to_owned()
    } else {
        shown
    }
}
