//! A firm's own run reads only its part of the province, and an incremental run only what
//! changed: both find exactly what a full run finds (in scope), on both backends.

use std::collections::BTreeSet;

use chrono::Utc;
use precursor_registry::custody;
use precursor_registry::custody::validator::scope;
use precursor_registry::db::DbConnection;
use precursor_registry::demo::{generate, DemoOptions};
use precursor_registry::domain::CustodyRules;
use serde_json::{json, Value};

use crate::helpers::{each_backend, TestApp};

/// A finding's identity as a listed finding shows it to a regulator: its code and every entry.
fn listed_identity(v: &Value) -> String {
    let code = v["code"].as_str().unwrap();
    let mut ids: Vec<&str> = v["entry_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    ids.sort_unstable();
    if ids.is_empty() {
        format!("{code}:{}", v["firm_id"].as_str().unwrap())
    } else {
        format!("{code}:{}", ids.join(","))
    }
}

/// Open findings about `firm` (or all), through the API.
fn open_findings(app: &TestApp, token: &str, firm: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = "status=open&limit=1000".to_string();
        if let Some(f) = firm {
            query.push_str(&format!("&firm_id={f}"));
        }
        if let Some(a) = &after {
            query.push_str(&format!("&after={a}"));
        }
        let r = app.get(&format!("/api/v1/custody/findings?{query}"), Some(token));
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.body["items"].as_array().unwrap().clone();
        out.extend(items.iter().map(listed_identity));
        match r.body["next_cursor"].as_str() {
            Some(next) if !items.is_empty() => after = Some(next.to_string()),
            _ => return out,
        }
    }
}

/// The rules the test server judges by (a transit window of a day: see helpers).
fn rules() -> CustodyRules {
    CustodyRules {
        transit_window: chrono::Duration::hours(24),
        ..CustodyRules::defaults(Utc::now())
    }
}

/// What a full run finds now, by identity, about `firm` (or all).
fn full_run(conn: &mut DbConnection, firm: Option<&str>) -> (BTreeSet<String>, usize) {
    let settings = rules();
    let input = custody::store::load_input(conn, settings.thresholds).unwrap();
    let findings = custody::validate(&input, &settings);
    let kept = findings
        .iter()
        .filter(|f| firm.is_none_or(|id| scope::touches(f, &[id].into_iter().collect())))
        .map(|f| f.identity())
        .collect();
    (kept, input.entries.len())
}

#[test]
fn a_firms_own_run_reads_its_part_and_finds_what_a_full_run_finds_about_it() {
    each_backend(|app| {
        let mut conn = app.direct_connection();
        let options = DemoOptions {
            firms: 25,
            months: 2,
            seed: 11,
            end: Utc::now(),
            break_one_chain: true,
        };
        generate(&mut conn, &options).expect("the demo is generated");
        let regulator = app.regulator();
        let (everything, province) = full_run(&mut conn, None);
        assert!(everything.len() >= 20, "{} findings", everything.len());
        let firms: Vec<String> = precursor_registry::ledger::store::firms_with_entries(&mut conn)
            .unwrap()
            .into_iter()
            .collect();
        let mut read = Vec::new();
        for firm in &firms {
            let r = app.post(
                "/api/v1/custody/validations",
                Some(&regulator),
                &json!({ "firm_id": firm }),
            );
            assert_eq!(r.status, 201, "{}", r.text);
            let checked = r.body["entries_checked"].as_i64().unwrap() as usize;
            read.push(checked);
            let (expected, _) = full_run(&mut conn, Some(firm));
            assert_eq!(
                open_findings(app, &regulator, Some(firm)),
                expected,
                "firm {firm}"
            );
        }
        // Every firm's run reads less than the province, and together they find it all.
        assert!(read.iter().all(|&n| n < province), "{read:?} of {province}");
        assert_eq!(open_findings(app, &regulator, None), everything);
    });
}
