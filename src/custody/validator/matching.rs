//! Matching: which dispatch (a sale to a registered firm) went with which receipt (a purchase
//! from one). By shipment ref first; the rest by lot, quantity and transit window.

use std::collections::HashMap;

use super::walk::{order_key, registered, Validator};
use crate::custody::model::{Entry, Input};
use crate::domain::{CustodyRules, EntryKind};

/// Indexes of the dispatches and of the receipts that share a matching key.
type Sides = (Vec<usize>, Vec<usize>);

/// The outcome of matching: which dispatch went with which receipt (indexes), and what is left.
pub(super) struct Matching<'a> {
    pub(super) dispatches: Vec<&'a Entry>,
    pub(super) receipts: Vec<&'a Entry>,
    pub(super) d_used: Vec<bool>,
    pub(super) r_used: Vec<bool>,
    pub(super) pairs: Vec<(usize, usize)>,
}

/// One shipment between registered firms as matching sees it: both ends, or one end alone.
#[derive(Debug, Clone)]
pub struct Shipment {
    pub dispatch: Option<Entry>,
    pub receipt: Option<Entry>,
}

/// Every dispatch and receipt among counted entries, paired where they match (for the lot trace).
pub fn shipments(input: &Input, settings: &CustodyRules) -> Vec<Shipment> {
    let m = Validator::new(input, settings).matching();
    let mut out: Vec<Shipment> = m
        .pairs
        .iter()
        .map(|&(i, j)| Shipment {
            dispatch: Some(m.dispatches[i].clone()),
            receipt: Some(m.receipts[j].clone()),
        })
        .collect();
    out.extend(m.unmatched_dispatches().map(|d| Shipment {
        dispatch: Some(d.clone()),
        receipt: None,
    }));
    out.extend(m.unmatched_receipts().map(|r| Shipment {
        dispatch: None,
        receipt: Some(r.clone()),
    }));
    out
}

impl<'a> Validator<'a> {
    /// Dispatches (sales to registered firms) matched to receipts (purchases from registered firms).
    pub(super) fn matching(&self) -> Matching<'a> {
        let of_kind = |kind: EntryKind| -> Vec<&'a Entry> {
            self.entries
                .iter()
                .copied()
                .filter(|e| e.kind == kind && registered(e).is_some())
                .collect()
        };
        let dispatches = of_kind(EntryKind::Sale);
        let receipts = of_kind(EntryKind::Purchase);
        let mut m = Matching {
            d_used: vec![false; dispatches.len()],
            r_used: vec![false; receipts.len()],
            dispatches,
            receipts,
            pairs: Vec::new(),
        };
        m.by_shipment_ref();
        m.by_lot(self.s);
        let (dispatches, receipts) = (&m.dispatches, &m.receipts);
        m.pairs
            .sort_by_key(|&(i, j)| (order_key(dispatches[i]), order_key(receipts[j])));
        m
    }
}

/// Borrowed keys: matching a province must not copy its strings.
fn party(e: &Entry) -> &str {
    registered(e).unwrap_or("")
}

/// Groups in key order, so that the outcome never depends on hashing.
fn sorted<K: Ord>(groups: HashMap<K, Sides>) -> Vec<(K, Sides)> {
    let mut groups: Vec<(K, Sides)> = groups.into_iter().collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    groups
}

impl<'a> Matching<'a> {
    pub(super) fn unmatched_dispatches(&self) -> impl Iterator<Item = &'a Entry> + '_ {
        self.dispatches
            .iter()
            .zip(&self.d_used)
            .filter(|(_, used)| !**used)
            .map(|(d, _)| *d)
    }

    pub(super) fn unmatched_receipts(&self) -> impl Iterator<Item = &'a Entry> + '_ {
        self.receipts
            .iter()
            .zip(&self.r_used)
            .filter(|(_, used)| !**used)
            .map(|(r, _)| *r)
    }

    fn pair(&mut self, i: usize, j: usize) {
        self.d_used[i] = true;
        self.r_used[j] = true;
        self.pairs.push((i, j));
    }

    /// Both sides of each group in business order.
    fn in_order(&self, (mut ds, mut rs): Sides) -> Sides {
        ds.sort_by_key(|&i| order_key(self.dispatches[i]));
        rs.sort_by_key(|&j| order_key(self.receipts[j]));
        (ds, rs)
    }

    /// 1. Same seller, buyer, chemical and shipment ref: pair them in time order.
    fn by_shipment_ref(&mut self) {
        type RefKey<'k> = (&'k str, &'k str, &'k str, &'k str);
        let mut by_ref: HashMap<RefKey, Sides> = HashMap::new();
        for (i, d) in self.dispatches.iter().copied().enumerate() {
            if let Some(r) = &d.shipment_ref {
                by_ref
                    .entry((&*d.firm_id, party(d), &*d.chemical_id, &**r))
                    .or_default()
                    .0
                    .push(i);
            }
        }
        for (j, r) in self.receipts.iter().copied().enumerate() {
            if let Some(sr) = &r.shipment_ref {
                by_ref
                    .entry((party(r), &*r.firm_id, &*r.chemical_id, &**sr))
                    .or_default()
                    .1
                    .push(j);
            }
        }
        for (_, sides) in sorted(by_ref) {
            let (ds, rs) = self.in_order(sides);
            for (&i, &j) in ds.iter().zip(&rs) {
                self.pair(i, j);
            }
        }
    }

    /// 2. The rest by seller, buyer, chemical and lot, quantity within tolerance, received within
    ///    the transit window, nearest in time first. Two different shipment refs never match.
    fn by_lot(&mut self, s: &CustodyRules) {
        type LotKey<'k> = (&'k str, &'k str, &'k str, Option<&'k str>);
        let mut by_lot: HashMap<LotKey, Sides> = HashMap::new();
        let free_dispatches = self.dispatches.iter().copied().enumerate();
        for (i, d) in free_dispatches.filter(|(i, _)| !self.d_used[*i]) {
            by_lot
                .entry((&*d.firm_id, party(d), &*d.chemical_id, d.lot.as_deref()))
                .or_default()
                .0
                .push(i);
        }
        let free_receipts = self.receipts.iter().copied().enumerate();
        for (j, r) in free_receipts.filter(|(j, _)| !self.r_used[*j]) {
            by_lot
                .entry((party(r), &*r.firm_id, &*r.chemical_id, r.lot.as_deref()))
                .or_default()
                .1
                .push(j);
        }
        for (_, sides) in sorted(by_lot) {
            if sides.0.is_empty() || sides.1.is_empty() {
                continue;
            }
            let (ds, rs) = self.in_order(sides);
            for &i in &ds {
                if let Some(j) = self.nearest_receipt(i, &rs, s) {
                    self.pair(i, j);
                }
            }
        }
    }

    /// The first free receipt of the group (in time order) that dispatch `i` may match.
    fn nearest_receipt(&self, i: usize, rs: &[usize], s: &CustodyRules) -> Option<usize> {
        let d = self.dispatches[i];
        let start = rs.partition_point(|&j| self.receipts[j].occurred_at < d.occurred_at);
        rs[start..]
            .iter()
            .copied()
            .take_while(|&j| self.receipts[j].occurred_at <= d.occurred_at + s.transit_window)
            .find(|&j| {
                let r = self.receipts[j];
                !self.r_used[j]
                    && (d.shipment_ref.is_none() || r.shipment_ref.is_none())
                    && s.agree(d.quantity, r.quantity)
            })
    }
}
