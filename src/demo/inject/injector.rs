//! What the gap stories are told with: the firms and chemicals concerned, and the movements
//! of the producer at their centre.

use super::super::plan::FirmKind;
use super::super::sim::{waybill_text, Ev, Party, ShipRef, Shipper, Sim, NO_LOT};
use super::super::world;
use super::gap::{GapPlan, SPAN_DAYS};
use crate::domain::quantity::format_thousandths;
use crate::domain::EntryKind;

pub(super) struct Injector<'s, 'p> {
    pub(super) sim: &'s mut Sim<'p>,
    /// The first producer (P), who sells every gap's goods.
    pub(super) producer: u32,
    /// The day the stories start; their days count from it.
    pub(super) base: u32,
    pub(super) next_batch: u32,
    pub(super) acetone: u16,
    pub(super) anhydride: u16,
    /// The firm with a filing only for sulfuric acid, and the one with a limited filing.
    pub(super) unlicensed: u32,
    pub(super) exceeding: u32,
    /// Users that really buy acetone, taken in turn as the buyers (U…).
    pub(super) turns: Turns,
    /// The producer's first batch of acetone: UNMATCHED_DISPATCH, UNDOCUMENTED_COUNTERPARTY and
    /// UNEXPLAINED_LOSS take from it.
    pub(super) first_lot: u32,
    /// The lot and waybill of the sale to the unlicensed firm, which PERMIT_MISSING receives.
    pub(super) unlicensed_sale: Option<(u32, ShipRef)>,
    /// The gaps told so far.
    pub(super) gaps: Vec<GapPlan>,
}

/// A batch the producer makes for a story.
pub(super) const TON: i64 = 1_000_000;

/// A sale of a new batch to the next buyer in turn.
pub(super) struct Sold {
    pub(super) buyer: u32,
    pub(super) lot: u32,
    pub(super) sale: u32,
    pub(super) ship: ShipRef,
}

impl<'s, 'p> Injector<'s, 'p> {
    /// Finds the firms and chemicals of the stories, and makes the producer's first batch.
    pub(super) fn new(sim: &'s mut Sim<'p>) -> Result<Injector<'s, 'p>, String> {
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
        if acetone_users.is_empty() || sim.days < SPAN_DAYS + 1 {
            return Err("too small a province for the documented gaps".into());
        }
        let start = sim.rng.index(acetone_users.len());
        let base = sim.days - SPAN_DAYS;
        let mut inj = Injector {
            sim,
            producer,
            base,
            next_batch: 50,
            acetone,
            anhydride,
            unlicensed,
            exceeding,
            turns: Turns {
                firms: acetone_users,
                next: start,
            },
            first_lot: NO_LOT,
            unlicensed_sale: None,
            gaps: Vec::new(),
        };
        inj.first_lot = inj.produce(acetone, TON, 0);
        Ok(inj)
    }
}

impl Injector<'_, '_> {
    /// The simulation's day of a story's `day` (negative: before the stories' span, at most
    /// `LEAD_DAYS`).
    fn sim_day(&self, day: i32) -> u32 {
        self.base.saturating_add_signed(day)
    }

    pub(super) fn at(&self, day: i32, hour: i64, minute: i64) -> i64 {
        self.sim.midnight(self.sim_day(day)) + hour * 3600 + minute * 60
    }

    pub(super) fn date(&self, day: i32) -> String {
        self.sim
            .date(self.sim_day(day))
            .format("%Y-%m-%d")
            .to_string()
    }

    pub(super) fn name(&self, firm: u32) -> &str {
        &self.sim.plan.firms[firm as usize].name
    }

    /// The producer's name.
    pub(super) fn seller(&self) -> &str {
        self.name(self.producer)
    }

    pub(super) fn chem_name(&self, chem: u16) -> &str {
        &self.sim.plan.chems[usize::from(chem)].name
    }

    pub(super) fn waybill(&self, ship: ShipRef) -> String {
        waybill_text(self.sim.plan, self.sim.first_day, ship)
    }

    pub(super) fn lot_name(&self, lot: u32) -> &str {
        &self.sim.lots[lot as usize]
    }

    /// A day of the traffic (counted from its first day) as a story's day.
    fn story_day(&self, sim_day: u32) -> i32 {
        sim_day as i32 - self.base as i32
    }

    /// [`Self::produce`] on a day of the traffic counted from its first day, not from `base`.
    pub(super) fn produce_on(&mut self, chem: u16, qty: i64, sim_day: u32) -> u32 {
        self.produce(chem, qty, self.story_day(sim_day))
    }

    /// [`Self::sale`] on a day of the traffic counted from its first day, not from `base`.
    pub(super) fn sale_on(
        &mut self,
        buyer: Party,
        chem: u16,
        lot: u32,
        qty: i64,
        sim_day: u32,
        time: (i64, i64),
    ) -> (u32, ShipRef) {
        self.sale(buyer, chem, lot, qty, self.story_day(sim_day), time)
    }

    /// An entry already told, by its firm and gen, to change how it was filed.
    pub(super) fn event(&mut self, firm: u32, gen: u32) -> Result<&mut Ev, String> {
        self.sim.events[firm as usize]
            .iter_mut()
            .find(|e| e.gen == gen)
            .ok_or_else(|| format!("no entry {gen} of firm {firm}"))
    }

    /// A new batch of the producer: a lot no simulated movement touches.
    pub(super) fn produce(&mut self, chem: u16, qty: i64, day: i32) -> u32 {
        let lot = self.unused_lot(day);
        let mut ev = Ev::new(EntryKind::Production, chem, lot, qty, self.at(day, 7, 40));
        ev.note = Some(world::PRODUCTION_NOTE);
        self.sim.emit(self.producer, ev);
        lot
    }

    /// A lot name of the producer that no entry uses.
    pub(super) fn unused_lot(&mut self, day: i32) -> u32 {
        let code = self.sim.plan.firms[self.producer as usize].lot_code.clone();
        let yymmdd = self
            .sim
            .date(self.sim_day(day))
            .format("%y%m%d")
            .to_string();
        self.next_batch += 1;
        self.sim.lot(format!("{code}{yymmdd}{}", self.next_batch))
    }

    /// A sale of the producer (without a transport permit number); returns its gen and waybill.
    pub(super) fn sale(
        &mut self,
        buyer: Party,
        chem: u16,
        lot: u32,
        qty: i64,
        day: i32,
        (hour, minute): (i64, i64),
    ) -> (u32, ShipRef) {
        let ship = self
            .sim
            .waybill(Shipper::Firm(self.producer), self.sim_day(day));
        let mut ev = Ev::new(EntryKind::Sale, chem, lot, qty, self.at(day, hour, minute));
        ev.party = buyer;
        ev.ship = Some(ship);
        (self.sim.emit(self.producer, ev), ship)
    }

    /// A sale of `qty` from a new ton of acetone (made on day `made`) to the next buyer.
    pub(super) fn sell_new_acetone(
        &mut self,
        made: i32,
        qty: i64,
        day: i32,
        time: (i64, i64),
    ) -> Sold {
        let buyer = self.turns.take();
        let lot = self.produce(self.acetone, TON, made);
        let (sale, ship) = self.sale(Party::Firm(buyer), self.acetone, lot, qty, day, time);
        Sold {
            buyer,
            lot,
            sale,
            ship,
        }
    }

    /// A buyer's receipt from the producer; returns its gen.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn receipt(
        &mut self,
        buyer: u32,
        chem: u16,
        lot: u32,
        qty: i64,
        day: i32,
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
}

/// Picks firms in turn from a list, starting somewhere.
pub(super) struct Turns {
    firms: Vec<u32>,
    next: usize,
}

impl Turns {
    pub(super) fn take(&mut self) -> u32 {
        let firm = self.firms[self.next % self.firms.len()];
        self.next += 1;
        firm
    }
}

pub(super) fn kg(qty: i64) -> String {
    format!("{} kg", format_thousandths(qty))
}
