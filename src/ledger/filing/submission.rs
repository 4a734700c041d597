//! How entries arrive to be filed: one JSON entry, a JSON batch, a CSV or an Excel workbook. They
//! differ only here, in how their entries are read, how an error names its entry and what the
//! answer shows.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::idempotency::Idempotency;
use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::time::OccurredAtFloor;
use crate::error::{AppError, FieldError};
use crate::ledger::entry::{EntryRequest, NewEntry};
use crate::ledger::{csv, xlsx, LedgerRow};

pub const MAX_BATCH: usize = 1000;
/// Entries one EPCIS document may file: a firm's year of entries, more than a batch.
pub const MAX_PREPARED: usize = 20_000;

/// What a filer sent.
pub enum Submission<'a> {
    /// `POST /firms/{id}/ledger`: one entry; the answer is the stored entry.
    Entry(&'a serde_json::Value),
    /// `POST /firms/{id}/ledger/batch`: `{entries: [...]}`; the answer is the receipts in order.
    Batch(&'a serde_json::Value),
    /// `POST /firms/{id}/ledger/import` and `precursor-registry import`: a CSV filed as one
    /// batch, errors named by spreadsheet row and column; the answer is the receipts in order.
    Csv(&'a [u8]),
    /// The same with an .xlsx workbook (its first sheet, the CSV's columns): errors are named
    /// by the row's number in the sheet (fully empty rows are skipped, not renumbered).
    Xlsx(&'a [u8]),
    /// Entries read elsewhere (an EPCIS document's events), each with its id and the name its
    /// errors carry; the answer is the receipts in order.
    Prepared(&'a [Prepared]),
}

/// An entry read from another format, with the id it will get and how its errors are named.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: Uuid,
    pub prefix: String,
    pub request: EntryRequest,
}

/// One item to file: the id it will get, and where to name it in errors.
pub struct Item {
    pub id: Uuid,
    pub prefix: String,
    pub entry: NewEntry,
}

/// Requests parsed into items, and the field errors of those that did not parse.
pub struct Parsed {
    pub items: Vec<Item>,
    pub errors: Vec<FieldError>,
}

impl Submission<'_> {
    /// The fingerprint of this request under `key`; the scope keeps one key from answering a
    /// different kind of request.
    pub fn idempotency(&self, key: &str) -> Result<Idempotency, AppError> {
        match self {
            Submission::Entry(body) => Idempotency::new(key, "entry", body.to_string().as_bytes()),
            Submission::Batch(body) => Idempotency::new(key, "batch", body.to_string().as_bytes()),
            Submission::Csv(bytes) => Idempotency::new(key, "import", bytes),
            Submission::Xlsx(bytes) => Idempotency::new(key, "import_xlsx", bytes),
            Submission::Prepared(items) => {
                let requests: Vec<&EntryRequest> = items.iter().map(|p| &p.request).collect();
                let body = serde_json::to_vec(&requests).map_err(AppError::internal)?;
                Idempotency::new(key, "prepared", &body)
            }
        }
    }

    /// Reads the requests and parses them into items (each with its id); the database checks
    /// still run on the good ones, so that one answer lists every problem of every item.
    pub fn items(
        &self,
        conn: &mut DbConnection,
        now: DateTime<Utc>,
        floor: OccurredAtFloor,
    ) -> Result<Parsed, AppError> {
        let requests = match self {
            Submission::Entry(body) => {
                let request = EntryRequest::deserialize(*body).map_err(|e| {
                    AppError::Validation(vec![crate::error::shape_error("body", &e)])
                })?;
                self.numbered(vec![(Uuid::now_v7(), request)])
            }
            Submission::Batch(body) => self.numbered(batch_requests(body)?),
            Submission::Csv(bytes) => {
                let cas_to_id = crate::chemicals::store::cas_index(conn)?;
                spreadsheet_requests(csv::import(bytes, &cas_to_id)?)
            }
            Submission::Xlsx(bytes) => {
                let cas_to_id = crate::chemicals::store::cas_index(conn)?;
                let clock = crate::console::page::clock();
                spreadsheet_requests(xlsx::import(bytes, &cas_to_id, clock)?)
            }
            Submission::Prepared(items) => items
                .iter()
                .map(|p| Request {
                    id: p.id,
                    prefix: p.prefix.clone(),
                    request: p.request.clone(),
                })
                .collect(),
        };
        let max = match self {
            Submission::Prepared(_) => MAX_PREPARED,
            _ => MAX_BATCH,
        };
        Self::parse(self.is_batch(), max, requests, now, floor)
    }

    /// The body of a new filing's answer, which a retry will get again (as the filer sees it).
    /// `leaves` are the rows' leaf indexes in the tree, in order.
    pub fn render(
        &self,
        rows: &[LedgerRow],
        leaves: &[u64],
        who: &Principal,
    ) -> Result<String, AppError> {
        match self {
            Submission::Entry(_) => {
                let mut entry = rows
                    .first()
                    .ok_or_else(|| AppError::internal("nothing filed"))?
                    .to_entry(who)?;
                entry.leaf_index = leaves.first().copied();
                serde_json::to_string(&entry).map_err(AppError::internal)
            }
            Submission::Batch(_)
            | Submission::Csv(_)
            | Submission::Xlsx(_)
            | Submission::Prepared(_) => {
                let items = rows
                    .iter()
                    .zip(leaves)
                    .map(|(row, leaf)| {
                        let mut receipt = row.receipt()?;
                        receipt.leaf_index = Some(*leaf);
                        Ok(receipt)
                    })
                    .collect::<Result<Vec<_>, AppError>>()?;
                serde_json::to_string(&serde_json::json!({ "items": items }))
                    .map_err(AppError::internal)
            }
        }
    }

    /// How errors name item `index` of a JSON submission: nothing for a single entry,
    /// `entries[3].` in a batch. A spreadsheet's rows name themselves (`row 5.`).
    fn prefix(&self, index: usize) -> String {
        match self {
            Submission::Entry(_) => String::new(),
            Submission::Batch(_) => format!("entries[{index}]."),
            Submission::Csv(_) | Submission::Xlsx(_) => format!("row {}.", csv::row_number(index)),
            Submission::Prepared(items) => items
                .get(index)
                .map(|p| p.prefix.clone())
                .unwrap_or_default(),
        }
    }

    fn is_batch(&self) -> bool {
        !matches!(self, Submission::Entry(_))
    }

    /// Requests with the prefix of their place in the submission.
    fn numbered(&self, requests: Vec<(Uuid, EntryRequest)>) -> Vec<Request> {
        requests
            .into_iter()
            .enumerate()
            .map(|(index, (id, request))| Request {
                id,
                prefix: self.prefix(index),
                request,
            })
            .collect()
    }

    fn parse(
        batch: bool,
        max: usize,
        requests: Vec<Request>,
        now: DateTime<Utc>,
        floor: OccurredAtFloor,
    ) -> Result<Parsed, AppError> {
        if batch && requests.is_empty() {
            return Err(AppError::field(
                "entries",
                "required",
                "a batch needs at least one entry",
            ));
        }
        if requests.len() > max {
            return Err(AppError::field(
                "entries",
                "too_many_entries",
                format!("one filing holds at most {max} entries"),
            ));
        }
        let mut items = Vec::with_capacity(requests.len());
        let mut errors = Vec::new();
        for Request {
            id,
            prefix,
            request,
        } in requests
        {
            match request.parse(&prefix, now, floor) {
                Ok(entry) => items.push(Item { id, prefix, entry }),
                Err(mut e) => errors.append(&mut e),
            }
        }
        Ok(Parsed { items, errors })
    }
}

/// A request read from a submission: the id it will get and how errors name it.
struct Request {
    id: Uuid,
    prefix: String,
    request: EntryRequest,
}

fn too_many_entries() -> AppError {
    AppError::field(
        "entries",
        "too_many_entries",
        format!("a batch holds at most {MAX_BATCH} entries"),
    )
}

/// The requests of `{entries: [...]}`, each read on its own so that a 422 names every bad one.
fn batch_requests(body: &serde_json::Value) -> Result<Vec<(Uuid, EntryRequest)>, AppError> {
    if let Some(other) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "entries"))
    {
        return Err(AppError::field(
            other.clone(),
            "unknown_field",
            "a batch holds only `entries`",
        ));
    }
    let Some(serde_json::Value::Array(entries)) = body.get("entries") else {
        return Err(AppError::field(
            "entries",
            "required",
            "send {\"entries\": [ … ]}",
        ));
    };
    if entries.len() > MAX_BATCH {
        return Err(too_many_entries());
    }
    let mut requests = Vec::with_capacity(entries.len());
    let mut errors = Vec::new();
    for (i, value) in entries.iter().enumerate() {
        match EntryRequest::deserialize(value) {
            Ok(r) => requests.push((Uuid::now_v7(), r)),
            Err(e) => errors.push(crate::error::shape_error(&format!("entries[{i}]"), &e)),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(requests)
}

/// The requests of a spreadsheet's rows, with their new ids, each named by its row; a reversal
/// of a row of the same file is pointed at that row's new id.
fn spreadsheet_requests(rows: Vec<csv::ImportedRow>) -> Vec<Request> {
    let mut rows: Vec<(Uuid, csv::ImportedRow)> =
        rows.into_iter().map(|r| (Uuid::now_v7(), r)).collect();
    csv::relink_reversals(&mut rows);
    rows.into_iter()
        .map(|(id, r)| Request {
            id,
            prefix: format!("row {}.", r.row),
            request: r.request,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-06-01T00:00:00Z".parse().unwrap()
    }

    fn bad_quantity() -> (Uuid, EntryRequest) {
        let request = EntryRequest {
            kind: "loss".into(),
            chemical_id: Some(Uuid::now_v7().to_string()),
            quantity: Some("1.0001".into()),
            occurred_at: Some("2026-05-31T00:00:00Z".into()),
            note: Some("桶破裂".into()),
            ..Default::default()
        };
        (Uuid::now_v7(), request)
    }

    fn fields(submission: Submission<'_>, requests: Vec<(Uuid, EntryRequest)>) -> Vec<String> {
        let requests = submission.numbered(requests);
        let parsed = Submission::parse(
            submission.is_batch(),
            MAX_BATCH,
            requests,
            now(),
            OccurredAtFloor::default(),
        )
        .unwrap();
        parsed.errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn errors_name_the_entry_the_way_it_arrived() {
        let body = serde_json::Value::Null;
        let three = || vec![bad_quantity(), bad_quantity(), bad_quantity()];
        assert_eq!(
            fields(Submission::Entry(&body), vec![bad_quantity()]),
            ["quantity"]
        );
        assert_eq!(
            fields(Submission::Batch(&body), three())[2],
            "entries[2].quantity"
        );
        // The header is row 1, so the third entry stands in row 4.
        assert_eq!(fields(Submission::Csv(b""), three())[2], "row 4.quantity");
    }

    #[test]
    fn a_batch_is_never_empty_and_keeps_the_ids_it_was_given() {
        let body = serde_json::Value::Null;
        let empty = Submission::parse(true, MAX_BATCH, vec![], now(), OccurredAtFloor::default());
        assert!(matches!(empty, Err(AppError::Validation(ref e)) if e[0].field == "entries"));
        let (id, mut request) = bad_quantity();
        request.quantity = Some("1.5".into());
        let batch = Submission::Batch(&body);
        let parsed = Submission::parse(
            true,
            MAX_BATCH,
            batch.numbered(vec![(id, request)]),
            now(),
            OccurredAtFloor::default(),
        )
        .unwrap();
        assert_eq!((parsed.items[0].id, parsed.errors.len()), (id, 0));
    }
}
