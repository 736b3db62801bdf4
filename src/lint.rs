//! The static pipeline: parsed migrations → catalog replay → rule findings → suppressions.
//!
//! With `--shadow`, what the shadow stage observed arrives as plain data ([`Trace`]); the
//! shadow rules turn it into findings here, so suppressions and every output format treat
//! them like the others. Nothing here depends on the shadow stage itself.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

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
        if raw.is_empty() {
            raw = output.diagnostics;
        } else {
            raw.extend(output.diagnostics);
        }
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
) -> SetOutput {
    let migrations = &set.migrations;
    let parse_batch = |from: usize| -> Vec<ParsedMigration> {
        let batch = &migrations[from..(from + PARSE_AHEAD).min(migrations.len())];
        batch
            .par_iter()
            .map(|migration| {
                parse::parse_migration(&workspace.files[migration.file].text, migration)
            })
            .collect()
    };
    let mut linter = SetLinter {
        set,
        workspace,
        config,
        history,
        active,
        catalog: Catalog::default(),
        findings: Vec::new(),
        output: SetOutput {
            diagnostics: Vec::new(),
            statement_spans: Vec::new(),
            migrations: migrations.len(),
            statements: 0,
        },
    };
    // Parsed migrations, indexed like `migrations`. Rules may look back only within a
    // transaction, so those before `kept_from` have been released (left empty); the shadow
    // rules look at every statement of the set, so with a trace nothing is released.
    let mut parsed: Vec<ParsedMigration> = Vec::with_capacity(migrations.len());
    let mut kept_from = 0;
    let mut next = parse_batch(0);
    while !next.is_empty() {
        let from = parsed.len();
        parsed.append(&mut next);
        let to = parsed.len();
        let linted = &parsed;
        let linter = &mut linter;
        ((), next) = rayon::join(
            || (from..to).for_each(|index| linter.lint_migration(index, linted)),
            || parse_batch(to),
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
    linter.finish(trace, &parsed)
}

/// The state of linting one set: the catalog so far and what the rules reported.
struct SetLinter<'a> {
    set: &'a MigrationSet,
    workspace: &'a Workspace,
    config: &'a Config,
    history: History<'a>,
    active: &'a [ActiveRule],
    catalog: Catalog,
    /// A rule's findings, before they become diagnostics.
    findings: Vec<Finding>,
    output: SetOutput,
}

impl SetLinter<'_> {
    /// Runs the migration and statement hooks on migration `index` and replays it into the
    /// catalog. `parsed` holds every migration up to `index` that rules may look back on.
    fn lint_migration(&mut self, index: usize, parsed: &[ParsedMigration]) {
        let migration = &self.set.migrations[index];
        let out = &mut self.output.diagnostics;
        let findings = &mut self.findings;
        let name: Arc<str> = Arc::from(migration.name.as_str());
        self.output.statements += parsed[index].statements.len();
        self.output.statement_spans.extend(
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
            config: self.config,
            set: self.set,
            migration,
            index,
            file: &self.workspace.files[migration.file],
            parsed: &parsed[index],
            earlier: &parsed[..index],
            history: self.history.baseline.map(|baseline| {
                (
                    baseline,
                    baseline.migration(migration.file, &migration.name),
                )
            }),
        };
        for active_rule in self.active {
            active_rule.rule.check_migration(&ctx, findings);
            attribute(findings, active_rule, Some(&name), out);
        }
        for (statement_index, statement) in ctx.parsed.statements.iter().enumerate() {
            if !statement.bookkeeping {
                let targets = targets(&self.catalog, &statement.node);
                let statement_ctx = StatementContext {
                    migration: &ctx,
                    statement,
                    index: statement_index,
                    catalog: &self.catalog,
                    targets: &targets,
                };
                for active_rule in self.active {
                    active_rule.rule.check_statement(&statement_ctx, findings);
                    attribute(findings, active_rule, Some(&name), out);
                }
            }
            let origin = Origin {
                migration: index,
                statement: statement_index,
            };
            self.catalog.apply(&statement.node, origin);
        }
        for active_rule in self.active {
            active_rule
                .rule
                .after_migration(&ctx, &self.catalog, findings);
            attribute(findings, active_rule, Some(&name), out);
        }
    }

    /// Runs the set hooks, and with `--shadow` the shadow rules over `parsed` (every migration
    /// of the set).
    fn finish(mut self, trace: Option<&SetTrace>, parsed: &[ParsedMigration]) -> SetOutput {
        let out = &mut self.output.diagnostics;
        let findings = &mut self.findings;
        let ctx = SetContext {
            config: self.config,
            set: self.set,
            files: &self.workspace.files,
            applied: self.history.applied,
        };
        for active_rule in self.active {
            active_rule.rule.check_set(&ctx, findings);
            attribute(findings, active_rule, None, out);
        }
        if let (Some(trace), Some(whole)) = (trace, self.history.trace) {
            let ctx = TraceContext {
                config: self.config,
                set: self.set,
                files: &self.workspace.files,
                parsed,
                trace,
                server: &whole.server,
            };
            for active_rule in self.active.iter().filter(|a| a.rule.needs_shadow()) {
                active_rule.rule.check_trace(&ctx, findings);
                attribute(findings, active_rule, None, out);
            }
        }
        self.output
    }
}

/// Turns a rule's findings into diagnostics.
fn attribute(
    findings: &mut Vec<Finding>,
    active: &ActiveRule,
    migration: Option<&Arc<str>>,
    out: &mut Vec<Diagnostic>,
) {
    out.extend(findings.drain(..).map(|finding| {
        Diagnostic {
            rule: active.rule.meta().id,
            severity: active.severity,
            message: finding.message,
            help: finding.help,
            file: finding.file,
            span: finding.span,
            migration: finding
                .migration
                .map(Arc::from)
                .or_else(|| migration.cloned()),
        }
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
    let mut kept = diagnostics;
    kept.retain(|diagnostic| {
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
        !suppressed
    });

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
