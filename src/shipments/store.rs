//! What the live views read: the dispatches and receipts between one firm and the registered
//! firms it trades with, and every reversal (few, and any of them may cancel one of these).
//!
//! Matching pairs a dispatch only with receipts of the same seller, buyer and chemical, so these
//! entries give exactly the pairs a full validation run gives for this firm's shipments.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::custody::model::Input;
use crate::db::schema::ledger_entries as le;
use crate::db::DbConnection;
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

/// The validator's input for one firm's shipments, and what the views show beyond it.
pub struct Loaded {
    pub input: Input,
    /// Transport permit numbers of the dispatches, by entry id.
    pub transport_permits: HashMap<String, String>,
}

/// Runs inside the caller's transaction (a snapshot for a list, the filing's for a receipt).
pub fn load(conn: &mut DbConnection, firm_id: &str, side: Side) -> Result<Loaded, AppError> {
    let mut rows = match side {
        Side::Buyer => addressed_to(conn, firm_id)?,
        Side::Seller => sent_by(conn, firm_id)?,
    };
    rows.extend(reversals(conn)?);
    loaded(rows)
}

/// Sales naming the firm as buyer, and the firm's purchases from registered firms.
fn addressed_to(conn: &mut DbConnection, firm_id: &str) -> Result<Vec<LedgerRow>, AppError> {
    let dispatched = le::kind
        .eq("sale")
        .and(le::counterparty_firm_id.eq(firm_id));
    let received = le::firm_id
        .eq(firm_id)
        .and(le::kind.eq("purchase"))
        .and(le::counterparty_firm_id.is_not_null());
    Ok(le::table
        .filter(dispatched.or(received))
        .select(LedgerRow::as_select())
        .load(conn)?)
}

/// The firm's sales to registered firms, and purchases naming the firm as seller.
fn sent_by(conn: &mut DbConnection, firm_id: &str) -> Result<Vec<LedgerRow>, AppError> {
    let dispatched = le::firm_id
        .eq(firm_id)
        .and(le::kind.eq("sale"))
        .and(le::counterparty_firm_id.is_not_null());
    let received = le::kind
        .eq("purchase")
        .and(le::counterparty_firm_id.eq(firm_id));
    Ok(le::table
        .filter(dispatched.or(received))
        .select(LedgerRow::as_select())
        .load(conn)?)
}

fn reversals(conn: &mut DbConnection) -> Result<Vec<LedgerRow>, AppError> {
    Ok(le::table
        .filter(le::reverses.is_not_null())
        .select(LedgerRow::as_select())
        .load(conn)?)
}

fn loaded(rows: Vec<LedgerRow>) -> Result<Loaded, AppError> {
    let transport_permits = rows
        .iter()
        .filter(|r| r.kind == "sale")
        .filter_map(|r| Some((r.id.clone(), r.transport_permit_no.clone()?)))
        .collect();
    Ok(Loaded {
        input: Input {
            entries: crate::custody::store::entries_of(rows)?,
            ..Input::default()
        },
        transport_permits,
    })
}
