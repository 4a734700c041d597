//! Validation runs started from the console, while they run: the form answers at once with a
//! page that reloads itself every second (no JavaScript) and shows how long the run has taken,
//! until the stored run's summary is there. Only the officer who started a run sees its page.
//!
//! A run's ticket lives in the database (`console_run_tickets`), not in the server that started
//! it: behind a balancer, the next reload may reach another app server.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::console_run_tickets as tickets;
use crate::db::DbConnection;
use crate::domain::time;
use crate::error::AppError;

/// Tickets forgotten after this long, if their page is never opened again; a run still
/// unfinished by then was cut short (its server stopped) and is told so.
const FORGET_AFTER: Duration = Duration::hours(1);

/// What the officer is told when a run's server stopped before the run ended.
const INTERRUPTED: &str = "the validation run was interrupted; start it again";

/// Where a started run is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Running {
        seconds: u64,
    },
    /// Done: the stored run's id.
    Done(Uuid),
    Failed(String),
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = tickets)]
struct Ticket {
    started_at: NaiveDateTime,
    run_id: Option<String>,
    failure: Option<String>,
}

/// A ticket for a run `owner` starts now; tickets nobody looked at for an hour go.
pub fn start(conn: &mut DbConnection, owner: Uuid) -> Result<Uuid, AppError> {
    let now = time::now();
    diesel::delete(tickets::table.filter(tickets::started_at.lt(now - FORGET_AFTER)))
        .execute(conn)?;
    let ticket = Uuid::new_v4();
    diesel::insert_into(tickets::table)
        .values((
            tickets::id.eq(ticket.to_string()),
            tickets::owner_id.eq(owner.to_string()),
            tickets::started_at.eq(now),
        ))
        .execute(conn)?;
    Ok(ticket)
}

/// Writes down how the run ended: its stored run, or why it failed.
pub fn finish(
    conn: &mut DbConnection,
    ticket: Uuid,
    outcome: &Result<Uuid, AppError>,
) -> Result<(), AppError> {
    let (run_id, failure) = match outcome {
        Ok(run) => (Some(run.to_string()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    diesel::update(tickets::table.find(ticket.to_string()))
        .set((tickets::run_id.eq(run_id), tickets::failure.eq(failure)))
        .execute(conn)?;
    Ok(())
}

/// Where `viewer`'s run `ticket` is; `None` for a ticket that is not theirs (or unknown).
/// A finished run's ticket is spent once its outcome is told.
pub fn look(
    conn: &mut DbConnection,
    ticket: Uuid,
    viewer: Uuid,
) -> Result<Option<Progress>, AppError> {
    let mine = tickets::table
        .find(ticket.to_string())
        .filter(tickets::owner_id.eq(viewer.to_string()));
    let Some(t) = mine
        .clone()
        .select(Ticket::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let progress = progress(&t, time::now());
    if !matches!(progress, Progress::Running { .. }) {
        diesel::delete(mine).execute(conn)?;
    }
    Ok(Some(progress))
}

fn progress(t: &Ticket, now: NaiveDateTime) -> Progress {
    let ran = now - t.started_at;
    match (&t.run_id, &t.failure) {
        (Some(run), _) => match Uuid::parse_str(run) {
            Ok(run) => Progress::Done(run),
            Err(_) => Progress::Failed(format!("stored run id is not a uuid: {run}")),
        },
        (None, Some(why)) => Progress::Failed(why.clone()),
        (None, None) if ran >= FORGET_AFTER => Progress::Failed(INTERRUPTED.to_string()),
        (None, None) => Progress::Running {
            seconds: ran.num_seconds().max(0) as u64,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(minutes_ago: i64, run_id: Option<&str>, failure: Option<&str>) -> Ticket {
        Ticket {
            started_at: at(0) - Duration::minutes(minutes_ago),
            run_id: run_id.map(str::to_string),
            failure: failure.map(str::to_string),
        }
    }

    fn at(minutes: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn a_ticket_tells_running_done_failed_or_interrupted() {
        assert_eq!(
            progress(&ticket(2, None, None), at(0)),
            Progress::Running { seconds: 120 }
        );
        let run = Uuid::new_v4();
        assert_eq!(
            progress(&ticket(2, Some(&run.to_string()), None), at(0)),
            Progress::Done(run)
        );
        assert_eq!(
            progress(&ticket(2, None, Some("disk full")), at(0)),
            Progress::Failed("disk full".into())
        );
        assert_eq!(
            progress(&ticket(61, None, None), at(0)),
            Progress::Failed(INTERRUPTED.into())
        );
    }
}
