//! The clerk's ledger, every entry matching the table's filters, as the API's CSV or as an
//! Excel workbook with the column names in the reader's language.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::labels::kind_label;
use super::table::Filters;
use crate::console::page::local_time;
use crate::console::{ConsoleUser, PageError, Texts};
use crate::db::Db;
use crate::domain::quantity::format_thousandths;
use crate::domain::{time, EntryKind};
use crate::error::AppError;
use crate::ledger::{self, LedgerRow};
use crate::workbook::{one_sheet, Cell, Column};

fn attachment(content_type: &str, name: String, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes)
}

/// The rows of the firm's ledger that match, after the same parse as the table.
async fn matching<T: Send + 'static>(
    user: &ConsoleUser,
    db: &Db,
    filters: &Filters,
    shape: impl FnOnce(&mut crate::db::DbConnection, Vec<LedgerRow>) -> Result<T, AppError>
        + Send
        + 'static,
) -> Result<T, PageError> {
    let firm = user.own_firm()?;
    let principal = user.principal.clone();
    let query = filters.query(None).map_err(|e| user.failed(e))?;
    db.run(move |conn| {
        let rows = ledger::export(conn, &principal, firm, query.parse()?)?;
        shape(conn, rows)
    })
    .await
    .map_err(|e| user.failed(e))
}

/// As the API's `Accept: text/csv` (UTF-8 with BOM; it opens in Excel and imports back).
pub async fn csv(
    user: ConsoleUser,
    db: web::Data<Db>,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let bytes = matching(&user, &db, &filters, |conn, rows| {
        let names = crate::chemicals::store::names(conn)?;
        ledger::csv::export(&rows, &names)
    })
    .await?;
    let firm = user.own_firm()?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        format!("ledger-{firm}.csv"),
        bytes,
    ))
}

const XLSX_COLUMNS: [(&str, f64); 13] = [
    ("ledger.seq", 6.0),
    ("ledger.occurred_at", 17.0),
    ("ledger.kind", 10.0),
    ("ledger.chemical", 24.0),
    ("ledger.lot", 14.0),
    ("ledger.quantity", 12.0),
    ("ledger.counterparty", 30.0),
    ("ledger.shipment_ref", 20.0),
    ("ledger.permit_no", 20.0),
    ("ledger.warehouse", 10.0),
    ("ledger.note", 30.0),
    ("ledger.recorded_at", 17.0),
    ("entry.hash", 66.0),
];

fn xlsx_row(texts: Texts, r: &LedgerRow, chemical: &str) -> Vec<Cell> {
    let text = |v: &Option<String>| v.clone().map_or(Cell::Empty, Cell::Text);
    let kind = EntryKind::parse(&r.kind)
        .map_or_else(|| r.kind.clone(), |k| kind_label(texts, k).to_string());
    let party = r
        .counterparty_name
        .clone()
        .or_else(|| r.counterparty_credit_code.clone());
    vec![
        Cell::Number(r.seq as f64),
        Cell::Text(local_time(time::from_db(r.occurred_at))),
        Cell::Text(kind),
        Cell::Text(chemical.to_string()),
        text(&r.lot),
        // The quantity as text keeps its three decimals exactly.
        Cell::Text(format_thousandths(r.quantity)),
        text(&party.or_else(|| r.counterparty_firm_id.clone())),
        text(&r.shipment_ref),
        text(&r.permit_no),
        text(&r.warehouse),
        text(&r.note),
        Cell::Text(local_time(time::from_db(r.recorded_at))),
        Cell::Text(r.hash.clone()),
    ]
}

/// An Excel workbook of the matching entries, headed in the reader's language.
pub async fn xlsx(
    user: ConsoleUser,
    db: web::Data<Db>,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let texts = user.texts();
    let bytes = matching(&user, &db, &filters, move |conn, rows| {
        let ids: Vec<String> = rows.iter().map(|r| r.chemical_id.clone()).collect();
        let labels = crate::chemicals::store::labels(conn, &ids)?;
        let parties: Vec<String> = rows
            .iter()
            .filter_map(|r| r.counterparty_firm_id.clone())
            .collect();
        let firms = crate::firms::store::names(conn, &parties)?;
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .map(|r| {
                let chemical = labels
                    .get(&r.chemical_id)
                    .map_or("", |(zh, en, _)| texts.pick(zh, en));
                let mut row = xlsx_row(texts, r, chemical);
                if let Some(name) = r.counterparty_firm_id.as_ref().and_then(|f| firms.get(f)) {
                    row[6] = Cell::Text(name.clone());
                }
                row
            })
            .collect();
        let columns: Vec<Column> = XLSX_COLUMNS
            .iter()
            .map(|(key, width)| Column {
                title: texts.t(key).to_string(),
                width: *width,
            })
            .collect();
        one_sheet(texts.t("ledger.title"), &columns, &cells)
    })
    .await?;
    let firm = user.own_firm()?;
    Ok(attachment(
        crate::workbook::CONTENT_TYPE,
        format!("ledger-{firm}.xlsx"),
        bytes,
    ))
}
