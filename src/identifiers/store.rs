use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::gs1_identifiers;
use crate::db::DbConnection;
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = gs1_identifiers)]
pub struct IdentifierRow {
    pub id: String,
    pub firm_id: String,
    pub kind: String,
    pub gs1_key: String,
    pub chemical_id: Option<String>,
    pub warehouse: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &IdentifierRow) -> Result<(), AppError> {
    diesel::insert_into(gs1_identifiers::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Every identifier of one firm, oldest first.
pub fn for_firm(conn: &mut DbConnection, firm_id: Uuid) -> Result<Vec<IdentifierRow>, AppError> {
    Ok(gs1_identifiers::table
        .filter(gs1_identifiers::firm_id.eq(firm_id.to_string()))
        .order(gs1_identifiers::id.asc())
        .select(IdentifierRow::as_select())
        .load(conn)?)
}

/// Sites and parties of any firm with these keys: who a GLN in an event belongs to.
pub fn places(conn: &mut DbConnection, keys: &[String]) -> Result<Vec<IdentifierRow>, AppError> {
    let mut rows = Vec::new();
    for chunk in keys.chunks(1000) {
        rows.extend(
            gs1_identifiers::table
                .filter(gs1_identifiers::kind.eq_any(["site", "party"]))
                .filter(gs1_identifiers::gs1_key.eq_any(chunk))
                .select(IdentifierRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
}

/// The parties (GLNs) of these firms: how a registered counterparty is named in an event.
pub fn parties_of(
    conn: &mut DbConnection,
    firm_ids: &[String],
) -> Result<Vec<IdentifierRow>, AppError> {
    if firm_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(gs1_identifiers::table
        .filter(gs1_identifiers::kind.eq("party"))
        .filter(gs1_identifiers::firm_id.eq_any(firm_ids))
        .order(gs1_identifiers::id.asc())
        .select(IdentifierRow::as_select())
        .load(conn)?)
}
