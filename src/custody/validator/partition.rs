//! A full run a batch of firms at a time (issue 15): memory bounded by the batch, not by the
//! province. Each finding has one firm (`firm_id`: the seller of a shipment); a batch's run
//! keeps the findings whose firm is in the batch, so every finding comes from exactly one batch
//! and the batches together give `validate`'s findings over the whole province.
//!
//! What the findings whose firm is in a batch read, rule family by rule family:
//! - matching and shipments: the group of (seller, buyer, chemical) between a batch firm and
//!   each partner, both ways: the batch's entries and the entries naming it;
//! - balances, purchase rights and limits (a firm's purchases draw on its own permits; its
//!   returns of refused goods are its own purchases), documents, suspicious orders (by seller),
//!   declarations and chains: the batch's own entries, with every firm, permit and declaration;
//! - transport: every sale naming a transport document that a loaded sale names (a category-1
//!   permit is good for one shipment, across firms);
//! - every loaded entry's reversal, and the refusals of shipments to or from the batch.
//!
//! Unlike `scope`, no partner's other history is read: findings about a partner (its balance,
//! its limits) come from the partner's own batch. Entries of other firms that are loaded only
//! give findings of other firms, which the batch drops. `select` is the definition (pure);
//! `store::stream_input` reads the same part from the database.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::scope::next_changes;
use super::walk::registered;
use crate::custody::model::{Entry, Finding, Input};
use crate::domain::{CustodyRules, EntryKind};

/// Groups firms (with their entry counts, in id order) into batches of about `rows` own
/// entries; a firm is never split (its chain is verified whole).
pub fn batches(counts: &[(String, i64)], rows: i64) -> Vec<Vec<String>> {
    let mut batches = Vec::new();
    let mut batch = Vec::new();
    let mut size = 0;
    for (firm, n) in counts {
        if size + n > rows && !batch.is_empty() {
            batches.push(std::mem::take(&mut batch));
            size = 0;
        }
        batch.push(firm.clone());
        size += n;
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    batches
}

/// The part of `input` that the findings of `firms` read (see the module's comment), with every
/// firm, permit and declaration.
pub fn select(input: &Input, firms: &HashSet<&str>) -> Input {
    let naming = |e: &Entry| registered(e).is_some_and(|p| firms.contains(p));
    let mut keep: HashSet<&str> = HashSet::new();
    let mut numbers: HashSet<&str> = HashSet::new();
    for e in input.entries.iter() {
        if firms.contains(&*e.firm_id) || naming(e) {
            keep.insert(&e.id);
            if e.kind == EntryKind::Sale {
                numbers.extend(e.transport_permit_no.as_deref());
            }
        }
    }
    for e in &input.entries {
        let number = e.transport_permit_no.as_deref();
        if e.kind == EntryKind::Sale && number.is_some_and(|n| numbers.contains(n)) {
            keep.insert(&e.id);
        }
    }
    let reversals: Vec<&str> = input
        .entries
        .iter()
        .filter(|e| e.reverses.as_deref().is_some_and(|t| keep.contains(t)))
        .map(|e| &*e.id)
        .collect();
    keep.extend(reversals);
    let by_id: HashMap<&str, &Entry> = input.entries.iter().map(|e| (&*e.id, e)).collect();
    let refusal_about_batch = |id: &str| {
        by_id.get(id).is_some_and(|d| {
            firms.contains(&*d.firm_id) || registered(d).is_some_and(|p| firms.contains(p))
        })
    };
    Input {
        entries: input
            .entries
            .iter()
            .filter(|e| keep.contains(&*e.id))
            .cloned()
            .collect(),
        refusals: input
            .refusals
            .iter()
            .filter(|r| refusal_about_batch(&r.dispatch_id))
            .cloned()
            .collect(),
        broken_chains: input
            .broken_chains
            .iter()
            .filter(|(f, _, _)| firms.contains(f.as_str()))
            .cloned()
            .collect(),
        firms: input.firms.clone(),
        permits: input.permits.clone(),
        catalog: input.catalog.clone(),
        declarations: input.declarations.clone(),
        order_thresholds: input.order_thresholds.clone(),
    }
}

/// What one batch's run finds: `validate` over the batch's part, keeping the findings whose
/// firm is in the batch; with `next`, also when the findings of each batch firm can next change
/// with no filing (`scope::next_changes`, which reads the same part).
pub fn validate_batch(
    part: &Input,
    settings: &CustodyRules,
    firms: &HashSet<&str>,
    next: Option<&mut HashMap<String, DateTime<Utc>>>,
) -> Vec<Finding> {
    let mut findings = super::validate(part, settings);
    findings.retain(|f| firms.contains(f.firm_id.as_str()));
    if let Some(next) = next {
        next.extend(next_changes(part, settings, firms));
    }
    findings
}

/// The batches' findings in `validate`'s order.
pub fn merge(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by_cached_key(|f| (f.code, f.identity()));
    findings
}
