//! Gaps in the documents of a movement: a buyer without a filing, a filing's limit exceeded,
//! an outside buyer's permit or a transport permit not recorded.

use super::super::plan::EXCEEDING_LIMIT;
use super::super::sim::Party;
use super::gap::Gap;
use super::injector::{kg, Injector, TON};

/// UNLICENSED_COUNTERPARTY: a sale to a firm holding a filing only for sulfuric acid.
pub(super) fn unlicensed_counterparty(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let (acetone, unlicensed) = (inj.acetone, inj.unlicensed);
    let lot = inj.produce(acetone, TON, 4);
    let (sale, ship) = inj.sale(Party::Firm(unlicensed), acetone, lot, 50_000, 14, (9, 20));
    inj.unlicensed_sale = Some((lot, ship));
    let description = format!(
        "{} sold {} of {} (waybill {}) on {} to {}, which holds no purchase filing for it",
        inj.seller(),
        kg(50_000),
        inj.chem_name(acetone),
        inj.waybill(ship),
        inj.date(14),
        inj.name(unlicensed)
    );
    Ok(Gap::own(inj.producer, sale, description))
}

/// PERMIT_MISSING: the firm of UNLICENSED_COUNTERPARTY files the receipt (the one place both
/// fire).
pub(super) fn permit_missing(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let (acetone, unlicensed) = (inj.acetone, inj.unlicensed);
    let (lot, ship) = inj
        .unlicensed_sale
        .ok_or("PERMIT_MISSING receives the sale of UNLICENSED_COUNTERPARTY")?;
    let receipt = inj.receipt(unlicensed, acetone, lot, 50_000, 15, (15, 0), ship, false);
    let description = format!(
        "{} received {} of {} on {} (waybill {}) without a purchase filing covering it",
        inj.name(unlicensed),
        kg(50_000),
        inj.chem_name(acetone),
        inj.date(15),
        inj.waybill(ship)
    );
    Ok(Gap::own(unlicensed, receipt, description))
}

/// PERMIT_EXCEEDED: three clean receipts of 400 kg under a filing limited to 1000 kg.
pub(super) fn permit_exceeded(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let (acetone, exceeding) = (inj.acetone, inj.exceeding);
    let lot = inj.produce(acetone, 2 * TON, 0);
    let mut third = 0;
    for (sent, got) in [(3, 4), (10, 11), (17, 18)] {
        let buyer = Party::Firm(exceeding);
        let (_, ship) = inj.sale(buyer, acetone, lot, 400_000, sent, (10, 15));
        third = inj.receipt(exceeding, acetone, lot, 400_000, got, (15, 10), ship, true);
    }
    let description = format!(
        "{} bought 3 × {} of {} (cleanly matched) under a purchase filing limited to {}; the third purchase, on {}, exceeds it",
        inj.name(exceeding),
        kg(400_000),
        inj.chem_name(acetone),
        kg(EXCEEDING_LIMIT),
        inj.date(18)
    );
    Ok(Gap::own(exceeding, third, description))
}

/// UNDOCUMENTED_COUNTERPARTY: an outside buyer without its permit number.
pub(super) fn undocumented_counterparty(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let (acetone, lot) = (inj.acetone, inj.first_lot);
    let party = inj
        .sim
        .plan
        .buyers()
        .first()
        .copied()
        .ok_or("no outside buyer")?;
    let buyer = Party::Outside {
        party,
        with_permit: false,
    };
    let (sale, ship) = inj.sale(buyer, acetone, lot, 80_000, 16, (9, 45));
    // To another city, under its transport filing: only the buyer's particulars are missing.
    inj.event(inj.producer, sale)?.transport = true;
    let description = format!(
        "{} sold {} of {} (waybill {}) on {} to the outside firm {} without recording its purchase filing number",
        inj.seller(),
        kg(80_000),
        inj.chem_name(acetone),
        inj.waybill(ship),
        inj.date(16),
        inj.sim.plan.outside[usize::from(party)].name
    );
    Ok(Gap::own(inj.producer, sale, description))
}

/// MISSING_TRANSPORT_DOC: a category-2 sale to an outside firm in another city without a
/// transport permit number. (A shipment within Ningde needs none: every simulated sale to a
/// registered firm of the province is one.)
pub(super) fn missing_transport_doc(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let anhydride = inj.anhydride;
    let buyers = inj.sim.plan.buyers();
    let party = *buyers
        .get(1 % buyers.len().max(1))
        .ok_or("no outside buyer")?;
    let lot = inj.produce(anhydride, 600_000, 0);
    let buyer = Party::Outside {
        party,
        with_permit: true,
    };
    let (sale, ship) = inj.sale(buyer, anhydride, lot, 200_000, 7, (9, 50));
    let description = format!(
        "{} shipped {} of {} (category 2) lot {} to the outside firm {} in another city on {} (waybill {}) without a transport permit number",
        inj.seller(),
        kg(200_000),
        inj.chem_name(anhydride),
        inj.lot_name(lot),
        inj.sim.plan.outside[usize::from(party)].name,
        inj.date(7),
        inj.waybill(ship)
    );
    Ok(Gap::own(inj.producer, sale, description))
}

/// A transport permit number that the office never issued.
const FORGED_TRANSPORT_PERMIT: &str = "闽宁易制运〔2025〕9999号";

/// INVALID_TRANSPORT_DOC: acetone to an outside firm in another city under a transport permit
/// number that no office issued.
pub(super) fn invalid_transport_doc(inj: &mut Injector<'_, '_>) -> Result<Gap, String> {
    let acetone = inj.acetone;
    let party = *inj.sim.plan.buyers().first().ok_or("no outside buyer")?;
    let lot = inj.produce(acetone, 200_000, 8);
    let buyer = Party::Outside {
        party,
        with_permit: true,
    };
    let (sale, ship) = inj.sale(buyer, acetone, lot, 150_000, 9, (11, 5));
    inj.event(inj.producer, sale)?.transport_no = Some(FORGED_TRANSPORT_PERMIT);
    let description = format!(
        "{} shipped {} of {} lot {} to the outside firm {} in another city on {} (waybill {}) under the transport permit number {FORGED_TRANSPORT_PERMIT}, which no office issued",
        inj.seller(),
        kg(150_000),
        inj.chem_name(acetone),
        inj.lot_name(lot),
        inj.sim.plan.outside[usize::from(party)].name,
        inj.date(9),
        inj.waybill(ship)
    );
    Ok(Gap::own(inj.producer, sale, description))
}
