//! The console in a real browser: headless Chromium driven through chromedriver against the
//! real server, on SQLite and (when configured) PostgreSQL. Without a browser these tests say so
//! and pass; with `REQUIRE_BROWSER=1` (as `.ci/run` sets) a missing browser fails them.
//! Screenshots of the main pages land in `target/screenshots/`.

mod association;
mod clerk;
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
mod languages;
mod regulator;
mod webdriver;

use serde_json::{json, Value};

use helpers::{each_backend, TestApp, PASSWORD};
use webdriver::{Browser, Driver};

/// The driver, or `None` (after saying why) when no browser is installed and none is required.
pub(crate) fn driver() -> Option<Driver> {
    match Driver::start() {
        Ok(d) => Some(d),
        Err(why) if std::env::var("REQUIRE_BROWSER").as_deref() == Ok("1") => {
            panic!("REQUIRE_BROWSER=1 but there is no browser: {why}")
        }
        Err(why) => {
            eprintln!("skipping the browser tests: {why}");
            None
        }
    }
}

/// A seller (whose name tries to inject a script) that dispatched 10 kg of acetone to a buyer,
/// and the buyer's clerk: (buyer firm, dispatch id, clerk's username).
fn dispatched(app: &TestApp) -> (String, String, String) {
    let regulator = app.regulator();
    let mut body = app.firm_body("<script>alert(1)</script>宁德化工");
    body["credit_code"] = json!(helpers::credit_code(8_000 + app.next()));
    let seller = app.post("/api/v1/firms", Some(&regulator), &body).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let buyer = app.register_firm(&regulator, "福安市制药有限公司");
    let acetone = app.chemical(&regulator, "67-64-1");
    let seller_clerk = app.enterprise(&seller);
    let sale = app.post(
        &format!("/api/v1/firms/{seller}/ledger"),
        Some(&seller_clerk),
        &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": acetone, "lot": "L7", "quantity": "10", "occurred_at": chrono::Utc::now().to_rfc3339(),
                "counterparty": {"firm_id": buyer}, "shipment_ref": "YD-77"}),
    );
    assert_eq!(sale.status, 201, "{}", sale.text);
    let (clerk, _) = app.create_user("enterprise", Some(&buyer));
    (buyer, sale.body["id"].as_str().unwrap().to_string(), clerk)
}

pub(crate) fn sign_in(b: &Browser, app: &TestApp, username: &str) {
    b.go(&format!("{}/", app.base));
    assert!(
        b.url().ends_with("/sign-in"),
        "to the sign-in page first: {}",
        b.url()
    );
    b.find("#username").type_text(username);
    b.find("#password").type_text(PASSWORD);
    b.find("#sign-in").click();
    b.wait_until("home after sign-in", |b| b.url().ends_with('/'));
}

/// No catalog key shows raw on the page (every visible string came from the catalog).
pub(crate) fn no_raw_keys(b: &Browser) {
    let catalog: toml::Table = include_str!("../../i18n/en.toml").parse().unwrap();
    let text = b.text();
    for (section, keys) in &catalog {
        for key in keys.as_table().unwrap().keys() {
            let raw = format!("{section}.{key}");
            assert!(
                !text.contains(&raw),
                "{raw} shows raw on {}:\n{text}",
                b.url()
            );
        }
    }
}

#[test]
fn a_clerk_confirms_an_incoming_shipment_switches_language_and_signs_out() {
    let Some(driver) = driver() else { return };
    each_backend(|app| {
        let (buyer, dispatch, clerk) = dispatched(app);
        let b = driver.browser("zh-CN");
        sign_in(&b, app, &clerk);
        assert!(b.source().contains("<html lang=\"zh-CN\">"));
        assert!(
            b.find("#todo-incoming")
                .text()
                .contains("待确认收货的来货: 1"),
            "{}",
            b.text()
        );
        no_raw_keys(&b);
        b.screenshot("home-clerk-zh");

        b.find("#todo-incoming").click();
        let row = format!("#dispatch-{dispatch}");
        // The seller's name is shown as text, not run as a script.
        assert!(
            b.find(&row)
                .text()
                .contains("<script>alert(1)</script>宁德化工"),
            "{}",
            b.text()
        );
        assert_eq!(
            b.execute("return document.querySelectorAll('script').length"),
            json!(0)
        );
        b.screenshot("incoming-zh");

        let quantity = b.find(&format!("#quantity-{dispatch}"));
        quantity.clear();
        quantity.type_text("9.5");
        b.find(&format!("{row} button.confirm")).click();
        assert!(
            b.find("#notice").text().contains("已按实收数量登记入库"),
            "{}",
            b.text()
        );
        assert!(b.try_find(&row).is_none(), "gone from the inbox");
        let regulator = app.regulator();
        let purchases = app.get(
            &format!("/api/v1/firms/{buyer}/ledger?kind=purchase"),
            Some(&regulator),
        );
        let items: &Vec<Value> = purchases.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["quantity"], "9.500");

        // The toggle switches every string and is remembered.
        b.find("a.lang").click();
        b.wait_until("the page in English", |b| {
            b.source().contains("<html lang=\"en\">")
        });
        assert!(b.text().contains("Incoming shipments") && b.text().contains("Sign out"));
        assert!(
            !b.text().contains("待收货") && !b.text().contains("退出登录"),
            "{}",
            b.text()
        );
        no_raw_keys(&b);
        b.go(&format!("{}/", app.base));
        assert!(b.text().contains("What needs doing"));
        b.screenshot("home-clerk-en");

        // After signing out, the back button shows no data.
        b.find("header form button").click();
        b.wait_until("the sign-in page", |b| b.url().ends_with("/sign-in"));
        b.back();
        b.wait_until("the sign-in page again", |b| b.url().ends_with("/sign-in"));
        assert!(
            !b.text().contains("9.5") && !b.text().contains("Incoming shipments ·"),
            "{}",
            b.text()
        );
        b.go(&format!("{}/incoming", app.base));
        assert!(b.url().ends_with("/sign-in"), "{}", b.url());
    });
}

#[test]
fn a_form_without_its_token_is_refused_and_a_disabled_users_session_ends() {
    let Some(driver) = driver() else { return };
    each_backend(|app| {
        let (buyer, dispatch, clerk) = dispatched(app);
        let b = driver.browser("zh-CN");
        sign_in(&b, app, &clerk);
        b.go(&format!("{}/incoming", app.base));
        b.execute("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())");
        b.find(&format!("#dispatch-{dispatch} button.confirm"))
            .click();
        b.wait_until("the forbidden page", |b| b.text().contains("无权访问"));
        b.screenshot("forbidden-zh");
        let regulator = app.regulator();
        let purchases = app.get(
            &format!("/api/v1/firms/{buyer}/ledger?kind=purchase"),
            Some(&regulator),
        );
        assert_eq!(
            purchases.body["items"].as_array().unwrap().len(),
            0,
            "nothing filed"
        );

        // An unknown page is the not-found page, in the user's language.
        b.go(&format!("{}/firms/nope", app.base));
        assert!(b.text().contains("页面不存在"), "{}", b.text());

        let users = app.get("/api/v1/users", Some(&app.admin()));
        let id = users.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == clerk.as_str())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = app.patch(
            &format!("/api/v1/users/{id}"),
            Some(&app.admin()),
            &json!({"disabled": true}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        b.go(&format!("{}/incoming", app.base));
        assert!(
            b.url().ends_with("/sign-in"),
            "the disabled user's session ended: {}",
            b.url()
        );
    });
}
