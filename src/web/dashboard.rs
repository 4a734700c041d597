//! The regulator's dashboard (its home, `/`): open findings by severity and by code, shipments
//! overdue, firms due for inspection and the grade distribution. Every number comes from the
//! service the API answers with (`custody::findings::counts` over the findings list's filters,
//! `shipments::board::summary`, `grading::due`, `grading::summary`) and links to what it counts.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError, Texts};
use crate::custody::findings::{self, FindingCounts, FindingQuery};
use crate::custody::pages::{code_name, severity_name, SEVERITIES};
use crate::db::Db;
use crate::domain::{Code, CustodyRules};
use crate::firms::pages::{grade_name, GRADES};
use crate::grading::{self, DueInspection, GradeSummary};
use crate::shipments::board::{self, BoardCache, BoardQuery, BoardSummary};
use crate::shipments::live::ShipmentState;

/// Firms of the worklist shown on the dashboard; the count covers them all.
const DUE_SHOWN: usize = 10;

/// One number and the list it counts.
struct Count {
    /// For the page's ids (`count-severity-critical`) and the tests that read them.
    key: String,
    label: &'static str,
    n: i64,
    href: String,
}

struct Due {
    firm_id: String,
    name: String,
    region_code: String,
    grade: &'static str,
    last_inspection: String,
    due_at: String,
    days_overdue: i64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    open_total: i64,
    by_severity: Vec<Count>,
    by_code: Vec<Count>,
    overdue: u64,
    board_as_of: String,
    due_total: usize,
    due: Vec<Due>,
    graded: usize,
    by_grade: Vec<Count>,
}

/// What the dashboard reads, in one trip to the database.
struct Facts {
    findings: FindingCounts,
    board: BoardSummary,
    due: Vec<DueInspection>,
    grades: GradeSummary,
}

pub async fn regulator(
    user: ConsoleUser,
    db: web::Data<Db>,
    cache: web::Data<BoardCache>,
    rules: web::Data<CustodyRules>,
) -> Result<HttpResponse, PageError> {
    let (principal, rules) = (user.principal.clone(), **rules);
    let facts = db
        .run(move |conn| {
            let open = FindingQuery {
                status: Some("open".into()),
                ..FindingQuery::default()
            };
            Ok(Facts {
                findings: findings::counts(conn, &principal, open)?,
                board: board::summary(conn, &principal, &BoardQuery::default(), &cache, &rules)?,
                due: grading::due(conn, &principal, chrono::Utc::now())?,
                grades: grading::summary(conn, &principal, None)?,
            })
        })
        .await
        .map_err(|e| user.failed(e))?;
    let page = render(user.chrome("/"), user.texts(), facts);
    Ok(html(StatusCode::OK, &page))
}

fn render(chrome: Chrome, texts: Texts, facts: Facts) -> DashboardPage {
    let Facts {
        findings,
        board,
        due,
        grades,
    } = facts;
    let by_severity = SEVERITIES
        .into_iter()
        .map(|s| Count {
            key: s.as_str().to_string(),
            label: severity_name(texts, s),
            n: findings.by_severity.get(&s).copied().unwrap_or(0),
            href: format!("/findings?status=open&severity={}", s.as_str()),
        })
        .collect();
    let by_code = Code::ALL
        .into_iter()
        .filter_map(|c| {
            let n = findings.by_code.get(&c).copied().filter(|n| *n > 0)?;
            Some(Count {
                key: c.as_str().to_string(),
                label: code_name(texts, c),
                n,
                href: format!("/findings?status=open&code={}", c.as_str()),
            })
        })
        .collect();
    let by_grade = GRADES
        .into_iter()
        .map(|g| Count {
            key: g.to_string(),
            label: grade_name(texts, g),
            n: grades.by_grade.get(g).copied().unwrap_or(0) as i64,
            href: format!("/firms?grade={g}"),
        })
        .collect();
    let due_total = due.len();
    let due = due
        .into_iter()
        .take(DUE_SHOWN)
        .map(|d| Due {
            firm_id: d.firm_id.to_string(),
            name: d.firm_name,
            region_code: d.region_code,
            grade: d.grade.map_or(texts.t("firms_page.ungraded"), |g| {
                grade_name(texts, g.as_str())
            }),
            last_inspection: d
                .last_inspection
                .map_or(texts.t("dashboard.never_inspected").to_string(), local_time),
            due_at: d.due_at.map(local_time).unwrap_or_default(),
            days_overdue: d.days_overdue.unwrap_or(0),
        })
        .collect();
    DashboardPage {
        chrome,
        open_total: findings.total,
        by_severity,
        by_code,
        overdue: board
            .by_status
            .get(&ShipmentState::Overdue)
            .copied()
            .unwrap_or(0),
        board_as_of: local_time(board.as_of),
        due_total,
        due,
        graded: grades.graded_firms,
        by_grade,
    }
}
