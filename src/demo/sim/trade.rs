//! Trade between firms: orders placed when stock runs low, dispatched from stock on hand,
//! 0–3 days in transit, received under the same waybill, lot and quantity (what would arrive
//! after the last day is still on the road at the end).

use chrono::{Datelike, Weekday};

use super::super::plan::{FirmKind, Supplier};
use super::event::{Ev, Party, ShipRef, Shipper};
use super::orders::{Arrival, Buyer, Order};
use super::slots::{TRADER_RECEIPT, USER_RECEIPT};
use super::state::Sim;
use super::stock::round_up;
use crate::domain::EntryKind;

/// An order that could not be filled for this many days is cancelled.
const ORDER_PATIENCE: u32 = 10;

impl Sim<'_> {
    pub(super) fn backlog(&self, seller: u32, chem: u16) -> i64 {
        self.queues[seller as usize]
            .iter()
            .filter(|o| o.chem == chem)
            .map(|o| o.remaining)
            .sum()
    }

    /// Ships queued orders from stock on hand; what cannot be shipped waits, and is cancelled
    /// after [`ORDER_PATIENCE`] days.
    pub(super) fn dispatch(&mut self, seller: u32, day: u32, slot: (i64, i64)) {
        let queue = std::mem::take(&mut self.queues[seller as usize]);
        let mut kept = Vec::with_capacity(queue.len());
        for mut order in queue {
            let Some(li) = self.plan.firms[seller as usize].line(order.chem) else {
                self.cancel(&order);
                continue;
            };
            let pieces = self.stock[seller as usize][li].take(order.remaining);
            for (lot, qty) in pieces {
                let at = self.time(day, slot);
                let ship = self.waybill(Shipper::Firm(seller), day);
                let mut ev = Ev::new(EntryKind::Sale, order.chem, lot, qty, at);
                ev.party = match order.buyer {
                    Buyer::Firm(b) => Party::Firm(b),
                    Buyer::Outside(o) => Party::Outside {
                        party: o,
                        with_permit: true,
                    },
                };
                ev.ship = Some(ship);
                // Within Ningde no transport document is needed (a category-1 permit would be
                // good for one shipment only); to another city one always is.
                ev.transport = self.crosses_cities(seller, ev.party);
                self.emit(seller, ev);
                order.remaining -= qty;
                if let Buyer::Firm(b) = order.buyer {
                    self.schedule(b, order.chem, lot, qty, Shipper::Firm(seller), ship, day);
                }
            }
            if order.remaining > 0 {
                if day.saturating_sub(order.placed) > ORDER_PATIENCE {
                    self.cancel(&order);
                } else {
                    kept.push(order);
                }
            }
        }
        // Orders placed while dispatching (none today) would be in the queue already.
        kept.append(&mut self.queues[seller as usize]);
        self.queues[seller as usize] = kept;
    }

    fn cancel(&mut self, order: &Order) {
        if let Buyer::Firm(b) = order.buyer {
            if let Some(li) = self.plan.firms[b as usize].line(order.chem) {
                let stock = &mut self.stock[b as usize][li];
                stock.pending = (stock.pending - order.remaining).max(0);
            }
        }
    }

    /// 0–3 days in transit (Sunday deliveries wait for Monday).
    /// The day goods dispatched on `day` arrive, or `None` while they are still on the road when
    /// the traffic ends (they wait in the buyer's inbox).
    fn transit(&mut self, day: u32) -> Option<u32> {
        let k = match self.rng.below(1000) {
            0..=249 => 0,
            250..=699 => 1,
            700..=899 => 2,
            _ => 3,
        };
        let last = self.days - 1;
        if day + k > last {
            return None;
        }
        let mut arrival = day + k;
        if self.date(arrival).weekday() == Weekday::Sun && arrival < last && arrival < day + 3 {
            arrival += 1;
        }
        Some(arrival)
    }

    #[allow(clippy::too_many_arguments)]
    fn schedule(
        &mut self,
        buyer: u32,
        chem: u16,
        lot: u32,
        qty: i64,
        from: Shipper,
        ship: ShipRef,
        day: u32,
    ) {
        let Some(line) = self.plan.firms[buyer as usize].line(chem) else {
            return;
        };
        let Some(arrival) = self.transit(day) else {
            return;
        };
        let a = Arrival {
            buyer,
            line,
            lot,
            qty,
            from,
            ship,
        };
        if self.plan.firms[buyer as usize].kind == FirmKind::Trader {
            self.trader_arrivals[arrival as usize].push(a);
        } else {
            self.user_arrivals[arrival as usize].push(a);
        }
    }

    pub(super) fn receive(&mut self, day: u32, traders: bool) {
        let arrivals = if traders {
            std::mem::take(&mut self.trader_arrivals[day as usize])
        } else {
            std::mem::take(&mut self.user_arrivals[day as usize])
        };
        let slot = if traders {
            TRADER_RECEIPT
        } else {
            USER_RECEIPT
        };
        for a in arrivals {
            let chem = self.plan.firms[a.buyer as usize].lines[a.line].chem;
            let at = self.time(day, slot);
            let mut ev = Ev::new(EntryKind::Purchase, chem, a.lot, a.qty, at);
            ev.party = match a.from {
                Shipper::Firm(s) => Party::Firm(s),
                Shipper::Outside(o) => Party::Outside {
                    party: o,
                    with_permit: true,
                },
            };
            ev.ship = Some(a.ship);
            ev.purchase_doc = true;
            self.emit(a.buyer, ev);
            let stock = &mut self.stock[a.buyer as usize][a.line];
            stock.put(a.lot, a.qty);
            stock.pending = (stock.pending - a.qty).max(0);
        }
    }

    fn order_size(&self, chem: u16, qty: i64, lab: bool) -> i64 {
        let spec = self.plan.chems[usize::from(chem)].spec;
        if lab {
            round_up(qty, spec.bottle)
        } else if qty >= 10_000_000 {
            round_up(qty, 1_000_000)
        } else {
            round_up(qty, spec.drum)
        }
    }

    pub(super) fn user_orders(&mut self, u: u32, day: u32) {
        let plan = self.plan;
        let firm = &plan.firms[u as usize];
        for (li, line) in firm.lines.iter().enumerate() {
            let stock = &self.stock[u as usize][li];
            let position = stock.on_hand + stock.pending;
            let reorder_at = line.rate * if firm.lab { 20 } else { 9 };
            if position < reorder_at {
                let qty = self.order_size(
                    line.chem,
                    line.rate * line.cover_days + reorder_at - position,
                    firm.lab,
                );
                self.place(u, li, qty, day);
            }
        }
    }

    pub(super) fn trader_orders(&mut self, t: u32, day: u32) {
        let plan = self.plan;
        for (li, line) in plan.firms[t as usize].lines.iter().enumerate() {
            if line.rate == 0 {
                continue;
            }
            let stock = &self.stock[t as usize][li];
            let position = stock.on_hand + stock.pending - self.backlog(t, line.chem);
            let reorder_at = line.rate * 8;
            if position < reorder_at {
                let qty = self.order_size(line.chem, line.rate * 20 + reorder_at - position, false);
                self.place(t, li, qty, day);
            }
        }
    }

    fn place(&mut self, buyer: u32, li: usize, qty: i64, day: u32) {
        let line = &self.plan.firms[buyer as usize].lines[li];
        let chem = line.chem;
        match line.supplier {
            Some(Supplier::Firm(s)) => {
                self.queues[s as usize].push(Order {
                    buyer: Buyer::Firm(buyer),
                    chem,
                    remaining: qty,
                    placed: day,
                });
                self.stock[buyer as usize][li].pending += qty;
            }
            Some(Supplier::Outside(o)) => {
                // Shipped by the outside supplier the next day, straight from its own lot.
                let shipped = day + 1;
                let outside = &self.plan.outside[usize::from(o)];
                let name = format!(
                    "{}{}{:02}",
                    outside.code,
                    self.date(shipped).format("%y%m%d"),
                    chem
                );
                let lot = self.lot(name);
                let ship = self.waybill(Shipper::Outside(o), shipped);
                self.stock[buyer as usize][li].pending += qty;
                self.schedule(buyer, chem, lot, qty, Shipper::Outside(o), ship, shipped);
            }
            None => {}
        }
    }

    /// Outside customers order on a steady rhythm, as a firm's regular customers do: each line
    /// of the producer once a week (its own weekday), the customers taking turns, so that every
    /// customer orders about every four weeks and no month stands out (SUSPICIOUS_FREQUENCY
    /// judges the rhythm; only the documented story breaks it).
    pub(super) fn outside_orders(&mut self, p: u32, day: u32) {
        let plan = self.plan;
        let buyers = plan.buyers();
        if buyers.is_empty() {
            return;
        }
        for (i, line) in plan.firms[p as usize].lines.iter().enumerate() {
            let offset = p + i as u32;
            if line.outside_rate == 0 || (day + offset) % 7 != 0 {
                continue;
            }
            let turn = (day + offset) / 7 + offset;
            let buyer = buyers[turn as usize % buyers.len()];
            let qty = self.order_size(line.chem, line.outside_rate * 7, false);
            self.queues[p as usize].push(Order {
                buyer: Buyer::Outside(buyer),
                chem: line.chem,
                remaining: qty,
                placed: day,
            });
        }
    }
}
