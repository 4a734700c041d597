//! Group commit (`db::group`): single filings that arrive together share one transaction; each
//! only reads until the group's end and a refused one is undone in the group, so it fails alone
//! and the others' chains stay gapless. (kill -9 during groups: `crash.rs`; three servers on one database: `servers.rs`.)

use std::sync::Mutex;

use serde_json::{json, Value};

use crate::helpers::{each_backend, each_backend_with, TestApp};
use crate::ledger::{chain, with_key};
use precursor_registry::config::Settings;

fn production(chemical: &str, quantity: usize) -> Value {
    json!({"kind": "production", "chemical_id": chemical, "lot": "G", "quantity": quantity.to_string(),
        "occurred_at": "2026-03-01T08:00:00+08:00"})
}

fn reversal(target: &str) -> Value {
    json!({"kind": "reversal", "reverses": target, "occurred_at": "2026-03-02T08:00:00+08:00", "note": "录错"})
}

/// (commits, filings committed) so far, from `/metrics`.
pub fn groups(app: &TestApp) -> (u64, u64) {
    let text = app.get("/metrics", None).text;
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{name} in /metrics:\n{text}"))
    };
    (
        value("ledger_group_commit_writes_count "),
        value("ledger_group_commit_writes_sum "),
    )
}

#[test]
fn refused_filings_among_64_concurrent_ones_fail_alone() {
    each_backend(|app| {
        let c = chain(app);
        let path = format!("/api/v1/firms/{}/ledger", c.seller);
        // Eight entries to reverse, each by two filers at once: exactly one of them may.
        let targets: Vec<String> = (0..8)
            .map(|i| {
                let r = app.post(
                    &path,
                    Some(&c.seller_clerk),
                    &production(&c.acetone, 1000 + i),
                );
                assert_eq!(r.status, 201, "{}", r.text);
                r.body["id"].as_str().unwrap().to_string()
            })
            .collect();
        let before = groups(app);
        let answers: Mutex<Vec<(usize, u16, String)>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for i in 0..64 {
                let body = match i % 8 {
                    0 | 1 => reversal(&targets[(i / 8) % 8]),
                    2 => reversal(&uuid::Uuid::new_v4().to_string()),
                    _ => production(&c.acetone, i + 1),
                };
                let (path, token, answers) = (&path, &c.seller_clerk, &answers);
                scope.spawn(move || {
                    let r = app.post(path, Some(token), &body);
                    let code = r.field_errors().first().map(|(_, code)| code.clone());
                    answers
                        .lock()
                        .unwrap()
                        .push((i, r.status, code.unwrap_or_default()));
                });
            }
        });
        let answers = answers.into_inner().unwrap();
        let count = |status: u16, code: &str| {
            answers
                .iter()
                .filter(|(_, s, c)| *s == status && c == code)
                .count()
        };
        assert_eq!(count(201, ""), 40 + 8, "{answers:?}");
        assert_eq!(count(422, "already_reversed"), 8, "{answers:?}");
        assert_eq!(count(422, "unknown_entry"), 8, "{answers:?}");
        for target in &targets {
            let won: Vec<_> = answers
                .iter()
                .filter(|(i, s, _)| *s == 201 && i % 8 < 2 && targets[(i / 8) % 8] == *target)
                .collect();
            assert_eq!(won.len(), 1, "one reversal of {target} wins: {answers:?}");
        }

        let seqs: Vec<i64> = app
            .entries(&c.seller_clerk, &c.seller)
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(
            seqs,
            (1..=8 + 48).collect::<Vec<_>>(),
            "no gap, nothing twice"
        );
        let verify = app.get(&format!("{path}/verify"), Some(&c.regulator));
        assert_eq!(verify.body["ok"].as_bool(), Some(true), "{}", verify.text);
        let after = groups(app);
        assert!(
            after.1 - before.1 > after.0 - before.0,
            "some commit carried more than one filing: {before:?} → {after:?}"
        );
    });
}

#[test]
fn filers_of_several_firms_share_commits_and_keep_every_chain_gapless() {
    each_backend(|app| {
        let c = chain(app);
        let regulator = &c.regulator;
        let firms: Vec<(String, String)> = (0..4)
            .map(|i| {
                let firm = app.register_firm(regulator, &format!("成组提交测试企业{i}"));
                let clerk = app.enterprise(&firm);
                (firm, clerk)
            })
            .collect();
        std::thread::scope(|scope| {
            for w in 0..64 {
                let (firm, clerk) = &firms[w % firms.len()];
                let acetone = &c.acetone;
                scope.spawn(move || {
                    for i in 0..4 {
                        let r = app.post(
                            &format!("/api/v1/firms/{firm}/ledger"),
                            Some(clerk),
                            &production(acetone, w * 10 + i + 1),
                        );
                        assert_eq!(r.status, 201, "{}", r.text);
                    }
                });
            }
        });
        for (firm, clerk) in &firms {
            let entries = app.entries(clerk, firm);
            let seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
            assert_eq!(seqs, (1..=64).collect::<Vec<_>>());
            let verify = app.get(
                &format!("/api/v1/firms/{firm}/ledger/verify"),
                Some(regulator),
            );
            assert_eq!(verify.body["ok"].as_bool(), Some(true), "{}", verify.text);
        }
    });
}

#[test]
fn one_idempotency_key_sent_by_many_at_once_files_once() {
    // Each group waits for more, so that the requests land in one or two groups.
    let wait = |s: &mut Settings| s.group_commit.wait = std::time::Duration::from_millis(50);
    each_backend_with(wait, |app| {
        let c = chain(app);
        let path = format!("/api/v1/firms/{}/ledger", c.seller);
        // Two requests under one key, sent 24 times at once: retries that land in the same group
        // as the first must be answered from the group, not filed again.
        let bodies = [production(&c.acetone, 7), production(&c.acetone, 8)];
        let answers: Mutex<Vec<(usize, u16, String)>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for i in 0..24 {
                let (path, token, answers, body) =
                    (&path, &c.seller_clerk, &answers, &bodies[i % 3 / 2]);
                scope.spawn(move || {
                    let r = with_key(app, path, token, "one-key", body);
                    answers.lock().unwrap().push((i % 3 / 2, r.status, r.text));
                });
            }
        });
        let answers = answers.into_inner().unwrap();
        let filed = app.entries(&c.seller_clerk, &c.seller);
        assert_eq!(filed.len(), 1, "filed once: {answers:?}");
        let winner = answers
            .iter()
            .find(|a| a.1 == 201)
            .expect("one answered 201");
        for (body, status, text) in &answers {
            if *body == winner.0 {
                assert_eq!((*status, text), (201, &winner.2), "the first answer again");
            } else {
                assert_eq!(*status, 422, "{text}");
                assert!(text.contains("idempotency_key_reused"), "{text}");
            }
        }
        let entry: Value = serde_json::from_str(&winner.2).unwrap();
        assert_eq!(entry["id"], filed[0]["id"]);
    });
}
