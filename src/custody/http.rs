use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::findings::{self, DecisionRequest, ExplanationRequest, FindingQuery, FindingView};
use super::rules_view::RulesView;
use super::run::{self, RunRequest, RunSummary};
use super::trace::{self, Trace, TraceQuery};
use crate::auth::AuthUser;
use crate::console::{Lang, Texts};
use crate::db::Db;
use crate::domain::rule_pack::RulePack;
use crate::domain::CustodyRules;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};
use crate::workbook::DownloadQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/custody/validations").route(web::post().to(run)))
        .service(web::resource("/custody/findings").route(web::get().to(list)))
        .service(
            web::resource("/custody/findings/{finding_id}")
                .route(web::get().to(get))
                .route(web::patch().to(decide)),
        )
        .service(
            web::resource("/custody/findings/{finding_id}/explanations")
                .route(web::post().to(explain)),
        )
        .service(web::resource("/custody/trace").route(web::get().to(trace)))
        .service(web::resource("/rules").route(web::get().to(rules)));
}

/// The rule pack in force and every setting the validator judges by (any signed-in user: the
/// rules are public law).
#[utoipa::path(get, path = "/api/v1/rules", tag = "custody",
    responses((status = 200, body = RulesView), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn rules(
    pack: web::Data<RulePack>,
    rules: web::Data<CustodyRules>,
    _who: AuthUser,
) -> HttpResponse {
    HttpResponse::Ok().json(RulesView::of(&pack, &rules))
}

/// Run the custody validator (regulator: one firm or all; enterprise: its own firm).
#[utoipa::path(post, path = "/api/v1/custody/validations", tag = "custody", request_body(content = Option<RunRequest>, description = "optional: no body runs for every firm (an enterprise: its own), now"),
    responses((status = 201, body = RunSummary), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn run(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let request = RunRequest::from_body(&body)?;
    let rules = **rules;
    let summary = db
        .run(move |conn| run::run(conn, &who, request, &rules))
        .await?;
    Ok(HttpResponse::Created().json(summary))
}

/// Findings: all for regulators; an enterprise sees those about its own firm. With
/// `format=xlsx` (or the .xlsx `Accept`) every match, unpaged, as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/custody/findings", tag = "custody", params(FindingQuery, PageQuery, DownloadQuery),
    responses((status = 200, description = "a page of findings, or every match as an Excel workbook",
            content((PageOf<FindingView> = "application/json"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    query: web::Query<FindingQuery>,
    page: web::Query<PageQuery>,
    download: web::Query<DownloadQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    // `lang` is checked whatever the format, so that a bad one is refused the same way always.
    let lang = Lang::requested(download.lang.as_deref(), header(header::ACCEPT_LANGUAGE))?;
    if download.wants_xlsx(header(header::ACCEPT))? {
        let clock = crate::console::page::clock();
        let bytes = db
            .run(move |conn| {
                let (items, chemicals) = findings::export(conn, &who, query.into_inner())?;
                super::workbook::findings_xlsx(&items, &chemicals, Texts(lang), clock)
            })
            .await?;
        return Ok(crate::workbook::download("findings.xlsx", bytes));
    }
    let page = page.parse()?;
    let findings = db
        .run(move |conn| findings::list(conn, &who, query.into_inner(), page))
        .await?;
    Ok(HttpResponse::Ok().json(findings))
}

/// One finding with its history.
#[utoipa::path(get, path = "/api/v1/custody/findings/{finding_id}", tag = "custody", params(("finding_id" = Uuid, Path)),
    responses((status = 200, body = FindingView), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    db: web::Data<Db>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let finding = db.run(move |conn| findings::get(conn, &who, id)).await?;
    Ok(HttpResponse::Ok().json(finding))
}

/// Explain a finding about the firm (enterprise): status → explained.
#[utoipa::path(post, path = "/api/v1/custody/findings/{finding_id}/explanations", tag = "custody", params(("finding_id" = Uuid, Path)),
    request_body = ExplanationRequest,
    responses((status = 201, body = FindingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn explain(
    db: web::Data<Db>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<ExplanationRequest>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let finding = db
        .run(move |conn| findings::explain(conn, &who, id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(finding))
}

/// Resolve or dismiss a finding with a note (regulator).
#[utoipa::path(patch, path = "/api/v1/custody/findings/{finding_id}", tag = "custody", params(("finding_id" = Uuid, Path)),
    request_body = DecisionRequest,
    responses((status = 200, body = FindingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn decide(
    db: web::Data<Db>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<DecisionRequest>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let finding = db
        .run(move |conn| findings::decide(conn, &who, id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(finding))
}

/// The custody graph of one lot (regulator); `Accept: text/vnd.graphviz` for DOT; `format=epcis`
/// (or `Accept: application/ld+json`) for every firm's entries of the lot as one EPCIS 2.0 document.
#[utoipa::path(get, path = "/api/v1/custody/trace", tag = "custody", params(TraceQuery),
    responses((status = 200, description = "the custody graph, as JSON or as Graphviz DOT; the lot's entries as EPCIS", content((Trace = "application/json"), (String = "text/vnd.graphviz"), (Object = "application/ld+json"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn trace(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    query: web::Query<TraceQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let epcis = match query.format.as_deref().map(str::trim) {
        None | Some("") => accept.contains(crate::ledger::epcis::CONTENT_TYPE),
        Some("epcis") => true,
        Some("json") => false,
        Some(_) => {
            let message = "must be json or epcis";
            return Err(AppError::field("format", "invalid_format", message));
        }
    };
    if epcis {
        let document = db.run(move |conn| trace::epcis(conn, &who, &query)).await?;
        return Ok(HttpResponse::Ok()
            .content_type(crate::ledger::epcis::CONTENT_TYPE)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(document));
    }
    let rules = **rules;
    let trace = db
        .run(move |conn| trace::trace(conn, &who, &query, &rules))
        .await?;
    let wants_dot = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/vnd.graphviz"));
    if wants_dot {
        return Ok(HttpResponse::Ok()
            .content_type("text/vnd.graphviz; charset=utf-8")
            .body(trace::to_dot(&trace)));
    }
    Ok(HttpResponse::Ok().json(trace))
}
