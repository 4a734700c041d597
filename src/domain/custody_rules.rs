//! The deployment's custody rules: how long a shipment may travel, how far quantities may
//! differ, how late a filing or a sale's report may be, what makes an order suspicious.
//! Custody and grading read the same values; `as_of` is set per validation run.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustodyRules {
    pub transit_window: Duration,
    /// Quantity tolerance in basis points of the larger quantity (50 = 0.5 %) …
    pub tolerance_bp: i64,
    /// … and never less than this many thousandths.
    pub min_tolerance: i64,
    /// How late any entry but a sale may be filed.
    pub filing_deadline: Duration,
    /// How late a sale may be reported, by its chemical's category (index 0: category 1).
    pub report_deadlines: [Duration; 3],
    pub suspicious: SuspiciousOrders,
    /// The rule pack these rules come from (`name@version`), recorded on runs and grades.
    pub pack: &'static str,
    /// Per-transaction thresholds (CAS number, thousandths) that SUSPICIOUS_STRUCTURING splits
    /// around, from the pack.
    pub thresholds: &'static [(&'static str, i64)],
    /// Which of the jurisdiction's duties on a deal apply.
    pub duties: Duties,
    pub as_of: DateTime<Utc>,
}

/// The duties a jurisdiction puts on each deal, where they differ between packs; by category,
/// index 0 is category 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duties {
    /// A shipment between prefecture-level cities needs a transport permit or filing
    /// (Decree 445): MISSING_TRANSPORT_DOC, INVALID_TRANSPORT_DOC.
    pub transport_between_cities: bool,
    /// Categories a person may not buy: SALE_TO_INDIVIDUAL.
    pub no_individuals: [bool; 3],
    /// Cash and barter are banned (Decree 445), but for a person's lawful purchase of a
    /// category-3 chemical or a category-1 medicine: CASH_OR_BARTER.
    pub no_cash_or_barter: bool,
    /// Categories whose supply needs the customer's declaration of use on file (EU Reg.
    /// 273/2004 Art. 4): MISSING_CUSTOMER_DECLARATION.
    pub declarations: [bool; 3],
}

impl Duties {
    /// Decree 445's.
    pub const CN: Duties = Duties {
        transport_between_cities: true,
        no_individuals: [true, true, false],
        no_cash_or_barter: true,
        declarations: [false; 3],
    };

    /// Whether a person may not buy a chemical of `category`.
    pub fn bars_individuals(&self, category: u8) -> bool {
        self.no_individuals[index(category)]
    }

    /// Whether a supply of a chemical of `category` needs the customer's declaration on file.
    pub fn needs_declaration(&self, category: u8) -> bool {
        self.declarations[index(category)]
    }
}

fn index(category: u8) -> usize {
    usize::from(category.clamp(1, 3) - 1)
}

/// The pack of `CustodyRules::defaults`: the shipped `rules/cn.toml`, which a test keeps equal.
pub const DEFAULT_PACK: &str = "cn@2026.1";

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
    /// Whether the threshold is one transaction's or a calendar month's total.
    pub structuring_scope: ThresholdScope,
}

/// What a per-chemical threshold measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdScope {
    /// One transaction (`cn`): structuring is several orders just below it that together pass it.
    Transaction,
    /// A buyer's total in a calendar month, across the seller's sites (21 CFR 1300.02,
    /// "cumulative threshold"): sales each below it that together reach it are structuring.
    CalendarMonth,
}

impl ThresholdScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ThresholdScope::Transaction => "transaction",
            ThresholdScope::CalendarMonth => "calendar_month",
        }
    }

    pub fn parse(text: &str) -> Option<ThresholdScope> {
        [ThresholdScope::Transaction, ThresholdScope::CalendarMonth]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Whether a month's `sum` of sales each below `threshold` has passed it (or, for a
    /// cumulative threshold, reached it).
    pub fn passed(self, sum: i64, threshold: i64) -> bool {
        match self {
            ThresholdScope::Transaction => sum > threshold,
            ThresholdScope::CalendarMonth => sum >= threshold,
        }
    }
}

impl Default for SuspiciousOrders {
    fn default() -> Self {
        SuspiciousOrders {
            size_factor_tenths: 50,
            frequency_sigmas_tenths: 30,
            min_history: 6,
            structuring_floor_pct: 90,
            structuring_min_orders: 3,
            structuring_scope: ThresholdScope::Transaction,
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
            // Decree 445, the chapter on purchase and sale (Arts. 14–23): category 1 within 5 days of the sale, categories 2 and 3 within 30.
            report_deadlines: [Duration::days(5), Duration::days(30), Duration::days(30)],
            suspicious: SuspiciousOrders::default(),
            pack: DEFAULT_PACK,
            thresholds: &[("67-64-1", 2_500_000)],
            duties: Duties::CN,
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

    /// Whether an entry (a `sale` or not, of a chemical of `category`) filed `delay` after it
    /// happened is late, and by which rule: a sale is the seller's report to the police and has
    /// its category's deadline (`LATE_REPORT`); anything else the general one (`LATE_FILING`).
    pub fn lateness(&self, sale: bool, category: u8, delay: Duration) -> Option<Lateness> {
        if sale {
            let deadline = self.report_deadlines[index(category)];
            (delay > deadline).then_some(Lateness::Report { deadline })
        } else {
            (delay > self.filing_deadline).then_some(Lateness::Filing {
                deadline: self.filing_deadline,
            })
        }
    }
}

/// Which deadline a late entry missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lateness {
    /// A sale reported past its category's deadline.
    Report { deadline: Duration },
    /// Any other entry filed past the general deadline.
    Filing { deadline: Duration },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules() -> CustodyRules {
        CustodyRules::defaults(Utc::now())
    }

    #[test]
    fn a_sale_has_its_categorys_deadline_and_the_rest_the_general_one() {
        let r = rules();
        let sale = |category, days| r.lateness(true, category, Duration::days(days));
        assert_eq!(sale(1, 5), None);
        assert!(matches!(sale(1, 6), Some(Lateness::Report { .. })));
        assert_eq!(sale(3, 30), None);
        assert!(matches!(sale(3, 31), Some(Lateness::Report { .. })));
        assert_eq!(
            sale(2, 4),
            None,
            "4 days is past 72 h but within a sale's 30 days"
        );
        let used = r.lateness(false, 1, Duration::hours(73));
        assert!(matches!(used, Some(Lateness::Filing { .. })));
        assert_eq!(r.lateness(false, 1, Duration::hours(72)), None);
    }

    proptest! {
        #[test]
        fn lateness_grows_with_the_delay(sale in any::<bool>(), category in 1_u8..=3, a in 0_i64..100_000, b in 0_i64..100_000) {
            let (short, long) = (a.min(b), a.max(b));
            let r = rules();
            let late = |minutes| r.lateness(sale, category, Duration::minutes(minutes)).is_some();
            prop_assert!(!late(short) || late(long));
        }
    }
}
