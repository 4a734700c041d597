//! A full run by batches of firms (`validator::partition`) finds exactly what `validate` finds
//! over the whole province, in the same order, and tells the same next changes, however the
//! firms are grouped (random provinces of `scope_tests`: shipments both ways, refusals and
//! returns, limited permits, shared transport documents, reversals, broken chains).

use std::collections::{BTreeMap, HashMap, HashSet};

use proptest::prelude::*;

use super::scope_tests::{province, settings, FIRMS};
use super::validate;
use super::validator::partition::{batches, merge, select, validate_batch};
use super::validator::scope::next_changes;

/// Every firm of the province with its entry count, in id order (as the store groups them).
fn counts(input: &super::model::Input) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<String, i64> = FIRMS.iter().map(|f| (f.to_string(), 0)).collect();
    for e in &input.entries {
        *counts.entry(e.firm_id.to_string()).or_default() += 1;
    }
    counts.into_iter().collect()
}

#[test]
fn batches_hold_every_firm_once_and_split_at_the_size() {
    let counts: Vec<(String, i64)> = [("a", 3), ("b", 4), ("c", 0), ("d", 9), ("e", 1)]
        .iter()
        .map(|(f, n)| (f.to_string(), *n))
        .collect();
    let got = batches(&counts, 7);
    assert_eq!(got, [vec!["a", "b", "c"], vec!["d"], vec!["e"]]);
    assert_eq!(batches(&counts, 100).len(), 1);
}

#[test]
fn a_batch_of_one_firm_reads_less_than_the_province() {
    let input = province(7, 150);
    for firm in FIRMS {
        let part = select(&input, &HashSet::from([firm]));
        assert!(
            part.entries.len() < input.entries.len(),
            "{firm}: {}",
            part.entries.len()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn a_run_by_batches_of_firms_gives_the_full_runs_findings(
        seed in any::<u64>(),
        n in 20_usize..160,
        as_of in (10_u64 * 24)..(70 * 24),
        rows in 1_i64..120,
    ) {
        let input = province(seed, n);
        let s = settings(as_of);
        let mut found = Vec::new();
        let mut next = HashMap::new();
        for batch in batches(&counts(&input), rows) {
            let firms: HashSet<&str> = batch.iter().map(String::as_str).collect();
            let part = select(&input, &firms);
            found.extend(validate_batch(&part, &s, &firms, Some(&mut next)));
        }
        prop_assert_eq!(merge(found), validate(&input, &s));
        let all: HashSet<&str> = FIRMS.into_iter().collect();
        prop_assert_eq!(next, next_changes(&input, &s, &all));
    }
}
