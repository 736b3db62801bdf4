//! Alembic projects rendered by a real Alembic (the pinned one `scripts/alembic-venv.sh`
//! installs into `.cache/alembic-venv`), in offline mode: findings land on the `op.` calls of
//! the revision scripts, branches and merges render whole, `--changed-since` judges revisions by
//! their scripts, the cache spares Python, and failures are input errors naming the project.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use support::git;

mod support;

/// The pinned Alembic's `bin/` folder.
fn alembic_bin() -> PathBuf {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/alembic-venv/bin");
    assert!(
        bin.join("alembic").is_file(),
        "no Alembic at {}: run scripts/alembic-venv.sh (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// `PATH` with the pinned Alembic first.
fn path_with_alembic() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{}:{path}", alembic_bin().display())
}

/// Copies a tree, leaving every copied file writable (the shared corpus may be read-only).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::write(&target, fs::read(entry.path()).unwrap()).unwrap();
        }
    }
}

/// A copy of the toy project in `tests/data/alembic-toy` (six revisions with a branch and a
/// merge; the shared corpus's `alembic-toy` without its rendered `.sql` files: the project's SQL
/// is what Alembic renders).
fn toy() -> tempfile::TempDir {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/alembic-toy");
    let dir = tempfile::tempdir().unwrap();
    fs::copy(corpus.join("alembic.ini"), dir.path().join("alembic.ini")).unwrap();
    copy_tree(&corpus.join("migrations"), &dir.path().join("migrations"));
    dir
}

const TOY_0003B: &str = "migrations/versions/0003b_idx_index_staging_deals.py";
const TOY_0005: &str = "migrations/versions/0005_tighten_backfill_and_tighten.py";

fn chronos(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("chronos-lint").unwrap();
    command
        .current_dir(dir)
        .env("PATH", path_with_alembic())
        .env_remove("GITHUB_ACTIONS")
        .env_remove("CHRONOS_LINT_CACHE_DIR");
    command
}

/// Runs chronos-lint with `--format json`: exit code, report, stderr.
fn lint_json(command: &mut Command, args: &[&str]) -> (i32, Value, String) {
    let output = command
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap(), report, stderr)
}

fn diagnostics(report: &Value) -> &Vec<Value> {
    report["diagnostics"].as_array().expect("a JSON report")
}

/// The diagnostic of `rule` in `path`, as `(line, column, end_line, end_column)`.
fn position(report: &Value, rule: &str, path: &str) -> (u64, u64, u64, u64) {
    let found = diagnostics(report)
        .iter()
        .find(|d| d["rule"] == rule && d["path"] == path)
        .unwrap_or_else(|| panic!("no {rule} in {path}: {report:#}"));
    let get = |key: &str| found[key].as_u64().unwrap();
    (
        get("line"),
        get("column"),
        get("end_line"),
        get("end_column"),
    )
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn findings_land_on_the_op_calls_of_the_revision_scripts() {
    let project = toy();
    let before = snapshot(project.path());
    let (code, report, stderr) = lint_json(&mut chronos(project.path()), &["--no-cache", "."]);
    assert_eq!(code, 1, "{stderr}");
    // `op.create_index("ix_staging_deals_raw_id", ...)`, one line; the CONCURRENTLY one after it
    // has no finding.
    assert_eq!(
        position(&report, "index-not-concurrent", TOY_0003B),
        (24, 5, 24, 76)
    );
    // The calls of 0005, line by line.
    assert_eq!(position(&report, "narrowing-type-change", TOY_0005).0, 26);
    assert_eq!(
        position(&report, "rename-column", TOY_0005),
        (27, 5, 27, 85)
    );
    assert_eq!(position(&report, "drop-column", TOY_0005), (28, 5, 28, 52));
    assert_eq!(
        position(&report, "unique-constraint-without-index", TOY_0005),
        (29, 5, 29, 105)
    );
    let drop = diagnostics(&report)
        .iter()
        .find(|d| d["rule"] == "drop-column")
        .unwrap();
    let message = drop["message"].as_str().unwrap();
    assert!(
        message.ends_with("(generated SQL: `ALTER TABLE staging_deals DROP COLUMN announced_on`)"),
        "{message}"
    );
    assert_eq!(drop["migration"], "0005_tighten");
    // Every finding is in a revision script; the rendered SQL is never shown.
    for diagnostic in diagnostics(&report) {
        let path = diagnostic["path"].as_str().unwrap();
        assert!(
            path.starts_with("migrations/versions/") && path.ends_with(".py"),
            "{path}"
        );
    }
    // The branch and the merge render whole: no revision is out of its chain.
    assert!(
        !diagnostics(&report)
            .iter()
            .any(|d| d["rule"] == "alembic-revision-gap"),
        "{report:#}"
    );
    assert_eq!(report["summary"]["migrations"], 6, "{report:#}");
    assert_eq!(report["summary"]["files"], 6, "{report:#}");
    // Offline mode wrote nothing: no __pycache__, no file changed.
    assert_eq!(snapshot(project.path()), before);
}

/// A project of five revisions: two branches from the first, merged, and a second head that
/// depends on one of the branches.
fn branched_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("db/versions")).unwrap();
    fs::write(
        root.join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/db\npath_separator = os\n\
         sqlalchemy.url = postgresql://\n",
    )
    .unwrap();
    fs::write(
        root.join("db/env.py"),
        "from alembic import context\n\n\
         context.configure(url=context.config.get_main_option(\"sqlalchemy.url\"), \
         literal_binds=True)\n\
         with context.begin_transaction():\n    context.run_migrations()\n",
    )
    .unwrap();
    let revision = |id: &str, down: &str, extra: &str, body: &str| {
        format!(
            "\"\"\"{id}\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\n\
             revision = \"{id}\"\ndown_revision = {down}\nbranch_labels = None\n{extra}\n\n\
             def upgrade():\n{body}\n\n\ndef downgrade():\n    pass\n"
        )
    };
    let files = [
        (
            "1_base.py",
            revision(
                "base1",
                "None",
                "depends_on = None",
                "    op.create_table(\n        \"app_users\",\n        \
                 sa.Column(\"id\", sa.BigInteger(), primary_key=True),\n    )",
            ),
        ),
        (
            "2_left.py",
            revision(
                "left2",
                "\"base1\"",
                "depends_on = None",
                "    op.add_column(\"app_users\", sa.Column(\"email\", sa.Text(), nullable=False))",
            ),
        ),
        (
            "2_right.py",
            revision(
                "right2",
                "\"base1\"",
                "depends_on = None",
                "    # Orders of users.\n    op.create_table(\"app_orders\", \
                 sa.Column(\"id\", sa.BigInteger(), primary_key=True), \
                 sa.Column(\"user_id\", sa.BigInteger(), sa.ForeignKey(\"app_users.id\")))\n    \
                 op.create_index(\"ix_app_users_id\", \"app_users\", [\"id\"])",
            ),
        ),
        (
            "3_merge.py",
            revision(
                "merge3",
                "(\"left2\", \"right2\")",
                "depends_on = None",
                "    op.drop_column(\"app_users\", \"email\")",
            ),
        ),
        (
            "4_side.py",
            revision(
                "side4",
                "None",
                "branch_labels = (\"side\",)\ndepends_on = \"right2\"",
                "    op.execute(\"UPDATE app_users SET id = id\")",
            ),
        ),
    ];
    for (name, text) in files {
        fs::write(root.join("db/versions").join(name), text).unwrap();
    }
    dir
}

#[test]
fn branches_merges_and_depends_on_render_whole() {
    let project = branched_project();
    let (code, report, stderr) = lint_json(&mut chronos(project.path()), &["--no-cache", "."]);
    assert_eq!(code, 1, "{stderr}\n{report:#}");
    assert_eq!(report["summary"]["migrations"], 5, "{report:#}");
    assert_eq!(
        position(&report, "add-column-required", "db/versions/2_left.py"),
        (11, 5, 11, 78)
    );
    // The index of the second call of `right2`, not the table its first creates.
    assert_eq!(
        position(&report, "index-not-concurrent", "db/versions/2_right.py"),
        (13, 5, 13, 60)
    );
    assert_eq!(
        position(&report, "fk-missing-index", "db/versions/2_right.py").0,
        12
    );
    assert_eq!(
        position(&report, "drop-column", "db/versions/3_merge.py"),
        (11, 5, 11, 41)
    );
    // A revision that depends on a branch runs after it, on the table it needs.
    assert_eq!(
        position(
            &report,
            "unbounded-delete-or-update",
            "db/versions/4_side.py"
        ),
        (12, 5, 12, 47)
    );
    assert!(
        !diagnostics(&report)
            .iter()
            .any(|d| d["rule"] == "alembic-revision-gap" || d["rule"] == "syntax-error"),
        "{report:#}"
    );
}

#[test]
fn changed_since_judges_each_revision_by_its_script() {
    let project = toy();
    let root = project.path();
    let versions = root.join("migrations/versions");
    let added = versions.join("0005_tighten_backfill_and_tighten.py");
    let kept = fs::read(&added).unwrap();
    fs::remove_file(&added).unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "0001 to 0004"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    fs::write(&added, kept).unwrap();

    let (code, report, stderr) = lint_json(
        &mut chronos(root),
        &["--no-cache", "--changed-since", "main", "."],
    );
    assert_eq!(code, 1, "{stderr}");
    // Only the new revision is reported; 0003b's index is history.
    for diagnostic in diagnostics(&report) {
        assert_eq!(diagnostic["path"], TOY_0005, "{report:#}");
    }
    assert_eq!(position(&report, "drop-column", TOY_0005).0, 28);

    // An edit of a merged revision's script is `migration-modified`, at its `def upgrade`.
    let edited = versions.join("0003a_country_add_raw_crunchbase_country.py");
    let text = fs::read_to_string(&edited).unwrap();
    fs::write(&edited, text.replace("String(2)", "String(3)")).unwrap();
    let (_, report, stderr) = lint_json(
        &mut chronos(root),
        &["--no-cache", "--changed-since", "main", "."],
    );
    let path = "migrations/versions/0003a_country_add_raw_crunchbase_country.py";
    assert_eq!(
        position(&report, "migration-modified", path),
        (22, 1, 22, 12),
        "{stderr}"
    );
}

#[test]
fn a_named_revision_script_is_judged_in_its_project() {
    let project = toy();
    let (code, report, stderr) =
        lint_json(&mut chronos(project.path()), &["--no-cache", TOY_0003B]);
    assert_eq!(code, 0, "{stderr}");
    let paths: Vec<&Value> = diagnostics(&report).iter().map(|d| &d["path"]).collect();
    assert!(
        !paths.is_empty() && paths.iter().all(|p| *p == TOY_0003B),
        "{report:#}"
    );
    assert_eq!(report["summary"]["files"], 1);
}

#[test]
fn a_folder_inside_a_project_or_its_ini_brings_the_project() {
    let project = toy();
    // The versions folder: its scripts are reported.
    let (code, report, stderr) = lint_json(
        &mut chronos(project.path()),
        &["--no-cache", "migrations/versions"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["summary"]["files"], 6, "{report:#}");
    assert_eq!(position(&report, "drop-column", TOY_0005).0, 28);
    // The ini file named: the whole project.
    let (code, whole, stderr) =
        lint_json(&mut chronos(project.path()), &["--no-cache", "alembic.ini"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(whole["diagnostics"], report["diagnostics"]);
}

/// A command that counts its runs in `runs.log` beside it, then runs the pinned Alembic.
fn counting_alembic(dir: &Path) -> PathBuf {
    let script = dir.join("alembic-counting");
    let log = dir.join("runs.log");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            alembic_bin().join("alembic").display()
        ),
    )
    .unwrap();
    let mut permissions = fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    fs::set_permissions(&script, permissions).unwrap();
    script
}

#[test]
fn the_cache_keeps_the_rendered_sql_until_the_project_changes() {
    let project = toy();
    let root = project.path();
    let tools = tempfile::tempdir().unwrap();
    let command = counting_alembic(tools.path());
    fs::write(
        root.join("chronos-lint.toml"),
        format!("[alembic]\ncommand = [\"{}\"]\n", command.display()),
    )
    .unwrap();
    let cache = tools.path().join("cache");
    let runs = || {
        fs::read_to_string(tools.path().join("runs.log"))
            .unwrap_or_default()
            .lines()
            .count()
    };
    let lint = |args: &[&str]| {
        let mut command = chronos(root);
        command.env("CHRONOS_CACHE_STATS", "1");
        let mut all = vec!["--cache-dir", cache.to_str().unwrap()];
        all.extend(args);
        lint_json(&mut command, &all)
    };
    let (_, first, _) = lint(&["."]);
    assert_eq!(runs(), 1);
    let (_, second, stderr) = lint(&["."]);
    assert_eq!(runs(), 1, "an unchanged project is not rendered again");
    assert!(
        stderr.contains("Alembic projects 1, SQL reused for 1"),
        "{stderr}"
    );
    assert_eq!(first["diagnostics"], second["diagnostics"]);

    // Any file of versions/ counts, even one that is not a revision.
    fs::write(root.join("migrations/versions/README"), "notes\n").unwrap();
    lint(&["."]);
    assert_eq!(runs(), 2);
    fs::write(root.join("migrations/env.py"), {
        let mut env = fs::read_to_string(root.join("migrations/env.py")).unwrap();
        env.push_str("\n# edited\n");
        env
    })
    .unwrap();
    lint(&["."]);
    assert_eq!(runs(), 3);
    lint(&["--no-cache", "."]);
    assert_eq!(runs(), 4, "--no-cache renders afresh");
    assert!(cache.join("v2").is_dir());
}

#[test]
fn the_command_is_configurable_and_its_failures_are_input_errors() {
    let project = toy();
    let root = project.path();
    let config = root.join("chronos-lint.toml");
    // A command line, as `uv run alembic` would be written.
    let python = alembic_bin().join("python");
    fs::write(
        &config,
        format!("[alembic]\ncommand = \"{} -m alembic\"\n", python.display()),
    )
    .unwrap();
    let (code, _, stderr) = lint_json(&mut chronos(root), &["--no-cache", "."]);
    assert_eq!(code, 1, "{stderr}");

    // A revision Python cannot import: exit 2, the project named, Alembic's error shown.
    let broken = root.join("migrations/versions/0006_broken.py");
    fs::write(
        &broken,
        "revision = '0006_broken'\ndown_revision = '0005_tighten'\ndef upgrade(:\n",
    )
    .unwrap();
    let (code, _, stderr) = lint_json(&mut chronos(root), &["--no-cache", "."]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("error: alembic.ini: Alembic failed"),
        "{stderr}"
    );
    assert!(stderr.contains("SyntaxError"), "{stderr}");
    fs::remove_file(&broken).unwrap();

    // A command that is not there.
    fs::write(&config, "[alembic]\ncommand = \"/nonexistent/alembic\"\n").unwrap();
    let (code, _, stderr) = lint_json(&mut chronos(root), &["--no-cache", "."]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error: alembic.ini: cannot run `/nonexistent/alembic -c")
            && stderr.contains("[alembic] command"),
        "{stderr}"
    );

    // One that never finishes is stopped at the timeout.
    fs::write(
        &config,
        "[alembic]\ncommand = [\"sh\", \"-c\", \"sleep 60\", \"sh\"]\ntimeout = 1\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let (code, _, stderr) = lint_json(&mut chronos(root), &["--no-cache", "."]);
    assert_eq!(code, 2);
    assert!(started.elapsed().as_secs() < 30);
    assert!(stderr.contains("did not finish within 1 s"), "{stderr}");
}

#[test]
fn a_sources_entry_names_a_project_by_its_ini_file() {
    let project = toy();
    let root = project.path();
    fs::rename(root.join("alembic.ini"), root.join("db.ini")).unwrap();
    fs::write(
        root.join("chronos-lint.toml"),
        "[[sources]]\npath = \"db.ini\"\nkind = \"alembic-project\"\n",
    )
    .unwrap();
    let (code, report, stderr) = lint_json(&mut chronos(root), &["--no-cache", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(position(&report, "drop-column", TOY_0005).0, 28);
}

#[test]
fn init_names_a_project_by_its_folder_relative_to_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let toy = toy();
    copy_tree(toy.path(), &dir.path().join("backend"));
    let output = chronos(dir.path()).arg("init").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let written = fs::read_to_string(dir.path().join("chronos-lint.toml")).unwrap();
    assert!(
        written.contains("[[sources]]\npath = \"backend\"\nowner = \"alembic\""),
        "{written}"
    );
    // The copied folder lints with the configuration it wrote.
    let (code, report, stderr) = lint_json(&mut chronos(dir.path()), &["--no-cache", "."]);
    assert!(code < 2, "{stderr}");
    assert!(
        !diagnostics(&report)
            .iter()
            .any(|d| d["rule"] == "unowned-table" || d["rule"] == "ownership-violation"),
        "{report}"
    );
}
