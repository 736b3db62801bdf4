//! `extension-unavailable`: the shadow server lacks an extension a migration creates, so what
//! depends on it could not be verified (`--shadow`).

use crate::diagnostic::Finding;
use crate::engine::{Rule, TraceContext, declare_rule};

declare_rule! {
    pub struct ExtensionUnavailable {
        id: "extension-unavailable",
        family: Shadow,
        severity: Warning,
        summary: "with --shadow: the shadow server lacks an extension a migration creates, so some migrations were not verified",
    }
}

const HELP: &str = "Install the extension into the PostgreSQL the shadow runs (PG_BIN, or the \
                    first `pg_config --bindir`), or pass --shadow-url with a server that has it. \
                    Debian packages PostGIS (`postgresql-15-postgis-3`); TimescaleDB, pgvector \
                    and Apache AGE come from their own repositories.";

const CONFINED_HELP: &str = "Check these migrations with --shadow, a private throwaway cluster \
                             where the migrations run as its superuser. On --shadow-url they \
                             run as a role that may change nothing outside the shadow database, \
                             and creating an untrusted extension runs its script as a \
                             superuser.";

impl Rule for ExtensionUnavailable {
    fn check_trace(&self, ctx: &TraceContext, out: &mut Vec<Finding>) {
        // The failure the missing extension caused, if any.
        let blamed = ctx.trace.failure.as_ref().and_then(|failure| {
            failure
                .missing_extension
                .as_deref()
                .map(|name| (failure, name))
        });
        let unverified = |failure: &crate::trace::Failure| {
            format!(
                "`{}` failed without it ({}), so {} could not be verified",
                ctx.set.migrations[failure.migration].name,
                failure.message,
                ctx.migration_names(failure.migration).join(", ")
            )
        };
        for missing in &ctx.trace.missing_extensions {
            let at_failure = blamed.filter(|(failure, _)| {
                failure.migration == missing.migration && failure.statement == missing.statement
            });
            let span = match at_failure {
                Some((failure, _)) => failure.span.clone(),
                None => ctx
                    .mention_span(missing.migration, missing.statement, &missing.name)
                    .unwrap_or_else(|| ctx.first_token_span(missing.migration, missing.statement)),
            };
            let consequence = match blamed {
                Some((failure, _)) if at_failure.is_some() => format!(
                    "{} could not be verified",
                    ctx.migration_names(failure.migration).join(", ")
                ),
                Some((failure, name)) if name == missing.name => unverified(failure),
                _ => "no later statement of the set failed without it, but nothing that uses it \
                      was checked"
                    .to_owned(),
            };
            let skipped = if at_failure.is_some() {
                "creating it failed, so"
            } else {
                "`CREATE EXTENSION` was skipped;"
            };
            let (why, help) = if missing.needs_superuser {
                (
                    "may only be created by a superuser, and on the --shadow-url server the \
                     migrations run as a role confined to the shadow database",
                    CONFINED_HELP,
                )
            } else {
                ("is not available on the shadow server", HELP)
            };
            out.push(
                ctx.finding(
                    missing.migration,
                    span,
                    format!(
                        "extension `{}` {why} ({}): {skipped} {consequence}",
                        missing.name, ctx.server
                    ),
                )
                .help(help),
            );
        }
        // A failure caused by an extension skipped in an earlier set of the same database.
        if let Some((failure, name)) = blamed
            && !ctx.trace.missing_extensions.iter().any(|m| m.name == name)
        {
            out.push(
                ctx.finding(
                    failure.migration,
                    failure.span.clone(),
                    format!(
                        "extension `{name}` is not available on the shadow server ({}): {}",
                        ctx.server,
                        unverified(failure)
                    ),
                )
                .help(HELP),
            );
        }
    }
}
