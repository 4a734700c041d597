use actix_web::{web, HttpResponse};

use super::{Activity, ActivityQuery};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/activity").route(web::get().to(list)));
}

/// The activity log of state-changing requests (regulator, admin).
#[utoipa::path(get, path = "/api/v1/activity", tag = "activity", params(ActivityQuery, PageQuery),
    responses((status = 200, body = PageOf<Activity>), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    query: web::Query<ActivityQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = page.parse()?;
    let items = db
        .run(move |conn| super::list(conn, &who, query.into_inner(), page))
        .await?;
    Ok(HttpResponse::Ok().json(items))
}
