//! Findings about stock: each lot's running book balance per firm, in business order — a lot
//! that goes out before it ever came in, a balance that goes negative, a count that disagrees.

use super::walk::{lot_text, Map, Validator};
use crate::custody::model::{Entry, Finding};
use crate::domain::quantity::format_thousandths as qty;
use crate::domain::{Code, EntryKind, Severity};

/// One lot of one chemical at one firm, as the walk has seen it so far.
#[derive(Default)]
struct Lot {
    balance: i64,
    came_in: bool,
    negative: bool,
}

impl Validator<'_> {
    /// Running balance per (firm, chemical, lot) in business order.
    pub(super) fn balances(&self, out: &mut Vec<Finding>) {
        let mut lots: Map<(&str, &str, Option<&str>), Lot> = Map::default();
        for e in &self.entries {
            let state = lots
                .entry((&*e.firm_id, &*e.chemical_id, e.lot.as_deref()))
                .or_default();
            match e.kind {
                EntryKind::Purchase | EntryKind::Production => {
                    state.balance = state.balance.saturating_add(e.quantity);
                    state.came_in = true;
                    state.negative = state.balance < 0;
                }
                EntryKind::Sale
                | EntryKind::Consumption
                | EntryKind::Loss
                | EntryKind::Disposal => self.went_out(e, state, out),
                EntryKind::Stocktake => self.counted(e, state, out),
                EntryKind::Reversal => {}
            }
        }
    }

    /// A sale, use, loss or disposal: an orphan lot, or the step into a negative balance.
    fn went_out(&self, e: &Entry, state: &mut Lot, out: &mut Vec<Finding>) {
        state.balance = state.balance.saturating_sub(e.quantity);
        if e.lot.is_some() && !state.came_in {
            out.push(self.single(
                Code::OrphanLot,
                Severity::Critical,
                e,
                Some(e.quantity),
                format!(
                    "批号{}从未购入或生产，却有{}出库/使用",
                    lot_text(e.lot.as_deref()),
                    qty(e.quantity)
                ),
                format!(
                    "lot {} never came into the firm, yet {} went out",
                    lot_text(e.lot.as_deref()),
                    qty(e.quantity)
                ),
            ));
        } else if state.balance < 0 && !state.negative {
            out.push(self.single(
                Code::NegativeBalance,
                Severity::Critical,
                e,
                Some(-state.balance),
                format!(
                    "批号{}账面结存为负：出多于进{}",
                    lot_text(e.lot.as_deref()),
                    qty(-state.balance)
                ),
                format!(
                    "lot {} went negative: {} more went out than ever came in",
                    lot_text(e.lot.as_deref()),
                    qty(-state.balance)
                ),
            ));
        }
        state.negative = state.balance < 0;
    }

    /// A stocktake: a count that disagrees with the book; the book continues from the count.
    fn counted(&self, e: &Entry, state: &mut Lot, out: &mut Vec<Finding>) {
        let book = state.balance;
        if !self.s.agree(book, e.quantity) {
            let shortfall = book - e.quantity;
            let severity = if shortfall > 0 && shortfall * 100 > book * 5 {
                Severity::Critical
            } else {
                Severity::Major
            };
            out.push(self.single(
                Code::StocktakeDiscrepancy,
                severity,
                e,
                Some((book - e.quantity).abs()),
                format!(
                    "盘点数{}与账面数{}不符（批号{}）",
                    qty(e.quantity),
                    qty(book),
                    lot_text(e.lot.as_deref())
                ),
                format!(
                    "counted {} but the book says {} (lot {})",
                    qty(e.quantity),
                    qty(book),
                    lot_text(e.lot.as_deref())
                ),
            ));
        }
        state.balance = e.quantity;
        state.came_in |= e.quantity > 0;
        state.negative = false;
    }
}
