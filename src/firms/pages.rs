//! The firm list of the console, `/firms`: regulators search every firm (name or credit code,
//! region, status, grade) and open its page; the association sees the same route as its
//! directory (name, region, current grade), as `firms::list` shapes it for the caller.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{FirmForCaller, FirmQuery};
use crate::console::page::html;
use crate::console::{Chrome, ConsoleUser, PageError, Problems, Texts};
use crate::db::Db;
use crate::domain::{FirmStatus, Role};
use crate::error::AppError;
use crate::paging::PageQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/firms").route(web::get().to(list)));
}

/// A grade's name in the catalog (`firms_page.grade_a` …), or the letter itself.
pub fn grade_name(texts: Texts, grade: &str) -> &'static str {
    match texts.get(&format!("firms_page.grade_{}", grade.to_ascii_lowercase())) {
        Some(name) => name,
        None => texts.t("firms_page.ungraded"),
    }
}

/// A firm status's name in the catalog.
pub fn status_name(texts: Texts, status: FirmStatus) -> &'static str {
    match status {
        FirmStatus::Active => texts.t("firms_page.status_active"),
        FirmStatus::Suspended => texts.t("firms_page.status_suspended"),
        FirmStatus::Revoked => texts.t("firms_page.status_revoked"),
    }
}

pub const GRADES: [&str; 4] = ["A", "B", "C", "D"];

/// One firm of the list (the directory leaves out what it does not show).
struct Row {
    id: String,
    name: String,
    credit_code: String,
    region_code: String,
    status: &'static str,
    status_class: &'static str,
    grade: &'static str,
}

#[derive(Template)]
#[template(path = "firms.html")]
struct FirmsPage {
    chrome: Chrome,
    /// The regulator's full list; else the association's directory.
    full: bool,
    form: FirmsForm,
    /// (value, label, selected)
    statuses: Vec<(&'static str, &'static str, bool)>,
    grades: Vec<(&'static str, &'static str, bool)>,
    problems: Problems,
    rows: Vec<Row>,
    next_page: Option<String>,
}

impl FirmsPage {
    /// Problems of no field the form shows (a bad cursor), named at the top.
    fn other_problems(&self) -> Vec<String> {
        self.problems
            .other_than(&["q", "region_code", "status", "grade"])
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
struct FirmsForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    grade: String,
    cursor: Option<String>,
}

fn row(item: FirmForCaller, texts: Texts) -> Row {
    let grade_of = |g: &Option<String>| {
        g.as_deref()
            .map_or(texts.t("firms_page.ungraded"), |g| grade_name(texts, g))
    };
    match item {
        FirmForCaller::Full(f) => Row {
            id: f.id.to_string(),
            grade: grade_of(&f.current_grade),
            name: f.name,
            credit_code: f.credit_code,
            region_code: f.region_code,
            status: status_name(texts, f.status),
            status_class: f.status.as_str(),
        },
        FirmForCaller::Directory(d) => Row {
            id: d.id.to_string(),
            grade: grade_of(&d.current_grade),
            name: d.name,
            credit_code: String::new(),
            region_code: d.region_code,
            status: "",
            status_class: "",
        },
    }
}

/// `GET /firms`: the same list as `GET /api/v1/firms` under the same filters, 50 a page.
async fn list(
    user: ConsoleUser,
    db: web::Data<Db>,
    form: web::Query<FirmsForm>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Regulator, Role::Association])?;
    let form = form.into_inner();
    let texts = user.texts();
    let query = FirmQuery {
        q: Some(form.q.clone()),
        region_code: Some(form.region_code.clone()),
        status: Some(form.status.clone()),
        grade: Some(form.grade.clone()),
    };
    let page = PageQuery {
        limit: Some("50".into()),
        cursor: form.cursor.clone(),
    }
    .parse()
    .map_err(|e| user.failed(AppError::Validation(e)))?;
    let principal = user.principal.clone();
    let outcome = db
        .run(move |conn| super::list(conn, &principal, &query, page))
        .await;
    let (status, problems, rows, next_page) = match outcome {
        Ok(found) => (
            StatusCode::OK,
            Problems::default(),
            found.items.into_iter().map(|f| row(f, texts)).collect(),
            found.next_cursor,
        ),
        Err(e) => match Problems::of(texts, &e) {
            Some(p) => (StatusCode::UNPROCESSABLE_ENTITY, p, Vec::new(), None),
            None => return Err(user.failed(e)),
        },
    };
    let statuses = FirmStatus::ALL
        .iter()
        .map(|&s| (s.as_str(), status_name(texts, s), s.as_str() == form.status))
        .collect();
    let grades = GRADES
        .into_iter()
        .map(|g| (g, grade_name(texts, g), g == form.grade))
        .collect();
    let page = FirmsPage {
        chrome: user.chrome("/firms"),
        full: user.principal.role == Role::Regulator,
        form,
        statuses,
        grades,
        problems,
        rows,
        next_page,
    };
    Ok(html(status, &page))
}
