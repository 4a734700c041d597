use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::users;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::paging::Page;

/// A stored account. Holds the password hash, so it is never serialized: responses use `User`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub firm_id: Option<String>,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    /// Moves on when every access token of the user is to end (docs/architecture.md).
    pub token_generation: i64,
}

pub fn insert(conn: &mut DbConnection, row: &UserRow) -> Result<(), AppError> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: Uuid) -> Result<Option<UserRow>, AppError> {
    Ok(users::table
        .filter(users::id.eq(id.to_string()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_username(
    conn: &mut DbConnection,
    username: &str,
) -> Result<Option<UserRow>, AppError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, AppError> {
    Ok(users::table.count().get_result(conn)?)
}

pub fn list(conn: &mut DbConnection, page: Page) -> Result<Vec<UserRow>, AppError> {
    Ok(users::table
        .filter(users::id.gt(page.after_key()))
        .order(users::id.asc())
        .limit(page.fetch_limit())
        .select(UserRow::as_select())
        .load(conn)?)
}

pub fn set_disabled(conn: &mut DbConnection, id: Uuid, disabled: bool) -> Result<(), AppError> {
    diesel::update(users::table.filter(users::id.eq(id.to_string())))
        .set(users::disabled.eq(disabled))
        .execute(conn)?;
    Ok(())
}

pub fn set_password_hash(conn: &mut DbConnection, id: Uuid, hash: &str) -> Result<(), AppError> {
    diesel::update(users::table.filter(users::id.eq(id.to_string())))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// The first enabled enterprise user of a firm (by creation), to act for it from the CLI.
pub fn first_enterprise_user(
    conn: &mut DbConnection,
    firm_id: Uuid,
) -> Result<Option<UserRow>, AppError> {
    Ok(users::table
        .filter(users::firm_id.eq(Some(firm_id.to_string())))
        .filter(users::role.eq("enterprise"))
        .filter(users::disabled.eq(false))
        .order(users::id.asc())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}
