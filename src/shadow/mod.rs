//! Shadow stage (`--shadow`): the migrations applied for real to a throwaway PostgreSQL, with
//! the transactions their tools use, observing what each statement locks, rewrites and creates.
//! The result is a [`Trace`] of plain data; the shadow rules turn it into findings. The static
//! pipeline does not depend on this module.
//!
//! Sets are applied in workspace order to one database, each on its own session.
//!
//! `CHRONOS_SHADOW_TIMINGS=1` prints how long each phase took to stderr (see BENCHMARKS.md).

mod apply;
mod cleanup;
pub mod cluster;
mod observe;
mod progress;
mod target;

use std::time::Duration;

use sqlx::Connection;

use crate::database::{connect_within, redact};
use crate::parse::{self, ParsedMigration};
use crate::source::Workspace;
use crate::trace::Trace;

use self::apply::{Run, SetInput};
use self::cluster::Cluster;
use self::progress::Progress;
pub use self::target::Connect;
use self::target::Target;

/// Why the shadow stage could not run: about the shadow itself, never the migrations.
#[derive(Debug, thiserror::Error)]
pub enum ShadowError {
    #[error("cannot start the database client: {0}")]
    Runtime(#[source] std::io::Error),
    /// No server binaries (or none that say their version).
    #[error(transparent)]
    Binaries(#[from] cluster::ClusterError),
    #[error("cannot start the shadow PostgreSQL: {0}")]
    Start(#[source] cluster::ClusterError),
    #[error(transparent)]
    Target(#[from] target::TargetError),
    #[error("the server of {description} stopped during the run (was it killed?): {source}")]
    ServerStopped {
        description: String,
        #[source]
        source: sqlx::Error,
    },
    /// A session on the shadow database failed (the reason, with any password of
    /// `--shadow-url` redacted).
    #[error("shadow database ({description}): {reason}")]
    Session { description: String, reason: String },
}

/// How to run the shadow stage.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to connect: the server of `--shadow-url` to create the shadow database on, else a
    /// throwaway cluster.
    pub connect: Connect,
    /// Show progress on stderr.
    pub progress: bool,
    pub limits: Limits,
}

/// How long the shadow waits on the server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// For a session (`--connect-timeout`).
    pub connect: Duration,
    /// For one statement of a migration, which is then canceled and reported as its failure
    /// (`--shadow-statement-timeout`); `None`: no limit.
    pub statement: Option<Duration>,
}

/// How long one migration statement may run on the shadow by default: on an empty database,
/// minutes mean an endless loop or a sleep.
pub const DEFAULT_STATEMENT_LIMIT: Duration = Duration::from_secs(120);

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect: crate::database::DEFAULT_CONNECT_LIMIT,
            statement: Some(DEFAULT_STATEMENT_LIMIT),
        }
    }
}

/// Applies every migration set of `workspace` to a fresh database and records what happened.
/// Errors are about the shadow itself (no server binaries, no connection), never about the
/// migrations, whose failures are part of the trace.
pub fn run(workspace: &Workspace, options: &Options) -> Result<Trace, ShadowError> {
    let timings = Timings::new();
    let progress = Progress::new(options.progress);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ShadowError::Runtime)?;

    // Declared before the target so it is dropped after it.
    let cluster: Option<Cluster>;
    let url = options.connect.url();
    let target = match url {
        Some(_) => {
            progress.step("creating the shadow database");
            cluster = None;
            runtime.block_on(Target::create_on(&options.connect, options.limits.connect))?
        }
        None => {
            let binaries = cluster::find_binaries()?;
            progress.step(format!(
                "starting a throwaway PostgreSQL {} ({})",
                binaries.major,
                binaries.dir.display()
            ));
            cluster = Some(Cluster::start(&binaries).map_err(ShadowError::Start)?);
            let started = cluster.as_ref().expect("just started");
            timings.phase(if started.from_cache() {
                "cluster start (cached template)"
            } else {
                "cluster start (initdb, template made)"
            });
            runtime.block_on(Target::cluster(
                &options.connect,
                started,
                options.limits.connect,
            ))?
        }
    };
    if url.is_some() {
        timings.phase("shadow database created");
    }

    let parsed: Vec<Vec<ParsedMigration>> = workspace
        .sets
        .iter()
        .map(|set| {
            set.migrations
                .iter()
                .map(|migration| {
                    parse::parse_migration(&workspace.files[migration.file].text, migration)
                })
                .collect()
        })
        .collect();
    progress.migrations(workspace.sets.iter().map(|set| set.migrations.len()).sum());

    let traced = runtime.block_on(async {
        let mut conn = connect_within(&target.options, options.limits.connect).await?;
        let version: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut conn)
            .await?;
        // What the migrations' role may install: a superuser anything; the owner of the
        // database (the confined role of `--shadow-url`) only trusted extensions.
        let extensions: Vec<(String, bool)> = sqlx::query_as(
            "SELECT e.name::text, coalesce(v.superuser AND NOT v.trusted, false) \
               FROM pg_available_extensions e \
               LEFT JOIN pg_available_extension_versions v \
                 ON v.name = e.name AND v.version = e.default_version",
        )
        .fetch_all(&mut conn)
        .await?;
        let _ = conn.close().await;
        let (superuser_only, installable): (Vec<_>, Vec<_>) = extensions
            .into_iter()
            .partition(|(_, superuser_only)| target.confined && *superuser_only);

        let mut run = Run {
            available_extensions: installable.into_iter().map(|(name, _)| name).collect(),
            superuser_extensions: superuser_only.into_iter().map(|(name, _)| name).collect(),
            skipped_extensions: Vec::new(),
            shared: target.shared,
            limits: options.limits,
            progress: &progress,
        };
        let mut trace = Trace {
            server: format!(
                "PostgreSQL {}",
                version.split_whitespace().next().unwrap_or(&version)
            ),
            confined: target.confined,
            sets: Vec::with_capacity(workspace.sets.len()),
        };
        for (set, parsed) in workspace.sets.iter().zip(&parsed) {
            let input = SetInput {
                set,
                files: &workspace.files,
                parsed,
            };
            trace
                .sets
                .push(apply::apply_set(&mut run, &target.options, &input).await?);
        }
        Ok::<Trace, sqlx::Error>(trace)
    });
    drop(progress);
    let trace = traced.map_err(|err| {
        // A session that broke because the server died: say so, not only what the socket saw.
        if let Some(cluster) = &cluster
            && cluster.stopped_within(Duration::from_secs(2))
        {
            return ShadowError::ServerStopped {
                description: target.description.clone(),
                source: err,
            };
        }
        let reason = err.to_string();
        ShadowError::Session {
            description: target.description.clone(),
            reason: match url {
                Some(url) => redact(&reason, url),
                None => reason,
            },
        }
    })?;
    timings.phase(&format!(
        "{} migrations applied",
        workspace
            .sets
            .iter()
            .map(|set| set.migrations.len())
            .sum::<usize>()
    ));
    drop(target);
    drop(cluster);
    timings.phase("cleaned up");
    Ok(trace)
}

/// Phase times on stderr with `CHRONOS_SHADOW_TIMINGS` set.
struct Timings {
    last: Option<std::cell::Cell<std::time::Instant>>,
}

impl Timings {
    fn new() -> Self {
        Timings {
            last: std::env::var_os("CHRONOS_SHADOW_TIMINGS")
                .map(|_| std::cell::Cell::new(std::time::Instant::now())),
        }
    }

    fn phase(&self, what: &str) {
        if let Some(last) = &self.last {
            let now = std::time::Instant::now();
            eprintln!(
                "shadow timing: {what}: {} ms",
                now.duration_since(last.get()).as_millis()
            );
            last.set(now);
        }
    }
}
