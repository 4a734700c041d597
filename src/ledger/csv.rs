//! The spreadsheet form of a ledger: what `Accept: text/csv` exports and `/ledger/import` reads.
//!
//! UTF-8 with a byte-order mark so that Excel shows Chinese text correctly. Import reads the
//! same columns (unknown columns are ignored, `seq`, `id`, `recorded_at` and `hash` are the old
//! ledger's and are not filed), so an export can be imported into another firm as it is.
//!
//! Formula injection: a cell that starts with `=`, `+`, `-`, `@`, tab or CR is exported with a
//! leading `'` (`workbook::neutralize`), so a spreadsheet shows it as text; the import removes one
//! leading `'` where the `'`s are followed by such a character (`workbook::restore`), so every
//! text comes back as it was filed: a note `=cmd` is exported `'=cmd` and imported `=cmd`, a note
//! `'=cmd` is exported `''=cmd` and imported `'=cmd`.

use std::collections::HashMap;

use chrono::SecondsFormat;
use serde::Deserialize;
use uuid::Uuid;

use super::entry::{CounterpartyRequest, EntryRequest};
use super::store::LedgerRow;
use crate::domain::quantity::format_thousandths;
use crate::domain::time;
use crate::error::{AppError, FieldError};
use crate::workbook::{neutralize, restore};

pub const BOM: &str = "\u{feff}";

pub const COLUMNS: [&str; 23] = [
    "seq",
    "id",
    "kind",
    "chemical_id",
    "cas",
    "chemical_name",
    "lot",
    "quantity",
    "occurred_at",
    "recorded_at",
    "counterparty_firm_id",
    "counterparty_name",
    "counterparty_credit_code",
    "counterparty_permit_no",
    "counterparty_resident_id",
    "payment",
    "shipment_ref",
    "permit_no",
    "transport_permit_no",
    "warehouse",
    "note",
    "reverses",
    "hash",
];

/// Catalog facts shown beside each entry: CAS number and Chinese name by chemical id.
pub type CatalogNames = HashMap<String, (Option<String>, String)>;

pub fn export(rows: &[LedgerRow], catalog: &CatalogNames) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::with_capacity(64 + rows.len() * 256);
    out.extend_from_slice(BOM.as_bytes());
    let mut writer = csv::Writer::from_writer(out);
    let fail = |e: csv::Error| AppError::internal(format!("writing CSV: {e}"));
    writer.write_record(COLUMNS).map_err(fail)?;
    for r in rows {
        let (cas, name) = catalog.get(&r.chemical_id).cloned().unwrap_or_default();
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let record = [
            r.seq.to_string(),
            r.id.clone(),
            r.kind.clone(),
            r.chemical_id.clone(),
            cas.unwrap_or_default(),
            name,
            opt(&r.lot),
            format_thousandths(r.quantity),
            time::from_db(r.occurred_at).to_rfc3339_opts(SecondsFormat::AutoSi, true),
            time::from_db(r.recorded_at).to_rfc3339_opts(SecondsFormat::AutoSi, true),
            opt(&r.counterparty_firm_id),
            opt(&r.counterparty_name),
            opt(&r.counterparty_credit_code),
            opt(&r.counterparty_permit_no),
            opt(&r.counterparty_resident_id),
            opt(&r.payment),
            opt(&r.shipment_ref),
            opt(&r.permit_no),
            opt(&r.transport_permit_no),
            opt(&r.warehouse),
            opt(&r.note),
            opt(&r.reverses),
            r.hash.clone(),
        ];
        writer
            .write_record(record.iter().map(|cell| neutralize(cell).into_owned()))
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::internal(format!("writing CSV: {e}")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsvRow {
    id: String,
    kind: String,
    chemical_id: String,
    cas: String,
    lot: String,
    quantity: String,
    occurred_at: String,
    counterparty_firm_id: String,
    counterparty_name: String,
    counterparty_credit_code: String,
    counterparty_permit_no: String,
    counterparty_resident_id: String,
    payment: String,
    shipment_ref: String,
    permit_no: String,
    transport_permit_no: String,
    warehouse: String,
    note: String,
    reverses: String,
}

fn some(text: String) -> Option<String> {
    Some(text).filter(|t| !t.trim().is_empty())
}

/// One imported row: the request to file, the id it had in the exported ledger and its row
/// number in the spreadsheet (the header is row 1).
#[derive(Debug)]
pub struct ImportedRow {
    pub request: EntryRequest,
    pub old_id: Option<String>,
    pub row: usize,
}

impl CsvRow {
    /// The request of one self. A chemical may be named by `chemical_id` or, failing that, by
    /// `cas` (looked up in `cas_to_id`).
    fn into_imported(self, cas_to_id: &HashMap<String, String>, row: usize) -> ImportedRow {
        let chemical_id = some(self.chemical_id).or_else(|| {
            some(self.cas.clone()).map(|cas| cas_to_id.get(cas.trim()).cloned().unwrap_or(cas))
        });
        let resident_id = some(self.counterparty_resident_id);
        let counterparty = CounterpartyRequest {
            firm_id: some(self.counterparty_firm_id),
            // A row with a resident ID number is a person's.
            kind: resident_id.is_some().then(|| "individual".to_string()),
            name: some(self.counterparty_name),
            credit_code: some(self.counterparty_credit_code),
            permit_no: some(self.counterparty_permit_no),
            resident_id,
        };
        let has_counterparty = counterparty.firm_id.is_some()
            || counterparty.name.is_some()
            || counterparty.credit_code.is_some()
            || counterparty.permit_no.is_some()
            || counterparty.resident_id.is_some();
        let is_reversal = self.kind.trim() == "reversal";
        ImportedRow {
            row,
            old_id: some(self.id),
            request: EntryRequest {
                kind: self.kind,
                // An exported reversal carries its target's chemical, lot and quantity for reading only.
                chemical_id: chemical_id.filter(|_| !is_reversal),
                lot: some(self.lot).filter(|_| !is_reversal),
                quantity: some(self.quantity).filter(|_| !is_reversal),
                occurred_at: some(self.occurred_at),
                counterparty: has_counterparty.then_some(counterparty),
                payment: some(self.payment),
                shipment_ref: some(self.shipment_ref),
                permit_no: some(self.permit_no),
                transport_permit_no: some(self.transport_permit_no),
                warehouse: some(self.warehouse),
                note: some(self.note),
                reverses: some(self.reverses),
            },
        }
    }
}

/// The spreadsheet row number (the header is row 1) of batch item `index`.
pub fn row_number(index: usize) -> usize {
    index + 2
}

/// Reads a CSV into entry requests. A chemical may be named by `chemical_id` or, failing that,
/// by `cas` (looked up in `cas_to_id`). Every cell is `restore`d (see the module's note).
pub fn import(
    bytes: &[u8],
    cas_to_id: &HashMap<String, String>,
) -> Result<Vec<ImportedRow>, AppError> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        AppError::field(
            "body",
            "not_utf8",
            "the CSV must be UTF-8 (save as \"CSV UTF-8\" in Excel)",
        )
    })?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| AppError::field("row 1", "invalid_csv", e.to_string()))?
        .clone();
    let records = reader.records().enumerate().map(|(i, record)| {
        let row = row_number(i);
        let record = record
            .map(|r| r.iter().map(restore).collect::<csv::StringRecord>())
            .map_err(|e| {
                vec![FieldError::new(
                    format!("row {row}"),
                    "invalid_csv",
                    e.to_string(),
                )]
            });
        (row, record)
    });
    import_records(&headers, records, cas_to_id)
}

/// Reads records under `headers` (the columns' names as in [`COLUMNS`]; others are ignored) into
/// entry requests: what a CSV and a workbook share once their cells are text. Each record comes
/// with its row number, or with the errors that kept it from being read.
pub fn import_records(
    headers: &csv::StringRecord,
    records: impl Iterator<Item = (usize, Result<csv::StringRecord, Vec<FieldError>>)>,
    cas_to_id: &HashMap<String, String>,
) -> Result<Vec<ImportedRow>, AppError> {
    for required in ["kind", "quantity", "occurred_at"] {
        if !headers.iter().any(|h| h.trim() == required) {
            return Err(AppError::field(
                format!("row 1.{required}"),
                "missing_column",
                format!("the header has no {required} column"),
            ));
        }
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (row, record) in records {
        match record.and_then(|r| {
            r.deserialize::<CsvRow>(Some(headers)).map_err(|e| {
                vec![FieldError::new(
                    format!("row {row}"),
                    "invalid_csv",
                    e.to_string(),
                )]
            })
        }) {
            Ok(csv_row) => rows.push(csv_row.into_imported(cas_to_id, row)),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(rows)
}

/// Points reversals at the new ids of the rows they reversed in the exported ledger.
pub fn relink_reversals(requests: &mut [(Uuid, ImportedRow)]) {
    let new_ids: HashMap<String, Uuid> = requests
        .iter()
        .filter_map(|(new, row)| row.old_id.clone().map(|old| (old, *new)))
        .collect();
    for (_, row) in requests.iter_mut() {
        if let Some(new) = row
            .request
            .reverses
            .as_ref()
            .and_then(|old| new_ids.get(old.trim()))
        {
            row.request.reverses = Some(new.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_with_or_without_bom_and_names_rows() {
        let csv = format!("{BOM}kind,cas,lot,quantity,occurred_at,note\nloss,67-64-1,L1,1.5,2026-01-01T00:00:00Z,桶破裂\n");
        let cas = HashMap::from([("67-64-1".to_string(), "chem-id".to_string())]);
        let rows = import(csv.as_bytes(), &cas).unwrap();
        assert_eq!(rows[0].request.chemical_id.as_deref(), Some("chem-id"));
        assert_eq!(rows[0].request.note.as_deref(), Some("桶破裂"));
        assert_eq!(rows[0].row, 2);
        let missing = import(b"kind,lot\nsale,L1\n", &cas).unwrap_err();
        assert!(matches!(missing, AppError::Validation(ref e) if e[0].code == "missing_column"));
    }

    #[test]
    fn formulas_are_exported_as_text_and_imported_as_filed() {
        let row = |note: &str| LedgerRow {
            note: Some(note.to_string()),
            ..crate::ledger::sample_row(1, crate::domain::EntryKind::Stocktake, 1000)
        };
        let notes = [
            "=cmd|' /C calc'!A0",
            "@SUM(A1)",
            "'=x",
            "-5",
            "桶破裂",
            "it's",
        ];
        let rows: Vec<LedgerRow> = notes.iter().map(|n| row(n)).collect();
        let bytes = export(&rows, &CatalogNames::new()).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches(BOM).as_bytes());
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let exported: Vec<&str> = records.iter().map(|r| &r[20]).collect();
        assert_eq!(
            exported,
            [
                "'=cmd|' /C calc'!A0",
                "'@SUM(A1)",
                "''=x",
                "'-5",
                "桶破裂",
                "it's"
            ]
        );
        assert_eq!(records.len(), notes.len());
        for record in &records {
            for cell in record {
                assert!(!cell.starts_with(crate::workbook::FORMULA_STARTS), "{cell}");
            }
        }
        let imported = import(&bytes, &HashMap::new()).unwrap();
        let back: Vec<&str> = imported
            .iter()
            .map(|r| r.request.note.as_deref().unwrap())
            .collect();
        assert_eq!(back, notes);
    }
}
