//! Gaps in the deal itself: a category-2 chemical sold to a person, and a sale paid in cash
//! (told beside its lawful twin, a person's cash purchase of a category-3 chemical).

use super::super::sim::Party;
use super::super::world;
use super::gap::Gap;
use super::injector::{kg, Injector};
use crate::domain::Payment;

/// SALE_TO_INDIVIDUAL: P sells 5 kg of acetic anhydride (category 2) to a person at its
/// counter, with its transport permit, paid by card.
pub(super) fn sale_to_individual(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let anhydride = inj.anhydride;
    let lot = inj.produce(anhydride, 50_000, 19);
    let (sale, _) = inj.sale(Party::Person(0), anhydride, lot, 5_000, 20, (14, 5));
    let ev = inj.event(inj.producer, sale)?;
    ev.transport = true;
    ev.ship = None;
    ev.payment = Payment::Card;
    let person = &world::PEOPLE[0];
    let description = format!(
        "{} sold {} of {} (category 2) lot {} on {} to the individual {} (resident ID ending {}), paid by card",
        inj.seller(),
        kg(5_000),
        inj.chem_name(anhydride),
        inj.lot_name(lot),
        inj.date(20),
        person.name,
        &person.resident_id[14..]
    );
    Ok(Gap::own(inj.producer, sale, description))
}

/// CASH_OR_BARTER: P sells 60 kg of acetone to a documented outside buyer for cash. The same
/// afternoon a person buys 3 kg of acetone in cash, which the law allows for category 3: no
/// finding.
pub(super) fn cash_or_barter(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let party = inj
        .sim
        .plan
        .buyers()
        .last()
        .copied()
        .ok_or("no outside buyer")?;
    let lot = inj.produce(acetone, 100_000, 20);
    let buyer = Party::Outside {
        party,
        with_permit: true,
    };
    let (sale, ship) = inj.sale(buyer, acetone, lot, 60_000, 21, (10, 40));
    let ev = inj.event(inj.producer, sale)?;
    ev.payment = Payment::Cash;
    ev.transport = true;
    let (lawful, _) = inj.sale(Party::Person(1), acetone, lot, 3_000, 21, (15, 20));
    let ev = inj.event(inj.producer, lawful)?;
    ev.payment = Payment::Cash;
    ev.ship = None;
    let description = format!(
        "{} sold {} of {} lot {} (waybill {}) on {} to the outside firm {} for cash; the same day it sold {} of the lot to the individual {} for cash, which is lawful for category 3",
        inj.seller(),
        kg(60_000),
        inj.chem_name(acetone),
        inj.lot_name(lot),
        inj.waybill(ship),
        inj.date(21),
        inj.sim.plan.outside[usize::from(party)].name,
        kg(3_000),
        world::PEOPLE[1].name
    );
    Ok(Gap::own(inj.producer, sale, description))
}
