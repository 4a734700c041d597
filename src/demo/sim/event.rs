//! The entries the simulation writes, before they have ids, seqs and hashes, and the waybill
//! numbers they carry.

use chrono::{Days, NaiveDate};

use super::super::plan::Plan;
use crate::domain::{EntryKind, Payment};

/// The lot of an entry without one.
pub const NO_LOT: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shipper {
    Firm(u32),
    Outside(u16),
}

/// A waybill number: the shipper's n-th of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShipRef {
    pub shipper: Shipper,
    pub day: u32,
    pub n: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    None,
    Firm(u32),
    Outside {
        party: u16,
        with_permit: bool,
    },
    /// One of `world::PEOPLE`.
    Person(u16),
}

/// One ledger entry before it has an id, a seq and a hash.
#[derive(Debug, Clone)]
pub struct Ev {
    /// Order of generation: breaks ties of `at` when seqs are assigned.
    pub gen: u32,
    pub kind: EntryKind,
    pub chem: u16,
    pub lot: u32,
    pub qty: i64,
    /// `occurred_at`, Unix seconds.
    pub at: i64,
    /// `recorded_at − occurred_at`, seconds.
    pub delay: u32,
    pub party: Party,
    /// How a sale or purchase was paid (other kinds record none).
    pub payment: Payment,
    pub ship: Option<ShipRef>,
    /// Name the firm's purchase permit or filing for the chemical in `permit_no`.
    pub purchase_doc: bool,
    /// Name the firm's transport document in `transport_permit_no`: its permit for categories
    /// 1 and 2, its filing for category 3.
    pub transport: bool,
    /// Name this number instead, whatever it is (INVALID_TRANSPORT_DOC).
    pub transport_no: Option<&'static str>,
    pub note: Option<&'static str>,
    /// `gen` of the entry of the same firm this one reverses.
    pub reverses: Option<u32>,
    /// Stored with a hash computed over other values (CHAIN_BROKEN).
    pub tamper: bool,
}

impl Ev {
    pub fn new(kind: EntryKind, chem: u16, lot: u32, qty: i64, at: i64) -> Ev {
        Ev {
            gen: 0,
            kind,
            chem,
            lot,
            qty,
            at,
            delay: 0,
            party: Party::None,
            payment: Payment::BankTransfer,
            ship: None,
            purchase_doc: false,
            transport: false,
            transport_no: None,
            note: None,
            reverses: None,
            tamper: false,
        }
    }
}

/// The printed waybill number: `CK0012-20250314-003` for a registered shipper (its number),
/// `JY-20250314-0003` for an outside one.
pub fn waybill_text(plan: &Plan, first_day: NaiveDate, ship: ShipRef) -> String {
    let date = (first_day + Days::new(u64::from(ship.day))).format("%Y%m%d");
    match ship.shipper {
        Shipper::Firm(f) => format!(
            "CK{:04}-{date}-{:03}",
            plan.firms.get(f as usize).map_or(0, |f| f.no),
            ship.n
        ),
        Shipper::Outside(o) => format!(
            "{}-{date}-{:04}",
            plan.outside.get(usize::from(o)).map_or("EX", |o| o.code),
            ship.n
        ),
    }
}
