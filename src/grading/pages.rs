//! Grades in the console: the current grade table with its filters, the distribution by region
//! as a chart (SVG drawn here) and as a table, the Excel export (regulators and the association),
//! and a firm's grade assessment, confirmed or overridden with a reason (regulators). The same
//! services as the API: `current`, `summary`, `assess`, `confirm`, `history`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::chart::{distribution_svg, ChartText};
use super::workbook::{grades_xlsx, Headers, CONTENT_TYPE};
use super::{AssessmentRequest, ConfirmRequest, Grade, GradeQuery, GradeRecord, GradeSummary};
use crate::activity::ActivityRow;
use crate::console::form::given;
use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError, Problems, Texts};
use crate::db::Db;
use crate::domain::{CustodyRules, Role};
use crate::error::{AppError, FieldError};
use crate::paging::PageQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/grades").route(web::get().to(table)))
        .service(web::resource("/grades/chart.svg").route(web::get().to(chart)))
        .service(web::resource("/grades.xlsx").route(web::get().to(export)))
        .service(
            web::resource("/firms/{firm_id}/grade")
                .route(web::get().to(assessment))
                .route(web::post().to(decide)),
        );
}

/// A grade's name in the reader's language (the one name of each grade, `firms::pages`).
pub fn grade_name(texts: Texts, grade: Grade) -> &'static str {
    crate::firms::pages::grade_name(texts, grade.as_str())
}

/// A breakdown line in the reader's language, from the facts the rules keep with it; the rules'
/// own English for a line stored before they kept them.
pub fn breakdown_detail(texts: Texts, b: &super::rules::BreakdownItem) -> String {
    use crate::custody::pages::names::{code_name, severity_name};
    let severity = b.severity.map(|s| severity_name(texts, s));
    let line = |key: &str| texts.t(key).to_string();
    match (
        b.source.as_str(),
        severity,
        b.code,
        b.pending,
        b.count,
        b.of,
        b.cap,
    ) {
        ("audit_finding", Some(sev), ..) => line("grade_assessment.line_audit")
            .replace("{severity}", sev)
            .replace("{description}", b.description.as_deref().unwrap_or("")),
        ("custody_finding", Some(sev), Some(code), Some(pending), ..) => {
            let state = line(if pending {
                "grade_assessment.pending"
            } else {
                "grade_assessment.resolved"
            });
            line("grade_assessment.line_custody")
                .replace("{state}", &state)
                .replace("{severity}", sev)
                .replace("{code}", code_name(texts, code))
        }
        ("late_filing", _, _, _, Some(late), Some(total), _) => line("grade_assessment.line_late")
            .replace("{count}", &late.to_string())
            .replace("{of}", &total.to_string()),
        ("cap", _, _, _, Some(n), _, Some(Grade::C)) => {
            line("grade_assessment.line_cap_permits").replace("{count}", &n.to_string())
        }
        ("cap", _, _, _, None, _, Some(Grade::D)) => line("grade_assessment.line_cap_suspended"),
        _ => b.detail.clone(),
    }
}

/// The table's filters, as asked (kept for the form, the links and the next page).
#[derive(Debug, Default, Clone, Deserialize)]
struct Filters {
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    period: String,
    cursor: Option<String>,
}

impl Filters {
    fn query(&self) -> GradeQuery {
        GradeQuery {
            region_code: given(&self.region_code),
            grade: given(&self.grade),
            period: given(&self.period),
        }
    }
}

struct Row {
    firm_id: String,
    firm_name: String,
    region_code: String,
    period: String,
    score: i32,
    grade: &'static str,
    grade_class: &'static str,
    confirmed_at: String,
}

/// One region's counts, A to D, for the table beside the chart.
struct RegionCounts {
    region_code: String,
    counts: [usize; 4],
    total: usize,
}

#[derive(Template)]
#[template(path = "grades.html")]
struct GradesPage {
    chrome: Chrome,
    filters: Filters,
    problems: Problems,
    /// (letter, name, selected)
    grades: Vec<(&'static str, &'static str, bool)>,
    grade_names: [&'static str; 4],
    rows: Vec<Row>,
    next_page: Option<String>,
    regions: Vec<RegionCounts>,
    totals: [usize; 4],
    graded: usize,
    /// Regulators may assess a firm from its row.
    can_assess: bool,
}

async fn table(
    user: ConsoleUser,
    db: web::Data<Db>,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let filters = filters.into_inner();
    let texts = user.texts();
    let page = PageQuery {
        limit: Some("50".into()),
        cursor: filters.cursor.clone(),
    }
    .parse();
    let (principal, query, period) = (
        user.principal.clone(),
        filters.query(),
        given(&filters.period),
    );
    let outcome = match page {
        Err(errors) => Err(AppError::Validation(errors)),
        Ok(page) => {
            db.run(move |conn| {
                let list = super::current(conn, &principal, query, page)?;
                let summary = super::summary(conn, &principal, period)?;
                Ok((list, summary))
            })
            .await
        }
    };
    let (status, problems, list, summary) = match outcome {
        Ok((list, summary)) => (StatusCode::OK, Problems::default(), Some(list), summary),
        Err(e) => match Problems::of(texts, &e) {
            Some(problems) => {
                // The numbers still show for every period: only the table's filter was wrong.
                let principal = user.principal.clone();
                let summary = db
                    .run(move |conn| super::summary(conn, &principal, None))
                    .await
                    .map_err(|e| user.failed(e))?;
                (e.status_code(), problems, None, summary)
            }
            None => return Err(user.failed(e)),
        },
    };
    let (rows, next_page) = match list {
        Some(list) => (
            list.items
                .into_iter()
                .map(|g| Row {
                    firm_id: g.firm_id.to_string(),
                    firm_name: g.firm_name,
                    region_code: g.region_code,
                    period: g.period,
                    score: g.score,
                    grade: grade_name(texts, g.grade),
                    grade_class: g.grade.as_str(),
                    confirmed_at: local_time(g.confirmed_at),
                })
                .collect(),
            list.next_cursor,
        ),
        None => (Vec::new(), None),
    };
    let (regions, totals) = counts(&summary);
    let selected = filters.grade.trim().to_ascii_uppercase();
    let page = GradesPage {
        chrome: user.chrome("/grades"),
        grades: Grade::ALL
            .iter()
            .map(|g| (g.as_str(), grade_name(texts, *g), g.as_str() == selected))
            .collect(),
        grade_names: Grade::ALL.map(|g| grade_name(texts, g)),
        filters,
        problems,
        rows,
        next_page,
        regions,
        totals,
        graded: summary.graded_firms,
        can_assess: user.principal.role == Role::Regulator,
    };
    Ok(html(status, &page))
}

fn counts(summary: &GradeSummary) -> (Vec<RegionCounts>, [usize; 4]) {
    let regions = summary
        .by_region
        .iter()
        .map(|(region, by_grade)| {
            let counts = Grade::ALL.map(|g| by_grade.get(g.as_str()).copied().unwrap_or(0));
            RegionCounts {
                region_code: region.clone(),
                total: counts.iter().sum(),
                counts,
            }
        })
        .collect();
    let totals = Grade::ALL.map(|g| summary.by_grade.get(g.as_str()).copied().unwrap_or(0));
    (regions, totals)
}

#[derive(Debug, Default, Deserialize)]
struct PeriodOnly {
    #[serde(default)]
    period: String,
}

/// The distribution by region as an SVG image (the page shows it with `<img>`).
async fn chart(
    user: ConsoleUser,
    db: web::Data<Db>,
    query: web::Query<PeriodOnly>,
) -> Result<HttpResponse, PageError> {
    let (principal, period) = (user.principal.clone(), given(&query.period));
    let summary = db
        .run(move |conn| super::summary(conn, &principal, period))
        .await
        .map_err(|e| user.failed(e))?;
    let texts = user.texts();
    let title = match &summary.period {
        Some(p) => texts
            .t("grades_page.chart_title_period")
            .replace("{period}", p),
        None => texts.t("grades_page.chart_title").to_string(),
    };
    let words = ChartText {
        title,
        unit: texts.t("grades_page.firms_unit").to_string(),
        empty: texts.t("grades_page.empty").to_string(),
        grades: Grade::ALL.map(|g| grade_name(texts, g).to_string()),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(distribution_svg(&summary.by_region, &words)))
}

/// The filtered table as an Excel workbook, every row of it.
async fn export(
    user: ConsoleUser,
    db: web::Data<Db>,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let (principal, query) = (user.principal.clone(), filters.query());
    let grades = db
        .run(move |conn| super::export(conn, &principal, query))
        .await
        .map_err(|e| user.failed(e))?;
    let clock = crate::console::page::clock();
    let headers = Headers::new(user.texts(), clock);
    let bytes = grades_xlsx(&grades, &headers, clock).map_err(|e| user.failed(e))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"grades.xlsx\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

// ---- a firm's grade assessment --------------------------------------------------------------

/// One line of the breakdown as shown.
struct Line {
    source: &'static str,
    detail: String,
    points: i32,
    cap: Option<&'static str>,
}

struct Computed {
    score: i32,
    grade: &'static str,
    grade_class: &'static str,
    rules_version: String,
    lines: Vec<Line>,
}

struct Past {
    period: String,
    score: i32,
    grade: &'static str,
    computed: &'static str,
    overridden: bool,
    reason: String,
    confirmed_at: String,
}

#[derive(Template)]
#[template(path = "grade_assessment.html")]
struct AssessmentPage {
    chrome: Chrome,
    firm_id: String,
    firm_name: String,
    period: String,
    computed: Option<Computed>,
    history: Vec<Past>,
    /// (letter, name, selected)
    grades: Vec<(&'static str, &'static str, bool)>,
    reason: String,
    problems: Problems,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
struct AssessmentQuery {
    #[serde(default)]
    period: String,
    done: Option<String>,
}

/// The year to assess when none is asked: the current year on the console's clock.
fn this_year() -> String {
    use chrono::Datelike;
    chrono::Utc::now()
        .with_timezone(&crate::console::page::clock())
        .year()
        .to_string()
}

async fn assessment(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    firm_id: web::Path<String>,
    query: web::Query<AssessmentQuery>,
) -> Result<HttpResponse, PageError> {
    let firm = user.path_id(&firm_id)?;
    let query = query.into_inner();
    let period = given(&query.period).unwrap_or_else(this_year);
    let notice = match query.done.as_deref() {
        Some("confirmed") => Some("grade_assessment.confirmed"),
        Some("overridden") => Some("grade_assessment.overridden"),
        _ => None,
    };
    let form = Decision {
        period,
        ..Decision::default()
    };
    render(user, db, rules, firm, form, Problems::default(), notice).await
}

/// The assessment page for `form.period`: the computed grade (or the period's problem), the
/// forms to confirm or override it, and the firm's grade history.
async fn render(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    firm: Uuid,
    form: Decision,
    mut problems: Problems,
    notice: Option<&'static str>,
) -> Result<HttpResponse, PageError> {
    let texts = user.texts();
    let (principal, deadline, period) = (
        user.principal.clone(),
        rules.filing_deadline,
        form.period.clone(),
    );
    let (assessed, firm_name, history) = db
        .run(move |conn| {
            let request = AssessmentRequest { period };
            // The role and the firm are checked by `assess` first; only a bad period goes on.
            let assessed = match super::assess(conn, &principal, firm, request, deadline) {
                Ok(view) => Ok(view),
                Err(AppError::Validation(errors)) => Err(errors),
                Err(e) => return Err(e),
            };
            let name = crate::firms::require(conn, firm)?.name;
            let history = super::history(conn, &principal, firm)?;
            Ok((assessed, name, history))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let mut status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let computed = match assessed {
        Ok(view) => Some(computed(texts, view.assessment)),
        Err(errors) => {
            if problems.is_empty() {
                problems = Problems::from_fields(texts, &errors);
            }
            status = StatusCode::UNPROCESSABLE_ENTITY;
            None
        }
    };
    let selected = form.grade.trim().to_ascii_uppercase();
    let page = AssessmentPage {
        chrome: user.chrome(&format!("/firms/{firm}/grade")),
        firm_id: firm.to_string(),
        firm_name,
        period: form.period,
        computed,
        history: history.into_iter().filter_map(|r| past(texts, r)).collect(),
        grades: Grade::ALL
            .iter()
            .map(|g| (g.as_str(), grade_name(texts, *g), g.as_str() == selected))
            .collect(),
        reason: form.reason,
        problems,
        notice: notice.map(|k| texts.t(k)),
    };
    Ok(html(status, &page))
}

fn source_name(texts: Texts, source: &str) -> &'static str {
    match source {
        "audit_finding" => texts.t("grade_assessment.source_audit_finding"),
        "custody_finding" => texts.t("grade_assessment.source_custody_finding"),
        "late_filing" => texts.t("grade_assessment.source_late_filing"),
        "cap" => texts.t("grade_assessment.source_cap"),
        _ => texts.t("grade_assessment.source_other"),
    }
}

fn computed(texts: Texts, a: super::Assessment) -> Computed {
    Computed {
        score: a.score,
        grade: grade_name(texts, a.grade),
        grade_class: a.grade.as_str(),
        rules_version: a.rules_version.to_string(),
        lines: a
            .breakdown
            .into_iter()
            .map(|b| Line {
                source: source_name(texts, &b.source),
                detail: breakdown_detail(texts, &b),
                points: b.points,
                cap: b.cap.map(|g| grade_name(texts, g)),
            })
            .collect(),
    }
}

fn past(texts: Texts, record: GradeRecord) -> Option<Past> {
    let GradeRecord::Full(g) = record else {
        return None;
    };
    Some(Past {
        period: g.period,
        score: g.score,
        grade: grade_name(texts, g.grade),
        computed: grade_name(texts, g.computed_grade),
        overridden: g.overridden,
        reason: g.reason.unwrap_or_default(),
        confirmed_at: local_time(g.confirmed_at),
    })
}

/// The confirm and the override form alike: an override names a grade (and its reason).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    period: String,
    /// "override" from the override form.
    #[serde(default)]
    decision: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    firm_id: web::Path<String>,
    req: HttpRequest,
    form: web::Form<Decision>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let firm = user.path_id(&firm_id)?;
    let form = form.into_inner();
    let overriding = form.decision == "override";
    if overriding && given(&form.grade).is_none() {
        // The service reads a missing grade as a confirmation; the override form must name one.
        let problems = Problems::from_fields(
            user.texts(),
            &[FieldError::new("grade", "required", "choose the grade")],
        );
        return render(user, db, rules, firm, form, problems, None).await;
    }
    let request = ConfirmRequest {
        period: form.period.clone(),
        grade: if overriding { given(&form.grade) } else { None },
        reason: given(&form.reason),
    };
    let (principal, custody) = (user.principal.clone(), **rules);
    let log = ActivityRow::created(&req, &principal);
    let outcome = db
        .run(move |conn| {
            crate::activity::together(conn, &log, |conn| {
                let grade = super::confirm(conn, &principal, firm, request, &custody)?;
                Ok(grade)
            })
        })
        .await;
    match outcome {
        Ok(grade) => {
            let done = if grade.overridden {
                "overridden"
            } else {
                "confirmed"
            };
            Ok(crate::activity::after_change(&format!(
                "/firms/{firm}/grade?period={}&done={done}",
                grade.period
            )))
        }
        Err(e) => match Problems::of(user.texts(), &e) {
            Some(problems) => render(user, db, rules, firm, form, problems, None).await,
            None => Err(user.failed(e)),
        },
    }
}
