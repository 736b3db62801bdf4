//! `unused-suppression`: a suppression comment that silences nothing, or names no rule.

use crate::diagnostic::{Finding, Severity};
use crate::engine::{Rule, declare_rule};
use crate::suppress::Directive;

declare_rule! {
    pub struct UnusedSuppression {
        id: "unused-suppression",
        family: Migration,
        severity: Warning,
        summary: "A chronos-lint suppression comment names an unknown rule or silences nothing",
    }
}

impl Rule for UnusedSuppression {}

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
