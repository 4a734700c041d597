use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    AssessmentRequest, AssessmentView, ConfirmRequest, DueInspection, GradeQuery, GradeRecord,
    GradeSummary, GradeView, PublicGrade,
};
use crate::auth::AuthUser;
use crate::console::{Lang, Texts};
use crate::db::Db;
use crate::domain::CustodyRules;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};
use crate::workbook::DownloadQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/firms/{firm_id}/grades/assessment").route(web::post().to(assess)))
        .service(
            web::resource("/firms/{firm_id}/grades")
                .route(web::post().to(confirm))
                .route(web::get().to(history)),
        )
        .service(web::resource("/grades").route(web::get().to(current)))
        .service(web::resource("/grades/summary").route(web::get().to(summary)))
        .service(web::resource("/supervision/due").route(web::get().to(due)));
}

/// Compute a firm's score, grade and breakdown for a period, without storing it (regulator).
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/grades/assessment", tag = "grading", params(("firm_id" = Uuid, Path)),
    request_body = AssessmentRequest,
    responses((status = 200, body = AssessmentView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn assess(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    body: web::Json<AssessmentRequest>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let deadline = rules.filing_deadline;
    let view = db
        .run(move |conn| super::assess(conn, &who, firm_id, body.into_inner(), deadline))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Confirm the computed grade, or override it with a written reason (regulator).
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/grades", tag = "grading", params(("firm_id" = Uuid, Path)),
    request_body = ConfirmRequest,
    responses((status = 201, body = GradeView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn confirm(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    body: web::Json<ConfirmRequest>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let rules = **rules;
    let grade = db
        .run(move |conn| super::confirm(conn, &who, firm_id, body.into_inner(), &rules))
        .await?;
    Ok(HttpResponse::Created().json(grade))
}

/// A firm's grade history, newest first (regulator, association, the firm itself).
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/grades", tag = "grading", params(("firm_id" = Uuid, Path)),
    responses((status = 200, body = PageOf<GradeRecord>), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn history(
    db: web::Data<Db>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let firm_id = firm_id.into_inner();
    let history = db
        .run(move |conn| super::history(conn, &who, firm_id))
        .await?;
    Ok(HttpResponse::Ok().json(PageOf {
        items: history,
        next_cursor: None,
    }))
}

/// The current confirmed grade of each firm (regulator, association), by region and name. With
/// `format=xlsx` (or the .xlsx `Accept`) every match, unpaged, as an Excel workbook with a second
/// sheet of the grade distribution (firms per grade).
#[utoipa::path(get, path = "/api/v1/grades", tag = "grading", params(GradeQuery, PageQuery, DownloadQuery),
    responses((status = 200, description = "a page of grades, or every match and the distribution as an Excel workbook",
            content((PageOf<PublicGrade> = "application/json"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn current(
    db: web::Data<Db>,
    who: AuthUser,
    query: web::Query<GradeQuery>,
    page: web::Query<PageQuery>,
    download: web::Query<DownloadQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    // `lang` is checked whatever the format, so that a bad one is refused the same way always.
    let lang = Lang::requested(download.lang.as_deref(), header(header::ACCEPT_LANGUAGE))?;
    if download.wants_xlsx(header(header::ACCEPT))? {
        let clock = crate::console::page::clock();
        let grades = db
            .run(move |conn| super::export(conn, &who, query.into_inner()))
            .await?;
        let headers = super::workbook::Headers::new(Texts(lang), clock);
        let bytes = super::workbook::grades_xlsx(&grades, &headers, clock)?;
        return Ok(crate::workbook::download("grades.xlsx", bytes));
    }
    let page = page.parse()?;
    let grades = db
        .run(move |conn| super::current(conn, &who, query.into_inner(), page))
        .await?;
    Ok(HttpResponse::Ok().json(grades))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    #[param(schema_with = crate::paging::schema::period)]
    pub period: Option<String>,
}

/// Counts of firms by grade and by region (regulator, association).
#[utoipa::path(get, path = "/api/v1/grades/summary", tag = "grading", params(SummaryQuery),
    responses((status = 200, body = GradeSummary), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn summary(
    db: web::Data<Db>,
    who: AuthUser,
    query: web::Query<SummaryQuery>,
) -> Result<HttpResponse, AppError> {
    let period = query.into_inner().period;
    let summary = db
        .run(move |conn| super::summary(conn, &who, period))
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// Firms whose inspection is due or overdue, most overdue first (regulator).
#[utoipa::path(get, path = "/api/v1/supervision/due", tag = "grading",
    responses((status = 200, body = PageOf<DueInspection>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn due(db: web::Data<Db>, who: AuthUser) -> Result<HttpResponse, AppError> {
    let due = db
        .run(move |conn| super::due(conn, &who, chrono::Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(PageOf {
        items: due,
        next_cursor: None,
    }))
}
