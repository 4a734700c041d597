//! Findings about shipments between registered firms: a dispatch or a receipt without its other
//! end, and matched pairs whose quantity, lot or times disagree.

use super::matching::Matching;
use super::walk::{lot_text, registered, Validator};
use crate::custody::model::{Entry, Finding};
use crate::domain::quantity::format_thousandths as qty;
use crate::domain::{Code, Severity};

impl Validator<'_> {
    pub(super) fn shipments(&self, m: &Matching<'_>, out: &mut Vec<Finding>) {
        self.unmatched(m, out);
        for &(i, j) in &m.pairs {
            self.matched(m.dispatches[i], m.receipts[j], out);
        }
    }

    /// Dispatches past the transit window without a receipt, and receipts without a dispatch.
    fn unmatched(&self, m: &Matching<'_>, out: &mut Vec<Finding>) {
        let party = |e: &Entry| registered(e).unwrap_or("").to_string();
        for d in m.unmatched_dispatches() {
            if self.s.as_of > d.occurred_at + self.s.transit_window {
                let buyer = self.name(&party(d));
                out.push(self.single(
                    Code::UnmatchedDispatch,
                    Severity::Critical,
                    d,
                    Some(d.quantity),
                    format!("发往{buyer}的{}（批号{}）超过在途期限仍无对应入库记录", qty(d.quantity), lot_text(d.lot.as_deref())),
                    format!("{} dispatched to {buyer} (lot {}) has no matching receipt after the transit window", qty(d.quantity), lot_text(d.lot.as_deref())),
                ));
            }
        }
        for &(i, _, back) in &m.refused {
            let d = m.dispatches[i];
            if back.is_none() {
                let buyer = self.name(&party(d));
                out.push(self.single(
                    Code::ShipmentRefused,
                    Severity::Major,
                    d,
                    Some(d.quantity),
                    format!("{buyer}已拒收{}（批号{}），卖方尚未登记退回入库", qty(d.quantity), lot_text(d.lot.as_deref())),
                    format!("{buyer} refused {} (lot {}) and the seller has not filed the goods' return", qty(d.quantity), lot_text(d.lot.as_deref())),
                ));
            }
        }
        for r in m.unmatched_receipts() {
            let seller = self.name(&party(r));
            out.push(self.single(
                Code::UnmatchedReceipt,
                Severity::Major,
                r,
                Some(r.quantity),
                format!("自{seller}购入的{}（批号{}）在对方台账中无对应出库记录", qty(r.quantity), lot_text(r.lot.as_deref())),
                format!("{} received from {seller} (lot {}) has no matching dispatch in the seller's ledger", qty(r.quantity), lot_text(r.lot.as_deref())),
            ));
        }
    }

    /// What a matched pair gets wrong: quantity, lot, or the time between its ends.
    fn matched(&self, d: &Entry, r: &Entry, out: &mut Vec<Finding>) {
        let buyer = self.name(&r.firm_id);
        if !self.s.agree(d.quantity, r.quantity) {
            let short_by_more_than_5pc =
                r.quantity < d.quantity && (d.quantity - r.quantity) * 100 > d.quantity * 5;
            let severity = if short_by_more_than_5pc {
                Severity::Critical
            } else {
                Severity::Major
            };
            out.push(self.pair(
                Code::QuantityMismatch,
                severity,
                (d, r),
                Some((d.quantity - r.quantity).abs()),
                format!(
                    "出库{}，{buyer}入库{}，差额超出允许误差",
                    qty(d.quantity),
                    qty(r.quantity)
                ),
                format!(
                    "dispatched {}, {buyer} received {}: the difference exceeds the tolerance",
                    qty(d.quantity),
                    qty(r.quantity)
                ),
            ));
        }
        if d.lot != r.lot {
            out.push(self.pair(
                Code::LotMismatch,
                Severity::Minor,
                (d, r),
                None,
                format!(
                    "出库批号{}与{buyer}入库批号{}不一致",
                    lot_text(d.lot.as_deref()),
                    lot_text(r.lot.as_deref())
                ),
                format!(
                    "dispatched lot {} but {buyer} received lot {}",
                    lot_text(d.lot.as_deref()),
                    lot_text(r.lot.as_deref())
                ),
            ));
        }
        if r.occurred_at < d.occurred_at {
            out.push(self.pair(
                Code::TimeInversion,
                Severity::Minor,
                (d, r),
                None,
                format!("{buyer}的入库时间早于出库时间"),
                format!("{buyer} recorded the receipt before the dispatch happened"),
            ));
        } else if r.occurred_at > d.occurred_at + self.s.transit_window {
            let days = (r.occurred_at - d.occurred_at).num_days();
            out.push(self.pair(
                Code::LateReceipt,
                Severity::Minor,
                (d, r),
                None,
                format!("{buyer}在出库{days}天后才入库，超过在途期限"),
                format!("{buyer} received the shipment {days} days after dispatch, past the transit window"),
            ));
        }
    }
}
