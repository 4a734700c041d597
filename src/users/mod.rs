//! User accounts, managed by the deployment's admin.

pub mod http;
pub mod pages;
pub mod store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{password, policy, store as auth_store, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::{time, Role};
use crate::error::{AppError, FieldError};
use crate::firms;
use crate::paging::{Page, PageOf};
use store::UserRow;

/// An account as shown to its owner and to the admin; never the password hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub firm_id: Option<Uuid>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl UserRow {
    pub fn principal(&self) -> Result<Principal, AppError> {
        let corrupt = |what: &str| AppError::internal(format!("user {} has a bad {what}", self.id));
        Ok(Principal {
            user_id: Uuid::parse_str(&self.id).map_err(|_| corrupt("id"))?,
            role: Role::parse(&self.role).ok_or_else(|| corrupt("role"))?,
            firm_id: self
                .firm_id
                .as_deref()
                .map(Uuid::parse_str)
                .transpose()
                .map_err(|_| corrupt("firm id"))?,
        })
    }

    pub fn to_user(&self) -> Result<User, AppError> {
        let who = self.principal()?;
        Ok(User {
            id: who.user_id,
            username: self.username.clone(),
            role: who.role,
            firm_id: who.firm_id,
            disabled: self.disabled,
            created_at: time::from_db(self.created_at),
        })
    }
}

/// Usernames are lower-case ASCII so that sign-in is not case-sensitive by accident.
pub fn parse_username(text: &str) -> Result<String, FieldError> {
    let name = text.trim().to_ascii_lowercase();
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if (3..=64).contains(&name.len()) && ok_chars {
        Ok(name)
    } else {
        Err(FieldError::new(
            "username",
            "invalid_username",
            "must be 3–64 characters: letters, digits, '.', '_' or '-'",
        ))
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(required = true, schema_with = username_schema)]
    pub username: String,
    /// At least 12 characters.
    #[schema(required = true, schema_with = password_schema)]
    pub password: String,
    /// admin, regulator, enterprise or association.
    #[schema(required = true, schema_with = role_schema)]
    pub role: String,
    /// Required for (and only for) enterprise users: the firm they act for.
    pub firm_id: Option<Uuid>,
}

/// A new account that passed every field check.
#[derive(Debug)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub firm_id: Option<Uuid>,
}

impl CreateUserRequest {
    pub fn parse(self) -> Result<NewUser, AppError> {
        let mut errors = Vec::new();
        let username = parse_username(&self.username)
            .map_err(|e| errors.push(e))
            .ok();
        if let Err(message) = password::check_strength(&self.password) {
            errors.push(FieldError::new("password", "weak_password", message));
        }
        let role = Role::parse(self.role.trim());
        match role {
            None => errors.push(FieldError::new(
                "role",
                "unknown_role",
                format!("must be one of {}", Role::names()),
            )),
            Some(Role::Enterprise) if self.firm_id.is_none() => errors.push(FieldError::new(
                "firm_id",
                "required",
                "an enterprise user must belong to a firm",
            )),
            Some(r) if r != Role::Enterprise && self.firm_id.is_some() => {
                errors.push(FieldError::new(
                    "firm_id",
                    "not_allowed",
                    "only enterprise users belong to a firm",
                ))
            }
            Some(_) => {}
        }
        match (username, role) {
            (Some(username), Some(role)) if errors.is_empty() => Ok(NewUser {
                username,
                password: self.password,
                role,
                firm_id: self.firm_id,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// Disable (true) or re-enable (false) the account. Disabling signs it out everywhere.
    pub disabled: Option<bool>,
    /// A new password (at least 12 characters).
    #[schema(schema_with = optional_password)]
    pub password: Option<String>,
}

/// Creates an account. Used by the admin API, the `user add` command and first start.
pub fn create_account(conn: &mut DbConnection, new: NewUser) -> Result<User, AppError> {
    let hash = password::hash(&new.password)?;
    let row = UserRow {
        id: Uuid::now_v7().to_string(),
        username: new.username,
        password_hash: hash,
        role: new.role.as_str().to_string(),
        firm_id: new.firm_id.map(|f| f.to_string()),
        disabled: false,
        created_at: time::now(),
        token_generation: 0,
    };
    write_tx(conn, |conn| {
        if let Some(firm_id) = new.firm_id {
            if !firms::store::exists(conn, firm_id)? {
                return Err(AppError::field(
                    "firm_id",
                    "unknown_firm",
                    "no firm with this id is registered",
                ));
            }
        }
        if store::find_by_username(conn, &row.username)?.is_some() {
            return Err(AppError::conflict(
                "username_taken",
                format!("the username {} is taken", row.username),
            ));
        }
        store::insert(conn, &row)
    })?;
    row.to_user()
}

pub fn create(
    conn: &mut DbConnection,
    who: &Principal,
    request: CreateUserRequest,
) -> Result<User, AppError> {
    policy::manage_users(who)?;
    create_account(conn, request.parse()?)
}

pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    page: Page,
) -> Result<PageOf<User>, AppError> {
    policy::manage_users(who)?;
    let rows = store::list(conn, page)?;
    let items = rows
        .iter()
        .map(|row| Ok((row.id.clone(), row.to_user()?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(PageOf::from_rows(
        items,
        page,
        |(id, _)| id.as_str(),
        |(_, u)| u,
    ))
}

pub fn me(conn: &mut DbConnection, who: &Principal) -> Result<User, AppError> {
    store::find(conn, who.user_id)?
        .ok_or(AppError::NotFound)?
        .to_user()
}

pub fn update(
    conn: &mut DbConnection,
    who: &Principal,
    id: Uuid,
    request: UpdateUserRequest,
) -> Result<User, AppError> {
    policy::manage_users(who)?;
    if let Some(Err(message)) = request.password.as_deref().map(password::check_strength) {
        return Err(AppError::field("password", "weak_password", message));
    }
    if request.disabled == Some(true) && id == who.user_id {
        return Err(AppError::conflict(
            "cannot_disable_self",
            "an admin cannot disable their own account",
        ));
    }
    let new_hash = request
        .password
        .as_deref()
        .map(password::hash)
        .transpose()?;
    write_tx(conn, |conn| {
        store::find(conn, id)?.ok_or(AppError::NotFound)?;
        if let Some(disabled) = request.disabled {
            store::set_disabled(conn, id, disabled)?;
        }
        if let Some(hash) = &new_hash {
            store::set_password_hash(conn, id, hash)?;
        }
        // A disabled account or a reset password ends every session of that user.
        if request.disabled == Some(true) || new_hash.is_some() {
            auth_store::revoke_all_for_user(conn, id, time::now())?;
        }
        store::find(conn, id)?.ok_or(AppError::NotFound)?.to_user()
    })
}

fn username_schema() -> utoipa::openapi::schema::Schema {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(r"^\s*[A-Za-z0-9._-]{3,64}\s*$"))
        .build()
        .into()
}

fn password_schema() -> utoipa::openapi::schema::Schema {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(crate::auth::password::MIN_PASSWORD_CHARS))
        .max_length(Some(crate::auth::password::MAX_PASSWORD_CHARS))
        .build()
        .into()
}

fn optional_password() -> utoipa::openapi::schema::Schema {
    crate::error::schema::or_null(password_schema())
}

fn role_schema() -> utoipa::openapi::schema::Schema {
    let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    crate::error::schema::one_of(&names)
}
