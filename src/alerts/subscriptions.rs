//! Webhook subscriptions: created with a secret shown once, listed and ended by their owner, and
//! each one's delivery log. A subscription belongs to the user who made it; its scope is fixed
//! when it is made (an enterprise: its own firm).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rules::{self, EventKind, Filter, ScopeError};
use super::store::{self, DeliveryRow, SubscriptionRow};
use crate::auth::token::random_bytes;
use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::time;
use crate::error::{AppError, FieldError};
use crate::paging::{Page, PageOf};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SubscriptionRequest {
    /// Where deliveries are POSTed: an `http://` or `https://` URL.
    #[schema(example = "https://alerts.example.com/precursor")]
    pub url: String,
    /// One or more of `dispatch.addressed`, `dispatch.overdue`, `dispatch.refused`,
    /// `finding.critical`.
    #[schema(required = true, schema_with = kinds_schema)]
    pub kinds: Vec<String>,
    /// Events about this firm only. An enterprise may name only its own firm (the default).
    pub firm_id: Option<String>,
    /// Regulators: events about firms whose region code starts with this (1–6 digits).
    pub region_code: Option<String>,
}

/// A subscription. `secret` appears once, in the answer that creates it.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct Subscription {
    pub id: String,
    pub url: String,
    pub kinds: Vec<EventKind>,
    pub firm_id: Option<String>,
    pub region_code: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it was ended (`DELETE`); an ended subscription receives nothing.
    pub ended_at: Option<DateTime<Utc>>,
    /// The HMAC-SHA256 key for `X-Precursor-Signature` (64 hex characters): shown only here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// One entry of a subscription's delivery log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// Also sent as `X-Precursor-Delivery`: the same on every attempt.
    pub id: String,
    pub event_id: String,
    pub kind: EventKind,
    /// `pending`, `delivered`, `failed` (gave up) or `cancelled` (the subscription ended).
    pub status: String,
    pub attempts: i32,
    /// The HTTP status of the last attempt, if the receiver answered.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The next attempt, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The filter a stored subscription delivers by.
pub fn filter_of(row: &SubscriptionRow) -> Filter {
    let kinds = row.kinds.split(',').filter_map(EventKind::parse).collect();
    Filter::stored(kinds, row.firm_id.clone(), row.region_code.clone())
}

/// The filter a caller may hold, as an `AppError` when it may not.
pub fn scope(
    who: &Principal,
    kinds: &[EventKind],
    firm_id: Option<&str>,
    region_code: Option<&str>,
) -> Result<Filter, AppError> {
    let own = who.firm_id.map(|f| f.to_string());
    Filter::for_caller(who.role, own.as_deref(), kinds, firm_id, region_code).map_err(|e| match e {
        ScopeError::Forbidden => AppError::Forbidden,
        ScopeError::OtherFirm => AppError::NotFound,
        ScopeError::RegionNotAllowed => AppError::field(
            "region_code",
            "not_allowed",
            "only regulators subscribe to a region; an enterprise receives its own firm's events",
        ),
    })
}

/// Parses a list of kinds (`field[i]` names a bad one).
pub fn parse_kinds(field: &str, texts: &[String], errors: &mut Vec<FieldError>) -> Vec<EventKind> {
    let mut kinds = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        match EventKind::parse(text.trim()) {
            Some(kind) => kinds.push(kind),
            None => errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "unknown_kind",
                "must be dispatch.addressed, dispatch.overdue, dispatch.refused or finding.critical",
            )),
        }
    }
    kinds
}

/// Checks an optional firm id and region prefix, collecting errors.
pub fn parse_scope_fields(
    firm_id: &Option<String>,
    region_code: &Option<String>,
    errors: &mut Vec<FieldError>,
) -> (Option<String>, Option<String>) {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let firm_id = text(firm_id);
    if let Some(firm) = &firm_id {
        if Uuid::parse_str(firm).is_err() {
            errors.push(FieldError::new("firm_id", "invalid_id", "is not a firm id"));
        }
    }
    let region_code = text(region_code);
    if region_code
        .as_deref()
        .is_some_and(|r| !rules::is_region_prefix(r))
    {
        errors.push(FieldError::new(
            "region_code",
            "invalid_region",
            "must be 1 to 6 digits, a prefix of region codes",
        ));
    }
    (firm_id, region_code)
}

fn view(row: &SubscriptionRow, secret: Option<String>) -> Subscription {
    let filter = filter_of(row);
    Subscription {
        id: row.id.clone(),
        url: row.url.clone(),
        kinds: filter.kinds().to_vec(),
        firm_id: row.firm_id.clone(),
        region_code: row.region_code.clone(),
        created_at: time::from_db(row.created_at),
        ended_at: row.ended_at.map(time::from_db),
        secret,
    }
}

/// `POST /subscriptions` (regulator, enterprise): the subscription with its secret.
pub fn create(
    conn: &mut DbConnection,
    who: &Principal,
    request: SubscriptionRequest,
) -> Result<Subscription, AppError> {
    policy::receive_alerts(who)?;
    let mut errors = Vec::new();
    let url = request.url.trim().to_string();
    if url.is_empty() {
        errors.push(FieldError::new("url", "required", "is required"));
    } else if !rules::is_webhook_url(&url) {
        errors.push(FieldError::new(
            "url",
            "invalid_url",
            "must be an http:// or https:// URL with a host (at most 2000 characters)",
        ));
    }
    if request.kinds.is_empty() {
        errors.push(FieldError::new(
            "kinds",
            "required",
            "name at least one event kind",
        ));
    }
    let kinds = parse_kinds("kinds", &request.kinds, &mut errors);
    let (firm_id, region_code) =
        parse_scope_fields(&request.firm_id, &request.region_code, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let filter = scope(who, &kinds, firm_id.as_deref(), region_code.as_deref())?;
    let secret = hex::encode(random_bytes::<32>()?);
    let row = SubscriptionRow {
        id: Uuid::now_v7().to_string(),
        user_id: who.user_id.to_string(),
        url,
        kinds: filter
            .kinds()
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(","),
        firm_id: filter.firm_id().map(str::to_string),
        region_code: filter.region_prefix().map(str::to_string),
        secret: secret.clone(),
        created_at: time::now(),
        ended_at: None,
    };
    write_tx(conn, |conn| {
        if let Some(firm) = &row.firm_id {
            let id = Uuid::parse_str(firm).map_err(|_| AppError::NotFound)?;
            if !crate::firms::store::exists(conn, id)? {
                return Err(AppError::field(
                    "firm_id",
                    "unknown_firm",
                    "no registered firm has this id",
                ));
            }
        }
        store::insert_subscription(conn, &row)
    })?;
    Ok(view(&row, Some(secret)))
}

/// `GET /subscriptions`: the caller's own, ended ones included.
pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    page: Page,
) -> Result<PageOf<Subscription>, AppError> {
    policy::receive_alerts(who)?;
    let rows = store::subscriptions_of(
        conn,
        &who.user_id.to_string(),
        &page.after_key(),
        page.fetch_limit(),
    )?;
    Ok(PageOf::from_rows(
        rows,
        page,
        |r| r.id.as_str(),
        |r| view(&r, None),
    ))
}

/// The caller's own subscription (another user's: 404).
fn own(conn: &mut DbConnection, who: &Principal, id: Uuid) -> Result<SubscriptionRow, AppError> {
    policy::receive_alerts(who)?;
    store::find_subscription(conn, &id.to_string())?
        .filter(|s| s.user_id == who.user_id.to_string())
        .ok_or(AppError::NotFound)
}

/// `DELETE /subscriptions/{id}`: ends it (the row and its log stay); ending twice is no error.
pub fn end(conn: &mut DbConnection, who: &Principal, id: Uuid) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let row = own(conn, who, id)?;
        store::end_subscription(conn, &row.id, time::now())
    })
}

/// `GET /subscriptions/{id}/deliveries`: the delivery log, oldest first.
pub fn deliveries(
    conn: &mut DbConnection,
    who: &Principal,
    id: Uuid,
    page: Page,
) -> Result<PageOf<DeliveryView>, AppError> {
    let row = own(conn, who, id)?;
    let rows = store::deliveries_of(conn, &row.id, &page.after_key(), page.fetch_limit())?;
    let mut views = Vec::with_capacity(rows.len());
    for (delivery, kind) in rows {
        views.push((delivery.id.clone(), delivery_view(delivery, &kind)?));
    }
    Ok(PageOf::from_rows(views, page, |(id, _)| id, |(_, v)| v))
}

fn delivery_view(row: DeliveryRow, kind: &str) -> Result<DeliveryView, AppError> {
    let pending = row.status == "pending";
    Ok(DeliveryView {
        kind: EventKind::parse(kind).ok_or_else(|| AppError::internal("stored event kind"))?,
        id: row.id,
        event_id: row.event_id,
        status: row.status,
        attempts: row.attempts,
        last_status: row.last_status,
        last_error: row.last_error,
        next_attempt_at: pending.then(|| time::from_db(row.next_attempt_at)),
        delivered_at: row.delivered_at.map(time::from_db),
        created_at: time::from_db(row.created_at),
    })
}

fn kinds_schema() -> utoipa::openapi::schema::Schema {
    let names: Vec<&str> = super::rules::EventKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(utoipa::openapi::RefOr::T(crate::error::schema::one_of(
            &names,
        )))
        .min_items(Some(1))
        .build()
        .into()
}
