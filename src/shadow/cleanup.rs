//! Undoing what the shadow stage set up, however the run ends.
//!
//! Each throwaway cluster and each database made on a `--shadow-url` server registers how to
//! remove it. Its [`Guard`] removes it when dropped (normal exit, an error, a panic); on SIGINT,
//! SIGTERM or SIGHUP a handler thread first kills the helper programs still running
//! ([`run_child`]: initdb, cp), which would otherwise go on writing into what is removed, then
//! removes everything still registered and exits with 128 + the signal. A run killed with
//! SIGKILL leaves its cluster behind: the next run's sweep removes
//! clusters whose owning process is gone (see `cluster`).

use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

type Action = Box<dyn FnOnce() + Send>;

static PENDING: Mutex<Vec<(u64, Action)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn pending() -> MutexGuard<'static, Vec<(u64, Action)>> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Helper programs running now, by pid.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Set once a signal is being handled: the run is ending with its exit code.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn children() -> MutexGuard<'static, Vec<u32>> {
    CHILDREN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `command` to completion, as `Command::output` does, killed first if the run is
/// interrupted meanwhile.
pub fn run_child(command: &mut Command) -> std::io::Result<Output> {
    install_signal_handlers();
    let child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let pid = child.id();
    children().push(pid);
    let output = child.wait_with_output();
    children().retain(|&running| running != pid);
    if INTERRUPTED.load(Ordering::SeqCst) {
        // Killed by the signal handler, which ends the process once it has cleaned up: the
        // program's failure must not become the run's exit code first.
        loop {
            std::thread::park();
        }
    }
    output
}

/// Kills the helper programs still running and waits, briefly, until they are gone.
fn kill_children() {
    let pids: Vec<u32> = children().clone();
    for &pid in &pids {
        // SAFETY: kill has no memory preconditions; the pid is a child not yet reaped.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    // Gone once the thread waiting on it has reaped it.
    while !children().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs its action once: when dropped, or from the signal handler, whichever comes first.
#[derive(Debug)]
pub struct Guard {
    id: u64,
}

/// Registers `action` to run when the returned guard drops or the process is interrupted.
pub fn register(action: impl FnOnce() + Send + 'static) -> Guard {
    install_signal_handlers();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    pending().push((id, Box::new(action)));
    Guard { id }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // The lock is held while the action runs, so an interrupt arriving now waits for it to
        // finish instead of exiting half-way.
        let mut pending = pending();
        if let Some(at) = pending.iter().position(|(id, _)| *id == self.id) {
            let (_, action) = pending.remove(at);
            action();
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP: kill the helper programs, run every registered action, newest
/// first, and exit with 130, 143 or 129.
/// The handlers live on a thread of their own (with its own runtime, so this may be called from
/// async code); this returns once they are in place.
fn install_signal_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let (ready, installed) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use tokio::signal::unix::{SignalKind, signal};
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                let _ = ready.send(());
                return;
            };
            let code = runtime.block_on(async {
                let signals = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                    signal(SignalKind::hangup()),
                );
                let _ = ready.send(());
                let (Ok(mut interrupt), Ok(mut terminate), Ok(mut hangup)) = signals else {
                    return None;
                };
                tokio::select! {
                    _ = interrupt.recv() => Some(130),
                    _ = terminate.recv() => Some(143),
                    _ = hangup.recv() => Some(129),
                }
            });
            let Some(code) = code else {
                return;
            };
            INTERRUPTED.store(true, Ordering::SeqCst);
            kill_children();
            let mut pending = pending();
            while let Some((_, action)) = pending.pop() {
                action();
            }
            std::process::exit(code);
        });
        let _ = installed.recv();
    });
}
