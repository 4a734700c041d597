use chrono::{Datelike, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::helpers::{each_backend, TestApp};

fn year() -> String {
    Utc::now().year().to_string()
}

fn open_audit(app: &TestApp, regulator: &str, firm: &str) -> String {
    let r = app.post(
        "/api/v1/audits",
        Some(regulator),
        &json!({"firm_id": firm, "kind": "routine"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

fn add_finding(
    app: &TestApp,
    regulator: &str,
    audit: &str,
    severity: &str,
) -> crate::helpers::Response {
    app.post(
        &format!("/api/v1/audits/{audit}/findings"),
        Some(regulator),
        &json!({"severity": severity, "description": "出入库台账未逐笔登记", "corrective_action": "补登台账", "deadline": (Utc::now() + Duration::days(30)).to_rfc3339_opts(SecondsFormat::Secs, true)}),
    )
}

fn close(app: &TestApp, regulator: &str, audit: &str) -> crate::helpers::Response {
    app.patch(
        &format!("/api/v1/audits/{audit}"),
        Some(regulator),
        &json!({"status": "closed", "conclusion": "基本合规，限期整改"}),
    )
}

#[test]
fn an_audit_is_opened_given_findings_and_read_only_once_closed() {
    each_backend(|app| {
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "受检企业");
        let other = app.register_firm(&regulator, "其他企业");
        let clerk = app.enterprise(&firm);
        let audit = open_audit(app, &regulator, &firm);
        let r = add_finding(app, &regulator, &audit, "major");
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["findings"][0]["severity"], "major");
        assert!(add_finding(app, &regulator, &audit, "fatal")
            .has_field_error("severity", "unknown_severity"));
        let r = app.post(
            &format!("/api/v1/audits/{audit}/findings"),
            Some(&regulator),
            &json!({"severity": "minor", "description": "x", "entry_ids": [uuid::Uuid::now_v7()]}),
        );
        assert!(
            r.has_field_error("entry_ids", "unknown_entry"),
            "{}",
            r.text
        );

        // Open audits are the regulator's working papers: the firm does not see them yet.
        assert_eq!(
            app.get(&format!("/api/v1/audits/{audit}"), Some(&clerk))
                .status,
            404
        );
        assert_eq!(
            app.get("/api/v1/audits", Some(&clerk)).body["items"],
            json!([])
        );

        assert!(app
            .patch(
                &format!("/api/v1/audits/{audit}"),
                Some(&regulator),
                &json!({"status": "closed"})
            )
            .has_field_error("conclusion", "required"));
        let r = close(app, &regulator, &audit);
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (200, Some("closed")),
            "{}",
            r.text
        );
        assert_eq!(close(app, &regulator, &audit).code(), "audit_closed");
        let late = add_finding(app, &regulator, &audit, "minor");
        assert_eq!((late.status, late.code()), (409, "audit_closed"));

        let seen = app.get(&format!("/api/v1/audits/{audit}"), Some(&clerk));
        assert_eq!(
            (seen.status, seen.body["findings"].as_array().map(Vec::len)),
            (200, Some(1))
        );
        assert_eq!(
            app.get("/api/v1/audits", Some(&clerk)).body["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            app.get(&format!("/api/v1/audits?firm_id={other}"), Some(&clerk))
                .status,
            404
        );
        let association = app.association();
        assert_eq!(
            app.get(&format!("/api/v1/audits/{audit}"), Some(&association))
                .status,
            403
        );
        assert_eq!(app.get("/api/v1/audits", Some(&association)).status, 403);
        let bad = app.post(
            "/api/v1/audits",
            Some(&regulator),
            &json!({"firm_id": firm, "kind": "raid"}),
        );
        assert!(bad.has_field_error("kind", "unknown_audit_kind"));
    });
}

#[test]
fn assessment_explains_the_grade_and_confirmation_keeps_history() {
    each_backend(|app| {
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "评级企业");
        let audit = open_audit(app, &regulator, &firm);
        add_finding(app, &regulator, &audit, "critical");
        add_finding(app, &regulator, &audit, "minor");
        // Findings of an open audit do not count yet.
        let path = format!("/api/v1/firms/{firm}/grades/assessment");
        let r = app.post(&path, Some(&regulator), &json!({"period": year()}));
        assert_eq!(
            (r.status, r.body["score"].as_i64(), r.body["grade"].as_str()),
            (200, Some(100), Some("A")),
            "{}",
            r.text
        );
        close(app, &regulator, &audit);
        let r = app.post(&path, Some(&regulator), &json!({"period": year()}));
        assert_eq!(
            (r.body["score"].as_i64(), r.body["grade"].as_str()),
            (Some(78), Some("B")),
            "{}",
            r.text
        );
        assert_eq!(r.body["rules_version"], "2026.1");
        let points: Vec<i64> = r.body["breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["points"].as_i64().unwrap())
            .collect();
        assert_eq!(points, [20, 2]);
        assert!(app
            .post(&path, Some(&regulator), &json!({"period": "last year"}))
            .has_field_error("period", "invalid_period"));

        // Confirm, then override with a reason; both stay in the history, newest first.
        let grades = format!("/api/v1/firms/{firm}/grades");
        let r = app.post(&grades, Some(&regulator), &json!({"period": year()}));
        assert_eq!(
            (
                r.status,
                r.body["grade"].as_str(),
                r.body["overridden"].as_bool()
            ),
            (201, Some("B"), Some(false)),
            "{}",
            r.text
        );
        let no_reason = app.post(
            &grades,
            Some(&regulator),
            &json!({"period": year(), "grade": "A"}),
        );
        assert!(
            no_reason.has_field_error("reason", "override_reason_required"),
            "{}",
            no_reason.text
        );
        let r = app.post(
            &grades,
            Some(&regulator),
            &json!({"period": year(), "grade": "C", "reason": "现场发现账实不符，从严评定"}),
        );
        assert_eq!(
            (
                r.body["grade"].as_str(),
                r.body["computed_grade"].as_str(),
                r.body["overridden"].as_bool()
            ),
            (Some("C"), Some("B"), Some(true))
        );
        let history = app.get(&grades, Some(&regulator));
        let list = history.body["items"].as_array().unwrap();
        assert_eq!(
            list.iter()
                .map(|g| g["grade"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["C", "B"]
        );

        // The association sees the grades, not the breakdown; the directory shows the current one.
        let association = app.association();
        let public = app.get(&grades, Some(&association));
        assert_eq!(public.status, 200);
        assert!(
            public.body["items"][0].get("breakdown").is_none()
                && public.body["items"][0].get("reason").is_none(),
            "{}",
            public.text
        );
        let directory = app.get(&format!("/api/v1/firms/{firm}"), Some(&association));
        assert_eq!(directory.body["current_grade"], "C");
        let clerk = app.enterprise(&firm);
        assert_eq!(
            app.get(&grades, Some(&clerk)).body["items"][0]["breakdown"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
        let other = app.register_firm(&regulator, "别家");
        assert_eq!(
            app.get(&format!("/api/v1/firms/{other}/grades"), Some(&clerk))
                .status,
            404
        );
        assert_eq!(
            app.post(&path, Some(&association), &json!({"period": year()}))
                .status,
            403
        );
    });
}

#[test]
fn custody_findings_and_permit_violations_shape_the_grade() {
    each_backend(|app| {
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "无证购买企业");
        let clerk = app.enterprise(&firm);
        let acetone = app.chemical(&regulator, "67-64-1");
        // A purchase from an outside seller with no purchase filing: PERMIT_MISSING (critical).
        let r = app.post(&format!("/api/v1/firms/{firm}/ledger"), Some(&clerk), &json!({
            "kind": "purchase", "payment": "bank_transfer", "chemical_id": acetone, "quantity": "5", "occurred_at": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            "counterparty": {"name": "外省公司", "credit_code": crate::helpers::credit_code(31337), "permit_no": "X-1"}}));
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            app.post(
                "/api/v1/custody/validations",
                Some(&regulator),
                &json!({"firm_id": firm})
            )
            .status,
            201
        );
        let r = app.post(
            &format!("/api/v1/firms/{firm}/grades/assessment"),
            Some(&regulator),
            &json!({"period": year()}),
        );
        assert_eq!(
            (r.body["score"].as_i64(), r.body["grade"].as_str()),
            (Some(85), Some("C")),
            "{}",
            r.text
        );
        let sources: Vec<&str> = r.body["breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["source"].as_str().unwrap())
            .collect();
        assert_eq!(sources, ["custody_finding", "cap"]);

        // Suspended during the period: D whatever the score.
        app.patch(
            &format!("/api/v1/firms/{firm}"),
            Some(&regulator),
            &json!({"status": "suspended", "reason": "无证购买"}),
        );
        let r = app.post(
            &format!("/api/v1/firms/{firm}/grades/assessment"),
            Some(&regulator),
            &json!({"period": year()}),
        );
        assert_eq!(r.body["grade"], "D");
    });
}

#[test]
fn the_association_sees_current_grades_and_their_distribution() {
    each_backend(|app| {
        let regulator = app.regulator();
        for (name, grade) in [("甲", "A"), ("乙", "B"), ("丙", "A")] {
            let firm = app.register_firm(&regulator, name);
            let body = if grade == "A" {
                json!({"period": year()})
            } else {
                json!({"period": year(), "grade": grade, "reason": "专项检查"})
            };
            let r = app.post(
                &format!("/api/v1/firms/{firm}/grades"),
                Some(&regulator),
                &body,
            );
            assert_eq!(r.status, 201, "{}", r.text);
        }
        app.register_firm(&regulator, "未评级企业");
        let association = app.association();
        let all = app.get("/api/v1/grades", Some(&association));
        assert_eq!(
            all.body["items"].as_array().unwrap().len(),
            3,
            "{}",
            all.text
        );
        // Paged in the database, by region and then name (丙 U+4E19 < 乙 U+4E59 < 甲 U+7532).
        let first = app.get("/api/v1/grades?limit=2", Some(&association));
        let names: Vec<&str> = first.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["firm_name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["丙", "乙"], "{}", first.text);
        let cursor = first.body["next_cursor"].as_str().expect("a next page");
        let rest = app.get(
            &format!("/api/v1/grades?limit=2&cursor={cursor}"),
            Some(&association),
        );
        assert_eq!(rest.body["items"][0]["firm_name"], "甲", "{}", rest.text);
        assert!(rest.body["next_cursor"].is_null());
        assert!(app
            .get("/api/v1/grades?region_code=35", Some(&association))
            .has_field_error("region_code", "invalid_region_code"));
        let a_only = app.get("/api/v1/grades?grade=A", Some(&association));
        assert_eq!(a_only.body["items"].as_array().unwrap().len(), 2);
        assert_eq!(
            app.get("/api/v1/grades?region_code=110101", Some(&association))
                .body["items"],
            json!([])
        );
        assert!(app
            .get("/api/v1/grades?grade=E", Some(&association))
            .has_field_error("grade", "invalid_grade"));
        let summary = app.get(
            &format!("/api/v1/grades/summary?period={}", year()),
            Some(&association),
        );
        assert_eq!(
            summary.body["by_grade"],
            json!({"A": 2, "B": 1, "C": 0, "D": 0}),
            "{}",
            summary.text
        );
        assert_eq!(summary.body["by_region"]["350902"]["A"], 2);
        let clerk = app.enterprise(&app.register_firm(&regulator, "企业"));
        assert_eq!(app.get("/api/v1/grades", Some(&clerk)).status, 403);
        assert_eq!(app.get("/api/v1/grades/summary", Some(&clerk)).status, 403);
    });
}

#[test]
fn the_worklist_puts_the_most_overdue_first() {
    each_backend(|app| {
        let regulator = app.regulator();
        let never = app.register_firm(&regulator, "从未检查");
        let fresh = app.register_firm(&regulator, "刚检查");
        let stale = app.register_firm(&regulator, "久未检查");
        for firm in [&fresh, &stale] {
            let audit = open_audit(app, &regulator, firm);
            close(app, &regulator, &audit);
        }
        // The stale firm is graded D (one month) and its audit closed 40 days ago.
        app.post(
            &format!("/api/v1/firms/{stale}/grades"),
            Some(&regulator),
            &json!({"period": year(), "grade": "D", "reason": "多次违规"}),
        );
        let mut conn = app.direct_connection();
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "UPDATE audits SET closed_at = '{}' WHERE firm_id = '{stale}'",
            (Utc::now() - Duration::days(40))
                .naive_utc()
                .format("%Y-%m-%d %H:%M:%S")
        ))
        .execute(&mut conn)
        .unwrap();
        let due = app.get("/api/v1/supervision/due", Some(&regulator));
        assert_eq!(due.status, 200, "{}", due.text);
        let ids: Vec<&str> = due.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["firm_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [never.as_str(), stale.as_str()], "{}", due.text);
        // Never inspected: due now, counted from its registration (not a null due date).
        let registered = app.get(&format!("/api/v1/firms/{never}"), Some(&regulator));
        let first = &due.body["items"][0];
        assert_eq!(
            (
                first["last_inspection"].is_null(),
                first["days_overdue"].as_i64()
            ),
            (true, Some(0)),
            "{}",
            due.text
        );
        let due_at =
            chrono::DateTime::parse_from_rfc3339(first["due_at"].as_str().unwrap()).unwrap();
        let created_at =
            chrono::DateTime::parse_from_rfc3339(registered.body["created_at"].as_str().unwrap())
                .unwrap();
        assert_eq!(due_at, created_at, "{}", due.text);
        assert_eq!(
            due.body["items"][1]["days_overdue"]
                .as_i64()
                .map(|d| (9..=10).contains(&d)),
            Some(true)
        );
        let clerk = app.enterprise(&fresh);
        assert_eq!(app.get("/api/v1/supervision/due", Some(&clerk)).status, 403);
    });
}

#[test]
fn state_changing_requests_are_logged() {
    each_backend(|app| {
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "日志企业");
        app.patch(
            &format!("/api/v1/firms/{firm}"),
            Some(&regulator),
            &json!({"status": "suspended", "reason": "x"}),
        );
        app.get("/api/v1/firms", Some(&regulator));
        let admin = app.admin();
        let log = app.get("/api/v1/activity?limit=1000", Some(&admin));
        assert_eq!(log.status, 200, "{}", log.text);
        let items: Vec<Value> = log.body["items"].as_array().unwrap().clone();
        let patch = items
            .iter()
            .find(|a| a["action"] == "PATCH /api/v1/firms/{firm_id}")
            .expect("the status change is logged");
        assert_eq!(
            (
                patch["target"].as_str(),
                patch["status"].as_i64(),
                patch["role"].as_str()
            ),
            (
                Some(format!("/api/v1/firms/{firm}").as_str()),
                Some(200),
                Some("regulator")
            )
        );
        assert!(
            items
                .iter()
                .all(|a| !a["action"].as_str().unwrap().starts_with("GET")),
            "reads are not logged"
        );
        assert!(items
            .iter()
            .any(|a| a["action"] == "POST /api/v1/auth/login" && a["user_id"].is_null()));
        let filtered = app.get("/api/v1/activity?action=firms", Some(&regulator));
        assert!(filtered.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"].as_str().unwrap().contains("firms")));
        let association = app.association();
        assert_eq!(app.get("/api/v1/activity", Some(&association)).status, 403);
    });
}

#[test]
fn a_filing_is_logged_once_with_its_outcome() {
    each_backend(|app| {
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "台账企业");
        let clerk = app.enterprise(&firm);
        let acetone = app.chemical(&regulator, "67-64-1");
        let entry = json!({"kind": "stocktake", "chemical_id": acetone, "quantity": "1", "occurred_at": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)});
        let path = format!("/api/v1/firms/{firm}/ledger");
        assert_eq!(app.post(&path, Some(&clerk), &entry).status, 201);
        let mut bad = entry.clone();
        bad["quantity"] = json!("-1");
        assert_eq!(app.post(&path, Some(&clerk), &bad).status, 422);
        let log = app.get(
            "/api/v1/activity?action=ledger&limit=1000",
            Some(&app.admin()),
        );
        let rows: Vec<(i64, Option<&str>)> = log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "POST /api/v1/firms/{firm_id}/ledger")
            .map(|a| (a["status"].as_i64().unwrap(), a["role"].as_str()))
            .collect();
        assert_eq!(
            rows,
            [(201, Some("enterprise")), (422, Some("enterprise"))],
            "{}",
            log.text
        );
    });
}

/// Issue 16: one text rule for every field. NUL, BEL and ESC in an override's reason or an
/// audit finding's corrective action are refused with `control_characters`, and nothing is
/// stored; an overlong one is `too_long`.
#[test]
fn control_characters_in_a_reason_or_a_corrective_action_are_refused_and_not_stored() {
    each_backend(|app| {
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "受检企业");
        let grades = format!("/api/v1/firms/{firm}/grades");
        let audit = open_audit(app, &regulator, &firm);
        let findings = format!("/api/v1/audits/{audit}/findings");
        for bad in ["原因\u{0}", "原因\u{7}响铃", "原因\u{1b}[31m"] {
            let r = app.post(
                &grades,
                Some(&regulator),
                &json!({"period": year(), "grade": "D", "reason": bad}),
            );
            assert!(
                r.has_field_error("reason", "control_characters"),
                "{bad:?}: {}",
                r.text
            );
            let r = app.post(
                &findings,
                Some(&regulator),
                &json!({"severity": "minor", "description": "台账缺页", "corrective_action": bad}),
            );
            assert!(
                r.has_field_error("corrective_action", "control_characters"),
                "{bad:?}: {}",
                r.text
            );
        }
        let r = app.post(
            &grades,
            Some(&regulator),
            &json!({"period": year(), "grade": "D", "reason": "长".repeat(2001)}),
        );
        assert!(r.has_field_error("reason", "too_long"), "{}", r.text);
        let r = app.post(
            &findings,
            Some(&regulator),
            &json!({"severity": "minor", "description": "台账缺页", "corrective_action": "长".repeat(2001)}),
        );
        assert!(
            r.has_field_error("corrective_action", "too_long"),
            "{}",
            r.text
        );
        let stored = app.get(&grades, Some(&regulator));
        assert_eq!(stored.body["items"], json!([]), "{}", stored.text);
        let stored = app.get(&format!("/api/v1/audits/{audit}"), Some(&regulator));
        assert_eq!(stored.body["findings"], json!([]), "{}", stored.text);

        let admin = app.admin();
        let r = app.post(
            "/api/v1/chemicals",
            Some(&admin),
            &json!({"name_en": "Test precursor", "name_zh": "测试前体", "category": 3, "unit": "kg",
                    "controlled_from": "2026-01-01T00:00:00Z", "note": "公告\u{1b}"}),
        );
        assert!(
            r.has_field_error("note", "control_characters"),
            "{}",
            r.text
        );
    });
}
