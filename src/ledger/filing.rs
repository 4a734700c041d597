//! Filing: checks an entry (or a batch) against the database, chains it and stores it, once.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::chain::{self, GENESIS};
use super::entry::{Counterparty, EntryRequest, NewEntry};
use super::store::{self, LedgerRow, StoredResponse};
use crate::activity::ActivityRow;
use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::{time, EntryKind, FirmStatus};
use crate::error::{AppError, FieldError};
use crate::firms;

pub const MAX_BATCH: usize = 1000;
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// One item to file: the id it will get, and where to name it in errors.
pub struct Item {
    pub id: Uuid,
    pub prefix: String,
    pub entry: NewEntry,
}

/// The key of an idempotent request and the fingerprint of the request that first used it.
pub struct Idempotency {
    pub key: String,
    /// SHA-256 of the request (scope and body).
    pub request_hash: String,
}

impl Idempotency {
    /// `body` must be canonical for its format (JSON re-serialized, CSV as sent).
    pub fn new(key: &str, scope: &str, body: &[u8]) -> Result<Idempotency, AppError> {
        let key = key.trim();
        if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !key.is_ascii() {
            return Err(AppError::field(
                "Idempotency-Key",
                "invalid_idempotency_key",
                "must be 1–200 ASCII characters",
            ));
        }
        let mut hasher = Sha256::new();
        hasher.update(scope.as_bytes());
        hasher.update([0]);
        hasher.update(body);
        Ok(Idempotency {
            key: key.to_string(),
            request_hash: hex::encode(hasher.finalize()),
        })
    }
}

/// Requests parsed into items (with fresh ids), and the field errors of those that did not parse.
pub struct Parsed {
    pub items: Vec<Item>,
    pub errors: Vec<FieldError>,
}

/// Parses requests into items; the database checks still run on the good ones, so that one
/// answer lists every problem of every item.
pub fn parse_items(
    requests: &[EntryRequest],
    batch: bool,
    now: DateTime<Utc>,
) -> Result<Parsed, AppError> {
    if batch && requests.is_empty() {
        return Err(AppError::field(
            "entries",
            "required",
            "a batch needs at least one entry",
        ));
    }
    if requests.len() > MAX_BATCH {
        return Err(AppError::field(
            "entries",
            "too_many_entries",
            format!("a batch holds at most {MAX_BATCH} entries"),
        ));
    }
    let mut items = Vec::with_capacity(requests.len());
    let mut errors = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        let prefix = if batch {
            format!("entries[{i}].")
        } else {
            String::new()
        };
        match request.parse(&prefix, now) {
            Ok(entry) => items.push(Item {
                id: Uuid::now_v7(),
                prefix,
                entry,
            }),
            Err(mut e) => errors.append(&mut e),
        }
    }
    Ok(Parsed { items, errors })
}

/// What a filing answered: replayed from an earlier request with the same key, or new.
pub enum Filed {
    Replayed { status: u16, body: String },
    New { rows: Vec<LedgerRow>, body: String },
}

/// Files into `firm_id`'s ledger in one transaction: all or nothing, and at most once per
/// idempotency key. `make_items` parses the request (after the key is checked, so a retry is
/// answered even if the rules changed meanwhile); `render` makes the response body that a
/// retry will get again.
pub fn file(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    idempotency: Option<Idempotency>,
    log: Option<ActivityRow>,
    make_items: impl FnOnce(&mut DbConnection, DateTime<Utc>) -> Result<Parsed, AppError>,
    render: impl Fn(&[LedgerRow]) -> Result<String, AppError>,
) -> Result<Filed, AppError> {
    policy::file_for_firm(who, firm_id)?;
    let now = time::now();
    write_tx(conn, |conn| {
        store::lock_firm(conn, firm_id)?;
        let firm = firms::require(conn, firm_id)?;
        if let Some(idem) = &idempotency {
            if let Some(earlier) = store::find_idempotent(conn, firm_id, &idem.key)? {
                if earlier.request_hash != idem.request_hash {
                    return Err(AppError::field(
                        "Idempotency-Key",
                        "idempotency_key_reused",
                        "this key was used for a different request; use a new key",
                    ));
                }
                return Ok(Filed::Replayed {
                    status: earlier.status as u16,
                    body: earlier.body,
                });
            }
        }
        let Parsed { items, mut errors } = make_items(conn, time::from_db(now))?;
        if firm.status != FirmStatus::Active
            && items.iter().any(|i| i.entry.kind.needs_active_firm())
        {
            return Err(AppError::conflict(
                "firm_not_active",
                format!(
                    "the firm is {}: it may not file purchases, production or sales",
                    firm.status
                ),
            ));
        }
        let rows = match check_and_chain(conn, who, &firm, &items, time::from_db(now)) {
            Ok(rows) if errors.is_empty() => rows,
            Ok(_) => return Err(AppError::Validation(errors)),
            Err(AppError::Validation(mut more)) => {
                errors.append(&mut more);
                return Err(AppError::Validation(errors));
            }
            Err(other) => return Err(other),
        };
        store::insert(conn, &rows)?;
        let body = render(&rows)?;
        if let Some(idem) = &idempotency {
            let stored = StoredResponse {
                request_hash: idem.request_hash.clone(),
                status: 201,
                body: body.clone(),
            };
            store::save_idempotent(conn, firm_id, &idem.key, &stored, now)?;
        }
        // The filing and its line in the activity log commit together (one commit, one fsync).
        if let Some(row) = &log {
            crate::activity::record(conn, row)?;
        }
        Ok(Filed::New { rows, body })
    })
}

/// What is known of an entry that a reversal may name.
struct Target {
    kind: EntryKind,
    chemical_id: String,
    lot: Option<String>,
    quantity: i64,
}

fn check_and_chain(
    conn: &mut DbConnection,
    who: &Principal,
    firm: &firms::Firm,
    items: &[Item],
    now: DateTime<Utc>,
) -> Result<Vec<LedgerRow>, AppError> {
    let firm_id = firm.id.to_string();
    let chemical_ids: Vec<String> = items
        .iter()
        .filter_map(|i| i.entry.chemical_id)
        .map(|c| c.to_string())
        .collect();
    let categories: HashMap<String, i32> = store::chemical_categories(conn, &chemical_ids)?
        .into_iter()
        .collect();
    let counterparty_ids: Vec<String> = items
        .iter()
        .filter_map(|i| match &i.entry.counterparty {
            Some(Counterparty::Registered(id)) => Some(id.to_string()),
            _ => None,
        })
        .collect();
    let registered: HashMap<String, String> = store::registered_firms(conn, &counterparty_ids)?
        .into_iter()
        .collect();
    let target_ids: Vec<String> = items
        .iter()
        .filter_map(|i| i.entry.reverses)
        .map(|r| r.to_string())
        .collect();
    let mut targets: HashMap<String, Target> = HashMap::new();
    for row in store::find_many(conn, firm.id, &target_ids)? {
        let kind = row.kind()?;
        targets.insert(
            row.id.clone(),
            Target {
                kind,
                chemical_id: row.chemical_id,
                lot: row.lot,
                quantity: row.quantity,
            },
        );
    }
    let mut reversed: HashSet<String> = store::reversed_among(conn, firm.id, &target_ids)?
        .into_iter()
        .collect();

    let (mut seq, mut prev) = match store::head(conn, firm.id)? {
        Some((seq, hash)) => (
            seq,
            chain::parse_hash(&hash)
                .ok_or_else(|| AppError::internal("stored head hash is not hex"))?,
        ),
        None => (0, GENESIS),
    };
    let recorded_at = time::to_db(now);
    let recorded_by = who.user_id.to_string();
    let mut errors: Vec<FieldError> = Vec::new();
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let e = &item.entry;
        let err = |field: &str, code: &'static str, message: &str| {
            FieldError::new(format!("{}{field}", item.prefix), code, message)
        };
        let before = errors.len();

        // A reversal copies what it cancels; anything else names its own chemical and quantity.
        let (chemical_id, lot, quantity) = match e.reverses {
            Some(target_id) => match targets.get(&target_id.to_string()) {
                None => {
                    errors.push(err(
                        "reverses",
                        "unknown_entry",
                        "no entry of this firm has this id",
                    ));
                    (String::new(), None, 0)
                }
                Some(t) if t.kind == EntryKind::Reversal => {
                    errors.push(err(
                        "reverses",
                        "cannot_reverse_reversal",
                        "a reversal cannot be reversed; file the entry again",
                    ));
                    (String::new(), None, 0)
                }
                Some(_) if reversed.contains(&target_id.to_string()) => {
                    errors.push(err(
                        "reverses",
                        "already_reversed",
                        "this entry has already been reversed",
                    ));
                    (String::new(), None, 0)
                }
                Some(t) => (t.chemical_id.clone(), t.lot.clone(), t.quantity),
            },
            None => {
                let chemical_id = e.chemical_id.map(|c| c.to_string()).unwrap_or_default();
                match categories.get(&chemical_id) {
                    None => errors.push(err(
                        "chemical_id",
                        "unknown_chemical",
                        "is not in the catalog",
                    )),
                    Some(category) if *category <= 2 && e.lot.is_none() => errors.push(err(
                        "lot",
                        "lot_required",
                        "category 1 and 2 chemicals are filed by lot",
                    )),
                    Some(_) => {}
                }
                (
                    chemical_id,
                    e.lot.clone(),
                    e.quantity.map(|q| q.thousandths()).unwrap_or(0),
                )
            }
        };

        let (cp_firm, cp_name, cp_code, cp_permit) = match &e.counterparty {
            None => (None, None, None, None),
            Some(Counterparty::Registered(id)) => {
                let id = id.to_string();
                if id == firm_id {
                    errors.push(err(
                        "counterparty.firm_id",
                        "self_counterparty",
                        "a firm cannot buy from or sell to itself",
                    ));
                } else if !registered.contains_key(&id) {
                    errors.push(err(
                        "counterparty.firm_id",
                        "unknown_firm",
                        "no registered firm has this id",
                    ));
                }
                (Some(id), None, None, None)
            }
            Some(Counterparty::External {
                name,
                credit_code,
                permit_no,
            }) => {
                if credit_code
                    .as_ref()
                    .is_some_and(|c| c.as_str() == firm.credit_code)
                {
                    errors.push(err(
                        "counterparty.credit_code",
                        "self_counterparty",
                        "a firm cannot buy from or sell to itself",
                    ));
                }
                (
                    None,
                    name.clone(),
                    credit_code.as_ref().map(|c| c.to_string()),
                    permit_no.clone(),
                )
            }
        };
        if errors.len() > before {
            continue;
        }
        if let Some(target) = e.reverses {
            reversed.insert(target.to_string());
        }
        seq += 1;
        let mut row = LedgerRow {
            firm_id: firm_id.clone(),
            seq,
            id: item.id.to_string(),
            kind: e.kind.as_str().to_string(),
            chemical_id,
            lot,
            quantity,
            occurred_at: time::to_db(e.occurred_at),
            recorded_at,
            recorded_by: recorded_by.clone(),
            counterparty_firm_id: cp_firm,
            counterparty_name: cp_name,
            counterparty_credit_code: cp_code,
            counterparty_permit_no: cp_permit,
            shipment_ref: e.shipment_ref.clone(),
            permit_no: e.permit_no.clone(),
            transport_permit_no: e.transport_permit_no.clone(),
            warehouse: e.warehouse.clone(),
            note: e.note.clone(),
            reverses: e.reverses.map(|r| r.to_string()),
            prev_hash: hex::encode(prev),
            hash: String::new(),
        };
        let hash = chain::entry_hash(&prev, &row.hashed_fields());
        row.hash = hex::encode(hash);
        prev = hash;
        // Later items of the same batch may reverse this one (CSV import does).
        targets.insert(
            row.id.clone(),
            Target {
                kind: e.kind,
                chemical_id: row.chemical_id.clone(),
                lot: row.lot.clone(),
                quantity,
            },
        );
        rows.push(row);
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(AppError::Validation(errors))
    }
}

fn invalid_body(e: serde_json::Error) -> FieldError {
    FieldError::new("body", "invalid_type", e.to_string())
}

/// `POST /firms/{id}/ledger`: one entry; the response is the stored entry.
pub fn file_one(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    body: serde_json::Value,
    key: Option<&str>,
    log: Option<ActivityRow>,
) -> Result<Filed, AppError> {
    let idempotency = key
        .map(|k| Idempotency::new(k, "entry", body.to_string().as_bytes()))
        .transpose()?;
    file(
        conn,
        who,
        firm_id,
        idempotency,
        log,
        |_, now| {
            let request: EntryRequest = serde_json::from_value(body)
                .map_err(|e| AppError::Validation(vec![invalid_body(e)]))?;
            parse_items(std::slice::from_ref(&request), false, now)
        },
        |rows| {
            let entry = rows
                .first()
                .ok_or_else(|| AppError::internal("nothing filed"))?
                .to_entry()?;
            serde_json::to_string(&entry).map_err(AppError::internal)
        },
    )
}

fn render_receipts(rows: &[LedgerRow]) -> Result<String, AppError> {
    let items = rows
        .iter()
        .map(LedgerRow::receipt)
        .collect::<Result<Vec<_>, _>>()?;
    serde_json::to_string(&serde_json::json!({ "items": items })).map_err(AppError::internal)
}

/// `POST /firms/{id}/ledger/batch`: `{entries: [...]}`, all or nothing; receipts in order.
pub fn file_batch(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    body: serde_json::Value,
    key: Option<&str>,
    log: Option<ActivityRow>,
) -> Result<Filed, AppError> {
    let idempotency = key
        .map(|k| Idempotency::new(k, "batch", body.to_string().as_bytes()))
        .transpose()?;
    file(
        conn,
        who,
        firm_id,
        idempotency,
        log,
        |_, now| {
            let entries = match body.get("entries") {
                Some(serde_json::Value::Array(entries)) => entries,
                _ => {
                    return Err(AppError::field(
                        "entries",
                        "required",
                        "send {\"entries\": [ … ]}",
                    ))
                }
            };
            if entries.len() > MAX_BATCH {
                return Err(AppError::field(
                    "entries",
                    "too_many_entries",
                    format!("a batch holds at most {MAX_BATCH} entries"),
                ));
            }
            let mut requests = Vec::with_capacity(entries.len());
            let mut errors = Vec::new();
            for (i, value) in entries.iter().enumerate() {
                match EntryRequest::deserialize(value) {
                    Ok(r) => requests.push(r),
                    Err(e) => errors.push(FieldError::new(
                        format!("entries[{i}]"),
                        "invalid_type",
                        e.to_string(),
                    )),
                }
            }
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            parse_items(&requests, true, now)
        },
        render_receipts,
    )
}

/// `POST /firms/{id}/ledger/import` and `precursor-registry import`: a CSV filed as one batch,
/// errors named by spreadsheet row and column.
pub fn import_csv(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    csv_bytes: &[u8],
    key: Option<&str>,
    log: Option<ActivityRow>,
) -> Result<Filed, AppError> {
    let idempotency = key
        .map(|k| Idempotency::new(k, "import", csv_bytes))
        .transpose()?;
    file(
        conn,
        who,
        firm_id,
        idempotency,
        log,
        |conn, now| {
            let cas_to_id = crate::chemicals::store::cas_index(conn)?;
            let rows = super::csv::import(csv_bytes, &cas_to_id)?;
            let mut rows: Vec<(Uuid, super::csv::ImportedRow)> =
                rows.into_iter().map(|r| (Uuid::now_v7(), r)).collect();
            super::csv::relink_reversals(&mut rows);
            let requests: Vec<EntryRequest> = rows.iter().map(|(_, r)| r.request.clone()).collect();
            let mut parsed = parse_items(&requests, true, now)?;
            // Keep the ids the reversals were relinked to (items of rows that failed are absent).
            let ids: std::collections::HashMap<String, Uuid> = rows
                .iter()
                .enumerate()
                .map(|(i, (id, _))| (format!("entries[{i}]."), *id))
                .collect();
            for item in &mut parsed.items {
                if let Some(id) = ids.get(&item.prefix) {
                    item.id = *id;
                }
            }
            Ok(parsed)
        },
        render_receipts,
    )
    .map_err(super::csv::as_row_errors)
}
