//! The background thread of alerts: every poll interval, one scan (facts → events and queued
//! deliveries) and one pass over the due deliveries. Started by `startup::Application` beside the
//! HTTP server and stopped with it.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::rules::RetryPolicy;
use crate::config::AlertSettings;
use crate::db::Db;
use crate::domain::CustodyRules;

/// The running thread; dropping it (or [`Worker::stop`]) stops it and waits for it.
pub struct Worker {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the thread. Its first scan comes one poll interval after the start.
    pub fn start(db: Db, settings: AlertSettings, rules: CustodyRules) -> Result<Worker, String> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("alerts".into())
            .spawn(move || run(&db, &settings, &rules, &flag))
            .map_err(|e| format!("cannot start the alerts worker: {e}"))?;
        Ok(Worker {
            stop,
            thread: Some(thread),
        })
    }

    /// Asks the thread to stop and waits until it has (an attempt under way finishes first,
    /// bounded by the HTTP timeout).
    pub fn stop(&mut self) {
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

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

fn stopped(flag: &(Mutex<bool>, Condvar)) -> bool {
    flag.0.lock().map(|s| *s).unwrap_or(true)
}

fn run(db: &Db, settings: &AlertSettings, rules: &CustodyRules, flag: &(Mutex<bool>, Condvar)) {
    let policy = RetryPolicy {
        base: settings.retry_base,
        cap: settings.retry_cap,
        max_attempts: settings.max_attempts,
    };
    let agent = super::deliver::agent(settings.http_timeout);
    loop {
        {
            let (lock, wake) = flag;
            let Ok(guard) = lock.lock() else {
                return;
            };
            let Ok((guard, _)) = wake.wait_timeout_while(guard, settings.poll_interval, |s| !*s)
            else {
                return;
            };
            if *guard {
                return;
            }
        }
        let mut conn = match db.get() {
            Ok(conn) => conn,
            Err(err) => {
                tracing::warn!(error = %err, "alerts: no database connection");
                continue;
            }
        };
        match super::scan::scan(&mut conn, rules) {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "alerts: new events"),
            Err(err) => tracing::warn!(error = %err, "alerts: scan failed"),
        }
        let keep_going = || !stopped(flag);
        if let Err(err) = super::deliver::deliver_due(
            &mut conn,
            &agent,
            &policy,
            settings.http_timeout,
            keep_going,
        ) {
            tracing::warn!(error = %err, "alerts: delivery pass failed");
        }
    }
}
