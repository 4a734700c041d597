//! Gaps in a firm's own stock: more used than it had, a lot it never had, a count short of
//! the books, a loss without a reason.

use super::super::sim::Ev;
use super::gap::Gap;
use super::injector::{kg, Injector};
use crate::domain::EntryKind;

/// NEGATIVE_BALANCE: 100 kg received cleanly, 130 kg used.
pub(super) fn negative_balance(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let s = inj.sell_new_acetone(3, 100_000, 10, (9, 0));
    inj.receipt(s.buyer, acetone, s.lot, 100_000, 11, (15, 30), s.ship, true);
    let ev = Ev::new(
        EntryKind::Consumption,
        acetone,
        s.lot,
        130_000,
        inj.at(13, 17, 30),
    );
    let used = inj.sim.emit(s.buyer, ev);
    let description = format!(
        "{} received {} of {} lot {} and used {} of it on {}: the balance went to −30.000 kg",
        inj.name(s.buyer),
        kg(100_000),
        inj.chem_name(acetone),
        inj.lot_name(s.lot),
        kg(130_000),
        inj.date(13)
    );
    Ok(Gap::own(s.buyer, used, description))
}

/// ORPHAN_LOT: a use of a lot that never came in.
pub(super) fn orphan_lot(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let buyer = inj.turns.take();
    let lot = inj.unused_lot(4);
    let ev = Ev::new(
        EntryKind::Consumption,
        acetone,
        lot,
        20_000,
        inj.at(12, 18, 0),
    );
    let used = inj.sim.emit(buyer, ev);
    let description = format!(
        "{} filed a use of {} of {} lot {} on {}; that lot never came into the firm",
        inj.name(buyer),
        kg(20_000),
        inj.chem_name(acetone),
        inj.lot_name(lot),
        inj.date(12)
    );
    Ok(Gap::own(buyer, used, description))
}

/// STOCKTAKE_DISCREPANCY: 400 kg received cleanly, 360 kg counted.
pub(super) fn stocktake_discrepancy(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let s = inj.sell_new_acetone(3, 400_000, 12, (9, 50));
    inj.receipt(s.buyer, acetone, s.lot, 400_000, 13, (16, 0), s.ship, true);
    let mut ev = Ev::new(
        EntryKind::Stocktake,
        acetone,
        s.lot,
        360_000,
        inj.at(15, 20, 30),
    );
    ev.note = Some("抽查盘点");
    let counted = inj.sim.emit(s.buyer, ev);
    let description = format!(
        "{} counted {} of {} lot {} on {} against a book balance of {} (10 % short)",
        inj.name(s.buyer),
        kg(360_000),
        inj.chem_name(acetone),
        inj.lot_name(s.lot),
        inj.date(15),
        kg(400_000)
    );
    Ok(Gap::own(s.buyer, counted, description))
}

/// UNEXPLAINED_LOSS: a loss without a reason.
pub(super) fn unexplained_loss(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let (acetone, lot) = (inj.acetone, inj.first_lot);
    let ev = Ev::new(EntryKind::Loss, acetone, lot, 6_500, inj.at(19, 14, 0));
    let loss = inj.sim.emit(inj.producer, ev);
    let description = format!(
        "{} filed a loss of {} of {} lot {} on {} without giving a reason",
        inj.seller(),
        kg(6_500),
        inj.chem_name(acetone),
        inj.lot_name(lot),
        inj.date(19)
    );
    Ok(Gap::own(inj.producer, loss, description))
}
