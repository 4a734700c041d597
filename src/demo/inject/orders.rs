//! Suspicious orders: an order far above the buyer's usual size, and a month with far more
//! orders than the buyer's usual. The buyers are outside trading firms that the simulation
//! only buys from (the outside suppliers), so that nothing else is sold to them: each story's
//! history is its own.

use chrono::Datelike;

use super::super::sim::Party;
use super::gap::Gap;
use super::injector::{kg, Injector, TON};

/// The `i`-th outside supplier as a buyer of the producer (with its permit on record).
fn outside_trader(inj: &Injector<'_, '_>, i: usize) -> Result<(Party, &'static str), String> {
    let plan = inj.sim.plan;
    let party = (0..plan.outside.len() as u16)
        .filter(|&p| plan.outside[usize::from(p)].sells)
        .nth(i)
        .ok_or("too few outside traders")?;
    let buyer = Party::Outside {
        party,
        with_permit: true,
    };
    Ok((buyer, plan.outside[usize::from(party)].name))
}

/// The usual order of SUSPICIOUS_SIZE and how many of them come before the big one.
const USUAL: i64 = 200_000;
const BIG: i64 = 1_250_000;

/// SUSPICIOUS_SIZE: six orders of 200 kg of acetone on days 0–5, then one of 1250 kg (above
/// 5 × 200 kg) on day 13, all to the same outside trader.
pub(super) fn unusual_size(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let (buyer, name) = outside_trader(inj, 0)?;
    let lot = inj.produce(acetone, 3 * TON, 0);
    for day in 0..6 {
        let (sale, _) = inj.sale(buyer, acetone, lot, USUAL, day, (9, 5));
        to_another_city(inj, sale)?;
    }
    let (sale, ship) = inj.sale(buyer, acetone, lot, BIG, 13, (9, 35));
    to_another_city(inj, sale)?;
    let description = format!(
        "{} sold {} of {} (waybill {}) on {} to the outside firm {}, whose 6 orders before were {} each: more than 5 × its usual order",
        inj.seller(),
        kg(BIG),
        inj.chem_name(acetone),
        inj.waybill(ship),
        inj.date(13),
        name,
        kg(USUAL)
    );
    Ok(Gap::own(inj.producer, sale, description))
}

/// SUSPICIOUS_STRUCTURING: the `cn` pack's screening threshold for acetone, and three sales
/// each just under it that together pass it.
const THRESHOLD: i64 = 2_500_000;
const SPLIT: i64 = 2_300_000;

/// SUSPICIOUS_STRUCTURING: a third outside trader, new to the producer, takes 3 × 2300 kg of
/// acetone on one day, each sale under the 2500 kg threshold, together 6900 kg.
pub(super) fn structuring(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let (buyer, name) = outside_trader(inj, 2)?;
    let lot = inj.produce(acetone, 7 * TON, 15);
    let mut entries = Vec::new();
    for minute in [5, 25, 45] {
        let (sale, _) = inj.sale(buyer, acetone, lot, SPLIT, 16, (10, minute));
        to_another_city(inj, sale)?;
        entries.push((inj.producer, sale));
    }
    let description = format!(
        "{} sold {} of {} to the outside firm {} on {} as three sales of {} each, every one under the pack's {} threshold",
        inj.seller(),
        kg(3 * SPLIT),
        inj.chem_name(acetone),
        name,
        inj.date(16),
        kg(SPLIT),
        kg(THRESHOLD),
    );
    Ok(Gap {
        firm: inj.producer,
        entries,
        description,
    })
}

/// Orders of SUSPICIOUS_FREQUENCY: 6 in the month before, then 14 in one month. With one month
/// before of 6 orders the line is 6 + 3 × √6 ≈ 13.3 (σ = 0 is taken as at least √mean).
const BEFORE: u32 = 6;
const BURST: u32 = 14;
const EACH: i64 = 40_000;

/// SUSPICIOUS_FREQUENCY: an outside trader that ordered 40 kg of acetone on 6 days at the end
/// of one month orders it on 14 days running in the next, the last ones in the story's span.
/// Told only when the traffic reaches back into the month before (about 45 days or more).
pub(super) fn unusual_frequency(inj: &mut Injector<'_, '_>) -> Result<Option<Gap>, String> {
    let Some((before, burst)) = frequency_days(inj) else {
        return Ok(None);
    };
    let acetone = inj.acetone;
    let (buyer, name) = outside_trader(inj, 1)?;
    let lot = inj.produce_on(acetone, TON, before - 1);
    for day in before..before + BEFORE {
        inj.sim_sale(buyer, acetone, lot, day, (8, 50))?;
    }
    let sales = (burst..burst + BURST)
        .map(|day| {
            Ok((
                inj.producer,
                inj.sim_sale(buyer, acetone, lot, day, (9, 15))?,
            ))
        })
        .collect::<Result<_, String>>()?;
    let month = inj.sim.date(burst).format("%Y-%m");
    let description = format!(
        "{} sold {} of {} to the outside firm {} on each of the {BURST} days from {} to {} ({month}), after {BEFORE} orders in the whole month before: far more orders than usual",
        inj.seller(),
        kg(EACH),
        inj.chem_name(acetone),
        name,
        inj.sim.date(burst).format("%Y-%m-%d"),
        inj.sim.date(burst + BURST - 1).format("%Y-%m-%d"),
    );
    Ok(Some(Gap {
        firm: inj.producer,
        entries: sales,
        description,
    }))
}

/// The first (traffic) day of the 6 orders before and of the 14 of the burst: the burst ends on
/// the last day of traffic, or on the last day of the month before when the last month has
/// fewer than 14 days of traffic; the 6 fall on the last days of the month before the burst's.
fn frequency_days(inj: &Injector<'_, '_>) -> Option<(u32, u32)> {
    let last = inj.sim.days.checked_sub(1)?;
    let into_month = |day: u32| inj.sim.date(day).day();
    let burst_end = if into_month(last) >= BURST {
        last
    } else {
        last.checked_sub(into_month(last))?
    };
    let burst = burst_end + 1 - BURST;
    let month_before_end = burst_end.checked_sub(into_month(burst_end))?;
    let before = month_before_end.checked_sub(BEFORE - 1)?;
    (before >= 1).then_some((before, burst))
}

/// The outside traders are in other cities: their goods travel under the producer's transport
/// filing (acetone is category 3), so that only the orders' pattern is in question.
fn to_another_city(inj: &mut Injector<'_, '_>, sale: u32) -> Result<(), String> {
    inj.event(inj.producer, sale)?.transport = true;
    Ok(())
}

impl Injector<'_, '_> {
    /// A sale of 40 kg on a day of the traffic (counted from its first day), to another city;
    /// returns its gen.
    fn sim_sale(
        &mut self,
        buyer: Party,
        chem: u16,
        lot: u32,
        day: u32,
        time: (i64, i64),
    ) -> Result<u32, String> {
        let (sale, _) = self.sale_on(buyer, chem, lot, EACH, day, time);
        to_another_city(self, sale)?;
        Ok(sale)
    }
}
