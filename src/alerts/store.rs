//! Diesel for alerts: the events, the scanner's cursors, subscriptions and the delivery queue,
//! and the reads of the facts behind the cursors.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;

use crate::custody::store::FindingRow;
use crate::db::schema::{
    custody_findings as cf, event_cursors as cursors, events, firms, ledger_entries as le,
    shipment_refusals as refusals, subscriptions as subs, users, webhook_deliveries as wd,
};
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: String,
    pub kind: String,
    pub firm_id: String,
    pub counterparty_firm_id: Option<String>,
    pub region_code: String,
    /// The fact the event is about: a dispatch's entry id, a finding's id.
    pub subject: String,
    pub payload: String,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cursors)]
pub struct CursorRow {
    pub name: String,
    pub since: NaiveDateTime,
    pub value: NaiveDateTime,
}

/// A subscription as stored. No `Debug`: it holds the signing secret.
#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = subs, treat_none_as_default_value = false)]
pub struct SubscriptionRow {
    pub id: String,
    pub user_id: String,
    pub url: String,
    /// Event kinds, comma-separated.
    pub kinds: String,
    pub firm_id: Option<String>,
    pub region_code: Option<String>,
    pub secret: String,
    pub created_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = wd, treat_none_as_default_value = false)]
pub struct DeliveryRow {
    pub id: String,
    pub subscription_id: String,
    pub event_id: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub status: String,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

// ---- cursors -------------------------------------------------------------------------------

pub fn cursors(conn: &mut DbConnection) -> Result<HashMap<String, CursorRow>, AppError> {
    let rows: Vec<CursorRow> = cursors::table.select(CursorRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|r| (r.name.clone(), r)).collect())
}

/// Creates the cursors that do not exist yet, starting at `now`: facts from before alerts
/// started make no events.
pub fn ensure_cursors(
    conn: &mut DbConnection,
    names: &[&str],
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let have = cursors(conn)?;
    for name in names.iter().filter(|n| !have.contains_key(**n)) {
        diesel::insert_into(cursors::table)
            .values(&CursorRow {
                name: name.to_string(),
                since: now,
                value: now,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Serialises scanners (several app servers on one PostgreSQL): the caller's write transaction
/// holds the cursor rows until it commits. SQLite's `BEGIN IMMEDIATE` already does.
pub fn lock_cursors(conn: &mut DbConnection) -> Result<(), AppError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT name FROM event_cursors FOR UPDATE").execute(pg)?;
    }
    Ok(())
}

/// Moves a cursor forward (never back).
pub fn advance_cursor(
    conn: &mut DbConnection,
    name: &str,
    value: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(
        cursors::table
            .filter(cursors::name.eq(name))
            .filter(cursors::value.lt(value)),
    )
    .set(cursors::value.eq(value))
    .execute(conn)?;
    Ok(())
}

// ---- facts behind the cursors --------------------------------------------------------------

/// A dispatch fact: (entry id, seller, buyer, the time the cursor orders it by).
pub type DispatchFact = (String, String, String, NaiveDateTime);

/// Sales naming a registered buyer, recorded in `(after, upto]`, without their
/// `dispatch.addressed` event yet, oldest first.
pub fn new_sales(
    conn: &mut DbConnection,
    after: NaiveDateTime,
    upto: NaiveDateTime,
    limit: i64,
) -> Result<Vec<DispatchFact>, AppError> {
    let rows: Vec<(String, String, Option<String>, NaiveDateTime)> = le::table
        .filter(le::kind.eq("sale"))
        .filter(le::counterparty_firm_id.is_not_null())
        .filter(le::recorded_at.gt(after))
        .filter(le::recorded_at.le(upto))
        .filter(not(exists(
            events::table
                .filter(events::kind.eq("dispatch.addressed"))
                .filter(events::subject.eq(le::id)),
        )))
        .order((le::recorded_at.asc(), le::id.asc()))
        .limit(limit)
        .select((
            le::id,
            le::firm_id,
            le::counterparty_firm_id,
            le::recorded_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, seller, buyer, at)| Some((id, seller, buyer?, at)))
        .collect())
}

/// Dispatches to registered buyers that occurred in `(from, to]` (so whose due date passed in
/// the matching window), without the seller's `dispatch.overdue` event yet, oldest first.
pub fn dispatched_between(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    limit: i64,
) -> Result<Vec<DispatchFact>, AppError> {
    let rows: Vec<(String, String, Option<String>, NaiveDateTime)> = le::table
        .filter(le::kind.eq("sale"))
        .filter(le::counterparty_firm_id.is_not_null())
        .filter(le::occurred_at.gt(from))
        .filter(le::occurred_at.le(to))
        .filter(not(exists(
            events::table
                .filter(events::kind.eq("dispatch.overdue"))
                .filter(events::subject.eq(le::id))
                .filter(events::firm_id.eq(le::firm_id)),
        )))
        .order((le::occurred_at.asc(), le::id.asc()))
        .limit(limit)
        .select((
            le::id,
            le::firm_id,
            le::counterparty_firm_id,
            le::occurred_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, seller, buyer, at)| Some((id, seller, buyer?, at)))
        .collect())
}

/// Refusals made in `(after, upto]` without their `dispatch.refused` event yet, oldest first:
/// (dispatch id, seller, buyer, refused_at).
pub fn new_refusals(
    conn: &mut DbConnection,
    after: NaiveDateTime,
    upto: NaiveDateTime,
    limit: i64,
) -> Result<Vec<DispatchFact>, AppError> {
    Ok(refusals::table
        .filter(refusals::refused_at.gt(after))
        .filter(refusals::refused_at.le(upto))
        .filter(not(exists(
            events::table
                .filter(events::kind.eq("dispatch.refused"))
                .filter(events::subject.eq(refusals::dispatch_entry_id)),
        )))
        .order((refusals::refused_at.asc(), refusals::id.asc()))
        .limit(limit)
        .select((
            refusals::dispatch_entry_id,
            refusals::seller_firm_id,
            refusals::buyer_firm_id,
            refusals::refused_at,
        ))
        .load(conn)?)
}

/// Critical findings first seen in `(after, upto]` without their `finding.critical` event yet.
pub fn new_critical_findings(
    conn: &mut DbConnection,
    after: NaiveDateTime,
    upto: NaiveDateTime,
    limit: i64,
) -> Result<Vec<FindingRow>, AppError> {
    Ok(cf::table
        .filter(cf::severity.eq("critical"))
        .filter(cf::first_seen_at.gt(after))
        .filter(cf::first_seen_at.le(upto))
        .filter(not(exists(
            events::table
                .filter(events::kind.eq("finding.critical"))
                .filter(events::subject.eq(cf::id)),
        )))
        .order((cf::first_seen_at.asc(), cf::id.asc()))
        .limit(limit)
        .select(FindingRow::as_select())
        .load(conn)?)
}

/// Region codes of these firms.
pub fn regions(
    conn: &mut DbConnection,
    firm_ids: &[String],
) -> Result<HashMap<String, String>, AppError> {
    let rows: Vec<(String, String)> = firms::table
        .filter(firms::id.eq_any(firm_ids))
        .select((firms::id, firms::region_code))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

// ---- events --------------------------------------------------------------------------------

/// (kind, subject, firm) of the events that exist among these subjects.
pub fn identities(
    conn: &mut DbConnection,
    subjects: &[String],
) -> Result<HashSet<(String, String, String)>, AppError> {
    let mut found = HashSet::new();
    for chunk in subjects.chunks(500) {
        let rows: Vec<(String, String, String)> = events::table
            .filter(events::subject.eq_any(chunk))
            .select((events::kind, events::subject, events::firm_id))
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

pub fn insert_event(conn: &mut DbConnection, row: &EventRow) -> Result<(), AppError> {
    diesel::insert_into(events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Events after `after_id` (ids are UUID v7: time order), about `firm` if given, oldest first.
pub fn events_after(
    conn: &mut DbConnection,
    after_id: &str,
    firm: Option<&str>,
    limit: i64,
) -> Result<Vec<EventRow>, AppError> {
    let mut query = events::table
        .filter(events::id.gt(after_id.to_string()))
        .order(events::id.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .into_boxed();
    if let Some(firm) = firm {
        query = query.filter(events::firm_id.eq(firm.to_string()));
    }
    Ok(query.load(conn)?)
}

/// The newest event's id, if any.
pub fn last_event_id(conn: &mut DbConnection) -> Result<Option<String>, AppError> {
    Ok(events::table
        .select(events::id)
        .order(events::id.desc())
        .first(conn)
        .optional()?)
}

pub fn find_event(conn: &mut DbConnection, id: &str) -> Result<Option<EventRow>, AppError> {
    Ok(events::table
        .filter(events::id.eq(id))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

// ---- subscriptions -------------------------------------------------------------------------

pub fn insert_subscription(conn: &mut DbConnection, row: &SubscriptionRow) -> Result<(), AppError> {
    diesel::insert_into(subs::table).values(row).execute(conn)?;
    Ok(())
}

/// Subscriptions that receive events: not ended, of a user who is not disabled.
pub fn active_subscriptions(conn: &mut DbConnection) -> Result<Vec<SubscriptionRow>, AppError> {
    Ok(subs::table
        .inner_join(users::table)
        .filter(subs::ended_at.is_null())
        .filter(users::disabled.eq(false))
        .select(SubscriptionRow::as_select())
        .load(conn)?)
}

pub fn subscriptions_of(
    conn: &mut DbConnection,
    user_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<SubscriptionRow>, AppError> {
    Ok(subs::table
        .filter(subs::user_id.eq(user_id))
        .filter(subs::id.gt(after))
        .order(subs::id.asc())
        .limit(limit)
        .select(SubscriptionRow::as_select())
        .load(conn)?)
}

pub fn find_subscription(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<SubscriptionRow>, AppError> {
    Ok(subs::table
        .filter(subs::id.eq(id))
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Ends a subscription (the row stays) and cancels what it still had to deliver.
pub fn end_subscription(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(
        subs::table
            .filter(subs::id.eq(id))
            .filter(subs::ended_at.is_null()),
    )
    .set(subs::ended_at.eq(Some(at)))
    .execute(conn)?;
    diesel::update(
        wd::table
            .filter(wd::subscription_id.eq(id))
            .filter(wd::status.eq("pending")),
    )
    .set((
        wd::status.eq("cancelled"),
        wd::last_error.eq(Some("the subscription ended")),
    ))
    .execute(conn)?;
    Ok(())
}

// ---- deliveries ----------------------------------------------------------------------------

pub fn insert_delivery(conn: &mut DbConnection, row: &DeliveryRow) -> Result<(), AppError> {
    diesel::insert_into(wd::table).values(row).execute(conn)?;
    Ok(())
}

/// The delivery log of a subscription, in id order, with each delivery's event kind.
pub fn deliveries_of(
    conn: &mut DbConnection,
    subscription_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<(DeliveryRow, String)>, AppError> {
    Ok(wd::table
        .inner_join(events::table)
        .filter(wd::subscription_id.eq(subscription_id))
        .filter(wd::id.gt(after))
        .order(wd::id.asc())
        .limit(limit)
        .select((DeliveryRow::as_select(), events::kind))
        .load(conn)?)
}

/// Pending deliveries due at `now`, oldest due first.
pub fn due_deliveries(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<DeliveryRow>, AppError> {
    Ok(wd::table
        .filter(wd::status.eq("pending"))
        .filter(wd::next_attempt_at.le(now))
        .order((wd::next_attempt_at.asc(), wd::id.asc()))
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)?)
}

/// Takes a delivery for one attempt: moves its next attempt to `until` if nobody else moved it
/// since it was read. `true` if this caller has it (another server, or a worker that dies
/// half-way, lets it go when `until` passes).
pub fn claim(
    conn: &mut DbConnection,
    delivery: &DeliveryRow,
    until: NaiveDateTime,
) -> Result<bool, AppError> {
    let changed = diesel::update(
        wd::table
            .filter(wd::id.eq(&delivery.id))
            .filter(wd::status.eq("pending"))
            .filter(wd::attempts.eq(delivery.attempts))
            .filter(wd::next_attempt_at.eq(delivery.next_attempt_at)),
    )
    .set(wd::next_attempt_at.eq(until))
    .execute(conn)?;
    Ok(changed == 1)
}

/// What one attempt did.
pub struct AttemptRecord<'a> {
    pub attempts: i32,
    pub status: &'a str,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

pub fn record_attempt(
    conn: &mut DbConnection,
    id: &str,
    record: &AttemptRecord<'_>,
) -> Result<(), AppError> {
    diesel::update(
        wd::table
            .filter(wd::id.eq(id))
            .filter(wd::status.eq("pending")),
    )
    .set((
        wd::attempts.eq(record.attempts),
        wd::status.eq(record.status),
        wd::last_status.eq(record.last_status),
        wd::last_error.eq(record.last_error.as_deref()),
        wd::next_attempt_at.eq(record.next_attempt_at),
        wd::delivered_at.eq(record.delivered_at),
    ))
    .execute(conn)?;
    Ok(())
}
