use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::helpers::{each_backend, TestApp};
use crate::ledger::{chain, Chain};

fn at(hours_from_base: i64) -> String {
    // Recent enough that filing it now is not late (the deadline is 72 h).
    (Utc::now() - Duration::hours(48) + Duration::hours(hours_from_base))
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn in_days(days: i64) -> String {
    (Utc::now() + Duration::days(days)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn file(app: &TestApp, token: &str, firm: &str, entry: Value) -> Value {
    let r = app.post(&format!("/api/v1/firms/{firm}/ledger"), Some(token), &entry);
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

fn licence_buyer(app: &TestApp, c: &Chain) {
    let r = app.post(
        &format!("/api/v1/firms/{}/permits", c.buyer),
        Some(&c.regulator),
        &json!({"kind": "purchase_filing", "number": format!("F-{}", app.next()), "chemical_ids": [c.acetone, c.anhydride],
                "valid_from": in_days(-365), "valid_until": in_days(365)}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

/// The seller makes lot L1 of acetone and ships 10 to the buyer under ref R1.
fn shipped(app: &TestApp) -> (Chain, Value) {
    let c = chain(app);
    licence_buyer(app, &c);
    file(
        app,
        &c.seller_clerk,
        &c.seller,
        json!({"kind": "production", "chemical_id": c.acetone, "lot": "L1", "quantity": "100", "occurred_at": at(0)}),
    );
    let sale = file(
        app,
        &c.seller_clerk,
        &c.seller,
        json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": "10", "occurred_at": at(1),
               "counterparty": {"firm_id": c.buyer}, "shipment_ref": "R1"}),
    );
    (c, sale)
}

fn validate(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/v1/custody/validations", Some(token), &body);
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

fn findings(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/custody/findings?{query}"), Some(token));
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

#[test]
fn a_missing_receipt_is_found_explained_and_resolved_when_filed() {
    each_backend(|app| {
        let (c, sale) = shipped(app);
        // (These registries run with a 24 h transit window; the sale is 47 h old.)
        // As of an hour after dispatch the shipment was on its way: nothing to report, nothing recorded.
        let run = validate(app, &c.regulator, json!({"as_of": at(2)}));
        assert_eq!(
            (run["findings_by_code"].clone(), run["recorded"].as_bool()),
            (json!({}), Some(false)),
            "{run}"
        );
        // Now it is an unmatched dispatch.
        let run = validate(app, &c.regulator, json!({}));
        assert_eq!(run["findings_by_code"], json!({"UNMATCHED_DISPATCH": 1}));
        assert_eq!(run["recorded"], true);
        assert_eq!(
            (
                run["new_findings"].as_i64(),
                run["entries_checked"].as_i64()
            ),
            (Some(1), Some(2))
        );
        let again = validate(app, &c.regulator, json!({}));
        assert_eq!(
            (
                again["new_findings"].as_i64(),
                again["resolved_findings"].as_i64()
            ),
            (Some(0), Some(0))
        );
        let all = findings(app, &c.regulator, "");
        assert_eq!(all.len(), 1, "a re-run adds no duplicate");
        let f = &all[0];
        assert_eq!(
            (
                f["code"].as_str(),
                f["severity"].as_str(),
                f["status"].as_str()
            ),
            (Some("UNMATCHED_DISPATCH"), Some("critical"), Some("open"))
        );
        assert_eq!(f["entry_ids"], json!([sale["id"]]));
        assert_eq!(
            (f["firm_id"].as_str(), f["counterparty_firm_id"].as_str()),
            (Some(c.seller.as_str()), Some(c.buyer.as_str()))
        );
        assert_eq!(f["quantity"], "10.000");
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .contains("福安市制药有限公司"),
            "{f}"
        );
        let id = f["id"].as_str().unwrap();

        // The seller explains.
        let r = app.post(
            &format!("/api/v1/custody/findings/{id}/explanations"),
            Some(&c.seller_clerk),
            &json!({"text": "货已发出，买方未及时入库"}),
        );
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (201, Some("explained")),
            "{}",
            r.text
        );
        assert_eq!(r.body["history"][0]["action"], "explained");

        // Only the firm the finding is about explains it; its counterparty cannot.
        let r = app.post(
            &format!("/api/v1/custody/findings/{id}/explanations"),
            Some(&c.buyer_clerk),
            &json!({"text": "不是我们的问题"}),
        );
        assert_eq!(r.status, 404, "{}", r.text);
        // A look at the past reports what fired then, and closes nothing.
        let past = validate(app, &c.seller_clerk, json!({"as_of": at(2)}));
        assert_eq!(
            (
                past["resolved_findings"].as_i64(),
                past["recorded"].as_bool()
            ),
            (Some(0), Some(false)),
            "{past}"
        );
        let still = app.get(
            &format!("/api/v1/custody/findings/{id}"),
            Some(&c.regulator),
        );
        assert_eq!(still.body["status"], "explained");

        // The buyer files the receipt; the next run resolves the finding by itself.
        file(
            app,
            &c.buyer_clerk,
            &c.buyer,
            json!({"kind": "purchase", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": "10",
            "occurred_at": at(3), "counterparty": {"firm_id": c.seller}, "shipment_ref": "R1"}),
        );
        let run = validate(app, &c.regulator, json!({}));
        assert_eq!(
            (
                run["resolved_findings"].as_i64(),
                run["findings_by_code"].clone()
            ),
            (Some(1), json!({})),
            "{run}"
        );
        let f = app.get(
            &format!("/api/v1/custody/findings/{id}"),
            Some(&c.regulator),
        );
        assert_eq!(f.body["status"], "resolved");
        let actions: Vec<&str> = f.body["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["explained", "auto_resolved"]);
        assert_eq!(findings(app, &c.regulator, "status=open").len(), 0);
    });
}

#[test]
fn regulators_resolve_or_dismiss_and_their_decision_stands() {
    each_backend(|app| {
        let (c, _) = shipped(app);
        file(
            app,
            &c.seller_clerk,
            &c.seller,
            json!({"kind": "consumption", "chemical_id": c.acetone, "lot": "L9", "quantity": "1", "occurred_at": at(2)}),
        );
        let run = validate(app, &c.regulator, json!({"firm_id": c.seller}));
        // (The sale of `shipped` is past the 24 h window too: an unmatched dispatch beside it.)
        assert_eq!(
            run["findings_by_code"],
            json!({"ORPHAN_LOT": 1, "UNMATCHED_DISPATCH": 1}),
            "{run}"
        );
        let id = findings(app, &c.regulator, "code=ORPHAN_LOT")[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let path = format!("/api/v1/custody/findings/{id}");
        let r = app.patch(&path, Some(&c.regulator), &json!({"status": "resolved"}));
        assert!(r.has_field_error("note", "required"), "{}", r.text);
        let r = app.patch(
            &path,
            Some(&c.regulator),
            &json!({"status": "open", "note": "x"}),
        );
        assert!(r.has_field_error("status", "invalid_status"), "{}", r.text);
        let r = app.patch(
            &path,
            Some(&c.regulator),
            &json!({"status": "resolved", "note": "现场核查：批号录入错误，已责令更正"}),
        );
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (200, Some("resolved")),
            "{}",
            r.text
        );
        let r = app.patch(
            &path,
            Some(&c.regulator),
            &json!({"status": "dismissed", "note": "again"}),
        );
        assert_eq!((r.status, r.code()), (409, "finding_closed"));
        let r = app.post(
            &format!("{path}/explanations"),
            Some(&c.seller_clerk),
            &json!({"text": "迟到的解释"}),
        );
        assert_eq!(r.status, 409);
        // Still firing, but a regulator's decision is not undone by a run.
        let run = validate(app, &c.regulator, json!({"firm_id": c.seller}));
        assert_eq!(
            (
                run["new_findings"].as_i64(),
                run["findings_by_code"]["ORPHAN_LOT"].as_i64()
            ),
            (Some(0), Some(1))
        );
        assert_eq!(
            app.get(&path, Some(&c.regulator)).body["status"],
            "resolved"
        );
        assert_eq!(
            findings(
                app,
                &c.regulator,
                "severity=critical&code=ORPHAN_LOT&status=resolved"
            )
            .len(),
            1
        );
        let bad = app.get(
            "/api/v1/custody/findings?code=NOPE&severity=huge",
            Some(&c.regulator),
        );
        assert!(
            bad.has_field_error("code", "unknown_code")
                && bad.has_field_error("severity", "unknown_severity"),
            "{}",
            bad.text
        );
    });
}

#[test]
fn an_enterprise_sees_only_findings_about_its_firm_and_only_its_own_entries() {
    each_backend(|app| {
        let (c, sale) = shipped(app);
        let outsider_firm = app.register_firm(&c.regulator, "无关企业");
        let outsider = app.enterprise(&outsider_firm);
        validate(app, &c.regulator, json!({}));
        let id = findings(app, &c.regulator, "")[0]["id"]
            .as_str()
            .unwrap()
            .to_string();

        let seller_view = findings(app, &c.seller_clerk, "");
        assert_eq!(seller_view[0]["entry_ids"], json!([sale["id"]]));
        let buyer_view = findings(app, &c.buyer_clerk, "");
        assert_eq!(buyer_view.len(), 1, "the buyer is the counterparty");
        assert_eq!(
            buyer_view[0]["entry_ids"],
            json!([]),
            "none of the seller's entries"
        );
        assert_eq!(buyer_view[0]["firm_name"], "宁德市蕉城区化工原料有限公司");
        assert!(findings(app, &outsider, "").is_empty());
        assert_eq!(
            app.get(&format!("/api/v1/custody/findings/{id}"), Some(&outsider))
                .status,
            404
        );
        let r = app.post(
            &format!("/api/v1/custody/findings/{id}/explanations"),
            Some(&outsider),
            &json!({"text": "x"}),
        );
        assert_eq!(r.status, 404);
        assert_eq!(
            app.get(
                &format!("/api/v1/custody/findings?firm_id={}", c.seller),
                Some(&outsider)
            )
            .status,
            404
        );

        // An enterprise self-check runs for its own firm only.
        let own = validate(app, &outsider, json!({}));
        assert_eq!(own["firm_id"], outsider_firm.as_str());
        let r = app.post(
            "/api/v1/custody/validations",
            Some(&outsider),
            &json!({"firm_id": c.seller}),
        );
        assert_eq!(r.status, 404);
        let association = app.association();
        assert_eq!(
            app.post(
                "/api/v1/custody/validations",
                Some(&association),
                &json!({})
            )
            .status,
            403
        );
        assert_eq!(
            app.get("/api/v1/custody/findings", Some(&association))
                .status,
            403
        );
        assert_eq!(
            app.patch(
                &format!("/api/v1/custody/findings/{id}"),
                Some(&c.seller_clerk),
                &json!({"status": "dismissed", "note": "no"})
            )
            .status,
            403
        );
        assert_eq!(app.get("/api/v1/custody/findings", None).status, 401);
    });
}

#[test]
fn the_lot_trace_draws_the_custody_graph() {
    each_backend(|app| {
        let (c, _) = shipped(app);
        file(
            app,
            &c.buyer_clerk,
            &c.buyer,
            json!({"kind": "purchase", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": "10",
            "occurred_at": at(3), "counterparty": {"firm_id": c.seller}, "shipment_ref": "R1"}),
        );
        file(
            app,
            &c.buyer_clerk,
            &c.buyer,
            json!({"kind": "consumption", "chemical_id": c.acetone, "lot": "L1", "quantity": "4", "occurred_at": at(4)}),
        );
        file(
            app,
            &c.seller_clerk,
            &c.seller,
            json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": "5", "occurred_at": at(5),
            "counterparty": {"name": "外省贸易公司", "credit_code": crate::helpers::credit_code(4242), "permit_no": "X-9"}}),
        );
        let path = format!("/api/v1/custody/trace?chemical_id={}&lot=L1", c.acetone);
        let r = app.get(&path, Some(&c.regulator));
        assert_eq!(r.status, 200, "{}", r.text);
        let nodes = r.body["nodes"].as_array().unwrap();
        let node = |id: &str| nodes.iter().find(|n| n["id"] == id).unwrap().clone();
        assert_eq!(
            (
                node(&c.seller)["produced"].as_str(),
                node(&c.seller)["sent"].as_str(),
                node(&c.seller)["balance"].as_str()
            ),
            (Some("100.000"), Some("15.000"), Some("85.000"))
        );
        assert_eq!(
            (
                node(&c.buyer)["received"].as_str(),
                node(&c.buyer)["consumed"].as_str(),
                node(&c.buyer)["balance"].as_str()
            ),
            (Some("10.000"), Some("4.000"), Some("6.000"))
        );
        assert!(nodes
            .iter()
            .any(|n| n["kind"] == "external" && n["name"] == "外省贸易公司"));
        let edges = r.body["edges"].as_array().unwrap();
        assert!(edges.iter().any(|e| e["from"] == c.seller.as_str()
            && e["to"] == c.buyer.as_str()
            && e["state"] == "matched"
            && e["quantity"] == "10.000"));
        assert!(edges
            .iter()
            .any(|e| e["state"] == "external_sale" && e["quantity"] == "5.000"));
        assert_eq!(r.body["findings"], json!([]));

        let dot = ureq::get(&format!("{}{path}", app.base))
            .set("Authorization", &format!("Bearer {}", c.regulator))
            .set("Accept", "text/vnd.graphviz")
            .call()
            .unwrap();
        assert!(dot.content_type().starts_with("text/vnd.graphviz"));
        let text = dot.into_string().unwrap();
        assert!(
            text.starts_with("digraph custody {") && text.contains("->"),
            "{text}"
        );

        assert_eq!(app.get(&path, Some(&c.seller_clerk)).status, 403);
        let r = app.get("/api/v1/custody/trace?lot=L1", Some(&c.regulator));
        assert!(r.has_field_error("chemical_id", "invalid_id"), "{}", r.text);
    });
}

#[test]
fn a_tampered_ledger_is_a_chain_broken_finding() {
    use diesel::RunQueryDsl;
    each_backend(|app| {
        let (c, sale) = shipped(app);
        let mut conn = app.direct_connection();
        diesel::sql_query(format!(
            "UPDATE ledger_entries SET quantity = 1000 WHERE id = '{}'",
            sale["id"].as_str().unwrap()
        ))
        .execute(&mut conn)
        .unwrap();
        let run = validate(app, &c.regulator, json!({"firm_id": c.seller}));
        assert_eq!(run["findings_by_code"]["CHAIN_BROKEN"], 1, "{run}");
        let f = findings(app, &c.regulator, "code=CHAIN_BROKEN");
        assert_eq!(f[0]["entry_ids"], json!([sale["id"]]));
    });
}

#[test]
fn a_bad_run_request_is_refused_and_a_lotless_chemical_can_be_traced() {
    each_backend(|app| {
        let (c, _) = shipped(app);
        let r = app.post(
            "/api/v1/custody/validations",
            Some(&c.regulator),
            &json!({"firm_id": "nope"}),
        );
        assert_eq!(r.status, 422, "{}", r.text);
        let r = app.request(
            "POST",
            "/api/v1/custody/validations",
            Some(&c.regulator),
            Some("{"),
            Some("application/json"),
        );
        assert_eq!((r.status, r.code()), (400, "malformed_json"));
        let r = app.post(
            "/api/v1/custody/validations",
            Some(&c.regulator),
            &json!({"as_of": "yesterday"}),
        );
        assert!(r.has_field_error("as_of", "invalid_time"), "{}", r.text);
        let bare = app.request(
            "POST",
            "/api/v1/custody/validations",
            Some(&c.regulator),
            None,
            None,
        );
        assert_eq!(bare.status, 201, "no body: every firm, now");
        // Acetone kept without a lot.
        file(
            app,
            &c.seller_clerk,
            &c.seller,
            json!({"kind": "production", "chemical_id": c.acetone, "quantity": "3", "occurred_at": at(4)}),
        );
        let r = app.get(
            &format!("/api/v1/custody/trace?chemical_id={}", c.acetone),
            Some(&c.regulator),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["lot"], Value::Null);
        assert!(r.body["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == c.seller.as_str() && n["produced"] == "3.000"));
    });
}

/// Issue 16: a counterparty sees the finding's code, severity and status, its own entries and the
/// other firm's name — nothing the other firm wrote (explanations, user ids in the history) and
/// not the other firm's permit number or quota, in the API and in the console.
#[test]
fn a_counterparty_sees_a_finding_without_what_the_other_firm_wrote() {
    each_backend(|app| {
        let (c, _) = shipped(app);
        let number = format!("QUOTA-{}", app.next());
        let r = app.post(
            &format!("/api/v1/firms/{}/permits", c.buyer),
            Some(&c.regulator),
            &json!({"kind": "purchase_filing", "number": number, "chemical_ids": [c.acetone],
                    "quantity_limit": "7", "valid_from": in_days(-365), "valid_until": in_days(365)}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        file(
            app,
            &c.buyer_clerk,
            &c.buyer,
            json!({"kind": "purchase", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": "10",
                   "occurred_at": at(3), "counterparty": {"firm_id": c.seller}, "shipment_ref": "R1", "permit_no": number}),
        );
        validate(app, &c.regulator, json!({}));
        let all = findings(app, &c.regulator, "code=PERMIT_EXCEEDED");
        assert_eq!(all.len(), 1, "{all:?}");
        let id = all[0]["id"].as_str().unwrap().to_string();
        assert_eq!(
            (
                all[0]["firm_id"].as_str(),
                all[0]["counterparty_firm_id"].as_str()
            ),
            (Some(c.buyer.as_str()), Some(c.seller.as_str()))
        );
        let secret = "仓库主管口头批准超额购入";
        let r = app.post(
            &format!("/api/v1/custody/findings/{id}/explanations"),
            Some(&c.buyer_clerk),
            &json!({"text": secret}),
        );
        assert_eq!(r.status, 201, "{}", r.text);

        // The regulator and the firm the finding is about see everything.
        let path = format!("/api/v1/custody/findings/{id}");
        for token in [&c.regulator, &c.buyer_clerk] {
            let full = app.get(&path, Some(token));
            assert_eq!(full.status, 200, "{}", full.text);
            assert!(
                full.text.contains(&number) && full.text.contains("7.000"),
                "{}",
                full.text
            );
            assert_eq!(full.body["history"][0]["text"], secret);
            assert!(full.body["history"][0]["by_user"].is_string());
        }
        let clerk_id = app.get(&path, Some(&c.regulator)).body["history"][0]["by_user"]
            .as_str()
            .unwrap()
            .to_string();

        // The seller is the counterparty: code, severity, status, the buyer's name, no more.
        let seen = app.get(&path, Some(&c.seller_clerk));
        assert_eq!(seen.status, 200, "{}", seen.text);
        let f = &seen.body;
        assert_eq!(
            (
                f["code"].as_str(),
                f["severity"].as_str(),
                f["status"].as_str(),
                f["firm_name"].as_str()
            ),
            (
                Some("PERMIT_EXCEEDED"),
                Some("critical"),
                Some("explained"),
                Some("福安市制药有限公司")
            )
        );
        assert_eq!(f["history"][0]["action"], "explained");
        for hidden in [number.as_str(), "7.000", "3.000", secret, clerk_id.as_str()] {
            assert!(!seen.text.contains(hidden), "{hidden} in {}", seen.text);
        }
        assert_eq!((&f["lot"], &f["quantity"]), (&Value::Null, &Value::Null));
        let listed = app.get(
            "/api/v1/custody/findings?code=PERMIT_EXCEEDED",
            Some(&c.seller_clerk),
        );
        assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
        assert!(!listed.text.contains(&number) && !listed.text.contains("7.000"));

        // The console shows the counterparty the same.
        let (username, _) = app.create_user("enterprise", Some(&c.seller));
        let mut seller = crate::visitor::Visitor::new(app, "zh-CN");
        assert_eq!(
            seller.sign_in(&username, crate::helpers::PASSWORD).status,
            303
        );
        for page in [format!("/findings/{id}"), "/findings".to_string()] {
            let p = seller.get(&page);
            assert_eq!(p.status, 200, "{}", p.text);
            for hidden in [number.as_str(), "7.000", secret] {
                assert!(!p.text.contains(hidden), "{hidden} in {page}: {}", p.text);
            }
        }
        let (username, _) = app.create_user("enterprise", Some(&c.buyer));
        let mut buyer = crate::visitor::Visitor::new(app, "zh-CN");
        assert_eq!(
            buyer.sign_in(&username, crate::helpers::PASSWORD).status,
            303
        );
        let p = buyer.get(&format!("/findings/{id}"));
        assert!(
            p.text.contains(&number) && p.text.contains(secret),
            "{}",
            p.text
        );
    });
}

/// Issue 16: a finding's explanation passes the same text rule as every field: NUL, BEL and ESC
/// are refused with `control_characters` and nothing is stored.
#[test]
fn control_characters_in_an_explanation_are_refused_and_not_stored() {
    each_backend(|app| {
        let (c, _) = shipped(app);
        validate(app, &c.regulator, json!({}));
        let id = findings(app, &c.regulator, "")[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let path = format!("/api/v1/custody/findings/{id}");
        for bad in ["货已发出\u{0}", "货已\u{7}发出", "\u{1b}[2J货已发出"] {
            let r = app.post(
                &format!("{path}/explanations"),
                Some(&c.seller_clerk),
                &json!({"text": bad}),
            );
            assert!(
                r.has_field_error("text", "control_characters"),
                "{bad:?}: {}",
                r.text
            );
        }
        let r = app.post(
            &format!("{path}/explanations"),
            Some(&c.seller_clerk),
            &json!({"text": "长".repeat(2001)}),
        );
        assert!(r.has_field_error("text", "too_long"), "{}", r.text);
        let r = app.post(
            &format!("{path}/explanations"),
            Some(&c.seller_clerk),
            &json!({"text": "  "}),
        );
        assert!(r.has_field_error("text", "required"), "{}", r.text);
        let stored = app.get(&path, Some(&c.regulator));
        assert_eq!(
            (stored.body["status"].as_str(), stored.body.get("history")),
            (Some("open"), None),
            "{}",
            stored.text
        );
    });
}
