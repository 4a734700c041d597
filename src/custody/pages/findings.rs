//! The findings workflow in the console: `/findings` lists them (regulators: every firm's, by
//! firm, code, severity and status; an enterprise: its own), `/findings/{id}` shows one with its
//! entries and history, where a regulator resolves or dismisses it with a note and the firm
//! explains it. The same services as `GET/PATCH /api/v1/custody/findings…`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::names::{code_name, entry_kind_name, severity_name, status_name, SEVERITIES, STATUSES};
use crate::activity::ActivityRow;
use crate::auth::Principal;
use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError, Problems, Texts};
use crate::custody::findings::{
    self, DecisionRequest, ExplanationRequest, FindingQuery, FindingView,
};
use crate::db::{Db, DbConnection};
use crate::domain::{Code, FindingStatus, Role};
use crate::error::{AppError, FieldError};
use crate::paging::{PageOf, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/findings").route(web::get().to(list)))
        .service(web::resource("/findings/{finding_id}").route(web::get().to(show)))
        .service(web::resource("/findings/{finding_id}/decision").route(web::post().to(decide)))
        .service(
            web::resource("/findings/{finding_id}/explanation").route(web::post().to(explain)),
        );
}

/// Chemical (zh, en, unit) and firm (name, region) by id.
type Chemicals = HashMap<String, (String, String, String)>;

/// A finding as a row of the list and the head of its page.
struct Item {
    id: String,
    code: &'static str,
    code_value: &'static str,
    severity: &'static str,
    severity_class: &'static str,
    status: &'static str,
    status_value: &'static str,
    firm_id: String,
    firm: String,
    counterparty_id: String,
    counterparty: String,
    chemical: String,
    unit: String,
    lot: String,
    quantity: String,
    message: String,
    entries: usize,
    first_seen_at: String,
    /// `chemical_id=…&lot=…` of the lot trace, for findings with both (regulators).
    trace: Option<(String, String)>,
    pending: bool,
}

impl Item {
    fn of(f: &FindingView, chemicals: &Chemicals, texts: Texts, regulator: bool) -> Item {
        let (chemical, unit) = f
            .chemical_id
            .map(|c| crate::chemicals::label(texts, chemicals, &c.to_string()))
            .unwrap_or_default();
        Item {
            id: f.id.to_string(),
            code: code_name(texts, f.code),
            code_value: f.code.as_str(),
            severity: severity_name(texts, f.severity),
            severity_class: f.severity.as_str(),
            status: status_name(texts, f.status),
            status_value: f.status.as_str(),
            firm_id: f.firm_id.to_string(),
            firm: f.firm_name.clone().unwrap_or_default(),
            counterparty_id: f
                .counterparty_firm_id
                .map(|c| c.to_string())
                .unwrap_or_default(),
            counterparty: f.counterparty_name.clone().unwrap_or_default(),
            chemical,
            unit,
            lot: f.lot.clone().unwrap_or_default(),
            quantity: f.quantity.clone().unwrap_or_default(),
            message: texts.pick(&f.message, &f.message_en).to_string(),
            entries: f.entry_ids.len(),
            first_seen_at: local_time(f.first_seen_at),
            trace: match (regulator, f.chemical_id, &f.lot) {
                (true, Some(c), Some(lot)) => Some((c.to_string(), lot.clone())),
                _ => None,
            },
            pending: f.status.is_pending(),
        }
    }
}

fn chemical_ids(findings: &[FindingView]) -> Vec<String> {
    let mut ids: Vec<String> = findings
        .iter()
        .filter_map(|f| f.chemical_id.map(|c| c.to_string()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    chrome: Chrome,
    regulator: bool,
    form: ListForm,
    codes: Vec<(&'static str, &'static str, bool)>,
    severities: Vec<(&'static str, &'static str, bool)>,
    statuses: Vec<(&'static str, &'static str, bool)>,
    problems: Problems,
    items: Vec<Item>,
    next_page: Option<String>,
}

impl FindingsPage {
    fn other_problems(&self) -> Vec<String> {
        self.problems
            .other_than(&["firm", "code", "severity", "status"])
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
struct ListForm {
    /// A credit code or a firm id (regulators).
    #[serde(default)]
    firm: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    status: String,
    cursor: Option<String>,
}

/// `GET /findings`: the same list as `GET /api/v1/custody/findings`, 50 a page.
async fn list(
    user: ConsoleUser,
    db: web::Data<Db>,
    form: web::Query<ListForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Regulator, Role::Enterprise])?;
    let form = form.into_inner();
    let texts = user.texts();
    let regulator = user.principal.role == Role::Regulator;
    let page = PageQuery {
        limit: Some("50".into()),
        cursor: form.cursor.clone(),
    }
    .parse();
    let (principal, asked) = (user.principal.clone(), form.clone());
    let outcome = db
        .run(move |conn| {
            let page = page.map_err(AppError::Validation)?;
            let firm_id = if regulator {
                super::names::firm_named(conn, &asked.firm)?
            } else {
                None
            };
            let query = FindingQuery {
                firm_id,
                code: Some(asked.code),
                severity: Some(asked.severity),
                status: Some(asked.status),
            };
            let found = findings::list(conn, &principal, query, page)?;
            let chemicals = crate::chemicals::store::labels(conn, &chemical_ids(&found.items))?;
            Ok((found, chemicals))
        })
        .await;
    let (status, problems, items, next_page) = match outcome {
        Ok((found, chemicals)) => {
            let PageOf { items, next_cursor } = found;
            let items = items
                .iter()
                .map(|f| Item::of(f, &chemicals, texts, regulator))
                .collect();
            (StatusCode::OK, Problems::default(), items, next_cursor)
        }
        Err(e) => match Problems::of(texts, &e) {
            Some(p) => (StatusCode::UNPROCESSABLE_ENTITY, p, Vec::new(), None),
            None => return Err(user.failed(e)),
        },
    };
    let codes = Code::ALL
        .into_iter()
        .map(|c| (c.as_str(), code_name(texts, c), c.as_str() == form.code))
        .collect();
    let severities = SEVERITIES
        .into_iter()
        .map(|s| {
            (
                s.as_str(),
                severity_name(texts, s),
                s.as_str() == form.severity,
            )
        })
        .collect();
    let statuses = STATUSES
        .into_iter()
        .map(|s| (s.as_str(), status_name(texts, s), s.as_str() == form.status))
        .collect();
    let page = FindingsPage {
        chrome: user.chrome("/findings"),
        regulator,
        form,
        codes,
        severities,
        statuses,
        problems,
        items,
        next_page,
    };
    Ok(html(status, &page))
}

/// One entry a finding is about.
struct EntryRow {
    firm: String,
    seq: i64,
    kind: &'static str,
    chemical: String,
    lot: String,
    quantity: String,
    unit: String,
    occurred_at: String,
}

struct NoteRow {
    action: &'static str,
    text: String,
    at: String,
}

#[derive(Template)]
#[template(path = "finding.html")]
struct FindingPage {
    chrome: Chrome,
    regulator: bool,
    item: Item,
    entries: Vec<EntryRow>,
    history: Vec<NoteRow>,
    /// The enterprise's own finding (not only its counterparty's): it may explain.
    may_explain: bool,
    /// What a refused form held, and why it was refused.
    /// (value, label, selected) of the decision form's statuses.
    decisions: Vec<(&'static str, &'static str, bool)>,
    note: String,
    text: String,
    problems: Problems,
    notice: Option<&'static str>,
}

impl FindingPage {
    fn other_problems(&self) -> Vec<String> {
        self.problems
            .other_than(&["status", "note", "text", "finding"])
    }
}

/// What the finding's page shows: the finding with its history, and the entries it names.
struct Detail {
    finding: FindingView,
    entries: Vec<crate::ledger::LedgerEntry>,
    chemicals: Chemicals,
}

/// Entries of the finding the caller may read (its own firm's, or any for a regulator).
fn detail(conn: &mut DbConnection, who: &Principal, id: Uuid) -> Result<Detail, AppError> {
    let finding = findings::get(conn, who, id)?;
    let firms: Vec<Uuid> = std::iter::once(finding.firm_id)
        .chain(finding.counterparty_firm_id)
        .collect();
    let mut entries = Vec::new();
    for entry in finding.entry_ids.iter().take(50) {
        for firm in &firms {
            match crate::ledger::get(conn, who, *firm, *entry) {
                Ok(e) => {
                    entries.push(e);
                    break;
                }
                Err(AppError::NotFound) => continue,
                Err(e) => return Err(e),
            }
        }
    }
    let mut ids: Vec<String> = entries.iter().map(|e| e.chemical_id.to_string()).collect();
    ids.extend(finding.chemical_id.map(|c| c.to_string()));
    let chemicals = crate::chemicals::store::labels(conn, &ids)?;
    Ok(Detail {
        finding,
        entries,
        chemicals,
    })
}

/// A refused form's values and problems, kept for the page shown again.
#[derive(Default)]
struct Refused {
    decision: String,
    note: String,
    text: String,
    problems: Problems,
}

fn render(
    user: &ConsoleUser,
    d: Detail,
    refused: Refused,
    notice: Option<&'static str>,
) -> FindingPage {
    let texts = user.texts();
    let regulator = user.principal.role == Role::Regulator;
    let names: HashMap<Uuid, String> = [
        (Some(d.finding.firm_id), d.finding.firm_name.clone()),
        (
            d.finding.counterparty_firm_id,
            d.finding.counterparty_name.clone(),
        ),
    ]
    .into_iter()
    .filter_map(|(id, name)| Some((id?, name.unwrap_or_default())))
    .collect();
    let entries = d
        .entries
        .iter()
        .map(|e| {
            let (chemical, unit) =
                crate::chemicals::label(texts, &d.chemicals, &e.chemical_id.to_string());
            EntryRow {
                firm: names.get(&e.firm_id).cloned().unwrap_or_default(),
                seq: e.seq,
                kind: entry_kind_name(texts, e.kind),
                chemical,
                unit,
                lot: e.lot.clone().unwrap_or_default(),
                quantity: e.quantity.to_string(),
                occurred_at: local_time(e.occurred_at),
            }
        })
        .collect();
    let history = d
        .finding
        .history
        .iter()
        .map(|n| NoteRow {
            action: texts
                .get(&format!("findings_page.action_{}", n.action))
                .unwrap_or("—"),
            text: n.text.clone().unwrap_or_default(),
            at: local_time(n.at),
        })
        .collect();
    let may_explain = user.principal.firm_id == Some(d.finding.firm_id);
    FindingPage {
        chrome: user.chrome(&format!("/findings/{}", d.finding.id)),
        regulator,
        item: Item::of(&d.finding, &d.chemicals, texts, regulator),
        entries,
        history,
        may_explain,
        decisions: [FindingStatus::Resolved, FindingStatus::Dismissed]
            .into_iter()
            .map(|s| {
                (
                    s.as_str(),
                    status_name(texts, s),
                    s.as_str() == refused.decision,
                )
            })
            .collect(),
        note: refused.note,
        text: refused.text,
        problems: refused.problems,
        notice,
    }
}

async fn show(
    user: ConsoleUser,
    db: web::Data<Db>,
    path: web::Path<String>,
    done: web::Query<crate::console::form::Done>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Regulator, Role::Enterprise])?;
    let id = user.path_id(&path)?;
    let principal = user.principal.clone();
    let d = db
        .run(move |conn| detail(conn, &principal, id))
        .await
        .map_err(|e| user.failed(e))?;
    let notice = match done.done.as_deref() {
        Some("resolved") => Some("findings_page.resolved"),
        Some("dismissed") => Some("findings_page.dismissed"),
        Some("explained") => Some("findings_page.explained"),
        _ => None,
    }
    .map(|key| user.texts().t(key));
    Ok(html(
        StatusCode::OK,
        &render(&user, d, Refused::default(), notice),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

/// Resolves or dismisses the finding (`findings::decide`, as `PATCH /api/v1/custody/findings/{id}`).
async fn decide(
    user: ConsoleUser,
    db: web::Data<Db>,
    path: web::Path<String>,
    req: HttpRequest,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Regulator])?;
    let id = user.path_id(&path)?;
    let request = DecisionRequest {
        status: form.status.clone(),
        note: form.note.clone(),
    };
    let refused = Refused {
        decision: form.status,
        note: form.note,
        ..Refused::default()
    };
    act(user, db, id, &req, refused, move |conn, who| {
        findings::decide(conn, who, id, request)
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplanationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// The firm explains its finding (`findings::explain`, as `POST …/explanations`).
async fn explain(
    user: ConsoleUser,
    db: web::Data<Db>,
    path: web::Path<String>,
    req: HttpRequest,
    form: web::Form<ExplanationForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Enterprise])?;
    let id = user.path_id(&path)?;
    let request = ExplanationRequest {
        text: form.text.clone(),
    };
    let refused = Refused {
        text: form.text,
        ..Refused::default()
    };
    act(user, db, id, &req, refused, move |conn, who| {
        findings::explain(conn, who, id, request)
    })
    .await
}

/// What both forms share: one service call and its activity line, then the finding's page with
/// what changed; or the page again with the problem beside the field (a closed finding: on top).
async fn act<F>(
    user: ConsoleUser,
    db: web::Data<Db>,
    id: Uuid,
    req: &HttpRequest,
    mut refused: Refused,
    action: F,
) -> Result<HttpResponse, PageError>
where
    F: FnOnce(&mut DbConnection, &Principal) -> Result<FindingView, AppError> + Send + 'static,
{
    let principal = user.principal.clone();
    let mut line = ActivityRow::created(req, &principal);
    line.status = 303;
    let outcome = db
        .run(move |conn| {
            crate::activity::together(conn, &line, |conn| {
                let finding = action(conn, &principal)?;
                Ok(finding)
            })
        })
        .await;
    let error = match outcome {
        Ok(finding) => {
            let location = format!("/findings/{id}?done={}", finding.status.as_str());
            return Ok(crate::activity::after_change(&location));
        }
        Err(e) => e,
    };
    let texts = user.texts();
    let status = error.status_code();
    let conflict = matches!(error, AppError::Conflict { .. });
    refused.problems = match Problems::of(texts, &error) {
        Some(problems) => problems,
        None if conflict => Problems::from_fields(
            texts,
            &[FieldError::new(
                "finding",
                "finding_closed",
                texts.t("findings_page.closed"),
            )],
        ),
        None => return Err(user.failed(error)),
    };
    let principal = user.principal.clone();
    let d = db
        .run(move |conn| detail(conn, &principal, id))
        .await
        .map_err(|e| user.failed(e))?;
    Ok(html(status, &render(&user, d, refused, None)))
}
