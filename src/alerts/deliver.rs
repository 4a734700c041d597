//! The delivery worker: takes due deliveries from the queue, POSTs each event signed with its
//! subscription's secret, and records what happened (delivered, try again later, or give up).
//! The queue is in the database, so a restart loses nothing; a delivery is claimed for one
//! attempt at a time, so two servers never send it at once (at-least-once: a receiver dedupes
//! by `X-Precursor-Delivery`).

use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::json;

use super::rules::{self, EventKind, Next, RetryPolicy};
use super::store::{self, AttemptRecord, DeliveryRow, EventRow};
use crate::db::DbConnection;
use crate::domain::time;
use crate::error::AppError;

/// Deliveries taken per pass.
const BATCH: i64 = 50;

/// The JSON body of a delivery: `{id, kind, at, firm_id, payload}`.
pub fn body(event: &EventRow) -> Result<Vec<u8>, AppError> {
    let payload: serde_json::Value =
        serde_json::from_str(&event.payload).map_err(AppError::internal)?;
    serde_json::to_vec(&json!({
        "id": event.id,
        "kind": event.kind,
        "at": time::from_db(event.at),
        "firm_id": event.firm_id,
        "payload": payload,
    }))
    .map_err(AppError::internal)
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why it failed (a status other than 2xx, a refused connection, a timeout).
    pub error: Option<String>,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status.is_some_and(rules::is_success)
    }
}

/// Sends what can be sent now; returns how many attempts were made. `keep_going` is asked
/// between attempts (the server is stopping).
pub fn deliver_due(
    conn: &mut DbConnection,
    agent: &ureq::Agent,
    policy: &RetryPolicy,
    timeout: Duration,
    keep_going: impl Fn() -> bool,
) -> Result<usize, AppError> {
    let now = time::now();
    let due = store::due_deliveries(conn, now, BATCH)?;
    let mut attempts = 0;
    for delivery in due {
        if !keep_going() {
            break;
        }
        // Held for one attempt: long enough for the request to time out, then free again.
        let lease = later(now, timeout * 2 + Duration::from_secs(5));
        if !store::claim(conn, &delivery, lease)? {
            continue;
        }
        let target = store::find_subscription(conn, &delivery.subscription_id)?;
        let event = store::find_event(conn, &delivery.event_id)?;
        let (Some(subscription), Some(event)) = (target, event) else {
            continue;
        };
        if subscription.ended_at.is_some() {
            continue;
        }
        let kind =
            EventKind::parse(&event.kind).ok_or_else(|| AppError::internal("stored event kind"))?;
        let body = body(&event)?;
        let outcome = post(
            agent,
            &subscription.url,
            subscription.secret.as_bytes(),
            &delivery.id,
            kind,
            &body,
        );
        record(conn, &delivery, &outcome, policy)?;
        attempts += 1;
    }
    Ok(attempts)
}

/// Records one attempt's outcome on the delivery.
fn record(
    conn: &mut DbConnection,
    delivery: &DeliveryRow,
    outcome: &Outcome,
    policy: &RetryPolicy,
) -> Result<(), AppError> {
    let attempts = delivery.attempts.saturating_add(1);
    let now = time::now();
    let succeeded = outcome.succeeded();
    let next = policy.after_attempt(u32::try_from(attempts).unwrap_or(u32::MAX), succeeded);
    let (status, next_attempt_at, delivered_at) = match next {
        Next::Delivered => ("delivered", now, Some(now)),
        Next::RetryIn(wait) => ("pending", later(now, wait), None),
        Next::Failed => ("failed", now, None),
    };
    store::record_attempt(
        conn,
        &delivery.id,
        &AttemptRecord {
            attempts,
            status,
            last_status: outcome.status.map(i32::from),
            last_error: if succeeded {
                None
            } else {
                outcome.error.clone()
            },
            next_attempt_at,
            delivered_at,
        },
    )
}

fn later(now: NaiveDateTime, wait: Duration) -> NaiveDateTime {
    let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1));
    now + wait
}

/// One POST. Redirects are not followed (a 3xx is a failed attempt).
pub fn post(
    agent: &ureq::Agent,
    url: &str,
    secret: &[u8],
    delivery_id: &str,
    kind: EventKind,
    body: &[u8],
) -> Outcome {
    let result = agent
        .post(url)
        .set("Content-Type", "application/json")
        .set("User-Agent", "precursor-registry-webhooks")
        .set("X-Precursor-Event", kind.as_str())
        .set("X-Precursor-Delivery", delivery_id)
        .set("X-Precursor-Signature", &rules::signature(secret, body))
        .send_bytes(body);
    match result {
        Ok(response) => {
            let status = response.status();
            // Read (a little of) the answer so the connection can be reused.
            let _ = std::io::copy(
                &mut std::io::Read::take(response.into_reader(), 64 * 1024),
                &mut std::io::sink(),
            );
            Outcome {
                status: Some(status),
                error: (!rules::is_success(status)).then(|| format!("answered HTTP {status}")),
            }
        }
        Err(ureq::Error::Status(status, _)) => Outcome {
            status: Some(status),
            error: Some(format!("answered HTTP {status}")),
        },
        Err(ureq::Error::Transport(transport)) => Outcome {
            status: None,
            error: Some(short(&transport.to_string())),
        },
    }
}

fn short(text: &str) -> String {
    text.chars().take(300).collect()
}

/// The HTTP client of the deliveries: short timeouts, no redirects.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(timeout)
        .timeout(timeout)
        .redirects(0)
        .build()
}
