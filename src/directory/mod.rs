//! The public grade directory (公开名录), optional per deployment: the association publishes the
//! confirmed grades of a period, and — where the deployment switches the directory on — anyone
//! may look up, without signing in, the current grade of an active firm whose grade is of a
//! published period: name, credit code, region, grade and period, nothing else. The public route
//! is rate limited per client address.

pub mod http;
pub mod store;

use std::net::IpAddr;
use std::time::Instant;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{policy, Principal};
use crate::config::Settings;
use crate::db::{read_snapshot, write_tx, DbConnection};
use crate::domain::time;
use crate::error::AppError;
use crate::grading::{self, Grade, GradeQuery, Period};
use crate::paging::{KeyedPage, Page, PageOf};
use crate::ratelimit::{self, Decision, RateLimiter};
use store::PublicationRow;

/// Longest search text of the public directory.
const MAX_QUERY_CHARS: usize = 100;

/// What the public route needs of the deployment: where a client comes from, and its budget.
#[derive(Debug)]
pub struct PublicDirectory {
    /// Whether `GET /public/grades` is served at all (startup registers it only then).
    pub enabled: bool,
    trust_forwarded_for: bool,
    limiter: RateLimiter,
}

impl PublicDirectory {
    pub fn from_settings(settings: &Settings) -> PublicDirectory {
        PublicDirectory {
            enabled: settings.public_directory,
            trust_forwarded_for: settings.trust_forwarded_for,
            limiter: RateLimiter::per_minute(settings.public_rate_limit_per_minute),
        }
    }

    /// Counts one request of a client; `429 rate_limited` with `Retry-After` once it has sent
    /// more than its budget this minute. The client is the connection's peer address unless the
    /// deployment trusts `X-Forwarded-For`.
    pub fn admit(
        &self,
        peer: Option<IpAddr>,
        forwarded_for: Option<&str>,
        now: Instant,
    ) -> Result<(), AppError> {
        let client = ratelimit::client_address(peer, forwarded_for, self.trust_forwarded_for);
        match self.limiter.check(client, now) {
            Decision::Allowed => Ok(()),
            Decision::Limited { retry_after } => Err(AppError::RateLimited {
                retry_after_secs: ratelimit::retry_after_secs(retry_after),
            }),
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PublishRequest {
    /// The year whose confirmed grades become public, e.g. "2026".
    #[schema(required = true, schema_with = crate::error::schema::period)]
    pub period: String,
}

/// The association made a period's grades public.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Publication {
    pub id: Uuid,
    pub period: String,
    pub published_by: Uuid,
    pub published_at: DateTime<Utc>,
}

fn publication(row: &PublicationRow) -> Result<Publication, AppError> {
    let bad = |what: &str| AppError::internal(format!("stored publication has a bad {what}"));
    Ok(Publication {
        id: Uuid::parse_str(&row.id).map_err(|_| bad("id"))?,
        period: row.period.clone(),
        published_by: Uuid::parse_str(&row.published_by).map_err(|_| bad("publisher"))?,
        published_at: time::from_db(row.published_at),
    })
}

fn already_published(period: &str, at: Option<NaiveDateTime>) -> AppError {
    let when = at
        .map(|at| format!(" on {}", time::from_db(at).to_rfc3339()))
        .unwrap_or_default();
    AppError::conflict(
        "already_published",
        format!("the grades of {period} were already published{when}"),
    )
}

/// Publishes the confirmed grades of a period (association). A period is published once, and
/// only a period in which some grade has been confirmed.
pub fn publish(
    conn: &mut DbConnection,
    who: &Principal,
    request: PublishRequest,
) -> Result<Publication, AppError> {
    policy::publish_grades(who)?;
    let period = Period::parse(&request.period)
        .ok_or_else(|| AppError::field("period", "invalid_period", "must be a year such as 2026"))?
        .to_string();
    write_tx(conn, |conn| {
        if let Some(existing) = store::find_by_period(conn, &period)? {
            return Err(already_published(&period, Some(existing.published_at)));
        }
        if !store::period_has_grades(conn, &period)? {
            return Err(AppError::field(
                "period",
                "not_graded",
                format!("no grade of {period} has been confirmed; there is nothing to publish"),
            ));
        }
        let row = PublicationRow {
            id: Uuid::now_v7().to_string(),
            period: period.clone(),
            published_by: who.user_id.to_string(),
            published_at: time::now(),
        };
        if !store::insert(conn, &row)? {
            return Err(already_published(&period, None));
        }
        publication(&row)
    })
}

/// The publications, in the order they were made (association, regulator).
pub fn publications(
    conn: &mut DbConnection,
    who: &Principal,
    page: Page,
) -> Result<PageOf<Publication>, AppError> {
    policy::read_publications(who)?;
    let rows = store::list(conn, page)?;
    let items = rows
        .into_iter()
        .map(|row| Ok((row.id.clone(), publication(&row)?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(PageOf::from_rows(
        items,
        page,
        |(id, _)| id.as_str(),
        |(_, p)| p,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Part of the firm's name or credit code, in any case.
    pub q: Option<String>,
    /// A region code, matched exactly (as `GET /grades` does).
    pub region_code: Option<String>,
}

/// One firm as the public directory shows it: these five fields and nothing else.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DirectoryEntry {
    pub firm_name: String,
    pub credit_code: String,
    pub region_code: String,
    pub grade: Grade,
    /// The period the grade is for, a published one.
    pub period: String,
}

/// `PageQuery` as the public directory reads it (for the OpenAPI document): its cursor is the
/// last credit code served.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DirectoryPage {
    /// Items per page, 1–1000 (default 50).
    #[param(schema_with = crate::paging::schema::limit)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(schema_with = credit_code_cursor)]
    cursor: Option<String>,
}

fn credit_code_cursor() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::matching(crate::domain::credit_code::SHAPE_PATTERN)
}

/// The public directory, ordered by credit code (the cursor is the last credit code served):
/// each active firm whose current confirmed grade — the newest, as `GET /grades` has it — is of a
/// published period. A firm graded since in a period not yet published is left out until that
/// period is published; so are suspended and revoked firms.
pub fn public_grades(
    conn: &mut DbConnection,
    query: &DirectoryQuery,
    page: &KeyedPage,
) -> Result<PageOf<DirectoryEntry>, AppError> {
    let text = crate::paging::Filters::text(&query.q);
    if text
        .as_deref()
        .is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS)
    {
        return Err(AppError::field(
            "q",
            "too_long",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    read_snapshot(conn, |conn| {
        let published = store::published_periods(conn)?;
        if published.is_empty() {
            return Ok(PageOf {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let current = grading::list_current(
            conn,
            GradeQuery {
                region_code: query.region_code.clone(),
                ..GradeQuery::default()
            },
        )?;
        let firms = store::active_firms_matching(conn, text.as_deref())?;
        let mut entries: Vec<DirectoryEntry> = current
            .into_iter()
            .filter(|g| published.contains(&g.period))
            .filter_map(|g| {
                let credit_code = firms.get(&g.firm_id.to_string())?.clone();
                Some(DirectoryEntry {
                    firm_name: g.firm_name,
                    credit_code,
                    region_code: g.region_code,
                    grade: g.grade,
                    period: g.period,
                })
            })
            .filter(|e| {
                page.after
                    .as_deref()
                    .is_none_or(|after| e.credit_code.as_str() > after)
            })
            .collect();
        entries.sort_by(|a, b| a.credit_code.cmp(&b.credit_code));
        entries.truncate(page.limit.max(0) as usize + 1);
        Ok(PageOf::from_keyed_rows(
            entries,
            page.limit,
            |e| e.credit_code.as_str(),
            |e| e,
        ))
    })
}
