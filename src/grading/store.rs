use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{custody_findings, firm_status_changes, firms, grades, ledger_entries};
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grades, treat_none_as_default_value = false)]
pub struct GradeRow {
    pub id: String,
    pub firm_id: String,
    pub period: String,
    pub score: i32,
    pub computed_grade: String,
    pub grade: String,
    pub overridden: bool,
    pub reason: Option<String>,
    pub rules_version: String,
    pub breakdown: String,
    pub confirmed_by: String,
    pub confirmed_at: NaiveDateTime,
    /// The custody rule pack its findings were judged by; absent for grades before rule packs.
    pub rule_pack: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &GradeRow) -> Result<(), AppError> {
    diesel::insert_into(grades::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A firm's grades, newest first.
pub fn history(conn: &mut DbConnection, firm_id: &str) -> Result<Vec<GradeRow>, AppError> {
    Ok(grades::table
        .filter(grades::firm_id.eq(firm_id))
        .order((grades::confirmed_at.desc(), grades::id.desc()))
        .select(GradeRow::as_select())
        .load(conn)?)
}

/// Every grade (of one period, if given), oldest first; the caller keeps the newest per firm.
pub fn all(conn: &mut DbConnection, period: Option<&str>) -> Result<Vec<GradeRow>, AppError> {
    let mut query = grades::table
        .order((grades::confirmed_at.asc(), grades::id.asc()))
        .select(GradeRow::as_select())
        .into_boxed();
    if let Some(p) = period {
        query = query.filter(grades::period.eq(p.to_string()));
    }
    Ok(query.load(conn)?)
}

/// What the current grades are filtered by (each absent = no filter).
#[derive(Debug, Clone, Default)]
pub struct CurrentFilter {
    pub period: Option<String>,
    pub region_code: Option<String>,
    pub grade: Option<String>,
}

/// Where a page of current grades starts: after this firm's (region code, name, id).
pub type CurrentAfter = (String, String, String);

diesel::alias!(grades as newer: NewerGrades);

/// The current grade of each firm — its newest confirmed grade (of the period, if one is given)
/// — with the firm's name and region, ordered by region, name and firm id; `after` and `limit`
/// make it a page, read in one query.
pub fn current(
    conn: &mut DbConnection,
    filter: &CurrentFilter,
    after: Option<&CurrentAfter>,
    limit: Option<i64>,
) -> Result<Vec<(GradeRow, String, String)>, AppError> {
    use diesel::dsl::{exists, not};
    let is_newer = newer
        .field(grades::confirmed_at)
        .gt(grades::confirmed_at)
        .or(newer
            .field(grades::confirmed_at)
            .eq(grades::confirmed_at)
            .and(newer.field(grades::id).gt(grades::id)));
    let mut query = grades::table
        .inner_join(firms::table.on(firms::id.eq(grades::firm_id)))
        .order((firms::region_code.asc(), firms::name.asc(), firms::id.asc()))
        .select((GradeRow::as_select(), firms::name, firms::region_code))
        .into_boxed();
    query = match &filter.period {
        Some(period) => query
            .filter(grades::period.eq(period.clone()))
            .filter(not(exists(
                newer
                    .filter(newer.field(grades::firm_id).eq(grades::firm_id))
                    .filter(newer.field(grades::period).eq(grades::period))
                    .filter(is_newer),
            ))),
        None => query.filter(not(exists(
            newer
                .filter(newer.field(grades::firm_id).eq(grades::firm_id))
                .filter(is_newer),
        ))),
    };
    if let Some(region) = &filter.region_code {
        query = query.filter(firms::region_code.eq(region.clone()));
    }
    if let Some(grade) = &filter.grade {
        query = query.filter(grades::grade.eq(grade.clone()));
    }
    if let Some((region, name, id)) = after.cloned() {
        query = query.filter(
            firms::region_code
                .gt(region.clone())
                .or(firms::region_code
                    .eq(region.clone())
                    .and(firms::name.gt(name.clone())))
                .or(firms::region_code
                    .eq(region)
                    .and(firms::name.eq(name))
                    .and(firms::id.gt(id))),
        );
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    Ok(query.load(conn)?)
}

/// The (region code, name, id) of a firm, where a page of current grades resumes.
pub fn resume_after(
    conn: &mut DbConnection,
    firm_id: &str,
) -> Result<Option<CurrentAfter>, AppError> {
    Ok(firms::table
        .filter(firms::id.eq(firm_id))
        .select((firms::region_code, firms::name, firms::id))
        .first(conn)
        .optional()?)
}

/// Custody findings about the firm first seen in [from, to): (id, code, severity, status).
pub fn custody_findings_in(
    conn: &mut DbConnection,
    firm_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<(String, String, String, String)>, AppError> {
    Ok(custody_findings::table
        .filter(custody_findings::firm_id.eq(firm_id))
        .filter(custody_findings::first_seen_at.ge(from))
        .filter(custody_findings::first_seen_at.lt(to))
        .order(custody_findings::id.asc())
        .select((
            custody_findings::id,
            custody_findings::code,
            custody_findings::severity,
            custody_findings::status,
        ))
        .load(conn)?)
}

/// (recorded_at, occurred_at) of the firm's entries that occurred in [from, to), reversals and sales excluded.
pub fn filing_times(
    conn: &mut DbConnection,
    firm_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<(NaiveDateTime, NaiveDateTime)>, AppError> {
    Ok(ledger_entries::table
        .filter(ledger_entries::firm_id.eq(firm_id))
        .filter(ledger_entries::kind.ne("reversal"))
        // A sale's lateness is its report's: LATE_REPORT findings, deducted one by one.
        .filter(ledger_entries::kind.ne("sale"))
        .filter(ledger_entries::occurred_at.ge(from))
        .filter(ledger_entries::occurred_at.lt(to))
        .select((ledger_entries::recorded_at, ledger_entries::occurred_at))
        .load(conn)?)
}

/// The firm's status changes, oldest first: (status, changed_at).
pub fn status_changes(
    conn: &mut DbConnection,
    firm_id: &str,
) -> Result<Vec<(String, NaiveDateTime)>, AppError> {
    Ok(firm_status_changes::table
        .filter(firm_status_changes::firm_id.eq(firm_id))
        .order(firm_status_changes::changed_at.asc())
        .select((firm_status_changes::status, firm_status_changes::changed_at))
        .load(conn)?)
}
