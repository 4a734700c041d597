//! What the live views read: the dispatches and receipts between one firm and the registered
//! firms it trades with (both directions: refused goods come back as the seller's purchase),
//! every reversal (few, and any of them may cancel one of these), and the buyers' refusals.
//!
//! Matching pairs a dispatch only with receipts of the same seller, buyer and chemical, so these
//! entries give exactly the pairs a full validation run gives for this firm's shipments.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::custody::model::{Input, Refusal};
use crate::db::schema::{firms, ledger_entries as le, shipment_refusals as refusals};
use crate::db::DbConnection;
use crate::domain::time;
use crate::error::AppError;
use crate::ledger::LedgerRow;

/// Which end of its shipments a firm is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Goods sent to the firm (its inbox).
    Buyer,
    /// Goods the firm sent (its outgoing list).
    Seller,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refusals)]
pub struct RefusalRow {
    pub id: String,
    pub dispatch_entry_id: String,
    pub seller_firm_id: String,
    pub buyer_firm_id: String,
    pub reason: String,
    pub refused_by: String,
    pub refused_at: NaiveDateTime,
}

/// The validator's input for one firm's shipments, and what the views show beyond it.
pub struct Loaded {
    pub input: Input,
    /// Refusals by dispatch id.
    pub refusals: HashMap<String, RefusalRow>,
}

/// How many firm ids one `IN (…)` list binds.
const PARTY_CHUNK: usize = 1000;

/// Runs inside the caller's transaction (a snapshot for a list, the filing's for a receipt).
pub fn load(conn: &mut DbConnection, firm_id: &str) -> Result<Loaded, AppError> {
    let mut rows: Vec<LedgerRow> = le::table
        .filter(le::kind.eq_any(["sale", "purchase"]))
        .filter(
            le::firm_id
                .eq(firm_id)
                .or(le::counterparty_firm_id.eq(firm_id)),
        )
        .filter(le::counterparty_firm_id.is_not_null())
        .select(LedgerRow::as_select())
        .load(conn)?;
    // A reversal is filed by the firm whose entry it reverses: only the reversals of the firms
    // in these shipments can concern them (not every reversal of the country).
    let parties: Vec<String> = rows
        .iter()
        .flat_map(|r| std::iter::once(r.firm_id.clone()).chain(r.counterparty_firm_id.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for chunk in parties.chunks(PARTY_CHUNK) {
        rows.extend(
            le::table
                .filter(le::firm_id.eq_any(chunk))
                .filter(le::reverses.is_not_null())
                .select(LedgerRow::as_select())
                .load(conn)?,
        );
    }
    let refused: Vec<RefusalRow> = refusals::table
        .filter(
            refusals::seller_firm_id
                .eq(firm_id)
                .or(refusals::buyer_firm_id.eq(firm_id)),
        )
        .select(RefusalRow::as_select())
        .load(conn)?;
    loaded(rows, refused)
}

/// Every shipment between registered firms, for the regulators' board.
pub fn load_all(conn: &mut DbConnection) -> Result<Loaded, AppError> {
    let rows: Vec<LedgerRow> = le::table
        .filter(
            le::kind
                .eq_any(["sale", "purchase"])
                .and(le::counterparty_firm_id.is_not_null())
                .or(le::reverses.is_not_null()),
        )
        .select(LedgerRow::as_select())
        .load(conn)?;
    let refused: Vec<RefusalRow> = refusals::table.select(RefusalRow::as_select()).load(conn)?;
    loaded(rows, refused)
}

/// Each firm's region code, by firm id.
pub fn firm_regions(conn: &mut DbConnection) -> Result<HashMap<String, String>, AppError> {
    let rows: Vec<(String, String)> = firms::table
        .select((firms::id, firms::region_code))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

pub fn insert_refusal(conn: &mut DbConnection, row: &RefusalRow) -> Result<(), AppError> {
    diesel::insert_into(refusals::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

fn loaded(rows: Vec<LedgerRow>, refused: Vec<RefusalRow>) -> Result<Loaded, AppError> {
    let input = Input {
        entries: crate::custody::store::entries_of(rows)?,
        refusals: refused
            .iter()
            .map(|r| Refusal {
                dispatch_id: r.dispatch_entry_id.clone().into_boxed_str(),
                refused_at: time::from_db(r.refused_at),
            })
            .collect(),
        ..Input::default()
    };
    Ok(Loaded {
        input,
        refusals: refused
            .into_iter()
            .map(|r| (r.dispatch_entry_id.clone(), r))
            .collect(),
    })
}
