//! Shipments on the wire: the dispatch's fields a buyer may see, and the receipt once matched.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::live::{LiveShipment, ShipmentState};
use super::store::{Loaded, Side};
use crate::custody::model::Entry;
use crate::db::DbConnection;
use crate::domain::quantity::format_thousandths;
use crate::domain::time;
use crate::error::AppError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FirmRef {
    pub id: String,
    pub name: String,
}

/// The buyer's receipt matched to a dispatch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReceiptView {
    pub entry_id: String,
    #[schema(example = "250.000")]
    pub quantity: String,
    pub received_at: DateTime<Utc>,
}

/// The buyer's refusal of a dispatch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefusalView {
    pub reason: String,
    pub refused_at: DateTime<Utc>,
}

/// One dispatch between registered firms and where it stands. A buyer sees these fields of the
/// seller's dispatch and nothing else of the seller's ledger.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShipmentView {
    /// The seller's sale entry.
    pub dispatch_id: String,
    pub seller: FirmRef,
    pub buyer: FirmRef,
    pub chemical_id: String,
    pub lot: Option<String>,
    /// As dispatched, in the chemical's unit.
    #[schema(example = "250.000")]
    pub quantity: String,
    pub shipment_ref: Option<String>,
    pub transport_permit_no: Option<String>,
    pub dispatched_at: DateTime<Utc>,
    /// `dispatched_at` plus the transit window: after it, a shipment without a receipt is overdue.
    pub due_by: DateTime<Utc>,
    /// Seconds since dispatch.
    pub age: i64,
    pub status: ShipmentState,
    /// The matched receipt (lists of the seller and of regulators).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReceiptView>,
    /// The buyer's refusal, if it refused the goods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<RefusalView>,
    /// The seller's purchase back from the buyer that returned refused goods (seller, regulator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned_by: Option<ReceiptView>,
}

/// The views of `shipments`, with the names of the firms on both ends.
pub fn render(
    conn: &mut DbConnection,
    shipments: Vec<LiveShipment>,
    loaded: &Loaded,
    side: Side,
    now: DateTime<Utc>,
) -> Result<Vec<ShipmentView>, AppError> {
    let mut ids: Vec<String> = shipments
        .iter()
        .flat_map(|s| [s.dispatch.firm_id.to_string(), s.buyer().to_string()])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names = crate::custody::store::firm_names(conn, &ids)?;
    Ok(shipments
        .into_iter()
        .map(|s| view(s, loaded, &names, side, now))
        .collect())
}

fn view(
    s: LiveShipment,
    loaded: &Loaded,
    names: &HashMap<String, String>,
    side: Side,
    now: DateTime<Utc>,
) -> ShipmentView {
    let firm = |id: &str| FirmRef {
        id: id.to_string(),
        name: names.get(id).cloned().unwrap_or_default(),
    };
    let d = &s.dispatch;
    let entry = |r: &Entry| ReceiptView {
        entry_id: r.id.to_string(),
        quantity: format_thousandths(r.quantity),
        received_at: r.occurred_at,
    };
    // The inbox shows the seller's dispatch and nothing else of the seller's ledger.
    let (receipt, returned_by) = match side {
        Side::Seller => (
            s.receipt.as_ref().map(entry),
            s.returned_by.as_ref().map(entry),
        ),
        Side::Buyer => (None, None),
    };
    let refusal = loaded.refusals.get(&*d.id).map(|r| RefusalView {
        reason: r.reason.clone(),
        refused_at: time::from_db(r.refused_at),
    });
    ShipmentView {
        dispatch_id: d.id.to_string(),
        seller: firm(&d.firm_id),
        buyer: firm(s.buyer()),
        chemical_id: d.chemical_id.to_string(),
        lot: d.lot.as_deref().map(str::to_string),
        quantity: format_thousandths(d.quantity),
        shipment_ref: d.shipment_ref.as_deref().map(str::to_string),
        transport_permit_no: d.transport_permit_no.as_deref().map(str::to_string),
        dispatched_at: d.occurred_at,
        due_by: s.due_by,
        age: s.age(now).num_seconds(),
        status: s.state,
        receipt,
        refusal,
        returned_by,
    }
}
