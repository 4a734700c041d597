//! `POST /firms/{id}/ledger/epcis`: an EPCIS document's events filed as ledger entries, through
//! the one filing path. All or nothing unless `partial`; every event gets a line in the report;
//! an event filed before (by its eventID) files nothing again.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::mapping::{self, Draft, Lookup, Problem, Reading, EPCIS_CONTEXT};
use super::store::{self, EventRow};
use crate::activity::ActivityRow;
use crate::auth::{policy, Principal};
use crate::db::DbConnection;
use crate::domain::time::OccurredAtFloor;
use crate::domain::{gs1::Gs1Key, EntryKind, Unit};
use crate::error::{AppError, FieldError};
use crate::identifiers::{self, Registry};
use crate::ledger::entry::{CounterpartyRequest, EntryRequest};
use crate::ledger::filing::{self, Filed, Prepared, Submission};
use crate::ledger::{store as ledger_store, LedgerRow};

/// How one event fared.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventReport {
    /// Its place in `epcisBody.eventList`.
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// `filed`, `already_filed` (an earlier import filed it), `unmapped` (the registry cannot
    /// file it: `problems` say why), `rejected` (it maps, but the ledger refused it) or, in a
    /// document refused whole, `not_filed` (it could have been filed).
    pub status: &'static str,
    /// The entries it filed (or had filed), in order.
    pub entries: Vec<Uuid>,
    /// Why it was not filed; for a filed event, the quantities left out (classes the firm did
    /// not register as a chemical).
    pub problems: Vec<FieldError>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub filed: usize,
    pub already_filed: usize,
    pub unmapped: usize,
    pub rejected: usize,
    pub events: Vec<EventReport>,
}

/// One event read, with what it files.
struct Pending {
    /// The event's JSON pointer in the body.
    at: String,
    report: EventReport,
    /// The entries it files, each with its id.
    prepared: Vec<Prepared>,
    /// Where its error declaration's entries come from: (declared_error, element) per entry.
    declared_error: bool,
}

fn field_error(p: Problem) -> FieldError {
    FieldError::new(p.pointer, p.code, p.message)
}

/// Files the document's events into `firm_id`'s ledger (its own enterprise users).
pub fn import(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    document: &Value,
    partial: bool,
    floor: OccurredAtFloor,
    log: Option<ActivityRow>,
) -> Result<ImportReport, AppError> {
    policy::file_for_firm(who, firm_id)?;
    crate::firms::require(conn, firm_id)?;
    super::schema::check(document)?;
    check_document(document)?;
    let single = document.get("type").and_then(Value::as_str) != Some("EPCISDocument");
    let events = match single {
        false => document
            .pointer("/epcisBody/eventList")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        // One event, as EPCIS 2.0's `POST /events` takes it: read as a list of one.
        true => vec![document.clone()],
    };
    check_event_ids(&events)?;
    let lookup = lookup(conn, firm_id, &events)?;
    let known = Known::load(conn, firm_id, &events)?;
    let base = if single { "" } else { "/epcisBody/eventList" };
    let mut pending = read_events(&events, base, &lookup, &known);
    let unmapped: Vec<FieldError> = pending
        .iter()
        .filter(|p| p.report.status == "unmapped")
        .flat_map(|p| p.report.problems.clone())
        .collect();
    if !partial && !unmapped.is_empty() {
        return Err(refused(pending, unmapped));
    }
    if partial {
        drop_refused(conn, who, firm_id, &mut pending, floor)?;
    }
    match file(conn, who, firm_id, &mut pending, floor, log) {
        Err(AppError::Validation(errors)) => Err(refused(pending, errors)),
        Err(other) => Err(other),
        Ok(()) => Ok(report(pending)),
    }
}

/// The answer of a document filed not at all: every error, and a line per event — those the
/// ledger refused `rejected`, those that could have been filed `not_filed`.
fn refused(mut pending: Vec<Pending>, errors: Vec<FieldError>) -> AppError {
    for p in pending.iter_mut().filter(|p| p.report.status == "filed") {
        let prefix = format!("{}/", p.at);
        let mine: Vec<FieldError> = errors
            .iter()
            .filter(|e| e.field.starts_with(&prefix))
            .cloned()
            .collect();
        p.report.status = if mine.is_empty() {
            "not_filed"
        } else {
            "rejected"
        };
        p.report.problems.extend(mine);
    }
    match serde_json::to_value(report(pending)) {
        Ok(report) => AppError::Refused { errors, report },
        Err(_) => AppError::Validation(errors),
    }
}

/// The longest eventID kept (GS1's hash ids are under 100 characters).
const MAX_EVENT_ID: usize = 500;

/// Event types a body may be on its own.
const EVENT_TYPES: [&str; 5] = [
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
];

/// What the schema does not say: the EPCIS 2.0 context, and a document (or one event) rather
/// than a query answer.
fn check_document(document: &Value) -> Result<(), AppError> {
    let kind = document.get("type").and_then(Value::as_str).unwrap_or("");
    if kind != "EPCISDocument" && !EVENT_TYPES.contains(&kind) {
        let message = "send an EPCISDocument (EPCIS 2.0 capture) or one event";
        return Err(AppError::field("/type", "epcis_document_required", message));
    }
    let context = document.get("@context");
    let names_epcis = |v: &Value| {
        v.as_str().is_some_and(|s| {
            s.starts_with("https://ref.gs1.org/standards/epcis/2.0")
                && s.ends_with("epcis-context.jsonld")
        })
    };
    let ok = match context {
        Some(Value::Array(items)) => items.iter().any(names_epcis),
        Some(v) => names_epcis(v),
        None => false,
    };
    if !ok {
        let message = format!("must name the EPCIS 2.0 context, {EPCIS_CONTEXT}");
        return Err(AppError::field("/@context", "epcis_context", message));
    }
    Ok(())
}

/// Two events of one document with one eventID are an error, unless the later one declares
/// the earlier in error (EPCIS 2.0 §7.4.1.2).
fn check_event_ids(events: &[Value]) -> Result<(), AppError> {
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let Some(id) = e.get("eventID").and_then(Value::as_str) else {
            continue;
        };
        if id.chars().count() > MAX_EVENT_ID {
            let message = format!("must be at most {MAX_EVENT_ID} characters");
            errors.push(FieldError::new(
                format!("/epcisBody/eventList/{i}/eventID"),
                "too_long",
                message,
            ));
            continue;
        }
        let declared = e.get("errorDeclaration").is_some();
        if !seen.insert((id.to_string(), declared)) {
            let message = format!("{id} is the eventID of an earlier event of this document");
            errors.push(FieldError::new(
                format!("/epcisBody/eventList/{i}/eventID"),
                "duplicate_event_id",
                message,
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The firm's registrations, the catalog and every firm whose GLN the events name.
fn lookup(conn: &mut DbConnection, firm_id: Uuid, events: &[Value]) -> Result<Lookup, AppError> {
    let registry = Registry::from_rows(&identifiers::store::for_firm(conn, firm_id)?);
    let mut lookup = Lookup {
        products: registry.products.clone(),
        sites: registry.sites.clone(),
        ..Lookup::default()
    };
    for (id, cas, unit) in crate::chemicals::store::classes(conn)? {
        if let Some(cas) = cas {
            lookup.cas.insert(cas, id.clone());
        }
        if let Some(unit) = Unit::parse(&unit) {
            lookup.units.insert(id.clone(), unit);
        }
        lookup.chemicals.insert(id);
    }
    let mut keys = Vec::new();
    for e in events {
        for list in ["sourceList", "destinationList"] {
            for party in e.get(list).and_then(Value::as_array).into_iter().flatten() {
                let text = party.get("source").or_else(|| party.get("destination"));
                let key = text.and_then(Value::as_str).map(Gs1Key::parse);
                if let Some(Ok(Gs1Key::Party { gln } | Gs1Key::Location { gln, .. })) = key {
                    // The GLN as a registered party, and as a site without extension.
                    let site = Gs1Key::Location {
                        gln: gln.clone(),
                        extension: "0".into(),
                    };
                    keys.push(Gs1Key::Party { gln }.to_link());
                    keys.push(site.to_link());
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    // A GLN registered as a party names that firm, before any firm's site of the same number.
    let mut places = identifiers::store::places(conn, &keys)?;
    places.sort_by_key(|row| row.kind == "party");
    for row in places {
        if let Ok(Gs1Key::Party { gln } | Gs1Key::Location { gln, .. }) =
            Gs1Key::parse(&row.gs1_key)
        {
            lookup.parties.insert(gln.as_str().to_string(), row.firm_id);
        }
    }
    Ok(lookup)
}

/// What the firm holds already of the document's events: entries filed from them by an earlier
/// import, and its own entries whose exported eventIDs (`urn:uuid:<entry>`) they carry.
struct Known {
    filed: HashMap<(String, bool), Vec<String>>,
    own: HashMap<String, LedgerRow>,
    reversed: HashSet<String>,
}

impl Known {
    fn load(conn: &mut DbConnection, firm_id: Uuid, events: &[Value]) -> Result<Known, AppError> {
        let ids: Vec<String> = events
            .iter()
            .filter_map(|e| e.get("eventID").and_then(Value::as_str).map(str::to_string))
            .collect();
        let mut filed: HashMap<(String, bool), Vec<String>> = HashMap::new();
        for row in store::filed(conn, firm_id, &ids)? {
            filed
                .entry((row.event_id, row.declared_error))
                .or_default()
                .push(row.entry_id);
        }
        let entry_ids: Vec<String> = ids
            .iter()
            .filter_map(|id| id.strip_prefix("urn:uuid:").map(str::to_string))
            .collect();
        let rows = ledger_store::find_many(conn, firm_id, &entry_ids)?;
        let mut targets: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        targets.extend(
            filed
                .iter()
                .filter(|((_, d), _)| !d)
                .flat_map(|(_, e)| e.clone()),
        );
        let reversed = ledger_store::reversed_among(conn, firm_id, &targets)?
            .into_iter()
            .collect();
        let own = rows.into_iter().map(|r| (r.id.clone(), r)).collect();
        Ok(Known {
            filed,
            own,
            reversed,
        })
    }

    /// The entries an event (or its error declaration) filed before, if it did.
    fn before(&self, event_id: &str, declared_error: bool) -> Option<Vec<String>> {
        if let Some(entries) = self.filed.get(&(event_id.to_string(), declared_error)) {
            return Some(entries.clone());
        }
        let own = self.own.get(event_id.strip_prefix("urn:uuid:")?)?;
        match (declared_error, own.kind == EntryKind::Reversal.as_str()) {
            (false, false) => Some(vec![own.id.clone()]),
            (true, _) if self.reversed.contains(&own.id) => Some(Vec::new()),
            _ => None,
        }
    }

    /// The entries a declaration of `event_id` in error reverses, among earlier filings.
    fn targets(&self, event_id: &str) -> Vec<String> {
        if let Some(entries) = self.filed.get(&(event_id.to_string(), false)) {
            return entries.clone();
        }
        let own = event_id
            .strip_prefix("urn:uuid:")
            .and_then(|id| self.own.get(id));
        own.map(|r| vec![r.id.clone()]).unwrap_or_default()
    }
}

/// Reads every event; `base` is the pointer of the event list (`""` for a single event).
fn read_events(events: &[Value], base: &str, lookup: &Lookup, known: &Known) -> Vec<Pending> {
    // Entries this document files, by eventID: what a later declaration in it may reverse.
    let mut in_document: HashMap<String, Vec<Uuid>> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for (index, e) in events.iter().enumerate() {
        let at = if base.is_empty() {
            String::new()
        } else {
            format!("{base}/{index}")
        };
        let event_id = e.get("eventID").and_then(Value::as_str).map(str::to_string);
        let declared_error = e.get("errorDeclaration").is_some();
        let mut report = EventReport {
            index,
            event_id: event_id.clone(),
            status: "filed",
            entries: Vec::new(),
            problems: Vec::new(),
        };
        if let Some(before) = event_id
            .as_deref()
            .and_then(|id| known.before(id, declared_error))
        {
            report.status = "already_filed";
            report.entries = before
                .iter()
                .filter_map(|id| Uuid::parse_str(id).ok())
                .collect();
            out.push(Pending {
                at,
                report,
                prepared: Vec::new(),
                declared_error,
            });
            continue;
        }
        let prepared = match mapping::read_event(e, &at, lookup) {
            Reading::Entries { drafts, ignored } => {
                report.problems = ignored.into_iter().map(field_error).collect();
                let (prepared, bad): (Vec<_>, Vec<_>) = drafts
                    .into_iter()
                    .map(|d| prepare(&at, d))
                    .partition(Result::is_ok);
                let prepared: Vec<Prepared> = prepared.into_iter().flatten().collect();
                if let Some(Err(problem)) = bad.into_iter().next() {
                    report.status = "unmapped";
                    report.problems = vec![problem];
                }
                if let Some(id) = &event_id {
                    in_document.insert(id.clone(), prepared.iter().map(|p| p.id).collect());
                }
                prepared
            }
            Reading::Correction {
                event_id,
                declared_at,
                note,
            } => {
                let mut targets: Vec<String> = known.targets(&event_id);
                if let Some(ids) = in_document.get(&event_id) {
                    targets.extend(ids.iter().map(Uuid::to_string));
                }
                if targets.is_empty() {
                    let message = format!(
                        "{event_id} is no event this firm filed: nothing to declare in error"
                    );
                    report.status = "unmapped";
                    report.problems.push(FieldError::new(
                        format!("{at}/eventID"),
                        "unknown_event",
                        message,
                    ));
                }
                targets
                    .into_iter()
                    .map(|target| Prepared {
                        id: Uuid::now_v7(),
                        prefix: format!("{at}/"),
                        request: EntryRequest {
                            kind: EntryKind::Reversal.as_str().to_string(),
                            occurred_at: Some(declared_at.to_rfc3339()),
                            reverses: Some(target),
                            note: note.clone(),
                            ..EntryRequest::default()
                        },
                    })
                    .collect()
            }
            Reading::Unmappable(problems) => {
                report.status = "unmapped";
                report.problems = problems.into_iter().map(field_error).collect();
                Vec::new()
            }
        };
        let prepared = if report.status == "unmapped" {
            Vec::new()
        } else {
            prepared
        };
        out.push(Pending {
            at,
            report,
            prepared,
            declared_error,
        });
    }
    out
}

/// The entry request of a draft, named in errors by its event's pointer.
fn prepare(at: &str, d: Draft) -> Result<Prepared, FieldError> {
    let counterparty = d
        .counterparty
        .map(serde_json::from_value::<CounterpartyRequest>)
        .transpose()
        .map_err(|e| {
            let field = format!("{at}/prr:counterparty");
            FieldError::new(field, "invalid_counterparty", e.to_string())
        })?;
    Ok(Prepared {
        id: Uuid::now_v7(),
        prefix: format!("{at}/"),
        request: EntryRequest {
            kind: d.kind.as_str().to_string(),
            chemical_id: Some(d.chemical_id),
            lot: d.lot,
            quantity: Some(d.quantity),
            occurred_at: Some(d.occurred_at.to_rfc3339()),
            counterparty,
            payment: d.payment,
            shipment_ref: d.shipment_ref,
            permit_no: d.permit_no,
            transport_permit_no: d.transport_permit_no,
            warehouse: d.warehouse,
            note: d.note,
            reverses: None,
        },
    })
}

/// In a partial import, leaves out the events the ledger's checks refuse, until the rest passes.
fn drop_refused(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    pending: &mut [Pending],
    floor: OccurredAtFloor,
) -> Result<(), AppError> {
    for _ in 0..=pending.len() {
        let items: Vec<Prepared> = pending.iter().flat_map(|p| p.prepared.clone()).collect();
        if items.is_empty() {
            return Ok(());
        }
        let errors = match filing::check(conn, who, firm_id, Submission::Prepared(&items), floor) {
            Ok(_) => return Ok(()),
            Err(AppError::Validation(errors)) => errors,
            Err(other) => return Err(other),
        };
        let mut dropped = false;
        for p in pending.iter_mut().filter(|p| !p.prepared.is_empty()) {
            let prefix = format!("{}/", p.at);
            let mine: Vec<FieldError> = errors
                .iter()
                .filter(|e| e.field.starts_with(&prefix))
                .cloned()
                .collect();
            if !mine.is_empty() {
                p.report.status = "rejected";
                p.report.problems = mine;
                p.prepared.clear();
                dropped = true;
            }
        }
        if !dropped {
            return Err(AppError::Validation(errors));
        }
    }
    Ok(())
}

/// Files every pending entry in one transaction, with the record of the events they came from.
fn file(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    pending: &mut [Pending],
    floor: OccurredAtFloor,
    log: Option<ActivityRow>,
) -> Result<(), AppError> {
    let items: Vec<Prepared> = pending.iter().flat_map(|p| p.prepared.clone()).collect();
    if items.is_empty() {
        return Ok(());
    }
    let mut records = Vec::new();
    for p in pending.iter() {
        let Some(event_id) = &p.report.event_id else {
            continue;
        };
        for (element, item) in p.prepared.iter().enumerate() {
            records.push(EventRow {
                firm_id: firm_id.to_string(),
                event_id: event_id.clone(),
                declared_error: p.declared_error,
                element: element as i32,
                entry_id: item.id.to_string(),
            });
        }
    }
    let filed = filing::file_then(
        conn,
        who,
        firm_id,
        Submission::Prepared(&items),
        floor,
        None,
        log,
        |_| Ok(()),
        |conn, _| store::insert(conn, &records),
    )?;
    if let Filed::Replayed { .. } = filed {
        return Err(AppError::internal(
            "an EPCIS import has no idempotency key to replay",
        ));
    }
    for p in pending.iter_mut() {
        p.report.entries = p.prepared.iter().map(|i| i.id).collect();
    }
    Ok(())
}

fn report(pending: Vec<Pending>) -> ImportReport {
    let events: Vec<EventReport> = pending.into_iter().map(|p| p.report).collect();
    let count = |s: &str| events.iter().filter(|e| e.status == s).count();
    ImportReport {
        filed: count("filed"),
        already_filed: count("already_filed"),
        unmapped: count("unmapped"),
        rejected: count("rejected"),
        events,
    }
}
