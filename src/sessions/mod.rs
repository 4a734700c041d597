//! Sessions: sign-in, token refresh with rotation, sign-out. Above `users` (it looks the
//! account up) and `auth` (it issues the tokens the extractor checks).

pub mod http;
pub mod pages;

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::token::{self, TokenKeys, ACCESS_TOKEN_SECONDS, REFRESH_TOKEN_DAYS};
use crate::auth::{password, store, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::time;
use crate::error::AppError;
use crate::users;

/// Failed sign-ins allowed per username within [`LOCKOUT_WINDOW_MINUTES`].
pub const MAX_FAILED_LOGINS: usize = 5;
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LogoutRequest {
    /// The session to end; without it every session of the caller ends.
    pub refresh_token: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Always "Bearer".
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
}

fn invalid_credentials() -> AppError {
    AppError::unauthenticated("invalid_credentials", "the username or password is wrong")
}

fn account_disabled() -> AppError {
    AppError::unauthenticated(
        "account_disabled",
        "this account is disabled; ask the administrator",
    )
}

fn invalid_refresh() -> AppError {
    AppError::unauthenticated(
        "invalid_refresh_token",
        "the refresh token is invalid, expired or already used; sign in again",
    )
}

/// Refuses a sign-in when the username has failed too often recently; says when to retry.
fn check_lockout(
    conn: &mut DbConnection,
    username: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let window = Duration::minutes(LOCKOUT_WINDOW_MINUTES);
    let failures = store::recent_failures(conn, username, now - window)?;
    if failures.len() < MAX_FAILED_LOGINS {
        return Ok(());
    }
    // Sign-in opens again when the oldest of the last MAX failures leaves the window.
    let reopens = failures[MAX_FAILED_LOGINS - 1] + window;
    let retry_after_secs = (reopens - now).num_seconds().max(1) as u64;
    Err(AppError::TooManyRequests { retry_after_secs })
}

pub fn login(
    conn: &mut DbConnection,
    keys: &TokenKeys,
    request: LoginRequest,
) -> Result<TokenPair, AppError> {
    let (username, principal) = check_credentials(conn, &request.username, &request.password)?;
    let now = time::now();
    write_tx(conn, |conn| {
        store::clear_failures(conn, &username)?;
        issue_pair(conn, keys, &principal, &Uuid::now_v7().to_string(), now)
    })
}

/// A sign-in's check, for the API and the console alike: throttled per username (`429`), the
/// same work for an unknown username, a disabled account refused. Gives the normalized username
/// (whose failures the caller clears with what it issues) and who signed in.
pub fn check_credentials(
    conn: &mut DbConnection,
    username: &str,
    password: &str,
) -> Result<(String, Principal), AppError> {
    let now = time::now();
    let username = username.trim().to_ascii_lowercase();
    if username.is_empty() || password.is_empty() {
        return Err(invalid_credentials());
    }
    check_lockout(conn, &username, now)?;
    // The hash check runs outside any transaction: it is slow on purpose and must not hold locks.
    let user = users::store::find_by_username(conn, &username)?;
    let verified = match &user {
        Some(row) => password::verify(password, &row.password_hash),
        None => {
            password::verify_against_dummy(password);
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        store::record_failure(
            conn,
            &username,
            now,
            now - Duration::minutes(LOCKOUT_WINDOW_MINUTES),
        )?;
        return Err(invalid_credentials());
    };
    if user.disabled {
        return Err(account_disabled());
    }
    let principal = user.principal()?;
    Ok((username, principal))
}

fn issue_pair(
    conn: &mut DbConnection,
    keys: &TokenKeys,
    who: &Principal,
    family_id: &str,
    now: NaiveDateTime,
) -> Result<TokenPair, AppError> {
    let refresh_token = token::new_refresh_token()?;
    store::insert_refresh_token(
        conn,
        &store::RefreshTokenRow {
            id: Uuid::now_v7().to_string(),
            user_id: who.user_id.to_string(),
            family_id: family_id.to_string(),
            token_hash: token::refresh_token_digest(&refresh_token),
            expires_at: now + Duration::days(REFRESH_TOKEN_DAYS),
            used_at: None,
            revoked_at: None,
            created_at: now,
        },
    )?;
    let (generation, _) = store::token_state(conn, who.user_id)?.unwrap_or((0, false));
    Ok(TokenPair {
        access_token: keys.issue_access(who, generation)?,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_SECONDS,
        refresh_token,
    })
}

enum Refreshed {
    Pair(TokenPair),
    /// An already used or revoked token came back: its family was revoked (committed).
    Reused,
    Refused(AppError),
}

pub fn refresh(
    conn: &mut DbConnection,
    keys: &TokenKeys,
    request: RefreshRequest,
) -> Result<TokenPair, AppError> {
    let now = time::now();
    let digest = token::refresh_token_digest(request.refresh_token.trim());
    let outcome = write_tx(conn, |conn| {
        let Some(row) = store::find_refresh_token(conn, &digest)? else {
            return Ok(Refreshed::Refused(invalid_refresh()));
        };
        if row.revoked_at.is_some() || !store::use_refresh_token(conn, &row.id, now)? {
            // A used token presented again means it was copied: end the whole session.
            store::revoke_family(conn, &row.family_id, now)?;
            return Ok(Refreshed::Reused);
        }
        if row.expires_at <= now {
            return Ok(Refreshed::Refused(invalid_refresh()));
        }
        let user_id = Uuid::parse_str(&row.user_id).map_err(AppError::internal)?;
        let user = users::store::find(conn, user_id)?.ok_or_else(invalid_refresh)?;
        if user.disabled {
            return Ok(Refreshed::Refused(account_disabled()));
        }
        issue_pair(conn, keys, &user.principal()?, &row.family_id, now).map(Refreshed::Pair)
    })?;
    match outcome {
        Refreshed::Pair(pair) => Ok(pair),
        Refreshed::Reused => Err(invalid_refresh()),
        Refreshed::Refused(err) => Err(err),
    }
}

pub fn logout(
    conn: &mut DbConnection,
    who: &Principal,
    request: LogoutRequest,
) -> Result<(), AppError> {
    let now = time::now();
    write_tx(conn, |conn| {
        match request.refresh_token.as_deref().map(str::trim) {
            Some(token) if !token.is_empty() => {
                let digest = token::refresh_token_digest(token);
                match store::find_refresh_token(conn, &digest)? {
                    // Someone else's token is not the caller's to revoke; say nothing about it.
                    Some(row) if row.user_id == who.user_id.to_string() => {
                        store::revoke_family(conn, &row.family_id, now)?;
                    }
                    _ => {}
                }
                // Signing out ends the user's access tokens too (every device's: they share
                // the generation); its other refresh families may sign in again.
                store::end_access_tokens(conn, who.user_id)
            }
            _ => store::revoke_all_for_user(conn, who.user_id, now),
        }
    })
}
