//! What the custody validator reads and what it reports: plain values, no I/O, no diesel.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::domain::{EntryKind, FirmStatus, PermitKind};

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
    pub shipment_ref: Option<Box<str>>,
    pub permit_no: Option<Box<str>>,
    /// A transport permit or filing number was recorded.
    pub transport_doc: bool,
    /// A non-blank note was given (for a loss: its reason).
    pub has_note: bool,
    pub reverses: Option<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    Registered(Arc<str>),
    External(Box<ExternalParty>),
}

/// An unregistered counterparty as filed; any part may be missing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExternalParty {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub permit_no: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Firm {
    pub id: String,
    pub name: String,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub transit_window: Duration,
    /// Quantity tolerance in basis points of the larger quantity (50 = 0.5 %) …
    pub tolerance_bp: i64,
    /// … and never less than this many thousandths.
    pub min_tolerance: i64,
    pub filing_deadline: Duration,
    pub as_of: DateTime<Utc>,
}

impl Settings {
    pub fn defaults(as_of: DateTime<Utc>) -> Settings {
        Settings {
            transit_window: Duration::days(7),
            tolerance_bp: 50,
            min_tolerance: 1,
            filing_deadline: Duration::hours(72),
            as_of,
        }
    }

    /// Whether two quantities agree within the tolerance.
    pub fn agree(&self, a: i64, b: i64) -> bool {
        let larger = a.max(b);
        let tolerance = (i128::from(larger) * i128::from(self.tolerance_bp) / 10_000)
            .max(i128::from(self.min_tolerance));
        i128::from((a - b).abs()) <= tolerance
    }
}

/// Everything one run looks at.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub entries: Vec<Entry>,
    pub firms: HashMap<String, Firm>,
    pub permits: Vec<Permit>,
    /// Category (1, 2, 3) by chemical id.
    pub categories: HashMap<String, u8>,
    /// Firms whose hash chain does not verify: the first bad seq and the entry there, if any.
    pub broken_chains: Vec<(String, i64, Option<String>)>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    UnmatchedDispatch,
    UnmatchedReceipt,
    QuantityMismatch,
    LotMismatch,
    TimeInversion,
    LateReceipt,
    NegativeBalance,
    OrphanLot,
    StocktakeDiscrepancy,
    UnlicensedCounterparty,
    PermitMissing,
    PermitExceeded,
    UndocumentedCounterparty,
    MissingTransportDoc,
    LateFiling,
    UnexplainedLoss,
    ChainBroken,
}

impl Code {
    pub const ALL: [Code; 17] = [
        Code::UnmatchedDispatch,
        Code::UnmatchedReceipt,
        Code::QuantityMismatch,
        Code::LotMismatch,
        Code::TimeInversion,
        Code::LateReceipt,
        Code::NegativeBalance,
        Code::OrphanLot,
        Code::StocktakeDiscrepancy,
        Code::UnlicensedCounterparty,
        Code::PermitMissing,
        Code::PermitExceeded,
        Code::UndocumentedCounterparty,
        Code::MissingTransportDoc,
        Code::LateFiling,
        Code::UnexplainedLoss,
        Code::ChainBroken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::UnmatchedDispatch => "UNMATCHED_DISPATCH",
            Code::UnmatchedReceipt => "UNMATCHED_RECEIPT",
            Code::QuantityMismatch => "QUANTITY_MISMATCH",
            Code::LotMismatch => "LOT_MISMATCH",
            Code::TimeInversion => "TIME_INVERSION",
            Code::LateReceipt => "LATE_RECEIPT",
            Code::NegativeBalance => "NEGATIVE_BALANCE",
            Code::OrphanLot => "ORPHAN_LOT",
            Code::StocktakeDiscrepancy => "STOCKTAKE_DISCREPANCY",
            Code::UnlicensedCounterparty => "UNLICENSED_COUNTERPARTY",
            Code::PermitMissing => "PERMIT_MISSING",
            Code::PermitExceeded => "PERMIT_EXCEEDED",
            Code::UndocumentedCounterparty => "UNDOCUMENTED_COUNTERPARTY",
            Code::MissingTransportDoc => "MISSING_TRANSPORT_DOC",
            Code::LateFiling => "LATE_FILING",
            Code::UnexplainedLoss => "UNEXPLAINED_LOSS",
            Code::ChainBroken => "CHAIN_BROKEN",
        }
    }

    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// Permit violations cap a firm's grade (grading.md).
    pub fn is_permit_violation(self) -> bool {
        matches!(
            self,
            Code::PermitMissing | Code::PermitExceeded | Code::UnlicensedCounterparty
        )
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Major,
    Minor,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Major => "major",
            Severity::Minor => "minor",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        [Severity::Critical, Severity::Major, Severity::Minor]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
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
