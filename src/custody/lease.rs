//! The continuous validation's row (`continuous_validation`): which app server holds the lease
//! to validate in the background, until when, and what the last background run saw. The same
//! queries on both backends: a lease is taken by one conditional `UPDATE`, which PostgreSQL
//! and SQLite each apply to the row one writer at a time, so two servers never both hold it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    chemical_changes, chemicals, continuous_validation, customer_declarations, firms, permits,
    shipment_refusals,
};
use crate::db::DbConnection;
use crate::error::AppError;

/// The one row, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = continuous_validation)]
pub struct LeaseRow {
    pub holder: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_run_at: Option<NaiveDateTime>,
    pub last_run_id: Option<String>,
    pub seen: Option<String>,
}

pub fn read(conn: &mut DbConnection) -> Result<LeaseRow, AppError> {
    Ok(continuous_validation::table
        .filter(continuous_validation::id.eq(1))
        .select(LeaseRow::as_select())
        .first(conn)?)
}

/// Takes or keeps the lease for `holder` until `until`, if nobody else holds one that runs
/// past `now`. True when `holder` holds it afterwards.
pub fn take(
    conn: &mut DbConnection,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<bool, AppError> {
    let taken = diesel::update(
        continuous_validation::table
            .filter(continuous_validation::id.eq(1))
            .filter(
                continuous_validation::holder
                    .eq(holder)
                    .or(continuous_validation::holder.is_null())
                    .or(continuous_validation::lease_until.is_null())
                    .or(continuous_validation::lease_until.lt(now)),
            ),
    )
    .set((
        continuous_validation::holder.eq(holder),
        continuous_validation::lease_until.eq(until),
    ))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Records a background run about to start, under the lease of `holder` (nothing when the
/// lease went to another server meanwhile). True when recorded.
pub fn record_run(
    conn: &mut DbConnection,
    holder: &str,
    at: NaiveDateTime,
    until: NaiveDateTime,
    seen: &str,
) -> Result<bool, AppError> {
    let recorded = diesel::update(
        continuous_validation::table
            .filter(continuous_validation::id.eq(1))
            .filter(continuous_validation::holder.eq(holder)),
    )
    .set((
        continuous_validation::last_run_at.eq(at),
        continuous_validation::lease_until.eq(until),
        continuous_validation::seen.eq(seen),
    ))
    .execute(conn)?;
    Ok(recorded == 1)
}

/// The run that the last background run became (its id in `custody_runs`).
pub fn record_run_id(conn: &mut DbConnection, holder: &str, run_id: &str) -> Result<(), AppError> {
    diesel::update(
        continuous_validation::table
            .filter(continuous_validation::id.eq(1))
            .filter(continuous_validation::holder.eq(holder)),
    )
    .set(continuous_validation::last_run_id.eq(run_id))
    .execute(conn)?;
    Ok(())
}

/// Gives the lease up (a server that stops), so another takes over at once.
pub fn release(conn: &mut DbConnection, holder: &str) -> Result<(), AppError> {
    diesel::update(
        continuous_validation::table
            .filter(continuous_validation::id.eq(1))
            .filter(continuous_validation::holder.eq(holder)),
    )
    .set((
        continuous_validation::holder.eq(None::<String>),
        continuous_validation::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// What the validator's input is made of, in a few cheap numbers: entries (the tree's size,
/// which grows in each filing's own transaction), firms and their last change, permits, the
/// catalog and its changes, refusals, declarations. Equal fingerprints: nothing was filed and
/// no status, permit or chemical changed in between.
pub fn fingerprint(conn: &mut DbConnection) -> Result<String, AppError> {
    let entries = crate::transparency::store::tree_size(conn)?;
    let (firm_count, firms_changed): (i64, Option<NaiveDateTime>) = firms::table
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::max(firms::updated_at),
        ))
        .first(conn)?;
    let permit_count: i64 = permits::table.count().get_result(conn)?;
    let chemical_count: i64 = chemicals::table.count().get_result(conn)?;
    let change_count: i64 = chemical_changes::table.count().get_result(conn)?;
    let refusal_count: i64 = shipment_refusals::table.count().get_result(conn)?;
    let declaration_count: i64 = customer_declarations::table.count().get_result(conn)?;
    let changed = firms_changed.map(|t| t.to_string()).unwrap_or_default();
    Ok(format!(
        "entries={entries};firms={firm_count}@{changed};permits={permit_count};\
         catalog={chemical_count}+{change_count};refusals={refusal_count};\
         declarations={declaration_count}"
    ))
}
