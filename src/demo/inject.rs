//! The documented custody gaps: exactly one of each code, each isolated (own lots, enough
//! stock) so that it makes exactly its own finding. They sit in the last four weeks of traffic,
//! at least a week before `end`, around the first producer (P) and user firms that really buy
//! acetone from it (U…). Each gap is recorded against the firm the validator reports it for.
//!
//! | code | how | recorded for, entries |
//! | --- | --- | --- |
//! | UNMATCHED_DISPATCH | P sells 320 kg to U 20 days before the end; no receipt | P: sale |
//! | UNMATCHED_RECEIPT | U files 160 kg from P under a waybill P never issued | U: purchase |
//! | QUANTITY_MISMATCH | P sends 500 kg, U receives 495 kg, same waybill | P: sale, purchase |
//! | LOT_MISMATCH | U files the receipt with the lot's last two digits swapped | P: sale, purchase |
//! | TIME_INVERSION | U's receipt is dated the day before P's dispatch | P: sale, purchase |
//! | LATE_RECEIPT | U receives 9 days after dispatch | P: sale, purchase |
//! | NEGATIVE_BALANCE | U receives 100 kg cleanly and uses 130 kg of that lot | U: the use |
//! | ORPHAN_LOT | U uses 20 kg of a lot that never came in | U: the use |
//! | STOCKTAKE_DISCREPANCY | U receives 400 kg cleanly and counts 360 kg | U: the count |
//! | UNLICENSED_COUNTERPARTY | P sells 50 kg to a firm holding a filing only for sulfuric acid | P: sale |
//! | PERMIT_MISSING | … and that firm files the receipt (the one place both fire) | it: purchase |
//! | PERMIT_EXCEEDED | 3 × 400 kg, cleanly matched, under a filing limited to 1000 kg | buyer: 3rd purchase |
//! | UNDOCUMENTED_COUNTERPARTY | P sells 80 kg to an outside buyer without its permit number | P: sale |
//! | MISSING_TRANSPORT_DOC | P ships 200 kg of acetic anhydride, received cleanly, no transport permit | P: sale |
//! | UNEXPLAINED_LOSS | P files a 6.5 kg loss without a note | P: loss |
//! | LATE_FILING | one simulated use is recorded 5 days 2 hours after it happened | its firm: the use |
//! | CHAIN_BROKEN | (only when asked) one entry is stored with the hash of a quantity 1 kg larger | its firm: entry |

use super::plan::{FirmKind, EXCEEDING_LIMIT};
use super::sim::{waybill_text, Ev, Party, ShipRef, Shipper, Sim};
use super::world;
use crate::domain::quantity::format_thousandths as canonical_quantity;
use crate::domain::EntryKind;

/// A gap before its entries have ids: entries are (firm, gen).
pub struct GapPlan {
    pub code: &'static str,
    pub firm: u32,
    pub entries: Vec<(u32, u32)>,
    pub description: String,
}

/// Days the injected story spans, counted back from the last day of traffic.
pub const SPAN_DAYS: u32 = 27;

struct Injector<'s, 'p> {
    sim: &'s mut Sim<'p>,
    producer: u32,
    base: u32,
    next_batch: u32,
    gaps: Vec<GapPlan>,
}

impl Injector<'_, '_> {
    fn at(&self, day: u32, hour: i64, minute: i64) -> i64 {
        self.sim.midnight(self.base + day) + hour * 3600 + minute * 60
    }

    fn date(&self, day: u32) -> String {
        self.sim
            .date(self.base + day)
            .format("%Y-%m-%d")
            .to_string()
    }

    fn name(&self, firm: u32) -> &str {
        &self.sim.plan.firms[firm as usize].name
    }

    fn chem_name(&self, chem: u16) -> &str {
        &self.sim.plan.chems[usize::from(chem)].name
    }

    fn waybill(&self, ship: ShipRef) -> String {
        waybill_text(self.sim.plan, self.sim.first_day, ship)
    }

    fn lot_name(&self, lot: u32) -> &str {
        &self.sim.lots[lot as usize]
    }

    /// A new batch of the producer: a lot no simulated movement touches.
    fn produce(&mut self, chem: u16, qty: i64, day: u32) -> u32 {
        let code = self.sim.plan.firms[self.producer as usize].lot_code.clone();
        let yymmdd = self.sim.date(self.base + day).format("%y%m%d").to_string();
        self.next_batch += 1;
        let lot = self.sim.lot(format!("{code}{yymmdd}{}", self.next_batch));
        let mut ev = Ev::new(EntryKind::Production, chem, lot, qty, self.at(day, 7, 40));
        ev.note = Some(world::PRODUCTION_NOTE);
        self.sim.emit(self.producer, ev);
        lot
    }

    /// A lot name of the producer that no entry uses.
    fn unused_lot(&mut self, day: u32) -> u32 {
        let code = self.sim.plan.firms[self.producer as usize].lot_code.clone();
        let yymmdd = self.sim.date(self.base + day).format("%y%m%d").to_string();
        self.next_batch += 1;
        self.sim.lot(format!("{code}{yymmdd}{}", self.next_batch))
    }

    #[allow(clippy::too_many_arguments)]
    fn sale(
        &mut self,
        buyer: Party,
        chem: u16,
        lot: u32,
        qty: i64,
        day: u32,
        (hour, minute): (i64, i64),
        transport: bool,
    ) -> (u32, ShipRef) {
        let ship = self
            .sim
            .waybill(Shipper::Firm(self.producer), self.base + day);
        let mut ev = Ev::new(EntryKind::Sale, chem, lot, qty, self.at(day, hour, minute));
        ev.party = buyer;
        ev.ship = Some(ship);
        ev.transport = transport;
        (self.sim.emit(self.producer, ev), ship)
    }

    #[allow(clippy::too_many_arguments)]
    fn receipt(
        &mut self,
        buyer: u32,
        chem: u16,
        lot: u32,
        qty: i64,
        day: u32,
        (hour, minute): (i64, i64),
        ship: ShipRef,
        with_document: bool,
    ) -> u32 {
        let mut ev = Ev::new(
            EntryKind::Purchase,
            chem,
            lot,
            qty,
            self.at(day, hour, minute),
        );
        ev.party = Party::Firm(self.producer);
        ev.ship = Some(ship);
        ev.purchase_doc = with_document;
        self.sim.emit(buyer, ev)
    }

    fn gap(
        &mut self,
        code: &'static str,
        firm: u32,
        entries: Vec<(u32, u32)>,
        description: String,
    ) {
        self.gaps.push(GapPlan {
            code,
            firm,
            entries,
            description,
        });
    }
}

/// Picks firms in turn from a list, starting somewhere.
struct Turns {
    firms: Vec<u32>,
    next: usize,
}

impl Turns {
    fn take(&mut self) -> u32 {
        let firm = self.firms[self.next % self.firms.len()];
        self.next += 1;
        firm
    }
}

fn kg(qty: i64) -> String {
    format!("{} kg", canonical_quantity(qty))
}

/// Adds the documented gaps to the simulated traffic; `break_chain` also marks one entry to be
/// stored with a hash that does not match it.
pub fn inject(sim: &mut Sim<'_>, break_chain: bool) -> Result<Vec<GapPlan>, String> {
    let plan = sim.plan;
    let producer = plan
        .firms_of(FirmKind::Producer)
        .next()
        .ok_or("no producer")?;
    let acetone = plan.chem(world::ACETONE).ok_or("no acetone")?;
    let anhydride = plan.chem(world::ANHYDRIDE).ok_or("no acetic anhydride")?;
    let unlicensed = plan
        .firms_of(FirmKind::Unlicensed)
        .next()
        .ok_or("no unlicensed firm")?;
    let exceeding = plan
        .firms_of(FirmKind::Exceeding)
        .next()
        .ok_or("no exceeding firm")?;
    let buyers_of = |chem: u16| -> Vec<u32> {
        plan.firms_of(FirmKind::User)
            .filter(|&u| plan.firms[u as usize].line(chem).is_some())
            .collect()
    };
    let acetone_users = buyers_of(acetone);
    let anhydride_users = buyers_of(anhydride);
    if acetone_users.is_empty() || anhydride_users.is_empty() || sim.days < SPAN_DAYS + 1 {
        return Err("too small a province for the documented gaps".into());
    }
    let start = sim.rng.index(acetone_users.len());
    let mut turns = Turns {
        firms: acetone_users,
        next: start,
    };
    let base = sim.days - SPAN_DAYS;
    let mut inj = Injector {
        sim,
        producer,
        base,
        next_batch: 50,
        gaps: Vec::new(),
    };
    let seller = inj.name(producer).to_string();
    let ton = 1_000_000;

    // UNMATCHED_DISPATCH: sent 20 days before the end, never received.
    let lot = inj.produce(acetone, ton, 0);
    let buyer = turns.take();
    let (sale, ship) = inj.sale(Party::Firm(buyer), acetone, lot, 320_000, 6, (9, 20), false);
    let description = format!(
        "{seller} dispatched {} of {} lot {} to {} on {} (waybill {}); the buyer never filed a receipt",
        kg(320_000), inj.chem_name(acetone), inj.lot_name(lot), inj.name(buyer), inj.date(6), inj.waybill(ship)
    );
    inj.gap(
        "UNMATCHED_DISPATCH",
        producer,
        vec![(producer, sale)],
        description,
    );
    let lossy_lot = lot;

    // UNMATCHED_RECEIPT: a receipt from the producer under a waybill it never issued.
    let buyer = turns.take();
    let lot = inj.unused_lot(2);
    let ship = inj.sim.waybill(Shipper::Firm(producer), base + 3);
    let receipt = inj.receipt(buyer, acetone, lot, 160_000, 3, (16, 10), ship, true);
    let description = format!(
        "{} filed a receipt of {} of {} lot {} from {seller} on {} under waybill {}, which the seller never dispatched",
        inj.name(buyer), kg(160_000), inj.chem_name(acetone), inj.lot_name(lot), inj.date(3), inj.waybill(ship)
    );
    inj.gap(
        "UNMATCHED_RECEIPT",
        buyer,
        vec![(buyer, receipt)],
        description,
    );

    // QUANTITY_MISMATCH: 500 kg sent, 495 kg (1 % less) received.
    let buyer = turns.take();
    let lot = inj.produce(acetone, ton, 1);
    let (sale, ship) = inj.sale(Party::Firm(buyer), acetone, lot, 500_000, 4, (9, 40), false);
    let receipt = inj.receipt(buyer, acetone, lot, 495_000, 5, (15, 20), ship, true);
    let description = format!(
        "{seller} dispatched {} of {} lot {} (waybill {}); {} received {} (1 % less)",
        kg(500_000),
        inj.chem_name(acetone),
        inj.lot_name(lot),
        inj.waybill(ship),
        inj.name(buyer),
        kg(495_000)
    );
    inj.gap(
        "QUANTITY_MISMATCH",
        producer,
        vec![(producer, sale), (buyer, receipt)],
        description,
    );

    // LOT_MISMATCH: the receipt names another lot (the last two digits swapped).
    let buyer = turns.take();
    let lot = inj.produce(acetone, ton, 1);
    let (sale, ship) = inj.sale(Party::Firm(buyer), acetone, lot, 480_000, 5, (10, 5), false);
    let sent = inj.lot_name(lot).to_string();
    let mut swapped: Vec<char> = sent.chars().collect();
    let n = swapped.len();
    swapped.swap(n - 1, n - 2);
    let swapped: String = swapped.into_iter().collect();
    let wrong = inj.sim.lot(swapped);
    let receipt = inj.receipt(buyer, acetone, wrong, 480_000, 6, (15, 45), ship, true);
    let description = format!(
        "{seller} dispatched {} of {} lot {sent} (waybill {}); {} filed the receipt as lot {}",
        kg(480_000),
        inj.chem_name(acetone),
        inj.waybill(ship),
        inj.name(buyer),
        inj.lot_name(wrong)
    );
    inj.gap(
        "LOT_MISMATCH",
        producer,
        vec![(producer, sale), (buyer, receipt)],
        description,
    );

    // TIME_INVERSION: received the day before it was dispatched.
    let buyer = turns.take();
    let lot = inj.produce(acetone, ton, 2);
    let (sale, ship) = inj.sale(Party::Firm(buyer), acetone, lot, 320_000, 8, (9, 10), false);
    let receipt = inj.receipt(buyer, acetone, lot, 320_000, 7, (16, 30), ship, true);
    let description = format!(
        "{seller} dispatched {} of {} lot {} on {} (waybill {}); {} filed its receipt as of {}, a day earlier",
        kg(320_000), inj.chem_name(acetone), inj.lot_name(lot), inj.date(8), inj.waybill(ship), inj.name(buyer), inj.date(7)
    );
    inj.gap(
        "TIME_INVERSION",
        producer,
        vec![(producer, sale), (buyer, receipt)],
        description,
    );

    // LATE_RECEIPT: received 9 days after dispatch (the transit window is 7).
    let buyer = turns.take();
    let lot = inj.produce(acetone, ton, 2);
    let (sale, ship) = inj.sale(Party::Firm(buyer), acetone, lot, 160_000, 9, (9, 30), false);
    let receipt = inj.receipt(buyer, acetone, lot, 160_000, 18, (15, 0), ship, true);
    let description = format!(
        "{seller} dispatched {} of {} lot {} on {} (waybill {}); {} received it on {}, 9 days later",
        kg(160_000), inj.chem_name(acetone), inj.lot_name(lot), inj.date(9), inj.waybill(ship), inj.name(buyer), inj.date(18)
    );
    inj.gap(
        "LATE_RECEIPT",
        producer,
        vec![(producer, sale), (buyer, receipt)],
        description,
    );

    // NEGATIVE_BALANCE: 100 kg received cleanly, 130 kg used.
    let buyer = turns.take();
    let lot = inj.produce(acetone, ton, 3);
    let (_, ship) = inj.sale(Party::Firm(buyer), acetone, lot, 100_000, 10, (9, 0), false);
    inj.receipt(buyer, acetone, lot, 100_000, 11, (15, 30), ship, true);
    let ev = Ev::new(
        EntryKind::Consumption,
        acetone,
        lot,
        130_000,
        inj.at(13, 17, 30),
    );
    let used = inj.sim.emit(buyer, ev);
    let description = format!(
        "{} received {} of {} lot {} and used {} of it on {}: the balance went to −30.000 kg",
        inj.name(buyer),
        kg(100_000),
        inj.chem_name(acetone),
        inj.lot_name(lot),
        kg(130_000),
        inj.date(13)
    );
    inj.gap("NEGATIVE_BALANCE", buyer, vec![(buyer, used)], description);

    // ORPHAN_LOT: a use of a lot that never came in.
    let buyer = turns.take();
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
    inj.gap("ORPHAN_LOT", buyer, vec![(buyer, used)], description);

    // STOCKTAKE_DISCREPANCY: 400 kg received cleanly, 360 kg counted.
    let buyer = turns.take();
    let lot = inj.produce(acetone, ton, 3);
    let (_, ship) = inj.sale(
        Party::Firm(buyer),
        acetone,
        lot,
        400_000,
        12,
        (9, 50),
        false,
    );
    inj.receipt(buyer, acetone, lot, 400_000, 13, (16, 0), ship, true);
    let mut ev = Ev::new(
        EntryKind::Stocktake,
        acetone,
        lot,
        360_000,
        inj.at(15, 20, 30),
    );
    ev.note = Some("抽查盘点");
    let counted = inj.sim.emit(buyer, ev);
    let description = format!(
        "{} counted {} of {} lot {} on {} against a book balance of {} (10 % short)",
        inj.name(buyer),
        kg(360_000),
        inj.chem_name(acetone),
        inj.lot_name(lot),
        inj.date(15),
        kg(400_000)
    );
    inj.gap(
        "STOCKTAKE_DISCREPANCY",
        buyer,
        vec![(buyer, counted)],
        description,
    );

    // UNLICENSED_COUNTERPARTY and PERMIT_MISSING: a sale to a firm with no filing for it.
    let lot = inj.produce(acetone, ton, 4);
    let (sale, ship) = inj.sale(
        Party::Firm(unlicensed),
        acetone,
        lot,
        50_000,
        14,
        (9, 20),
        false,
    );
    let receipt = inj.receipt(unlicensed, acetone, lot, 50_000, 15, (15, 0), ship, false);
    let description =
        format!(
        "{seller} sold {} of {} (waybill {}) on {} to {}, which holds no purchase filing for it",
        kg(50_000), inj.chem_name(acetone), inj.waybill(ship), inj.date(14), inj.name(unlicensed)
    );
    inj.gap(
        "UNLICENSED_COUNTERPARTY",
        producer,
        vec![(producer, sale)],
        description,
    );
    let description = format!(
        "{} received {} of {} on {} (waybill {}) without a purchase filing covering it",
        inj.name(unlicensed),
        kg(50_000),
        inj.chem_name(acetone),
        inj.date(15),
        inj.waybill(ship)
    );
    inj.gap(
        "PERMIT_MISSING",
        unlicensed,
        vec![(unlicensed, receipt)],
        description,
    );

    // PERMIT_EXCEEDED: three clean receipts of 400 kg under a filing limited to 1000 kg.
    let lot = inj.produce(acetone, 2 * ton, 0);
    let mut third = 0;
    for (sent, got) in [(3, 4), (10, 11), (17, 18)] {
        let (_, ship) = inj.sale(
            Party::Firm(exceeding),
            acetone,
            lot,
            400_000,
            sent,
            (10, 15),
            false,
        );
        third = inj.receipt(exceeding, acetone, lot, 400_000, got, (15, 10), ship, true);
    }
    let description = format!(
        "{} bought 3 × {} of {} (cleanly matched) under a purchase filing limited to {}; the third purchase, on {}, exceeds it",
        inj.name(exceeding), kg(400_000), inj.chem_name(acetone), kg(EXCEEDING_LIMIT), inj.date(18)
    );
    inj.gap(
        "PERMIT_EXCEEDED",
        exceeding,
        vec![(exceeding, third)],
        description,
    );

    // UNDOCUMENTED_COUNTERPARTY: an outside buyer without its permit number.
    let party = inj
        .sim
        .plan
        .buyers()
        .first()
        .copied()
        .ok_or("no outside buyer")?;
    let (sale, ship) = inj.sale(
        Party::Outside {
            party,
            with_permit: false,
        },
        acetone,
        lossy_lot,
        80_000,
        16,
        (9, 45),
        false,
    );
    let description = format!(
        "{seller} sold {} of {} (waybill {}) on {} to the outside firm {} without recording its purchase filing number",
        kg(80_000), inj.chem_name(acetone), inj.waybill(ship), inj.date(16), inj.sim.plan.outside[usize::from(party)].name
    );
    inj.gap(
        "UNDOCUMENTED_COUNTERPARTY",
        producer,
        vec![(producer, sale)],
        description,
    );

    // MISSING_TRANSPORT_DOC: a category-2 sale, received cleanly, without a transport permit.
    let buyer = anhydride_users[inj.sim.rng.index(anhydride_users.len())];
    let lot = inj.produce(anhydride, 600_000, 0);
    let (sale, ship) = inj.sale(
        Party::Firm(buyer),
        anhydride,
        lot,
        200_000,
        7,
        (9, 50),
        false,
    );
    inj.receipt(buyer, anhydride, lot, 200_000, 8, (15, 40), ship, true);
    let description = format!(
        "{seller} shipped {} of {} (category 2) lot {} to {} on {} (waybill {}) without a transport permit number",
        kg(200_000), inj.chem_name(anhydride), inj.lot_name(lot), inj.name(buyer), inj.date(7), inj.waybill(ship)
    );
    inj.gap(
        "MISSING_TRANSPORT_DOC",
        producer,
        vec![(producer, sale)],
        description,
    );

    // UNEXPLAINED_LOSS: a loss without a reason.
    let ev = Ev::new(
        EntryKind::Loss,
        acetone,
        lossy_lot,
        6_500,
        inj.at(19, 14, 0),
    );
    let loss = inj.sim.emit(producer, ev);
    let description = format!(
        "{seller} filed a loss of {} of {} lot {} on {} without giving a reason",
        kg(6_500),
        inj.chem_name(acetone),
        inj.lot_name(lossy_lot),
        inj.date(19)
    );
    inj.gap(
        "UNEXPLAINED_LOSS",
        producer,
        vec![(producer, loss)],
        description,
    );

    // LATE_FILING: a use filed 5 days after it happened.
    let late = late_filing(&mut inj)?;
    inj.gaps.push(late);

    if break_chain {
        let broken = break_one_chain(&mut inj)?;
        inj.gaps.push(broken);
    }
    Ok(inj.gaps)
}

/// Files one simulated use 5 days late (a user firm not otherwise concerned, if there is one).
fn late_filing(inj: &mut Injector<'_, '_>) -> Result<GapPlan, String> {
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
            return Ok(GapPlan {
                code: "LATE_FILING",
                firm: u,
                entries: vec![(u, gen)],
                description: format!(
                    "{} used {} of {} at {when} (local time) and filed it 5 days 2 hours later",
                    inj.name(u),
                    kg(qty),
                    inj.chem_name(chem)
                ),
            });
        }
    }
    Err("no use to file late".into())
}

/// Marks one entry in the middle of a clean user's chain: it will be stored with the hash of
/// a different quantity, as if its quantity had been changed in the database afterwards.
fn break_one_chain(inj: &mut Injector<'_, '_>) -> Result<GapPlan, String> {
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
    Ok(GapPlan {
        code: "CHAIN_BROKEN",
        firm,
        entries: vec![(firm, gen)],
        description: format!(
            "{}: the {} entry of {} is stored with the hash of a quantity 1.000 kg larger, as if its quantity had been edited in the database",
            inj.name(firm),
            kind.as_str(),
            kg(qty)
        ),
    })
}
