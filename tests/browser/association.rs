//! Journey (3), the association officer: signs in, filters the grade table by region, sees the
//! chart (an image the browser loaded, whose SVG names the region), the Excel export answers an
//! xlsx, and a ledger URL is the not-found page. Then a regulator opens an audit, records a
//! finding and closes it, and runs a grade assessment and confirms it; and the admin's users.

use chrono::Datelike;
use serde_json::{json, Value};

use super::helpers::{credit_code, each_backend, TestApp};
use super::{driver, no_raw_keys, sign_in};
use crate::webdriver::Browser;

/// A firm registered in `region`, graded this year (`grade` overriding the computed one):
/// (id, credit code).
fn graded_firm(
    app: &TestApp,
    regulator: &str,
    name: &str,
    region: &str,
    grade: Option<&str>,
) -> (String, String) {
    let mut body = app.firm_body(name);
    body["region_code"] = json!(region);
    body["credit_code"] = json!(credit_code(40_000 + app.next()));
    let firm = app.post("/api/v1/firms", Some(regulator), &body).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let year = chrono::Utc::now().year().to_string();
    let decision = match grade {
        None => json!({ "period": year }),
        Some(g) => json!({ "period": year, "grade": g, "reason": "现场检查发现问题" }),
    };
    let r = app.post(
        &format!("/api/v1/firms/{firm}/grades"),
        Some(regulator),
        &decision,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    (firm, body["credit_code"].as_str().unwrap().to_string())
}

fn sign_out(b: &Browser) {
    b.find("header form button").click();
    b.wait_until("the sign-in page", |b| b.url().ends_with("/sign-in"));
}

/// Chooses `value` in the `<select>` `css`.
fn choose(b: &Browser, css: &str, value: &str) {
    b.find(&format!("{css} option[value='{value}']")).click();
}

#[test]
fn the_association_sees_grades_by_region_but_no_ledger_and_a_regulator_audits_and_grades() {
    let Some(driver) = driver() else { return };
    each_backend(|app| {
        let regulator = app.regulator();
        let (ningde, code) = graded_firm(app, &regulator, "蕉城区化工有限公司", "350902", None);
        let (xiapu, _) = graded_firm(app, &regulator, "霞浦县化工有限公司", "350921", Some("C"));
        let (officer, _) = app.create_user("association", None);

        let b = driver.browser("zh-CN");
        sign_in(&b, app, &officer);
        assert!(
            b.find("#home-links").text().contains("分级"),
            "{}",
            b.text()
        );
        no_raw_keys(&b);
        b.find("#home-links a[href='/grades']").click();
        b.wait_until("the grade table", |b| b.url().ends_with("/grades"));
        b.find("#region_code").type_text("350921");
        b.find("#grade-filters button").click();
        b.wait_until("the filtered table", |b| {
            b.url().contains("region_code=350921")
        });
        assert!(
            b.try_find(&format!("#grade-{xiapu}")).is_some(),
            "{}",
            b.text()
        );
        assert!(b.try_find(&format!("#grade-{ningde}")).is_none());
        assert!(b.find(&format!("#grade-{xiapu}")).text().contains("C 级"));
        no_raw_keys(&b);
        // The chart is an image the browser loaded under the page's CSP, described by its alt.
        b.wait_until("the chart loaded", |b| {
            b.execute(
                "const i = document.getElementById('chart'); return i.complete && i.naturalWidth",
            )
            .as_u64()
            .is_some_and(|w| w > 0)
        });
        assert!(b
            .execute("return document.getElementById('chart').alt")
            .as_str()
            .is_some_and(|alt| alt.contains("分级分布")));
        assert!(b.find("#region-350921").text().contains('1'));
        b.screenshot("grades-association-zh");

        // What the export link gives, fetched as this signed-in browser would.
        let session = b.cookie("precursor_session").expect("a session cookie");
        let href = b
            .execute("return document.getElementById('export').getAttribute('href')")
            .as_str()
            .unwrap()
            .to_string();
        assert!(href.contains("region_code=350921"), "{href}");
        let response = ureq::get(&format!("{}{href}", app.base))
            .set("Cookie", &format!("precursor_session={session}"))
            .call()
            .expect("the export answers");
        assert_eq!(
            response.content_type(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let mut xlsx = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut xlsx).unwrap();
        assert_eq!(&xlsx[..2], b"PK", "an xlsx is a ZIP");

        // The chart itself: an SVG naming each region.
        let src = b
            .execute("return document.getElementById('chart').src")
            .as_str()
            .unwrap()
            .to_string();
        b.go(&src);
        let svg = b.source();
        assert!(
            svg.contains("<svg") && svg.contains("350921") && svg.contains("350902"),
            "{svg}"
        );
        b.screenshot("grades-chart-zh");

        // The association never sees a ledger: the not-found page, in Chinese.
        for path in ["/ledger".to_string(), format!("/firms/{ningde}/ledger")] {
            b.go(&format!("{}{path}", app.base));
            let text = b.text();
            assert!(
                text.contains("页面不存在") || text.contains("无权访问"),
                "{path}: {text}"
            );
            assert!(!text.contains("蕉城区化工有限公司"), "{path}: {text}");
        }
        b.screenshot("ledger-refused-association-zh");
        b.go(&format!("{}/", app.base));
        sign_out(&b);

        // A regulator: an audit opened, given a finding and closed; a grade assessed and confirmed.
        let (inspector, _) = app.create_user("regulator", None);
        sign_in(&b, app, &inspector);
        b.go(&format!("{}/audits", app.base));
        b.find("#firm").type_text(&code);
        choose(&b, "#kind", "spot");
        b.find("#open").click();
        b.wait_until("the audit's page", |b| {
            b.text_of("#notice")
                .is_some_and(|n| n.contains("检查已开始"))
        });
        assert!(b.find("#audit").text().contains("抽查"));
        choose(&b, "#severity", "minor");
        b.find("#description").type_text("危险品仓库台账与实物不符");
        b.find("#record").click();
        b.wait_until("the finding recorded", |b| {
            b.text_of("#notice")
                .is_some_and(|n| n.contains("问题已记录"))
        });
        assert!(b
            .find("#findings")
            .text()
            .contains("危险品仓库台账与实物不符"));
        b.find("#conclusion-field").type_text("责令一个月内整改");
        b.find("#close").click();
        b.wait_until("the audit closed", |b| {
            b.text_of("#audit-status")
                .is_some_and(|s| s.contains("已结束"))
        });
        assert!(b.try_find("#record-finding").is_none() && b.try_find("#close-audit").is_none());
        no_raw_keys(&b);
        b.screenshot("audit-closed-regulator-zh");
        b.go(&format!("{}/audits", app.base));
        b.screenshot("audits-regulator-zh");
        let audits = app.get("/api/v1/audits?status=closed", Some(&regulator));
        let closed: &Vec<Value> = audits.body["items"].as_array().unwrap();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0]["findings"][0]["severity"], "minor");

        let year = chrono::Utc::now().year().to_string();
        b.go(&format!("{}/firms/{ningde}/grade?period={year}", app.base));
        // The minor audit finding was closed this year: 2 points off.
        assert_eq!(b.find("#score").text(), "98");
        assert!(b.find("#breakdown").text().contains("现场检查发现的问题"));
        b.screenshot("grade-assessment-regulator-zh");
        b.find("#confirm").click();
        b.wait_until("the grade confirmed", |b| {
            b.text_of("#notice")
                .is_some_and(|n| n.contains("等级已确认"))
        });
        let history = app.get(&format!("/api/v1/firms/{ningde}/grades"), Some(&regulator));
        let grades: &Vec<Value> = history.body["items"].as_array().unwrap();
        assert_eq!((grades.len(), grades[0]["score"].as_i64()), (2, Some(98)));
        sign_out(&b);

        // The admin's users page.
        let (keeper, _) = app.create_user("admin", None);
        sign_in(&b, app, &keeper);
        b.find("#home-links a[href='/users']").click();
        b.wait_until("the users page", |b| b.try_find("#users").is_some());
        assert!(b.text().contains(&officer) && b.text().contains("行业协会"));
        no_raw_keys(&b);
        b.screenshot("users-admin-zh");
    });
}
