//! The live loop between seller and buyer: the buyer's inbox, confirming a receipt in one step,
//! the seller's list. (These registries run with a 24 h transit window.)

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::helpers::{each_backend, Response, TestApp};
use crate::ledger::{chain, Chain};

fn hours_ago(hours: i64) -> String {
    (Utc::now() - Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn file(app: &TestApp, token: &str, firm: &str, entry: Value) -> Value {
    let r = app.post(&format!("/api/v1/firms/{firm}/ledger"), Some(token), &entry);
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

/// The buyer may buy acetone; the seller makes lot L1 and ships `quantity` of it `hours` ago.
fn dispatched(app: &TestApp, hours: i64, quantity: &str) -> (Chain, Value) {
    let c = chain(app);
    let r = app.post(
        &format!("/api/v1/firms/{}/permits", c.buyer),
        Some(&c.regulator),
        &json!({"kind": "purchase_filing", "number": format!("F-{}", app.next()), "chemical_ids": [c.acetone],
                "valid_from": hours_ago(24 * 365), "valid_until": hours_ago(-24 * 365)}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    // The seller's transport filing, named on the sale (valid, though within one city none is needed).
    let transport = format!("T-7-{}", app.next());
    let r = app.post(
        &format!("/api/v1/firms/{}/permits", c.seller),
        Some(&c.regulator),
        &json!({"kind": "transport_filing", "number": transport, "chemical_ids": [c.acetone],
                "valid_from": hours_ago(24 * 365), "valid_until": hours_ago(-24 * 365)}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    file(
        app,
        &c.seller_clerk,
        &c.seller,
        json!({"kind": "production", "chemical_id": c.acetone, "lot": "L1", "quantity": "100", "occurred_at": hours_ago(hours + 1)}),
    );
    let sale = file(
        app,
        &c.seller_clerk,
        &c.seller,
        json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": quantity, "occurred_at": hours_ago(hours),
               "counterparty": {"firm_id": c.buyer}, "shipment_ref": "YD-1", "transport_permit_no": transport}),
    );
    (c, sale)
}

fn list(app: &TestApp, token: &str, firm: &str, side: &str, query: &str) -> Response {
    app.get(&format!("/api/v1/firms/{firm}/{side}?{query}"), Some(token))
}

fn items(r: &Response) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

fn receipt_of(app: &TestApp, c: &Chain, dispatch: &Value, body: &Value) -> Response {
    let path = format!(
        "/api/v1/firms/{}/incoming/{}/receipt",
        c.buyer,
        dispatch["id"].as_str().unwrap()
    );
    app.post(&path, Some(&c.buyer_clerk), body)
}

fn purchases(app: &TestApp, c: &Chain) -> Vec<Value> {
    let r = app.get(
        &format!("/api/v1/firms/{}/ledger?kind=purchase", c.buyer),
        Some(&c.regulator),
    );
    items(&r)
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn a_dispatch_waits_in_the_inbox_until_the_buyer_confirms_it() {
    each_backend(|app| {
        let (c, sale) = dispatched(app, 1, "10");
        let inbox = items(&list(app, &c.buyer_clerk, &c.buyer, "incoming", ""));
        assert_eq!(inbox.len(), 1, "{inbox:?}");
        let item = &inbox[0];
        let documented: BTreeSet<String> = [
            "dispatch_id",
            "seller",
            "buyer",
            "chemical_id",
            "lot",
            "quantity",
            "shipment_ref",
            "transport_permit_no",
            "dispatched_at",
            "due_by",
            "age",
            "status",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            keys(item),
            documented,
            "the buyer sees the dispatch's fields and nothing else"
        );
        assert_eq!(
            keys(&item["seller"]),
            ["id", "name"].map(String::from).into()
        );
        assert_eq!(item["dispatch_id"], sale["id"]);
        assert_eq!(item["seller"]["id"], c.seller.as_str());
        assert_eq!(item["seller"]["name"], "宁德市蕉城区化工原料有限公司");
        assert_eq!(item["buyer"]["id"], c.buyer.as_str());
        assert_eq!(
            (&item["chemical_id"], &item["lot"], &item["quantity"]),
            (&json!(c.acetone), &json!("L1"), &json!("10.000"))
        );
        assert_eq!(
            (&item["shipment_ref"], &item["transport_permit_no"]),
            (&json!("YD-1"), &sale["transport_permit_no"])
        );
        assert_eq!(item["status"], "awaiting");
        assert_eq!(
            time(&item["due_by"]) - time(&item["dispatched_at"]),
            Duration::hours(24)
        );
        let age = item["age"].as_i64().unwrap();
        assert!((3600..3600 + 300).contains(&age), "age {age}");
        // The regulator sees the same inbox; the seller sees its dispatch awaiting receipt.
        // The same items; `age` is counted at each read, so a second may pass between the two.
        let without_age = |mut items: Vec<Value>| {
            items.iter_mut().for_each(|i| {
                i.as_object_mut().unwrap().remove("age");
            });
            items
        };
        assert_eq!(
            without_age(items(&list(app, &c.regulator, &c.buyer, "incoming", ""))),
            without_age(inbox.clone())
        );
        let out = items(&list(app, &c.seller_clerk, &c.seller, "outgoing", ""));
        assert_eq!((out.len(), &out[0]["status"]), (1, &json!("awaiting")));
        assert!(out[0].get("receipt").is_none());
        // The seller's clerk cannot read the buyer's inbox.
        assert_eq!(
            list(app, &c.seller_clerk, &c.buyer, "incoming", "").status,
            404
        );

        let r = receipt_of(app, &c, &sale, &json!({}));
        assert_eq!(r.status, 201, "{}", r.text);
        let entry = &r.body["entry"];
        assert_eq!(
            (
                &entry["kind"],
                &entry["lot"],
                &entry["quantity"],
                &entry["shipment_ref"]
            ),
            (
                &json!("purchase"),
                &json!("L1"),
                &json!("10.000"),
                &json!("YD-1")
            )
        );
        assert_eq!(entry["counterparty"]["firm_id"], c.seller.as_str());
        assert_eq!(entry["chemical_id"], c.acetone.as_str());
        assert!(
            entry["hash"].as_str().is_some_and(|h| h.len() == 64),
            "{entry}"
        );
        assert_eq!(
            (
                &r.body["dispatch_id"],
                &r.body["dispatched_quantity"],
                &r.body["quantity_differs"]
            ),
            (&sale["id"], &json!("10.000"), &json!(false))
        );

        assert!(items(&list(app, &c.buyer_clerk, &c.buyer, "incoming", "")).is_empty());
        let out = items(&list(app, &c.seller_clerk, &c.seller, "outgoing", ""));
        assert_eq!(out[0]["status"], "received");
        assert_eq!(out[0]["receipt"]["entry_id"], entry["id"]);
        assert_eq!(out[0]["receipt"]["quantity"], "10.000");

        let again = receipt_of(app, &c, &sale, &json!({}));
        assert_eq!(
            (again.status, again.code()),
            (409, "already_received"),
            "{}",
            again.text
        );
        assert!(again.body["detail"]
            .as_str()
            .unwrap()
            .contains(entry["id"].as_str().unwrap()));
        assert_eq!(purchases(app, &c).len(), 1, "exactly one receipt filed");

        let run = app.post(
            "/api/v1/custody/validations",
            Some(&c.regulator),
            &json!({}),
        );
        assert_eq!(run.status, 201, "{}", run.text);
        let codes = &run.body["findings_by_code"];
        assert!(
            codes.get("UNMATCHED_DISPATCH").is_none() && codes.get("UNMATCHED_RECEIPT").is_none(),
            "{codes}"
        );
    });
}

#[test]
fn an_overdue_dispatch_and_a_short_receipt_are_shown_as_such() {
    each_backend(|app| {
        let (c, sale) = dispatched(app, 30, "10");
        let overdue = items(&list(
            app,
            &c.buyer_clerk,
            &c.buyer,
            "incoming",
            "status=overdue",
        ));
        assert_eq!(
            (overdue.len(), &overdue[0]["status"]),
            (1, &json!("overdue"))
        );
        assert!(items(&list(
            app,
            &c.buyer_clerk,
            &c.buyer,
            "incoming",
            "status=awaiting"
        ))
        .is_empty());
        assert_eq!(
            items(&list(
                app,
                &c.seller_clerk,
                &c.seller,
                "outgoing",
                "status=overdue"
            ))
            .len(),
            1
        );
        let bad = list(app, &c.buyer_clerk, &c.buyer, "incoming", "status=received");
        assert!(
            bad.status == 422 && bad.has_field_error("status", "unknown_status"),
            "{}",
            bad.text
        );

        // Bad confirmations file nothing.
        for (body, field, code) in [
            (json!({"colour": "red"}), "colour", "unknown_field"),
            (
                json!({"received_at": "yesterday"}),
                "received_at",
                "invalid_time",
            ),
            (json!({"quantity": "-1"}), "quantity", "negative_quantity"),
        ] {
            let r = receipt_of(app, &c, &sale, &body);
            assert_eq!(r.status, 422, "{body}: {}", r.text);
            assert!(
                r.has_field_error(field, code),
                "{body}: {:?}",
                r.field_errors()
            );
        }
        assert!(purchases(app, &c).is_empty());

        let r = receipt_of(
            app,
            &c,
            &sale,
            &json!({"quantity": "9.5", "received_at": hours_ago(2), "warehouse": "二号库"}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            (&r.body["quantity_differs"], &r.body["entry"]["quantity"]),
            (&json!(true), &json!("9.500"))
        );
        assert_eq!(r.body["entry"]["warehouse"], "二号库");
        let out = items(&list(
            app,
            &c.seller_clerk,
            &c.seller,
            "outgoing",
            "status=quantity_differs",
        ));
        assert_eq!(out.len(), 1);
        assert!(items(&list(app, &c.buyer_clerk, &c.buyer, "incoming", "")).is_empty());
        let run = app.post(
            "/api/v1/custody/validations",
            Some(&c.regulator),
            &json!({}),
        );
        assert_eq!(
            run.body["findings_by_code"]["QUANTITY_MISMATCH"], 1,
            "{}",
            run.text
        );
    });
}

#[test]
fn only_the_buyer_confirms_and_only_once_even_when_two_clicks_race() {
    each_backend(|app| {
        let (c, sale) = dispatched(app, 1, "10");
        // Not addressed to a third firm; a production is no dispatch; an unknown id is nothing.
        let third = app.register_firm(&c.regulator, "霞浦县第三化工有限公司");
        let third_clerk = app.enterprise(&third);
        let path = format!(
            "/api/v1/firms/{third}/incoming/{}/receipt",
            sale["id"].as_str().unwrap()
        );
        assert_eq!(app.post(&path, Some(&third_clerk), &json!({})).status, 404);
        let production = &purchases_and_more(app, &c)[0];
        assert_eq!(receipt_of(app, &c, production, &json!({})).status, 404);
        assert_eq!(
            receipt_of(app, &c, &json!({"id": uuid_like()}), &json!({})).status,
            404
        );

        let statuses: Vec<u16> = std::thread::scope(|s| {
            let clicks: Vec<_> = (0..2)
                .map(|_| s.spawn(|| receipt_of(app, &c, &sale, &json!({})).status))
                .collect();
            clicks.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = statuses.clone();
        sorted.sort();
        assert_eq!(sorted, vec![201, 409], "{statuses:?}");
        assert_eq!(purchases(app, &c).len(), 1);
    });
}

#[test]
fn a_reversed_dispatch_leaves_the_inbox() {
    each_backend(|app| {
        let (c, sale) = dispatched(app, 1, "10");
        file(
            app,
            &c.seller_clerk,
            &c.seller,
            json!({"kind": "reversal", "reverses": sale["id"], "occurred_at": hours_ago(0)}),
        );
        assert!(items(&list(app, &c.buyer_clerk, &c.buyer, "incoming", "")).is_empty());
        assert_eq!(receipt_of(app, &c, &sale, &json!({})).status, 404);
    });
}

/// The seller's entries (its production first).
fn purchases_and_more(app: &TestApp, c: &Chain) -> Vec<Value> {
    items(&app.get(
        &format!("/api/v1/firms/{}/ledger", c.seller),
        Some(&c.regulator),
    ))
}

fn uuid_like() -> String {
    "01900000-0000-7000-8000-000000000000".into()
}

#[test]
fn a_refusal_shows_at_once_and_clears_when_the_goods_come_back() {
    each_backend(|app| {
        let (c, sale) = dispatched(app, 1, "10");
        let path = format!(
            "/api/v1/firms/{}/incoming/{}/refusal",
            c.buyer,
            sale["id"].as_str().unwrap()
        );
        let r = app.post(&path, Some(&c.buyer_clerk), &json!({"reason": "  "}));
        assert!(
            r.status == 422 && r.has_field_error("reason", "required"),
            "{}",
            r.text
        );
        let r = app.post(
            &path,
            Some(&c.buyer_clerk),
            &json!({"reason": "破损", "why": "x"}),
        );
        assert!(
            r.status == 422 && r.has_field_error("why", "unknown_field"),
            "{}",
            r.text
        );
        assert_eq!(
            app.post(&path, Some(&c.seller_clerk), &json!({"reason": "x"}))
                .status,
            404,
            "the seller cannot refuse for the buyer"
        );

        let r = app.post(
            &path,
            Some(&c.buyer_clerk),
            &json!({"reason": "包装破损，拒收"}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            (&r.body["status"], &r.body["refusal"]["reason"]),
            (&json!("refused"), &json!("包装破损，拒收"))
        );
        let again = app.post(&path, Some(&c.buyer_clerk), &json!({"reason": "再次"}));
        assert_eq!((again.status, again.code()), (409, "already_refused"));
        let receipt = receipt_of(app, &c, &sale, &json!({}));
        assert_eq!((receipt.status, receipt.code()), (409, "already_refused"));
        assert!(purchases(app, &c).is_empty());

        let inbox = items(&list(app, &c.buyer_clerk, &c.buyer, "incoming", ""));
        assert_eq!((inbox.len(), &inbox[0]["status"]), (1, &json!("refused")));
        assert!(items(&list(
            app,
            &c.buyer_clerk,
            &c.buyer,
            "incoming",
            "status=awaiting"
        ))
        .is_empty());
        let out = items(&list(
            app,
            &c.seller_clerk,
            &c.seller,
            "outgoing",
            "status=refused",
        ));
        assert_eq!(out[0]["refusal"]["reason"], "包装破损，拒收");
        let log = app.get("/api/v1/activity?action=refusal", Some(&c.regulator));
        let refused: Vec<Value> = items(&log)
            .into_iter()
            .filter(|l| l["status"] == 201)
            .collect();
        assert_eq!(refused.len(), 1, "one refusal recorded: {}", log.text);

        let run = app.post(
            "/api/v1/custody/validations",
            Some(&c.regulator),
            &json!({}),
        );
        assert_eq!(
            run.body["findings_by_code"],
            json!({"SHIPMENT_REFUSED": 1}),
            "{}",
            run.text
        );

        // The goods come back: the seller files its purchase back from the buyer.
        let back = file(
            app,
            &c.seller_clerk,
            &c.seller,
            json!({"kind": "purchase", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": "10", "occurred_at": hours_ago(0),
                   "counterparty": {"firm_id": c.buyer}}),
        );
        let out = items(&list(app, &c.seller_clerk, &c.seller, "outgoing", ""));
        assert_eq!(
            (&out[0]["status"], &out[0]["returned_by"]["entry_id"]),
            (&json!("returned"), &back["id"])
        );
        assert!(items(&list(app, &c.buyer_clerk, &c.buyer, "incoming", "")).is_empty());
        let run = app.post(
            "/api/v1/custody/validations",
            Some(&c.regulator),
            &json!({}),
        );
        assert_eq!(
            (
                &run.body["findings_by_code"],
                &run.body["resolved_findings"]
            ),
            (&json!({}), &json!(1)),
            "{}",
            run.text
        );
    });
}

#[test]
fn the_board_shows_every_shipment_with_its_state_to_regulators_only() {
    each_backend(|app| {
        let (c, on_the_road) = dispatched(app, 1, "10");
        let sale = |hours: i64, shipment: &str| {
            file(
                app,
                &c.seller_clerk,
                &c.seller,
                json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": "5", "occurred_at": hours_ago(hours),
                       "counterparty": {"firm_id": c.buyer}, "shipment_ref": shipment}),
            )
        };
        let late = sale(30, "YD-2");
        let arrived = sale(2, "YD-3");
        assert_eq!(receipt_of(app, &c, &arrived, &json!({})).status, 201);
        // A seller in another city (福鼎市) ships to the same buyer.
        let mut body = app.firm_body("福鼎市远方化工有限公司");
        body["region_code"] = json!("350982");
        let far = app.post("/api/v1/firms", Some(&c.regulator), &body).body["id"]
            .as_str()
            .unwrap()
            .to_string();
        let far_clerk = app.enterprise(&far);
        let far_sale = file(
            app,
            &far_clerk,
            &far,
            json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "quantity": "1", "occurred_at": hours_ago(1),
                   "counterparty": {"firm_id": c.buyer}}),
        );

        let board =
            |query: &str| app.get(&format!("/api/v1/shipments?{query}"), Some(&c.regulator));
        let r = board("");
        let states: BTreeSet<(String, String)> = items(&r)
            .iter()
            .map(|s| {
                (
                    s["dispatch_id"].as_str().unwrap().to_string(),
                    s["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let id = |v: &Value| v["id"].as_str().unwrap().to_string();
        assert_eq!(
            states,
            BTreeSet::from([
                (id(&on_the_road), "awaiting".into()),
                (id(&late), "overdue".into()),
                (id(&arrived), "received".into()),
                (id(&far_sale), "awaiting".into()),
            ])
        );
        assert!(r.body["as_of"].as_str().is_some());
        let only = |query: &str| {
            items(&board(query))
                .iter()
                .map(id_of)
                .collect::<BTreeSet<String>>()
        };
        assert_eq!(only("status=overdue"), BTreeSet::from([id(&late)]));
        assert_eq!(
            only("region_code=350900").len(),
            4,
            "the city holds both districts"
        );
        assert_eq!(only("region_code=350100"), BTreeSet::new());
        assert_eq!(
            only(&format!("from={}", hours_ago(3).replace('+', "%2B"))).len(),
            3
        );
        let paged = board("limit=3");
        assert_eq!(items(&paged).len(), 3);
        let rest = board(&format!(
            "limit=3&cursor={}",
            paged.body["next_cursor"].as_str().unwrap()
        ));
        assert_eq!(items(&rest).len(), 1);

        let summary = app.get("/api/v1/shipments/summary", Some(&c.regulator));
        assert_eq!(summary.status, 200, "{}", summary.text);
        assert_eq!(
            summary.body["by_status"],
            json!({"awaiting": 2, "overdue": 1, "received": 1})
        );
        let regions: Vec<&str> = summary.body["by_region"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["region_code"].as_str().unwrap())
            .collect();
        assert_eq!(regions, vec!["350902", "350982"]);

        let bad = board("status=lost&region_code=35");
        assert!(
            bad.status == 422
                && bad.has_field_error("status", "unknown_status")
                && bad.has_field_error("region_code", "invalid_region_code"),
            "{}",
            bad.text
        );
        for token in [&c.seller_clerk, &app.association()] {
            assert_eq!(app.get("/api/v1/shipments", Some(token)).status, 403);
            assert_eq!(
                app.get("/api/v1/shipments/summary", Some(token)).status,
                403
            );
        }
    });
}

fn id_of(v: &Value) -> String {
    v["dispatch_id"].as_str().unwrap().to_string()
}
