use std::time::Instant;

use actix_web::{web, HttpRequest, HttpResponse};

use super::{DirectoryEntry, DirectoryQuery, PublicDirectory, Publication, PublishRequest};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};

/// The association's publications (always served).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/grades/publications")
            .route(web::post().to(publish))
            .route(web::get().to(publications)),
    );
}

/// The public directory, registered only where the deployment switches it on: elsewhere its path
/// is as unknown as any other (`404`).
pub fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/public/grades").route(web::get().to(public_grades)));
}

/// Publish the confirmed grades of a period in the public directory (association).
#[utoipa::path(post, path = "/api/v1/grades/publications", tag = "directory",
    request_body = PublishRequest,
    responses((status = 201, body = Publication), (status = 403, body = Problem),
        (status = 409, description = "the period is already published (`already_published`)", body = Problem),
        (status = 422, description = "a malformed period (`invalid_period`) or one without a confirmed grade (`not_graded`)", body = Problem)),
    security(("bearer" = [])))]
pub async fn publish(
    db: web::Data<Db>,
    who: AuthUser,
    body: web::Json<PublishRequest>,
) -> Result<HttpResponse, AppError> {
    let publication = db
        .run(move |conn| super::publish(conn, &who, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(publication))
}

/// The publications, in the order they were made (association, regulator).
#[utoipa::path(get, path = "/api/v1/grades/publications", tag = "directory", params(PageQuery),
    responses((status = 200, body = PageOf<Publication>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn publications(
    db: web::Data<Db>,
    who: AuthUser,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = page.parse()?;
    let list = db
        .run(move |conn| super::publications(conn, &who, page))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The public grade directory, without sign-in (a token changes nothing): name, credit code,
/// region, grade and period of each active firm whose current grade is of a published period,
/// ordered by credit code. Served only where the deployment enables it (`404` elsewhere); each
/// client address may ask a limited number of times per minute (`429` with `Retry-After`).
#[utoipa::path(get, path = "/api/v1/public/grades", tag = "directory", params(DirectoryQuery, super::DirectoryPage),
    responses((status = 200, body = PageOf<DirectoryEntry>),
        (status = 404, description = "the deployment does not serve the public directory", body = Problem),
        (status = 422, description = "a bad `limit`, `cursor` or too long `q`", body = Problem),
        (status = 429, description = "too many requests from this address (`rate_limited`); see `Retry-After`", body = Problem)))]
pub async fn public_grades(
    db: web::Data<Db>,
    directory: web::Data<PublicDirectory>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    // The budget is counted before anything else is read, so every request costs one.
    let forwarded_for = req
        .headers()
        .get_all("x-forwarded-for")
        .last()
        .and_then(|v| v.to_str().ok());
    directory.admit(
        req.peer_addr().map(|a| a.ip()),
        forwarded_for,
        Instant::now(),
    )?;
    let bad_query = |e: actix_web::error::QueryPayloadError| {
        AppError::field("query", "invalid_query", e.to_string())
    };
    let query = web::Query::<DirectoryQuery>::from_query(req.query_string())
        .map_err(bad_query)?
        .into_inner();
    let page = web::Query::<PageQuery>::from_query(req.query_string())
        .map_err(bad_query)?
        .parse_keyed(crate::domain::credit_code::has_shape)?;
    let answer = db
        .run(move |conn| super::public_grades(conn, &query, &page))
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}
