//! The ledger against models written from its specification, not from its code.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::each_backend;
use crate::ledger::chain;

/// canonical_bytes exactly as docs/ledger.md describes it, from the JSON an API client sees.
fn canonical_bytes_per_doc(e: &Value) -> Vec<u8> {
    fn text(v: &Value) -> Option<String> {
        v.as_str()
            .map(str::to_string)
            .or_else(|| v.as_i64().map(|n| n.to_string()))
    }
    fn time(v: &Value) -> Option<String> {
        let t: DateTime<Utc> = v.as_str()?.parse().ok()?;
        Some(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
    }
    let cp = &e["counterparty"];
    // `unknown` is how the API shows a sale or purchase filed before payments were recorded.
    let payment = text(&e["payment"]).filter(|p| p != "unknown");
    let resident_id = text(&cp["resident_id"]);
    let v2 = payment.is_some() || resident_id.is_some();
    let mut fields: Vec<(&str, Option<String>)> = vec![
        ("id", text(&e["id"])),
        ("firm_id", text(&e["firm_id"])),
        ("seq", text(&e["seq"])),
        ("kind", text(&e["kind"])),
        ("chemical_id", text(&e["chemical_id"])),
        ("lot", text(&e["lot"])),
        ("quantity", text(&e["quantity"])),
        ("occurred_at", time(&e["occurred_at"])),
        ("recorded_at", time(&e["recorded_at"])),
        ("recorded_by", text(&e["recorded_by"])),
        ("counterparty_firm_id", text(&cp["firm_id"])),
        ("counterparty_name", text(&cp["name"])),
        ("counterparty_credit_code", text(&cp["credit_code"])),
        ("counterparty_permit_no", text(&cp["permit_no"])),
        ("shipment_ref", text(&e["shipment_ref"])),
        ("permit_no", text(&e["permit_no"])),
        ("transport_permit_no", text(&e["transport_permit_no"])),
        ("warehouse", text(&e["warehouse"])),
        ("note", text(&e["note"])),
        ("reverses", text(&e["reverses"])),
    ];
    if v2 {
        fields.push(("counterparty_resident_id", resident_id));
        fields.push(("payment", payment));
    }
    let version = if v2 { "v2" } else { "v1" };
    let mut out = format!("precursor-registry/ledger-entry/{version}\n").into_bytes();
    for (name, value) in fields {
        match value {
            Some(v) => out.extend_from_slice(format!("{name}:{}:{v}\n", v.len()).as_bytes()),
            None => out.extend_from_slice(format!("{name}:-\n").as_bytes()),
        }
    }
    out
}

#[test]
fn an_auditor_can_recompute_the_chain_from_the_documented_format() {
    each_backend(|app| {
        let c = chain(app);
        let batch = json!({"entries": [
            {"kind": "production", "chemical_id": c.anhydride, "lot": "L-1", "quantity": "100", "occurred_at": "2026-01-01T08:00:00+08:00", "warehouse": "一号库"},
            {"kind": "sale", "payment": "bank_transfer", "chemical_id": c.anhydride, "lot": "L-1", "quantity": "40.5", "occurred_at": "2026-01-02T00:00:00.123456Z",
             "counterparty": {"firm_id": c.buyer}, "shipment_ref": "YD-1", "transport_permit_no": "T-9", "note": "多行\n备注"},
            {"kind": "purchase", "payment": "bank_transfer", "chemical_id": c.acetone, "quantity": "7", "occurred_at": "2026-01-03T00:00:00Z",
             "counterparty": {"name": "外省公司", "permit_no": "P-3"}},
            {"kind": "sale", "payment": "cash", "chemical_id": c.acetone, "quantity": "2", "occurred_at": "2026-01-04T00:00:00Z",
             "counterparty": {"kind": "individual", "name": "张三", "resident_id": "11010519491231002x"}},
        ]});
        let r = app.post(
            &format!("/api/v1/firms/{}/ledger/batch", c.seller),
            Some(&c.seller_clerk),
            &batch,
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let listed = app.get(
            &format!("/api/v1/firms/{}/ledger", c.seller),
            Some(&c.regulator),
        );
        let items = listed.body["items"].as_array().unwrap();
        // The regulator sees the whole number; the firm that filed it, the last four characters.
        assert_eq!(
            items[3]["counterparty"]["resident_id"],
            "11010519491231002X"
        );
        assert_eq!(items[3]["counterparty"]["kind"], "individual");
        let own = app.get(
            &format!("/api/v1/firms/{}/ledger", c.seller),
            Some(&c.seller_clerk),
        );
        assert_eq!(
            own.body["items"][3]["counterparty"]["resident_id"],
            "**************002X"
        );
        let mut prev = [0_u8; 32];
        for entry in items {
            assert_eq!(entry["prev_hash"], hex::encode(prev));
            let mut hasher = Sha256::new();
            hasher.update(prev);
            hasher.update(canonical_bytes_per_doc(entry));
            let hash: [u8; 32] = hasher.finalize().into();
            assert_eq!(entry["hash"], hex::encode(hash), "seq {}", entry["seq"]);
            prev = hash;
        }
        let verify = app.get(
            &format!("/api/v1/firms/{}/ledger/verify", c.seller),
            Some(&c.regulator),
        );
        assert_eq!(verify.body["head_hash"], hex::encode(prev));
    });
}

#[derive(Debug, Clone)]
enum Op {
    In(&'static str, usize, u32),
    Out(&'static str, usize, u32),
    Count(usize, u32),
    /// Reverse the n-th earlier non-reversal entry (mod their count).
    Reverse(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let lot = 0_usize..2;
    let q = 1_u32..100_000;
    prop_oneof![
        3 => (prop::sample::select(vec!["production", "purchase"]), lot.clone(), q.clone()).prop_map(|(k, l, q)| Op::In(k, l, q)),
        3 => (prop::sample::select(vec!["sale", "consumption", "loss", "disposal"]), lot.clone(), q.clone()).prop_map(|(k, l, q)| Op::Out(k, l, q)),
        1 => (lot, 0_u32..200_000).prop_map(|(l, q)| Op::Count(l, q)),
        1 => (0_usize..50).prop_map(Op::Reverse),
    ]
}

fn quantity(q: u32) -> String {
    format!("{}.{:03}", q / 1000, q % 1000)
}

/// Random valid sequences filed over HTTP: the inventory equals a replay model and the chain verifies.
#[test]
fn inventory_matches_a_replay_model_for_random_ledgers() {
    each_backend(|app| {
        let c = chain(app);
        let lots = ["L-A", "L-B"];
        let mut runner = TestRunner::new(Config {
            cases: 12,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&prop::collection::vec(op(), 1..40), |ops| {
                let firm = app.register_firm(&c.regulator, "随机企业");
                let clerk = app.enterprise(&firm);
                // Model, in filing order: (lot, Some(delta) or None for a count, reversed?).
                let mut model: Vec<(usize, Option<i64>, bool)> = Vec::new();
                let mut sets: Vec<i64> = Vec::new();
                let mut filed_ids: Vec<String> = Vec::new();
                for (i, op) in ops.iter().enumerate() {
                    // Non-decreasing business time, with ties: the API orders by time, then seq.
                    let at = format!("2026-02-{:02}T00:00:00Z", 1 + i / 2);
                    let entry = match op {
                        Op::In(kind, lot, q) => {
                            let mut e = json!({"kind": kind, "chemical_id": c.anhydride, "lot": lots[*lot], "quantity": quantity(*q), "occurred_at": at});
                            if *kind == "purchase" {
                                e["counterparty"] = json!({"firm_id": c.seller});
                                e["payment"] = json!("bank_transfer");
                            }
                            model.push((*lot, Some(i64::from(*q)), false));
                            sets.push(0);
                            e
                        }
                        Op::Out(kind, lot, q) => {
                            let mut e = json!({"kind": kind, "chemical_id": c.anhydride, "lot": lots[*lot], "quantity": quantity(*q), "occurred_at": at});
                            match *kind {
                                "sale" => {
                                    e["counterparty"] = json!({"firm_id": c.buyer});
                                    e["payment"] = json!("bank_transfer");
                                }
                                "loss" => e["note"] = json!("破损"),
                                _ => {}
                            }
                            model.push((*lot, Some(-i64::from(*q)), false));
                            sets.push(0);
                            e
                        }
                        Op::Count(lot, q) => {
                            model.push((*lot, None, false));
                            sets.push(i64::from(*q));
                            json!({"kind": "stocktake", "chemical_id": c.anhydride, "lot": lots[*lot], "quantity": quantity(*q), "occurred_at": at})
                        }
                        Op::Reverse(n) => {
                            let open: Vec<usize> = (0..model.len()).filter(|&k| !model[k].2 && !filed_ids[k].is_empty()).collect();
                            if open.is_empty() {
                                continue;
                            }
                            let k = open[n % open.len()];
                            model[k].2 = true;
                            json!({"kind": "reversal", "reverses": filed_ids[k], "occurred_at": at})
                        }
                    };
                    let r = app.post(&format!("/api/v1/firms/{firm}/ledger"), Some(&clerk), &entry);
                    prop_assert_eq!(r.status, 201, "{}", r.text);
                    if !matches!(op, Op::Reverse(_)) {
                        filed_ids.push(r.body["id"].as_str().unwrap().to_string());
                    }
                }
                for (l, lot) in lots.iter().enumerate() {
                    let mut balance = None;
                    for (k, (entry_lot, delta, reversed)) in model.iter().enumerate() {
                        if *entry_lot != l || *reversed {
                            continue;
                        }
                        let b = balance.unwrap_or(0_i64);
                        balance = Some(match delta {
                            Some(d) => b + d,
                            None => sets[k],
                        });
                    }
                    let r = app.get(&format!("/api/v1/firms/{firm}/inventory"), Some(&clerk));
                    let got = r.body["items"].as_array().unwrap().iter().find(|i| i["lot"] == *lot).map(|i| i["quantity"].as_str().unwrap().to_string());
                    let expected = balance.map(precursor_registry::domain::quantity::format_thousandths);
                    prop_assert_eq!(got, expected, "lot {}", lot);
                }
                let verify = app.get(&format!("/api/v1/firms/{firm}/ledger/verify"), Some(&clerk));
                prop_assert_eq!(verify.body["ok"].as_bool(), Some(true));
                Ok(())
            })
            .unwrap();
    });
}
