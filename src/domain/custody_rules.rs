//! The deployment's custody rules: how long a shipment may travel, how far quantities may
//! differ, how late a filing may be, what makes an order suspicious. Custody and grading read
//! the same values; `as_of` is set per validation run.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustodyRules {
    pub transit_window: Duration,
    /// Quantity tolerance in basis points of the larger quantity (50 = 0.5 %) …
    pub tolerance_bp: i64,
    /// … and never less than this many thousandths.
    pub min_tolerance: i64,
    pub filing_deadline: Duration,
    pub suspicious: SuspiciousOrders,
    pub as_of: DateTime<Utc>,
}

/// When a seller's orders from one buyer of one chemical are suspicious (21 CFR 1300.01:
/// unusual size, unusual frequency, a pattern deviating from the normal; and structuring).
/// Factors are in tenths so that a rule pack may ask for 2.5 × or 2.5 σ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuspiciousOrders {
    /// An order above this many tenths of the median earlier order is SUSPICIOUS_SIZE (50 = 5 ×).
    pub size_factor_tenths: i64,
    /// A month with more orders than the mean of the earlier months plus this many tenths of
    /// their σ is SUSPICIOUS_FREQUENCY (30 = 3 σ).
    pub frequency_sigmas_tenths: i64,
    /// Orders of the trailing 12 months needed before an order or a month is judged by size or
    /// frequency.
    pub min_history: usize,
    /// Structuring: orders each at least this per cent of the chemical's threshold and below it …
    pub structuring_floor_pct: i64,
    /// … at least this many of them in one month, together above the threshold.
    pub structuring_min_orders: usize,
}

impl Default for SuspiciousOrders {
    fn default() -> Self {
        SuspiciousOrders {
            size_factor_tenths: 50,
            frequency_sigmas_tenths: 30,
            min_history: 6,
            structuring_floor_pct: 90,
            structuring_min_orders: 3,
        }
    }
}

impl CustodyRules {
    pub fn defaults(as_of: DateTime<Utc>) -> CustodyRules {
        CustodyRules {
            transit_window: Duration::days(7),
            tolerance_bp: 50,
            min_tolerance: 1,
            filing_deadline: Duration::hours(72),
            suspicious: SuspiciousOrders::default(),
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
