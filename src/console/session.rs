//! Cookie sessions of the console. A session is a row (`console_sessions`), so signing out or
//! disabling the user ends it on the next request; the cookie carries a random value whose
//! SHA-256 names the row. Sessions end after `IDLE_MINUTES` without a request.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::Duration;
use uuid::Uuid;

use super::i18n::Lang;
use super::page::{Chrome, PageError};
use crate::auth::token::{new_refresh_token, refresh_token_digest};
use crate::auth::{store, Principal};
use crate::db::{Db, DbConnection};
use crate::domain::{time, Role};
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "precursor_session";
pub const IDLE_MINUTES: i64 = 30;
/// A request refreshes `last_seen_at` at most this often (a page view is not a write).
const TOUCH_SECONDS: i64 = 60;

/// Whether the console's cookies are `Secure` (served over TLS, or a setting says so).
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
}

/// The signed-in user of a console request.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    pub principal: Principal,
    pub username: String,
    /// The session's CSRF token, put in every form and checked on every POST.
    pub csrf: String,
    pub lang: Lang,
    digest: String,
}

impl ConsoleUser {
    /// Refuses a form whose token is not this session's (`403`).
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        use subtle::ConstantTimeEq;
        if bool::from(self.csrf.as_bytes().ct_eq(sent.trim().as_bytes())) {
            Ok(())
        } else {
            Err(PageError::new(self.lang, AppError::Forbidden))
        }
    }

    /// The firm an enterprise user acts for; other roles are refused (`403`).
    pub fn own_firm(&self) -> Result<Uuid, PageError> {
        match (self.principal.role, self.principal.firm_id) {
            (Role::Enterprise, Some(firm)) => Ok(firm),
            _ => Err(PageError::new(self.lang, AppError::Forbidden)),
        }
    }

    /// Refuses (`403`) a user whose role is not one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), PageError> {
        if roles.contains(&self.principal.role) {
            Ok(())
        } else {
            Err(PageError::new(self.lang, AppError::Forbidden))
        }
    }

    /// The id in a page's path; anything else names nothing (the not-found page, not a plain
    /// extractor error).
    pub fn path_id(&self, text: &str) -> Result<Uuid, PageError> {
        Uuid::parse_str(text.trim()).map_err(|_| self.failed(AppError::NotFound))
    }

    /// The registry's error, as this user's error page.
    pub fn failed(&self, error: AppError) -> PageError {
        PageError::new(self.lang, error)
    }

    pub fn texts(&self) -> super::i18n::Texts {
        super::i18n::Texts(self.lang)
    }

    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The page around a signed-in page at `path`.
    pub fn chrome(&self, path: &str) -> Chrome {
        Chrome::signed_in(
            self.lang,
            &self.username,
            self.principal.role,
            &self.csrf,
            path,
        )
    }
}

/// Tells the request's activity line who is acting (the log otherwise knows bearer tokens only).
pub fn mark_caller(req: &HttpRequest, who: Principal) {
    req.extensions_mut().insert(who);
}

/// The language of a request: the remembered choice, else the browser's.
pub fn lang_of(req: &HttpRequest) -> Lang {
    let cookie = req.cookie(super::i18n::LANG_COOKIE);
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(cookie.as_ref().map(|c| c.value()), accept)
}

/// A cookie the page scripts never see and other sites never send.
pub fn private_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// Starts a session for `user_id`; returns the cookie's value (shown to no one else).
pub fn start(conn: &mut DbConnection, user_id: Uuid) -> Result<String, AppError> {
    let value = new_refresh_token()?;
    let now = time::now();
    store::insert_console_session(
        conn,
        &store::ConsoleSessionRow {
            id: refresh_token_digest(&value),
            user_id: user_id.to_string(),
            csrf_token: new_refresh_token()?,
            created_at: now,
            last_seen_at: now,
            ended_at: None,
        },
    )?;
    Ok(value)
}

pub fn end(conn: &mut DbConnection, digest: &str) -> Result<(), AppError> {
    store::end_console_session(conn, digest, time::now())
}

/// The user of a live session: not ended, not idle too long, its user not disabled.
fn resume(
    conn: &mut DbConnection,
    value: &str,
    lang: Lang,
) -> Result<Option<ConsoleUser>, AppError> {
    let digest = refresh_token_digest(value);
    let Some((row, username, role, firm_id, disabled)) =
        store::find_console_session(conn, &digest)?
    else {
        return Ok(None);
    };
    let now = time::now();
    if disabled || row.last_seen_at < now - Duration::minutes(IDLE_MINUTES) {
        store::end_console_session(conn, &digest, now)?;
        return Ok(None);
    }
    if row.last_seen_at < now - Duration::seconds(TOUCH_SECONDS) {
        store::touch_console_session(conn, &digest, now)?;
    }
    let principal = Principal {
        user_id: Uuid::parse_str(&row.user_id).map_err(AppError::internal)?,
        role: Role::parse(&role).ok_or_else(|| AppError::internal("stored role is invalid"))?,
        firm_id: firm_id
            .map(|f| Uuid::parse_str(&f))
            .transpose()
            .map_err(AppError::internal)?,
    };
    Ok(Some(ConsoleUser {
        principal,
        username,
        csrf: row.csrf_token,
        lang,
        digest,
    }))
}

impl FromRequest for ConsoleUser {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<ConsoleUser, PageError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let lang = lang_of(req);
        let db = req.app_data::<web::Data<Db>>().cloned();
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let req = req.clone();
        Box::pin(async move {
            let (Some(db), Some(value)) = (db, cookie) else {
                return Err(PageError::SignIn);
            };
            match db.run(move |conn| resume(conn, &value, lang)).await {
                Ok(Some(user)) => {
                    mark_caller(&req, user.principal.clone());
                    Ok(user)
                }
                Ok(None) => Err(PageError::SignIn),
                Err(e) => Err(PageError::new(lang, e)),
            }
        })
    }
}
