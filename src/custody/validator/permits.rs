//! Findings about purchase rights: selling to a firm that may not buy, buying without a permit or
//! filing, and buying past a permit's limit.

use chrono::{DateTime, Utc};

use super::walk::{order_key, Map, Set, Validator};
use crate::custody::model::{Entry, Finding, Party, Permit};
use crate::domain::quantity::format_thousandths as qty;
use crate::domain::{Code, EntryKind, FirmStatus, Severity};

/// One purchase that counts, and what it draws on.
#[derive(Debug, Clone, Copy)]
pub struct Draw<'a> {
    pub purchase: &'a Entry,
    /// The buyer held a purchase right for it at the time; without one (PERMIT_MISSING) it draws
    /// on nothing.
    pub right: bool,
    /// The permit drawn on: the covering one its `permit_no` names, else the earliest covering.
    pub permit: Option<&'a Permit>,
    /// For a permit with a quantity limit: the total drawn on it so far, this purchase included.
    pub drawn: Option<i64>,
}

impl<'a> Validator<'a> {
    /// `returns` are purchases that brought refused goods back to their seller: not purchases
    /// that need a purchase right.
    pub(super) fn permits(&self, returns: &Set<&str>, out: &mut Vec<Finding>) {
        self.sales_to_unlicensed(out);
        self.purchases(returns, out);
    }

    fn holds_purchase_right(&self, firm_id: &str, chemical_id: &str, at: DateTime<Utc>) -> bool {
        let category = self.category(chemical_id, at);
        self.permits_by_firm.get(firm_id).is_some_and(|permits| {
            permits
                .iter()
                .any(|p| p.grants_purchase_right(chemical_id, category, at))
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
                .firm(buyer)
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

    /// Every purchase that counts, in business order, with what it draws on: a purchase without
    /// a purchase right draws on nothing; any other draws on `drawn_permit`, and on that permit's
    /// limit, if it has one, by its whole quantity. `returns` (refused goods back with their
    /// seller) are not purchases.
    pub(super) fn purchase_draws(&self, returns: &Set<&str>) -> Vec<Draw<'a>> {
        let mut used: Map<&str, i64> = Map::default();
        let mut purchases: Vec<&'a Entry> = self
            .entries
            .iter()
            .copied()
            .filter(|e| e.kind == EntryKind::Purchase && !returns.contains(&*e.id))
            .collect();
        purchases.sort_by_key(|e| order_key(e));
        let draw = |e: &'a Entry| {
            if !self.holds_purchase_right(&e.firm_id, &e.chemical_id, e.occurred_at) {
                return Draw {
                    purchase: e,
                    right: false,
                    permit: None,
                    drawn: None,
                };
            }
            let permit = self.drawn_permit(e);
            let drawn = permit.filter(|p| p.quantity_limit.is_some()).map(|p| {
                let total = used.entry(&*p.id).or_insert(0);
                *total = total.saturating_add(e.quantity);
                *total
            });
            Draw {
                purchase: e,
                right: true,
                permit,
                drawn,
            }
        };
        purchases.into_iter().map(draw).collect()
    }

    /// Purchases without a purchase right, and purchases past the limit of the permit drawn on.
    fn purchases(&self, returns: &Set<&str>, out: &mut Vec<Finding>) {
        for d in self.purchase_draws(returns) {
            let e = d.purchase;
            if !d.right {
                let (zh, en) = if self.category(&e.chemical_id, e.occurred_at) == 1 {
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
            let (Some(permit), Some(total)) = (d.permit, d.drawn) else {
                continue;
            };
            let Some(limit) = permit.quantity_limit else {
                continue;
            };
            if total > limit {
                let over = (total - limit).min(e.quantity);
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
        let covering = |p: &&&Permit| p.may_be_drawn_on(&e.chemical_id, e.occurred_at);
        permits
            .iter()
            .filter(covering)
            .find(|p| e.permit_no.as_deref() == Some(p.number.as_str()))
            .or_else(|| permits.iter().find(covering))
            .copied()
    }
}
