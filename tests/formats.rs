//! Output formats: snapshots of each, the SARIF schema, stable fingerprints.

use std::fs;

use assert_cmd::Command;
use serde_json::Value;

const CASE: &str = "fixtures/ownership-violation/fail/drizzle_touches_other_owners.sql";
const CONFIG: &str = "fixtures/ownership-violation/chronos-lint.toml";
/// The rules these snapshots show; others would change them whenever a rule is added.
const SELECT: &str = "--select=ownership-violation,unowned-table,drop-table";

fn render(format: &str, args: &[&str]) -> String {
    let output = Command::cargo_bin("chronos-lint")
        .unwrap()
        .env_remove("GITHUB_ACTIONS")
        .args(["--format", format, SELECT])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.code().unwrap() < 2,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn github_annotations() {
    insta::assert_snapshot!(render("github", &["--config", CONFIG, CASE]));
}

#[test]
fn markdown_summary() {
    insta::assert_snapshot!(render("markdown", &["--config", CONFIG, CASE]));
}

#[test]
fn gitlab_code_quality() {
    let out = render("gitlab", &["--config", CONFIG, CASE]);
    let issues: Value = serde_json::from_str(&out).unwrap();
    let fingerprints: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    let mut unique = fingerprints.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), fingerprints.len(), "fingerprints are unique");
    insta::assert_snapshot!(out);
}

#[test]
fn sarif_snapshot() {
    let out = render("sarif", &["--config", CONFIG, CASE]);
    let mut sarif: Value = serde_json::from_str(&out).unwrap();
    // The rule catalogue carries every doc page; the snapshot keeps the results.
    sarif["runs"][0]["tool"]["driver"]["rules"] = Value::Null;
    sarif["runs"][0]["tool"]["driver"]["version"] = Value::Null;
    insta::assert_snapshot!(serde_json::to_string_pretty(&sarif).unwrap());
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let schema_path = ".cache/sarif-schema-2.1.0.json";
    let schema = fs::read_to_string(schema_path)
        .unwrap_or_else(|_| panic!("{schema_path} is missing: run scripts/fetch-sarif-schema.sh"));
    let mut schema: Value = serde_json::from_str(&schema).unwrap();
    // The published schema's `language` patterns have a stray `]` that strict regex engines
    // reject when compiling the schema; they constrain a property we do not emit.
    repair_language_patterns(&mut schema);
    let validator = jsonschema::validator_for(&schema).unwrap();
    for args in [
        vec!["--config", CONFIG, CASE],
        vec!["fixtures/syntax-error/fail"],
        vec!["migrations/"],
    ] {
        let sarif: Value = serde_json::from_str(&render("sarif", &args)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert!(
            rules
                .iter()
                .all(|rule| rule["helpUri"].as_str().unwrap().ends_with(".md"))
        );
    }
    // Suggestions that replace the flagged statement are SARIF fixes, valid ones.
    let output = Command::cargo_bin("chronos-lint")
        .unwrap()
        .args([
            "--format",
            "sarif",
            "--no-cache",
            "fixtures/reindex-not-concurrent/fail",
        ])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let fixes: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|result| result.get("fixes"))
        .collect();
    assert!(!fixes.is_empty(), "no fixes in {sarif}");
    let replacement = &fixes[0][0]["artifactChanges"][0]["replacements"][0];
    assert!(
        replacement["insertedContent"]["text"]
            .as_str()
            .unwrap()
            .starts_with("REINDEX"),
        "{replacement}"
    );
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "fixes: {errors:#?}");

    // The validator does reject what is not SARIF 2.1.0.
    let mut broken: Value =
        serde_json::from_str(&render("sarif", &["--config", CONFIG, CASE])).unwrap();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&broken));
}

fn repair_language_patterns(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "pattern"
                    && child.as_str() == Some("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$")
                {
                    *child = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
                } else {
                    repair_language_patterns(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(repair_language_patterns),
        _ => {}
    }
}

#[test]
fn fingerprints_survive_edits_elsewhere_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("0001.sql");
    let sql = "CREATE TABLE users (id int);\nCREATE TABLE teams (id int);\n";
    let fingerprints = |text: &str| -> Vec<String> {
        fs::write(&file, text).unwrap();
        let out = render("gitlab", &[file.to_str().unwrap()]);
        let issues: Value = serde_json::from_str(&out).unwrap();
        issues
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = fingerprints(sql);
    let after = fingerprints(&format!("-- a comment added above\n\n{sql}"));
    assert_eq!(before.len(), 2);
    assert_eq!(before, after);
}

#[test]
fn github_format_is_chosen_under_github_actions() {
    let output = Command::cargo_bin("chronos-lint")
        .unwrap()
        .env("GITHUB_ACTIONS", "true")
        .arg("fixtures/unowned-table/fail")
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(
        out.starts_with(
            "::warning file=fixtures/unowned-table/fail/new_tables_without_owner.sql,line=1,col=14,"
        ),
        "{out}"
    );
}

#[test]
fn names_and_text_from_the_files_cannot_break_a_format_or_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // A file name with a line break, a pipe and a backtick; SQL with terminal escape sequences.
    let name = "0001_a\nb|c`d.sql";
    fs::write(
        dir.path().join(name),
        "CREATE TABLE \"t\u{1b}[2J\" (id int);\nDROP TABLE \"t\u{1b}[2J\";\nSELECT '\u{1b}]0;x\u{7}';\nDROP TABLE missing_\u{9b}1m;\n",
    )
    .unwrap();
    let lint = |format: &str| {
        let output = Command::cargo_bin("chronos-lint")
            .unwrap()
            .current_dir(dir.path())
            .env_remove("GITHUB_ACTIONS")
            .args(["--no-cache", "--format", format, "--fail-on", "never", "."])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let controls = |text: &str| {
        text.chars()
            .filter(|c| c.is_control() && *c != '\n')
            .count()
    };
    let human = lint("human");
    assert!(human.contains("DROP TABLE"), "{human}");
    assert_eq!(controls(&human), 0, "{human:?}");
    let compact = lint("compact");
    assert!(!compact.is_empty());
    for line in compact.lines() {
        assert!(line.starts_with("0001_a\\nb|c`d.sql:"), "{compact:?}");
    }
    assert_eq!(controls(&compact), 0, "{compact:?}");
    let markdown = lint("markdown");
    assert_eq!(controls(&markdown), 0, "{markdown:?}");
    assert!(markdown.contains("``0001_a\\nb\\|c`d.sql:"), "{markdown}");
    // Every table row still has its four cells.
    for row in markdown.lines().filter(|line| line.starts_with("| ")) {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 5, "{row}");
    }
}

/// Findings kept in a temporary file (as a large run keeps them) are reported byte for byte as
/// those kept in memory, in every format, over every fixture.
#[test]
fn findings_spilled_to_a_temporary_file_report_the_same() {
    let run = |format: &str, spill_at: &str| {
        let output = Command::cargo_bin("chronos-lint")
            .unwrap()
            .env_remove("GITHUB_ACTIONS")
            .env("CHRONOS_LINT_SPILL_AT", spill_at)
            .args(["--no-cache", "--format", format, "fixtures"])
            .output()
            .unwrap();
        assert!(output.status.code().unwrap() <= 2);
        (output.stdout, output.status.code())
    };
    for format in ["json", "sarif", "human", "gitlab", "compact"] {
        let in_memory = run(format, "1000000000");
        assert!(
            in_memory.0.len() > 100_000,
            "{format}: the fixtures have findings"
        );
        assert!(
            in_memory == run(format, "0"),
            "{format}: spilled findings differ"
        );
    }
}
