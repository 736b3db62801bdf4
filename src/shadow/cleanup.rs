//! Undoing what the shadow stage set up, however the run ends.
//!
//! Each throwaway cluster and each database made on a `--shadow-url` server registers how to
//! remove it. Its [`Guard`] removes it when dropped (normal exit, an error, a panic); on SIGINT
//! or SIGTERM a handler thread removes everything still registered and exits with 128 + the
//! signal. A run killed with SIGKILL leaves its cluster behind: the next run's sweep removes
//! clusters whose owning process is gone (see `cluster`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

type Action = Box<dyn FnOnce() + Send>;

static PENDING: Mutex<Vec<(u64, Action)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn pending() -> MutexGuard<'static, Vec<(u64, Action)>> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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

/// On SIGINT or SIGTERM: run every registered action, newest first, and exit with 130 or 143.
fn install_signal_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        // Registered here, before any cluster exists, so no signal can slip past.
        let signals = runtime.block_on(async {
            Some((
                signal(SignalKind::interrupt()).ok()?,
                signal(SignalKind::terminate()).ok()?,
            ))
        });
        let Some((mut interrupt, mut terminate)) = signals else {
            return;
        };
        std::thread::spawn(move || {
            let code = runtime.block_on(async {
                tokio::select! {
                    _ = interrupt.recv() => 130,
                    _ = terminate.recv() => 143,
                }
            });
            let mut pending = pending();
            while let Some((_, action)) = pending.pop() {
                action();
            }
            std::process::exit(code);
        });
    });
}
