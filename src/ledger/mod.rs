//! The ledger (台账): append-only, hash-chained filing of every movement of a precursor.

pub mod chain;
pub mod csv;
pub mod entry;
pub mod epcis;
pub mod filing;
pub mod http;
pub mod inventory;
pub mod pages;
pub mod proof;
pub mod store;
pub mod xlsx;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::{policy, Principal};
use crate::db::DbConnection;
use crate::domain::quantity::format_thousandths;
use crate::domain::{time, EntryKind, Payment, Quantity, Role};
use crate::error::{time_field, AppError, FieldError};
use crate::firms;
use crate::paging::PageOf;
pub use store::LedgerRow;

/// A counterparty as shown on an entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CounterpartyView {
    /// `firm` (registered), `organization` or `individual`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firm_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permit_no: Option<String>,
    /// A person's resident ID number: whole for a regulator, the last four characters for
    /// anyone else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub id: Uuid,
    pub firm_id: Uuid,
    pub seq: i64,
    pub kind: EntryKind,
    pub chemical_id: Uuid,
    pub lot: Option<String>,
    #[schema(value_type = String, example = "250.000")]
    pub quantity: Quantity,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Uuid,
    pub counterparty: Option<CounterpartyView>,
    /// How a sale or purchase was paid; `unknown` for one filed before payments were recorded;
    /// absent for other kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<String>,
    pub shipment_ref: Option<String>,
    pub permit_no: Option<String>,
    pub transport_permit_no: Option<String>,
    pub warehouse: Option<String>,
    pub note: Option<String>,
    pub reverses: Option<Uuid>,
    pub prev_hash: String,
    pub hash: String,
    /// Its leaf in the registry's Merkle tree (docs/ledger.md): what an inclusion proof names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_index: Option<u64>,
}

/// Proof of a filing that the firm can keep: the entry's place and hash in its chain, and its
/// leaf in the registry's Merkle tree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub id: Uuid,
    pub seq: i64,
    pub hash: String,
    pub prev_hash: String,
    pub recorded_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_index: Option<u64>,
}

impl LedgerRow {
    pub fn kind(&self) -> Result<EntryKind, AppError> {
        EntryKind::parse(&self.kind)
            .ok_or_else(|| AppError::internal(format!("entry {} has kind {}", self.id, self.kind)))
    }

    pub fn hashed_fields(&self) -> chain::HashedFields<'_> {
        chain::HashedFields {
            id: &self.id,
            firm_id: &self.firm_id,
            seq: self.seq,
            kind: &self.kind,
            chemical_id: &self.chemical_id,
            lot: self.lot.as_deref(),
            quantity: self.quantity,
            occurred_at: time::from_db(self.occurred_at),
            recorded_at: time::from_db(self.recorded_at),
            recorded_by: &self.recorded_by,
            counterparty_firm_id: self.counterparty_firm_id.as_deref(),
            counterparty_name: self.counterparty_name.as_deref(),
            counterparty_credit_code: self.counterparty_credit_code.as_deref(),
            counterparty_permit_no: self.counterparty_permit_no.as_deref(),
            shipment_ref: self.shipment_ref.as_deref(),
            permit_no: self.permit_no.as_deref(),
            transport_permit_no: self.transport_permit_no.as_deref(),
            warehouse: self.warehouse.as_deref(),
            note: self.note.as_deref(),
            reverses: self.reverses.as_deref(),
            counterparty_resident_id: self.counterparty_resident_id.as_deref(),
            payment: self.payment.as_deref(),
        }
    }

    pub fn receipt(&self) -> Result<Receipt, AppError> {
        Ok(Receipt {
            id: parse_id(&self.id)?,
            seq: self.seq,
            hash: self.hash.clone(),
            prev_hash: self.prev_hash.clone(),
            recorded_at: time::from_db(self.recorded_at),
            leaf_index: None,
        })
    }

    /// The entry as `who` may see it: a person's resident ID number whole only for a regulator.
    pub fn to_entry(&self, who: &Principal) -> Result<LedgerEntry, AppError> {
        let counterparty = match (
            &self.counterparty_firm_id,
            &self.counterparty_name,
            &self.counterparty_credit_code,
            &self.counterparty_permit_no,
            &self.counterparty_resident_id,
        ) {
            (None, None, None, None, None) => None,
            (firm, name, code, permit, person) => Some(CounterpartyView {
                kind: match (firm, person) {
                    (Some(_), _) => "firm",
                    (None, Some(_)) => "individual",
                    (None, None) => "organization",
                },
                firm_id: firm.as_deref().map(parse_id).transpose()?,
                name: name.clone(),
                credit_code: code.clone(),
                permit_no: permit.clone(),
                resident_id: self.resident_id_for(who),
            }),
        };
        let kind = self.kind()?;
        let payment = match &self.payment {
            Some(p) => Some(p.clone()),
            None if kind.needs_counterparty() => Some(Payment::UNKNOWN.to_string()),
            None => None,
        };
        Ok(LedgerEntry {
            id: parse_id(&self.id)?,
            firm_id: parse_id(&self.firm_id)?,
            seq: self.seq,
            kind,
            chemical_id: parse_id(&self.chemical_id)?,
            lot: self.lot.clone(),
            quantity: Quantity::from_thousandths(self.quantity).map_err(AppError::internal)?,
            occurred_at: time::from_db(self.occurred_at),
            recorded_at: time::from_db(self.recorded_at),
            recorded_by: parse_id(&self.recorded_by)?,
            counterparty,
            payment,
            shipment_ref: self.shipment_ref.clone(),
            permit_no: self.permit_no.clone(),
            transport_permit_no: self.transport_permit_no.clone(),
            warehouse: self.warehouse.clone(),
            note: self.note.clone(),
            reverses: self.reverses.as_deref().map(parse_id).transpose()?,
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
            leaf_index: None,
        })
    }
}

impl LedgerRow {
    /// A person counterparty's resident ID number as `who` may see it.
    pub fn resident_id_for(&self, who: &Principal) -> Option<String> {
        let number = self.counterparty_resident_id.as_deref()?;
        Some(if who.role == Role::Regulator {
            number.to_string()
        } else {
            crate::domain::resident_id::mask(number)
        })
    }

    /// The row as `who` may see it in an export: the resident ID number masked but for a
    /// regulator.
    pub fn disclosed_to(mut self, who: &Principal) -> LedgerRow {
        self.counterparty_resident_id = self.resident_id_for(who);
        self
    }
}

/// A stored row for unit tests: entry `seq` of one firm, acetone lot L1, filed on 2026-01-0`seq`.
#[cfg(test)]
pub fn sample_row(seq: i64, kind: EntryKind, quantity: i64) -> LedgerRow {
    let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
        + chrono::Duration::days(seq);
    LedgerRow {
        firm_id: Uuid::nil().to_string(),
        seq,
        id: format!("00000000-0000-7000-8000-{seq:012}"),
        kind: kind.as_str().to_string(),
        chemical_id: "acetone".into(),
        lot: Some("L1".into()),
        quantity,
        occurred_at: at,
        recorded_at: at,
        recorded_by: Uuid::nil().to_string(),
        counterparty_firm_id: None,
        counterparty_name: None,
        counterparty_credit_code: None,
        counterparty_permit_no: None,
        shipment_ref: None,
        permit_no: None,
        transport_permit_no: None,
        warehouse: None,
        note: None,
        reverses: None,
        prev_hash: "0".repeat(64),
        hash: "0".repeat(64),
        counterparty_resident_id: None,
        payment: None,
    }
}

fn parse_id(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text)
        .map_err(|_| AppError::internal(format!("stored id {text:?} is not a UUID")))
}

/// Query of `GET /firms/{id}/ledger`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    #[param(schema_with = kind_schema)]
    pub kind: Option<String>,
    #[param(schema_with = crate::paging::schema::id)]
    pub chemical_id: Option<String>,
    pub lot: Option<String>,
    /// Entries that occurred at or after this time (RFC 3339).
    #[param(schema_with = crate::paging::schema::time)]
    pub from: Option<String>,
    /// Entries that occurred before this time (RFC 3339).
    #[param(schema_with = crate::paging::schema::time)]
    pub to: Option<String>,
    /// 1–1000, default 50 (ignored for CSV and Excel, which export every match).
    #[param(schema_with = crate::paging::schema::limit)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(schema_with = seq_cursor)]
    pub cursor: Option<String>,
    /// `json` (default), `csv`, `xlsx` or `epcis` (every match as one EPCIS 2.0 document); also
    /// chosen by `Accept`: `text/csv`, the .xlsx type, `application/ld+json`.
    #[param(schema_with = ledger_format)]
    pub format: Option<String>,
    /// An Excel export's language, `zh-CN` or `en` (default: `Accept-Language`, else English).
    #[param(schema_with = crate::paging::schema::lang)]
    pub lang: Option<String>,
}

fn kind_schema() -> utoipa::openapi::schema::Schema {
    let kinds: Vec<&str> = EntryKind::ALL.iter().map(|k| k.as_str()).collect();
    crate::paging::schema::named(&kinds)
}

/// A ledger's cursor is the sequence number of the last entry served.
fn seq_cursor() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::or_blank(
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(i64::MIN))
            .maximum(Some(i64::MAX)),
    )
}

fn ledger_format() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&["json", "csv", "xlsx", "epcis"])
}

/// What `GET /firms/{id}/ledger` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerFormat {
    Json,
    Csv,
    Xlsx,
    Epcis,
}

impl LedgerQuery {
    /// `?format=` if given, else what `accept` (the `Accept` header) asks for, else JSON.
    pub fn format(&self, accept: Option<&str>) -> Result<LedgerFormat, AppError> {
        match self
            .format
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            Some("json") => Ok(LedgerFormat::Json),
            Some("csv") => Ok(LedgerFormat::Csv),
            Some("xlsx") => Ok(LedgerFormat::Xlsx),
            Some("epcis") => Ok(LedgerFormat::Epcis),
            Some(_) => Err(AppError::field(
                "format",
                "invalid_format",
                "must be json, csv, xlsx or epcis",
            )),
            None => Ok(match accept.unwrap_or("") {
                a if a.contains("text/csv") => LedgerFormat::Csv,
                a if a.contains(crate::workbook::CONTENT_TYPE) => LedgerFormat::Xlsx,
                a if a.contains(epcis::CONTENT_TYPE) => LedgerFormat::Epcis,
                _ => LedgerFormat::Json,
            }),
        }
    }
}

/// A parsed listing request.
#[derive(Debug, Clone)]
pub struct LedgerListing {
    pub filter: store::EntryFilter,
    pub after_seq: i64,
    pub limit: i64,
}

impl LedgerQuery {
    pub fn parse(&self) -> Result<LedgerListing, AppError> {
        let mut errors = Vec::new();
        let kind = self.kind.as_deref().filter(|k| !k.is_empty()).map(|k| {
            if EntryKind::parse(k).is_none() {
                errors.push(FieldError::new(
                    "kind",
                    "unknown_kind",
                    format!("must be one of {}", EntryKind::names()),
                ));
            }
            k.to_string()
        });
        let chemical_id = self
            .chemical_id
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| match Uuid::parse_str(c) {
                Ok(id) => id.to_string(),
                Err(_) => {
                    errors.push(FieldError::new(
                        "chemical_id",
                        "invalid_id",
                        "is not a catalog id",
                    ));
                    String::new()
                }
            });
        let from = time_field("from", self.from.as_deref(), &mut errors).map(time::to_db);
        let to = time_field("to", self.to.as_deref(), &mut errors).map(time::to_db);
        let page = crate::paging::PageQuery {
            limit: self.limit.clone(),
            cursor: None,
        };
        let limit = page.parse().map(|p| p.limit).unwrap_or_else(|mut e| {
            errors.append(&mut e);
            0
        });
        let after_seq = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => 0,
            Some(text) => text.parse::<i64>().unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    "cursor",
                    "invalid_cursor",
                    "is not a cursor this API returned",
                ));
                0
            }),
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(LedgerListing {
            filter: store::EntryFilter {
                kind,
                chemical_id,
                lot: self.lot.clone().filter(|l| !l.is_empty()),
                from,
                to,
            },
            after_seq,
            limit,
        })
    }
}

pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    listing: LedgerListing,
) -> Result<PageOf<LedgerEntry>, AppError> {
    policy::read_firm_records(who, firm_id)?;
    firms::require(conn, firm_id)?;
    let rows = store::list(
        conn,
        firm_id,
        &listing.filter,
        listing.after_seq,
        Some(listing.limit + 1),
    )?;
    let more = rows.len() as i64 > listing.limit;
    let shown = &rows[..rows.len().min(listing.limit as usize)];
    let ids: Vec<&str> = shown.iter().map(|r| r.id.as_str()).collect();
    let leaves = crate::transparency::store::leaf_indexes(conn, &ids)?;
    let items = shown
        .iter()
        .map(|row| {
            let mut entry = row.to_entry(who)?;
            entry.leaf_index = leaves.get(&row.id).copied();
            Ok(entry)
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let next_cursor = if more {
        items.last().map(|e| e.seq.to_string())
    } else {
        None
    };
    Ok(PageOf { items, next_cursor })
}

/// Every matching entry, for export.
pub fn export(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    listing: LedgerListing,
) -> Result<Vec<LedgerRow>, AppError> {
    policy::read_firm_records(who, firm_id)?;
    firms::require(conn, firm_id)?;
    let rows = store::list(conn, firm_id, &listing.filter, 0, None)?;
    Ok(rows.into_iter().map(|r| r.disclosed_to(who)).collect())
}

/// Every matching entry as an Excel workbook, one sheet per chemical with its balance as filed
/// (computed over the firm's whole ledger, whatever the filters), headed in `texts`' language,
/// times on `clock`.
pub fn export_xlsx(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    listing: LedgerListing,
    texts: crate::console::Texts,
    clock: chrono::FixedOffset,
) -> Result<Vec<u8>, AppError> {
    let rows = export(conn, who, firm_id, listing)?;
    let all = store::all_for_firm(conn, firm_id)?;
    let chemical_ids: Vec<String> = rows.iter().map(|r| r.chemical_id.clone()).collect();
    let chemicals = crate::chemicals::store::labels(conn, &chemical_ids)?;
    let parties: Vec<String> = rows
        .iter()
        .filter_map(|r| r.counterparty_firm_id.clone())
        .collect();
    let firms = firms::store::names(conn, &parties)?;
    let book = xlsx::LedgerBook {
        all: &all,
        chemicals: &chemicals,
        firms: &firms,
        texts,
        clock,
    };
    xlsx::export(&rows, &book)
}

pub fn get(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    entry_id: Uuid,
) -> Result<LedgerEntry, AppError> {
    policy::read_firm_records(who, firm_id)?;
    let row = store::find(conn, firm_id, entry_id)?.ok_or(AppError::NotFound)?;
    let mut entry = row.to_entry(who)?;
    let leaves = crate::transparency::store::leaf_indexes(conn, &[row.id.as_str()])?;
    entry.leaf_index = leaves.get(&row.id).copied();
    Ok(entry)
}

/// Appends to the registry's tree every entry filed before it existed (a registry upgraded to
/// issue 13), oldest filing first; returns how many. Run at start, before serving.
pub fn catch_up_tree(conn: &mut DbConnection) -> Result<u64, AppError> {
    let mut appended = 0;
    loop {
        let rows = store::without_leaf(conn, 5_000)?;
        if rows.is_empty() {
            return Ok(appended);
        }
        appended += rows.len() as u64;
        crate::db::write_tx(conn, |conn| store::append_to_tree(conn, &rows))?;
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    pub ok: bool,
    pub entries: u64,
    /// Hash of the last entry that verified (32 zero bytes for an empty ledger).
    pub head_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bad_seq: Option<i64>,
}

/// Re-walks a firm's chain from the stored rows.
pub fn verify_chain(conn: &mut DbConnection, firm_id: Uuid) -> Result<VerifyReport, AppError> {
    let rows = store::all_for_firm(conn, firm_id)?;
    let mut verifier = chain::Verifier::default();
    for row in &rows {
        verifier.push(&chain::StoredLink {
            fields: row.hashed_fields(),
            prev_hash: &row.prev_hash,
            hash: &row.hash,
        });
    }
    let v = verifier.finish();
    Ok(VerifyReport {
        ok: v.first_bad_seq.is_none(),
        entries: v.entries,
        head_hash: v.head_hash,
        first_bad_seq: v.first_bad_seq,
    })
}

pub fn verify(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
) -> Result<VerifyReport, AppError> {
    policy::read_firm_records(who, firm_id)?;
    firms::require(conn, firm_id)?;
    verify_chain(conn, firm_id)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InventoryItem {
    pub chemical_id: Uuid,
    pub lot: Option<String>,
    /// The book balance; negative when more went out than came in (a custody finding).
    #[schema(example = "125.500")]
    pub quantity: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Inventory {
    pub as_of: DateTime<Utc>,
    pub items: Vec<InventoryItem>,
}

pub fn inventory(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    as_of: Option<DateTime<Utc>>,
) -> Result<Inventory, AppError> {
    policy::read_firm_records(who, firm_id)?;
    firms::require(conn, firm_id)?;
    let as_of = as_of.unwrap_or_else(Utc::now);
    let rows = store::all_for_firm(conn, firm_id)?;
    let movements = rows
        .iter()
        .map(|r| {
            Ok(inventory::Movement {
                id: &r.id,
                seq: r.seq,
                kind: r.kind()?,
                chemical_id: &r.chemical_id,
                lot: r.lot.as_deref(),
                quantity: r.quantity,
                occurred_at: time::from_db(r.occurred_at),
                reverses: r.reverses.as_deref(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let items = inventory::balances(&movements, as_of)
        .into_iter()
        .map(|((chemical_id, lot), q)| {
            Ok(InventoryItem {
                chemical_id: parse_id(chemical_id)?,
                lot: lot.map(str::to_string),
                quantity: format_thousandths(q),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Inventory { as_of, items })
}
