//! What the OpenAPI document promises and the server does at the edges schemathesis probes
//! (`.ci/contract`): optional bodies, bodies that must be objects, whole numbers written `2.0`,
//! filters refused the same for every role, and the document's own statements of them.

use serde_json::{json, Value};

use crate::helpers::{credit_code, each_backend, each_backend_with};

/// An optional body may be absent or JSON `null`; anything else must be an object, even where
/// every field is optional (serde would read a struct from an array).
#[test]
fn optional_bodies_are_absent_null_or_an_object() {
    each_backend(|app| {
        let regulator = app.regulator();
        let json = Some("application/json");
        let run = |body: &str| {
            app.request(
                "POST",
                "/api/v1/custody/validations",
                Some(&regulator),
                Some(body),
                json,
            )
        };
        assert_eq!(run("null").status, 201, "{}", run("null").text);
        let refused = run("[null, null]");
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(
            refused.has_field_error("body", "invalid_type"),
            "{}",
            refused.text
        );

        let clerk_firm = app.register_firm(&regulator, "宁德市契约化工有限公司");
        let clerk = app.enterprise(&clerk_firm);
        let logout = |body: &str| {
            app.request(
                "POST",
                "/api/v1/auth/logout",
                Some(&clerk),
                Some(body),
                json,
            )
        };
        let refused = logout("[]");
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert_eq!(logout("null").status, 204);
        // `null` is no body: every session of the caller ended.
        assert_eq!(app.get("/api/v1/me", Some(&clerk)).status, 401);

        // A body of optional fields only, read as a struct: an array is refused, nothing done.
        let admin = app.admin();
        let (_, user) = app.create_user("association", None);
        let patch = |body: &str| {
            app.request(
                "PATCH",
                &format!("/api/v1/users/{user}"),
                Some(&admin),
                Some(body),
                json,
            )
        };
        let refused = patch("[true, null]");
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(
            refused.has_field_error("body", "invalid_type"),
            "{}",
            refused.text
        );
        let unknown = patch(r#"{"disabled": false, "role": "admin"}"#);
        assert!(
            unknown.has_field_error("role", "unknown_field"),
            "{}",
            unknown.text
        );
        let done = patch(r#"{"disabled": true}"#);
        assert_eq!(
            (done.status, &done.body["disabled"]),
            (200, &json!(true)),
            "{}",
            done.text
        );
    });
}

/// JSON Schema's `integer` admits `2.0`; so does the server, and only whole numbers.
#[test]
fn a_whole_number_may_be_written_with_a_fraction_of_zero() {
    each_backend(|app| {
        let admin = app.admin();
        let chemicals = app.get("/api/v1/chemicals?limit=1", Some(&admin));
        let id = chemicals.body["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let change = |category: &str| {
            app.request(
                "POST",
                &format!("/api/v1/chemicals/{id}/changes"),
                Some(&admin),
                Some(&format!(
                    r#"{{"effective_from": "2030-01-01", "category": {category}, "note": "通知"}}"#
                )),
                Some("application/json"),
            )
        };
        let half = change("2.5");
        assert_eq!(half.status, 422, "{}", half.text);
        assert!(
            half.has_field_error("body", "invalid_type"),
            "{}",
            half.text
        );
        let two = change("2.0");
        assert_eq!(two.status, 201, "{}", two.text);
        assert_eq!(two.body["changes"][0]["category"], 2, "{}", two.text);
    });
}

/// A filter the association's directory ignores is still checked: a bad one is refused for
/// every role alike, as is a bad `lang` whatever the format asked for.
#[test]
fn a_bad_filter_is_refused_whoever_asks_and_whatever_the_format() {
    each_backend(|app| {
        let regulator = app.regulator();
        let association = app.association();
        for token in [&regulator, &association] {
            let bad = app.get("/api/v1/firms?status=AAA", Some(token));
            assert!(
                bad.has_field_error("status", "unknown_status"),
                "{}",
                bad.text
            );
            assert_eq!(
                app.get("/api/v1/firms?status=active", Some(token)).status,
                200
            );
        }
        let firm = app.register_firm(&regulator, "宁德市语言化工有限公司");
        for path in [
            format!("/api/v1/firms/{firm}/ledger?lang=fr"),
            "/api/v1/custody/findings?lang=fr".to_string(),
            "/api/v1/grades?format=json&lang=fr".to_string(),
        ] {
            let bad = app.get(&path, Some(&regulator));
            assert!(
                bad.has_field_error("lang", "invalid_lang"),
                "{path}: {}",
                bad.text
            );
        }
        let fine = app.get(
            &format!("/api/v1/firms/{firm}/ledger?lang=en-GB"),
            Some(&regulator),
        );
        assert_eq!(fine.status, 200, "{}", fine.text);
    });
}

/// The public directory's cursor is a position in credit-code order: any text of a credit
/// code's shape is one, whatever its check character.
#[test]
fn the_public_directory_reads_any_credit_code_shaped_cursor() {
    each_backend_with(
        |settings| settings.public_directory = true,
        |app| {
            let valid = credit_code(7);
            let mut wrong_check = valid[..17].to_string();
            wrong_check.push(if valid.ends_with('0') { '1' } else { '0' });
            for cursor in [valid.as_str(), wrong_check.as_str()] {
                let r = app.get(&format!("/api/v1/public/grades?cursor={cursor}"), None);
                assert_eq!(r.status, 200, "{cursor}: {}", r.text);
            }
            let r = app.get("/api/v1/public/grades?cursor=not-a-code", None);
            assert!(r.has_field_error("cursor", "invalid_cursor"), "{}", r.text);
        },
    );
}

fn param<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))
}

/// The document says what the server reads: a page's limit and cursor, enums of filters, times,
/// optional bodies, required fields and their rules, untagged answers as any of their shapes.
#[test]
fn the_openapi_document_states_the_rules_the_server_enforces() {
    each_backend(|app| {
        let doc = app.get("/api/v1/openapi.json", None).body;
        let limit = &param(&doc, "/api/v1/firms", "get", "limit")["schema"]["oneOf"];
        assert_eq!(
            limit[0],
            json!({"type": "integer", "minimum": 1, "maximum": 1000})
        );
        assert_eq!(limit[1], json!({"type": "string", "enum": [""]}));
        let cursor = &param(&doc, "/api/v1/firms", "get", "cursor")["schema"]["oneOf"][0];
        assert_eq!(cursor["format"], "uuid");
        let category = &param(&doc, "/api/v1/chemicals", "get", "category")["schema"];
        assert_eq!(category["enum"], json!(["1", "2", "3", ""]));
        let as_of = &param(&doc, "/api/v1/firms/{firm_id}/inventory", "get", "as_of")["schema"];
        assert_eq!(as_of["oneOf"][0]["format"], "date-time");
        let status = &param(&doc, "/api/v1/firms/{firm_id}/incoming", "get", "status")["schema"];
        assert_eq!(
            status["enum"],
            json!(["awaiting", "overdue", "refused", "all", ""])
        );

        for (path, method) in [
            ("/api/v1/auth/logout", "post"),
            ("/api/v1/custody/validations", "post"),
        ] {
            let body = &doc["paths"][path][method]["requestBody"];
            assert!(
                body.is_object() && body["required"] != json!(true),
                "{path}: {body}"
            );
        }
        let schemas = &doc["components"]["schemas"];
        let firm = &schemas["RegisterFirmRequest"];
        assert_eq!(firm["additionalProperties"], json!(false));
        let mut required: Vec<&str> = firm["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        required.sort_unstable();
        assert_eq!(
            required,
            [
                "activities",
                "address",
                "credit_code",
                "name",
                "region_code"
            ]
        );
        assert_eq!(firm["properties"]["activities"]["minItems"], 1);
        assert!(firm["properties"]["name"]["pattern"].is_string());
        assert_eq!(
            schemas["FirmForCaller"]["anyOf"].as_array().map(Vec::len),
            Some(2)
        );
        // The firm's activities and the activity log's rows are two schemas.
        assert!(schemas["FirmActivity"]["enum"].is_array());
        assert!(schemas["Activity"]["properties"]["action"].is_object());
    });
}
