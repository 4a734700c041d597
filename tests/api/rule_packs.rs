//! The example rule packs on a running registry: the `us` pack's cumulative monthly threshold
//! across a seller's sites, the `eu` pack's customer declarations.

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::helpers::{each_backend_with, TestApp, PASSWORD};
use crate::ledger::{chain, Chain};
use precursor_registry::domain::rule_pack::{RulePack, EU, US};
use precursor_registry::Settings;

fn with_pack(text: &'static str) -> impl Fn(&mut Settings) {
    move |settings| {
        let pack = RulePack::parse(text).unwrap();
        let transit = settings.custody.transit_window;
        settings.custody = pack.settle(Utc::now());
        settings.custody.transit_window = transit;
        settings.rule_pack = pack;
    }
}

fn at(hours_ago: i64) -> String {
    (Utc::now() - Duration::hours(hours_ago)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn file(app: &TestApp, token: &str, firm: &str, entry: Value) -> Value {
    let r = app.post(&format!("/api/v1/firms/{firm}/ledger"), Some(token), &entry);
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

fn permit(app: &TestApp, c: &Chain, kind: &str, chemicals: &[&str]) {
    let r = app.post(
        &format!("/api/v1/firms/{}/permits", c.buyer),
        Some(&c.regulator),
        &json!({"kind": kind, "number": format!("P-{}", app.next()), "chemical_ids": chemicals,
                "valid_from": at(24 * 365), "valid_until": at(-24 * 365)}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

/// The findings of one code from a fresh run, with the run's pack.
fn run_and_find(app: &TestApp, c: &Chain, code: &str) -> (String, Vec<Value>) {
    let run = app.post(
        "/api/v1/custody/validations",
        Some(&c.regulator),
        &json!({}),
    );
    assert_eq!(run.status, 201, "{}", run.text);
    let found = app.get(
        &format!("/api/v1/custody/findings?code={code}&status=open"),
        Some(&c.regulator),
    );
    assert_eq!(found.status, 200, "{}", found.text);
    let pack = run.body["rule_pack"].as_str().unwrap().to_string();
    (pack, found.body["items"].as_array().unwrap().clone())
}

/// A sale of `quantity` of `chemical` from the seller's `warehouse`, received by the buyer.
fn ship(
    app: &TestApp,
    c: &Chain,
    chemical: &str,
    lot: &str,
    warehouse: &str,
    quantity: &str,
) -> String {
    let r = app.next();
    file(
        app,
        &c.seller_clerk,
        &c.seller,
        json!({"kind": "production", "chemical_id": chemical, "lot": lot, "quantity": quantity,
               "occurred_at": at(30), "warehouse": warehouse}),
    );
    let sale = file(
        app,
        &c.seller_clerk,
        &c.seller,
        json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": chemical, "lot": lot,
               "quantity": quantity, "occurred_at": at(20), "warehouse": warehouse,
               "counterparty": {"firm_id": c.buyer}, "shipment_ref": format!("W-{r}")}),
    );
    file(
        app,
        &c.buyer_clerk,
        &c.buyer,
        json!({"kind": "purchase", "payment": "bank_transfer", "chemical_id": chemical, "lot": lot,
               "quantity": quantity, "occurred_at": at(10),
               "counterparty": {"firm_id": c.seller}, "shipment_ref": format!("W-{r}")}),
    );
    sale["id"].as_str().unwrap().to_string()
}

/// A buyer takes 800 kg of MIBK from each of two of the seller's sites in one month: each sale
/// is under the 1,523 kg threshold, together they pass it.
#[test]
fn the_us_pack_sums_a_buyers_month_across_the_sellers_sites() {
    each_backend_with(with_pack(US), |app| {
        let c = chain(app);
        let rules = app.get("/api/v1/rules", Some(&c.regulator));
        assert_eq!(rules.body["pack"], "us@2026.1", "{}", rules.text);
        assert_eq!(
            rules.body["suspicious"]["threshold_scope"],
            "calendar_month"
        );
        assert_eq!(rules.body["thresholds"], json!({"108-10-1": "1523.000"}));
        assert_eq!(rules.body["duties"]["cash_and_barter_banned"], false);
        assert_eq!(rules.body["records"]["retention_years"], 2);
        // MIBK is not on China's list: the deployment adds it to its catalog.
        let mibk = app.post(
            "/api/v1/chemicals",
            Some(&app.admin()),
            &json!({"cas": "108-10-1", "name_en": "Methyl isobutyl ketone", "name_zh": "甲基异丁基酮",
                    "category": 3, "unit": "kg", "controlled_from": "2020-01-01", "note": "21 CFR 1310.02(b)"}),
        );
        assert_eq!(mibk.status, 201, "{}", mibk.text);
        let mibk = mibk.body["id"].as_str().unwrap().to_string();
        permit(app, &c, "purchase_filing", &[&mibk]);
        // Day of the month: both sales within the same calendar month (China time) as at(20).
        let east = ship(app, &c, &mibk, "L-E", "东厂区", "800");
        let (pack, found) = run_and_find(app, &c, "SUSPICIOUS_STRUCTURING");
        assert_eq!(pack, "us@2026.1");
        assert_eq!(found, Vec::<Value>::new(), "one sale of 800 kg");
        let west = ship(app, &c, &mibk, "L-W", "西厂区", "800");
        let (_, found) = run_and_find(app, &c, "SUSPICIOUS_STRUCTURING");
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = &found[0];
        assert_eq!(f["firm_id"], c.seller.as_str());
        assert_eq!(f["quantity"], "1600.000");
        let mut ids: Vec<&str> = f["entry_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        ids.sort_unstable();
        let mut expected = vec![east.as_str(), west.as_str()];
        expected.sort_unstable();
        assert_eq!(ids, expected);
        assert!(
            f["message_en"]
                .as_str()
                .unwrap()
                .contains("cumulative monthly threshold"),
            "{f}"
        );
        let (name, _) = app.create_user("association", None);
        let mut v = crate::visitor::Visitor::new(app, "en");
        assert_eq!(v.sign_in(&name, PASSWORD).status, 303);
        let page = v.get("/rules");
        for text in [
            "us@2026.1",
            "Methyl isobutyl ketone",
            "1523.000 kg",
            "total in a calendar month",
        ] {
            assert!(page.text.contains(text), "{text}: {}", page.text);
        }
    });
}

/// Under the eu pack a category-2 supply needs the customer's declaration on file; once the
/// seller files it, the next run resolves the finding.
#[test]
fn the_eu_pack_finds_a_supply_without_the_customers_declaration() {
    each_backend_with(with_pack(EU), |app| {
        let c = chain(app);
        permit(app, &c, "purchase_permit", &[&c.anhydride]);
        ship(app, &c, &c.anhydride, "L-1", "一号库", "50");
        let (pack, found) = run_and_find(app, &c, "MISSING_CUSTOMER_DECLARATION");
        assert_eq!(pack, "eu@2026.1");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0]["severity"], "major");
        assert_eq!(found[0]["counterparty_firm_id"], c.buyer.as_str());

        let path = format!("/api/v1/firms/{}/declarations", c.seller);
        let body = json!({"customer": {"firm_id": c.buyer}, "chemical_id": c.anhydride,
                          "intended_use": "合成布洛芬原料", "valid_from": at(24 * 30), "valid_until": at(-24 * 300),
                          "document_ref": "DECL-2026-7"});
        // Only the seller's own clerk files it; a stranger's clerk does not see the firm.
        let other = app.register_firm(&c.regulator, "福州市其他化工有限公司");
        assert_eq!(
            app.post(&path, Some(&app.enterprise(&other)), &body).status,
            404
        );
        assert_eq!(app.post(&path, Some(&c.regulator), &body).status, 403);
        let mut unknown = body.clone();
        unknown["purpose"] = json!("x");
        let r = app.post(&path, Some(&c.seller_clerk), &unknown);
        assert_eq!(r.status, 422, "{}", r.text);
        let mut blank = body.clone();
        blank["intended_use"] = json!(" ");
        blank["customer"] = json!({"name": "外地公司", "credit_code": "91350100M000100Y44"});
        let r = app.post(&path, Some(&c.seller_clerk), &blank);
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.has_field_error("intended_use", "required"), "{}", r.text);
        assert!(
            r.has_field_error("customer.credit_code", "invalid_credit_code_checksum"),
            "{}",
            r.text
        );
        let r = app.post(&path, Some(&c.seller_clerk), &body);
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["customer_firm_id"], c.buyer.as_str());

        let list = app.get(&path, Some(&c.regulator));
        assert_eq!(list.status, 200, "{}", list.text);
        assert_eq!(list.body["items"][0]["intended_use"], "合成布洛芬原料");
        assert_eq!(app.get(&path, Some(&app.association())).status, 403);
        let (_, found) = run_and_find(app, &c, "MISSING_CUSTOMER_DECLARATION");
        assert_eq!(found, Vec::<Value>::new(), "the declaration is on file");
    });
}

/// The rules page shows the pack in force to anyone signed in, in the reader's language, each
/// threshold with its chemical's name.
#[test]
fn the_rules_page_shows_the_pack_in_force_in_both_languages() {
    crate::helpers::each_backend(|app| {
        let (name, _) = app.create_user("regulator", None);
        let mut zh = crate::visitor::Visitor::new(app, "zh-CN,zh;q=0.9");
        assert_eq!(zh.sign_in(&name, PASSWORD).status, 303);
        let page = zh.get("/rules");
        assert_eq!(page.status, 200, "{}", page.text);
        for text in [
            "现行规则",
            "cn@2026.1",
            "丙酮",
            "2500.000 kg",
            "1、2",
            "href=\"/rules\"",
        ] {
            assert!(page.text.contains(text), "{text}: {}", page.text);
        }
        let c = chain(app);
        let (name, _) = app.create_user("enterprise", Some(&c.seller));
        let mut en = crate::visitor::Visitor::new(app, "en");
        assert_eq!(en.sign_in(&name, PASSWORD).status, 303);
        let page = en.get("/rules");
        assert_eq!(page.status, 200, "{}", page.text);
        for text in [
            "Rules in force",
            "Acetone",
            "id=\"report-deadline-1\">5 days",
            "one order",
        ] {
            assert!(page.text.contains(text), "{text}: {}", page.text);
        }
        let stranger = crate::visitor::Visitor::new(app, "en").get("/rules");
        assert_ne!(stranger.status, 200, "signed in only");
    });
}
