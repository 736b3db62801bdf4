//! The static pipeline: parsed migrations → catalog replay → rule findings → suppressions.
//! Migrations are parsed ahead in parallel (or read back from the cache), the engine's
//! [`SetDriver`] runs the rules over each set, and this run's results are written back.
//!
//! With `--shadow`, what the shadow stage observed arrives as plain data
//! ([`crate::trace::Trace`]); the shadow rules turn it into findings here, so suppressions and
//! every output format treat them like the others. Nothing here depends on the shadow stage
//! itself.

use std::borrow::Cow;
use std::ops::Range;

use pg_query::NodeEnum;
use pg_query::protobuf::Integer;
use rayon::prelude::*;

use crate::cache::{Cache, StoredSet};
use crate::config::Config;
use crate::diagnostic::Diagnostic;
pub use crate::engine::History;
use crate::engine::suppress::{self, Suppressions};
use crate::engine::{
    ActiveRule, MigrationResults, SetDriver, TableUse, WorkspaceContext, check_workspace,
    is_looked_back_at,
};
use crate::findings::{Arena, Findings, Kept};
use crate::parse::{self, ParsedMigration};
use crate::rules;
use crate::rules::migration::unused_suppression;
use crate::source::{FileId, Migration, MigrationSet, Workspace};
use crate::trace::SetTrace;

/// Figures about one run, for the summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub files: usize,
    pub migrations: usize,
    pub statements: usize,
}

pub struct LintOutput {
    /// Sorted by file, position and rule.
    pub findings: Findings,
    pub stats: Stats,
}

/// Lints every set of `workspace`; with a `cache` (and no shadow trace), reuses what it holds
/// and stores what this run found.
pub fn lint(
    workspace: &Workspace,
    config: &Config,
    history: History,
    cache: Option<&Cache>,
) -> LintOutput {
    let active = ActiveRule::select(rules::REGISTRY, config);

    // Shadow rules judge what the server did this time, from every tree of the set: a run with
    // a trace neither reads nor writes the cache.
    let cache = cache.filter(|_| history.trace.is_none());
    let arena = Arena::default();
    let run = Run {
        workspace,
        config,
        history,
        active: &active,
        cache,
    };
    // Sets are independent: each replays its own catalog, and its findings are kept (their
    // texts out of the way) as soon as it is done.
    let judged: Vec<JudgedSet> = workspace
        .sets
        .par_iter()
        .enumerate()
        .map(|(index, set)| {
            let trace = history.trace.and_then(|trace| trace.sets.get(index));
            let mut findings = SetFindings::new(index, workspace, &arena);
            let set_diagnostics = lint_set(set, trace, run, &mut findings);
            findings.finish(set_diagnostics)
        })
        .collect();

    // Files read only as context count neither in the figures nor in the findings.
    let mut stats = Stats {
        files: (0..workspace.files.len())
            .filter(|&file| workspace.is_reported(file) && !workspace.is_generated(file))
            .count(),
        ..Stats::default()
    };
    let mut kept = Vec::with_capacity(judged.iter().map(|set| set.kept.len()).sum());
    let mut suppressions = Suppressions::default();
    let mut table_uses = Vec::with_capacity(judged.len());
    for set in judged {
        stats.migrations += set.migrations;
        stats.statements += set.statements;
        kept.extend(set.kept);
        suppressions.merge(set.suppressions);
        table_uses.push(set.table_uses);
    }
    // Findings of the workspace as a whole, then those about the suppression comments, which
    // need every other finding judged first.
    let mut last = Vec::new();
    if !config.owners_by_pattern() {
        let ctx = WorkspaceContext::new(config, workspace, &table_uses);
        last.extend(check_workspace(&ctx, &active));
        last.retain(|diagnostic| !suppressions.silences(diagnostic));
    }
    last.extend(unused_suppression::judge(
        suppressions,
        &active,
        history.trace.is_some(),
    ));
    kept.extend(arena.keep(
        (workspace.sets.len() as u32, 0),
        reportable(workspace, last),
    ));

    // By file name, position and rule; files ranked once by name.
    let mut by_name: Vec<FileId> = (0..workspace.files.len()).collect();
    by_name.sort_by(|&a, &b| workspace.files[a].name.cmp(&workspace.files[b].name));
    let mut rank = vec![0; by_name.len()];
    for (position, file) in by_name.into_iter().enumerate() {
        rank[file] = position;
    }
    // Where several findings share a place and rule, the order they were made in decides:
    // within a set it does not depend on threads, and sets are numbered.
    kept.par_sort_unstable_by_key(|k| (rank[k.file], k.span.start, k.rule, k.span.end, k.made));
    LintOutput {
        findings: Findings::new(kept, arena),
        stats,
    }
}

/// One set's findings, kept, with what the whole run needs from it.
struct JudgedSet {
    kept: Vec<Kept>,
    suppressions: Suppressions,
    table_uses: Vec<TableUse>,
    /// Reported migrations and their statements.
    migrations: usize,
    statements: usize,
}

/// Keeps a set's findings file by file, as soon as every migration of a file is judged:
/// suppression comments applied, moved to where they are reported, texts into the arena. A
/// large set then holds the findings of one file at a time.
struct SetFindings<'a> {
    set: u32,
    workspace: &'a Workspace,
    arena: &'a Arena,
    judged: JudgedSet,
    /// The file whose migrations are being judged, with their findings and statement spans.
    file: Option<FileId>,
    diagnostics: Vec<Diagnostic>,
    statement_spans: Vec<Range<usize>>,
}

impl<'a> SetFindings<'a> {
    fn new(set: usize, workspace: &'a Workspace, arena: &'a Arena) -> Self {
        SetFindings {
            set: set as u32,
            workspace,
            arena,
            judged: JudgedSet {
                kept: Vec::new(),
                suppressions: Suppressions::default(),
                table_uses: Vec::new(),
                migrations: 0,
                statements: 0,
            },
            file: None,
            diagnostics: Vec::new(),
            statement_spans: Vec::new(),
        }
    }

    /// The results of the set's next migration, in order.
    fn add(&mut self, file: FileId, results: MigrationResults) {
        if self.file != Some(file) {
            self.keep_file();
            self.file = Some(file);
        }
        if self.workspace.is_reported(file) {
            self.judged.migrations += 1;
            self.judged.statements += results.statements;
        }
        self.diagnostics.extend(results.diagnostics);
        self.judged.table_uses.extend(results.table_uses);
        if suppress::may_have_directives(&self.workspace.files[file].text) {
            self.statement_spans.extend(results.statement_spans);
        }
    }

    /// Keeps the findings of the file judged last.
    fn keep_file(&mut self) {
        let Some(file) = self.file.take() else {
            return;
        };
        let spans = std::mem::take(&mut self.statement_spans);
        self.judged
            .suppressions
            .read(&self.workspace.files[file], file, &spans);
        let diagnostics = std::mem::take(&mut self.diagnostics);
        self.keep(diagnostics);
    }

    fn keep(&mut self, mut diagnostics: Vec<Diagnostic>) {
        diagnostics.retain(|diagnostic| !self.judged.suppressions.silences(diagnostic));
        let first = self.judged.kept.len();
        let kept = self
            .arena
            .keep((self.set, first), reportable(self.workspace, diagnostics));
        self.judged.kept.extend(kept);
    }

    /// With the findings about the set as a whole, made after its last migration.
    fn finish(mut self, set_diagnostics: Vec<Diagnostic>) -> JudgedSet {
        self.keep_file();
        self.keep(set_diagnostics);
        self.judged
    }
}

/// `diagnostics` moved to where they are reported, without those on files read only as
/// context.
fn reportable(workspace: &Workspace, mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    relocate_generated(workspace, &mut diagnostics);
    diagnostics.retain(|d| workspace.is_reported(d.file));
    diagnostics
}

/// Findings on SQL generated from other files (an Alembic project's) move to where the SQL is
/// written: the revision script's `op.` call, else its `def upgrade`, with the generated
/// statement in the message, since the script shows only the call.
fn relocate_generated(workspace: &Workspace, diagnostics: &mut [Diagnostic]) {
    if workspace.generated.is_empty() {
        return;
    }
    for diagnostic in diagnostics {
        let Some(place) = workspace.written_at(diagnostic.file, &diagnostic.span) else {
            continue;
        };
        diagnostic.file = place.file;
        diagnostic.span = place.span;
        if let Some(statement) = place.statement {
            diagnostic.message = format!("{} (generated SQL: `{statement}`)", diagnostic.message);
        }
    }
}

/// Migrations are parsed this many at a time, in parallel, while the rules judge the batch
/// before...
const PARSE_AHEAD: usize = 8;

/// ...and no more SQL than this beyond a batch's first migration. Parse trees take about a
/// hundred times the text's size: a batch larger than this is not parsed ahead of either, so
/// that a folder of large files holds one file's trees at a time (the memory budget of a file).
const PARSE_AHEAD_BYTES: usize = 1 << 20;

/// The SQL text of a migration, in bytes.
fn sql_bytes(migration: &Migration) -> usize {
    migration.chunks.iter().map(ExactSizeIterator::len).sum()
}

/// Where the batch that starts at `from` ends.
fn batch_end(migrations: &[Migration], from: usize) -> usize {
    let mut bytes = 0;
    let mut to = from;
    while to < migrations.len() && to < from + PARSE_AHEAD {
        bytes += sql_bytes(&migrations[to]);
        if to > from && bytes > PARSE_AHEAD_BYTES {
            break;
        }
        to += 1;
    }
    to
}

/// What every set of a run is linted with.
#[derive(Clone, Copy)]
struct Run<'a> {
    workspace: &'a Workspace,
    config: &'a Config,
    history: History<'a>,
    active: &'a [ActiveRule],
    cache: Option<&'a Cache>,
}

/// Lints `set`, handing each migration's findings to `findings` in order; returns the findings
/// about the set as a whole.
fn lint_set(
    set: &MigrationSet,
    trace: Option<&SetTrace>,
    run: Run,
    findings: &mut SetFindings,
) -> Vec<Diagnostic> {
    let Run {
        workspace,
        config,
        history,
        active,
        cache,
    } = run;
    let migrations = &set.migrations;
    let files = &workspace.files;
    let mut linter = SetDriver::new(set, workspace, config, history, active);
    let mut stored = cache.map(|cache| cache.open_set(set, files, history.baseline));
    let mut reused = stored
        .as_mut()
        .map(|stored| stored.reused(files, |id| rules::find(id).map(|rule| rule.id())))
        .unwrap_or_default()
        .into_iter();
    if reused.len() == migrations.len() {
        for (migration, results) in migrations.iter().zip(reused) {
            findings.add(migration.file, results);
        }
        return linter.finish(trace, &[]);
    }
    // From the first migration without stored results on, every migration is linted again
    // (those before are replayed into the catalog), and everything is stored anew.
    let mut recorder = stored.as_mut().and_then(StoredSet::relint);
    let store = stored.as_ref();
    let recording = recorder.is_some();
    // A batch's parse trees, read back from the cache or parsed, with the bytes to store.
    let parse_batch = |from: usize| -> Vec<(ParsedMigration, Option<Cow<'_, [u8]>>)> {
        let to = batch_end(migrations, from);
        (from..to)
            .into_par_iter()
            .map(|index| {
                if let Some((parsed, bytes)) = store.and_then(|stored| stored.tree(index)) {
                    return (parsed, Some(Cow::Borrowed(bytes)));
                }
                let migration = &migrations[index];
                let mut parsed = parse::parse_migration(&files[migration.file].text, migration);
                let bytes = recording.then(|| Cow::Owned(parsed.to_bytes()));
                // libpg_query's encoding of the trees is needed only for storing them.
                parsed.encoded = Vec::new();
                (parsed, bytes)
            })
            .collect()
    };
    // Parsed migrations, indexed like `migrations`. Rules may look back only within a
    // transaction, so those before `kept_from` have been released (left empty); the shadow
    // rules look at every statement of the set, so with a trace nothing is released.
    let mut parsed: Vec<ParsedMigration> = Vec::with_capacity(migrations.len());
    let mut kept_from = 0;
    // Migrations before this one have had their trees let go of already.
    let mut trimmed_to = 0;
    // The cache records of the batch linted last, written while the next batch is linted.
    let mut pending: Vec<Record> = Vec::new();
    let mut next = parse_batch(0);
    while !next.is_empty() || !pending.is_empty() {
        let from = parsed.len();
        let mut trees = Vec::with_capacity(next.len());
        for (migration, bytes) in next {
            parsed.push(migration);
            trees.push(bytes);
        }
        let to = parsed.len();
        let linted = &parsed;
        let linter = &mut linter;
        let reused = &mut reused;
        let written = &pending;
        let recorder = &mut recorder;
        // Only a batch's first migration can take it past the limit.
        let large = from < to && sql_bytes(&migrations[from]) > PARSE_AHEAD_BYTES;
        let batch;
        (batch, next) = rayon::join(
            || {
                (from..to)
                    .map(|index| match reused.next() {
                        Some(results) => {
                            linter.replay(index, &linted[index]);
                            results
                        }
                        None => linter.lint_migration(index, linted),
                    })
                    .collect::<Vec<_>>()
            },
            || {
                if let (Some(recorder), Some(store)) = (recorder.as_mut(), store) {
                    for (index, results, tree) in written {
                        if let Some(tree) = tree {
                            recorder.record(store, *index, results, tree, files);
                        }
                    }
                }
                if large { Vec::new() } else { parse_batch(to) }
            },
        );
        for (index, results, _) in pending.drain(..) {
            findings.add(migrations[index].file, results);
        }
        pending.extend(
            (from..to)
                .zip(batch)
                .zip(trees)
                .map(|((index, results), tree)| (index, results, tree)),
        );
        if trace.is_none() {
            let last_released = (from..to).rev().find(|&index| {
                let next = migrations.get(index + 1);
                !next.is_some_and(|next| next.may_share_transaction_with(&migrations[index]))
            });
            if let Some(last) = last_released {
                for released in &mut parsed[kept_from..=last] {
                    *released = ParsedMigration::default();
                }
                kept_from = last + 1;
            }
            // The rest goes on into the next batch's transaction, which looks back only at its
            // type changes: the other trees are let go (a long drizzle folder is one transaction),
            // each migration's once.
            for statement in parsed[kept_from.max(trimmed_to)..]
                .iter_mut()
                .flat_map(|migration| &mut migration.statements)
                .filter(|statement| !is_looked_back_at(&statement.node))
            {
                statement.node = NodeEnum::Integer(Integer::default());
            }
            trimmed_to = to;
        }
        // After a large batch, the next is parsed once its trees are let go.
        if large {
            next = parse_batch(to);
        }
    }
    if let Some(recorder) = recorder {
        recorder.commit();
    }
    linter.finish(trace, &parsed)
}

/// A migration's findings and its tree's bytes, to store (by the migration's index).
type Record<'a> = (usize, MigrationResults, Option<Cow<'a, [u8]>>);
