//! Grading (等级评定): assess from the rules, confirm or override, keep the history, and derive
//! the supervision worklist from grades and inspections.

pub mod chart;
pub mod http;
pub mod pages;
pub mod rules;
pub mod store;
pub mod workbook;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Months, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::{time, CustodyRules, Role};
use crate::domain::{Code, FindingStatus, RegionCode, Severity};
use crate::error::{optional_text, AppError, FieldError};
use crate::firms;
use crate::paging::{Page, PageOf};
pub use rules::{Assessment, BreakdownItem, Grade, Period};
use store::GradeRow;

fn parse_period(text: &str) -> Result<Period, AppError> {
    Period::parse(text)
        .ok_or_else(|| AppError::field("period", "invalid_period", "must be a year such as 2026"))
}

/// Gathers what the rules need about one firm in one period.
pub fn facts(
    conn: &mut DbConnection,
    firm_id: Uuid,
    period: Period,
    filing_deadline: Duration,
) -> Result<rules::Facts, AppError> {
    let (from, to) = (time::to_db(period.start()), time::to_db(period.end()));
    let firm = firm_id.to_string();
    let audit_findings = crate::audits::store::closed_findings_in(conn, &firm, from, to)?
        .into_iter()
        .map(|f| {
            Ok(rules::AuditFindingFact {
                severity: Severity::parse(&f.severity)
                    .ok_or_else(|| AppError::internal("stored severity"))?,
                id: f.id,
                description: f.description,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let custody_findings = store::custody_findings_in(conn, &firm, from, to)?
        .into_iter()
        .map(|(id, code, severity, status)| {
            Ok(rules::CustodyFindingFact {
                id,
                code: Code::parse(&code).ok_or_else(|| AppError::internal("stored code"))?,
                severity: Severity::parse(&severity)
                    .ok_or_else(|| AppError::internal("stored severity"))?,
                status: FindingStatus::parse(&status)
                    .ok_or_else(|| AppError::internal("stored status"))?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let times = store::filing_times(conn, &firm, from, to)?;
    let late_entries = times
        .iter()
        .filter(|(recorded, occurred)| *recorded - *occurred > filing_deadline)
        .count() as u64;
    // Suspended (or revoked) at any moment of the period.
    let mut status_at_start = "active".to_string();
    let mut suspended = false;
    for (status, at) in store::status_changes(conn, &firm)? {
        if at < from {
            status_at_start = status;
        } else if at < to && status != "active" {
            suspended = true;
        }
    }
    suspended |= status_at_start != "active";
    Ok(rules::Facts {
        audit_findings,
        custody_findings,
        entries: times.len() as u64,
        late_entries,
        suspended,
    })
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AssessmentRequest {
    /// The year graded, e.g. "2026".
    #[schema(required = true, schema_with = crate::error::schema::period)]
    pub period: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssessmentView {
    pub firm_id: Uuid,
    pub period: String,
    #[serde(flatten)]
    pub assessment: Assessment,
}

pub fn assess(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    request: AssessmentRequest,
    filing_deadline: Duration,
) -> Result<AssessmentView, AppError> {
    policy::supervise_firms(who)?;
    let period = parse_period(&request.period)?;
    firms::require(conn, firm_id)?;
    let assessment = rules::assess(&facts(conn, firm_id, period, filing_deadline)?);
    Ok(AssessmentView {
        firm_id,
        period: period.to_string(),
        assessment,
    })
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ConfirmRequest {
    #[schema(required = true, schema_with = crate::error::schema::period)]
    pub period: String,
    /// Set to override the computed grade; then `reason` is required.
    #[schema(schema_with = override_grade)]
    pub grade: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GradeView {
    pub id: Uuid,
    pub firm_id: Uuid,
    pub period: String,
    pub score: i32,
    pub grade: Grade,
    pub computed_grade: Grade,
    pub overridden: bool,
    pub reason: Option<String>,
    pub rules_version: String,
    /// The custody rule pack (`name@version`) in force when the grade was confirmed; absent for
    /// grades before rule packs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_pack: Option<String>,
    pub breakdown: Vec<BreakdownItem>,
    pub confirmed_by: Uuid,
    pub confirmed_at: DateTime<Utc>,
}

/// The association sees grades, never the audit or custody detail behind them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicGrade {
    pub firm_id: Uuid,
    pub firm_name: String,
    pub region_code: String,
    pub period: String,
    pub score: i32,
    pub grade: Grade,
    pub confirmed_at: DateTime<Utc>,
}

fn grade_view(row: &GradeRow) -> Result<GradeView, AppError> {
    let bad = |what: &str| AppError::internal(format!("stored grade has a bad {what}"));
    Ok(GradeView {
        id: Uuid::parse_str(&row.id).map_err(|_| bad("id"))?,
        firm_id: Uuid::parse_str(&row.firm_id).map_err(|_| bad("firm id"))?,
        period: row.period.clone(),
        score: row.score,
        grade: Grade::parse(&row.grade).ok_or_else(|| bad("grade"))?,
        computed_grade: Grade::parse(&row.computed_grade).ok_or_else(|| bad("computed grade"))?,
        overridden: row.overridden,
        reason: row.reason.clone(),
        rules_version: row.rules_version.clone(),
        rule_pack: row.rule_pack.clone(),
        breakdown: serde_json::from_str(&row.breakdown).map_err(|_| bad("breakdown"))?,
        confirmed_by: Uuid::parse_str(&row.confirmed_by).map_err(|_| bad("confirmer"))?,
        confirmed_at: time::from_db(row.confirmed_at),
    })
}

/// Confirms the computed grade, or overrides it with a written reason. Never overwrites: a new
/// grade for a period supersedes the earlier ones, which stay in the history.
pub fn confirm(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    request: ConfirmRequest,
    custody: &CustodyRules,
) -> Result<GradeView, AppError> {
    policy::supervise_firms(who)?;
    let mut errors = Vec::new();
    let period = Period::parse(&request.period);
    if period.is_none() {
        errors.push(FieldError::new(
            "period",
            "invalid_period",
            "must be a year such as 2026",
        ));
    }
    let override_grade = match request
        .grade
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        None => None,
        Some(text) => {
            let g = Grade::parse(text);
            if g.is_none() {
                errors.push(FieldError::new(
                    "grade",
                    "invalid_grade",
                    "must be A, B, C or D",
                ));
            }
            g
        }
    };
    let reason = optional_text("reason", request.reason.as_deref(), 2000, &mut errors);
    if override_grade.is_some() && reason.is_none() {
        errors.push(FieldError::new(
            "reason",
            "override_reason_required",
            "an override must give its reason in writing",
        ));
    }
    let Some(period) = period.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    write_tx(conn, |conn| {
        firms::require(conn, firm_id)?;
        let assessment = rules::assess(&facts(conn, firm_id, period, custody.filing_deadline)?);
        let grade = override_grade.unwrap_or(assessment.grade);
        let row = GradeRow {
            id: Uuid::now_v7().to_string(),
            firm_id: firm_id.to_string(),
            period: period.to_string(),
            score: assessment.score,
            computed_grade: assessment.grade.as_str().to_string(),
            grade: grade.as_str().to_string(),
            overridden: override_grade.is_some_and(|g| g != assessment.grade),
            reason: reason.clone(),
            rules_version: assessment.rules_version.to_string(),
            breakdown: serde_json::to_string(&assessment.breakdown).map_err(AppError::internal)?,
            confirmed_by: who.user_id.to_string(),
            confirmed_at: time::now(),
            rule_pack: Some(custody.pack.to_string()),
        };
        store::insert(conn, &row)?;
        grade_view(&row)
    })
}

/// One grade of a firm's history, in the shape the caller may see.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum GradeRecord {
    Full(GradeView),
    Public(PublicGrade),
}

/// A firm's grade history: regulators and the firm itself see the breakdown; the association
/// sees the grades only.
pub fn history(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
) -> Result<Vec<GradeRecord>, AppError> {
    policy::require_role(who, &[Role::Regulator, Role::Association, Role::Enterprise])?;
    if who.role == Role::Enterprise && who.firm_id != Some(firm_id) {
        return Err(AppError::NotFound);
    }
    let firm = firms::require(conn, firm_id)?;
    let rows = store::history(conn, &firm_id.to_string())?;
    rows.iter()
        .map(|r| {
            Ok(if who.role == Role::Association {
                GradeRecord::Public(public(r, &firm.name, &firm.region_code)?)
            } else {
                GradeRecord::Full(grade_view(r)?)
            })
        })
        .collect()
}

fn public(row: &GradeRow, name: &str, region: &str) -> Result<PublicGrade, AppError> {
    let view = grade_view(row)?;
    Ok(PublicGrade {
        firm_id: view.firm_id,
        firm_name: name.to_string(),
        region_code: region.to_string(),
        period: view.period,
        score: view.score,
        grade: view.grade,
        confirmed_at: view.confirmed_at,
    })
}

/// The newest confirmed grade of each firm (of one period, if given), keyed by firm id.
pub fn current_grades(
    conn: &mut DbConnection,
    period: Option<&str>,
) -> Result<BTreeMap<String, GradeRow>, AppError> {
    let filter = store::CurrentFilter {
        period: period.map(str::to_string),
        ..store::CurrentFilter::default()
    };
    Ok(store::current(conn, &filter, None, None)?
        .into_iter()
        .map(|(row, _, _)| (row.firm_id.clone(), row))
        .collect())
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GradeQuery {
    #[param(schema_with = crate::paging::schema::region_code)]
    pub region_code: Option<String>,
    /// A, B, C or D
    #[param(schema_with = grade_schema)]
    pub grade: Option<String>,
    /// A year such as 2026; default: each firm's newest grade.
    #[param(schema_with = crate::paging::schema::period)]
    pub period: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

impl GradeQuery {
    /// The filters, each checked (the region code too, if `region_must_parse`); every bad one
    /// is named.
    fn filter(&self, region_must_parse: bool) -> Result<store::CurrentFilter, AppError> {
        let mut errors = Vec::new();
        if let Some(Err(e)) = given(&self.region_code)
            .filter(|_| region_must_parse)
            .map(RegionCode::parse)
        {
            errors.push(FieldError::new("region_code", e.code(), e.to_string()));
        }
        let period = given(&self.period).and_then(|p| match Period::parse(p) {
            Some(p) => Some(p.to_string()),
            None => {
                errors.push(FieldError::new(
                    "period",
                    "invalid_period",
                    "must be a year such as 2026",
                ));
                None
            }
        });
        let grade = given(&self.grade).and_then(|g| match Grade::parse(g) {
            Some(g) => Some(g.as_str().to_string()),
            None => {
                errors.push(FieldError::new(
                    "grade",
                    "invalid_grade",
                    "must be A, B, C or D",
                ));
                None
            }
        });
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(store::CurrentFilter {
            period,
            region_code: given(&self.region_code).map(str::to_string),
            grade,
        })
    }
}

/// A page of current grades (regulator, association), ordered by region and firm name; the
/// cursor is the last firm's id. The region code, if given, must be one (GB/T 2260).
pub fn current(
    conn: &mut DbConnection,
    who: &Principal,
    query: GradeQuery,
    page: Page,
) -> Result<PageOf<PublicGrade>, AppError> {
    policy::require_role(who, &[Role::Regulator, Role::Association])?;
    let filter = query.filter(true)?;
    let after = match page.after {
        None => None,
        Some(id) => Some(store::resume_after(conn, &id.to_string())?.ok_or_else(|| {
            AppError::field(
                "cursor",
                "invalid_cursor",
                "is not a cursor this API returned",
            )
        })?),
    };
    let rows = store::current(conn, &filter, after.as_ref(), Some(page.fetch_limit()))?;
    let items = rows
        .iter()
        .map(|(row, name, region)| Ok((row.firm_id.clone(), public(row, name, region)?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(PageOf::from_rows(
        items,
        page,
        |(id, _)| id.as_str(),
        |(_, g)| g,
    ))
}

/// Every current grade under the filters, without a caller: for the operator's `grades`
/// command, the summary, the public directory and the console's export.
pub fn list_current(
    conn: &mut DbConnection,
    query: GradeQuery,
) -> Result<Vec<PublicGrade>, AppError> {
    let filter = query.filter(false)?;
    store::current(conn, &filter, None, None)?
        .iter()
        .map(|(row, name, region)| public(row, name, region))
        .collect()
}

/// Every current grade under the filters (regulator, association): what the console exports.
pub fn export(
    conn: &mut DbConnection,
    who: &Principal,
    query: GradeQuery,
) -> Result<Vec<PublicGrade>, AppError> {
    policy::require_role(who, &[Role::Regulator, Role::Association])?;
    list_current(conn, query)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GradeSummary {
    pub period: Option<String>,
    pub graded_firms: usize,
    pub by_grade: BTreeMap<String, usize>,
    /// region code → grade → firms
    pub by_region: BTreeMap<String, BTreeMap<String, usize>>,
}

pub fn summary(
    conn: &mut DbConnection,
    who: &Principal,
    period: Option<String>,
) -> Result<GradeSummary, AppError> {
    let grades = export(
        conn,
        who,
        GradeQuery {
            period: period.clone(),
            ..GradeQuery::default()
        },
    )?;
    Ok(summarize(&grades, period))
}

/// Counts by grade and by region.
pub fn summarize(grades: &[PublicGrade], period: Option<String>) -> GradeSummary {
    let mut by_grade: BTreeMap<String, usize> = Grade::ALL
        .iter()
        .map(|g| (g.as_str().to_string(), 0))
        .collect();
    let mut by_region: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for g in grades {
        *by_grade.entry(g.grade.as_str().to_string()).or_default() += 1;
        *by_region
            .entry(g.region_code.clone())
            .or_default()
            .entry(g.grade.as_str().to_string())
            .or_default() += 1;
    }
    GradeSummary {
        period: given(&period).map(str::to_string),
        graded_firms: grades.len(),
        by_grade,
        by_region,
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueInspection {
    pub firm_id: Uuid,
    pub firm_name: String,
    pub region_code: String,
    /// The current grade; ungraded firms are inspected on the B interval.
    pub grade: Option<Grade>,
    pub last_inspection: Option<DateTime<Utc>>,
    /// When the inspection fell due. A firm never inspected is due now, counted from its
    /// registration: `due_at` is then its registration time. Always present.
    pub due_at: Option<DateTime<Utc>>,
    /// Whole days since `due_at` (0 on the day it falls due).
    pub days_overdue: Option<i64>,
}

/// Firms whose next inspection is due or overdue (A 12 months after the last closed audit, B 6,
/// C 3, D 1; never inspected = due since registration), never inspected first, then the most
/// overdue.
pub fn due(
    conn: &mut DbConnection,
    who: &Principal,
    now: DateTime<Utc>,
) -> Result<Vec<DueInspection>, AppError> {
    policy::supervise_firms(who)?;
    let grades = current_grades(conn, None)?;
    let last: BTreeMap<String, DateTime<Utc>> = crate::audits::store::last_closed(conn)?
        .into_iter()
        .filter_map(|(firm, at)| at.map(|a| (firm, time::from_db(a))))
        .collect();
    let mut out = Vec::new();
    for firm in firms::store::all_active(conn)? {
        let grade = grades.get(&firm.id).and_then(|g| Grade::parse(&g.grade));
        let last_inspection = last.get(&firm.id).copied();
        let months = grade.unwrap_or(Grade::B).inspection_interval_months();
        // Never inspected: due from the day it was registered, so it is due now and ages honestly.
        let due_at = match last_inspection {
            Some(l) => l.checked_add_months(Months::new(months)).unwrap_or(l),
            None => time::from_db(firm.created_at),
        };
        if due_at > now {
            continue;
        }
        out.push(DueInspection {
            firm_id: Uuid::parse_str(&firm.id).map_err(|_| AppError::internal("stored firm id"))?,
            firm_name: firm.name,
            region_code: firm.region_code,
            grade,
            last_inspection,
            due_at: Some(due_at),
            days_overdue: Some((now - due_at).num_days()),
        });
    }
    // Never inspected first, then the longest overdue (ties by name).
    out.sort_by(|a, b| {
        (a.last_inspection.is_some(), a.due_at, &a.firm_name).cmp(&(
            b.last_inspection.is_some(),
            b.due_at,
            &b.firm_name,
        ))
    });
    Ok(out)
}

fn grade_schema() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&["A", "B", "C", "D"])
}

fn override_grade() -> utoipa::openapi::schema::Schema {
    crate::error::schema::or_null(crate::error::schema::one_of(&["A", "B", "C", "D"]))
}
