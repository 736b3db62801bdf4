//! A throwaway PostgreSQL cluster: initdb'd (or copied from a cached template) into a temp
//! directory, listening only on a Unix socket there, stopped and removed when dropped or when
//! the run is interrupted (see `cleanup`). Each cluster has its own directory and socket, so
//! concurrent runs do not meet; a run killed outright is swept up by the next one.
//!
//! initdb and postgres refuse to run as root; as root the cluster runs as the `postgres` user
//! (which Debian's server package creates) in a directory made theirs.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::cleanup;

/// Where the PostgreSQL server programs are.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub dir: PathBuf,
    /// Major version, from `postgres --version`.
    pub major: u32,
}

/// Finds `initdb`, `pg_ctl` and `postgres`: `$PG_BIN`, then `pg_config --bindir`, then `PATH`,
/// then the newest `/usr/lib/postgresql/*/bin`.
pub fn find_binaries() -> Result<Binaries, String> {
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
fn find_in(candidates: Vec<PathBuf>) -> Result<Binaries, String> {
    let dir = candidates
        .into_iter()
        .find(|dir| {
            ["initdb", "pg_ctl", "postgres"]
                .iter()
                .all(|program| dir.join(program).is_file())
        })
        .ok_or_else(|| {
            "no PostgreSQL server binaries found (initdb, pg_ctl, postgres). Install the server \
             (Debian/Ubuntu: `apt-get install postgresql`), set PG_BIN to their directory, or pass \
             --shadow-url postgres://... to use an existing server"
                .to_owned()
        })?;
    let output = Command::new(dir.join("postgres"))
        .arg("--version")
        .output()
        .map_err(|err| format!("{}: {err}", dir.join("postgres").display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let major = text
        .split_whitespace()
        .find_map(|word| word.split('.').next()?.parse().ok())
        .ok_or_else(|| format!("cannot read the version from `postgres --version`: {text}"))?;
    Ok(Binaries { dir, major })
}

/// A running throwaway cluster. Dropping it stops the server and removes its directory.
#[derive(Debug)]
pub struct Cluster {
    root: PathBuf,
    binaries: Binaries,
    run_as_postgres: bool,
    /// Whether the data directory came from the cached template (false: initdb ran first).
    from_cache: bool,
    /// Stops the server and removes `root`.
    _cleanup: cleanup::Guard,
}

const ROOT_PREFIX: &str = "chronos-shadow-";
const SUPERUSER: &str = "postgres";

impl Cluster {
    /// Starts a new cluster. The data directory is copied from a cached initdb template when
    /// there is one, and the template is made on first use.
    pub fn start(binaries: &Binaries) -> Result<Cluster, String> {
        let run_as_postgres = unsafe { libc::geteuid() } == 0;
        let base = base_dir(run_as_postgres)?;
        sweep_stale(&base, binaries, run_as_postgres);

        let root = make_temp_dir(&base)?;
        let guard = {
            let (root, bin) = (root.clone(), binaries.dir.clone());
            cleanup::register(move || stop(&root, &bin, run_as_postgres))
        };
        // Record the owner so that a later run can clean up after a killed one.
        fs::write(root.join("owner.pid"), std::process::id().to_string())
            .map_err(|err| err.to_string())?;
        let from_cache = template_path(&base, binaries).join("PG_VERSION").is_file();
        let cluster = Cluster {
            root,
            binaries: binaries.clone(),
            run_as_postgres,
            from_cache,
            _cleanup: guard,
        };
        if run_as_postgres {
            chown_to_postgres(&cluster.root)?;
        }

        let template = template_dir(&base, binaries, run_as_postgres)?;
        cluster.run(
            Command::new("cp")
                .arg("-R")
                .arg(&template)
                .arg(cluster.data_dir()),
        )?;
        let options = format!(
            "-k {} -c listen_addresses='' -c fsync=off -c full_page_writes=off -c synchronous_commit=off",
            cluster.root.display()
        );
        let started = cluster.run(
            Command::new(binaries.dir.join("pg_ctl"))
                .args(["-w", "-t", "60", "-D"])
                .arg(cluster.data_dir())
                .arg("-l")
                .arg(cluster.root.join("server.log"))
                .args(["-o", &options, "start"]),
        );
        if let Err(err) = started {
            let log = fs::read_to_string(cluster.root.join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!("{err}\n{}", tail.join("\n")));
        }
        Ok(cluster)
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
            "postgres://{SUPERUSER}@localhost/{database}?host={}",
            self.root.display()
        )
    }

    pub fn major_version(&self) -> u32 {
        self.binaries.major
    }

    /// Where the server programs are.
    pub fn binaries(&self) -> &Binaries {
        &self.binaries
    }

    /// Runs a command as the cluster's user; fails with its output when it fails.
    fn run(&self, command: &mut Command) -> Result<Output, String> {
        run_as(command, self.run_as_postgres)
    }
}

/// Stops the server of the cluster in `root` (if it runs) and removes the directory.
fn stop(root: &Path, bin: &Path, as_postgres: bool) {
    let data = root.join("data");
    if data.join("postmaster.pid").is_file() {
        let _ = run_as(
            Command::new(bin.join("pg_ctl"))
                .args(["-m", "immediate", "-D"])
                .arg(&data)
                .arg("stop"),
            as_postgres,
        );
    }
    let _ = fs::remove_dir_all(root);
}

fn run_as(command: &mut Command, as_postgres: bool) -> Result<Output, String> {
    let mut command = if as_postgres {
        let mut wrapped = Command::new("runuser");
        wrapped
            .args(["-u", SUPERUSER, "--"])
            .arg(command.get_program())
            .args(command.get_args());
        if let Some(dir) = command.get_current_dir() {
            wrapped.current_dir(dir);
        }
        wrapped
    } else {
        std::mem::replace(command, Command::new(OsStr::new("true")))
    };
    let shown = format!("{:?}", command.get_program());
    let output = command
        .output()
        .map_err(|err| format!("cannot run {shown}: {err}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{shown} failed: {}{}",
            String::from_utf8_lossy(&output.stderr).trim(),
            String::from_utf8_lossy(&output.stdout).trim()
        ))
    }
}

/// Where clusters and the template live. As root this must be a place the `postgres` user can
/// reach, so not root's home.
fn base_dir(as_postgres: bool) -> Result<PathBuf, String> {
    let base = match std::env::var_os("CHRONOS_SHADOW_DIR") {
        Some(dir) => PathBuf::from(dir),
        None if as_postgres => PathBuf::from("/var/tmp/chronos-lint"),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("chronos-lint"),
    };
    fs::create_dir_all(&base).map_err(|err| format!("{}: {err}", base.display()))?;
    if as_postgres {
        fs::set_permissions(&base, fs::Permissions::from_mode(0o755))
            .map_err(|err| err.to_string())?;
    }
    Ok(base)
}

fn make_temp_dir(base: &Path) -> Result<PathBuf, String> {
    tempfile::Builder::new()
        .prefix(ROOT_PREFIX)
        .tempdir_in(base)
        .map(tempfile::TempDir::keep)
        .map_err(|err| format!("{}: cannot create a temp dir: {err}", base.display()))
}

/// The cached initdb output for this server version, made once (atomically, so concurrent runs
/// do not see half a template).
fn template_dir(base: &Path, binaries: &Binaries, as_postgres: bool) -> Result<PathBuf, String> {
    let template = template_path(base, binaries);
    if template.join("PG_VERSION").is_file() {
        return Ok(template);
    }
    let staging = make_temp_dir(base)?;
    if as_postgres {
        chown_to_postgres(&staging)?;
    }
    let data = staging.join("data");
    let made = run_as(
        Command::new(binaries.dir.join("initdb"))
            .args([
                "--no-sync",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-U",
                SUPERUSER,
                "-D",
            ])
            .arg(&data),
        as_postgres,
    );
    let result = made.and_then(|_| match fs::rename(&data, &template) {
        Ok(()) => Ok(()),
        // Another run made it first.
        Err(_) if template.join("PG_VERSION").is_file() => Ok(()),
        Err(err) => Err(format!("{}: {err}", template.display())),
    });
    let _ = fs::remove_dir_all(&staging);
    result.map(|()| template)
}

fn template_path(base: &Path, binaries: &Binaries) -> PathBuf {
    base.join(format!("template-pg{}", binaries.major))
}

/// Stops and removes clusters whose owning process is gone (a run that was killed).
fn sweep_stale(base: &Path, binaries: &Binaries, as_postgres: bool) {
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
        let alive = owner.is_some_and(|pid| unsafe { libc::kill(pid, 0) } == 0);
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
        stop(&path, &binaries.dir, as_postgres);
    }
}

fn chown_to_postgres(path: &Path) -> Result<(), String> {
    let name = std::ffi::CString::new(SUPERUSER).expect("no NUL");
    // SAFETY: getpwnam returns a pointer into static storage or NULL; read once, immediately.
    let (uid, gid) = unsafe {
        let entry = libc::getpwnam(name.as_ptr());
        if entry.is_null() {
            return Err(
                "running as root, but there is no `postgres` user to run the shadow cluster as; \
                        install the PostgreSQL server package or run as an unprivileged user"
                    .to_owned(),
            );
        }
        ((*entry).pw_uid, (*entry).pw_gid)
    };
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .map_err(|err| format!("{}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_to_install_when_nothing_is_found() {
        let empty = tempfile::tempdir().unwrap();
        let err = find_in(vec![empty.path().to_path_buf()]).unwrap_err();
        assert!(err.contains("apt-get install postgresql"), "{err}");
        assert!(err.contains("PG_BIN"), "{err}");
        assert!(err.contains("--shadow-url"), "{err}");
    }
}
