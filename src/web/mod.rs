//! HTTP plumbing shared by every slice: operations endpoints, request metrics and the
//! activity log line, error rewriting, and the OpenAPI document.

pub mod activity;
pub mod console;
pub mod dashboard;
pub mod firm_page;
pub mod openapi;
pub mod ops;
pub mod permits;
pub mod trace;

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use actix_web::{web, HttpRequest, ResponseError};

use crate::auth::token::TokenKeys;
use crate::auth::Principal;
use crate::db::Db;
use crate::error::AppError;
use crate::metrics::Metrics;

/// Malformed JSON is a 400; well-formed JSON of the wrong shape is a 422.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let app = match &err {
        JsonPayloadError::ContentType => AppError::bad_request(
            "unsupported_media_type",
            "send the body as application/json",
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            AppError::Validation(vec![crate::error::shape_error("body", e)])
        }
        JsonPayloadError::Deserialize(e) => {
            AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
        }
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::bad_request(
                "body_too_large",
                "the body is larger than the registry accepts",
            )
        }
        _ => AppError::bad_request("malformed_json", "the body could not be read as JSON"),
    };
    app.into()
}

pub fn query_error(err: QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    crate::console::errors::for_the_asker(
        req,
        AppError::field("query", "invalid_query", err.to_string()),
    )
}

/// A path segment that is not a valid id names nothing that exists.
pub fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    AppError::NotFound.into()
}

pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Records metrics and a log line per request, and rewrites any error actix produced by itself
/// (405, 413, …) as problem+json so that clients only ever see one error format.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    // Every request gets an id: answered as X-Request-Id, the id of its activity row.
    let request_id = uuid::Uuid::now_v7();
    req.extensions_mut()
        .insert(crate::activity::RequestId(request_id));
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let db = req.app_data::<web::Data<Db>>().cloned();
    let method = req.method().to_string();
    let changes_state = !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    let target = req.path().to_string();
    let caller = req
        .app_data::<web::Data<TokenKeys>>()
        .and_then(|tokens| bearer_caller(&req, tokens));
    let response = next.call(req).await?.map_into_boxed_body();
    let mut response = rewrite_plain_error(response);
    if let Ok(value) = header::HeaderValue::from_str(&request_id.to_string()) {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    if !may_be_cached(&target) {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    // A console page's user, which its session extractor marked on the request.
    let caller = caller.or_else(|| response.request().extensions().get::<Principal>().cloned());
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(metrics) = metrics {
        metrics.record(&method, &route, status, elapsed);
    }
    let already_logged = response
        .response()
        .extensions()
        .get::<crate::activity::Logged>()
        .is_some();
    if let (true, false, Some(db)) = (changes_state, already_logged, db) {
        let row = crate::activity::ActivityRow {
            id: request_id.to_string(),
            at: crate::domain::time::now(),
            user_id: caller.as_ref().map(|c| c.user_id.to_string()),
            role: caller.as_ref().map(|c| c.role.as_str().to_string()),
            action: format!("{method} {route}"),
            target,
            status: i32::from(status),
        };
        // The request has happened; a failure to log it is reported, not turned into an error.
        let record = async move {
            if let Err(err) = db
                .run(move |conn| crate::activity::record(conn, &row))
                .await
            {
                tracing::error!(error = %err, "could not record activity");
            }
        };
        // A 503 says the database is busy: its line waits for the database, the answer doesn't.
        if status == 503 {
            actix_web::rt::spawn(record);
        } else {
            record.await;
        }
    }
    tracing::info!(method = %method, route = %route, status, elapsed_ms = elapsed.as_millis() as u64, "request");
    Ok(response)
}

/// Answers that are the same for everyone and carry no firm's data: the public directory, the
/// transparency log's key, checkpoints and consistency proofs, the OpenAPI document and its page,
/// the stylesheet and the operations endpoints.
const PUBLIC_PREFIXES: [&str; 8] = [
    "/api/v1/public/",
    "/api/v1/transparency/",
    "/api/v1/openapi.json",
    "/docs",
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
];

/// Whether a browser or proxy may keep the answer to `path`. Every other answer — anything under
/// `/api/v1/` (ledgers in every format, entries, proofs, exports, inventory, shipments, findings,
/// the trace, and the refusals) and every console page — is `Cache-Control: no-store`, whatever
/// the handler set.
fn may_be_cached(path: &str) -> bool {
    PUBLIC_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Who sent a valid bearer token, for the activity log (an invalid one is logged as anonymous).
fn bearer_caller(req: &ServiceRequest, tokens: &TokenKeys) -> Option<Principal> {
    let header = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    tokens
        .verify_access(header.strip_prefix("Bearer ")?.trim())
        .ok()
}

fn rewrite_plain_error(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_problem || is_page {
        return response;
    }
    let replacement = match status {
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => AppError::bad_request(
            "body_too_large",
            "the body is larger than the registry accepts",
        ),
        s if s.is_client_error() => {
            AppError::bad_request("bad_request", "the request could not be processed")
        }
        _ => AppError::internal(format!("unhandled {status}")),
    };
    // A 405 keeps the `Allow` header actix computed from the resource's routes (RFC 9110).
    let allow = response.headers().get(header::ALLOW).cloned();
    let (req, _) = response.into_parts();
    let mut answer = replacement.error_response();
    if let Some(allow) = allow {
        answer.headers_mut().insert(header::ALLOW, allow);
    }
    ServiceResponse::new(req, answer)
}
