//! The life of a finding after a run records it: listed and read (an enterprise sees those about
//! its firm), explained by the firm, resolved or dismissed by a regulator; each step kept in its
//! history.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::store::{self, FindingRow, Note};
use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::quantity::format_thousandths;
use crate::domain::{time, Code, FindingStatus, Role, Severity};
use crate::error::{required_text, AppError, FieldError};
use crate::paging::{Filters, Page, PageOf};

/// A finding as the API shows it. To an enterprise, only its own entries are listed; to the
/// finding's counterparty, nothing the other firm wrote or holds (see [`view_as`]).
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
    /// The other firm's lot (absent for the finding's counterparty).
    pub lot: Option<String>,
    /// The quantity in question (absent for the finding's counterparty).
    #[schema(example = "12.500")]
    pub quantity: Option<String>,
    pub entry_ids: Vec<Uuid>,
    /// In Chinese; `message_en` has the English. The finding's counterparty gets a message that
    /// only names the finding's firm (the full one may name that firm's permit, quota, figures).
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
    /// The explanation or decision note (absent for the finding's counterparty).
    pub text: Option<String>,
    /// Who took the step (absent for the finding's counterparty).
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
    let own = who.firm_id.map(|f| f.to_string());
    view_as(row, own.as_deref(), names)
}

/// Whether the enterprise of firm `own` sees `row` only as its counterparty: then it sees the
/// code, severity, status, its own entries and the finding's firm's name — nothing that firm
/// wrote (lot, explanations, who acted) or holds (its permit number, quota, quantities).
fn counterparty_only(row: &FindingRow, own: Option<&str>) -> bool {
    own.is_some_and(|own| own != row.firm_id)
}

/// The message the finding's counterparty reads instead of the finding's own (zh, en).
fn counterparty_message(firm_name: &str) -> (String, String) {
    (
        format!("涉及{firm_name}的一项发现将贵企业列为交易对方；详情仅该企业和监管部门可见"),
        format!(
            "a finding about {firm_name} names your firm as its counterparty; its details are shown to that firm and the regulator only"
        ),
    )
}

/// A finding as the enterprise of firm `own` sees it (`None`: as a regulator sees it).
fn view_as(
    row: &FindingRow,
    own: Option<&str>,
    names: &HashMap<String, String>,
) -> Result<FindingView, AppError> {
    let firm_name = names.get(&row.firm_id).cloned();
    let (lot, quantity, message, message_en) = if counterparty_only(row, own) {
        let (zh, en) = counterparty_message(firm_name.as_deref().unwrap_or_default());
        (None, None, zh, en)
    } else {
        (
            row.lot.clone(),
            row.quantity.map(format_thousandths),
            row.message_zh.clone(),
            row.message_en.clone(),
        )
    };
    let mut entry_ids = Vec::new();
    if own.is_none() || own == Some(row.firm_id.as_str()) {
        entry_ids.extend(ids(&row.entry_ids)?);
    }
    if own.is_none() || own == row.counterparty_firm_id.as_deref() {
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
        firm_name,
        counterparty_firm_id: opt_id(&row.counterparty_firm_id)?,
        counterparty_name: row
            .counterparty_firm_id
            .as_ref()
            .and_then(|c| names.get(c).cloned()),
        chemical_id: opt_id(&row.chemical_id)?,
        lot,
        quantity,
        entry_ids,
        message,
        message_en,
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

/// Findings as the enterprise of their own firm sees them (what an alert about the finding's
/// firm carries).
pub fn views_for_own_firm(
    conn: &mut DbConnection,
    rows: &[FindingRow],
) -> Result<Vec<FindingView>, AppError> {
    let mut firm_ids: Vec<String> = rows
        .iter()
        .flat_map(|r| std::iter::once(r.firm_id.clone()).chain(r.counterparty_firm_id.clone()))
        .collect();
    firm_ids.sort_unstable();
    firm_ids.dedup();
    let names = store::firm_names(conn, &firm_ids)?;
    rows.iter()
        .map(|r| view_as(r, Some(r.firm_id.as_str()), &names))
        .collect()
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingQuery {
    #[param(schema_with = crate::paging::schema::id)]
    pub firm_id: Option<String>,
    /// A finding code such as UNMATCHED_DISPATCH.
    #[param(schema_with = code_schema)]
    pub code: Option<String>,
    /// critical, major or minor.
    #[param(schema_with = severity_schema)]
    pub severity: Option<String>,
    /// open, explained, resolved or dismissed.
    #[param(schema_with = status_schema)]
    pub status: Option<String>,
}

fn code_schema() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&Code::ALL.map(Code::as_str))
}

fn severity_schema() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&["critical", "major", "minor"])
}

fn status_schema() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&["open", "explained", "resolved", "dismissed"])
}

impl FindingQuery {
    fn parse(&self, who: &Principal) -> Result<store::FindingFilter, AppError> {
        let mut filters = Filters::default();
        let firm_id = filters.id("firm_id", &self.firm_id, "is not a firm id");
        let code = filters.named(
            "code",
            &self.code,
            |c| Code::parse(c).is_some(),
            "unknown_code",
            "is not a custody finding code",
        );
        let severity = filters.named(
            "severity",
            &self.severity,
            |s| Severity::parse(s).is_some(),
            "unknown_severity",
            "must be critical, major or minor",
        );
        let status = filters.named(
            "status",
            &self.status,
            |s| FindingStatus::parse(s).is_some(),
            "unknown_status",
            "must be open, explained, resolved or dismissed",
        );
        filters.check()?;
        // An enterprise sees findings about its own firm only, whatever it asks for.
        let firm_id = policy::firm_filter(who, firm_id)?;
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

/// Every finding the list's filters keep, oldest first, with the names of their chemicals (for
/// a download: no paging).
pub fn export(
    conn: &mut DbConnection,
    who: &Principal,
    query: FindingQuery,
) -> Result<(Vec<FindingView>, crate::chemicals::store::Labels), AppError> {
    policy::require_role(who, &[Role::Regulator, Role::Enterprise])?;
    let filter = query.parse(who)?;
    let rows = store::list(conn, &filter, "", i64::MAX)?;
    let items = views(conn, who, &rows)?;
    let chemical_ids: Vec<String> = rows.iter().filter_map(|r| r.chemical_id.clone()).collect();
    let chemicals = crate::chemicals::store::labels(conn, &chemical_ids)?;
    Ok((items, chemicals))
}

/// How many findings a list's filters keep, by severity and by code (what the dashboard shows;
/// each number is the length of the list under the same filters plus that severity or code).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FindingCounts {
    pub total: i64,
    pub by_severity: BTreeMap<Severity, i64>,
    pub by_code: BTreeMap<Code, i64>,
}

pub fn counts(
    conn: &mut DbConnection,
    who: &Principal,
    query: FindingQuery,
) -> Result<FindingCounts, AppError> {
    policy::require_role(who, &[Role::Regulator, Role::Enterprise])?;
    let filter = query.parse(who)?;
    let mut counts = FindingCounts::default();
    for (severity, code, n) in store::count_by_severity_and_code(conn, &filter)? {
        let severity =
            Severity::parse(&severity).ok_or_else(|| AppError::internal("stored severity"))?;
        let code = Code::parse(&code).ok_or_else(|| AppError::internal("stored finding code"))?;
        counts.total += n;
        *counts.by_severity.entry(severity).or_default() += n;
        *counts.by_code.entry(code).or_default() += n;
    }
    Ok(counts)
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
    let own = who.firm_id.map(|f| f.to_string());
    let counterparty = counterparty_only(&row, own.as_deref());
    view.history = store::notes(conn, &row.id)?
        .into_iter()
        .map(|(action, text, by, at)| {
            if counterparty {
                // The step and when, not its words nor who took it.
                return Ok(FindingNote {
                    action,
                    text: None,
                    by_user: None,
                    at: time::from_db(at),
                });
            }
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
#[serde(default, deny_unknown_fields)]
pub struct ExplanationRequest {
    /// What happened, in the firm's words.
    #[schema(required = true, schema_with = crate::error::schema::text_2000)]
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
    let mut errors = Vec::new();
    let text = required_text("text", &request.text, 2000, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    write_tx(conn, |conn| {
        let row = visible(conn, who, id)?;
        // The counterparty sees the finding but explains only its own.
        if who.firm_id.map(|f| f.to_string()).as_deref() != Some(row.firm_id.as_str()) {
            return Err(AppError::NotFound);
        }
        change_status(conn, who, &row, FindingStatus::Explained, &text)
    })?;
    get(conn, who, id)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionRequest {
    /// resolved or dismissed.
    #[schema(required = true, schema_with = decision_status)]
    pub status: String,
    /// Why; kept in the finding's history.
    #[schema(required = true, schema_with = crate::error::schema::text_2000)]
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
        change_status(conn, who, &row, status, &note)
    })?;
    get(conn, who, id)
}

/// A person's step in a pending finding's life (explained, resolved, dismissed), with its note;
/// a closed finding stays closed.
fn change_status(
    conn: &mut DbConnection,
    who: &Principal,
    row: &FindingRow,
    status: FindingStatus,
    text: &str,
) -> Result<(), AppError> {
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
            text: Some(text),
            by_user: Some(who.user_id.to_string()),
            run_id: None,
            at: now,
        }],
    )
}

fn decision_status() -> utoipa::openapi::schema::Schema {
    crate::error::schema::one_of(&["resolved", "dismissed"])
}
