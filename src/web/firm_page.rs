//! A firm's page, `/firms/{id}`: profile, permits, the ledger (the last 50 entries, paged by seq),
//! inventory, the chain's verification, open findings, audits and the grade history with each
//! grade's breakdown; a regulator also suspends or reactivates the firm here. Regulators see any
//! firm, an enterprise its own (another firm is the not-found page). It gathers several slices,
//! each read through the service its API route calls.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::activity::ActivityRow;
use crate::audits::{self, Audit, AuditQuery};
use crate::auth::Principal;
use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError, Problems, Texts};
use crate::custody::findings::{self, FindingQuery, FindingView};
use crate::custody::pages::{code_name, entry_kind_name, severity_name, status_name};
use crate::db::{Db, DbConnection};
use crate::domain::{FirmStatus, Role};
use crate::error::{AppError, FieldError};
use crate::firms::pages::{grade_name, status_name as firm_status_name};
use crate::firms::{ChangeFirmStatusRequest, Firm, FirmForCaller};
use crate::grading::{self, GradeRecord, GradeView};
use crate::ledger::{self, Inventory, LedgerEntry, LedgerQuery, VerifyReport};
use crate::paging::{Page, PageOf, PageQuery};
use crate::permits::{self, Permit};

/// Ledger entries per page of the firm page.
const LEDGER_PAGE: i64 = 50;
/// Findings and audits shown; the lists behind the links have the rest.
const SHOWN: &str = "20";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/firms/{firm_id}").route(web::get().to(show)))
        .service(web::resource("/firms/{firm_id}/status").route(web::post().to(change_status)));
}

/// What the page reads about the firm, each from its slice's service.
struct Facts {
    firm: Firm,
    permits: PageOf<Permit>,
    ledger: PageOf<LedgerEntry>,
    /// Where this page of the ledger starts (after this seq).
    after_seq: i64,
    verify: VerifyReport,
    inventory: Inventory,
    findings: Vec<FindingView>,
    more_findings: bool,
    audits: PageOf<Audit>,
    grades: Vec<GradeRecord>,
    /// Chemical (zh, en, unit) by id, and firm names by id, for the tables.
    chemicals: HashMap<String, (String, String, String)>,
    firm_names: HashMap<String, (String, String)>,
}

fn page_of(limit: &str) -> Result<Page, AppError> {
    PageQuery {
        limit: Some(limit.into()),
        cursor: None,
    }
    .parse()
    .map_err(AppError::Validation)
}

fn gather(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    cursor: Option<String>,
) -> Result<Facts, AppError> {
    let firm = match crate::firms::get(conn, who, firm_id)? {
        FirmForCaller::Full(firm) => firm,
        FirmForCaller::Directory(_) => return Err(AppError::Forbidden),
    };
    let verify = ledger::verify(conn, who, firm_id)?;
    // Seqs run 1, 2, … without gaps: the last page starts 50 before the count.
    let after_seq = match cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => c.parse::<i64>().map_err(|_| {
            AppError::field("cursor", "invalid_cursor", "is not a cursor this page gave")
        })?,
        None => (verify.entries as i64 - LEDGER_PAGE).max(0),
    };
    let listing = LedgerQuery {
        limit: Some(LEDGER_PAGE.to_string()),
        cursor: Some(after_seq.to_string()),
        ..LedgerQuery::default()
    }
    .parse()?;
    let ledger = ledger::list(conn, who, firm_id, listing)?;
    let inventory = ledger::inventory(conn, who, firm_id, None)?;
    let permits = permits::list(conn, who, firm_id, page_of("100")?)?;
    let (findings, more_findings) = pending_findings(conn, who, firm_id)?;
    let audits = audits::list(
        conn,
        who,
        AuditQuery {
            firm_id: Some(firm_id.to_string()),
            status: None,
        },
        page_of(SHOWN)?,
    )?;
    let grades = grading::history(conn, who, firm_id)?;
    let mut chemical_ids: Vec<String> = ledger
        .items
        .iter()
        .map(|e| e.chemical_id.to_string())
        .chain(inventory.items.iter().map(|i| i.chemical_id.to_string()))
        .chain(
            permits
                .items
                .iter()
                .flat_map(|p| p.chemical_ids.iter().map(Uuid::to_string)),
        )
        .chain(
            findings
                .iter()
                .filter_map(|f| f.chemical_id.map(|c| c.to_string())),
        )
        .collect();
    chemical_ids.sort_unstable();
    chemical_ids.dedup();
    let counterparties: Vec<String> = ledger
        .items
        .iter()
        .filter_map(|e| e.counterparty.as_ref()?.firm_id.map(|f| f.to_string()))
        .collect();
    Ok(Facts {
        chemicals: crate::chemicals::store::labels(conn, &chemical_ids)?,
        firm_names: crate::firms::store::directory(conn, &counterparties)?,
        firm,
        permits,
        ledger,
        after_seq,
        verify,
        inventory,
        findings,
        more_findings,
        audits,
        grades,
    })
}

/// The firm's findings still needing attention: open, then explained (the first page of each).
fn pending_findings(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
) -> Result<(Vec<FindingView>, bool), AppError> {
    let mut all = Vec::new();
    let mut more = false;
    for status in ["open", "explained"] {
        let query = FindingQuery {
            firm_id: Some(firm_id.to_string()),
            status: Some(status.into()),
            ..FindingQuery::default()
        };
        let page = findings::list(conn, who, query, page_of(SHOWN)?)?;
        more |= page.next_cursor.is_some();
        all.extend(page.items);
    }
    Ok((all, more))
}

struct Profile {
    id: String,
    name: String,
    credit_code: String,
    region_code: String,
    address: String,
    activities: String,
    status: &'static str,
    status_value: &'static str,
    status_reason: String,
    grade: &'static str,
    registered_at: String,
}

struct PermitRow {
    kind: &'static str,
    number: String,
    chemicals: String,
    quantity_limit: String,
    valid_from: String,
    valid_until: String,
    valid_now: bool,
}

struct EntryRow {
    seq: i64,
    kind: &'static str,
    chemical: String,
    lot: String,
    quantity: String,
    unit: String,
    occurred_at: String,
    counterparty: String,
    shipment_ref: String,
}

struct StockRow {
    chemical: String,
    lot: String,
    quantity: String,
    unit: String,
    negative: bool,
}

struct FindingRow {
    id: String,
    code: &'static str,
    severity: &'static str,
    severity_class: &'static str,
    status: &'static str,
    message: String,
    first_seen_at: String,
}

struct AuditRow {
    id: String,
    kind: String,
    open: bool,
    started_at: String,
    closed_at: String,
    conclusion: String,
    findings: usize,
}

struct BreakdownRow {
    source: &'static str,
    detail: String,
    points: i32,
    cap: &'static str,
}

struct GradeRow {
    period: String,
    grade: &'static str,
    computed: &'static str,
    score: i32,
    overridden: bool,
    reason: String,
    confirmed_at: String,
    breakdown: Vec<BreakdownRow>,
}

#[derive(Template)]
#[template(path = "firm.html")]
struct FirmPage {
    chrome: Chrome,
    regulator: bool,
    profile: Profile,
    permits: Vec<PermitRow>,
    entries: Vec<EntryRow>,
    entry_count: u64,
    earlier: Option<i64>,
    later: Option<String>,
    verify_ok: bool,
    first_bad_seq: Option<i64>,
    head_hash: String,
    stock: Vec<StockRow>,
    findings: Vec<FindingRow>,
    more_findings: bool,
    audits: Vec<AuditRow>,
    more_audits: bool,
    grades: Vec<GradeRow>,
    /// The status the form offers to change to (none for a revoked firm).
    next_status: Option<&'static str>,
    /// The form suspends (else it reactivates).
    suspend: bool,
    reason: String,
    problems: Problems,
    notice: Option<&'static str>,
}

impl FirmPage {
    fn other_problems(&self) -> Vec<String> {
        self.problems.other_than(&["reason", "status"])
    }
}

fn profile(firm: &Firm, texts: Texts) -> Profile {
    let activities = firm
        .activities
        .iter()
        .map(|a| {
            texts
                .get(&format!("firm_page.activity_{}", a.as_str()))
                .unwrap_or(a.as_str())
        })
        .collect::<Vec<_>>()
        .join("、");
    Profile {
        id: firm.id.to_string(),
        name: firm.name.clone(),
        credit_code: firm.credit_code.clone(),
        region_code: firm.region_code.clone(),
        address: firm.address.clone(),
        activities,
        status: firm_status_name(texts, firm.status),
        status_value: firm.status.as_str(),
        status_reason: firm.status_reason.clone().unwrap_or_default(),
        grade: firm
            .current_grade
            .as_deref()
            .map_or(texts.t("firms_page.ungraded"), |g| grade_name(texts, g)),
        registered_at: local_time(firm.created_at),
    }
}

fn permit_rows(facts: &Facts, texts: Texts) -> Vec<PermitRow> {
    let now = chrono::Utc::now();
    facts
        .permits
        .items
        .iter()
        .map(|p| PermitRow {
            kind: super::permits::kind_label(texts, p.kind),
            number: p.number.clone(),
            chemicals: p
                .chemical_ids
                .iter()
                .map(|c| crate::chemicals::label(texts, &facts.chemicals, &c.to_string()).0)
                .collect::<Vec<_>>()
                .join("、"),
            quantity_limit: p
                .quantity_limit
                .map(|q| q.to_string())
                .unwrap_or_else(|| texts.t("firm_page.no_limit").to_string()),
            valid_from: local_time(p.valid_from),
            valid_until: local_time(p.valid_until),
            valid_now: p.valid_from <= now && now < p.valid_until,
        })
        .collect()
}

fn entry_rows(facts: &Facts, texts: Texts) -> Vec<EntryRow> {
    facts
        .ledger
        .items
        .iter()
        .map(|e| {
            let (chemical, unit) =
                crate::chemicals::label(texts, &facts.chemicals, &e.chemical_id.to_string());
            let counterparty = e.counterparty.as_ref().map_or(String::new(), |c| {
                match c.firm_id.map(|f| f.to_string()) {
                    Some(f) => facts.firm_names.get(&f).map(|n| n.0.clone()).unwrap_or(f),
                    None => c
                        .name
                        .clone()
                        .or_else(|| c.credit_code.clone())
                        .unwrap_or_default(),
                }
            });
            EntryRow {
                seq: e.seq,
                kind: entry_kind_name(texts, e.kind),
                chemical,
                unit,
                lot: e.lot.clone().unwrap_or_default(),
                quantity: e.quantity.to_string(),
                occurred_at: local_time(e.occurred_at),
                counterparty,
                shipment_ref: e.shipment_ref.clone().unwrap_or_default(),
            }
        })
        .collect()
}

fn stock_rows(facts: &Facts, texts: Texts) -> Vec<StockRow> {
    facts
        .inventory
        .items
        .iter()
        .map(|i| {
            let (chemical, unit) =
                crate::chemicals::label(texts, &facts.chemicals, &i.chemical_id.to_string());
            StockRow {
                chemical,
                unit,
                lot: i.lot.clone().unwrap_or_default(),
                negative: i.quantity.starts_with('-'),
                quantity: i.quantity.clone(),
            }
        })
        .collect()
}

fn finding_rows(facts: &Facts, texts: Texts) -> Vec<FindingRow> {
    facts
        .findings
        .iter()
        .map(|f| FindingRow {
            id: f.id.to_string(),
            code: code_name(texts, f.code),
            severity: severity_name(texts, f.severity),
            severity_class: f.severity.as_str(),
            status: status_name(texts, f.status),
            message: texts.pick(&f.message, &f.message_en).to_string(),
            first_seen_at: local_time(f.first_seen_at),
        })
        .collect()
}

fn audit_rows(facts: &Facts, texts: Texts) -> Vec<AuditRow> {
    facts
        .audits
        .items
        .iter()
        .map(|a| AuditRow {
            id: a.id.to_string(),
            kind: crate::audits::pages::kind_name(texts, a.kind).to_string(),
            open: a.status == "open",
            started_at: local_time(a.started_at),
            closed_at: a.closed_at.map(local_time).unwrap_or_default(),
            conclusion: a.conclusion.clone().unwrap_or_default(),
            findings: a.findings.len(),
        })
        .collect()
}

fn grade_row(g: &GradeView, texts: Texts) -> GradeRow {
    GradeRow {
        period: g.period.clone(),
        grade: grade_name(texts, g.grade.as_str()),
        computed: grade_name(texts, g.computed_grade.as_str()),
        score: g.score,
        overridden: g.overridden,
        reason: g.reason.clone().unwrap_or_default(),
        confirmed_at: local_time(g.confirmed_at),
        breakdown: g
            .breakdown
            .iter()
            .map(|b| BreakdownRow {
                source: texts
                    .get(&format!("firm_page.source_{}", b.source))
                    .unwrap_or("—"),
                detail: crate::grading::pages::breakdown_detail(texts, b),
                points: b.points,
                cap: b.cap.map_or("", |c| grade_name(texts, c.as_str())),
            })
            .collect(),
    }
}

/// The page, from what was gathered; `problems` and `reason` belong to a refused status form.
fn render(
    user: &ConsoleUser,
    facts: Facts,
    problems: Problems,
    reason: String,
    notice: Option<&'static str>,
) -> FirmPage {
    let texts = user.texts();
    let next_status = match facts.firm.status {
        FirmStatus::Active => Some(FirmStatus::Suspended.as_str()),
        FirmStatus::Suspended => Some(FirmStatus::Active.as_str()),
        FirmStatus::Revoked => None,
    };
    let earlier = (facts.after_seq > 0).then(|| (facts.after_seq - LEDGER_PAGE).max(0));
    let grades = facts
        .grades
        .iter()
        .filter_map(|g| match g {
            GradeRecord::Full(g) => Some(grade_row(g, texts)),
            GradeRecord::Public(_) => None,
        })
        .collect();
    FirmPage {
        chrome: user.chrome(&format!("/firms/{}", facts.firm.id)),
        regulator: user.principal.role == Role::Regulator,
        profile: profile(&facts.firm, texts),
        permits: permit_rows(&facts, texts),
        entries: entry_rows(&facts, texts),
        entry_count: facts.verify.entries,
        earlier,
        later: facts.ledger.next_cursor.clone(),
        verify_ok: facts.verify.ok,
        first_bad_seq: facts.verify.first_bad_seq,
        head_hash: facts.verify.head_hash.clone(),
        stock: stock_rows(&facts, texts),
        findings: finding_rows(&facts, texts),
        more_findings: facts.more_findings,
        audits: audit_rows(&facts, texts),
        more_audits: facts.audits.next_cursor.is_some(),
        grades,
        next_status,
        suspend: next_status == Some(FirmStatus::Suspended.as_str()),
        reason,
        problems,
        notice,
    }
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    cursor: Option<String>,
    done: Option<String>,
}

async fn show(
    user: ConsoleUser,
    db: web::Data<Db>,
    path: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Regulator, Role::Enterprise])?;
    let id = user.path_id(&path)?;
    let ShowQuery { cursor, done } = query.into_inner();
    let principal = user.principal.clone();
    let facts = db
        .run(move |conn| gather(conn, &principal, id, cursor))
        .await
        .map_err(|e| user.failed(e))?;
    let notice = match done.as_deref() {
        Some("suspended") => Some("firm_page.suspended"),
        Some("active") => Some("firm_page.reactivated"),
        _ => None,
    }
    .map(|key| user.texts().t(key));
    let page = render(&user, facts, Problems::default(), String::new(), notice);
    Ok(html(StatusCode::OK, &page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

/// Suspends or reactivates the firm (`firms::change_status`, as `PATCH /api/v1/firms/{id}`),
/// then back to its page; a refused form is the page again with the reason's problem beside it.
async fn change_status(
    user: ConsoleUser,
    db: web::Data<Db>,
    path: web::Path<String>,
    req: HttpRequest,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Regulator])?;
    let id = user.path_id(&path)?;
    let principal = user.principal.clone();
    let mut line = ActivityRow::created(&req, &principal);
    line.status = 303;
    let request = ChangeFirmStatusRequest {
        status: form.status.clone(),
        reason: form.reason.clone(),
    };
    let outcome = db
        .run(move |conn| {
            crate::activity::together(conn, &line, |conn| {
                let firm = crate::firms::change_status(conn, &principal, id, request)?;
                Ok(firm)
            })
        })
        .await;
    let error = match outcome {
        Ok(firm) => {
            return Ok(crate::activity::after_change(&format!(
                "/firms/{id}?done={}",
                firm.status.as_str()
            )));
        }
        Err(e) => e,
    };
    let texts = user.texts();
    let status = error.status_code();
    let conflict = matches!(error, AppError::Conflict { .. });
    let problems = match Problems::of(texts, &error) {
        Some(problems) => problems,
        // Revoked meanwhile (the form offers no way back from a revocation).
        None if conflict => Problems::from_fields(
            texts,
            &[FieldError::new(
                "status",
                "firm_revoked",
                texts.t("firm_page.revoked"),
            )],
        ),
        None => return Err(user.failed(error)),
    };
    let principal = user.principal.clone();
    let facts = db
        .run(move |conn| gather(conn, &principal, id, None))
        .await
        .map_err(|e| user.failed(e))?;
    let page = render(&user, facts, problems, form.reason, None);
    Ok(html(status, &page))
}
