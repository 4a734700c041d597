//! The scanner: reads the facts the registry already keeps behind a cursor per source and turns
//! the new ones into events, queueing a delivery for every subscription that receives each.
//! Nothing on the filing path changes: a sale, a refusal or a validation run commits as before,
//! and the scanner finds it within a poll interval.
//!
//! Each source is read twice per scan: forward from its cursor to now (this moves the cursor),
//! and again over a short window behind the cursor for facts whose transaction committed after a
//! later one had been read. An event's identity (kind, fact, firm) is unique and facts that
//! already have their event are skipped, so reading again sends nothing twice.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::rules::{self, EventKind, EventMeta, Filter, Source};
use super::store::{self, CursorRow, DeliveryRow, DispatchFact, EventRow, SubscriptionRow};
use crate::db::{read_snapshot, write_tx, DbConnection};
use crate::domain::{time, CustodyRules};
use crate::error::AppError;
use crate::shipments::live::ShipmentState;
use crate::shipments::store::Side;
use crate::shipments::{self, ShipmentView};

/// Facts read per source and scan; the rest wait for the next scan.
pub const BATCH: usize = 500;

/// An event before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub kind: EventKind,
    /// The firm the event is about.
    pub firm_id: String,
    pub counterparty_firm_id: Option<String>,
    /// The fact: a dispatch's entry id or a finding's id.
    pub subject: String,
    pub payload: String,
    /// When the fact happened (filed, fell due, refused, first seen).
    pub at: NaiveDateTime,
}

impl Draft {
    fn identity(&self) -> (String, String, String) {
        (
            self.kind.as_str().to_string(),
            self.subject.clone(),
            self.firm_id.clone(),
        )
    }
}

/// The event a shipment view makes for the firm whose view it is: about that firm, with the
/// other end as counterparty.
pub fn shipment_draft(
    kind: EventKind,
    side: Side,
    view: &ShipmentView,
    at: NaiveDateTime,
) -> Result<Draft, AppError> {
    let (about, other) = match side {
        Side::Buyer => (&view.buyer.id, &view.seller.id),
        Side::Seller => (&view.seller.id, &view.buyer.id),
    };
    Ok(Draft {
        kind,
        firm_id: about.clone(),
        counterparty_firm_id: Some(other.clone()),
        subject: view.dispatch_id.clone(),
        payload: json(view)?,
        at,
    })
}

fn json(value: &impl Serialize) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(AppError::internal)
}

/// Creates the cursors on first start (facts from before then make no events).
pub fn init(conn: &mut DbConnection) -> Result<(), AppError> {
    let names: Vec<&str> = Source::ALL.iter().map(|s| s.cursor_name()).collect();
    write_tx(conn, |conn| {
        store::ensure_cursors(conn, &names, time::now())
    })
}

/// One scan: returns how many events it stored.
pub fn scan(conn: &mut DbConnection, rules: &CustodyRules) -> Result<usize, AppError> {
    let now = time::now();
    let cursors = store::cursors(conn)?;
    let (drafts, moves) = read_snapshot(conn, |conn| collect(conn, &cursors, rules, now))?;
    // An idle scan writes nothing unless a cursor moved by a few seconds: rereading a little
    // more next time is cheaper than a commit every poll.
    let moves: Vec<(&str, NaiveDateTime)> = moves
        .into_iter()
        .filter(|(name, to)| {
            !drafts.is_empty()
                || cursors
                    .get(*name)
                    .is_none_or(|c| *to - c.value >= chrono::Duration::seconds(5))
        })
        .collect();
    if drafts.is_empty() && moves.is_empty() {
        return Ok(0);
    }
    write_tx(conn, |conn| {
        store::lock_cursors(conn)?;
        let stored = store_events(conn, drafts, now)?;
        for (name, to) in &moves {
            store::advance_cursor(conn, name, *to)?;
        }
        Ok(stored)
    })
}

/// Stores the drafts that are not events yet, each with its deliveries.
fn store_events(
    conn: &mut DbConnection,
    drafts: Vec<Draft>,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    if drafts.is_empty() {
        return Ok(0);
    }
    let mut subjects: Vec<String> = drafts.iter().map(|d| d.subject.clone()).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let mut seen = store::identities(conn, &subjects)?;
    let mut firms: Vec<String> = drafts.iter().map(|d| d.firm_id.clone()).collect();
    firms.sort_unstable();
    firms.dedup();
    let regions = store::regions(conn, &firms)?;
    let subscriptions: Vec<(SubscriptionRow, Filter)> = store::active_subscriptions(conn)?
        .into_iter()
        .map(|s| {
            let filter = super::subscriptions::filter_of(&s);
            (s, filter)
        })
        .collect();
    let mut stored = 0;
    for draft in drafts {
        if !seen.insert(draft.identity()) {
            continue;
        }
        let region_code = regions.get(&draft.firm_id).cloned().unwrap_or_default();
        let event = EventRow {
            id: Uuid::now_v7().to_string(),
            kind: draft.kind.as_str().to_string(),
            firm_id: draft.firm_id,
            counterparty_firm_id: draft.counterparty_firm_id,
            region_code,
            subject: draft.subject,
            payload: draft.payload,
            at: draft.at,
        };
        store::insert_event(conn, &event)?;
        let meta = EventMeta {
            kind: draft.kind,
            firm_id: &event.firm_id,
            region_code: &event.region_code,
        };
        for (subscription, _) in subscriptions.iter().filter(|(_, f)| f.matches(&meta)) {
            store::insert_delivery(
                conn,
                &DeliveryRow {
                    id: Uuid::now_v7().to_string(),
                    subscription_id: subscription.id.clone(),
                    event_id: event.id.clone(),
                    attempts: 0,
                    next_attempt_at: now,
                    status: "pending".into(),
                    last_status: None,
                    last_error: None,
                    delivered_at: None,
                    created_at: now,
                },
            )?;
        }
        stored += 1;
    }
    Ok(stored)
}

/// Where each cursor moves after a scan: (cursor name, new value).
type Moves = Vec<(&'static str, NaiveDateTime)>;

/// Reads every source: the drafts, and where each cursor moves.
fn collect(
    conn: &mut DbConnection,
    cursors: &std::collections::HashMap<String, CursorRow>,
    rules: &CustodyRules,
    now: NaiveDateTime,
) -> Result<(Vec<Draft>, Moves), AppError> {
    let limit = BATCH as i64;
    let at_now = time::from_db(now);
    let mut drafts = Vec::new();
    let mut moves = Vec::new();
    for source in Source::ALL {
        let Some(cursor) = cursors.get(source.cursor_name()) else {
            continue;
        };
        let behind = rules::scan_from(cursor.since, cursor.value, rules::rescan_window(source));
        let transit = rules.transit_window;
        // (the catch-up read behind the cursor, the read forward from it)
        let reads = [(behind, cursor.value), (cursor.value, now)];
        let mut forward = (0, None);
        for (i, (from, to)) in reads.into_iter().enumerate() {
            let (fetched, last) = match source {
                Source::Sales => {
                    let facts = store::new_sales(conn, from, to, limit)?;
                    drafts.extend(addressed(conn, &facts, rules, at_now)?);
                    (facts.len(), facts.last().map(|f| f.3))
                }
                Source::Overdue => {
                    // Due in (from, to] means dispatched in (from − window, to − window].
                    let facts =
                        store::dispatched_between(conn, from - transit, to - transit, limit)?;
                    drafts.extend(overdue(conn, &facts, rules, at_now)?);
                    (facts.len(), facts.last().map(|f| f.3 + transit))
                }
                Source::Refusals => {
                    let facts = store::new_refusals(conn, from, to, limit)?;
                    drafts.extend(refused(conn, &facts, rules, at_now)?);
                    (facts.len(), facts.last().map(|f| f.3))
                }
                Source::Findings => {
                    let rows = store::new_critical_findings(conn, from, to, limit)?;
                    let views = crate::custody::findings::views_for_own_firm(conn, &rows)?;
                    for (row, view) in rows.iter().zip(views) {
                        drafts.push(Draft {
                            kind: EventKind::FindingCritical,
                            firm_id: row.firm_id.clone(),
                            counterparty_firm_id: row.counterparty_firm_id.clone(),
                            subject: row.id.clone(),
                            payload: json(&view)?,
                            at: row.first_seen_at,
                        });
                    }
                    (rows.len(), rows.last().map(|r| r.first_seen_at))
                }
            };
            if i == 1 {
                forward = (fetched, last);
            }
        }
        let to = rules::advance(cursor.value, forward.0, BATCH, forward.1, now);
        moves.push((source.cursor_name(), to));
    }
    Ok((drafts, moves))
}

/// Groups dispatch facts by the firm at one end: firm → its dispatch ids.
fn by_firm(facts: &[DispatchFact], side: Side) -> BTreeMap<&str, Vec<String>> {
    let mut grouped: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (id, seller, buyer, _) in facts {
        let firm = match side {
            Side::Buyer => buyer,
            Side::Seller => seller,
        };
        grouped.entry(firm.as_str()).or_default().push(id.clone());
    }
    grouped
}

/// The shipment views of these dispatches as the firms at `side` see them now.
fn views(
    conn: &mut DbConnection,
    facts: &[DispatchFact],
    side: Side,
    rules: &CustodyRules,
    now: DateTime<Utc>,
) -> Result<Vec<ShipmentView>, AppError> {
    let mut all = Vec::new();
    for (firm, ids) in by_firm(facts, side) {
        all.extend(shipments::views_of(conn, firm, side, &ids, rules, now)?);
    }
    Ok(all)
}

/// `dispatch.addressed` for the buyers; a dispatch filed after its due date is overdue at once.
fn addressed(
    conn: &mut DbConnection,
    facts: &[DispatchFact],
    rules: &CustodyRules,
    now: DateTime<Utc>,
) -> Result<Vec<Draft>, AppError> {
    let recorded: std::collections::HashMap<&str, NaiveDateTime> =
        facts.iter().map(|f| (f.0.as_str(), f.3)).collect();
    let mut drafts = Vec::new();
    let mut late = HashSet::new();
    for view in views(conn, facts, Side::Buyer, rules, now)? {
        let at = recorded
            .get(view.dispatch_id.as_str())
            .copied()
            .unwrap_or_else(|| time::to_db(now));
        if view.status == ShipmentState::Overdue {
            late.insert(view.dispatch_id.clone());
        }
        drafts.push(shipment_draft(
            EventKind::DispatchAddressed,
            Side::Buyer,
            &view,
            at,
        )?);
    }
    let late: Vec<DispatchFact> = facts
        .iter()
        .filter(|f| late.contains(&f.0))
        .cloned()
        .collect();
    drafts.extend(overdue(conn, &late, rules, now)?);
    Ok(drafts)
}

/// `dispatch.overdue` for the seller and for the buyer of each dispatch that is overdue now.
fn overdue(
    conn: &mut DbConnection,
    facts: &[DispatchFact],
    rules: &CustodyRules,
    now: DateTime<Utc>,
) -> Result<Vec<Draft>, AppError> {
    let mut drafts = Vec::new();
    if facts.is_empty() {
        return Ok(drafts);
    }
    for side in [Side::Seller, Side::Buyer] {
        for view in views(conn, facts, side, rules, now)? {
            if view.status == ShipmentState::Overdue {
                let at = time::to_db(view.due_by);
                drafts.push(shipment_draft(EventKind::DispatchOverdue, side, &view, at)?);
            }
        }
    }
    Ok(drafts)
}

/// `dispatch.refused` for the sellers, with the refusal in the view.
fn refused(
    conn: &mut DbConnection,
    facts: &[DispatchFact],
    rules: &CustodyRules,
    now: DateTime<Utc>,
) -> Result<Vec<Draft>, AppError> {
    let refused_at: std::collections::HashMap<&str, NaiveDateTime> =
        facts.iter().map(|f| (f.0.as_str(), f.3)).collect();
    views(conn, facts, Side::Seller, rules, now)?
        .iter()
        .map(|view| {
            let at = refused_at
                .get(view.dispatch_id.as_str())
                .copied()
                .unwrap_or_else(|| time::to_db(now));
            shipment_draft(EventKind::DispatchRefused, Side::Seller, view, at)
        })
        .collect()
}
