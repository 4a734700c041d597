//! The demo province: clean traffic that the custody validator finds nothing wrong with,
//! except exactly the documented gaps; deterministic per seed; only into an empty registry.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use precursor_registry::custody;
use precursor_registry::db::DbConnection;
use precursor_registry::demo::{generate, DemoOptions, DemoReport};
use precursor_registry::domain::CustodyRules;
use precursor_registry::domain::EntryKind;
use precursor_registry::ledger::{self, LedgerRow};
use uuid::Uuid;

use crate::helpers::{each_backend, Backend, TestApp};

const CODES: &[&str] = &[
    "UNMATCHED_DISPATCH",
    "UNMATCHED_RECEIPT",
    "QUANTITY_MISMATCH",
    "LOT_MISMATCH",
    "TIME_INVERSION",
    "LATE_RECEIPT",
    "NEGATIVE_BALANCE",
    "ORPHAN_LOT",
    "STOCKTAKE_DISCREPANCY",
    "UNLICENSED_COUNTERPARTY",
    "PERMIT_MISSING",
    "PERMIT_EXCEEDED",
    "UNDOCUMENTED_COUNTERPARTY",
    "MISSING_TRANSPORT_DOC",
    "LATE_FILING",
    "LATE_REPORT",
    "INVALID_TRANSPORT_DOC",
    "SALE_TO_INDIVIDUAL",
    "CASH_OR_BARTER",
    "UNEXPLAINED_LOSS",
    "SUSPICIOUS_SIZE",
    "SUSPICIOUS_FREQUENCY",
    "SUSPICIOUS_STRUCTURING",
    "CHAIN_BROKEN",
];

fn options(seed: u64, end: DateTime<Utc>) -> DemoOptions {
    DemoOptions {
        firms: 25,
        months: 2,
        seed,
        end,
        break_one_chain: true,
    }
}

/// Every stored entry, by firm, in seq order.
fn all_rows(conn: &mut DbConnection) -> BTreeMap<String, Vec<LedgerRow>> {
    let mut out = BTreeMap::new();
    for firm in ledger::store::firms_with_entries(conn).unwrap() {
        let id = Uuid::parse_str(&firm).unwrap();
        out.insert(firm, ledger::store::all_for_firm(conn, id).unwrap());
    }
    out
}

fn injected_ids(report: &DemoReport, code: &str) -> HashSet<String> {
    report
        .injected
        .iter()
        .filter(|g| g.code == code)
        .flat_map(|g| g.entry_ids.iter().map(Uuid::to_string))
        .collect()
}

#[test]
fn the_demo_province_is_clean_except_for_exactly_its_documented_gaps() {
    each_backend(clean_except_for_its_gaps);
}

fn clean_except_for_its_gaps(app: &TestApp) {
    let mut conn = app.direct_connection();
    let end = Utc::now();
    let report = generate(&mut conn, &options(7, end)).expect("the demo is generated");

    assert_eq!(report.firms, 25);
    assert!(report.permits >= 25, "{} permits", report.permits);
    assert!(report.entries > 1000, "{} entries", report.entries);
    let codes: Vec<&str> = report.injected.iter().map(|g| g.code).collect();
    assert_eq!(
        codes.iter().copied().collect::<BTreeSet<_>>(),
        CODES.iter().copied().collect::<BTreeSet<_>>()
    );
    assert_eq!(codes.len(), CODES.len(), "one gap per code: {codes:?}");

    let rows = all_rows(&mut conn);
    assert_eq!(rows.values().map(Vec::len).sum::<usize>(), report.entries);
    let by_id: HashMap<&str, &LedgerRow> = rows
        .values()
        .flatten()
        .map(|r| (r.id.as_str(), r))
        .collect();
    for gap in &report.injected {
        assert!(!gap.entry_ids.is_empty(), "{}", gap.code);
        assert!(!gap.description.is_empty());
        for id in &gap.entry_ids {
            assert!(
                by_id.contains_key(id.to_string().as_str()),
                "{} entry {id} is stored",
                gap.code
            );
        }
    }

    // Every chain verifies except the one broken on purpose, exactly at the injected entry.
    let broken = report
        .injected
        .iter()
        .find(|g| g.code == "CHAIN_BROKEN")
        .unwrap();
    for (firm, firm_rows) in &rows {
        let id = Uuid::parse_str(firm).unwrap();
        let v = ledger::verify_chain(&mut conn, id).unwrap();
        assert_eq!(v.entries as usize, firm_rows.len());
        if id == broken.firm_id {
            let bad = by_id[broken.entry_ids[0].to_string().as_str()];
            assert_eq!(v.first_bad_seq, Some(bad.seq));
        } else {
            assert!(v.ok, "firm {firm} breaks at {:?}", v.first_bad_seq);
        }
        let seqs: Vec<i64> = firm_rows.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=firm_rows.len() as i64).collect::<Vec<_>>());
    }

    // Category 1 and 2 entries carry lots; filings are within a day, except the late ones.
    let categories: HashMap<String, i32> = {
        let ids: Vec<String> = by_id
            .values()
            .map(|r| r.chemical_id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        ledger::store::chemical_categories(&mut conn, &ids)
            .unwrap()
            .into_iter()
            .collect()
    };
    let late = injected_ids(&report, "LATE_FILING");
    let late_report = injected_ids(&report, "LATE_REPORT");
    for row in by_id.values() {
        if categories[&row.chemical_id] <= 2 {
            assert!(row.lot.is_some(), "entry {} has no lot", row.id);
        }
        let delay = row.recorded_at - row.occurred_at;
        if late.contains(&row.id) {
            assert!(delay > Duration::hours(72));
        } else if late_report.contains(&row.id) {
            assert!(delay > Duration::days(30), "a category-3 sale has 30 days");
        } else {
            assert!(
                delay >= Duration::zero() && delay <= Duration::hours(24),
                "entry {} filed after {delay}",
                row.id
            );
        }
        assert!(row.recorded_at <= end.naive_utc());
    }

    // Every sale to a registered firm has the buyer's receipt under the same waybill: same
    // chemical, lot and quantity, 0–3 days later (except the documented gaps).
    let receipts: HashMap<(&str, &str), &LedgerRow> = by_id
        .values()
        .filter(|r| r.kind == "purchase" && r.counterparty_firm_id.is_some())
        .map(|r| ((r.firm_id.as_str(), r.shipment_ref.as_deref().unwrap()), *r))
        .collect();
    let unmatched = injected_ids(&report, "UNMATCHED_DISPATCH");
    let deviant: HashSet<String> = [
        "QUANTITY_MISMATCH",
        "LOT_MISMATCH",
        "TIME_INVERSION",
        "LATE_RECEIPT",
    ]
    .iter()
    .flat_map(|c| injected_ids(&report, c))
    .collect();
    let mut dispatches = 0;
    let mut on_the_road = 0;
    let mut received = HashSet::new();
    for sale in by_id.values().filter(|r| r.kind == "sale") {
        let Some(buyer) = sale.counterparty_firm_id.as_deref() else {
            // An outside firm by its name and credit code, a person by name and resident ID.
            assert!(sale.counterparty_name.is_some());
            assert!(
                sale.counterparty_credit_code.is_some() || sale.counterparty_resident_id.is_some()
            );
            continue;
        };
        dispatches += 1;
        let receipt = receipts.get(&(buyer, sale.shipment_ref.as_deref().unwrap()));
        if unmatched.contains(&sale.id) {
            assert!(receipt.is_none());
            continue;
        }
        let Some(receipt) = receipt else {
            // Goods dispatched in the last days of traffic may still be on the road.
            let age =
                end - chrono::DateTime::<Utc>::from_naive_utc_and_offset(sale.occurred_at, Utc);
            assert!(
                age <= Duration::days(4),
                "sale {} ({age} old) has no receipt",
                sale.id
            );
            on_the_road += 1;
            continue;
        };
        received.insert(receipt.id.as_str());
        assert_eq!(
            receipt.counterparty_firm_id.as_deref(),
            Some(sale.firm_id.as_str())
        );
        assert_eq!(receipt.chemical_id, sale.chemical_id);
        if deviant.contains(&sale.id) {
            continue;
        }
        assert_eq!((&receipt.lot, receipt.quantity), (&sale.lot, sale.quantity));
        let transit = receipt.occurred_at - sale.occurred_at;
        assert!(
            transit > Duration::zero() && transit <= Duration::days(3) + Duration::hours(12),
            "transit {transit}"
        );
    }
    assert!(dispatches > 100, "{dispatches} dispatches");
    assert!(
        on_the_road > 0,
        "some goods are still in transit when the traffic ends"
    );
    let orphan_receipts: Vec<&str> = receipts
        .values()
        .map(|r| r.id.as_str())
        .filter(|id| !received.contains(id))
        .collect();
    assert_eq!(orphan_receipts.len(), 1, "only the UNMATCHED_RECEIPT gap");
    assert!(injected_ids(&report, "UNMATCHED_RECEIPT").contains(orphan_receipts[0]));

    // Traffic has the right shape: category 3 dominates, category 1 is rare; clean corrections.
    let mut per_category = [0_usize; 3];
    for row in by_id.values() {
        per_category[(categories[&row.chemical_id] - 1) as usize] += 1;
    }
    assert!(
        per_category[2] > per_category[1] && per_category[1] > per_category[0],
        "{per_category:?}"
    );
    for row in by_id.values().filter(|r| r.kind == "reversal") {
        let target = by_id[row.reverses.as_deref().unwrap()];
        assert_eq!(
            (&target.chemical_id, &target.lot, target.quantity),
            (&row.chemical_id, &row.lot, row.quantity)
        );
        assert_eq!(target.kind, "consumption");
    }

    // The custody validator finds exactly the documented gaps, each at its firm and entries.
    let input =
        custody::store::load_input(&mut conn, CustodyRules::defaults(Utc::now()).thresholds)
            .unwrap();
    let findings = custody::validate(&input, &CustodyRules::defaults(Utc::now()));
    let found: BTreeSet<(String, String, BTreeSet<String>)> = findings
        .iter()
        .map(|f| {
            let entries = f
                .entry_ids
                .iter()
                .chain(&f.counterparty_entry_ids)
                .cloned()
                .collect();
            (f.code.as_str().to_string(), f.firm_id.clone(), entries)
        })
        .collect();
    let expected: BTreeSet<(String, String, BTreeSet<String>)> = report
        .injected
        .iter()
        .map(|g| {
            (
                g.code.to_string(),
                g.firm_id.to_string(),
                g.entry_ids.iter().map(Uuid::to_string).collect(),
            )
        })
        .collect();
    assert_eq!(found, expected);
    assert_eq!(findings.len(), report.injected.len());

    // The demo accounts sign in.
    for account in &report.accounts {
        let r = app.login(&account.username, &account.password);
        assert_eq!(r.status, 200, "{}: {}", account.username, r.text);
    }
    assert!(report
        .accounts
        .iter()
        .any(|a| a.role == precursor_registry::domain::Role::Regulator));

    // A second run into the same registry is refused, and writes nothing.
    let again = generate(&mut conn, &options(7, end)).unwrap_err();
    assert_eq!(again.code(), "demo_not_empty");
    assert_eq!(
        all_rows(&mut conn).values().map(Vec::len).sum::<usize>(),
        report.entries
    );
}

/// (name, credit code, region) of every firm, and the (kind, quantity, occurred_at) of every entry.
type Fingerprint = (Vec<(String, String, String)>, Vec<(String, i64, i64)>);

fn fingerprint(conn: &mut DbConnection) -> Fingerprint {
    let input =
        custody::store::load_input(conn, CustodyRules::defaults(Utc::now()).thresholds).unwrap();
    let mut firms: Vec<(String, String, String)> = input
        .firms
        .keys()
        .map(|id| {
            let firm =
                precursor_registry::firms::require(conn, Uuid::parse_str(id).unwrap()).unwrap();
            (firm.name, firm.credit_code, firm.region_code)
        })
        .collect();
    firms.sort();
    let mut entries: Vec<(String, i64, i64)> = input
        .entries
        .iter()
        .map(|e| {
            (
                e.kind.as_str().to_string(),
                e.quantity,
                e.occurred_at.timestamp(),
            )
        })
        .collect();
    entries.sort();
    (firms, entries)
}

#[test]
fn the_same_seed_gives_the_same_province_and_another_seed_another() {
    let end = Utc::now();
    let mut prints = Vec::new();
    for seed in [11, 11, 12] {
        let app = TestApp::spawn(&Backend::Sqlite);
        let mut conn = app.direct_connection();
        let mut opts = options(seed, end);
        opts.break_one_chain = false;
        let report = generate(&mut conn, &opts).expect("the demo is generated");
        assert_eq!(
            report.injected.len(),
            CODES.len() - 1,
            "no CHAIN_BROKEN unless asked"
        );
        assert!(report.injected.iter().all(|g| g.code != "CHAIN_BROKEN"));
        let print = fingerprint(&mut conn);
        assert_eq!(print.1.len(), report.entries);
        assert!(print
            .1
            .iter()
            .any(|(kind, _, _)| kind == EntryKind::Stocktake.as_str()));
        prints.push((report.entries, print));
    }
    assert_eq!(prints[0], prints[1]);
    assert_ne!(prints[0].1 .0, prints[2].1 .0, "another seed, other firms");
}

#[test]
fn options_out_of_range_are_refused() {
    let app = TestApp::spawn(&Backend::Sqlite);
    let mut conn = app.direct_connection();
    let mut opts = options(1, Utc::now());
    opts.firms = 3;
    opts.months = 0;
    let err = generate(&mut conn, &opts).unwrap_err();
    assert_eq!(err.code(), "validation_failed");
    assert!(ledger::store::firms_with_entries(&mut conn)
        .unwrap()
        .is_empty());
}

/// The full province of `serve --demo` (421 firms, 12 months), timed; run in release:
/// `cargo test --release --test api demo::the_full -- --ignored --nocapture`.
#[test]
#[ignore = "slow in debug builds; run with --release"]
fn the_full_province_is_generated_quickly_and_clean() {
    let app = TestApp::spawn(&Backend::Sqlite);
    let mut conn = app.direct_connection();
    let options = DemoOptions {
        break_one_chain: true,
        ..DemoOptions::default()
    };
    let started = std::time::Instant::now();
    let report = generate(&mut conn, &options).expect("the demo is generated");
    let took = started.elapsed();
    eprintln!(
        "demo: {} firms, {} permits, {} entries in {took:.1?}",
        report.firms, report.permits, report.entries
    );
    assert!(
        (150_000..=300_000).contains(&report.entries),
        "{} entries",
        report.entries
    );
    let input =
        custody::store::load_input(&mut conn, CustodyRules::defaults(Utc::now()).thresholds)
            .unwrap();
    let findings = custody::validate(&input, &CustodyRules::defaults(Utc::now()));
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &findings {
        *by_code.entry(f.code.as_str()).or_default() += 1;
    }
    eprintln!("findings by code: {by_code:?}");
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_category = [0_usize; 3];
    let mut per_firm: HashMap<&str, usize> = HashMap::new();
    for e in &input.entries {
        *by_kind.entry(e.kind.as_str()).or_default() += 1;
        by_category[usize::from(input.catalog[&*e.chemical_id].category_at(e.occurred_at)) - 1] +=
            1;
        *per_firm.entry(&*e.firm_id).or_default() += 1;
    }
    let mut sizes: Vec<usize> = per_firm.values().copied().collect();
    sizes.sort_unstable();
    eprintln!(
        "by kind {by_kind:?}; by category {by_category:?}; firms with entries {} (median {}, max {})",
        sizes.len(),
        sizes[sizes.len() / 2],
        sizes[sizes.len() - 1]
    );
    assert!(by_category[2] > 5 * by_category[1] && by_category[1] > by_category[0]);
    assert_eq!(findings.len(), CODES.len());
    assert_eq!(by_code.len(), CODES.len());
}

/// The demo's year of supervision: every firm graded, the association sees the distribution,
/// regulators get a worklist, and the validation run's findings are stored.
#[test]
fn the_demo_year_of_supervision_populates_grades_and_the_worklist() {
    let app = TestApp::spawn(&Backend::Sqlite);
    let mut conn = app.direct_connection();
    let end = Utc::now();
    let report = generate(&mut conn, &options(7, end)).unwrap();
    let regulator = precursor_registry::users::store::find_by_username(&mut conn, "demo.regulator")
        .unwrap()
        .unwrap()
        .principal()
        .unwrap();
    let supervision =
        precursor_registry::demo::supervision::supervise(&mut conn, &regulator, 7, end).unwrap();
    assert_eq!(supervision.grades, report.firms);
    assert_eq!(supervision.custody_findings, report.injected.len() as i64);
    assert!(supervision.audits > 0);

    let association = report
        .accounts
        .iter()
        .find(|a| a.username == "demo.association")
        .unwrap();
    let token = app.token_for(&association.username, &association.password);
    let grades = app.get("/api/v1/grades?limit=1000", Some(&token));
    assert_eq!(
        grades.body["items"].as_array().unwrap().len(),
        report.firms,
        "{}",
        grades.text
    );
    let summary = app.get("/api/v1/grades/summary", Some(&token));
    let counted: u64 = summary.body["by_grade"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(counted, report.firms as u64);
    let firms = app.get("/api/v1/firms?limit=1000", Some(&token));
    assert!(firms.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["current_grade"].is_string()));

    let regulator = report
        .accounts
        .iter()
        .find(|a| a.username == "demo.regulator")
        .unwrap();
    let token = app.token_for(&regulator.username, &regulator.password);
    let findings = app.get("/api/v1/custody/findings?limit=1000", Some(&token));
    assert_eq!(
        findings.body["items"].as_array().unwrap().len(),
        report.injected.len()
    );
    let due = app.get("/api/v1/supervision/due", Some(&token));
    assert_eq!(due.status, 200);
    assert!(
        !due.body["items"].as_array().unwrap().is_empty(),
        "the uninspected quarter is due"
    );
}
