//! The activity log: every state-changing request — who, role, action, target, when, outcome —
//! appended, never changed. Ledger filings are their own record, so only the request is logged.

pub mod http;

use actix_web::HttpMessage;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{policy, Principal};
use crate::db::schema::activity_log;
use crate::db::DbConnection;
use crate::domain::time;
use crate::error::AppError;
use crate::paging::{Filters, Page, PageOf};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = activity_log, treat_none_as_default_value = false)]
pub struct ActivityRow {
    pub id: String,
    pub at: NaiveDateTime,
    pub user_id: Option<String>,
    pub role: Option<String>,
    /// `METHOD route-pattern`, e.g. `PATCH /api/v1/firms/{firm_id}`.
    pub action: String,
    /// The concrete path acted on.
    pub target: String,
    pub status: i32,
}

/// The id of a request, given by the front door to every request and answered as
/// `X-Request-Id`: a state-changing request's activity row has it as its id.
#[derive(Debug, Clone, Copy)]
pub struct RequestId(pub Uuid);

impl RequestId {
    /// The id of `req`, or a new one where the front door gave none.
    pub fn of(req: &actix_web::HttpRequest) -> Uuid {
        req.extensions()
            .get::<RequestId>()
            .map(|r| r.0)
            .unwrap_or_else(Uuid::now_v7)
    }
}

/// Put on a response whose activity row the handler already wrote in its own transaction, so
/// that the request middleware does not write a second one.
#[derive(Debug, Clone, Copy)]
pub struct Logged;

/// Makes a change and writes its activity line in one transaction: both or neither (a form
/// whose line failed would otherwise show an error for a change that was made).
pub fn together<T>(
    conn: &mut crate::db::DbConnection,
    line: &ActivityRow,
    change: impl FnOnce(&mut crate::db::DbConnection) -> Result<T, crate::error::AppError>,
) -> Result<T, crate::error::AppError> {
    crate::db::write_tx(conn, |conn| {
        let done = change(conn)?;
        record(conn, line)?;
        Ok(done)
    })
}

/// A console form's answer once the change is made: `303` to `location`, marked `Logged`
/// because the service wrote the form's activity line with the change.
pub fn after_change(location: &str) -> actix_web::HttpResponse {
    let mut response = crate::console::page::see_other(location);
    response.extensions_mut().insert(Logged);
    response
}

impl ActivityRow {
    /// The successful outcome (201) of `req` by `who`, to be written with the change it records.
    pub fn created(req: &actix_web::HttpRequest, who: &crate::auth::Principal) -> ActivityRow {
        ActivityRow {
            id: RequestId::of(req).to_string(),
            at: time::now(),
            user_id: Some(who.user_id.to_string()),
            role: Some(who.role.as_str().to_string()),
            action: format!(
                "{} {}",
                req.method(),
                req.match_pattern()
                    .unwrap_or_else(|| req.path().to_string())
            ),
            target: req.path().to_string(),
            status: 201,
        }
    }
}

pub fn record(conn: &mut DbConnection, row: &ActivityRow) -> Result<(), AppError> {
    diesel::insert_into(activity_log::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Several lines in one statement per 500 (a group commit's filings).
pub fn record_many(conn: &mut DbConnection, rows: &[ActivityRow]) -> Result<(), AppError> {
    for chunk in rows.chunks(500) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(activity_log::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(activity_log::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Activity {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub role: Option<String>,
    pub action: String,
    pub target: String,
    /// HTTP status of the outcome.
    pub status: i32,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    #[param(schema_with = crate::paging::schema::id)]
    pub user_id: Option<String>,
    /// Part of the action, e.g. `firms` or `PATCH`.
    pub action: Option<String>,
    #[param(schema_with = crate::paging::schema::time)]
    pub from: Option<String>,
    #[param(schema_with = crate::paging::schema::time)]
    pub to: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    query: ActivityQuery,
    page: Page,
) -> Result<PageOf<Activity>, AppError> {
    policy::read_activity(who)?;
    let mut filters = Filters::default();
    let from = filters.time("from", &query.from).map(time::to_db);
    let to = filters.time("to", &query.to).map(time::to_db);
    let user = filters.id("user_id", &query.user_id, "is not a user id");
    filters.check()?;
    let mut q = activity_log::table
        .filter(activity_log::id.gt(page.after_key()))
        .order(activity_log::id.asc())
        .limit(page.fetch_limit())
        .select(ActivityRow::as_select())
        .into_boxed();
    if let Some(user) = user {
        q = q.filter(activity_log::user_id.eq(user));
    }
    if let Some(action) = Filters::text(&query.action) {
        q = q.filter(activity_log::action.like(format!("%{}%", action.replace(['%', '_'], ""))));
    }
    if let Some(from) = from {
        q = q.filter(activity_log::at.ge(from));
    }
    if let Some(to) = to {
        q = q.filter(activity_log::at.lt(to));
    }
    let rows: Vec<ActivityRow> = q.load(conn)?;
    let items = rows
        .iter()
        .map(|r| {
            let activity = Activity {
                id: Uuid::parse_str(&r.id).map_err(|_| AppError::internal("stored activity id"))?,
                at: time::from_db(r.at),
                user_id: r
                    .user_id
                    .as_deref()
                    .map(Uuid::parse_str)
                    .transpose()
                    .map_err(|_| AppError::internal("stored user id"))?,
                role: r.role.clone(),
                action: r.action.clone(),
                target: r.target.clone(),
                status: r.status,
            };
            Ok((r.id.clone(), activity))
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(PageOf::from_rows(
        items,
        page,
        |(id, _)| id.as_str(),
        |(_, a)| a,
    ))
}
