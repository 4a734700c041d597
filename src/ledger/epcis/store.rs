use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::epcis_events;
use crate::db::DbConnection;
use crate::error::AppError;

/// One entry filed from an event (or one reversal its error declaration made).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = epcis_events, treat_none_as_default_value = false)]
pub struct EventRow {
    pub firm_id: String,
    pub event_id: String,
    pub declared_error: bool,
    pub element: i32,
    pub entry_id: String,
}

pub fn insert(conn: &mut DbConnection, rows: &[EventRow]) -> Result<(), AppError> {
    // Multi-row INSERTs don't go through the backend enum; each backend runs the same statement.
    for chunk in rows.chunks(500) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(epcis_events::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(epcis_events::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}

/// What the firm filed already from these events.
pub fn filed(
    conn: &mut DbConnection,
    firm_id: Uuid,
    event_ids: &[String],
) -> Result<Vec<EventRow>, AppError> {
    let mut out = Vec::new();
    for chunk in event_ids.chunks(500) {
        out.extend(
            epcis_events::table
                .filter(epcis_events::firm_id.eq(firm_id.to_string()))
                .filter(epcis_events::event_id.eq_any(chunk))
                .order((epcis_events::event_id, epcis_events::element))
                .select(EventRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}
