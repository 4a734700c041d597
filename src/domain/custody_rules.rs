//! The deployment's custody rules: how long a shipment may travel, how far quantities may
//! differ, how late a filing may be. Custody and grading read the same values; `as_of` is
//! set per validation run.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustodyRules {
    pub transit_window: Duration,
    /// Quantity tolerance in basis points of the larger quantity (50 = 0.5 %) …
    pub tolerance_bp: i64,
    /// … and never less than this many thousandths.
    pub min_tolerance: i64,
    pub filing_deadline: Duration,
    pub as_of: DateTime<Utc>,
}

impl CustodyRules {
    pub fn defaults(as_of: DateTime<Utc>) -> CustodyRules {
        CustodyRules {
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
