//! A damaged cache, or something else in a cache file's place, never changes a report nor stops
//! a run: every record is checked before it is used, only regular files of bounded size are
//! read, and what could not be used is written anew.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestRunner;

/// Runs chronos-lint in `dir` with JSON output; returns (exit code, stdout, stderr). A run that
/// hangs is killed, and fails the test.
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("chronos-lint")
        .unwrap()
        .current_dir(dir)
        .env("CHRONOS_CACHE_STATS", "1")
        .env_remove("CHRONOS_LINT_CACHE_DIR")
        .args(["--format", "json"])
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8(output.stderr).unwrap();
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed: {err}"));
    (code, String::from_utf8(output.stdout).unwrap(), err)
}

fn stats(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|line| line.starts_with("cache: "))
        .unwrap_or_else(|| panic!("no cache figures in: {stderr}"))
}

/// The line of a run that reused everything, over `migrations`.
fn all_reused(migrations: usize) -> String {
    format!(
        "cache: {migrations} migrations; findings reused for {migrations}, trees reused for 0, \
         parsed 0"
    )
}

/// This repository's example migrations (a drizzle set and an Alembic one) in a fresh
/// directory, linted once into `cache/`.
struct Corpus {
    work: tempfile::TempDir,
    /// Exit code and report of a run without the cache.
    expected: (i32, String),
    migrations: usize,
}

impl Corpus {
    fn new() -> Corpus {
        let work = tempfile::tempdir().unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        support::copy_dir(&root.join("migrations"), &work.path().join("migrations"));
        let (code, report, _) = run(work.path(), &["--no-cache", "migrations"]);
        let mut corpus = Corpus {
            work,
            expected: (code, report),
            migrations: 0,
        };
        let (code, report, err) = corpus.run();
        assert_eq!((code, report), corpus.expected, "{err}");
        assert_eq!(corpus.cache_files().len(), 4, "two sets, two files each");
        let counted = stats(&err).trim_start_matches("cache: ").split(' ').next();
        corpus.migrations = counted.unwrap().parse().unwrap();
        corpus
    }

    fn run(&self) -> (i32, String, String) {
        run(self.work.path(), &["--cache-dir", "cache", "migrations"])
    }

    fn layout_dir(&self) -> PathBuf {
        self.work.path().join("cache/v2")
    }

    /// The `.results` and `.trees` files, in name order.
    fn cache_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(self.layout_dir())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|ext| ext == "results" || ext == "trees")
            })
            .collect();
        files.sort();
        files
    }

    /// Runs with the cache as it is; asserts the report is the one without the cache, and that
    /// the next run reuses every finding, read back intact from what this run wrote.
    fn assert_served_right_and_rewritten(&self) -> Result<(), TestCaseError> {
        let (code, report, err) = self.run();
        prop_assert_ne!(code, 101, "{}", err);
        prop_assert!(!err.contains("panicked"), "{}", err);
        prop_assert_eq!(&(code, report), &self.expected, "{}", err);
        let (code, report, err) = self.run();
        prop_assert_eq!(&(code, report), &self.expected, "{}", err);
        prop_assert_eq!(stats(&err), all_reused(self.migrations));
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Damage {
    /// One bit flipped, at this position in the file.
    Flip(Index),
    /// The file cut at this length.
    Truncate(Index),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        3 => any::<Index>().prop_map(Damage::Flip),
        1 => any::<Index>().prop_map(Damage::Truncate),
    ]
}

/// A bit flipped or a file cut anywhere in the cache: the run reports what a run without the
/// cache does, and leaves a cache the next run reuses whole.
#[test]
fn a_damaged_cache_file_never_changes_the_report() {
    let corpus = Corpus::new();
    let pristine: Vec<(PathBuf, Vec<u8>)> = corpus
        .cache_files()
        .into_iter()
        .map(|path| {
            let bytes = fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let case = (any::<Index>(), damage());
    let result = runner.run(&case, |(file, damage)| {
        for (path, bytes) in &pristine {
            fs::write(path, bytes).unwrap();
        }
        let (path, bytes) = &pristine[file.index(pristine.len())];
        let mut bytes = bytes.clone();
        match damage {
            Damage::Flip(bit) => {
                let bit = bit.index(bytes.len() * 8);
                bytes[bit / 8] ^= 1 << (bit % 8);
            }
            Damage::Truncate(length) => bytes.truncate(length.index(bytes.len())),
        }
        fs::write(path, bytes).unwrap();
        if path.extension().is_some_and(|ext| ext == "trees") {
            // Trees are read only for migrations linted again: without the set's findings,
            // every one of them is.
            fs::remove_file(path.with_extension("results")).unwrap();
        }
        corpus.assert_served_right_and_rewritten()
    });
    if let Err(err) = result {
        panic!("{err}");
    }
}

/// Puts `replace(path)` in the place of every cache file of a filled cache; the run must
/// finish with the report of a run without the cache and write the files anew.
fn replaced_cache_files(replace: impl Fn(&Path)) {
    let corpus = Corpus::new();
    for path in corpus.cache_files() {
        fs::remove_file(&path).unwrap();
        replace(&path);
    }
    corpus.assert_served_right_and_rewritten().unwrap();
    for path in corpus.cache_files() {
        assert!(fs::symlink_metadata(&path).unwrap().is_file(), "{path:?}");
    }
}

/// A link is not followed out of the cache directory: read, `/dev/zero` would never end.
#[test]
fn a_link_to_dev_zero_in_place_of_a_cache_file_is_not_followed() {
    replaced_cache_files(|path| std::os::unix::fs::symlink("/dev/zero", path).unwrap());
}

/// Opened for reading, a named pipe would wait for a writer forever.
#[test]
fn a_named_pipe_in_place_of_a_cache_file_does_not_block() {
    replaced_cache_files(|path| {
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    });
}

/// A cache file over the size bound (64 GiB, sparse: it takes no room) is not read at all.
#[test]
fn an_oversized_cache_file_is_not_read() {
    replaced_cache_files(|path| {
        let file = fs::File::create(path).unwrap();
        file.set_len(64 << 30).unwrap();
    });
}
