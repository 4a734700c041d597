//! The thread that signs a checkpoint every interval when the tree has grown, so that the
//! registry commits to what it holds even when nobody asks. Started beside the HTTP server and
//! stopped with it.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::Signer;
use crate::db::Db;

/// The running thread; dropping it stops it and waits for it.
pub struct Signing {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Signing {
    /// Starts signing every `signer`'s interval; `None` when the interval is 0 (signing only
    /// when asked).
    pub fn start(db: Db, signer: Arc<Signer>) -> Result<Option<Signing>, String> {
        let Ok(every) = signer.every.to_std() else {
            return Ok(None);
        };
        if every.is_zero() {
            return Ok(None);
        }
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("checkpoints".into())
            .spawn(move || {
                while wait(&flag, every) {
                    let signed = db.get().map_err(|e| e.to_string()).and_then(|mut conn| {
                        super::latest(&mut conn, &signer).map_err(|e| e.to_string())
                    });
                    if let Err(e) = signed {
                        tracing::warn!(error = %e, "signing a checkpoint failed");
                    }
                }
            })
            .map_err(|e| format!("cannot start the checkpoint signer: {e}"))?;
        Ok(Some(Signing {
            stop,
            thread: Some(thread),
        }))
    }
}

/// Waits `every`; false once asked to stop.
fn wait(flag: &(Mutex<bool>, Condvar), every: std::time::Duration) -> bool {
    let (lock, wake) = flag;
    let Ok(guard) = lock.lock() else {
        return false;
    };
    match wake.wait_timeout_while(guard, every, |stopped| !*stopped) {
        Ok((stopped, _)) => !*stopped,
        Err(_) => false,
    }
}

impl Drop for Signing {
    fn drop(&mut self) {
        let (lock, wake) = &*self.stop;
        if let Ok(mut stopped) = lock.lock() {
            *stopped = true;
        }
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
