//! What the plan is made of: the traded chemicals, the firms with their lines and documents,
//! the permits and the outside parties.

use uuid::Uuid;

use super::super::world::ChemSpec;
use crate::domain::{Activity, PermitKind};

/// A catalog chemical the demo trades.
pub struct Chem {
    pub id: String,
    pub name: String,
    pub category: u8,
    pub spec: &'static ChemSpec,
}

/// One catalog row as the planner needs it.
pub struct CatalogEntry {
    pub id: String,
    pub cas: String,
    pub name: String,
    pub category: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirmKind {
    Producer,
    Trader,
    User,
    /// A user holding no filing for what it is sold (UNLICENSED_COUNTERPARTY / PERMIT_MISSING).
    Unlicensed,
    /// A user whose filing has a quantity limit that its purchases exceed (PERMIT_EXCEEDED).
    Exceeding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supplier {
    Firm(u32),
    Outside(u16),
}

/// A chemical a firm handles: a producer's product, a trader's line, a user's need.
pub struct LinePlan {
    pub chem: u16,
    /// Expected daily outflow in thousandths of a kilogram.
    pub rate: i64,
    /// Who replenishes it (none for a producer's own product).
    pub supplier: Option<Supplier>,
    /// Users: how many days of use one order covers.
    pub cover_days: i64,
    /// Producers: a category-3 product made without lot numbers.
    pub lotless: bool,
    /// Producers: expected daily demand of outside customers.
    pub outside_rate: i64,
}

impl LinePlan {
    /// A line of `chem` with nothing decided yet.
    pub(super) fn new(chem: u16) -> LinePlan {
        LinePlan {
            chem,
            rate: 0,
            supplier: None,
            cover_days: 0,
            lotless: false,
            outside_rate: 0,
        }
    }
}

pub struct FirmPlan {
    pub id: Uuid,
    /// 1-based number, used in waybill numbers.
    pub no: u32,
    pub kind: FirmKind,
    pub name: String,
    pub credit_code: String,
    pub region: usize,
    pub address: String,
    pub activities: Vec<Activity>,
    pub warehouse: &'static str,
    /// Producers: prefix of lot numbers.
    pub lot_code: String,
    /// Days before the first day of traffic that the firm was registered.
    pub registered_days_before: i64,
    pub lines: Vec<LinePlan>,
    pub lab: bool,
    /// Chance (‰) of using each chemical on a working day.
    pub use_per_mille: u32,
    pub use_note: Option<&'static str>,
    /// The purchase permit (category 1) or filing (categories 2, 3) by category − 1.
    pub purchase_docs: [Option<usize>; 3],
    pub transport_doc: Option<usize>,
    /// The transport filing for its category-3 lines (for shipments to other cities).
    pub transport_filing: Option<usize>,
}

impl FirmPlan {
    pub fn line(&self, chem: u16) -> Option<usize> {
        self.lines.iter().position(|l| l.chem == chem)
    }
}

pub struct PermitPlan {
    pub firm: u32,
    pub kind: PermitKind,
    pub number: String,
    pub chems: Vec<u16>,
    pub limit: Option<i64>,
    /// Valid from this many days before the first day of traffic …
    pub days_before: i64,
    /// … until this many days after the last.
    pub days_after: i64,
}

pub struct Outside {
    pub name: &'static str,
    pub credit_code: String,
    pub permit_no: &'static str,
    pub code: &'static str,
    pub sells: bool,
}

pub struct Plan {
    pub chems: Vec<Chem>,
    pub firms: Vec<FirmPlan>,
    pub permits: Vec<PermitPlan>,
    pub outside: Vec<Outside>,
}

impl Plan {
    pub fn chem(&self, cas: &str) -> Option<u16> {
        chem_index(&self.chems, cas)
    }

    pub fn firms_of(&self, kind: FirmKind) -> impl Iterator<Item = u32> + '_ {
        self.firms
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.kind == kind)
            .map(|(i, _)| i as u32)
    }

    pub fn buyers(&self) -> Vec<u16> {
        (0..self.outside.len() as u16)
            .filter(|&i| !self.outside[usize::from(i)].sells)
            .collect()
    }
}

pub(super) fn chem_index(chems: &[Chem], cas: &str) -> Option<u16> {
    chems
        .iter()
        .position(|c| c.spec.cas == cas)
        .map(|i| i as u16)
}
