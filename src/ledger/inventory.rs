//! Book balances from the ledger: pure arithmetic over entries, no I/O.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::domain::EntryKind;

/// What the balance computation needs of one entry.
#[derive(Debug, Clone)]
pub struct Movement<'a> {
    pub id: &'a str,
    pub seq: i64,
    pub kind: EntryKind,
    pub chemical_id: &'a str,
    pub lot: Option<&'a str>,
    pub quantity: i64,
    pub occurred_at: DateTime<Utc>,
    pub reverses: Option<&'a str>,
}

/// Signed effect of one movement on a running balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Add(i64),
    Remove(i64),
    /// A stocktake: the counted quantity replaces the book balance.
    SetTo(i64),
    None,
}

pub fn effect(kind: EntryKind, quantity: i64) -> Effect {
    match kind {
        EntryKind::Purchase | EntryKind::Production => Effect::Add(quantity),
        EntryKind::Sale | EntryKind::Consumption | EntryKind::Loss | EntryKind::Disposal => {
            Effect::Remove(quantity)
        }
        EntryKind::Stocktake => Effect::SetTo(quantity),
        EntryKind::Reversal => Effect::None,
    }
}

/// Balance in thousandths per (chemical, lot) as of `as_of`. Reversed entries and reversals do
/// not count; entries apply in business order (`occurred_at`, then `seq`).
pub fn balances<'a>(
    movements: &[Movement<'a>],
    as_of: DateTime<Utc>,
) -> BTreeMap<(&'a str, Option<&'a str>), i64> {
    replay(movements, as_of, |_, _| {})
}

/// The balance of its (chemical, lot) right after each counted movement, by movement id: the
/// ledger table's running balance. Reversed entries and reversals have none.
pub fn running<'a>(movements: &[Movement<'a>]) -> HashMap<&'a str, i64> {
    let mut after = HashMap::new();
    replay(movements, DateTime::<Utc>::MAX_UTC, |m, balance| {
        after.insert(m.id, balance);
    });
    after
}

/// The balance of each entry's chemical, all lots together, once the entries up to it in seq
/// order had been filed: the running balance of a chemical's sheet in a workbook. Each lot's
/// part is its [`balances`] over what was filed so far, so a reversal takes back what the entry
/// it cancels did, and an entry filed late counts where its business time puts it.
pub fn chemical_balance_as_filed<'a>(movements: &[Movement<'a>]) -> HashMap<&'a str, i64> {
    type Lot<'a> = (&'a str, Option<&'a str>);
    let mut in_seq: Vec<&Movement<'a>> = movements.iter().collect();
    in_seq.sort_by_key(|m| m.seq);
    let mut filed: HashMap<Lot<'a>, Vec<Movement<'a>>> = HashMap::new();
    let mut latest: HashMap<Lot<'a>, DateTime<Utc>> = HashMap::new();
    let mut lot_balance: HashMap<Lot<'a>, i64> = HashMap::new();
    let mut chemical: HashMap<&'a str, i64> = HashMap::new();
    let mut lot_of: HashMap<&'a str, Lot<'a>> = HashMap::new();
    let mut reversals: Vec<Movement<'a>> = Vec::new();
    let mut after = HashMap::with_capacity(movements.len());
    for m in in_seq {
        let lot = (m.chemical_id, m.lot);
        lot_of.insert(m.id, lot);
        filed.entry(lot).or_default().push(m.clone());
        let in_order = latest.get(&lot).is_none_or(|t| m.occurred_at >= *t);
        let mut changed = vec![lot];
        if m.kind == EntryKind::Reversal {
            reversals.push(m.clone());
            changed.extend(m.reverses.and_then(|target| lot_of.get(target).copied()));
        } else if in_order {
            let old = lot_balance.get(&lot).copied().unwrap_or(0);
            let new = match effect(m.kind, m.quantity) {
                Effect::Add(q) => old.saturating_add(q),
                Effect::Remove(q) => old.saturating_sub(q),
                Effect::SetTo(q) => q,
                Effect::None => old,
            };
            set_lot(&mut lot_balance, &mut chemical, lot, new);
            changed.clear();
        }
        // Out of order, or a reversal: the lot's balance again from what was filed.
        for lot in changed {
            let mut seen: Vec<Movement<'a>> = filed.get(&lot).cloned().unwrap_or_default();
            seen.extend(reversals.iter().cloned());
            let new = balances(&seen, DateTime::<Utc>::MAX_UTC)
                .get(&lot)
                .copied()
                .unwrap_or(0);
            set_lot(&mut lot_balance, &mut chemical, lot, new);
        }
        let t = latest.entry(lot).or_insert(m.occurred_at);
        *t = (*t).max(m.occurred_at);
        after.insert(m.id, chemical.get(m.chemical_id).copied().unwrap_or(0));
    }
    after
}

/// Sets one lot's balance and moves its chemical's total by the difference.
fn set_lot<'a>(
    lots: &mut HashMap<(&'a str, Option<&'a str>), i64>,
    chemicals: &mut HashMap<&'a str, i64>,
    lot: (&'a str, Option<&'a str>),
    new: i64,
) {
    let old = lots.insert(lot, new).unwrap_or(0);
    let total = chemicals.entry(lot.0).or_insert(0);
    *total = total.saturating_add(new.saturating_sub(old));
}

/// Applies the counted movements up to `as_of` in business order, telling `each` the balance
/// after each one.
fn replay<'a>(
    movements: &[Movement<'a>],
    as_of: DateTime<Utc>,
    mut each: impl FnMut(&Movement<'a>, i64),
) -> BTreeMap<(&'a str, Option<&'a str>), i64> {
    let reversed: HashSet<&str> = movements.iter().filter_map(|m| m.reverses).collect();
    let mut counted: Vec<&Movement<'a>> = movements
        .iter()
        .filter(|m| {
            m.occurred_at <= as_of && m.kind != EntryKind::Reversal && !reversed.contains(m.id)
        })
        .collect();
    counted.sort_by_key(|m| (m.occurred_at, m.seq));
    let mut out = BTreeMap::new();
    for m in counted {
        let balance = out.entry((m.chemical_id, m.lot)).or_insert(0_i64);
        match effect(m.kind, m.quantity) {
            Effect::Add(q) => *balance = balance.saturating_add(q),
            Effect::Remove(q) => *balance = balance.saturating_sub(q),
            Effect::SetTo(q) => *balance = q,
            Effect::None => {}
        }
        each(m, *balance);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn at(day: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(day)
    }

    fn m<'a>(
        id: &'a str,
        seq: i64,
        kind: EntryKind,
        lot: &'a str,
        quantity: i64,
        day: i64,
    ) -> Movement<'a> {
        Movement {
            id,
            seq,
            kind,
            chemical_id: "acetone",
            lot: Some(lot),
            quantity,
            occurred_at: at(day),
            reverses: None,
        }
    }

    #[test]
    fn purchases_sales_and_stocktakes() {
        let entries = vec![
            m("1", 1, EntryKind::Purchase, "A", 100_000, 1),
            m("2", 2, EntryKind::Sale, "A", 30_000, 2),
            m("3", 3, EntryKind::Stocktake, "A", 69_500, 3),
            m("4", 4, EntryKind::Consumption, "A", 9_500, 4),
            m("5", 5, EntryKind::Production, "B", 5_000, 4),
        ];
        let b = balances(&entries, at(10));
        assert_eq!(b[&("acetone", Some("A"))], 60_000);
        assert_eq!(b[&("acetone", Some("B"))], 5_000);
        assert_eq!(balances(&entries, at(2))[&("acetone", Some("A"))], 70_000);
    }

    #[test]
    fn reversed_entries_do_not_count() {
        let mut reversal = m("3", 3, EntryKind::Reversal, "A", 30_000, 3);
        reversal.reverses = Some("2");
        let entries = vec![
            m("1", 1, EntryKind::Purchase, "A", 100_000, 1),
            m("2", 2, EntryKind::Sale, "A", 30_000, 2),
            reversal,
        ];
        assert_eq!(balances(&entries, at(10))[&("acetone", Some("A"))], 100_000);
    }

    #[test]
    fn a_chemicals_balance_as_filed_takes_back_what_a_reversal_cancels() {
        let mut reversal = m("4", 4, EntryKind::Reversal, "A", 30_000, 3);
        reversal.reverses = Some("2");
        let entries = vec![
            m("1", 1, EntryKind::Purchase, "A", 100_000, 1),
            m("2", 2, EntryKind::Sale, "A", 30_000, 2),
            m("3", 3, EntryKind::Purchase, "B", 5_000, 2),
            reversal,
        ];
        let after = chemical_balance_as_filed(&entries);
        assert_eq!(
            [after["1"], after["2"], after["3"], after["4"]],
            [100_000, 70_000, 75_000, 105_000]
        );
    }

    #[test]
    fn business_time_orders_before_seq() {
        // Filed late: a stocktake on day 5 filed after a sale on day 6.
        let entries = vec![
            m("1", 1, EntryKind::Purchase, "A", 100_000, 1),
            m("2", 2, EntryKind::Sale, "A", 10_000, 6),
            m("3", 3, EntryKind::Stocktake, "A", 95_000, 5),
        ];
        assert_eq!(balances(&entries, at(10))[&("acetone", Some("A"))], 85_000);
    }

    fn kind() -> impl Strategy<Value = EntryKind> {
        prop_oneof![
            Just(EntryKind::Purchase),
            Just(EntryKind::Production),
            Just(EntryKind::Sale),
            Just(EntryKind::Consumption),
            Just(EntryKind::Loss),
            Just(EntryKind::Disposal),
            Just(EntryKind::Stocktake),
        ]
    }

    proptest! {
        /// Against a model that replays each lot's entries one by one in time order.
        #[test]
        fn matches_a_per_lot_replay(raw in proptest::collection::vec((kind(), 0_usize..3, 0_i64..1_000_000, 0_i64..30, any::<bool>()), 0..60)) {
            let ids: Vec<String> = (0..raw.len()).map(|i| i.to_string()).collect();
            let lots = ["L1", "L2", "L3"];
            let entries: Vec<Movement> = raw.iter().enumerate().map(|(i, (k, lot, q, day, _))| {
                m(&ids[i], i as i64 + 1, *k, lots[*lot], *q, *day)
            }).collect();
            // Reverse some entries: a reversal entry per flagged one.
            let reversal_ids: Vec<String> = (0..raw.len()).map(|i| format!("r{i}")).collect();
            let mut all = entries.clone();
            for (i, (_, lot, _, _, reverse)) in raw.iter().enumerate() {
                if *reverse {
                    let mut r = m(&reversal_ids[i], 1000 + i as i64, EntryKind::Reversal, lots[*lot], 0, 40);
                    r.reverses = Some(&ids[i]);
                    all.push(r);
                }
            }
            let got = balances(&all, at(100));
            for lot in lots {
                let mut mine: Vec<_> = raw.iter().enumerate().filter(|(_, (_, l, _, _, rev))| lots[*l] == lot && !rev).collect();
                mine.sort_by_key(|(i, (_, _, _, day, _))| (*day, *i));
                if mine.is_empty() {
                    prop_assert!(!got.contains_key(&("acetone", Some(lot))));
                    continue;
                }
                let mut balance = 0_i64;
                for (_, (k, _, q, _, _)) in mine {
                    balance = match k {
                        EntryKind::Purchase | EntryKind::Production => balance + q,
                        EntryKind::Stocktake => *q,
                        _ => balance - q,
                    };
                }
                prop_assert_eq!(got[&("acetone", Some(lot))], balance);
            }
        }

        /// The chemical's balance after each filing is the sum over its lots of the balances of
        /// everything filed up to it, whatever the order of business times and reversals.
        #[test]
        fn a_chemicals_balance_as_filed_is_the_balance_of_what_was_filed(
            raw in proptest::collection::vec((kind(), 0_usize..2, 0_usize..2, 0_i64..1_000_000, 0_i64..10), 1..30),
            reverse in proptest::collection::vec(0_usize..30, 0..4),
        ) {
            let ids: Vec<String> = (0..raw.len() + reverse.len()).map(|i| i.to_string()).collect();
            let chemicals = ["acetone", "toluene"];
            let lots = ["L1", "L2"];
            let mut all: Vec<Movement> = raw.iter().enumerate().map(|(i, (k, c, lot, q, day))| {
                let mut e = m(&ids[i], i as i64 + 1, *k, lots[*lot], *q, *day);
                e.chemical_id = chemicals[*c];
                e
            }).collect();
            let mut reversed = HashSet::new();
            for (j, target) in reverse.iter().enumerate() {
                let target = target % raw.len();
                if !reversed.insert(target) {
                    continue;
                }
                let i = raw.len() + j;
                let t = all[target].clone();
                let mut r = m(&ids[i], i as i64 + 1, EntryKind::Reversal, t.lot.unwrap_or(""), t.quantity, 5);
                r.chemical_id = t.chemical_id;
                r.reverses = Some(t.id);
                all.push(r);
            }
            let got = chemical_balance_as_filed(&all);
            for (i, e) in all.iter().enumerate() {
                let prefix = &all[..=i];
                let expected: i64 = balances(prefix, DateTime::<Utc>::MAX_UTC)
                    .iter()
                    .filter(|((c, _), _)| *c == e.chemical_id)
                    .map(|(_, q)| q)
                    .sum();
                prop_assert_eq!(got[e.id], expected, "after seq {}", e.seq);
            }
        }

        /// The running balance after an entry is the balance of everything up to it in
        /// business order; a reversed entry has none.
        #[test]
        fn running_is_the_balance_up_to_each_entry(raw in proptest::collection::vec((kind(), 0_usize..2, 0_i64..1_000_000, 0_i64..10), 1..40), reverse in 0_usize..40) {
            let ids: Vec<String> = (0..raw.len()).map(|i| i.to_string()).collect();
            let lots = ["L1", "L2"];
            let mut all: Vec<Movement> = raw.iter().enumerate().map(|(i, (k, lot, q, day))| {
                m(&ids[i], i as i64 + 1, *k, lots[*lot], *q, *day)
            }).collect();
            let target = reverse % raw.len();
            let mut r = m("r", 1000, EntryKind::Reversal, lots[raw[target].1], 0, 20);
            r.reverses = Some(&ids[target]);
            all.push(r);
            let after = running(&all);
            prop_assert!(!after.contains_key(ids[target].as_str()) && !after.contains_key("r"));
            for e in all.iter().filter(|e| e.kind != EntryKind::Reversal && e.id != ids[target]) {
                let upto: Vec<Movement> = all.iter().filter(|o| o.reverses.is_some() || (o.occurred_at, o.seq) <= (e.occurred_at, e.seq)).cloned().collect();
                let expected = balances(&upto, at(100))[&(e.chemical_id, e.lot)];
                prop_assert_eq!(after[e.id], expected);
            }
        }
    }
}
