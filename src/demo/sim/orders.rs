//! An order waiting at its seller, and goods in transit to their buyer.

use super::event::{ShipRef, Shipper};

#[derive(Debug, Clone, Copy)]
pub(super) enum Buyer {
    Firm(u32),
    Outside(u16),
}

pub(super) struct Order {
    pub(super) buyer: Buyer,
    pub(super) chem: u16,
    pub(super) remaining: i64,
    pub(super) placed: u32,
}

pub(super) struct Arrival {
    pub(super) buyer: u32,
    pub(super) line: usize,
    pub(super) lot: u32,
    pub(super) qty: i64,
    pub(super) from: Shipper,
    pub(super) ship: ShipRef,
}
