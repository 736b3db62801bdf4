//! The content-hash cache, so that linting an unchanged folder again costs next to nothing.
//!
//! A migration's findings depend on its own text, on the tool and its configuration, and on
//! every migration before it in its set (the catalog it starts from, the transaction it may
//! share). So its results are stored under a key hashed from all of these: its own
//! description and text, chained with the keys of the migrations before it. Its parse tree is
//! stored under a key of its text alone. A run over an unchanged set reads the results back and
//! parses nothing; after an edit, the results before the edited migration are read back, and
//! the edited migration and those after it are linted again from trees read back, so only the
//! edited file is parsed.
//!
//! Layout: `<dir>/v2/<set>.results` and `<set>.trees` per migration set, each a sequence of
//! frames (key, length, checksum, bytes). Files are written under a temporary name and renamed
//! into place, so a concurrent or interrupted run never leaves a torn file. What is read back is
//! trusted only as far as it is checked: only regular files of bounded size are read (never a
//! link, a named pipe or a device), and a frame whose checksum fails is a miss, linted again and
//! written anew. The directory the cache creates holds a `.gitignore` of `*` and a
//! `CACHEDIR.TAG`; deleting it is always safe.

use std::collections::HashMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use prost::Message;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::catalog::{Action, QualifiedName};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity, StoredSuggestion, Text};
use crate::engine::{MigrationResults, RuleId, TableUse};
use crate::parse::ParsedMigration;
use crate::regular_file::{self, Links};
use crate::source::alembic_project::{RenderKey, RenderedStore};
use crate::source::history::Baseline;
use crate::source::{FileId, MigrationSet, SourceFile};

/// The default cache directory, in the working directory.
pub const DEFAULT_DIR: &str = ".chronos-lint-cache";

/// Bumped when the layout or the record formats change; the directories of other layouts are
/// left alone (and unread).
const LAYOUT: &str = "v2";

/// The largest cache file read or written. A set's trees take up to about 11 times its text
/// (flat lists of constants), and its findings up to about 30 times for a set of one-statement
/// migrations that each have a finding; 1 GiB, 64 times the 16 MiB a migration file may have,
/// holds the cache of any set that lints in reasonable memory. Without a bound, a file of any
/// size would be read whole. A set whose cache would be larger is not stored, and is linted
/// afresh each time.
const MAX_CACHE_FILE: u64 = 1 << 30;

type Key = [u8; 32];

/// The cache directory and what every key of this run starts from.
pub struct Cache {
    /// The directory given (or the default one).
    root: PathBuf,
    /// Its subdirectory of this layout, which holds the files.
    dir: PathBuf,
    pub stats: CacheStats,
    /// The tool build.
    tool: Key,
    /// The tool build and the configuration.
    run: Key,
}

impl Cache {
    pub fn new(root: &Path, config: &Config) -> Cache {
        let tool: Key = Sha256::digest(tool_identity()).into();
        // The configuration's every field, as its `Debug` spells it (patterns, not compiled
        // matchers), so a new setting can never be left out of the key.
        let run = Sha256::new()
            .chain_update(tool)
            .chain_update(format!("{config:?}"))
            .finalize()
            .into();
        Cache {
            root: root.to_owned(),
            dir: root.join(LAYOUT),
            stats: CacheStats::default(),
            tool,
            run,
        }
    }

    /// The stored results and trees of `set`, and the keys this run gives its migrations.
    pub fn open_set(
        &self,
        set: &MigrationSet,
        files: &[SourceFile],
        baseline: Option<&Baseline>,
    ) -> StoredSet<'_> {
        let keys = MigrationKeys::new(&self.tool, &self.run, set, files, baseline);
        let name = {
            let mut hasher = Sha256::new();
            hasher.update(set.root.to_string_lossy().as_bytes());
            if let Some(first) = set.migrations.first() {
                hasher.update(files[first.file].name.as_bytes());
            }
            hex(&hasher.finalize())
        };
        let results = Frames::read(&self.dir.join(format!("{name}.results")));
        StoredSet {
            stats: &self.stats,
            root: &self.root,
            dir: self.dir.clone(),
            name,
            keys,
            results,
            trees: None,
        }
    }
}

/// The SQL rendered from an Alembic project, one file per project (`alembic-<hash of its
/// path>.sql`) holding one frame, under the hash of what rendered it: an edit replaces it.
impl RenderedStore for Cache {
    fn get(&self, root: &Path, key: &RenderKey) -> Option<String> {
        self.stats.projects.fetch_add(1, Ordering::Relaxed);
        let frames = Frames::read(&self.rendered_path(root));
        let sql = String::from_utf8(frames.get(key)?.to_vec()).ok();
        if sql.is_some() {
            self.stats.rendered_reused.fetch_add(1, Ordering::Relaxed);
        }
        sql
    }

    fn put(&self, root: &Path, key: &RenderKey, sql: &str) {
        let write = || -> io::Result<()> {
            create_cache_dir(&self.root, &self.dir)?;
            let mut writer = FrameWriter::create(&self.rendered_path(root))?;
            writer.add(key, sql.as_bytes())?;
            writer.commit()
        };
        if let Err(err) = write() {
            eprintln!("warning: cannot write the cache: {err}");
        }
    }
}

impl Cache {
    fn rendered_path(&self, root: &Path) -> PathBuf {
        let hash = hex(&Sha256::digest(root.to_string_lossy().as_bytes()));
        self.dir.join(format!("alembic-{}.sql", &hash[..32]))
    }
}

/// What a run took from the cache and what it had to do again (`CHRONOS_CACHE_STATS=1` prints
/// it).
#[derive(Debug, Default)]
pub struct CacheStats {
    pub migrations: AtomicUsize,
    /// Migrations whose findings were read back.
    pub results_reused: AtomicUsize,
    /// Migrations whose trees were read back for linting again.
    pub trees_reused: AtomicUsize,
    /// Migrations parsed.
    pub parsed: AtomicUsize,
    /// Alembic projects looked up.
    pub projects: AtomicUsize,
    /// Alembic projects whose rendered SQL was read back (Alembic not run).
    pub rendered_reused: AtomicUsize,
}

impl std::fmt::Display for CacheStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let get = |count: &AtomicUsize| count.load(Ordering::Relaxed);
        write!(
            f,
            "cache: {} migrations; findings reused for {}, trees reused for {}, parsed {}",
            get(&self.migrations),
            get(&self.results_reused),
            get(&self.trees_reused),
            get(&self.parsed),
        )?;
        if get(&self.projects) > 0 {
            write!(
                f,
                "; Alembic projects {}, SQL reused for {}",
                get(&self.projects),
                get(&self.rendered_reused)
            )?;
        }
        Ok(())
    }
}

/// Identifies this build: its version, and its executable's size and modification time (a
/// rebuilt linter may judge differently without a new version number).
fn tool_identity() -> Vec<u8> {
    let mut identity = env!("CARGO_PKG_VERSION").as_bytes().to_vec();
    if let Ok(metadata) = std::env::current_exe().and_then(fs::metadata) {
        identity.extend(metadata.len().to_le_bytes());
        if let Ok(modified) = metadata.modified()
            && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
        {
            identity.extend(since.as_nanos().to_le_bytes());
        }
    }
    identity
}

/// The keys of a set's migrations, indexed like them.
struct MigrationKeys {
    /// Of the parse tree: the file's text and the parts of it that are the migration.
    trees: Vec<Key>,
    /// Of the findings: the run, the migration, its tree and every migration before it.
    results: Vec<Key>,
}

impl MigrationKeys {
    fn new(
        tool: &Key,
        run: &Key,
        set: &MigrationSet,
        files: &[SourceFile],
        baseline: Option<&Baseline>,
    ) -> MigrationKeys {
        let mut ids: Vec<FileId> = set.migrations.iter().map(|m| m.file).collect();
        ids.dedup();
        let texts: HashMap<FileId, Key> = ids
            .par_iter()
            .map(|&id| (id, Sha256::digest(files[id].text.as_bytes()).into()))
            .collect();
        let mut keys = MigrationKeys {
            trees: Vec::with_capacity(set.migrations.len()),
            results: Vec::with_capacity(set.migrations.len()),
        };
        let mut chain: Key = *run;
        for migration in &set.migrations {
            let file = &files[migration.file];
            let text = texts[&migration.file];
            let tree: Key = Sha256::new()
                .chain_update(tool)
                .chain_update(text)
                .chain_update(format!(
                    "{:?} {:?} {}",
                    migration.kind(),
                    migration.chunks,
                    migration.starts_in_transaction
                ))
                .finalize()
                .into();
            let status =
                baseline.map(|baseline| baseline.migration(migration.file, &migration.name));
            let described = format!(
                "{} {:?} {:?} {:?} {:?} {:?} {:?}",
                file.name,
                migration.name,
                migration.owner,
                migration.header,
                migration.revision,
                status,
                set.journal.is_some()
            );
            chain = Sha256::new()
                .chain_update(chain)
                .chain_update(tree)
                .chain_update(described)
                .finalize()
                .into();
            keys.trees.push(tree);
            keys.results.push(chain);
        }
        keys
    }
}

/// This run's records for a set that is linted again; after a failed write (warned about
/// once) it records no more.
pub struct SetRecorder {
    writer: Option<SetWriter>,
}

impl SetRecorder {
    /// Records migration `index`'s results and tree.
    pub fn record(
        &mut self,
        stored: &StoredSet,
        index: usize,
        results: &MigrationResults,
        tree: &[u8],
        files: &[SourceFile],
    ) {
        let Some(writer) = self.writer.as_mut() else {
            return;
        };
        if let Err(err) = writer.add(stored, index, tree, results, files) {
            warn_unwritable(err);
            self.writer = None;
        }
    }

    /// Puts this run's records in place of the stored ones.
    pub fn commit(self) {
        if let Some(Err(err)) = self.writer.map(SetWriter::commit) {
            warn_unwritable(err);
        }
    }
}

/// A cache that cannot be written is no reason to fail the run.
fn warn_unwritable(err: io::Error) {
    eprintln!("warning: cannot write the cache: {err}");
}

/// What the cache holds for one set, as the pipeline asks it: the results it can reuse, the
/// trees it need not parse again, and where this run's records go.
pub struct StoredSet<'c> {
    stats: &'c CacheStats,
    root: &'c Path,
    dir: PathBuf,
    name: String,
    keys: MigrationKeys,
    /// Stored results by key (decoded when used).
    results: Frames,
    /// Stored trees by key, read only once a migration has to be linted again.
    trees: Option<Frames>,
}

impl StoredSet<'_> {
    /// The stored results of the set's first migrations, up to the first one without any.
    /// `rule_id` gives the id of this run's rule of that name (a record naming another rule is
    /// not reused).
    pub fn reused(
        &mut self,
        files: &[SourceFile],
        rule_id: impl Fn(&str) -> Option<RuleId>,
    ) -> Vec<MigrationResults> {
        let stored = &self.results;
        let present = self
            .keys
            .results
            .iter()
            .take_while(|key| stored.get(key).is_some())
            .count();
        let strings = self
            .results
            .get(&STRINGS_KEY)
            .and_then(|bytes| StoredStrings::decode(bytes).ok())
            .map(|stored| Strings::resolve(stored.strings, files, &rule_id))
            .unwrap_or_default();
        let decoded: Vec<Option<MigrationResults>> = self.keys.results[..present]
            .par_iter()
            .map(|key| {
                let stored = StoredResults::decode(self.results.get(key)?).ok()?;
                stored.restore(&strings)
            })
            .collect();
        let found: Vec<MigrationResults> =
            decoded.into_iter().map_while(|results| results).collect();
        let stats = self.stats;
        stats
            .migrations
            .fetch_add(self.keys.results.len(), Ordering::Relaxed);
        stats
            .results_reused
            .fetch_add(found.len(), Ordering::Relaxed);
        found
    }

    /// From here on the set is linted again: its stored trees are read (call before
    /// [`StoredSet::tree`] from several threads), and this run's records are written anew.
    pub fn relint(&mut self) -> Option<SetRecorder> {
        if self.trees.is_none() {
            let path = self.dir.join(format!("{}.trees", self.name));
            self.trees = Some(Frames::read(&path));
        }
        let writer = self.writer().map_err(warn_unwritable).ok()?;
        Some(SetRecorder {
            writer: Some(writer),
        })
    }

    /// The stored tree of migration `index`, with its bytes (to store again); a miss counts as
    /// parsed.
    pub fn tree(&self, index: usize) -> Option<(ParsedMigration, &[u8])> {
        let stored = self
            .trees
            .as_ref()
            .and_then(|trees| trees.get(&self.keys.trees[index]))
            .and_then(|bytes| Some((ParsedMigration::from_bytes(bytes)?, bytes)));
        let counter = match stored {
            Some(_) => &self.stats.trees_reused,
            None => &self.stats.parsed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        stored
    }

    /// Starts writing this run's records for the set.
    fn writer(&self) -> io::Result<SetWriter> {
        create_cache_dir(self.root, &self.dir)?;
        Ok(SetWriter {
            results: FrameWriter::create(&self.dir.join(format!("{}.results", self.name)))?,
            trees: FrameWriter::create(&self.dir.join(format!("{}.trees", self.name)))?,
            strings: StringTable::default(),
        })
    }

    fn result_key(&self, index: usize) -> &Key {
        &self.keys.results[index]
    }

    fn tree_key(&self, index: usize) -> &Key {
        &self.keys.trees[index]
    }
}

/// Creates the cache directory `root` and its layout subdirectory `dir` where missing. The
/// outermost of them that this creates gets the `.gitignore` and `CACHEDIR.TAG` that keep it out
/// of version control and backups. A directory that was there already gets neither: it may be
/// the user's own (`--cache-dir .`), which an ignore file of `*` would hide from git.
fn create_cache_dir(root: &Path, dir: &Path) -> io::Result<()> {
    if let Some(parent) = root.parent() {
        fs::create_dir_all(parent)?;
    }
    let created_root = create_dir(root)?;
    let created_dir = create_dir(dir)?;
    if created_root {
        mark_cache_dir(root)
    } else if created_dir {
        mark_cache_dir(dir)
    } else {
        Ok(())
    }
}

/// Whether this created `dir` (false: it was there already, perhaps made by a concurrent run).
fn create_dir(dir: &Path) -> io::Result<bool> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(false),
        Err(err) => Err(err),
    }
}

/// Writes the `.gitignore` and `CACHEDIR.TAG` into a directory the cache has just created. Only
/// new files are written: nothing there is replaced, and no link is followed.
fn mark_cache_dir(dir: &Path) -> io::Result<()> {
    let marks: [(&str, &str); 2] = [
        (
            ".gitignore",
            "# Written by chronos-lint: its cache, safe to delete.\n*\n",
        ),
        (
            "CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55\n\
             # This directory is chronos-lint's cache; see https://bford.info/cachedir/\n",
        ),
    ];
    for (name, text) in marks {
        let created = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(name));
        match created {
            Ok(mut file) => file.write_all(text.as_bytes())?,
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

#[derive(Clone, PartialEq, Message)]
struct StoredResults {
    #[prost(message, repeated, tag = "1")]
    diagnostics: Vec<StoredDiagnostic>,
    /// Start and end of each statement span, in turn.
    #[prost(uint64, repeated, tag = "2")]
    statement_spans: Vec<u64>,
    #[prost(uint64, tag = "3")]
    statements: u64,
    #[prost(message, repeated, tag = "4")]
    table_uses: Vec<StoredTableUse>,
}

/// A [`TableUse`]; its texts are indexes into the file's [`StoredStrings`].
#[derive(Clone, PartialEq, Message)]
struct StoredTableUse {
    #[prost(uint32, tag = "1")]
    schema: u32,
    #[prost(uint32, tag = "2")]
    table: u32,
    /// Position in [`Action::ALL`].
    #[prost(uint32, tag = "3")]
    action: u32,
    #[prost(uint32, optional, tag = "4")]
    via: Option<u32>,
    #[prost(uint32, optional, tag = "5")]
    from_schema: Option<u32>,
    #[prost(uint32, optional, tag = "6")]
    from_table: Option<u32>,
    #[prost(uint32, tag = "7")]
    file: u32,
    #[prost(uint64, tag = "8")]
    start: u64,
    #[prost(uint64, tag = "9")]
    end: u64,
    #[prost(uint32, tag = "10")]
    migration: u32,
}

/// A diagnostic; its repeated texts are indexes into the file's [`StoredStrings`].
#[derive(Clone, PartialEq, Message)]
struct StoredDiagnostic {
    #[prost(uint32, tag = "1")]
    rule: u32,
    #[prost(uint32, tag = "2")]
    severity: u32,
    #[prost(string, tag = "3")]
    message: String,
    #[prost(uint32, optional, tag = "4")]
    help: Option<u32>,
    /// The file's name as reported.
    #[prost(uint32, tag = "5")]
    file: u32,
    #[prost(uint64, tag = "6")]
    start: u64,
    #[prost(uint64, tag = "7")]
    end: u64,
    #[prost(uint32, optional, tag = "8")]
    migration: Option<u32>,
    #[prost(message, repeated, tag = "9")]
    suggestions: Vec<StoredSuggestion>,
}

/// The texts a results file's diagnostics share (rule ids, help, file and migration names),
/// each stored once; its frame has [`STRINGS_KEY`].
#[derive(Clone, PartialEq, Message)]
struct StoredStrings {
    #[prost(string, repeated, tag = "1")]
    strings: Vec<String>,
}

/// No migration's key: SHA-256 does not give all zeros.
const STRINGS_KEY: Key = [0; 32];

/// Gives each distinct text an index, while records are written. Texts the diagnostics share
/// (help, migration names) are shared with them, not copied.
#[derive(Default)]
struct StringTable {
    index: HashMap<Arc<str>, u32>,
    strings: Vec<Arc<str>>,
}

impl StringTable {
    fn intern(&mut self, text: &str) -> u32 {
        match self.index.get(text) {
            Some(&index) => index,
            None => self.add(Arc::from(text)),
        }
    }

    fn intern_shared(&mut self, text: &Arc<str>) -> u32 {
        match self.index.get(text) {
            Some(&index) => index,
            None => self.add(Arc::clone(text)),
        }
    }

    fn intern_text(&mut self, text: &Text) -> u32 {
        match text {
            Text::Static(text) => self.intern(text),
            Text::Shared(text) => self.intern_shared(text),
        }
    }

    fn add(&mut self, text: Arc<str>) -> u32 {
        let index = u32::try_from(self.strings.len()).expect("fewer than 2^32 texts");
        self.strings.push(Arc::clone(&text));
        self.index.insert(text, index);
        index
    }

    /// The table as a [`StoredStrings`] message, encoded without copying the texts first.
    fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for text in &self.strings {
            prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, &mut bytes);
            prost::encoding::encode_varint(text.len() as u64, &mut bytes);
            bytes.extend_from_slice(text.as_bytes());
        }
        bytes
    }
}

impl StoredResults {
    fn new(results: &MigrationResults, files: &[SourceFile], strings: &mut StringTable) -> Self {
        StoredResults {
            diagnostics: results
                .diagnostics
                .iter()
                .map(|d| StoredDiagnostic {
                    rule: strings.intern(d.rule.as_str()),
                    severity: strings.intern(d.severity.as_str()),
                    message: d.message.clone(),
                    help: d.help.as_ref().map(|help| strings.intern_text(help)),
                    file: strings.intern(&files[d.file].name),
                    start: d.span.start as u64,
                    end: d.span.end as u64,
                    migration: d.migration.as_ref().map(|name| strings.intern_shared(name)),
                    suggestions: d.suggestions.iter().map(StoredSuggestion::new).collect(),
                })
                .collect(),
            statement_spans: results
                .statement_spans
                .iter()
                .flat_map(|span| [span.start as u64, span.end as u64])
                .collect(),
            statements: results.statements as u64,
            table_uses: results
                .table_uses
                .iter()
                .map(|table_use| StoredTableUse::new(table_use, files, strings))
                .collect(),
        }
    }

    /// `None` when a rule or file the record names is not in this run.
    fn restore(self, strings: &Strings) -> Option<MigrationResults> {
        let offset = |value: u64| usize::try_from(value).ok();
        let diagnostics = self
            .diagnostics
            .into_iter()
            .map(|d| {
                Some(Diagnostic {
                    rule: (*strings.rule.get(d.rule as usize)?)?,
                    severity: (*strings.severity.get(d.severity as usize)?)?,
                    message: d.message,
                    help: match d.help {
                        Some(index) => Some(Text::from(strings.text.get(index as usize)?.clone())),
                        None => None,
                    },
                    file: (*strings.file.get(d.file as usize)?)?,
                    span: offset(d.start)?..offset(d.end)?,
                    migration: match d.migration {
                        Some(index) => Some(strings.text.get(index as usize)?.clone()),
                        None => None,
                    },
                    suggestions: d
                        .suggestions
                        .into_iter()
                        .map(StoredSuggestion::restore)
                        .collect::<Option<_>>()?,
                })
            })
            .collect::<Option<_>>()?;
        let statement_spans = self
            .statement_spans
            .chunks_exact(2)
            .map(|pair| Some(offset(pair[0])?..offset(pair[1])?))
            .collect::<Option<_>>()?;
        Some(MigrationResults {
            diagnostics,
            statement_spans,
            statements: offset(self.statements)?,
            table_uses: self
                .table_uses
                .into_iter()
                .map(|stored| stored.restore(strings))
                .collect::<Option<_>>()?,
        })
    }
}

impl StoredTableUse {
    fn new(table_use: &TableUse, files: &[SourceFile], strings: &mut StringTable) -> Self {
        let from = table_use.from.as_ref();
        StoredTableUse {
            schema: strings.intern(&table_use.table.schema),
            table: strings.intern(&table_use.table.name),
            action: Action::ALL
                .iter()
                .position(|&action| action == table_use.action)
                .expect("every action is in the list") as u32,
            via: table_use.via.as_deref().map(|via| strings.intern(via)),
            from_schema: from.map(|from| strings.intern(&from.schema)),
            from_table: from.map(|from| strings.intern(&from.name)),
            file: strings.intern(&files[table_use.file].name),
            start: table_use.span.start as u64,
            end: table_use.span.end as u64,
            migration: strings.intern_shared(&table_use.migration),
        }
    }

    fn restore(self, strings: &Strings) -> Option<TableUse> {
        let text = |index: u32| strings.text.get(index as usize);
        let name = |schema: u32, table: u32| {
            Some(QualifiedName {
                schema: text(schema)?.to_string(),
                name: text(table)?.to_string(),
            })
        };
        Some(TableUse {
            table: name(self.schema, self.table)?,
            action: *Action::ALL.get(self.action as usize)?,
            via: match self.via {
                Some(via) => Some(text(via)?.to_string()),
                None => None,
            },
            from: match (self.from_schema, self.from_table) {
                (Some(schema), Some(table)) => Some(name(schema, table)?),
                _ => None,
            },
            file: (*strings.file.get(self.file as usize)?)?,
            span: usize::try_from(self.start).ok()?..usize::try_from(self.end).ok()?,
            migration: text(self.migration)?.clone(),
        })
    }
}

/// A results file's string table, with what each string names in this run looked up once.
#[derive(Default)]
struct Strings {
    text: Vec<Arc<str>>,
    rule: Vec<Option<RuleId>>,
    severity: Vec<Option<Severity>>,
    file: Vec<Option<FileId>>,
}

impl Strings {
    fn resolve(
        strings: Vec<String>,
        files: &[SourceFile],
        rule_id: impl Fn(&str) -> Option<RuleId>,
    ) -> Strings {
        let by_name: HashMap<&str, FileId> = files
            .iter()
            .enumerate()
            .map(|(id, file)| (file.name.as_str(), id))
            .collect();
        Strings {
            rule: strings.iter().map(|s| rule_id(s)).collect(),
            severity: strings.iter().map(|s| s.parse().ok()).collect(),
            file: strings
                .iter()
                .map(|s| by_name.get(s.as_str()).copied())
                .collect(),
            text: strings.into_iter().map(Arc::from).collect(),
        }
    }
}

/// This run's records for one set, committed (renamed into place) only when complete.
struct SetWriter {
    results: FrameWriter,
    trees: FrameWriter,
    strings: StringTable,
}

impl SetWriter {
    fn add(
        &mut self,
        cache: &StoredSet,
        index: usize,
        tree: &[u8],
        results: &MigrationResults,
        files: &[SourceFile],
    ) -> io::Result<()> {
        self.trees.add(cache.tree_key(index), tree)?;
        let stored = StoredResults::new(results, files, &mut self.strings).encode_to_vec();
        self.results.add(cache.result_key(index), &stored)
    }

    fn commit(mut self) -> io::Result<()> {
        self.results.add(&STRINGS_KEY, &self.strings.encode())?;
        self.trees.commit()?;
        self.results.commit()
    }
}

/// Frames are `key (32 bytes) | length (u64, little-endian) | checksum | bytes`, after a header
/// line.
const FRAMES_HEADER: &[u8] = b"chronos-lint cache v2\n";

/// A frame's checksum: the first 16 bytes of the SHA-256 of its key, length and bytes. It finds
/// damage (a flipped bit, a torn or spliced file), which passes with odds of 2^-128; not
/// tampering, as whoever can write the cache can write the migrations too.
type Checksum = [u8; 16];

/// The bytes of a frame before its body.
const FRAME_HEAD: usize = 32 + 8 + 16;

fn checksum(key: &Key, bytes: &[u8]) -> Checksum {
    let digest = Sha256::new()
        .chain_update(key)
        .chain_update((bytes.len() as u64).to_le_bytes())
        .chain_update(bytes)
        .finalize();
    let (checksum, _) = digest
        .split_first_chunk()
        .expect("a SHA-256 is longer than its checksum");
    *checksum
}

struct FrameWriter {
    path: PathBuf,
    /// A temporary file beside `path`, renamed to it once complete.
    out: BufWriter<tempfile::NamedTempFile>,
    /// What has been written, kept within [`MAX_CACHE_FILE`]: a larger file would not be read.
    size: u64,
}

impl FrameWriter {
    fn create(path: &Path) -> io::Result<FrameWriter> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let temporary = tempfile::Builder::new()
            .prefix(".writing-")
            .tempfile_in(dir)?;
        let mut out = BufWriter::new(temporary);
        out.write_all(FRAMES_HEADER)?;
        Ok(FrameWriter {
            path: path.to_owned(),
            out,
            size: FRAMES_HEADER.len() as u64,
        })
    }

    fn add(&mut self, key: &Key, bytes: &[u8]) -> io::Result<()> {
        let size = self.size + FRAME_HEAD as u64 + bytes.len() as u64;
        if size > MAX_CACHE_FILE {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "{} would be larger than {} MiB; this set is not cached",
                    self.path.display(),
                    MAX_CACHE_FILE >> 20
                ),
            ));
        }
        self.size = size;
        self.out.write_all(key)?;
        self.out.write_all(&(bytes.len() as u64).to_le_bytes())?;
        self.out.write_all(&checksum(key, bytes))?;
        self.out.write_all(bytes)
    }

    fn commit(self) -> io::Result<()> {
        let temporary = self.out.into_inner().map_err(|err| err.into_error())?;
        temporary.persist(&self.path).map_err(|err| err.error)?;
        Ok(())
    }
}

/// A cache file's intact frames, by key.
#[derive(Default)]
struct Frames {
    bytes: Vec<u8>,
    by_key: HashMap<Key, std::ops::Range<usize>>,
}

impl Frames {
    /// The frames of the file at `path` whose checksums hold: none when it is missing, not a
    /// regular file, too large or not of this layout. Reading stops at a frame that runs past the
    /// end (a truncated file, or a damaged length, after which nothing lines up); a frame is a
    /// miss, and is linted again, only when it is not read back intact.
    fn read(path: &Path) -> Frames {
        let Ok(bytes) = regular_file::read(path, Links::Refuse, MAX_CACHE_FILE) else {
            return Frames::default();
        };
        if !bytes.starts_with(FRAMES_HEADER) {
            return Frames::default();
        }
        let mut frames = Vec::new();
        let mut at = FRAMES_HEADER.len();
        while let Some(frame) = Frame::at(&bytes, at) {
            at = frame.body.end;
            frames.push(frame);
        }
        let by_key = frames
            .into_par_iter()
            .filter(|frame| checksum(&frame.key, &bytes[frame.body.clone()]) == frame.checksum)
            .map(|frame| (frame.key, frame.body))
            .collect();
        Frames { bytes, by_key }
    }

    fn get(&self, key: &Key) -> Option<&[u8]> {
        self.by_key.get(key).map(|range| &self.bytes[range.clone()])
    }
}

/// A frame as found in a file, its checksum not yet checked.
struct Frame {
    key: Key,
    checksum: Checksum,
    body: std::ops::Range<usize>,
}

impl Frame {
    /// The frame at offset `at` of `bytes`, unless it runs past their end.
    fn at(bytes: &[u8], at: usize) -> Option<Frame> {
        let head = bytes.get(at..at.checked_add(FRAME_HEAD)?)?;
        let (key, head) = head.split_first_chunk::<32>()?;
        let (length, head) = head.split_first_chunk::<8>()?;
        let (checksum, _) = head.split_first_chunk::<16>()?;
        let start = at + FRAME_HEAD;
        let length = usize::try_from(u64::from_le_bytes(*length)).ok()?;
        let end = start.checked_add(length)?;
        (end <= bytes.len()).then_some(Frame {
            key: *key,
            checksum: *checksum,
            body: start..end,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Key {
        [n; 32]
    }

    /// Writes frames 1, 2 and 3 into `path`; returns where the body of each starts.
    fn write_three(path: &Path) -> Vec<usize> {
        let mut writer = FrameWriter::create(path).unwrap();
        let mut starts = Vec::new();
        for n in 1..=3 {
            starts.push(writer.size as usize + FRAME_HEAD);
            writer.add(&key(n), &[n; 100]).unwrap();
        }
        writer.commit().unwrap();
        starts
    }

    #[test]
    fn a_frame_that_fails_its_checksum_is_a_miss_and_the_others_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("set.results");
        let starts = write_three(&path);
        let frames = Frames::read(&path);
        for n in 1..=3 {
            assert_eq!(frames.get(&key(n)), Some(&[n; 100][..]));
        }

        // A bit of the second body, of its length, of its key.
        for at in [starts[1] + 50, starts[1] - 16 - 8, starts[1] - FRAME_HEAD] {
            let mut bytes = fs::read(&path).unwrap();
            bytes[at] ^= 0x10;
            fs::write(&path, bytes).unwrap();
            let frames = Frames::read(&path);
            assert_eq!(frames.get(&key(1)), Some(&[1; 100][..]), "{at}");
            assert!(frames.get(&key(2)).is_none(), "{at}");
            write_three(&path);
        }

        // Cut inside the third frame: the first two are still read.
        let mut bytes = fs::read(&path).unwrap();
        bytes.truncate(starts[2] + 10);
        fs::write(&path, bytes).unwrap();
        let frames = Frames::read(&path);
        assert!(frames.get(&key(2)).is_some() && frames.get(&key(3)).is_none());

        // Another layout's header: nothing is read.
        let mut bytes = fs::read(&path).unwrap();
        bytes[FRAMES_HEADER.len() - 2] = b'1';
        fs::write(&path, bytes).unwrap();
        assert!(Frames::read(&path).by_key.is_empty());
    }

    #[test]
    fn no_file_is_written_past_the_bound_it_is_read_with() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = FrameWriter::create(&dir.path().join("set.trees")).unwrap();
        writer.size = MAX_CACHE_FILE - (FRAME_HEAD + 10) as u64;
        writer.add(&key(1), &[1; 10]).unwrap();
        let refused = writer.add(&key(2), &[]).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::FileTooLarge);
    }

    #[test]
    fn a_link_in_place_of_a_cache_file_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        write_three(&elsewhere);
        let path = dir.path().join("set.results");
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        assert!(Frames::read(&path).by_key.is_empty());
    }

    #[test]
    fn only_the_outermost_directory_the_cache_creates_is_marked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("a/cache");
        create_cache_dir(&root, &root.join(LAYOUT)).unwrap();
        assert!(root.join(".gitignore").is_file() && root.join("CACHEDIR.TAG").is_file());
        assert!(!root.join(LAYOUT).join(".gitignore").exists());
        assert!(!dir.path().join("a/.gitignore").exists());

        // An existing directory: only the layout directory created in it is marked.
        let root = dir.path();
        create_cache_dir(root, &root.join(LAYOUT)).unwrap();
        assert!(!root.join(".gitignore").exists() && !root.join("CACHEDIR.TAG").exists());
        assert!(root.join(LAYOUT).join(".gitignore").is_file());
    }

    #[test]
    fn marking_replaces_nothing_and_follows_no_link() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".gitignore"), "mine\n").unwrap();
        let target = dir.path().join("target");
        std::os::unix::fs::symlink(&target, dir.path().join("CACHEDIR.TAG")).unwrap();
        mark_cache_dir(dir.path()).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
            "mine\n"
        );
        assert!(!target.exists());
    }
}
