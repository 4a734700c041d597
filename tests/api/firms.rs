use serde_json::json;

use crate::helpers::{credit_code, each_backend};

#[test]
fn a_regulator_registers_lists_and_reads_firms() {
    each_backend(|app| {
        let regulator = app.regulator();
        let mut body = app.firm_body("福鼎市闽东化工贸易有限公司");
        body["activities"] = json!(["trade", "store", "trade"]);
        body["credit_code"] = json!(credit_code(9001).to_lowercase());
        let r = app.post("/api/v1/firms", Some(&regulator), &body);
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["status"], "active");
        assert_eq!(
            r.body["credit_code"],
            credit_code(9001),
            "stored upper-case"
        );
        assert_eq!(
            r.body["activities"],
            json!(["trade", "store"]),
            "deduplicated, in canonical order"
        );
        let id = r.body["id"].as_str().unwrap();

        let got = app.get(&format!("/api/v1/firms/{id}"), Some(&regulator));
        assert_eq!(got.status, 200);
        assert_eq!(got.body["name"], "福鼎市闽东化工贸易有限公司");
        assert_eq!(got.body["address"], body["address"]);

        let missing = app.get(
            &format!("/api/v1/firms/{}", uuid::Uuid::now_v7()),
            Some(&regulator),
        );
        assert_eq!((missing.status, missing.code()), (404, "not_found"));
        let not_an_id = app.get("/api/v1/firms/not-an-id", Some(&regulator));
        assert_eq!(not_an_id.status, 404);
    });
}

#[test]
fn lists_page_with_a_cursor() {
    each_backend(|app| {
        let regulator = app.regulator();
        let ids: Vec<String> = (0..5)
            .map(|i| app.register_firm(&regulator, &format!("企业{i}")))
            .collect();
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/firms?limit=2&cursor={c}"),
                None => "/api/v1/firms?limit=2".to_string(),
            };
            let page = app.get(&path, Some(&regulator));
            assert_eq!(page.status, 200, "{}", page.text);
            let items = page.body["items"].as_array().unwrap();
            assert!(items.len() <= 2);
            seen.extend(items.iter().map(|f| f["id"].as_str().unwrap().to_string()));
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(seen, ids);
        for bad in ["limit=0", "limit=1001", "limit=ten", "cursor=nope"] {
            let r = app.get(&format!("/api/v1/firms?{bad}"), Some(&regulator));
            assert_eq!(r.status, 422, "{bad}: {}", r.text);
        }
    });
}

#[test]
fn each_registration_field_is_checked() {
    each_backend(|app| {
        let regulator = app.regulator();
        let good = app.firm_body("宁德检验企业");
        let cases = [
            (
                "credit_code",
                json!("91350100M000100Y44"),
                "invalid_credit_code_checksum",
            ),
            (
                "credit_code",
                json!("91350100M000100Y4"),
                "invalid_credit_code_length",
            ),
            (
                "credit_code",
                json!("91350100M0001O0Y43"),
                "invalid_credit_code_character",
            ),
            ("region_code", json!("35090"), "invalid_region_code"),
            ("region_code", json!("990902"), "unknown_province"),
            ("name", json!("   "), "required"),
            ("address", json!(""), "required"),
            ("activities", json!([]), "required"),
            ("name", json!("名".repeat(201)), "too_long"),
        ];
        for (field, value, code) in cases {
            let mut body = good.clone();
            body[field] = value.clone();
            let r = app.post("/api/v1/firms", Some(&regulator), &body);
            assert_eq!(r.status, 422, "{field}={value}: {}", r.text);
            assert!(
                r.has_field_error(field, code),
                "{field}={value}: {}",
                r.text
            );
        }
        let mut body = good.clone();
        body["activities"] = json!(["trade", "smuggle"]);
        let r = app.post("/api/v1/firms", Some(&regulator), &body);
        assert!(
            r.has_field_error("activities[1]", "unknown_activity"),
            "{}",
            r.text
        );

        // Everything wrong at once is reported at once.
        let r = app.post("/api/v1/firms", Some(&regulator), &json!({}));
        assert_eq!(r.status, 422);
        let fields: Vec<String> = r.field_errors().into_iter().map(|(f, _)| f).collect();
        for field in [
            "name",
            "credit_code",
            "region_code",
            "address",
            "activities",
        ] {
            assert!(
                fields.iter().any(|f| f == field),
                "{field} missing from {fields:?}"
            );
        }

        // Nothing of the rejected registrations was stored.
        let list = app.get("/api/v1/firms", Some(&regulator));
        assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
    });
}

#[test]
fn a_credit_code_is_registered_once() {
    each_backend(|app| {
        let regulator = app.regulator();
        let body = app.firm_body("原企业");
        assert_eq!(
            app.post("/api/v1/firms", Some(&regulator), &body).status,
            201
        );
        let mut again = body.clone();
        again["name"] = json!("另一个名字");
        let r = app.post("/api/v1/firms", Some(&regulator), &again);
        assert_eq!(
            (r.status, r.code()),
            (409, "duplicate_credit_code"),
            "{}",
            r.text
        );
    });
}

#[test]
fn malformed_bodies_are_400_and_wrong_types_422() {
    each_backend(|app| {
        let regulator = app.regulator();
        let r = app.request(
            "POST",
            "/api/v1/firms",
            Some(&regulator),
            Some("{\"name\": "),
            Some("application/json"),
        );
        assert_eq!((r.status, r.code()), (400, "malformed_json"));
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        let r = app.request(
            "POST",
            "/api/v1/firms",
            Some(&regulator),
            Some("name=x"),
            Some("application/x-www-form-urlencoded"),
        );
        assert_eq!((r.status, r.code()), (400, "unsupported_media_type"));
        let r = app.post("/api/v1/firms", Some(&regulator), &json!({"name": 5}));
        assert_eq!((r.status, r.code()), (422, "validation_failed"));
        let r = app.post("/api/v1/firms", Some(&regulator), &json!([1, 2]));
        assert_eq!(r.status, 422);
    });
}

#[test]
fn status_changes_need_a_reason_and_revocation_is_final() {
    each_backend(|app| {
        let regulator = app.regulator();
        let id = app.register_firm(&regulator, "待处置企业");
        let path = format!("/api/v1/firms/{id}");
        let r = app.patch(&path, Some(&regulator), &json!({"status": "suspended"}));
        assert!(r.has_field_error("reason", "required"), "{}", r.text);
        let r = app.patch(
            &path,
            Some(&regulator),
            &json!({"status": "closed", "reason": "x"}),
        );
        assert!(r.has_field_error("status", "unknown_status"), "{}", r.text);

        let r = app.patch(
            &path,
            Some(&regulator),
            &json!({"status": "suspended", "reason": "台账不全，责令整改"}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            (r.body["status"].as_str(), r.body["status_reason"].as_str()),
            (Some("suspended"), Some("台账不全，责令整改"))
        );
        let r = app.patch(
            &path,
            Some(&regulator),
            &json!({"status": "active", "reason": "整改完成"}),
        );
        assert_eq!(r.body["status"], "active");
        let r = app.patch(
            &path,
            Some(&regulator),
            &json!({"status": "revoked", "reason": "违法销售"}),
        );
        assert_eq!(r.body["status"], "revoked");
        let r = app.patch(
            &path,
            Some(&regulator),
            &json!({"status": "active", "reason": "申诉"}),
        );
        assert_eq!((r.status, r.code()), (409, "firm_revoked"));
        let missing = app.patch(
            &format!("/api/v1/firms/{}", uuid::Uuid::now_v7()),
            Some(&regulator),
            &json!({"status": "suspended", "reason": "x"}),
        );
        assert_eq!(missing.status, 404);
    });
}

#[test]
fn the_association_sees_directory_fields_only_and_an_enterprise_only_itself() {
    each_backend(|app| {
        let regulator = app.regulator();
        let own = app.register_firm(&regulator, "本企业");
        let other = app.register_firm(&regulator, "他企业");
        let association = app.association();
        let list = app.get("/api/v1/firms", Some(&association));
        assert_eq!(list.status, 200);
        let items = list.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        for item in items {
            let mut keys: Vec<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(keys, ["current_grade", "id", "name", "region_code"]);
        }
        let one = app.get(&format!("/api/v1/firms/{own}"), Some(&association));
        assert!(one.body.get("credit_code").is_none());

        let clerk = app.enterprise(&own);
        let list = app.get("/api/v1/firms", Some(&clerk));
        let items = list.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], own.as_str());
        assert!(items[0].get("credit_code").is_some());
        assert_eq!(
            app.get(&format!("/api/v1/firms/{other}"), Some(&clerk))
                .status,
            404
        );
    });
}
