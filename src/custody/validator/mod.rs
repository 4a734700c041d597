//! The chain-of-custody validator: a pure function from ledger, firms, permits and catalog to
//! findings. Near-linear: entries are grouped with hash maps and sorted; nothing compares every
//! entry with every other.
//!
//! One file per family of rules, all reading the same walk (`walk::Validator`): `matching` pairs
//! dispatches with receipts, `shipments` judges the pairs and what is left, `balances` follows
//! each lot's book balance, `permits` checks purchase rights and limits, `documents` the paperwork
//! and the hash chain.

mod balances;
mod documents;
mod matching;
mod permits;
mod shipments;
mod walk;

use super::model::{Entry, Finding, Input};
use crate::domain::CustodyRules;
pub use matching::{shipments, Shipment};
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
    v.chains(&mut findings);
    findings.sort_by_cached_key(|f| (f.code, f.identity()));
    findings
}

/// Entries that count (not reversals, not reversed, occurred by `as_of`).
pub fn counted_entries<'a>(input: &'a Input, settings: &'a CustodyRules) -> Vec<&'a Entry> {
    Validator::new(input, settings).entries
}
