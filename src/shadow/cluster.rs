//! A throwaway PostgreSQL cluster: initdb'd (or copied from a cached template) into a temp
//! directory, listening only on a Unix socket there, stopped and removed when dropped or when
//! the run is interrupted (see `cleanup`). Each cluster has its own directory and socket, so
//! concurrent runs do not meet; a run killed outright is swept up by the next one.
//!
//! initdb and postgres refuse to run as root; as root the cluster runs as the `postgres` user
//! (which Debian's server package creates) in a directory made theirs.
//!
//! The server is started directly (not through `pg_ctl`, whose waits poll every 100 ms) in a
//! process group of its own, so a Ctrl-C on the terminal reaches only chronos-lint, whose
//! handler then stops it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use super::cleanup;

/// Why a throwaway cluster cannot be found, made or started.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no PostgreSQL server binaries found (initdb, pg_ctl, postgres). Install the server \
         (Debian/Ubuntu: `apt-get install postgresql`), set PG_BIN to their directory, or pass \
         --shadow-url postgres://... to use an existing server"
    )]
    NoBinaries,
    #[error("cannot read the version from `postgres --version`: {0}")]
    Version(String),
    #[error(
        "running as root, but there is no `postgres` user to run the shadow cluster as (initdb \
         and postgres refuse root); install the PostgreSQL server package, which creates it, or \
         run as an unprivileged user"
    )]
    NoPostgresUser,
    /// A file or directory of the cluster cannot be made, read or given to its user.
    #[error("{}: {source}", .path.display())]
    Path {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot create a temp dir: {source}", .base.display())]
    TempDir {
        base: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// A program (`initdb`, `cp`) failed, and said this.
    #[error("{program} failed: {stderr}{stdout}")]
    Failed {
        program: String,
        stderr: String,
        stdout: String,
    },
    #[error("cannot start {}: {source}", .program.display())]
    Start {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The server exited, or did not start in time; the last lines of its log.
    #[error("postgres {what}:\n{log}")]
    NotStarted { what: &'static str, log: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Pid(#[from] std::num::TryFromIntError),
}

/// Where the PostgreSQL server programs are.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub dir: PathBuf,
    /// Major version, from `postgres --version`.
    pub major: u32,
}

/// Finds `initdb`, `pg_ctl` and `postgres`: `$PG_BIN`, then `pg_config --bindir`, then `PATH`,
/// then the newest `/usr/lib/postgresql/*/bin`.
pub fn find_binaries() -> Result<Binaries, ClusterError> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("PG_BIN") {
        candidates.push(dir.into());
    }
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        candidates.push(String::from_utf8_lossy(&output.stdout).trim().into());
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            Some((
                entry.file_name().to_str()?.parse().ok()?,
                entry.path().join("bin"),
            ))
        })
        .collect();
    versioned.sort();
    candidates.extend(versioned.into_iter().rev().map(|(_, dir)| dir));

    find_in(candidates)
}

/// The first of `candidates` that holds the server programs.
fn find_in(candidates: Vec<PathBuf>) -> Result<Binaries, ClusterError> {
    let dir = candidates
        .into_iter()
        .find(|dir| {
            ["initdb", "pg_ctl", "postgres"]
                .iter()
                .all(|program| dir.join(program).is_file())
        })
        .ok_or(ClusterError::NoBinaries)?;
    let output = Command::new(dir.join("postgres"))
        .arg("--version")
        .output()
        .map_err(|source| ClusterError::Path {
            path: dir.join("postgres"),
            source,
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    let major = text
        .split_whitespace()
        .find_map(|word| word.split('.').next()?.parse().ok())
        .ok_or_else(|| ClusterError::Version(text.to_string()))?;
    Ok(Binaries { dir, major })
}

/// A running throwaway cluster. Dropping it stops the server and removes its directory.
#[derive(Debug)]
pub struct Cluster {
    root: PathBuf,
    binaries: Binaries,
    /// The cached initdb output the data directory was copied from.
    template: PathBuf,
    /// Whether the data directory came from the cached template (false: initdb ran first).
    from_cache: bool,
    /// The server's pid once it is started.
    server: Arc<AtomicI32>,
    /// Stops the server and removes `root`.
    _cleanup: cleanup::Guard,
}

const ROOT_PREFIX: &str = "chronos-shadow-";
pub const SUPERUSER: &str = "postgres";
/// The server's port: the name of its socket file (`.s.PGSQL.5432`) in the cluster's directory.
pub const PORT: u16 = 5432;
/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Who runs initdb and the server: the `postgres` user when we are root, else ourselves.
#[derive(Debug, Clone, Copy)]
struct RunAs(Option<(u32, u32)>);

impl RunAs {
    fn current() -> Result<RunAs, ClusterError> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(RunAs(None));
        }
        let name = std::ffi::CString::new(SUPERUSER).expect("no NUL");
        // SAFETY: getpwnam returns a pointer into static storage or NULL; read at once.
        unsafe {
            let entry = libc::getpwnam(name.as_ptr());
            if entry.is_null() {
                return Err(ClusterError::NoPostgresUser);
            }
            Ok(RunAs(Some(((*entry).pw_uid, (*entry).pw_gid))))
        }
    }

    /// Runs `command` as this user, without the libpq variables of our environment (the server
    /// reads `PGPORT`, `PGDATESTYLE`, `PGCLIENTENCODING`; the cluster takes none of the user's).
    fn apply(self, command: &mut Command) -> &mut Command {
        if let Some((uid, gid)) = self.0 {
            command.uid(uid).gid(gid);
        }
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PG") {
                command.env_remove(name);
            }
        }
        command
    }

    /// Makes `path` the cluster user's.
    fn own(self, path: &Path) -> Result<(), ClusterError> {
        match self.0 {
            Some((uid, gid)) => {
                std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|source| {
                    ClusterError::Path {
                        path: path.to_path_buf(),
                        source,
                    }
                })
            }
            None => Ok(()),
        }
    }

    /// Runs a command as this user; fails with its output when it fails.
    fn run(self, command: &mut Command) -> Result<Output, ClusterError> {
        let shown = format!("{:?}", command.get_program());
        let output = match cleanup::run_child(self.apply(command)) {
            Ok(output) => output,
            Err(source) => {
                return Err(ClusterError::Spawn {
                    program: shown,
                    source,
                });
            }
        };
        if output.status.success() {
            Ok(output)
        } else {
            Err(ClusterError::Failed {
                program: shown,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
                stdout: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            })
        }
    }
}

impl Cluster {
    /// Starts a new cluster. The data directory is copied from a cached initdb template when
    /// there is one, and the template is made on first use. The server stops when the thread
    /// that started it ends, so start it on a thread that outlives the cluster.
    pub fn start(binaries: &Binaries) -> Result<Cluster, ClusterError> {
        Cluster::start_with(binaries, &[])
    }

    /// Starts a new cluster with server `settings` on top of the shadow's own (later ones
    /// win): what a test needs to stand in for a remote server (TCP, TLS, an `hba_file`).
    pub fn start_with(
        binaries: &Binaries,
        settings: &[(&str, &str)],
    ) -> Result<Cluster, ClusterError> {
        let user = RunAs::current()?;
        let base = base_dir(user)?;
        let clusters = clusters_dir(&base, user);
        sweep_stale(&base);
        if clusters != base {
            sweep_stale(&clusters);
        }

        let root = make_temp_dir(&clusters)?;
        let server = Arc::new(AtomicI32::new(0));
        let guard = {
            let (root, server) = (root.clone(), Arc::clone(&server));
            cleanup::register(move || stop(&root, server.load(Ordering::SeqCst)))
        };
        // Record the owner so that a later run can clean up after a killed one.
        fs::write(root.join("owner.pid"), std::process::id().to_string())?;
        let template = template_path(&base, binaries);
        let from_cache = template.join("PG_VERSION").is_file();
        let cluster = Cluster {
            root,
            binaries: binaries.clone(),
            template,
            from_cache,
            server: Arc::clone(&server),
            _cleanup: guard,
        };
        user.own(&cluster.root)?;

        let template = template_dir(&base, binaries, user)?;
        user.run(
            Command::new("cp")
                .arg("-R")
                .arg(&template)
                .arg(cluster.data_dir())
                .current_dir(&cluster.root),
        )?;
        let log = fs::File::create(cluster.log_path())?;
        user.own(&cluster.log_path())?;
        let mut server_command = Command::new(binaries.dir.join("postgres"));
        user.apply(
            server_command
                .arg("-D")
                .arg(cluster.data_dir())
                .arg("-k")
                .arg(&cluster.root)
                .args(["-p", &PORT.to_string()])
                .args(["-c", "listen_addresses="])
                .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
                .args(["-c", "synchronous_commit=off", "-c", "autovacuum=off"])
                // Dynamic shared memory in files of the data directory rather than in /dev/shm,
                // where a server killed outright would leave it.
                .args(["-c", "dynamic_shared_memory_type=mmap"])
                .args(
                    settings
                        .iter()
                        .flat_map(|(name, value)| ["-c".to_owned(), format!("{name}={value}")]),
                )
                .current_dir(&cluster.root)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                // Not in our process group: a terminal's Ctrl-C goes to us, not to it.
                .process_group(0),
        );
        #[cfg(target_os = "linux")]
        // SAFETY: prctl only sets a flag of the new process; it allocates nothing.
        unsafe {
            // When this thread's process dies, even by SIGKILL, the server shuts down at once
            // (its directory is left to the next run's sweep).
            server_command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
                Ok(())
            });
        }
        let mut child = server_command
            .spawn()
            .map_err(|source| ClusterError::Start {
                program: binaries.dir.join("postgres"),
                source,
            })?;
        let pid = i32::try_from(child.id())?;
        server.store(pid, Ordering::SeqCst);

        // Ready when postmaster.pid says so (what `pg_ctl -w` waits for), checked often.
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let status =
                fs::read_to_string(cluster.data_dir().join("postmaster.pid")).unwrap_or_default();
            if status
                .lines()
                .nth(7)
                .is_some_and(|line| line.trim() == "ready")
            {
                return Ok(cluster);
            }
            let exited = child.try_wait().ok().flatten().is_some();
            if exited || Instant::now() > deadline {
                let log = fs::read_to_string(cluster.log_path()).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                let what = if exited {
                    "exited"
                } else {
                    "did not start in time"
                };
                return Err(ClusterError::NotStarted {
                    what,
                    log: tail.join("\n"),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether the data directory was copied from the cached initdb template.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// The Unix-socket directory; the server listens nowhere else.
    pub fn socket_dir(&self) -> &Path {
        &self.root
    }

    /// A connection URL for `database` as the superuser, over the socket.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@localhost:{PORT}/{database}?host={}",
            self.root.display()
        )
    }

    /// The server's log (its stdout and stderr).
    pub fn log_path(&self) -> PathBuf {
        self.root.join("server.log")
    }

    /// The cached initdb output the data directory was copied from.
    pub fn template(&self) -> &Path {
        &self.template
    }

    /// Whether the server has stopped (exited, or was killed) before this process stopped it,
    /// waiting up to `patience` for one on its way out: a session broken by the server's death
    /// can see it before the server has quite exited.
    pub fn stopped_within(&self, patience: Duration) -> bool {
        let pid = self.server.load(Ordering::SeqCst);
        let deadline = Instant::now() + patience;
        // Not `running`: reaping our child here would let its pid be reused before `stop`
        // signals it. An exited child stays a zombie until then.
        // SAFETY: signal 0 only checks that the process exists.
        while pid > 0 && unsafe { libc::kill(pid, 0) } == 0 && !is_zombie(pid) {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    pub fn major_version(&self) -> u32 {
        self.binaries.major
    }

    /// Where the server programs are.
    pub fn binaries(&self) -> &Binaries {
        &self.binaries
    }
}

/// Stops the server of the cluster in `root` (immediate shutdown: nothing is kept) and removes
/// the directory. `server` is its pid when this process started it, else 0 (then it is read
/// from `postmaster.pid`).
fn stop(root: &Path, server: i32) {
    let pid = if server > 0 {
        Some(server)
    } else {
        fs::read_to_string(root.join("data/postmaster.pid"))
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse().ok())
            // Only a server of this directory: the pid may have been reused since.
            .filter(|pid: &i32| {
                fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                    String::from_utf8_lossy(&cmdline).contains(&*root.to_string_lossy())
                })
            })
    };
    if let Some(pid) = pid.filter(|&pid| pid > 0) {
        // SAFETY: signalling a process; no memory is involved.
        unsafe { libc::kill(pid, libc::SIGQUIT) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while running(pid) {
            if Instant::now() > deadline {
                // SAFETY: as above.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    remove_shared_memory(root);
    let _ = fs::remove_dir_all(root);
}

/// Removes the System V shared memory segment the server of `root` recorded in its
/// `postmaster.pid`. A server that exits removes it; one killed outright (SIGKILL) leaves it, to
/// be removed by the next server started in that directory, which never comes. Backends the
/// killed server left may still be attached for a moment: the removal then takes effect when
/// the last of them exits.
fn remove_shared_memory(root: &Path) {
    let Ok(status) = fs::read_to_string(root.join("data/postmaster.pid")) else {
        return;
    };
    // Line 7: the segment's key and id, printed as unsigned longs.
    let Some((key, id)) = status.lines().nth(6).and_then(|line| {
        let mut numbers = line.split_whitespace().map(str::parse::<u64>);
        Some((numbers.next()?.ok()?, numbers.next()?.ok()?))
    }) else {
        return;
    };
    let (key, id) = (key as libc::key_t, id as libc::c_int);
    // SAFETY: shmget and shmctl look a segment up and mark it for removal; no memory of ours is
    // shared.
    unsafe {
        // Only while the key still names that segment (the server of this directory is gone).
        if libc::shmget(key, 0, 0) == id {
            libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut());
        }
    }
}

/// Whether `pid` still runs. Our own child is reaped here; a zombie left to another parent
/// counts as gone.
fn running(pid: i32) -> bool {
    let mut status = 0;
    // SAFETY: waitpid with WNOHANG on a pid; `status` is a valid out pointer.
    match unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } {
        0 => return true,
        reaped if reaped == pid => return false,
        _ => {}
    }
    // Not our child (a cluster of a killed run).
    // SAFETY: signal 0 only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return false;
    }
    !is_zombie(pid)
}

/// Whether `pid` has exited and waits to be reaped (always false without `/proc`).
fn is_zombie(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
    })
}

/// Where clusters and the template live. As root this must be a place the `postgres` user can
/// reach, so not root's home.
fn base_dir(user: RunAs) -> Result<PathBuf, ClusterError> {
    let as_postgres = user.0.is_some();
    let base = match std::env::var_os("CHRONOS_SHADOW_DIR") {
        Some(dir) => PathBuf::from(dir),
        None if as_postgres => PathBuf::from("/var/tmp/chronos-lint"),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("chronos-lint"),
    };
    fs::create_dir_all(&base).map_err(|source| ClusterError::Path {
        path: base.clone(),
        source,
    })?;
    if as_postgres {
        fs::set_permissions(&base, fs::Permissions::from_mode(0o755))?;
    }
    Ok(base)
}

/// Where the clusters themselves go: a memory file system when there is a roomy one
/// (`/dev/shm`; copying the template there is several times faster than to disk), else `base`.
/// With `CHRONOS_SHADOW_DIR` set, always `base`.
fn clusters_dir(base: &Path, user: RunAs) -> PathBuf {
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    const ROOM: u64 = 1 << 30;
    if std::env::var_os("CHRONOS_SHADOW_DIR").is_some() || !cfg!(target_os = "linux") {
        return base.to_path_buf();
    }
    let shm = Path::new("/dev/shm");
    let path = std::ffi::CString::new("/dev/shm").expect("no NUL");
    // SAFETY: statfs fills the zeroed struct it is given; the path is a valid C string.
    let roomy_tmpfs = unsafe {
        let mut stat: libc::statfs = std::mem::zeroed();
        libc::statfs(path.as_ptr(), &mut stat) == 0
            && stat.f_type as i64 == TMPFS_MAGIC
            && (stat.f_bavail as u64).saturating_mul(stat.f_bsize as u64) >= ROOM
    };
    if !roomy_tmpfs {
        return base.to_path_buf();
    }
    // SAFETY: getuid has no preconditions.
    let dir = shm.join(format!("chronos-lint-{}", unsafe { libc::getuid() }));
    let mode = if user.0.is_some() { 0o755 } else { 0o700 };
    let made = fs::create_dir_all(&dir)
        .and_then(|()| fs::set_permissions(&dir, fs::Permissions::from_mode(mode)));
    if made.is_ok() {
        dir
    } else {
        base.to_path_buf()
    }
}

fn make_temp_dir(base: &Path) -> Result<PathBuf, ClusterError> {
    tempfile::Builder::new()
        .prefix(ROOT_PREFIX)
        .tempdir_in(base)
        .map(tempfile::TempDir::keep)
        .map_err(|source| ClusterError::TempDir {
            base: base.to_path_buf(),
            source,
        })
}

/// The cached initdb output for this server version, made once (atomically, so concurrent runs
/// do not see half a template).
fn template_dir(base: &Path, binaries: &Binaries, user: RunAs) -> Result<PathBuf, ClusterError> {
    let template = template_path(base, binaries);
    if template.join("PG_VERSION").is_file() {
        return Ok(template);
    }
    let staging = make_temp_dir(base)?;
    // Removed however this ends, an interrupt during initdb included.
    let _staging = {
        let staging = staging.clone();
        cleanup::register(move || {
            let _ = fs::remove_dir_all(&staging);
        })
    };
    user.own(&staging)?;
    let data = staging.join("data");
    let made = user.run(
        Command::new(binaries.dir.join("initdb"))
            .args([
                "--no-sync",
                "--no-instructions",
                "-A",
                "trust",
                "-E",
                "UTF8",
            ])
            // 1 MB WAL segments instead of 16: a smaller template to copy for every run.
            .args(["--locale=C", "--wal-segsize=1", "-U", SUPERUSER, "-D"])
            .arg(&data)
            .current_dir(&staging),
    );
    let result = made.and_then(|_| match fs::rename(&data, &template) {
        Ok(()) => Ok(()),
        // Another run made it first.
        Err(_) if template.join("PG_VERSION").is_file() => Ok(()),
        Err(source) => Err(ClusterError::Path {
            path: template.clone(),
            source,
        }),
    });
    result.map(|()| template)
}

fn template_path(base: &Path, binaries: &Binaries) -> PathBuf {
    // `-wal1`: made with 1 MB WAL segments.
    base.join(format!("template-pg{}-wal1", binaries.major))
}

/// Stops and removes clusters whose owning process is gone (a run that was killed).
fn sweep_stale(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if !entry.file_name().to_string_lossy().starts_with(ROOT_PREFIX) {
            continue;
        }
        let owner = fs::read_to_string(path.join("owner.pid"))
            .ok()
            .and_then(|pid| pid.trim().parse::<i32>().ok());
        // A process of another user (EPERM) is alive too.
        // SAFETY: signal 0 only checks that the process exists.
        let alive = owner.is_some_and(|pid| {
            (unsafe { libc::kill(pid, 0) }) == 0
                || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
        });
        // A directory without an owner file is a template being made right now: leave it alone
        // unless it is old.
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 3600);
        if alive || (owner.is_none() && !old) {
            continue;
        }
        stop(&path, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_to_install_when_nothing_is_found() {
        let empty = tempfile::tempdir().unwrap();
        let err = find_in(vec![empty.path().to_path_buf()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("apt-get install postgresql"), "{err}");
        assert!(err.contains("PG_BIN"), "{err}");
        assert!(err.contains("--shadow-url"), "{err}");
    }
}
