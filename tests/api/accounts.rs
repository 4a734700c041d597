use serde_json::json;

use crate::helpers::{each_backend, PASSWORD};

#[test]
fn admin_creates_lists_and_updates_accounts() {
    each_backend(|app| {
        let admin = app.admin();
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "宁德华信化工有限公司");
        let (username, id) = app.create_user("enterprise", Some(&firm));
        let list = app.get("/api/v1/users?limit=1000", Some(&admin));
        assert_eq!(list.status, 200);
        let me = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == id.as_str())
            .cloned()
            .unwrap();
        assert_eq!(me["username"], username);
        assert_eq!(me["role"], "enterprise");
        assert_eq!(me["firm_id"], firm.as_str());
        assert!(me.get("password_hash").is_none());

        // A password reset takes effect and ends existing sessions.
        let pair = app.login(&username, PASSWORD);
        let r = app.patch(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"password": "a-brand-new-password"}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.login(&username, PASSWORD).status, 401);
        assert_eq!(app.login(&username, "a-brand-new-password").status, 200);
        let old = app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": pair.body["refresh_token"]}),
        );
        assert_eq!(old.status, 401);
    });
}

#[test]
fn account_fields_are_checked() {
    each_backend(|app| {
        let admin = app.admin();
        let r = app.post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "x", "password": "short", "role": "king"}),
        );
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.has_field_error("username", "invalid_username"));
        assert!(r.has_field_error("password", "weak_password"));
        assert!(r.has_field_error("role", "unknown_role"));

        let r = app.post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "clerk", "password": PASSWORD, "role": "enterprise"}),
        );
        assert!(r.has_field_error("firm_id", "required"), "{}", r.text);
        let firm = uuid::Uuid::now_v7().to_string();
        let r = app.post("/api/v1/users", Some(&admin), &json!({"username": "officer", "password": PASSWORD, "role": "regulator", "firm_id": firm}));
        assert!(r.has_field_error("firm_id", "not_allowed"), "{}", r.text);
        let r = app.post("/api/v1/users", Some(&admin), &json!({"username": "clerk", "password": PASSWORD, "role": "enterprise", "firm_id": firm}));
        assert!(r.has_field_error("firm_id", "unknown_firm"), "{}", r.text);

        let ok = app.post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "Officer.Li", "password": PASSWORD, "role": "regulator"}),
        );
        assert_eq!(
            (ok.status, ok.body["username"].as_str()),
            (201, Some("officer.li"))
        );
        let dup = app.post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "officer.li", "password": PASSWORD, "role": "association"}),
        );
        assert_eq!((dup.status, dup.code()), (409, "username_taken"));
    });
}

#[test]
fn the_admin_cannot_lock_themself_out() {
    each_backend(|app| {
        let admin = app.admin();
        let me = app.get("/api/v1/me", Some(&admin));
        let id = me.body["id"].as_str().unwrap();
        let r = app.patch(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"disabled": true}),
        );
        assert_eq!((r.status, r.code()), (409, "cannot_disable_self"));
        let missing = app.patch(
            &format!("/api/v1/users/{}", uuid::Uuid::now_v7()),
            Some(&admin),
            &json!({"disabled": true}),
        );
        assert_eq!(missing.status, 404);
    });
}
