//! What a run for some firms reads: the part of the province that the findings about those firms
//! depend on, rule family by rule family. `select` is the definition (pure, over a whole
//! `Input`); `store::load_scoped_input` reads the same part from the database, step by step.
//!
//! A finding is "about" a firm when the firm is its `firm_id` or its `counterparty_firm_id`;
//! every such finding is about an entry of the firm or an entry naming it (the scope's own
//! entries). What else their rules read:
//! - balances: the whole (firm, chemical, lot) history of a firm that named the scope;
//! - matching and shipments: the entries between the scope and each partner, both ways (keyed
//!   by seller and buyer, so complete with the scope's own entries);
//! - purchase rights and limits: the buyers' permits and status; for a partner whose purchase
//!   from the scope draws on a limited permit, all its purchases, and, to tell its returns of
//!   refused goods, the whole traffic with each firm it refused or was refused by;
//! - transport: the permits of both ends and every sale naming the same transport document (a
//!   category-1 permit is good for one shipment, across firms);
//! - every entry's reversal; firms, permits and declarations of every firm loaded.
//!
//! Entries loaded beyond that (a partner's other lots) only give findings outside the scope,
//! which the run drops.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::walk::{registered, Validator};
use crate::custody::model::{Entry, Finding, Input};
use crate::domain::{CustodyRules, EntryKind};

/// Whether the finding is about one of `firms` (as the firm or its counterparty).
pub fn touches(f: &Finding, firms: &HashSet<&str>) -> bool {
    firms.contains(f.firm_id.as_str())
        || f.counterparty_firm_id
            .as_deref()
            .is_some_and(|c| firms.contains(c))
}

/// The part of `input` that the findings about `firms` read (see the module's comment).
pub fn select(input: &Input, firms: &HashSet<&str>) -> Input {
    let all = &input.entries;
    let mut keep: HashSet<&str> = HashSet::new();
    // 1–2. The scope's entries, and the entries naming it.
    let own_or_naming = |e: &&Entry| {
        firms.contains(&*e.firm_id) || registered(e).is_some_and(|p| firms.contains(p))
    };
    let mut partners: HashSet<&str> = HashSet::new();
    let mut partner_chemicals: HashSet<(&str, &str)> = HashSet::new();
    let mut numbers: HashSet<&str> = HashSet::new();
    for e in all.iter().filter(own_or_naming) {
        keep.insert(&*e.id);
        if !firms.contains(&*e.firm_id) {
            partners.insert(&e.firm_id);
            partner_chemicals.insert((&e.firm_id, &e.chemical_id));
        }
        if e.kind == EntryKind::Sale {
            if let Some(n) = &e.transport_permit_no {
                numbers.insert(n);
            }
        }
    }
    // 3. Balances: the partners' whole history of the chemicals they traded with the scope.
    for e in all {
        if partner_chemicals.contains(&(&*e.firm_id, &*e.chemical_id)) {
            keep.insert(&*e.id);
        }
    }
    // 4. Limits: partners holding a limited permit.
    let limited = limited_partners(input, &partners);
    let mut pairs: HashSet<(&str, &str)> = HashSet::new();
    let by_id: HashMap<&str, &Entry> = all.iter().map(|e| (&*e.id, e)).collect();
    let refusals_kept: Vec<_> = input
        .refusals
        .iter()
        .filter(|r| {
            let Some(d) = by_id.get(&*r.dispatch_id) else {
                return false;
            };
            let (seller, buyer) = (&*d.firm_id, registered(d).unwrap_or(""));
            if limited.contains(seller) || limited.contains(buyer) {
                pairs.insert((seller, buyer));
            }
            [seller, buyer]
                .iter()
                .any(|f| firms.contains(f) || limited.contains(f))
        })
        .cloned()
        .collect();
    for e in all {
        let party = registered(e).unwrap_or("");
        if (limited.contains(&*e.firm_id) && e.kind == EntryKind::Purchase)
            || pairs.contains(&(&*e.firm_id, party))
            || pairs.contains(&(party, &*e.firm_id))
        {
            keep.insert(&*e.id);
        }
    }
    // 5. Transport: every sale naming one of the transport documents the scope's sales name.
    for e in all {
        if e.kind == EntryKind::Sale
            && e.transport_permit_no
                .as_deref()
                .is_some_and(|n| numbers.contains(n))
        {
            keep.insert(&*e.id);
        }
    }
    // 6. The reversal of every entry kept.
    let reversals: Vec<&Entry> = all
        .iter()
        .filter(|e| e.reverses.as_deref().is_some_and(|t| keep.contains(t)))
        .collect();
    for e in reversals {
        keep.insert(&*e.id);
    }
    let entries: Vec<Entry> = all
        .iter()
        .filter(|e| keep.contains(&*e.id))
        .cloned()
        .collect();
    // 7. Firms, permits and declarations of every firm named.
    let mut named: HashSet<&str> = firms.iter().copied().collect();
    for e in &entries {
        named.insert(&e.firm_id);
        if let Some(p) = registered(e) {
            named.insert(p);
        }
    }
    Input {
        firms: input
            .firms
            .iter()
            .filter(|(id, _)| named.contains(id.as_str()))
            .map(|(id, f)| (id.clone(), f.clone()))
            .collect(),
        permits: input
            .permits
            .iter()
            .filter(|p| named.contains(p.firm_id.as_str()))
            .cloned()
            .collect(),
        declarations: input
            .declarations
            .iter()
            .filter(|d| named.contains(d.firm_id.as_str()))
            .cloned()
            .collect(),
        refusals: refusals_kept,
        broken_chains: input
            .broken_chains
            .iter()
            .filter(|(f, _, _)| firms.contains(f.as_str()))
            .cloned()
            .collect(),
        catalog: input.catalog.clone(),
        order_thresholds: input.order_thresholds.clone(),
        entries,
    }
}

/// Partners holding a permit with a quantity limit: their purchases from the scope are judged
/// against all their purchases.
pub fn limited_partners<'a>(input: &'a Input, partners: &HashSet<&str>) -> HashSet<&'a str> {
    input
        .permits
        .iter()
        .filter(|p| p.quantity_limit.is_some() && partners.contains(p.firm_id.as_str()))
        .map(|p| p.firm_id.as_str())
        .collect()
}

/// When, after `settings.as_of`, the findings about each of `firms` can change with no filing
/// at all: an entry or a refusal dated later comes to count, or an unmatched dispatch passes
/// its transit window. An entry, a refusal or a dispatch sets the time of both its ends.
pub fn next_changes(
    input: &Input,
    settings: &CustodyRules,
    firms: &HashSet<&str>,
) -> HashMap<String, DateTime<Utc>> {
    let as_of = settings.as_of;
    let mut next: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut at = |e: &Entry, t: DateTime<Utc>| {
        for f in [Some(&*e.firm_id), registered(e)].into_iter().flatten() {
            if firms.contains(f) {
                let slot = next.entry(f.to_string()).or_insert(t);
                *slot = (*slot).min(t);
            }
        }
    };
    let by_id: HashMap<&str, &Entry> = input.entries.iter().map(|e| (&*e.id, e)).collect();
    for e in &input.entries {
        if e.occurred_at > as_of {
            at(e, e.occurred_at);
            // A reversal coming to count changes what its target's other end sees too.
            if let Some(target) = e.reverses.as_deref().and_then(|t| by_id.get(t)) {
                at(target, e.occurred_at);
            }
        }
    }
    for r in &input.refusals {
        if r.refused_at > as_of {
            if let Some(d) = by_id.get(&*r.dispatch_id) {
                at(d, r.refused_at);
            }
        }
    }
    let v = Validator::new(input, settings);
    let m = v.matching();
    for d in m.unmatched_dispatches() {
        // UNMATCHED_DISPATCH fires once `as_of` is past this.
        let due = d.occurred_at + settings.transit_window;
        if due >= as_of {
            at(d, due);
        }
    }
    next
}
