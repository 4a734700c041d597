//! Gaps between a dispatch and its receipt: one side missing, or the two disagreeing on
//! quantity, lot or time.

use super::super::sim::{Party, Shipper};
use super::gap::Gap;
use super::injector::{kg, Injector};

/// UNMATCHED_DISPATCH: sent 20 days before the end, never received.
pub(super) fn unmatched_dispatch(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let (acetone, lot) = (inj.acetone, inj.first_lot);
    let buyer = inj.turns.take();
    let (sale, ship) = inj.sale(Party::Firm(buyer), acetone, lot, 320_000, 6, (9, 20));
    let description = format!(
        "{} dispatched {} of {} lot {} to {} on {} (waybill {}); the buyer never filed a receipt",
        inj.seller(),
        kg(320_000),
        inj.chem_name(acetone),
        inj.lot_name(lot),
        inj.name(buyer),
        inj.date(6),
        inj.waybill(ship)
    );
    Ok(Gap::own(inj.producer, sale, description))
}

/// UNMATCHED_RECEIPT: a receipt from the producer under a waybill it never issued.
pub(super) fn unmatched_receipt(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let buyer = inj.turns.take();
    let lot = inj.unused_lot(2);
    let ship = inj.sim.waybill(Shipper::Firm(inj.producer), inj.base + 3);
    let receipt = inj.receipt(buyer, acetone, lot, 160_000, 3, (16, 10), ship, true);
    let description = format!(
        "{} filed a receipt of {} of {} lot {} from {} on {} under waybill {}, which the seller never dispatched",
        inj.name(buyer),
        kg(160_000),
        inj.chem_name(acetone),
        inj.lot_name(lot),
        inj.seller(),
        inj.date(3),
        inj.waybill(ship)
    );
    Ok(Gap::own(buyer, receipt, description))
}

/// QUANTITY_MISMATCH: 500 kg sent, 495 kg (1 % less) received.
pub(super) fn quantity_mismatch(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let s = inj.sell_new_acetone(1, 500_000, 4, (9, 40));
    let receipt = inj.receipt(s.buyer, acetone, s.lot, 495_000, 5, (15, 20), s.ship, true);
    let description = format!(
        "{} dispatched {} of {} lot {} (waybill {}); {} received {} (1 % less)",
        inj.seller(),
        kg(500_000),
        inj.chem_name(acetone),
        inj.lot_name(s.lot),
        inj.waybill(s.ship),
        inj.name(s.buyer),
        kg(495_000)
    );
    Ok(Gap::both_sides(
        (inj.producer, s.sale),
        (s.buyer, receipt),
        description,
    ))
}

/// LOT_MISMATCH: the receipt names another lot (the last two digits swapped).
pub(super) fn lot_mismatch(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let s = inj.sell_new_acetone(1, 480_000, 5, (10, 5));
    let sent = inj.lot_name(s.lot).to_string();
    let mut swapped: Vec<char> = sent.chars().collect();
    let n = swapped.len();
    swapped.swap(n - 1, n - 2);
    let wrong = inj.sim.lot(swapped.into_iter().collect());
    let receipt = inj.receipt(s.buyer, acetone, wrong, 480_000, 6, (15, 45), s.ship, true);
    let description = format!(
        "{} dispatched {} of {} lot {sent} (waybill {}); {} filed the receipt as lot {}",
        inj.seller(),
        kg(480_000),
        inj.chem_name(acetone),
        inj.waybill(s.ship),
        inj.name(s.buyer),
        inj.lot_name(wrong)
    );
    Ok(Gap::both_sides(
        (inj.producer, s.sale),
        (s.buyer, receipt),
        description,
    ))
}

/// TIME_INVERSION: received the day before it was dispatched.
pub(super) fn time_inversion(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let s = inj.sell_new_acetone(2, 320_000, 8, (9, 10));
    let receipt = inj.receipt(s.buyer, acetone, s.lot, 320_000, 7, (16, 30), s.ship, true);
    let description = format!(
        "{} dispatched {} of {} lot {} on {} (waybill {}); {} filed its receipt as of {}, a day earlier",
        inj.seller(),
        kg(320_000),
        inj.chem_name(acetone),
        inj.lot_name(s.lot),
        inj.date(8),
        inj.waybill(s.ship),
        inj.name(s.buyer),
        inj.date(7)
    );
    Ok(Gap::both_sides(
        (inj.producer, s.sale),
        (s.buyer, receipt),
        description,
    ))
}

/// LATE_RECEIPT: received 9 days after dispatch (the transit window is 7).
pub(super) fn late_receipt(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let s = inj.sell_new_acetone(2, 160_000, 9, (9, 30));
    let receipt = inj.receipt(s.buyer, acetone, s.lot, 160_000, 18, (15, 0), s.ship, true);
    let description = format!(
        "{} dispatched {} of {} lot {} on {} (waybill {}); {} received it on {}, 9 days later",
        inj.seller(),
        kg(160_000),
        inj.chem_name(acetone),
        inj.lot_name(s.lot),
        inj.date(9),
        inj.waybill(s.ship),
        inj.name(s.buyer),
        inj.date(18)
    );
    Ok(Gap::both_sides(
        (inj.producer, s.sale),
        (s.buyer, receipt),
        description,
    ))
}
