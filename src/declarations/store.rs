use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::customer_declarations;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::paging::Page;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_declarations)]
pub struct DeclarationRow {
    pub id: String,
    pub firm_id: String,
    pub customer_firm_id: Option<String>,
    pub customer_name: Option<String>,
    pub customer_credit_code: Option<String>,
    pub chemical_id: String,
    pub intended_use: String,
    pub valid_from: NaiveDateTime,
    pub valid_until: NaiveDateTime,
    pub document_ref: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &DeclarationRow) -> Result<(), AppError> {
    diesel::insert_into(customer_declarations::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn list_for_firm(
    conn: &mut DbConnection,
    firm_id: Uuid,
    page: Page,
) -> Result<Vec<DeclarationRow>, AppError> {
    Ok(customer_declarations::table
        .filter(customer_declarations::firm_id.eq(firm_id.to_string()))
        .filter(customer_declarations::id.gt(page.after_key()))
        .order(customer_declarations::id.asc())
        .limit(page.fetch_limit())
        .select(DeclarationRow::as_select())
        .load(conn)?)
}
