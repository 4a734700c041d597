use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{audit_findings, audits};
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audits, treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: String,
    pub firm_id: String,
    pub kind: String,
    pub status: String,
    pub started_at: NaiveDateTime,
    pub opened_by: String,
    pub closed_at: Option<NaiveDateTime>,
    pub closed_by: Option<String>,
    pub conclusion: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_findings, treat_none_as_default_value = false)]
pub struct AuditFindingRow {
    pub id: String,
    pub audit_id: String,
    pub firm_id: String,
    pub severity: String,
    pub description: String,
    pub entry_ids: String,
    pub corrective_action: Option<String>,
    pub deadline: Option<NaiveDateTime>,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &AuditRow) -> Result<(), AppError> {
    diesel::insert_into(audits::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn insert_finding(conn: &mut DbConnection, row: &AuditFindingRow) -> Result<(), AppError> {
    diesel::insert_into(audit_findings::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<AuditRow>, AppError> {
    Ok(audits::table
        .filter(audits::id.eq(id))
        .select(AuditRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn findings_of(
    conn: &mut DbConnection,
    audit_ids: &[String],
) -> Result<Vec<AuditFindingRow>, AppError> {
    Ok(audit_findings::table
        .filter(audit_findings::audit_id.eq_any(audit_ids))
        .order(audit_findings::id.asc())
        .select(AuditFindingRow::as_select())
        .load(conn)?)
}

pub fn close(
    conn: &mut DbConnection,
    id: &str,
    by: &str,
    conclusion: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(audits::table.filter(audits::id.eq(id)))
        .set((
            audits::status.eq("closed"),
            audits::closed_at.eq(Some(at)),
            audits::closed_by.eq(Some(by)),
            audits::conclusion.eq(Some(conclusion)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn list(
    conn: &mut DbConnection,
    firm_id: Option<&str>,
    status: Option<&str>,
    after: &str,
    limit: i64,
) -> Result<Vec<AuditRow>, AppError> {
    let mut query = audits::table
        .filter(audits::id.gt(after.to_string()))
        .order(audits::id.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .into_boxed();
    if let Some(firm) = firm_id {
        query = query.filter(audits::firm_id.eq(firm.to_string()));
    }
    if let Some(status) = status {
        query = query.filter(audits::status.eq(status.to_string()));
    }
    Ok(query.load(conn)?)
}

/// Findings of closed audits of a firm recorded in [from, to): what grading counts.
pub fn closed_findings_in(
    conn: &mut DbConnection,
    firm_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<AuditFindingRow>, AppError> {
    Ok(audit_findings::table
        .inner_join(audits::table.on(audits::id.eq(audit_findings::audit_id)))
        .filter(audit_findings::firm_id.eq(firm_id))
        .filter(audits::status.eq("closed"))
        .filter(audit_findings::recorded_at.ge(from))
        .filter(audit_findings::recorded_at.lt(to))
        .order(audit_findings::id.asc())
        .select(AuditFindingRow::as_select())
        .load(conn)?)
}

/// The last closed audit of each firm: (firm_id, closed_at).
pub fn last_closed(
    conn: &mut DbConnection,
) -> Result<Vec<(String, Option<NaiveDateTime>)>, AppError> {
    Ok(audits::table
        .filter(audits::status.eq("closed"))
        .group_by(audits::firm_id)
        .select((audits::firm_id, diesel::dsl::max(audits::closed_at)))
        .load(conn)?)
}
