//! Issue 14 on a running registry: a firm's GS1 identifiers, its ledger exported as an EPCIS 2.0
//! document (checked against GS1's JSON Schema), documents imported (GS1's own examples among
//! them), error declarations as reversals, and the refusals.

use serde_json::{json, Value};

use crate::helpers::{each_backend, TestApp};
use crate::ledger::{chain, Chain};
use precursor_registry::ledger::epcis::schema;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/epcis");

fn example(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{EXAMPLES}/{name}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn gs1(app: &TestApp, token: &str, firm: &str, body: Value) -> crate::helpers::Response {
    app.post(&format!("/api/v1/firms/{firm}/gs1"), Some(token), &body)
}

fn import(
    app: &TestApp,
    token: &str,
    firm: &str,
    doc: &Value,
    partial: bool,
) -> crate::helpers::Response {
    let path = format!("/api/v1/firms/{firm}/ledger/epcis?partial={partial}");
    app.request(
        "POST",
        &path,
        Some(token),
        Some(&doc.to_string()),
        Some("application/ld+json"),
    )
}

fn export(app: &TestApp, token: &str, firm: &str) -> Value {
    let r = app.get(
        &format!("/api/v1/firms/{firm}/ledger?format=epcis"),
        Some(token),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/ld+json"));
    let errors = schema::errors(&r.body).unwrap();
    assert!(
        errors.is_empty(),
        "the export fails GS1's schema: {errors:?}"
    );
    r.body
}

/// The firm's whole ledger (up to 1000 entries) as `token` sees it.
fn entries(app: &TestApp, token: &str, firm: &str) -> Vec<Value> {
    app.entries(token, firm)
}

#[test]
fn a_firm_registers_its_gs1_identifiers_and_no_other_firm_may_take_them() {
    each_backend(|app| {
        let c = chain(app);
        let body = json!({
            "company_prefixes": ["0614141"],
            "parties": ["urn:epc:id:pgln:0614141.00001"],
            "sites": [{"gln": "https://id.gs1.org/414/0614141007776", "warehouse": "一号库"}],
            "products": [{"gtin": "urn:epc:class:lgtin:0614141.107346.L1", "chemical_id": c.anhydride},
                         {"gtin": "09521234543213", "chemical_id": c.acetone}],
        });
        let r = gs1(app, &c.seller_clerk, &c.seller, body.clone());
        assert_eq!(r.status, 201, "{}", r.text);
        let items = r.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 5);
        let site = items.iter().find(|i| i["kind"] == "site").unwrap();
        assert_eq!(
            site["urn"], "urn:epc:id:sgln:0614141.00777.0",
            "the prefix splits the key"
        );
        assert_eq!(site["warehouse"], "一号库");
        // Registering the same again changes nothing; a regulator may register too.
        let again = gs1(app, &c.regulator, &c.seller, body);
        assert_eq!(again.status, 201, "{}", again.text);
        assert_eq!(again.body["items"].as_array().unwrap().len(), 5);
        let listed = app.get(
            &format!("/api/v1/firms/{}/gs1", c.seller),
            Some(&c.regulator),
        );
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 5);

        let taken = gs1(
            app,
            &c.buyer_clerk,
            &c.buyer,
            json!({"parties": ["0614141000012"]}),
        );
        assert_eq!(
            (
                taken.status,
                taken.has_field_error("parties[0]", "gs1_key_taken")
            ),
            (422, true),
            "{}",
            taken.text
        );
        let changed = gs1(
            app,
            &c.seller_clerk,
            &c.seller,
            json!({"products": [{"gtin": "09521234543213", "chemical_id": c.anhydride}]}),
        );
        assert_eq!(
            (changed.status, changed.code()),
            (409, "gs1_key_registered"),
            "{}",
            changed.text
        );
        let bad = gs1(
            app,
            &c.seller_clerk,
            &c.seller,
            json!({"parties": ["0614141000013"], "sites": [{"gln": "urn:epc:id:pgln:0614141.00001", "warehouse": ""}]}),
        );
        assert_eq!(bad.status, 422);
        assert!(
            bad.has_field_error("parties[0]", "invalid_gs1_check_digit"),
            "{}",
            bad.text
        );
        assert!(
            bad.has_field_error("sites[0].gln", "invalid_gs1_form"),
            "{}",
            bad.text
        );
        let unknown = gs1(
            app,
            &c.seller_clerk,
            &c.seller,
            json!({"parties": [], "gln": "x"}),
        );
        assert_eq!(
            unknown.status, 422,
            "an unknown field is refused: {}",
            unknown.text
        );
        // Another firm's clerk sees nothing; the association may not.
        let other = app.get(
            &format!("/api/v1/firms/{}/gs1", c.seller),
            Some(&c.buyer_clerk),
        );
        assert_eq!(other.status, 404);
        let other = gs1(
            app,
            &c.buyer_clerk,
            &c.seller,
            json!({"company_prefixes": ["952123"]}),
        );
        assert_eq!(other.status, 404);
        let association = app.get(
            &format!("/api/v1/firms/{}/gs1", c.seller),
            Some(&app.association()),
        );
        assert_eq!(association.status, 403);
    });
}

/// The seller's ledger of every kind: production, a sale to the buyer, a purchase from an
/// outside firm, use, loss, disposal, a stocktake and a reversal.
fn file_every_kind(app: &TestApp, c: &Chain) {
    let entries = json!({"entries": [
        {"kind": "production", "chemical_id": c.anhydride, "lot": "L1", "quantity": "500.250",
         "occurred_at": "2026-03-01T08:00:00+08:00", "warehouse": "一号库"},
        {"kind": "sale", "chemical_id": c.anhydride, "lot": "L1", "quantity": "100",
         "occurred_at": "2026-03-02T08:00:00+08:00", "counterparty": {"firm_id": c.buyer},
         "payment": "bank_transfer", "shipment_ref": "SH 2026/001", "permit_no": "备案-001",
         "warehouse": "一号库"},
        {"kind": "purchase", "chemical_id": c.acetone, "quantity": "20.5",
         "occurred_at": "2026-03-03T08:00:00+08:00", "payment": "card",
         "counterparty": {"name": "厦门某贸易公司", "credit_code": crate::helpers::credit_code(900_001)}},
        {"kind": "consumption", "chemical_id": c.anhydride, "lot": "L1", "quantity": "50",
         "occurred_at": "2026-03-04T08:00:00+08:00"},
        {"kind": "loss", "chemical_id": c.acetone, "quantity": "0.5",
         "occurred_at": "2026-03-05T08:00:00+08:00", "note": "桶破裂"},
        {"kind": "disposal", "chemical_id": c.acetone, "quantity": "1",
         "occurred_at": "2026-03-06T08:00:00+08:00", "note": "过期"},
        {"kind": "stocktake", "chemical_id": c.anhydride, "lot": "L1", "quantity": "350.250",
         "occurred_at": "2026-03-07T08:00:00+08:00"},
    ]});
    let r = app.post(
        &format!("/api/v1/firms/{}/ledger/batch", c.seller),
        Some(&c.seller_clerk),
        &entries,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let consumption = r.body["items"][3]["id"].as_str().unwrap();
    let reversal = json!({"kind": "reversal", "reverses": consumption,
        "occurred_at": "2026-03-08T08:00:00+08:00", "note": "记错"});
    let r = app.post(
        &format!("/api/v1/firms/{}/ledger", c.seller),
        Some(&c.seller_clerk),
        &reversal,
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

/// What an entry says, without the registry's own facts of filing.
fn said(e: &Value) -> Value {
    let mut e = e.clone();
    for key in [
        "id",
        "firm_id",
        "seq",
        "recorded_at",
        "recorded_by",
        "prev_hash",
        "hash",
        "leaf_index",
        "reverses",
    ] {
        e.as_object_mut().unwrap().remove(key);
    }
    e
}

#[test]
fn the_ledger_exports_as_epcis_that_validates_and_imports_back_the_same() {
    each_backend(|app| {
        let c = chain(app);
        let r = gs1(
            app,
            &c.seller_clerk,
            &c.seller,
            json!({
            "company_prefixes": ["0614141"], "parties": ["urn:epc:id:pgln:0614141.00001"],
            "products": [{"gtin": "urn:epc:idpat:sgtin:0614141.107346.*", "chemical_id": c.anhydride}]}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let r = gs1(
            app,
            &c.buyer_clerk,
            &c.buyer,
            json!({"parties": ["urn:epc:id:pgln:9521234.00001"]}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        file_every_kind(app, &c);
        let doc = export(app, &c.seller_clerk, &c.seller);
        let events = doc["epcisBody"]["eventList"].as_array().unwrap();
        assert_eq!(events.len(), 8);
        let production = &events[0];
        assert_eq!(
            (
                production["type"].as_str(),
                production["action"].as_str(),
                production["bizStep"].as_str()
            ),
            (Some("ObjectEvent"), Some("ADD"), Some("commissioning"))
        );
        assert_eq!(
            production["quantityList"][0],
            json!({"epcClass": "urn:epc:class:lgtin:0614141.107346.L1", "quantity": 500.25, "uom": "KGM"})
        );
        let sale = &events[1];
        assert_eq!(sale["bizStep"], "shipping");
        assert_eq!(
            sale["destinationList"][0],
            json!({"type": "owning_party", "destination": "https://id.gs1.org/417/9521234000013"})
        );
        assert_eq!(
            sale["sourceList"][0]["source"],
            "urn:epc:id:pgln:0614141.00001"
        );
        let refs: Vec<&str> = sale["bizTransactionList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["bizTransaction"].as_str().unwrap())
            .collect();
        assert_eq!(
            refs,
            [
                "urn:precursor-registry:shipment:SH%202026%2F001",
                "urn:precursor-registry:permit:%E5%A4%87%E6%A1%88-001"
            ]
        );
        assert!(events[2]["quantityList"][0]["epcClass"]
            .as_str()
            .unwrap()
            .starts_with("urn:precursor-registry:class:cas:67-64-1"));
        assert_eq!(events[3]["type"], "TransformationEvent");
        assert_eq!(
            (events[4]["action"].as_str(), events[4]["bizStep"].as_str()),
            (Some("DELETE"), Some("removing"))
        );
        assert_eq!(events[5]["bizStep"], "destroying");
        assert_eq!(events[6]["bizStep"], "stock_taking");
        // The reversal declares the consumption's event in error, under its eventID.
        assert_eq!(events[7]["eventID"], events[3]["eventID"]);
        assert_eq!(events[7]["errorDeclaration"]["reason"], "incorrect_data");
        let seller_entries = entries(app, &c.seller_clerk, &c.seller);
        assert_eq!(events[0]["prr:entry"]["hash"], seller_entries[0]["hash"]);

        // Into an empty firm: the same entries.
        let empty = app.register_firm(&c.regulator, "三明市化工贸易有限公司");
        let clerk = app.enterprise(&empty);
        let r = gs1(
            app,
            &clerk,
            &empty,
            json!({"products": [{"gtin": "urn:epc:idpat:sgtin:0614141.107346.*", "chemical_id": c.anhydride}]}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let r = import(app, &clerk, &empty, &doc, false);
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            (r.body["filed"].as_u64(), r.body["already_filed"].as_u64()),
            (Some(8), Some(0))
        );
        let copied = entries(app, &clerk, &empty);
        let said_before: Vec<Value> = seller_entries.iter().map(said).collect();
        let said_after: Vec<Value> = copied.iter().map(said).collect();
        assert_eq!(said_after, said_before);
        assert_eq!(
            copied[7]["reverses"], copied[3]["id"],
            "the reversal cancels the copy of the use"
        );
        // Again: nothing new.
        let again = import(app, &clerk, &empty, &doc, false);
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(again.body["already_filed"].as_u64(), Some(8));
        assert_eq!(entries(app, &clerk, &empty).len(), 8);
        // Into the seller itself: its own events are known by their ids.
        let own = import(app, &c.seller_clerk, &c.seller, &doc, false);
        assert_eq!(
            (own.status, own.body["already_filed"].as_u64()),
            (200, Some(8)),
            "{}",
            own.text
        );
        // Other firms' clerks and regulators may not import; another firm's data is invisible.
        assert_eq!(import(app, &c.buyer_clerk, &empty, &doc, false).status, 404);
        assert_eq!(import(app, &c.regulator, &empty, &doc, false).status, 403);
        let other = app.get(
            &format!("/api/v1/firms/{}/ledger?format=epcis", c.seller),
            Some(&c.buyer_clerk),
        );
        assert_eq!(other.status, 404);
    });
}

#[test]
fn gs1s_own_examples_are_filed_or_reported_event_by_event() {
    each_backend(|app| {
        let c = chain(app);
        for name in [
            "Example-TransactionEvents-2020_07_03y.jsonld",
            "Example_9.6.1-ObjectEvent.jsonld",
            "Example_9.6.2-ObjectEvent.jsonld",
            "Example_9.6.3-AggregationEvent.jsonld",
            "Example_9.6.4-TransformationEvent.jsonld",
        ] {
            let doc = example(name);
            assert!(
                schema::errors(&doc).unwrap().is_empty(),
                "{name} is valid EPCIS"
            );
            let all = import(app, &c.buyer_clerk, &c.buyer, &doc, false);
            assert_eq!(
                all.status, 422,
                "{name}: nothing registered, nothing maps: {}",
                all.text
            );
            let partial = import(app, &c.buyer_clerk, &c.buyer, &doc, true);
            assert_eq!(partial.status, 200, "{name}: {}", partial.text);
            let events = partial.body["events"].as_array().unwrap();
            let listed = doc["epcisBody"]["eventList"].as_array().unwrap().len();
            assert_eq!(events.len(), listed, "{name}: a line per event");
            assert!(
                events
                    .iter()
                    .all(|e| e["status"] == "unmapped"
                        && !e["problems"].as_array().unwrap().is_empty()),
                "{name}: {}",
                partial.text
            );
        }
        let codes = |name: &str| -> Vec<String> {
            let r = import(app, &c.buyer_clerk, &c.buyer, &example(name), true);
            r.body["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["problems"][0]["code"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            codes("Example-TransactionEvents-2020_07_03y.jsonld"),
            ["unmapped_event_type", "unmapped_event_type"]
        );
        assert_eq!(
            codes("Example_9.6.1-ObjectEvent.jsonld"),
            ["no_quantity", "no_quantity"]
        );
        assert_eq!(
            codes("Example_9.6.3-AggregationEvent.jsonld"),
            ["unmapped_event_type"]
        );

        // 9.6.2: 200 kg of lot 998877 received at site 0614141.00888.0 from the party
        // 4012345.00001 — once the buyer registered its site and the product, and the seller
        // its party, and the document says how it was paid.
        let r = gs1(
            app,
            &c.buyer_clerk,
            &c.buyer,
            json!({
            "sites": [{"gln": "urn:epc:id:sgln:0614141.00888.0", "warehouse": "二号库"},
                      {"gln": "urn:epc:id:sgln:4012345.00001.0", "warehouse": "车间"}],
            "products": [{"gtin": "urn:epc:idpat:sgtin:4012345.012345.*", "chemical_id": c.anhydride},
                         {"gtin": "urn:epc:class:lgtin:4012345.011111.4444", "chemical_id": c.acetone}]}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let r = gs1(
            app,
            &c.seller_clerk,
            &c.seller,
            json!({"parties": ["urn:epc:id:pgln:4012345.00001"]}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let unpaid = import(
            app,
            &c.buyer_clerk,
            &c.buyer,
            &example("Example_9.6.2-ObjectEvent.jsonld"),
            false,
        );
        assert_eq!(unpaid.status, 422);
        assert!(
            unpaid.has_field_error("/epcisBody/eventList/0/prr:payment", "payment_required"),
            "{}",
            unpaid.text
        );
        let mut paid = example("Example_9.6.2-ObjectEvent.jsonld");
        paid["@context"][1]["prr"] = json!("urn:precursor-registry:epcis:");
        paid["epcisBody"]["eventList"][0]["prr:payment"] = json!("bank_transfer");
        let r = import(app, &c.buyer_clerk, &c.buyer, &paid, false);
        assert_eq!(r.status, 201, "{}", r.text);
        let filed = entries(app, &c.buyer_clerk, &c.buyer);
        assert_eq!(filed.len(), 1);
        let purchase = &filed[0];
        assert_eq!(purchase["kind"], "purchase");
        assert_eq!(purchase["chemical_id"], c.anhydride.as_str());
        assert_eq!(
            (purchase["lot"].as_str(), purchase["quantity"].as_str()),
            (Some("998877"), Some("200.000"))
        );
        assert_eq!(purchase["occurred_at"], "2013-06-08T14:58:56.591Z");
        assert_eq!(purchase["counterparty"]["firm_id"], c.seller.as_str());
        assert_eq!(purchase["warehouse"], "二号库");
        assert_eq!(purchase["payment"], "bank_transfer");

        // 9.6.4: of three inputs, 10 kg of lot 4444 is a registered precursor (used at the
        // read point 4012345.00001.0); the other two classes are listed as left out.
        let r = import(
            app,
            &c.buyer_clerk,
            &c.buyer,
            &example("Example_9.6.4-TransformationEvent.jsonld"),
            false,
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let line = &r.body["events"][0];
        assert_eq!(line["status"], "filed");
        let left_out: Vec<&str> = line["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            left_out,
            [
                "/epcisBody/eventList/0/inputQuantityList/1/epcClass",
                "/epcisBody/eventList/0/inputQuantityList/2/epcClass"
            ]
        );
        let filed = entries(app, &c.buyer_clerk, &c.buyer);
        let used = &filed[1];
        assert_eq!(
            (
                used["kind"].as_str(),
                used["lot"].as_str(),
                used["quantity"].as_str()
            ),
            (Some("consumption"), Some("4444"), Some("10.000"))
        );
        assert_eq!(
            (used["chemical_id"].as_str(), used["warehouse"].as_str()),
            (Some(c.acetone.as_str()), Some("车间"))
        );
        // The same documents again file nothing.
        let again = import(
            app,
            &c.buyer_clerk,
            &c.buyer,
            &example("Example_9.6.4-TransformationEvent.jsonld"),
            false,
        );
        assert_eq!(
            (again.status, again.body["already_filed"].as_u64()),
            (200, Some(1))
        );
        assert_eq!(entries(app, &c.buyer_clerk, &c.buyer).len(), 2);
    });
}

fn one_event(event: Value) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"prr": "urn:precursor-registry:epcis:"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {"eventList": [event]},
    })
}

fn production_event(id: &str, class: &str, quantity: Value, uom: &str) -> Value {
    json!({"type": "ObjectEvent", "eventID": id, "eventTime": "2026-03-01T08:00:00+08:00",
        "eventTimeZoneOffset": "+08:00", "epcList": [], "action": "ADD", "bizStep": "commissioning",
        "quantityList": [{"epcClass": class, "quantity": quantity, "uom": uom}]})
}

#[test]
fn bad_documents_are_refused_with_the_place_named_and_nothing_filed() {
    each_backend(|app| {
        let c = chain(app);
        let class = "urn:precursor-registry:class:cas:108-24-7:lot:L9";
        let good = one_event(production_event(
            "urn:uuid:0f4f0d1e-0000-4000-8000-000000000001",
            class,
            json!(40),
            "KGM",
        ));
        let post = |doc: &Value| import(app, &c.seller_clerk, &c.seller, doc, false);

        let mut wrong_context = good.clone();
        wrong_context["@context"] = json!(["https://example.com/not-epcis.jsonld"]);
        let r = post(&wrong_context);
        assert_eq!(
            (r.status, r.has_field_error("/@context", "epcis_context")),
            (422, true),
            "{}",
            r.text
        );
        let mut untyped = good.clone();
        untyped["epcisBody"]["eventList"][0]
            .as_object_mut()
            .unwrap()
            .remove("type");
        let r = post(&untyped);
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.field_errors()
                .iter()
                .any(|(f, _)| f.starts_with("/epcisBody/eventList/0")),
            "{}",
            r.text
        );
        let r = post(&one_event(production_event(
            "urn:uuid:1",
            class,
            json!(-1),
            "KGM",
        )));
        assert_eq!(r.status, 422);
        assert!(
            r.field_errors()
                .iter()
                .any(|(f, _)| f == "/epcisBody/eventList/0/quantityList/0/quantity"),
            "{}",
            r.text
        );
        let r = post(&one_event(production_event(
            "urn:uuid:2",
            class,
            json!(5),
            "XYZ",
        )));
        assert_eq!(
            (
                r.status,
                r.has_field_error("/epcisBody/eventList/0/quantityList/0/uom", "unknown_uom")
            ),
            (422, true),
            "{}",
            r.text
        );
        let r = post(&one_event(production_event(
            "urn:uuid:3",
            class,
            json!(5),
            "LTR",
        )));
        assert!(
            r.has_field_error("/epcisBody/eventList/0/quantityList/0/uom", "wrong_uom"),
            "{}",
            r.text
        );
        let mut twice = good.clone();
        let event = twice["epcisBody"]["eventList"][0].clone();
        twice["epcisBody"]["eventList"]
            .as_array_mut()
            .unwrap()
            .push(event);
        let r = post(&twice);
        assert_eq!(
            (
                r.status,
                r.has_field_error("/epcisBody/eventList/1/eventID", "duplicate_event_id")
            ),
            (422, true),
            "{}",
            r.text
        );
        let r = app.request(
            "POST",
            &format!("/api/v1/firms/{}/ledger/epcis", c.seller),
            Some(&c.seller_clerk),
            Some("{not json"),
            Some("application/ld+json"),
        );
        assert_eq!((r.status, r.code()), (400, "malformed_json"));
        // 50 MB: refused before it is read, the limit stated.
        let mut huge = good.clone();
        huge["padding"] = json!("x".repeat(50 * 1024 * 1024));
        let r = post(&huge);
        assert_eq!(
            (r.status, r.code()),
            (413, "body_too_large"),
            "{}",
            &r.text[..r.text.len().min(300)]
        );
        assert!(r.body["detail"].as_str().unwrap().contains("20 MiB"));
        assert!(
            entries(app, &c.seller_clerk, &c.seller).is_empty(),
            "nothing was filed"
        );

        // One mappable event beside a bad one: all or nothing, unless partial.
        let mut mixed = good.clone();
        mixed["epcisBody"]["eventList"]
            .as_array_mut()
            .unwrap()
            .push(production_event(
                "urn:uuid:4",
                "urn:precursor-registry:class:cas:0-00-0",
                json!(1),
                "KGM",
            ));
        let r = post(&mixed);
        assert_eq!(
            (
                r.status,
                r.has_field_error("/epcisBody/eventList/1", "unknown_class")
            ),
            (422, true),
            "{}",
            r.text
        );
        assert!(entries(app, &c.seller_clerk, &c.seller).is_empty());
        // The refusal still has a line per event.
        let lines: Vec<(&str, &str)> = r.body["report"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["event_id"].as_str().unwrap(),
                    e["status"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                ("urn:uuid:0f4f0d1e-0000-4000-8000-000000000001", "not_filed"),
                ("urn:uuid:4", "unmapped")
            ]
        );
        let r = import(app, &c.seller_clerk, &c.seller, &mixed, true);
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            (r.body["filed"].as_u64(), r.body["unmapped"].as_u64()),
            (Some(1), Some(1))
        );
        let filed = entries(app, &c.seller_clerk, &c.seller);
        assert_eq!(
            (filed.len(), filed[0]["quantity"].as_str()),
            (1, Some("40.000"))
        );

        // An error declaration of that event reverses its entry, once.
        let mut declared = production_event(
            "urn:uuid:0f4f0d1e-0000-4000-8000-000000000001",
            class,
            json!(40),
            "KGM",
        );
        declared["errorDeclaration"] =
            json!({"declarationTime": "2026-03-02T08:00:00+08:00", "reason": "incorrect_data"});
        let r = post(&one_event(declared.clone()));
        assert_eq!(r.status, 201, "{}", r.text);
        let filed = entries(app, &c.seller_clerk, &c.seller);
        assert_eq!(
            (filed[1]["kind"].as_str(), &filed[1]["reverses"]),
            (Some("reversal"), &filed[0]["id"])
        );
        let again = post(&one_event(declared));
        assert_eq!(
            (again.status, again.body["already_filed"].as_u64()),
            (200, Some(1)),
            "{}",
            again.text
        );
        let unknown = one_event(
            json!({"type": "ObjectEvent", "eventID": "urn:uuid:never-filed", "eventTime": "2026-03-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "ADD",
            "errorDeclaration": {"declarationTime": "2026-03-02T08:00:00Z"}}),
        );
        let r = post(&unknown);
        assert_eq!(
            (
                r.status,
                r.has_field_error("/epcisBody/eventList/0/eventID", "unknown_event")
            ),
            (422, true),
            "{}",
            r.text
        );
    });
}

mod round_trip {
    use proptest::prelude::*;
    use serde_json::{json, Value};

    use super::{entries, export, import, said};
    use crate::helpers::{backends, credit_code, TestApp};

    /// An entry of a random ledger: kind, quantity (thousandths), minutes after the start, lot,
    /// references, an outside counterparty or the other registered firm, and whether a later
    /// entry reverses it.
    type Spec = (
        usize,
        i64,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        bool,
        bool,
    );

    const KINDS: [&str; 7] = [
        "production",
        "sale",
        "purchase",
        "consumption",
        "loss",
        "disposal",
        "stocktake",
    ];

    fn spec() -> impl Strategy<Value = Spec> {
        (
            0..KINDS.len(),
            1_i64..10_000_000,
            0_i64..500_000,
            proptest::option::of("[A-Z0-9-]{1,12}"),
            proptest::option::of("[A-Za-z0-9 /一二]{1,16}"),
            proptest::option::of("[A-Z0-9]{1,10}"),
            any::<bool>(),
            any::<bool>(),
        )
    }

    fn request(s: &Spec, chemical: &str, other: &str) -> Value {
        let (kind, quantity, minutes, lot, shipment_ref, permit_no, outside, _) = s;
        let at = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap()
            + chrono::Duration::minutes(*minutes);
        let mut e = json!({"kind": KINDS[*kind], "chemical_id": chemical, "lot": lot,
            "quantity": format!("{}.{:03}", quantity / 1000, quantity % 1000),
            "occurred_at": at.to_rfc3339(), "shipment_ref": shipment_ref, "permit_no": permit_no});
        match KINDS[*kind] {
            "sale" | "purchase" => {
                e["payment"] = json!("bank_transfer");
                e["counterparty"] = if *outside {
                    json!({"name": "厦门某贸易公司", "credit_code": credit_code(77)})
                } else {
                    json!({"firm_id": other})
                };
            }
            "loss" => e["note"] = json!("桶破裂"),
            _ => {}
        }
        e
    }

    struct World {
        app: TestApp,
        regulator: String,
        acetone: String,
        /// The registered firm the random sales and purchases trade with.
        partner: String,
    }

    fn worlds() -> Vec<World> {
        backends()
            .iter()
            .map(|b| {
                let app = TestApp::spawn(b);
                let regulator = app.regulator();
                let acetone = app.chemical(&regulator, "67-64-1");
                let partner = app.register_firm(&regulator, "贸易伙伴");
                World {
                    app,
                    regulator,
                    acetone,
                    partner,
                }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

        #[test]
        fn random_ledgers_export_and_import_into_an_empty_firm_as_the_same_entries(
            specs in proptest::collection::vec(spec(), 1..12),
        ) {
            thread_local!(static WORLDS: Vec<World> = worlds());
            WORLDS.with(|worlds| {
                for w in worlds {
                    let app = &w.app;
                    let source = app.register_firm(&w.regulator, "随机台账企业");
                    let target = app.register_firm(&w.regulator, "空白企业");
                    let (source_clerk, target_clerk) = (app.enterprise(&source), app.enterprise(&target));
                    let batch: Vec<Value> = specs.iter().map(|s| request(s, &w.acetone, &w.partner)).collect();
                    let r = app.post(&format!("/api/v1/firms/{source}/ledger/batch"), Some(&source_clerk), &json!({"entries": batch}));
                    assert_eq!(r.status, 201, "{}", r.text);
                    let ids: Vec<String> = r.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect();
                    for (s, id) in specs.iter().zip(&ids) {
                        if s.7 {
                            let reversal = json!({"kind": "reversal", "reverses": id, "occurred_at": "2026-01-01T00:00:00Z"});
                            let r = app.post(&format!("/api/v1/firms/{source}/ledger"), Some(&source_clerk), &reversal);
                            assert_eq!(r.status, 201, "{}", r.text);
                        }
                    }
                    let doc = export(app, &source_clerk, &source);
                    let r = import(app, &target_clerk, &target, &doc, false);
                    assert_eq!(r.status, 201, "{}", r.text);
                    let before: Vec<Value> = entries(app, &source_clerk, &source).iter().map(said).collect();
                    let after: Vec<Value> = entries(app, &target_clerk, &target).iter().map(said).collect();
                    assert_eq!(after, before);
                }
            });
        }
    }
}

#[test]
fn a_lots_custody_path_exports_as_one_epcis_document() {
    each_backend(|app| {
        let c = chain(app);
        file_every_kind(app, &c);
        let receipt = json!({"kind": "purchase", "chemical_id": c.anhydride, "lot": "L1", "quantity": "100",
            "occurred_at": "2026-03-03T08:00:00+08:00", "counterparty": {"firm_id": c.seller},
            "payment": "bank_transfer", "shipment_ref": "SH 2026/001"});
        let r = app.post(
            &format!("/api/v1/firms/{}/ledger", c.buyer),
            Some(&c.buyer_clerk),
            &receipt,
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let path = format!(
            "/api/v1/custody/trace?chemical_id={}&lot=L1&format=epcis",
            c.anhydride
        );
        let r = app.get(&path, Some(&c.regulator));
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(schema::errors(&r.body).unwrap().is_empty());
        let events = r.body["epcisBody"]["eventList"].as_array().unwrap();
        let steps: Vec<(&str, &str)> = events
            .iter()
            .map(|e| {
                (
                    e["prr:entry"]["firm_id"].as_str().unwrap(),
                    e["bizStep"].as_str().unwrap(),
                )
            })
            .collect();
        // The seller's production and sale, the buyer's receipt, the seller's use (declared in
        // error later) and stocktake: the lot's whole path in the order it happened; the
        // acetone of the same ledger is not in it.
        assert_eq!(
            steps,
            [
                (c.seller.as_str(), "commissioning"),
                (c.seller.as_str(), "shipping"),
                (c.buyer.as_str(), "receiving"),
                (c.seller.as_str(), "commissioning"),
                (c.seller.as_str(), "stock_taking"),
                (c.seller.as_str(), "commissioning"),
            ]
        );
        assert_eq!(events[3]["type"], "TransformationEvent");
        assert!(events[5]["errorDeclaration"].is_object());
        let clerk = app.get(&path, Some(&c.seller_clerk));
        assert_eq!(
            clerk.status, 403,
            "a lot's path across firms is the regulator's"
        );
    });
}

#[test]
fn the_cli_exports_a_firms_ledger_as_epcis_xlsx_and_csv() {
    let app = TestApp::spawn(&crate::helpers::Backend::Sqlite);
    let c = chain(&app);
    file_every_kind(&app, &c);
    let url = match &app.database_url {
        precursor_registry::db::DatabaseUrl::Sqlite(path) => path.display().to_string(),
        precursor_registry::db::DatabaseUrl::Postgres(url) => url.clone(),
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ledger.jsonld");
    let run = |format: &str, output: Option<&std::path::Path>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_precursor-registry"));
        command.args([
            "export",
            "--firm-id",
            &c.seller,
            "--format",
            format,
            "--database-url",
            &url,
        ]);
        if let Some(path) = output {
            command.arg("--output").arg(path);
        }
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run("epcis", Some(&file));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(schema::errors(&doc).unwrap().is_empty());
    assert_eq!(doc["epcisBody"]["eventList"].as_array().unwrap().len(), 8);
    let book = dir.path().join("ledger.xlsx");
    run("xlsx", Some(&book));
    assert_eq!(
        &std::fs::read(&book).unwrap()[..2],
        b"PK",
        "an .xlsx is a zip"
    );
    let csv = String::from_utf8(run("csv", None)).unwrap();
    assert_eq!(csv.lines().count(), 1 + 8, "a header and a row per entry");
    assert!(csv.contains("桶破裂"));
}
