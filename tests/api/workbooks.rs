//! Excel workbooks through the API: the ledger's export (a sheet per chemical with its balance),
//! its import and template, findings and grades; Chinese text survives, and text a user supplied
//! never becomes a formula (in the workbook and in the CSV).

use std::io::{Cursor, Read};

use calamine::{Data, Range, Reader, Xlsx};
use chrono::NaiveDate;
use precursor_registry::workbook::{one_sheet, Cell, Column, CONTENT_TYPE};
use serde_json::{json, Value};

use crate::helpers::{each_backend, Response, TestApp};
use crate::ledger::{chain, Chain};

const INJECTION: &str = "=cmd|' /C calc'!A0";
const AT_SUM: &str = "@SUM(A1)";

/// GET `path` with optional `Accept` and `Accept-Language`: status, content type, bytes.
fn download(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    accept: Option<&str>,
    accept_language: Option<&str>,
) -> (u16, String, Vec<u8>) {
    let mut req = ureq::get(&format!("{}{path}", app.base));
    if let Some(token) = token {
        req = req.set("Authorization", &format!("Bearer {token}"));
    }
    if let Some(accept) = accept {
        req = req.set("Accept", accept);
    }
    if let Some(lang) = accept_language {
        req = req.set("Accept-Language", lang);
    }
    let response = match req.call() {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {path}: {e}"),
    };
    let status = response.status();
    let content_type = response.content_type().to_string();
    let mut bytes = Vec::new();
    response.into_reader().read_to_end(&mut bytes).unwrap();
    (status, content_type, bytes)
}

/// A workbook download that must succeed.
fn workbook(app: &TestApp, path: &str, token: &str) -> Xlsx<Cursor<Vec<u8>>> {
    let (status, content_type, bytes) = download(app, path, Some(token), None, None);
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&bytes));
    assert_eq!(content_type, CONTENT_TYPE);
    Xlsx::new(Cursor::new(bytes)).expect("the download opens as a workbook")
}

fn upload(app: &TestApp, token: &str, firm: &str, bytes: &[u8]) -> Response {
    let url = format!("{}/api/v1/firms/{firm}/ledger/import", app.base);
    let result = ureq::post(&url)
        .set("Authorization", &format!("Bearer {token}"))
        .set("Content-Type", CONTENT_TYPE)
        .send_bytes(bytes);
    let response = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let status = response.status();
    let text = response.into_string().unwrap();
    Response {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
        headers: vec![],
    }
}

/// The firm's whole ledger (up to 1000 entries) as `token` sees it.
fn entries(app: &TestApp, token: &str, firm: &str) -> Vec<Value> {
    app.entries(token, firm)
}

fn column(range: &Range<Data>, col: usize) -> Vec<Data> {
    (1..range.height())
        .map(|r| range.get((r, col)).cloned().unwrap_or_default())
        .collect()
}

fn header(range: &Range<Data>) -> Vec<String> {
    (0..range.width())
        .map(|c| range.get((0, c)).map(|d| d.to_string()).unwrap_or_default())
        .collect()
}

/// The seller's ledger: acetone bought 100, sold 30 (a note in Chinese), the sale reversed, two
/// losses whose notes look like formulas; acetic anhydride made 500 in lot 批次-甲.
fn small_ledger(app: &TestApp, c: &Chain) {
    let batch = json!({"entries": [
        {"kind": "purchase", "payment": "bank_transfer", "chemical_id": c.acetone, "quantity": "100", "occurred_at": "2026-01-01T00:00:00Z",
         "counterparty": {"name": "宁德市外地化工有限公司", "credit_code": crate::helpers::credit_code(777), "permit_no": "闽(三)购备2026-9"}},
        {"kind": "production", "chemical_id": c.anhydride, "lot": "批次-甲", "quantity": "500", "occurred_at": "2026-01-01T00:00:00Z"},
        {"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "quantity": "30", "occurred_at": "2026-01-02T00:00:00Z",
         "counterparty": {"firm_id": c.buyer}, "note": "桶破裂"},
    ]});
    let path = format!("/api/v1/firms/{}/ledger/batch", c.seller);
    let r = app.post(&path, Some(&c.seller_clerk), &batch);
    assert_eq!(r.status, 201, "{}", r.text);
    let sale = r.body["items"][2]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/firms/{}/ledger", c.seller);
    for entry in [
        json!({"kind": "reversal", "reverses": sale, "occurred_at": "2026-01-03T00:00:00Z", "note": "数量有误"}),
        json!({"kind": "loss", "chemical_id": c.acetone, "quantity": "0.25", "occurred_at": "2026-01-04T00:00:00Z", "note": INJECTION}),
        json!({"kind": "loss", "chemical_id": c.acetone, "quantity": "0.5", "occurred_at": "2026-01-04T00:00:00Z", "note": AT_SUM}),
    ] {
        let r = app.post(&path, Some(&c.seller_clerk), &entry);
        assert_eq!(r.status, 201, "{}", r.text);
    }
}

#[test]
fn a_ledger_exports_a_sheet_per_chemical_with_its_running_balance() {
    each_backend(|app| {
        let c = chain(app);
        small_ledger(app, &c);
        let path = format!("/api/v1/firms/{}/ledger?format=xlsx&lang=zh-CN", c.seller);
        let mut book = workbook(app, &path, &c.seller_clerk);
        let names = book.sheet_names();
        assert_eq!(
            names,
            ["丙酮", "醋酸酐"],
            "a sheet per chemical, named in Chinese"
        );
        let acetone = book.worksheet_range("丙酮").unwrap();
        let titles = header(&acetone);
        assert_eq!(titles[0], "序号");
        assert_eq!(titles[4], "数量（kg）");
        assert_eq!(titles[5], "该品种结存（kg）");
        // Seq order: bought 100, sold 30, the sale reversed, lost 0.25 and 0.5.
        assert_eq!(
            column(&acetone, 0),
            [1.0, 3.0, 4.0, 5.0, 6.0].map(Data::Float)
        );
        assert_eq!(
            column(&acetone, 4),
            [100.0, 30.0, 30.0, 0.25, 0.5].map(Data::Float),
            "quantities are numbers"
        );
        assert_eq!(
            column(&acetone, 5),
            [100.0, 70.0, 100.0, 99.75, 99.25].map(Data::Float),
            "the balance as filed: a reversal takes back what it cancels"
        );
        assert_eq!(column(&acetone, 12)[2], Data::Float(3.0), "reverses seq 3");
        assert!(
            column(&acetone, 1)
                .iter()
                .all(|d| matches!(d, Data::DateTime(t) if t.is_datetime())),
            "dates are dates"
        );
        // 2026-01-02T00:00Z is 08:00 China time.
        match &column(&acetone, 1)[1] {
            Data::DateTime(t) => assert_eq!(t.to_ymd_hms_milli(), (2026, 1, 2, 8, 0, 0, 0)),
            other => panic!("{other:?}"),
        }
        let notes = column(&acetone, 11);
        assert_eq!(notes[1], Data::String("桶破裂".into()), "Chinese survives");
        assert_eq!(notes[3], Data::String(INJECTION.into()));
        assert_eq!(notes[4], Data::String(AT_SUM.into()));
        for sheet in &names {
            let formulas = book.worksheet_formula(sheet).unwrap();
            assert!(
                formulas.used_cells().all(|(_, _, f)| f.is_empty()),
                "no formula in {sheet}"
            );
        }
        assert_eq!(
            column(&book.worksheet_range("醋酸酐").unwrap(), 5),
            [Data::Float(500.0)]
        );
        // The last balance is the inventory's.
        let inventory = app.get(
            &format!("/api/v1/firms/{}/inventory", c.seller),
            Some(&c.seller_clerk),
        );
        let acetone_stock = inventory.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["chemical_id"] == c.acetone.as_str())
            .unwrap()["quantity"]
            .clone();
        assert_eq!(acetone_stock, "99.250");

        // Filters keep rows, not the balance's history; Accept asks too; English by default.
        let path = format!("/api/v1/firms/{}/ledger?kind=loss", c.seller);
        let (status, content_type, bytes) =
            download(app, &path, Some(&c.regulator), Some(CONTENT_TYPE), None);
        assert_eq!((status, content_type.as_str()), (200, CONTENT_TYPE));
        let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["Acetone"]);
        let losses = book.worksheet_range("Acetone").unwrap();
        assert_eq!(header(&losses)[0], "Seq");
        assert_eq!(column(&losses, 5), [99.75, 99.25].map(Data::Float));
        // Accept-Language picks the language when ?lang= does not.
        let (_, _, bytes) = download(
            app,
            &format!("/api/v1/firms/{}/ledger?format=xlsx", c.seller),
            Some(&c.seller_clerk),
            None,
            Some("zh-CN,zh;q=0.9"),
        );
        assert_eq!(
            Xlsx::new(Cursor::new(bytes)).unwrap().sheet_names(),
            ["丙酮", "醋酸酐"]
        );

        // Who may: as the CSV export.
        let own = format!("/api/v1/firms/{}/ledger?format=xlsx", c.seller);
        let other_clerk = download(app, &own, Some(&c.buyer_clerk), None, None).0;
        let association = download(app, &own, Some(&app.association()), None, None).0;
        assert_eq!((other_clerk, association), (404, 403));
        let bad = app.get(
            &format!("/api/v1/firms/{}/ledger?format=pdf", c.seller),
            Some(&c.seller_clerk),
        );
        assert!(
            bad.has_field_error("format", "invalid_format"),
            "{}",
            bad.text
        );
        let bad = app.get(
            &format!("/api/v1/firms/{}/ledger?format=xlsx&lang=fr", c.seller),
            Some(&c.seller_clerk),
        );
        assert!(bad.has_field_error("lang", "invalid_lang"), "{}", bad.text);
    });
}

#[test]
fn the_csv_export_neutralizes_formulas_and_its_import_restores_them() {
    each_backend(|app| {
        let c = chain(app);
        small_ledger(app, &c);
        let path = format!("/api/v1/firms/{}/ledger?format=csv", c.seller);
        let (status, content_type, bytes) = download(app, &path, Some(&c.seller_clerk), None, None);
        assert_eq!(status, 200);
        assert!(content_type.starts_with("text/csv"));
        let csv = String::from_utf8(bytes).unwrap();
        let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let notes: Vec<&str> = records.iter().map(|r| &r[20]).collect();
        assert_eq!(notes[4], format!("'{INJECTION}"));
        assert_eq!(notes[5], format!("'{AT_SUM}"));
        for cell in records.iter().flat_map(|r| r.iter()) {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell a spreadsheet would evaluate: {cell}"
            );
        }
        let fresh = app.register_firm(&c.regulator, "新建企业");
        let fresh_clerk = app.enterprise(&fresh);
        let r = app.request(
            "POST",
            &format!("/api/v1/firms/{fresh}/ledger/import"),
            Some(&fresh_clerk),
            Some(&csv),
            Some("text/csv"),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let imported = entries(app, &fresh_clerk, &fresh);
        assert_eq!(
            imported[4]["note"], INJECTION,
            "filed as it was, without the '"
        );
        assert_eq!(imported[5]["note"], AT_SUM);
    });
}

fn columns(titles: &[&str]) -> Vec<Column> {
    titles
        .iter()
        .map(|t| Column {
            title: t.to_string(),
            width: 12.0,
        })
        .collect()
}

fn at(day: u32, hour: u32) -> Cell {
    Cell::Date(
        NaiveDate::from_ymd_opt(2026, 1, day)
            .unwrap()
            .and_hms_opt(hour, 30, 0)
            .unwrap(),
    )
}

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

#[test]
fn an_imported_workbook_files_all_its_rows_or_names_the_bad_ones_and_files_nothing() {
    each_backend(|app| {
        let c = chain(app);
        let titles = columns(&["kind", "cas", "lot", "quantity", "occurred_at", "note"]);
        let bad = one_sheet(
            "台账",
            &titles,
            &[
                vec![
                    text("stocktake"),
                    text("67-64-1"),
                    Cell::Empty,
                    Cell::Number(10.0),
                    at(1, 9),
                    Cell::Empty,
                ],
                vec![Cell::Empty; 6],
                vec![
                    text("stocktake"),
                    text("67-64-1"),
                    Cell::Empty,
                    text("ten"),
                    at(1, 9),
                    Cell::Empty,
                ],
                vec![
                    text("loss"),
                    text("67-64-1"),
                    Cell::Empty,
                    Cell::Number(1.0),
                    at(2, 9),
                    Cell::Empty,
                ],
                vec![
                    text("production"),
                    text("108-24-7"),
                    Cell::Empty,
                    Cell::Number(5.0),
                    at(1, 9),
                    Cell::Empty,
                ],
            ],
        )
        .unwrap();
        let r = upload(app, &c.seller_clerk, &c.seller, &bad);
        assert_eq!(r.status, 422, "{}", r.text);
        // Row 3 is empty and skipped; the rows keep their numbers in the sheet.
        assert!(
            r.has_field_error("row 4.quantity", "invalid_quantity"),
            "{}",
            r.text
        );
        assert!(
            r.has_field_error("row 5.note", "loss_reason_required"),
            "{}",
            r.text
        );
        assert!(r.has_field_error("row 6.lot", "lot_required"), "{}", r.text);
        assert_eq!(r.field_errors().len(), 3, "{}", r.text);
        assert!(
            entries(app, &c.seller_clerk, &c.seller).is_empty(),
            "nothing filed"
        );

        let good = one_sheet(
            "台账",
            &titles,
            &[
                vec![
                    text("production"),
                    text("108-24-7"),
                    text("批次-甲"),
                    Cell::Quantity(1_500),
                    at(5, 9),
                    text("桶破裂"),
                ],
                vec![
                    text("loss"),
                    text("108-24-7"),
                    text("批次-甲"),
                    text("0.25"),
                    at(6, 10),
                    text(INJECTION),
                ],
            ],
        )
        .unwrap();
        let r = upload(app, &c.seller_clerk, &c.seller, &good);
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
        let filed = entries(app, &c.seller_clerk, &c.seller);
        assert_eq!(filed[0]["quantity"], "1.500");
        assert_eq!(
            filed[0]["occurred_at"], "2026-01-05T01:30:00Z",
            "a date cell is China time"
        );
        assert_eq!(filed[0]["note"], "桶破裂");
        assert_eq!(filed[1]["note"], INJECTION, "a text cell is filed as it is");

        // Who may: as the CSV import.
        assert_eq!(upload(app, &c.buyer_clerk, &c.seller, &good).status, 404);
        assert_eq!(upload(app, &c.regulator, &c.seller, &good).status, 403);
        let r = upload(app, &c.seller_clerk, &c.seller, b"kind,quantity\n");
        assert!(r.has_field_error("body", "invalid_xlsx"), "{}", r.text);
        assert_eq!(entries(app, &c.seller_clerk, &c.seller).len(), 2);
    });
}

#[test]
fn the_template_lists_the_kinds_and_its_example_row_is_not_filed() {
    each_backend(|app| {
        let c = chain(app);
        let (status, content_type, bytes) = download(
            app,
            "/api/v1/ledger/template.xlsx?lang=zh-CN",
            Some(&c.buyer_clerk),
            None,
            None,
        );
        assert_eq!((status, content_type.as_str()), (200, CONTENT_TYPE));
        let mut book = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let titles = header(&sheet);
        assert_eq!(
            &titles[..6],
            ["类型", "CAS号", "化学品编号", "批号", "数量", "发生时间"]
        );
        assert_eq!(sheet.height(), 2, "the header and one example row");
        assert_eq!(sheet.get((1, 0)), Some(&Data::String("purchase".into())));
        assert!(matches!(sheet.get((1, 4)), Some(Data::Float(_))));
        assert!(matches!(sheet.get((1, 5)), Some(Data::DateTime(_))));
        // The kind column's drop-down list holds every kind.
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        assert!(
            xml.contains(r#"<dataValidation type="list""#)
                && xml.contains("A2:A1001")
                && xml.contains(
                    "purchase,production,sale,consumption,loss,disposal,stocktake,reversal"
                ),
            "{xml}"
        );
        // In English by default; any signed-in user; not anonymously.
        let (_, _, english) = download(
            app,
            "/api/v1/ledger/template.xlsx",
            Some(&c.regulator),
            None,
            None,
        );
        let mut english = Xlsx::new(Cursor::new(english)).unwrap();
        assert_eq!(
            english.worksheet_range_at(0).unwrap().unwrap().get((0, 0)),
            Some(&Data::String("Kind".into()))
        );
        assert_eq!(
            download(app, "/api/v1/ledger/template.xlsx", None, None, None).0,
            401
        );

        // Imported as downloaded, the example row is named and nothing is filed: a clerk who
        // forgot it files no purchase that never happened.
        let r = upload(app, &c.buyer_clerk, &c.buyer, &bytes);
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.has_field_error("row 2.counterparty_credit_code", "template_example"),
            "{}",
            r.text
        );
        assert!(entries(app, &c.buyer_clerk, &c.buyer).is_empty());
        // Headed with the template's Chinese titles, a workbook reads the same; errors name the row.
        let more = one_sheet(
            "台账",
            &columns(&["类型", "CAS号", "数量", "发生时间"]),
            &[vec![
                text("stocktake"),
                text("67-64-1"),
                text("-1"),
                at(1, 9),
            ]],
        )
        .unwrap();
        let r = upload(app, &c.buyer_clerk, &c.buyer, &more);
        assert!(
            r.has_field_error("row 2.quantity", "negative_quantity"),
            "{}",
            r.text
        );
    });
}

#[test]
fn findings_and_grades_export_as_workbooks() {
    each_backend(|app| {
        let c = chain(app);
        // A sale from an empty stock: the seller's balance goes negative.
        let r = app.post(
            &format!("/api/v1/firms/{}/ledger", c.seller),
            Some(&c.seller_clerk),
            &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "quantity": "10",
                    "occurred_at": (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339(),
                    "counterparty": {"firm_id": c.buyer}, "note": INJECTION}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let r = app.post(
            "/api/v1/custody/validations",
            Some(&c.regulator),
            &json!({"firm_id": c.seller}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let query = format!("/api/v1/custody/findings?firm_id={}&limit=1000", c.seller);
        let listed = app.get(&query, Some(&c.regulator));
        let listed = listed.body["items"].as_array().unwrap().clone();
        assert!(
            listed.iter().any(|f| f["code"] == "NEGATIVE_BALANCE"),
            "{listed:?}"
        );
        let mut book = workbook(
            app,
            &format!("{query}&format=xlsx&lang=zh-CN"),
            &c.regulator,
        );
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(header(&sheet)[3], "严重程度");
        assert_eq!(
            sheet.height() - 1,
            listed.len(),
            "every finding, a row each"
        );
        let ids: Vec<String> = column(&sheet, 12).iter().map(|d| d.to_string()).collect();
        for f in &listed {
            assert!(ids.contains(&f["id"].as_str().unwrap().to_string()));
        }
        let negative = column(&sheet, 1)
            .iter()
            .position(|d| *d == Data::String("NEGATIVE_BALANCE".into()))
            .unwrap();
        assert!(matches!(column(&sheet, 0)[negative], Data::DateTime(_)));
        assert_eq!(column(&sheet, 9)[negative], Data::Float(10.0), "a number");
        // The firm sees its own; the association none.
        let own = workbook(app, "/api/v1/custody/findings?format=xlsx", &c.seller_clerk)
            .worksheet_range_at(0)
            .unwrap()
            .unwrap()
            .height();
        assert_eq!(own - 1, listed.len());
        let association = app.association();
        let status = download(
            app,
            "/api/v1/custody/findings?format=xlsx",
            Some(&association),
            None,
            None,
        )
        .0;
        assert_eq!(status, 403);

        // Grades: the rows and, on a second sheet, the firms per grade.
        for (firm, body) in [
            (
                &c.seller,
                json!({"period": "2026", "grade": "C", "reason": "负库存"}),
            ),
            (&c.buyer, json!({"period": "2026"})),
        ] {
            let r = app.post(
                &format!("/api/v1/firms/{firm}/grades"),
                Some(&c.regulator),
                &body,
            );
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let mut book = workbook(app, "/api/v1/grades?format=xlsx&lang=zh-CN", &association);
        assert_eq!(book.sheet_names(), ["企业分级", "等级分布"]);
        let grades = book.worksheet_range("企业分级").unwrap();
        let firms: Vec<String> = column(&grades, 0).iter().map(|d| d.to_string()).collect();
        assert_eq!(firms.len(), 2);
        assert!(firms.contains(&"宁德市蕉城区化工原料有限公司".to_string()));
        assert!(matches!(column(&grades, 5)[0], Data::DateTime(_)));
        let counts = book.worksheet_range("等级分布").unwrap();
        let by_grade: Vec<(String, String)> = (1..counts.height())
            .map(|r| {
                (
                    counts.get((r, 0)).unwrap().to_string(),
                    counts.get((r, 1)).unwrap().to_string(),
                )
            })
            .collect();
        let c_count = by_grade.iter().find(|(g, _)| g == "C").unwrap();
        assert_eq!(c_count.1, "1");
        assert_eq!(by_grade.last().unwrap().1, "2", "the total");
        assert_eq!(
            download(
                app,
                "/api/v1/grades?format=xlsx",
                Some(&c.seller_clerk),
                None,
                None
            )
            .0,
            403
        );
    });
}

#[test]
fn the_cli_imports_a_workbook_for_a_firm() {
    let app = TestApp::spawn(&crate::helpers::Backend::Sqlite);
    let c = chain(&app);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("台账.xlsx");
    let sheet = one_sheet(
        "台账",
        &columns(&["类型", "CAS号", "批号", "数量", "发生时间"]),
        &[vec![
            text("production"),
            text("67-64-1"),
            text("A"),
            Cell::Number(10.5),
            at(1, 8),
        ]],
    )
    .unwrap();
    std::fs::write(&file, sheet).unwrap();
    let url = match &app.database_url {
        precursor_registry::db::DatabaseUrl::Sqlite(path) => path.display().to_string(),
        precursor_registry::db::DatabaseUrl::Postgres(url) => url.clone(),
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_precursor-registry"))
        .args(["import", "--firm-id", &c.seller, "--database-url", &url])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let filed = entries(&app, &c.seller_clerk, &c.seller);
    assert_eq!(filed.len(), 1);
    assert_eq!(filed[0]["quantity"], "10.500");
    assert_eq!(filed[0]["occurred_at"], "2026-01-01T00:30:00Z");
}
