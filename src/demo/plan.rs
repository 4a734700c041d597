//! The roster of the demo province: firms with names, codes, addresses and activities, who
//! supplies whom with what, and the permits that make every movement legal.

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate};
use uuid::Uuid;

use super::rng::Rng;
use super::world::{self, ChemSpec, CHEMICALS, OUTSIDE_PARTIES, REGIONS, SECTORS};
use crate::domain::credit_code::check_character;
use crate::domain::{Activity, PermitKind};

/// The fewest firms a demo province can have: producers, traders, users and the two firms
/// that exist only to carry documented gaps.
pub const MIN_FIRMS: usize = 12;

/// Alphabet of unified social credit codes (GB 32100).
const CODE_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A catalog chemical the demo trades.
pub struct Chem {
    pub id: String,
    pub name: String,
    pub category: u8,
    pub spec: &'static ChemSpec,
}

/// One catalog row as the planner needs it.
pub struct CatalogEntry {
    pub id: String,
    pub cas: String,
    pub name: String,
    pub category: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirmKind {
    Producer,
    Trader,
    User,
    /// A user holding no filing for what it is sold (UNLICENSED_COUNTERPARTY / PERMIT_MISSING).
    Unlicensed,
    /// A user whose filing has a quantity limit that its purchases exceed (PERMIT_EXCEEDED).
    Exceeding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supplier {
    Firm(u32),
    Outside(u16),
}

/// A chemical a firm handles: a producer's product, a trader's line, a user's need.
pub struct LinePlan {
    pub chem: u16,
    /// Expected daily outflow in thousandths of a kilogram.
    pub rate: i64,
    /// Who replenishes it (none for a producer's own product).
    pub supplier: Option<Supplier>,
    /// Users: how many days of use one order covers.
    pub cover_days: i64,
    /// Producers: a category-3 product made without lot numbers.
    pub lotless: bool,
    /// Producers: expected daily demand of outside customers.
    pub outside_rate: i64,
}

pub struct FirmPlan {
    pub id: Uuid,
    /// 1-based number, used in waybill numbers.
    pub no: u32,
    pub kind: FirmKind,
    pub name: String,
    pub credit_code: String,
    pub region: usize,
    pub address: String,
    pub activities: Vec<Activity>,
    pub warehouse: &'static str,
    /// Producers: prefix of lot numbers.
    pub lot_code: String,
    /// Days before the first day of traffic that the firm was registered.
    pub registered_days_before: i64,
    pub lines: Vec<LinePlan>,
    pub lab: bool,
    /// Chance (‰) of using each chemical on a working day.
    pub use_per_mille: u32,
    pub use_note: Option<&'static str>,
    /// The purchase permit (category 1) or filing (categories 2, 3) by category − 1.
    pub purchase_docs: [Option<usize>; 3],
    pub transport_doc: Option<usize>,
}

impl FirmPlan {
    pub fn line(&self, chem: u16) -> Option<usize> {
        self.lines.iter().position(|l| l.chem == chem)
    }
}

pub struct PermitPlan {
    pub firm: u32,
    pub kind: PermitKind,
    pub number: String,
    pub chems: Vec<u16>,
    pub limit: Option<i64>,
    /// Valid from this many days before the first day of traffic …
    pub days_before: i64,
    /// … until this many days after the last.
    pub days_after: i64,
}

pub struct Outside {
    pub name: &'static str,
    pub credit_code: String,
    pub permit_no: &'static str,
    pub code: &'static str,
    pub sells: bool,
}

pub struct Plan {
    pub chems: Vec<Chem>,
    pub firms: Vec<FirmPlan>,
    pub permits: Vec<PermitPlan>,
    pub outside: Vec<Outside>,
}

impl Plan {
    pub fn chem(&self, cas: &str) -> Option<u16> {
        self.chems
            .iter()
            .position(|c| c.spec.cas == cas)
            .map(|i| i as u16)
    }

    pub fn firms_of(&self, kind: FirmKind) -> impl Iterator<Item = u32> + '_ {
        self.firms
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.kind == kind)
            .map(|(i, _)| i as u32)
    }

    pub fn buyers(&self) -> Vec<u16> {
        (0..self.outside.len() as u16)
            .filter(|&i| !self.outside[usize::from(i)].sells)
            .collect()
    }
}

/// A valid credit code: `head` (registration authority and type), the region, nine random
/// characters of organization code, and the GB 32100 check character.
fn credit_code(rng: &mut Rng, head: &str, region: &str, taken: &mut HashSet<String>) -> String {
    loop {
        let mut first17 = format!("{head}{region}");
        if rng.chance(600) {
            // Registered since 2015: organization part starts with MA.
            first17.push_str("MA");
            for _ in 0..7 {
                first17.push(char::from(CODE_ALPHABET[rng.index(31)]));
            }
        } else {
            for _ in 0..8 {
                first17.push(char::from(b'0' + rng.below(10) as u8));
            }
            first17.push(char::from(CODE_ALPHABET[rng.index(31)]));
        }
        if let Some(check) = check_character(first17.as_bytes()) {
            let code = format!("{first17}{check}");
            if taken.insert(code.clone()) {
                return code;
            }
        }
    }
}

struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    fn company(&mut self, rng: &mut Rng, region: usize, suffixes: &[&str]) -> String {
        let prefix = REGIONS[region].prefix;
        for attempt in 0..200 {
            let trade = rng.pick(world::TRADE_NAMES).copied().unwrap_or("华信");
            let suffix = rng.pick(suffixes).copied().unwrap_or("有限公司");
            let lead = match rng.below(20) {
                0..=10 => prefix,
                11..=16 => "宁德",
                _ => "福建",
            };
            let name = if attempt < 150 {
                format!("{lead}{trade}{suffix}")
            } else {
                // A crowded province: a second trade name.
                let more = rng.pick(world::TRADE_NAMES).copied().unwrap_or("恒达");
                format!("{lead}{trade}{more}{suffix}")
            };
            if self.taken.insert(name.clone()) {
                return name;
            }
        }
        let name = format!("{prefix}第{}{}", self.taken.len() + 1, suffixes[0]);
        self.taken.insert(name.clone());
        name
    }

    fn public_lab(&mut self, rng: &mut Rng, region: usize) -> Option<String> {
        let kind = rng.pick(world::PUBLIC_LABS)?;
        let name = format!("{}{kind}", REGIONS[region].prefix);
        self.taken.insert(name.clone()).then_some(name)
    }
}

fn address(rng: &mut Rng, region: usize) -> String {
    let r = &REGIONS[region];
    let area = rng.pick(r.areas).copied().unwrap_or("");
    let road = rng.pick(world::ROADS).copied().unwrap_or("工业路");
    format!(
        "福建省宁德市{}{area}{road}{}号",
        r.prefix.trim_start_matches("宁德市"),
        rng.range(1, 288)
    )
}

fn lot_code(rng: &mut Rng, taken: &mut HashSet<String>) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUWXYZ";
    loop {
        let code: String = (0..2)
            .map(|_| char::from(LETTERS[rng.index(LETTERS.len())]))
            .collect();
        if taken.insert(code.clone()) {
            return code;
        }
    }
}

/// Builds the province for `firms` firms. Errors are plain text (the catalog lacks what the
/// demo needs).
pub fn build(
    rng: &mut Rng,
    firms: usize,
    catalog: &[CatalogEntry],
    first_day: NaiveDate,
) -> Result<Plan, String> {
    let chems: Vec<Chem> = CHEMICALS
        .iter()
        .filter_map(|spec| {
            catalog.iter().find(|c| c.cas == spec.cas).map(|c| Chem {
                id: c.id.clone(),
                name: c.name.clone(),
                category: c.category,
                spec,
            })
        })
        .collect();
    for needed in [world::ACETONE, world::ANHYDRIDE] {
        if !chems.iter().any(|c| c.spec.cas == needed) {
            return Err(format!("the chemical catalog lacks CAS {needed}"));
        }
    }
    let chem_of = |cas: &str| {
        chems
            .iter()
            .position(|c| c.spec.cas == cas)
            .map(|i| i as u16)
    };

    // Roles, shuffled so that the directory is not sorted by role.
    let producers = (firms * 4 / 100).max(2);
    let traders = (firms * 15 / 100).max(3);
    let users = firms - producers - traders - 2;
    let mut kinds: Vec<FirmKind> = std::iter::repeat_n(FirmKind::Producer, producers)
        .chain(std::iter::repeat_n(FirmKind::Trader, traders))
        .chain(std::iter::repeat_n(FirmKind::User, users))
        .chain([FirmKind::Unlicensed, FirmKind::Exceeding])
        .collect();
    rng.shuffle(&mut kinds);

    let mut namer = Namer {
        taken: HashSet::new(),
    };
    let mut codes = HashSet::new();
    // Outside suppliers' lot prefixes are taken too, so no two origins share a lot number.
    let mut lot_codes: HashSet<String> =
        OUTSIDE_PARTIES.iter().map(|p| p.code.to_string()).collect();
    let region_weights: Vec<u32> = REGIONS.iter().map(|r| r.weight).collect();
    let producer_weights: Vec<u32> = REGIONS.iter().map(|r| r.producer_weight).collect();
    let sector_weights: Vec<u32> = SECTORS.iter().map(|s| s.weight).collect();

    let mut plan_firms: Vec<FirmPlan> = Vec::with_capacity(firms);
    let mut producer_count = 0;
    let mut forced_pharma = 0;
    for (i, kind) in kinds.iter().copied().enumerate() {
        let region = match kind {
            FirmKind::Producer => rng.weighted(&producer_weights),
            _ => rng.weighted(&region_weights),
        };
        let mut head = "91";
        let mut lab = false;
        let mut use_per_mille = 0;
        let mut use_note = None;
        let mut lines = Vec::new();
        let mut lot = String::new();
        let (name, activities) = match kind {
            FirmKind::Producer => {
                let products = world::PRODUCT_LINES[producer_count % world::PRODUCT_LINES.len()];
                producer_count += 1;
                for cas in products {
                    if let Some(chem) = chem_of(cas) {
                        lines.push(LinePlan {
                            chem,
                            rate: 0,
                            supplier: None,
                            cover_days: 0,
                            lotless: chems[usize::from(chem)].category == 3 && rng.chance(400),
                            outside_rate: 0,
                        });
                    }
                }
                lot = lot_code(rng, &mut lot_codes);
                (
                    namer.company(rng, region, world::PRODUCER_SUFFIXES),
                    vec![Activity::Produce, Activity::Store],
                )
            }
            FirmKind::Trader => (
                namer.company(rng, region, world::TRADER_SUFFIXES),
                vec![Activity::Trade, Activity::Store, Activity::Transport],
            ),
            FirmKind::User | FirmKind::Unlicensed | FirmKind::Exceeding => {
                let forced = kind == FirmKind::User && forced_pharma < 2;
                let sector_index = if forced {
                    forced_pharma += 1;
                    world::PHARMA
                } else {
                    rng.weighted(&sector_weights)
                };
                let sector = &SECTORS[sector_index];
                lab = sector.lab;
                use_per_mille = sector.use_per_mille;
                use_note = if lab {
                    rng.chance(500).then_some(world::LAB_USE_NOTE)
                } else if rng.chance(500) {
                    rng.pick(world::USE_NOTES).copied()
                } else {
                    None
                };
                if kind == FirmKind::User {
                    for need in sector.needs {
                        let must =
                            forced && (need.cas == world::ACETONE || need.cas == world::ANHYDRIDE);
                        if !(must || rng.chance(need.per_mille)) {
                            continue;
                        }
                        if let Some(chem) = chem_of(need.cas) {
                            lines.push(LinePlan {
                                chem,
                                rate: rng.range(need.daily.0, need.daily.1).max(1),
                                supplier: None,
                                cover_days: if lab {
                                    rng.range(60, 120)
                                } else {
                                    rng.range(15, 30)
                                },
                                lotless: false,
                                outside_rate: 0,
                            });
                        }
                    }
                    if lines.is_empty() {
                        if let Some(chem) = sector.needs.iter().find_map(|n| chem_of(n.cas)) {
                            let need = &sector.needs[0];
                            lines.push(LinePlan {
                                chem,
                                rate: rng.range(need.daily.0, need.daily.1).max(1),
                                supplier: None,
                                cover_days: if lab {
                                    rng.range(60, 120)
                                } else {
                                    rng.range(15, 30)
                                },
                                lotless: false,
                                outside_rate: 0,
                            });
                        }
                    }
                }
                let public = if lab && rng.chance(300) {
                    namer.public_lab(rng, region)
                } else {
                    None
                };
                let name = match public {
                    Some(name) => {
                        head = "12";
                        name
                    }
                    None => namer.company(rng, region, sector.suffixes),
                };
                let mut activities = vec![Activity::Use];
                if !lab && rng.chance(600) {
                    activities.push(Activity::Store);
                }
                (name, activities)
            }
        };
        let warehouse = if lab {
            rng.pick(world::LAB_WAREHOUSES).copied()
        } else {
            rng.pick(world::WAREHOUSES).copied()
        }
        .unwrap_or("1号仓库");
        plan_firms.push(FirmPlan {
            id: Uuid::now_v7(),
            no: i as u32 + 1,
            kind,
            credit_code: credit_code(rng, head, REGIONS[region].code, &mut codes),
            name,
            region,
            address: address(rng, region),
            activities,
            warehouse,
            lot_code: lot,
            registered_days_before: rng.range(30, 2000),
            lines,
            lab,
            use_per_mille,
            use_note,
            purchase_docs: [None; 3],
            transport_doc: None,
        });
    }

    let outside: Vec<Outside> = OUTSIDE_PARTIES
        .iter()
        .map(|p| Outside {
            name: p.name,
            credit_code: credit_code(rng, "91", p.region, &mut codes),
            permit_no: p.permit_no,
            code: p.code,
            sells: p.sells,
        })
        .collect();
    let outside_sellers: Vec<u16> = (0..outside.len() as u16)
        .filter(|&i| outside[usize::from(i)].sells)
        .collect();

    connect_supply(rng, &mut plan_firms, &chems, &outside_sellers);
    let permits = issue_permits(
        rng,
        &mut plan_firms,
        &chems,
        chem_of(world::SULFURIC),
        first_day,
    );
    Ok(Plan {
        chems,
        firms: plan_firms,
        permits,
        outside,
    })
}

/// Firms of one kind, all and by region, for picking suppliers.
struct Pool {
    all: Vec<u32>,
    by_region: Vec<Vec<u32>>,
}

impl Pool {
    fn new(firms: &[FirmPlan], keep: impl Fn(&FirmPlan) -> bool) -> Pool {
        let mut pool = Pool {
            all: Vec::new(),
            by_region: REGIONS.iter().map(|_| Vec::new()).collect(),
        };
        for (i, f) in firms.iter().enumerate().filter(|(_, f)| keep(f)) {
            pool.all.push(i as u32);
            pool.by_region[f.region].push(i as u32);
        }
        pool
    }

    /// One of the pool: from `region` with a chance of `prefer` ‰ when there is one there.
    fn pick(&self, rng: &mut Rng, region: usize, prefer: u32) -> Option<u32> {
        let near = &self.by_region[region];
        if !near.is_empty() && rng.chance(prefer) {
            rng.pick(near).copied()
        } else {
            rng.pick(&self.all).copied()
        }
    }
}

/// Decides who supplies whom and sums the expected demand up the chain.
fn connect_supply(rng: &mut Rng, firms: &mut [FirmPlan], chems: &[Chem], sellers: &[u16]) {
    // Producers' products are fixed already; traders' lines grow below.
    let producers_of: Vec<Pool> = (0..chems.len() as u16)
        .map(|chem| {
            Pool::new(firms, |f| {
                f.kind == FirmKind::Producer && f.line(chem).is_some()
            })
        })
        .collect();
    let traders = Pool::new(firms, |f| f.kind == FirmKind::Trader);

    // Users: mostly through a trader, some straight from a producer, a few from outside.
    for u in 0..firms.len() {
        if firms[u].kind != FirmKind::User {
            continue;
        }
        for l in 0..firms[u].lines.len() {
            let (chem, rate) = (firms[u].lines[l].chem, firms[u].lines[l].rate);
            let producers = &producers_of[usize::from(chem)];
            let roll = rng.below(1000);
            let region = firms[u].region;
            let supplier = if !producers.all.is_empty() && roll < 200 {
                producers.pick(rng, region, 500).map(Supplier::Firm)
            } else if roll < 960 || sellers.is_empty() {
                traders.pick(rng, region, 650).map(Supplier::Firm)
            } else {
                rng.pick(sellers).copied().map(Supplier::Outside)
            };
            firms[u].lines[l].supplier = supplier;
            if let Some(Supplier::Firm(s)) = supplier {
                let seller = &mut firms[s as usize];
                match seller.line(chem) {
                    Some(i) => seller.lines[i].rate += rate,
                    None => seller.lines.push(LinePlan {
                        chem,
                        rate,
                        supplier: None,
                        cover_days: 0,
                        lotless: false,
                        outside_rate: 0,
                    }),
                }
            }
        }
    }

    // Traders buy from a producer of the chemical, or from outside when nobody here makes it.
    for &t in &traders.all {
        for l in 0..firms[t as usize].lines.len() {
            let (chem, rate) = (
                firms[t as usize].lines[l].chem,
                firms[t as usize].lines[l].rate,
            );
            let producers = &producers_of[usize::from(chem)];
            let region = firms[t as usize].region;
            let supplier = if producers.all.is_empty() {
                rng.pick(sellers).copied().map(Supplier::Outside)
            } else {
                producers.pick(rng, region, 500).map(Supplier::Firm)
            };
            firms[t as usize].lines[l].supplier = supplier;
            if let Some(Supplier::Firm(p)) = supplier {
                if let Some(i) = firms[p as usize].line(chem) {
                    firms[p as usize].lines[i].rate += rate;
                }
            }
        }
    }

    // Producers also sell to customers outside the city.
    for firm in firms.iter_mut() {
        if firm.kind != FirmKind::Producer {
            continue;
        }
        for line in &mut firm.lines {
            let spec = chems[usize::from(line.chem)].spec;
            line.outside_rate = if line.rate > 0 {
                line.rate / 10
            } else {
                spec.batch / 60
            };
        }
    }
}

fn permit_number(kind: PermitKind, year: i32, n: u32, abbr: &str) -> String {
    match kind {
        PermitKind::ProductionLicence => format!("闽宁易制生〔{year}〕{n:04}号"),
        PermitKind::OperationLicence => format!("闽宁易制经〔{year}〕{n:04}号"),
        PermitKind::PurchasePermit => format!("闽宁易制购〔{year}〕{n:04}号"),
        PermitKind::PurchaseFiling => format!("宁{abbr}公易制备〔{year}〕{n:04}号"),
        PermitKind::TransportPermit => format!("闽宁易制运〔{year}〕{n:04}号"),
        PermitKind::ImportExportPermit => format!("闽宁易制进出〔{year}〕{n:04}号"),
    }
}

/// Issues every firm the documents its traffic needs, valid over the whole period. Numbers
/// carry the year the document became valid.
fn issue_permits(
    rng: &mut Rng,
    firms: &mut [FirmPlan],
    chems: &[Chem],
    sulfuric: Option<u16>,
    first_day: NaiveDate,
) -> Vec<PermitPlan> {
    let mut permits: Vec<PermitPlan> = Vec::new();
    let mut counters: Vec<u32> = (0..PermitKind::ALL.len())
        .map(|_| rng.range(1, 60) as u32)
        .collect();
    let mut issue = |rng: &mut Rng,
                     permits: &mut Vec<PermitPlan>,
                     firm: u32,
                     abbr: &str,
                     kind: PermitKind,
                     chems: Vec<u16>,
                     limit: Option<i64>|
     -> usize {
        let k = PermitKind::ALL.iter().position(|&x| x == kind).unwrap_or(0);
        counters[k] += rng.range(1, 3) as u32;
        let days_before = rng.range(15, 400);
        let year = (first_day - Days::new(days_before as u64)).year();
        permits.push(PermitPlan {
            firm,
            kind,
            number: permit_number(kind, year, counters[k], abbr),
            chems,
            limit,
            days_before,
            days_after: rng.range(60, 700),
        });
        permits.len() - 1
    };
    let category = |chem: u16| chems[usize::from(chem)].category;
    for (i, firm) in firms.iter_mut().enumerate() {
        let abbr = REGIONS[firm.region].abbr;
        let firm_no = i as u32;
        let line_chems: Vec<u16> = firm.lines.iter().map(|l| l.chem).collect();
        let hazardous: Vec<u16> = line_chems
            .iter()
            .copied()
            .filter(|&c| category(c) <= 2)
            .collect();
        match firm.kind {
            FirmKind::Producer => {
                issue(
                    rng,
                    &mut permits,
                    firm_no,
                    abbr,
                    PermitKind::ProductionLicence,
                    line_chems.clone(),
                    None,
                );
                if !hazardous.is_empty() {
                    firm.transport_doc = Some(issue(
                        rng,
                        &mut permits,
                        firm_no,
                        abbr,
                        PermitKind::TransportPermit,
                        hazardous,
                        None,
                    ));
                }
            }
            FirmKind::Trader | FirmKind::User => {
                if firm.kind == FirmKind::Trader && !line_chems.is_empty() {
                    issue(
                        rng,
                        &mut permits,
                        firm_no,
                        abbr,
                        PermitKind::OperationLicence,
                        line_chems.clone(),
                        None,
                    );
                    if !hazardous.is_empty() {
                        firm.transport_doc = Some(issue(
                            rng,
                            &mut permits,
                            firm_no,
                            abbr,
                            PermitKind::TransportPermit,
                            hazardous,
                            None,
                        ));
                    }
                }
                for cat in 1..=3u8 {
                    let scope: Vec<u16> = line_chems
                        .iter()
                        .copied()
                        .filter(|&c| category(c) == cat)
                        .collect();
                    if scope.is_empty() {
                        continue;
                    }
                    let kind = if cat == 1 {
                        PermitKind::PurchasePermit
                    } else {
                        PermitKind::PurchaseFiling
                    };
                    firm.purchase_docs[usize::from(cat - 1)] =
                        Some(issue(rng, &mut permits, firm_no, abbr, kind, scope, None));
                }
            }
            FirmKind::Unlicensed => {
                // A filing, but not for what it will be sold.
                if let Some(s) = sulfuric {
                    firm.purchase_docs[2] = Some(issue(
                        rng,
                        &mut permits,
                        firm_no,
                        abbr,
                        PermitKind::PurchaseFiling,
                        vec![s],
                        None,
                    ));
                }
            }
            FirmKind::Exceeding => {
                // A filing for acetone limited to 1000 kg.
                if let Some(acetone) = chems.iter().position(|c| c.spec.cas == world::ACETONE) {
                    firm.purchase_docs[2] = Some(issue(
                        rng,
                        &mut permits,
                        firm_no,
                        abbr,
                        PermitKind::PurchaseFiling,
                        vec![acetone as u16],
                        Some(EXCEEDING_LIMIT),
                    ));
                }
            }
        }
    }
    permits
}

/// The quantity limit of the Exceeding firm's filing: 1000 kg.
pub const EXCEEDING_LIMIT: i64 = 1_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CreditCode;

    fn catalog() -> Vec<CatalogEntry> {
        crate::chemicals::seed::catalog_rows()
            .unwrap()
            .into_iter()
            .filter_map(|r| {
                Some(CatalogEntry {
                    cas: r.cas?,
                    id: r.id,
                    name: r.name_zh,
                    category: r.category as u8,
                })
            })
            .collect()
    }

    #[test]
    fn the_seed_decides_the_roster_and_every_code_is_valid() {
        let catalog = catalog();
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let a = build(&mut Rng::new(5), 421, &catalog, day).unwrap();
        let b = build(&mut Rng::new(5), 421, &catalog, day).unwrap();
        let c = build(&mut Rng::new(6), 421, &catalog, day).unwrap();
        let roster = |p: &Plan| -> Vec<(String, String, String)> {
            p.firms
                .iter()
                .map(|f| (f.name.clone(), f.credit_code.clone(), f.address.clone()))
                .collect()
        };
        assert_eq!(roster(&a), roster(&b));
        assert_ne!(roster(&a), roster(&c));

        let mut names = HashSet::new();
        let mut codes = HashSet::new();
        for f in &a.firms {
            let code = CreditCode::parse(&f.credit_code).unwrap();
            assert_eq!(&code.as_str()[2..8], REGIONS[f.region].code);
            assert!(names.insert(f.name.clone()), "{}", f.name);
            assert!(codes.insert(f.credit_code.clone()));
        }
        for o in &a.outside {
            assert!(CreditCode::parse(&o.credit_code).is_ok());
            assert!(codes.insert(o.credit_code.clone()));
        }
        let count = |k: FirmKind| a.firms.iter().filter(|f| f.kind == k).count();
        assert_eq!(count(FirmKind::Producer), 16);
        assert_eq!(count(FirmKind::Trader), 63);
        assert_eq!(count(FirmKind::Unlicensed) + count(FirmKind::Exceeding), 2);

        // Whoever buys a chemical holds the right document for its category, and is supplied.
        for f in a
            .firms
            .iter()
            .filter(|f| matches!(f.kind, FirmKind::Trader | FirmKind::User))
        {
            for line in &f.lines {
                assert!(line.supplier.is_some());
                let category = a.chems[usize::from(line.chem)].category;
                let doc = &a.permits[f.purchase_docs[usize::from(category - 1)].unwrap()];
                assert!(doc.chems.contains(&line.chem));
                let expected = if category == 1 {
                    PermitKind::PurchasePermit
                } else {
                    PermitKind::PurchaseFiling
                };
                assert_eq!(doc.kind, expected);
                if category <= 2 && f.kind == FirmKind::Trader {
                    assert!(a.permits[f.transport_doc.unwrap()]
                        .chems
                        .contains(&line.chem));
                }
            }
        }
        let numbers: HashSet<(PermitKind, &str)> = a
            .permits
            .iter()
            .map(|p| (p.kind, p.number.as_str()))
            .collect();
        assert_eq!(numbers.len(), a.permits.len());
    }
}
