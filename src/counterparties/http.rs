use actix_web::{web, HttpResponse};

use super::{CheckQuery, CounterpartyCheck};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::domain::CustodyRules;
use crate::error::{AppError, Problem};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/counterparties/check").route(web::get().to(check)));
}

/// Before a sale (enterprise, regulator): is the firm with this credit code registered, active,
/// and does it hold a purchase right for the chemical on that date, with how much is left?
#[utoipa::path(get, path = "/api/v1/counterparties/check", tag = "counterparties", params(CheckQuery),
    responses((status = 200, description = "the answer; an unknown credit code is `registered: false`", body = CounterpartyCheck),
        (status = 403, body = Problem),
        (status = 422, description = "a missing or malformed credit code, an unknown or malformed chemical id, a bad `on`", body = Problem)),
    security(("bearer" = [])))]
pub async fn check(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    query: web::Query<CheckQuery>,
) -> Result<HttpResponse, AppError> {
    let rules = **rules;
    let answer = db
        .run(move |conn| super::check(conn, &who, &query, &rules))
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}
