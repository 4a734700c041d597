//! The activity log in the console (the admin's page): the same service as
//! `GET /api/v1/activity`, its filters in a person's words — a username instead of a user id,
//! days instead of RFC 3339 times — and usernames beside each line. It gathers two slices
//! (activity, users), so it lives here.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::activity::ActivityQuery;
use crate::console::form::given;
use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError, Problems};
use crate::db::Db;
use crate::error::AppError;
use crate::paging::PageQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/activity").route(web::get().to(log)));
}

#[derive(Debug, Default, Clone, Deserialize)]
struct Filters {
    /// A username (or a user id).
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
    /// First day shown (China Standard Time).
    #[serde(default)]
    from: String,
    /// Last day shown, inclusive.
    #[serde(default)]
    to: String,
    cursor: Option<String>,
}

struct Line {
    at: String,
    username: String,
    role: String,
    action: String,
    target: String,
    status: i32,
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    chrome: Chrome,
    filters: Filters,
    lines: Vec<Line>,
    next_page: Option<String>,
    problems: Problems,
}

/// A day as the start of it in China Standard Time (`next` = the day after); anything else goes
/// to the service as typed, which names what is wrong with it.
fn day_start(text: &str, next: bool) -> Option<String> {
    let text = given(text)?;
    match chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        Ok(day) => {
            let day = if next { day.succ_opt()? } else { day };
            Some(format!(
                "{}T00:00:00{}",
                day.format("%Y-%m-%d"),
                crate::console::page::clock()
            ))
        }
        Err(_) => Some(text),
    }
}

async fn log(
    user: ConsoleUser,
    db: web::Data<Db>,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let filters = filters.into_inner();
    let texts = user.texts();
    let (principal, asked) = (user.principal.clone(), filters.clone());
    let outcome = db
        .run(move |conn| {
            // The role first: who may not read the log learns nothing about the usernames.
            crate::auth::policy::read_activity(&principal)?;
            let user_id = match given(&asked.user) {
                None => None,
                Some(name) => Some(user_id(conn, &name)?),
            };
            let query = ActivityQuery {
                user_id,
                action: given(&asked.action),
                from: day_start(&asked.from, false),
                to: day_start(&asked.to, true),
            };
            let page = PageQuery {
                limit: Some("50".into()),
                cursor: asked.cursor.clone(),
            }
            .parse()?;
            let lines = crate::activity::list(conn, &principal, query, page)?;
            let mut names = std::collections::HashMap::new();
            for id in lines.items.iter().filter_map(|l| l.user_id) {
                if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(id) {
                    let found = crate::users::store::find(conn, id)?;
                    slot.insert(found.map(|u| u.username).unwrap_or_default());
                }
            }
            Ok((lines, names))
        })
        .await;
    let (status, problems, lines, next_page) = match outcome {
        Ok((lines, names)) => {
            let shown = lines
                .items
                .into_iter()
                .map(|l| Line {
                    at: local_time(l.at),
                    username: l
                        .user_id
                        .and_then(|id| names.get(&id).cloned())
                        .unwrap_or_default(),
                    role: l.role.unwrap_or_default(),
                    action: l.action,
                    target: l.target,
                    status: l.status,
                })
                .collect();
            (
                StatusCode::OK,
                Problems::default(),
                shown,
                lines.next_cursor,
            )
        }
        Err(e) => match Problems::of(texts, &e) {
            Some(p) => (StatusCode::UNPROCESSABLE_ENTITY, p, Vec::new(), None),
            None => return Err(user.failed(e)),
        },
    };
    let page = ActivityPage {
        chrome: user.chrome("/activity"),
        filters,
        lines,
        next_page,
        problems,
    };
    Ok(html(status, &page))
}

/// The id the user filter names (a username, or an id), or the field's problem.
fn user_id(conn: &mut crate::db::DbConnection, text: &str) -> Result<String, AppError> {
    if Uuid::parse_str(text).is_ok() {
        return Ok(text.to_string());
    }
    let name = text.to_ascii_lowercase();
    crate::users::store::find_by_username(conn, &name)?
        .map(|u| u.id)
        .ok_or_else(|| AppError::field("user_id", "unknown_user", "no user has this name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_its_start_in_china_standard_time() {
        assert_eq!(
            day_start("2026-05-01", false).as_deref(),
            Some("2026-05-01T00:00:00+08:00")
        );
        assert_eq!(
            day_start("2026-12-31", true).as_deref(),
            Some("2027-01-01T00:00:00+08:00")
        );
        assert_eq!(day_start("", true), None);
        assert_eq!(day_start("soon", false).as_deref(), Some("soon"));
    }
}
