//! Inspections in the console: the list with its filters and the form to open one, an audit's
//! page with the forms to record a finding and to close it (regulators); a firm sees its own
//! closed audits, read-only. The same services as the API: `list`, `open`, `get`,
//! `record_finding`, `close`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Audit, AuditKind, AuditQuery, CloseAuditRequest, OpenAuditRequest, RecordFindingRequest,
};
use crate::activity::ActivityRow;
use crate::console::form::given;
use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError, Problems, Texts};
use crate::db::{Db, DbConnection};
use crate::domain::{Role, Severity};
use crate::error::AppError;
use crate::paging::PageQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/audits")
            .route(web::get().to(list))
            .route(web::post().to(open)),
    )
    .service(web::resource("/audits/{audit_id}").route(web::get().to(details)))
    .service(web::resource("/audits/{audit_id}/findings").route(web::post().to(record)))
    .service(web::resource("/audits/{audit_id}/close").route(web::post().to(close)));
}

/// An audit kind's name in the reader's language.
pub fn kind_name(texts: Texts, kind: AuditKind) -> &'static str {
    match kind {
        AuditKind::Routine => texts.t("audits_page.kind_routine"),
        AuditKind::Spot => texts.t("audits_page.kind_spot"),
        AuditKind::FollowUp => texts.t("audits_page.kind_follow_up"),
    }
}

/// Audit findings share their severities' names with custody findings.
fn severity_name(texts: Texts, severity: Severity) -> &'static str {
    crate::custody::pages::names::severity_name(texts, severity)
}

fn status_name(texts: Texts, status: &str) -> &'static str {
    if status == "closed" {
        texts.t("audits_page.status_closed")
    } else {
        texts.t("audits_page.status_open")
    }
}

/// A `datetime-local` value is China Standard Time; anything else goes to the service as typed
/// (which names what is wrong with it).
fn local_to_rfc3339(text: &str) -> Option<String> {
    let text = given(text)?;
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&text, format) {
            return Some(format!(
                "{}{}",
                t.format("%Y-%m-%dT%H:%M:%S"),
                crate::console::page::clock()
            ));
        }
    }
    Some(text)
}

/// The firm a form names (id or credit code), or the field's problem.
fn named_firm(conn: &mut DbConnection, text: &str) -> Result<Option<Uuid>, AppError> {
    match given(text) {
        None => Ok(None),
        Some(text) => crate::firms::identify(conn, &text)?
            .map(Some)
            .ok_or_else(|| {
                AppError::field(
                    "firm_id",
                    "unknown_firm",
                    "no firm with this id is registered",
                )
            }),
    }
}

/// Firm names by id, for the rows.
fn firm_names(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, AppError> {
    Ok(crate::firms::store::directory(conn, ids)?
        .into_iter()
        .map(|(id, (name, _))| (id, name))
        .collect())
}

struct Row {
    id: String,
    firm: String,
    kind: &'static str,
    status: &'static str,
    open: bool,
    started_at: String,
    closed_at: String,
    findings: usize,
}

#[derive(Template)]
#[template(path = "audits.html")]
struct ListPage {
    chrome: Chrome,
    filters: ListFilters,
    rows: Vec<Row>,
    next_page: Option<String>,
    /// Regulators open audits here.
    can_open: bool,
    /// (value, name, selected)
    kinds: Vec<(&'static str, &'static str, bool)>,
    form: OpenForm,
    problems: Problems,
    list_problems: Problems,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct ListFilters {
    #[serde(default)]
    firm: String,
    #[serde(default)]
    status: String,
    cursor: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    firm: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    started_at: String,
}

async fn list(
    user: ConsoleUser,
    db: web::Data<Db>,
    filters: web::Query<ListFilters>,
) -> Result<HttpResponse, PageError> {
    let filters = filters.into_inner();
    // A firm named in the list's filter fills the form to open an audit of it.
    let form = OpenForm {
        firm: filters.firm.clone(),
        ..OpenForm::default()
    };
    render_list(user, db, filters, form, Problems::default()).await
}

async fn render_list(
    user: ConsoleUser,
    db: web::Data<Db>,
    filters: ListFilters,
    form: OpenForm,
    problems: Problems,
) -> Result<HttpResponse, PageError> {
    // The role first, so that nobody else learns which firms exist.
    user.require(&[Role::Regulator, Role::Enterprise])?;
    let texts = user.texts();
    let principal = user.principal.clone();
    let asked = filters.clone();
    let outcome = db
        .run(move |conn| {
            let firm_id = match principal.role {
                // A firm sees its own audits only: naming any other firm, registered or not,
                // is not found (nothing tells it which firms exist).
                Role::Enterprise if !asked.firm.trim().is_empty() => {
                    let own = crate::firms::identify(conn, &asked.firm)?;
                    if own.is_none() || own != principal.firm_id {
                        return Err(AppError::NotFound);
                    }
                    own
                }
                Role::Enterprise => None,
                _ => named_firm(conn, &asked.firm)?,
            };
            let page = PageQuery {
                limit: Some("50".into()),
                cursor: asked.cursor.clone(),
            }
            .parse()?;
            let query = AuditQuery {
                firm_id: firm_id.map(|f| f.to_string()),
                status: given(&asked.status),
            };
            let audits = super::list(conn, &principal, query, page)?;
            let ids: Vec<String> = audits.items.iter().map(|a| a.firm_id.to_string()).collect();
            Ok((audits, firm_names(conn, &ids)?))
        })
        .await;
    let (mut status, list_problems, rows, next_page) = match outcome {
        Ok((audits, names)) => {
            let rows = audits.items.iter().map(|a| row(texts, a, &names)).collect();
            (
                StatusCode::OK,
                Problems::default(),
                rows,
                audits.next_cursor,
            )
        }
        Err(e) => match Problems::of(texts, &e) {
            Some(p) => (StatusCode::UNPROCESSABLE_ENTITY, p, Vec::new(), None),
            None => return Err(user.failed(e)),
        },
    };
    if !problems.is_empty() {
        status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    let page = ListPage {
        chrome: user.chrome("/audits"),
        can_open: user.principal.role == Role::Regulator,
        kinds: AuditKind::ALL
            .iter()
            .map(|k| (k.as_str(), kind_name(texts, *k), k.as_str() == form.kind))
            .collect(),
        filters,
        rows,
        next_page,
        form,
        problems,
        list_problems,
    };
    Ok(html(status, &page))
}

fn row(texts: Texts, a: &Audit, names: &std::collections::HashMap<String, String>) -> Row {
    Row {
        id: a.id.to_string(),
        firm: names
            .get(&a.firm_id.to_string())
            .cloned()
            .unwrap_or_default(),
        kind: kind_name(texts, a.kind),
        status: status_name(texts, &a.status),
        open: a.status != "closed",
        started_at: local_time(a.started_at),
        closed_at: a.closed_at.map(local_time).unwrap_or_default(),
        findings: a.findings.len(),
    }
}

async fn open(
    user: ConsoleUser,
    db: web::Data<Db>,
    req: HttpRequest,
    form: web::Form<OpenForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let (principal, asked) = (user.principal.clone(), form.clone());
    let log = ActivityRow::created(&req, &principal);
    let outcome = db
        .run(move |conn| {
            crate::activity::together(conn, &log, |conn| {
                // The role first, so that nobody else learns which firms exist.
                crate::auth::policy::supervise_firms(&principal)?;
                let request = OpenAuditRequest {
                    firm_id: named_firm(conn, &asked.firm)?,
                    kind: asked.kind,
                    started_at: local_to_rfc3339(&asked.started_at),
                };
                let audit = super::open(conn, &principal, request)?;
                Ok(audit)
            })
        })
        .await;
    match outcome {
        Ok(audit) => Ok(crate::activity::after_change(&format!(
            "/audits/{}?done=opened",
            audit.id
        ))),
        Err(e) => match Problems::of(user.texts(), &e) {
            Some(problems) => render_list(user, db, ListFilters::default(), form, problems).await,
            None => Err(user.failed(e)),
        },
    }
}

// ---- one audit ------------------------------------------------------------------------------

struct FindingRow {
    severity: &'static str,
    severity_class: &'static str,
    description: String,
    entry_ids: Vec<String>,
    corrective_action: String,
    recorded_at: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct DetailsPage {
    chrome: Chrome,
    id: String,
    firm_id: String,
    firm: String,
    kind: &'static str,
    status: &'static str,
    started_at: String,
    closed_at: String,
    conclusion: String,
    findings: Vec<FindingRow>,
    /// Open and the reader a regulator: the forms are shown.
    writable: bool,
    /// (value, name, selected)
    severities: Vec<(&'static str, &'static str, bool)>,
    finding: FindingForm,
    conclusion_draft: String,
    problems: Problems,
    notice: Option<&'static str>,
}

async fn details(
    user: ConsoleUser,
    db: web::Data<Db>,
    id: web::Path<String>,
    done: web::Query<crate::console::form::Done>,
) -> Result<HttpResponse, PageError> {
    let id = user.path_id(&id)?;
    let notice = match done.done.as_deref() {
        Some("opened") => Some("audits_page.opened"),
        Some("finding") => Some("audits_page.finding_recorded"),
        Some("closed") => Some("audits_page.closed"),
        _ => None,
    };
    let forms = (FindingForm::default(), String::new());
    render_details(user, db, id, forms, Problems::default(), notice).await
}

async fn render_details(
    user: ConsoleUser,
    db: web::Data<Db>,
    id: Uuid,
    (finding, conclusion_draft): (FindingForm, String),
    problems: Problems,
    notice: Option<&'static str>,
) -> Result<HttpResponse, PageError> {
    let texts = user.texts();
    let principal = user.principal.clone();
    let (audit, names) = db
        .run(move |conn| {
            let audit = super::get(conn, &principal, id)?;
            let names = firm_names(conn, &[audit.firm_id.to_string()])?;
            Ok((audit, names))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DetailsPage {
        chrome: user.chrome(&format!("/audits/{id}")),
        id: id.to_string(),
        firm_id: audit.firm_id.to_string(),
        firm: names
            .get(&audit.firm_id.to_string())
            .cloned()
            .unwrap_or_default(),
        kind: kind_name(texts, audit.kind),
        status: status_name(texts, &audit.status),
        started_at: local_time(audit.started_at),
        closed_at: audit.closed_at.map(local_time).unwrap_or_default(),
        conclusion: audit.conclusion.clone().unwrap_or_default(),
        findings: audit
            .findings
            .iter()
            .map(|f| FindingRow {
                severity: severity_name(texts, f.severity),
                severity_class: f.severity.as_str(),
                description: f.description.clone(),
                entry_ids: f.entry_ids.iter().map(Uuid::to_string).collect(),
                corrective_action: f.corrective_action.clone().unwrap_or_default(),
                recorded_at: local_time(f.recorded_at),
            })
            .collect(),
        writable: audit.status != "closed" && user.principal.role == Role::Regulator,
        severities: [Severity::Critical, Severity::Major, Severity::Minor]
            .iter()
            .map(|s| {
                (
                    s.as_str(),
                    severity_name(texts, *s),
                    s.as_str() == finding.severity,
                )
            })
            .collect(),
        finding,
        conclusion_draft,
        problems,
        notice: notice.map(|k| texts.t(k)),
    };
    Ok(html(status, &page))
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    description: String,
    /// Ledger entry ids, separated by commas, spaces or lines.
    #[serde(default)]
    entry_ids: String,
    #[serde(default)]
    corrective_action: String,
}

/// The entry ids a form lists, or the field's problem.
fn entry_ids(text: &str) -> Result<Vec<Uuid>, AppError> {
    text.split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| {
            Uuid::parse_str(t).map_err(|_| {
                AppError::field("entry_ids", "invalid_id", format!("{t} is not an entry id"))
            })
        })
        .collect()
}

async fn record(
    user: ConsoleUser,
    db: web::Data<Db>,
    id: web::Path<String>,
    req: HttpRequest,
    form: web::Form<FindingForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let id = user.path_id(&id)?;
    let form = form.into_inner();
    let (principal, asked) = (user.principal.clone(), form.clone());
    let log = ActivityRow::created(&req, &principal);
    let outcome = db
        .run(move |conn| {
            crate::activity::together(conn, &log, |conn| {
                let request = RecordFindingRequest {
                    severity: asked.severity,
                    description: asked.description,
                    entry_ids: entry_ids(&asked.entry_ids)?,
                    corrective_action: given(&asked.corrective_action),
                    deadline: None,
                };
                super::record_finding(conn, &principal, id, request)
            })
        })
        .await;
    match outcome {
        Ok(_) => Ok(crate::activity::after_change(&format!(
            "/audits/{id}?done=finding"
        ))),
        Err(e) => match Problems::of(user.texts(), &e) {
            Some(problems) => {
                render_details(user, db, id, (form, String::new()), problems, None).await
            }
            None => Err(user.failed(e)),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    conclusion: String,
}

async fn close(
    user: ConsoleUser,
    db: web::Data<Db>,
    id: web::Path<String>,
    req: HttpRequest,
    form: web::Form<CloseForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let id = user.path_id(&id)?;
    let conclusion = form.into_inner().conclusion;
    let (principal, request) = (
        user.principal.clone(),
        CloseAuditRequest {
            status: "closed".into(),
            conclusion: conclusion.clone(),
        },
    );
    let log = ActivityRow::created(&req, &principal);
    let outcome = db
        .run(move |conn| {
            crate::activity::together(conn, &log, |conn| {
                super::close(conn, &principal, id, request)
            })
        })
        .await;
    match outcome {
        Ok(_) => Ok(crate::activity::after_change(&format!(
            "/audits/{id}?done=closed"
        ))),
        Err(e) => match Problems::of(user.texts(), &e) {
            Some(problems) => {
                let forms = (FindingForm::default(), conclusion);
                render_details(user, db, id, forms, problems, None).await
            }
            None => Err(user.failed(e)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;

    #[test]
    fn a_local_time_is_china_standard_time_and_anything_else_goes_as_typed() {
        assert_eq!(
            local_to_rfc3339("2026-05-01T09:30").as_deref(),
            Some("2026-05-01T09:30:00+08:00")
        );
        assert_eq!(local_to_rfc3339(" ").as_deref(), None);
        assert_eq!(local_to_rfc3339("yesterday").as_deref(), Some("yesterday"));
        assert_eq!(entry_ids(" ").unwrap(), Vec::<Uuid>::new());
        assert!(entry_ids("x").is_err());
        let id = Uuid::now_v7();
        assert_eq!(entry_ids(&format!("{id},\n{id}")).unwrap(), vec![id, id]);
    }

    #[test]
    fn a_field_error_names_the_form_field() {
        let e = entry_ids("nope").unwrap_err();
        let AppError::Validation(errors) = e else {
            panic!("a field error")
        };
        assert_eq!(
            errors,
            vec![FieldError::new(
                "entry_ids",
                "invalid_id",
                "nope is not an entry id"
            )]
        );
    }
}
