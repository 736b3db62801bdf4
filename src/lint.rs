//! The static pipeline: parsed migrations → catalog replay → rule findings → suppressions.
//! Migrations are parsed ahead in parallel (or read back from the cache), the engine's
//! [`SetDriver`] runs the rules over each set, and this run's results are written back.
//!
//! With `--shadow`, what the shadow stage observed arrives as plain data
//! ([`crate::trace::Trace`]); the shadow rules turn it into findings here, so suppressions and
//! every output format treat them like the others. Nothing here depends on the shadow stage
//! itself.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

use crate::cache::{Cache, SetCache, SetWriter};
use crate::config::Config;
use crate::diagnostic::Diagnostic;
pub use crate::engine::History;
use crate::engine::{ActiveRule, MigrationResults, SetDriver, WorkspaceContext, check_workspace};
use crate::parse::{self, ParsedMigration};
use crate::rules;
use crate::rules::migration::unused_suppression::{self, UnusedSuppression};
use crate::source::{FileId, MigrationSet, SourceFile, Workspace};
use crate::suppress;
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
    pub diagnostics: Vec<Diagnostic>,
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
    // Sets are independent: each replays its own catalog.
    let outputs: Vec<SetOutput> = workspace
        .sets
        .par_iter()
        .enumerate()
        .map(|(index, set)| {
            let trace = history.trace.and_then(|trace| trace.sets.get(index));
            lint_set(set, workspace, config, history, trace, &active, cache)
        })
        .collect();

    // Files read only as context count neither in the figures nor in the findings.
    let mut stats = Stats {
        files: (0..workspace.files.len())
            .filter(|&file| workspace.is_reported(file) && !workspace.is_generated(file))
            .count(),
        ..Stats::default()
    };
    let total = outputs
        .iter()
        .map(|output| {
            let per_migration = output.migrations.iter().map(|(_, m)| m.diagnostics.len());
            output.set_diagnostics.len() + per_migration.sum::<usize>()
        })
        .sum();
    let mut raw = Vec::with_capacity(total);
    // Statement spans per file, for placing `ignore` comments: of the files that have any.
    let commented: Vec<bool> = workspace
        .files
        .iter()
        .map(|file| suppress::may_have_directives(&file.text))
        .collect();
    let mut statement_spans: HashMap<FileId, Vec<Range<usize>>> = HashMap::new();
    let mut table_uses = Vec::with_capacity(outputs.len());
    for output in outputs {
        let mut set_uses = Vec::new();
        for (file, results) in output.migrations {
            if workspace.is_reported(file) {
                stats.migrations += 1;
                stats.statements += results.statements;
            }
            raw.extend(results.diagnostics);
            set_uses.extend(results.table_uses);
            if commented[file] {
                statement_spans
                    .entry(file)
                    .or_default()
                    .extend(results.statement_spans);
            }
        }
        raw.extend(output.set_diagnostics);
        table_uses.push(set_uses);
    }
    if !config.owners_by_pattern() {
        let ctx = WorkspaceContext::new(config, workspace, &table_uses);
        raw.extend(check_workspace(&ctx, &active));
    }

    let shadow_ran = history.trace.is_some();
    let mut diagnostics = apply_suppressions(workspace, &statement_spans, raw, &active, shadow_ran);
    relocate_generated(workspace, &mut diagnostics);
    diagnostics.retain(|d| workspace.is_reported(d.file));
    // By file name, position and rule; files ranked once by name.
    let mut by_name: Vec<FileId> = (0..workspace.files.len()).collect();
    by_name.sort_by(|&a, &b| workspace.files[a].name.cmp(&workspace.files[b].name));
    let mut rank = vec![0; by_name.len()];
    for (position, file) in by_name.into_iter().enumerate() {
        rank[file] = position;
    }
    // Unstable (no buffer the size of the findings) with a key that leaves no ties that show.
    diagnostics.par_sort_unstable_by(|a, b| {
        let key = |d: &Diagnostic| (rank[d.file], d.span.start, d.rule, d.span.end);
        key(a)
            .cmp(&key(b))
            .then_with(|| a.message.cmp(&b.message))
            .then_with(|| a.migration.cmp(&b.migration))
            .then_with(|| a.help.as_deref().cmp(&b.help.as_deref()))
    });
    LintOutput { diagnostics, stats }
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

/// What linting one set produced.
struct SetOutput {
    /// Per migration, in order, with its file.
    migrations: Vec<(FileId, MigrationResults)>,
    /// Findings about the set as a whole (and the shadow rules').
    set_diagnostics: Vec<Diagnostic>,
}

/// Migrations are parsed this many at a time, in parallel, while the rules judge the batch
/// before.
const PARSE_AHEAD: usize = 8;

fn lint_set(
    set: &MigrationSet,
    workspace: &Workspace,
    config: &Config,
    history: History,
    trace: Option<&SetTrace>,
    active: &[ActiveRule],
    cache: Option<&Cache>,
) -> SetOutput {
    let migrations = &set.migrations;
    let files = &workspace.files;
    let mut linter = SetDriver::new(set, workspace, config, history, active);
    let mut output = SetOutput {
        migrations: Vec::with_capacity(migrations.len()),
        set_diagnostics: Vec::new(),
    };
    let mut stored = cache.map(|cache| cache.open_set(set, files, history.baseline));
    let mut reused = stored
        .as_mut()
        .map(|stored| stored.leading_results(files, |id| rules::find(id).map(|rule| rule.id())))
        .unwrap_or_default()
        .into_iter();
    if reused.len() == migrations.len() {
        let files = migrations.iter().map(|migration| migration.file);
        output.migrations.extend(files.zip(reused));
        output.set_diagnostics = linter.finish(trace, &[]);
        return output;
    }
    // From the first migration without stored results on, every migration is linted again
    // (those before are replayed into the catalog), and everything is stored anew.
    if let Some(stored) = &mut stored {
        stored.load_trees();
    }
    let mut writer = stored.as_ref().and_then(|stored| match stored.writer() {
        Ok(writer) => Some(writer),
        Err(err) => {
            eprintln!("warning: cannot write the cache: {err}");
            None
        }
    });
    let stored = stored.as_ref();
    let writing = writer.is_some();
    // A batch's parse trees, read back from the cache or parsed, with the bytes to store.
    let parse_batch = |from: usize| -> Vec<(ParsedMigration, Option<Cow<'_, [u8]>>)> {
        let to = (from + PARSE_AHEAD).min(migrations.len());
        (from..to)
            .into_par_iter()
            .map(|index| {
                if let Some((parsed, bytes)) = stored.and_then(|stored| stored.tree(index)) {
                    return (parsed, Some(Cow::Borrowed(bytes)));
                }
                if let Some(stored) = stored {
                    stored.count_parsed();
                }
                let migration = &migrations[index];
                let mut parsed = parse::parse_migration(&files[migration.file].text, migration);
                let bytes = writing.then(|| Cow::Owned(parsed.to_bytes()));
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
        let writer = &mut writer;
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
                write_records(writer, stored, written, files);
                parse_batch(to)
            },
        );
        output.migrations.extend(
            pending
                .drain(..)
                .map(|(index, results, _)| (migrations[index].file, results)),
        );
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
        }
    }
    if let Some(Err(err)) = writer.map(SetWriter::commit) {
        eprintln!("warning: cannot write the cache: {err}");
    }
    output.set_diagnostics = linter.finish(trace, &parsed);
    output
}

/// A migration's findings and its tree's bytes, to store (by the migration's index).
type Record<'a> = (usize, MigrationResults, Option<Cow<'a, [u8]>>);

/// Adds migrations' findings and trees to the cache; on an error, warns and stops writing.
fn write_records(
    writer: &mut Option<SetWriter>,
    stored: Option<&SetCache>,
    records: &[Record],
    files: &[SourceFile],
) {
    let (Some(active), Some(stored)) = (writer.as_mut(), stored) else {
        return;
    };
    for (index, results, tree) in records {
        let Some(tree) = tree else { continue };
        if let Err(err) = active.add(stored, *index, tree, results, files) {
            eprintln!("warning: cannot write the cache: {err}");
            *writer = None;
            return;
        }
    }
}

/// Drops suppressed diagnostics and reports suppressions that are unknown or unused.
fn apply_suppressions(
    workspace: &Workspace,
    statement_spans: &HashMap<FileId, Vec<Range<usize>>>,
    diagnostics: Vec<Diagnostic>,
    active: &[ActiveRule],
    shadow_ran: bool,
) -> Vec<Diagnostic> {
    let mut directives: HashMap<FileId, Vec<suppress::Directive>> = HashMap::new();
    let mut malformed = Vec::new();
    for (&file, spans) in statement_spans {
        let (found, bad) = suppress::directives(file, &workspace.files[file].text, spans);
        if !found.is_empty() {
            directives.insert(file, found);
        }
        malformed.extend(bad);
    }
    let mut used: HashMap<(FileId, usize), Vec<bool>> = HashMap::new();
    let mut kept = diagnostics;
    kept.retain(|diagnostic| {
        let mut suppressed = false;
        for (index, directive) in directives
            .get(&diagnostic.file)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(id_index) =
                directive.covers(diagnostic.rule.as_str(), diagnostic.span.start)
            {
                used.entry((diagnostic.file, index))
                    .or_insert_with(|| vec![false; directive.ids.len()])[id_index] = true;
                suppressed = true;
            }
        }
        !suppressed
    });

    let Some(unused_rule) = active.iter().find(|a| a.rule.id() == UnusedSuppression::ID) else {
        return kept;
    };
    let mut findings = Vec::new();
    for (&file, file_directives) in &directives {
        for (index, directive) in file_directives.iter().enumerate() {
            let mut flags = used
                .get(&(file, index))
                .cloned()
                .unwrap_or_else(|| vec![false; directive.ids.len()]);
            // A suppression of a rule the config turned off, or of a shadow rule in a run without
            // `--shadow`, is not stale.
            for ((id, _), flag) in directive.ids.iter().zip(&mut flags) {
                let Some(rule) = rules::find(id) else {
                    continue;
                };
                *flag |= !active.iter().any(|a| a.rule.id() == rule.id())
                    || (rule.meta().needs_shadow() && !shadow_ran);
            }
            unused_suppression::check(directive, &flags, &mut findings);
        }
    }
    for bad in &malformed {
        unused_suppression::check_malformed(bad, &mut findings);
    }
    kept.extend(findings.into_iter().map(|(finding, severity)| Diagnostic {
        rule: unused_rule.rule.id(),
        severity: severity.unwrap_or(unused_rule.severity),
        message: finding.message,
        help: finding.help,
        file: finding.file,
        span: finding.span,
        migration: None,
        suggestions: finding.suggestions.into_boxed_slice(),
    }));
    kept
}
