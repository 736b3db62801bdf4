//! `chronos-lint.toml`: owners and their table patterns, sources, rule severities, excludes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Severity;
use crate::directus;
use crate::regular_file::{self, Links};
use crate::source::{Layout, SourceKind};

pub const CONFIG_FILE_NAME: &str = "chronos-lint.toml";

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read config: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: FileError,
    },
    /// A TOML error the parser gives no place for.
    #[error("{}: {}", .path.display(), .source.message())]
    Toml {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// A mistake at a place of the file: `path:line:column: message`, then the line with the
    /// place marked. The text is the whole message: the kinds of mistake are only told apart
    /// by a person reading it.
    #[error("{text}")]
    Located {
        line: usize,
        column: usize,
        text: String,
    },
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error("alembic.command: empty command")]
    EmptyAlembicCommand,
    #[error("alembic.timeout: must be at least 1 (seconds)")]
    ZeroAlembicTimeout,
    #[error("{} (`[directus] snapshot` of {}): {source}", .snapshot.display(), .path.display())]
    DirectusSnapshot {
        snapshot: PathBuf,
        path: PathBuf,
        #[source]
        source: directus::SnapshotError,
    },
}

/// Why a configuration file's text cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Read(#[from] regular_file::ReadError),
    #[error("not valid UTF-8 (invalid byte at offset {at})")]
    NotUtf8 { at: usize },
}

/// A glob of the configuration or the command line that cannot be compiled; `key` names the
/// setting (`owners.drizzle.tables`, `exclude`).
#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    #[error(
        "{key}: a pattern of {len} bytes (`{start}...`); patterns are at most {MAX_PATTERN_LEN}"
    )]
    TooLong {
        key: String,
        len: usize,
        /// The pattern's first characters, to recognise it by.
        start: String,
    },
    #[error("{key}: invalid pattern `{pattern}`: {source}")]
    Invalid {
        key: String,
        pattern: String,
        #[source]
        source: globset::Error,
    },
    /// The patterns, each valid, do not make one matcher.
    #[error("{key}: {source}")]
    Set {
        key: String,
        #[source]
        source: globset::Error,
    },
}

/// The `pg_version`s accepted: from 10, the first major version of one number, to 18, the
/// grammar the parser knows. What the rules tell apart lies in this range (10, 11, 12).
pub const PG_VERSIONS: std::ops::RangeInclusive<u32> = 10..=18;

/// The file as written. Unknown keys are errors that name the key.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// A preset of [`PRESETS`] whose settings apply where this file sets none.
    preset: Option<Spanned<String>>,
    pg_version: Option<Spanned<u32>>,
    assume_in_transaction: Option<bool>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    owners: Option<BTreeMap<Spanned<String>, OwnerFile>>,
    #[serde(default)]
    sources: Vec<SourceFile>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, RuleSetting>,
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
    tables: Vec<Spanned<String>>,
    /// Sources of this kind belong to this owner unless a `[[sources]]` entry says otherwise.
    kind: Option<SourceKind>,
    #[serde(default)]
    expected_indexes: Vec<ExpectedIndexFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedIndexFile {
    /// Table patterns; all of the owner's tables when absent.
    tables: Option<Vec<Spanned<String>>>,
    columns: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectusFile {
    tables: Option<Vec<Spanned<String>>>,
    /// A `directus schema snapshot` file, relative to the configuration file.
    snapshot: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtensionsFile {
    allowed: Option<Vec<String>>,
    owners: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    path: PathBuf,
    kind: Option<Layout>,
    owner: Option<Spanned<String>>,
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
    pub fn new(patterns: Vec<String>, key: &str) -> Result<Self, PatternError> {
        let (mut bare, mut qualified) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        for pattern in &patterns {
            let glob = glob(pattern, key)?;
            if pattern.contains('.') {
                qualified.add(glob);
            } else {
                bare.add(glob);
            }
        }
        let bare = bare.build().map_err(|source| set_error(key, source))?;
        let qualified = qualified.build().map_err(|source| set_error(key, source))?;
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
    ) -> Result<Self, PatternError> {
        let tables = tables
            .map(|tables| TablePatterns::new(tables, &format!("{key}.tables")))
            .transpose()?;
        let mut builder = GlobSetBuilder::new();
        for pattern in &columns {
            builder.add(glob(pattern, &format!("{key}.columns"))?);
        }
        let column_set = builder
            .build()
            .map_err(|source| set_error(&format!("{key}.columns"), source))?;
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
    /// `[directus] snapshot`: the path as written, and resolved against the configuration file.
    pub directus_snapshot: Option<(String, PathBuf)>,
    /// What Directus has configured: the snapshot's collections, fields and relations (read by
    /// [`Config::load`]), and the live database's (`--database-url`). Part of the configuration's
    /// `Debug`, so the cache tells runs with other Directus settings apart.
    pub directus: Option<Arc<directus::Model>>,
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
            directus_snapshot: None,
            directus: None,
            extensions: ExtensionPolicy {
                allowed: None,
                owners: None,
            },
            alembic: AlembicSettings::default(),
        }
    }
}

impl Owner {
    fn new(
        name: String,
        patterns: Vec<String>,
        kind: Option<SourceKind>,
    ) -> Result<Self, PatternError> {
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

/// The largest configuration file read: a configuration takes a few kB. This cap bounds what
/// its globs cost too: a megabyte of patterns compiles to about 300 MB of automaton.
const MAX_CONFIG_SIZE: u64 = 1 << 20;

/// The text of a configuration file. Only a regular file is read (a link to one is followed):
/// a named pipe would block the run and a device could be read forever.
fn read_config_file(path: &Path) -> Result<String, FileError> {
    let bytes = regular_file::read(path, Links::Follow, MAX_CONFIG_SIZE)?;
    String::from_utf8(bytes).map_err(|err| FileError::NotUtf8 {
        at: err.utf8_error().valid_up_to(),
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
    ) -> Result<Config, ConfigError> {
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
        let text = read_config_file(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let mut config = Config::parse(&text, &path, is_rule)?;
        if let Some((shown, snapshot)) = &config.directus_snapshot {
            let model = directus::load_snapshot(snapshot, shown).map_err(|source| {
                ConfigError::DirectusSnapshot {
                    snapshot: snapshot.clone(),
                    path: path.clone(),
                    source,
                }
            })?;
            config.directus = Some(Arc::new(model));
        }
        Ok(config)
    }

    /// Adds what Directus has configured on the live database to what the snapshot says.
    pub fn add_directus(&mut self, live: directus::Model) {
        match &mut self.directus {
            Some(model) => Arc::make_mut(model).merge(live),
            None => self.directus = Some(Arc::new(live)),
        }
    }

    /// Whether Directus manages `table`: a collection of its configuration, or a table
    /// `[directus] tables` names.
    pub fn directus_manages(&self, schema: Option<&str>, table: &str) -> bool {
        self.directus_tables.matches(schema, table)
            || self.directus.as_deref().is_some_and(|model| {
                model
                    .collection(&crate::catalog::QualifiedName::new(schema, table))
                    .is_some()
            })
    }

    /// Parses config text; relative source paths are taken from the config file's directory.
    /// An error names the file, line and column, with the line and the span marked.
    pub fn parse(
        text: &str,
        path: &Path,
        is_rule: fn(&str) -> bool,
    ) -> Result<Config, ConfigError> {
        let at = |span: std::ops::Range<usize>, message: &str| located(path, text, span, message);
        let file: ConfigFile = toml::from_str(text).map_err(|source| match source.span() {
            Some(span) => at(span, source.message()),
            None => ConfigError::Toml {
                path: path.to_path_buf(),
                source,
            },
        })?;
        let defaults = match &file.preset {
            None => Config::default(),
            Some(name) => Config::preset(name.get_ref(), is_rule).ok_or_else(|| {
                let known: Vec<&str> = PRESETS.iter().map(|(name, _)| *name).collect();
                at(
                    name.span(),
                    &format!(
                        "preset: unknown preset `{}` (known: {})",
                        name.get_ref(),
                        known.join(", ")
                    ),
                )
            })?,
        };
        let base = path.parent().unwrap_or(Path::new("."));
        // Patterns checked where they are written; then built, which cannot fail.
        let patterns = |patterns: Vec<Spanned<String>>, key: &str| {
            patterns
                .into_iter()
                .map(|pattern| {
                    glob(pattern.get_ref(), key)
                        .map_err(|err| at(pattern.span(), &err.to_string()))?;
                    Ok(pattern.into_inner())
                })
                .collect::<Result<Vec<String>, ConfigError>>()
        };

        let pg_version = match file.pg_version {
            None => defaults.pg_version,
            Some(version) if PG_VERSIONS.contains(version.get_ref()) => version.into_inner(),
            Some(version) => {
                return Err(at(
                    version.span(),
                    &format!(
                        "pg_version: PostgreSQL {} is not one the rules know: use {} to {}",
                        version.get_ref(),
                        PG_VERSIONS.start(),
                        PG_VERSIONS.end()
                    ),
                ));
            }
        };
        let owners = match file.owners {
            None => defaults.owners,
            Some(owners) => owners
                .into_iter()
                .map(|(name, file)| {
                    let name = name.into_inner();
                    let tables = patterns(file.tables, &format!("owners.{name}.tables"))?;
                    let key = format!("owners.{name}.expected_indexes");
                    let mut owner = Owner::new(name, tables, file.kind)?;
                    for expected in file.expected_indexes {
                        let tables = expected
                            .tables
                            .map(|tables| patterns(tables, &format!("{key}.tables")))
                            .transpose()?;
                        let columns = patterns(expected.columns, &format!("{key}.columns"))?;
                        owner
                            .expected_indexes
                            .push(ExpectedIndex::new(tables, columns, &key)?);
                    }
                    Ok(owner)
                })
                .collect::<Result<_, ConfigError>>()?,
        };
        let (directus_tables, directus_snapshot) = match file.directus {
            None => (defaults.directus_tables, defaults.directus_snapshot),
            Some(directus) => (
                match directus.tables {
                    None => defaults.directus_tables,
                    Some(tables) => {
                        TablePatterns::new(patterns(tables, "directus.tables")?, "directus.tables")?
                    }
                },
                match directus.snapshot {
                    None => defaults.directus_snapshot,
                    Some(snapshot) if snapshot.get_ref().trim().is_empty() => {
                        return Err(at(
                            snapshot.span(),
                            "directus.snapshot: an empty path (name the file `npx directus schema \
                             snapshot` writes)",
                        ));
                    }
                    Some(snapshot) => {
                        let shown = snapshot.into_inner();
                        let resolved = absolute(&base.join(&shown));
                        Some((shown, resolved))
                    }
                },
            ),
        };
        let unknown_owner = |owner: &Spanned<String>, key: &str| {
            let known: Vec<&str> = owners.iter().map(|o: &Owner| o.name.as_str()).collect();
            (!known.contains(&owner.get_ref().as_str())).then(|| {
                let owners = if known.is_empty() {
                    "no owners are declared: add `[owners.<name>]` with its `tables`, or \
                     `preset = \"chronos\"`"
                        .to_owned()
                } else {
                    let named: Vec<String> = known.iter().map(|name| format!("`{name}`")).collect();
                    format!("the owners are {}", named.join(", "))
                };
                at(
                    owner.span(),
                    &format!("{key}: unknown owner `{}` ({owners})", owner.get_ref()),
                )
            })
        };
        let extensions = match file.extensions {
            None => defaults.extensions,
            Some(extensions) => {
                for owner in extensions.owners.iter().flatten() {
                    if let Some(err) = unknown_owner(owner, "extensions.owners") {
                        return Err(err);
                    }
                }
                ExtensionPolicy {
                    allowed: extensions.allowed.or(defaults.extensions.allowed),
                    owners: extensions
                        .owners
                        .map(|owners| owners.into_iter().map(Spanned::into_inner).collect())
                        .or(defaults.extensions.owners),
                }
            }
        };
        let sources = file
            .sources
            .into_iter()
            .map(|source| {
                if let Some(owner) = &source.owner
                    && let Some(err) = unknown_owner(owner, "sources.owner")
                {
                    return Err(err);
                }
                Ok(SourceSettings {
                    path: absolute(&base.join(&source.path)),
                    kind: source.kind,
                    owner: source.owner.map(Spanned::into_inner),
                    in_transaction: source.in_transaction,
                })
            })
            .collect::<Result<_, ConfigError>>()?;
        let exclude = [defaults.exclude, patterns(file.exclude, "exclude")?].concat();
        let alembic = match file.alembic {
            None => defaults.alembic,
            Some(alembic) => alembic_settings(alembic, base)?,
        };
        let mut rules = defaults.rules;
        for (id, setting) in file.rules {
            if !is_rule(id.get_ref()) {
                return Err(at(
                    id.span(),
                    &format!(
                        "rules: unknown rule id `{}` (see `chronos-lint rules`)",
                        id.get_ref()
                    ),
                ));
            }
            let severity = match setting {
                RuleSetting::Off => None,
                RuleSetting::Info => Some(Severity::Info),
                RuleSetting::Warning => Some(Severity::Warning),
                RuleSetting::Error => Some(Severity::Error),
            };
            rules.insert(id.into_inner(), severity);
        }
        Ok(Config {
            path: Some(path.to_path_buf()),
            pg_version,
            assume_in_transaction: file
                .assume_in_transaction
                .unwrap_or(defaults.assume_in_transaction),
            owners,
            sources,
            exclude,
            rules,
            directus_tables,
            directus_snapshot,
            directus: None,
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
    pub fn exclude_matcher(&self, extra: &[String]) -> Result<GlobSet, PatternError> {
        let mut builder = GlobSetBuilder::new();
        for pattern in self.exclude.iter().chain(extra) {
            builder.add(glob(pattern, "exclude")?);
        }
        builder
            .build()
            .map_err(|source| set_error("exclude", source))
    }
}

/// `[alembic]` as written, with a relative program path taken from `base` (the configuration's
/// directory): Alembic runs in its project's directory, not in the working directory.
fn alembic_settings(file: AlembicFile, base: &Path) -> Result<AlembicSettings, ConfigError> {
    let command = match file.command {
        None => None,
        Some(command) => {
            let mut words = match command {
                CommandFile::Line(line) => line.split_whitespace().map(str::to_owned).collect(),
                CommandFile::Words(words) => words,
            };
            let Some(program) = words.first_mut() else {
                return Err(ConfigError::EmptyAlembicCommand);
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
        Some(0) => return Err(ConfigError::ZeroAlembicTimeout),
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
fn glob(pattern: &str, key: &str) -> Result<Glob, PatternError> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(PatternError::TooLong {
            key: key.to_owned(),
            len: pattern.len(),
            start: pattern.chars().take(40).collect(),
        });
    }
    Glob::new(pattern).map_err(|source| PatternError::Invalid {
        key: key.to_owned(),
        pattern: pattern.to_owned(),
        source,
    })
}

fn set_error(key: &str, source: globset::Error) -> PatternError {
    PatternError::Set {
        key: key.to_owned(),
        source,
    }
}

/// How much of a line an error shows: a generated configuration may have very long ones.
const SNIPPET_WIDTH: usize = 100;

/// `message` about `span` of the configuration `text`, as `path:line:column: message`, then the
/// line with the span underlined (as the TOML parser shows its own errors).
fn located(path: &Path, text: &str, span: std::ops::Range<usize>, message: &str) -> ConfigError {
    let start = span.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |nl| nl + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |nl| start + nl);
    let line_no = text[..start].matches('\n').count() + 1;
    let line = text[line_start..line_end].trim_end_matches('\r');
    let column = text[line_start..start].chars().count() + 1;
    // A long line is shown from a little before the span.
    let skip = if line.chars().count() > SNIPPET_WIDTH {
        column.saturating_sub(21)
    } else {
        0
    };
    let shown: String = line.chars().skip(skip).take(SNIPPET_WIDTH).collect();
    let marked = text[start..span.end.clamp(start, line_end)]
        .chars()
        .count()
        .max(1);
    let marker = " ".repeat(column - 1 - skip) + &"^".repeat(marked.min(SNIPPET_WIDTH));
    let gutter = " ".repeat(line_no.to_string().len());
    let (before, after) = (
        if skip > 0 { "..." } else { "" },
        if line.chars().count() > skip + SNIPPET_WIDTH {
            "..."
        } else {
            ""
        },
    );
    ConfigError::Located {
        line: line_no,
        column,
        text: format!(
            "{}:{line_no}:{column}: {message}\n{gutter} |\n{line_no} | {before}{shown}{after}\n{gutter} | {}{marker}",
            path.display(),
            " ".repeat(before.len())
        ),
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
        .unwrap_err()
        .to_string();
        assert!(err.contains("pg_verison"), "{err}");
        let err = Config::parse(
            "[rules]\nno-such-rule = \"off\"",
            Path::new("c.toml"),
            crate::rules::is_rule,
        )
        .unwrap_err()
        .to_string();
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
            let err = Config::parse(text, Path::new("c.toml"), crate::rules::is_rule)
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{err}");
        }
    }

    #[test]
    fn directus_manages_the_snapshot_s_collections_and_the_configured_patterns() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("directus")).unwrap();
        std::fs::write(
            dir.path().join("directus/snapshot.yaml"),
            "version: 1\ndirectus: 11.5.1\nvendor: postgres\ncollections:\n\
             - collection: pages\n  meta: null\n  schema:\n    name: pages\n\
             - collection: site\n  meta: null\n  schema: null\nfields: []\nrelations: []\n",
        )
        .unwrap();
        let path = dir.path().join(CONFIG_FILE_NAME);
        std::fs::write(
            &path,
            "preset = \"chronos\"\n[directus]\nsnapshot = \"directus/snapshot.yaml\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&path), dir.path(), crate::rules::is_rule).unwrap();
        // The preset's patterns stay, the snapshot's collections join them; a folder is no table.
        assert!(config.directus_manages(None, "cms_new_table"));
        assert!(config.directus_manages(Some("public"), "pages"));
        assert!(!config.directus_manages(Some("raw"), "pages"));
        assert!(!config.directus_manages(None, "site"));
        assert!(!config.directus_manages(None, "app_deals"));

        std::fs::write(
            dir.path().join("directus/snapshot.yaml"),
            "collections: [\n",
        )
        .unwrap();
        let err = Config::load(Some(&path), dir.path(), crate::rules::is_rule)
            .unwrap_err()
            .to_string();
        assert!(err.contains("): not a Directus schema snapshot"), "{err}");
        assert!(err.contains("--> directus/snapshot.yaml:1:"), "{err}");
        std::fs::remove_file(dir.path().join("directus/snapshot.yaml")).unwrap();
        let err = Config::load(Some(&path), dir.path(), crate::rules::is_rule)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("): cannot read the Directus schema snapshot"),
            "{err}"
        );
        let err = Config::parse(
            "[directus]\nsnapshot = \"\"\n",
            Path::new("c.toml"),
            crate::rules::is_rule,
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("c.toml:2:12: directus.snapshot"), "{err}");
    }

    #[test]
    fn every_error_points_at_its_line_and_column_with_a_snippet() {
        for (text, at, message, marked) in [
            (
                "pg_version = 15\n[rules]\ndrop-tabel = \"off\"\n",
                "3:1",
                "unknown rule id `drop-tabel`",
                "^^^^^^^^^^",
            ),
            (
                "pg_verison = 16\n",
                "1:1",
                "unknown field `pg_verison`",
                "^^^^^^^^^^",
            ),
            (
                "[rules]\ndrop-table = \"fatal\"\n",
                "2:14",
                "unknown variant `fatal`",
                "^^^^^^^",
            ),
            (
                "[owners.a]\ntables = [\"x\", \"[a\"]\n",
                "2:16",
                "owners.a.tables: invalid pattern `[a`",
                "^^^^",
            ),
            (
                "exclude = [\"{a\"]\n",
                "1:12",
                "exclude: invalid pattern",
                "^^^^",
            ),
            (
                "[directus]\ntables = [\"[\"]\n",
                "2:11",
                "directus.tables",
                "^^^",
            ),
            (
                "[owners.a]\ntables = []\nexpected_indexes = [{ columns = [\"[\"] }]\n",
                "3:34",
                "owners.a.expected_indexes.columns",
                "^^^",
            ),
            (
                "[extensions]\nowners = [\"nobody\"]\n",
                "2:11",
                "unknown owner `nobody` (no owners are declared",
                "^^^^^^^^",
            ),
            (
                "[[sources]]\npath = \"x\"\nowner = \"zz\"\n",
                "3:9",
                "sources.owner: unknown owner `zz`",
                "^^^^",
            ),
            (
                "pg_version = 9\n",
                "1:14",
                "PostgreSQL 9 is not one the rules know: use 10 to 18",
                "^",
            ),
            ("pg_version = 99\n", "1:14", "use 10 to 18", "^^"),
            ("owners = [\n", "1:11", "", "^"),
            (
                "assume_in_transaction = \"yes\"\n",
                "1:25",
                "expected a boolean",
                "^^^^^",
            ),
        ] {
            let err = Config::parse(text, Path::new("c.toml"), crate::rules::is_rule)
                .unwrap_err()
                .to_string();
            let line: usize = at.split(':').next().unwrap().parse().unwrap();
            assert!(err.starts_with(&format!("c.toml:{at}: ")), "{err}");
            assert!(err.contains(message), "{err}");
            let shown = text.lines().nth(line - 1).unwrap();
            assert!(err.contains(&format!("{line} | {shown}\n")), "{err}");
            let column: usize = at.split(':').nth(1).unwrap().parse().unwrap();
            let underline = format!("  | {}{marked}", " ".repeat(column - 1));
            assert!(err.ends_with(&underline), "{err}\n{underline}");
        }
        for version in [10, 15, 18] {
            let text = format!("pg_version = {version}");
            let config = Config::parse(&text, Path::new("c.toml"), crate::rules::is_rule).unwrap();
            assert_eq!(config.pg_version, version);
        }
    }

    #[test]
    fn a_long_line_is_shown_around_the_error() {
        let text = format!("exclude = [\"{}\", \"[\"]\n", "a".repeat(1000));
        let err = Config::parse(&text, Path::new("c.toml"), crate::rules::is_rule)
            .unwrap_err()
            .to_string();
        assert!(err.len() < 400, "{err}");
        assert!(
            err.starts_with("c.toml:1:1016: exclude: invalid pattern `[`"),
            "{err}"
        );
        assert!(err.ends_with("^^^"), "{err}");
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
                .to_string()
                .contains("alembic.command")
        );
        assert!(
            parse("[alembic]\ntimeout = 0")
                .unwrap_err()
                .to_string()
                .contains("alembic.timeout")
        );
        assert!(
            parse("[alembic]\ncmd = \"x\"")
                .unwrap_err()
                .to_string()
                .contains("cmd")
        );
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
