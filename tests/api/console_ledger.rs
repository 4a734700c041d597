//! The clerk's ledger pages over HTTP: the filing form (problems next to the fields, the
//! receipt), the table's running balance, the CSV upload (preview, one bad row files nothing),
//! the export and the inventory; other firms' entries stay invisible.

use serde_json::json;

use crate::helpers::{each_backend, TestApp, PASSWORD};
use crate::ledger::{chain, Chain};
use crate::visitor::Visitor;

fn entries(app: &TestApp, c: &Chain, firm: &str) -> Vec<serde_json::Value> {
    app.get(&format!("/api/v1/firms/{firm}/ledger"), Some(&c.regulator))
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn signed_in(app: &TestApp, firm: &str, lang: &'static str) -> Visitor {
    let (clerk, _) = app.create_user("enterprise", Some(firm));
    let mut v = Visitor::new(app, lang);
    assert_eq!(v.sign_in(&clerk, PASSWORD).status, 303);
    v
}

#[test]
fn a_clerk_files_a_sale_sees_each_problem_by_its_field_then_the_receipt() {
    each_backend(|app| {
        let c = chain(app);
        let buyer_code = app
            .get(&format!("/api/v1/firms/{}", c.buyer), Some(&c.regulator))
            .body["credit_code"]
            .as_str()
            .unwrap()
            .to_string();
        let mut v = signed_in(app, &c.seller, "zh-CN");
        let form = v.get("/ledger/new");
        assert_eq!(form.status, 200, "{}", form.text);
        assert!(
            form.text.contains("<label for=\"quantity\">"),
            "every field has a label"
        );
        let (csrf, key) = (form.csrf(), form.hidden("key"));
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("kind", "sale"),
            ("chemical_id", c.acetone.as_str()),
            ("lot", "L-9"),
            ("quantity", "12,5"),
            ("occurred_at", "2026-03-02T09:30"),
            ("counterparty_credit_code", buyer_code.as_str()),
            ("payment", "bank_transfer"),
            ("shipment_ref", "YD-1"),
        ];
        let refused = v.post("/ledger/new", &fields);
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(
            refused
                .text
                .contains("id=\"quantity-problem\">不是有效的数量"),
            "the problem next to its field, in Chinese: {}",
            refused.text
        );
        assert!(
            refused.text.contains("value=\"YD-1\""),
            "nothing typed is lost"
        );
        assert!(entries(app, &c, &c.seller).is_empty(), "nothing filed");
        // The refused form is in the activity log under the clerk who sent it.
        let log = app.get("/api/v1/activity?action=/ledger/new", Some(&app.admin()));
        let refusal = log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["status"] == 422)
            .unwrap_or_else(|| panic!("a line for the refused form: {}", log.text))
            .clone();
        assert_eq!(refusal["role"], "enterprise", "{refusal}");
        assert!(refusal["user_id"].is_string(), "{refusal}");

        fields[5] = ("quantity", "12.5");
        let filed = v.post("/ledger/new", &fields);
        assert_eq!(filed.status, 303, "{}", filed.text);
        let location = filed.location.unwrap();
        let listed = entries(app, &c, &c.seller);
        assert_eq!(listed.len(), 1);
        let entry = &listed[0];
        assert_eq!(
            location,
            format!("/ledger/{}?filed=1", entry["id"].as_str().unwrap())
        );
        assert_eq!(
            entry["counterparty"]["firm_id"],
            c.buyer.as_str(),
            "linked by credit code"
        );
        assert_eq!(
            entry["occurred_at"], "2026-03-02T01:30:00Z",
            "China Standard Time"
        );
        assert_eq!(entry["quantity"], "12.500");

        let receipt = v.get(&location);
        assert_eq!(receipt.status, 200);
        assert!(receipt
            .text
            .contains(&format!("<dd id=\"receipt-seq\">{}</dd>", entry["seq"])));
        assert!(receipt.text.contains(entry["hash"].as_str().unwrap()));
        assert!(
            receipt.text.contains(&format!(
                "<dd id=\"receipt-leaf\">{}</dd>",
                entry["leaf_index"]
            )),
            "the receipt names the entry's leaf: {}",
            receipt.text
        );

        // A form with a field it does not have, or a page asked with a parameter it does not
        // take: the error page in the user's language, not a machine's answer.
        let mut odd = fields.clone();
        odd.push(("admin", "1"));
        let refused = v.post("/ledger/new", &odd);
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(
            refused.text.contains("<html lang=\"zh-CN\">"),
            "{}",
            refused.text
        );
        let asked = v.get("/ledger?sort=desc");
        assert!(
            asked.status == 422 && asked.text.contains("<html lang=\"zh-CN\">"),
            "{}",
            asked.text
        );

        // The same form sent again (a double click) files nothing more.
        assert_eq!(v.post("/ledger/new", &fields).status, 303);
        assert_eq!(entries(app, &c, &c.seller).len(), 1);

        // Another firm's entry is not found; a regulator has no clerk's ledger.
        let mut other = signed_in(app, &c.buyer, "zh-CN");
        let hidden = other.get(&location);
        assert_eq!(hidden.status, 404);
        assert!(hidden.text.contains("页面不存在"), "{}", hidden.text);
        assert_eq!(other.get("/ledger/not-an-id").status, 404);
        let (officer, _) = app.create_user("regulator", None);
        let mut r = Visitor::new(app, "zh-CN");
        r.sign_in(&officer, PASSWORD);
        assert_eq!(r.get("/ledger").status, 403);
        // Without the token nothing is filed.
        let mut forged = fields.clone();
        forged[0] = ("csrf", "nope");
        forged[1] = ("key", "another");
        assert_eq!(v.post("/ledger/new", &forged).status, 403);
        assert_eq!(entries(app, &c, &c.seller).len(), 1);
    });
}

#[test]
fn a_clerk_sells_to_a_person_whose_number_only_a_regulator_sees_whole() {
    each_backend(|app| {
        let c = chain(app);
        let mut v = signed_in(app, &c.seller, "zh-CN");
        let form = v.get("/ledger/new");
        let (csrf, key) = (form.csrf(), form.hidden("key"));
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("kind", "sale"),
            ("chemical_id", c.acetone.as_str()),
            ("quantity", "3"),
            ("occurred_at", "2026-03-02T09:30"),
            ("counterparty_name", "张三"),
            ("counterparty_resident_id", "110105194912310021"),
            ("payment", "cash"),
        ];
        let refused = v.post("/ledger/new", &fields);
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(
            refused
                .text
                .contains("id=\"counterparty_resident_id-problem\">身份证号码的校验码不对"),
            "{}",
            refused.text
        );
        fields[7] = ("counterparty_resident_id", "11010519491231002X");
        let filed = v.post("/ledger/new", &fields);
        assert_eq!(filed.status, 303, "{}", filed.text);
        let entry = &entries(app, &c, &c.seller)[0];
        assert_eq!(entry["counterparty"]["kind"], "individual");
        assert_eq!(entry["counterparty"]["resident_id"], "11010519491231002X");
        assert_eq!(entry["payment"], "cash");
        let receipt = v.get(&filed.location.unwrap());
        assert!(
            receipt.text.contains("**************002X"),
            "{}",
            receipt.text
        );
        assert!(receipt.text.contains("现金"), "{}", receipt.text);
        assert!(
            !receipt.text.contains("11010519491231002X"),
            "the clerk sees four characters"
        );
        let export = v.get("/ledger/export.csv");
        assert!(
            !export.text.contains("11010519491231002X"),
            "{}",
            export.text
        );
    });
}

#[test]
fn the_table_shows_each_entrys_lot_balance_and_filters_by_date() {
    each_backend(|app| {
        let c = chain(app);
        for (kind, q, day) in [
            ("production", "100", "01"),
            ("sale", "30", "03"),
            ("consumption", "5", "02"),
        ] {
            let mut e = json!({"kind": kind, "chemical_id": c.acetone, "lot": "A", "quantity": q,
                               "occurred_at": format!("2026-03-{day}T08:00:00+08:00")});
            if kind == "sale" {
                e["counterparty"] = json!({"firm_id": c.buyer});
                e["payment"] = json!("bank_transfer");
            }
            let r = app.post(
                &format!("/api/v1/firms/{}/ledger", c.seller),
                Some(&c.seller_clerk),
                &e,
            );
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let mut v = signed_in(app, &c.seller, "en");
        let table = v.get("/ledger");
        assert_eq!(table.status, 200, "{}", table.text);
        // In business order: +100 (day 1), −5 (day 2), −30 (day 3), though filed 1, 3, 2.
        let balance = |seq: u32| {
            let row = &table.text[table.text.find(&format!("id=\"entry-{seq}\"")).unwrap()..];
            let cell = &row[row.find("class=\"num balance\">").unwrap() + 20..];
            cell[..cell.find('<').unwrap()].to_string()
        };
        assert_eq!(balance(1), "100.000 kg");
        assert_eq!(balance(2), "65.000 kg");
        assert_eq!(balance(3), "95.000 kg");
        assert!(table.text.contains("Acetone"), "{}", table.text);

        let day2 = v.get("/ledger?from=2026-03-02&to=2026-03-02");
        assert!(day2.text.contains("id=\"entry-3\"") && !day2.text.contains("id=\"entry-1\""));
        let bad = v.get("/ledger?from=March");
        assert_eq!(bad.status, 422);
        assert!(
            bad.text
                .contains("id=\"from-problem\">Not a date and time."),
            "{}",
            bad.text
        );

        let inventory = v.get("/inventory");
        assert!(inventory.text.contains("65.000 kg"), "{}", inventory.text);
        let csv = v.get("/ledger/export.csv?kind=sale");
        assert_eq!(csv.status, 200);
        assert_eq!(csv.text.lines().count(), 2, "{}", csv.text);
        let (status, content_type, bytes) = v.download("/ledger/export.xlsx?kind=sale");
        assert_eq!(status, 200);
        assert!(content_type.contains("spreadsheetml"), "{content_type}");
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a ZIP");
    });
}

#[test]
fn an_upload_with_one_bad_row_files_nothing_and_a_good_one_files_every_row() {
    each_backend(|app| {
        let c = chain(app);
        let mut v = signed_in(app, &c.seller, "zh-CN");
        let page = v.get("/ledger/upload");
        let csrf = page.csrf();
        let bad = "kind,cas,lot,quantity,occurred_at\n\
             production,67-64-1,A,100,2026-03-01T08:00:00+08:00\n\
             production,67-64-1,A,-4,2026-03-01T09:00:00+08:00\n"
            .to_string();
        let preview = v.post_file(
            "/ledger/upload",
            &[("csrf", &csrf)],
            ("file", "day.csv", bad.as_bytes()),
        );
        assert_eq!(preview.status, 422, "{}", preview.text);
        let row3 = &preview.text[preview.text.find("id=\"row-3\"").expect("row 3 shown")..];
        let row3 = &row3[..row3.find("</tr>").unwrap()];
        assert!(
            row3.contains("field-problem"),
            "row 3's own problem: {row3}"
        );
        let row2 = &preview.text[preview.text.find("id=\"row-2\"").unwrap()..];
        assert!(!row2[..row2.find("</tr>").unwrap()].contains("field-problem"));
        assert!(
            !preview.text.contains("id=\"file-upload\""),
            "no way to file it"
        );
        assert!(entries(app, &c, &c.seller).is_empty());

        let good = bad.replace(",-4,", ",4,");
        let preview = v.post_file(
            "/ledger/upload",
            &[("csrf", &csrf)],
            ("file", "day.csv", good.as_bytes()),
        );
        assert_eq!(preview.status, 200, "{}", preview.text);
        assert!(preview.text.contains("全部 2 行均正确"), "{}", preview.text);
        assert!(
            entries(app, &c, &c.seller).is_empty(),
            "a preview files nothing"
        );
        let key = preview.hidden("key");
        let contents = preview.textarea("csv");
        let filed = v.post(
            "/ledger/upload/file",
            &[("csrf", &csrf), ("key", &key), ("csv", &contents)],
        );
        assert_eq!(
            (filed.status, filed.location.as_deref()),
            (303, Some("/ledger?filed=2"))
        );
        assert_eq!(entries(app, &c, &c.seller).len(), 2);
        assert!(v
            .get("/ledger?filed=2")
            .text
            .contains("已登记 2 条台账记录"));

        // A day of a busy firm: 400 rows with Chinese notes, far above a default form's 16 KB.
        let mut busy = String::from("kind,cas,lot,quantity,occurred_at,note\n");
        for i in 0..400 {
            busy.push_str(&format!(
                "production,67-64-1,B{i},1,2026-03-02T08:00:00+08:00,第{i}批 按工艺规程生产入库\n"
            ));
        }
        let preview = v.post_file(
            "/ledger/upload",
            &[("csrf", &csrf)],
            ("file", "busy.csv", busy.as_bytes()),
        );
        assert_eq!(
            preview.status,
            200,
            "{}",
            &preview.text[..preview.text.len().min(2000)]
        );
        let (key, contents) = (preview.hidden("key"), preview.textarea("csv"));
        let filed = v.post(
            "/ledger/upload/file",
            &[("csrf", &csrf), ("key", &key), ("csv", &contents)],
        );
        assert_eq!(filed.status, 303, "{}", filed.text);
        let all = app.get(
            &format!("/api/v1/firms/{}/ledger?limit=1000", c.seller),
            Some(&c.regulator),
        );
        assert_eq!(all.body["items"].as_array().unwrap().len(), 402);

        let forged = v.post_file(
            "/ledger/upload",
            &[("csrf", "x")],
            ("file", "day.csv", good.as_bytes()),
        );
        assert_eq!(forged.status, 403);
        let not_csv = v.post_file(
            "/ledger/upload",
            &[("csrf", &csrf)],
            ("file", "x.csv", b"\xff\xfe"),
        );
        assert_eq!(not_csv.status, 422);
        assert!(
            not_csv.text.contains("id=\"file-problem\""),
            "{}",
            not_csv.text
        );
    });
}

#[test]
fn permits_show_what_is_left_and_the_pre_sale_check_answers_in_the_users_words() {
    each_backend(|app| {
        let c = chain(app);
        let permit = app.post(
            &format!("/api/v1/firms/{}/permits", c.buyer),
            Some(&c.regulator),
            &json!({"kind": "purchase_filing", "number": format!("BA-{}", app.next()), "chemical_ids": [c.acetone],
                    "quantity_limit": "100", "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-12-31T00:00:00Z"}),
        );
        assert_eq!(permit.status, 201, "{}", permit.text);
        let bought = app.post(
            &format!("/api/v1/firms/{}/ledger", c.buyer),
            Some(&c.buyer_clerk),
            &json!({"kind": "purchase", "payment": "bank_transfer", "chemical_id": c.acetone, "quantity": "30", "occurred_at": "2026-03-01T08:00:00Z",
                    "counterparty": {"name": "某化工", "credit_code": crate::helpers::credit_code(70_000 + app.next())}}),
        );
        assert_eq!(bought.status, 201, "{}", bought.text);
        let mut buyer = signed_in(app, &c.buyer, "zh-CN");
        let permits = buyer.get("/permits");
        assert_eq!(permits.status, 200, "{}", permits.text);
        assert!(permits.text.contains("购买备案证明") && permits.text.contains("丙酮"));
        assert!(
            permits
                .text
                .contains("<td class=\"num remaining\">70.000 kg</td>"),
            "{}",
            permits.text
        );
        let home = buyer.get("/");
        assert!(
            home.text.contains("id=\"last-filed\">最近一次登记"),
            "{}",
            home.text
        );

        let code = app
            .get(&format!("/api/v1/firms/{}", c.buyer), Some(&c.regulator))
            .body["credit_code"]
            .as_str()
            .unwrap()
            .to_string();
        let mut seller = signed_in(app, &c.seller, "zh-CN");
        let yes = seller.get(&format!(
            "/counterparty-check?credit_code={code}&chemical_id={}",
            c.acetone
        ));
        assert_eq!(yes.status, 200, "{}", yes.text);
        assert!(yes.text.contains("id=\"may-buy\""), "{}", yes.text);
        let no = seller.get(&format!(
            "/counterparty-check?credit_code={code}&chemical_id={}",
            c.anhydride
        ));
        assert!(
            no.text
                .contains("id=\"may-not-buy\">不得销售： 该企业当时无覆盖该品种的有效购买许可证"),
            "{}",
            no.text
        );
        let bad = seller.get(&format!(
            "/counterparty-check?credit_code=123&chemical_id={}",
            c.acetone
        ));
        assert_eq!(bad.status, 422);
        assert!(
            bad.text
                .contains("id=\"credit_code-problem\">统一社会信用代码应为 18 位"),
            "{}",
            bad.text
        );
    });
}

#[test]
fn the_filing_form_counts_against_the_users_filing_budget() {
    crate::helpers::each_backend_with(
        |settings| settings.filing_rate_limit_per_minute = 2,
        |app| {
            let c = chain(app);
            let mut v = signed_in(app, &c.seller, "en");
            let file = |v: &mut Visitor, n: usize| {
                let form = v.get("/ledger/new");
                let (csrf, key) = (form.csrf(), form.hidden("key"));
                let quantity = format!("{n}");
                v.post(
                    "/ledger/new",
                    &[
                        ("csrf", csrf.as_str()),
                        ("key", key.as_str()),
                        ("kind", "production"),
                        ("chemical_id", c.acetone.as_str()),
                        ("lot", "R-1"),
                        ("quantity", quantity.as_str()),
                        ("occurred_at", "2026-03-02T09:30"),
                    ],
                )
            };
            assert_eq!(file(&mut v, 1).status, 303);
            assert_eq!(file(&mut v, 2).status, 303);
            let refused = file(&mut v, 3);
            assert_eq!(refused.status, 429, "{}", refused.text);
            assert_eq!(
                entries(app, &c, &c.seller).len(),
                2,
                "nothing filed past the budget"
            );
        },
    );
}

/// Runs `send` while another writer holds SQLite's write lock past the server's busy timeout
/// (10 s): whatever `send` files, the registry cannot store now.
fn while_busy<T>(app: &TestApp, send: impl FnOnce() -> T) -> T {
    use diesel::{Connection, RunQueryDsl, SqliteConnection};
    let precursor_registry::db::DatabaseUrl::Sqlite(path) = &app.database_url else {
        unreachable!("spawned on SQLite")
    };
    let mut holder = SqliteConnection::establish(&path.display().to_string()).unwrap();
    diesel::sql_query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .unwrap();
    let sent = send();
    diesel::sql_query("ROLLBACK").execute(&mut holder).unwrap();
    sent
}

#[test]
fn what_the_busy_registry_could_not_store_is_kept_on_the_page_to_send_again() {
    let app = TestApp::spawn(&crate::helpers::Backend::Sqlite);
    let c = chain(&app);
    // The filing form keeps everything typed, and its key: a resend files once.
    let mut v = signed_in(&app, &c.seller, "en");
    let form = v.get("/ledger/new");
    let (csrf, key) = (form.csrf(), form.hidden("key"));
    let fields = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("kind", "production"),
        ("chemical_id", c.acetone.as_str()),
        ("lot", "BUSY-7"),
        ("quantity", "31.5"),
        ("occurred_at", "2026-03-02T09:30"),
        ("note", "morning batch"),
    ];
    let before = entries(&app, &c, &c.seller).len();
    let busy = while_busy(&app, || v.post("/ledger/new", &fields));
    assert_eq!(busy.status, 503, "{}", busy.text);
    assert!(
        busy.text.contains("nothing was stored") && busy.text.contains("role=\"alert\""),
        "{}",
        busy.text
    );
    assert!(busy.text.contains("value=\"BUSY-7\"") && busy.text.contains("morning batch"));
    assert_eq!(busy.hidden("key"), key);
    assert_eq!(entries(&app, &c, &c.seller).len(), before, "nothing stored");
    // The refused attempt still has its line in the activity log, written once the lock is gone.
    let logged = (0..100).any(|_| {
        let log = app.get("/api/v1/activity?action=/ledger/new", Some(&app.admin()));
        let found = log.body["items"]
            .as_array()
            .is_some_and(|lines| lines.iter().any(|l| l["status"] == 503));
        found || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            false
        }
    });
    assert!(logged, "the 503 attempt is in the activity log");
    let again = v.post("/ledger/new", &fields);
    assert_eq!(again.status, 303, "{}", again.text);
    assert_eq!(v.post("/ledger/new", &fields).status, 303, "replayed");
    assert_eq!(entries(&app, &c, &c.seller).len(), before + 1);

    // The inbox says so above the shipment, still there to confirm.
    let sale = app.post(
        &format!("/api/v1/firms/{}/ledger", c.seller),
        Some(&c.seller_clerk),
        &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "L1", "quantity": "12.5",
                "occurred_at": chrono::Utc::now().to_rfc3339(), "counterparty": {"firm_id": c.buyer}, "shipment_ref": "YD-BUSY"}),
    );
    assert_eq!(sale.status, 201, "{}", sale.text);
    let dispatch = sale.body["id"].as_str().unwrap().to_string();
    let mut buyer = signed_in(&app, &c.buyer, "en");
    let csrf = buyer.get("/incoming").csrf();
    let receipt = format!("/incoming/{dispatch}/receipt");
    let answer = [("csrf", csrf.as_str()), ("quantity", "12.5")];
    let busy = while_busy(&app, || buyer.post(&receipt, &answer));
    assert_eq!(busy.status, 503, "{}", busy.text);
    assert!(
        busy.text.contains("nothing was stored")
            && busy.text.contains(&format!("id=\"dispatch-{dispatch}\"")),
        "{}",
        busy.text
    );
    assert_eq!(buyer.post(&receipt, &answer).status, 303);
}
