use actix_web::{web, HttpResponse};

use super::{LoginRequest, LogoutRequest, RefreshRequest, TokenPair};
use crate::auth::token::TokenKeys;
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth/login").route(web::post().to(login)))
        .service(web::resource("/auth/refresh").route(web::post().to(refresh)))
        .service(web::resource("/auth/logout").route(web::post().to(logout)));
}

/// Sign in with username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem),
        (status = 429, description = "too many failed sign-ins; see Retry-After", body = Problem)))]
pub async fn login(
    db: web::Data<Db>,
    tokens: web::Data<TokenKeys>,
    body: web::Json<LoginRequest>,
    addresses: web::Data<crate::ratelimit::ClientAddresses>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    let address = addresses.of(&req);
    let pair = db
        .run(move |conn| super::login(conn, &tokens, body.into_inner(), address))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(pair))
}

/// Exchange a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem)))]
pub async fn refresh(
    db: web::Data<Db>,
    tokens: web::Data<TokenKeys>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, AppError> {
    let pair = db
        .run(move |conn| super::refresh(conn, &tokens, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(pair))
}

/// Sign out: revoke the given refresh token's session, or all of the caller's sessions.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body(content = Option<LogoutRequest>, description = "optional: without one, every session of the caller ends"),
    responses((status = 204), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn logout(
    db: web::Data<Db>,
    who: AuthUser,
    body: web::Bytes,
    generations: web::Data<crate::auth::Generations>,
) -> Result<HttpResponse, AppError> {
    // The body is optional, but one that is there must be valid: a field it does not know is
    // refused, not read as "no body" (which would end every session).
    let request: LogoutRequest = crate::error::optional_body(&body)?;
    let user = who.user_id;
    db.run(move |conn| super::logout(conn, &who, request))
        .await?;
    generations.forget(user);
    Ok(HttpResponse::NoContent().finish())
}
