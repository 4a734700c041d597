//! Signing in and out of the console: the same check as `POST /auth/login` (throttle, timing,
//! disabled accounts), then a cookie session instead of tokens.

use actix_web::cookie::{time::Duration as CookieAge, Cookie};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::console::page::{html, see_other};
use crate::console::session::{self, lang_of, private_cookie, CookiePolicy, SESSION_COOKIE};
use crate::console::{Chrome, ConsoleUser, Lang, PageError};
use crate::db::{write_tx, Db};
use crate::error::AppError;

/// The sign-in form's own CSRF token (there is no session yet): a cookie and a hidden field
/// that must agree.
const SIGN_IN_COOKIE: &str = "precursor_sign_in";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/sign-in")
            .route(web::get().to(form))
            .route(web::post().to(sign_in)),
    )
    .service(web::resource("/sign-out").route(web::post().to(sign_out)));
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    username: String,
    problem: Option<&'static str>,
}

fn page(
    lang: Lang,
    status: StatusCode,
    username: String,
    problem: Option<&'static str>,
    policy: &CookiePolicy,
) -> Result<HttpResponse, PageError> {
    let token = crate::auth::token::new_refresh_token().map_err(|e| PageError::new(lang, e))?;
    let chrome = Chrome::anonymous(lang, "/sign-in", token.clone());
    let mut response = html(
        status,
        &SignInPage {
            chrome,
            username,
            problem,
        },
    );
    response
        .add_cookie(&private_cookie(SIGN_IN_COOKIE, token, policy.secure))
        .map_err(|e| PageError::new(lang, AppError::internal(e)))?;
    Ok(response)
}

async fn form(
    req: HttpRequest,
    policy: web::Data<CookiePolicy>,
) -> Result<HttpResponse, PageError> {
    page(lang_of(&req), StatusCode::OK, String::new(), None, &policy)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn sign_in(
    req: HttpRequest,
    db: web::Data<Db>,
    policy: web::Data<CookiePolicy>,
    form: web::Form<SignInForm>,
    addresses: web::Data<crate::ratelimit::ClientAddresses>,
) -> Result<HttpResponse, PageError> {
    let address = addresses.of(&req);
    let lang = lang_of(&req);
    let SignInForm {
        csrf,
        username,
        password,
    } = form.into_inner();
    let expected = req.cookie(SIGN_IN_COOKIE).map(|c| c.value().to_string());
    if !expected.is_some_and(|e| same(&e, &csrf)) {
        return page(
            lang,
            StatusCode::FORBIDDEN,
            username,
            Some(problem(lang, "sign_in.expired")),
            &policy,
        );
    }
    let typed = username.clone();
    let started = db
        .run(move |conn| {
            let (_, principal) =
                crate::sessions::check_credentials(conn, &username, &password, address)?;
            let value = write_tx(conn, |conn| session::start(conn, principal.user_id))?;
            Ok((value, principal))
        })
        .await;
    match started {
        Ok((value, principal)) => {
            // The activity log names who signed in.
            session::mark_caller(&req, principal);
            let mut response = see_other("/");
            let cookie = private_cookie(SESSION_COOKIE, value, policy.secure);
            response
                .add_cookie(&cookie)
                .and_then(|_| response.add_removal_cookie(&Cookie::new(SIGN_IN_COOKIE, "")))
                .map_err(|e| PageError::new(lang, AppError::internal(e)))?;
            Ok(response)
        }
        Err(e) => {
            let (status, key) = match &e {
                AppError::TooManyRequests { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, "sign_in.locked")
                }
                e if e.code() == "account_disabled" => {
                    (StatusCode::UNAUTHORIZED, "sign_in.disabled")
                }
                e if e.code() == "invalid_credentials" => {
                    (StatusCode::UNAUTHORIZED, "sign_in.failed")
                }
                _ => return Err(PageError::new(lang, e)),
            };
            page(lang, status, typed, Some(problem(lang, key)), &policy)
        }
    }
}

fn problem(lang: Lang, key: &'static str) -> &'static str {
    crate::console::Texts(lang).t(key)
}

fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.trim().as_bytes()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(
    user: ConsoleUser,
    db: web::Data<Db>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let (lang, digest) = (user.lang, user.digest().to_string());
    db.run(move |conn| session::end(conn, &digest))
        .await
        .map_err(|e| PageError::new(lang, e))?;
    let mut response = see_other("/sign-in");
    let mut gone = Cookie::new(SESSION_COOKIE, "");
    gone.set_path("/");
    gone.set_max_age(CookieAge::ZERO);
    response
        .add_cookie(&gone)
        .map_err(|e| PageError::new(lang, AppError::internal(e)))?;
    Ok(response)
}
