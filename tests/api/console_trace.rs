//! The lot trace page: the graph drawn on the server from the trace endpoint's own graph.

use serde_json::json;

use crate::helpers::{each_backend, PASSWORD};
use crate::ledger::chain;
use crate::visitor::Visitor;

#[test]
fn a_regulator_sees_a_lot_drawn_with_its_gap_and_a_clerk_may_not() {
    each_backend(|app| {
        let c = chain(app);
        let file = |firm: &str, token: &str, body: serde_json::Value| {
            let r = app.post(&format!("/api/v1/firms/{firm}/ledger"), Some(token), &body);
            assert_eq!(r.status, 201, "{}", r.text);
        };
        file(
            &c.seller,
            &c.seller_clerk,
            json!({"kind": "production", "chemical_id": c.acetone, "lot": "T1", "quantity": "50", "occurred_at": "2026-02-01T08:00:00Z"}),
        );
        // Sold to the buyer long ago and never received: a gap.
        file(
            &c.seller,
            &c.seller_clerk,
            json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "lot": "T1", "quantity": "20", "occurred_at": "2026-02-02T08:00:00Z",
                                                 "counterparty": {"firm_id": c.buyer}, "shipment_ref": "<b>YD</b>"}),
        );
        let (officer, _) = app.create_user("regulator", None);
        let mut v = Visitor::new(app, "zh-CN");
        v.sign_in(&officer, PASSWORD);
        let page = v.get(&format!("/trace?chemical_id={}&lot=T1", c.acetone));
        assert_eq!(page.status, 200, "{}", page.text);
        let svg = &page.text
            [page.text.find("<svg").expect("a drawing")..page.text.find("</svg>").unwrap()];
        assert_eq!(svg.matches("<rect").count(), 2, "seller and buyer: {svg}");
        assert!(svg.contains("宁德市蕉城区化工原料有限公司") && svg.contains("福安市制药有限公司"));
        assert!(
            svg.contains("stroke-dasharray"),
            "the unmatched dispatch is drawn as a gap"
        );
        assert!(svg.contains("结存 30.000"), "{svg}");
        assert!(page.text.contains("发货无收货"), "{}", page.text);
        assert!(
            page.text.contains("&#60;b&#62;YD&#60;/b&#62;") && !page.text.contains("<b>YD</b>"),
            "{}",
            page.text
        );
        let api = app.get(
            &format!("/api/v1/custody/trace?chemical_id={}&lot=T1", c.acetone),
            Some(&c.regulator),
        );
        assert_eq!(
            svg.matches("class=\"edge\"").count(),
            api.body["edges"].as_array().unwrap().len(),
            "one arrow per edge of the API's graph"
        );

        let missing = v.get("/trace?chemical_id=nope");
        assert_eq!(missing.status, 422);
        assert!(
            missing.text.contains("id=\"chemical_id-problem\""),
            "{}",
            missing.text
        );

        let (clerk, _) = app.create_user("enterprise", Some(&c.seller));
        let mut e = Visitor::new(app, "zh-CN");
        e.sign_in(&clerk, PASSWORD);
        assert_eq!(
            e.get(&format!("/trace?chemical_id={}&lot=T1", c.acetone))
                .status,
            403
        );
    });
}
