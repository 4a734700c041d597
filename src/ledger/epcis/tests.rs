//! The mapping both ways on random entries: every event validates against GS1's schema and
//! reads back as the entry it was written from.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::mapping::{self, Draft, EntryFacts, Lookup, Reading};
use super::schema;
use crate::domain::quantity::format_thousandths;
use crate::domain::{EntryKind, Unit};

const ACETONE: &str = "0190a1b2-0000-7000-8000-000000000001";
const BUYER: &str = "0190a1b2-0000-7000-8000-0000000000b2";

fn lookup() -> Lookup {
    let mut l = Lookup::default();
    l.cas.insert("67-64-1".into(), ACETONE.into());
    l.chemicals.insert(ACETONE.into());
    l.units.insert(ACETONE.into(), Unit::Kilogram);
    l.products.insert(
        "https://id.gs1.org/01/04012345123456".into(),
        ACETONE.into(),
    );
    l.sites.insert(
        "https://id.gs1.org/414/0614141007776".into(),
        "一号库".into(),
    );
    l.parties.insert("9521234000013".into(), BUYER.into());
    l
}

fn facts(kind: EntryKind) -> EntryFacts {
    EntryFacts {
        id: "0190a1b2-0000-7000-8000-00000000e001".into(),
        firm_id: "0190a1b2-0000-7000-8000-0000000000a1".into(),
        seq: 1,
        hash: "ab".repeat(32),
        kind,
        class: mapping::registry_class(Some("67-64-1"), ACETONE, Some("L-1")),
        unit: Unit::Kilogram,
        quantity: 1_500,
        occurred_at: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        recorded_at: Utc.with_ymd_and_hms(2026, 3, 1, 1, 0, 0).unwrap(),
        location: None,
        own_party: "urn:precursor-registry:firm:0190a1b2-0000-7000-8000-0000000000a1".into(),
        counterparty_party: None,
        counterparty: None,
        payment: None,
        shipment_ref: None,
        permit_no: None,
        transport_permit_no: None,
        warehouse: None,
        note: None,
    }
}

fn read_one(event: &Value) -> Reading {
    mapping::read_event(event, "/epcisBody/eventList/0", &lookup())
}

fn drafts(reading: Reading) -> Vec<Draft> {
    match reading {
        Reading::Entries { drafts, .. } => drafts,
        other => panic!("not entries: {other:?}"),
    }
}

#[test]
fn a_registered_gtin_and_site_read_as_the_chemical_and_warehouse() {
    let mut f = facts(EntryKind::Sale);
    f.class = "urn:epc:class:lgtin:4012345.012345.998877".into();
    f.location = Some("urn:epc:id:sgln:0614141.00777.0".into());
    f.counterparty_party = Some("urn:epc:id:pgln:9521234.00001".into());
    f.payment = Some("bank_transfer".into());
    let mut event = mapping::event(&f).unwrap();
    // Written by another system: no registry extension but the payment.
    event
        .as_object_mut()
        .unwrap()
        .retain(|k, _| !k.starts_with("prr:") || k == "prr:payment");
    let d = &drafts(read_one(&event))[0];
    assert_eq!(
        (d.kind, d.chemical_id.as_str(), d.lot.as_deref()),
        (EntryKind::Sale, ACETONE, Some("998877"))
    );
    assert_eq!(
        (d.quantity.as_str(), d.warehouse.as_deref()),
        ("1.500", Some("一号库"))
    );
    assert_eq!(d.counterparty, Some(json!({"firm_id": BUYER})));
}

#[test]
fn what_cannot_be_read_is_named_not_guessed() {
    let mut f = facts(EntryKind::Sale);
    f.location = Some("urn:epc:id:sgln:0614141.00999.0".into());
    f.counterparty_party = Some("urn:epc:id:pgln:0614141.00001".into());
    let event = mapping::event(&f).unwrap();
    let Reading::Unmappable(problems) = read_one(&event) else {
        panic!("a sale at an unknown site to an unknown party without payment maps");
    };
    let codes: Vec<&str> = problems.iter().map(|p| p.code).collect();
    assert_eq!(
        codes,
        ["unknown_location", "unknown_party", "payment_required"]
    );
    assert_eq!(problems[0].pointer, "/epcisBody/eventList/0/bizLocation/id");
}

fn kinds() -> impl Strategy<Value = EntryKind> {
    prop_oneof![
        Just(EntryKind::Production),
        Just(EntryKind::Sale),
        Just(EntryKind::Purchase),
        Just(EntryKind::Consumption),
        Just(EntryKind::Loss),
        Just(EntryKind::Disposal),
        Just(EntryKind::Stocktake),
    ]
}

fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[A-Za-z0-9 /#%:_.\\-一二三库桶]{1,20}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_entry_writes_a_valid_event_that_reads_back_as_itself(
        kind in kinds(),
        thousandths in 1_i64..=1_000_000_000_000,
        seconds in 0_i64..2_000_000_000,
        micros in 0_u32..1_000_000,
        lot in text(),
        shipment_ref in text(),
        permit_no in text(),
        transport_permit_no in text(),
        warehouse in text(),
        note in "[a-z 桶破裂]{1,30}",
        outside in any::<bool>(),
    ) {
        let mut f = facts(kind);
        f.class = mapping::registry_class(Some("67-64-1"), ACETONE, lot.as_deref());
        f.quantity = thousandths;
        let at: DateTime<Utc> = Utc.timestamp_opt(seconds, micros * 1000).unwrap();
        f.occurred_at = at;
        f.shipment_ref = shipment_ref.clone();
        f.permit_no = permit_no.clone();
        f.transport_permit_no = transport_permit_no.clone();
        f.warehouse = warehouse.clone();
        f.note = Some(note.clone());
        let counterparty = if outside {
            json!({"kind": "organization", "name": "厦门某贸易公司", "credit_code": "91350200MA00000017"})
        } else {
            json!({"firm_id": BUYER})
        };
        if kind.needs_counterparty() {
            f.payment = Some("cheque".into());
            f.counterparty = Some(counterparty.clone());
            f.counterparty_party = Some(mapping::FIRM_URN.to_string() + BUYER);
        }
        let event = mapping::event(&f).unwrap();
        let doc = mapping::document(vec![event.clone()], at);
        let errors = schema::errors(&doc).unwrap();
        prop_assert!(errors.is_empty(), "{:?}", errors);
        let read = drafts(read_one(&event));
        prop_assert_eq!(read.len(), 1);
        let d = &read[0];
        prop_assert_eq!(d.kind, kind);
        prop_assert_eq!(d.chemical_id.as_str(), ACETONE);
        prop_assert_eq!(&d.lot, &lot);
        prop_assert_eq!(d.quantity.clone(), format_thousandths(thousandths));
        prop_assert_eq!(d.occurred_at, at);
        prop_assert_eq!(&d.shipment_ref, &shipment_ref);
        prop_assert_eq!(&d.permit_no, &permit_no);
        prop_assert_eq!(&d.transport_permit_no, &transport_permit_no);
        prop_assert_eq!(&d.warehouse, &warehouse);
        prop_assert_eq!(d.note.as_deref(), Some(note.as_str()));
        let expected = kind.needs_counterparty().then_some(counterparty);
        prop_assert_eq!(&d.counterparty, &expected);
    }

    #[test]
    fn a_reversal_is_its_targets_event_declared_in_error(kind in kinds(), hours in 1_i64..10_000) {
        let target = facts(kind);
        let mut reversal = facts(EntryKind::Reversal);
        reversal.id = "0190a1b2-0000-7000-8000-00000000e002".into();
        reversal.occurred_at = target.occurred_at + chrono::Duration::hours(hours);
        reversal.note = Some("记错".into());
        let event = mapping::declared_in_error(&target, &reversal).unwrap();
        prop_assert_eq!(&event["eventID"], &json!(mapping::event_id(&target.id)));
        prop_assert!(schema::errors(&mapping::document(vec![event.clone()], reversal.occurred_at)).unwrap().is_empty());
        let read = read_one(&event);
        prop_assert_eq!(read, Reading::Correction {
            event_id: mapping::event_id(&target.id),
            declared_at: reversal.occurred_at,
            note: Some("记错".into()),
        });
    }

    #[test]
    fn urn_segments_round_trip(text in "\\PC{0,40}") {
        let encoded = mapping::encode(&text);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        prop_assert_eq!(mapping::decode(&encoded), Some(text));
    }
}
