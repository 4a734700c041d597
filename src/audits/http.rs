use actix_web::{web, HttpResponse};
use uuid::Uuid;

use super::{Audit, AuditQuery, CloseAuditRequest, OpenAuditRequest, RecordFindingRequest};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/audits")
            .route(web::post().to(open))
            .route(web::get().to(list)),
    )
    .service(
        web::resource("/audits/{audit_id}")
            .route(web::get().to(get))
            .route(web::patch().to(close)),
    )
    .service(web::resource("/audits/{audit_id}/findings").route(web::post().to(record_finding)));
}

/// Open an inspection of a firm (regulator).
#[utoipa::path(post, path = "/api/v1/audits", tag = "audits", request_body = OpenAuditRequest,
    responses((status = 201, body = Audit), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn open(
    db: web::Data<Db>,
    who: AuthUser,
    body: web::Json<OpenAuditRequest>,
) -> Result<HttpResponse, AppError> {
    let audit = db
        .run(move |conn| super::open(conn, &who, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(audit))
}

/// Audits: all for regulators; an enterprise sees its own closed audits.
#[utoipa::path(get, path = "/api/v1/audits", tag = "audits", params(AuditQuery, PageQuery),
    responses((status = 200, body = PageOf<Audit>), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    query: web::Query<AuditQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = page.parse()?;
    let audits = db
        .run(move |conn| super::list(conn, &who, query.into_inner(), page))
        .await?;
    Ok(HttpResponse::Ok().json(audits))
}

/// One audit with its findings.
#[utoipa::path(get, path = "/api/v1/audits/{audit_id}", tag = "audits", params(("audit_id" = Uuid, Path)),
    responses((status = 200, body = Audit), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    db: web::Data<Db>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let audit = db.run(move |conn| super::get(conn, &who, id)).await?;
    Ok(HttpResponse::Ok().json(audit))
}

/// Record a finding of an open audit (regulator).
#[utoipa::path(post, path = "/api/v1/audits/{audit_id}/findings", tag = "audits", params(("audit_id" = Uuid, Path)),
    request_body = RecordFindingRequest,
    responses((status = 201, body = Audit), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn record_finding(
    db: web::Data<Db>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<RecordFindingRequest>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let audit = db
        .run(move |conn| super::record_finding(conn, &who, id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(audit))
}

/// Close an audit with its conclusion (regulator); it is read-only afterwards.
#[utoipa::path(patch, path = "/api/v1/audits/{audit_id}", tag = "audits", params(("audit_id" = Uuid, Path)),
    request_body = CloseAuditRequest,
    responses((status = 200, body = Audit), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn close(
    db: web::Data<Db>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<CloseAuditRequest>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let audit = db
        .run(move |conn| super::close(conn, &who, id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(audit))
}
