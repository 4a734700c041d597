//! Liveness, readiness and metrics: open to anyone, no data of any firm.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;

use crate::db::Db;
use crate::error::{AppError, Problem};
use crate::metrics::Metrics;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(healthz)))
        .service(web::resource("/readyz").route(web::get().to(readyz)))
        .service(web::resource("/metrics").route(web::get().to(metrics)));
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn readyz(
    db: web::Data<Db>,
    readiness: web::Data<Readiness>,
) -> Result<HttpResponse, AppError> {
    if readiness.is_draining() {
        return Err(AppError::Unavailable("shutting down".into()));
    }
    db.run(|conn| {
        conn.batch_execute("SELECT 1")
            .map_err(|e| AppError::Unavailable(e.to_string()))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}

/// Prometheus text: requests by route and status, latency histogram. Where the deployment set
/// `PRECURSOR_METRICS_TOKEN`, only with `Authorization: Bearer <that token>`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String), (status = 401, body = Problem)))]
pub async fn metrics(
    counters: web::Data<Metrics>,
    access: web::Data<MetricsAccess>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    access.admit(&req)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(counters.render()))
}

/// Who may read `/metrics`: anyone, or whoever presents the configured token.
#[derive(Debug, Default)]
pub struct MetricsAccess {
    pub token: Option<crate::config::Secret>,
}

impl MetricsAccess {
    fn admit(&self, req: &actix_web::HttpRequest) -> Result<(), AppError> {
        let Some(token) = &self.token else {
            return Ok(());
        };
        let given = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        use subtle::ConstantTimeEq;
        if bool::from(given.as_bytes().ct_eq(token.expose().as_bytes())) {
            Ok(())
        } else {
            Err(AppError::unauthenticated(
                "metrics_token_required",
                "send `Authorization: Bearer <the metrics token>`",
            ))
        }
    }
}

/// Whether the server still takes new work: on SIGTERM it says not-ready first, so that a load
/// balancer sends the next requests elsewhere before the server stops accepting them.
#[derive(Debug, Default)]
pub struct Readiness {
    draining: std::sync::atomic::AtomicBool,
}

impl Readiness {
    pub fn drain(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::SeqCst)
    }
}
