//! Day-by-day simulation of the province's traffic. Every movement is decided from the stock
//! actually on hand, so no balance ever goes negative; every dispatch to a registered firm is
//! received 0–3 days later under the same waybill number, lot and quantity. `trade` moves
//! stock between firms, `site` changes it inside one, `event` is what gets filed.
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

mod event;
mod site;
mod stock;
mod trade;

use std::collections::HashMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::plan::{FirmKind, Plan};
use super::rng::Rng;
pub use event::{waybill_text, Ev, Party, ShipRef, Shipper, NO_LOT};
use stock::Stock;
use trade::{Arrival, Order};

const HOUR: i64 = 3600;
// The slots of the table above, in seconds after local midnight.
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
}
