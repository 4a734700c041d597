//! The regulator's console pages over HTTP, as a browser without JavaScript speaks them: the
//! dashboard's numbers against the API's, the firm list and page, the findings workflow and
//! validation runs; role checks, another firm's page, CSRF, field problems, and each change seen
//! through the API.

use chrono::{Datelike, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::helpers::{each_backend, TestApp, PASSWORD};
use crate::ledger::{chain, Chain};
use crate::visitor::Visitor;

fn hours_ago(hours: i64) -> String {
    (Utc::now() - Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The seller sells 10 of acetone lot L1 to the buyer 47 hours ago (these registries wait 24 h
/// for a receipt), and the buyer never confirms; a run as of now records what that leaves.
fn stale_sale(app: &TestApp, c: &Chain) -> Value {
    let r = app.post(
        &format!("/api/v1/firms/{}/ledger", c.seller),
        Some(&c.seller_clerk),
        &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": "10", "occurred_at": hours_ago(47),
                "counterparty": {"firm_id": c.buyer}, "shipment_ref": "YD-STALE"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

fn validate(app: &TestApp, c: &Chain) {
    let r = app.post(
        "/api/v1/custody/validations",
        Some(&c.regulator),
        &json!({}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

/// Every item of an API list (up to 1000).
fn items(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let r = app.get(&format!("{path}{sep}limit=1000"), Some(token));
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

/// The number shown in the element with this id (`id="…">12<`).
fn number(html: &str, id: &str) -> i64 {
    let marker = format!("id=\"{id}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} on the page:\n{html}"));
    let rest = &html[at + marker.len()..];
    rest[..rest.find('<').unwrap()].trim().parse().unwrap()
}

/// A regulator signed in to the console (in Chinese).
fn officer(app: &TestApp) -> Visitor {
    let (username, _) = app.create_user("regulator", None);
    let mut v = Visitor::new(app, "zh-CN");
    assert_eq!(v.sign_in(&username, PASSWORD).status, 303);
    v
}

fn clerk_of(app: &TestApp, firm: &str) -> Visitor {
    let (username, _) = app.create_user("enterprise", Some(firm));
    let mut v = Visitor::new(app, "zh-CN");
    assert_eq!(v.sign_in(&username, PASSWORD).status, 303);
    v
}

fn credit_code(app: &TestApp, token: &str, firm: &str) -> String {
    app.get(&format!("/api/v1/firms/{firm}"), Some(token)).body["credit_code"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_dashboard_shows_the_numbers_the_api_gives_each_linking_to_its_list() {
    each_backend(|app| {
        let c = chain(app);
        stale_sale(app, &c);
        // A second firm sells too, and is graded; a third is never inspected.
        let r = app.post(
            &format!("/api/v1/firms/{}/ledger", c.buyer),
            Some(&c.buyer_clerk),
            &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "quantity": "2", "occurred_at": hours_ago(30),
                    "counterparty": {"firm_id": c.seller}}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        validate(app, &c);
        let graded = app.post(
            &format!("/api/v1/firms/{}/grades", c.seller),
            Some(&c.regulator),
            &json!({"period": Utc::now().year().to_string()}),
        );
        assert_eq!(graded.status, 201, "{}", graded.text);

        let mut v = officer(app);
        let home = v.get("/");
        assert_eq!(home.status, 200, "{}", home.text);
        // (askama writes `&` in a value as `&#38;`)
        let page = &home.text.replace("&#38;", "&amp;");
        assert!(page.contains("工作台"), "{page}");

        let open = items(app, &c.regulator, "/api/v1/custody/findings?status=open");
        assert!(!open.is_empty(), "the stale sale left findings");
        assert_eq!(number(page, "count-open"), open.len() as i64);
        for severity in ["critical", "major", "minor"] {
            let listed = items(
                app,
                &c.regulator,
                &format!("/api/v1/custody/findings?status=open&severity={severity}"),
            );
            assert_eq!(
                number(page, &format!("count-severity-{severity}")),
                listed.len() as i64,
                "{severity}"
            );
            assert!(
                page.contains(&format!(
                    "href=\"/findings?status=open&amp;severity={severity}\""
                )),
                "{page}"
            );
        }
        let mut codes: Vec<&str> = open.iter().map(|f| f["code"].as_str().unwrap()).collect();
        codes.sort_unstable();
        codes.dedup();
        for code in codes {
            let listed = items(
                app,
                &c.regulator,
                &format!("/api/v1/custody/findings?status=open&code={code}"),
            );
            assert_eq!(
                number(page, &format!("count-code-{code}")),
                listed.len() as i64,
                "{code}"
            );
        }
        assert!(
            page.contains("发货无对应收货"),
            "codes by their Chinese names"
        );

        let board = app.get("/api/v1/shipments/summary", Some(&c.regulator));
        let overdue = board.body["by_status"]["overdue"].as_i64().unwrap_or(0);
        assert_eq!(overdue, 2, "{}", board.text);
        assert_eq!(number(page, "count-overdue"), overdue);
        assert!(page.contains("href=\"/shipments?status=overdue\""));

        let due = items(app, &c.regulator, "/api/v1/supervision/due");
        assert_eq!(number(page, "count-due"), due.len() as i64);
        assert!(page.contains(&format!("href=\"/firms/{}\"", c.buyer)));
        assert!(page.contains("从未检查"));

        let grades = app.get("/api/v1/grades/summary", Some(&c.regulator));
        for g in ["A", "B", "C", "D"] {
            assert_eq!(
                number(page, &format!("count-grade-{g}")),
                grades.body["by_grade"][g].as_i64().unwrap(),
                "{g}: {}",
                grades.text
            );
        }
        assert_eq!(number(page, "count-graded"), 1);

        // Another role's home is not the dashboard.
        let mut clerk = clerk_of(app, &c.seller);
        assert!(!clerk.get("/").text.contains("count-open"));
    });
}

#[test]
fn regulators_search_firms_and_the_association_sees_only_the_directory() {
    each_backend(|app| {
        let regulator = app.regulator();
        for i in 0..51 {
            app.register_firm(&regulator, &format!("福鼎市批量化工{i:02}有限公司"));
        }
        let target = app.register_firm(&regulator, "霞浦县<海>化工有限公司");
        let code = credit_code(app, &regulator, &target);
        let mut v = officer(app);

        let all = v.get("/firms");
        assert_eq!(all.status, 200, "{}", all.text);
        assert!(
            all.text.contains("id=\"next-page\""),
            "52 firms: a second page"
        );
        assert!(all.text.contains("福鼎市批量化工00有限公司"));
        assert!(!all.text.contains(&target), "the 52nd is on the next page");
        let at = all.text.find("id=\"next-page\" href=\"").unwrap() + 21;
        let next = all.text[at..at + all.text[at..].find('"').unwrap()].replace("&amp;", "&");
        let second = v.get(&next);
        assert!(
            second.text.contains(&format!("href=\"/firms/{target}\"")),
            "{}",
            second.text
        );
        assert!(
            second.text.contains("霞浦县&lt;海&gt;化工有限公司")
                || second.text.contains("霞浦县&#60;海&#62;化工有限公司")
        );

        // By name, by credit code (any case), by region: the same as the API.
        let code_part = code.to_lowercase()[10..].to_string();
        for q in ["霞浦县", code_part.as_str()] {
            let found = v.get(&format!("/firms?q={}", urlencode(q)));
            assert!(found.text.contains(&target), "{q}");
            assert!(!found.text.contains("福鼎市批量化工"), "{q}");
            let api = items(
                app,
                &regulator,
                &format!("/api/v1/firms?q={}", urlencode(q)),
            );
            assert_eq!(api.len(), 1, "{q}");
        }
        assert!(v.get("/firms?q=%25").text.contains("id=\"firms-empty\""));
        let name = urlencode("霞浦县");
        assert!(v
            .get(&format!("/firms?q={name}&region_code=350000"))
            .text
            .contains(&target));
        assert!(v
            .get(&format!("/firms?q={name}&region_code=110000"))
            .text
            .contains("id=\"firms-empty\""));
        let bad = v.get("/firms?region_code=35");
        assert_eq!(bad.status, 422);
        assert!(
            bad.text.contains("id=\"region_code-problem\""),
            "{}",
            bad.text
        );
        assert!(bad.text.contains("不是有效的行政区划代码"), "{}", bad.text);

        // Status and grade filter on the database's current values.
        let r = app.patch(
            &format!("/api/v1/firms/{target}"),
            Some(&regulator),
            &json!({"status": "suspended", "reason": "检查"}),
        );
        assert_eq!(r.status, 200);
        let suspended = v.get("/firms?status=suspended");
        assert!(suspended.text.contains(&target) && !suspended.text.contains("批量化工"));
        assert!(v.get("/firms?grade=B").text.contains("id=\"firms-empty\""));
        let year = Utc::now().year().to_string();
        for grade in ["C", "B"] {
            let r = app.post(
                &format!("/api/v1/firms/{target}/grades"),
                Some(&regulator),
                &json!({"period": year, "grade": grade, "reason": "复核"}),
            );
            assert_eq!(r.status, 201, "{}", r.text);
        }
        assert!(
            v.get("/firms?grade=B").text.contains(&target),
            "the newest grade counts"
        );
        assert!(v.get("/firms?grade=C").text.contains("id=\"firms-empty\""));
        assert_eq!(
            items(app, &regulator, "/api/v1/firms?grade=B").len(),
            1,
            "the API filters alike"
        );
        assert_eq!(v.get("/firms?grade=E").status, 422);

        // The association: name, region and grade only, no firm pages.
        let (username, _) = app.create_user("association", None);
        let mut a = Visitor::new(app, "zh-CN");
        assert_eq!(a.sign_in(&username, PASSWORD).status, 303);
        let directory = a.get(&format!("/firms?q={name}&status=active"));
        assert_eq!(directory.status, 200, "{}", directory.text);
        assert!(directory.text.contains("企业名录") && directory.text.contains("B 级"));
        assert!(
            directory.text.contains(&format!("id=\"firm-{target}\"")),
            "status is not a directory filter"
        );
        assert!(!directory.text.contains(&code) && !directory.text.contains("暂停"));
        assert!(!directory
            .text
            .contains(&format!("href=\"/firms/{target}\"")));
        assert_eq!(a.get(&format!("/firms/{target}")).status, 403);

        let mut clerk = clerk_of(app, &target);
        assert_eq!(clerk.get("/firms").status, 403);
    });
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn the_firm_page_shows_the_firm_and_a_regulator_suspends_and_reactivates_it() {
    each_backend(|app| {
        let c = chain(app);
        let entries: Vec<Value> = (0..55)
            .map(|i| json!({"kind": "production", "chemical_id": c.acetone, "lot": format!("P{i}"), "quantity": "1", "occurred_at": hours_ago(10)}))
            .collect();
        let r = app.post(
            &format!("/api/v1/firms/{}/ledger/batch", c.seller),
            Some(&c.seller_clerk),
            &json!({"entries": entries}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let permit = app.post(
            &format!("/api/v1/firms/{}/permits", c.seller),
            Some(&c.regulator),
            &json!({"kind": "production_licence", "number": "SC-1", "chemical_ids": [c.acetone], "quantity_limit": "5000",
                    "valid_from": hours_ago(1000), "valid_until": (Utc::now() + Duration::days(365)).to_rfc3339()}),
        );
        assert_eq!(permit.status, 201, "{}", permit.text);
        let page_of = format!("/firms/{}", c.seller);

        let mut v = officer(app);
        let page = v.get(&page_of);
        assert_eq!(page.status, 200, "{}", page.text);
        let text = &page.text;
        assert!(text.contains("宁德市蕉城区化工原料有限公司") && text.contains("生产许可证"));
        assert!(text.contains("SC-1") && text.contains("丙酮"));
        assert!(text.contains("id=\"chain-ok\""), "the chain verifies");
        assert!(text.contains("id=\"seq-55\"") && text.contains("id=\"seq-6\""));
        assert!(!text.contains("id=\"seq-5\""), "the last 50 entries only");
        assert!(text.contains(&format!(
            "href=\"/firms/{}?cursor=0#ledger-heading\"",
            c.seller
        )));
        let earlier = v.get(&format!("{page_of}?cursor=0"));
        assert!(earlier.text.contains("id=\"seq-1\"") && !earlier.text.contains("id=\"seq-51\""));
        assert!(earlier.text.contains("id=\"ledger-later\""));
        assert!(text.contains("id=\"inventory\"") && text.contains("P54"));
        assert!(text.contains("id=\"no-grades\"") && text.contains("id=\"status-form\""));

        // Not a firm, or not this clerk's: the not-found page.
        let missing = v.get("/firms/not-a-firm");
        assert_eq!(missing.status, 404);
        assert!(missing.text.contains("页面不存在"));
        assert_eq!(
            v.get(&format!("/firms/{}", uuid::Uuid::now_v7())).status,
            404
        );
        let mut clerk = clerk_of(app, &c.seller);
        let own = clerk.get(&page_of);
        assert_eq!(own.status, 200, "{}", own.text);
        assert!(
            !own.text.contains("id=\"status-form\""),
            "no suspending oneself"
        );
        let other = clerk.get(&format!("/firms/{}", c.buyer));
        assert_eq!(other.status, 404);
        assert!(other.text.contains("页面不存在"));

        // Suspending: the token first, then a reason, then the change (seen through the API).
        let csrf = page.csrf();
        let target = format!("{page_of}/status");
        let forged = v.post(&target, &[("status", "suspended"), ("reason", "检查")]);
        assert_eq!(forged.status, 403);
        let blank = v.post(
            &target,
            &[("csrf", &csrf), ("status", "suspended"), ("reason", " ")],
        );
        assert_eq!(blank.status, 422, "{}", blank.text);
        assert!(
            blank.text.contains("id=\"reason-problem\">必填。"),
            "{}",
            blank.text
        );
        let status = |app: &TestApp| {
            app.get(&format!("/api/v1/firms/{}", c.seller), Some(&c.regulator))
                .body["status"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(status(app), "active", "nothing changed");
        let clerk_csrf = own.csrf();
        assert_eq!(
            clerk
                .post(
                    &target,
                    &[
                        ("csrf", &clerk_csrf),
                        ("status", "suspended"),
                        ("reason", "x")
                    ]
                )
                .status,
            403
        );
        let done = v.post(
            &target,
            &[
                ("csrf", &csrf),
                ("status", "suspended"),
                ("reason", "台账异常，暂停经营"),
            ],
        );
        assert_eq!(
            (done.status, done.location.as_deref()),
            (303, Some(format!("{page_of}?done=suspended").as_str()))
        );
        assert_eq!(status(app), "suspended");
        let after = v.get(done.location.as_deref().unwrap());
        assert!(after.text.contains("id=\"notice\"") && after.text.contains("台账异常，暂停经营"));
        assert!(after.text.contains("id=\"reactivate\""));
        let log = app.get("/api/v1/activity?action=status", Some(&c.regulator));
        let line = log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["status"] == 303)
            .cloned()
            .unwrap_or(Value::Null);
        assert!(
            line["user_id"].is_string(),
            "the officer, not anonymous: {}",
            log.text
        );
        let back = v.post(
            &target,
            &[("csrf", &csrf), ("status", "active"), ("reason", "已整改")],
        );
        assert_eq!(back.status, 303);
        assert_eq!(status(app), "active");
    });
}

#[test]
fn findings_are_filtered_explained_by_their_firm_and_resolved_by_a_regulator() {
    each_backend(|app| {
        let c = chain(app);
        stale_sale(app, &c);
        validate(app, &c);
        let finding = items(
            app,
            &c.regulator,
            "/api/v1/custody/findings?code=UNMATCHED_DISPATCH",
        )
        .remove(0);
        let id = finding["id"].as_str().unwrap().to_string();
        let code = credit_code(app, &c.regulator, &c.seller);

        let mut v = officer(app);
        let list = v.get("/findings");
        assert_eq!(list.status, 200, "{}", list.text);
        assert!(list.text.contains(&format!("id=\"finding-{id}\"")));
        assert!(list.text.contains("发货无对应收货") && list.text.contains("严重"));
        assert!(list.text.contains(&format!(
            "href=\"/trace?chemical_id={}&amp;lot=L1\"",
            c.acetone
        )));
        let mine = v.get(&format!(
            "/findings?firm={}&code=UNMATCHED_DISPATCH&status=open",
            code.to_lowercase()
        ));
        assert!(mine.text.contains(&id), "{}", mine.text);
        assert!(v
            .get("/findings?code=LOT_MISMATCH")
            .text
            .contains("id=\"findings-empty\""));
        let unknown = v.get("/findings?firm=91350902MA0000000X");
        assert_eq!(unknown.status, 422);
        assert!(
            unknown
                .text
                .contains("id=\"firm-problem\">没有这家登记企业"),
            "{}",
            unknown.text
        );
        let bad = v.get("/findings?severity=grave");
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains("id=\"severity-problem\""));

        let detail = v.get(&format!("/findings/{id}"));
        assert_eq!(detail.status, 200, "{}", detail.text);
        assert!(detail.text.contains("福安市制药有限公司"));
        assert!(detail.text.contains("id=\"finding-entries\"") && detail.text.contains("销售"));
        assert!(detail.text.contains("id=\"decision-form\""));
        assert_eq!(v.get("/findings/nope").status, 404);

        // The seller explains; the buyer (the counterparty) sees it but may not; a stranger not at all.
        let mut seller = clerk_of(app, &c.seller);
        let own = seller.get(&format!("/findings/{id}"));
        assert!(own.text.contains("id=\"explain-form\"") && !own.text.contains("decision-form"));
        assert!(
            !own.text.contains("/trace?"),
            "the trace is the regulator's"
        );
        assert!(seller.get("/findings").text.contains(&id));
        let csrf = own.csrf();
        let explain = format!("/findings/{id}/explanation");
        let empty = seller.post(&explain, &[("csrf", &csrf), ("text", "")]);
        assert_eq!(empty.status, 422);
        assert!(
            empty.text.contains("id=\"text-problem\">必填。"),
            "{}",
            empty.text
        );
        let done = seller.post(
            &explain,
            &[("csrf", &csrf), ("text", "货已发出，买方未及时入库")],
        );
        assert_eq!(
            (done.status, done.location.as_deref()),
            (303, Some(format!("/findings/{id}?done=explained").as_str()))
        );
        let status = |app: &TestApp| {
            app.get(
                &format!("/api/v1/custody/findings/{id}"),
                Some(&c.regulator),
            )
            .body["status"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(status(app), "explained");
        let mut buyer = clerk_of(app, &c.buyer);
        let theirs = buyer.get(&format!("/findings/{id}"));
        assert_eq!(theirs.status, 200);
        assert!(!theirs.text.contains("explain-form"));
        let buyer_csrf = theirs.csrf();
        assert_eq!(
            buyer
                .post(&explain, &[("csrf", &buyer_csrf), ("text", "不是我们")])
                .status,
            404
        );
        let stranger_firm = app.register_firm(&c.regulator, "无关企业");
        let mut stranger = clerk_of(app, &stranger_firm);
        assert_eq!(stranger.get(&format!("/findings/{id}")).status, 404);
        assert!(!stranger.get("/findings").text.contains(&id));

        // The regulator resolves it with a note.
        let page = v.get(&format!("/findings/{id}"));
        assert!(
            page.text.contains("货已发出，买方未及时入库"),
            "the explanation in its history"
        );
        let csrf = page.csrf();
        let decide = format!("/findings/{id}/decision");
        assert_eq!(
            v.post(&decide, &[("status", "resolved"), ("note", "x")])
                .status,
            403
        );
        let no_note = v.post(
            &decide,
            &[("csrf", &csrf), ("status", "resolved"), ("note", "")],
        );
        assert_eq!(no_note.status, 422);
        assert!(
            no_note.text.contains("id=\"note-problem\""),
            "{}",
            no_note.text
        );
        assert_eq!(status(app), "explained");
        let seller_csrf = seller.get(&format!("/findings/{id}")).csrf();
        assert_eq!(
            seller
                .post(
                    &decide,
                    &[
                        ("csrf", &seller_csrf),
                        ("status", "resolved"),
                        ("note", "x")
                    ]
                )
                .status,
            403
        );
        let resolved = v.post(
            &decide,
            &[
                ("csrf", &csrf),
                ("status", "resolved"),
                ("note", "已核实，责令补录"),
            ],
        );
        assert_eq!(resolved.status, 303, "{}", resolved.text);
        assert_eq!(status(app), "resolved");
        let after = v.get(resolved.location.as_deref().unwrap());
        assert!(after.text.contains("已办结该问题线索") && after.text.contains("已核实，责令补录"));
        assert!(!after.text.contains("decision-form"));
        let again = v.post(
            &decide,
            &[("csrf", &csrf), ("status", "dismissed"), ("note", "再次")],
        );
        assert_eq!(again.status, 409);
        assert!(
            again.text.contains("id=\"finding-problem\""),
            "{}",
            again.text
        );
    });
}

#[test]
fn a_validation_run_from_the_console_shows_its_stored_summary() {
    each_backend(|app| {
        let c = chain(app);
        stale_sale(app, &c);
        let code = credit_code(app, &c.regulator, &c.seller);
        let mut v = officer(app);
        let form = v.get("/validations");
        assert_eq!(form.status, 200, "{}", form.text);
        assert!(form.text.contains("id=\"no-runs\""));
        let csrf = form.csrf();
        assert_eq!(v.post("/validations", &[("firm", "")]).status, 403);
        let unknown = v.post(
            "/validations",
            &[("csrf", &csrf), ("firm", "91350902MA0000000X")],
        );
        assert_eq!(unknown.status, 422);
        assert!(
            unknown.text.contains("id=\"firm-problem\""),
            "{}",
            unknown.text
        );
        let ran = v.post("/validations", &[("csrf", &csrf), ("firm", &code)]);
        assert_eq!(ran.status, 303, "{}", ran.text);
        let running = ran.location.clone().unwrap();
        assert!(running.starts_with("/validations/running/"), "{running}");
        let location = finished(&mut v, &running);
        assert!(location.starts_with("/validations/"), "{location}");
        let mut stranger = officer(app);
        assert_eq!(
            stranger.get(&running).status,
            404,
            "a ticket is its officer's, and spent"
        );
        let summary = v.get(&location);
        assert_eq!(summary.status, 200, "{}", summary.text);
        assert_eq!(number(&summary.text, "run-code-UNMATCHED_DISPATCH"), 1);
        assert_eq!(number(&summary.text, "entries-checked"), 1);
        assert!(number(&summary.text, "new-findings") >= 1);
        assert!(summary.text.contains("宁德市蕉城区化工原料有限公司"));
        // Recorded: the API lists what the run found.
        assert_eq!(
            items(
                app,
                &c.regulator,
                "/api/v1/custody/findings?code=UNMATCHED_DISPATCH"
            )
            .len(),
            1
        );
        let all = v.post("/validations", &[("csrf", &csrf), ("firm", " ")]);
        assert_eq!(all.status, 303);
        let all_summary = finished(&mut v, all.location.as_deref().unwrap());
        let all_summary = v.get(&all_summary);
        assert!(all_summary.text.contains("全部企业"));
        assert_eq!(
            number(&all_summary.text, "new-findings"),
            0,
            "already recorded"
        );
        let list = v.get("/validations");
        let run_id = location.trim_start_matches("/validations/");
        assert!(list.text.contains(&format!("id=\"run-{run_id}\"")));
        assert_eq!(v.get("/validations/not-a-run").status, 404);
        assert_eq!(
            v.get(&format!("/validations/{}", uuid::Uuid::now_v7()))
                .status,
            404
        );
        let mut clerk = clerk_of(app, &c.seller);
        assert_eq!(clerk.get("/validations").status, 403);
    });
}

/// Follows a started run's progress page until it leads to the stored run: its location.
fn finished(v: &mut Visitor, running: &str) -> String {
    for _ in 0..1200 {
        let page = v.get(running);
        if page.status == 303 {
            return page.location.unwrap();
        }
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(
            page.text
                .contains("<meta http-equiv=\"refresh\" content=\"1\">")
                && page.text.contains("id=\"run-running\""),
            "{}",
            page.text
        );
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the run did not finish: {running}");
}
