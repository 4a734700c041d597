//! Suspicious orders: one scenario per code with its near-miss twin, and properties. A child of
//! `tests`, so that it tells its stories with the same `World`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::custody::Finding;

/// The suspicious-order findings of a run (the sales here have no stock or receipts behind them:
/// the custody rules' findings about that are not what these tests look at).
fn suspicious(w: &World) -> Vec<Finding> {
    w.run()
        .into_iter()
        .filter(|f| {
            matches!(
                f.code,
                Code::SuspiciousSize | Code::SuspiciousFrequency | Code::SuspiciousStructuring
            )
        })
        .collect()
}

fn codes_of(findings: &[Finding]) -> Vec<Code> {
    findings.iter().map(|f| f.code).collect()
}

/// 10:00 China time on a day of 2025 or 2026 (month 1 = January 2025, 13 = January 2026).
fn on(month: u32, day: u32) -> DateTime<Utc> {
    let (year, month) = (2025 + (month as i32 - 1) / 12, (month - 1) % 12 + 1);
    Utc.with_ymd_and_hms(year, month, day, 2, 0, 0).unwrap()
}

/// A sale of the seller to the registered buyer B at `at`.
fn order(w: &mut World, chemical: &str, quantity: i64, at: DateTime<Utc>) -> String {
    let id = w.add(S, EntryKind::Sale, chemical, None, quantity, 0.0);
    let e = w.last();
    e.counterparty = Some(Party::Registered(B.into()));
    e.transport_permit_no = Some("T-1".into());
    e.occurred_at = at;
    e.recorded_at = at + Duration::hours(1);
    id
}

/// A sale to an outside buyer known by its credit code and name.
fn outside_order(w: &mut World, code: &str, quantity: i64, at: DateTime<Utc>) -> String {
    let id = order(w, C3, quantity, at);
    w.last().counterparty = Some(Party::External(Box::new(ExternalParty {
        name: Some("外地化工".into()),
        credit_code: Some(code.into()),
        permit_no: Some("备案-1".into()),
        resident_id: None,
    })));
    id
}

/// `n` orders of 100 kg of acetone, one a day from 2 March 2026.
fn history(n: u32) -> World {
    let mut w = World::new();
    for d in 0..n {
        order(&mut w, C3, 100_000, on(15, 2 + d));
    }
    w.as_of = on(20, 1);
    w
}

// ---------------------------------------------------------------------------------------------
// SUSPICIOUS_SIZE

#[test]
fn an_order_above_five_times_the_median_is_judged_from_six_earlier_orders() {
    let mut w = history(5);
    order(&mut w, C3, 600_000, on(15, 20));
    assert_eq!(suspicious(&w), vec![], "5 orders of history: not judged");

    let mut w = history(6);
    let big = order(&mut w, C3, 600_000, on(15, 20));
    let found = suspicious(&w);
    assert_eq!(codes_of(&found), vec![Code::SuspiciousSize]);
    let f = &found[0];
    assert_eq!(
        (
            f.severity,
            f.firm_id.as_str(),
            f.counterparty_firm_id.as_deref()
        ),
        (Severity::Major, S, Some(B))
    );
    assert_eq!((&f.entry_ids, f.quantity), (&vec![big], Some(600_000)));
    for number in ["600.000", "100.000", "5", "6", "500.000"] {
        assert!(f.message_en.contains(number), "{number}: {}", f.message_en);
        assert!(f.message_zh.contains(number), "{number}: {}", f.message_zh);
    }
}

#[test]
fn an_order_of_exactly_five_times_the_median_is_not() {
    let mut w = history(6);
    let last = order(&mut w, C3, 500_000, on(15, 20));
    assert_eq!(suspicious(&w), vec![]);
    w.input.entries.retain(|e| *e.id != *last);
    order(&mut w, C3, 500_001, on(15, 20));
    assert_eq!(codes_of(&suspicious(&w)), vec![Code::SuspiciousSize]);
}

#[test]
fn the_median_of_an_even_history_is_the_mean_of_its_middle_two() {
    // 100 100 100 300 300 300: median 200, 5 × = 1000.
    let mut w = World::new();
    for (d, q) in [100_000, 300_000, 100_000, 300_000, 100_000, 300_000]
        .into_iter()
        .enumerate()
    {
        order(&mut w, C3, q, on(15, 2 + d as u32));
    }
    w.as_of = on(20, 1);
    let last = order(&mut w, C3, 1_000_000, on(15, 20));
    assert_eq!(suspicious(&w), vec![]);
    w.input.entries.retain(|e| *e.id != *last);
    order(&mut w, C3, 1_000_001, on(15, 20));
    let found = suspicious(&w);
    assert_eq!(codes_of(&found), vec![Code::SuspiciousSize]);
    assert!(found[0].message_en.contains("median 200.000"));
}

#[test]
fn only_the_trailing_365_days_of_the_same_buyer_and_chemical_count() {
    // The first order of the history 365 days before (by calendar day) still counts …
    let mut w = history(6);
    order(&mut w, C3, 600_000, on(15, 2) + Duration::days(365));
    w.as_of = on(30, 1);
    assert_eq!(codes_of(&suspicious(&w)), vec![Code::SuspiciousSize]);
    // … a day later it has left the window, and 5 orders are not judged.
    let mut w = history(6);
    order(&mut w, C3, 600_000, on(15, 3) + Duration::days(365));
    w.as_of = on(30, 1);
    assert_eq!(suspicious(&w), vec![]);
    // Another chemical's history is not this chemical's.
    let mut w = history(6);
    order(&mut w, C2, 600_000, on(15, 20));
    assert_eq!(suspicious(&w), vec![]);
    // Another buyer's neither: an outside party by its credit code.
    let mut w = history(6);
    outside_order(&mut w, "91350100M000100Y43", 600_000, on(15, 20));
    assert_eq!(suspicious(&w), vec![]);
}

#[test]
fn an_outside_buyer_is_one_buyer_by_its_credit_code() {
    let mut w = World::new();
    for d in 0..6 {
        outside_order(&mut w, "91350100M000100Y43", 100_000, on(15, 2 + d));
    }
    w.as_of = on(20, 1);
    // The same name under another credit code is another buyer.
    outside_order(&mut w, "91350100M000200Y38", 600_000, on(15, 20));
    assert_eq!(suspicious(&w), vec![]);
    let big = outside_order(&mut w, "91350100M000100Y43", 600_000, on(15, 21));
    let found = suspicious(&w);
    assert_eq!(codes_of(&found), vec![Code::SuspiciousSize]);
    assert_eq!(
        (
            &found[0].entry_ids,
            found[0].counterparty_firm_id.as_deref()
        ),
        (&vec![big], None)
    );
}

#[test]
fn the_sales_of_one_day_are_one_order() {
    // Each day's order of 100 kg is shipped from two lots, 95 + 5: the usual order is 100 kg,
    // not the 50 kg median of the sales.
    let mut w = World::new();
    for d in 0..6 {
        order(&mut w, C3, 95_000, on(15, 2 + d));
        order(&mut w, C3, 5_000, on(15, 2 + d) + Duration::hours(1));
    }
    w.as_of = on(20, 1);
    order(&mut w, C3, 300_000, on(15, 20));
    assert_eq!(suspicious(&w), vec![]);
    // Two sales of one day that together pass 5 × 100 kg are one order, named by both.
    let a = order(&mut w, C3, 300_000, on(15, 21));
    let b = order(&mut w, C3, 200_001, on(15, 21) + Duration::hours(2));
    let found = suspicious(&w);
    assert_eq!(codes_of(&found), vec![Code::SuspiciousSize]);
    assert_eq!(
        (&found[0].entry_ids, found[0].quantity),
        (&vec![a, b], Some(500_001))
    );
    assert!(
        found[0].message_en.contains("(its 2 sales of that day)"),
        "{}",
        found[0].message_en
    );
}

#[test]
fn a_reversed_order_is_no_order() {
    let mut w = history(6);
    let big = order(&mut w, C3, 600_000, on(15, 20));
    w.add(S, EntryKind::Reversal, C3, None, 600_000, 0.0);
    let e = w.last();
    e.reverses = Some(big.into());
    e.occurred_at = on(15, 21);
    assert_eq!(suspicious(&w), vec![]);
}

// ---------------------------------------------------------------------------------------------
// SUSPICIOUS_FREQUENCY

/// One order in each of the first `months` months of 2025, then `burst` orders in the month after.
fn monthly(months: u32, burst: u32) -> (World, Vec<String>) {
    let mut w = World::new();
    for m in 1..=months {
        order(&mut w, C3, 100_000, on(m, 10));
    }
    let ids = (0..burst)
        .map(|d| order(&mut w, C3, 100_000, on(months + 1, 2 + d)))
        .collect();
    w.as_of = on(months + 2, 1);
    (w, ids)
}

#[test]
fn a_month_above_the_mean_plus_three_sigma_is_judged_from_six_earlier_orders() {
    // One order a month: mean 1, σ 0, taken as √1 = 1; the line is 1 + 3 = 4.
    let (w, _) = monthly(5, 6);
    assert_eq!(suspicious(&w), vec![], "5 orders of history: not judged");
    let (w, _) = monthly(6, 4);
    assert_eq!(suspicious(&w), vec![], "4 orders are not above 4");
    let (w, burst) = monthly(6, 5);
    let found = suspicious(&w);
    assert_eq!(codes_of(&found), vec![Code::SuspiciousFrequency]);
    let f = &found[0];
    assert_eq!(
        (
            f.severity,
            f.firm_id.as_str(),
            f.counterparty_firm_id.as_deref()
        ),
        (Severity::Major, S, Some(B))
    );
    assert_eq!((&f.entry_ids, f.quantity), (&burst, Some(500_000)));
    assert_eq!(f.lot, None);
    for text in [
        "5 orders",
        "2025-07",
        "mean 1.00",
        "6 months",
        "σ = 0.00",
        "√mean = 1.00",
        "= 4.00",
    ] {
        assert!(f.message_en.contains(text), "{text}: {}", f.message_en);
    }
    assert!(f.message_zh.contains("2025-07") && f.message_zh.contains("4.00"));
}

#[test]
fn a_month_counts_days_of_orders_not_sales() {
    // Four orders in July, each shipped from three lots: 4 orders, not above the line of 4.
    let (mut w, _) = monthly(6, 4);
    for d in 0..4 {
        for h in 1..3 {
            order(&mut w, C3, 10_000, on(7, 2 + d) + Duration::hours(h));
        }
    }
    assert_eq!(suspicious(&w), vec![]);
}

#[test]
fn a_spread_history_is_judged_by_its_own_sigma() {
    // 2 8 2 8 2 8: mean 5, σ 3 (above √5); the line is 5 + 9 = 14.
    for (burst, fires) in [(14, false), (15, true)] {
        let mut w = World::new();
        for (m, n) in [2, 8, 2, 8, 2, 8].into_iter().enumerate() {
            for d in 0..n {
                order(&mut w, C3, 100_000, on(m as u32 + 1, 1 + d));
            }
        }
        for d in 0..burst {
            order(&mut w, C3, 100_000, on(7, 1 + d));
        }
        w.as_of = on(8, 1);
        let found = suspicious(&w);
        assert_eq!(found.len(), usize::from(fires), "{burst}: {found:#?}");
        if fires {
            assert!(
                found[0].message_en.contains("σ = 3.00) = 14.00"),
                "{}",
                found[0].message_en
            );
        }
    }
}

#[test]
fn months_without_orders_count_from_the_first_order_and_for_twelve_months() {
    // Six orders in January, none until December: over 11 months the line is about 5.7.
    let mut w = World::new();
    for d in 0..6 {
        order(&mut w, C3, 100_000, on(1, 2 + d));
    }
    let december: Vec<String> = (0..6)
        .map(|d| order(&mut w, C3, 100_000, on(12, 2 + d)))
        .collect();
    w.as_of = on(13, 1);
    let found = suspicious(&w);
    assert_eq!(codes_of(&found), vec![Code::SuspiciousFrequency]);
    assert_eq!(found[0].entry_ids, december);
    assert!(
        found[0].message_en.contains("11 months"),
        "{}",
        found[0].message_en
    );
    // Fourteen months later January has left the window: nothing earlier to judge by.
    let mut w = World::new();
    for d in 0..6 {
        order(&mut w, C3, 100_000, on(1, 2 + d));
    }
    for d in 0..6 {
        order(&mut w, C3, 100_000, on(14, 2 + d));
    }
    w.as_of = on(15, 1);
    assert_eq!(suspicious(&w), vec![]);
}

#[test]
fn calendar_months_are_china_months() {
    // 31 March 23:30 in China is still March (15:30 UTC); 00:30 on 1 April is April.
    let march_end = Utc.with_ymd_and_hms(2025, 3, 31, 15, 30, 0).unwrap();
    let mut w = World::new();
    w.input.order_thresholds.insert(C3.into(), 100_000);
    order(&mut w, C3, 95_000, on(3, 10));
    order(&mut w, C3, 95_000, on(3, 20));
    let last = order(&mut w, C3, 95_000, march_end + Duration::hours(1));
    w.as_of = on(5, 1);
    assert_eq!(suspicious(&w), vec![]);
    w.input.entries.retain(|e| *e.id != *last);
    order(&mut w, C3, 95_000, march_end);
    assert_eq!(codes_of(&suspicious(&w)), vec![Code::SuspiciousStructuring]);
}

// ---------------------------------------------------------------------------------------------
// SUSPICIOUS_STRUCTURING

/// Acetone with a threshold of 100 kg, and orders of B in March 2025.
fn split(quantities: &[i64]) -> (World, Vec<String>) {
    let mut w = World::new();
    w.input.order_thresholds.insert(C3.into(), 100_000);
    let ids = quantities
        .iter()
        .enumerate()
        .map(|(d, &q)| order(&mut w, C3, q, on(3, 2 + d as u32)))
        .collect();
    w.as_of = on(5, 1);
    (w, ids)
}

#[test]
fn three_orders_just_under_a_threshold_in_a_month_are_structuring() {
    let (w, ids) = split(&[95_000, 90_000, 99_999]);
    let found = suspicious(&w);
    assert_eq!(
        codes_of(&found),
        vec![Code::SuspiciousStructuring],
        "no history needed"
    );
    let f = &found[0];
    assert_eq!(
        (f.severity, f.counterparty_firm_id.as_deref()),
        (Severity::Major, Some(B))
    );
    assert_eq!((&f.entry_ids, f.quantity), (&ids, Some(284_999)));
    for text in ["3 orders", "2025-03", "90 %", "100.000", "284.999"] {
        assert!(f.message_en.contains(text), "{text}: {}", f.message_en);
    }
    // Only the orders that make the pattern are named.
    let (w, ids) = split(&[95_000, 20_000, 95_000, 150_000, 95_000]);
    let found = suspicious(&w);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].entry_ids,
        vec![ids[0].clone(), ids[2].clone(), ids[4].clone()]
    );
}

#[test]
fn two_orders_or_one_outside_the_band_are_not() {
    for quantities in [
        &[95_000, 95_000][..],
        &[95_000, 95_000, 89_999],
        &[95_000, 95_000, 100_000],
    ] {
        let (w, _) = split(quantities);
        assert_eq!(suspicious(&w), vec![], "{quantities:?}");
    }
    // Without a threshold for the chemical nothing is judged.
    let (mut w, _) = split(&[95_000, 95_000, 95_000]);
    w.input.order_thresholds.clear();
    assert_eq!(suspicious(&w), vec![]);
}

#[test]
fn the_thresholds_are_settings() {
    let (w, _) = split(&[95_000, 95_000, 95_000]);
    let mut rules = CustodyRules::defaults(w.as_of);
    rules.suspicious.structuring_min_orders = 4;
    rules.suspicious.structuring_floor_pct = 96;
    let run = |rules: &CustodyRules| codes_of(&validate(&w.input, rules));
    assert!(!run(&rules).contains(&Code::SuspiciousStructuring));

    let mut w = history(6);
    order(&mut w, C3, 300_000, on(15, 20));
    assert_eq!(suspicious(&w), vec![]);
    let mut rules = CustodyRules::defaults(w.as_of);
    rules.suspicious.size_factor_tenths = 25;
    let found: Vec<Finding> = validate(&w.input, &rules)
        .into_iter()
        .filter(|f| f.code == Code::SuspiciousSize)
        .collect();
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message_en.contains("2.5 ×"),
        "{}",
        found[0].message_en
    );
    rules.suspicious.min_history = 7;
    assert!(!codes_of(&validate(&w.input, &rules)).contains(&Code::SuspiciousSize));
}

// ---------------------------------------------------------------------------------------------
// Properties

/// Random orders of two buyers over six months of 2025 against a 100 kg threshold, with at most
/// two orders of each buyer and month in the band [90 kg, 100 kg): below the structuring pattern.
/// Each (buyer, month): its orders in the band and out of it (fractions of the threshold in
/// per mille: below 900 or from 1000 on).
type Months = Vec<(u8, u8, Vec<i64>, Vec<i64>)>;

fn below_the_pattern() -> impl Strategy<Value = Months> {
    let in_band = prop::collection::vec(900_i64..1000, 0..=2);
    let out_of_band = prop::collection::vec(prop_oneof![1_i64..900, 1000_i64..3000], 0..6);
    prop::collection::vec((0_u8..2, 1_u8..7, in_band, out_of_band), 0..12)
}

/// A (buyer, month) and its orders in the band.
type InBand = ((u8, u8), Vec<String>);

/// The world of those orders, merging repeated (buyer, month) draws into the first; returns the
/// in-band order ids of each (buyer, month).
fn world_of(months: &Months) -> (World, Vec<InBand>) {
    let mut w = World::new();
    w.input.order_thresholds.insert(C3.into(), 100_000);
    let mut seen: Vec<InBand> = Vec::new();
    for (buyer, month, near, far) in months {
        if seen.iter().any(|(k, _)| *k == (*buyer, *month)) {
            continue;
        }
        let mut ids = Vec::new();
        for (d, (&per_mille, near)) in near
            .iter()
            .map(|q| (q, true))
            .chain(far.iter().map(|q| (q, false)))
            .enumerate()
        {
            let id = outside_order(
                &mut w,
                &format!("buyer-{buyer}"),
                per_mille * 100,
                on(u32::from(*month), 1 + d as u32),
            );
            if near {
                ids.push(id);
            }
        }
        seen.push(((*buyer, *month), ids));
    }
    w.as_of = on(8, 1);
    (w, seen)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_random_pattern_below_the_thresholds_never_fires(months in below_the_pattern()) {
        let (w, _) = world_of(&months);
        let found = suspicious(&w);
        prop_assert!(!codes_of(&found).contains(&Code::SuspiciousStructuring), "{found:#?}");
    }

    #[test]
    fn a_third_order_in_the_band_makes_it(months in below_the_pattern(), pick in any::<prop::sample::Index>(), per_mille in 900_i64..1000) {
        let (mut w, seen) = world_of(&months);
        let full: Vec<_> = seen.iter().filter(|(_, ids)| ids.len() == 2).collect();
        prop_assume!(!full.is_empty());
        let ((buyer, month), ids) = full[pick.index(full.len())].clone();
        let third = outside_order(&mut w, &format!("buyer-{buyer}"), per_mille * 100, on(u32::from(month), 28));
        let found: Vec<Finding> = suspicious(&w).into_iter().filter(|f| f.code == Code::SuspiciousStructuring).collect();
        prop_assert_eq!(found.len(), 1, "{:#?}", found);
        let mut expected = ids;
        expected.push(third);
        let mut about = found[0].entry_ids.clone();
        about.sort();
        expected.sort();
        prop_assert_eq!(about, expected);
    }
}
