//! The chain-of-custody validator: a pure function from ledger, firms, permits and catalog to
//! findings. Near-linear: entries are grouped with hash maps and sorted; nothing compares every
//! entry with every other.
//!
//! One file per family of rules, all reading the same walk (`walk::Validator`): `matching` pairs
//! dispatches with receipts, `shipments` judges the pairs and what is left, `balances` follows
//! each lot's book balance, `permits` checks purchase rights and limits, `documents` the paperwork
//! and the hash chain, `transport` the transport documents of shipments between cities,
//! `suspicious` each seller's orders from one buyer against that buyer's own trailing year,
//! `declarations` the customers' declarations of use a pack may ask for.

mod balances;
mod declarations;
mod documents;
mod matching;
pub mod partition;
mod permits;
pub mod scope;
mod shipments;
mod suspicious;
mod transport;
mod walk;

use std::collections::HashMap;

use super::model::{Entry, Finding, Input};
use crate::domain::CustodyRules;
pub use matching::{shipments, Shipment};
pub use permits::Draw;
use walk::Validator;

/// Runs every rule of custody.md and returns the findings in a stable order.
pub fn validate(input: &Input, settings: &CustodyRules) -> Vec<Finding> {
    let v = Validator::new(input, settings);
    let mut findings = Vec::new();
    let matching = v.matching();
    v.shipments(&matching, &mut findings);
    v.balances(&mut findings);
    v.permits(&matching.returns(), &mut findings);
    v.documents(&mut findings);
    v.transport(&mut findings);
    v.chains(&mut findings);
    v.suspicious(&mut findings);
    v.declarations(&mut findings);
    findings.sort_by_cached_key(|f| (f.code, f.identity()));
    findings
}

/// Entries that count (not reversals, not reversed, occurred by `as_of`).
pub fn counted_entries<'a>(input: &'a Input, settings: &'a CustodyRules) -> Vec<&'a Entry> {
    Validator::new(input, settings).entries
}

/// Every purchase that counts as of `settings.as_of`, in business order, with the permit it
/// draws on: what PERMIT_MISSING and PERMIT_EXCEEDED judge.
pub fn purchase_draws<'a>(input: &'a Input, settings: &'a CustodyRules) -> Vec<Draw<'a>> {
    let v = Validator::new(input, settings);
    let returns = v.matching().returns();
    v.purchase_draws(&returns)
}

/// What the purchases that count as of `settings.as_of` have drawn on each permit with a
/// quantity limit, by permit id (permits nothing was drawn on are absent). A later purchase
/// drawn on such a permit is PERMIT_EXCEEDED when this total plus its quantity passes the limit.
pub fn drawn_on_limits<'a>(input: &'a Input, settings: &'a CustodyRules) -> HashMap<&'a str, i64> {
    let mut drawn = HashMap::new();
    for d in purchase_draws(input, settings) {
        if let (Some(permit), Some(total)) = (d.permit, d.drawn) {
            drawn.insert(&*permit.id, total);
        }
    }
    drawn
}
