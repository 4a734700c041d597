//! Shipments while they move: the buyer's inbox of goods dispatched to it, the seller's list of
//! what it sent, and confirming a receipt in one step. Each view is the validator's matching
//! (`live`) over the entries of one firm's trade (`store`), never a second copy of its rules.

pub mod http;
pub mod live;
mod receipt;
pub mod store;
mod views;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{policy, Principal};
use crate::db::DbConnection;
use crate::domain::{time, CustodyRules};
use crate::error::AppError;
use crate::paging::{Page, PageOf};
use live::{LiveShipment, ShipmentState};
pub use receipt::{confirm_receipt, ReceiptConfirmation, ReceiptRequest};
use store::Side;
pub use views::{FirmRef, ReceiptView, ShipmentView};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// Incoming: awaiting, overdue or all (default). Outgoing: awaiting_receipt (or awaiting),
    /// overdue, received, quantity_differs or all (default).
    pub status: Option<String>,
}

/// Which states a list shows.
fn wanted(side: Side, asked: Option<&str>) -> Result<Vec<ShipmentState>, AppError> {
    use ShipmentState::*;
    let open = vec![Awaiting, Overdue];
    let all = match side {
        Side::Buyer => open.clone(),
        Side::Seller => vec![Awaiting, Overdue, Received, QuantityDiffers],
    };
    let picked = match (side, asked.map(str::trim).unwrap_or("")) {
        (_, "" | "all") => all,
        (_, "awaiting") | (Side::Seller, "awaiting_receipt") => vec![Awaiting],
        (_, "overdue") => vec![Overdue],
        (Side::Seller, "received") => vec![Received],
        (Side::Seller, "quantity_differs") => vec![QuantityDiffers],
        _ => {
            let allowed = match side {
                Side::Buyer => "awaiting, overdue or all",
                Side::Seller => "awaiting_receipt, overdue, received, quantity_differs or all",
            };
            return Err(AppError::field(
                "status",
                "unknown_status",
                format!("must be {allowed}"),
            ));
        }
    };
    Ok(picked)
}

/// The live shipments of one firm's side of its trade, as of now.
fn shipments_of(
    conn: &mut DbConnection,
    firm_id: &str,
    side: Side,
    rules: &CustodyRules,
    now: DateTime<Utc>,
) -> Result<(Vec<LiveShipment>, store::Loaded), AppError> {
    let loaded = store::load(conn, firm_id, side)?;
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

/// `GET /firms/{id}/incoming` and `GET /firms/{id}/outgoing` (own enterprise, regulator).
pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    side: Side,
    query: &StatusQuery,
    page: Page,
    rules: &CustodyRules,
) -> Result<PageOf<ShipmentView>, AppError> {
    policy::read_firm_records(who, firm_id)?;
    let states = wanted(side, query.status.as_deref())?;
    crate::firms::require(conn, firm_id)?;
    let now = time::from_db(time::now());
    let (shipments, loaded) = crate::db::read_snapshot(conn, |conn| {
        shipments_of(conn, &firm_id.to_string(), side, rules, now)
    })?;
    let mut picked: Vec<LiveShipment> = shipments
        .into_iter()
        .filter(|s| states.contains(&s.state))
        .filter(|s| {
            page.after
                .is_none_or(|after| *s.dispatch.id > *after.to_string())
        })
        .collect();
    picked.sort_by(|a, b| a.dispatch.id.cmp(&b.dispatch.id));
    picked.truncate(page.fetch_limit() as usize);
    let views = views::render(conn, picked, &loaded, side, now)?;
    Ok(PageOf::from_rows(views, page, |v| &v.dispatch_id, |v| v))
}

#[cfg(test)]
mod tests;
