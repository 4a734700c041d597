//! A firm's stock of one chemical, and the sizes quantities are rounded up to.

use std::collections::VecDeque;

/// A firm's stock of one chemical: lots first in, first out.
#[derive(Default)]
pub(super) struct Stock {
    pub(super) lots: VecDeque<(u32, i64)>,
    pub(super) on_hand: i64,
    /// Ordered and not yet received.
    pub(super) pending: i64,
    pub(super) last_use: u32,
}

impl Stock {
    pub(super) fn put(&mut self, lot: u32, qty: i64) {
        match self.lots.back_mut() {
            Some((l, q)) if *l == lot => *q += qty,
            _ => self.lots.push_back((lot, qty)),
        }
        self.on_hand += qty;
    }

    /// Takes `qty` (at most what is on hand) from the oldest lots; one piece per lot.
    pub(super) fn take(&mut self, qty: i64) -> Vec<(u32, i64)> {
        let mut left = qty.min(self.on_hand);
        let mut pieces = Vec::new();
        while left > 0 {
            let Some((lot, have)) = self.lots.front_mut() else {
                break;
            };
            let q = left.min(*have);
            pieces.push((*lot, q));
            *have -= q;
            left -= q;
            self.on_hand -= q;
            if *have == 0 {
                self.lots.pop_front();
            }
        }
        pieces
    }
}

/// `qty` rounded up to a whole number of `step`s (a drum, a bottle, a ton).
pub(super) fn round_up(qty: i64, step: i64) -> i64 {
    if step <= 1 {
        qty
    } else {
        (qty + step - 1) / step * step
    }
}
