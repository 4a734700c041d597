//! The regulator's journey in a real browser: the dashboard's counts are the API's, a validation
//! run from the console, a finding opened and resolved with a note, the firm list and a firm's
//! page. Data is made through the API first: a sale 47 hours ago to a buyer who never confirms
//! (these registries wait 24 h), so a run as of now finds the dispatch unmatched.

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::helpers::{each_backend, TestApp};
use crate::webdriver::Browser;
use crate::{driver, no_raw_keys, sign_in};

struct World {
    regulator: String,
    seller: String,
    officer: String,
}

fn world(app: &TestApp) -> World {
    let regulator = app.regulator();
    let seller = app.register_firm(&regulator, "宁德市蕉城区化工原料有限公司");
    let buyer = app.register_firm(&regulator, "福安市制药有限公司");
    let acetone = app.chemical(&regulator, "67-64-1");
    let clerk = app.enterprise(&seller);
    let occurred = (Utc::now() - Duration::hours(47)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let sale = app.post(
        &format!("/api/v1/firms/{seller}/ledger"),
        Some(&clerk),
        &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": acetone, "lot": "L9", "quantity": "10", "occurred_at": occurred,
                "counterparty": {"firm_id": buyer}, "shipment_ref": "YD-900"}),
    );
    assert_eq!(sale.status, 201, "{}", sale.text);
    let (officer, _) = app.create_user("regulator", None);
    World {
        regulator,
        seller,
        officer,
    }
}

fn api_count(app: &TestApp, token: &str, query: &str) -> i64 {
    let r = app.get(
        &format!("/api/v1/custody/findings?limit=1000&{query}"),
        Some(token),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().len() as i64
}

fn shown(b: &Browser, css: &str) -> i64 {
    let text = b.find(css).text();
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{css} shows {text:?}"))
}

/// The dashboard's numbers against the API's.
fn dashboard_matches_the_api(b: &Browser, app: &TestApp, w: &World) {
    b.go(&format!("{}/", app.base));
    assert_eq!(
        shown(b, "#count-open"),
        api_count(app, &w.regulator, "status=open")
    );
    for severity in ["critical", "major", "minor"] {
        assert_eq!(
            shown(b, &format!("#count-severity-{severity}")),
            api_count(
                app,
                &w.regulator,
                &format!("status=open&severity={severity}")
            ),
            "{severity}"
        );
    }
    let board = app.get("/api/v1/shipments/summary", Some(&w.regulator));
    assert_eq!(
        shown(b, "#count-overdue"),
        board.body["by_status"]["overdue"].as_i64().unwrap_or(0)
    );
    let due = app.get("/api/v1/supervision/due", Some(&w.regulator));
    assert_eq!(
        shown(b, "#count-due"),
        due.body["items"].as_array().unwrap().len() as i64
    );
}

#[test]
fn a_regulator_runs_the_validator_resolves_a_finding_and_opens_a_firm() {
    let Some(driver) = driver() else { return };
    each_backend(|app| {
        let w = world(app);
        let b = driver.browser("zh-CN");
        sign_in(&b, app, &w.officer);
        assert!(b.find("h1").text().contains("工作台"), "{}", b.text());
        dashboard_matches_the_api(&b, app, &w);
        assert_eq!(shown(&b, "#count-overdue"), 1);
        no_raw_keys(&b);

        // Run the validator for every firm: the run's summary follows the form.
        b.find("nav a[href=\"/validations\"]").click();
        b.wait_until("the validations page", |b| {
            b.url().ends_with("/validations")
        });
        b.find("#run").click();
        b.wait_until("the run's summary", |b| {
            b.url().contains("/validations/") && b.try_find("#run-summary").is_some()
        });
        assert_eq!(shown(&b, "#run-code-UNMATCHED_DISPATCH"), 1);
        assert!(b.text().contains("发货无对应收货"), "{}", b.text());
        no_raw_keys(&b);
        b.screenshot("regulator-validation-zh");

        dashboard_matches_the_api(&b, app, &w);
        assert!(shown(&b, "#count-severity-critical") >= 1);
        b.screenshot("regulator-dashboard-zh");

        // From the dashboard to the critical findings, then one of them.
        b.find("#severity-critical").click();
        b.wait_until("the critical findings", |b| {
            b.url().contains("/findings?") && b.try_find("#findings").is_some()
        });
        let finding: Value = app
            .get(
                "/api/v1/custody/findings?code=UNMATCHED_DISPATCH",
                Some(&w.regulator),
            )
            .body["items"][0]
            .clone();
        let id = finding["id"].as_str().unwrap().to_string();
        assert!(
            b.try_find(&format!("#finding-{id}")).is_some(),
            "{}",
            b.text()
        );
        no_raw_keys(&b);
        b.screenshot("regulator-findings-zh");
        b.find(&format!("#finding-{id} a.open-finding")).click();
        b.wait_until("the finding's page", |b| {
            b.try_find("#decision-form").is_some()
        });
        assert!(b
            .find("#finding-message")
            .text()
            .contains("福安市制药有限公司"));
        // The finding's lot, drawn: the unmatched dispatch is a dashed red arrow to the buyer.
        let finding_page = b.url();
        b.find("#trace-link").click();
        b.wait_until("the lot's trace", |b| {
            b.try_find("#trace-graph svg").is_some()
        });
        assert!(
            b.find("#trace-graph").text().contains("福安市制药有限公司"),
            "{}",
            b.text()
        );
        assert_eq!(
            b.execute(
                "return document.querySelectorAll('#trace-graph path[stroke-dasharray]').length"
            ),
            json!(1),
            "one gap drawn"
        );
        no_raw_keys(&b);
        b.screenshot("regulator-trace-zh");
        b.go(&finding_page);
        b.find("#note").type_text("已约谈买方，责令补录入库记录");
        b.find("#decide").click();
        b.wait_until("the decision recorded", |b| b.try_find("#notice").is_some());
        assert!(b.find("#history").text().contains("已约谈买方"));
        let status = app.get(
            &format!("/api/v1/custody/findings/{id}"),
            Some(&w.regulator),
        );
        assert_eq!(status.body["status"], "resolved", "{}", status.text);
        no_raw_keys(&b);
        b.screenshot("regulator-finding-zh");

        // The firm list, and the seller's page.
        b.find("nav a[href=\"/firms\"]").click();
        b.wait_until("the firm list", |b| b.try_find("#firms").is_some());
        no_raw_keys(&b);
        b.screenshot("regulator-firms-zh");
        b.find(&format!("#firm-{} a", w.seller)).click();
        b.wait_until("the firm's page", |b| b.try_find("#profile").is_some());
        assert!(b.try_find("#chain-ok").is_some(), "{}", b.text());
        assert!(b.find("#ledger").text().contains("丙酮"));
        no_raw_keys(&b);
        b.screenshot("regulator-firm-zh");
    });
}
