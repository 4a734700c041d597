use serde_json::{json, Value};

use crate::helpers::each_backend;

#[test]
fn the_catalog_is_seeded_from_the_official_list() {
    each_backend(|app| {
        let token = app.association();
        let all = app.get("/api/v1/chemicals?limit=1000", Some(&token));
        assert_eq!(all.status, 200);
        let items = all.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 47, "one entry per row of seed/precursors.csv");
        let anhydride = items.iter().find(|c| c["cas"] == "108-24-7").unwrap();
        assert_eq!(anhydride["name_zh"], "醋酸酐");
        assert_eq!(anhydride["category"], 2);
        assert_eq!(anhydride["unit"], "kg");
        assert!(
            items.iter().any(|c| c["cas"].is_null()),
            "class entries have no CAS number"
        );
        let ephedrine = items.iter().find(|c| c["cas"] == "299-42-3").unwrap();
        assert_eq!(ephedrine["pharmaceutical"], true);

        let id = anhydride["id"].as_str().unwrap();
        let one = app.get(&format!("/api/v1/chemicals/{id}"), Some(&token));
        assert_eq!(
            (one.status, one.body["name_en"].as_str()),
            (200, Some("Acetic anhydride"))
        );
        assert_eq!(
            app.get(
                &format!("/api/v1/chemicals/{}", uuid::Uuid::now_v7()),
                Some(&token)
            )
            .status,
            404
        );
    });
}

#[test]
fn search_by_chinese_or_english_name_cas_and_category() {
    each_backend(|app| {
        let token = app.regulator();
        let names = |query: &str| -> Vec<String> {
            let r = app.get(&format!("/api/v1/chemicals?{query}"), Some(&token));
            assert_eq!(r.status, 200, "{query}: {}", r.text);
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name_en"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names("q=%E9%86%8B%E9%85%B8%E9%85%90"), ["Acetic anhydride"]); // 醋酸酐
        assert_eq!(names("q=TOLUENE"), ["Toluene"]);
        assert_eq!(names("q=7664-93"), ["Sulfuric acid"]);
        assert!(
            names("q=100%25").is_empty(),
            "% is a literal, not a wildcard"
        );
        let category3 = names("category=3");
        assert!(category3.contains(&"Acetone".to_string()));
        assert!(!category3.contains(&"Piperonal".to_string()));
        assert_eq!(
            names("category=3&q=acid"),
            ["Sulfuric acid", "Hydrochloric acid (hydrogen chloride)"]
        );
        let r = app.get("/api/v1/chemicals?category=4", Some(&token));
        assert!(
            r.has_field_error("category", "invalid_category"),
            "{}",
            r.text
        );
    });
}

/// The list changes over time: an admin adds a chemical from a date and changes a category from
/// another; the validator judges each entry by the list as it stood when it happened.
#[test]
fn an_amendment_of_the_list_counts_from_its_date() {
    each_backend(|app| {
        let (admin, regulator) = (app.admin(), app.regulator());
        let now = chrono::Utc::now();
        let days = |d: i64| (now + chrono::Duration::days(d)).to_rfc3339();
        let added = app.post(
            "/api/v1/chemicals",
            Some(&admin),
            &json!({"name_en": "Test precursor", "name_zh": "测试前体", "category": 3, "unit": "kg",
                    "controlled_from": days(-10), "note": "公告（测试）"}),
        );
        assert_eq!(added.status, 201, "{}", added.text);
        let id = added.body["id"].as_str().unwrap().to_string();
        assert!(
            added.body["controlled_from"].as_str().is_some(),
            "{}",
            added.text
        );
        // Listed twice is a conflict; a regulator may not amend the list.
        let again = app.post("/api/v1/chemicals", Some(&admin),
            &json!({"name_en": "Again", "name_zh": "测试前体", "category": 3, "unit": "kg", "controlled_from": days(-10)}));
        assert_eq!(again.status, 409, "{}", again.text);
        let officer = app.post("/api/v1/chemicals", Some(&regulator),
            &json!({"name_en": "X", "name_zh": "某物", "category": 3, "unit": "kg", "controlled_from": days(0)}));
        assert_eq!(officer.status, 403);
        let bad = app.post("/api/v1/chemicals", Some(&admin),
            &json!({"name_en": "X", "name_zh": "某物", "category": 4, "unit": "t", "cas": "50-00-1", "controlled_from": "soon"}));
        assert_eq!(bad.status, 422);
        for (field, code) in [
            ("category", "invalid_category"),
            ("unit", "invalid_unit"),
            ("cas", "invalid_cas_checksum"),
            ("controlled_from", "invalid_time"),
        ] {
            assert!(bad.has_field_error(field, code), "{field}: {}", bad.text);
        }

        // A firm uses the chemical without ever having received it: 12 days ago (before it was
        // listed) is not judged, 5 days ago is an orphan lot.
        let firm = app.register_firm(&regulator, "宁德市测试化工有限公司");
        let clerk = app.enterprise(&firm);
        for d in [-12, -5] {
            let r = app.post(&format!("/api/v1/firms/{firm}/ledger"), Some(&clerk),
                &json!({"kind": "consumption", "chemical_id": id, "lot": format!("L{d}"), "quantity": "1", "occurred_at": days(d)}));
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let run = app.post("/api/v1/custody/validations", Some(&regulator), &json!({}));
        assert_eq!(run.status, 201, "{}", run.text);
        // Filed today, the second is also late; the first, before the listing, is not judged at all.
        assert_eq!(
            run.body["findings_by_code"],
            json!({"ORPHAN_LOT": 1, "LATE_FILING": 1}),
            "{}",
            run.text
        );

        // Category 2 from three days ago, category 1 from next year: as of now it is 2.
        let change = |body: Value| {
            app.post(
                &format!("/api/v1/chemicals/{id}/changes"),
                Some(&admin),
                &body,
            )
        };
        assert_eq!(
            change(json!({"effective_from": days(-3), "category": 2, "note": "调整为第二类"}))
                .status,
            201
        );
        let later =
            change(json!({"effective_from": days(365), "category": 1, "note": "调整为第一类"}));
        assert_eq!(later.status, 201, "{}", later.text);
        assert_eq!(later.body["category"], 2, "{}", later.text);
        assert_eq!(later.body["changes"].as_array().unwrap().len(), 2);
        // Filing reads the list the same way: without a lot, a use of 5 days ago (category 3
        // then) is filed, one of yesterday (category 2) is refused.
        let lotless = |d: i64| {
            app.post(&format!("/api/v1/firms/{firm}/ledger"), Some(&clerk),
                &json!({"kind": "stocktake", "chemical_id": id, "quantity": "0", "occurred_at": days(d)}))
        };
        assert_eq!(lotless(-5).status, 201);
        assert!(lotless(-1).has_field_error("lot", "lot_required"));
        let nothing = change(json!({"effective_from": days(0), "note": "?"}));
        assert!(
            nothing.has_field_error("category", "nothing_changed"),
            "{}",
            nothing.text
        );
        assert_eq!(
            change(json!({"effective_from": days(0), "category": 3})).status,
            422,
            "a change names its notice"
        );
        let listed = app.get("/api/v1/chemicals?category=2&q=Test", Some(&regulator));
        assert_eq!(
            listed.body["items"].as_array().unwrap().len(),
            1,
            "{}",
            listed.text
        );
        let unknown = app.post(
            &format!("/api/v1/chemicals/{}/changes", uuid::Uuid::now_v7()),
            Some(&admin),
            &json!({"effective_from": days(0), "delisted": true, "note": "撤销"}),
        );
        assert_eq!(unknown.status, 404);
    });
}

/// The rule pack in force is shown whole, and each run and grade names it.
#[test]
fn the_rule_pack_is_shown_and_named_on_runs_and_grades() {
    each_backend(|app| {
        let regulator = app.regulator();
        let rules = app.get("/api/v1/rules", Some(&app.association()));
        assert_eq!(rules.status, 200, "{}", rules.text);
        assert_eq!(rules.body["pack"], "cn@2026.1");
        assert_eq!(rules.body["report_deadline_days"], json!([5, 30, 30]));
        assert_eq!(rules.body["filing_deadline_hours"], 72);
        assert_eq!(rules.body["suspicious"]["size_factor"], 5.0);
        assert_eq!(app.get("/api/v1/rules", None).status, 401);

        let firm = app.register_firm(&regulator, "宁德市规则化工有限公司");
        let run = app.post("/api/v1/custody/validations", Some(&regulator), &json!({}));
        assert_eq!(run.body["rule_pack"], "cn@2026.1", "{}", run.text);
        let grade = app.post(
            &format!("/api/v1/firms/{firm}/grades"),
            Some(&regulator),
            &json!({"period": "2026"}),
        );
        assert_eq!(grade.status, 201, "{}", grade.text);
        assert_eq!(grade.body["rule_pack"], "cn@2026.1", "{}", grade.text);
    });
}

/// A pack with a bad value stops the registry at start, naming the key.
#[test]
fn a_bad_rule_pack_is_refused_at_start_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack.toml");
    let text =
        precursor_registry::domain::rule_pack::CN.replace("tolerance_bp = 50", "tolerance_bp = -5");
    std::fs::write(&pack, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_precursor-registry"))
        .args(["validate", "--data-dir"])
        .arg(dir.path())
        .arg("--rule-pack")
        .arg(&pack)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shipments.tolerance_bp"), "{stderr}");
}
