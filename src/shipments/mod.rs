//! Shipments while they move: the buyer's inbox of goods dispatched to it, the seller's list of
//! what it sent, and confirming a receipt in one step. Each view is the validator's matching
//! (`live`) over the entries of one firm's trade (`store`), never a second copy of its rules.

pub mod board;
pub mod http;
pub mod live;
mod lookup;
pub mod pages;
mod receipt;
mod refusal;
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
pub use refusal::{refuse, RefusalRequest};
use store::Side;
pub use views::{FirmRef, ReceiptView, RefusalView, ShipmentView};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// Incoming: awaiting, overdue, refused or all (default). Outgoing: awaiting_receipt (or
    /// awaiting), overdue, received, quantity_differs, refused, returned or all (default).
    pub status: Option<String>,
}

/// `StatusQuery` as the buyer's inbox reads it (for the OpenAPI document).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct IncomingQuery {
    /// awaiting, overdue, refused or all (default).
    #[param(schema_with = incoming_status)]
    status: Option<String>,
}

/// `StatusQuery` as the seller's list reads it (for the OpenAPI document).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct OutgoingQuery {
    /// awaiting_receipt (or awaiting), overdue, received, quantity_differs, refused, returned or
    /// all (default).
    #[param(schema_with = outgoing_status)]
    status: Option<String>,
}

fn incoming_status() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&["awaiting", "overdue", "refused", "all"])
}

fn outgoing_status() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&[
        "awaiting_receipt",
        "awaiting",
        "overdue",
        "received",
        "quantity_differs",
        "refused",
        "returned",
        "all",
    ])
}

/// Which states a list shows. The inbox holds what the buyer has not received; the seller's
/// list holds everything it sent.
fn wanted(side: Side, asked: Option<&str>) -> Result<Vec<ShipmentState>, AppError> {
    use ShipmentState::*;
    let (all, names): (&[ShipmentState], &str) = match side {
        Side::Buyer => (
            &[Awaiting, Overdue, Refused],
            "awaiting, overdue, refused or all",
        ),
        Side::Seller => (
            &[
                Awaiting,
                Overdue,
                Received,
                QuantityDiffers,
                Refused,
                Returned,
            ],
            "awaiting_receipt, overdue, received, quantity_differs, refused, returned or all",
        ),
    };
    let asked = asked.map(str::trim).unwrap_or("");
    let asked = if side == Side::Seller && asked == "awaiting_receipt" {
        "awaiting"
    } else {
        asked
    };
    match asked {
        "" | "all" => Ok(all.to_vec()),
        name => all
            .iter()
            .find(|s| s.as_str() == name)
            .map(|s| vec![*s])
            .ok_or_else(|| AppError::field("status", "unknown_status", format!("must be {names}"))),
    }
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
        lookup::shipments_of(conn, &firm_id.to_string(), side, rules, now)
    })?;
    let mut picked: Vec<LiveShipment> = shipments
        .into_iter()
        .filter(|s| states.contains(&s.state))
        .filter(|s| {
            page.after
                .is_none_or(|after| *s.dispatch.id < *after.to_string())
        })
        .collect();
    // Newest dispatch first (ids are UUIDv7, so in filing order).
    picked.sort_by(|a, b| b.dispatch.id.cmp(&a.dispatch.id));
    picked.truncate(page.fetch_limit() as usize);
    let views = views::render(conn, picked, &loaded, side, now)?;
    Ok(PageOf::from_rows(views, page, |v| &v.dispatch_id, |v| v))
}

/// Some of one firm's live shipments, as that side sees them as of `now`: the lists' own
/// matching and views, for what the alerts slice sends. Runs in the caller's transaction.
pub fn views_of(
    conn: &mut DbConnection,
    firm_id: &str,
    side: Side,
    dispatch_ids: &[String],
    rules: &CustodyRules,
    now: DateTime<Utc>,
) -> Result<Vec<ShipmentView>, AppError> {
    let (shipments, loaded) = lookup::shipments_of(conn, firm_id, side, rules, now)?;
    let picked = shipments
        .into_iter()
        .filter(|s| dispatch_ids.iter().any(|id| **id == *s.dispatch.id))
        .collect();
    views::render(conn, picked, &loaded, side, now)
}

#[cfg(test)]
mod tests;
