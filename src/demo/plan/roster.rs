//! The firms of the province: how many of each kind, and for each its region, name, credit
//! code, address, activities and the chemicals it handles; then the outside parties' codes.

use std::collections::HashSet;

use uuid::Uuid;

use super::super::rng::Rng;
use super::super::world::{self, Need, Sector, OUTSIDE_PARTIES, REGIONS, SECTORS};
use super::model::{chem_index, Chem, FirmKind, FirmPlan, LinePlan, Outside};
use super::names::{address, credit_code, lot_code, Namer};
use crate::domain::Activity;

/// `firms` firms and the outside parties, their names and credit codes unique among all.
pub(super) fn draw(rng: &mut Rng, firms: usize, chems: &[Chem]) -> (Vec<FirmPlan>, Vec<Outside>) {
    let kinds = kinds(rng, firms);
    let mut roster = Roster::new(chems);
    let plan_firms = kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| roster.firm(rng, i, kind))
        .collect();
    let outside = OUTSIDE_PARTIES
        .iter()
        .map(|p| Outside {
            name: p.name,
            credit_code: credit_code(rng, "91", p.region, &mut roster.codes),
            permit_no: p.permit_no,
            code: p.code,
            sells: p.sells,
        })
        .collect();
    (plan_firms, outside)
}

/// Roles, shuffled so that the directory is not sorted by role.
fn kinds(rng: &mut Rng, firms: usize) -> Vec<FirmKind> {
    let producers = (firms * 4 / 100).max(2);
    let traders = (firms * 15 / 100).max(3);
    let users = firms - producers - traders - 2;
    let mut kinds: Vec<FirmKind> = std::iter::repeat_n(FirmKind::Producer, producers)
        .chain(std::iter::repeat_n(FirmKind::Trader, traders))
        .chain(std::iter::repeat_n(FirmKind::User, users))
        .chain([FirmKind::Unlicensed, FirmKind::Exceeding])
        .collect();
    rng.shuffle(&mut kinds);
    kinds
}

/// What a firm's kind decides about it.
struct Profile {
    name: String,
    activities: Vec<Activity>,
    /// The first two characters of its credit code: 91 a company, 12 a public institution.
    head: &'static str,
    lab: bool,
    use_per_mille: u32,
    use_note: Option<&'static str>,
    lines: Vec<LinePlan>,
    lot_code: String,
}

impl Profile {
    fn company(name: String, activities: Vec<Activity>) -> Profile {
        Profile {
            name,
            activities,
            head: "91",
            lab: false,
            use_per_mille: 0,
            use_note: None,
            lines: Vec::new(),
            lot_code: String::new(),
        }
    }
}

/// What is taken so far, and how the next firm is drawn.
struct Roster<'c> {
    chems: &'c [Chem],
    namer: Namer,
    codes: HashSet<String>,
    /// Lot prefixes of producers and outside suppliers, so no two origins share a lot number.
    lot_codes: HashSet<String>,
    region_weights: Vec<u32>,
    producer_weights: Vec<u32>,
    sector_weights: Vec<u32>,
    producers: usize,
    forced_pharma: usize,
}

impl Roster<'_> {
    fn new(chems: &[Chem]) -> Roster<'_> {
        Roster {
            chems,
            namer: Namer::default(),
            codes: HashSet::new(),
            lot_codes: OUTSIDE_PARTIES.iter().map(|p| p.code.to_string()).collect(),
            region_weights: REGIONS.iter().map(|r| r.weight).collect(),
            producer_weights: REGIONS.iter().map(|r| r.producer_weight).collect(),
            sector_weights: SECTORS.iter().map(|s| s.weight).collect(),
            producers: 0,
            forced_pharma: 0,
        }
    }

    /// The `i`-th firm (0-based), of `kind`.
    fn firm(&mut self, rng: &mut Rng, i: usize, kind: FirmKind) -> FirmPlan {
        let region = match kind {
            FirmKind::Producer => rng.weighted(&self.producer_weights),
            _ => rng.weighted(&self.region_weights),
        };
        let profile = match kind {
            FirmKind::Producer => self.producer(rng, region),
            FirmKind::Trader => Profile::company(
                self.namer.company(rng, region, world::TRADER_SUFFIXES),
                vec![Activity::Trade, Activity::Store, Activity::Transport],
            ),
            FirmKind::User | FirmKind::Unlicensed | FirmKind::Exceeding => {
                self.user(rng, region, kind)
            }
        };
        let warehouse = if profile.lab {
            rng.pick(world::LAB_WAREHOUSES).copied()
        } else {
            rng.pick(world::WAREHOUSES).copied()
        }
        .unwrap_or("1号仓库");
        FirmPlan {
            id: Uuid::now_v7(),
            no: i as u32 + 1,
            kind,
            credit_code: credit_code(rng, profile.head, REGIONS[region].code, &mut self.codes),
            name: profile.name,
            region,
            address: address(rng, region),
            activities: profile.activities,
            warehouse,
            lot_code: profile.lot_code,
            registered_days_before: rng.range(30, 2000),
            lines: profile.lines,
            lab: profile.lab,
            use_per_mille: profile.use_per_mille,
            use_note: profile.use_note,
            purchase_docs: [None; 3],
            transport_doc: None,
            transport_filing: None,
        }
    }

    /// A producer makes the next of the product lines (cycled), some category-3 products
    /// without lot numbers.
    fn producer(&mut self, rng: &mut Rng, region: usize) -> Profile {
        let products = world::PRODUCT_LINES[self.producers % world::PRODUCT_LINES.len()];
        self.producers += 1;
        let mut lines = Vec::new();
        for cas in products {
            if let Some(chem) = chem_index(self.chems, cas) {
                lines.push(LinePlan {
                    lotless: self.chems[usize::from(chem)].category == 3 && rng.chance(400),
                    ..LinePlan::new(chem)
                });
            }
        }
        let lot_code = lot_code(rng, &mut self.lot_codes);
        Profile {
            lines,
            lot_code,
            ..Profile::company(
                self.namer.company(rng, region, world::PRODUCER_SUFFIXES),
                vec![Activity::Produce, Activity::Store],
            )
        }
    }

    /// A user of some industry (the first two users are pharmaceutical); the two gap firms are
    /// drawn alike but handle nothing of their own.
    fn user(&mut self, rng: &mut Rng, region: usize, kind: FirmKind) -> Profile {
        let forced = kind == FirmKind::User && self.forced_pharma < 2;
        let sector_index = if forced {
            self.forced_pharma += 1;
            world::PHARMA
        } else {
            rng.weighted(&self.sector_weights)
        };
        let sector = &SECTORS[sector_index];
        let lab = sector.lab;
        let use_note = if lab {
            rng.chance(500).then_some(world::LAB_USE_NOTE)
        } else if rng.chance(500) {
            rng.pick(world::USE_NOTES).copied()
        } else {
            None
        };
        let lines = if kind == FirmKind::User {
            self.needs(rng, sector, forced)
        } else {
            Vec::new()
        };
        let public = if lab && rng.chance(300) {
            self.namer.public_lab(rng, region)
        } else {
            None
        };
        let (head, name) = match public {
            Some(name) => ("12", name),
            None => ("91", self.namer.company(rng, region, sector.suffixes)),
        };
        let mut activities = vec![Activity::Use];
        if !lab && rng.chance(600) {
            activities.push(Activity::Store);
        }
        Profile {
            name,
            activities,
            head,
            lab,
            use_per_mille: sector.use_per_mille,
            use_note,
            lines,
            lot_code: String::new(),
        }
    }

    /// What a user of `sector` uses: each need by its chance (acetone and acetic anhydride
    /// always for a `forced` pharmaceutical user), and at least one.
    fn needs(&self, rng: &mut Rng, sector: &Sector, forced: bool) -> Vec<LinePlan> {
        let mut lines = Vec::new();
        for need in sector.needs {
            let must = forced && (need.cas == world::ACETONE || need.cas == world::ANHYDRIDE);
            if !(must || rng.chance(need.per_mille)) {
                continue;
            }
            if let Some(chem) = chem_index(self.chems, need.cas) {
                lines.push(use_line(rng, chem, need, sector.lab));
            }
        }
        if lines.is_empty() {
            if let Some(chem) = sector
                .needs
                .iter()
                .find_map(|n| chem_index(self.chems, n.cas))
            {
                lines.push(use_line(rng, chem, &sector.needs[0], sector.lab));
            }
        }
        lines
    }
}

/// A user's line: its daily use, and how many days one order covers.
fn use_line(rng: &mut Rng, chem: u16, need: &Need, lab: bool) -> LinePlan {
    let rate = rng.range(need.daily.0, need.daily.1).max(1);
    let cover_days = if lab {
        rng.range(60, 120)
    } else {
        rng.range(15, 30)
    };
    LinePlan {
        rate,
        cover_days,
        ..LinePlan::new(chem)
    }
}
