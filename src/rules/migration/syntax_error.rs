//! `syntax-error`: PostgreSQL's grammar rejects a statement.

use crate::diagnostic::Finding;
use crate::engine::{MigrationContext, Rule, declare_rule};

declare_rule! {
    pub struct SyntaxErrorRule {
        id: "syntax-error",
        family: Migration,
        severity: Error,
        summary: "PostgreSQL cannot parse a statement",
    }
}

impl Rule for SyntaxErrorRule {
    fn check_migration(&self, ctx: &MigrationContext, out: &mut Vec<Finding>) {
        for error in &ctx.parsed.syntax_errors {
            let at = &ctx.file.text[error.span.clone()];
            let help = if at.starts_with('\\') {
                "psql meta-commands (`\\set`, `\\connect`, ...) are not SQL: migration tools send the file \
                 to the server, which rejects them. Remove them from the migration."
            } else {
                "The migration will fail here when it runs. Fix the statement; statements after it in \
                 this migration were still linted."
            };
            out.push(
                Finding::new(
                    ctx.migration.file,
                    error.span.clone(),
                    error.message.clone(),
                )
                .help(help),
            );
        }
    }
}
