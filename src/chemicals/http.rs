use actix_web::{web, HttpResponse};
use uuid::Uuid;

use super::amend::{self, ChangeRequest, NewChemicalRequest};
use super::{Chemical, ChemicalFilter};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/chemicals")
            .route(web::get().to(list))
            .route(web::post().to(add)),
    )
    .service(web::resource("/chemicals/{chemical_id}").route(web::get().to(get)))
    .service(web::resource("/chemicals/{chemical_id}/changes").route(web::post().to(change)));
}

/// Add a chemical to the list, controlled from the date the amendment took effect (admins).
#[utoipa::path(post, path = "/api/v1/chemicals", tag = "chemicals", request_body = NewChemicalRequest,
    responses((status = 201, body = Chemical), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add(
    db: web::Data<Db>,
    who: AuthUser,
    body: web::Json<NewChemicalRequest>,
) -> Result<HttpResponse, AppError> {
    let request = body.into_inner();
    let chemical = db.run(move |conn| amend::add(conn, &who, request)).await?;
    Ok(HttpResponse::Created().json(chemical))
}

/// Change a chemical's category, or delist it, from a date (admins). Earlier entries keep
/// being judged by the list as it stood when they happened.
#[utoipa::path(post, path = "/api/v1/chemicals/{chemical_id}/changes", tag = "chemicals",
    params(("chemical_id" = Uuid, Path)), request_body = ChangeRequest,
    responses((status = 201, body = Chemical), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn change(
    db: web::Data<Db>,
    who: AuthUser,
    chemical_id: web::Path<Uuid>,
    body: web::Json<ChangeRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, request) = (chemical_id.into_inner(), body.into_inner());
    let chemical = db
        .run(move |conn| amend::change(conn, &who, id, request))
        .await?;
    Ok(HttpResponse::Created().json(chemical))
}

/// Search the precursor catalog by category and by name (zh/en) or CAS number.
#[utoipa::path(get, path = "/api/v1/chemicals", tag = "chemicals", params(ChemicalFilter, PageQuery),
    responses((status = 200, body = PageOf<Chemical>), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    filter: web::Query<ChemicalFilter>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let search = filter.parse()?;
    let page = page.parse()?;
    let chemicals = db
        .run(move |conn| super::list(conn, &who, search, page))
        .await?;
    Ok(HttpResponse::Ok().json(chemicals))
}

/// One catalog entry.
#[utoipa::path(get, path = "/api/v1/chemicals/{chemical_id}", tag = "chemicals", params(("chemical_id" = Uuid, Path)),
    responses((status = 200, body = Chemical), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    db: web::Data<Db>,
    who: AuthUser,
    chemical_id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let id = chemical_id.into_inner();
    let chemical = db.run(move |conn| super::get(conn, &who, id)).await?;
    Ok(HttpResponse::Ok().json(chemical))
}
