//! Day-by-day simulation of the province's traffic. Every movement is decided from the stock
//! actually on hand, so no balance ever goes negative; every dispatch to a registered firm is
//! received 0–3 days later under the same waybill number, lot and quantity.
//!
//! Within a day the slots never overlap, so a firm's additions and removals are ordered the
//! same way in time as in the simulation (all times local, UTC+8):
//!
//! | slot | who | what |
//! | --- | --- | --- |
//! | 07:00–08:00 | producers | production |
//! | 08:00–10:30 | producers | dispatch |
//! | 10:30–12:00 | traders | receipts |
//! | 13:00–15:00 | traders | dispatch, losses |
//! | 15:00–17:00 | users | receipts |
//! | 17:00–19:00 | users | consumption, losses, disposals |
//! | 20:00–21:00 | everyone | month-end stocktake |

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::plan::{FirmKind, Plan, Supplier};
use super::rng::Rng;
use super::world;
use crate::domain::EntryKind;

/// The lot of an entry without one.
pub const NO_LOT: u32 = u32::MAX;

const HOUR: i64 = 3600;
const PRODUCE: (i64, i64) = (7 * HOUR, 8 * HOUR - 60);
const PRODUCER_DISPATCH: (i64, i64) = (8 * HOUR, 10 * HOUR + 1800 - 60);
const TRADER_RECEIPT: (i64, i64) = (10 * HOUR + 1800, 12 * HOUR - 60);
const TRADER_DISPATCH: (i64, i64) = (13 * HOUR, 15 * HOUR - 60);
const USER_RECEIPT: (i64, i64) = (15 * HOUR, 17 * HOUR - 60);
const USE: (i64, i64) = (17 * HOUR, 19 * HOUR - 60);
const STOCKTAKE: (i64, i64) = (20 * HOUR, 21 * HOUR - 60);
/// Ningde keeps China Standard Time.
const UTC_OFFSET: i64 = 8 * HOUR;
/// An order that could not be filled for this many days is cancelled.
const ORDER_PATIENCE: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shipper {
    Firm(u32),
    Outside(u16),
}

/// A waybill number: the shipper's n-th of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShipRef {
    pub shipper: Shipper,
    pub day: u32,
    pub n: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    None,
    Firm(u32),
    Outside { party: u16, with_permit: bool },
}

/// One ledger entry before it has an id, a seq and a hash.
#[derive(Debug, Clone)]
pub struct Ev {
    /// Order of generation: breaks ties of `at` when seqs are assigned.
    pub gen: u32,
    pub kind: EntryKind,
    pub chem: u16,
    pub lot: u32,
    pub qty: i64,
    /// `occurred_at`, Unix seconds.
    pub at: i64,
    /// `recorded_at − occurred_at`, seconds.
    pub delay: u32,
    pub party: Party,
    pub ship: Option<ShipRef>,
    /// Name the firm's purchase permit or filing for the chemical in `permit_no`.
    pub purchase_doc: bool,
    /// Name the firm's transport permit in `transport_permit_no`.
    pub transport: bool,
    pub note: Option<&'static str>,
    /// `gen` of the entry of the same firm this one reverses.
    pub reverses: Option<u32>,
    /// Stored with a hash computed over other values (CHAIN_BROKEN).
    pub tamper: bool,
}

impl Ev {
    pub fn new(kind: EntryKind, chem: u16, lot: u32, qty: i64, at: i64) -> Ev {
        Ev {
            gen: 0,
            kind,
            chem,
            lot,
            qty,
            at,
            delay: 0,
            party: Party::None,
            ship: None,
            purchase_doc: false,
            transport: false,
            note: None,
            reverses: None,
            tamper: false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Buyer {
    Firm(u32),
    Outside(u16),
}

struct Order {
    buyer: Buyer,
    chem: u16,
    remaining: i64,
    placed: u32,
}

struct Arrival {
    buyer: u32,
    line: usize,
    lot: u32,
    qty: i64,
    from: Shipper,
    ship: ShipRef,
}

/// A firm's stock of one chemical: lots first in, first out.
#[derive(Default)]
struct Stock {
    lots: VecDeque<(u32, i64)>,
    on_hand: i64,
    /// Ordered and not yet received.
    pending: i64,
    last_use: u32,
}

impl Stock {
    fn put(&mut self, lot: u32, qty: i64) {
        match self.lots.back_mut() {
            Some((l, q)) if *l == lot => *q += qty,
            _ => self.lots.push_back((lot, qty)),
        }
        self.on_hand += qty;
    }

    /// Takes `qty` (at most what is on hand) from the oldest lots; one piece per lot.
    fn take(&mut self, qty: i64) -> Vec<(u32, i64)> {
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

pub struct Sim<'p> {
    pub plan: &'p Plan,
    pub rng: Rng,
    pub first_day: NaiveDate,
    pub days: u32,
    /// `end` in Unix seconds: nothing is recorded later.
    pub end_secs: i64,
    /// Entries per firm (index as in the plan).
    pub events: Vec<Vec<Ev>>,
    pub lots: Vec<String>,
    gen: u32,
    stock: Vec<Vec<Stock>>,
    queues: Vec<Vec<Order>>,
    trader_arrivals: Vec<Vec<Arrival>>,
    user_arrivals: Vec<Vec<Arrival>>,
    waybills: HashMap<(Shipper, u32), u32>,
    lot_index: HashMap<String, u32>,
}

pub fn round_up(qty: i64, step: i64) -> i64 {
    if step <= 1 {
        qty
    } else {
        (qty + step - 1) / step * step
    }
}

impl<'p> Sim<'p> {
    pub fn new(
        plan: &'p Plan,
        rng: Rng,
        first_day: NaiveDate,
        days: u32,
        end_secs: i64,
    ) -> Sim<'p> {
        Sim {
            plan,
            rng,
            first_day,
            days,
            end_secs,
            events: plan.firms.iter().map(|_| Vec::new()).collect(),
            lots: Vec::new(),
            gen: 0,
            stock: plan
                .firms
                .iter()
                .map(|f| f.lines.iter().map(|_| Stock::default()).collect())
                .collect(),
            queues: plan.firms.iter().map(|_| Vec::new()).collect(),
            trader_arrivals: (0..days).map(|_| Vec::new()).collect(),
            user_arrivals: (0..days).map(|_| Vec::new()).collect(),
            waybills: HashMap::new(),
            lot_index: HashMap::new(),
        }
    }

    pub fn date(&self, day: u32) -> NaiveDate {
        self.first_day + Days::new(u64::from(day))
    }

    /// Unix seconds of local midnight starting `day`.
    pub fn midnight(&self, day: u32) -> i64 {
        self.date(day)
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp())
            .unwrap_or(0)
            - UTC_OFFSET
    }

    /// A random moment of `day` within a slot of local time.
    fn time(&mut self, day: u32, slot: (i64, i64)) -> i64 {
        self.midnight(day) + self.rng.range(slot.0, slot.1)
    }

    /// How long after the event it is filed: mostly within hours, never beyond a day, never
    /// after `end`.
    pub fn filing_delay(&mut self, at: i64) -> u32 {
        let delay = match self.rng.below(1000) {
            0..=699 => self.rng.range(300, 2 * HOUR),
            700..=949 => self.rng.range(2 * HOUR, 12 * HOUR),
            _ => self.rng.range(12 * HOUR, 23 * HOUR + 50 * 60),
        };
        delay.min(self.end_secs - at).max(0) as u32
    }

    pub fn lot(&mut self, name: String) -> u32 {
        if let Some(&i) = self.lot_index.get(&name) {
            return i;
        }
        let i = self.lots.len() as u32;
        self.lots.push(name.clone());
        self.lot_index.insert(name, i);
        i
    }

    pub fn waybill(&mut self, shipper: Shipper, day: u32) -> ShipRef {
        let n = self.waybills.entry((shipper, day)).or_insert(0);
        *n += 1;
        ShipRef {
            shipper,
            day,
            n: *n,
        }
    }

    /// Files `ev` into `firm`'s ledger (with a filing delay unless one is set); returns its gen.
    pub fn emit(&mut self, firm: u32, mut ev: Ev) -> u32 {
        ev.gen = self.gen;
        self.gen += 1;
        if ev.delay == 0 {
            ev.delay = self.filing_delay(ev.at);
        }
        let gen = ev.gen;
        self.events[firm as usize].push(ev);
        gen
    }

    fn category(&self, chem: u16) -> u8 {
        self.plan.chems[usize::from(chem)].category
    }

    pub fn run(&mut self) {
        let producers: Vec<u32> = self.plan.firms_of(FirmKind::Producer).collect();
        let traders: Vec<u32> = self.plan.firms_of(FirmKind::Trader).collect();
        let users: Vec<u32> = self.plan.firms_of(FirmKind::User).collect();
        for day in 0..self.days {
            let date = self.date(day);
            let sunday = date.weekday() == Weekday::Sun;
            let saturday = date.weekday() == Weekday::Sat;
            if !sunday {
                for &p in &producers {
                    self.produce(p, day);
                }
                for &p in &producers {
                    self.dispatch(p, day, PRODUCER_DISPATCH);
                }
            }
            self.receive(day, true);
            if !sunday {
                for &t in &traders {
                    self.dispatch(t, day, TRADER_DISPATCH);
                    self.trader_losses(t, day);
                }
            }
            self.receive(day, false);
            if !sunday {
                for &u in &users {
                    if !saturday || self.rng.chance(300) {
                        self.use_up(u, day);
                    }
                }
            }
            if (date + Days::new(1)).day() == 1 {
                for f in producers.iter().chain(&traders).chain(&users) {
                    self.stocktake(*f, day);
                }
            }
            if !sunday && day + 1 < self.days {
                for &u in &users {
                    self.user_orders(u, day);
                }
                for &t in &traders {
                    self.trader_orders(t, day);
                }
                for &p in &producers {
                    self.outside_orders(p, day);
                }
            }
        }
    }

    fn backlog(&self, seller: u32, chem: u16) -> i64 {
        self.queues[seller as usize]
            .iter()
            .filter(|o| o.chem == chem)
            .map(|o| o.remaining)
            .sum()
    }

    fn produce(&mut self, p: u32, day: u32) {
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

    /// Ships queued orders from stock on hand; what cannot be shipped waits, and is cancelled
    /// after [`ORDER_PATIENCE`] days.
    fn dispatch(&mut self, seller: u32, day: u32, slot: (i64, i64)) {
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
                ev.transport = self.category(order.chem) <= 2;
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

    /// 0–3 days in transit (never past the last day; Sunday deliveries wait for Monday).
    fn transit(&mut self, day: u32) -> u32 {
        let k = match self.rng.below(1000) {
            0..=249 => 0,
            250..=699 => 1,
            700..=899 => 2,
            _ => 3,
        };
        let last = self.days - 1;
        let mut arrival = (day + k).min(last);
        if self.date(arrival).weekday() == Weekday::Sun && arrival < last && arrival < day + 3 {
            arrival += 1;
        }
        arrival
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
        let arrival = self.transit(day);
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

    fn receive(&mut self, day: u32, traders: bool) {
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

    fn use_up(&mut self, u: u32, day: u32) {
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

    fn trader_losses(&mut self, t: u32, day: u32) {
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
    fn stocktake(&mut self, f: u32, day: u32) {
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

    fn user_orders(&mut self, u: u32, day: u32) {
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

    fn trader_orders(&mut self, t: u32, day: u32) {
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

    fn outside_orders(&mut self, p: u32, day: u32) {
        let plan = self.plan;
        let buyers = plan.buyers();
        for line in &plan.firms[p as usize].lines {
            if line.outside_rate == 0 || !self.rng.chance(150) {
                continue;
            }
            let Some(&buyer) = self.rng.pick(&buyers) else {
                return;
            };
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

/// The printed waybill number: `CK0012-20250314-003` for a registered shipper (its number),
/// `JY-20250314-0003` for an outside one.
pub fn waybill_text(plan: &Plan, first_day: NaiveDate, ship: ShipRef) -> String {
    let date = (first_day + Days::new(u64::from(ship.day))).format("%Y%m%d");
    match ship.shipper {
        Shipper::Firm(f) => format!(
            "CK{:04}-{date}-{:03}",
            plan.firms.get(f as usize).map_or(0, |f| f.no),
            ship.n
        ),
        Shipper::Outside(o) => format!(
            "{}-{date}-{:04}",
            plan.outside.get(usize::from(o)).map_or("EX", |o| o.code),
            ship.n
        ),
    }
}
