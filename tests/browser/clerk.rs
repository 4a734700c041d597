//! Journey 1, a ledger clerk: confirms an incoming shipment, files a sale and reads its
//! receipt, uploads a CSV with one bad row and sees that row's error with nothing filed, and
//! explains a finding about the firm.

use serde_json::Value;

use super::{dispatched, driver, each_backend, no_raw_keys, sign_in};

#[test]
fn a_clerk_files_a_sale_uploads_a_csv_with_one_bad_row_and_confirms_a_shipment() {
    let Some(driver) = driver() else { return };
    each_backend(|app| {
        let (buyer, dispatch, clerk) = dispatched(app);
        let regulator = app.regulator();
        let entries = |kind: &str| -> Vec<Value> {
            app.get(
                &format!("/api/v1/firms/{buyer}/ledger?kind={kind}"),
                Some(&regulator),
            )
            .body["items"]
                .as_array()
                .unwrap()
                .clone()
        };
        let b = driver.browser("zh-CN");
        sign_in(&b, app, &clerk);

        // The incoming acetone first, so that there is stock to sell.
        b.go(&format!("{}/incoming", app.base));
        b.find(&format!("#dispatch-{dispatch} button.confirm"))
            .click();
        b.wait_until("the confirmation", |b| b.try_find("#notice").is_some());
        assert_eq!(entries("purchase").len(), 1);

        // A sale with a bad quantity: the problem beside the field, nothing filed.
        b.go(&format!("{}/ledger/new", app.base));
        no_raw_keys(&b);
        b.find("#kind option[value=sale]").click();
        b.execute("document.querySelector('#chemical_id').selectedIndex = [...document.querySelectorAll('#chemical_id option')].findIndex(o => o.text.startsWith('丙酮'))");
        b.find("#lot").type_text("L7");
        b.find("#quantity").type_text("abc");
        b.find("#counterparty_name").type_text("<b>某医药公司</b>");
        b.find("#counterparty_credit_code")
            .type_text(&super::helpers::credit_code(90_000 + app.next()));
        b.find("#counterparty_permit_no").type_text("GM-1");
        b.find("#file-entry").click();
        b.wait_until("the problem next to the quantity", |b| {
            b.try_find("#quantity-problem").is_some()
        });
        assert!(
            b.find("#quantity-problem")
                .text()
                .contains("不是有效的数量"),
            "{}",
            b.text()
        );
        assert_eq!(
            b.find("#counterparty_name").attribute("value"),
            "<b>某医药公司</b>"
        );
        // A sale says how it was paid: the clerk left it out, and is told so beside the field.
        assert!(b.find("#payment-problem").text().contains("必填"));
        b.screenshot("ledger-form-problem-zh");
        assert!(entries("sale").is_empty());

        let quantity = b.find("#quantity");
        quantity.clear();
        quantity.type_text("2.5");
        b.find("#payment option[value=bank_transfer]").click();
        b.find("#file-entry").click();
        b.wait_until("the receipt", |b| b.try_find("#receipt-hash").is_some());
        let sales = entries("sale");
        assert_eq!(sales.len(), 1);
        assert_eq!(
            b.find("#receipt-hash").text(),
            sales[0]["hash"].as_str().unwrap()
        );
        assert_eq!(b.find("#receipt-seq").text(), sales[0]["seq"].to_string());
        b.screenshot("ledger-receipt-zh");

        // The table: the lot's balance after the sale (9.5 bought... here 10 − 2.5).
        b.go(&format!("{}/ledger", app.base));
        let row = format!("#entry-{}", sales[0]["seq"]);
        assert!(
            b.find(&format!("{row} .balance"))
                .text()
                .starts_with("7.500"),
            "{}",
            b.text()
        );
        b.screenshot("ledger-zh");

        // An upload with one bad row: that row's error, nothing filed.
        let dir = std::env::temp_dir().join(format!("precursor-upload-{}", app.next()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("day.csv");
        std::fs::write(
            &path,
            "kind,cas,lot,quantity,occurred_at,note\n\
             consumption,67-64-1,L7,1,2026-03-01T08:00:00+08:00,\n\
             loss,67-64-1,L7,0.5,2026-03-01T09:00:00+08:00,\n",
        )
        .unwrap();
        b.go(&format!("{}/ledger/upload", app.base));
        b.find("#file").type_text(path.to_str().unwrap());
        b.find("#check-upload").click();
        b.wait_until("the preview", |b| b.try_find("#preview").is_some());
        assert!(
            b.try_find("#upload-refused").is_some(),
            "{} {}",
            b.url(),
            b.source()
        );
        assert!(
            b.find("#row-3 .row-problems")
                .text()
                .contains("损耗必须在备注中说明原因"),
            "{}",
            b.text()
        );
        assert!(b.find("#row-2 .row-problems").text().is_empty());
        assert!(b.try_find("#file-upload").is_none());
        b.screenshot("upload-preview-zh");
        assert!(entries("consumption").is_empty() && entries("loss").is_empty());

        // A finding about the firm (the sale above named an outside buyer without its permit
        // date: documented; a purchase from nobody is not), recorded by a regulator's run.
        let bought = app.post(
            &format!("/api/v1/firms/{buyer}/ledger"),
            Some(&app.enterprise(&buyer)),
            &serde_json::json!({"kind": "purchase", "payment": "bank_transfer", "chemical_id": sales[0]["chemical_id"], "lot": "L8", "quantity": "3",
                                "occurred_at": chrono::Utc::now().to_rfc3339(), "counterparty": {"name": "无名商行"}}),
        );
        assert_eq!(bought.status, 201, "{}", bought.text);
        let run = app.post(
            "/api/v1/custody/validations",
            Some(&regulator),
            &serde_json::json!({"firm_id": buyer}),
        );
        assert_eq!(run.status, 201, "{}", run.text);
        b.go(&format!("{}/", app.base));
        let todo = b.find("#todo-findings").text();
        assert!(!todo.ends_with(": 0"), "a finding to explain: {todo}");
        b.find("#todo-findings").click();
        b.wait_until("the firm's findings", |b| b.try_find("#findings").is_some());
        let own = app.get(
            &format!("/api/v1/custody/findings?firm_id={buyer}&status=open"),
            Some(&regulator),
        );
        let own = own.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["firm_id"] == buyer.as_str())
            .expect("a finding about the firm")["id"]
            .as_str()
            .unwrap()
            .to_string();
        b.find(&format!("#finding-{own} a.open-finding")).click();
        b.wait_until("the finding", |b| b.try_find("#explain-form").is_some());
        b.find("#text")
            .type_text("对方为个体商户，已补登购买备案证明编号。");
        b.find("#explain").click();
        b.wait_until("explained", |b| b.try_find("#notice").is_some());
        assert!(
            b.find("#finding-status").text().contains("已说明"),
            "{}",
            b.text()
        );
        b.screenshot("finding-explained-zh");
        let mine = app.get(
            &format!("/api/v1/custody/findings?firm_id={buyer}&status=explained"),
            Some(&regulator),
        );
        assert!(
            !mine.body["items"].as_array().unwrap().is_empty(),
            "{}",
            mine.text
        );
    });
}
