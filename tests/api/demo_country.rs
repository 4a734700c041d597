//! A country generated province by province: the same clean traffic as one demo province, only
//! the first province's documented gaps, identifiers unique across provinces, and the registry's
//! Merkle tree holding every entry once, in the order stored (bulk writes use COPY on
//! PostgreSQL).

use std::collections::{BTreeSet, HashSet};

use chrono::Utc;
use diesel::prelude::*;
use precursor_registry::custody;
use precursor_registry::db::schema::{firms, merkle_leaves, permits};
use precursor_registry::db::DbConnection;
use precursor_registry::demo::{generate_country, DemoOptions};
use precursor_registry::domain::CustodyRules;
use precursor_registry::ledger::{self, chain};
use precursor_registry::transparency::{merkle, store as tree};
use uuid::Uuid;

use crate::helpers::{each_backend, TestApp};

fn options() -> DemoOptions {
    DemoOptions {
        firms: 80,
        months: 2,
        seed: 11,
        end: Utc::now(),
        break_one_chain: true,
    }
}

#[test]
fn a_country_of_provinces_verifies_and_carries_only_the_first_provinces_gaps() {
    each_backend(country);
}

fn country(app: &TestApp) {
    let mut conn = app.direct_connection();
    let mut seen = Vec::new();
    let report = generate_country(&mut conn, &options(), 40, &mut |p| seen.push(p))
        .expect("the country is generated");

    // Two provinces of 40 firms, reported as they are written.
    assert_eq!(report.firms, 80);
    assert_eq!(
        seen.iter().map(|p| p.firms_done).collect::<Vec<_>>(),
        [40, 80]
    );
    assert_eq!(seen.last().unwrap().entries, report.entries);
    // Each province is one write of ≥ 2000 rows: on PostgreSQL its leaves go in by COPY too.
    assert!(seen[0].entries >= 2000, "{seen:?}");
    assert!(seen[1].entries - seen[0].entries >= 2000, "{seen:?}");
    let stored_firms: Vec<String> = firms::table
        .select(firms::credit_code)
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored_firms.len(), 80);
    let numbers: Vec<(String, String)> = permits::table
        .select((permits::kind, permits::number))
        .load(&mut conn)
        .unwrap();
    assert_eq!(numbers.len(), report.permits);
    assert_eq!(
        numbers.iter().collect::<HashSet<_>>().len(),
        numbers.len(),
        "permit numbers are unique across provinces"
    );

    // Every chain verifies and is gapless, except the one broken on purpose.
    let broken = report
        .injected
        .iter()
        .find(|g| g.code == "CHAIN_BROKEN")
        .unwrap();
    let firms_with_entries = ledger::store::firms_with_entries(&mut conn).unwrap();
    assert!(
        firms_with_entries.len() > 60,
        "{}",
        firms_with_entries.len()
    );
    let mut entries = 0;
    for firm in &firms_with_entries {
        let id = Uuid::parse_str(firm).unwrap();
        let v = ledger::verify_chain(&mut conn, id).unwrap();
        entries += v.entries as usize;
        assert_eq!(v.ok, id != broken.firm_id, "firm {firm}");
    }
    assert_eq!(entries, report.entries);
    assert!(report.entries > 4000, "{} entries", report.entries);

    tree_holds_every_entry_once(&mut conn, report.entries);

    // The validator finds exactly the first province's documented gaps: the other provinces'
    // traffic is as clean as the first's and their identifiers don't meet across provinces.
    let rules = CustodyRules::defaults(Utc::now());
    let input = custody::store::load_input(&mut conn, rules.thresholds).unwrap();
    let findings = custody::validate(&input, &rules);
    let found: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| (f.code.as_str().to_string(), f.firm_id.clone()))
        .collect();
    let expected: BTreeSet<(String, String)> = report
        .injected
        .iter()
        .map(|g| (g.code.to_string(), g.firm_id.to_string()))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(findings.len(), report.injected.len());
}

/// The tree has one leaf per entry, each leaf the hash of its entry, and the root of the stored
/// nodes is the root of those leaves recomputed here.
fn tree_holds_every_entry_once(conn: &mut DbConnection, entries: usize) {
    let size = tree::tree_size(conn).unwrap();
    assert_eq!(size as usize, entries);
    let leaves: Vec<(i64, String)> = merkle_leaves::table
        .order(merkle_leaves::leaf_index)
        .select((merkle_leaves::leaf_index, merkle_leaves::entry_id))
        .load(conn)
        .unwrap();
    assert_eq!(leaves.len(), entries);
    let mut rows = std::collections::HashMap::new();
    for firm in ledger::store::firms_with_entries(conn).unwrap() {
        for row in ledger::store::all_for_firm(conn, Uuid::parse_str(&firm).unwrap()).unwrap() {
            rows.insert(row.id.clone(), row);
        }
    }
    let mut frontier = merkle::Frontier::new();
    for (i, (index, entry_id)) in leaves.iter().enumerate() {
        assert_eq!(*index as usize, i);
        let row = rows
            .remove(entry_id)
            .expect("a leaf's entry is stored, once");
        let hash = merkle::leaf_hash(&chain::canonical_bytes(&row.hashed_fields()));
        assert_eq!(tree::leaf_hash(conn, i as u64).unwrap(), hash);
        frontier.append(hash);
    }
    assert!(rows.is_empty(), "every entry has a leaf");
    assert_eq!(tree::root_at(conn, size).unwrap(), frontier.root());
}
