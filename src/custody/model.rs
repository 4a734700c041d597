//! What the custody validator reads and what it reports: plain values, no I/O, no diesel.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::catalog::Control;
use crate::domain::{Code, EntryKind, FirmStatus, Payment, PermitKind, RegionCode, Severity};

/// A ledger entry as the validator sees it: only what the rules read, kept compact because a
/// province holds millions (ids of firms, chemicals and lots are shared, not copied).
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: Box<str>,
    pub firm_id: Arc<str>,
    pub seq: i64,
    pub kind: EntryKind,
    pub chemical_id: Arc<str>,
    pub lot: Option<Arc<str>>,
    /// Thousandths of the chemical's unit.
    pub quantity: i64,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub counterparty: Option<Party>,
    /// How a sale or purchase was paid; `None` if filed before payments were recorded.
    pub payment: Option<Payment>,
    pub shipment_ref: Option<Box<str>>,
    pub permit_no: Option<Box<str>>,
    /// The transport permit or filing number recorded, if any.
    pub transport_permit_no: Option<Box<str>>,
    /// A non-blank note was given (for a loss: its reason).
    pub has_note: bool,
    pub reverses: Option<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    Registered(Arc<str>),
    External(Box<ExternalParty>),
}

/// An unregistered counterparty as filed; any part may be missing. A person is one with a
/// resident ID number (and no credit code).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExternalParty {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub permit_no: Option<String>,
    pub resident_id: Option<String>,
}

impl ExternalParty {
    pub fn is_individual(&self) -> bool {
        self.resident_id.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct Firm {
    pub id: String,
    pub name: String,
    /// Where it is registered: a shipment to another prefecture-level city needs a transport
    /// document.
    pub region: Option<RegionCode>,
    /// Status changes in time order; before the first one the firm was active.
    pub status_history: Vec<(DateTime<Utc>, FirmStatus)>,
}

impl Firm {
    pub fn status_at(&self, at: DateTime<Utc>) -> FirmStatus {
        self.status_history
            .iter()
            .take_while(|(t, _)| *t <= at)
            .last()
            .map(|(_, s)| *s)
            .unwrap_or(FirmStatus::Active)
    }
}

#[derive(Debug, Clone)]
pub struct Permit {
    pub id: String,
    pub firm_id: String,
    pub kind: PermitKind,
    pub number: String,
    pub chemical_ids: Vec<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub quantity_limit: Option<i64>,
}

impl Permit {
    pub fn covers(&self, chemical_id: &str, at: DateTime<Utc>) -> bool {
        self.valid_from <= at
            && at < self.valid_until
            && self.chemical_ids.iter().any(|c| c == chemical_id)
    }

    /// Whether this permit gives its firm the right to buy the chemical (of `category`) at `at`:
    /// a purchase permit for any category, a purchase filing for categories 2 and 3 only. The one
    /// rule behind UNLICENSED_COUNTERPARTY, PERMIT_MISSING and the counterparty check.
    pub fn grants_purchase_right(
        &self,
        chemical_id: &str,
        category: u8,
        at: DateTime<Utc>,
    ) -> bool {
        self.covers(chemical_id, at)
            && (self.kind == PermitKind::PurchasePermit
                || (self.kind == PermitKind::PurchaseFiling && category >= 2))
    }

    /// What is left of this permit's quantity limit once `drawn` has been drawn on it (never
    /// below 0); `None` without a limit. A later purchase drawn on it of more than this is
    /// PERMIT_EXCEEDED.
    pub fn left(&self, drawn: i64) -> Option<i64> {
        self.quantity_limit
            .map(|limit| limit.saturating_sub(drawn).max(0))
    }

    /// Whether a purchase of the chemical at `at` may draw on this permit's limit: a purchase
    /// permit or filing covering it, whatever the category.
    pub fn may_be_drawn_on(&self, chemical_id: &str, at: DateTime<Utc>) -> bool {
        self.covers(chemical_id, at)
            && matches!(
                self.kind,
                PermitKind::PurchasePermit | PermitKind::PurchaseFiling
            )
    }
}

/// A customer's declaration of use on file with its supplier (Reg. 273/2004 Art. 4; the `eu`
/// pack): the customer may be supplied the chemical while it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// The supplier that keeps it.
    pub firm_id: String,
    pub customer: DeclaredBy,
    pub chemical_id: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

/// Who declared: a registered firm, or an outside one by its credit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredBy {
    Firm(String),
    CreditCode(String),
}

impl Declaration {
    /// Whether it covers a supply to `party` at `at`.
    pub fn covers(&self, party: &Party, at: DateTime<Utc>) -> bool {
        let same = match (&self.customer, party) {
            (DeclaredBy::Firm(id), Party::Registered(firm)) => **id == **firm,
            (DeclaredBy::CreditCode(code), Party::External(p)) => p
                .credit_code
                .as_deref()
                .is_some_and(|c| c.trim().eq_ignore_ascii_case(code)),
            _ => false,
        };
        same && self.valid_from <= at && at < self.valid_until
    }
}

/// A buyer's declaration that it will not accept a dispatch (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub dispatch_id: Box<str>,
    pub refused_at: DateTime<Utc>,
}

/// Everything one run looks at.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub entries: Vec<Entry>,
    pub firms: HashMap<String, Firm>,
    pub permits: Vec<Permit>,
    /// Each chemical's control over time (category, listed from, delisted), by chemical id; a
    /// chemical not in it counts as category 3, always controlled.
    pub catalog: HashMap<String, Control>,
    /// Firms whose hash chain does not verify: the first bad seq and the entry there, if any.
    pub broken_chains: Vec<(String, i64, Option<String>)>,
    pub refusals: Vec<Refusal>,
    /// Customers' declarations of use on file with their suppliers.
    pub declarations: Vec<Declaration>,
    /// The order threshold of a chemical (thousandths) that SUSPICIOUS_STRUCTURING splits
    /// around, by chemical id; a chemical without one is not judged for structuring.
    pub order_thresholds: HashMap<String, i64>,
}

/// One gap in custody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// The firm the finding is about (the seller, for a shipment).
    pub firm_id: String,
    /// The other registered firm of a shipment, if any.
    pub counterparty_firm_id: Option<String>,
    /// Absent only for a broken chain whose bad entry is missing.
    pub chemical_id: Option<String>,
    pub lot: Option<String>,
    /// The quantity in question, in thousandths.
    pub quantity: Option<i64>,
    /// Entries of `firm_id` the finding is about.
    pub entry_ids: Vec<String>,
    /// Entries of the counterparty the finding is about.
    pub counterparty_entry_ids: Vec<String>,
    pub message_zh: String,
    pub message_en: String,
}

impl Finding {
    /// What makes a finding the same finding in a later run: its code and the entries concerned.
    pub fn identity(&self) -> String {
        let mut ids: Vec<&str> = self
            .entry_ids
            .iter()
            .chain(&self.counterparty_entry_ids)
            .map(String::as_str)
            .collect();
        ids.sort_unstable();
        if ids.is_empty() {
            format!("{}:{}", self.code.as_str(), self.firm_id)
        } else {
            format!("{}:{}", self.code.as_str(), ids.join(","))
        }
    }
}
