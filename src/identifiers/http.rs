use actix_web::{web, HttpResponse};
use uuid::Uuid;

use super::{Identifiers, RegisterRequest};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/firms/{firm_id}/gs1")
            .route(web::post().to(register))
            .route(web::get().to(list)),
    );
}

/// Register GS1 identifiers of a firm — company prefixes, party and site GLNs (each site a
/// warehouse), and which GTIN or lot is which chemical (the firm's enterprise users, or a
/// regulator). All or none; a key registered again as it is changes nothing.
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/gs1", tag = "gs1", params(("firm_id" = Uuid, Path)),
    request_body = RegisterRequest,
    responses((status = 201, description = "every identifier of the firm", body = Identifiers), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "a site or party of another firm, or a key registered otherwise", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn register(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let identifiers = db
        .run(move |conn| super::register(conn, &who, firm_id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(identifiers))
}

/// A firm's GS1 identifiers (regulator, or the firm itself).
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/gs1", tag = "gs1", params(("firm_id" = Uuid, Path)),
    responses((status = 200, body = Identifiers), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let identifiers = db.run(move |conn| super::list(conn, &who, firm_id)).await?;
    Ok(HttpResponse::Ok().json(identifiers))
}
