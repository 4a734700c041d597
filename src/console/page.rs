//! The page around every console page (`Chrome`: language, user, navigation, CSRF token) and
//! the answer it goes out in: HTML with a strict Content-Security-Policy, never cached. A page's
//! error is the registry's one `AppError`, rendered as a page in the user's language.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::i18n::{Lang, Texts};
use crate::domain::Role;
use crate::error::AppError;

/// No inline script or style, nothing from elsewhere, never in a frame.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// One link of the navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What the layout shows around a page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub texts: Texts,
    /// The signed-in user's name, if any.
    pub username: Option<String>,
    pub role_label: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// Where the language toggle comes back to.
    pub path: String,
}

impl Chrome {
    /// The chrome of a signed-in page at `path`.
    pub fn signed_in(lang: Lang, username: &str, role: Role, csrf: &str, path: &str) -> Chrome {
        let texts = Texts(lang);
        let nav = nav_links(role)
            .iter()
            .map(|&(href, key)| NavItem {
                href,
                label: texts.t(key),
                current: href == path || (href != "/" && path.starts_with(&format!("{href}/"))),
            })
            .collect();
        Chrome {
            texts,
            username: Some(username.to_string()),
            role_label: texts.t(role_key(role)),
            csrf: csrf.to_string(),
            nav,
            path: path.to_string(),
        }
    }

    /// The chrome of a page before sign-in.
    pub fn anonymous(lang: Lang, path: &str, csrf: String) -> Chrome {
        Chrome {
            texts: Texts(lang),
            username: None,
            role_label: "",
            csrf,
            nav: Vec::new(),
            path: path.to_string(),
        }
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        self.texts.t(key)
    }

    pub fn lang_tag(&self) -> &'static str {
        self.texts.lang().tag()
    }

    /// The tag and name of the language the toggle switches to.
    pub fn other_lang_tag(&self) -> &'static str {
        self.texts.lang().other().tag()
    }
}

/// The pages each role's navigation offers, in order.
pub fn nav_links(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Enterprise => &[
            ("/", "nav.home"),
            ("/ledger", "nav.ledger"),
            ("/ledger/new", "nav.file"),
            ("/ledger/upload", "nav.upload"),
            ("/inventory", "nav.inventory"),
            ("/permits", "nav.permits"),
            ("/incoming", "nav.incoming"),
            ("/findings", "nav.findings"),
            ("/counterparty-check", "nav.counterparty_check"),
            ("/rules", "nav.rules"),
        ],
        Role::Regulator => &[
            ("/", "nav.dashboard"),
            ("/firms", "nav.firms"),
            ("/findings", "nav.findings"),
            ("/validations", "nav.validations"),
            ("/audits", "nav.audits"),
            ("/grades", "nav.grades"),
            ("/shipments", "nav.board"),
            ("/rules", "nav.rules"),
        ],
        Role::Association => &[
            ("/", "nav.home"),
            ("/grades", "nav.grades"),
            ("/firms", "nav.directory"),
            ("/rules", "nav.rules"),
        ],
        Role::Admin => &[
            ("/", "nav.home"),
            ("/users", "nav.users"),
            ("/activity", "nav.activity"),
            ("/rules", "nav.rules"),
        ],
    }
}

/// A role's name in the reader's language.
pub fn role_name(texts: Texts, role: Role) -> &'static str {
    texts.t(role_key(role))
}

fn role_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "role.admin",
        Role::Regulator => "role.regulator",
        Role::Enterprise => "role.enterprise",
        Role::Association => "role.association",
    }
}

pub use crate::domain::time::CHINA;

static CLOCK: std::sync::OnceLock<chrono::FixedOffset> = std::sync::OnceLock::new();

/// Sets the console's clock (`Settings::console_utc_offset`) once, at start; one process shows
/// one clock, so later servers in the same process (tests) keep the first.
pub fn set_clock(offset: chrono::FixedOffset) {
    let _ = CLOCK.set(offset);
}

/// The offset times are shown and read at: China Standard Time unless set otherwise.
pub fn clock() -> chrono::FixedOffset {
    CLOCK.get().copied().unwrap_or(CHINA)
}

/// A time as the console shows it, on its clock.
pub fn local_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&clock())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A rendered page with the console's headers.
pub fn html(status: StatusCode, template: &impl Template) -> HttpResponse {
    match template.render() {
        Ok(body) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => {
            tracing::error!(target: "precursor_registry", error = %e, "a console template failed to render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// `303 See Other` to `location` (after a form, or to the sign-in page).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: &'static str,
    message: &'static str,
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// No live session: to the sign-in page.
    SignIn,
    /// The registry's error, shown in `Lang`.
    Failed(Lang, AppError),
}

impl PageError {
    pub fn new(lang: Lang, error: AppError) -> PageError {
        PageError::Failed(lang, error)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignIn => f.write_str("sign in first"),
            PageError::Failed(_, e) => write!(f, "{e}"),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn => StatusCode::SEE_OTHER,
            PageError::Failed(_, e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (lang, error) = match self {
            PageError::SignIn => return see_other("/sign-in"),
            PageError::Failed(lang, error) => (*lang, error),
        };
        let status = error.status_code();
        let texts = Texts(lang);
        let (title, message) = match status.as_u16() {
            403 => ("error.forbidden", "error.forbidden_detail"),
            404 => ("error.not_found", "error.not_found_detail"),
            409 => ("error.conflict", "error.conflict_detail"),
            429 => ("error.too_many", "error.too_many_detail"),
            s if s < 500 => ("error.bad_request", "error.bad_request_detail"),
            _ => ("error.internal", "error.internal_detail"),
        };
        let page = ErrorPage {
            chrome: Chrome::anonymous(lang, "/", String::new()),
            title: texts.t(title),
            message: texts.t(message),
        };
        html(status, &page)
    }
}
