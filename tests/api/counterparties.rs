//! The counterparty check before a sale: registered, active, a purchase right for the chemical on
//! that date, and what is left of its limit; nothing else about the firm.

use std::collections::BTreeSet;

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::helpers::{credit_code, each_backend, Response, TestApp};

/// A seller's clerk about to sell, a buyer firm (id and credit code), and the catalog ids used.
struct Market {
    regulator: String,
    seller_clerk: String,
    buyer: String,
    buyer_code: String,
    buyer_clerk: String,
    /// Safrole, category 1.
    safrole: String,
    /// Acetic anhydride, category 2.
    anhydride: String,
}

fn market(app: &TestApp) -> Market {
    let regulator = app.regulator();
    let seller = app.register_firm(&regulator, "宁德市蕉城区化工原料有限公司");
    let r = app.post(
        "/api/v1/firms",
        Some(&regulator),
        &app.firm_body("福安市制药有限公司"),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let buyer = r.body["id"].as_str().unwrap().to_string();
    Market {
        seller_clerk: app.enterprise(&seller),
        buyer_code: r.body["credit_code"].as_str().unwrap().to_string(),
        buyer_clerk: app.enterprise(&buyer),
        buyer,
        safrole: app.chemical(&regulator, "94-59-7"),
        anhydride: app.chemical(&regulator, "108-24-7"),
        regulator,
    }
}

fn days(n: i64) -> String {
    (Utc::now() + Duration::days(n)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn hours(n: i64) -> String {
    (Utc::now() + Duration::hours(n)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Registers a permit of the buyer valid from `from` to `until` days from now.
fn permit(
    app: &TestApp,
    m: &Market,
    kind: &str,
    number: &str,
    chemical: &str,
    limit: Option<&str>,
    (from, until): (i64, i64),
) {
    let mut body = json!({"kind": kind, "number": number, "chemical_ids": [chemical],
                          "valid_from": days(from), "valid_until": days(until)});
    if let Some(limit) = limit {
        body["quantity_limit"] = json!(limit);
    }
    let r = app.post(
        &format!("/api/v1/firms/{}/permits", m.buyer),
        Some(&m.regulator),
        &body,
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

/// The buyer files a purchase from an outside seller, an hour ago unless `at` says otherwise.
fn purchase(
    app: &TestApp,
    m: &Market,
    chemical: &str,
    quantity: &str,
    permit_no: Option<&str>,
    at: &str,
) {
    let r = app.post(
        &format!("/api/v1/firms/{}/ledger", m.buyer),
        Some(&m.buyer_clerk),
        &json!({"kind": "purchase", "payment": "bank_transfer", "chemical_id": chemical, "lot": "L1", "quantity": quantity,
                "occurred_at": at, "permit_no": permit_no,
                "counterparty": {"name": "外省化工", "credit_code": credit_code(9_000_000), "permit_no": "X-1"}}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

fn check(app: &TestApp, token: &str, query: &str) -> Response {
    app.get(
        &format!("/api/v1/counterparties/check?{query}"),
        Some(token),
    )
}

/// The answer about `code` for `chemical` (on `on` if given), which must be a 200.
fn answer(app: &TestApp, token: &str, code: &str, chemical: &str, on: Option<&str>) -> Value {
    let on = on.map(|on| format!("&on={on}")).unwrap_or_default();
    let r = check(
        app,
        token,
        &format!("credit_code={code}&chemical_id={chemical}{on}"),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

fn validate_and_count(app: &TestApp, m: &Market, code: &str) -> usize {
    let r = app.post(
        "/api/v1/custody/validations",
        Some(&m.regulator),
        &json!({}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app.get(
        &format!("/api/v1/custody/findings?firm_id={}&code={code}", m.buyer),
        Some(&m.regulator),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().len()
}

#[test]
fn an_active_permit_says_may_buy_with_its_number_and_what_is_left() {
    each_backend(|app| {
        let m = market(app);
        permit(
            app,
            &m,
            "purchase_permit",
            "闽宁易制购〔2026〕0001号",
            &m.safrole,
            Some("100"),
            (-365, 365),
        );
        purchase(
            app,
            &m,
            &m.safrole,
            "30",
            Some("闽宁易制购〔2026〕0001号"),
            &hours(-1),
        );

        let a = answer(app, &m.seller_clerk, &m.buyer_code, &m.safrole, None);
        assert_eq!(
            (
                a["registered"].as_bool(),
                a["active"].as_bool(),
                a["may_buy"].as_bool()
            ),
            (Some(true), Some(true), Some(true)),
            "{a}"
        );
        assert_eq!(
            a["firm_id"],
            m.buyer.as_str(),
            "the seller files its sale to this id"
        );
        assert_eq!(a["name"], "福安市制药有限公司");
        assert_eq!(a["chemical_id"], m.safrole.as_str());
        let permits = a["permits"].as_array().unwrap();
        assert_eq!(permits.len(), 1, "{a}");
        let p = &permits[0];
        assert_eq!(
            (p["number"].as_str(), p["kind"].as_str()),
            (Some("闽宁易制购〔2026〕0001号"), Some("purchase_permit"))
        );
        assert_eq!(
            (p["quantity_limit"].as_str(), p["remaining"].as_str()),
            (Some("100.000"), Some("70.000")),
            "the purchase filed under it draws on the limit"
        );
        assert!(p["valid_from"].as_str().is_some() && p["valid_until"].as_str().is_some());

        // The enterprise learns exactly the documented fields, and nothing else of the buyer.
        assert_eq!(
            keys(&a),
            set(&[
                "registered",
                "firm_id",
                "name",
                "active",
                "chemical_id",
                "on",
                "may_buy",
                "permits"
            ])
        );
        assert_eq!(
            keys(p),
            set(&[
                "number",
                "kind",
                "valid_from",
                "valid_until",
                "quantity_limit",
                "remaining"
            ])
        );
        assert_eq!(
            answer(app, &m.regulator, &m.buyer_code, &m.safrole, None)["permits"],
            a["permits"],
            "a regulator gets the same answer"
        );

        // Two days ago (a plain date is the start of that day) nothing had been drawn yet.
        let day = (Utc::now() - Duration::days(2))
            .format("%Y-%m-%d")
            .to_string();
        let before = answer(app, &m.seller_clerk, &m.buyer_code, &m.safrole, Some(&day));
        assert_eq!(before["on"], format!("{day}T00:00:00Z"));
        assert_eq!(before["permits"][0]["remaining"], "100.000");
        assert_eq!(before["may_buy"], true);
        // A lower-case code is the same code.
        let lower = m.buyer_code.to_lowercase();
        assert_eq!(
            answer(app, &m.seller_clerk, &lower, &m.safrole, None)["registered"],
            true
        );
    });
}

#[test]
fn an_expired_permit_gives_no_purchase_right_now_but_did_then() {
    each_backend(|app| {
        let m = market(app);
        permit(
            app,
            &m,
            "purchase_permit",
            "P-OLD",
            &m.safrole,
            None,
            (-400, -35),
        );
        let a = answer(app, &m.seller_clerk, &m.buyer_code, &m.safrole, None);
        assert_eq!(
            (
                a["registered"].as_bool(),
                a["active"].as_bool(),
                a["may_buy"].as_bool()
            ),
            (Some(true), Some(true), Some(false))
        );
        assert_eq!(
            (a["reason"].as_str(), a["permits"].clone()),
            (Some("no_purchase_right"), json!([]))
        );
        assert!(
            a["message_en"]
                .as_str()
                .unwrap()
                .contains("purchase permit"),
            "{a}"
        );
        assert!(a["message"].as_str().is_some());
        assert_eq!(
            keys(&a),
            set(&[
                "registered",
                "firm_id",
                "name",
                "active",
                "chemical_id",
                "on",
                "may_buy",
                "permits",
                "reason",
                "message",
                "message_en"
            ])
        );
        let then = answer(
            app,
            &m.seller_clerk,
            &m.buyer_code,
            &m.safrole,
            Some(&days(-100)),
        );
        assert_eq!(then["may_buy"], true, "{then}");
        assert_eq!(then["permits"][0]["number"], "P-OLD");
        assert_eq!(
            then["permits"][0]["remaining"],
            Value::Null,
            "no limit, nothing to count down"
        );
    });
}

#[test]
fn a_suspended_firm_may_not_buy_from_its_suspension_on() {
    each_backend(|app| {
        let m = market(app);
        permit(
            app,
            &m,
            "purchase_permit",
            "P-1",
            &m.safrole,
            None,
            (-365, 365),
        );
        let r = app.patch(
            &format!("/api/v1/firms/{}", m.buyer),
            Some(&m.regulator),
            &json!({"status": "suspended", "reason": "停业整顿"}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        let a = answer(app, &m.seller_clerk, &m.buyer_code, &m.safrole, None);
        assert_eq!(
            (
                a["registered"].as_bool(),
                a["active"].as_bool(),
                a["may_buy"].as_bool(),
                a["reason"].as_str()
            ),
            (Some(true), Some(false), Some(false), Some("not_active")),
            "{a}"
        );
        assert_eq!(
            a["permits"][0]["number"], "P-1",
            "its permit is still listed"
        );
        assert!(
            !a.to_string().contains("停业整顿"),
            "the status reason is not told"
        );
        // Yesterday it was still active (the validator judges a sale by the status at the time).
        let yesterday = answer(
            app,
            &m.seller_clerk,
            &m.buyer_code,
            &m.safrole,
            Some(&days(-1)),
        );
        assert_eq!(
            (
                yesterday["active"].as_bool(),
                yesterday["may_buy"].as_bool()
            ),
            (Some(true), Some(true))
        );
    });
}

#[test]
fn a_permit_for_another_chemical_is_no_purchase_right() {
    each_backend(|app| {
        let m = market(app);
        permit(
            app,
            &m,
            "purchase_permit",
            "P-1",
            &m.safrole,
            None,
            (-365, 365),
        );
        let a = answer(app, &m.seller_clerk, &m.buyer_code, &m.anhydride, None);
        assert_eq!(
            (
                a["may_buy"].as_bool(),
                a["reason"].as_str(),
                a["permits"].clone()
            ),
            (Some(false), Some("no_purchase_right"), json!([]))
        );
        assert!(
            !a.to_string().contains("P-1"),
            "a permit that does not cover it is not told"
        );
    });
}

#[test]
fn an_exhausted_limit_is_no_room_and_the_validator_agrees() {
    each_backend(|app| {
        let m = market(app);
        permit(
            app,
            &m,
            "purchase_permit",
            "P-50",
            &m.safrole,
            Some("50"),
            (-365, 365),
        );
        purchase(app, &m, &m.safrole, "20", None, &hours(-3));
        purchase(app, &m, &m.safrole, "30", Some("P-50"), &hours(-2));
        let a = answer(app, &m.seller_clerk, &m.buyer_code, &m.safrole, None);
        assert_eq!(
            (a["may_buy"].as_bool(), a["reason"].as_str()),
            (Some(false), Some("quantity_exhausted")),
            "{a}"
        );
        assert_eq!(
            (
                a["permits"][0]["quantity_limit"].as_str(),
                a["permits"][0]["remaining"].as_str()
            ),
            (Some("50.000"), Some("0.000"))
        );
        assert_eq!(
            validate_and_count(app, &m, "PERMIT_EXCEEDED"),
            0,
            "exactly at the limit"
        );
        // One more kilogram drawn on it is past the limit, as the check said.
        purchase(app, &m, &m.safrole, "1", None, &hours(-1));
        assert_eq!(validate_and_count(app, &m, "PERMIT_EXCEEDED"), 1);
        let a = answer(app, &m.seller_clerk, &m.buyer_code, &m.safrole, None);
        assert_eq!(a["permits"][0]["remaining"], "0.000", "never below zero");

        // A second permit with room restores the right to buy.
        permit(
            app,
            &m,
            "purchase_permit",
            "P-MORE",
            &m.safrole,
            Some("10"),
            (-1, 365),
        );
        let a = answer(app, &m.seller_clerk, &m.buyer_code, &m.safrole, None);
        assert_eq!(a["may_buy"], true, "{a}");
        let left: Vec<(&str, &str)> = a["permits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["number"].as_str().unwrap(),
                    p["remaining"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(left, [("P-50", "0.000"), ("P-MORE", "10.000")]);
    });
}

#[test]
fn a_filing_is_a_purchase_right_for_category_two_but_not_for_category_one() {
    each_backend(|app| {
        let m = market(app);
        let (from, until) = (-30, 335);
        permit(
            app,
            &m,
            "purchase_filing",
            "F-2",
            &m.anhydride,
            None,
            (from, until),
        );
        permit(
            app,
            &m,
            "purchase_filing",
            "F-1",
            &m.safrole,
            None,
            (from, until),
        );
        let two = answer(app, &m.seller_clerk, &m.buyer_code, &m.anhydride, None);
        assert_eq!(two["may_buy"], true, "{two}");
        assert_eq!(
            (
                two["permits"][0]["number"].as_str(),
                two["permits"][0]["kind"].as_str()
            ),
            (Some("F-2"), Some("purchase_filing"))
        );
        let one = answer(app, &m.seller_clerk, &m.buyer_code, &m.safrole, None);
        assert_eq!(
            (
                one["may_buy"].as_bool(),
                one["reason"].as_str(),
                one["permits"].clone()
            ),
            (Some(false), Some("no_purchase_right"), json!([])),
            "{one}"
        );
        assert!(one["message_en"]
            .as_str()
            .unwrap()
            .contains("purchase permit"));
        assert!(
            !one["message_en"].as_str().unwrap().contains("filing"),
            "{one}"
        );
    });
}

#[test]
fn an_unknown_credit_code_is_not_registered() {
    each_backend(|app| {
        let m = market(app);
        let a = answer(
            app,
            &m.seller_clerk,
            &credit_code(8_000_000),
            &m.safrole,
            None,
        );
        assert_eq!(
            (
                a["registered"].as_bool(),
                a["may_buy"].as_bool(),
                a["reason"].as_str()
            ),
            (Some(false), Some(false), Some("not_registered"))
        );
        assert_eq!(
            keys(&a),
            set(&[
                "registered",
                "chemical_id",
                "on",
                "may_buy",
                "permits",
                "reason",
                "message",
                "message_en"
            ])
        );
    });
}

#[test]
fn bad_parameters_are_422_naming_each_field() {
    each_backend(|app| {
        let m = market(app);
        let mut bad_check = m.buyer_code.clone();
        let last = bad_check.pop().unwrap();
        bad_check.push(if last == '0' { '1' } else { '0' });
        let cases = [
            (
                format!("credit_code={bad_check}&chemical_id={}", m.safrole),
                "credit_code",
                "invalid_credit_code_checksum",
            ),
            (
                format!("credit_code=12345&chemical_id={}", m.safrole),
                "credit_code",
                "invalid_credit_code_length",
            ),
            (
                format!("chemical_id={}", m.safrole),
                "credit_code",
                "required",
            ),
            (
                format!("credit_code={}", m.buyer_code),
                "chemical_id",
                "required",
            ),
            (
                format!("credit_code={}&chemical_id=acetone", m.buyer_code),
                "chemical_id",
                "invalid_id",
            ),
            (
                format!(
                    "credit_code={}&chemical_id={}",
                    m.buyer_code,
                    uuid::Uuid::now_v7()
                ),
                "chemical_id",
                "unknown_chemical",
            ),
            (
                format!(
                    "credit_code={}&chemical_id={}&on=tomorrow",
                    m.buyer_code, m.safrole
                ),
                "on",
                "invalid_time",
            ),
            (
                format!(
                    "credit_code={}&chemical_id={}&on=2026-02-30",
                    m.buyer_code, m.safrole
                ),
                "on",
                "invalid_time",
            ),
        ];
        for (query, field, code) in cases {
            let r = check(app, &m.seller_clerk, &query);
            assert_eq!(r.status, 422, "{query}: {}", r.text);
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            assert!(
                r.has_field_error(field, code),
                "{query}: {:?}",
                r.field_errors()
            );
        }
        // Every bad field at once.
        let r = check(app, &m.seller_clerk, "credit_code=X&chemical_id=Y&on=Z");
        let fields: BTreeSet<String> = r.field_errors().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            ["chemical_id", "credit_code", "on"]
                .map(String::from)
                .into()
        );
        // The role is judged before the parameters.
        assert_eq!(check(app, &app.association(), "credit_code=X").status, 403);
        assert_eq!(
            app.get("/api/v1/counterparties/check?credit_code=X", None)
                .status,
            401
        );
    });
}
