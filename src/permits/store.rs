use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{permit_chemicals, permits};
use crate::db::DbConnection;
use crate::domain::PermitKind;
use crate::error::AppError;
use crate::paging::Page;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = permits)]
pub struct PermitRow {
    pub id: String,
    pub firm_id: String,
    pub kind: String,
    pub number: String,
    pub quantity_limit: Option<i64>,
    pub valid_from: NaiveDateTime,
    pub valid_until: NaiveDateTime,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConnection,
    row: &PermitRow,
    chemical_ids: &[String],
) -> Result<(), AppError> {
    diesel::insert_into(permits::table)
        .values(row)
        .execute(conn)?;
    for chemical_id in chemical_ids {
        diesel::insert_into(permit_chemicals::table)
            .values((
                permit_chemicals::permit_id.eq(&row.id),
                permit_chemicals::chemical_id.eq(chemical_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn number_taken(
    conn: &mut DbConnection,
    kind: PermitKind,
    number: &str,
) -> Result<bool, AppError> {
    let n: i64 = permits::table
        .filter(permits::kind.eq(kind.as_str()))
        .filter(permits::number.eq(number))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn list_for_firm(
    conn: &mut DbConnection,
    firm_id: Uuid,
    page: Page,
) -> Result<Vec<PermitRow>, AppError> {
    Ok(permits::table
        .filter(permits::firm_id.eq(firm_id.to_string()))
        .filter(permits::id.gt(page.after_key()))
        .order(permits::id.asc())
        .limit(page.fetch_limit())
        .select(PermitRow::as_select())
        .load(conn)?)
}

/// Chemical ids in scope of each permit, keyed by permit id.
pub fn scopes(
    conn: &mut DbConnection,
    permit_ids: &[&str],
) -> Result<HashMap<String, Vec<String>>, AppError> {
    let pairs: Vec<(String, String)> = permit_chemicals::table
        .filter(permit_chemicals::permit_id.eq_any(permit_ids))
        .order((permit_chemicals::permit_id, permit_chemicals::chemical_id))
        .select((permit_chemicals::permit_id, permit_chemicals::chemical_id))
        .load(conn)?;
    let mut scopes: HashMap<String, Vec<String>> = HashMap::new();
    for (permit, chemical) in pairs {
        scopes.entry(permit).or_default().push(chemical);
    }
    Ok(scopes)
}
