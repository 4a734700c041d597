//! The simulation's state: the province's stock, the orders waiting and goods in transit,
//! the ledgers being filed, and the clock they are filed by.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};

use super::super::plan::Plan;
use super::super::rng::Rng;
use super::super::world::REGIONS;
use super::event::{Ev, Party, ShipRef, Shipper};
use super::orders::{Arrival, Order};
use super::slots::{HOUR, UTC_OFFSET};
use super::stock::Stock;
use crate::domain::RegionCode;

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
    pub(super) gen: u32,
    pub(super) stock: Vec<Vec<Stock>>,
    pub(super) queues: Vec<Vec<Order>>,
    pub(super) trader_arrivals: Vec<Vec<Arrival>>,
    pub(super) user_arrivals: Vec<Vec<Arrival>>,
    pub(super) waybills: HashMap<(Shipper, u32), u32>,
    pub(super) lot_index: HashMap<String, u32>,
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
    pub(super) fn time(&mut self, day: u32, slot: (i64, i64)) -> i64 {
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

    /// Whether goods from `seller` to `buyer` cross a prefecture-level city border (a
    /// registered firm by its region, an outside party by its credit code's region), so that
    /// they travel under a transport document whatever their category.
    pub(super) fn crosses_cities(&self, seller: u32, buyer: Party) -> bool {
        let from = REGIONS[self.plan.firms[seller as usize].region].code;
        let to = match buyer {
            Party::Firm(f) => REGIONS[self.plan.firms[f as usize].region].code.to_string(),
            Party::Outside { party, .. } => {
                self.plan.outside[usize::from(party)].credit_code[2..8].to_string()
            }
            Party::None | Party::Person(_) => return false,
        };
        match (RegionCode::parse(from), RegionCode::parse(&to)) {
            (Ok(a), Ok(b)) => !a.same_city(&b),
            _ => false,
        }
    }
}
