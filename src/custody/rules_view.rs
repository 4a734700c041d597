//! `GET /rules`: the rule pack in force and every setting the validator reads, as the running
//! registry has them (a deployment's flags may override the pack's deadlines and windows).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::quantity::format_thousandths;
use crate::domain::rule_pack::RulePack;
use crate::domain::CustodyRules;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RulesView {
    /// `name@version`, as recorded on each validation run and grade.
    pub pack: String,
    pub name: String,
    pub version: String,
    pub title: String,
    /// Any entry but a sale: LATE_FILING after this many hours.
    pub filing_deadline_hours: i64,
    /// A sale's report, by category 1, 2, 3: LATE_REPORT after this many days.
    pub report_deadline_days: [i64; 3],
    /// UNMATCHED_DISPATCH after this many hours without a receipt.
    pub transit_window_hours: i64,
    /// Quantities agree within this many basis points of the larger one …
    pub tolerance_bp: i64,
    /// … and never less than this.
    #[schema(example = "0.001")]
    pub min_tolerance: String,
    pub suspicious: SuspiciousView,
    /// Thresholds by CAS number, in the chemical's unit (per transaction or per calendar
    /// month: `suspicious.threshold_scope`).
    pub thresholds: BTreeMap<String, String>,
    pub duties: DutiesView,
    pub records: RecordsView,
}

/// The jurisdiction's duties on each deal.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DutiesView {
    /// A shipment between prefecture-level cities needs a transport permit or filing.
    pub transport_documents_between_cities: bool,
    /// Categories a person may not buy (SALE_TO_INDIVIDUAL).
    pub individuals_may_not_buy: Vec<u8>,
    /// Cash and barter are banned (CASH_OR_BARTER).
    pub cash_and_barter_banned: bool,
    /// Categories whose supply needs the customer's declaration (MISSING_CUSTOMER_DECLARATION).
    pub declarations_required_for: Vec<u8>,
}

/// How long the law keeps a firm's records (the registry itself deletes nothing).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecordsView {
    pub retention_years: i64,
    /// Counted from the end of the record's calendar year, else from the record.
    pub from_year_end: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuspiciousView {
    pub size_factor: f64,
    pub frequency_sigmas: f64,
    pub min_history: usize,
    pub structuring_floor_pct: i64,
    pub structuring_min_orders: usize,
    /// `transaction` or `calendar_month` (a cumulative threshold).
    pub threshold_scope: &'static str,
}

impl RulesView {
    pub fn of(pack: &RulePack, rules: &CustodyRules) -> RulesView {
        let (s, d) = (rules.suspicious, rules.duties);
        RulesView {
            pack: rules.pack.to_string(),
            name: pack.name.clone(),
            version: pack.version.clone(),
            title: pack.title.clone(),
            filing_deadline_hours: rules.filing_deadline.num_hours(),
            report_deadline_days: rules.report_deadlines.map(|d| d.num_days()),
            transit_window_hours: rules.transit_window.num_hours(),
            tolerance_bp: rules.tolerance_bp,
            min_tolerance: format_thousandths(rules.min_tolerance),
            suspicious: SuspiciousView {
                size_factor: s.size_factor_tenths as f64 / 10.0,
                frequency_sigmas: s.frequency_sigmas_tenths as f64 / 10.0,
                min_history: s.min_history,
                structuring_floor_pct: s.structuring_floor_pct,
                structuring_min_orders: s.structuring_min_orders,
                threshold_scope: s.structuring_scope.as_str(),
            },
            thresholds: rules
                .thresholds
                .iter()
                .map(|(cas, amount)| (cas.to_string(), format_thousandths(*amount)))
                .collect(),
            duties: DutiesView {
                transport_documents_between_cities: d.transport_between_cities,
                individuals_may_not_buy: categories(d.no_individuals),
                cash_and_barter_banned: d.no_cash_or_barter,
                declarations_required_for: categories(d.declarations),
            },
            records: RecordsView {
                retention_years: pack.retention.years,
                from_year_end: pack.retention.from_year_end,
            },
        }
    }
}

/// The categories whose flag is set.
fn categories(flags: [bool; 3]) -> Vec<u8> {
    (1..=3).filter(|c| flags[usize::from(*c) - 1]).collect()
}
