use serde_json::{json, Value};

use crate::helpers::each_backend;

fn permit(kind: &str, number: &str, chemicals: &[&str]) -> Value {
    json!({
        "kind": kind,
        "number": number,
        "chemical_ids": chemicals,
        "quantity_limit": "5000.5",
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_until": "2026-12-31T23:59:59+08:00",
    })
}

#[test]
fn a_regulator_registers_permits_that_the_firm_can_read() {
    each_backend(|app| {
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "宁德市东侨化学试剂有限公司");
        let acetone = app.chemical(&regulator, "67-64-1");
        let toluene = app.chemical(&regulator, "108-88-3");
        let path = format!("/api/v1/firms/{firm}/permits");
        let r = app.post(
            &path,
            Some(&regulator),
            &permit(
                "purchase_filing",
                "闽宁公(三)备字2026-001",
                &[&acetone, &toluene, &acetone],
            ),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["firm_id"], firm.as_str());
        assert_eq!(r.body["kind"], "purchase_filing");
        assert_eq!(r.body["quantity_limit"], "5000.500");
        assert_eq!(r.body["chemical_ids"].as_array().unwrap().len(), 2);
        assert_eq!(
            r.body["valid_until"], "2026-12-31T15:59:59Z",
            "stored and returned in UTC"
        );

        let clerk = app.enterprise(&firm);
        let list = app.get(&path, Some(&clerk));
        assert_eq!(list.status, 200, "{}", list.text);
        let items = list.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["number"], "闽宁公(三)备字2026-001");
        let mut scope: Vec<&str> = items[0]["chemical_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        scope.sort_unstable();
        let mut expected = vec![acetone.as_str(), toluene.as_str()];
        expected.sort_unstable();
        assert_eq!(scope, expected);

        let mut no_limit = permit("transport_permit", "T-1", &[&acetone]);
        no_limit.as_object_mut().unwrap().remove("quantity_limit");
        let r = app.post(&path, Some(&regulator), &no_limit);
        assert_eq!(
            (r.status, r.body["quantity_limit"].clone()),
            (201, Value::Null)
        );
    });
}

#[test]
fn permit_fields_are_checked_and_nothing_is_stored_on_error() {
    each_backend(|app| {
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "检验企业");
        let acetone = app.chemical(&regulator, "67-64-1");
        let path = format!("/api/v1/firms/{firm}/permits");
        let good = permit("purchase_permit", "P-1", &[&acetone]);
        let cases = [
            ("kind", json!("fishing_licence"), "unknown_permit_kind"),
            ("number", json!(" "), "required"),
            ("chemical_ids", json!([]), "required"),
            ("quantity_limit", json!("12.3456"), "too_many_decimals"),
            ("quantity_limit", json!("1e3"), "invalid_quantity"),
            ("quantity_limit", json!("-5"), "negative_quantity"),
            ("quantity_limit", json!("0"), "zero_quantity"),
            (
                "valid_until",
                json!("2025-12-31T00:00:00Z"),
                "invalid_validity",
            ),
            (
                "valid_until",
                json!("2026-01-01T00:00:00Z"),
                "invalid_validity",
            ),
            ("valid_from", Value::Null, "required"),
        ];
        for (field, value, code) in cases {
            let mut body = good.clone();
            body[field] = value.clone();
            let r = app.post(&path, Some(&regulator), &body);
            assert_eq!(r.status, 422, "{field}={value}: {}", r.text);
            assert!(
                r.has_field_error(field, code),
                "{field}={value}: {}",
                r.text
            );
        }
        let mut body = good.clone();
        body["chemical_ids"] = json!(["not-an-id"]);
        assert!(app
            .post(&path, Some(&regulator), &body)
            .has_field_error("chemical_ids[0]", "invalid_id"));
        body["chemical_ids"] = json!([uuid::Uuid::now_v7().to_string()]);
        let r = app.post(&path, Some(&regulator), &body);
        assert!(
            r.has_field_error("chemical_ids", "unknown_chemical"),
            "{}",
            r.text
        );
        let mut body = good.clone();
        body["valid_from"] = json!("yesterday");
        assert_eq!(app.post(&path, Some(&regulator), &body).status, 422);

        let list = app.get(&path, Some(&regulator));
        assert_eq!(
            list.body["items"].as_array().unwrap().len(),
            0,
            "no half-written permit"
        );

        assert_eq!(app.post(&path, Some(&regulator), &good).status, 201);
        let dup = app.post(&path, Some(&regulator), &good);
        assert_eq!((dup.status, dup.code()), (409, "duplicate_permit_number"));
        let nowhere = app.post(
            &format!("/api/v1/firms/{}/permits", uuid::Uuid::now_v7()),
            Some(&regulator),
            &good,
        );
        assert_eq!(nowhere.status, 404);
    });
}

#[test]
fn a_revoked_firm_gets_no_new_permits() {
    each_backend(|app| {
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "已吊销企业");
        let acetone = app.chemical(&regulator, "67-64-1");
        app.patch(
            &format!("/api/v1/firms/{firm}"),
            Some(&regulator),
            &json!({"status": "revoked", "reason": "吊销"}),
        );
        let r = app.post(
            &format!("/api/v1/firms/{firm}/permits"),
            Some(&regulator),
            &permit("purchase_filing", "F-9", &[&acetone]),
        );
        assert_eq!((r.status, r.code()), (409, "firm_revoked"));
    });
}
