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
    /// Per-transaction thresholds by CAS number, in the chemical's unit.
    pub thresholds: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuspiciousView {
    pub size_factor: f64,
    pub frequency_sigmas: f64,
    pub min_history: usize,
    pub structuring_floor_pct: i64,
    pub structuring_min_orders: usize,
}

impl RulesView {
    pub fn of(pack: &RulePack, rules: &CustodyRules) -> RulesView {
        let s = rules.suspicious;
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
            },
            thresholds: rules
                .thresholds
                .iter()
                .map(|(cas, amount)| (cas.to_string(), format_thousandths(*amount)))
                .collect(),
        }
    }
}
