//! `chronos-lint init`: a first `chronos-lint.toml` written from the migrations a project has.
//!
//! Each migration set found (drizzle folder, Alembic offline SQL, folder of plain files) becomes
//! an owner, named by its kind or folder, with the tables its migrations create as patterns: a
//! shared prefix (`cms_*`) when several of its tables have one that no other set's tables do,
//! else the names themselves; a project with one set owns everything (`*`). The file is only
//! written where none exists.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::catalog::{Catalog, DEFAULT_SCHEMA, Origin, QualifiedName};
use crate::config::{CONFIG_FILE_NAME, Config, PRESETS, PatternError};
use crate::parse::{self, ast};
use crate::source::{self, MigrationSet, Workspace};

/// One migration set as the configuration will name it.
struct System {
    owner: String,
    root: PathBuf,
    kind: &'static str,
    /// Tables its migrations leave, by name.
    tables: BTreeSet<QualifiedName>,
}

/// Why `init` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("--preset: unknown preset `{name}` (known: {})", known_presets())]
    UnknownPreset { name: String },
    #[error(
        "{}: exists already; init writes a new file only (remove it, or edit it)",
        .0.display()
    )]
    Exists(PathBuf),
    #[error(transparent)]
    Exclude(#[from] PatternError),
    #[error("{}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `chronos-lint.toml` in `dir` from the migrations under `paths`; returns what it wrote.
pub fn init(dir: &Path, paths: &[PathBuf], preset: Option<&str>) -> Result<String, InitError> {
    let preset = preset.map(preset_named).transpose()?;
    let target = dir.join(CONFIG_FILE_NAME);
    if target.symlink_metadata().is_ok() {
        return Err(InitError::Exists(target));
    }
    let config = Config::default();
    let exclude = config.exclude_matcher(&[])?;
    let mut workspace = source::discover(paths, &config, &exclude, None);
    // The configuration names paths relative to its own folder; an Alembic project's root is
    // found as an absolute path.
    let base = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    for set in &mut workspace.sets {
        if let Ok(relative) = set.root.strip_prefix(&base) {
            set.root = relative.to_path_buf();
        }
    }
    let text = match preset {
        Some((name, text)) => preset_text(name, text, &workspace),
        None => owners_text(&systems(&workspace)),
    };
    std::fs::write(&target, &text).map_err(|source| InitError::Write {
        path: target.clone(),
        source,
    })?;
    Ok(text)
}

/// The preset called `name`, with its text.
fn preset_named(name: &str) -> Result<(&str, &'static str), InitError> {
    let (_, text) = PRESETS
        .iter()
        .find(|(preset, _)| *preset == name)
        .ok_or_else(|| InitError::UnknownPreset {
            name: name.to_owned(),
        })?;
    Ok((name, text))
}

/// The names of the presets, for a message.
fn known_presets() -> String {
    let known: Vec<&str> = PRESETS.iter().map(|(name, _)| *name).collect();
    known.join(", ")
}

/// The preset's text, with the sets found listed for the owners to be given.
fn preset_text(name: &str, preset: &str, workspace: &Workspace) -> String {
    let mut text = format!("# Written by `chronos-lint init --preset {name}`.\n\n{preset}");
    let plain: Vec<&MigrationSet> = workspace
        .sets
        .iter()
        .filter(|set| set.kind().as_str() == "plain")
        .collect();
    if !plain.is_empty() {
        text.push_str(
            "\n# Folders of plain .sql files have no owner until one is given here: their \
             migrations\n# are not judged by ownership-violation.\n",
        );
        for set in plain {
            let _ = write!(
                text,
                "# [[sources]]\n# path = {}\n# owner = \"drizzle\"\n",
                toml_string(&display(&set.root))
            );
        }
    }
    text
}

/// The sets of `workspace` with the tables each leaves, named uniquely.
fn systems(workspace: &Workspace) -> Vec<System> {
    let mut systems: Vec<System> = workspace
        .sets
        .iter()
        .map(|set| System {
            owner: String::new(),
            root: set.root.clone(),
            kind: set.layout().name(),
            tables: created_tables(set, workspace),
        })
        .collect();
    // An owner is named by its kind when it is the only set of that kind, else by its folder.
    let mut names = BTreeSet::new();
    for index in 0..systems.len() {
        let kind = systems[index].kind;
        let alone = systems.iter().filter(|system| system.kind == kind).count() == 1;
        let base = if alone {
            kind.to_owned()
        } else {
            owner_name(&systems[index].root, kind)
        };
        let mut name = base.clone();
        let mut n = 2;
        while !names.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        systems[index].owner = name;
    }
    systems
}

/// The tables a set's migrations leave, replayed into a catalog.
fn created_tables(set: &MigrationSet, workspace: &Workspace) -> BTreeSet<QualifiedName> {
    let mut catalog = Catalog::default();
    for (index, migration) in set.migrations.iter().enumerate() {
        let parsed = parse::parse_migration(&workspace.files[migration.file].text, migration);
        for (statement_index, statement) in parsed.statements.iter().enumerate() {
            // A temporary table lives for one session: it is no owner's.
            if ast::creates_temporary_table(&statement.node) {
                continue;
            }
            let origin = Origin {
                migration: index,
                statement: statement_index,
            };
            catalog.apply(&statement.node, origin);
        }
    }
    catalog
        .tables
        .into_keys()
        .filter(|table| !crate::catalog::is_tracking_table(table))
        .collect()
}

/// An owner name from a folder: its last component, as a TOML bare key.
fn owner_name(root: &Path, kind: &str) -> String {
    let folder = root
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = folder
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_matches('_');
    if name.is_empty() || name == "migrations" {
        kind.to_owned()
    } else {
        name.to_owned()
    }
}

/// The owners and sources sections for `systems`.
fn owners_text(systems: &[System]) -> String {
    let mut text = String::from(
        "# Written by `chronos-lint init` from the migrations found here.\n\
         #\n\
         # Each migration system owns the tables its migrations create: another system creating,\n\
         # altering, indexing or writing them is an `ownership-violation`, and a new table that no\n\
         # owner's patterns match is an `unowned-table`. Patterns are globs (`cms_*`); a pattern\n\
         # with a dot matches `schema.table`.\n\
         #\n\
         # pg_version = 15                 # the PostgreSQL version the migrations target\n\
         # exclude = [\"**/seeds/**\"]\n",
    );
    if systems.is_empty() {
        text.push_str(
            "\n# No migrations were found. Declare owners as:\n\
             # [owners.app]\n# tables = [\"*\"]\n\n\
             # and give them their folders:\n\
             # [[sources]]\n# path = \"db/migrations\"\n# owner = \"app\"\n",
        );
        return text;
    }
    for system in systems {
        let patterns = patterns(system, systems);
        let _ = write!(
            text,
            "\n# {} migrations in `{}`: {} table{}.\n[owners.{}]\ntables = [{}]\n",
            system.kind,
            display(&system.root),
            system.tables.len(),
            if system.tables.len() == 1 { "" } else { "s" },
            system.owner,
            patterns
                .iter()
                .map(|pattern| toml_string(pattern))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for system in systems {
        let _ = write!(
            text,
            "\n[[sources]]\npath = {}\nowner = \"{}\"\n",
            toml_string(&display(&system.root)),
            system.owner
        );
    }
    text
}

/// Table patterns for `system`: everything when it is the only one; else a prefix shared by
/// two or more of its tables and none of the others', and the remaining names as they are.
fn patterns(system: &System, systems: &[System]) -> Vec<String> {
    if systems.len() == 1 {
        return vec!["*".to_owned()];
    }
    let others: Vec<&QualifiedName> = systems
        .iter()
        .filter(|other| other.owner != system.owner)
        .flat_map(|other| &other.tables)
        .collect();
    let mut by_prefix: BTreeMap<String, Vec<&QualifiedName>> = BTreeMap::new();
    let mut exact = Vec::new();
    for table in &system.tables {
        match prefix(table) {
            Some(prefix) => by_prefix.entry(prefix).or_default().push(table),
            None => exact.push(table),
        }
    }
    let mut patterns = Vec::new();
    for (prefix, tables) in by_prefix {
        let claimed = others.iter().any(|other| prefix_matches(&prefix, other));
        if tables.len() >= 2 && !claimed {
            patterns.push(format!("{prefix}*"));
        } else {
            exact.extend(tables);
        }
    }
    exact.sort();
    patterns.extend(exact.into_iter().map(table_pattern));
    patterns
}

/// `cms_` of `cms_posts` (with the schema when it is not the default one).
fn prefix(table: &QualifiedName) -> Option<String> {
    let end = table.name.find('_').filter(|&end| end >= 2)?;
    let name = &table.name[..=end];
    Some(if table.schema == DEFAULT_SCHEMA {
        name.to_owned()
    } else {
        format!("{}.{name}", table.schema)
    })
}

fn prefix_matches(prefix: &str, table: &QualifiedName) -> bool {
    table_pattern(table).starts_with(prefix)
}

/// A table's name as a pattern: the bare name in the default schema, else `schema.name`. Glob
/// characters in a name are escaped.
fn table_pattern(table: &QualifiedName) -> String {
    if table.schema == DEFAULT_SCHEMA {
        globset::escape(&table.name)
    } else {
        format!(
            "{}.{}",
            globset::escape(&table.schema),
            globset::escape(&table.name)
        )
    }
}

/// A path as the configuration writes it: relative, with `/`.
fn display(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let text = text.trim_start_matches("./");
    if text.is_empty() {
        ".".to_owned()
    } else {
        text.to_owned()
    }
}

/// `text` as a TOML string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}
