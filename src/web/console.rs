//! The console's front door: the home page of each role, the stylesheet, the language toggle,
//! and the not-found page for a browser (API paths keep answering problem+json).

use actix_web::cookie::time::Duration as CookieAge;
use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::console::i18n::LANG_COOKIE;
use crate::console::page::{html, local_time, see_other};
use crate::console::session::lang_of;
use crate::console::{Chrome, ConsoleUser, Lang, PageError};
use crate::db::Db;
use crate::domain::{CustodyRules, Role};
use crate::error::AppError;
use crate::shipments::store::Side;
use crate::shipments::StatusQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(home)))
        .service(web::resource("/static/console.css").route(web::get().to(stylesheet)))
        .service(web::resource("/lang/{tag}").route(web::get().to(switch_language)));
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    /// What a clerk has to do (enterprise users).
    todo: ClerkTodo,
}

struct ClerkTodo {
    /// Incoming shipments awaiting confirmation.
    incoming: usize,
    /// The firm's open findings, to explain.
    findings: usize,
    /// The last entry's seq and when it was recorded.
    last_filed: Option<(i64, String)>,
}

/// Each role's home: a clerk's to-do list, a regulator's dashboard, …
async fn home(
    user: ConsoleUser,
    db: web::Data<Db>,
    cache: web::Data<crate::shipments::board::BoardCache>,
    rules: web::Data<CustodyRules>,
) -> Result<HttpResponse, PageError> {
    match user.principal.role {
        Role::Enterprise => clerk_home(user, db, rules).await,
        Role::Regulator => super::dashboard::regulator(user, db, cache, rules).await,
        Role::Association | Role::Admin => Ok(links_home(&user)),
    }
}

/// One of a role's pages, as its home lists it.
struct HomeLink {
    href: &'static str,
    label: &'static str,
    about: &'static str,
}

#[derive(Template)]
#[template(path = "home_links.html")]
struct LinksHome {
    chrome: Chrome,
    links: Vec<HomeLink>,
}

/// The association's and the admin's home: their pages, each with what it is for.
fn links_home(user: &ConsoleUser) -> HttpResponse {
    let texts = user.texts();
    let links = crate::console::page::nav_links(user.principal.role)
        .iter()
        .filter(|(href, _)| *href != "/")
        .map(|&(href, label)| HomeLink {
            href,
            label: texts.t(label),
            about: match href {
                "/grades" => texts.t("home_links.grades"),
                "/firms" => texts.t("home_links.directory"),
                "/users" => texts.t("home_links.users"),
                "/activity" => texts.t("home_links.activity"),
                "/rules" => texts.t("home_links.rules"),
                _ => "",
            },
        })
        .collect();
    html(
        StatusCode::OK,
        &LinksHome {
            chrome: user.chrome("/"),
            links,
        },
    )
}

/// What needs doing at a firm: incoming shipments to confirm, findings to explain, and when
/// the ledger was last filed to.
async fn clerk_home(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
) -> Result<HttpResponse, PageError> {
    let (principal, rules) = (user.principal.clone(), **rules);
    let firm = user.own_firm()?;
    let page = crate::paging::PageQuery {
        limit: Some("1000".into()),
        cursor: None,
    }
    .parse()
    .map_err(|e| user.failed(e.into()))?;
    let (incoming, findings, last) = db
        .run(move |conn| {
            let incoming = crate::shipments::list(
                conn,
                &principal,
                firm,
                Side::Buyer,
                &StatusQuery::default(),
                page,
                &rules,
            )?;
            let open = crate::custody::findings::FindingQuery {
                status: Some("open".into()),
                ..Default::default()
            };
            let findings = crate::custody::findings::list(conn, &principal, open, page)?;
            let last = crate::ledger::store::head_entry(conn, firm)?;
            Ok((incoming, findings, last))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let todo = ClerkTodo {
        incoming: incoming.items.iter().filter(|s| s.status.is_open()).count(),
        // Those about the firm itself: a counterparty's finding is not the firm's to explain.
        findings: findings.items.iter().filter(|f| f.firm_id == firm).count(),
        last_filed: last.map(|(seq, at)| (seq, local_time(crate::domain::time::from_db(at)))),
    };
    let chrome = user.chrome("/");
    Ok(html(StatusCode::OK, &HomePage { chrome, todo }))
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/console.css"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Back {
    back: Option<String>,
}

/// Remembers the language and goes back to the page it was chosen on (a path of this site only).
async fn switch_language(
    req: HttpRequest,
    tag: web::Path<String>,
    back: web::Query<Back>,
) -> Result<HttpResponse, PageError> {
    let lang =
        Lang::parse(&tag).ok_or_else(|| PageError::new(lang_of(&req), AppError::NotFound))?;
    let back = back
        .back
        .as_deref()
        .filter(|b| is_own_path(b))
        .unwrap_or("/");
    let mut response = see_other(back);
    let mut cookie = Cookie::new(LANG_COOKIE, lang.tag());
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_same_site(actix_web::cookie::SameSite::Lax);
    cookie.set_max_age(CookieAge::days(365));
    response
        .add_cookie(&cookie)
        .map_err(|e| PageError::new(lang, AppError::internal(e)))?;
    Ok(response)
}

/// A path of this site: one leading `/`, no backslash, and nothing a browser would drop or
/// rewrite (a tab in `/\t/evil.example` is removed and leaves `//evil.example`).
fn is_own_path(back: &str) -> bool {
    back.starts_with('/')
        && !back.starts_with("//")
        && !back
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
}

/// Unknown paths: problem+json for the API and for clients that do not ask for HTML, the
/// not-found page in the user's language for a browser.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    Err(crate::console::errors::for_the_asker(
        &req,
        AppError::NotFound,
    ))
}
