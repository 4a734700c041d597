//! The public grade directory: off unless the deployment switches it on; then, without sign-in,
//! the published grades of active firms and nothing else, rate limited per client address. And
//! the association's publications behind it.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::{each_backend, each_backend_with, Response, TestApp};

const PUBLIC: &str = "/api/v1/public/grades";
const PUBLICATIONS: &str = "/api/v1/grades/publications";

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Registers a firm with this name and region; returns (id, credit code).
fn firm(app: &TestApp, regulator: &str, name: &str, region: &str) -> (String, String) {
    let mut body = app.firm_body(name);
    body["region_code"] = json!(region);
    let r = app.post("/api/v1/firms", Some(regulator), &body);
    assert_eq!(r.status, 201, "{}", r.text);
    let code = r.body["credit_code"].as_str().unwrap().to_string();
    (r.body["id"].as_str().unwrap().to_string(), code)
}

fn confirm(app: &TestApp, regulator: &str, firm: &str, period: &str, grade: Option<&str>) {
    let mut body = json!({"period": period});
    if let Some(g) = grade {
        body["grade"] = json!(g);
        body["reason"] = json!("现场检查结论");
    }
    let r = app.post(
        &format!("/api/v1/firms/{firm}/grades"),
        Some(regulator),
        &body,
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

fn publish(app: &TestApp, token: Option<&str>, period: &str) -> Response {
    app.post(PUBLICATIONS, token, &json!({"period": period}))
}

/// The credit codes a directory page lists, in order.
fn codes(r: &Response) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["credit_code"].as_str().unwrap().to_string())
        .collect()
}

fn sorted(mut codes: Vec<String>) -> Vec<String> {
    codes.sort();
    codes
}

#[test]
fn the_public_directory_is_off_unless_the_deployment_switches_it_on() {
    each_backend(|app| {
        let regulator = app.regulator();
        let (firm_id, _) = firm(app, &regulator, "默认部署企业", "350902");
        confirm(app, &regulator, &firm_id, "2025", None);
        let association = app.association();
        assert_eq!(publish(app, Some(&association), "2025").status, 201);
        let unknown = app.get("/api/v1/public/nothing-here", None);
        for token in [None, Some(regulator.as_str()), Some(association.as_str())] {
            let r = app.get(PUBLIC, token);
            assert_eq!(r.status, 404, "{}", r.text);
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            assert_eq!(r.body, unknown.body, "answers as an unknown route does");
        }
        assert_eq!(
            app.get(&format!("{PUBLIC}?q=x&region_code=350902"), None)
                .status,
            404
        );
    });
}

#[test]
fn only_the_association_publishes_a_graded_period_and_only_once() {
    each_backend(|app| {
        let regulator = app.regulator();
        let (firm_id, _) = firm(app, &regulator, "发布企业", "350902");
        confirm(app, &regulator, &firm_id, "2025", None);
        let association = app.association();
        let clerk = app.enterprise(&firm_id);
        let admin = app.admin();
        assert_eq!(publish(app, None, "2025").status, 401);
        for token in [&regulator, &admin, &clerk] {
            let r = publish(app, Some(token), "2025");
            assert_eq!(r.status, 403, "{}", r.text);
        }
        let r = publish(app, Some(&association), "20x5");
        assert!(r.has_field_error("period", "invalid_period"), "{}", r.text);
        let r = app.post(PUBLICATIONS, Some(&association), &json!({}));
        assert!(r.has_field_error("period", "invalid_period"), "{}", r.text);
        let r = app.post(
            PUBLICATIONS,
            Some(&association),
            &json!({"period": "2025", "firms": "all"}),
        );
        assert_eq!(r.status, 422, "unknown fields are refused: {}", r.text);
        let r = publish(app, Some(&association), "2024");
        assert!(r.has_field_error("period", "not_graded"), "{}", r.text);

        let r = publish(app, Some(&association), "2025");
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            keys(&r.body),
            set(&["id", "period", "published_by", "published_at"])
        );
        assert_eq!(r.body["period"], "2025");
        let publication = r.body.clone();
        let again = publish(app, Some(&association), "2025");
        assert_eq!(again.status, 409, "{}", again.text);
        assert_eq!(again.code(), "already_published");

        for token in [&association, &regulator] {
            let list = app.get(PUBLICATIONS, Some(token));
            assert_eq!(list.status, 200, "{}", list.text);
            assert_eq!(list.body["items"], json!([publication]));
        }
        for token in [&admin, &clerk] {
            assert_eq!(app.get(PUBLICATIONS, Some(token)).status, 403);
        }
        assert_eq!(app.get(PUBLICATIONS, None).status, 401);

        // Recorded in the activity log, as every state-changing request is.
        let log = app.get(
            "/api/v1/activity?action=publications&limit=1000",
            Some(&admin),
        );
        let outcomes: Vec<(i64, String)> = log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "POST /api/v1/grades/publications")
            .map(|a| {
                (
                    a["status"].as_i64().unwrap(),
                    a["role"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert!(
            outcomes.contains(&(201, "association".into())),
            "{outcomes:?}"
        );
        assert!(
            outcomes.contains(&(409, "association".into())),
            "{outcomes:?}"
        );
        assert!(
            outcomes.contains(&(403, "regulator".into())),
            "{outcomes:?}"
        );
    });
}

#[test]
fn two_publications_of_one_period_at_once_make_one() {
    each_backend(|app| {
        let regulator = app.regulator();
        let (firm_id, _) = firm(app, &regulator, "并发发布企业", "350902");
        confirm(app, &regulator, &firm_id, "2025", None);
        let association = app.association();
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| publish(app, Some(&association), "2025").status))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 409).count(),
            3,
            "{statuses:?}"
        );
        let list = app.get(PUBLICATIONS, Some(&association));
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    });
}

#[test]
fn the_directory_lists_published_grades_of_active_firms_and_nothing_else() {
    each_backend_with(
        |settings| settings.public_directory = true,
        |app| {
            let regulator = app.regulator();
            let association = app.association();
            let (a, a_code) = firm(app, &regulator, "宁德ABC化工有限公司", "350902");
            let (f, f_code) = firm(app, &regulator, "福安市制药有限公司", "350981");
            // Graded 2025, then 2026: its current grade is of a period not yet published.
            let (b, b_code) = firm(app, &regulator, "蕉城区后评企业", "350902");
            // Graded only in 2026.
            let (c, c_code) = firm(app, &regulator, "新评企业", "350902");
            // Graded 2025, then suspended.
            let (d, _) = firm(app, &regulator, "停业整顿企业", "350902");
            // Never graded.
            let (_, e_code) = firm(app, &regulator, "未评企业", "350902");
            confirm(app, &regulator, &a, "2025", None);
            confirm(app, &regulator, &f, "2025", Some("C"));
            confirm(app, &regulator, &b, "2025", None);
            confirm(app, &regulator, &b, "2026", Some("B"));
            confirm(app, &regulator, &c, "2026", None);
            confirm(app, &regulator, &d, "2025", None);
            let r = app.patch(
                &format!("/api/v1/firms/{d}"),
                Some(&regulator),
                &json!({"status": "suspended", "reason": "停业整顿"}),
            );
            assert_eq!(r.status, 200, "{}", r.text);

            // Nothing is published yet: nothing is public.
            assert_eq!(codes(&app.get(PUBLIC, None)), Vec::<String>::new());

            assert_eq!(publish(app, Some(&association), "2025").status, 201);
            let r = app.get(PUBLIC, None);
            assert_eq!(codes(&r), sorted(vec![a_code.clone(), f_code.clone()]));
            assert_eq!(keys(&r.body), set(&["items", "next_cursor"]));
            for item in r.body["items"].as_array().unwrap() {
                assert_eq!(
                    keys(item),
                    set(&["firm_name", "credit_code", "region_code", "grade", "period"])
                );
                assert_eq!(item["period"], "2025");
            }
            let fuan = r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["credit_code"] == f_code.as_str())
                .unwrap();
            assert_eq!(
                fuan,
                &json!({"firm_name": "福安市制药有限公司", "credit_code": f_code,
                        "region_code": "350981", "grade": "C", "period": "2025"})
            );
            for hidden in [&a, &f, &b, &c, &d] {
                assert!(!r.text.contains(hidden.as_str()), "a firm id leaks");
            }
            for absent in [&b_code, &c_code, &e_code] {
                assert!(!r.text.contains(absent.as_str()), "{absent} is listed");
            }
            assert!(
                !r.text.contains("停业整顿企业"),
                "a suspended firm is listed"
            );
            assert!(r.body["next_cursor"].is_null());

            // A token changes nothing, not even a bad one.
            assert_eq!(app.get(PUBLIC, Some(&regulator)).body, r.body);
            assert_eq!(app.get(PUBLIC, Some("not-a-token")).body, r.body);

            // q: part of the name or of the credit code, in any case.
            let q = |text: &str| codes(&app.get(&format!("{PUBLIC}?q={text}"), None));
            assert_eq!(q("abc"), vec![a_code.clone()]);
            assert_eq!(q("%E5%88%B6%E8%8D%AF"), vec![f_code.clone()]); // 制药
            assert_eq!(q(&f_code[8..].to_lowercase()), vec![f_code.clone()]);
            assert_eq!(q("%25"), Vec::<String>::new()); // `%` matches itself
            assert_eq!(q("%E6%96%B0%E8%AF%84"), Vec::<String>::new()); // 新评: unpublished
            let long = "x".repeat(101);
            let r = app.get(&format!("{PUBLIC}?q={long}"), None);
            assert!(r.has_field_error("q", "too_long"), "{}", r.text);

            // region_code, exactly as GET /grades filters it.
            let region =
                |code: &str| codes(&app.get(&format!("{PUBLIC}?region_code={code}"), None));
            assert_eq!(region("350981"), vec![f_code.clone()]);
            assert_eq!(region("350902"), vec![a_code.clone()]);
            assert_eq!(region("350000"), Vec::<String>::new());
            assert_eq!(
                codes(&app.get(&format!("{PUBLIC}?region_code=350902&q=abc"), None)),
                vec![a_code.clone()]
            );

            // Pages by credit code; the cursor is the last credit code served.
            let first = app.get(&format!("{PUBLIC}?limit=1"), None);
            let all = sorted(vec![a_code.clone(), f_code.clone()]);
            assert_eq!(codes(&first), all[..1].to_vec());
            assert_eq!(first.body["next_cursor"], all[0].as_str());
            let second = app.get(&format!("{PUBLIC}?limit=1&cursor={}", all[0]), None);
            assert_eq!(codes(&second), all[1..].to_vec());
            assert!(second.body["next_cursor"].is_null());
            let r = app.get(&format!("{PUBLIC}?cursor={a}"), None);
            assert!(r.has_field_error("cursor", "invalid_cursor"), "{}", r.text);
            let r = app.get(&format!("{PUBLIC}?limit=0"), None);
            assert!(r.has_field_error("limit", "invalid_limit"), "{}", r.text);

            // Publishing 2026 brings in the firms whose current grade is of 2026.
            assert_eq!(publish(app, Some(&association), "2026").status, 201);
            let r = app.get(PUBLIC, None);
            assert_eq!(
                codes(&r),
                sorted(vec![
                    a_code.clone(),
                    f_code.clone(),
                    b_code.clone(),
                    c_code.clone()
                ])
            );
            let later = r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["credit_code"] == b_code.as_str())
                .unwrap();
            assert_eq!(
                (&later["grade"], &later["period"]),
                (&json!("B"), &json!("2026"))
            );

            // Reinstated, the suspended firm is back with its grade.
            let r = app.patch(
                &format!("/api/v1/firms/{d}"),
                Some(&regulator),
                &json!({"status": "active", "reason": "整改完成"}),
            );
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(codes(&app.get(PUBLIC, None)).len(), 5);
        },
    );
}

#[test]
fn a_client_over_the_limit_is_told_when_to_come_back() {
    each_backend_with(
        |settings| {
            settings.public_directory = true;
            settings.public_rate_limit_per_minute = 3;
        },
        |app| {
            let regulator = app.regulator();
            for _ in 0..3 {
                let r = app.get(PUBLIC, None);
                assert_eq!(r.status, 200, "{}", r.text);
            }
            let r = app.get(PUBLIC, Some(&regulator));
            assert_eq!(r.status, 429, "{}", r.text);
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            assert_eq!(r.code(), "rate_limited");
            let retry: u64 = r
                .header("retry-after")
                .expect("a Retry-After header")
                .parse()
                .expect("whole seconds");
            assert!((1..=60).contains(&retry), "Retry-After {retry}");
            // A bad query costs the same: the budget is counted first.
            assert_eq!(app.get(&format!("{PUBLIC}?limit=0"), None).status, 429);
            // X-Forwarded-For is not trusted unless the deployment says so.
            let spoofed = ureq::get(&format!("{}{PUBLIC}", app.base))
                .set("X-Forwarded-For", "198.51.100.23")
                .call();
            match spoofed {
                Err(ureq::Error::Status(status, _)) => assert_eq!(status, 429),
                other => panic!("a forged address got through: {other:?}"),
            }
            // Only the public route is limited.
            assert_eq!(app.get("/api/v1/grades", Some(&regulator)).status, 200);
        },
    );
}
