use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::entry::EntryRequest;
use super::filing::{self, Filed, FilingGroup, FilingTx, Grouped, Submission};
use super::proof::{ExportQuery, InclusionProof, LedgerExport, ProofQuery};
use super::{Inventory, LedgerEntry, LedgerFormat, LedgerQuery, Receipt, VerifyReport};
use crate::auth::AuthUser;
use crate::console::{Lang, Texts};
use crate::db::group::GroupCommit;
use crate::db::Db;
use crate::domain::time::OccurredAtFloor;
use crate::error::{AppError, Problem};
use crate::paging::PageOf;
use crate::ratelimit::FilingAdmission;

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
    .service(web::resource("/firms/{firm_id}/inventory").route(web::get().to(inventory)))
    .service(web::resource("/ledger/template.xlsx").route(web::get().to(template)));
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

/// Counts a filing request against its user's and its address's rates (every way of filing
/// shares one count).
fn admit_filing(admission: &FilingAdmission, who: &AuthUser) -> Result<(), AppError> {
    admission.admit(who.user_id)
}

/// How a filing reaches the database: in a write transaction of its own, or in a group commit
/// with the single filings that arrive beside it (`db::group`).
enum Via {
    Alone(web::Data<Db>),
    Grouped(web::Data<GroupCommit<FilingGroup>>),
}

impl Via {
    /// Runs `work` (blocking, off the executor) and answers once its transaction committed.
    async fn run<W>(self, firm_id: Uuid, work: W) -> Result<Filed, AppError>
    where
        W: FnOnce(&mut dyn FilingTx) -> Result<Filed, AppError> + Send + 'static,
    {
        match self {
            Via::Alone(db) => db.run(move |conn| filing::alone(conn, work)).await,
            Via::Grouped(filings) => {
                web::block(move || {
                    filings.run(&firm_id.to_string(), move |conn, group| {
                        work(&mut Grouped { conn, group })
                    })
                })
                .await?
            }
        }
    }
}

/// What the filing routes share; they differ only in their body, how it is read and the way
/// (`via`) the filing reaches the database.
#[allow(clippy::too_many_arguments)] // each piece is an extractor's, passed on as it came
async fn file<B, S>(
    via: Via,
    who: AuthUser,
    firm_id: Uuid,
    req: &HttpRequest,
    admission: &FilingAdmission,
    floor: OccurredAtFloor,
    body: B,
    submission: S,
) -> Result<HttpResponse, AppError>
where
    B: Send + 'static,
    S: FnOnce(&B) -> Submission<'_> + Send + 'static,
{
    admit_filing(admission, &who)?;
    let key = idempotency_key(req)?;
    let log = crate::activity::ActivityRow::created(req, &who);
    let filed = via
        .run(firm_id, move |tx| {
            let submission = submission(&body);
            filing::file_in(
                tx,
                &who,
                firm_id,
                submission,
                floor,
                key.as_deref(),
                Some(log),
            )
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
        ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe: 1–200 ASCII characters", max_length = 200, pattern = r"^[ -~]*[!-~][ -~]*$")),
    request_body = EntryRequest,
    responses((status = 429, description = "filing too fast: wait `Retry-After` seconds", body = Problem), (status = 201, body = LedgerEntry), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "firm not active", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
///
/// Filings that arrive together are committed together (group commit, `db::group`): each is
/// checked and chained in turn, its rows written with the group's, and answered after the shared
/// commit.
pub async fn file_one(
    filings: web::Data<GroupCommit<FilingGroup>>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    req: HttpRequest,
    admission: FilingAdmission,
    floor: web::Data<OccurredAtFloor>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    file(
        Via::Grouped(filings),
        who,
        firm_id.into_inner(),
        &req,
        &admission,
        **floor,
        body.into_inner(),
        |b| Submission::Entry(b),
    )
    .await
}

/// File up to 1000 entries at once, all or nothing; a 422 names each bad item by index.
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/ledger/batch", tag = "ledger", params(("firm_id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe: 1–200 ASCII characters", max_length = 200, pattern = r"^[ -~]*[!-~][ -~]*$")),
    request_body = BatchRequest,
    responses((status = 429, description = "filing too fast: wait `Retry-After` seconds", body = Problem), (status = 201, body = Receipts), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn file_batch(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    req: HttpRequest,
    admission: FilingAdmission,
    floor: web::Data<OccurredAtFloor>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    file(
        Via::Alone(db),
        who,
        firm_id.into_inner(),
        &req,
        &admission,
        **floor,
        body,
        |b| Submission::Batch(b),
    )
    .await
}

/// Import a CSV (the export's columns) or, with the .xlsx content type, an Excel workbook (its
/// first sheet, the same columns by name or by the template's headers) as one batch, all or
/// nothing; errors name the row and column (`row 3.quantity`).
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/ledger/import", tag = "ledger", params(("firm_id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe: 1–200 ASCII characters", max_length = 200, pattern = r"^[ -~]*[!-~][ -~]*$")),
    request_body(description = "a CSV (UTF-8), or an Excel workbook such as `GET /ledger/template.xlsx`",
        content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 429, description = "filing too fast: wait `Retry-After` seconds", body = Problem), (status = 201, body = Receipts), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn import(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    req: HttpRequest,
    admission: FilingAdmission,
    floor: web::Data<OccurredAtFloor>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let is_xlsx = header_text(&req, header::CONTENT_TYPE)
        .is_some_and(|t| t.starts_with(crate::workbook::CONTENT_TYPE));
    file(
        Via::Alone(db),
        who,
        firm_id.into_inner(),
        &req,
        &admission,
        **floor,
        body,
        move |b| {
            if is_xlsx {
                Submission::Xlsx(b)
            } else {
                Submission::Csv(b)
            }
        },
    )
    .await
}

fn header_text(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The language a workbook is written in: `?lang=`, else `Accept-Language`, else English.
fn texts(req: &HttpRequest, lang: Option<&str>) -> Result<Texts, AppError> {
    let accept_language = header_text(req, header::ACCEPT_LANGUAGE);
    Ok(Texts(Lang::requested(lang, accept_language)?))
}

/// The firm's ledger in seq order, filtered; every match as CSV with `format=csv` or
/// `Accept: text/csv`, as an Excel workbook with `format=xlsx` or the .xlsx `Accept` (one sheet
/// per chemical with its running balance, headers in `lang`), as one EPCIS 2.0 document with
/// `format=epcis` or `Accept: application/ld+json` (docs/epcis.md).
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/ledger", tag = "ledger", params(("firm_id" = Uuid, Path), LedgerQuery),
    responses((status = 200, description = "a page of entries; or every match as CSV, as an Excel workbook (one sheet per chemical, with the chemical's balance as filed), or as an EPCIS 2.0 EPCISDocument",
            content((PageOf<LedgerEntry> = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Object = "application/ld+json"))),
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
    let format = query.format(header_text(&req, header::ACCEPT))?;
    let listing = query.parse()?;
    // `lang` is checked whatever the format, so that a bad one is refused the same way always.
    let texts = texts(&req, query.lang.as_deref())?;
    if format == LedgerFormat::Epcis {
        let document = db
            .run(move |conn| super::epcis::export::export(conn, &who, firm_id, listing))
            .await?;
        return Ok(HttpResponse::Ok()
            .content_type(super::epcis::CONTENT_TYPE)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(document));
    }
    if format == LedgerFormat::Xlsx {
        let clock = crate::console::page::clock();
        let bytes = db
            .run(move |conn| super::export_xlsx(conn, &who, firm_id, listing, texts, clock))
            .await?;
        return Ok(crate::workbook::download(
            &format!("ledger-{firm_id}.xlsx"),
            bytes,
        ));
    }
    if format == LedgerFormat::Csv {
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// The headers' language, `zh-CN` or `en` (default: `Accept-Language`, else English).
    #[param(schema_with = crate::paging::schema::lang)]
    pub lang: Option<String>,
}

/// The import's template (any signed-in user): the columns, a drop-down list of the entry kinds
/// (and of the ways of payment) and one example row — a real, valid purchase of acetone
/// (67-64-1) dated yesterday 09:30 China time; imported as downloaded it is filed.
#[utoipa::path(get, path = "/api/v1/ledger/template.xlsx", tag = "ledger", params(TemplateQuery),
    responses((status = 200, description = "the template workbook",
            content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn template(
    _who: AuthUser,
    query: web::Query<TemplateQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let texts = texts(&req, query.lang.as_deref())?;
    let clock = crate::console::page::clock();
    let example_at = super::xlsx::example_time(chrono::Utc::now(), clock);
    let bytes = super::xlsx::template(texts, example_at)?;
    Ok(crate::workbook::download("ledger-template.xlsx", bytes))
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
    #[param(schema_with = crate::paging::schema::time)]
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
    responses((status = 429, description = "filing too fast: wait `Retry-After` seconds", body = Problem), (status = 201, description = "entries filed; a line per event", body = super::epcis::import::ImportReport),
        (status = 200, description = "nothing new filed; a line per event", body = super::epcis::import::ImportReport),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 413, description = "larger than 20 MiB", body = Problem),
        (status = 422, description = "not an EPCIS 2.0 document (each error names its JSON pointer), or an event the registry cannot file", body = Problem)),
    security(("bearer" = [])))]
#[allow(clippy::too_many_arguments)] // an extractor each
pub async fn import_epcis(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    query: web::Query<EpcisImportQuery>,
    req: HttpRequest,
    admission: FilingAdmission,
    floor: web::Data<OccurredAtFloor>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    admit_filing(&admission, &who)?;
    let partial = query.partial.unwrap_or(false);
    let body = body_within(payload, super::epcis::MAX_DOCUMENT_BYTES).await?;
    let document: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad_request("malformed_json", format!("the body is not JSON: {e}"))
    })?;
    let log = crate::activity::ActivityRow::created(&req, &who);
    let floor = **floor;
    let report = db
        .run(move |conn| {
            super::epcis::import::import(conn, &who, firm_id, &document, partial, floor, Some(log))
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
