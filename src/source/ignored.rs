//! `.gitignore` and `.ignore` files, as discovery walks a folder: what git (or ripgrep) would
//! leave out is not a migration of the project.

use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

const FILES: &[&str] = &[".gitignore", ".ignore"];

/// The ignore files in force at one place of a walk, innermost last.
pub(super) struct IgnoreFiles {
    /// Each folder's matcher with its depth in the walk (ancestors of the root at depth 0).
    stack: Vec<(usize, Gitignore)>,
}

impl IgnoreFiles {
    /// The ignore files of `root` and of the folders above it, up to the repository's top
    /// (the first with `.git`).
    pub(super) fn above(root: &Path) -> IgnoreFiles {
        let root = super::read::absolute(root);
        let mut above: Vec<PathBuf> = Vec::new();
        for dir in root.ancestors().skip(1) {
            above.push(dir.to_path_buf());
            if dir.join(".git").exists() {
                break;
            }
        }
        let stack = above
            .iter()
            .rev()
            .filter_map(|dir| matcher(dir))
            .map(|matcher| (0, matcher))
            .collect();
        IgnoreFiles { stack }
    }

    /// Enters `dir` at `depth` of the walk (the root at 0): matchers of folders that are not its
    /// ancestors are dropped, and its own ignore files are read.
    pub(super) fn enter(&mut self, dir: &Path, depth: usize) {
        self.leave_to(depth);
        if let Some(matcher) = matcher(&super::read::absolute(dir)) {
            self.stack.push((depth + 1, matcher));
        }
    }

    /// Whether `path`, met at `depth`, is ignored: the innermost file with a say decides, and in
    /// one file the last matching pattern (`!` re-includes).
    pub(super) fn is_ignored(&mut self, path: &Path, depth: usize, is_dir: bool) -> bool {
        self.leave_to(depth);
        let path = super::read::absolute(path);
        for (_, matcher) in self.stack.iter().rev() {
            let found = matcher.matched(&path, is_dir);
            if found.is_ignore() {
                return true;
            }
            if found.is_whitelist() {
                return false;
            }
        }
        false
    }

    /// Drops the matchers of folders deeper than `depth` (their walk is over).
    fn leave_to(&mut self, depth: usize) {
        while self.stack.last().is_some_and(|(at, _)| *at > depth) {
            self.stack.pop();
        }
    }
}

/// The patterns of `dir`'s ignore files (`.ignore` over `.gitignore`), if it has any.
fn matcher(dir: &Path) -> Option<Gitignore> {
    let present: Vec<PathBuf> = FILES
        .iter()
        .map(|name| dir.join(name))
        .filter(|path| path.is_file())
        .collect();
    if present.is_empty() {
        return None;
    }
    let mut builder = GitignoreBuilder::new(dir);
    for path in present {
        // A line that is not a valid pattern is skipped, as git skips it.
        let _ = builder.add(path);
    }
    builder.build().ok().filter(|matcher| !matcher.is_empty())
}
