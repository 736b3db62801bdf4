//! `extension-not-allowed`: `CREATE EXTENSION` of an extension outside the allow-list, or by a
//! migration system that may not create extensions.

use pg_query::NodeEnum;

use crate::diagnostic::Finding;
use crate::engine::{Rule, StatementContext, declare_rule};

declare_rule! {
    pub struct ExtensionNotAllowed {
        id: "extension-not-allowed",
        family: Hygiene,
        severity: Error,
        summary: "CREATE EXTENSION of an extension not allowed, or from a source that may not",
    }
}

impl Rule for ExtensionNotAllowed {
    fn check_statement(&self, ctx: &StatementContext, out: &mut Vec<Finding>) {
        let NodeEnum::CreateExtensionStmt(stmt) = &ctx.statement.node else {
            return;
        };
        let policy = &ctx.migration.config.extensions;
        let name = &stmt.extname;
        let span = ctx.name_span(None, name);
        if let Some(allowed) = &policy.allowed
            && !allowed.contains(name)
        {
            let message = format!("extension `{name}` is not in `[extensions] allowed`");
            let help = format!(
                "The allowed extensions (chronos-lint.toml's `[extensions] allowed`, or its \
                 preset's) are those the production server provides and the team has agreed to \
                 depend on: {}. Creating another fails on a server where it is \
                 not installed and stops the migration there (drizzle-kit then rolls back every \
                 pending migration). Install it on every server first, then add it to \
                 `[extensions] allowed` in chronos-lint.toml.",
                allowed.join(", ")
            );
            out.push(ctx.finding(span.clone(), message).help(help));
        }
        if let (Some(owners), Some(owner)) =
            (&policy.owners, ctx.migration.migration.owner.as_deref())
            && !owners.iter().any(|allowed| allowed == owner)
        {
            let message = format!("{owner} migrations may not create extensions");
            let help = format!(
                "Extensions are database-wide and need elevated privileges; only {} migrations \
                 create them (`[extensions] owners` in chronos-lint.toml). Move `CREATE EXTENSION \
                 IF NOT EXISTS {}` to those migrations, and make this migration run after them.",
                owners.join(", "),
                quote_if_needed(name)
            );
            out.push(ctx.finding(span, message).help(help));
        }
    }
}

/// An extension name as SQL must write it: bare when it is a plain lower-case identifier.
fn quote_if_needed(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}
