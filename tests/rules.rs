//! Every rule against its fixtures: each `fixtures/<id>/fail/*` case must make the rule fire,
//! each `fixtures/<id>/pass/*` case must not, and the rendered diagnostics of the fail cases are
//! kept as snapshots. Also keeps the registry, the doc pages and the fixtures in step.
//!
//! `fixtures/<id>/chronos-lint.toml` configures all of a rule's cases; a case directory with its
//! own `chronos-lint.toml` (another `pg_version`, say) uses that instead.
//!
//! Shadow rules (the shadow family) are exercised for real: the harness starts one throwaway
//! PostgreSQL per rule, exactly as `--shadow` does, and lints every case of the rule with
//! `--shadow-url` pointed at it (each case gets a database of its own; the migrations run as the
//! cluster's superuser, as with `--shadow`, not as the confined role of a shared server, which
//! tests/shadow.rs covers). The server version in
//! their messages is written `PostgreSQL <version>` in the snapshots.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chronos_lint::config::Config;
use chronos_lint::diagnostic::Diagnostic;
use chronos_lint::findings::Findings;
use chronos_lint::report::{self, Format, Report};
use chronos_lint::shadow::cluster::Cluster;
use chronos_lint::source::history::Baseline;
use chronos_lint::{lint, rules, shadow, source};

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    cases.sort();
    cases
}

/// The fixture folder's own `chronos-lint.toml`, or the `chronos` preset, which the fixtures
/// are written for (an empty `chronos-lint.toml` judges a case with no configuration at all).
fn fixture_config(rule_dir: &Path) -> Config {
    let path = rule_dir.join("chronos-lint.toml");
    if path.is_file() {
        Config::load(Some(&path), rule_dir, rules::is_rule).unwrap()
    } else {
        Config::preset("chronos", rules::is_rule).unwrap()
    }
}

/// A case directory's own `chronos-lint.toml`, if it has one.
fn case_config(case: &Path) -> Option<Config> {
    let path = case.join("chronos-lint.toml");
    path.is_file()
        .then(|| Config::load(Some(&path), case, rules::is_rule).unwrap())
}

/// Lints one case and renders the diagnostics of `rule` as human output without colour.
///
/// A case with `before/` and `after/` folders is a history case: `before/` is committed to a
/// temporary git repository, `after/` replaces it in the work tree, and the case is linted with
/// `--changed-since HEAD`.
///
/// With `shadow`, the case is also applied to that cluster (`--shadow-url`).
fn run_case(
    case: &Path,
    config: &Config,
    rule: &str,
    shadow: Option<&Cluster>,
) -> (Vec<Diagnostic>, String) {
    if case.join("after").is_dir() {
        return run_history_case(case, config, rule);
    }
    lint_case(case, config, rule, None, shadow)
}

fn lint_case(
    case: &Path,
    config: &Config,
    rule: &str,
    git_ref: Option<&str>,
    shadow: Option<&Cluster>,
) -> (Vec<Diagnostic>, String) {
    let exclude = config.exclude_matcher(&[]).unwrap();
    let mut workspace = source::discover(&[case.to_path_buf()], config, &exclude, None);
    assert!(
        workspace.errors.is_empty(),
        "{}: {:?}",
        case.display(),
        workspace.errors
    );
    let baseline = git_ref.map(|git_ref| Baseline::load(git_ref, case, &workspace).unwrap());
    let trace = shadow.map(|cluster| {
        source::load_snapshots(&mut workspace);
        let options = shadow::Options {
            // The cluster is the harness's own: the migrations run as its superuser, as on the
            // private cluster of `--shadow`.
            connect: shadow::Connect::from_environment(Some(cluster.url("postgres"))).unconfined(),
            progress: false,
            limits: shadow::Limits::default(),
        };
        let mut trace = shadow::run(&workspace, &options)
            .unwrap_or_else(|err| panic!("{}: --shadow: {err}", case.display()));
        trace.server = "PostgreSQL <version>".to_owned();
        trace
    });
    let history = lint::History {
        baseline: baseline.as_ref(),
        applied: None,
        trace: trace.as_ref(),
    };
    let mut output = lint::lint(&workspace, config, history, None);
    if let Some(baseline) = &baseline {
        output
            .findings
            .kept
            .retain(|d| baseline.is_reportable(d.file, d.migration.as_deref()));
    }
    let diagnostics: Vec<Diagnostic> = output
        .findings
        .diagnostics()
        .unwrap()
        .into_iter()
        .filter(|d| d.rule.as_str() == rule)
        .collect();
    let report = Report {
        files: &workspace.files,
        findings: &Findings::in_memory(diagnostics.clone()),
        input_errors: &[],
        stats: output.stats,
        color: false,
        quiet: false,
    };
    let mut rendered = Vec::new();
    report::write(Format::Human, &report, &mut rendered).unwrap();
    (diagnostics, String::from_utf8(rendered).unwrap())
}

fn run_history_case(case: &Path, config: &Config, rule: &str) -> (Vec<Diagnostic>, String) {
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            // Fixed dates keep commit ids, which the messages quote, stable.
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .current_dir(repo.path())
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    git(&["init", "-q"]);
    support::copy_dir(&case.join("before"), repo.path());
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "before"]);
    for entry in std::fs::read_dir(repo.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == ".git" {
            continue;
        }
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
    support::copy_dir(&case.join("after"), repo.path());
    let (diagnostics, rendered) = lint_case(repo.path(), config, rule, Some("HEAD"), None);
    let shown = format!("{}/after", case.display());
    let repo_path = repo.path().to_string_lossy().into_owned();
    (diagnostics, rendered.replace(&repo_path, &shown))
}

#[test]
fn every_rule_fires_on_fail_cases_and_not_on_pass_cases() {
    // CHRONOS_FIXTURE_RULE=<id> runs one rule's fixtures only.
    let only = std::env::var("CHRONOS_FIXTURE_RULE").ok();
    for rule in rules::REGISTRY {
        let id = rule.meta().id;
        if only.as_deref().is_some_and(|only| only != id) {
            continue;
        }
        let rule_dir = Path::new("fixtures").join(id);
        let config = fixture_config(&rule_dir);
        let cluster = rule.meta().needs_shadow().then(support::cluster);

        let mut snapshot = String::new();
        for case in cases(&rule_dir.join("fail")) {
            let case_config = case_config(&case);
            let (diagnostics, rendered) = run_case(
                &case,
                case_config.as_ref().unwrap_or(&config),
                id,
                cluster.as_ref(),
            );
            assert!(
                !diagnostics.is_empty(),
                "{id} did not fire on {}",
                case.display()
            );
            snapshot.push_str(&format!("===== {}\n{rendered}\n", case.display()));
        }
        for case in cases(&rule_dir.join("pass")) {
            let case_config = case_config(&case);
            let (diagnostics, rendered) = run_case(
                &case,
                case_config.as_ref().unwrap_or(&config),
                id,
                cluster.as_ref(),
            );
            assert!(
                diagnostics.is_empty(),
                "{id} fired on pass case {}:\n{rendered}",
                case.display()
            );
        }
        insta::assert_snapshot!(id, snapshot);
    }
}

#[test]
fn registry_doc_pages_and_fixtures_agree() {
    let registered: BTreeSet<&str> = rules::REGISTRY.iter().map(|rule| rule.meta().id).collect();
    let documented: BTreeSet<String> = std::fs::read_dir("rules")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let documented: BTreeSet<&str> = documented.iter().map(String::as_str).collect();
    assert_eq!(
        registered, documented,
        "every rule needs rules/<id>.md and every page a rule"
    );

    for id in registered {
        let doc = rules::find(id).unwrap().meta().doc;
        assert!(
            doc.starts_with(&format!("# {id}\n")),
            "rules/{id}.md must start with its id"
        );
        for section in ["## Why", "## Bad", "## Good", "## Suppress"] {
            assert!(doc.contains(section), "rules/{id}.md lacks {section}");
        }
        for kind in ["fail", "pass"] {
            let dir = Path::new("fixtures").join(id).join(kind);
            assert!(
                dir.is_dir() && !cases(&dir).is_empty(),
                "{id} needs {kind} fixtures in {}",
                dir.display()
            );
        }
    }
}

/// Every statement a fail case's findings suggest runs on PostgreSQL, against the schema it is
/// written for: a suggestion `before` or `instead` of a statement after the set's statements
/// before it, one `after` a migration after that migration. The set is replayed statement by statement (what
/// the real server refuses is left out, as a failed statement would be); each suggested
/// statement then runs in a transaction of its own and must succeed.
#[test]
fn every_suggested_statement_runs_on_postgresql() {
    use chronos_lint::diagnostic::When;
    let cluster = support::cluster();
    let (mut checked, mut skipped) = (0, 0);
    for rule in rules::REGISTRY {
        let id = rule.meta().id;
        if rule.meta().needs_shadow() {
            continue;
        }
        let rule_dir = Path::new("fixtures").join(id);
        let config = fixture_config(&rule_dir);
        for case in cases(&rule_dir.join("fail")) {
            if case.join("after").is_dir() {
                continue;
            }
            let case_config = case_config(&case);
            let config = case_config.as_ref().unwrap_or(&config);
            let exclude = config.exclude_matcher(&[]).unwrap();
            let workspace = source::discover(std::slice::from_ref(&case), config, &exclude, None);
            let (diagnostics, _) = lint_case(&case, config, id, None, None);
            for diagnostic in &diagnostics {
                for suggestion in &diagnostic.suggestions {
                    let replay = replay_before(&workspace, diagnostic, suggestion.when);
                    let database = format!("suggestion_{}", checked + skipped);
                    support::psql(&cluster, "postgres", &format!("CREATE DATABASE {database}"));
                    support::psql_script(&cluster, &database, &replay, false).ok();
                    // A case may use tables its migrations never create (they exist in
                    // production): when the flagged statement itself fails here, the schema it
                    // was written for is not known, and neither is the suggestion's.
                    if suggestion.when != When::After {
                        let probe = format!("{database}_probe");
                        support::psql(
                            &cluster,
                            "postgres",
                            &format!("CREATE DATABASE {probe} TEMPLATE {database}"),
                        );
                        let flagged = flagged_statement(&workspace, diagnostic);
                        let runs = support::psql_script(&cluster, &probe, &flagged, true).is_ok();
                        support::psql(&cluster, "postgres", &format!("DROP DATABASE {probe}"));
                        if !runs {
                            skipped += 1;
                            support::psql(
                                &cluster,
                                "postgres",
                                &format!("DROP DATABASE {database}"),
                            );
                            continue;
                        }
                    }
                    let script = suggestion.statements.join("\n");
                    if let Err(err) = support::psql_script(&cluster, &database, &script, true) {
                        panic!(
                            "{id} in {}: PostgreSQL refuses the suggestion\n{script}\n{err}",
                            case.display()
                        );
                    }
                    support::psql(&cluster, "postgres", &format!("DROP DATABASE {database}"));
                    checked += 1;
                }
            }
        }
    }
    eprintln!("{checked} suggestions ran on PostgreSQL; {skipped} were for tables no case creates");
    assert!(
        checked > skipped,
        "{checked} suggestions checked, {skipped} skipped"
    );
}

/// The migration set of the file `diagnostic` is in.
fn set_of<'a>(
    workspace: &'a source::Workspace,
    diagnostic: &Diagnostic,
) -> &'a source::MigrationSet {
    workspace
        .sets
        .iter()
        .find(|set| set.migrations.iter().any(|m| m.file == diagnostic.file))
        .expect("the finding's file is in a set")
}

/// The text of the statement `diagnostic` points into.
fn flagged_statement(workspace: &source::Workspace, diagnostic: &Diagnostic) -> String {
    let text = &workspace.files[diagnostic.file].text;
    let set = set_of(workspace, diagnostic);
    for migration in set.migrations.iter().filter(|m| m.file == diagnostic.file) {
        let parsed = chronos_lint::parse::parse_migration(text, migration);
        if let Some(statement) = parsed
            .statements
            .iter()
            .find(|statement| statement.span.contains(&diagnostic.span.start))
        {
            return format!("{};", &text[statement.span.clone()]);
        }
    }
    panic!("no statement holds the finding at {:?}", diagnostic.span)
}

/// The statements of `diagnostic`'s set that run before its suggestion: up to the flagged
/// statement for `instead`, to the end of its migration for `after`. Transaction control is
/// left out (every statement commits on its own) and so are the statements inside `DO` bodies
/// (the block runs them).
fn replay_before(
    workspace: &source::Workspace,
    diagnostic: &Diagnostic,
    when: chronos_lint::diagnostic::When,
) -> String {
    use chronos_lint::diagnostic::When;
    let set = set_of(workspace, diagnostic);
    let mut script = String::new();
    for migration in &set.migrations {
        let text = &workspace.files[migration.file].text;
        let parsed = chronos_lint::parse::parse_migration(text, migration);
        let flagged_migration = migration.file == diagnostic.file
            && diagnostic
                .migration
                .as_deref()
                .is_none_or(|name| name == migration.name);
        for statement in &parsed.statements {
            let flagged = flagged_migration && statement.span.contains(&diagnostic.span.start);
            if flagged && when != When::After {
                return script;
            }
            let transaction_control =
                matches!(statement.node, pg_query::NodeEnum::TransactionStmt(_));
            if !statement.in_do_block && !transaction_control {
                script.push_str(&text[statement.span.clone()]);
                script.push_str(";\n");
            }
        }
        if flagged_migration {
            return script;
        }
    }
    script
}
