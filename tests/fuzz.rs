//! Fuzzing of every parser on stable Rust (issue 16): arbitrary text, bytes and JSON thrown at the
//! parsers of quantities, CAS numbers, credit codes, region codes, resident ID numbers, GS1 keys,
//! CSV and Excel rows, canonical bytes, checkpoints, rule packs, entry bodies and EPCIS events.
//! None may panic; every refusal carries a stable code, never an internal error; what parses
//! reads back the same. A short run is part of `cargo test`; a long one:
//! `PROPTEST_CASES=100000 cargo test --release --test fuzz` (docs/operations.md records one).

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};

use precursor_registry::domain::gs1::Gs1Key;
use precursor_registry::domain::quantity::format_thousandths;
use precursor_registry::domain::resident_id::ResidentId;
use precursor_registry::domain::rule_pack::RulePack;
use precursor_registry::domain::{CasNumber, CreditCode, Quantity, RegionCode};
use precursor_registry::error::AppError;
use precursor_registry::ledger::chain::{self, HashedFields};
use precursor_registry::ledger::entry::EntryRequest;
use precursor_registry::ledger::epcis::{mapping, schema};
use precursor_registry::transparency::checkpoint::{Checkpoint, VerifierKey};

/// Any text, and text made of the characters a parser looks for (to get past its first check).
fn text(alphabet: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), alphabet.prop_map(|s| s), "\\PC{0,40}"]
}

/// A client's mistake is a 4xx with a code, never an internal error.
fn a_clear_refusal(e: &AppError) -> bool {
    !matches!(e, AppError::Internal(_) | AppError::Unavailable(_)) && !e.code().is_empty()
}

/// JSON of any shape, its keys often ones the registry reads.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("kind".to_string()),
        Just("quantity".to_string()),
        Just("lot".to_string()),
        Just("occurred_at".to_string()),
        Just("counterparty".to_string()),
        Just("type".to_string()),
        Just("eventTime".to_string()),
        Just("eventID".to_string()),
        Just("action".to_string()),
        Just("bizStep".to_string()),
        Just("quantityList".to_string()),
        Just("inputQuantityList".to_string()),
        Just("epcClass".to_string()),
        Just("uom".to_string()),
        Just("errorDeclaration".to_string()),
        Just("bizLocation".to_string()),
        Just("sourceList".to_string()),
        Just("destinationList".to_string()),
        Just("prr:payment".to_string()),
        Just("prr:counterparty".to_string()),
        "[a-z:]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        prop_oneof![
            Just("ObjectEvent".to_string()),
            Just("TransformationEvent".to_string()),
            Just("ADD".to_string()),
            Just("receiving".to_string()),
            Just("shipping".to_string()),
            Just("KGM".to_string()),
            Just("2026-03-01T08:00:00Z".to_string()),
            Just("urn:precursor-registry:class:cas:67-64-1".to_string()),
            Just("urn:epc:class:lgtin:4012345.012345.998877".to_string()),
            Just("urn:epc:id:sgln:0614141.00777.0".to_string()),
            "\\PC{0,24}",
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn quantities(t in text("[-+0-9., eE_]{0,24}")) {
        match Quantity::parse(&t) {
            Ok(q) => prop_assert_eq!(Quantity::parse(&format_thousandths(q.thousandths())), Ok(q)),
            Err(e) => prop_assert!(!e.code().is_empty()),
        }
    }

    #[test]
    fn cas_numbers(t in text("[0-9-]{0,14}")) {
        match CasNumber::parse(&t) {
            Ok(c) => prop_assert_eq!(CasNumber::parse(c.as_str()).map(|c| c.to_string()), Ok(c.to_string())),
            Err(e) => prop_assert!(!e.code().is_empty()),
        }
    }

    #[test]
    fn credit_codes(t in text("[0-9A-Z]{16,20}")) {
        match CreditCode::parse(&t) {
            Ok(c) => prop_assert_eq!(CreditCode::parse(c.as_str()).map(|c| c.to_string()), Ok(c.to_string())),
            Err(e) => prop_assert!(!e.code().is_empty()),
        }
    }

    #[test]
    fn region_codes(t in text("[0-9]{4,8}")) {
        match RegionCode::parse(&t) {
            Ok(c) => prop_assert_eq!(RegionCode::parse(c.as_str()).map(|c| c.to_string()), Ok(c.to_string())),
            Err(e) => prop_assert!(!e.code().is_empty()),
        }
    }

    #[test]
    fn resident_ids(t in text("[0-9Xx]{15,20}")) {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        match ResidentId::parse(&t, today) {
            Ok(id) => prop_assert_eq!(ResidentId::parse(id.as_str(), today).map(|i| i.as_str().to_string()), Ok(id.as_str().to_string())),
            Err(e) => prop_assert!(!e.code().is_empty()),
        }
    }

    #[test]
    fn gs1_keys(t in text("(urn:epc:(id:sgln|id:pgln|class:lgtin|idpat:sgtin):|https://id.gs1.org/(01|414|417)/)[0-9.*/A-Za-z-]{0,30}")) {
        match Gs1Key::parse(&t) {
            Ok(key) => prop_assert_eq!(Gs1Key::parse(&key.to_link()), Ok(key)),
            Err(e) => prop_assert!(!e.code().is_empty()),
        }
    }

    #[test]
    fn csv_bodies(bytes in proptest::collection::vec(any::<u8>(), 0..400), rows in "(kind,cas,quantity,occurred_at,note\n)?([a-z0-9 ,\"'=.:-]{0,30}\n){0,5}") {
        let cas = HashMap::from([("67-64-1".to_string(), "0190a1b2-0000-7000-8000-000000000001".to_string())]);
        for body in [bytes.as_slice(), rows.as_bytes()] {
            if let Err(e) = precursor_registry::ledger::csv::import(body, &cas) {
                prop_assert!(a_clear_refusal(&e), "{e:?}");
            }
        }
    }

    #[test]
    fn workbook_bodies(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut body = b"PK\x03\x04".to_vec();
        body.extend(&bytes);
        let cas = HashMap::new();
        for b in [bytes.as_slice(), body.as_slice()] {
            if let Err(e) = precursor_registry::ledger::xlsx::import(b, &cas, chrono::FixedOffset::east_opt(8 * 3600).unwrap()) {
                prop_assert!(a_clear_refusal(&e), "{e:?}");
            }
        }
    }

    #[test]
    fn canonical_bytes_are_deterministic_and_hashes_parse_only_as_64_hex(
        fields in proptest::collection::vec("\\PC{0,12}", 8),
        quantity in any::<i64>(),
        seconds in 0_i64..4_000_000_000,
        hash in "[0-9a-fA-F]{0,70}|\\PC{0,70}",
    ) {
        let at = Utc.timestamp_opt(seconds, 0).unwrap();
        let f = HashedFields {
            id: &fields[0], firm_id: &fields[1], seq: quantity.rem_euclid(1 << 40), kind: &fields[2],
            chemical_id: &fields[3], lot: Some(&fields[4]), quantity, occurred_at: at, recorded_at: at,
            recorded_by: &fields[5], counterparty_firm_id: None, counterparty_name: Some(&fields[6]),
            counterparty_credit_code: None, counterparty_permit_no: None, shipment_ref: None,
            permit_no: None, transport_permit_no: None, warehouse: None, note: Some(&fields[7]),
            reverses: None, counterparty_resident_id: None, payment: None,
        };
        prop_assert_eq!(chain::canonical_bytes(&f), chain::canonical_bytes(&f));
        let parsed = chain::parse_hash(&hash);
        prop_assert_eq!(parsed.is_some(), hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn checkpoints_and_keys(t in text("precursor-registry\n[0-9]{0,6}\n[A-Za-z0-9+/=]{0,46}\n(time [0-9]{0,12}\n)?"), k in text("[a-z-]{1,12}\\+[0-9a-f]{8}\\+[A-Za-z0-9+/=]{0,48}")) {
        let _ = Checkpoint::parse(&t);
        let _ = VerifierKey::parse(&k);
    }

    #[test]
    fn rule_packs(t in text("\\[[a-z_.]{1,20}\\]\n([a-z_]{1,16} = (\"[a-z0-9]{0,6}\"|[0-9]{1,6}|true)\n){0,6}")) {
        let _ = RulePack::parse(&t);
    }

    #[test]
    fn entry_bodies(body in json_value()) {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
        if let Ok(request) = serde_json::from_value::<EntryRequest>(body) {
            if let Err(errors) = request.parse("", now, precursor_registry::domain::time::OccurredAtFloor::default()) {
                prop_assert!(errors.iter().all(|e| !e.code.is_empty()));
            }
        }
    }

    #[test]
    fn epcis_events(event in json_value()) {
        let lookup = mapping::Lookup::default();
        let _ = mapping::read_event(&event, "/epcisBody/eventList/0", &lookup);
        let doc = json!({"@context": [mapping::EPCIS_CONTEXT], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-01-01T00:00:00Z", "epcisBody": {"eventList": [event]}});
        prop_assert!(schema::errors(&doc).is_ok());
    }
}
