//! The walk every rule family reads: the input, the rules, and the entries that count (of
//! chemicals on the list when they happened), indexed once; and the builders of findings.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::custody::model::{Entry, Finding, Firm, Input, Party, Permit};
use crate::domain::catalog::Control;
use crate::domain::{Code, CustodyRules, EntryKind, Severity};

/// The validator's maps: a province hashes millions of string keys, and SipHash dominated the
/// profile. foldhash (already built for actix-http) is seeded per process like std's.
pub(super) type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub(super) type Set<K> = HashSet<K, foldhash::fast::RandomState>;

/// What every rule reads: the input, the rules, and the entries that count, indexed once.
pub(super) struct Validator<'a> {
    pub(super) input: &'a Input,
    pub(super) s: &'a CustodyRules,
    /// Entries that count: not reversals, not reversed, occurred by `as_of`; in business order.
    pub(super) entries: Vec<&'a Entry>,
    pub(super) permits_by_firm: Map<&'a str, Vec<&'a Permit>>,
    /// Dispatches refused by `as_of`, with when.
    pub(super) refused: Map<&'a str, DateTime<Utc>>,
    /// The input's catalog and firms again, with the fast hasher (looked up per entry).
    catalog: Map<&'a str, &'a Control>,
    firms: Map<&'a str, &'a Firm>,
}

/// Business order inside a firm (`occurred_at`, then `seq`); the id settles anything else so
/// that the input order never matters.
pub(super) fn order_key(e: &Entry) -> (DateTime<Utc>, i64, &str) {
    (e.occurred_at, e.seq, &*e.id)
}

/// Whether the entry's chemical was on the list when it happened: rules for controlled
/// chemicals do not judge what happened before it was listed, or after it was delisted.
fn controlled(catalog: &Map<&str, &Control>, e: &Entry) -> bool {
    catalog
        .get(&*e.chemical_id)
        .is_none_or(|c| c.controlled_at(e.occurred_at))
}

pub(super) fn lot_text(lot: Option<&str>) -> String {
    lot.unwrap_or("—").to_string()
}

/// Firm ids in text order; entries of one firm share one `Arc`, so most comparisons in the sort
/// of a province stop at the pointer.
fn firm_order(a: &Entry, b: &Entry) -> Ordering {
    if Arc::ptr_eq(&a.firm_id, &b.firm_id) {
        Ordering::Equal
    } else {
        a.firm_id.cmp(&b.firm_id)
    }
}

/// The registered firm on the other side of an entry, if it names one.
pub(super) fn registered(e: &Entry) -> Option<&str> {
    match &e.counterparty {
        Some(Party::Registered(other)) => Some(&**other),
        _ => None,
    }
}

impl<'a> Validator<'a> {
    pub(super) fn new(input: &'a Input, s: &'a CustodyRules) -> Validator<'a> {
        // A reversal counts from when it happened: as of an earlier time its target still stood.
        let catalog: Map<&str, &Control> = input.catalog.iter().map(|(k, c)| (&**k, c)).collect();
        let firms = input.firms.iter().map(|(k, f)| (&**k, f)).collect();
        let reversed: Set<&str> = input
            .entries
            .iter()
            .filter(|e| e.occurred_at <= s.as_of)
            .filter_map(|e| e.reverses.as_deref())
            .collect();
        let mut entries: Vec<&Entry> = input
            .entries
            .iter()
            .filter(|e| {
                e.kind != EntryKind::Reversal
                    && !reversed.contains(&*e.id)
                    && e.occurred_at <= s.as_of
                    && controlled(&catalog, e)
            })
            .collect();
        entries.sort_by(|a, b| firm_order(a, b).then_with(|| order_key(a).cmp(&order_key(b))));
        let mut permits_by_firm: Map<&str, Vec<&Permit>> = Map::default();
        for p in &input.permits {
            permits_by_firm.entry(&*p.firm_id).or_default().push(p);
        }
        for list in permits_by_firm.values_mut() {
            list.sort_by(|a, b| (a.valid_from, &a.id).cmp(&(b.valid_from, &b.id)));
        }
        let refused = input
            .refusals
            .iter()
            .filter(|r| r.refused_at <= s.as_of)
            .map(|r| (&*r.dispatch_id, r.refused_at))
            .collect();
        Validator {
            input,
            s,
            entries,
            permits_by_firm,
            refused,
            catalog,
            firms,
        }
    }

    /// A firm of the input by id.
    pub(super) fn firm(&self, firm_id: &str) -> Option<&'a Firm> {
        self.firms.get(firm_id).copied()
    }

    pub(super) fn name(&self, firm_id: &str) -> String {
        self.firm(firm_id)
            .map(|f| f.name.clone())
            .unwrap_or_else(|| firm_id.to_string())
    }

    /// The chemical's category when an entry of it happened (the list is amended over time).
    pub(super) fn category(&self, chemical_id: &str, at: DateTime<Utc>) -> u8 {
        self.catalog
            .get(chemical_id)
            .map_or(3, |c| c.category_at(at))
    }

    /// Whether the chemical is a medicine (药品类).
    pub(super) fn is_medicine(&self, chemical_id: &str) -> bool {
        self.catalog.get(chemical_id).is_some_and(|c| c.medicine)
    }

    /// A finding about one entry of a firm.
    pub(super) fn single(
        &self,
        code: Code,
        severity: Severity,
        e: &Entry,
        quantity: Option<i64>,
        zh: String,
        en: String,
    ) -> Finding {
        Finding {
            code,
            severity,
            firm_id: e.firm_id.to_string(),
            counterparty_firm_id: registered(e).map(str::to_string),
            chemical_id: Some(e.chemical_id.to_string()),
            lot: e.lot.as_deref().map(str::to_string),
            quantity,
            entry_ids: vec![e.id.to_string()],
            counterparty_entry_ids: vec![],
            message_zh: zh,
            message_en: en,
        }
    }

    /// A finding about a matched shipment: the seller's dispatch and the buyer's receipt.
    pub(super) fn pair(
        &self,
        code: Code,
        severity: Severity,
        (d, r): (&Entry, &Entry),
        quantity: Option<i64>,
        zh: String,
        en: String,
    ) -> Finding {
        Finding {
            counterparty_firm_id: Some(r.firm_id.to_string()),
            counterparty_entry_ids: vec![r.id.to_string()],
            ..self.single(code, severity, d, quantity, zh, en)
        }
    }
}
