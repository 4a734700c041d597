//! Sessions: sign-in, token refresh with rotation, sign-out. Above `users` (it looks the
//! account up) and `auth` (it issues the tokens the extractor checks).

pub mod http;
pub mod pages;

use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::token::{self, TokenKeys, ACCESS_TOKEN_SECONDS, REFRESH_TOKEN_DAYS};
use crate::auth::{password, store, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::time;
use crate::error::AppError;
use crate::users;

/// Failed sign-ins allowed per username within [`LOCKOUT_WINDOW_MINUTES`] (from addresses that
/// have been failing).
pub const MAX_FAILED_LOGINS: usize = 5;
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
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

/// Failed sign-ins allowed from one client address, whatever the usernames, within the window.
pub const MAX_ADDRESS_FAILURES: usize = 30;
/// Longest password verified (a longer one is refused without hashing it).
const MAX_PASSWORD_BYTES: usize = 1024;

/// The keys a sign-in is counted under: the username's digest (a fixed length, whatever was
/// sent) and the client's address.
struct Throttle {
    user: String,
    address: String,
}

impl Throttle {
    fn new(username: &str, address: IpAddr) -> Throttle {
        let digest = hex::encode(Sha256::digest(username.as_bytes()));
        Throttle {
            user: format!("user:{}", &digest[..32]),
            address: format!("addr:{address}"),
        }
    }

    /// Counts one attempt as failed until it succeeds, or refuses it with when to retry: an
    /// address that failed too often waits; a username that failed too often is closed to every
    /// address that has been failing, while the right password still passes from one that has
    /// not. The count and the record are one serialized step, so parallel attempts lock after
    /// exactly the limit. The ids of the rows to take back on success.
    fn reserve(
        &self,
        conn: &mut DbConnection,
        now: NaiveDateTime,
    ) -> Result<Vec<String>, AppError> {
        let window = Duration::minutes(LOCKOUT_WINDOW_MINUTES);
        write_tx(conn, |conn| {
            store::lock_throttle(conn)?;
            store::prune_failures(conn, now - window)?;
            let by_address = store::recent_failures(conn, &self.address, now - window)?;
            if by_address.len() >= MAX_ADDRESS_FAILURES {
                return Err(locked(&by_address, MAX_ADDRESS_FAILURES, now));
            }
            let by_user = store::recent_failures(conn, &self.user, now - window)?;
            if by_user.len() >= MAX_FAILED_LOGINS && !by_address.is_empty() {
                return Err(locked(&by_user, MAX_FAILED_LOGINS, now));
            }
            Ok(vec![
                store::record_failure(conn, &self.user, now)?,
                store::record_failure(conn, &self.address, now)?,
            ])
        })
    }
}

/// `429` until the oldest of the last `max` failures (newest first) leaves the window.
fn locked(failures: &[NaiveDateTime], max: usize, now: NaiveDateTime) -> AppError {
    let reopens = failures[max - 1] + Duration::minutes(LOCKOUT_WINDOW_MINUTES);
    let retry_after_secs = (reopens - now).num_seconds().max(1) as u64;
    AppError::TooManyRequests { retry_after_secs }
}

pub fn login(
    conn: &mut DbConnection,
    keys: &TokenKeys,
    request: LoginRequest,
    address: IpAddr,
) -> Result<TokenPair, AppError> {
    let (_, principal) = check_credentials(conn, &request.username, &request.password, address)?;
    let now = time::now();
    write_tx(conn, |conn| {
        issue_pair(conn, keys, &principal, &Uuid::now_v7().to_string(), now)
    })
}

/// A sign-in's check, for the API and the console alike: throttled by username and by client
/// address (`429`), the same work for an unknown username, and a disabled account answered
/// exactly as a wrong password. Gives the normalized username and who signed in; a success
/// clears the username's failures.
pub fn check_credentials(
    conn: &mut DbConnection,
    username: &str,
    password: &str,
    address: IpAddr,
) -> Result<(String, Principal), AppError> {
    let now = time::now();
    let username = username.trim().to_ascii_lowercase();
    if username.is_empty() || password.is_empty() {
        return Err(invalid_credentials());
    }
    let throttle = Throttle::new(&username, address);
    let attempt = throttle.reserve(conn, now)?;
    // The hash check runs outside any transaction: it is slow on purpose and must not hold locks.
    let user = match username.len() <= 64 && password.len() <= MAX_PASSWORD_BYTES {
        true => users::store::find_by_username(conn, &username)?,
        false => None,
    };
    let verified = match &user {
        Some(row) => password::verify(password, &row.password_hash),
        None => {
            let checked = if password.len() <= MAX_PASSWORD_BYTES {
                password
            } else {
                ""
            };
            password::verify_against_dummy(checked);
            false
        }
    };
    // The attempt stays a failure unless the password is right and the account enabled.
    let Some(user) = user.filter(|u| verified && !u.disabled) else {
        return Err(invalid_credentials());
    };
    let principal = user.principal()?;
    write_tx(conn, |conn| {
        store::forget_failures(conn, &attempt)?;
        store::clear_failures(conn, &throttle.user)
    })?;
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
