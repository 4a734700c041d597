//! Chain of custody: the validator (pure), the life of its findings, and the lot trace.

pub mod http;
pub mod model;
pub mod store;
pub mod trace;
pub mod validator;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::quantity::format_thousandths;
use crate::domain::{time, Code, CustodyRules, FindingStatus, Role, Severity};
use crate::error::{required_text, AppError, FieldError};
use crate::paging::{Page, PageOf};
pub use model::Finding;
use store::{FindingRow, Note, RunRow};
pub use validator::validate;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RunRequest {
    /// One firm, or every firm when absent (regulators only; an enterprise always runs for itself).
    pub firm_id: Option<Uuid>,
    /// Look at another time (RFC 3339): the findings are reported, not recorded. Default now.
    pub as_of: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunSummary {
    pub id: Uuid,
    pub firm_id: Option<Uuid>,
    pub as_of: DateTime<Utc>,
    /// Whether the run recorded and resolved findings (runs as of now) or only reported them.
    pub recorded: bool,
    pub entries_checked: i64,
    /// Findings that fire now, by code (within the run's scope).
    pub findings_by_code: BTreeMap<String, i64>,
    pub findings_by_severity: BTreeMap<String, i64>,
    pub new_findings: i64,
    /// Findings that no longer fire and were resolved by this run.
    pub resolved_findings: i64,
    pub duration_ms: i64,
}

/// How long each part of a run took, for the CLI and the benchmark.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunTimings {
    pub load_ms: u128,
    pub validate_ms: u128,
    pub persist_ms: u128,
}

fn parse_as_of(text: Option<&str>) -> Result<Option<DateTime<Utc>>, AppError> {
    let mut errors = Vec::new();
    let as_of = crate::error::time_field("as_of", text, &mut errors);
    if errors.is_empty() {
        Ok(as_of)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// `POST /custody/validations`: regulators for one firm or all; an enterprise for itself.
///
/// Only a run as of now changes findings. A run with an explicit `as_of` (a look at the past, or
/// ahead) reports what would fire then, but records no finding and resolves none: otherwise a run
/// "as of last year" would close today's findings.
pub fn run(
    conn: &mut DbConnection,
    who: &Principal,
    request: RunRequest,
    rules: &CustodyRules,
) -> Result<RunSummary, AppError> {
    policy::require_role(who, &[Role::Regulator, Role::Enterprise])?;
    let scope = match (who.role, request.firm_id) {
        (Role::Enterprise, Some(firm)) if Some(firm) != who.firm_id => {
            return Err(AppError::NotFound)
        }
        (Role::Enterprise, _) => who.firm_id,
        (_, firm) => firm,
    };
    if let Some(firm) = scope {
        crate::firms::require(conn, firm)?;
    }
    let as_of = parse_as_of(request.as_of.as_deref())?;
    let settings = CustodyRules {
        as_of: as_of.unwrap_or_else(|| time::from_db(time::now())),
        ..*rules
    };
    run_validation(
        conn,
        &who.user_id.to_string(),
        scope,
        &settings,
        as_of.is_none(),
    )
    .map(|(summary, _)| summary)
}

/// Loads, validates and records one run; with `record`, also stores new findings and resolves
/// those that no longer fire. Shared by the API, the CLI, the demo and the benchmark.
pub fn run_validation(
    conn: &mut DbConnection,
    run_by: &str,
    scope: Option<Uuid>,
    settings: &CustodyRules,
    record: bool,
) -> Result<(RunSummary, RunTimings), AppError> {
    let started = Instant::now();
    let started_at = time::now();
    let input = store::load_input(conn)?;
    let loaded = Instant::now();
    let mut findings = validate(&input, settings);
    let validated = Instant::now();
    let scope_text = scope.map(|f| f.to_string());
    if let Some(firm) = &scope_text {
        findings.retain(|f| {
            f.firm_id == *firm || f.counterparty_firm_id.as_deref() == Some(firm.as_str())
        });
    }
    let mut by_code: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_severity: BTreeMap<String, i64> = BTreeMap::new();
    for f in &findings {
        *by_code.entry(f.code.as_str().to_string()).or_default() += 1;
        *by_severity
            .entry(f.severity.as_str().to_string())
            .or_default() += 1;
    }
    let run_id = Uuid::now_v7();
    let mut summary = RunSummary {
        id: run_id,
        firm_id: scope,
        as_of: settings.as_of,
        recorded: record,
        entries_checked: input.entries.len() as i64,
        findings_by_code: by_code,
        findings_by_severity: by_severity,
        new_findings: 0,
        resolved_findings: 0,
        duration_ms: 0,
    };
    drop(input);
    // The run and what it changed are one transaction: no finding points at an unrecorded run.
    write_tx(conn, |conn| {
        if record {
            let (new_findings, resolved) = persist(
                conn,
                &run_id.to_string(),
                scope_text.as_deref(),
                &findings,
                started_at,
            )?;
            summary.new_findings = new_findings;
            summary.resolved_findings = resolved;
        }
        summary.duration_ms = started.elapsed().as_millis() as i64;
        store::insert_run(
            conn,
            &RunRow {
                id: run_id.to_string(),
                firm_id: scope_text.clone(),
                as_of: time::to_db(settings.as_of),
                run_by: run_by.to_string(),
                started_at,
                duration_ms: summary.duration_ms,
                entries_checked: summary.entries_checked,
                findings_by_code: serde_json::to_string(&summary.findings_by_code)
                    .map_err(AppError::internal)?,
                new_findings: summary.new_findings,
                resolved_findings: summary.resolved_findings,
            },
        )
    })?;
    let timings = RunTimings {
        load_ms: (loaded - started).as_millis(),
        validate_ms: (validated - loaded).as_millis(),
        persist_ms: validated.elapsed().as_millis(),
    };
    Ok((summary, timings))
}

/// Stores new findings, marks the ones seen again, reopens automatically resolved ones that fire
/// again, and resolves the ones in scope that no longer fire. Returns (new, resolved).
fn persist(
    conn: &mut DbConnection,
    run_id: &str,
    scope: Option<&str>,
    findings: &[Finding],
    now: chrono::NaiveDateTime,
) -> Result<(i64, i64), AppError> {
    let existing: HashMap<String, FindingRow> = store::findings_in_scope(conn, scope)?
        .into_iter()
        .map(|f| (f.identity.clone(), f))
        .collect();
    let mut fresh = Vec::new();
    let mut seen = Vec::new();
    let mut reopened = Vec::new();
    let mut firing: HashSet<String> = HashSet::new();
    for f in findings {
        let identity = f.identity();
        firing.insert(identity.clone());
        match existing.get(&identity) {
            Some(row) => {
                seen.push(row.id.clone());
                if row.status == FindingStatus::Resolved.as_str() && row.resolved_by_run.is_some() {
                    reopened.push(row.id.clone());
                }
            }
            None => fresh.push(FindingRow {
                id: Uuid::now_v7().to_string(),
                identity,
                code: f.code.as_str().to_string(),
                severity: f.severity.as_str().to_string(),
                status: FindingStatus::Open.as_str().to_string(),
                firm_id: f.firm_id.clone(),
                counterparty_firm_id: f.counterparty_firm_id.clone(),
                chemical_id: f.chemical_id.clone(),
                lot: f.lot.clone(),
                quantity: f.quantity,
                entry_ids: f.entry_ids.join(","),
                counterparty_entry_ids: f.counterparty_entry_ids.join(","),
                message_zh: f.message_zh.clone(),
                message_en: f.message_en.clone(),
                first_seen_at: now,
                first_seen_run: run_id.to_string(),
                last_seen_run: run_id.to_string(),
                resolved_by_run: None,
                updated_at: now,
            }),
        }
    }
    // Gone: the missing receipt was filed, the wrong entry reversed, … (manual decisions stay).
    let gone: Vec<String> = existing
        .values()
        .filter(|row| !firing.contains(&row.identity))
        .filter(|row| FindingStatus::parse(&row.status).is_some_and(FindingStatus::is_pending))
        .map(|row| row.id.clone())
        .collect();
    store::insert_findings(conn, &fresh)?;
    store::mark_seen(conn, &seen, run_id)?;
    store::set_status(conn, &reopened, FindingStatus::Open.as_str(), None, now)?;
    store::set_status(
        conn,
        &gone,
        FindingStatus::Resolved.as_str(),
        Some(run_id),
        now,
    )?;
    let mut notes: Vec<Note> = Vec::new();
    for id in &reopened {
        notes.push(Note {
            finding_id: id,
            action: "reopened",
            text: None,
            by_user: None,
            run_id: Some(run_id),
            at: now,
        });
    }
    for id in &gone {
        notes.push(Note {
            finding_id: id,
            action: "auto_resolved",
            text: None,
            by_user: None,
            run_id: Some(run_id),
            at: now,
        });
    }
    store::add_notes(conn, &notes)?;
    Ok((fresh.len() as i64, gone.len() as i64))
}

/// A finding as the API shows it. To an enterprise, only its own entries are listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FindingView {
    pub id: Uuid,
    pub code: Code,
    pub severity: Severity,
    pub status: FindingStatus,
    pub firm_id: Uuid,
    pub firm_name: Option<String>,
    pub counterparty_firm_id: Option<Uuid>,
    pub counterparty_name: Option<String>,
    pub chemical_id: Option<Uuid>,
    pub lot: Option<String>,
    #[schema(example = "12.500")]
    pub quantity: Option<String>,
    pub entry_ids: Vec<Uuid>,
    /// In Chinese; `message_en` has the English.
    pub message: String,
    pub message_en: String,
    pub first_seen_at: DateTime<Utc>,
    /// Explanations and decisions, oldest first (single-finding answers only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<FindingNote>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FindingNote {
    pub action: String,
    pub text: Option<String>,
    pub by_user: Option<Uuid>,
    pub at: DateTime<Utc>,
}

fn ids(text: &str) -> Result<Vec<Uuid>, AppError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| Uuid::parse_str(s).map_err(|_| AppError::internal("stored entry id")))
        .collect()
}

fn opt_id(text: &Option<String>) -> Result<Option<Uuid>, AppError> {
    text.as_deref()
        .map(Uuid::parse_str)
        .transpose()
        .map_err(|_| AppError::internal("stored id"))
}

fn view(
    row: &FindingRow,
    who: &Principal,
    names: &HashMap<String, String>,
) -> Result<FindingView, AppError> {
    let mut entry_ids = Vec::new();
    let own = who.firm_id.map(|f| f.to_string());
    if own.is_none() || own.as_deref() == Some(row.firm_id.as_str()) {
        entry_ids.extend(ids(&row.entry_ids)?);
    }
    if own.is_none() || own.as_deref() == row.counterparty_firm_id.as_deref() {
        entry_ids.extend(ids(&row.counterparty_entry_ids)?);
    }
    Ok(FindingView {
        id: Uuid::parse_str(&row.id).map_err(|_| AppError::internal("stored finding id"))?,
        code: Code::parse(&row.code).ok_or_else(|| AppError::internal("stored finding code"))?,
        severity: Severity::parse(&row.severity)
            .ok_or_else(|| AppError::internal("stored severity"))?,
        status: FindingStatus::parse(&row.status)
            .ok_or_else(|| AppError::internal("stored status"))?,
        firm_id: Uuid::parse_str(&row.firm_id).map_err(|_| AppError::internal("stored firm id"))?,
        firm_name: names.get(&row.firm_id).cloned(),
        counterparty_firm_id: opt_id(&row.counterparty_firm_id)?,
        counterparty_name: row
            .counterparty_firm_id
            .as_ref()
            .and_then(|c| names.get(c).cloned()),
        chemical_id: opt_id(&row.chemical_id)?,
        lot: row.lot.clone(),
        quantity: row.quantity.map(format_thousandths),
        entry_ids,
        message: row.message_zh.clone(),
        message_en: row.message_en.clone(),
        first_seen_at: time::from_db(row.first_seen_at),
        history: vec![],
    })
}

fn views(
    conn: &mut DbConnection,
    who: &Principal,
    rows: &[FindingRow],
) -> Result<Vec<FindingView>, AppError> {
    let mut firm_ids: Vec<String> = rows
        .iter()
        .flat_map(|r| std::iter::once(r.firm_id.clone()).chain(r.counterparty_firm_id.clone()))
        .collect();
    firm_ids.sort_unstable();
    firm_ids.dedup();
    let names = store::firm_names(conn, &firm_ids)?;
    rows.iter().map(|r| view(r, who, &names)).collect()
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingQuery {
    pub firm_id: Option<String>,
    /// A finding code such as UNMATCHED_DISPATCH.
    pub code: Option<String>,
    /// critical, major or minor.
    pub severity: Option<String>,
    /// open, explained, resolved or dismissed.
    pub status: Option<String>,
}

impl FindingQuery {
    fn parse(&self, who: &Principal) -> Result<store::FindingFilter, AppError> {
        let mut errors = Vec::new();
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        let firm_id = given(&self.firm_id);
        if firm_id
            .as_deref()
            .is_some_and(|f| Uuid::parse_str(f).is_err())
        {
            errors.push(FieldError::new("firm_id", "invalid_id", "is not a firm id"));
        }
        let code = given(&self.code);
        if code.as_deref().is_some_and(|c| Code::parse(c).is_none()) {
            errors.push(FieldError::new(
                "code",
                "unknown_code",
                "is not a custody finding code",
            ));
        }
        let severity = given(&self.severity);
        if severity
            .as_deref()
            .is_some_and(|s| Severity::parse(s).is_none())
        {
            errors.push(FieldError::new(
                "severity",
                "unknown_severity",
                "must be critical, major or minor",
            ));
        }
        let status = given(&self.status);
        if status
            .as_deref()
            .is_some_and(|s| FindingStatus::parse(s).is_none())
        {
            errors.push(FieldError::new(
                "status",
                "unknown_status",
                "must be open, explained, resolved or dismissed",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        // An enterprise sees findings about its own firm only, whatever it asks for.
        let firm_id = match who.firm_id {
            Some(own) => {
                if firm_id.as_deref().is_some_and(|f| f != own.to_string()) {
                    return Err(AppError::NotFound);
                }
                Some(own.to_string())
            }
            None => firm_id,
        };
        Ok(store::FindingFilter {
            firm_id,
            code,
            severity,
            status,
        })
    }
}

pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    query: FindingQuery,
    page: Page,
) -> Result<PageOf<FindingView>, AppError> {
    policy::require_role(who, &[Role::Regulator, Role::Enterprise])?;
    let filter = query.parse(who)?;
    let rows = store::list(conn, &filter, &page.after_key(), page.fetch_limit())?;
    let items = views(conn, who, &rows)?;
    Ok(PageOf::from_rows(
        rows.iter().zip(items).collect(),
        page,
        |(r, _)| r.id.as_str(),
        |(_, v)| v,
    ))
}

/// A finding the caller may see: regulators any, an enterprise those about its firm (else 404).
fn visible(conn: &mut DbConnection, who: &Principal, id: Uuid) -> Result<FindingRow, AppError> {
    policy::require_role(who, &[Role::Regulator, Role::Enterprise])?;
    let row = store::find(conn, &id.to_string())?.ok_or(AppError::NotFound)?;
    if let Some(own) = who.firm_id.map(|f| f.to_string()) {
        if row.firm_id != own && row.counterparty_firm_id.as_deref() != Some(own.as_str()) {
            return Err(AppError::NotFound);
        }
    }
    Ok(row)
}

pub fn get(conn: &mut DbConnection, who: &Principal, id: Uuid) -> Result<FindingView, AppError> {
    let row = visible(conn, who, id)?;
    let mut view = views(conn, who, std::slice::from_ref(&row))?.remove(0);
    view.history = store::notes(conn, &row.id)?
        .into_iter()
        .map(|(action, text, by, at)| {
            Ok(FindingNote {
                action,
                text,
                by_user: by
                    .as_deref()
                    .map(Uuid::parse_str)
                    .transpose()
                    .map_err(|_| AppError::internal("stored user id"))?,
                at: time::from_db(at),
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(view)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ExplanationRequest {
    /// What happened, in the firm's words.
    pub text: String,
}

/// An enterprise explains a finding about its firm: status → explained.
pub fn explain(
    conn: &mut DbConnection,
    who: &Principal,
    id: Uuid,
    request: ExplanationRequest,
) -> Result<FindingView, AppError> {
    policy::require_role(who, &[Role::Enterprise])?;
    let text = required_text("text", &request.text, 2000, &mut Vec::new());
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(AppError::field(
            "text",
            "required",
            "explain in 1–2000 characters",
        ));
    }
    write_tx(conn, |conn| {
        let row = visible(conn, who, id)?;
        // The counterparty sees the finding but explains only its own.
        if who.firm_id.map(|f| f.to_string()).as_deref() != Some(row.firm_id.as_str()) {
            return Err(AppError::NotFound);
        }
        if !FindingStatus::parse(&row.status).is_some_and(FindingStatus::is_pending) {
            return Err(AppError::conflict(
                "finding_closed",
                format!("the finding is already {}", row.status),
            ));
        }
        let now = time::now();
        store::set_status(
            conn,
            std::slice::from_ref(&row.id),
            FindingStatus::Explained.as_str(),
            None,
            now,
        )?;
        store::add_notes(
            conn,
            &[Note {
                finding_id: &row.id,
                action: "explained",
                text: Some(&text),
                by_user: Some(who.user_id.to_string()),
                run_id: None,
                at: now,
            }],
        )?;
        Ok(())
    })?;
    get(conn, who, id)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DecisionRequest {
    /// resolved or dismissed.
    pub status: String,
    /// Why; kept in the finding's history.
    pub note: String,
}

/// A regulator closes a finding: resolved (it happened and was dealt with) or dismissed.
pub fn decide(
    conn: &mut DbConnection,
    who: &Principal,
    id: Uuid,
    request: DecisionRequest,
) -> Result<FindingView, AppError> {
    policy::require_role(who, &[Role::Regulator])?;
    let mut errors = Vec::new();
    let status = match FindingStatus::parse(request.status.trim()) {
        Some(s @ (FindingStatus::Resolved | FindingStatus::Dismissed)) => Some(s),
        _ => {
            errors.push(FieldError::new(
                "status",
                "invalid_status",
                "must be resolved or dismissed",
            ));
            None
        }
    };
    let note = required_text("note", &request.note, 2000, &mut errors);
    let Some(status) = status.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    write_tx(conn, |conn| {
        let row = visible(conn, who, id)?;
        if !FindingStatus::parse(&row.status).is_some_and(FindingStatus::is_pending) {
            return Err(AppError::conflict(
                "finding_closed",
                format!("the finding is already {}", row.status),
            ));
        }
        let now = time::now();
        store::set_status(
            conn,
            std::slice::from_ref(&row.id),
            status.as_str(),
            None,
            now,
        )?;
        store::add_notes(
            conn,
            &[Note {
                finding_id: &row.id,
                action: status.as_str(),
                text: Some(&note),
                by_user: Some(who.user_id.to_string()),
                run_id: None,
                at: now,
            }],
        )?;
        Ok(())
    })?;
    get(conn, who, id)
}

#[cfg(test)]
mod tests;
