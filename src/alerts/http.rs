//! Routes of alerts: webhook subscriptions, their delivery logs, and the event stream.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::stream::StreamQuery;
use super::subscriptions::{DeliveryView, Subscription, SubscriptionRequest};
use crate::auth::AuthUser;
use crate::config::AlertSettings;
use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/subscriptions")
            .route(web::post().to(create))
            .route(web::get().to(list)),
    )
    .service(web::resource("/subscriptions/{subscription_id}").route(web::delete().to(end)))
    .service(
        web::resource("/subscriptions/{subscription_id}/deliveries")
            .route(web::get().to(deliveries)),
    )
    .service(web::resource("/events/stream").route(web::get().to(stream)));
}

/// Subscribe a webhook to events (regulator: any firm, a region or all; enterprise: its own
/// firm only). The answer carries the signing secret, shown this once.
#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "alerts",
    request_body = SubscriptionRequest,
    responses((status = 201, body = Subscription), (status = 403, body = Problem),
        (status = 404, description = "an enterprise named another firm", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    db: web::Data<Db>,
    who: AuthUser,
    body: web::Json<SubscriptionRequest>,
) -> Result<HttpResponse, AppError> {
    let created = db
        .run(move |conn| super::subscriptions::create(conn, &who, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// The caller's own subscriptions, ended ones included (without their secrets).
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "alerts",
    params(PageQuery),
    responses((status = 200, body = PageOf<Subscription>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    db: web::Data<Db>,
    who: AuthUser,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = page.parse()?;
    let subscriptions = db
        .run(move |conn| super::subscriptions::list(conn, &who, page))
        .await?;
    Ok(HttpResponse::Ok().json(subscriptions))
}

/// End one of the caller's subscriptions: it receives nothing more, pending deliveries are
/// cancelled, and the subscription and its log stay readable.
#[utoipa::path(delete, path = "/api/v1/subscriptions/{subscription_id}", tag = "alerts",
    params(("subscription_id" = Uuid, Path)),
    responses((status = 204, description = "ended"), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn end(
    db: web::Data<Db>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    db.run(move |conn| super::subscriptions::end(conn, &who, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log of one of the caller's subscriptions: each event, its attempts and outcome.
#[utoipa::path(get, path = "/api/v1/subscriptions/{subscription_id}/deliveries", tag = "alerts",
    params(("subscription_id" = Uuid, Path), PageQuery),
    responses((status = 200, body = PageOf<DeliveryView>), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn deliveries(
    db: web::Data<Db>,
    who: AuthUser,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = page.parse()?;
    let id = id.into_inner();
    let log = db
        .run(move |conn| super::subscriptions::deliveries(conn, &who, id, page))
        .await?;
    Ok(HttpResponse::Ok().json(log))
}

/// The events the caller may receive, as server-sent events (`text/event-stream`: `id:`,
/// `event:`, `data:` lines; a keep-alive comment when idle). Same scope as a subscription: an
/// enterprise only gets events about its own firm. Send `Last-Event-ID` to resume.
#[utoipa::path(get, path = "/api/v1/events/stream", tag = "alerts",
    params(StreamQuery),
    responses((status = 200, description = "the event stream", content_type = "text/event-stream", body = String),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn stream(
    db: web::Data<Db>,
    settings: web::Data<AlertSettings>,
    who: AuthUser,
    query: web::Query<StreamQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let last = req
        .headers()
        .get("Last-Event-ID")
        .map(|v| v.to_str().unwrap_or("-").to_string());
    let opened = db
        .run(move |conn| super::stream::open(conn, &who, &query, last.as_deref()))
        .await?;
    let body = super::stream::body(db.get_ref().clone(), opened, settings.get_ref());
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // Not compressed: a compressor would hold events back until its buffer fills.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
