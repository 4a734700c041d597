use actix_web::{web, HttpResponse};
use uuid::Uuid;

use super::{CreateUserRequest, UpdateUserRequest, User};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/users")
            .route(web::post().to(create))
            .route(web::get().to(list)),
    )
    .service(web::resource("/users/{user_id}").route(web::patch().to(update)))
    .service(web::resource("/me").route(web::get().to(me)));
}

/// Create an account (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserRequest,
    responses((status = 201, body = User), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    db: web::Data<Db>,
    who: AuthUser,
    body: web::Json<CreateUserRequest>,
) -> Result<HttpResponse, AppError> {
    let user = db
        .run(move |conn| super::create(conn, &who, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(user))
}

/// All accounts (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageQuery),
    responses((status = 200, body = PageOf<User>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = page.parse()?;
    let users = db.run(move |conn| super::list(conn, &who, page)).await?;
    Ok(HttpResponse::Ok().json(users))
}

/// Disable or re-enable an account, or reset its password (admin).
#[utoipa::path(patch, path = "/api/v1/users/{user_id}", tag = "users", params(("user_id" = Uuid, Path)),
    request_body = UpdateUserRequest,
    responses((status = 200, body = User), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    db: web::Data<Db>,
    who: AuthUser,
    user_id: web::Path<Uuid>,
    body: web::Json<serde_json::Value>,
    generations: web::Data<crate::auth::Generations>,
) -> Result<HttpResponse, AppError> {
    let body: UpdateUserRequest = crate::error::object_body(body.into_inner())?;
    let id = user_id.into_inner();
    let user = db
        .run(move |conn| super::update(conn, &who, id, body))
        .await?;
    // A disabled account or a new password: its tokens end on this server's next request too.
    generations.forget(id);
    Ok(HttpResponse::Ok().json(user))
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = User), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn me(db: web::Data<Db>, who: AuthUser) -> Result<HttpResponse, AppError> {
    let user = db.run(move |conn| super::me(conn, &who)).await?;
    Ok(HttpResponse::Ok().json(user))
}
