//! The drizzle journal reader: the input stands for `meta/_journal.json` of a folder that holds
//! two migrations, and the folder is read and linted as `chronos-lint` does.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use chronos_lint::config::Config;
use chronos_lint::{lint, source};
use chronos_lint_fuzz::check_output;
use libfuzzer_sys::fuzz_target;

struct Folder {
    _dir: tempfile::TempDir,
    root: PathBuf,
    journal: PathBuf,
}

fn folder() -> &'static Folder {
    static FOLDER: OnceLock<Folder> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("drizzle");
        std::fs::create_dir_all(root.join("meta")).unwrap();
        let journal = root.join("meta/_journal.json");
        std::fs::write(&journal, "{}").unwrap();
        std::fs::write(
            root.join("0000_init.sql"),
            "CREATE TABLE cms_posts (id serial PRIMARY KEY, title text);",
        )
        .unwrap();
        std::fs::write(
            root.join("0001_more.sql"),
            "ALTER TABLE cms_posts ADD COLUMN body text;--> statement-breakpoint\nCREATE INDEX cms_posts_title ON cms_posts (title);",
        )
        .unwrap();
        Folder {
            _dir: dir,
            root,
            journal,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let folder = folder();
    let config = Config::default();
    let exclude = config.exclude_matcher(&[]).unwrap();
    let stdin = source::StdinSource {
        path: folder.journal.clone(),
        text: text.to_owned(),
    };
    let workspace = source::discover(
        std::slice::from_ref(&folder.root),
        &config,
        &exclude,
        Some(stdin),
    );
    let output = lint::lint(&workspace, &config, lint::History::default(), None);
    check_output(&workspace, &output, false);
});
