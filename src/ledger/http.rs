use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::entry::EntryRequest;
use super::filing::{self, Filed, Submission};
use super::proof::{ExportQuery, InclusionProof, LedgerExport, ProofQuery};
use super::{Inventory, LedgerEntry, LedgerQuery, Receipt, VerifyReport};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::paging::PageOf;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/firms/{firm_id}/ledger")
            .route(web::post().to(file_one))
            .route(web::get().to(list)),
    )
    .service(web::resource("/firms/{firm_id}/ledger/batch").route(web::post().to(file_batch)))
    .service(web::resource("/firms/{firm_id}/ledger/import").route(web::post().to(import)))
    .service(web::resource("/firms/{firm_id}/ledger/epcis").route(web::post().to(import_epcis)))
    .service(web::resource("/firms/{firm_id}/ledger/verify").route(web::get().to(verify)))
    .service(web::resource("/firms/{firm_id}/ledger/export").route(web::get().to(export)))
    .service(web::resource("/firms/{firm_id}/ledger/{entry_id}").route(web::get().to(get)))
    .service(web::resource("/firms/{firm_id}/ledger/{entry_id}/proof").route(web::get().to(proof)))
    .service(web::resource("/firms/{firm_id}/inventory").route(web::get().to(inventory)));
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    match req.headers().get("Idempotency-Key") {
        None => Ok(None),
        Some(value) => value.to_str().map(|v| Some(v.to_string())).map_err(|_| {
            AppError::field(
                "Idempotency-Key",
                "invalid_idempotency_key",
                "must be ASCII",
            )
        }),
    }
}

fn filed_response(filed: Filed) -> HttpResponse {
    let (status, body, logged) = match filed {
        Filed::New { body, .. } => (201, body, true),
        Filed::Replayed { status, body } => (status, body, false),
    };
    let mut response = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::CREATED),
    )
    .content_type("application/json")
    .body(body);
    if logged {
        response.extensions_mut().insert(crate::activity::Logged);
    }
    response
}

/// What the three filing routes share; they differ only in their body and how it is read.
async fn file<B, S>(
    db: &Db,
    who: AuthUser,
    firm_id: Uuid,
    req: &HttpRequest,
    body: B,
    submission: S,
) -> Result<HttpResponse, AppError>
where
    B: Send + 'static,
    S: FnOnce(&B) -> Submission<'_> + Send + 'static,
{
    let key = idempotency_key(req)?;
    let log = crate::activity::ActivityRow::created(req, &who);
    let filed = db
        .run(move |conn| {
            let submission = submission(&body);
            filing::file(conn, &who, firm_id, submission, key.as_deref(), Some(log))
        })
        .await?;
    Ok(filed_response(filed))
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the batch body; parsing goes item by item
pub struct BatchRequest {
    /// Up to 1000 entries, filed all or nothing.
    entries: Vec<EntryRequest>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Receipts {
    items: Vec<Receipt>,
}

/// File one entry into the firm's own ledger (enterprise). Retries with the same
/// `Idempotency-Key` return the first response and file nothing.
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/ledger", tag = "ledger", params(("firm_id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    request_body = EntryRequest,
    responses((status = 201, body = LedgerEntry), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "firm not active", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn file_one(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    file(&db, who, firm_id.into_inner(), &req, body, |b| {
        Submission::Entry(b)
    })
    .await
}

/// File up to 1000 entries at once, all or nothing; a 422 names each bad item by index.
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/ledger/batch", tag = "ledger", params(("firm_id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    request_body = BatchRequest,
    responses((status = 201, body = Receipts), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn file_batch(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    file(&db, who, firm_id.into_inner(), &req, body, |b| {
        Submission::Batch(b)
    })
    .await
}

/// Import a CSV (the export's columns) as one batch; errors name the row and column.
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/ledger/import", tag = "ledger", params(("firm_id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Receipts), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn import(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    file(&db, who, firm_id.into_inner(), &req, body, |b| {
        Submission::Csv(b)
    })
    .await
}

/// What `GET /firms/{id}/ledger` answers: `?format=` if given, else by `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListFormat {
    Page,
    Csv,
    Epcis,
}

fn list_format(req: &HttpRequest, asked: Option<&str>) -> Result<ListFormat, AppError> {
    match asked.map(str::trim).filter(|f| !f.is_empty()) {
        Some("json") => return Ok(ListFormat::Page),
        Some("csv") => return Ok(ListFormat::Csv),
        Some("epcis") => return Ok(ListFormat::Epcis),
        Some(_) => {
            let message = "must be json, csv or epcis";
            return Err(AppError::field("format", "unknown_format", message));
        }
        None => {}
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(if accept.contains("text/csv") {
        ListFormat::Csv
    } else if accept.contains(super::epcis::CONTENT_TYPE) {
        ListFormat::Epcis
    } else {
        ListFormat::Page
    })
}

/// The firm's ledger in seq order, filtered; `format=csv` (or `Accept: text/csv`) exports every
/// match as CSV, `format=epcis` (or `Accept: application/ld+json`) as one EPCIS 2.0 document.
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/ledger", tag = "ledger", params(("firm_id" = Uuid, Path), LedgerQuery),
    responses((status = 200, description = "a page of entries; with `format=csv` every match as CSV; with `format=epcis` every match as an EPCIS 2.0 EPCISDocument (docs/epcis.md)",
            content((PageOf<LedgerEntry> = "application/json"), (String = "text/csv"), (Object = "application/ld+json"))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    query: web::Query<LedgerQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let listing = query.parse()?;
    let format = list_format(&req, query.format.as_deref())?;
    if format == ListFormat::Epcis {
        let document = db
            .run(move |conn| super::epcis::export::export(conn, &who, firm_id, listing))
            .await?;
        return Ok(HttpResponse::Ok()
            .content_type(super::epcis::CONTENT_TYPE)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(document));
    }
    if format == ListFormat::Csv {
        let bytes = db
            .run(move |conn| {
                let rows = super::export(conn, &who, firm_id, listing)?;
                let names = crate::chemicals::store::names(conn)?;
                super::csv::export(&rows, &names)
            })
            .await?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"ledger-{firm_id}.csv\""),
            ))
            .body(bytes));
    }
    let page = db
        .run(move |conn| super::list(conn, &who, firm_id, listing))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One entry.
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/ledger/{entry_id}", tag = "ledger", params(("firm_id" = Uuid, Path), ("entry_id" = Uuid, Path)),
    responses((status = 200, body = LedgerEntry), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    db: web::Data<Db>,
    who: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, AppError> {
    let (firm_id, entry_id) = path.into_inner();
    let entry = db
        .run(move |conn| super::get(conn, &who, firm_id, entry_id))
        .await?;
    Ok(HttpResponse::Ok().json(entry))
}

/// The entry's inclusion proof against a signed checkpoint of the registry's tree (the newest,
/// or `?checkpoint=` its tree size): regulator, or the firm itself.
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/ledger/{entry_id}/proof", tag = "ledger",
    params(("firm_id" = Uuid, Path), ("entry_id" = Uuid, Path), ProofQuery),
    responses((status = 200, body = InclusionProof), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "the entry is newer than the checkpoint", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn proof(
    db: web::Data<Db>,
    who: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<ProofQuery>,
    signer: web::Data<crate::transparency::Signer>,
) -> Result<HttpResponse, AppError> {
    let (firm_id, entry_id) = path.into_inner();
    let query = query.into_inner();
    let proof = db
        .run(move |conn| super::proof::inclusion(conn, &who, firm_id, entry_id, query, &signer))
        .await?;
    Ok(HttpResponse::Ok().json(proof))
}

/// The firm's whole ledger against the newest signed checkpoint, with each entry's inclusion
/// proof when `with_proofs=true` (regulator, or the firm itself): `verify-export` checks it
/// offline.
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/ledger/export", tag = "ledger",
    params(("firm_id" = Uuid, Path), ExportQuery),
    responses((status = 200, body = LedgerExport), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn export(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    query: web::Query<ExportQuery>,
    signer: web::Data<crate::transparency::Signer>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let query = query.into_inner();
    let export = db
        .run(move |conn| super::proof::export(conn, &who, firm_id, query, &signer))
        .await?;
    Ok(HttpResponse::Ok().json(export))
}

/// Recompute the firm's hash chain and report the first bad seq, if any.
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/ledger/verify", tag = "ledger", params(("firm_id" = Uuid, Path)),
    responses((status = 200, body = VerifyReport), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn verify(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let report = db
        .run(move |conn| super::verify(conn, &who, firm_id))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InventoryQuery {
    /// Balances as of this time (RFC 3339); default now.
    pub as_of: Option<String>,
}

/// Book balance per (chemical, lot) from the ledger.
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/inventory", tag = "ledger", params(("firm_id" = Uuid, Path), InventoryQuery),
    responses((status = 200, body = Inventory), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn inventory(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    query: web::Query<InventoryQuery>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let mut errors = Vec::new();
    let as_of = crate::error::time_field("as_of", query.as_of.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let inventory = db
        .run(move |conn| super::inventory(conn, &who, firm_id, as_of))
        .await?;
    Ok(HttpResponse::Ok().json(inventory))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EpcisImportQuery {
    /// `true`: file the events that map and report the rest; default all or nothing.
    pub partial: Option<bool>,
}

/// Reads a body up to `limit` bytes; a longer one is read to its end (so that the client gets
/// the answer rather than a closed connection) but not kept, and refused with the limit stated.
async fn body_within(mut payload: web::Payload, limit: usize) -> Result<web::Bytes, AppError> {
    use futures_util::StreamExt;
    let mut body = web::BytesMut::new();
    let mut over = false;
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| AppError::bad_request("bad_body", "the body could not be read"))?;
        over = over || body.len() + chunk.len() > limit;
        if over {
            body.clear();
        } else {
            body.extend_from_slice(&chunk);
        }
    }
    if over {
        return Err(AppError::TooLarge { limit_bytes: limit });
    }
    Ok(body.freeze())
}

/// File an EPCIS 2.0 document's events into the firm's own ledger (enterprise): each
/// ObjectEvent or TransformationEvent becomes entries by the table in docs/epcis.md, an error
/// declaration a reversal. All or nothing unless `partial=true`; an event filed before (same
/// eventID) files nothing again. At most 20 MiB.
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/ledger/epcis", tag = "ledger", params(("firm_id" = Uuid, Path), EpcisImportQuery),
    request_body(content = Object, content_type = "application/ld+json", description = "an EPCIS 2.0 EPCISDocument (GS1's JSON Schema)"),
    responses((status = 201, description = "entries filed; a line per event", body = super::epcis::import::ImportReport),
        (status = 200, description = "nothing new filed; a line per event", body = super::epcis::import::ImportReport),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 413, description = "larger than 20 MiB", body = Problem),
        (status = 422, description = "not an EPCIS 2.0 document (each error names its JSON pointer), or an event the registry cannot file", body = Problem)),
    security(("bearer" = [])))]
pub async fn import_epcis(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    query: web::Query<EpcisImportQuery>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let partial = query.partial.unwrap_or(false);
    let body = body_within(payload, super::epcis::MAX_DOCUMENT_BYTES).await?;
    let document: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad_request("malformed_json", format!("the body is not JSON: {e}"))
    })?;
    let log = crate::activity::ActivityRow::created(&req, &who);
    let report = db
        .run(move |conn| {
            super::epcis::import::import(conn, &who, firm_id, &document, partial, Some(log))
        })
        .await?;
    let status = if report.filed > 0 { 201 } else { 200 };
    let mut response = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK),
    )
    .json(report);
    if status == 201 {
        response.extensions_mut().insert(crate::activity::Logged);
    }
    Ok(response)
}
