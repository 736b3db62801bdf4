//! `chronos-lint.toml`: owners and their table patterns, sources, rule severities, excludes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::diagnostic::Severity;
use crate::source::SourceKind;

pub const CONFIG_FILE_NAME: &str = "chronos-lint.toml";

/// The file as written. Unknown keys are errors that name the key.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    pg_version: Option<u32>,
    assume_in_transaction: Option<bool>,
    #[serde(default)]
    exclude: Vec<String>,
    owners: Option<BTreeMap<String, OwnerFile>>,
    #[serde(default)]
    sources: Vec<SourceFile>,
    #[serde(default)]
    rules: BTreeMap<String, RuleSetting>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnerFile {
    tables: Vec<String>,
    /// Sources of this kind belong to this owner unless a `[[sources]]` entry says otherwise.
    kind: Option<SourceKind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    path: PathBuf,
    kind: Option<SourceKind>,
    owner: Option<String>,
    in_transaction: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RuleSetting {
    Off,
    Info,
    Warning,
    Error,
}

/// A migration system and the tables it owns.
#[derive(Debug, Clone)]
pub struct Owner {
    pub name: String,
    pub patterns: Vec<String>,
    /// Patterns without a dot, matched against the bare table name.
    bare: GlobSet,
    /// Patterns with a dot, matched against `schema.table`.
    qualified: GlobSet,
    pub kind: Option<SourceKind>,
}

/// Settings for the sources under one path.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    pub path: PathBuf,
    pub kind: Option<SourceKind>,
    pub owner: Option<String>,
    pub in_transaction: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file this came from; `None` for the built-in defaults.
    pub path: Option<PathBuf>,
    pub pg_version: u32,
    /// Whether plain `.sql` files run inside a transaction.
    pub assume_in_transaction: bool,
    pub owners: Vec<Owner>,
    pub sources: Vec<SourceSettings>,
    pub exclude: Vec<String>,
    /// Severity overrides; `None` turns a rule off.
    pub rules: BTreeMap<String, Option<Severity>>,
}

/// The built-in ownership model of Project Chronos.
const DEFAULT_OWNERS: &[(&str, &[&str], Option<SourceKind>)] = &[
    (
        "drizzle",
        &["cms_*", "app_*", "analytics_*"],
        Some(SourceKind::Drizzle),
    ),
    (
        "alembic",
        &["raw_*", "staging_*"],
        Some(SourceKind::Alembic),
    ),
    ("directus", &["directus_*"], None),
];

impl Default for Config {
    fn default() -> Self {
        let owners = DEFAULT_OWNERS
            .iter()
            .map(|(name, patterns, kind)| {
                let patterns = patterns.iter().map(|p| (*p).to_owned()).collect();
                Owner::new((*name).to_owned(), patterns, *kind)
                    .expect("built-in patterns are valid")
            })
            .collect();
        Config {
            path: None,
            pg_version: 15,
            assume_in_transaction: false,
            owners,
            sources: Vec::new(),
            exclude: Vec::new(),
            rules: BTreeMap::new(),
        }
    }
}

impl Owner {
    fn new(name: String, patterns: Vec<String>, kind: Option<SourceKind>) -> Result<Self, String> {
        let (mut bare, mut qualified) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        for pattern in &patterns {
            let glob = Glob::new(pattern).map_err(|err| {
                format!("owners.{name}.tables: invalid pattern `{pattern}`: {err}")
            })?;
            if pattern.contains('.') {
                qualified.add(glob);
            } else {
                bare.add(glob);
            }
        }
        let bare = bare.build().map_err(|err| err.to_string())?;
        let qualified = qualified.build().map_err(|err| err.to_string())?;
        Ok(Owner {
            name,
            patterns,
            bare,
            qualified,
            kind,
        })
    }

    /// Whether this owner's patterns match a table. Patterns with a dot match `schema.table`.
    pub fn owns(&self, schema: Option<&str>, table: &str) -> bool {
        self.bare.is_match(table)
            || (!self.qualified.is_empty()
                && self
                    .qualified
                    .is_match(format!("{}.{table}", schema.unwrap_or("public"))))
    }
}

impl Config {
    /// Reads `path`, or the first `chronos-lint.toml` found walking up from `start` when no path
    /// is given, or the defaults when there is none.
    pub fn load(path: Option<&Path>, start: &Path) -> Result<Config, String> {
        let found = match path {
            Some(path) => Some(path.to_path_buf()),
            None => start
                .ancestors()
                .map(|dir| dir.join(CONFIG_FILE_NAME))
                .find(|p| p.is_file()),
        };
        let Some(path) = found else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|err| format!("{}: cannot read config: {err}", path.display()))?;
        Config::parse(&text, &path).map_err(|err| format!("{}: {err}", path.display()))
    }

    /// Parses config text; relative source paths are taken from the config file's directory.
    pub fn parse(text: &str, path: &Path) -> Result<Config, String> {
        let file: ConfigFile = toml::from_str(text).map_err(|err| err.to_string())?;
        let defaults = Config::default();
        let base = path.parent().unwrap_or(Path::new("."));

        let owners = match file.owners {
            None => defaults.owners,
            Some(owners) => owners
                .into_iter()
                .map(|(name, owner)| Owner::new(name, owner.tables, owner.kind))
                .collect::<Result<_, _>>()?,
        };
        let sources = file
            .sources
            .into_iter()
            .map(|source| {
                if let Some(owner) = &source.owner
                    && !owners.iter().any(|o: &Owner| &o.name == owner)
                {
                    return Err(format!(
                        "sources: unknown owner `{owner}` for path `{}`",
                        source.path.display()
                    ));
                }
                Ok(SourceSettings {
                    path: absolute(&base.join(&source.path)),
                    kind: source.kind,
                    owner: source.owner,
                    in_transaction: source.in_transaction,
                })
            })
            .collect::<Result<_, String>>()?;
        for pattern in &file.exclude {
            Glob::new(pattern)
                .map_err(|err| format!("exclude: invalid pattern `{pattern}`: {err}"))?;
        }
        let mut rules = BTreeMap::new();
        for (id, setting) in file.rules {
            if crate::rules::find(&id).is_none() {
                return Err(format!(
                    "rules: unknown rule id `{id}` (see `chronos-lint rules`)"
                ));
            }
            let severity = match setting {
                RuleSetting::Off => None,
                RuleSetting::Info => Some(Severity::Info),
                RuleSetting::Warning => Some(Severity::Warning),
                RuleSetting::Error => Some(Severity::Error),
            };
            rules.insert(id, severity);
        }
        Ok(Config {
            path: Some(path.to_path_buf()),
            pg_version: file.pg_version.unwrap_or(defaults.pg_version),
            assume_in_transaction: file
                .assume_in_transaction
                .unwrap_or(defaults.assume_in_transaction),
            owners,
            sources,
            exclude: file.exclude,
            rules,
        })
    }

    /// The owner whose patterns match a table.
    pub fn table_owner(&self, schema: Option<&str>, table: &str) -> Option<&Owner> {
        self.owners.iter().find(|owner| owner.owns(schema, table))
    }

    /// The most specific `[[sources]]` entry covering `path`.
    pub fn source_settings(&self, path: &Path) -> Option<&SourceSettings> {
        if self.sources.is_empty() {
            return None;
        }
        let absolute;
        let path = if path.is_absolute() {
            path
        } else {
            absolute = self::absolute(path);
            &absolute
        };
        self.sources
            .iter()
            .filter(|source| path.starts_with(&source.path))
            .max_by_key(|source| source.path.components().count())
    }

    /// The owner of a source: from `[[sources]]`, else the owner declared for its kind.
    pub fn source_owner(&self, path: &Path, kind: SourceKind) -> Option<String> {
        if let Some(owner) = self.source_settings(path).and_then(|s| s.owner.clone()) {
            return Some(owner);
        }
        self.owners
            .iter()
            .find(|owner| owner.kind == Some(kind))
            .map(|owner| owner.name.clone())
    }

    /// Excludes from the config plus the command line, as one matcher.
    pub fn exclude_matcher(&self, extra: &[String]) -> Result<GlobSet, String> {
        let mut builder = GlobSetBuilder::new();
        for pattern in self.exclude.iter().chain(extra) {
            let glob = Glob::new(pattern)
                .map_err(|err| format!("invalid exclude pattern `{pattern}`: {err}"))?;
            builder.add(glob);
        }
        builder.build().map_err(|err| err.to_string())
    }
}

/// `path` made absolute against the working directory (without touching the file system).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_project_chronos() {
        let config = Config::default();
        assert_eq!(
            config.table_owner(None, "cms_blog_posts").unwrap().name,
            "drizzle"
        );
        assert_eq!(
            config
                .table_owner(Some("public"), "raw_events")
                .unwrap()
                .name,
            "alembic"
        );
        assert_eq!(
            config.table_owner(None, "directus_users").unwrap().name,
            "directus"
        );
        assert!(config.table_owner(None, "users").is_none());
    }

    #[test]
    fn dotted_patterns_match_the_schema_and_others_the_bare_name() {
        let text = "[owners.a]\ntables = [\"[!U]*\"]\n[owners.b]\ntables = [\"auth.*\"]\n";
        let config = Config::parse(text, Path::new("c.toml")).unwrap();
        assert!(config.table_owner(Some("public"), "User").is_none());
        assert_eq!(config.table_owner(Some("auth"), "User").unwrap().name, "b");
        assert_eq!(config.table_owner(None, "Session").unwrap().name, "a");
    }

    #[test]
    fn unknown_keys_and_rule_ids_are_named() {
        let err = Config::parse("pg_verison = 16", Path::new("c.toml")).unwrap_err();
        assert!(err.contains("pg_verison"), "{err}");
        let err =
            Config::parse("[rules]\nno-such-rule = \"off\"", Path::new("c.toml")).unwrap_err();
        assert!(err.contains("no-such-rule"), "{err}");
    }

    #[test]
    fn owners_and_sources_come_from_the_file() {
        let text = r#"
            pg_version = 16
            [owners.app]
            tables = ["*"]
            kind = "drizzle"
            [[sources]]
            path = "db/plain"
            owner = "app"
            [rules]
            ownership-violation = "warning"
        "#;
        let config = Config::parse(text, Path::new("/repo/chronos-lint.toml")).unwrap();
        assert_eq!(config.pg_version, 16);
        assert_eq!(config.table_owner(None, "users").unwrap().name, "app");
        let owner = config.source_owner(Path::new("/repo/db/plain/0001.sql"), SourceKind::Plain);
        assert_eq!(owner.as_deref(), Some("app"));
        assert_eq!(config.rules["ownership-violation"], Some(Severity::Warning));
    }
}
