//! Finding one firm's live shipments, and the one dispatch a buyer acts on.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::live::{self, LiveShipment};
use super::store::{self, Side};
use crate::db::DbConnection;
use crate::domain::{time, CustodyRules};
use crate::error::AppError;

/// The live shipments of one firm's side of its trade, as of now.
pub(super) fn shipments_of(
    conn: &mut DbConnection,
    firm_id: &str,
    side: Side,
    rules: &CustodyRules,
    now: DateTime<Utc>,
) -> Result<(Vec<LiveShipment>, store::Loaded), AppError> {
    let loaded = store::load(conn, firm_id)?;
    let rules = CustodyRules {
        as_of: now,
        ..*rules
    };
    let mine = live::live(&loaded.input, &rules)
        .into_iter()
        .filter(|s| match side {
            Side::Buyer => s.buyer() == firm_id,
            Side::Seller => &*s.dispatch.firm_id == firm_id,
        })
        .collect();
    Ok((mine, loaded))
}

/// A dispatch addressed to the firm, in whatever state (`404` if there is none).
pub(super) fn open_or_closed(
    conn: &mut DbConnection,
    firm_id: Uuid,
    dispatch_id: Uuid,
    rules: &CustodyRules,
) -> Result<(LiveShipment, store::Loaded), AppError> {
    let now = time::from_db(time::now());
    let (shipments, loaded) = shipments_of(conn, &firm_id.to_string(), Side::Buyer, rules, now)?;
    let shipment = shipments
        .into_iter()
        .find(|s| *s.dispatch.id == *dispatch_id.to_string())
        .ok_or(AppError::NotFound)?;
    Ok((shipment, loaded))
}

/// A dispatch addressed to the firm that it has neither received nor refused: `409` otherwise,
/// naming the receipt.
pub(super) fn open_dispatch(
    conn: &mut DbConnection,
    firm_id: Uuid,
    dispatch_id: Uuid,
    rules: &CustodyRules,
) -> Result<(LiveShipment, store::Loaded), AppError> {
    let (shipment, loaded) = open_or_closed(conn, firm_id, dispatch_id, rules)?;
    if let Some(receipt) = &shipment.receipt {
        return Err(AppError::conflict(
            "already_received",
            format!(
                "this dispatch was already received: ledger entry {}",
                receipt.id
            ),
        ));
    }
    if !shipment.state.is_open() {
        return Err(AppError::conflict(
            "already_refused",
            "this dispatch was refused; the seller files the goods' return",
        ));
    }
    Ok((shipment, loaded))
}
