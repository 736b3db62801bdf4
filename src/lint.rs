//! The static pipeline: parsed migrations → catalog replay → rule findings → suppressions.
//!
//! With `--shadow`, what the shadow stage observed arrives as plain data ([`Trace`]); the
//! shadow rules turn it into findings here, so suppressions and every output format treat
//! them like the others. Nothing here depends on the shadow stage itself.

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

use crate::applied::AppliedMigration;
use crate::catalog::{Catalog, Origin, targets};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Finding, Severity};
use crate::parse::{self, ParsedMigration};
use crate::rules::{self, MigrationContext, Rule, SetContext, StatementContext, TraceContext};
use crate::source::history::Baseline;
use crate::source::{FileId, MigrationSet, Workspace};
use crate::suppress;
use crate::trace::{SetTrace, Trace};

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

/// A rule that is on, with its configured severity.
struct ActiveRule {
    rule: &'static dyn Rule,
    severity: Severity,
}

/// Lints every set in the workspace.
/// What is known about the migrations beyond their files.
#[derive(Debug, Default, Clone, Copy)]
pub struct History<'a> {
    /// `--changed-since`: the files at the merge base.
    pub baseline: Option<&'a Baseline>,
    /// `--database-url`: what the database has applied.
    pub applied: Option<&'a [AppliedMigration]>,
    /// `--shadow`: what applying the sets to a real PostgreSQL showed.
    pub trace: Option<&'a Trace>,
}

pub fn lint(workspace: &Workspace, config: &Config, history: History) -> LintOutput {
    let active: Vec<ActiveRule> = rules::REGISTRY
        .iter()
        .filter_map(|&rule| {
            let meta = rule.meta();
            let severity = config
                .rules
                .get(meta.id)
                .copied()
                .unwrap_or(Some(meta.severity))?;
            Some(ActiveRule { rule, severity })
        })
        .collect();

    // Sets are independent: each replays its own catalog.
    let outputs: Vec<SetOutput> = workspace
        .sets
        .par_iter()
        .enumerate()
        .map(|(index, set)| {
            let trace = history.trace.and_then(|trace| trace.sets.get(index));
            lint_set(set, workspace, config, history, trace, &active)
        })
        .collect();

    let mut stats = Stats {
        files: workspace.files.len(),
        ..Stats::default()
    };
    let mut raw = Vec::new();
    // Statement spans per file, for placing `ignore` comments.
    let mut statement_spans: HashMap<FileId, Vec<Range<usize>>> = HashMap::new();
    for output in outputs {
        stats.migrations += output.migrations;
        stats.statements += output.statements;
        raw.extend(output.diagnostics);
        for (file, span) in output.statement_spans {
            statement_spans.entry(file).or_default().push(span);
        }
    }

    let shadow_ran = history.trace.is_some();
    let mut diagnostics = apply_suppressions(workspace, &statement_spans, raw, &active, shadow_ran);
    diagnostics.sort_by(|a, b| {
        (&workspace.files[a.file].name, a.span.start, a.rule).cmp(&(
            &workspace.files[b.file].name,
            b.span.start,
            b.rule,
        ))
    });
    LintOutput { diagnostics, stats }
}

/// What linting one set produced.
struct SetOutput {
    diagnostics: Vec<Diagnostic>,
    statement_spans: Vec<(FileId, Range<usize>)>,
    migrations: usize,
    statements: usize,
}

/// Migrations are parsed this many at a time, in parallel, ahead of the rules.
const PARSE_AHEAD: usize = 64;

fn lint_set(
    set: &MigrationSet,
    workspace: &Workspace,
    config: &Config,
    history: History,
    trace: Option<&SetTrace>,
    active: &[ActiveRule],
) -> SetOutput {
    let migrations = &set.migrations;
    let mut output = SetOutput {
        diagnostics: Vec::new(),
        statement_spans: Vec::new(),
        migrations: migrations.len(),
        statements: 0,
    };
    let out = &mut output.diagnostics;
    let mut catalog = Catalog::default();
    let mut findings = Vec::new();
    // Parsed migrations, indexed like `migrations`. Rules may look back only within a
    // transaction, so those before `kept_from` have been released (left empty).
    let mut parsed: Vec<ParsedMigration> = Vec::with_capacity(migrations.len());
    let mut kept_from = 0;
    for (index, migration) in migrations.iter().enumerate() {
        if index == parsed.len() {
            let batch = &migrations[index..(index + PARSE_AHEAD).min(migrations.len())];
            parsed.par_extend(batch.par_iter().map(|migration| {
                parse::parse_migration(&workspace.files[migration.file].text, migration)
            }));
        }
        output.statements += parsed[index].statements.len();
        output.statement_spans.extend(
            parsed[index]
                .statements
                .iter()
                .map(|s| (migration.file, s.span.clone()))
                .chain(
                    parsed[index]
                        .syntax_errors
                        .iter()
                        .map(|e| (migration.file, e.span.clone())),
                ),
        );
        let ctx = MigrationContext {
            config,
            set,
            migration,
            index,
            file: &workspace.files[migration.file],
            parsed: &parsed[index],
            earlier: &parsed[..index],
            history: history.baseline.map(|baseline| {
                (
                    baseline,
                    baseline.migration(migration.file, &migration.name),
                )
            }),
        };
        for active_rule in active {
            active_rule.rule.check_migration(&ctx, &mut findings);
            attribute(&mut findings, active_rule, Some(&migration.name), out);
        }
        for (statement_index, statement) in ctx.parsed.statements.iter().enumerate() {
            if !statement.bookkeeping {
                let targets = targets(&catalog, &statement.node);
                let statement_ctx = StatementContext {
                    migration: &ctx,
                    statement,
                    index: statement_index,
                    catalog: &catalog,
                    targets: &targets,
                };
                for active_rule in active {
                    active_rule
                        .rule
                        .check_statement(&statement_ctx, &mut findings);
                    attribute(&mut findings, active_rule, Some(&migration.name), out);
                }
            }
            let origin = Origin {
                migration: index,
                statement: statement_index,
            };
            catalog.apply(&statement.node, origin);
        }
        for active_rule in active {
            active_rule
                .rule
                .after_migration(&ctx, &catalog, &mut findings);
            attribute(&mut findings, active_rule, Some(&migration.name), out);
        }
        let next = migrations.get(index + 1);
        // The shadow rules look at every statement of the set once it has been replayed.
        let keep = trace.is_some();
        if !keep && !next.is_some_and(|next| next.may_share_transaction_with(migration)) {
            for released in &mut parsed[kept_from..=index] {
                *released = ParsedMigration::default();
            }
            kept_from = index + 1;
        }
    }
    let ctx = SetContext {
        config,
        set,
        files: &workspace.files,
        applied: history.applied,
    };
    for active_rule in active {
        active_rule.rule.check_set(&ctx, &mut findings);
        attribute(&mut findings, active_rule, None, out);
    }
    if let (Some(trace), Some(whole)) = (trace, history.trace) {
        let ctx = TraceContext {
            config,
            set,
            files: &workspace.files,
            parsed: &parsed,
            trace,
            server: &whole.server,
        };
        for active_rule in active.iter().filter(|a| a.rule.needs_shadow()) {
            active_rule.rule.check_trace(&ctx, &mut findings);
            attribute(&mut findings, active_rule, None, out);
        }
    }
    output
}

/// Turns a rule's findings into diagnostics.
fn attribute(
    findings: &mut Vec<Finding>,
    active: &ActiveRule,
    migration: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    out.extend(findings.drain(..).map(|finding| Diagnostic {
        rule: active.rule.meta().id,
        severity: active.severity,
        message: finding.message,
        help: finding.help,
        file: finding.file,
        span: finding.span,
        migration: finding.migration.or_else(|| migration.map(str::to_owned)),
    }));
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
    for (&file, spans) in statement_spans {
        let next_end = |after: usize| {
            spans
                .iter()
                .filter(|span| span.start >= after)
                .min_by_key(|span| span.start)
                .map_or(after, |span| span.end)
        };
        let found = suppress::directives(file, &workspace.files[file].text, next_end);
        if !found.is_empty() {
            directives.insert(file, found);
        }
    }
    let mut used: HashMap<(FileId, usize), Vec<bool>> = HashMap::new();
    let mut kept = Vec::with_capacity(diagnostics.len());
    for diagnostic in diagnostics {
        let mut suppressed = false;
        for (index, directive) in directives
            .get(&diagnostic.file)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(id_index) = directive.covers(diagnostic.rule, diagnostic.span.start) {
                used.entry((diagnostic.file, index))
                    .or_insert_with(|| vec![false; directive.ids.len()])[id_index] = true;
                suppressed = true;
            }
        }
        if !suppressed {
            kept.push(diagnostic);
        }
    }

    let Some(unused_rule) = active
        .iter()
        .find(|a| a.rule.meta().id == "unused-suppression")
    else {
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
                *flag |= !active.iter().any(|a| a.rule.meta().id == id)
                    || (rule.needs_shadow() && !shadow_ran);
            }
            rules::unused_suppression::check(directive, &flags, &mut findings);
        }
    }
    kept.extend(findings.into_iter().map(|(finding, severity)| Diagnostic {
        rule: unused_rule.rule.meta().id,
        severity: severity.unwrap_or(unused_rule.severity),
        message: finding.message,
        help: finding.help,
        file: finding.file,
        span: finding.span,
        migration: None,
    }));
    kept
}
