//! The console over HTTP, as a browser without JavaScript speaks it: cookie sessions, CSRF
//! tokens, escaping, languages, the not-found page. (The real-browser journeys are in
//! tests/browser.)

use serde_json::json;

use crate::helpers::{each_backend, TestApp, PASSWORD};
use crate::ledger::chain;
use crate::visitor::Visitor;

#[test]
fn a_clerk_signs_in_with_a_private_cookie_and_confirms_an_incoming_shipment() {
    each_backend(|app| {
        let c = chain(app);
        let (clerk, _) = app.create_user("enterprise", Some(&c.buyer));
        let sale = app.post(
            &format!("/api/v1/firms/{}/ledger", c.seller),
            Some(&c.seller_clerk),
            &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": "12.5", "occurred_at": chrono::Utc::now().to_rfc3339(),
                    "counterparty": {"firm_id": c.buyer}, "shipment_ref": "YD-9"}),
        );
        assert_eq!(sale.status, 201, "{}", sale.text);
        let dispatch = sale.body["id"].as_str().unwrap().to_string();

        let mut v = Visitor::new(app, "zh-CN,zh;q=0.9");
        let form = v.get("/sign-in");
        assert_eq!(form.status, 200);
        assert!(
            form.text.contains("<html lang=\"zh-CN\">") && form.text.contains("登录"),
            "{}",
            form.text
        );
        assert!(form
            .csp
            .as_deref()
            .is_some_and(|p| p.contains("frame-ancestors 'none'") && !p.contains("unsafe-inline")));
        let signed = v.sign_in(&clerk, PASSWORD);
        assert_eq!(
            (signed.status, signed.location.as_deref()),
            (303, Some("/"))
        );
        let cookie = signed
            .cookie("precursor_session")
            .expect("a session cookie");
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Strict")
                && cookie.contains("Path=/"),
            "{cookie}"
        );

        let home = v.get("/");
        assert_eq!(home.status, 200, "{}", home.text);
        assert!(
            home.text.contains("待确认收货的来货: <strong>1</strong>"),
            "{}",
            home.text
        );
        let inbox = v.get("/incoming");
        assert!(
            inbox.text.contains(&format!("id=\"dispatch-{dispatch}\""))
                && inbox.text.contains("宁德市蕉城区化工原料有限公司")
        );
        assert!(
            inbox.text.contains("丙酮"),
            "chemicals in Chinese: {}",
            inbox.text
        );
        let csrf = inbox.csrf();

        // Without the token nothing is filed.
        let forged = v.post(
            &format!("/incoming/{dispatch}/receipt"),
            &[("quantity", "12.5")],
        );
        assert_eq!(forged.status, 403);
        assert!(forged.text.contains("无权访问"), "{}", forged.text);
        let purchases = |app: &TestApp| {
            app.get(
                &format!("/api/v1/firms/{}/ledger?kind=purchase", c.buyer),
                Some(&c.regulator),
            )
            .body["items"]
                .as_array()
                .unwrap()
                .len()
        };
        assert_eq!(purchases(app), 0);

        let done = v.post(
            &format!("/incoming/{dispatch}/receipt"),
            &[("csrf", &csrf), ("quantity", "12.5")],
        );
        assert_eq!(done.status, 303, "{}", done.text);
        assert!(
            done.location
                .as_deref()
                .is_some_and(|l| l.starts_with("/incoming?done=confirmed&seq=")),
            "{:?}",
            done.location
        );
        assert_eq!(purchases(app), 1);
        let log = app.get("/api/v1/activity?action=receipt", Some(&c.regulator));
        let lines: Vec<&serde_json::Value> = log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["status"] != 403)
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "one activity line for the confirmation, the filing's own (the forged attempt aside): {}",
            log.text
        );
        assert!(
            lines[0]["user_id"].is_string(),
            "the clerk, not anonymous: {}",
            log.text
        );
        let after = v.get(done.location.as_deref().unwrap());
        assert!(
            after.text.contains("已确认收货") && after.text.contains("没有待确认的来货"),
            "{}",
            after.text
        );
        let again = v.post(
            &format!("/incoming/{dispatch}/receipt"),
            &[("csrf", &csrf), ("quantity", "12.5")],
        );
        assert_eq!(again.status, 409, "{}", again.text);
        assert!(again.text.contains("该记录的状态已变化"), "{}", again.text);
        assert_eq!(purchases(app), 1);

        // Signing out ends the session at once: the old cookie is worth nothing.
        let old_cookie = v.cookies.get("precursor_session").cloned().unwrap();
        let out = v.post("/sign-out", &[("csrf", &csrf)]);
        assert_eq!(
            (out.status, out.location.as_deref()),
            (303, Some("/sign-in"))
        );
        v.cookies.insert("precursor_session".into(), old_cookie);
        let back = v.get("/incoming");
        assert_eq!(
            (back.status, back.location.as_deref()),
            (303, Some("/sign-in"))
        );
    });
}

#[test]
fn wrong_passwords_forged_forms_other_roles_and_disabled_users_are_refused_as_pages() {
    each_backend(|app| {
        let regulator = app.regulator();
        let mut body = app.firm_body("<script>alert(1)</script>化工");
        body["credit_code"] = json!(crate::helpers::credit_code(9_001));
        let evil = app.post("/api/v1/firms", Some(&regulator), &body).body["id"]
            .as_str()
            .unwrap()
            .to_string();
        let buyer = app.register_firm(&regulator, "福安市买方有限公司");
        let chemical = app.chemical(&regulator, "67-64-1");
        let evil_clerk = app.enterprise(&evil);
        let r = app.post(
            &format!("/api/v1/firms/{evil}/ledger"),
            Some(&evil_clerk),
            &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": chemical, "quantity": "1", "occurred_at": chrono::Utc::now().to_rfc3339(), "counterparty": {"firm_id": buyer}}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let (clerk, clerk_id) = app.create_user("enterprise", Some(&buyer));

        let mut v = Visitor::new(app, "en-US,en;q=0.9");
        let wrong = v.sign_in(&clerk, "not-the-password");
        assert_eq!(wrong.status, 401);
        assert!(
            wrong.text.contains("The username or password is wrong.")
                && wrong.text.contains("<html lang=\"en\">")
        );
        assert!(!v.cookies.contains_key("precursor_session"));
        let no_token = v.post(
            "/sign-in",
            &[("username", clerk.as_str()), ("password", PASSWORD)],
        );
        assert_eq!(no_token.status, 403);

        assert_eq!(v.sign_in(&clerk, PASSWORD).status, 303);
        let inbox = v.get("/incoming");
        // Shown as text: escaped, never markup.
        let escaped = [
            "&lt;script&gt;alert(1)&lt;/script&gt;化工",
            "&#60;script&#62;alert(1)&#60;/script&#62;化工",
        ];
        assert!(
            escaped.iter().any(|e| inbox.text.contains(e)),
            "{}",
            inbox.text
        );
        assert!(!inbox.text.contains("<script>alert(1)"));
        assert!(inbox.text.contains("Acetone") && inbox.text.contains("Incoming shipments"));

        let missing = v.get("/no/such/page");
        assert_eq!(missing.status, 404);
        assert!(missing.text.contains("Page not found"), "{}", missing.text);
        assert_eq!(
            app.get("/no/such/page", None).body["code"],
            "not_found",
            "an API client still gets problem+json"
        );

        // The language toggle is remembered.
        let toggled = v.get("/lang/zh-CN?back=/incoming");
        assert_eq!(
            (toggled.status, toggled.location.as_deref()),
            (303, Some("/incoming"))
        );
        assert!(v.get("/incoming").text.contains("待收货"));
        for evil in [
            "//evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/\\evil.example",
        ] {
            assert_eq!(
                v.get(&format!("/lang/zh-CN?back={evil}"))
                    .location
                    .as_deref(),
                Some("/"),
                "{evil} is not a path of this site"
            );
        }

        // A regulator has no inbox of its own.
        let (officer, _) = app.create_user("regulator", None);
        let mut r = Visitor::new(app, "zh-CN");
        assert_eq!(r.sign_in(&officer, PASSWORD).status, 303);
        assert_eq!(r.get("/incoming").status, 403);

        // Disabling the clerk ends its session on the next request.
        let d = app.patch(
            &format!("/api/v1/users/{clerk_id}"),
            Some(&app.admin()),
            &json!({"disabled": true}),
        );
        assert_eq!(d.status, 200, "{}", d.text);
        let after = v.get("/");
        assert_eq!(
            (after.status, after.location.as_deref()),
            (303, Some("/sign-in"))
        );
    });
}

#[test]
fn regulators_watch_the_in_transit_board_and_clerks_may_not() {
    each_backend(|app| {
        let c = chain(app);
        let sale = app.post(
            &format!("/api/v1/firms/{}/ledger", c.seller),
            Some(&c.seller_clerk),
            &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "quantity": "3", "occurred_at": chrono::Utc::now().to_rfc3339(),
                    "counterparty": {"firm_id": c.buyer}, "shipment_ref": "YD-B"}),
        );
        let dispatch = sale.body["id"].as_str().unwrap().to_string();
        let (officer, _) = app.create_user("regulator", None);
        let mut v = Visitor::new(app, "zh-CN");
        assert_eq!(v.sign_in(&officer, PASSWORD).status, 303);
        let home = v.get("/");
        assert!(
            home.text.contains("href=\"/shipments\""),
            "the board is in the regulator's menu"
        );
        let board = v.get("/shipments");
        assert_eq!(board.status, 200, "{}", board.text);
        assert!(
            board.text.contains(&format!("id=\"dispatch-{dispatch}\""))
                && board.text.contains("福安市制药有限公司")
        );
        assert!(board.text.contains("在途"));
        assert!(!v.get("/shipments?status=received").text.contains(&dispatch));
        assert!(v
            .get("/shipments?region_code=350900")
            .text
            .contains(&dispatch));
        let bad = v.get("/shipments?region_code=35");
        assert_eq!(bad.status, 422);
        assert!(
            bad.text.contains("id=\"region-problem\""),
            "the message next to the field: {}",
            bad.text
        );

        let (clerk, _) = app.create_user("enterprise", Some(&c.buyer));
        let mut k = Visitor::new(app, "zh-CN");
        assert_eq!(k.sign_in(&clerk, PASSWORD).status, 303);
        assert_eq!(k.get("/shipments").status, 403);
    });
}
