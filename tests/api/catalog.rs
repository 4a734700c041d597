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
