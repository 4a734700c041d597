//! Inspections (检查): a regulator opens an audit of a firm, records findings, and closes it with
//! a conclusion. A closed audit is read-only; the firm then sees it and its findings.

pub mod http;
pub mod pages;
pub mod store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::Severity;
use crate::domain::{named_enum, time, Role};
use crate::error::{optional_text, required_text, time_field, AppError, FieldError};
use crate::firms;
use crate::paging::{Filters, Page, PageOf};
use store::{AuditFindingRow, AuditRow};

named_enum!(
    AuditKind {
        Routine => "routine",
        Spot => "spot",
        FollowUp => "follow_up",
    }
);

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditFinding {
    pub id: Uuid,
    pub severity: Severity,
    pub description: String,
    pub entry_ids: Vec<Uuid>,
    pub corrective_action: Option<String>,
    pub deadline: Option<DateTime<Utc>>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Audit {
    pub id: Uuid,
    pub firm_id: Uuid,
    pub kind: AuditKind,
    /// open or closed
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub conclusion: Option<String>,
    pub findings: Vec<AuditFinding>,
}

fn uuid(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text).map_err(|_| AppError::internal("stored id is not a UUID"))
}

fn to_audit(row: &AuditRow, findings: &[AuditFindingRow]) -> Result<Audit, AppError> {
    Ok(Audit {
        id: uuid(&row.id)?,
        firm_id: uuid(&row.firm_id)?,
        kind: AuditKind::parse(&row.kind).ok_or_else(|| AppError::internal("stored audit kind"))?,
        status: row.status.clone(),
        started_at: time::from_db(row.started_at),
        closed_at: row.closed_at.map(time::from_db),
        conclusion: row.conclusion.clone(),
        findings: findings
            .iter()
            .filter(|f| f.audit_id == row.id)
            .map(|f| {
                Ok(AuditFinding {
                    id: uuid(&f.id)?,
                    severity: Severity::parse(&f.severity)
                        .ok_or_else(|| AppError::internal("stored severity"))?,
                    description: f.description.clone(),
                    entry_ids: f
                        .entry_ids
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(uuid)
                        .collect::<Result<_, _>>()?,
                    corrective_action: f.corrective_action.clone(),
                    deadline: f.deadline.map(time::from_db),
                    recorded_at: time::from_db(f.recorded_at),
                })
            })
            .collect::<Result<_, AppError>>()?,
    })
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OpenAuditRequest {
    #[schema(required = true, value_type = Uuid)]
    pub firm_id: Option<Uuid>,
    /// routine, spot or follow_up
    #[schema(required = true, schema_with = audit_kind)]
    pub kind: String,
    /// When the inspection began (RFC 3339); default now.
    #[schema(schema_with = crate::error::schema::optional_time)]
    pub started_at: Option<String>,
}

pub fn open(
    conn: &mut DbConnection,
    who: &Principal,
    request: OpenAuditRequest,
) -> Result<Audit, AppError> {
    policy::supervise_firms(who)?;
    let mut errors = Vec::new();
    let kind = AuditKind::parse(request.kind.trim());
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "unknown_audit_kind",
            format!("must be one of {}", AuditKind::names()),
        ));
    }
    if request.firm_id.is_none() {
        errors.push(FieldError::new(
            "firm_id",
            "required",
            "name the firm inspected",
        ));
    }
    let started_at = time_field("started_at", request.started_at.as_deref(), &mut errors)
        .unwrap_or_else(|| time::from_db(time::now()));
    let (Some(kind), Some(firm_id)) = (kind, request.firm_id) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if !firms::store::exists(conn, firm_id)? {
        return Err(AppError::field(
            "firm_id",
            "unknown_firm",
            "no firm with this id is registered",
        ));
    }
    let row = AuditRow {
        id: Uuid::now_v7().to_string(),
        firm_id: firm_id.to_string(),
        kind: kind.as_str().to_string(),
        status: "open".into(),
        started_at: time::to_db(started_at),
        opened_by: who.user_id.to_string(),
        closed_at: None,
        closed_by: None,
        conclusion: None,
        created_at: time::now(),
    };
    store::insert(conn, &row)?;
    to_audit(&row, &[])
}

/// An audit the caller may see: regulators any; an enterprise its own firm's closed audits.
fn visible(conn: &mut DbConnection, who: &Principal, id: Uuid) -> Result<AuditRow, AppError> {
    policy::require_role(who, &[Role::Regulator, Role::Enterprise])?;
    let row = store::find(conn, &id.to_string())?.ok_or(AppError::NotFound)?;
    if who.role == Role::Enterprise
        && (Some(row.firm_id.as_str()) != who.firm_id.map(|f| f.to_string()).as_deref()
            || row.status != "closed")
    {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

pub fn get(conn: &mut DbConnection, who: &Principal, id: Uuid) -> Result<Audit, AppError> {
    let row = visible(conn, who, id)?;
    let findings = store::findings_of(conn, std::slice::from_ref(&row.id))?;
    to_audit(&row, &findings)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    #[param(schema_with = crate::paging::schema::id)]
    pub firm_id: Option<String>,
    /// open or closed
    #[param(schema_with = audit_status)]
    pub status: Option<String>,
}

fn audit_status() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&["open", "closed"])
}

pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    query: AuditQuery,
    page: Page,
) -> Result<PageOf<Audit>, AppError> {
    policy::require_role(who, &[Role::Regulator, Role::Enterprise])?;
    // A bad firm id is refused before the status is read.
    let mut filters = Filters::default();
    let firm = filters.id("firm_id", &query.firm_id, "is not a firm id");
    filters.check()?;
    let mut status = filters.named(
        "status",
        &query.status,
        |s| s == "open" || s == "closed",
        "unknown_status",
        "must be open or closed",
    );
    filters.check()?;
    let firm = policy::firm_filter(who, firm)?;
    // An enterprise sees its own closed audits only.
    if who.firm_id.is_some() {
        if status.as_deref() == Some("open") {
            return Ok(PageOf {
                items: vec![],
                next_cursor: None,
            });
        }
        status = Some("closed".into());
    }
    let rows = store::list(
        conn,
        firm.as_deref(),
        status.as_deref(),
        &page.after_key(),
        page.fetch_limit(),
    )?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let findings = store::findings_of(conn, &ids)?;
    let items = rows
        .iter()
        .map(|r| Ok((r.id.clone(), to_audit(r, &findings)?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(PageOf::from_rows(
        items,
        page,
        |(id, _)| id.as_str(),
        |(_, a)| a,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RecordFindingRequest {
    /// critical, major or minor
    #[schema(required = true, schema_with = finding_severity)]
    pub severity: String,
    #[schema(required = true, schema_with = crate::error::schema::text_2000)]
    pub description: String,
    /// Ledger entries of the audited firm this finding is about.
    pub entry_ids: Vec<Uuid>,
    #[schema(schema_with = crate::error::schema::optional_text_2000)]
    pub corrective_action: Option<String>,
    /// When the corrective action is due (RFC 3339).
    #[schema(schema_with = crate::error::schema::optional_time)]
    pub deadline: Option<String>,
}

pub fn record_finding(
    conn: &mut DbConnection,
    who: &Principal,
    audit_id: Uuid,
    request: RecordFindingRequest,
) -> Result<Audit, AppError> {
    policy::supervise_firms(who)?;
    let mut errors = Vec::new();
    let severity = Severity::parse(request.severity.trim());
    if severity.is_none() {
        errors.push(FieldError::new(
            "severity",
            "unknown_severity",
            "must be critical, major or minor",
        ));
    }
    let description = required_text("description", &request.description, 2000, &mut errors);
    let corrective_action = optional_text(
        "corrective_action",
        request.corrective_action.as_deref(),
        2000,
        &mut errors,
    );
    let deadline = time_field("deadline", request.deadline.as_deref(), &mut errors);
    let Some(severity) = severity.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    write_tx(conn, |conn| {
        let audit = store::find(conn, &audit_id.to_string())?.ok_or(AppError::NotFound)?;
        if audit.status == "closed" {
            return Err(AppError::conflict(
                "audit_closed",
                "a closed audit is read-only",
            ));
        }
        let firm_id = uuid(&audit.firm_id)?;
        let mut ids: Vec<String> = request.entry_ids.iter().map(Uuid::to_string).collect();
        ids.sort_unstable();
        ids.dedup();
        if crate::ledger::store::find_many(conn, firm_id, &ids)?.len() != ids.len() {
            return Err(AppError::field(
                "entry_ids",
                "unknown_entry",
                "names an entry that is not in the audited firm's ledger",
            ));
        }
        store::insert_finding(
            conn,
            &AuditFindingRow {
                id: Uuid::now_v7().to_string(),
                audit_id: audit.id.clone(),
                firm_id: audit.firm_id.clone(),
                severity: severity.as_str().to_string(),
                description,
                entry_ids: ids.join(","),
                corrective_action,
                deadline: deadline.map(time::to_db),
                recorded_by: who.user_id.to_string(),
                recorded_at: time::now(),
            },
        )?;
        let findings = store::findings_of(conn, std::slice::from_ref(&audit.id))?;
        to_audit(&audit, &findings)
    })
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CloseAuditRequest {
    /// Must be "closed".
    #[schema(required = true, schema_with = closed)]
    pub status: String,
    #[schema(required = true, schema_with = crate::error::schema::text_4000)]
    pub conclusion: String,
}

pub fn close(
    conn: &mut DbConnection,
    who: &Principal,
    audit_id: Uuid,
    request: CloseAuditRequest,
) -> Result<Audit, AppError> {
    policy::supervise_firms(who)?;
    let mut errors = Vec::new();
    if request.status.trim() != "closed" {
        errors.push(FieldError::new(
            "status",
            "invalid_status",
            "an audit can only be closed",
        ));
    }
    let conclusion = required_text("conclusion", &request.conclusion, 4000, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    write_tx(conn, |conn| {
        let audit = store::find(conn, &audit_id.to_string())?.ok_or(AppError::NotFound)?;
        if audit.status == "closed" {
            return Err(AppError::conflict(
                "audit_closed",
                "a closed audit is read-only",
            ));
        }
        store::close(
            conn,
            &audit.id,
            &who.user_id.to_string(),
            &conclusion,
            time::now(),
        )?;
        let audit = store::find(conn, &audit.id)?.ok_or(AppError::NotFound)?;
        let findings = store::findings_of(conn, std::slice::from_ref(&audit.id))?;
        to_audit(&audit, &findings)
    })
}

fn audit_kind() -> utoipa::openapi::schema::Schema {
    crate::error::schema::one_of(&["routine", "spot", "follow_up"])
}

fn finding_severity() -> utoipa::openapi::schema::Schema {
    crate::error::schema::one_of(&["critical", "major", "minor"])
}

fn closed() -> utoipa::openapi::schema::Schema {
    crate::error::schema::one_of(&["closed"])
}
