//! Group commit: small writes that arrive together share one transaction and so one commit (one
//! fsync of SQLite's WAL, one WAL flush of PostgreSQL) instead of one each. The writes share a
//! state (`GroupState`) that keeps what they write until the group's end, so each costs only its
//! reads, and a refused one is undone in that state and fails alone; each writer is answered only
//! after the commit: what was acknowledged is as durable as before.
//!
//! A writer thread per shard takes what is queued (up to `max_group`, waiting at most `wait` for
//! more), orders it by key (the firm, on PostgreSQL locked in that order by `GroupState::begin`,
//! so groups on several servers never deadlock) and runs it.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{write_tx, Db, DbConnection};
use crate::error::AppError;
use crate::metrics::Metrics;

/// How writes are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSettings {
    /// Writer threads (each with its own group); keys are spread over them by hash.
    pub writers: usize,
    /// Writes in one group at most; 0 turns grouping off (each write its own transaction).
    pub max_group: usize,
    /// How long a writer waits for more once it has a first write and the queue is empty.
    pub wait: Duration,
}

impl GroupSettings {
    pub fn off() -> GroupSettings {
        GroupSettings {
            writers: 1,
            max_group: 0,
            wait: Duration::ZERO,
        }
    }
}

/// What the writes of one group share inside its transaction. The group commits what its writes
/// left in the state (`finish`); a write that fails is undone in the state (`undo` to its `mark`),
/// so a refused write fails alone without a savepoint, as long as writes only *read* through the
/// connection and write through the state.
pub trait GroupState: Sized + 'static {
    /// Where a write begins, to return to if it fails.
    type Mark;
    /// Opens the group inside its transaction, with its keys in order (e.g. locks them).
    fn begin(conn: &mut DbConnection, keys: &[&str]) -> Result<Self, AppError>;
    fn mark(&self) -> Self::Mark;
    fn undo(&mut self, mark: Self::Mark);
    /// Writes what the group's writes left, before the commit.
    fn finish(self, conn: &mut DbConnection) -> Result<(), AppError>;
}

/// Answers one writer once its group's fate is known: `None` if it committed.
type Deliver = Box<dyn FnOnce(Option<&AppError>) + Send>;

/// Runs a write against the group's state; how to answer its writer.
type Run<S> = Box<dyn FnOnce(&mut DbConnection, &mut S) -> Deliver + Send>;

struct Write<S> {
    key: String,
    run: Run<S>,
}

/// The queues of the writer threads; cloned into every HTTP worker.
pub struct GroupCommit<S> {
    db: Db,
    shards: Vec<Sender<Write<S>>>,
}

impl<S: GroupState> GroupCommit<S> {
    pub fn start(
        db: Db,
        settings: GroupSettings,
        metrics: Arc<Metrics>,
    ) -> Result<GroupCommit<S>, String> {
        let mut shards = Vec::new();
        if settings.max_group > 0 {
            for n in 0..settings.writers.max(1) {
                let (queue, writes) = mpsc::channel();
                let (db, metrics) = (db.clone(), metrics.clone());
                std::thread::Builder::new()
                    .name(format!("group-commit-{n}"))
                    .spawn(move || writer(db, writes, settings, &metrics))
                    .map_err(|e| format!("cannot start the group-commit writer: {e}"))?;
                shards.push(queue);
            }
        }
        Ok(GroupCommit { db, shards })
    }

    /// Runs `work` in a group with the writes queued beside it (blocking: call it off the async
    /// executor). Its result is returned once the group has committed. `work` reads through the
    /// connection and writes through the state (see [`GroupState`]); if it fails, the state is
    /// returned to where it began. With grouping off, `work` is a group of one.
    pub fn run<T, F>(&self, key: &str, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &mut S) -> Result<T, AppError> + Send + 'static,
    {
        if self.shards.is_empty() {
            return write_tx(&mut *self.db.get()?, |conn| {
                let mut state = S::begin(conn, &[key])?;
                let done = work(conn, &mut state)?;
                state.finish(conn)?;
                Ok(done)
            });
        }
        let (answer, answered) = mpsc::sync_channel(1);
        let run = Box::new(move |conn: &mut DbConnection, state: &mut S| {
            let mark = state.mark();
            let result = work(conn, state);
            if result.is_err() {
                state.undo(mark);
            }
            let deliver: Deliver = Box::new(move |failed: Option<&AppError>| {
                let _ = answer.send(match failed {
                    Some(e) => Err(AppError::Unavailable(format!("not stored: {e}"))),
                    None => result,
                });
            });
            deliver
        });
        let shard = &self.shards[shard_of(key, self.shards.len())];
        shard
            .send(Write {
                key: key.to_string(),
                run,
            })
            .map_err(|_| AppError::Unavailable("the registry is shutting down".into()))?;
        // A group that failed before this write ran drops it, and with it `answer`.
        answered.recv().unwrap_or_else(|_| {
            Err(AppError::Unavailable(
                "not stored: its group failed; try again".into(),
            ))
        })
    }
}

fn shard_of(key: &str, shards: usize) -> usize {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() % shards as u64) as usize
}

fn writer<S: GroupState>(
    db: Db,
    writes: Receiver<Write<S>>,
    settings: GroupSettings,
    metrics: &Metrics,
) {
    while let Ok(first) = writes.recv() {
        let group = gather(first, &writes, settings);
        metrics.observe_group(group.len());
        // A panicking write must not take the writer with it: the group is lost (its writers
        // are answered with an error), the connection is discarded by the pool, the next goes on.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commit(&db, group)));
        if outcome.is_err() {
            tracing::error!("a write panicked; its group was rolled back");
        }
    }
}

/// The first write and whatever else is queued, up to the group's size, waiting at most
/// `settings.wait` for more.
fn gather<S>(
    first: Write<S>,
    writes: &Receiver<Write<S>>,
    settings: GroupSettings,
) -> Vec<Write<S>> {
    let mut group = vec![first];
    let deadline = Instant::now() + settings.wait;
    while group.len() < settings.max_group {
        match writes.try_recv() {
            Ok(write) => group.push(write),
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match writes.recv_timeout(left) {
                    Ok(write) => group.push(write),
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                }
            }
        }
    }
    group
}

/// One transaction for the group, its writes run one after the other against its state; then
/// every writer is answered.
fn commit<S: GroupState>(db: &Db, mut group: Vec<Write<S>>) {
    // Stable: one key's writes keep their order.
    group.sort_by(|a, b| a.key.cmp(&b.key));
    let mut keys: Vec<String> = group.iter().map(|w| w.key.clone()).collect();
    keys.dedup();
    let mut delivers = Vec::with_capacity(group.len());
    let outcome = db.get().and_then(|mut conn| {
        write_tx(&mut conn, |conn| {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let mut state = S::begin(conn, &keys)?;
            for write in group.drain(..) {
                delivers.push((write.run)(conn, &mut state));
            }
            state.finish(conn)
        })
    });
    if let Err(e) = &outcome {
        tracing::error!(error = %e, writes = delivers.len(), "a group of writes failed to commit");
    }
    for deliver in delivers {
        deliver(outcome.as_ref().err());
    }
}
