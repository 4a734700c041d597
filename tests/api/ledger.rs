use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::helpers::{each_backend, each_backend_with, TestApp};

/// Two firms (a seller and its buyer), an enterprise clerk for each, and the catalog ids used.
pub struct Chain {
    pub regulator: String,
    pub seller: String,
    pub buyer: String,
    pub seller_clerk: String,
    pub buyer_clerk: String,
    /// Acetic anhydride, category 2: filed by lot.
    pub anhydride: String,
    /// Acetone, category 3: lot optional.
    pub acetone: String,
}

pub fn chain(app: &TestApp) -> Chain {
    let regulator = app.regulator();
    let seller = app.register_firm(&regulator, "宁德市蕉城区化工原料有限公司");
    let buyer = app.register_firm(&regulator, "福安市制药有限公司");
    Chain {
        seller_clerk: app.enterprise(&seller),
        buyer_clerk: app.enterprise(&buyer),
        anhydride: app.chemical(&regulator, "108-24-7"),
        acetone: app.chemical(&regulator, "67-64-1"),
        regulator,
        seller,
        buyer,
    }
}

fn production(chemical: &str, lot: &str, quantity: &str) -> Value {
    json!({"kind": "production", "chemical_id": chemical, "lot": lot, "quantity": quantity, "occurred_at": "2026-03-01T08:00:00+08:00"})
}

fn ledger(firm: &str) -> String {
    format!("/api/v1/firms/{firm}/ledger")
}

fn file(app: &TestApp, token: &str, firm: &str, entry: &Value) -> crate::helpers::Response {
    app.post(&format!("/api/v1/firms/{firm}/ledger"), Some(token), entry)
}

pub(crate) fn with_key(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> crate::helpers::Response {
    let url = format!("{}{path}", app.base);
    let result = ureq::post(&url)
        .set("Authorization", &format!("Bearer {token}"))
        .set("Idempotency-Key", key)
        .send_json(body.clone());
    let response = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let status = response.status();
    let text = response.into_string().unwrap();
    crate::helpers::Response {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
        headers: vec![],
    }
}

/// The firm's whole ledger (up to 1000 entries) as `token` sees it.
fn entries(app: &TestApp, token: &str, firm: &str) -> Vec<Value> {
    app.entries(token, firm)
}

fn balance(
    app: &TestApp,
    token: &str,
    firm: &str,
    chemical: &str,
    lot: Option<&str>,
) -> Option<String> {
    let r = app.get(&format!("/api/v1/firms/{firm}/inventory"), Some(token));
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["chemical_id"] == chemical && i["lot"].as_str() == lot)
        .map(|i| i["quantity"].as_str().unwrap().to_string())
}

#[test]
fn filing_returns_a_receipt_and_the_entry_reads_back() {
    each_backend(|app| {
        let c = chain(app);
        let r = file(
            app,
            &c.seller_clerk,
            &c.seller,
            &production(&c.anhydride, "L2026-0301", "1000.5"),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["seq"], 1);
        assert_eq!(r.body["prev_hash"], "0".repeat(64));
        assert_eq!(r.body["hash"].as_str().unwrap().len(), 64);
        assert_eq!(r.body["quantity"], "1000.500");
        assert_eq!(r.body["occurred_at"], "2026-03-01T00:00:00Z");
        let id = r.body["id"].as_str().unwrap();

        let sale = json!({
            "kind": "sale", "payment": "bank_transfer", "chemical_id": c.anhydride, "lot": "L2026-0301", "quantity": "250",
            "occurred_at": "2026-03-02T09:00:00Z", "counterparty": {"firm_id": c.buyer},
            "shipment_ref": "YD-20260302-0001", "transport_permit_no": "闽运2026-17", "warehouse": "一号库", "note": "分装两桶",
        });
        let r2 = file(app, &c.seller_clerk, &c.seller, &sale);
        assert_eq!(r2.status, 201, "{}", r2.text);
        assert_eq!(
            (r2.body["seq"].as_i64(), r2.body["prev_hash"].as_str()),
            (Some(2), r.body["hash"].as_str())
        );
        assert_eq!(r2.body["counterparty"]["firm_id"], c.buyer.as_str());

        let got = app.get(&format!("{}/{id}", ledger(&c.seller)), Some(&c.regulator));
        assert_eq!(got.status, 200);
        assert_eq!(got.body, r.body);
        assert_eq!(
            balance(
                app,
                &c.seller_clerk,
                &c.seller,
                &c.anhydride,
                Some("L2026-0301")
            )
            .as_deref(),
            Some("750.500")
        );
        let verify = app.get(
            &format!("{}/verify", ledger(&c.seller)),
            Some(&c.seller_clerk),
        );
        assert_eq!(
            verify.body,
            json!({"ok": true, "entries": 2, "head_hash": r2.body["hash"]})
        );
    });
}

#[test]
fn each_filing_rule_is_refused_with_its_code_and_nothing_is_stored() {
    each_backend(|app| {
        let c = chain(app);
        let good = json!({
            "kind": "sale", "payment": "bank_transfer", "chemical_id": c.anhydride, "lot": "L1", "quantity": "10",
            "occurred_at": "2026-03-02T09:00:00Z", "counterparty": {"firm_id": c.buyer},
        });
        let cases: Vec<(&str, Value, &str)> = vec![
            ("quantity", json!("0"), "zero_quantity"),
            ("quantity", json!("-1"), "negative_quantity"),
            ("quantity", json!("1.2345"), "too_many_decimals"),
            ("quantity", json!("1e3"), "invalid_quantity"),
            ("quantity", json!(12.5), "invalid_type"),
            (
                "chemical_id",
                json!(uuid::Uuid::now_v7().to_string()),
                "unknown_chemical",
            ),
            ("lot", Value::Null, "lot_required"),
            ("counterparty", Value::Null, "required"),
            (
                "counterparty",
                json!({"firm_id": c.seller}),
                "self_counterparty",
            ),
            (
                "counterparty",
                json!({"firm_id": uuid::Uuid::now_v7().to_string()}),
                "unknown_firm",
            ),
            (
                "counterparty",
                json!({"name": "外地公司", "credit_code": "91350100M000100Y44"}),
                "invalid_credit_code_checksum",
            ),
            ("occurred_at", json!("2099-01-01T00:00:00Z"), "in_future"),
            ("occurred_at", json!("yesterday"), "invalid_time"),
            ("kind", json!("gift"), "unknown_kind"),
            ("payment", Value::Null, "required"),
            ("payment", json!("bitcoin"), "unknown_payment"),
            (
                "counterparty",
                json!({"kind": "individual", "name": "张三", "resident_id": "110105194912310021"}),
                "invalid_resident_id_checksum",
            ),
            (
                "counterparty",
                json!({"kind": "individual", "resident_id": "11010519491231002X"}),
                "required",
            ),
            (
                "counterparty",
                json!({"kind": "company", "name": "某公司"}),
                "unknown_counterparty_kind",
            ),
            (
                "reverses",
                json!(uuid::Uuid::now_v7().to_string()),
                "not_allowed",
            ),
        ];
        for (field, value, code) in cases {
            let mut body = good.clone();
            body[field] = value.clone();
            let r = file(app, &c.seller_clerk, &c.seller, &body);
            assert_eq!(r.status, 422, "{field}={value}: {}", r.text);
            assert!(
                r.field_errors().iter().any(|(_, c)| c == code),
                "{field}={value}: expected {code}, got {}",
                r.text
            );
        }
        // An unknown field is refused, not dropped.
        let mut extra = good.clone();
        extra["paymnet"] = json!("cash");
        let r = file(app, &c.seller_clerk, &c.seller, &extra);
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.has_field_error("paymnet", "unknown_field"), "{}", r.text);
        assert!(r.text.contains("unknown field `paymnet`"), "{}", r.text);
        let loss = json!({"kind": "loss", "chemical_id": c.acetone, "quantity": "1", "occurred_at": "2026-03-02T09:00:00Z"});
        let r = file(app, &c.seller_clerk, &c.seller, &loss);
        assert!(
            r.has_field_error("note", "loss_reason_required"),
            "{}",
            r.text
        );
        assert!(
            entries(app, &c.seller_clerk, &c.seller).is_empty(),
            "nothing was stored"
        );

        // A category-3 chemical needs no lot; a stocktake may count zero.
        let count = json!({"kind": "stocktake", "chemical_id": c.acetone, "quantity": "0", "occurred_at": "2026-03-02T09:00:00Z"});
        assert_eq!(file(app, &c.seller_clerk, &c.seller, &count).status, 201);
    });
}

#[test]
fn reversals_cancel_once_and_only_entries_of_the_same_firm() {
    each_backend(|app| {
        let c = chain(app);
        let made = file(
            app,
            &c.seller_clerk,
            &c.seller,
            &production(&c.anhydride, "L1", "100"),
        );
        let id = made.body["id"].as_str().unwrap().to_string();
        let reversal = |target: &str| json!({"kind": "reversal", "reverses": target, "occurred_at": "2026-03-03T00:00:00Z", "note": "数量录错"});
        let r = file(app, &c.seller_clerk, &c.seller, &reversal(&id));
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            (r.body["quantity"].as_str(), r.body["lot"].as_str()),
            (Some("100.000"), Some("L1")),
            "copied from the target"
        );
        assert_eq!(
            balance(app, &c.seller_clerk, &c.seller, &c.anhydride, Some("L1")),
            None,
            "the reversed entry no longer counts"
        );

        let again = file(app, &c.seller_clerk, &c.seller, &reversal(&id));
        assert!(
            again.has_field_error("reverses", "already_reversed"),
            "{}",
            again.text
        );
        let of_reversal = file(
            app,
            &c.seller_clerk,
            &c.seller,
            &reversal(r.body["id"].as_str().unwrap()),
        );
        assert!(
            of_reversal.has_field_error("reverses", "cannot_reverse_reversal"),
            "{}",
            of_reversal.text
        );
        // The buyer cannot reverse the seller's entry: to the buyer it does not exist.
        let foreign = file(app, &c.buyer_clerk, &c.buyer, &reversal(&id));
        assert!(
            foreign.has_field_error("reverses", "unknown_entry"),
            "{}",
            foreign.text
        );
        let with_quantity = json!({"kind": "reversal", "reverses": id, "quantity": "5", "occurred_at": "2026-03-03T00:00:00Z"});
        assert!(file(app, &c.seller_clerk, &c.seller, &with_quantity)
            .has_field_error("quantity", "not_allowed_for_reversal"));
    });
}

#[test]
fn a_suspended_firm_may_count_and_report_losses_but_not_trade() {
    each_backend(|app| {
        let c = chain(app);
        app.patch(
            &format!("/api/v1/firms/{}", c.seller),
            Some(&c.regulator),
            &json!({"status": "suspended", "reason": "停业整顿"}),
        );
        let r = file(
            app,
            &c.seller_clerk,
            &c.seller,
            &production(&c.anhydride, "L1", "1"),
        );
        assert_eq!((r.status, r.code()), (409, "firm_not_active"));
        let count = json!({"kind": "stocktake", "chemical_id": c.acetone, "quantity": "3", "occurred_at": "2026-03-02T09:00:00Z"});
        assert_eq!(file(app, &c.seller_clerk, &c.seller, &count).status, 201);
        let loss = json!({"kind": "loss", "chemical_id": c.acetone, "quantity": "1", "occurred_at": "2026-03-02T10:00:00Z", "note": "泄漏"});
        assert_eq!(file(app, &c.seller_clerk, &c.seller, &loss).status, 201);
    });
}

#[test]
fn another_firms_ledger_is_invisible() {
    each_backend(|app| {
        let c = chain(app);
        let made = file(
            app,
            &c.seller_clerk,
            &c.seller,
            &production(&c.anhydride, "L1", "100"),
        );
        let id = made.body["id"].as_str().unwrap();
        let seller_ledger = ledger(&c.seller);
        for path in [
            seller_ledger.clone(),
            format!("{seller_ledger}/{id}"),
            format!("{seller_ledger}/verify"),
            format!("/api/v1/firms/{}/inventory", c.seller),
        ] {
            let r = app.get(&path, Some(&c.buyer_clerk));
            assert_eq!(r.status, 404, "{path}: {}", r.text);
            assert!(!r.text.contains(id));
        }
        assert_eq!(
            file(
                app,
                &c.buyer_clerk,
                &c.seller,
                &production(&c.anhydride, "L9", "1")
            )
            .status,
            404
        );
        let batch = app.post(
            &format!("{seller_ledger}/batch"),
            Some(&c.buyer_clerk),
            &json!({"entries": []}),
        );
        assert_eq!(batch.status, 404);
        // The entry is not reachable under the buyer's own firm either.
        assert_eq!(
            app.get(&format!("{}/{id}", ledger(&c.buyer)), Some(&c.buyer_clerk))
                .status,
            404
        );
        // Regulators read; they do not file.
        assert_eq!(app.get(&seller_ledger, Some(&c.regulator)).status, 200);
        assert_eq!(
            file(
                app,
                &c.regulator,
                &c.seller,
                &production(&c.anhydride, "L9", "1")
            )
            .status,
            403
        );
        let association = app.association();
        assert_eq!(app.get(&seller_ledger, Some(&association)).status, 403);
    });
}

#[test]
fn an_idempotent_retry_files_nothing_twice() {
    each_backend(|app| {
        let c = chain(app);
        let path = ledger(&c.seller);
        let body = production(&c.anhydride, "L1", "100");
        let first = with_key(app, &path, &c.seller_clerk, "clerk-pc-0001", &body);
        assert_eq!(first.status, 201, "{}", first.text);
        let retry = with_key(app, &path, &c.seller_clerk, "clerk-pc-0001", &body);
        assert_eq!(retry.status, 201);
        assert_eq!(retry.body, first.body, "the original response");
        assert_eq!(entries(app, &c.seller_clerk, &c.seller).len(), 1);
        let different = with_key(
            app,
            &path,
            &c.seller_clerk,
            "clerk-pc-0001",
            &production(&c.anhydride, "L1", "101"),
        );
        assert_eq!(different.status, 422);
        assert!(
            different.text.contains("idempotency_key_reused"),
            "{}",
            different.text
        );
        // Keys are per firm: the buyer may use the same key.
        let buyer = with_key(
            app,
            &ledger(&c.buyer),
            &c.buyer_clerk,
            "clerk-pc-0001",
            &production(&c.anhydride, "L1", "100"),
        );
        assert_eq!(buyer.status, 201);

        let batch_path = format!("{path}/batch");
        let batch = json!({"entries": [production(&c.acetone, "A", "1"), production(&c.acetone, "A", "2")]});
        let b1 = with_key(app, &batch_path, &c.seller_clerk, "batch-7", &batch);
        let b2 = with_key(app, &batch_path, &c.seller_clerk, "batch-7", &batch);
        assert_eq!((b1.status, b2.status), (201, 201));
        assert_eq!(b1.body, b2.body);
        assert_eq!(entries(app, &c.seller_clerk, &c.seller).len(), 3);
    });
}

#[test]
fn a_batch_is_all_or_nothing_and_names_bad_items_by_index() {
    each_backend(|app| {
        let c = chain(app);
        let path = format!("{}/batch", ledger(&c.seller));
        let mut items: Vec<Value> = (0..10)
            .map(|i| production(&c.acetone, "A", &format!("{}.5", i + 1)))
            .collect();
        items[3]["quantity"] = json!("abc");
        items[7]["lot"] = Value::Null;
        items[7]["chemical_id"] = json!(c.anhydride);
        let r = app.post(&path, Some(&c.seller_clerk), &json!({"entries": items}));
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.has_field_error("entries[3].quantity", "invalid_quantity"),
            "{}",
            r.text
        );
        assert!(
            r.has_field_error("entries[7].lot", "lot_required"),
            "{}",
            r.text
        );
        assert!(entries(app, &c.seller_clerk, &c.seller).is_empty());

        items[3]["quantity"] = json!("4.5");
        items[7]["lot"] = json!("L7");
        let r = app.post(&path, Some(&c.seller_clerk), &json!({"entries": items}));
        assert_eq!(r.status, 201, "{}", r.text);
        let receipts = r.body["items"].as_array().unwrap();
        assert_eq!(
            receipts
                .iter()
                .map(|x| x["seq"].as_i64().unwrap())
                .collect::<Vec<_>>(),
            (1..=10).collect::<Vec<_>>()
        );
        for pair in receipts.windows(2) {
            assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
        }
        let too_many: Vec<Value> = (0..1001)
            .map(|_| production(&c.acetone, "A", "1"))
            .collect();
        let r = app.post(&path, Some(&c.seller_clerk), &json!({"entries": too_many}));
        assert!(
            r.has_field_error("entries", "too_many_entries"),
            "{}",
            r.text
        );
        let r = app.post(&path, Some(&c.seller_clerk), &json!({"entries": [1]}));
        assert!(
            r.has_field_error("entries[0]", "invalid_type"),
            "{}",
            r.text
        );
    });
}

#[test]
fn listing_filters_and_pages_by_seq() {
    each_backend(|app| {
        let c = chain(app);
        let mut batch: Vec<Value> = (0..5)
            .map(|i| production(&c.acetone, "A", &format!("{}", i + 1)))
            .collect();
        batch.push(production(&c.anhydride, "L2", "9"));
        batch[2]["occurred_at"] = json!("2026-04-01T00:00:00Z");
        let r = app.post(
            &format!("{}/batch", ledger(&c.seller)),
            Some(&c.seller_clerk),
            &json!({"entries": batch}),
        );
        assert_eq!(r.status, 201);
        let base = ledger(&c.seller);
        let get = |query: &str| app.get(&format!("{base}?{query}"), Some(&c.regulator));
        assert_eq!(
            get(&format!("chemical_id={}", c.anhydride)).body["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(get("lot=A").body["items"].as_array().unwrap().len(), 5);
        assert_eq!(get("kind=sale").body["items"].as_array().unwrap().len(), 0);
        assert_eq!(
            get("from=2026-03-15T00:00:00Z").body["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            get("to=2026-03-15T00:00:00Z").body["items"]
                .as_array()
                .unwrap()
                .len(),
            5
        );
        let page1 = get("limit=4");
        assert_eq!(page1.body["items"].as_array().unwrap().len(), 4);
        let cursor = page1.body["next_cursor"].as_str().unwrap();
        let page2 = get(&format!("limit=4&cursor={cursor}"));
        assert_eq!(page2.body["items"][0]["seq"], 5);
        assert_eq!(page2.body["next_cursor"], Value::Null);
        assert!(get("kind=gift").has_field_error("kind", "unknown_kind"));
        assert!(get("from=soon").has_field_error("from", "invalid_time"));
    });
}

#[test]
fn inventory_as_of_follows_business_time_and_stocktakes() {
    each_backend(|app| {
        let c = chain(app);
        let at = |t: &str, mut e: Value| {
            e["occurred_at"] = json!(t);
            e
        };
        let batch = json!({"entries": [
            at("2026-01-01T00:00:00Z", production(&c.acetone, "A", "100")),
            at("2026-01-05T00:00:00Z", json!({"kind": "consumption", "chemical_id": c.acetone, "lot": "A", "quantity": "30"})),
            at("2026-01-10T00:00:00Z", json!({"kind": "stocktake", "chemical_id": c.acetone, "lot": "A", "quantity": "69.5"})),
            at("2026-01-12T00:00:00Z", json!({"kind": "disposal", "chemical_id": c.acetone, "lot": "A", "quantity": "0.5"})),
        ]});
        assert_eq!(
            app.post(
                &format!("{}/batch", ledger(&c.seller)),
                Some(&c.seller_clerk),
                &json!(batch)
            )
            .status,
            201
        );
        let inv = |as_of: &str| {
            let r = app.get(
                &format!("/api/v1/firms/{}/inventory?as_of={as_of}", c.seller),
                Some(&c.regulator),
            );
            r.body["items"][0]["quantity"].as_str().map(str::to_string)
        };
        assert_eq!(inv("2026-01-04T00:00:00Z").as_deref(), Some("100.000"));
        assert_eq!(inv("2026-01-06T00:00:00Z").as_deref(), Some("70.000"));
        assert_eq!(inv("2026-01-11T00:00:00Z").as_deref(), Some("69.500"));
        assert_eq!(inv("2026-02-01T00:00:00Z").as_deref(), Some("69.000"));
        let r = app.get(
            &format!("/api/v1/firms/{}/inventory?as_of=later", c.seller),
            Some(&c.regulator),
        );
        assert!(r.has_field_error("as_of", "invalid_time"));
    });
}

#[test]
fn sixty_four_concurrent_filers_get_seq_without_holes() {
    each_backend(|app| {
        let c = chain(app);
        let path = ledger(&c.seller);
        std::thread::scope(|scope| {
            for i in 0..64 {
                let (path, token, chemical) = (&path, &c.seller_clerk, &c.acetone);
                scope.spawn(move || {
                    let r = app.post(
                        path,
                        Some(token),
                        &production(chemical, "A", &format!("{}", i + 1)),
                    );
                    assert_eq!(r.status, 201, "{}", r.text);
                });
            }
        });
        let all = entries(app, &c.seller_clerk, &c.seller);
        let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, (1..=64).collect::<Vec<_>>());
        let verify = app.get(&format!("{path}/verify"), Some(&c.regulator));
        assert_eq!(
            (verify.body["ok"].as_bool(), verify.body["entries"].as_u64()),
            (Some(true), Some(64)),
            "{}",
            verify.text
        );
        // 1 + 2 + … + 64 = 2080
        assert_eq!(
            balance(app, &c.seller_clerk, &c.seller, &c.acetone, Some("A")).as_deref(),
            Some("2080.000")
        );
    });
}

#[test]
fn a_row_altered_behind_the_api_fails_verification_at_its_seq() {
    each_backend(|app| {
        let c = chain(app);
        let batch: Vec<Value> = (0..5)
            .map(|i| production(&c.acetone, "A", &format!("{}", i + 1)))
            .collect();
        assert_eq!(
            app.post(
                &format!("{}/batch", ledger(&c.seller)),
                Some(&c.seller_clerk),
                &json!({"entries": batch})
            )
            .status,
            201
        );
        let verify = || {
            app.get(&format!("{}/verify", ledger(&c.seller)), Some(&c.regulator))
                .body
        };
        assert_eq!(verify()["ok"], true);

        let mut conn = app.direct_connection();
        let changed = diesel::sql_query(format!(
            "UPDATE ledger_entries SET quantity = 3500 WHERE firm_id = '{}' AND seq = 3",
            c.seller
        ))
        .execute(&mut conn)
        .unwrap();
        assert_eq!(changed, 1);
        let report = verify();
        assert_eq!(
            (report["ok"].as_bool(), report["first_bad_seq"].as_i64()),
            (Some(false), Some(3)),
            "{report}"
        );

        // The CLI reports the same break and exits non-zero.
        let url = match &app.database_url {
            precursor_registry::db::DatabaseUrl::Sqlite(path) => {
                format!("sqlite://{}", path.display())
            }
            precursor_registry::db::DatabaseUrl::Postgres(url) => url.clone(),
        };
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_precursor-registry"))
            .args(["verify", "--database-url", &url, "--firm-id", &c.seller])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("first bad seq 3"), "{stdout}");
    });
}

fn export_csv(app: &TestApp, token: &str, firm: &str) -> String {
    let url = format!("{}/api/v1/firms/{firm}/ledger", app.base);
    let response = ureq::get(&url)
        .set("Authorization", &format!("Bearer {token}"))
        .set("Accept", "text/csv")
        .call()
        .unwrap();
    assert!(response.content_type().starts_with("text/csv"));
    response.into_string().unwrap()
}

fn import_csv(app: &TestApp, token: &str, firm: &str, csv: &str) -> crate::helpers::Response {
    app.request(
        "POST",
        &format!("/api/v1/firms/{firm}/ledger/import"),
        Some(token),
        Some(csv),
        Some("text/csv"),
    )
}

#[test]
fn csv_export_imports_into_a_fresh_firm_with_the_same_balances() {
    each_backend(|app| {
        let c = chain(app);
        let at = |t: &str, mut e: Value| {
            e["occurred_at"] = json!(t);
            e
        };
        let batch = json!({"entries": [
            at("2026-01-01T00:00:00Z", production(&c.anhydride, "批次-甲", "500")),
            at("2026-01-02T00:00:00Z", json!({"kind": "purchase", "payment": "bank_transfer", "chemical_id": c.acetone, "quantity": "80.25",
                "counterparty": {"name": "宁德市外地化工有限公司", "credit_code": crate::helpers::credit_code(777), "permit_no": "闽(三)购备2026-9"},
                "note": "含\"引号\", 逗号,\n和换行"})),
            at("2026-01-03T00:00:00Z", json!({"kind": "consumption", "chemical_id": c.anhydride, "lot": "批次-甲", "quantity": "120.125", "warehouse": "甲类仓库"})),
            at("2026-01-04T00:00:00Z", json!({"kind": "loss", "chemical_id": c.acetone, "quantity": "0.25", "note": "搬运时桶体破损"})),
        ]});
        let r = app.post(
            &format!("{}/batch", ledger(&c.seller)),
            Some(&c.seller_clerk),
            &batch,
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let wrong = r.body["items"][2]["id"].as_str().unwrap().to_string();
        let reversal = json!({"kind": "reversal", "reverses": wrong, "occurred_at": "2026-01-05T00:00:00Z", "note": "数量有误"});
        assert_eq!(file(app, &c.seller_clerk, &c.seller, &reversal).status, 201);
        let fixed = json!({"kind": "consumption", "chemical_id": c.anhydride, "lot": "批次-甲", "quantity": "102.125", "occurred_at": "2026-01-03T00:00:00Z"});
        assert_eq!(file(app, &c.seller_clerk, &c.seller, &fixed).status, 201);

        let csv = export_csv(app, &c.seller_clerk, &c.seller);
        assert!(csv.starts_with('\u{feff}'), "UTF-8 BOM for Excel");
        assert!(csv.contains("醋酸酐") && csv.contains("搬运时桶体破损"));
        assert_eq!(
            csv.lines().next().unwrap().trim_start_matches('\u{feff}'),
            precursor_registry::ledger::csv::COLUMNS.join(",")
        );

        let fresh = app.register_firm(&c.regulator, "新建企业");
        let fresh_clerk = app.enterprise(&fresh);
        let r = import_csv(app, &fresh_clerk, &fresh, &csv);
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["items"].as_array().unwrap().len(), 6);
        let inventory = |token: &str, firm: &str| {
            app.get(&format!("/api/v1/firms/{firm}/inventory"), Some(token))
                .body["items"]
                .clone()
        };
        assert_eq!(
            inventory(&fresh_clerk, &fresh),
            inventory(&c.seller_clerk, &c.seller)
        );
        assert_eq!(
            balance(app, &fresh_clerk, &fresh, &c.anhydride, Some("批次-甲")).as_deref(),
            Some("397.875")
        );
        let imported = entries(app, &fresh_clerk, &fresh);
        assert_eq!(imported[1]["note"], "含\"引号\", 逗号,\n和换行");
        assert_eq!(
            imported[4]["reverses"], imported[2]["id"],
            "the reversal points at the imported copy"
        );
    });
}

#[test]
fn a_bad_csv_names_rows_and_columns_and_files_nothing() {
    each_backend(|app| {
        let c = chain(app);
        let csv = "kind,cas,lot,quantity,occurred_at,note\n\
                   production,67-64-1,A,10,2026-01-01T00:00:00Z,\n\
                   production,67-64-1,A,ten,2026-01-01T00:00:00Z,\n\
                   loss,67-64-1,A,1,2026-01-02T00:00:00Z,\n\
                   production,108-24-7,,5,2026-01-01T00:00:00Z,\n";
        let r = import_csv(app, &c.seller_clerk, &c.seller, csv);
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.has_field_error("row 3.quantity", "invalid_quantity"),
            "{}",
            r.text
        );
        assert!(
            r.has_field_error("row 4.note", "loss_reason_required"),
            "{}",
            r.text
        );
        assert!(r.has_field_error("row 5.lot", "lot_required"), "{}", r.text);
        assert!(entries(app, &c.seller_clerk, &c.seller).is_empty());
        let r = import_csv(app, &c.seller_clerk, &c.seller, "what,ever\n1,2\n");
        assert!(
            r.has_field_error("row 1.kind", "missing_column"),
            "{}",
            r.text
        );
    });
}

#[test]
fn the_cli_imports_a_csv_for_a_firm() {
    let app = TestApp::spawn(&crate::helpers::Backend::Sqlite);
    let c = chain(&app);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("台账.csv");
    std::fs::write(&file, "\u{feff}kind,cas,lot,quantity,occurred_at\nproduction,67-64-1,A,10.5,2026-01-01T00:00:00Z\n").unwrap();
    let url = match &app.database_url {
        precursor_registry::db::DatabaseUrl::Sqlite(path) => path.display().to_string(),
        precursor_registry::db::DatabaseUrl::Postgres(url) => url.clone(),
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_precursor-registry"))
        .args(["import", "--firm-id", &c.seller, "--database-url", &url])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("filed 1 entries, seq 1–1"));
    assert_eq!(
        balance(&app, &c.seller_clerk, &c.seller, &c.acetone, Some("A")).as_deref(),
        Some("10.500")
    );
}

#[test]
fn control_characters_are_refused_not_stored_and_never_a_500() {
    each_backend(|app| {
        let c = chain(app);
        let mut entry = production(&c.anhydride, "L\u{0}1", "1");
        let r = file(app, &c.seller_clerk, &c.seller, &entry);
        assert!(r.has_field_error("lot", "control_characters"), "{}", r.text);
        entry["lot"] = json!("L1");
        entry["note"] = json!("bad\u{7}bell");
        assert!(file(app, &c.seller_clerk, &c.seller, &entry)
            .has_field_error("note", "control_characters"));
        let mut firm = app.firm_body("名\u{0}称");
        firm["address"] = json!("地址");
        let r = app.post("/api/v1/firms", Some(&c.regulator), &firm);
        assert!(
            r.has_field_error("name", "control_characters"),
            "{}",
            r.text
        );
        // In a query parameter it is the client's mistake, not the server's.
        let r = app.get(
            &format!("{}?lot=%00", ledger(&c.seller)),
            Some(&c.regulator),
        );
        assert!(r.status < 500, "{} {}", r.status, r.text);
        let r = app.get("/api/v1/chemicals?q=%00", Some(&c.regulator));
        assert!(r.status < 500, "{} {}", r.status, r.text);
        assert!(entries(app, &c.seller_clerk, &c.seller).is_empty());
    });
}

/// Issue 16: `occurred_at` has a floor (docs/ledger.md): an entry dated before
/// 2000-01-01T00:00:00Z is refused with `too_early`, naming the floor; the floor itself is
/// accepted.
#[test]
fn an_entry_dated_before_the_floor_is_refused() {
    each_backend(|app| {
        let c = chain(app);
        for early in [
            "0000-01-01T00:00:00Z",
            "1899-12-31T23:59:59+08:00",
            "1999-12-31T23:59:59Z",
            "2000-01-01T07:59:59+08:00",
        ] {
            let mut entry = production(&c.acetone, "L1", "1");
            entry["occurred_at"] = json!(early);
            let r = file(app, &c.seller_clerk, &c.seller, &entry);
            assert!(
                r.has_field_error("occurred_at", "too_early"),
                "{early}: {}",
                r.text
            );
            assert!(r.text.contains("2000-01-01"), "{}", r.text);
        }
        assert!(entries(app, &c.seller_clerk, &c.seller).is_empty());
        let mut entry = production(&c.acetone, "L1", "1");
        entry["occurred_at"] = json!("2000-01-01T00:00:00Z");
        let r = file(app, &c.seller_clerk, &c.seller, &entry);
        assert_eq!(r.status, 201, "{}", r.text);
    });
}

/// Issue 16: the floor is the deployment's setting (`PRECURSOR_OCCURRED_AT_FLOOR`): a day
/// before a later floor is refused on every way of filing (one entry, a batch, a receipt), the
/// floor itself is accepted.
#[test]
fn a_deployment_s_own_floor_is_kept_on_both_sides() {
    let floor = precursor_registry::domain::time::OccurredAtFloor::parse("2024-12-01").unwrap();
    each_backend_with(
        |settings| settings.occurred_at_floor = floor,
        |app| {
            let c = chain(app);
            let mut entry = production(&c.acetone, "L1", "5");
            entry["occurred_at"] = json!("2024-12-01T07:59:59.999+08:00");
            let r = file(app, &c.seller_clerk, &c.seller, &entry);
            assert!(r.has_field_error("occurred_at", "too_early"), "{}", r.text);
            assert!(r.text.contains("2024-12-01T00:00:00Z"), "{}", r.text);
            let batch = app.post(
                &format!("{}/batch", ledger(&c.seller)),
                Some(&c.seller_clerk),
                &json!({"entries": [entry]}),
            );
            assert!(
                batch.has_field_error("entries[0].occurred_at", "too_early"),
                "{}",
                batch.text
            );
            assert!(entries(app, &c.seller_clerk, &c.seller).is_empty());
            entry["occurred_at"] = json!("2024-12-01T08:00:00+08:00");
            let r = file(app, &c.seller_clerk, &c.seller, &entry);
            assert_eq!(r.status, 201, "{}", r.text);
            // A receipt confirmed with a time before the floor is refused as well.
            let sale = app.post(
                &ledger(&c.seller),
                Some(&c.seller_clerk),
                &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": "5",
                        "occurred_at": chrono::Utc::now().to_rfc3339(), "counterparty": {"firm_id": c.buyer}, "shipment_ref": "YD-FLOOR"}),
            );
            assert_eq!(sale.status, 201, "{}", sale.text);
            let receipt = format!(
                "/api/v1/firms/{}/incoming/{}/receipt",
                c.buyer,
                sale.body["id"].as_str().unwrap()
            );
            let r = app.post(
                &receipt,
                Some(&c.buyer_clerk),
                &json!({"received_at": "2024-11-30T00:00:00Z"}),
            );
            assert_eq!(r.status, 422, "{}", r.text);
            assert!(r.text.contains("too_early"), "{}", r.text);
            let r = app.post(
                &receipt,
                Some(&c.buyer_clerk),
                &json!({"received_at": chrono::Utc::now().to_rfc3339()}),
            );
            assert_eq!(r.status, 201, "{}", r.text);
        },
    );
}

/// Issue 16: every answer carrying ledger data is `Cache-Control: no-store` (the list in each
/// format, an entry, its proof, the export, inventory, incoming, outgoing, findings, the trace
/// and the console's ledger page); the public transparency key is not.
#[test]
fn answers_with_ledger_data_are_not_stored_by_caches() {
    each_backend(|app| {
        let c = chain(app);
        let r = file(
            app,
            &c.seller_clerk,
            &c.seller,
            &production(&c.acetone, "L1", "10"),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let entry = r.body["id"].as_str().unwrap().to_string();
        let firm = &c.seller;
        let paths = [
            format!("/api/v1/firms/{firm}/ledger"),
            format!("/api/v1/firms/{firm}/ledger?format=csv"),
            format!("/api/v1/firms/{firm}/ledger?format=xlsx"),
            format!("/api/v1/firms/{firm}/ledger?format=epcis"),
            format!("/api/v1/firms/{firm}/ledger/{entry}"),
            format!("/api/v1/firms/{firm}/ledger/{entry}/proof"),
            format!("/api/v1/firms/{firm}/ledger/export"),
            format!("/api/v1/firms/{firm}/ledger/verify"),
            format!("/api/v1/firms/{firm}/inventory"),
            format!("/api/v1/firms/{firm}/incoming"),
            format!("/api/v1/firms/{firm}/outgoing"),
            "/api/v1/custody/findings".to_string(),
            format!("/api/v1/custody/trace?chemical_id={}&lot=L1", c.acetone),
        ];
        for path in &paths {
            let r = app.get(path, Some(&c.regulator));
            assert_eq!(r.status, 200, "{path}: {}", r.text);
            assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
        }
        // A refusal is no-store too (it may name what exists).
        let r = app.get(&format!("/api/v1/firms/{firm}/ledger/{entry}"), None);
        assert_eq!(
            (r.status, r.header("cache-control")),
            (401, Some("no-store"))
        );
        // The console's ledger page.
        let (clerk, _) = app.create_user("enterprise", Some(firm));
        let mut v = crate::visitor::Visitor::new(app, "zh-CN");
        assert_eq!(v.sign_in(&clerk, crate::helpers::PASSWORD).status, 303);
        let page = v.get("/ledger");
        assert_eq!(page.status, 200, "{}", page.text);
        assert_eq!(page.cache_control.as_deref(), Some("no-store"));
        // Public, signed and the same for everyone: caches may keep it.
        let key = app.get("/api/v1/transparency/key", None);
        assert_eq!(key.status, 200, "{}", key.text);
        assert_ne!(key.header("cache-control"), Some("no-store"));
    });
}
