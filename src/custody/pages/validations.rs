//! Validation runs in the console: `/validations` runs the validator for one firm or all (the same
//! `run::run` as `POST /api/v1/custody/validations`, as of now, so it records what it finds) and
//! lists recent runs; `/validations/{id}` is a run's summary. A run goes on in the background:
//! the form's answer is its progress page (`/validations/running/{ticket}`, which reloads itself
//! until the run is stored, then leads to its summary).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::names::code_name;
use super::pending::{self, Progress};
use crate::activity::ActivityRow;
use crate::console::page::{html, local_time, see_other};
use crate::console::{Chrome, ConsoleUser, PageError, Problems, Texts};
use crate::custody::run::{self, RunRequest, StoredRun};
use crate::db::{Db, DbConnection};
use crate::domain::{Code, CustodyRules, Role};
use crate::error::AppError;
use crate::paging::PageQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/validations")
            .route(web::get().to(list))
            .route(web::post().to(start)),
    )
    .service(web::resource("/validations/running/{ticket}").route(web::get().to(running)))
    .service(web::resource("/validations/{run_id}").route(web::get().to(show)));
}

/// A run as a row of the list and the head of its summary.
struct RunItem {
    id: String,
    scope: String,
    firm_id: String,
    as_of: String,
    started_at: String,
    duration_ms: i64,
    entries_checked: i64,
    findings: i64,
    new_findings: i64,
    resolved_findings: i64,
}

fn run_item(run: &StoredRun, firm: Option<&str>, texts: Texts) -> RunItem {
    RunItem {
        id: run.id.to_string(),
        scope: match (run.firm_id, firm) {
            (None, _) => texts.t("validations_page.all_firms").to_string(),
            (Some(_), Some(name)) => name.to_string(),
            (Some(id), None) => id.to_string(),
        },
        firm_id: run.firm_id.map(|f| f.to_string()).unwrap_or_default(),
        as_of: local_time(run.as_of),
        started_at: local_time(run.started_at),
        duration_ms: run.duration_ms,
        entries_checked: run.entries_checked,
        findings: run.findings_by_code.values().sum(),
        new_findings: run.new_findings,
        resolved_findings: run.resolved_findings,
    }
}

/// Firm names of the runs' scopes.
fn scope_names(
    conn: &mut DbConnection,
    runs: &[StoredRun],
) -> Result<std::collections::HashMap<String, (String, String)>, AppError> {
    let ids: Vec<String> = runs
        .iter()
        .filter_map(|r| r.firm_id.map(|f| f.to_string()))
        .collect();
    crate::firms::store::directory(conn, &ids)
}

#[derive(Template)]
#[template(path = "validations.html")]
struct ValidationsPage {
    chrome: Chrome,
    firm: String,
    problems: Problems,
    runs: Vec<RunItem>,
    next_page: Option<String>,
}

impl ValidationsPage {
    fn other_problems(&self) -> Vec<String> {
        self.problems.other_than(&["firm"])
    }
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    cursor: Option<String>,
}

async fn list(
    user: ConsoleUser,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Regulator])?;
    let cursor = query.into_inner().cursor;
    render_list(
        user,
        db,
        StatusCode::OK,
        String::new(),
        Problems::default(),
        cursor,
    )
    .await
}

/// The form (with what a refused one held) and a page of recent runs.
async fn render_list(
    user: ConsoleUser,
    db: web::Data<Db>,
    status: StatusCode,
    firm: String,
    problems: Problems,
    cursor: Option<String>,
) -> Result<HttpResponse, PageError> {
    let page = PageQuery {
        limit: Some("20".into()),
        cursor,
    }
    .parse()
    .map_err(|e| user.failed(AppError::Validation(e)))?;
    let principal = user.principal.clone();
    let (runs, names) = db
        .run(move |conn| {
            let runs = run::recent(conn, &principal, page)?;
            let names = scope_names(conn, &runs.items)?;
            Ok((runs, names))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let texts = user.texts();
    let items = runs
        .items
        .iter()
        .map(|r| {
            let name = r.firm_id.and_then(|f| names.get(&f.to_string()));
            run_item(r, name.map(|n| n.0.as_str()), texts)
        })
        .collect();
    let page = ValidationsPage {
        chrome: user.chrome("/validations"),
        firm,
        problems,
        runs: items,
        next_page: runs.next_cursor,
    };
    Ok(html(status, &page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunForm {
    #[serde(default)]
    csrf: String,
    /// A credit code or firm id; blank for every firm.
    #[serde(default)]
    firm: String,
}

/// Starts the validator now (one firm or all) and answers with its progress page. The firm is
/// looked up first, so that an unknown one is shown next to the field at once.
async fn start(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    req: HttpRequest,
    form: web::Form<RunForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Regulator])?;
    let asked = form.firm.clone();
    let named = db
        .run(move |conn| {
            super::names::firm_named(conn, &asked)?
                .map(|f| Uuid::parse_str(&f).map_err(AppError::internal))
                .transpose()
        })
        .await;
    let firm_id = match named {
        Ok(firm_id) => firm_id,
        Err(e) => {
            let texts = user.texts();
            let status = e.status_code();
            let problems = Problems::of(texts, &e).ok_or_else(|| user.failed(e))?;
            return render_list(user, db, status, form.firm, problems, None).await;
        }
    };
    let (principal, rules) = (user.principal.clone(), **rules);
    let mut line = ActivityRow::created(&req, &principal);
    line.status = 303;
    let owner = principal.user_id;
    let ticket = db
        .run(move |conn| pending::start(conn, owner))
        .await
        .map_err(|e| user.failed(e))?;
    let db = db.into_inner();
    actix_web::rt::spawn(async move {
        let request = RunRequest {
            firm_id,
            as_of: None,
            incremental: false,
        };
        let outcome = db
            .run(move |conn| {
                let summary = run::run(conn, &principal, request, &rules)?;
                crate::activity::record(conn, &line)?;
                Ok(summary.id)
            })
            .await;
        let told = db
            .run(move |conn| pending::finish(conn, ticket, &outcome))
            .await;
        if let Err(e) = told {
            tracing::error!(%ticket, error = %e, "a console run's outcome was not stored");
        }
    });
    Ok(crate::activity::after_change(&format!(
        "/validations/running/{ticket}"
    )))
}

#[derive(Template)]
#[template(path = "validation_running.html")]
struct RunningPage {
    chrome: Chrome,
    seconds: u64,
}

/// A started run's progress: still running (the page reloads itself), or on to its summary.
async fn running(
    user: ConsoleUser,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Regulator])?;
    let ticket = user.path_id(&path)?;
    let viewer = user.principal.user_id;
    let progress = db
        .run(move |conn| pending::look(conn, ticket, viewer))
        .await
        .map_err(|e| user.failed(e))?;
    match progress {
        None => Err(user.failed(AppError::NotFound)),
        Some(Progress::Done(run)) => Ok(see_other(&format!("/validations/{run}"))),
        Some(Progress::Failed(why)) => Err(user.failed(AppError::internal(why))),
        Some(Progress::Running { seconds }) => Ok(html(
            StatusCode::OK,
            &RunningPage {
                chrome: user.chrome("/validations"),
                seconds,
            },
        )),
    }
}

/// One code's count in a run's summary.
struct CodeCount {
    code: &'static str,
    label: &'static str,
    n: i64,
}

#[derive(Template)]
#[template(path = "validation.html")]
struct RunPage {
    chrome: Chrome,
    run: RunItem,
    by_code: Vec<CodeCount>,
}

async fn show(
    user: ConsoleUser,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Regulator])?;
    let id = user.path_id(&path)?;
    let principal = user.principal.clone();
    let (stored, names) = db
        .run(move |conn| {
            let stored = run::stored(conn, &principal, id)?;
            let names = scope_names(conn, std::slice::from_ref(&stored))?;
            Ok((stored, names))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let texts = user.texts();
    let by_code = Code::ALL
        .into_iter()
        .filter_map(|c| {
            let n = *stored.findings_by_code.get(c.as_str())?;
            Some(CodeCount {
                code: c.as_str(),
                label: code_name(texts, c),
                n,
            })
        })
        .collect();
    let name = stored.firm_id.and_then(|f| names.get(&f.to_string()));
    let page = RunPage {
        chrome: user.chrome("/validations"),
        run: run_item(&stored, name.map(|n| n.0.as_str()), texts),
        by_code,
    };
    Ok(html(StatusCode::OK, &page))
}
