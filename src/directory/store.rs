use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{firms, grade_publications, grades};
use crate::db::{contains_pattern, DbConnection};
use crate::domain::FirmStatus;
use crate::error::AppError;
use crate::paging::Page;

use crate::db::lower;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grade_publications)]
pub struct PublicationRow {
    pub id: String,
    pub period: String,
    pub published_by: String,
    pub published_at: NaiveDateTime,
}

/// Appends a publication: `false` when the period already has one (also a concurrent one).
pub fn insert(conn: &mut DbConnection, row: &PublicationRow) -> Result<bool, AppError> {
    use diesel::result::{DatabaseErrorKind, Error};
    match diesel::insert_into(grade_publications::table)
        .values(row)
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

pub fn find_by_period(
    conn: &mut DbConnection,
    period: &str,
) -> Result<Option<PublicationRow>, AppError> {
    Ok(grade_publications::table
        .filter(grade_publications::period.eq(period))
        .select(PublicationRow::as_select())
        .first(conn)
        .optional()?)
}

/// Publications in the order they were made, one page.
pub fn list(conn: &mut DbConnection, page: Page) -> Result<Vec<PublicationRow>, AppError> {
    Ok(grade_publications::table
        .filter(grade_publications::id.gt(page.after_key()))
        .order(grade_publications::id.asc())
        .limit(page.fetch_limit())
        .select(PublicationRow::as_select())
        .load(conn)?)
}

/// Every published period.
pub fn published_periods(conn: &mut DbConnection) -> Result<BTreeSet<String>, AppError> {
    let periods: Vec<String> = grade_publications::table
        .select(grade_publications::period)
        .load(conn)?;
    Ok(periods.into_iter().collect())
}

/// Whether any grade of the period has been confirmed.
pub fn period_has_grades(conn: &mut DbConnection, period: &str) -> Result<bool, AppError> {
    let n: i64 = grades::table
        .filter(grades::period.eq(period))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Credit code by firm id of the active firms whose name or credit code contains `text`
/// (case-insensitive; every active firm without a text). The text is a bound parameter.
pub fn active_firms_matching(
    conn: &mut DbConnection,
    text: Option<&str>,
) -> Result<HashMap<String, String>, AppError> {
    let mut query = firms::table
        .filter(firms::status.eq(FirmStatus::Active.as_str()))
        .select((firms::id, firms::credit_code))
        .into_boxed();
    if let Some(text) = text {
        let pattern = contains_pattern(text);
        query = query.filter(
            lower(firms::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(firms::credit_code).like(pattern).escape('\\')),
        );
    }
    let rows: Vec<(String, String)> = query.load(conn)?;
    Ok(rows.into_iter().collect())
}
