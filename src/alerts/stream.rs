//! `GET /events/stream`: the events a caller may receive, as server-sent events. The stream
//! polls the events table; `Last-Event-ID` resumes after the last event a client saw.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use futures_util::stream::Stream;
use serde::Deserialize;
use uuid::Uuid;

use super::rules::{self, EventKind, EventMeta, Filter};
use super::store::{self, EventRow};
use super::subscriptions::{parse_kinds, parse_scope_fields, scope};
use crate::auth::{policy, Principal};
use crate::config::AlertSettings;
use crate::db::{Db, DbConnection};
use crate::error::{AppError, FieldError};

/// Events read per poll.
const BATCH: i64 = 200;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Comma-separated event kinds (default: all).
    pub kinds: Option<String>,
    /// Events about this firm only (an enterprise: its own, the default).
    pub firm_id: Option<String>,
    /// Regulators: firms whose region code starts with this.
    pub region_code: Option<String>,
}

/// Where a stream starts and what it lets through.
pub struct Opened {
    pub filter: Filter,
    /// Events after this id are sent.
    pub after: String,
}

/// Checks the caller and its query, and finds where the stream starts: after `Last-Event-ID`,
/// or after the newest event (a new stream sends what happens from now on).
pub fn open(
    conn: &mut DbConnection,
    who: &Principal,
    query: &StreamQuery,
    last_event_id: Option<&str>,
) -> Result<Opened, AppError> {
    policy::receive_alerts(who)?;
    let mut errors = Vec::new();
    let texts: Vec<String> = query
        .kinds
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    let kinds = parse_kinds("kinds", &texts, &mut errors);
    let (firm_id, region_code) =
        parse_scope_fields(&query.firm_id, &query.region_code, &mut errors);
    let last = last_event_id.map(str::trim).filter(|l| !l.is_empty());
    if last.is_some_and(|l| Uuid::parse_str(l).is_err()) {
        errors.push(FieldError::new(
            "Last-Event-ID",
            "invalid_id",
            "is not an event id this stream sent",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let filter = scope(who, &kinds, firm_id.as_deref(), region_code.as_deref())?;
    let after = match last {
        Some(last) => last.to_string(),
        None => store::last_event_id(conn)?.unwrap_or_default(),
    };
    Ok(Opened { filter, after })
}

/// The frames of the events in `rows` that `filter` lets through.
pub fn frames(rows: &[EventRow], filter: &Filter) -> Vec<String> {
    rows.iter()
        .filter_map(|row| {
            let kind = EventKind::parse(&row.kind)?;
            let meta = EventMeta {
                kind,
                firm_id: &row.firm_id,
                region_code: &row.region_code,
            };
            filter.matches(&meta).then(|| {
                let data = super::deliver::body(row)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                rules::sse_frame(&row.id, kind, &data)
            })
        })
        .collect()
}

struct State {
    db: Db,
    filter: Filter,
    after: String,
    poll: Duration,
    keepalive: Duration,
    queue: VecDeque<Bytes>,
    last_sent: Instant,
}

/// The body of the stream: a first comment at once, then events as they come, a keep-alive
/// comment when idle. It ends when the client goes away (or the database fails).
pub fn body(
    db: Db,
    opened: Opened,
    settings: &AlertSettings,
) -> impl Stream<Item = Result<Bytes, AppError>> + 'static {
    let mut queue = VecDeque::new();
    queue.push_back(Bytes::from_static(b"retry: 3000\n: connected\n\n"));
    let state = State {
        db,
        filter: opened.filter,
        after: opened.after,
        poll: settings.stream_poll,
        keepalive: settings.stream_keepalive,
        queue,
        last_sent: Instant::now(),
    };
    futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(frame) = st.queue.pop_front() {
                st.last_sent = Instant::now();
                return Some((Ok(frame), st));
            }
            if st.last_sent.elapsed() >= st.keepalive {
                st.last_sent = Instant::now();
                return Some((Ok(Bytes::from_static(rules::SSE_KEEPALIVE.as_bytes())), st));
            }
            actix_web::rt::time::sleep(st.poll).await;
            let after = st.after.clone();
            let firm = st.filter.firm_id().map(str::to_string);
            let read = st
                .db
                .run(move |conn| store::events_after(conn, &after, firm.as_deref(), BATCH))
                .await;
            let rows = match read {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::warn!(error = %err, "event stream: reading events failed");
                    return None;
                }
            };
            if let Some(last) = rows.last() {
                st.after = last.id.clone();
            }
            st.queue
                .extend(frames(&rows, &st.filter).into_iter().map(Bytes::from));
        }
    })
}
