//! The admin's user accounts in the console: the list (paged), the form to create an account,
//! and on each row disable / enable and a new password. The same services as the API:
//! `users::list`, `create`, `update`. Disabling or a new password ends the user's sessions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::{CreateUserRequest, UpdateUserRequest, User};
use crate::activity::ActivityRow;
use crate::auth::policy;
use crate::console::form::given;
use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError, Problems};
use crate::db::{Db, DbConnection};
use crate::domain::Role;
use crate::error::{AppError, FieldError};
use crate::paging::PageQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/users")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(web::resource("/users/{user_id}/status").route(web::post().to(set_status)))
    .service(web::resource("/users/{user_id}/password").route(web::post().to(reset_password)));
}

pub use crate::console::page::role_name;

struct Row {
    id: String,
    username: String,
    role: &'static str,
    firm: String,
    disabled: bool,
    created_at: String,
    /// The problem of this row's new password, if it was just refused.
    password_problem: Option<String>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    rows: Vec<Row>,
    next_page: Option<String>,
    /// (value, name, selected)
    roles: Vec<(&'static str, &'static str, bool)>,
    form: CreateForm,
    problems: Problems,
    /// A refusal that is about no field (disabling oneself).
    problem: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    /// The firm of an enterprise user: credit code or id.
    #[serde(default)]
    firm: String,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    cursor: Option<String>,
    done: Option<String>,
}

/// What the page shows besides the list.
#[derive(Default)]
struct Outcome {
    form: CreateForm,
    problems: Problems,
    problem: Option<&'static str>,
    /// (user id, the problem of its new password)
    password_problem: Option<(String, String)>,
    notice: Option<&'static str>,
}

async fn list(
    user: ConsoleUser,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let notice = match query.done.as_deref() {
        Some("created") => Some("users_page.created"),
        Some("disabled") => Some("users_page.disabled_done"),
        Some("enabled") => Some("users_page.enabled_done"),
        Some("password") => Some("users_page.password_done"),
        _ => None,
    };
    let outcome = Outcome {
        notice,
        ..Outcome::default()
    };
    render(user, db, query.cursor, StatusCode::OK, outcome).await
}

async fn render(
    user: ConsoleUser,
    db: web::Data<Db>,
    cursor: Option<String>,
    status: StatusCode,
    outcome: Outcome,
) -> Result<HttpResponse, PageError> {
    let texts = user.texts();
    let (principal, asked) = (user.principal.clone(), cursor);
    let (users, firms) = db
        .run(move |conn| {
            let page = PageQuery {
                limit: Some("50".into()),
                cursor: asked,
            }
            .parse()?;
            let users = super::list(conn, &principal, page)?;
            let ids: Vec<String> = users
                .items
                .iter()
                .filter_map(|u| u.firm_id.map(|f| f.to_string()))
                .collect();
            Ok((users, crate::firms::store::directory(conn, &ids)?))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let rows = users
        .items
        .iter()
        .map(|u: &User| Row {
            id: u.id.to_string(),
            username: u.username.clone(),
            role: role_name(texts, u.role),
            firm: u
                .firm_id
                .and_then(|f| firms.get(&f.to_string()))
                .map(|(name, _)| name.clone())
                .unwrap_or_default(),
            disabled: u.disabled,
            created_at: local_time(u.created_at),
            password_problem: outcome
                .password_problem
                .as_ref()
                .filter(|(id, _)| *id == u.id.to_string())
                .map(|(_, p)| p.clone()),
        })
        .collect();
    let selected = outcome.form.role.clone();
    let page = UsersPage {
        chrome: user.chrome("/users"),
        rows,
        next_page: users.next_cursor,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), role_name(texts, *r), r.as_str() == selected))
            .collect(),
        form: CreateForm {
            // A password typed is never sent back.
            password: String::new(),
            ..outcome.form
        },
        problems: outcome.problems,
        problem: outcome.problem,
        notice: outcome.notice.map(|k| texts.t(k)),
    };
    Ok(html(status, &page))
}

/// The firm an enterprise user's form names, or the field's problem.
fn named_firm(conn: &mut DbConnection, text: &str) -> Result<Option<Uuid>, AppError> {
    match given(text) {
        None => Ok(None),
        Some(text) => crate::firms::identify(conn, &text)?
            .map(Some)
            .ok_or_else(|| {
                AppError::field(
                    "firm_id",
                    "unknown_firm",
                    "no firm with this id is registered",
                )
            }),
    }
}

/// The activity line of a change the page writes itself (the middleware sees no bearer token).
fn logged(req: &HttpRequest, user: &ConsoleUser, status: u16) -> ActivityRow {
    ActivityRow {
        status: i32::from(status),
        ..ActivityRow::created(req, &user.principal)
    }
}

async fn create(
    user: ConsoleUser,
    db: web::Data<Db>,
    req: HttpRequest,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let (principal, asked) = (user.principal.clone(), form.clone());
    let log = logged(&req, &user, 201);
    let outcome = db
        .run(move |conn| {
            crate::activity::together(conn, &log, |conn| {
                policy::manage_users(&principal)?;
                let request = CreateUserRequest {
                    firm_id: named_firm(conn, &asked.firm)?,
                    username: asked.username,
                    password: asked.password,
                    role: asked.role,
                };
                super::create(conn, &principal, request)
            })
        })
        .await;
    let error = match outcome {
        Ok(_) => return Ok(crate::activity::after_change("/users?done=created")),
        // A taken name is the username field's problem on this page.
        Err(AppError::Conflict {
            code: "username_taken",
            detail,
        }) => AppError::Validation(vec![FieldError::new("username", "username_taken", detail)]),
        // "Not allowed" means something else on a ledger entry: say it for this form.
        Err(AppError::Validation(errors)) => AppError::Validation(
            errors
                .into_iter()
                .map(|e| match (e.field.as_str(), e.code) {
                    ("firm_id", "not_allowed") => FieldError {
                        code: "firm_only_for_enterprise",
                        ..e
                    },
                    _ => e,
                })
                .collect(),
        ),
        Err(e) => e,
    };
    let problems = Problems::of(user.texts(), &error).ok_or_else(|| user.failed(error))?;
    let outcome = Outcome {
        form,
        problems,
        ..Outcome::default()
    };
    render(user, db, None, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusForm {
    #[serde(default)]
    csrf: String,
    /// "true" to disable, "false" to enable.
    #[serde(default)]
    disabled: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

async fn set_status(
    user: ConsoleUser,
    db: web::Data<Db>,
    id: web::Path<String>,
    req: HttpRequest,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let id = user.path_id(&id)?;
    let disabled = form.disabled == "true";
    let request = UpdateUserRequest {
        disabled: Some(disabled),
        password: None,
    };
    let done_key = if disabled { "disabled" } else { "enabled" };
    update(user, db, id, &req, request, done_key).await
}

async fn reset_password(
    user: ConsoleUser,
    db: web::Data<Db>,
    id: web::Path<String>,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    user.check_csrf(&form.csrf)?;
    let id = user.path_id(&id)?;
    let request = UpdateUserRequest {
        disabled: None,
        password: Some(form.into_inner().password),
    };
    update(user, db, id, &req, request, "password").await
}

/// Both row forms: one `update`, then the list again (with the problem on the row it is about).
async fn update(
    user: ConsoleUser,
    db: web::Data<Db>,
    id: Uuid,
    req: &HttpRequest,
    request: UpdateUserRequest,
    done_key: &str,
) -> Result<HttpResponse, PageError> {
    let principal = user.principal.clone();
    let log = logged(req, &user, 200);
    let outcome = db
        .run(move |conn| {
            crate::activity::together(conn, &log, |conn| {
                super::update(conn, &principal, id, request)
            })
        })
        .await;
    let texts = user.texts();
    let outcome = match outcome {
        Ok(_) => {
            if let Some(generations) = req.app_data::<web::Data<crate::auth::Generations>>() {
                generations.forget(id);
            }
            return Ok(crate::activity::after_change(&format!(
                "/users?done={done_key}"
            )));
        }
        Err(AppError::Conflict {
            code: "cannot_disable_self",
            ..
        }) => Outcome {
            problem: Some(texts.t("users_page.cannot_disable_self")),
            ..Outcome::default()
        },
        Err(e) => match Problems::of(texts, &e).and_then(|p| p.get("password").map(str::to_string))
        {
            Some(problem) => Outcome {
                password_problem: Some((id.to_string(), problem)),
                ..Outcome::default()
            },
            None => return Err(user.failed(e)),
        },
    };
    let status = if outcome.problem.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(user, db, None, status, outcome).await
}
