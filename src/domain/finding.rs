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
}

impl Code {
    pub const ALL: [Code; 18] = [
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
