use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{firm_status_changes, firms, grades};
use crate::db::DbConnection;
use crate::domain::{Activity, FirmStatus};
use crate::error::AppError;
use crate::paging::Page;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = firms)]
pub struct FirmRow {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub region_code: String,
    pub address: String,
    /// Comma-separated activity names.
    pub activities: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl FirmRow {
    /// A newly registered firm: active, created and updated at `at`, its activities stored
    /// comma-separated in the order given.
    pub fn registered<'a>(
        id: Uuid,
        name: String,
        credit_code: String,
        region_code: String,
        address: String,
        activities: impl IntoIterator<Item = &'a Activity>,
        at: NaiveDateTime,
    ) -> FirmRow {
        FirmRow {
            id: id.to_string(),
            name,
            credit_code,
            region_code,
            address,
            activities: activities
                .into_iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(","),
            status: FirmStatus::Active.as_str().to_string(),
            status_reason: None,
            created_at: at,
            updated_at: at,
        }
    }
}

pub fn insert(conn: &mut DbConnection, row: &FirmRow) -> Result<(), AppError> {
    diesel::insert_into(firms::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn credit_code_taken(conn: &mut DbConnection, code: &str) -> Result<bool, AppError> {
    let n: i64 = firms::table
        .filter(firms::credit_code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn find(conn: &mut DbConnection, id: Uuid) -> Result<Option<FirmRow>, AppError> {
    Ok(firms::table
        .filter(firms::id.eq(id.to_string()))
        .select(FirmRow::as_select())
        .first(conn)
        .optional()?)
}

/// The firm registered under a credit code (stored upper-case, as `CreditCode` parses it).
pub fn find_by_credit_code(
    conn: &mut DbConnection,
    code: &str,
) -> Result<Option<FirmRow>, AppError> {
    Ok(firms::table
        .filter(firms::credit_code.eq(code))
        .select(FirmRow::as_select())
        .first(conn)
        .optional()?)
}

/// The names of the registered firms among `ids`, by id.
pub fn names(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let rows: Vec<(String, String)> = firms::table
        .filter(firms::id.eq_any(ids))
        .select((firms::id, firms::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

pub fn exists(conn: &mut DbConnection, id: Uuid) -> Result<bool, AppError> {
    let n: i64 = firms::table
        .filter(firms::id.eq(id.to_string()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// What a firm list keeps, each already parsed (absent: no filter).
#[derive(Debug, Clone, Default)]
pub struct FirmFilter {
    /// This firm only (an enterprise's list is its own firm).
    pub only: Option<String>,
    /// Part of the name, or of the credit code.
    pub text: Option<String>,
    /// Codes starting with these digits (a division's prefix).
    pub region_prefix: Option<String>,
    pub status: Option<FirmStatus>,
    /// The firm's current grade: its newest confirmed one.
    pub grade: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    page: Page,
    filter: &FirmFilter,
) -> Result<Vec<FirmRow>, AppError> {
    let mut query = firms::table
        .filter(firms::id.gt(page.after_key()))
        .order(firms::id.asc())
        .limit(page.fetch_limit())
        .select(FirmRow::as_select())
        .into_boxed();
    if let Some(id) = &filter.only {
        query = query.filter(firms::id.eq(id.clone()));
    }
    if let Some(text) = &filter.text {
        query = query.filter(
            crate::db::lower(firms::name)
                .like(crate::db::contains_pattern(text))
                .escape('\\')
                .or(crate::db::lower(firms::credit_code)
                    .like(crate::db::contains_pattern(text))
                    .escape('\\')),
        );
    }
    if let Some(prefix) = &filter.region_prefix {
        query = query.filter(firms::region_code.like(format!("{prefix}%")));
    }
    if let Some(status) = filter.status {
        query = query.filter(firms::status.eq(status.as_str()));
    }
    if let Some(grade) = &filter.grade {
        // The newest grade of the firm (latest confirmed_at, then id, as `newest_grades` reads
        // them) is this one: no grade of the same firm confirmed after it.
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>(
                "firms.id IN (SELECT g.firm_id FROM grades g WHERE g.grade = ",
            )
            .bind::<diesel::sql_types::Text, _>(grade.clone())
            .sql(
                " AND NOT EXISTS (SELECT 1 FROM grades n WHERE n.firm_id = g.firm_id \
                 AND (n.confirmed_at > g.confirmed_at \
                 OR (n.confirmed_at = g.confirmed_at AND n.id > g.id))))",
            ),
        );
    }
    Ok(query.load(conn)?)
}

pub fn set_status(
    conn: &mut DbConnection,
    id: Uuid,
    status: FirmStatus,
    reason: &str,
    changed_by: Uuid,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(firms::table.filter(firms::id.eq(id.to_string())))
        .set((
            firms::status.eq(status.as_str()),
            firms::status_reason.eq(Some(reason)),
            firms::updated_at.eq(at),
        ))
        .execute(conn)?;
    diesel::insert_into(firm_status_changes::table)
        .values((
            firm_status_changes::id.eq(Uuid::now_v7().to_string()),
            firm_status_changes::firm_id.eq(id.to_string()),
            firm_status_changes::status.eq(status.as_str()),
            firm_status_changes::reason.eq(reason),
            firm_status_changes::changed_by.eq(changed_by.to_string()),
            firm_status_changes::changed_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// (name, region code) by firm id, for the given firms.
pub fn directory(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, (String, String)>, AppError> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(1000) {
        let rows: Vec<(String, String, String)> = firms::table
            .filter(firms::id.eq_any(chunk))
            .select((firms::id, firms::name, firms::region_code))
            .load(conn)?;
        out.extend(
            rows.into_iter()
                .map(|(id, name, region)| (id, (name, region))),
        );
    }
    Ok(out)
}

/// Firms not revoked, in id order (the supervision worklist covers them).
pub fn all_active(conn: &mut DbConnection) -> Result<Vec<FirmRow>, AppError> {
    Ok(firms::table
        .filter(firms::status.ne("revoked"))
        .order(firms::id.asc())
        .select(FirmRow::as_select())
        .load(conn)?)
}

/// The newest confirmed grade letter of each of the given firms (those graded), keyed by firm
/// id: only the directory's page of firms, and only the two columns it shows.
pub fn newest_grades(
    conn: &mut DbConnection,
    firm_ids: &[String],
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let mut newest = std::collections::HashMap::new();
    for chunk in firm_ids.chunks(1000) {
        let rows: Vec<(String, String)> = grades::table
            .filter(grades::firm_id.eq_any(chunk))
            .order((grades::confirmed_at.asc(), grades::id.asc()))
            .select((grades::firm_id, grades::grade))
            .load(conn)?;
        // Oldest first, so the last one written per firm is its newest.
        newest.extend(rows);
    }
    Ok(newest)
}
