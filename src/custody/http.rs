use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::trace::Trace;
use super::{
    DecisionRequest, ExplanationRequest, FindingQuery, FindingView, RunRequest, RunSummary,
};
use crate::auth::{policy, AuthUser};
use crate::db::Db;
use crate::domain::{time, CustodyRules, Role};
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};

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
        .service(web::resource("/custody/trace").route(web::get().to(trace)));
}

/// Run the custody validator (regulator: one firm or all; enterprise: its own firm).
#[utoipa::path(post, path = "/api/v1/custody/validations", tag = "custody", request_body = RunRequest,
    responses((status = 201, body = RunSummary), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn run(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // The body is optional (no body: all firms, now), but a body that is there must be valid.
    let request: RunRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RunRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            if e.is_data() {
                AppError::field("body", "invalid_type", e.to_string())
            } else {
                AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
            }
        })?
    };
    let rules = **rules;
    let summary = db
        .run(move |conn| super::run(conn, &who, request, &rules))
        .await?;
    Ok(HttpResponse::Created().json(summary))
}

/// Findings: all for regulators; an enterprise sees those about its own firm.
#[utoipa::path(get, path = "/api/v1/custody/findings", tag = "custody", params(FindingQuery, PageQuery),
    responses((status = 200, body = PageOf<FindingView>), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    query: web::Query<FindingQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = page.parse()?;
    let findings = db
        .run(move |conn| super::list(conn, &who, query.into_inner(), page))
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
    let finding = db.run(move |conn| super::get(conn, &who, id)).await?;
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
        .run(move |conn| super::explain(conn, &who, id, body.into_inner()))
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
        .run(move |conn| super::decide(conn, &who, id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(finding))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TraceQuery {
    pub chemical_id: Option<String>,
    /// Omit to trace the chemical's movements filed without a lot.
    pub lot: Option<String>,
}

/// The custody graph of one lot (regulator); `Accept: text/vnd.graphviz` for DOT.
#[utoipa::path(get, path = "/api/v1/custody/trace", tag = "custody", params(TraceQuery),
    responses((status = 200, description = "the custody graph, as JSON or as Graphviz DOT", content((Trace = "application/json"), (String = "text/vnd.graphviz"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn trace(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    query: web::Query<TraceQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    policy::require_role(&who, &[Role::Regulator])?;
    let mut errors = Vec::new();
    let chemical = query
        .chemical_id
        .as_deref()
        .map(str::trim)
        .filter(|c| Uuid::parse_str(c).is_ok());
    if chemical.is_none() {
        errors.push(crate::error::FieldError::new(
            "chemical_id",
            "invalid_id",
            "give the catalog id of the chemical",
        ));
    }
    // No lot: the chemical's movements filed without a lot (category 3 may be kept so).
    let lot = query
        .lot
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    let Some(chemical) = chemical.map(str::to_string) else {
        return Err(AppError::Validation(errors));
    };
    let rules = **rules;
    let trace = db
        .run(move |conn| {
            let input = super::store::load_input(conn)?;
            let settings = CustodyRules {
                as_of: time::from_db(time::now()),
                ..rules
            };
            let findings = super::validate(&input, &settings);
            Ok(super::trace::build(
                &input,
                &settings,
                &findings,
                &chemical,
                lot.as_deref(),
            ))
        })
        .await?;
    let wants_dot = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/vnd.graphviz"));
    if wants_dot {
        return Ok(HttpResponse::Ok()
            .content_type("text/vnd.graphviz; charset=utf-8")
            .body(super::trace::to_dot(&trace)));
    }
    Ok(HttpResponse::Ok().json(trace))
}
