//! The plan of the demo province: `roster` draws the firms with names, codes, addresses and
//! activities (`names` keeps those unique), `supply` decides who supplies whom with what,
//! and `permits` issues the documents that make every movement legal.

mod model;
mod names;
mod permits;
mod roster;
mod supply;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use chrono::NaiveDate;

use super::rng::Rng;
use super::world::{self, CHEMICALS};
pub use model::{
    CatalogEntry, Chem, FirmKind, FirmPlan, LinePlan, Outside, PermitPlan, Plan, Supplier,
};
pub use permits::EXCEEDING_LIMIT;

/// The fewest firms a demo province can have: producers, traders, users and the two firms
/// that exist only to carry documented gaps.
pub const MIN_FIRMS: usize = 12;

/// Builds the province for `firms` firms. Errors are plain text (the catalog lacks what the
/// demo needs).
pub fn build(
    rng: &mut Rng,
    firms: usize,
    catalog: &[CatalogEntry],
    first_day: NaiveDate,
) -> Result<Plan, String> {
    let chems = traded_chemicals(catalog)?;
    let (mut plan_firms, outside) = roster::draw(rng, firms, &chems);
    supply::connect(rng, &mut plan_firms, &chems, &outside);
    let permits = permits::issue(rng, &mut plan_firms, &chems, first_day);
    Ok(Plan {
        chems,
        firms: plan_firms,
        permits,
        outside,
    })
}

/// The demo's chemicals that the catalog has, in the demo's order; acetone and acetic
/// anhydride must be among them (the documented gaps need them).
fn traded_chemicals(catalog: &[CatalogEntry]) -> Result<Vec<Chem>, String> {
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
    Ok(chems)
}

/// Makes a province's identifiers unique in a country generated province by province: credit
/// codes against those `taken` by earlier provinces (redrawn on a clash), firm numbers (which
/// waybill numbers carry) counted on from `first_no`, and permit numbers of provinces after the
/// first marked with the province's number (`〔2025〕0070012号`: province 7, number 12).
pub fn join_country(
    plan: &mut Plan,
    rng: &mut Rng,
    province: u32,
    first_no: u32,
    taken: &mut HashSet<String>,
) {
    for firm in &mut plan.firms {
        firm.no += first_no;
        if !taken.insert(firm.credit_code.clone()) {
            let head = firm.credit_code[..2].to_string();
            let region = firm.credit_code[2..8].to_string();
            firm.credit_code = names::credit_code(rng, &head, &region, taken);
        }
    }
    if province > 0 {
        let mark = format!("〕{province:03}");
        for permit in &mut plan.permits {
            permit.number = permit.number.replacen('〕', &mark, 1);
        }
    }
}
