//! `chronos-lint.toml`: owners and their table patterns, sources, rule severities, excludes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::diagnostic::Severity;
use crate::regular_file::{self, Links};
use crate::source::{Layout, SourceKind};

pub const CONFIG_FILE_NAME: &str = "chronos-lint.toml";

/// The file as written. Unknown keys are errors that name the key.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// A preset of [`PRESETS`] whose settings apply where this file sets none.
    preset: Option<String>,
    pg_version: Option<u32>,
    assume_in_transaction: Option<bool>,
    #[serde(default)]
    exclude: Vec<String>,
    owners: Option<BTreeMap<String, OwnerFile>>,
    #[serde(default)]
    sources: Vec<SourceFile>,
    #[serde(default)]
    rules: BTreeMap<String, RuleSetting>,
    directus: Option<DirectusFile>,
    extensions: Option<ExtensionsFile>,
    alembic: Option<AlembicFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlembicFile {
    command: Option<CommandFile>,
    timeout: Option<u64>,
}

/// A command as one line split at spaces (`"uv run alembic"`), or as its words.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CommandFile {
    Line(String),
    Words(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnerFile {
    tables: Vec<String>,
    /// Sources of this kind belong to this owner unless a `[[sources]]` entry says otherwise.
    kind: Option<SourceKind>,
    #[serde(default)]
    expected_indexes: Vec<ExpectedIndexFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedIndexFile {
    /// Table patterns; all of the owner's tables when absent.
    tables: Option<Vec<String>>,
    columns: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectusFile {
    tables: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtensionsFile {
    allowed: Option<Vec<String>>,
    owners: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    path: PathBuf,
    kind: Option<Layout>,
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

/// Table name patterns (globs): patterns with a dot match `schema.table`, others the bare name.
#[derive(Clone)]
pub struct TablePatterns {
    pub patterns: Vec<String>,
    /// Patterns without a dot, matched against the bare table name.
    bare: GlobSet,
    /// Patterns with a dot, matched against `schema.table`.
    qualified: GlobSet,
}

// The patterns only: the compiled matchers follow from them. The cache hashes the
// configuration's `Debug` text, which must not change from run to run.
impl std::fmt::Debug for TablePatterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TablePatterns")
            .field(&self.patterns)
            .finish()
    }
}

impl std::fmt::Debug for ExpectedIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpectedIndex")
            .field("tables", &self.tables)
            .field("columns", &self.columns)
            .finish()
    }
}

impl TablePatterns {
    /// `key` names the setting in error messages (`owners.drizzle.tables`).
    pub fn new(patterns: Vec<String>, key: &str) -> Result<Self, String> {
        let (mut bare, mut qualified) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        for pattern in &patterns {
            let glob = glob(pattern, key)?;
            if pattern.contains('.') {
                qualified.add(glob);
            } else {
                bare.add(glob);
            }
        }
        let bare = bare.build().map_err(|err| format!("{key}: {err}"))?;
        let qualified = qualified.build().map_err(|err| format!("{key}: {err}"))?;
        Ok(TablePatterns {
            patterns,
            bare,
            qualified,
        })
    }

    pub fn matches(&self, schema: Option<&str>, table: &str) -> bool {
        self.bare.is_match(table)
            || (!self.qualified.is_empty()
                && self
                    .qualified
                    .is_match(format!("{}.{table}", schema.unwrap_or("public"))))
    }
}

/// Columns of an owner's tables that must be covered by an index (`expected-index`).
#[derive(Clone)]
pub struct ExpectedIndex {
    /// The tables this applies to; all of the owner's tables when `None`.
    pub tables: Option<TablePatterns>,
    /// Column name patterns (globs).
    pub columns: Vec<String>,
    column_set: GlobSet,
}

impl ExpectedIndex {
    pub fn new(
        tables: Option<Vec<String>>,
        columns: Vec<String>,
        key: &str,
    ) -> Result<Self, String> {
        let tables = tables
            .map(|tables| TablePatterns::new(tables, &format!("{key}.tables")))
            .transpose()?;
        let mut builder = GlobSetBuilder::new();
        for pattern in &columns {
            builder.add(glob(pattern, &format!("{key}.columns"))?);
        }
        let column_set = builder
            .build()
            .map_err(|err| format!("{key}.columns: {err}"))?;
        Ok(ExpectedIndex {
            tables,
            columns,
            column_set,
        })
    }

    /// Whether `column` of the table must be indexed under this entry.
    pub fn applies(&self, schema: Option<&str>, table: &str, column: &str) -> bool {
        self.tables
            .as_ref()
            .is_none_or(|tables| tables.matches(schema, table))
            && self.column_set.is_match(column)
    }
}

/// Which extensions migrations may create, and which owners' migrations may create them.
#[derive(Debug, Clone)]
pub struct ExtensionPolicy {
    /// Any extension may be created when `None`.
    pub allowed: Option<Vec<String>>,
    /// Owners whose migrations may run `CREATE EXTENSION`; any owner when `None`.
    pub owners: Option<Vec<String>>,
}

/// How Alembic projects are rendered to offline SQL (`[alembic]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlembicSettings {
    /// The command that runs Alembic, as words; `None`: `alembic` on `PATH`, else
    /// `python3 -m alembic`. A relative program path is taken from the configuration's directory.
    pub command: Option<Vec<String>>,
    /// How long one project's rendering may take.
    pub timeout: std::time::Duration,
}

impl Default for AlembicSettings {
    fn default() -> Self {
        AlembicSettings {
            command: None,
            timeout: std::time::Duration::from_secs(DEFAULT_ALEMBIC_TIMEOUT),
        }
    }
}

/// Seconds an Alembic project may take to render (`[alembic] timeout`): importing SQLAlchemy
/// and a project's `env.py` takes a second or two; this leaves room for a slow machine.
pub const DEFAULT_ALEMBIC_TIMEOUT: u64 = 120;

/// A migration system and the tables it owns.
#[derive(Debug, Clone)]
pub struct Owner {
    pub name: String,
    pub patterns: Vec<String>,
    tables: TablePatterns,
    pub kind: Option<SourceKind>,
    pub expected_indexes: Vec<ExpectedIndex>,
}

/// Settings for the sources under one path.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    pub path: PathBuf,
    /// The layout the files under the path have, whatever their names say.
    pub kind: Option<Layout>,
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
    /// Tables the Directus CMS manages (`[directus] tables`), whatever their owner.
    pub directus_tables: TablePatterns,
    pub extensions: ExtensionPolicy,
    pub alembic: AlembicSettings,
}

/// Presets `init --preset` writes: name and configuration text. The text is the definition,
/// so what `init` writes and what the preset means cannot drift apart.
pub const PRESETS: &[(&str, &str)] = &[("chronos", include_str!("../presets/chronos.toml"))];

/// With no configuration, nothing is assumed about the project: no owners' table patterns (a
/// table belongs to the migration system that creates it), no extension list, no Directus tables.
impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            pg_version: 15,
            assume_in_transaction: false,
            owners: Vec::new(),
            sources: Vec::new(),
            exclude: Vec::new(),
            rules: BTreeMap::new(),
            directus_tables: TablePatterns::new(Vec::new(), "").expect("no patterns are valid"),
            extensions: ExtensionPolicy {
                allowed: None,
                owners: None,
            },
            alembic: AlembicSettings::default(),
        }
    }
}

impl Owner {
    fn new(name: String, patterns: Vec<String>, kind: Option<SourceKind>) -> Result<Self, String> {
        let tables = TablePatterns::new(patterns.clone(), &format!("owners.{name}.tables"))?;
        Ok(Owner {
            name,
            patterns,
            tables,
            kind,
            expected_indexes: Vec::new(),
        })
    }

    /// Whether this owner's patterns match a table. Patterns with a dot match `schema.table`.
    pub fn owns(&self, schema: Option<&str>, table: &str) -> bool {
        self.tables.matches(schema, table)
    }
}

/// The largest configuration file read: a configuration takes a few kB, and the same cap as a
/// migration's leaves room for any generated one.
const MAX_CONFIG_SIZE: u64 = 16 << 20;

/// The text of a configuration file. Only a regular file is read (a link to one is followed):
/// a named pipe would block the run and a device could be read forever.
fn read_config_file(path: &Path) -> Result<String, String> {
    let bytes =
        regular_file::read(path, Links::Follow, MAX_CONFIG_SIZE).map_err(|err| err.to_string())?;
    String::from_utf8(bytes).map_err(|err| {
        format!(
            "not valid UTF-8 (invalid byte at offset {})",
            err.utf8_error().valid_up_to()
        )
    })
}

impl Config {
    /// Reads `path`, or the first `chronos-lint.toml` found walking up from `start` when no path
    /// is given, or the defaults when there is none. `is_rule` tells the rule ids that exist
    /// (the rules stage's registry: configuration does not know the rules).
    pub fn load(
        path: Option<&Path>,
        start: &Path,
        is_rule: fn(&str) -> bool,
    ) -> Result<Config, String> {
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
        let text = read_config_file(&path)
            .map_err(|err| format!("{}: cannot read config: {err}", path.display()))?;
        Config::parse(&text, &path, is_rule).map_err(|err| format!("{}: {err}", path.display()))
    }

    /// Parses config text; relative source paths are taken from the config file's directory.
    pub fn parse(text: &str, path: &Path, is_rule: fn(&str) -> bool) -> Result<Config, String> {
        let file: ConfigFile = toml::from_str(text).map_err(|err| err.to_string())?;
        let defaults = match &file.preset {
            None => Config::default(),
            Some(name) => Config::preset(name, is_rule).ok_or_else(|| {
                let known: Vec<&str> = PRESETS.iter().map(|(name, _)| *name).collect();
                format!(
                    "preset: unknown preset `{name}` (known: {})",
                    known.join(", ")
                )
            })?,
        };
        let base = path.parent().unwrap_or(Path::new("."));

        let owners = match file.owners {
            None => defaults.owners,
            Some(owners) => owners
                .into_iter()
                .map(|(name, file)| {
                    let key = format!("owners.{name}.expected_indexes");
                    let mut owner = Owner::new(name, file.tables, file.kind)?;
                    for expected in file.expected_indexes {
                        owner.expected_indexes.push(ExpectedIndex::new(
                            expected.tables,
                            expected.columns,
                            &key,
                        )?);
                    }
                    Ok(owner)
                })
                .collect::<Result<_, String>>()?,
        };
        let directus_tables = match file.directus {
            None => defaults.directus_tables,
            Some(directus) => TablePatterns::new(directus.tables, "directus.tables")?,
        };
        let extensions = match file.extensions {
            None => defaults.extensions,
            Some(extensions) => ExtensionPolicy {
                allowed: extensions.allowed.or(defaults.extensions.allowed),
                owners: extensions.owners.or(defaults.extensions.owners),
            },
        };
        for owner in extensions.owners.iter().flatten() {
            if !owners.iter().any(|o: &Owner| &o.name == owner) {
                return Err(format!("extensions.owners: unknown owner `{owner}`"));
            }
        }
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
            glob(pattern, "exclude")?;
        }
        let exclude = [defaults.exclude, file.exclude].concat();
        let alembic = match file.alembic {
            None => defaults.alembic,
            Some(alembic) => alembic_settings(alembic, base)?,
        };
        let mut rules = defaults.rules;
        for (id, setting) in file.rules {
            if !is_rule(&id) {
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
            exclude,
            rules,
            directus_tables,
            extensions,
            alembic,
        })
    }

    /// The configuration named `name` of [`PRESETS`].
    pub fn preset(name: &str, is_rule: fn(&str) -> bool) -> Option<Config> {
        let (_, text) = PRESETS.iter().find(|(preset, _)| *preset == name)?;
        let path = Path::new(name).with_extension("toml");
        Some(Config::parse(text, &path, is_rule).expect("presets are valid"))
    }

    /// Whether tables belong to owners by name (configured patterns), rather than to the
    /// migration system whose migrations create them.
    pub fn owners_by_pattern(&self) -> bool {
        !self.owners.is_empty()
    }

    /// The owner whose patterns match a table.
    pub fn table_owner(&self, schema: Option<&str>, table: &str) -> Option<&Owner> {
        self.owners.iter().find(|owner| owner.owns(schema, table))
    }

    /// The `expected_indexes` entry that makes `column` of a table one that must be indexed, with
    /// the table's owner.
    pub fn expected_index(
        &self,
        schema: Option<&str>,
        table: &str,
        column: &str,
    ) -> Option<(&Owner, &ExpectedIndex)> {
        let owner = self.table_owner(schema, table)?;
        let expected = owner
            .expected_indexes
            .iter()
            .find(|expected| expected.applies(schema, table, column))?;
        Some((owner, expected))
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
            builder.add(glob(pattern, "exclude")?);
        }
        builder.build().map_err(|err| format!("exclude: {err}"))
    }
}

/// `[alembic]` as written, with a relative program path taken from `base` (the configuration's
/// directory): Alembic runs in its project's directory, not in the working directory.
fn alembic_settings(file: AlembicFile, base: &Path) -> Result<AlembicSettings, String> {
    let command = match file.command {
        None => None,
        Some(command) => {
            let mut words = match command {
                CommandFile::Line(line) => line.split_whitespace().map(str::to_owned).collect(),
                CommandFile::Words(words) => words,
            };
            let Some(program) = words.first_mut() else {
                return Err("alembic.command: empty command".into());
            };
            if program.contains('/') && Path::new(program.as_str()).is_relative() {
                *program = absolute(&base.join(&*program))
                    .to_string_lossy()
                    .into_owned();
            }
            Some(words)
        }
    };
    let timeout = match file.timeout {
        Some(0) => return Err("alembic.timeout: must be at least 1 (seconds)".into()),
        Some(seconds) => seconds,
        None => DEFAULT_ALEMBIC_TIMEOUT,
    };
    Ok(AlembicSettings {
        command,
        timeout: std::time::Duration::from_secs(timeout),
    })
}

/// The longest glob accepted: paths and table names are far shorter, and compiling a pattern
/// costs memory in proportion to its length (megabytes of pattern, gigabytes of automaton).
const MAX_PATTERN_LEN: usize = 1024;

/// `pattern` compiled; `key` names the setting in error messages.
fn glob(pattern: &str, key: &str) -> Result<Glob, String> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(format!(
            "{key}: a pattern of {} bytes (`{}...`); patterns are at most {MAX_PATTERN_LEN}",
            pattern.len(),
            pattern.chars().take(40).collect::<String>()
        ));
    }
    Glob::new(pattern).map_err(|err| format!("{key}: invalid pattern `{pattern}`: {err}"))
}

/// `path` made absolute against the working directory (without touching the file system).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_configuration_assumes_nothing() {
        let config = Config::default();
        assert!(!config.owners_by_pattern());
        assert!(config.table_owner(None, "cms_blog_posts").is_none());
        assert!(config.extensions.allowed.is_none());
        assert!(!config.directus_tables.matches(None, "cms_posts"));
    }

    #[test]
    fn the_chronos_preset_is_project_chronos() {
        let config = Config::preset("chronos", crate::rules::is_rule).unwrap();
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
        let config = Config::parse(text, Path::new("c.toml"), crate::rules::is_rule).unwrap();
        assert!(config.table_owner(Some("public"), "User").is_none());
        assert_eq!(config.table_owner(Some("auth"), "User").unwrap().name, "b");
        assert_eq!(config.table_owner(None, "Session").unwrap().name, "a");
    }

    #[test]
    fn unknown_keys_and_rule_ids_are_named() {
        let err = Config::parse(
            "pg_verison = 16",
            Path::new("c.toml"),
            crate::rules::is_rule,
        )
        .unwrap_err();
        assert!(err.contains("pg_verison"), "{err}");
        let err = Config::parse(
            "[rules]\nno-such-rule = \"off\"",
            Path::new("c.toml"),
            crate::rules::is_rule,
        )
        .unwrap_err();
        assert!(err.contains("no-such-rule"), "{err}");
    }

    #[test]
    fn index_directus_and_extension_settings() {
        let defaults = Config::preset("chronos", crate::rules::is_rule).unwrap();
        let (owner, _) = defaults
            .expected_index(None, "cms_posts", "published_at")
            .unwrap();
        assert_eq!(owner.name, "drizzle");
        assert!(
            defaults
                .expected_index(None, "app_deals", "status")
                .is_none()
        );
        assert!(defaults.directus_tables.matches(None, "cms_posts"));
        assert!(
            defaults
                .extensions
                .allowed
                .as_ref()
                .is_some_and(|allowed| allowed.contains(&"vector".to_owned()))
        );
        assert!(defaults.extensions.owners.is_none());

        let text = r#"
            [owners.app]
            tables = ["*"]
            expected_indexes = [{ columns = ["*_id"] }, { tables = ["posts"], columns = ["slug"] }]
            [directus]
            tables = ["posts", "cms.*"]
            [extensions]
            allowed = ["postgis"]
            owners = ["app"]
        "#;
        let config = Config::parse(text, Path::new("c.toml"), crate::rules::is_rule).unwrap();
        assert!(config.expected_index(None, "users", "team_id").is_some());
        assert!(config.expected_index(None, "posts", "slug").is_some());
        assert!(config.expected_index(None, "users", "slug").is_none());
        assert!(config.directus_tables.matches(Some("cms"), "pages"));
        assert!(!config.directus_tables.matches(None, "cms_posts"));
        assert_eq!(
            config.extensions.allowed.as_deref(),
            Some(&["postgis".to_owned()][..])
        );
        assert_eq!(
            config.extensions.owners.as_deref(),
            Some(&["app".to_owned()][..])
        );

        for (text, key) in [
            (
                "[owners.a]\ntables = []\nexpected_indexes = [{ column = [] }]",
                "column",
            ),
            ("[directus]\ntable = []", "table"),
            ("[extensions]\nallow = []", "allow"),
            ("[extensions]\nowners = [\"nobody\"]", "nobody"),
        ] {
            let err = Config::parse(text, Path::new("c.toml"), crate::rules::is_rule).unwrap_err();
            assert!(err.contains(key), "{err}");
        }
    }

    #[test]
    fn alembic_command_and_timeout() {
        let parse =
            |text: &str| Config::parse(text, Path::new("/repo/c.toml"), crate::rules::is_rule);
        let config = parse("[alembic]\ncommand = \"uv run alembic\"\ntimeout = 30").unwrap();
        assert_eq!(
            config.alembic.command.as_deref(),
            Some(&["uv".to_owned(), "run".to_owned(), "alembic".to_owned()][..])
        );
        assert_eq!(config.alembic.timeout.as_secs(), 30);
        let config = parse("[alembic]\ncommand = [\".venv/bin/alembic\"]").unwrap();
        assert_eq!(
            config.alembic.command.unwrap()[0],
            "/repo/.venv/bin/alembic"
        );
        assert!(
            parse("[alembic]\ncommand = \"\"")
                .unwrap_err()
                .contains("alembic.command")
        );
        assert!(
            parse("[alembic]\ntimeout = 0")
                .unwrap_err()
                .contains("alembic.timeout")
        );
        assert!(parse("[alembic]\ncmd = \"x\"").unwrap_err().contains("cmd"));
        assert_eq!(Config::default().alembic, AlembicSettings::default());
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
        let config = Config::parse(
            text,
            Path::new("/repo/chronos-lint.toml"),
            crate::rules::is_rule,
        )
        .unwrap();
        assert_eq!(config.pg_version, 16);
        assert_eq!(config.table_owner(None, "users").unwrap().name, "app");
        let owner = config.source_owner(Path::new("/repo/db/plain/0001.sql"), SourceKind::Plain);
        assert_eq!(owner.as_deref(), Some("app"));
        assert_eq!(config.rules["ownership-violation"], Some(Severity::Warning));
    }
}
