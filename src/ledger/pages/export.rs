//! The clerk's ledger, every entry matching the table's filters, as the API's CSV or as the API's
//! Excel workbook (one sheet per chemical) with the column names in the reader's language.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::table::Filters;
use crate::console::page::clock;
use crate::console::{ConsoleUser, PageError};
use crate::db::Db;
use crate::error::AppError;
use crate::ledger::{self, LedgerRow};

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

/// An Excel workbook of the matching entries, as the API's `format=xlsx`: one sheet per chemical
/// with its balance as filed, headed in the reader's language, times on the console's clock.
pub async fn xlsx(
    user: ConsoleUser,
    db: web::Data<Db>,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let firm = user.own_firm()?;
    let principal = user.principal.clone();
    let texts = user.texts();
    let query = filters.query(None).map_err(|e| user.failed(e))?;
    let bytes = db
        .run(move |conn| {
            let listing = query.parse()?;
            ledger::export_xlsx(conn, &principal, firm, listing, texts, clock())
        })
        .await
        .map_err(|e| user.failed(e))?;
    Ok(attachment(
        crate::workbook::CONTENT_TYPE,
        format!("ledger-{firm}.xlsx"),
        bytes,
    ))
}
