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
mod orders;
mod site;
mod slots;
mod state;
mod stock;
mod trade;

use chrono::{Datelike, Days, Weekday};

use super::plan::FirmKind;
pub use event::{waybill_text, Ev, Party, ShipRef, Shipper, NO_LOT};
use slots::{PRODUCER_DISPATCH, TRADER_DISPATCH};
pub use state::Sim;

impl Sim<'_> {
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
