//! What happens to stock inside a firm: production, use (now and then misfiled and
//! corrected), losses, disposals and the month-end stocktake.

use std::collections::BTreeMap;

use super::super::world;
use super::event::{Ev, NO_LOT};
use super::slots::{HOUR, PRODUCE, STOCKTAKE, TRADER_DISPATCH, USE};
use super::state::Sim;
use super::stock::round_up;
use crate::domain::EntryKind;

impl Sim<'_> {
    pub(super) fn produce(&mut self, p: u32, day: u32) {
        let plan = self.plan;
        let firm = &plan.firms[p as usize];
        let yymmdd = self.date(day).format("%y%m%d").to_string();
        for (li, line) in firm.lines.iter().enumerate() {
            let chem = &plan.chems[usize::from(line.chem)];
            let daily = line.rate + line.outside_rate;
            let step = if chem.category == 3 {
                1_000_000
            } else {
                100_000
            };
            let batch = round_up(chem.spec.batch.max(daily * 7), step);
            let target = daily * 10 + batch / 2;
            let mut position = self.stock[p as usize][li].on_hand - self.backlog(p, line.chem);
            let mut n = 0;
            while position < target && n < 3 {
                n += 1;
                let lot = if line.lotless {
                    NO_LOT
                } else {
                    self.lot(format!("{}{yymmdd}{:02}", firm.lot_code, li * 3 + n))
                };
                let at = self.time(day, PRODUCE);
                let mut ev = Ev::new(EntryKind::Production, line.chem, lot, batch, at);
                ev.note = Some(world::PRODUCTION_NOTE);
                self.emit(p, ev);
                self.stock[p as usize][li].put(lot, batch);
                position += batch;
            }
        }
    }

    pub(super) fn use_up(&mut self, u: u32, day: u32) {
        let plan = self.plan;
        let firm = &plan.firms[u as usize];
        for (li, line) in firm.lines.iter().enumerate() {
            if !self.rng.chance(firm.use_per_mille) {
                continue;
            }
            let since =
                i64::from(day.saturating_sub(self.stock[u as usize][li].last_use)).clamp(1, 7);
            let step = if line.rate >= 10_000 {
                1000
            } else if line.rate >= 1000 {
                100
            } else {
                1
            };
            let want = line.rate * since * self.rng.range(800, 1200) / 1000;
            let want = (want / step * step).max(step);
            let pieces = self.stock[u as usize][li].take(want);
            if pieces.is_empty() {
                continue;
            }
            self.stock[u as usize][li].last_use = day;
            for (i, (lot, qty)) in pieces.into_iter().enumerate() {
                let at = self.time(day, USE);
                if i == 0 && qty >= 100 && self.rng.chance(2) {
                    self.misfiled_use(u, line.chem, lot, qty, at);
                } else {
                    let mut ev = Ev::new(EntryKind::Consumption, line.chem, lot, qty, at);
                    ev.note = firm.use_note;
                    self.emit(u, ev);
                }
            }
            if !firm.lab && self.rng.chance(2) {
                let qty = (line.rate * self.rng.range(5, 30) / 100 / step * step).max(step);
                for (lot, qty) in self.stock[u as usize][li].take(qty) {
                    let at = self.time(day, USE);
                    let mut ev = Ev::new(EntryKind::Loss, line.chem, lot, qty, at);
                    ev.note = self.rng.pick(world::LOSS_REASONS).copied();
                    self.emit(u, ev);
                }
            }
            if firm.lab && self.rng.chance(3) {
                let bottle = plan.chems[usize::from(line.chem)].spec.bottle;
                for (lot, qty) in self.stock[u as usize][li].take(bottle / 4) {
                    let at = self.time(day, USE);
                    let mut ev = Ev::new(EntryKind::Disposal, line.chem, lot, qty, at);
                    ev.note = Some(world::DISPOSAL_NOTE);
                    self.emit(u, ev);
                }
            }
        }
    }

    /// A use filed with a slipped digit, reversed and filed again (a clean correction).
    fn misfiled_use(&mut self, u: u32, chem: u16, lot: u32, qty: i64, at: i64) {
        let first = self.rng.range(600, 4 * HOUR) as u32;
        let later = first + self.rng.range(HOUR, 3 * HOUR) as u32;
        let room = (self.end_secs - at).max(0) as u32;
        let cap = |d: u32| d.min(room);
        let mut wrong = Ev::new(EntryKind::Consumption, chem, lot, qty / 10, at);
        wrong.delay = cap(first).max(1);
        let wrong_gen = self.emit(u, wrong);
        let mut reversal = Ev::new(EntryKind::Reversal, chem, lot, qty / 10, at);
        reversal.delay = cap(later).max(1);
        reversal.reverses = Some(wrong_gen);
        reversal.note = Some(world::REVERSAL_NOTE);
        self.emit(u, reversal);
        let mut refiled = Ev::new(EntryKind::Consumption, chem, lot, qty, at);
        refiled.delay = cap(later + 120).max(1);
        refiled.note = Some(world::REFILE_NOTE);
        self.emit(u, refiled);
    }

    pub(super) fn trader_losses(&mut self, t: u32, day: u32) {
        let plan = self.plan;
        for (li, line) in plan.firms[t as usize].lines.iter().enumerate() {
            if line.rate == 0 || !self.rng.chance(1) {
                continue;
            }
            let qty = (line.rate * self.rng.range(2, 10) / 100 / 100 * 100).max(100);
            for (lot, qty) in self.stock[t as usize][li].take(qty) {
                let at = self.time(day, TRADER_DISPATCH);
                let mut ev = Ev::new(EntryKind::Loss, line.chem, lot, qty, at);
                ev.note = self.rng.pick(world::LOSS_REASONS).copied();
                self.emit(t, ev);
            }
        }
    }

    /// Counts every lot on hand at the end of the month; the count is the book balance.
    pub(super) fn stocktake(&mut self, f: u32, day: u32) {
        for li in 0..self.stock[f as usize].len() {
            let mut by_lot: BTreeMap<u32, i64> = BTreeMap::new();
            for (lot, qty) in &self.stock[f as usize][li].lots {
                *by_lot.entry(*lot).or_insert(0) += qty;
            }
            let chem = self.plan.firms[f as usize].lines[li].chem;
            for (lot, qty) in by_lot {
                if qty > 0 {
                    let at = self.time(day, STOCKTAKE);
                    let mut ev = Ev::new(EntryKind::Stocktake, chem, lot, qty, at);
                    ev.note = Some(world::STOCKTAKE_NOTE);
                    self.emit(f, ev);
                }
            }
        }
    }
}
