//! Validation runs started from the console, while they run: the form answers at once with a
//! page that reloads itself every second (no JavaScript) and shows how long the run has taken,
//! until the stored run's summary is there. Only the officer who started a run sees its page.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::error::AppError;

/// Tickets forgotten after this long, if their page is never opened again.
const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// Where a started run is.
#[derive(Debug, Clone)]
pub enum Progress {
    Running {
        seconds: u64,
    },
    /// Done: the stored run's id.
    Done(Uuid),
    Failed(String),
}

#[derive(Debug)]
struct Ticket {
    owner: Uuid,
    started: Instant,
    outcome: Option<Result<Uuid, String>>,
}

/// The runs started from the console and not yet seen finished, shared by all workers.
#[derive(Debug, Default)]
pub struct PendingRuns(Mutex<HashMap<Uuid, Ticket>>);

impl PendingRuns {
    /// A ticket for a run `owner` starts now.
    pub fn start(&self, owner: Uuid) -> Uuid {
        let ticket = Uuid::new_v4();
        let mut runs = self.0.lock().unwrap_or_else(|e| e.into_inner());
        runs.retain(|_, t| t.started.elapsed() < FORGET_AFTER);
        runs.insert(
            ticket,
            Ticket {
                owner,
                started: Instant::now(),
                outcome: None,
            },
        );
        ticket
    }

    pub fn finish(&self, ticket: Uuid, outcome: Result<Uuid, AppError>) {
        let mut runs = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = runs.get_mut(&ticket) {
            t.outcome = Some(outcome.map_err(|e| e.to_string()));
        }
    }

    /// Where `viewer`'s run `ticket` is; `None` for a ticket that is not theirs (or unknown).
    /// A finished run's ticket is spent once its outcome is told.
    pub fn look(&self, ticket: Uuid, viewer: Uuid) -> Option<Progress> {
        let mut runs = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let t = runs.get(&ticket).filter(|t| t.owner == viewer)?;
        let progress = match &t.outcome {
            None => {
                return Some(Progress::Running {
                    seconds: t.started.elapsed().as_secs(),
                })
            }
            Some(Ok(run)) => Progress::Done(*run),
            Some(Err(why)) => Progress::Failed(why.clone()),
        };
        runs.remove(&ticket);
        Some(progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_its_owners_and_is_spent_once_its_outcome_is_told() {
        let runs = PendingRuns::default();
        let (officer, other) = (Uuid::new_v4(), Uuid::new_v4());
        let ticket = runs.start(officer);
        assert!(matches!(
            runs.look(ticket, officer),
            Some(Progress::Running { .. })
        ));
        assert!(runs.look(ticket, other).is_none());
        let run = Uuid::new_v4();
        runs.finish(ticket, Ok(run));
        assert!(matches!(runs.look(ticket, officer), Some(Progress::Done(r)) if r == run));
        assert!(runs.look(ticket, officer).is_none(), "spent");
        let failed = runs.start(officer);
        runs.finish(failed, Err(AppError::internal("disk full")));
        assert!(matches!(
            runs.look(failed, officer),
            Some(Progress::Failed(_))
        ));
    }
}
