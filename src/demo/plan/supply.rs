//! Who supplies whom: users buy mostly through a trader, traders from a producer, and what
//! nobody here makes comes from outside; the expected demand is summed up the chain.

use super::super::rng::Rng;
use super::super::world::REGIONS;
use super::model::{Chem, FirmKind, FirmPlan, LinePlan, Outside, Supplier};

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

/// The registered suppliers to pick from.
struct Suppliers<'s> {
    /// By chemical: the producers that make it.
    producers_of: Vec<Pool>,
    traders: Pool,
    /// Outside parties that sell.
    sellers: &'s [u16],
}

/// Decides who supplies whom and sums the expected demand up the chain.
pub(super) fn connect(rng: &mut Rng, firms: &mut [FirmPlan], chems: &[Chem], outside: &[Outside]) {
    let sellers: Vec<u16> = (0..outside.len() as u16)
        .filter(|&i| outside[usize::from(i)].sells)
        .collect();
    // Producers' products are fixed already; traders' lines grow below.
    let suppliers = Suppliers {
        producers_of: (0..chems.len() as u16)
            .map(|chem| {
                Pool::new(firms, |f| {
                    f.kind == FirmKind::Producer && f.line(chem).is_some()
                })
            })
            .collect(),
        traders: Pool::new(firms, |f| f.kind == FirmKind::Trader),
        sellers: &sellers,
    };
    supply_users(rng, firms, &suppliers);
    supply_traders(rng, firms, &suppliers);
    outside_demand(firms, chems);
}

/// Users: mostly through a trader, some straight from a producer, a few from outside. A
/// trader's lines are what its customers buy.
fn supply_users(rng: &mut Rng, firms: &mut [FirmPlan], suppliers: &Suppliers<'_>) {
    for u in 0..firms.len() {
        if firms[u].kind != FirmKind::User {
            continue;
        }
        for l in 0..firms[u].lines.len() {
            let (chem, rate) = (firms[u].lines[l].chem, firms[u].lines[l].rate);
            let producers = &suppliers.producers_of[usize::from(chem)];
            let roll = rng.below(1000);
            let region = firms[u].region;
            let supplier = if !producers.all.is_empty() && roll < 200 {
                producers.pick(rng, region, 500).map(Supplier::Firm)
            } else if roll < 960 || suppliers.sellers.is_empty() {
                suppliers.traders.pick(rng, region, 650).map(Supplier::Firm)
            } else {
                rng.pick(suppliers.sellers).copied().map(Supplier::Outside)
            };
            firms[u].lines[l].supplier = supplier;
            if let Some(Supplier::Firm(s)) = supplier {
                let seller = &mut firms[s as usize];
                match seller.line(chem) {
                    Some(i) => seller.lines[i].rate += rate,
                    None => seller.lines.push(LinePlan {
                        rate,
                        ..LinePlan::new(chem)
                    }),
                }
            }
        }
    }
}

/// Traders buy from a producer of the chemical, or from outside when nobody here makes it.
fn supply_traders(rng: &mut Rng, firms: &mut [FirmPlan], suppliers: &Suppliers<'_>) {
    for &t in &suppliers.traders.all {
        let t = t as usize;
        for l in 0..firms[t].lines.len() {
            let (chem, rate) = (firms[t].lines[l].chem, firms[t].lines[l].rate);
            let producers = &suppliers.producers_of[usize::from(chem)];
            let region = firms[t].region;
            let supplier = if producers.all.is_empty() {
                rng.pick(suppliers.sellers).copied().map(Supplier::Outside)
            } else {
                producers.pick(rng, region, 500).map(Supplier::Firm)
            };
            firms[t].lines[l].supplier = supplier;
            if let Some(Supplier::Firm(p)) = supplier {
                if let Some(i) = firms[p as usize].line(chem) {
                    firms[p as usize].lines[i].rate += rate;
                }
            }
        }
    }
}

/// Producers also sell to customers outside the city, except category 1: those customers
/// hold purchase filings, which do not license it (and each shipment of it to another city
/// would need a transport permit of its own).
fn outside_demand(firms: &mut [FirmPlan], chems: &[Chem]) {
    for firm in firms.iter_mut() {
        if firm.kind != FirmKind::Producer {
            continue;
        }
        for line in &mut firm.lines {
            let chem = &chems[usize::from(line.chem)];
            let spec = chem.spec;
            line.outside_rate = if chem.category == 1 {
                0
            } else if line.rate > 0 {
                line.rate / 10
            } else {
                spec.batch / 60
            };
        }
    }
}
