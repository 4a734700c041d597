//! Continuous validation (issue 15): a background thread validates all firms as of now, at most
//! every `every` after something changed (an entry filed, a firm's status, a permit, the
//! catalog) and at least every `idle` whatever happened (time alone makes findings: an overdue
//! dispatch). Its runs are recorded like a regulator's, by [`RUN_BY`], so their findings, their
//! resolutions and their alerts (the alerts scanner reads new critical findings) are the same.
//!
//! One runner across the app servers of one database: the server holding the lease in
//! `continuous_validation` (`lease`) runs, the others look every poll and take over when the
//! lease runs out or is given up. Started by `startup::Application` beside the HTTP server and
//! stopped with it (giving the lease up).

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use super::lease;
use super::run::{run_incremental, RunSummary};
use crate::config::ContinuousValidation;
use crate::db::{write_tx, Db, DbConnection};
use crate::domain::{time, CustodyRules};
use crate::error::AppError;

/// Who the background runs are recorded as: no user, the registry itself.
pub const RUN_BY: &str = "system";

/// The validation a background run makes: the incremental run (every firm whose findings may
/// have changed since the last run, as of now, recorded; a full run when the rules changed).
pub fn validate_now(conn: &mut DbConnection, rules: &CustodyRules) -> Result<RunSummary, AppError> {
    let settings = CustodyRules {
        as_of: time::from_db(time::now()),
        ..*rules
    };
    run_incremental(conn, RUN_BY, &settings)
}

/// Is a background run due at `now`? Never sooner than `every` after the last one; then when
/// the inputs changed since it (or there was none), or once `idle` has passed regardless.
pub fn due(
    last_run_at: Option<NaiveDateTime>,
    last_seen: Option<&str>,
    seen: &str,
    now: NaiveDateTime,
    every: Duration,
    idle: Duration,
) -> bool {
    let Some(last) = last_run_at else {
        return true;
    };
    let since = (now - last).to_std().unwrap_or(Duration::ZERO);
    since >= every && (last_seen != Some(seen) || since >= idle)
}

/// Could a run be due at `now`, before the inputs are looked at (they cost a few queries)?
fn may_be_due(last_run_at: Option<NaiveDateTime>, now: NaiveDateTime, every: Duration) -> bool {
    last_run_at.is_none_or(|last| (now - last).to_std().unwrap_or(Duration::ZERO) >= every)
}

/// The running thread; dropping it stops it, waits for it and gives the lease up.
pub struct Runner {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Runner {
    /// Starts the thread (its first look comes one poll after the start); `None` when the
    /// setting is off.
    pub fn start(
        db: Db,
        settings: ContinuousValidation,
        rules: CustodyRules,
    ) -> Result<Option<Runner>, String> {
        if settings.every.is_zero() {
            return Ok(None);
        }
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stop.clone();
        let holder = format!("pid {} · {}", std::process::id(), uuid::Uuid::now_v7());
        let thread = std::thread::Builder::new()
            .name("continuous-validation".into())
            .spawn(move || run(&db, &settings, &rules, &holder, &flag))
            .map_err(|e| format!("cannot start the continuous validation: {e}"))?;
        Ok(Some(Runner {
            stop,
            thread: Some(thread),
        }))
    }
}

impl Drop for Runner {
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

/// Waits `every`; false once asked to stop.
fn wait(flag: &(Mutex<bool>, Condvar), every: Duration) -> bool {
    let (lock, wake) = flag;
    let Ok(guard) = lock.lock() else {
        return false;
    };
    match wake.wait_timeout_while(guard, every, |stopped| !*stopped) {
        Ok((stopped, _)) => !*stopped,
        Err(_) => false,
    }
}

fn run(
    db: &Db,
    settings: &ContinuousValidation,
    rules: &CustodyRules,
    holder: &str,
    flag: &(Mutex<bool>, Condvar),
) {
    // A lease outlasts the longest run seen, twice over, so that no other server starts one
    // while this one is still validating.
    let mut longest = Duration::ZERO;
    while wait(flag, settings.poll) {
        let mut conn = match db.get() {
            Ok(conn) => conn,
            Err(err) => {
                tracing::warn!(error = %err, "continuous validation: no database connection");
                continue;
            }
        };
        let lease = settings.lease.max(longest * 2);
        match look(&mut conn, settings, holder, lease) {
            Ok(false) => {}
            Ok(true) => {
                let started = Instant::now();
                match validate_now(&mut conn, rules) {
                    Ok(summary) => {
                        let _ = lease::record_run_id(&mut conn, holder, &summary.id.to_string());
                        if summary.new_findings > 0 || summary.resolved_findings > 0 {
                            tracing::info!(
                                run = %summary.id,
                                new = summary.new_findings,
                                resolved = summary.resolved_findings,
                                "continuous validation"
                            );
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "continuous validation failed"),
                }
                longest = longest.max(started.elapsed());
            }
            Err(err) => tracing::warn!(error = %err, "continuous validation: lease"),
        }
    }
    if let Ok(mut conn) = db.get() {
        let _ = lease::release(&mut conn, holder);
    }
}

/// Takes or renews the lease and decides: true when this server is to run now (the run is
/// recorded as started, with what it sees, in the same transaction).
fn look(
    conn: &mut DbConnection,
    settings: &ContinuousValidation,
    holder: &str,
    lease: Duration,
) -> Result<bool, AppError> {
    let now = time::now();
    let row = lease::read(conn)?;
    let ours = row.holder.as_deref() == Some(holder);
    let live = row.lease_until.is_some_and(|until| until >= now);
    if live && !ours {
        return Ok(false);
    }
    let until = now + chrono::Duration::from_std(lease).map_err(AppError::internal)?;
    // An idle holder renews only once half its lease has passed: no commit every poll.
    let half = chrono::Duration::from_std(lease / 2).map_err(AppError::internal)?;
    let renew = !ours || row.lease_until.is_none_or(|t| t - now < half);
    if !may_be_due(row.last_run_at, now, settings.every) {
        if renew {
            write_tx(conn, |conn| lease::take(conn, holder, now, until))?;
        }
        return Ok(false);
    }
    write_tx(conn, |conn| {
        if !lease::take(conn, holder, now, until)? {
            return Ok(false);
        }
        // Read again under the lease: another server may have run in between.
        let row = lease::read(conn)?;
        let seen = lease::fingerprint(conn)?;
        let due = due(
            row.last_run_at,
            row.seen.as_deref(),
            &seen,
            now,
            settings.every,
            settings.idle,
        );
        if due {
            lease::record_run(conn, holder, now, until, &seen)?;
        }
        Ok(due)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + s, 0)
            .unwrap()
            .naive_utc()
    }

    const EVERY: Duration = Duration::from_secs(30);
    const IDLE: Duration = Duration::from_secs(300);

    #[test]
    fn the_first_run_is_due_at_once() {
        assert!(due(None, None, "a", at(0), EVERY, IDLE));
    }

    #[test]
    fn a_change_waits_for_the_interval_then_runs() {
        assert!(!due(Some(at(0)), Some("a"), "b", at(29), EVERY, IDLE));
        assert!(due(Some(at(0)), Some("a"), "b", at(30), EVERY, IDLE));
    }

    #[test]
    fn without_a_change_only_the_idle_period_brings_a_run() {
        assert!(!due(Some(at(0)), Some("a"), "a", at(299), EVERY, IDLE));
        assert!(due(Some(at(0)), Some("a"), "a", at(300), EVERY, IDLE));
    }

    proptest! {
        /// Never two runs closer than `every`; a change is run within `every` of the last run
        /// (or at once); nothing changed and within `idle`: no run.
        #[test]
        fn due_keeps_the_pace(
            last in proptest::option::of(0i64..1_000),
            after in 0i64..2_000,
            changed in any::<bool>(),
            every in 1u64..100,
            idle_extra in 0u64..1_000,
        ) {
            let every = Duration::from_secs(every);
            let idle = every + Duration::from_secs(idle_extra);
            let last_at = last.map(at);
            let now = at(last.unwrap_or(0) + after);
            let seen = if changed { "new" } else { "old" };
            let is_due = due(last_at, Some("old"), seen, now, every, idle);
            let since = Duration::from_secs(after as u64);
            match last_at {
                None => prop_assert!(is_due),
                Some(_) if since < every => prop_assert!(!is_due),
                Some(_) if changed => prop_assert!(is_due),
                Some(_) => prop_assert_eq!(is_due, since >= idle),
            }
            prop_assert_eq!(may_be_due(last_at, now, every) || !is_due, true);
        }
    }
}
