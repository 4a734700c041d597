//! Matching: which dispatch (a sale to a registered firm) went with which receipt (a purchase
//! from one). By shipment ref first; the rest by lot, quantity and transit window.

use chrono::{DateTime, Utc};

use super::walk::{order_key, registered, Map, Set, Validator};
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
    /// Dispatches the buyer refused (left out of `pairs`), each with the seller's purchase back
    /// from the buyer that returned the goods, once filed.
    pub(super) refused: Vec<(usize, DateTime<Utc>, Option<usize>)>,
}

/// One shipment between registered firms as matching sees it: both ends, or one end alone.
#[derive(Debug, Clone)]
pub struct Shipment {
    pub dispatch: Option<Entry>,
    pub receipt: Option<Entry>,
    /// When the buyer refused the dispatch, if it did.
    pub refused_at: Option<DateTime<Utc>>,
    /// The seller's purchase back from the buyer that returned refused goods.
    pub returned_by: Option<Entry>,
}

impl Shipment {
    fn of(dispatch: Option<&Entry>, receipt: Option<&Entry>) -> Shipment {
        Shipment {
            dispatch: dispatch.cloned(),
            receipt: receipt.cloned(),
            refused_at: None,
            returned_by: None,
        }
    }
}

/// Every dispatch and receipt among counted entries, paired where they match (for the lot
/// trace and the live shipment views).
pub fn shipments(input: &Input, settings: &CustodyRules) -> Vec<Shipment> {
    let m = Validator::new(input, settings).matching();
    let mut out: Vec<Shipment> = m
        .pairs
        .iter()
        .map(|&(i, j)| Shipment::of(Some(m.dispatches[i]), Some(m.receipts[j])))
        .collect();
    out.extend(m.refused.iter().map(|&(i, at, back)| Shipment {
        refused_at: Some(at),
        returned_by: back.map(|j| m.receipts[j].clone()),
        ..Shipment::of(Some(m.dispatches[i]), None)
    }));
    out.extend(
        m.unmatched_dispatches()
            .map(|d| Shipment::of(Some(d), None)),
    );
    out.extend(m.unmatched_receipts().map(|r| Shipment::of(None, Some(r))));
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
            refused: Vec::new(),
        };
        m.by_shipment_ref();
        m.by_lot(self.s);
        m.pair_returns(&self.refused, self.s);
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
fn sorted<K: Ord>(groups: Map<K, Sides>) -> Vec<(K, Sides)> {
    let mut groups: Vec<(K, Sides)> = groups.into_iter().collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    groups
}

impl<'a> Matching<'a> {
    /// The purchases that returned refused goods to their seller.
    pub(super) fn returns(&self) -> Set<&'a str> {
        self.refused
            .iter()
            .filter_map(|&(_, _, back)| back.map(|j| &*self.receipts[j].id))
            .collect()
    }

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
        let mut by_ref: Map<RefKey, Sides> = Map::default();
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
        let mut by_lot: Map<LotKey, Sides> = Map::default();
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

    /// 3. A dispatch the buyer refused pairs with no receipt: it waits for the goods' return, the
    ///    seller's purchase back from that buyer of the same chemical, lot and quantity (within
    ///    tolerance), filed at or after the dispatch; the earliest free one returns it.
    fn pair_returns(&mut self, refusals: &Map<&str, DateTime<Utc>>, s: &CustodyRules) {
        for i in 0..self.dispatches.len() {
            let d = self.dispatches[i];
            let Some(&at) = refusals.get(&*d.id) else {
                continue;
            };
            if self.d_used[i] {
                continue; // received before it was refused: the receipt stands
            }
            self.d_used[i] = true;
            let back = (0..self.receipts.len())
                .filter(|&j| {
                    let r = self.receipts[j];
                    !self.r_used[j]
                        && r.firm_id == d.firm_id
                        && party(r) == party(d)
                        && r.chemical_id == d.chemical_id
                        && r.lot == d.lot
                        && r.occurred_at >= d.occurred_at
                        && s.agree(d.quantity, r.quantity)
                })
                .min_by_key(|&j| order_key(self.receipts[j]));
            if let Some(j) = back {
                self.r_used[j] = true;
            }
            self.refused.push((i, at, back));
        }
    }
}
