use actix_web::{web, HttpResponse};
use uuid::Uuid;

use super::{Permit, RegisterPermitRequest};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/firms/{firm_id}/permits")
            .route(web::post().to(register))
            .route(web::get().to(list)),
    );
}

/// Register a permit or filing held by a firm (regulator).
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/permits", tag = "permits", params(("firm_id" = Uuid, Path)),
    request_body = RegisterPermitRequest,
    responses((status = 201, body = Permit), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn register(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    body: web::Json<RegisterPermitRequest>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let permit = db
        .run(move |conn| super::register(conn, &who, firm_id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(permit))
}

/// A firm's permits (regulator, or the firm itself).
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/permits", tag = "permits", params(("firm_id" = Uuid, Path), PageQuery),
    responses((status = 200, body = PageOf<Permit>), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let page = page.parse()?;
    let permits = db
        .run(move |conn| super::list(conn, &who, firm_id, page))
        .await?;
    Ok(HttpResponse::Ok().json(permits))
}
