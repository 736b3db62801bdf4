//! `unused-suppression`: a suppression comment that silences nothing, names no rule, or cannot be
//! read.

use crate::diagnostic::{Diagnostic, Finding, Severity};
use crate::engine::suppress::{Directive, Malformed, Suppressions};
use crate::engine::{ActiveRule, Rule, declare_rule};
use crate::rules;

declare_rule! {
    pub struct UnusedSuppression {
        id: "unused-suppression",
        family: Migration,
        severity: Warning,
        summary: "A chronos-lint suppression comment is malformed, names an unknown rule or silences nothing",
    }
}

impl Rule for UnusedSuppression {}

/// The findings of this rule once every other finding has been judged: suppressions that are
/// malformed, name unknown rules or silence nothing.
pub fn judge(
    suppressions: Suppressions,
    active: &[ActiveRule],
    shadow_ran: bool,
) -> Vec<Diagnostic> {
    let Some(unused_rule) = active.iter().find(|a| a.rule.id() == UnusedSuppression::ID) else {
        return Vec::new();
    };
    let (directives, malformed) = suppressions.into_judged();
    let mut findings = Vec::new();
    for (directive, mut used) in directives {
        // A suppression of a rule the config turned off, or of a shadow rule in a run
        // without `--shadow`, is not stale.
        for ((id, _), flag) in directive.ids.iter().zip(&mut used) {
            let Some(rule) = rules::find(id) else {
                continue;
            };
            *flag |= !active.iter().any(|a| a.rule.id() == rule.id())
                || (rule.meta().needs_shadow() && !shadow_ran);
        }
        check(&directive, &used, &mut findings);
    }
    for bad in &malformed {
        check_malformed(bad, &mut findings);
    }
    findings
        .into_iter()
        .map(|(finding, severity)| Diagnostic {
            rule: unused_rule.rule.id(),
            severity: severity.unwrap_or(unused_rule.severity),
            message: finding.message,
            help: finding.help,
            file: finding.file,
            span: finding.span,
            migration: None,
            suggestions: finding.suggestions.into_boxed_slice(),
        })
        .collect()
}

/// Findings for the ids of `directive` that name no rule (always errors) or were never used.
/// `used[i]` tells whether `directive.ids[i]` silenced a diagnostic.
pub fn check(directive: &Directive, used: &[bool], out: &mut Vec<(Finding, Option<Severity>)>) {
    if directive.ids.is_empty() {
        let finding = Finding::new(
            directive.file,
            directive.span.clone(),
            "suppression comment names no rule",
        )
        .help("Write the rule ids to silence: `-- chronos-lint: ignore <id>[, <id>] -- <reason>`.");
        out.push((finding, Some(Severity::Error)));
    }
    for ((id, span), &used) in directive.ids.iter().zip(used) {
        if crate::rules::find(id).is_none() {
            let finding = Finding::new(
                directive.file,
                span.clone(),
                format!("unknown rule id `{id}` in suppression"),
            )
            .help("`chronos-lint rules` lists the rule ids.");
            out.push((finding, Some(Severity::Error)));
        } else if !used {
            let finding = Finding::new(
                directive.file,
                span.clone(),
                format!("suppression of `{id}` is unused"),
            )
            .help(
                "Nothing here triggers this rule any more: remove the id (or the whole comment).",
            );
            out.push((finding, None));
        }
    }
}

/// A comment that starts like a suppression and is none: it silences nothing, so it is an error
/// whatever the rule's severity, as an unknown rule id is.
pub fn check_malformed(malformed: &Malformed, out: &mut Vec<(Finding, Option<Severity>)>) {
    let finding = Finding::new(malformed.file, malformed.span.clone(), &malformed.problem).help(
        "A suppression is `-- chronos-lint: ignore <id>[, <id>] -- <reason>` (the next \
             statement, or the statement of its line when code comes first) or \
             `-- chronos-lint: ignore-file <id>[, <id>] -- <reason>`, also as a `/* */` comment. \
             A comment that is no suppression must not start with `chronos-lint`.",
    );
    out.push((finding, Some(Severity::Error)));
}
