//! Where every shipment between registered firms stands right now: the validator's own matching
//! (`custody::validator::shipments`), read as states a buyer, a seller and a regulator act on.
//! Pure: no I/O.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::custody::model::{Entry, Input, Party};
use crate::custody::validator::shipments;
use crate::domain::CustodyRules;

/// The state of one dispatch (a sale to a registered firm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentState {
    /// No matching receipt yet, still within the transit window.
    Awaiting,
    /// No matching receipt, and the transit window has passed.
    Overdue,
    /// A matching receipt of the same quantity (within tolerance).
    Received,
    /// A matching receipt of a different quantity.
    QuantityDiffers,
    /// The buyer refused it; the seller has not filed the goods' return yet.
    Refused,
    /// Refused, and the goods are back with the seller.
    Returned,
}

impl ShipmentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentState::Awaiting => "awaiting",
            ShipmentState::Overdue => "overdue",
            ShipmentState::Received => "received",
            ShipmentState::QuantityDiffers => "quantity_differs",
            ShipmentState::Refused => "refused",
            ShipmentState::Returned => "returned",
        }
    }

    pub const ALL: [ShipmentState; 6] = [
        ShipmentState::Awaiting,
        ShipmentState::Overdue,
        ShipmentState::Received,
        ShipmentState::QuantityDiffers,
        ShipmentState::Refused,
        ShipmentState::Returned,
    ];

    pub fn parse(text: &str) -> Option<ShipmentState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Still on the road as far as the registry knows.
    pub fn is_open(self) -> bool {
        matches!(self, ShipmentState::Awaiting | ShipmentState::Overdue)
    }
}

/// One dispatch with the receipt matched to it, if any.
#[derive(Debug, Clone)]
pub struct LiveShipment {
    pub dispatch: Entry,
    pub receipt: Option<Entry>,
    pub state: ShipmentState,
    /// When the transit window closes.
    pub due_by: DateTime<Utc>,
    /// The seller's purchase back from the buyer, for refused goods that returned.
    pub returned_by: Option<Entry>,
}

impl LiveShipment {
    /// The registered firm the goods were sent to.
    pub fn buyer(&self) -> &str {
        match &self.dispatch.counterparty {
            Some(Party::Registered(buyer)) => buyer,
            _ => "",
        }
    }

    /// How long ago the goods were dispatched (zero if dispatched in the future of `now`).
    pub fn age(&self, now: DateTime<Utc>) -> Duration {
        (now - self.dispatch.occurred_at).max(Duration::zero())
    }
}

/// Every dispatch counted as of `rules.as_of`, in the order matching gives, with its state then.
/// Receipts nobody dispatched are the validator's business (UNMATCHED_RECEIPT), not a shipment.
pub fn live(input: &Input, rules: &CustodyRules) -> Vec<LiveShipment> {
    shipments(input, rules)
        .into_iter()
        .filter_map(|s| {
            let dispatch = s.dispatch?;
            let due_by = dispatch.occurred_at + rules.transit_window;
            let state = match (&s.receipt, s.refused_at, &s.returned_by) {
                (Some(r), _, _) if rules.agree(dispatch.quantity, r.quantity) => {
                    ShipmentState::Received
                }
                (Some(_), _, _) => ShipmentState::QuantityDiffers,
                (None, Some(_), Some(_)) => ShipmentState::Returned,
                (None, Some(_), None) => ShipmentState::Refused,
                (None, None, _) if rules.as_of > due_by => ShipmentState::Overdue,
                (None, None, _) => ShipmentState::Awaiting,
            };
            Some(LiveShipment {
                dispatch,
                receipt: s.receipt,
                state,
                due_by,
                returned_by: s.returned_by,
            })
        })
        .collect()
}
