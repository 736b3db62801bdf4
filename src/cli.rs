//! Command line: arguments in, exit code out. Wires the stages together.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::cache::{self, Cache};
use crate::config::Config;
use crate::diagnostic::Severity;
use crate::report::{self, Format, Report};
use crate::source::history::Baseline;
use crate::{applied, database, directus, lint, rules, shadow, source};

#[derive(Debug, Parser)]
#[command(
    name = "chronos-lint",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("CHRONOS_LINT_COMMIT"), ")"),
    about = "Schema-governance linter for PostgreSQL migrations shared by several migration systems"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Files or directories to lint (drizzle folders, Alembic projects and offline SQL, plain
    /// .sql, the folders of other migration tools).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output format [default: github under GitHub Actions, else human].
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// With `-` as the path: the path the SQL on standard input stands for.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,

    /// Configuration file (default: chronos-lint.toml found walking up from the working directory).
    #[arg(long)]
    config: Option<PathBuf>,

    /// Glob of paths to skip (repeatable), on top of the config's `exclude`.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,

    /// Walk into what `.gitignore` and `.ignore` files leave out, too.
    #[arg(long)]
    no_ignore: bool,

    /// Report only migrations added or changed since the merge base with this git ref; older
    /// ones are still replayed into the catalog. Enables `migration-modified`.
    #[arg(long, value_name = "REF")]
    changed_since: Option<String>,

    /// With --changed-since: fetch the ref when it is missing, and deepen a shallow clone's
    /// history until HEAD and the ref have a merge base.
    #[arg(long, requires = "changed_since")]
    fetch: bool,

    /// Compare drizzle migrations with the hashes in this database's
    /// `drizzle.__drizzle_migrations`, and read what Directus has configured there (read-only;
    /// nothing is written).
    #[arg(
        long,
        value_name = "URL",
        env = "CHRONOS_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,

    /// Also apply the migrations for real to a throwaway PostgreSQL started from the server
    /// binaries found ($PG_BIN, `pg_config --bindir`, PATH, /usr/lib/postgresql/*/bin), and
    /// report what it shows (the shadow rules). The cluster is removed afterwards.
    #[arg(long)]
    shadow: bool,

    /// With --shadow (implied): use this server instead of a throwaway cluster. A database
    /// `chronos_shadow_<random>` is created on it, used and dropped; nothing else is touched.
    #[arg(long, value_name = "URL")]
    shadow_url: Option<String>,

    /// Run only these rules (comma-separated ids); the others are off.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    select: Vec<String>,

    /// Turn these rules off (comma-separated ids), after --select.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    ignore: Vec<String>,

    /// Print how many findings each rule has (count, rule, summary) instead of the findings;
    /// with --format json, as a JSON array.
    #[arg(long)]
    statistics: bool,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    output_file: Option<PathBuf>,

    /// Print the findings only: no summary line, no progress.
    #[arg(long, short = 'q')]
    quiet: bool,

    /// When human output is coloured [auto: when it goes to a terminal and NO_COLOR is unset or
    /// empty].
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,

    /// Where results are cached between runs [default: .chronos-lint-cache in the working
    /// directory]. Safe to delete; a directory it creates ignores itself in git.
    #[arg(long, value_name = "DIR", env = "CHRONOS_LINT_CACHE_DIR")]
    cache_dir: Option<PathBuf>,

    /// Lint everything afresh, neither reading nor writing the cache.
    #[arg(long)]
    no_cache: bool,

    /// How long to wait for a session on a database server (--database-url, --shadow-url, the
    /// throwaway cluster) before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = database::DEFAULT_CONNECT_LIMIT.as_secs())]
    connect_timeout: u64,

    /// With --shadow: how long one migration statement may run before it is canceled and
    /// reported as failing (0: no limit). A migration's own `statement_timeout` does not lift it.
    #[arg(long, value_name = "SECONDS", default_value_t = shadow::DEFAULT_STATEMENT_LIMIT.as_secs())]
    shadow_statement_timeout: u64,
}

impl Cli {
    /// How long to wait on database servers.
    fn limits(&self) -> shadow::Limits {
        shadow::Limits {
            connect: Duration::from_secs(self.connect_timeout.max(1)),
            statement: (self.shadow_statement_timeout > 0)
                .then(|| Duration::from_secs(self.shadow_statement_timeout)),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the rules with their default severity.
    Rules,
    /// Print a rule's documentation.
    Explain {
        /// Rule id, e.g. ownership-violation.
        id: String,
    },
    /// Write a chronos-lint.toml for the migrations found here: one owner per migration set,
    /// with the tables its migrations create. Never overwrites a file.
    Init {
        /// Start from a preset instead (`chronos`: Project Chronos's owners and extensions).
        #[arg(long, value_name = "NAME")]
        preset: Option<String>,
        /// Where to look for migrations.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
    },
    /// Print a shell completion script (e.g. `chronos-lint completions bash > ~/.local/share/bash-completion/completions/chronos-lint`).
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

const EXIT_FINDINGS: u8 = 1;
const EXIT_INPUT_ERROR: u8 = 2;

/// Why a command stopped: printed once, as `error: <message>`, with its exit code
/// ([`Failure::exit`]).
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("cannot start the lint thread: {0}")]
    Thread(std::io::Error),
    #[error("unknown rule id `{0}` (see `chronos-lint rules`)")]
    UnknownRule(String),
    /// The configuration file cannot be read or is wrong.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("--select: unknown rule id `{0}` (see `chronos-lint rules`)")]
    UnknownSelected(String),
    #[error("--ignore: unknown rule id `{0}` (see `chronos-lint rules`)")]
    UnknownIgnored(String),
    #[error("--output-file {}: {}", .0.display(), .1)]
    OutputFile(PathBuf, std::io::Error),
    /// A pattern of `exclude` or `--exclude` is not a glob.
    #[error(transparent)]
    Exclude(#[from] crate::config::PatternError),
    #[error("--stdin-filename needs `-` among the paths")]
    StdinFilenameWithoutStdin,
    #[error("cannot read standard input: {0}")]
    ReadStdin(std::io::Error),
    #[error(
        "{}: standard input is over {} MiB; migrations that large are not linted (is it a data \
         dump?)",
        .0.display(),
        source::MAX_FILE_SIZE >> 20
    )]
    StdinTooLarge(PathBuf),
    #[error(
        "{}: standard input is not valid UTF-8 (invalid byte at offset {at})",
        .path.display()
    )]
    StdinNotUtf8 { path: PathBuf, at: usize },
    /// `--changed-since`: the git baseline cannot be read.
    #[error(transparent)]
    ChangedSince(#[from] crate::source::history::BaselineError),
    #[error("--database-url: {0}")]
    DatabaseUrl(#[from] crate::database::DatabaseError),
    #[error("--shadow: {0}")]
    Shadow(#[from] shadow::ShadowError),
    #[error("cannot write the report: {0}")]
    WriteReport(std::io::Error),
    #[error("init: {0}")]
    Init(#[from] crate::init::InitError),
}

impl Failure {
    /// Prints the failure and gives the exit code: every failure is an input error.
    fn exit(&self) -> ExitCode {
        eprintln!("error: {self}");
        ExitCode::from(EXIT_INPUT_ERROR)
    }
}

/// Stack of the threads that parse and lint. Deeply nested SQL (PostgreSQL accepts a few
/// hundred levels of `a || b || ...`) gives syntax trees that are walked, cloned and dropped
/// recursively, and libpg_query sizes its own depth limit to the stack it finds (up to the 2 MB
/// PostgreSQL allows); the memory is reserved, and only what is used is ever touched.
const LINT_STACK: usize = 256 << 20;

pub fn main() -> ExitCode {
    let cli = parse_args();
    // The shadow's connect options are made now, while this is the only thread: making them
    // without the libpq environment means unsetting its variables for a moment.
    let shadow_connect = (cli.shadow || cli.shadow_url.is_some()).then(|| {
        // SAFETY: no other thread runs yet (the rayon pool and the lint thread start below).
        unsafe { shadow::Connect::isolated(cli.shadow_url.clone()) }
    });
    // The rayon workers parse and lint the sets. Failing to size them (a pool already built)
    // only lowers the nesting depth that can be linted.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(LINT_STACK)
        .build_global();
    let worker = std::thread::Builder::new()
        .name("chronos-lint".into())
        .stack_size(LINT_STACK)
        .spawn(move || {
            let done = match cli.command {
                Some(Command::Rules) => Ok(list_rules()),
                Some(Command::Explain { ref id }) => explain(id),
                Some(Command::Init {
                    ref preset,
                    ref paths,
                }) => init(paths, preset.as_deref()),
                Some(Command::Completions { shell }) => Ok(completions(shell)),
                None => run(&cli, shadow_connect),
            };
            done.unwrap_or_else(|failure| failure.exit())
        });
    match worker.map(std::thread::JoinHandle::join) {
        Ok(Ok(code)) => code,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(err) => Failure::Thread(err).exit(),
    }
}

/// `init`: writes the configuration in the working directory and shows it.
fn init(paths: &[PathBuf], preset: Option<&str>) -> Result<ExitCode, Failure> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let text = crate::init::init(&cwd, paths, preset)?;
    print!("{text}");
    eprintln!(
        "wrote {}: check the owners and their table patterns, then run chronos-lint",
        crate::config::CONFIG_FILE_NAME
    );
    Ok(ExitCode::SUCCESS)
}

/// The command line, with an empty `CHRONOS_LINT_CACHE_DIR` or `CHRONOS_DATABASE_URL` taken as
/// unset: clap would take it for an empty value and refuse it, and a variable set to nothing
/// means none.
fn parse_args() -> Cli {
    let mut command = Cli::command();
    for id in ["cache_dir", "database_url"] {
        command = command.mut_arg(id, |arg| {
            let empty = arg
                .get_env()
                .and_then(std::env::var_os)
                .is_some_and(|value| value.is_empty());
            if empty { arg.env(None::<&str>) } else { arg }
        });
    }
    let mut matches = command.get_matches_mut();
    Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|err| err.format(&mut command).exit())
}

fn list_rules() -> ExitCode {
    let mut out = std::io::stdout().lock();
    let width = rules::REGISTRY
        .iter()
        .map(|rule| rule.meta().id.len())
        .max()
        .unwrap_or(0);
    for rule in rules::REGISTRY {
        let meta = rule.meta();
        let _ = writeln!(
            out,
            "{:<width$} {:<8} {}",
            meta.id,
            meta.severity.as_str(),
            meta.summary
        );
    }
    ExitCode::SUCCESS
}

fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    // Into a buffer first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    let _ = std::io::stdout().lock().write_all(&script);
    ExitCode::SUCCESS
}

/// `--statistics`: findings per rule, most first (then by id), as `count  rule  summary`, or
/// for JSON as `[{"rule", "count", "summary"}]`.
fn write_statistics(
    findings: &[crate::findings::Kept],
    json: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut counts: std::collections::BTreeMap<crate::engine::RuleId, usize> = Default::default();
    for diagnostic in findings {
        *counts.entry(diagnostic.rule).or_default() += 1;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|(a, m), (b, n)| n.cmp(m).then(a.cmp(b)));
    if json {
        let rows: Vec<_> = rows
            .iter()
            .map(|(id, count)| {
                serde_json::json!({"rule": id.as_str(), "count": count, "summary": id.meta().summary})
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        return writeln!(out);
    }
    let count_width = rows.first().map_or(1, |(_, n)| n.to_string().len());
    let id_width = rows
        .iter()
        .map(|(id, _)| id.as_str().len())
        .max()
        .unwrap_or(0);
    for (id, count) in rows {
        writeln!(
            out,
            "{count:>count_width$}  {:<id_width$}  {}",
            id.as_str(),
            id.meta().summary
        )?;
    }
    Ok(())
}

fn explain(id: &str) -> Result<ExitCode, Failure> {
    let rule = rules::find(id).ok_or_else(|| Failure::UnknownRule(id.to_owned()))?;
    print!("{}", rule.meta().doc);
    Ok(ExitCode::SUCCESS)
}

/// `--select` turns off every rule not listed, then `--ignore` the rules it lists.
fn select_rules(
    config: &mut Config,
    selected: &[String],
    ignored: &[String],
) -> Result<(), Failure> {
    if let Some(unknown) = selected.iter().find(|id| rules::find(id).is_none()) {
        return Err(Failure::UnknownSelected(unknown.clone()));
    }
    if let Some(unknown) = ignored.iter().find(|id| rules::find(id).is_none()) {
        return Err(Failure::UnknownIgnored(unknown.clone()));
    }
    for rule in rules::REGISTRY {
        let id = rule.meta().id;
        let off = (!selected.is_empty() && !selected.iter().any(|s| s == id))
            || ignored.iter().any(|i| i == id);
        if off {
            config.rules.insert(id.to_owned(), None);
        }
    }
    Ok(())
}

/// The paths to lint, with `-` replaced by the stdin file it stands for.
fn read_stdin(cli: &Cli) -> Result<(Vec<PathBuf>, Option<source::StdinSource>), Failure> {
    if !cli.paths.iter().any(|path| path.as_os_str() == "-") {
        if cli.stdin_filename.is_some() {
            return Err(Failure::StdinFilenameWithoutStdin);
        }
        return Ok((cli.paths.clone(), None));
    }
    let path = cli
        .stdin_filename
        .clone()
        .unwrap_or_else(|| PathBuf::from("stdin.sql"));
    // Read no further than the size limit of any migration, plus a byte to tell it was passed.
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::io::stdin(), source::MAX_FILE_SIZE + 1),
        &mut bytes,
    )
    .map_err(Failure::ReadStdin)?;
    if bytes.len() as u64 > source::MAX_FILE_SIZE {
        return Err(Failure::StdinTooLarge(path));
    }
    let text = String::from_utf8(bytes).map_err(|err| Failure::StdinNotUtf8 {
        path: path.clone(),
        at: err.utf8_error().valid_up_to(),
    })?;
    let paths = cli
        .paths
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                path.clone()
            } else {
                p.clone()
            }
        })
        .collect();
    Ok((paths, Some(source::StdinSource { path, text })))
}

/// Lints the paths and writes the report; the exit code tells whether findings reach
/// `--fail-on`. `shadow_connect`: where `--shadow` connects, when it is given.
fn run(cli: &Cli, shadow_connect: Option<shadow::Connect>) -> Result<ExitCode, Failure> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut config = Config::load(cli.config.as_deref(), &cwd, rules::is_rule)?;
    select_rules(&mut config, &cli.select, &cli.ignore)?;
    let exclude = config.exclude_matcher(&cli.exclude)?;

    let format = cli.format.unwrap_or_else(|| {
        let on_github = std::env::var("GITHUB_ACTIONS").is_ok_and(|value| value == "true");
        if on_github {
            Format::Github
        } else {
            Format::Human
        }
    });
    let (paths, stdin) = read_stdin(cli)?;

    let cache = (!cli.no_cache).then(|| {
        let dir = cli
            .cache_dir
            .clone()
            .unwrap_or_else(|| cwd.join(cache::DEFAULT_DIR));
        Cache::new(&dir, &config)
    });
    let options = source::Options {
        exclude: &exclude,
        ignore_files: !cli.no_ignore,
        named_in_context: true,
        // The SQL Alembic projects render is kept with the findings.
        rendered: cache
            .as_ref()
            .map(|cache| cache as &dyn source::alembic_project::RenderedStore),
    };
    let mut workspace = source::discover_with(&paths, &config, options, stdin);
    let baseline = cli
        .changed_since
        .as_ref()
        .map(|git_ref| Baseline::load_fetching(git_ref, &cwd, &workspace, cli.fetch))
        .transpose()?;
    let applied = cli
        .database_url
        .as_ref()
        .map(|url| applied::read_drizzle(url, cli.limits().connect))
        .transpose()?;
    // What Directus has configured there joins what the snapshot says; before the cache is
    // opened, as its key covers the configuration.
    if let Some(url) = &cli.database_url
        && let Some(live) = directus::read_live(url, cli.limits().connect)?
    {
        config.add_directus(live);
    }
    let trace = if let Some(connect) = shadow_connect {
        source::load_snapshots(&mut workspace);
        let options = shadow::Options {
            connect,
            limits: cli.limits(),
            // Progress only for a person watching: human output on a terminal.
            progress: format == Format::Human
                && !cli.quiet
                && cli.output_file.is_none()
                && std::io::stdout().is_terminal()
                && std::io::stderr().is_terminal(),
        };
        Some(shadow::run(&workspace, &options)?)
    } else {
        None
    };
    let history = lint::History {
        baseline: baseline.as_ref(),
        applied: applied.as_deref(),
        trace: trace.as_ref(),
    };
    let mut output = lint::lint(&workspace, &config, history, cache.as_ref());
    if let Some(cache) = &cache
        && std::env::var_os("CHRONOS_CACHE_STATS").is_some()
    {
        eprintln!("{}", cache.stats);
    }
    if let Some(baseline) = &baseline {
        output
            .findings
            .kept
            .retain(|d| baseline.is_reportable(d.file, d.migration.as_deref()));
    }

    let to_terminal = cli.output_file.is_none() && std::io::stdout().is_terminal();
    // Every format reports input errors; stderr names them too, unless the report already shows
    // them on this terminal.
    let shown_on_terminal =
        to_terminal && !cli.statistics && matches!(format, Format::Human | Format::Compact);
    if !shown_on_terminal {
        for error in &workspace.errors {
            eprintln!("{}", report::human::input_error(error));
        }
    }
    let color = format == Format::Human
        && match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                to_terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
            }
        };
    let report = Report {
        files: &workspace.files,
        findings: &output.findings,
        input_errors: &workspace.errors,
        stats: output.stats,
        color,
        quiet: cli.quiet,
    };
    let mut destination: Box<dyn Write> = match &cli.output_file {
        Some(path) => Box::new(
            std::fs::File::create(path).map_err(|err| Failure::OutputFile(path.clone(), err))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    // Stdout flushes every line by itself; thousands of diagnostics want one buffer.
    let mut out = std::io::BufWriter::new(&mut destination);
    let written = if cli.statistics {
        write_statistics(&output.findings.kept, format == Format::Json, &mut out)
    } else {
        report::write(format, &report, &mut out)
    };
    let written = written.and_then(|()| out.flush());
    drop(out);
    if let Err(err) = written
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(match &cli.output_file {
            Some(path) => Failure::OutputFile(path.clone(), err),
            None => Failure::WriteReport(err),
        });
    }

    let code = if !workspace.errors.is_empty() {
        ExitCode::from(EXIT_INPUT_ERROR)
    } else if cli
        .fail_on
        .threshold()
        .is_some_and(|threshold| output.findings.kept.iter().any(|d| d.severity >= threshold))
    {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends next: freeing every file and diagnostic one by one would only delay it.
    std::mem::forget(output);
    std::mem::forget(workspace);
    Ok(code)
}
