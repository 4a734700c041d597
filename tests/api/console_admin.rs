//! The admin's console pages over HTTP: user accounts (create with the message next to the
//! field, disable and enable, a new password) and the activity log; nobody else gets them.

use serde_json::{json, Value};

use crate::helpers::{credit_code, each_backend, TestApp, ADMIN_PASSWORD, PASSWORD};
use crate::visitor::Visitor;

fn admin(app: &TestApp) -> Visitor {
    let mut v = Visitor::new(app, "zh-CN,zh;q=0.9");
    assert_eq!(v.sign_in("admin", ADMIN_PASSWORD).status, 303);
    v
}

fn users(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/users?limit=1000", Some(&app.admin())).body["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn user_named<'a>(all: &'a [Value], name: &str) -> &'a Value {
    all.iter()
        .find(|u| u["username"] == name)
        .unwrap_or_else(|| panic!("{name} in {all:?}"))
}

#[test]
fn the_admin_creates_disables_enables_and_resets_users_with_each_message_next_to_its_field() {
    each_backend(|app| {
        let regulator = app.regulator();
        let mut body = app.firm_body("霞浦县化工有限公司");
        body["credit_code"] = json!(credit_code(31_000 + app.next()));
        let firm = app.post("/api/v1/firms", Some(&regulator), &body).body["id"]
            .as_str()
            .unwrap()
            .to_string();
        let code = body["credit_code"].as_str().unwrap().to_string();

        let mut v = admin(app);
        let home = v.get("/");
        assert!(
            home.text.contains("href=\"/users\"")
                && home.text.contains("href=\"/activity\"")
                && home.text.contains("重设密码"),
            "the admin's home lists its pages: {}",
            home.text
        );
        let page = v.get("/users");
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.text.contains(">admin<") && page.text.contains("系统管理员"));
        let csrf = page.csrf();
        let before = users(app).len();

        let weak = v.post(
            "/users",
            &[
                ("csrf", &csrf),
                ("username", "xiapu.clerk"),
                ("password", "short"),
                ("role", "enterprise"),
                ("firm", &code),
            ],
        );
        assert_eq!(weak.status, 422, "{}", weak.text);
        assert!(
            weak.text
                .contains("id=\"password-problem\">密码长度须为 12 到 256 个字符。"),
            "{}",
            weak.text
        );
        assert!(
            weak.text.contains("value=\"xiapu.clerk\""),
            "the form keeps what was typed"
        );
        assert!(
            !weak.text.contains("value=\"short\""),
            "but never the password"
        );
        let no_firm = v.post(
            "/users",
            &[
                ("csrf", &csrf),
                ("username", "xiapu.clerk"),
                ("password", PASSWORD),
                ("role", "enterprise"),
            ],
        );
        assert!(no_firm.text.contains("id=\"firm-problem\">必填。"));
        let firm_for_regulator = v.post(
            "/users",
            &[
                ("csrf", &csrf),
                ("username", "xiapu.officer"),
                ("password", PASSWORD),
                ("role", "regulator"),
                ("firm", &code),
            ],
        );
        assert!(firm_for_regulator
            .text
            .contains("id=\"firm-problem\">只有企业台账员属于企业"));
        let unknown_firm = v.post(
            "/users",
            &[
                ("csrf", &csrf),
                ("username", "xiapu.clerk"),
                ("password", PASSWORD),
                ("role", "enterprise"),
                ("firm", &credit_code(99_998)),
            ],
        );
        assert!(unknown_firm
            .text
            .contains("id=\"firm-problem\">没有这家登记企业。"));
        let taken = v.post(
            "/users",
            &[
                ("csrf", &csrf),
                ("username", "Admin"),
                ("password", PASSWORD),
                ("role", "admin"),
            ],
        );
        assert_eq!(taken.status, 422);
        assert!(taken
            .text
            .contains("id=\"username-problem\">该用户名已被使用。"));
        let no_role = v.post(
            "/users",
            &[("csrf", &csrf), ("username", "x"), ("password", PASSWORD)],
        );
        assert!(no_role.text.contains("id=\"role-problem\">请选择角色。"));
        assert!(no_role
            .text
            .contains("id=\"username-problem\">用户名为 3 到 64 个字符"));
        let forged = v.post(
            "/users",
            &[
                ("username", "xiapu.clerk"),
                ("password", PASSWORD),
                ("role", "enterprise"),
                ("firm", &code),
            ],
        );
        assert_eq!(forged.status, 403);
        assert_eq!(
            users(app).len(),
            before,
            "nothing created by a refused form"
        );

        let created = v.post(
            "/users",
            &[
                ("csrf", &csrf),
                ("username", "xiapu.clerk"),
                ("password", PASSWORD),
                ("role", "enterprise"),
                ("firm", &code),
            ],
        );
        assert_eq!(
            (created.status, created.location.as_deref()),
            (303, Some("/users?done=created"))
        );
        let all = users(app);
        let clerk = user_named(&all, "xiapu.clerk");
        assert_eq!(clerk["firm_id"], firm.as_str());
        assert_eq!(clerk["role"], "enterprise");
        let id = clerk["id"].as_str().unwrap().to_string();
        let listed = v.get("/users?done=created");
        assert!(listed.text.contains("用户已创建。") && listed.text.contains("霞浦县化工有限公司"));

        // Disabling ends the clerk's session at once; enabling lets it sign in again.
        let mut k = Visitor::new(app, "zh-CN");
        assert_eq!(k.sign_in("xiapu.clerk", PASSWORD).status, 303);
        assert_eq!(k.get("/").status, 200);
        let off = v.post(
            &format!("/users/{id}/status"),
            &[("csrf", &csrf), ("disabled", "true")],
        );
        assert_eq!(off.status, 303);
        assert!(user_named(&users(app), "xiapu.clerk")["disabled"] == true);
        assert_eq!(k.get("/").location.as_deref(), Some("/sign-in"));
        assert!(v.get("/users").text.contains("已停用"));
        let on = v.post(
            &format!("/users/{id}/status"),
            &[("csrf", &csrf), ("disabled", "false")],
        );
        assert_eq!(on.status, 303);
        assert_eq!(k.sign_in("xiapu.clerk", PASSWORD).status, 303);

        // A new password: a weak one is said on its row; a good one ends the old sessions.
        let weak = v.post(
            &format!("/users/{id}/password"),
            &[("csrf", &csrf), ("password", "1234")],
        );
        assert_eq!(weak.status, 422);
        assert!(weak.text.contains(&format!(
            "id=\"password-{id}-problem\">密码长度须为 12 到 256 个字符。"
        )));
        let reset = v.post(
            &format!("/users/{id}/password"),
            &[("csrf", &csrf), ("password", "another-long-password")],
        );
        assert_eq!(reset.status, 303);
        assert_eq!(
            k.get("/").location.as_deref(),
            Some("/sign-in"),
            "signed out by the reset"
        );
        assert_eq!(k.sign_in("xiapu.clerk", PASSWORD).status, 401);
        assert_eq!(
            k.sign_in("xiapu.clerk", "another-long-password").status,
            303
        );
        assert_eq!(
            app.login("xiapu.clerk", "another-long-password").status,
            200
        );

        let admin_id = user_named(&users(app), "admin")["id"]
            .as_str()
            .unwrap()
            .to_string();
        let own = v.post(
            &format!("/users/{admin_id}/status"),
            &[("csrf", &csrf), ("disabled", "true")],
        );
        assert_eq!(own.status, 409);
        assert!(own.text.contains("不能停用自己的账号。"));
        assert_eq!(v.post("/users/nope/status", &[("csrf", &csrf)]).status, 404);
        let nobody = uuid::Uuid::now_v7();
        assert_eq!(
            v.post(
                &format!("/users/{nobody}/status"),
                &[("csrf", &csrf), ("disabled", "true")]
            )
            .status,
            404
        );

        // The log names the admin for each change made here.
        let log = app.get("/api/v1/activity?action=/users", Some(&app.admin()));
        let console_lines: Vec<&Value> = log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| {
                !l["action"].as_str().unwrap().contains("/api/") && l["status"].as_i64() < Some(300)
            })
            .collect();
        assert_eq!(
            console_lines.len(),
            4,
            "create, disable, enable, reset: {}",
            log.text
        );
        assert!(console_lines
            .iter()
            .all(|l| l["user_id"] == admin_id.as_str()));

        // Nobody else manages users.
        for role in ["regulator", "association"] {
            let (name, _) = app.create_user(role, None);
            let mut other = Visitor::new(app, "zh-CN");
            assert_eq!(other.sign_in(&name, PASSWORD).status, 303);
            let refused = other.get("/users");
            assert_eq!(refused.status, 403, "{role}");
            assert!(refused.text.contains("无权访问"));
            let token = other.get("/").csrf();
            assert_eq!(
                other
                    .post(
                        &format!("/users/{id}/status"),
                        &[("csrf", &token), ("disabled", "true")]
                    )
                    .status,
                403
            );
        }
        assert!(user_named(&users(app), "xiapu.clerk")["disabled"] == false);
    });
}

#[test]
fn the_activity_log_page_filters_by_user_action_and_day_and_pages() {
    each_backend(|app| {
        let regulator = app.regulator();
        // 55 refused registrations: each is a line of the log.
        for _ in 0..55 {
            let r = app.post("/api/v1/firms", Some(&regulator), &json!({}));
            assert_eq!(r.status, 422);
        }
        let mut v = admin(app);
        let page = v.get("/activity");
        assert_eq!(page.status, 200, "{}", page.text);
        assert_eq!(
            page.text.matches("<tr>").count(),
            51,
            "a header row and 50 lines"
        );
        assert!(page.text.contains("POST /api/v1/firms"));
        let at = page
            .text
            .find("id=\"next-page\" href=\"")
            .expect("a next page")
            + 21;
        let next = page.text[at..page.text[at..].find('"').unwrap() + at].replace("&amp;", "&");
        assert!(v.get(&next).text.contains("POST /api/v1/firms"));

        let (officer, _) = app.create_user("regulator", None);
        let theirs = v.get(&format!("/activity?user={officer}"));
        assert_eq!(theirs.status, 200);
        assert!(
            theirs.text.contains("id=\"activity-empty\""),
            "{}",
            theirs.text
        );
        let admins = v.get("/activity?user=ADMIN&action=users");
        assert!(admins.text.contains("POST /api/v1/users") && admins.text.contains(">admin<"));
        assert!(!admins.text.contains("POST /api/v1/firms"));
        let today = (chrono::Utc::now() + chrono::Duration::hours(8))
            .format("%Y-%m-%d")
            .to_string();
        assert!(v
            .get(&format!("/activity?action=firms&from={today}&to={today}"))
            .text
            .contains("POST /api/v1/firms"));
        assert!(v
            .get("/activity?action=firms&to=2020-01-01")
            .text
            .contains("id=\"activity-empty\""));

        let unknown = v.get("/activity?user=nobody-at-all");
        assert_eq!(unknown.status, 422);
        assert!(unknown.text.contains("id=\"user-problem\">没有这个用户。"));
        let bad_day = v.get("/activity?from=soon");
        assert_eq!(bad_day.status, 422);
        assert!(bad_day
            .text
            .contains("id=\"from-problem\">不是有效的日期时间。"));

        for (role, firm) in [
            ("association", None),
            ("enterprise", Some(app.register_firm(&regulator, "某企业"))),
        ] {
            let (name, _) = app.create_user(role, firm.as_deref());
            let mut other = Visitor::new(app, "zh-CN");
            assert_eq!(other.sign_in(&name, PASSWORD).status, 303);
            let refused = other.get("/activity?user=admin");
            assert_eq!(refused.status, 403, "{role}");
            assert!(!refused.text.contains("没有这个用户"));
        }
    });
}
