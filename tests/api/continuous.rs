//! Continuous validation (issue 15): a gap shows up — with its alert — without anyone running
//! the validator, and several app servers on one database validate through one of them.

use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use diesel::prelude::*;
use precursor_registry::config::Settings;
use precursor_registry::db::schema::{continuous_validation, custody_runs, events};
use serde_json::{json, Value};

use crate::helpers::{backends, settings_for, start, TestApp};
use crate::ledger::chain;

/// Polls `probe` until it gives a value; fails after a generous minute (no timing is asserted).
fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Background runs every second after a change, looking five times a second; never idle runs.
fn continuous(settings: &mut Settings) {
    settings.continuous.every = Duration::from_secs(1);
    settings.continuous.poll = Duration::from_millis(200);
    settings.continuous.idle = Duration::from_secs(3600);
    settings.alerts.poll_interval = Duration::from_millis(200);
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The background runs recorded so far: (id, entries checked), oldest first.
fn system_runs(app: &TestApp) -> Vec<(String, i64)> {
    let mut conn = app.direct_connection();
    custody_runs::table
        .filter(custody_runs::run_by.eq("system"))
        .order(custody_runs::started_at.asc())
        .select((custody_runs::id, custody_runs::entries_checked))
        .load(&mut conn)
        .unwrap()
}

fn orphan_findings(app: &TestApp, regulator: &str, firm: &str) -> Vec<Value> {
    let r = app.get(
        &format!("/api/v1/custody/findings?code=ORPHAN_LOT&firm_id={firm}"),
        Some(regulator),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

#[test]
fn a_gap_shows_up_with_its_alert_without_a_manual_run() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, continuous);
        let c = chain(&app);
        // A consumption of a lot that never came in: a critical ORPHAN_LOT finding.
        let r = app.post(
            &format!("/api/v1/firms/{}/ledger", c.buyer),
            Some(&c.buyer_clerk),
            &json!({"kind": "consumption", "chemical_id": c.acetone, "lot": "NOWHERE", "quantity": "1", "occurred_at": now()}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let entry = r.body["id"].as_str().unwrap().to_string();
        let finding = eventually("the background run's finding", || {
            orphan_findings(&app, &c.regulator, &c.buyer)
                .into_iter()
                .next()
        });
        assert_eq!(finding["severity"], "critical");
        assert_eq!(finding["entry_ids"][0], entry.as_str());
        // Recorded by the registry itself, and seen by the buyer as any finding.
        let runs = system_runs(&app);
        assert!(runs.iter().any(|(_, checked)| *checked >= 1), "{runs:?}");
        let own = app.get("/api/v1/custody/findings", Some(&c.buyer_clerk));
        assert!(own.text.contains(finding["id"].as_str().unwrap()));
        // Its alert goes out as a manual run's would.
        let id = finding["id"].as_str().unwrap().to_string();
        let kind = eventually("the finding's alert", || {
            let mut conn = app.direct_connection();
            events::table
                .filter(events::subject.eq(&id))
                .select(events::kind)
                .first::<String>(&mut conn)
                .optional()
                .unwrap()
        });
        assert_eq!(kind, "finding.critical");
        // A manual run still works beside it, and finds the same finding, not a new one.
        let r = app.post(
            "/api/v1/custody/validations",
            Some(&c.regulator),
            &json!({}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["findings_by_code"]["ORPHAN_LOT"], 1, "{}", r.text);
        assert_eq!(r.body["new_findings"], 0, "{}", r.text);
        // Reversing the entry closes the gap: the background run resolves the finding.
        let r = app.post(
            &format!("/api/v1/firms/{}/ledger", c.buyer),
            Some(&c.buyer_clerk),
            &json!({"kind": "reversal", "reverses": entry, "occurred_at": now(), "note": "误录"}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        eventually("the finding resolved in the background", || {
            let all = orphan_findings(&app, &c.regulator, &c.buyer);
            (all[0]["status"] == "resolved").then_some(())
        });
    }
}

fn holder(app: &TestApp) -> Option<String> {
    let mut conn = app.direct_connection();
    continuous_validation::table
        .select(continuous_validation::holder)
        .first::<Option<String>>(&mut conn)
        .unwrap()
}

#[test]
fn two_servers_on_one_database_validate_once_per_change() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let (mut settings, cleanup) = settings_for(&backend, dir.path());
        continuous(&mut settings);
        let url = settings.database_url();
        let second = settings.clone();
        // The first server alone takes the lease …
        let (port, handle) = start(settings).unwrap();
        let first = TestApp::attach(port, handle, url.clone(), None);
        let leader = eventually("the first server's lease", || holder(&first));
        // … and keeps it when the second one (which drops the database at the end) starts.
        let (port, handle) = start(second).unwrap();
        let other = TestApp::attach(port, handle, url, cleanup);
        let c = chain(&other);
        let consume = |app: &TestApp, lot: &str| {
            let r = app.post(
                &format!("/api/v1/firms/{}/ledger", c.buyer),
                Some(&c.buyer_clerk),
                &json!({"kind": "consumption", "chemical_id": c.acetone, "lot": lot, "quantity": "1", "occurred_at": now()}),
            );
            assert_eq!(r.status, 201, "{}", r.text);
        };
        let lots = |app: &TestApp| -> Vec<String> {
            orphan_findings(app, &c.regulator, &c.buyer)
                .iter()
                .map(|f| f["lot"].as_str().unwrap_or("").to_string())
                .collect()
        };
        // Settle: the registrations of the chain have been validated.
        eventually("a first background run", || {
            (!system_runs(&other).is_empty()).then_some(())
        });
        std::thread::sleep(Duration::from_secs(3));
        let before = system_runs(&other).len();

        // One filing through the second server: exactly one background run follows.
        consume(&other, "ONE");
        eventually("the filing's finding", || {
            lots(&other).contains(&"ONE".to_string()).then_some(())
        });
        // Both servers look five times a second: a second runner would have run by now.
        std::thread::sleep(Duration::from_secs(4));
        let after = system_runs(&other);
        assert_eq!(after.len(), before + 1, "one run per change: {after:?}");
        assert_eq!(holder(&other).as_deref(), Some(leader.as_str()));

        // The leader stops and gives the lease up; the other server takes over.
        drop(first);
        let successor = eventually("the lease taken over", || {
            holder(&other).filter(|h| *h != leader)
        });
        consume(&other, "TWO");
        eventually("the successor's finding", || {
            lots(&other).contains(&"TWO".to_string()).then_some(())
        });
        assert_eq!(holder(&other), Some(successor));
    }
}
