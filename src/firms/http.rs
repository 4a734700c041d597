use actix_web::{web, HttpResponse};
use uuid::Uuid;

use super::{ChangeFirmStatusRequest, Firm, FirmForCaller, FirmQuery, RegisterFirmRequest};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/firms")
            .route(web::post().to(register))
            .route(web::get().to(list)),
    )
    .service(
        web::resource("/firms/{firm_id}")
            .route(web::get().to(get))
            .route(web::patch().to(change_status)),
    );
}

/// Register a firm (regulator).
#[utoipa::path(post, path = "/api/v1/firms", tag = "firms", request_body = RegisterFirmRequest,
    responses((status = 201, body = Firm), (status = 403, body = Problem), (status = 409, description = "credit code already registered", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn register(
    db: web::Data<Db>,
    who: AuthUser,
    body: web::Json<RegisterFirmRequest>,
) -> Result<HttpResponse, AppError> {
    let firm = db
        .run(move |conn| super::register(conn, &who, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(firm))
}

/// List firms: all for regulators, the directory for the association, its own for an enterprise;
/// filtered by name or credit code, region, status and current grade.
#[utoipa::path(get, path = "/api/v1/firms", tag = "firms", params(FirmQuery, PageQuery),
    responses((status = 200, body = PageOf<FirmForCaller>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    query: web::Query<FirmQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = page.parse()?;
    let firms = db
        .run(move |conn| super::list(conn, &who, &query, page))
        .await?;
    Ok(HttpResponse::Ok().json(firms))
}

/// One firm, in the shape the caller may see.
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}", tag = "firms", params(("firm_id" = Uuid, Path)),
    responses((status = 200, body = FirmForCaller), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let firm = db.run(move |conn| super::get(conn, &who, firm_id)).await?;
    Ok(HttpResponse::Ok().json(firm))
}

/// Suspend, revoke or reinstate a firm (regulator); the reason is kept in the firm's history.
#[utoipa::path(patch, path = "/api/v1/firms/{firm_id}", tag = "firms", params(("firm_id" = Uuid, Path)),
    request_body = ChangeFirmStatusRequest,
    responses((status = 200, body = Firm), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn change_status(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    body: web::Json<ChangeFirmStatusRequest>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let firm = db
        .run(move |conn| super::change_status(conn, &who, firm_id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(firm))
}
