//! Refresh tokens, console sessions and failed sign-ins.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{console_sessions, login_failures, refresh_tokens, users};
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: String,
    pub user_id: String,
    /// Tokens rotated from one sign-in share a family; reuse of an old one revokes the family.
    pub family_id: String,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert_refresh_token(
    conn: &mut DbConnection,
    row: &RefreshTokenRow,
) -> Result<(), AppError> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<RefreshTokenRow>, AppError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a token used if, and only if, it is still unused and unrevoked. Returns whether this
/// call was the one that used it, so two concurrent refreshes cannot both succeed.
pub fn use_refresh_token(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    let changed = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(id))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn revoke_family(
    conn: &mut DbConnection,
    family_id: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}

/// A user's token generation and whether the account is disabled (`None`: no such user).
pub fn token_state(
    conn: &mut DbConnection,
    user_id: Uuid,
) -> Result<Option<(i64, bool)>, AppError> {
    Ok(users::table
        .filter(users::id.eq(user_id.to_string()))
        .select((users::token_generation, users::disabled))
        .first(conn)
        .optional()?)
}

/// Ends every access token of the user: the generation they name is no longer its.
pub fn end_access_tokens(conn: &mut DbConnection, user_id: Uuid) -> Result<(), AppError> {
    diesel::update(users::table.filter(users::id.eq(user_id.to_string())))
        .set(users::token_generation.eq(users::token_generation + 1))
        .execute(conn)?;
    Ok(())
}

/// Ends every refresh token, console session and access token of the user.
pub fn revoke_all_for_user(
    conn: &mut DbConnection,
    user_id: Uuid,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    end_access_tokens(conn, user_id)?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id.to_string()))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(at)))
    .execute(conn)?;
    // The console's sessions too: a reset password signs the user out of every browser.
    diesel::update(
        console_sessions::table
            .filter(console_sessions::user_id.eq(user_id.to_string()))
            .filter(console_sessions::ended_at.is_null()),
    )
    .set(console_sessions::ended_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}

/// Serializes the sign-in throttle's read-then-write (SQLite's write transaction already does).
pub fn lock_throttle(conn: &mut DbConnection) -> Result<(), AppError> {
    if let DbConnection::Postgres(c) = conn {
        // One lock for every sign-in's count: sign-ins are rare, their counts must be exact.
        diesel::sql_query("SELECT pg_advisory_xact_lock(7242016)").execute(c)?;
    }
    Ok(())
}

/// Forgets every failure older than `before` (any key), so that the table holds one window.
pub fn prune_failures(conn: &mut DbConnection, before: NaiveDateTime) -> Result<(), AppError> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(before)))
        .execute(conn)?;
    Ok(())
}

/// Records a sign-in attempt under `key` as failed until it succeeds; its row's id.
pub fn record_failure(
    conn: &mut DbConnection,
    key: &str,
    at: NaiveDateTime,
) -> Result<String, AppError> {
    let id = Uuid::now_v7().to_string();
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::id.eq(&id),
            login_failures::username.eq(key),
            login_failures::failed_at.eq(at),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Takes back attempts that succeeded.
pub fn forget_failures(conn: &mut DbConnection, ids: &[String]) -> Result<(), AppError> {
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(ids))).execute(conn)?;
    Ok(())
}

/// Times of the failed sign-ins under `key` since `since`, newest first.
pub fn recent_failures(
    conn: &mut DbConnection,
    key: &str,
    since: NaiveDateTime,
) -> Result<Vec<NaiveDateTime>, AppError> {
    Ok(login_failures::table
        .filter(login_failures::username.eq(key))
        .filter(login_failures::failed_at.gt(since))
        .order(login_failures::failed_at.desc())
        .select(login_failures::failed_at)
        .load(conn)?)
}

pub fn clear_failures(conn: &mut DbConnection, username: &str) -> Result<(), AppError> {
    diesel::delete(login_failures::table.filter(login_failures::username.eq(username)))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = console_sessions)]
pub struct ConsoleSessionRow {
    /// SHA-256 of the cookie's value.
    pub id: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

/// A live console session with what its user is now: (session, username, role, firm id,
/// disabled).
pub type ActiveSession = (ConsoleSessionRow, String, String, Option<String>, bool);

pub fn insert_console_session(
    conn: &mut DbConnection,
    row: &ConsoleSessionRow,
) -> Result<(), AppError> {
    diesel::insert_into(console_sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The session with this digest, unless it ended, with its user as the users table has it now.
pub fn find_console_session(
    conn: &mut DbConnection,
    digest: &str,
) -> Result<Option<ActiveSession>, AppError> {
    Ok(console_sessions::table
        .inner_join(users::table)
        .filter(console_sessions::id.eq(digest))
        .filter(console_sessions::ended_at.is_null())
        .select((
            ConsoleSessionRow::as_select(),
            users::username,
            users::role,
            users::firm_id,
            users::disabled,
        ))
        .first(conn)
        .optional()?)
}

pub fn touch_console_session(
    conn: &mut DbConnection,
    digest: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(console_sessions::table.filter(console_sessions::id.eq(digest)))
        .set(console_sessions::last_seen_at.eq(at))
        .execute(conn)?;
    Ok(())
}

pub fn end_console_session(
    conn: &mut DbConnection,
    digest: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(
        console_sessions::table
            .filter(console_sessions::id.eq(digest))
            .filter(console_sessions::ended_at.is_null()),
    )
    .set(console_sessions::ended_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}
