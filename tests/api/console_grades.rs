//! The console's supervision pages over HTTP, as a browser without JavaScript speaks them: the
//! grade table, its chart and its Excel export (regulators and the association), a firm's grade
//! assessment (regulators), and audits (regulators; a firm its own closed ones).

use chrono::{Datelike, Utc};
use serde_json::{json, Value};

use crate::helpers::{credit_code, each_backend, TestApp, PASSWORD};
use crate::visitor::Visitor;

fn year() -> String {
    Utc::now().year().to_string()
}

/// A firm registered in `region`: (id, credit code).
fn firm_in(app: &TestApp, regulator: &str, name: &str, region: &str) -> (String, String) {
    let mut body = app.firm_body(name);
    body["region_code"] = json!(region);
    body["credit_code"] = json!(credit_code(20_000 + app.next()));
    let r = app.post("/api/v1/firms", Some(regulator), &body);
    assert_eq!(r.status, 201, "{}", r.text);
    (
        r.body["id"].as_str().unwrap().to_string(),
        body["credit_code"].as_str().unwrap().to_string(),
    )
}

/// Confirms this year's grade (`grade` overrides the computed one).
fn grade(app: &TestApp, regulator: &str, firm: &str, grade: Option<&str>) {
    let body = match grade {
        None => json!({"period": year()}),
        Some(g) => json!({"period": year(), "grade": g, "reason": "专项检查发现问题"}),
    };
    let r = app.post(
        &format!("/api/v1/firms/{firm}/grades"),
        Some(regulator),
        &body,
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

fn signed_in(app: &TestApp, role: &str, firm: Option<&str>) -> Visitor {
    let (username, _) = app.create_user(role, firm);
    let mut v = Visitor::new(app, "zh-CN,zh;q=0.9");
    assert_eq!(v.sign_in(&username, PASSWORD).status, 303);
    v
}

fn history(app: &TestApp, regulator: &str, firm: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/firms/{firm}/grades"), Some(regulator))
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn the_association_filters_grades_sees_the_chart_and_the_numbers_and_exports_excel() {
    each_backend(|app| {
        let regulator = app.regulator();
        let (a, _) = firm_in(app, &regulator, "蕉城甲化工有限公司", "350902");
        let (b, _) = firm_in(app, &regulator, "蕉城乙化工有限公司", "350902");
        let (c, _) = firm_in(app, &regulator, "霞浦丙化工有限公司", "350921");
        grade(app, &regulator, &a, None);
        grade(app, &regulator, &b, Some("B"));
        grade(app, &regulator, &c, Some("C"));

        let mut v = signed_in(app, "association", None);
        let home = v.get("/");
        assert!(
            home.text.contains("href=\"/grades\"") && home.text.contains("各地区分级分布图"),
            "the association's home lists its pages: {}",
            home.text
        );
        let page = v.get("/grades");
        assert_eq!(page.status, 200, "{}", page.text);
        for id in [&a, &b, &c] {
            assert!(page.text.contains(&format!("id=\"grade-{id}\"")));
        }
        assert!(page.text.contains("A 级") && page.text.contains("霞浦丙化工有限公司"));
        assert!(
            page.text
                .contains("<img id=\"chart\" class=\"chart\" src=\"/grades/chart.svg?period=\"")
                && page.text.contains("alt=\"各地区企业分级分布柱状图"),
            "{}",
            page.text
        );
        // The same numbers as a table, for whoever cannot see the chart.
        let row = &page.text[page.text.find("id=\"region-350902\"").unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert_eq!(
            row.matches("<td class=\"num\">").count(),
            5,
            "A, B, C, D and the total: {row}"
        );
        assert!(row
            .contains("<td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">0</td>"));
        assert!(
            !page.text.contains("/grade?period="),
            "no assessment links for the association"
        );

        let xiapu = v.get("/grades?region_code=350921");
        assert!(xiapu.text.contains(&format!("id=\"grade-{c}\"")));
        assert!(!xiapu.text.contains(&format!("id=\"grade-{a}\"")));
        assert!(v
            .get("/grades?grade=B")
            .text
            .contains(&format!("id=\"grade-{b}\"")));

        let bad = v.get("/grades?region_code=35&grade=E");
        assert_eq!(bad.status, 422);
        assert!(
            bad.text
                .contains("id=\"region_code-problem\">不是有效的行政区划代码")
                && bad
                    .text
                    .contains("id=\"grade-problem\">等级只能是 A、B、C 或 D。"),
            "each message next to its field: {}",
            bad.text
        );
        let bad_year = v.get("/grades?period=next");
        assert_eq!(bad_year.status, 422);
        assert!(bad_year.text.contains("id=\"period-problem\""));
        assert!(!bad_year.text.contains("id=\"chart\""), "no broken image");

        let (status, content_type, svg) = v.download("/grades/chart.svg");
        let svg = String::from_utf8(svg).unwrap();
        assert_eq!(
            (status, content_type.as_str()),
            (200, "image/svg+xml; charset=utf-8")
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(
            svg.contains(">350921<") && svg.contains("data-region=\"350921\" data-grade=\"C\"")
        );
        assert_eq!(svg.matches("class=\"bar\"").count(), 3);
        let (_, _, empty) = v.download("/grades/chart.svg?period=2001");
        assert!(String::from_utf8(empty)
            .unwrap()
            .contains("没有符合条件的评级"));

        let (status, content_type, xlsx) = v.download("/grades.xlsx?region_code=350902");
        assert_eq!(status, 200);
        assert_eq!(
            content_type,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(&xlsx[..2], b"PK", "an xlsx is a ZIP");

        // Paged in the database: 50 a page, then a link to the next.
        for i in 0..50 {
            let (f, _) = firm_in(
                app,
                &regulator,
                &format!("福安{i:02}号化工有限公司"),
                "350981",
            );
            grade(app, &regulator, &f, None);
        }
        let first = v.get("/grades");
        assert_eq!(first.text.matches("<tr id=\"grade-").count(), 50);
        let at = first
            .text
            .find("id=\"next-page\" href=\"")
            .expect("a next page")
            + 21;
        let next = first.text[at..first.text[at..].find('"').unwrap() + at].replace("&amp;", "&");
        let second = v.get(&next);
        assert_eq!(second.text.matches("<tr id=\"grade-").count(), 3, "{next}");
        assert!(!second.text.contains("id=\"next-page\""));

        // Neither a firm nor the admin reads the grade table.
        let mut clerk = signed_in(app, "enterprise", Some(&a));
        let refused = clerk.get("/grades");
        assert_eq!(refused.status, 403);
        assert!(refused.text.contains("无权访问"));
        assert_eq!(clerk.download("/grades.xlsx").0, 403);
        assert_eq!(clerk.download("/grades/chart.svg").0, 403);
        let mut admin = Visitor::new(app, "zh-CN");
        assert_eq!(
            admin
                .sign_in("admin", crate::helpers::ADMIN_PASSWORD)
                .status,
            303
        );
        assert_eq!(admin.get("/grades").status, 403);
    });
}

#[test]
fn a_regulator_assesses_a_firm_then_confirms_or_overrides_with_a_reason() {
    each_backend(|app| {
        let regulator = app.regulator();
        let (firm, _) = firm_in(app, &regulator, "周宁县化工有限公司", "350925");
        let audit = app.post(
            "/api/v1/audits",
            Some(&regulator),
            &json!({"firm_id": firm, "kind": "routine"}),
        );
        let audit = audit.body["id"].as_str().unwrap().to_string();
        let r = app.post(
            &format!("/api/v1/audits/{audit}/findings"),
            Some(&regulator),
            &json!({"severity": "major", "description": "出库未逐笔登记"}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        app.patch(
            &format!("/api/v1/audits/{audit}"),
            Some(&regulator),
            &json!({"status": "closed", "conclusion": "限期整改"}),
        );

        let mut v = signed_in(app, "regulator", None);
        let path = format!("/firms/{firm}/grade");
        let page = v.get(&format!("{path}?period={}", year()));
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.text.contains("周宁县化工有限公司"));
        assert!(
            page.text.contains("<dd id=\"score\">92</dd>"),
            "{}",
            page.text
        );
        assert!(page.text.contains("A 级") && page.text.contains("2026.1"));
        assert!(
            page.text.contains("现场检查发现的问题") && page.text.contains("出库未逐笔登记"),
            "the breakdown names the finding: {}",
            page.text
        );
        assert!(page.text.contains("<td class=\"num\">-8</td>"));
        // The line itself is said in Chinese, not in the rules' English.
        assert!(
            page.text.contains("检查问题：出库未逐笔登记") && !page.text.contains("audit finding"),
            "{}",
            page.text
        );
        assert!(page.text.contains("id=\"history-empty\""));
        let csrf = page.csrf();

        // An override needs its grade and its reason, each said next to its field.
        let period = year();
        let no_reason = v.post(
            &path,
            &[
                ("csrf", &csrf),
                ("period", &period),
                ("decision", "override"),
                ("grade", "C"),
            ],
        );
        assert_eq!(no_reason.status, 422, "{}", no_reason.text);
        assert!(
            no_reason
                .text
                .contains("id=\"reason-problem\">调整等级必须写明理由。"),
            "{}",
            no_reason.text
        );
        let no_grade = v.post(
            &path,
            &[
                ("csrf", &csrf),
                ("period", &period),
                ("decision", "override"),
                ("reason", "x"),
            ],
        );
        assert_eq!(no_grade.status, 422);
        assert!(no_grade.text.contains("id=\"grade-problem\">必填。"));
        let forged = v.post(&path, &[("period", &period), ("decision", "confirm")]);
        assert_eq!(forged.status, 403);
        assert!(history(app, &regulator, &firm).is_empty(), "nothing stored");

        let confirmed = v.post(
            &path,
            &[
                ("csrf", &csrf),
                ("period", &period),
                ("decision", "confirm"),
            ],
        );
        assert_eq!(confirmed.status, 303, "{}", confirmed.text);
        assert_eq!(
            confirmed.location.as_deref(),
            Some(format!("{path}?period={period}&done=confirmed").as_str())
        );
        let stored = history(app, &regulator, &firm);
        assert_eq!(
            (
                stored.len(),
                stored[0]["grade"].as_str(),
                stored[0]["overridden"].as_bool()
            ),
            (1, Some("A"), Some(false))
        );
        let after = v.get(confirmed.location.as_deref().unwrap());
        assert!(after.text.contains("等级已确认。") && after.text.contains("id=\"grade-history\""));

        let overridden = v.post(
            &path,
            &[
                ("csrf", &csrf),
                ("period", &period),
                ("decision", "override"),
                ("grade", "C"),
                ("reason", "年内两次被责令整改"),
            ],
        );
        assert_eq!(overridden.status, 303, "{}", overridden.text);
        let stored = history(app, &regulator, &firm);
        assert_eq!(
            (stored.len(), &stored[0]["grade"], &stored[0]["reason"]),
            (2, &json!("C"), &json!("年内两次被责令整改"))
        );
        let log = app.get("/api/v1/activity?action=/grade", Some(&regulator));
        let lines: Vec<&Value> = log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["status"] == 201)
            .collect();
        assert!(
            lines.len() == 2 && lines.iter().all(|l| l["user_id"].is_string()),
            "each decision logged once, by its officer: {}",
            log.text
        );

        let bad = v.get(&format!("{path}?period=20x6"));
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains("id=\"period-problem\">请填写年度"));
        assert!(!bad.text.contains("id=\"confirm-form\""));
        for missing in [
            "/firms/nope/grade".to_string(),
            format!("/firms/{}/grade", uuid::Uuid::now_v7()),
        ] {
            let page = v.get(&missing);
            assert_eq!(page.status, 404, "{missing}");
            assert!(page.text.contains("页面不存在"));
        }

        let mut association = signed_in(app, "association", None);
        assert_eq!(association.get(&path).status, 403);
        let mut clerk = signed_in(app, "enterprise", Some(&firm));
        assert_eq!(clerk.get(&path).status, 403);
        let token = clerk.get("/").csrf();
        assert_eq!(
            clerk
                .post(&path, &[("csrf", &token), ("period", &period)])
                .status,
            403
        );
        assert_eq!(history(app, &regulator, &firm).len(), 2);
    });
}

#[test]
fn a_regulator_opens_an_audit_records_a_finding_and_closes_it_and_only_then_the_firm_sees_it() {
    each_backend(|app| {
        let regulator = app.regulator();
        let (firm, code) = firm_in(app, &regulator, "寿宁县化工有限公司", "350924");
        let (other, _) = firm_in(app, &regulator, "柘荣县化工有限公司", "350926");
        let mut v = signed_in(app, "regulator", None);
        let list = v.get("/audits");
        assert_eq!(list.status, 200, "{}", list.text);
        assert!(
            list.text.contains("id=\"audits-empty\"") && list.text.contains("id=\"open-audit\"")
        );
        let csrf = list.csrf();

        let forged = v.post("/audits", &[("firm", &code), ("kind", "routine")]);
        assert_eq!(forged.status, 403);
        let no_kind = v.post("/audits", &[("csrf", &csrf), ("firm", &code)]);
        assert_eq!(no_kind.status, 422);
        assert!(
            no_kind
                .text
                .contains("id=\"kind-problem\">请选择检查类型。"),
            "{}",
            no_kind.text
        );
        let unknown = v.post(
            "/audits",
            &[
                ("csrf", &csrf),
                ("firm", &credit_code(99_999)),
                ("kind", "spot"),
            ],
        );
        assert_eq!(unknown.status, 422);
        assert!(unknown
            .text
            .contains("id=\"firm-problem\">没有这家登记企业。"));
        let bad_time = v.post(
            "/audits",
            &[
                ("csrf", &csrf),
                ("firm", &code),
                ("kind", "spot"),
                ("started_at", "tomorrow"),
            ],
        );
        assert!(bad_time
            .text
            .contains("id=\"started_at-problem\">不是有效的日期时间。"));
        let all = |app: &TestApp| {
            app.get("/api/v1/audits", Some(&regulator)).body["items"]
                .as_array()
                .unwrap()
                .clone()
        };
        assert!(all(app).is_empty(), "nothing opened by a refused form");

        let opened = v.post(
            "/audits",
            &[
                ("csrf", &csrf),
                ("firm", &code.to_lowercase()),
                ("kind", "routine"),
                ("started_at", "2026-03-02T09:30"),
            ],
        );
        assert_eq!(opened.status, 303, "{}", opened.text);
        let location = opened.location.unwrap();
        let id = location
            .strip_prefix("/audits/")
            .and_then(|l| l.strip_suffix("?done=opened"))
            .unwrap()
            .to_string();
        let stored = all(app);
        assert_eq!(stored[0]["firm_id"], firm.as_str());
        assert_eq!(
            stored[0]["started_at"], "2026-03-02T01:30:00Z",
            "China Standard Time"
        );

        let page = v.get(&location);
        assert!(page.text.contains("寿宁县化工有限公司") && page.text.contains("例行检查"));
        assert!(page.text.contains("2026-03-02 09:30") && page.text.contains("进行中"));
        assert!(page.text.contains("检查已开始。"));
        let finding_path = format!("/audits/{id}/findings");
        let empty = v.post(&finding_path, &[("csrf", &csrf), ("severity", "major")]);
        assert_eq!(empty.status, 422);
        assert!(empty.text.contains("id=\"description-problem\">必填。"));
        let bad_entry = v.post(
            &finding_path,
            &[
                ("csrf", &csrf),
                ("severity", "major"),
                ("description", "台账缺页"),
                ("entry_ids", "L-1"),
            ],
        );
        assert_eq!(bad_entry.status, 422);
        assert!(bad_entry
            .text
            .contains("id=\"entry_ids-problem\">不是有效的编号。"));
        let not_theirs = v.post(
            &finding_path,
            &[
                ("csrf", &csrf),
                ("severity", "major"),
                ("description", "台账缺页"),
                ("entry_ids", &uuid::Uuid::now_v7().to_string()),
            ],
        );
        assert!(not_theirs
            .text
            .contains("id=\"entry_ids-problem\">本企业台账中没有这条记录。"));
        let recorded = v.post(
            &finding_path,
            &[
                ("csrf", &csrf),
                ("severity", "major"),
                ("description", "<b>台账缺页</b>"),
                ("corrective_action", "补登"),
            ],
        );
        assert_eq!(recorded.status, 303, "{}", recorded.text);
        let audit = app.get(&format!("/api/v1/audits/{id}"), Some(&regulator));
        assert_eq!(audit.body["findings"][0]["severity"], "major");
        let page = v.get(recorded.location.as_deref().unwrap());
        assert!(
            page.text.contains("&lt;b&gt;台账缺页&lt;/b&gt;") || page.text.contains("&#60;b&#62;")
        );
        assert!(page.text.contains("较重") && page.text.contains("问题已记录。"));

        // Working papers: the firm does not see an open audit.
        let mut clerk = signed_in(app, "enterprise", Some(&firm));
        let hidden = clerk.get(&format!("/audits/{id}"));
        assert_eq!(hidden.status, 404);
        assert!(hidden.text.contains("页面不存在"));
        assert!(clerk.get("/audits").text.contains("id=\"audits-empty\""));

        let close_path = format!("/audits/{id}/close");
        let no_conclusion = v.post(&close_path, &[("csrf", &csrf)]);
        assert_eq!(no_conclusion.status, 422);
        assert!(no_conclusion
            .text
            .contains("id=\"conclusion-problem\">必填。"));
        let closed = v.post(
            &close_path,
            &[("csrf", &csrf), ("conclusion", "基本合规，限期整改")],
        );
        assert_eq!(closed.status, 303);
        let page = v.get(closed.location.as_deref().unwrap());
        assert!(page.text.contains("已结束") && page.text.contains("基本合规，限期整改"));
        assert!(
            !page.text.contains("id=\"record-finding\"")
                && !page.text.contains("id=\"close-audit\""),
            "a closed audit is read-only: the forms are gone"
        );
        let late = v.post(
            &finding_path,
            &[
                ("csrf", &csrf),
                ("severity", "minor"),
                ("description", "迟到"),
            ],
        );
        assert_eq!(late.status, 409);
        assert!(late.text.contains("操作未完成"));

        let seen = clerk.get(&format!("/audits/{id}"));
        assert_eq!(seen.status, 200, "{}", seen.text);
        assert!(
            seen.text.contains("基本合规，限期整改") && !seen.text.contains("id=\"close-audit\"")
        );
        let list = clerk.get("/audits");
        assert!(
            list.text.contains(&format!("id=\"audit-{id}\""))
                && !list.text.contains("id=\"open-audit\"")
        );
        let mut stranger = signed_in(app, "enterprise", Some(&other));
        assert_eq!(stranger.get(&format!("/audits/{id}")).status, 404);
        assert_eq!(stranger.get(&format!("/audits?firm={code}")).status, 404);

        let filtered = v.get(&format!("/audits?firm={code}&status=closed"));
        assert!(filtered.text.contains(&format!("id=\"audit-{id}\"")));
        assert!(v
            .get("/audits?status=open")
            .text
            .contains("id=\"audits-empty\""));
        let bad = v.get("/audits?firm=nobody");
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains("id=\"filter-firm-problem\""));
        assert_eq!(v.get("/audits/not-an-id").status, 404);

        let mut association = signed_in(app, "association", None);
        assert_eq!(association.get("/audits").status, 403);
        assert_eq!(association.get(&format!("/audits/{id}")).status, 403);
    });
}
