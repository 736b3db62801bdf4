//! The rule doc pages (`chronos-lint explain`) offer only settings that exist: every
//! `chronos-lint.toml` snippet they show is accepted by the configuration, and every setting their
//! text names is a key of the configuration's schema.

use std::fs;
use std::path::Path;

use chronos_lint::config::Config;
use chronos_lint::rules;

fn parse(toml: &str) -> Result<Config, String> {
    Config::parse(toml, Path::new("/repo/chronos-lint.toml"), rules::is_rule)
        .map_err(|err| err.to_string())
}

/// Whether the schema has `key` in `table` (top level when `None`): the configuration does not
/// call it an unknown field. The value is of no type any key takes, so nothing else is judged.
fn has_key(table: Option<&str>, key: &str) -> bool {
    let header = match table {
        None => String::new(),
        Some("sources") => "[[sources]]\n".to_owned(),
        Some("owners") => "[owners.someone]\n".to_owned(),
        Some("rules") => return rules::is_rule(key),
        Some(table) => format!("[{table}]\n"),
    };
    match parse(&format!("{header}{key} = 1970-01-01\n")) {
        Ok(_) => true,
        Err(err) => !err.contains("unknown field"),
    }
}

const TABLES: &[&str] = &["sources", "owners", "rules", "directus", "extensions"];

/// Whether `key` is a key anywhere in the schema.
fn anywhere(key: &str) -> bool {
    has_key(None, key)
        || TABLES
            .iter()
            .filter(|table| **table != "rules")
            .any(|table| has_key(Some(table), key))
}

/// `[table]`, `[[table]]`, `[owners.name]`, optionally followed by a key.
fn table_mention(code: &str) -> Option<(&str, Option<&str>)> {
    let (head, key) = match code.split_once(' ') {
        Some((head, key)) => (head, Some(key)),
        None => (code, None),
    };
    let name = head
        .strip_prefix("[[")
        .and_then(|h| h.strip_suffix("]]"))
        .or_else(|| head.strip_prefix('[').and_then(|h| h.strip_suffix(']')))?;
    let table = name.split('.').next().unwrap();
    table
        .chars()
        .all(|c| c.is_ascii_lowercase() || c == '_')
        .then_some((table, key))
}

fn snake_case(word: &str) -> bool {
    word.contains('_')
        && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        && !word.starts_with('_')
}

/// Problems of one page: `(what, why)`.
fn check_page(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut prose = String::new();
    let mut block: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(fence) = line.trim_start().strip_prefix("```") {
            match block.take() {
                Some((lang, body)) => {
                    if lang == "toml"
                        && let Err(err) = parse(&body)
                    {
                        problems.push(format!("toml snippet not accepted:\n{body}\n{err}"));
                    }
                }
                None => block = Some((fence.trim().to_owned(), String::new())),
            }
            continue;
        }
        match &mut block {
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {
                prose.push_str(line);
                prose.push('\n');
            }
        }
    }
    for paragraph in prose.split("\n\n") {
        let about_config = ["config", "chronos-lint.toml", "setting"]
            .iter()
            .any(|word| paragraph.contains(word));
        for code in paragraph.split('`').skip(1).step_by(2) {
            let code = code.replace('\n', " ");
            if let Some((table, key)) = table_mention(&code) {
                if !TABLES.contains(&table) && !has_key(None, table) {
                    problems.push(format!("`{code}`: no table `{table}` in the configuration"));
                } else if let Some(key) = key
                    && !has_key(Some(table), key)
                {
                    problems.push(format!("`{code}`: no key `{key}` in `[{table}]`"));
                }
            } else if let Some((key, _)) = code.split_once(" = ") {
                if about_config && snake_case(key) && !SQL.contains(&key) && !anywhere(key) {
                    problems.push(format!("`{code}`: no setting `{key}`"));
                }
            } else if about_config
                && snake_case(&code)
                && !anywhere(&code)
                && !SQL.contains(&code.as_str())
            {
                problems.push(format!("`{code}`: no setting of that name"));
            }
        }
    }
    problems
}

/// Names in paragraphs about configuration that are the database's (PostgreSQL's, and the
/// tables Directus keeps its own configuration in), not settings.
const SQL: &[&str] = &[
    "lock_timeout",
    "statement_timeout",
    "set_config",
    "pg_locks",
    "pg_class",
    "directus_collections",
    "directus_fields",
    "directus_relations",
];

#[test]
fn doc_pages_offer_only_settings_that_exist() {
    let mut problems = Vec::new();
    let mut pages = 0;
    for entry in fs::read_dir("rules").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "md") {
            pages += 1;
            for problem in check_page(&fs::read_to_string(&path).unwrap()) {
                problems.push(format!("{}: {problem}", path.display()));
            }
        }
    }
    assert_eq!(pages, rules::REGISTRY.len());
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn the_check_rejects_settings_that_do_not_exist() {
    assert!(has_key(None, "pg_version"));
    assert!(has_key(Some("sources"), "in_transaction"));
    assert!(has_key(Some("owners"), "expected_indexes"));
    assert!(!has_key(None, "in_transaction"));
    assert!(!has_key(Some("sources"), "rules"));
    let bad = [
        "```toml\n[sources.\"drizzle/\"]\nrules = { journal-mismatch = \"off\" }\n```\n",
        "```toml\n[rules]\njournal-mismatch = \"quiet\"\n```\n",
        "Set `[[sources]] rules` for the folder.\n",
        "Set `journal_strict = false` in chronos-lint.toml.\n",
        "Turn on the config `journal_strict`.\n",
        "Use `[journal] strict`.\n",
    ];
    for page in bad {
        assert!(!check_page(page).is_empty(), "{page}");
    }
    let good = "With `pg_version` below 12 and `assume_in_transaction = true`, or \
                `[[sources]] in_transaction`, see `[owners.drizzle]` in the config; \
                `lock_timeout` is PostgreSQL's.\n";
    assert!(check_page(good).is_empty(), "{:?}", check_page(good));
}

#[test]
fn readme_configuration_examples_are_accepted() {
    let readme = fs::read_to_string("README.md").unwrap();
    let mut blocks = 0;
    for block in readme.split("```toml\n").skip(1) {
        let body = block.split("```").next().unwrap();
        blocks += 1;
        if let Err(err) = parse(body) {
            panic!("README.md: toml example not accepted:\n{body}\n{err}");
        }
    }
    assert!(blocks > 0);
}

/// The README's rule table and each doc page's header agree with the rules' declarations: every
/// registered rule has one row, linking its page, with its default severity, and its page names
/// that severity and its family.
#[test]
fn readme_rows_and_page_headers_follow_the_declarations() {
    let readme = fs::read_to_string("README.md").unwrap();
    let rows: Vec<&str> = readme
        .lines()
        .filter(|line| line.starts_with("| ["))
        .collect();
    assert_eq!(rows.len(), rules::REGISTRY.len(), "one README row per rule");
    for rule in rules::REGISTRY {
        let meta = rule.meta();
        let link = format!("| [{id}](rules/{id}.md) | ", id = meta.id);
        let row = rows
            .iter()
            .find(|row| row.starts_with(&link))
            .unwrap_or_else(|| panic!("README.md has no row for {}", meta.id));
        let severity = meta.severity.as_str();
        assert!(
            row[link.len()..].starts_with(&format!("{severity} |")),
            "README.md row of {}: severity is {severity}: {row}",
            meta.id
        );
        let family = format!("{:?}", meta.family).to_lowercase();
        let header = meta
            .doc
            .lines()
            .find(|line| line.starts_with("**Default severity:**"))
            .unwrap_or_else(|| panic!("rules/{}.md has no header line", meta.id));
        assert!(
            header.starts_with(&format!("**Default severity:** {severity}"))
                && header.contains(&format!("**Family:** {family}")),
            "rules/{}.md: header should say {severity} and {family}: {header}",
            meta.id
        );
    }
}
