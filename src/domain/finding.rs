//! The vocabulary of findings, shared by custody, audits and grading: what kind of gap
//! (`Code`), how grave (`Severity`) and where it stands (`FindingStatus`).

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
    /// The buyer refused a dispatch and the seller has not filed the goods' return.
    ShipmentRefused,
    /// A sale reported after its category's deadline (category 1: 5 days, 2 and 3: 30 days).
    LateReport,
    /// A category-1 or -2 chemical sold to a person.
    SaleToIndividual,
    /// A sale or purchase paid in cash or in kind.
    CashOrBarter,
    /// A shipment under a transport permit that does not exist, has expired, does not cover the chemical, or (category 1) was used before.
    InvalidTransportDoc,
    /// An order far above the buyer's usual size.
    SuspiciousSize,
    /// A month with far more orders than the buyer's usual.
    SuspiciousFrequency,
    /// Orders each just under a threshold that together pass it.
    SuspiciousStructuring,
    /// A supply of a substance whose category needs the customer's declaration of use, without one on file.
    MissingCustomerDeclaration,
}

impl Code {
    pub const ALL: [Code; 26] = [
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
        Code::ShipmentRefused,
        Code::LateReport,
        Code::SaleToIndividual,
        Code::CashOrBarter,
        Code::InvalidTransportDoc,
        Code::SuspiciousSize,
        Code::SuspiciousFrequency,
        Code::SuspiciousStructuring,
        Code::MissingCustomerDeclaration,
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
            Code::ShipmentRefused => "SHIPMENT_REFUSED",
            Code::LateReport => "LATE_REPORT",
            Code::SaleToIndividual => "SALE_TO_INDIVIDUAL",
            Code::CashOrBarter => "CASH_OR_BARTER",
            Code::InvalidTransportDoc => "INVALID_TRANSPORT_DOC",
            Code::SuspiciousSize => "SUSPICIOUS_SIZE",
            Code::SuspiciousFrequency => "SUSPICIOUS_FREQUENCY",
            Code::SuspiciousStructuring => "SUSPICIOUS_STRUCTURING",
            Code::MissingCustomerDeclaration => "MISSING_CUSTOMER_DECLARATION",
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

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Open,
    Explained,
    Resolved,
    Dismissed,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Open => "open",
            FindingStatus::Explained => "explained",
            FindingStatus::Resolved => "resolved",
            FindingStatus::Dismissed => "dismissed",
        }
    }

    pub fn parse(text: &str) -> Option<FindingStatus> {
        [
            FindingStatus::Open,
            FindingStatus::Explained,
            FindingStatus::Resolved,
            FindingStatus::Dismissed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Still needs attention: counts against a grade as unresolved.
    pub fn is_pending(self) -> bool {
        matches!(self, FindingStatus::Open | FindingStatus::Explained)
    }
}
