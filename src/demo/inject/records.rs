//! Gaps in the record itself: an entry filed late, and (only when asked) one whose stored hash
//! does not match it.

use super::super::plan::FirmKind;
use super::super::world;
use super::gap::{Gap, LEAD_DAYS};
use super::injector::{kg, Injector};
use crate::domain::EntryKind;

/// LATE_FILING: one simulated use filed 5 days 2 hours after it happened (a user firm not
/// otherwise concerned, if there is one).
pub(super) fn late_filing(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let plan = inj.sim.plan;
    let concerned: Vec<u32> = inj.gaps.iter().map(|g| g.firm).collect();
    let (from, to) = (inj.at(0, 0, 0), inj.at(15, 23, 59));
    let mut users: Vec<u32> = plan.firms_of(FirmKind::User).collect();
    users.sort_by_key(|u| concerned.contains(u));
    for u in users {
        let events = &inj.sim.events[u as usize];
        let reversed: Vec<u32> = events.iter().filter_map(|e| e.reverses).collect();
        let found = events.iter().position(|e| {
            e.kind == EntryKind::Consumption
                && (from..=to).contains(&e.at)
                && !reversed.contains(&e.gen)
                && e.note != Some(world::REFILE_NOTE)
        });
        if let Some(i) = found {
            let delay = 5 * 86_400 + 2 * 3600;
            let ev = &mut inj.sim.events[u as usize][i];
            ev.delay = delay;
            let (gen, at, chem, qty) = (ev.gen, ev.at, ev.chem, ev.qty);
            let when = chrono::DateTime::from_timestamp(at + 8 * 3600, 0)
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            let description = format!(
                "{} used {} of {} at {when} (local time) and filed it 5 days 2 hours later",
                inj.name(u),
                kg(qty),
                inj.chem_name(chem)
            );
            return Ok(Gap::own(u, gen, description));
        }
    }
    Err("no use to file late".into())
}

/// LATE_REPORT: P sells acetone (category 3) to the next buyer, who receives it cleanly the
/// same day; P reports the sale 31 days 2 hours later, past category 3's 30 days. The sale is
/// made before the stories' span so that the report lands inside it: told only when the
/// traffic begins at least `LEAD_DAYS` before the span.
pub(super) fn late_report(inj: &mut Injector<'_, '_>) -> Result<Option<Gap>, String> {
    if inj.base < LEAD_DAYS {
        return Ok(None);
    }
    let day = -6;
    let sold = inj.sell_new_acetone(day - 1, 120_000, day, (10, 15));
    let acetone = inj.acetone;
    inj.receipt(
        sold.buyer,
        acetone,
        sold.lot,
        120_000,
        day,
        (16, 30),
        sold.ship,
        true,
    );
    let delay = 31 * 86_400 + 2 * 3600;
    inj.event(inj.producer, sold.sale)?.delay = delay;
    let description = format!(
        "{} sold {} of {} (category 3) lot {} to {} on {} (waybill {}) and reported the sale 31 days 2 hours later, past the 30-day deadline",
        inj.seller(),
        kg(120_000),
        inj.chem_name(acetone),
        inj.lot_name(sold.lot),
        inj.name(sold.buyer),
        inj.date(day),
        inj.waybill(sold.ship)
    );
    Ok(Some(Gap::own(inj.producer, sold.sale, description)))
}

/// CHAIN_BROKEN: marks one entry in the middle of a clean user's chain. It will be stored with
/// the hash of a quantity 1 kg larger, as if its quantity had been changed in the database
/// afterwards.
pub(super) fn break_one_chain(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let plan = inj.sim.plan;
    let concerned: Vec<u32> = inj
        .gaps
        .iter()
        .flat_map(|g| g.entries.iter().map(|e| e.0))
        .collect();
    let firm = plan
        .firms_of(FirmKind::User)
        .filter(|u| !concerned.contains(u))
        .max_by_key(|&u| (inj.sim.events[u as usize].len(), std::cmp::Reverse(u)))
        .or_else(|| {
            plan.firms_of(FirmKind::User)
                .max_by_key(|&u| inj.sim.events[u as usize].len())
        })
        .ok_or("no user firm")?;
    let events = &mut inj.sim.events[firm as usize];
    if events.is_empty() {
        return Err("no entries to break".into());
    }
    let middle = events.len() / 2;
    let ev = &mut events[middle];
    ev.tamper = true;
    let (gen, kind, qty) = (ev.gen, ev.kind, ev.qty);
    let description = format!(
        "{}: the {} entry of {} is stored with the hash of a quantity 1.000 kg larger, as if its quantity had been edited in the database",
        inj.name(firm),
        kind.as_str(),
        kg(qty)
    );
    Ok(Gap::own(firm, gen, description))
}
