//! Findings about purchase rights: selling to a firm that may not buy, buying without a permit or
//! filing, and buying past a permit's limit.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::walk::{order_key, Validator};
use crate::custody::model::{Entry, Finding, Party, Permit};
use crate::domain::quantity::format_thousandths as qty;
use crate::domain::{Code, EntryKind, FirmStatus, PermitKind, Severity};

impl<'a> Validator<'a> {
    /// `returns` are purchases that brought refused goods back to their seller: not purchases
    /// that need a purchase right.
    pub(super) fn permits(&self, returns: &HashSet<&str>, out: &mut Vec<Finding>) {
        self.sales_to_unlicensed(out);
        self.purchases(returns, out);
    }

    fn holds_purchase_right(&self, firm_id: &str, chemical_id: &str, at: DateTime<Utc>) -> bool {
        let category = self.category(chemical_id);
        self.permits_by_firm.get(firm_id).is_some_and(|permits| {
            permits.iter().any(|p| {
                p.covers(chemical_id, at)
                    && (p.kind == PermitKind::PurchasePermit
                        || (p.kind == PermitKind::PurchaseFiling && category >= 2))
            })
        })
    }

    /// Sales to a registered buyer that was not active, or held no purchase right, at the time.
    fn sales_to_unlicensed(&self, out: &mut Vec<Finding>) {
        for e in &self.entries {
            if e.kind != EntryKind::Sale {
                continue;
            }
            let Some(Party::Registered(buyer)) = &e.counterparty else {
                continue;
            };
            let active = self
                .input
                .firms
                .get(&**buyer)
                .is_some_and(|f| f.status_at(e.occurred_at) == FirmStatus::Active);
            if !active || !self.holds_purchase_right(buyer, &e.chemical_id, e.occurred_at) {
                let name = self.name(buyer);
                let why_zh = if active {
                    "无有效的购买许可证或备案证明"
                } else {
                    "已被停业或吊销"
                };
                let why_en = if active {
                    "held no valid purchase permit or filing for it"
                } else {
                    "was suspended or revoked"
                };
                out.push(self.single(
                    Code::UnlicensedCounterparty,
                    Severity::Critical,
                    e,
                    Some(e.quantity),
                    format!("向{name}销售{}，但对方当时{why_zh}", qty(e.quantity)),
                    format!(
                        "sold {} to {name}, which at the time {why_en}",
                        qty(e.quantity)
                    ),
                ));
            }
        }
    }

    /// Purchases without a purchase right, and purchases past the limit of the permit drawn on.
    fn purchases(&self, returns: &HashSet<&str>, out: &mut Vec<Finding>) {
        let mut used: HashMap<&str, i64> = HashMap::new();
        let mut purchases: Vec<&Entry> = self
            .entries
            .iter()
            .copied()
            .filter(|e| e.kind == EntryKind::Purchase && !returns.contains(&*e.id))
            .collect();
        purchases.sort_by_key(|e| order_key(e));
        for e in purchases {
            if !self.holds_purchase_right(&e.firm_id, &e.chemical_id, e.occurred_at) {
                let (zh, en) = if self.category(&e.chemical_id) == 1 {
                    ("购买许可证", "purchase permit")
                } else {
                    ("购买备案证明", "purchase filing")
                };
                out.push(self.single(
                    Code::PermitMissing,
                    Severity::Critical,
                    e,
                    Some(e.quantity),
                    format!("购入{}时无有效的{zh}", qty(e.quantity)),
                    format!("bought {} without a valid {en}", qty(e.quantity)),
                ));
                continue;
            }
            let Some(permit) = self.drawn_permit(e) else {
                continue;
            };
            let Some(limit) = permit.quantity_limit else {
                continue;
            };
            let total = used.entry(&*permit.id).or_insert(0);
            *total = total.saturating_add(e.quantity);
            if *total > limit {
                let over = (*total - limit).min(e.quantity);
                out.push(self.single(
                    Code::PermitExceeded,
                    Severity::Critical,
                    e,
                    Some(over),
                    format!(
                        "许可/备案{}的累计购买量超出限额{}（超出{}）",
                        permit.number,
                        qty(limit),
                        qty(over)
                    ),
                    format!(
                        "purchases under {} exceed its limit of {} (by {})",
                        permit.number,
                        qty(limit),
                        qty(over)
                    ),
                ));
            }
        }
    }

    /// The permit a purchase draws on: the one it names, else the earliest that covers it.
    fn drawn_permit(&self, e: &Entry) -> Option<&'a Permit> {
        let permits = self.permits_by_firm.get(&*e.firm_id)?;
        let covering = |p: &&&Permit| {
            p.covers(&e.chemical_id, e.occurred_at)
                && matches!(
                    p.kind,
                    PermitKind::PurchasePermit | PermitKind::PurchaseFiling
                )
        };
        permits
            .iter()
            .filter(covering)
            .find(|p| e.permit_no.as_deref() == Some(p.number.as_str()))
            .or_else(|| permits.iter().find(covering))
            .copied()
    }
}
