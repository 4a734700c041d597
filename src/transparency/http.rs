//! The tree's public face: the key, the checkpoints, consistency proofs. Open to anyone: they
//! say how many entries the registry holds and their hashes, nothing about any entry, and a
//! monitor elsewhere must be able to read them. (An entry's inclusion proof is the firm's: under
//! `/firms/{id}/ledger/{entry_id}/proof`.)

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{CheckpointView, ConsistencyView, KeyView, Signer};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/transparency/key").route(web::get().to(key)))
        .service(web::resource("/transparency/checkpoints/latest").route(web::get().to(latest)))
        .service(
            web::resource("/transparency/checkpoints")
                .route(web::get().to(list))
                .route(web::post().to(sign)),
        )
        .service(web::resource("/transparency/consistency").route(web::get().to(consistency)));
}

/// The registry's checkpoint key (open to anyone).
#[utoipa::path(get, path = "/api/v1/transparency/key", tag = "transparency",
    responses((status = 200, body = KeyView)))]
pub async fn key(signer: web::Data<Signer>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(super::key(&signer)?))
}

/// The newest checkpoint as a signed note, `text/plain` (open to anyone); a new one is signed
/// first when the tree has grown and the newest is older than the signing interval.
#[utoipa::path(get, path = "/api/v1/transparency/checkpoints/latest", tag = "transparency",
    responses((status = 200, description = "the signed note", content_type = "text/plain")))]
pub async fn latest(
    db: web::Data<Db>,
    signer: web::Data<Signer>,
) -> Result<HttpResponse, AppError> {
    let row = db.run(move |conn| super::latest(conn, &signer)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(row.note))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FromQuery {
    /// The smallest tree size to list (default 0).
    #[param(value_type = Option<u64>, maximum = 9223372036854775807_u64)]
    pub from: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[param(value_type = Option<u64>, maximum = 1000)]
    pub limit: Option<String>,
}

/// A size or count from a query: a whole number, else the field's error.
fn number(field: &str, text: Option<&str>, default: u64, max: u64) -> Result<u64, AppError> {
    match text {
        None => Ok(default),
        Some(t) => t
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| {
                AppError::field(
                    field,
                    "invalid_number",
                    format!("must be a whole number up to {max}"),
                )
            }),
    }
}

/// Checkpoints from a tree size on, oldest first (open to anyone).
#[utoipa::path(get, path = "/api/v1/transparency/checkpoints", tag = "transparency", params(FromQuery),
    responses((status = 200, body = Vec<CheckpointView>), (status = 422, body = Problem)))]
pub async fn list(
    db: web::Data<Db>,
    query: web::Query<FromQuery>,
) -> Result<HttpResponse, AppError> {
    let from = number("from", query.from.as_deref(), 0, i64::MAX as u64)?;
    let limit = number("limit", query.limit.as_deref(), 100, 1000)?;
    let rows = db
        .run(move |conn| super::store::checkpoints_from(conn, from, limit as i64))
        .await?;
    let views = rows
        .iter()
        .map(|r| r.view())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(views))
}

/// Sign a checkpoint of the tree as it is now (regulator).
#[utoipa::path(post, path = "/api/v1/transparency/checkpoints", tag = "transparency",
    responses((status = 201, body = CheckpointView), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn sign(
    db: web::Data<Db>,
    who: AuthUser,
    signer: web::Data<Signer>,
) -> Result<HttpResponse, AppError> {
    let row = db
        .run(move |conn| super::sign_now(conn, &who, &signer))
        .await?;
    Ok(HttpResponse::Created().json(row.view()?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// The older tree size.
    #[param(value_type = u64, maximum = 9223372036854775807_u64)]
    pub from: Option<String>,
    /// The newer tree size.
    #[param(value_type = u64, maximum = 9223372036854775807_u64)]
    pub to: Option<String>,
}

/// The consistency proof between two tree sizes (open to anyone).
#[utoipa::path(get, path = "/api/v1/transparency/consistency", tag = "transparency", params(RangeQuery),
    responses((status = 200, body = ConsistencyView), (status = 422, body = Problem)))]
pub async fn consistency(
    db: web::Data<Db>,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, AppError> {
    let required = |field: &str, v: &Option<String>| {
        v.as_deref()
            .ok_or_else(|| AppError::field(field, "required", "is required"))
            .and_then(|t| number(field, Some(t), 0, i64::MAX as u64))
    };
    let (from, to) = (required("from", &query.from)?, required("to", &query.to)?);
    let view = db
        .run(move |conn| super::consistency(conn, from, to))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
