//! The driver of one migration set: runs the active rules' hooks in order (each migration's, each
//! statement's with the catalog as it stood before it, then the set's and, with `--shadow`, the
//! shadow rules'), replays the set into the catalog, and turns the rules' findings into
//! diagnostics. Parsing, the cache and suppressions are the pipeline's ([`crate::lint`]).

use std::collections::HashSet;
use std::sync::Arc;

use super::{
    MigrationContext, Rule, SessionSoFar, SetContext, StatementContext, TableUse, TraceContext,
    TransactionSoFar, WorkspaceContext,
};
use crate::applied::AppliedMigration;
use crate::catalog::{Action, Catalog, Origin, Target, is_tracking_table, table_locks, targets};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Finding, Severity, Text};
use crate::parse::{ParsedMigration, Statement, ast, locate};
use crate::source::history::Baseline;
use crate::source::{Migration, MigrationSet, SourceFile, SourceKind, Workspace};
use crate::trace::{SetTrace, Trace};

/// A rule that is on, with its configured severity.
pub struct ActiveRule {
    pub rule: &'static dyn Rule,
    pub severity: Severity,
}

impl ActiveRule {
    /// The rules of `registry` that `config` leaves on, in registry order, with their severity.
    pub fn select(registry: &[&'static dyn Rule], config: &Config) -> Vec<ActiveRule> {
        registry
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
            .collect()
    }
}

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

/// One migration's part of a set's lint output.
#[derive(Debug, Clone, Default)]
pub struct MigrationResults {
    pub diagnostics: Vec<Diagnostic>,
    /// Spans of its statements and syntax errors (where `ignore` comments apply).
    pub statement_spans: Vec<std::ops::Range<usize>>,
    pub statements: usize,
    /// With no owners' table patterns, the tables it uses that its set had not created before
    /// (for [`check_workspace`]).
    pub table_uses: Vec<TableUse>,
}

/// The state of linting one set: the catalog so far.
pub struct SetDriver<'a> {
    set: &'a MigrationSet,
    workspace: &'a Workspace,
    config: &'a Config,
    history: History<'a>,
    active: &'a [ActiveRule],
    catalog: Catalog,
    /// What the transaction of the next statement has run so far.
    transaction: TransactionSoFar,
    /// What the session of the next statement has set so far.
    session: SessionSoFar,
    collector: Collector,
}

impl<'a> SetDriver<'a> {
    /// Starts `set` with an empty catalog.
    pub fn new(
        set: &'a MigrationSet,
        workspace: &'a Workspace,
        config: &'a Config,
        history: History<'a>,
        active: &'a [ActiveRule],
    ) -> Self {
        SetDriver {
            set,
            workspace,
            config,
            history,
            active,
            catalog: Catalog::default(),
            transaction: TransactionSoFar::default(),
            session: SessionSoFar::default(),
            collector: Collector::default(),
        }
    }

    /// Runs the migration and statement hooks on migration `index` and replays it into the
    /// catalog. `parsed` holds every migration up to `index` that rules may look back on.
    pub fn lint_migration(&mut self, index: usize, parsed: &[ParsedMigration]) -> MigrationResults {
        let migration = &self.set.migrations[index];
        let mut results = MigrationResults {
            diagnostics: Vec::new(),
            statement_spans: parsed[index]
                .statements
                .iter()
                .map(|s| s.span.clone())
                .chain(parsed[index].syntax_errors.iter().map(|e| e.span.clone()))
                .collect(),
            statements: parsed[index].statements.len(),
            table_uses: Vec::new(),
        };
        let name: Arc<str> = Arc::from(migration.name.as_str());
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
        let out = &mut results.diagnostics;
        let collector = &mut self.collector;
        for active_rule in self.active {
            active_rule
                .rule
                .check_migration(&ctx, &mut collector.findings);
            collector.attribute(active_rule, Some(&name), out);
        }
        for (statement_index, statement) in ctx.parsed.statements.iter().enumerate() {
            self.transaction.advance(self.set, index, statement);
            self.session.advance(self.set, index);
            let locks = table_locks(&self.catalog, &statement.node);
            if !statement.bookkeeping {
                let targets = targets(&self.catalog, &statement.node);
                // Only another set can be another system.
                if !self.config.owners_by_pattern() && self.workspace.sets.len() > 1 {
                    let file = &self.workspace.files[migration.file];
                    record_table_uses(
                        &self.catalog,
                        (migration, file, &name),
                        statement,
                        &targets,
                        &mut results.table_uses,
                    );
                }
                let statement_ctx = StatementContext {
                    migration: &ctx,
                    statement,
                    index: statement_index,
                    catalog: &self.catalog,
                    targets: &targets,
                    locks: &locks,
                    transaction: &self.transaction,
                    session: &self.session,
                    written: Default::default(),
                };
                for active_rule in self.active {
                    active_rule
                        .rule
                        .check_statement(&statement_ctx, &mut collector.findings);
                    collector.attribute(active_rule, Some(&name), out);
                }
            }
            self.transaction
                .record(index, statement_index, statement, &locks);
            self.session.record(
                &self.catalog,
                index,
                self.config.pg_version,
                statement,
                &locks,
            );
            let origin = Origin {
                migration: index,
                statement: statement_index,
            };
            self.catalog.apply(&statement.node, origin);
        }
        for active_rule in self.active {
            active_rule
                .rule
                .after_migration(&ctx, &self.catalog, &mut collector.findings);
            collector.attribute(active_rule, Some(&name), out);
        }
        // Kept to the end of the run: without the slack of growing.
        results.diagnostics.shrink_to_fit();
        results
    }

    /// Replays migration `index` into the catalog without judging it (its results are known).
    pub fn replay(&mut self, index: usize, parsed: &ParsedMigration) {
        // A replayed migration's locks matter only where its transaction goes on into a judged
        // one: an Alembic file's next revision (drizzle's count within a migration, and a plain
        // file's transaction ends with it).
        let carries_locks = self.set.migrations[index].kind() == SourceKind::Alembic;
        for (statement_index, statement) in parsed.statements.iter().enumerate() {
            self.transaction.advance(self.set, index, statement);
            let locks = if carries_locks {
                table_locks(&self.catalog, &statement.node)
            } else {
                Vec::new()
            };
            self.transaction
                .record(index, statement_index, statement, &locks);
            // Only the settings: the locks matter to the migration being judged.
            self.session.advance(self.set, index);
            self.session.record_settings(statement);
            let origin = Origin {
                migration: index,
                statement: statement_index,
            };
            self.catalog.apply(&statement.node, origin);
        }
    }

    /// Runs the set hooks, and with `--shadow` the shadow rules over `parsed` (every migration
    /// of the set).
    pub fn finish(
        mut self,
        trace: Option<&SetTrace>,
        parsed: &[ParsedMigration],
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let collector = &mut self.collector;
        let ctx = SetContext {
            config: self.config,
            set: self.set,
            files: &self.workspace.files,
            applied: self.history.applied,
        };
        for active_rule in self.active {
            active_rule.rule.check_set(&ctx, &mut collector.findings);
            collector.attribute(active_rule, None, &mut out);
        }
        if let (Some(trace), Some(whole)) = (trace, self.history.trace) {
            let ctx = TraceContext {
                config: self.config,
                set: self.set,
                files: &self.workspace.files,
                parsed,
                trace,
                server: &whole.server,
                confined: whole.confined,
            };
            for active_rule in self.active.iter().filter(|a| a.rule.meta().needs_shadow()) {
                active_rule.rule.check_trace(&ctx, &mut collector.findings);
                collector.attribute(active_rule, None, &mut out);
            }
        }
        out
    }
}

/// Adds to `uses` the tables `statement` uses that `catalog` (its set so far) does not hold: with
/// no owners' patterns, whoever creates a table first owns it, and only the workspace can tell.
/// Temporary tables and the migration tools' own tables are no system's.
fn record_table_uses(
    catalog: &Catalog,
    (migration, file, name): (&Migration, &SourceFile, &Arc<str>),
    statement: &Statement,
    targets: &[Target],
    uses: &mut Vec<TableUse>,
) {
    if ast::creates_temporary_table(&statement.node) {
        return;
    }
    // The table a foreign key in the statement is on.
    let from = targets
        .iter()
        .find(|target| matches!(target.action, Action::Create | Action::Alter))
        .map(|target| &target.table);
    for target in targets {
        if catalog.table(&target.table).is_some() || is_tracking_table(&target.table) {
            continue;
        }
        uses.push(TableUse {
            table: target.table.clone(),
            action: target.action,
            via: target.via.clone(),
            from: from.filter(|_| target.action == Action::Reference).cloned(),
            file: migration.file,
            span: locate::name_span(&file.text, statement, target.location, &target.table.name),
            migration: Arc::clone(name),
        });
    }
}

/// Runs the workspace hook of the active rules over every set's table uses.
pub fn check_workspace(ctx: &WorkspaceContext, active: &[ActiveRule]) -> Vec<Diagnostic> {
    let mut collector = Collector::default();
    let mut out = Vec::new();
    for active_rule in active {
        active_rule
            .rule
            .check_workspace(ctx, &mut collector.findings);
        collector.attribute(active_rule, None, &mut out);
    }
    out
}

/// Collects a rule's findings and turns them into diagnostics.
#[derive(Default)]
struct Collector {
    /// What the rule just reported.
    findings: Vec<Finding>,
    /// Help texts seen in this set: thousands of findings share a few hundred texts (the same
    /// advice for the same table or the same configuration), so each is kept once.
    help_texts: HashSet<Arc<str>>,
}

impl Collector {
    /// Moves the findings into `out` as diagnostics of `active`'s rule.
    fn attribute(
        &mut self,
        active: &ActiveRule,
        migration: Option<&Arc<str>>,
        out: &mut Vec<Diagnostic>,
    ) {
        let help_texts = &mut self.help_texts;
        out.extend(self.findings.drain(..).map(|mut finding| {
            Diagnostic {
                rule: active.rule.id(),
                severity: active.severity,
                // Kept to the end of the run: without the slack `format!` leaves.
                message: {
                    finding.message.shrink_to_fit();
                    finding.message
                },
                help: finding.help.map(|help| match help {
                    Text::Shared(text) => Text::Shared(match help_texts.get(&text) {
                        Some(seen) => Arc::clone(seen),
                        None => {
                            help_texts.insert(Arc::clone(&text));
                            text
                        }
                    }),
                    fixed => fixed,
                }),
                file: finding.file,
                span: finding.span,
                migration: finding
                    .migration
                    .map(Arc::from)
                    .or_else(|| migration.cloned()),
                suggestions: finding.suggestions.into_boxed_slice(),
            }
        }));
    }
}
