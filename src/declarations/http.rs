use actix_web::{web, HttpResponse};
use uuid::Uuid;

use super::{Declaration, DeclareRequest};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/firms/{firm_id}/declarations")
            .route(web::post().to(declare))
            .route(web::get().to(list)),
    );
}

/// File a customer's declaration of use, kept on file by the supplying firm (its enterprise).
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/declarations", tag = "declarations", params(("firm_id" = Uuid, Path)),
    request_body = DeclareRequest,
    responses((status = 201, body = Declaration), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn declare(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    body: web::Json<DeclareRequest>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let declaration = db
        .run(move |conn| super::declare(conn, &who, firm_id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(declaration))
}

/// The customer declarations a firm keeps (regulator, or the firm itself).
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/declarations", tag = "declarations", params(("firm_id" = Uuid, Path), PageQuery),
    responses((status = 200, body = PageOf<Declaration>), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let page = page.parse()?;
    let declarations = db
        .run(move |conn| super::list(conn, &who, firm_id, page))
        .await?;
    Ok(HttpResponse::Ok().json(declarations))
}
