//! The validator's rules, one minimal scenario per code with its near-miss twin, and properties.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::model::{Entry, ExternalParty, Firm, Input, Party, Permit};
use super::validate;
use crate::domain::catalog::Control;
use crate::domain::{Code, CustodyRules, Severity};
use crate::domain::{EntryKind, FirmStatus, PermitKind};

const S: &str = "seller";
const B: &str = "buyer";
const C1: &str = "ephedrine";
const C2: &str = "anhydride";
const C3: &str = "acetone";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn day(d: f64) -> DateTime<Utc> {
    t0() + Duration::minutes((d * 24.0 * 60.0) as i64)
}

struct World {
    input: Input,
    seqs: HashMap<String, i64>,
    as_of: DateTime<Utc>,
}

impl World {
    /// Two firms in two cities (Ningde, Fuzhou), three chemicals (categories 1–3), the buyer
    /// licensed for all of them in 2026 and the seller holding transport permit T-1 for them.
    fn new() -> World {
        let mut input = Input::default();
        for (id, name, region) in [(S, "卖方化工", "350902"), (B, "买方制药", "350102")] {
            input.firms.insert(
                id.into(),
                Firm {
                    id: id.into(),
                    name: name.into(),
                    region: crate::domain::RegionCode::parse(region).ok(),
                    status_history: vec![],
                },
            );
        }
        input.catalog = HashMap::from([
            (C1.into(), Control::fixed(1)),
            (C2.into(), Control::fixed(2)),
            (C3.into(), Control::fixed(3)),
        ]);
        let mut w = World {
            input,
            seqs: HashMap::new(),
            as_of: day(60.0),
        };
        w.permit(B, PermitKind::PurchasePermit, "P-B", None);
        w.permit(S, PermitKind::TransportPermit, "T-1", None);
        w
    }

    fn permit(&mut self, firm: &str, kind: PermitKind, number: &str, limit: Option<i64>) {
        self.input.permits.push(Permit {
            id: format!("permit-{number}"),
            firm_id: firm.into(),
            kind,
            number: number.into(),
            chemical_ids: vec![C1.into(), C2.into(), C3.into()],
            valid_from: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            valid_until: Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(),
            quantity_limit: limit,
        });
    }

    fn add(
        &mut self,
        firm: &str,
        kind: EntryKind,
        chemical: &str,
        lot: Option<&str>,
        quantity: i64,
        at: f64,
    ) -> String {
        let seq = self.seqs.entry(firm.into()).or_insert(0);
        *seq += 1;
        let id = format!("{firm}-{seq}");
        self.input.entries.push(Entry {
            id: id.clone().into(),
            firm_id: firm.into(),
            seq: *seq,
            kind,
            chemical_id: chemical.into(),
            lot: lot.map(Into::into),
            quantity,
            occurred_at: day(at),
            recorded_at: day(at) + Duration::hours(1),
            counterparty: None,
            payment: None,
            shipment_ref: None,
            permit_no: None,
            transport_permit_no: None,
            has_note: false,
            reverses: None,
        });
        id
    }

    fn last(&mut self) -> &mut Entry {
        self.input.entries.last_mut().unwrap()
    }

    fn produce(&mut self, chemical: &str, lot: &str, quantity: i64) -> String {
        self.add(S, EntryKind::Production, chemical, Some(lot), quantity, 0.0)
    }

    fn dispatch(
        &mut self,
        chemical: &str,
        lot: &str,
        quantity: i64,
        at: f64,
        shipment: Option<&str>,
    ) -> String {
        let id = self.add(S, EntryKind::Sale, chemical, Some(lot), quantity, at);
        let e = self.last();
        e.counterparty = Some(Party::Registered(B.into()));
        e.shipment_ref = shipment.map(Into::into);
        e.transport_permit_no = Some("T-1".into());
        id
    }

    fn receive(
        &mut self,
        chemical: &str,
        lot: &str,
        quantity: i64,
        at: f64,
        shipment: Option<&str>,
    ) -> String {
        let id = self.add(B, EntryKind::Purchase, chemical, Some(lot), quantity, at);
        let e = self.last();
        e.counterparty = Some(Party::Registered(S.into()));
        e.shipment_ref = shipment.map(Into::into);
        id
    }

    fn run(&self) -> Vec<super::Finding> {
        validate(&self.input, &CustodyRules::defaults(self.as_of))
    }

    fn codes(&self) -> BTreeSet<Code> {
        self.run().into_iter().map(|f| f.code).collect()
    }
}

/// A produced lot, shipped (ref), received, partly consumed, counted: nothing to report.
fn clean_shipment() -> World {
    let mut w = World::new();
    w.produce(C2, "L1", 1_000_000);
    w.dispatch(C2, "L1", 100_000, 1.0, Some("R1"));
    w.receive(C2, "L1", 100_000, 2.0, Some("R1"));
    w.add(B, EntryKind::Consumption, C2, Some("L1"), 60_000, 3.0);
    w.add(B, EntryKind::Stocktake, C2, Some("L1"), 40_000, 4.0);
    w.add(S, EntryKind::Stocktake, C2, Some("L1"), 900_000, 4.0);
    w
}

#[test]
fn a_clean_supply_chain_has_no_findings() {
    assert_eq!(clean_shipment().run(), vec![]);
}

fn only(w: &World, code: Code) -> super::Finding {
    let findings = w.run();
    assert_eq!(
        findings.iter().map(|f| f.code).collect::<Vec<_>>(),
        vec![code],
        "{findings:#?}"
    );
    findings.into_iter().next().unwrap()
}

#[test]
fn unmatched_dispatch_only_after_the_transit_window() {
    let mut w = World::new();
    w.produce(C3, "L1", 10_000);
    let sale = w.dispatch(C3, "L1", 1_000, 1.0, Some("R1"));
    w.as_of = day(9.0); // 8 days after dispatch
    let f = only(&w, Code::UnmatchedDispatch);
    assert_eq!(
        (f.severity, f.entry_ids, f.counterparty_firm_id.as_deref()),
        (Severity::Critical, vec![sale], Some(B))
    );
    w.as_of = day(7.0); // 6 days: still in transit
    assert_eq!(w.run(), vec![]);
}

#[test]
fn a_refused_shipment_is_reported_until_its_goods_come_back() {
    let mut w = World::new();
    w.produce(C3, "L1", 10_000);
    let sale = w.dispatch(C3, "L1", 1_000, 1.0, Some("R1"));
    w.input.refusals.push(super::model::Refusal {
        dispatch_id: sale.clone().into(),
        refused_at: day(2.0),
    });
    w.as_of = day(20.0); // long past the transit window: refused, not missing
    let f = only(&w, Code::ShipmentRefused);
    assert_eq!(
        (f.severity, f.entry_ids, f.counterparty_firm_id.as_deref()),
        (Severity::Major, vec![sale.clone()], Some(B))
    );
    // Before the refusal it was an ordinary shipment in transit.
    w.as_of = day(1.5);
    assert_eq!(w.run(), vec![]);
    // The seller's purchase back from the buyer returns it: neither end is left unmatched.
    w.as_of = day(20.0);
    w.add(S, EntryKind::Purchase, C3, Some("L1"), 1_000, 3.0);
    w.last().counterparty = Some(Party::Registered(B.into()));
    assert_eq!(w.run(), vec![]);
    // A return of another lot is no return: the refusal stands, and the purchase has no
    // dispatch and (the seller holding no purchase right) no permit.
    w.last().lot = Some("L2".into());
    assert_eq!(
        w.codes(),
        BTreeSet::from([
            Code::ShipmentRefused,
            Code::UnmatchedReceipt,
            Code::PermitMissing
        ])
    );
}

#[test]
fn unmatched_receipt_names_the_claimed_seller() {
    let mut w = World::new();
    let receipt = w.receive(C3, "L1", 1_000, 1.0, Some("R1"));
    let f = only(&w, Code::UnmatchedReceipt);
    assert_eq!(
        (f.severity, f.firm_id.as_str(), f.entry_ids),
        (Severity::Major, B, vec![receipt])
    );
    assert!(f.message_zh.contains("卖方化工"));
    w.produce(C3, "L1", 10_000);
    w.dispatch(C3, "L1", 1_000, 0.5, Some("R1"));
    assert_eq!(w.run(), vec![]);
}

#[test]
fn quantity_mismatch_beyond_half_a_percent() {
    let case = |received: i64| {
        let mut w = World::new();
        w.produce(C3, "L1", 1_000_000);
        w.dispatch(C3, "L1", 100_000, 1.0, Some("R1"));
        w.receive(C3, "L1", received, 2.0, Some("R1"));
        w
    };
    assert_eq!(
        case(99_600).run(),
        vec![],
        "0.4 % short is within tolerance"
    );
    let f = only(&case(99_400), Code::QuantityMismatch);
    assert_eq!((f.severity, f.quantity), (Severity::Major, Some(600)));
    assert_eq!(
        only(&case(94_000), Code::QuantityMismatch).severity,
        Severity::Critical,
        "more than 5 % short"
    );
    assert_eq!(
        only(&case(106_000), Code::QuantityMismatch).severity,
        Severity::Major,
        "more received is not critical"
    );
}

#[test]
fn lot_mismatch_on_a_matched_shipment() {
    let mut w = World::new();
    w.produce(C3, "L1", 10_000);
    let d = w.dispatch(C3, "L1", 1_000, 1.0, Some("R1"));
    let r = w.receive(C3, "L2", 1_000, 2.0, Some("R1"));
    let f = only(&w, Code::LotMismatch);
    assert_eq!((f.entry_ids, f.counterparty_entry_ids), (vec![d], vec![r]));
}

#[test]
fn time_inversion_and_late_receipt() {
    let case = |received_at: f64| {
        let mut w = World::new();
        w.produce(C3, "L1", 10_000);
        w.dispatch(C3, "L1", 1_000, 2.0, Some("R1"));
        w.receive(C3, "L1", 1_000, received_at, Some("R1"));
        w
    };
    only(&case(1.5), Code::TimeInversion);
    assert_eq!(case(2.0).run(), vec![]);
    assert_eq!(case(8.0).run(), vec![], "6 days in transit is fine");
    only(&case(10.0), Code::LateReceipt);
}

#[test]
fn fallback_matching_without_a_shipment_ref() {
    let case = |received: i64, at: f64, lot: &str| {
        let mut w = World::new();
        w.produce(C3, "L1", 10_000);
        w.produce(C3, "L2", 10_000);
        w.dispatch(C3, "L1", 1_000, 1.0, None);
        w.receive(C3, lot, received, at, None);
        w.as_of = day(30.0);
        w
    };
    assert_eq!(case(1_000, 3.0, "L1").run(), vec![]);
    assert_eq!(case(996, 3.0, "L1").run(), vec![], "within tolerance");
    assert_eq!(
        case(1_000, 9.0, "L1").codes(),
        BTreeSet::from([Code::UnmatchedDispatch, Code::UnmatchedReceipt]),
        "outside the window"
    );
    assert_eq!(
        case(1_000, 3.0, "L2").codes(),
        BTreeSet::from([Code::UnmatchedDispatch, Code::UnmatchedReceipt]),
        "another lot"
    );
    assert_eq!(
        case(900, 3.0, "L1").codes(),
        BTreeSet::from([Code::UnmatchedDispatch, Code::UnmatchedReceipt])
    );
}

#[test]
fn fallback_takes_the_nearest_receipt_and_each_entry_once() {
    let mut w = World::new();
    w.produce(C3, "L1", 10_000);
    let d1 = w.dispatch(C3, "L1", 1_000, 1.0, None);
    let d2 = w.dispatch(C3, "L1", 1_000, 2.0, None);
    let r1 = w.receive(C3, "L1", 1_000, 1.5, None);
    let r2 = w.receive(C3, "L1", 1_000, 2.5, None);
    assert_eq!(w.run(), vec![]);
    // Each dispatch took the nearest receipt after it.
    let pairs: Vec<(String, String)> =
        super::validator::shipments(&w.input, &CustodyRules::defaults(w.as_of))
            .into_iter()
            .map(|s| {
                (
                    s.dispatch.map(|d| d.id.to_string()).unwrap_or_default(),
                    s.receipt.map(|r| r.id.to_string()).unwrap_or_default(),
                )
            })
            .collect();
    assert_eq!(pairs, vec![(d1, r1), (d2, r2)]);
    // A third receipt has nothing left to match.
    let extra = w.receive(C3, "L1", 1_000, 3.0, None);
    assert_eq!(only(&w, Code::UnmatchedReceipt).entry_ids, vec![extra]);
}

#[test]
fn negative_balance_once_per_episode() {
    let mut w = World::new();
    w.produce(C3, "L1", 10_000);
    w.add(S, EntryKind::Consumption, C3, Some("L1"), 10_000, 1.0);
    assert_eq!(w.run(), vec![], "down to exactly zero");
    let first = w.add(S, EntryKind::Consumption, C3, Some("L1"), 1_000, 2.0);
    w.add(S, EntryKind::Consumption, C3, Some("L1"), 1_000, 3.0);
    let f = only(&w, Code::NegativeBalance);
    assert_eq!((f.entry_ids, f.quantity), (vec![first], Some(1_000)));
    // Restocked, then negative again: a second episode.
    w.add(S, EntryKind::Production, C3, Some("L1"), 5_000, 4.0);
    let second = w.add(S, EntryKind::Loss, C3, Some("L1"), 4_000, 5.0);
    w.last().has_note = true;
    let findings = w.run();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[1].entry_ids, vec![second]);
}

#[test]
fn orphan_lot_instead_of_negative_balance() {
    let mut w = World::new();
    w.produce(C2, "L1", 10_000);
    let orphan = w.add(S, EntryKind::Consumption, C2, Some("L9"), 1_000, 1.0);
    let f = only(&w, Code::OrphanLot);
    assert_eq!((f.entry_ids, f.lot.as_deref()), (vec![orphan], Some("L9")));
    let mut twin = World::new();
    twin.produce(C2, "L1", 10_000);
    twin.add(S, EntryKind::Consumption, C2, Some("L1"), 1_000, 1.0);
    assert_eq!(twin.run(), vec![]);
}

#[test]
fn stocktake_discrepancy_and_the_balance_continues_from_the_count() {
    let case = |counted: i64| {
        let mut w = World::new();
        w.produce(C3, "L1", 100_000);
        w.add(S, EntryKind::Stocktake, C3, Some("L1"), counted, 1.0);
        w.add(S, EntryKind::Stocktake, C3, Some("L1"), counted, 2.0);
        w
    };
    assert_eq!(case(99_600).run(), vec![]);
    let f = only(&case(99_400), Code::StocktakeDiscrepancy);
    assert_eq!((f.severity, f.quantity), (Severity::Major, Some(600)));
    assert_eq!(
        only(&case(90_000), Code::StocktakeDiscrepancy).severity,
        Severity::Critical
    );
    assert_eq!(
        only(&case(120_000), Code::StocktakeDiscrepancy).severity,
        Severity::Major,
        "a surplus is not a shortfall"
    );
}

#[test]
fn unlicensed_counterparty_without_permit_or_while_suspended() {
    let mut w = World::new();
    w.input.permits.retain(|p| p.firm_id != B);
    w.produce(C2, "L1", 10_000);
    let sale = w.dispatch(C2, "L1", 1_000, 1.0, Some("R1"));
    w.as_of = day(2.0);
    let f = only(&w, Code::UnlicensedCounterparty);
    assert_eq!(
        (f.entry_ids, f.counterparty_firm_id.as_deref()),
        (vec![sale], Some(B))
    );

    w.permit(B, PermitKind::PurchaseFiling, "F-B", None);
    assert_eq!(w.run(), vec![], "a filing suffices for category 2");
    w.input
        .firms
        .get_mut(B)
        .unwrap()
        .status_history
        .push((day(0.5), FirmStatus::Suspended));
    only(&w, Code::UnlicensedCounterparty);
    w.input.firms.get_mut(B).unwrap().status_history = vec![(day(2.0), FirmStatus::Suspended)];
    assert_eq!(w.run(), vec![], "suspended only after the sale");
}

#[test]
fn a_filing_does_not_license_category_one() {
    let mut w = World::new();
    w.input.permits.retain(|p| p.firm_id != B);
    w.permit(B, PermitKind::PurchaseFiling, "F-B", None);
    w.produce(C1, "L1", 10_000);
    w.dispatch(C1, "L1", 1_000, 1.0, Some("R1"));
    w.as_of = day(2.0);
    only(&w, Code::UnlicensedCounterparty);
}

#[test]
fn permit_missing_for_a_purchase() {
    let mut w = World::new();
    w.input.permits.retain(|p| p.firm_id != B);
    let buy = w.add(B, EntryKind::Purchase, C3, None, 5_000, 1.0);
    w.last().counterparty = Some(Party::External(Box::new(ExternalParty {
        name: Some("外省公司".into()),
        credit_code: Some("91350100M000100Y43".into()),
        permit_no: Some("X-1".into()),
        resident_id: None,
    })));
    let f = only(&w, Code::PermitMissing);
    assert_eq!((f.firm_id.as_str(), f.entry_ids), (B, vec![buy]));
    w.permit(B, PermitKind::PurchaseFiling, "F-B", None);
    assert_eq!(w.run(), vec![]);
    // Outside the validity interval it is missing again.
    w.input.entries[0].occurred_at = Utc.with_ymd_and_hms(2027, 2, 1, 0, 0, 0).unwrap();
    w.input.entries[0].recorded_at = w.input.entries[0].occurred_at;
    w.as_of = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    only(&w, Code::PermitMissing);
}

#[test]
fn permit_exceeded_when_purchases_pass_the_limit() {
    let case = |second: i64| {
        let mut w = World::new();
        w.input.permits.retain(|p| p.firm_id != B);
        w.permit(B, PermitKind::PurchaseFiling, "F-B", Some(100_000));
        for (q, at) in [(60_000, 1.0), (second, 2.0)] {
            w.add(B, EntryKind::Purchase, C3, None, q, at);
            w.last().counterparty = Some(Party::External(Box::new(ExternalParty {
                name: Some("外省公司".into()),
                credit_code: Some("91350100M000100Y43".into()),
                permit_no: Some("X-1".into()),
                resident_id: None,
            })));
        }
        w
    };
    assert_eq!(case(40_000).run(), vec![]);
    let f = only(&case(50_000), Code::PermitExceeded);
    assert_eq!(
        (f.entry_ids, f.quantity),
        (vec!["buyer-2".to_string()], Some(10_000))
    );
}

#[test]
fn undocumented_outside_counterparty() {
    let case = |permit: Option<&str>| {
        let mut w = World::new();
        w.produce(C3, "L1", 10_000);
        w.add(S, EntryKind::Sale, C3, Some("L1"), 1_000, 1.0);
        w.last().transport_permit_no = Some("T-1".into());
        w.last().counterparty = Some(Party::External(Box::new(ExternalParty {
            name: Some("外省公司".into()),
            credit_code: Some("91350100M000100Y43".into()),
            permit_no: permit.map(str::to_string),
            resident_id: None,
        })));
        w
    };
    assert_eq!(case(Some("X-1")).run(), vec![]);
    let f = only(&case(None), Code::UndocumentedCounterparty);
    assert!(f.message_en.contains("permit number"), "{}", f.message_en);
}

/// A shipment from the seller (Ningde) to the buyer, moved to `buyer_region`, naming `doc`.
fn shipped(chemical: &'static str, buyer_region: &str, doc: Option<&str>) -> World {
    let mut w = World::new();
    w.input.firms.get_mut(B).unwrap().region = crate::domain::RegionCode::parse(buyer_region).ok();
    w.produce(chemical, "L1", 10_000);
    w.dispatch(chemical, "L1", 1_000, 1.0, Some("R1"));
    w.last().transport_permit_no = doc.map(Into::into);
    w.receive(chemical, "L1", 1_000, 2.0, Some("R1"));
    w
}

#[test]
fn a_shipment_to_another_city_needs_a_transport_document() {
    for chemical in [C1, C2, C3] {
        let f = only(
            &shipped(chemical, "350102", None),
            Code::MissingTransportDoc,
        );
        assert_eq!(f.severity, Severity::Minor);
        assert_eq!(
            shipped(chemical, "350902", None).run(),
            vec![],
            "within Ningde"
        );
        assert_eq!(
            shipped(chemical, "350981", None).run(),
            vec![],
            "Fu'an is in Ningde too"
        );
    }
    // A municipality is one city: two of Shanghai's districts need nothing between them.
    let mut w = shipped(C2, "310115", None);
    w.input.firms.get_mut(S).unwrap().region = crate::domain::RegionCode::parse("310104").ok();
    assert_eq!(w.run(), vec![]);
    // A person's destination is not known: not judged.
    let mut w = World::new();
    w.produce(C3, "L1", 10_000);
    w.add(S, EntryKind::Sale, C3, Some("L1"), 1_000, 1.0);
    w.last().counterparty = Some(person("王五"));
    assert_eq!(w.run(), vec![]);
}

#[test]
fn a_named_transport_document_must_exist_cover_the_chemical_and_be_in_force() {
    assert_eq!(shipped(C2, "350102", Some("T-1")).run(), vec![]);
    let f = only(
        &shipped(C2, "350102", Some("T-404")),
        Code::InvalidTransportDoc,
    );
    assert_eq!(f.severity, Severity::Major);
    assert!(
        f.message_en.contains("no transport permit or filing"),
        "{}",
        f.message_en
    );
    let mut narrow = shipped(C2, "350102", Some("T-1"));
    narrow.input.permits.last_mut().unwrap().chemical_ids = vec![C3.into()];
    assert!(only(&narrow, Code::InvalidTransportDoc)
        .message_en
        .contains("does not cover"));
    let mut expired = shipped(C2, "350102", Some("T-1"));
    expired.input.permits.last_mut().unwrap().valid_until = day(0.5);
    assert!(only(&expired, Code::InvalidTransportDoc)
        .message_en
        .contains("not on the day"));
    // A transport filing carries category 3 only; the buyer's own permit counts too.
    let mut filing = shipped(C3, "350102", Some("TF-9"));
    filing.permit(B, PermitKind::TransportFiling, "TF-9", None);
    assert_eq!(filing.run(), vec![]);
    let mut filing = shipped(C2, "350102", Some("TF-9"));
    filing.permit(B, PermitKind::TransportFiling, "TF-9", None);
    only(&filing, Code::InvalidTransportDoc);
}

#[test]
fn a_category_one_transport_permit_is_good_for_one_shipment() {
    let mut w = shipped(C1, "350102", Some("T-1"));
    assert_eq!(w.run(), vec![]);
    w.dispatch(C1, "L1", 1_000, 3.0, Some("R2"));
    let second = w.last().id.to_string();
    w.receive(C1, "L1", 1_000, 4.0, Some("R2"));
    let f = only(&w, Code::InvalidTransportDoc);
    assert_eq!(f.entry_ids, vec![second]);
    assert!(f.message_en.contains("one shipment"), "{}", f.message_en);
    // Category 2 may travel under one permit many times.
    let mut w = shipped(C2, "350102", Some("T-1"));
    w.dispatch(C2, "L1", 1_000, 3.0, Some("R2"));
    w.receive(C2, "L1", 1_000, 4.0, Some("R2"));
    assert_eq!(w.run(), vec![]);
}

#[test]
fn late_filing_past_seventy_two_hours() {
    let case = |hours: i64| {
        let mut w = World::new();
        w.produce(C3, "L1", 10_000);
        let e = w.last();
        e.recorded_at = e.occurred_at + Duration::hours(hours);
        w
    };
    assert_eq!(case(71).run(), vec![]);
    assert_eq!(case(72).run(), vec![]);
    only(&case(73), Code::LateFiling);
}

#[test]
fn late_report_of_a_sale_by_its_category() {
    let case = |chemical: &'static str, days: i64| {
        let mut w = World::new();
        w.produce(chemical, "L1", 10_000);
        w.dispatch(chemical, "L1", 1_000, 1.0, Some("R1"));
        let e = w.last();
        e.recorded_at = e.occurred_at + Duration::days(days);
        w.receive(chemical, "L1", 1_000, 2.0, Some("R1"));
        w
    };
    assert_eq!(case(C1, 5).run(), vec![]);
    let f = only(&case(C1, 6), Code::LateReport);
    assert_eq!(
        (f.severity, f.entry_ids.clone()),
        (Severity::Major, vec!["seller-2".to_string()])
    );
    assert!(f.message_en.contains("6 days"), "{}", f.message_en);
    assert_eq!(
        case(C3, 30).run(),
        vec![],
        "72 h passed, but a sale has 30 days"
    );
    assert_eq!(
        only(&case(C3, 31), Code::LateReport).severity,
        Severity::Minor
    );
    assert_eq!(
        only(&case(C2, 31), Code::LateReport).severity,
        Severity::Minor
    );
}

fn person(name: &str) -> Party {
    Party::External(Box::new(ExternalParty {
        name: Some(name.into()),
        resident_id: Some("11010519491231002X".into()),
        ..ExternalParty::default()
    }))
}

#[test]
fn a_category_one_or_two_sale_to_a_person() {
    let case = |chemical: &'static str| {
        let mut w = World::new();
        w.produce(chemical, "L1", 10_000);
        let sale = w.add(S, EntryKind::Sale, chemical, Some("L1"), 2_000, 1.0);
        w.last().counterparty = Some(person("张三"));
        w.last().transport_permit_no = Some("T-1".into());
        (w, sale)
    };
    for chemical in [C1, C2] {
        let (w, sale) = case(chemical);
        let f = only(&w, Code::SaleToIndividual);
        assert_eq!((f.severity, f.entry_ids), (Severity::Critical, vec![sale]));
    }
    assert_eq!(
        case(C3).0.run(),
        vec![],
        "category 3 may be sold to a person"
    );
    let (mut w, _) = case(C3);
    w.last().counterparty = Some(person(""));
    let f = only(&w, Code::UndocumentedCounterparty);
    assert!(f.message_en.contains("name"), "{}", f.message_en);
}

#[test]
fn cash_or_barter_except_a_persons_category_three_purchase() {
    use crate::domain::Payment;
    let case = |payment: Payment, to_person: bool, chemical: &'static str| {
        let mut w = World::new();
        w.produce(chemical, "L1", 10_000);
        w.dispatch(chemical, "L1", 1_000, 1.0, Some("R1"));
        w.last().payment = Some(payment);
        if to_person {
            w.last().counterparty = Some(person("李四"));
            w.last().shipment_ref = None;
        } else {
            w.receive(chemical, "L1", 1_000, 2.0, Some("R1"));
            w.last().payment = Some(Payment::BankTransfer);
        }
        w
    };
    assert_eq!(case(Payment::BankTransfer, false, C3).run(), vec![]);
    let f = only(&case(Payment::Cash, false, C3), Code::CashOrBarter);
    assert_eq!((f.severity, f.firm_id.as_str()), (Severity::Major, S));
    assert!(f.message_en.contains("cash"), "{}", f.message_en);
    only(&case(Payment::Barter, false, C2), Code::CashOrBarter);
    assert_eq!(
        case(Payment::Cash, true, C3).run(),
        vec![],
        "a person's lawful category-3 purchase"
    );
    let mut buyer_pays_cash = case(Payment::BankTransfer, false, C3);
    buyer_pays_cash.last().payment = Some(Payment::Cash);
    assert_eq!(only(&buyer_pays_cash, Code::CashOrBarter).firm_id, B);
}

#[test]
fn each_entry_is_judged_by_the_list_as_it_stood_then() {
    let mut w = World::new();
    let control = Control {
        changes: vec![(day(5.0), 2)],
        ..Control::fixed(3)
    };
    w.input.catalog.insert(C3.into(), control);
    w.produce(C3, "L1", 10_000);
    w.add(S, EntryKind::Sale, C3, Some("L1"), 1_000, 1.0);
    w.last().counterparty = Some(person("赵六"));
    assert_eq!(w.run(), vec![], "category 3 then: a person may buy it");
    let later = w.add(S, EntryKind::Sale, C3, Some("L1"), 1_000, 6.0);
    w.last().counterparty = Some(person("赵六"));
    assert_eq!(only(&w, Code::SaleToIndividual).entry_ids, vec![later]);
    // Listed only from day 7: nothing before it is judged.
    w.input.catalog.get_mut(C3).unwrap().from = Some(day(7.0));
    assert_eq!(w.run(), vec![]);
}

#[test]
fn a_loss_without_a_reason() {
    let case = |note: Option<&str>| {
        let mut w = World::new();
        w.produce(C3, "L1", 10_000);
        w.add(S, EntryKind::Loss, C3, Some("L1"), 1_000, 1.0);
        w.last().has_note = note.is_some_and(|n| !n.trim().is_empty());
        w
    };
    assert_eq!(case(Some("被盗，已报案")).run(), vec![]);
    only(&case(None), Code::UnexplainedLoss);
    only(&case(Some("  ")), Code::UnexplainedLoss);
}

#[test]
fn a_broken_chain_is_reported_with_its_entry() {
    let mut w = World::new();
    let id = w.produce(C3, "L1", 10_000);
    assert_eq!(w.run(), vec![]);
    w.input.broken_chains.push((S.into(), 1, Some(id.clone())));
    let f = only(&w, Code::ChainBroken);
    assert_eq!(
        (f.entry_ids, f.chemical_id.as_deref()),
        (vec![id], Some(C3))
    );
}

#[test]
fn reversed_entries_and_future_entries_do_not_count() {
    let mut w = World::new();
    w.produce(C3, "L1", 10_000);
    let wrong = w.add(S, EntryKind::Consumption, C3, Some("L1"), 20_000, 1.0);
    only(&w, Code::NegativeBalance);
    w.add(S, EntryKind::Reversal, C3, Some("L1"), 20_000, 2.0);
    w.last().reverses = Some(wrong.into());
    assert_eq!(w.run(), vec![]);
    w.add(S, EntryKind::Consumption, C3, Some("L1"), 50_000, 90.0);
    assert_eq!(w.run(), vec![], "after as_of");
}

// ---------------------------------------------------------------------------------------------
// Properties

/// A random clean province: producers make lots, sell parts to buyers who receive them within
/// three days under the same shipment ref, consume part, and everyone counts exactly at the end.
fn clean_chain() -> impl Strategy<Value = Input> {
    // Shipments of 10–50 kg: no order is ever above 5 × the median (SUSPICIOUS_SIZE).
    let shipment = (0_usize..4, 10_000_i64..50_000, 0_i64..72, 1_i64..100);
    let lot = (
        1_000_i64..200_000,
        prop::collection::vec(shipment, 0..5),
        prop::bool::ANY,
    );
    (1_usize..4, prop::collection::vec(lot, 1..8)).prop_map(|(buyers, lots)| {
        let mut w = World::new();
        // A threshold above every order: the structuring rule looks, and finds nothing.
        w.input.order_thresholds.insert(C2.into(), 60_000);
        for b in 0..buyers {
            let id = format!("buyer{b}");
            w.input.firms.insert(
                id.clone(),
                Firm {
                    id: id.clone(),
                    name: format!("买方{b}"),
                    region: crate::domain::RegionCode::parse("350102").ok(),
                    status_history: vec![],
                },
            );
            w.permit(&id, PermitKind::PurchasePermit, &format!("P-{b}"), None);
        }
        let mut books: HashMap<(String, String), i64> = HashMap::new();
        for (l, (made, shipments, category2)) in lots.into_iter().enumerate() {
            let chemical = if category2 { C2 } else { C3 };
            let lot = format!("L{l}");
            w.add(
                S,
                EntryKind::Production,
                chemical,
                Some(&lot),
                made,
                l as f64,
            );
            let mut left = made;
            for (k, (buyer, quantity, delay_hours, used_pct)) in shipments.into_iter().enumerate() {
                let quantity = quantity.min(left);
                if quantity < 10_000 {
                    continue;
                }
                left -= quantity;
                let buyer = format!("buyer{}", buyer % buyers);
                let at = l as f64 + 1.0 + k as f64 * 0.1;
                let shipment = format!("R{l}-{k}");
                w.add(S, EntryKind::Sale, chemical, Some(&lot), quantity, at);
                let e = w.last();
                e.counterparty = Some(Party::Registered(buyer.as_str().into()));
                e.shipment_ref = Some(shipment.clone().into());
                e.transport_permit_no = Some("T-1".into());
                let received = at + delay_hours as f64 / 24.0;
                w.add(
                    &buyer,
                    EntryKind::Purchase,
                    chemical,
                    Some(&lot),
                    quantity,
                    received,
                );
                let e = w.last();
                e.counterparty = Some(Party::Registered(S.into()));
                e.shipment_ref = Some(shipment.into());
                let used = quantity * used_pct / 100;
                w.add(
                    &buyer,
                    EntryKind::Consumption,
                    chemical,
                    Some(&lot),
                    used,
                    received + 0.5,
                );
                *books.entry((buyer, lot.clone())).or_default() += quantity - used;
                *books.entry((S.into(), lot.clone())).or_default() -= quantity;
            }
            *books.entry((S.into(), lot.clone())).or_default() += made;
        }
        let mut counts: Vec<_> = books.into_iter().collect();
        counts.sort();
        for ((firm, lot), balance) in counts {
            let chemical = w
                .input
                .entries
                .iter()
                .find(|e| e.lot.as_deref() == Some(&lot))
                .map(|e| e.chemical_id.clone())
                .unwrap();
            w.add(
                &firm,
                EntryKind::Stocktake,
                &chemical,
                Some(&lot),
                balance,
                40.0,
            );
        }
        w.input
    })
}

fn settings() -> CustodyRules {
    CustodyRules::defaults(day(60.0))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn clean_chains_yield_no_findings(input in clean_chain()) {
        let findings = validate(&input, &settings());
        prop_assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn input_order_does_not_change_the_findings(input in clean_chain(), seed in any::<u64>(), drop in any::<prop::sample::Index>()) {
        // Make it interesting: drop one entry so that something fires.
        let mut input = input;
        let removed = drop.index(input.entries.len());
        input.entries.remove(removed);
        let expected = validate(&input, &settings());
        let mut shuffled = input.clone();
        let mut state = seed | 1;
        for i in (1..shuffled.entries.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.entries.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(validate(&shuffled, &settings()), expected);
    }

    #[test]
    fn one_injected_gap_gives_exactly_its_finding(input in clean_chain(), which in 0_u8..4, pick in any::<prop::sample::Index>()) {
        let mut input = input;
        let (code, candidates): (Code, Vec<usize>) = match which {
            0 => (Code::LateFiling, input.entries.iter().enumerate()
                .filter(|(_, e)| e.kind != EntryKind::Sale).map(|(i, _)| i).collect()),
            1 => (Code::MissingTransportDoc, input.entries.iter().enumerate()
                .filter(|(_, e)| e.kind == EntryKind::Sale && &*e.chemical_id == C2).map(|(i, _)| i).collect()),
            2 => (Code::TimeInversion, input.entries.iter().enumerate()
                .filter(|(_, e)| e.kind == EntryKind::Purchase).map(|(i, _)| i).collect()),
            _ => (Code::UndocumentedCounterparty, input.entries.iter().enumerate()
                .filter(|(_, e)| e.kind == EntryKind::Sale).map(|(i, _)| i).collect()),
        };
        prop_assume!(!candidates.is_empty());
        let i = candidates[pick.index(candidates.len())];
        let target = input.entries[i].id.to_string();
        let mut expected_entries = vec![target.clone()];
        match code {
            Code::LateFiling => input.entries[i].recorded_at = input.entries[i].occurred_at + Duration::hours(80),
            Code::MissingTransportDoc => input.entries[i].transport_permit_no = None,
            Code::TimeInversion => {
                // Move the receipt to just before its dispatch (and its consumption with it).
                let shipment = input.entries[i].shipment_ref.clone();
                let dispatch = input.entries.iter().find(|e| e.kind == EntryKind::Sale && e.shipment_ref == shipment).unwrap().clone();
                let shift = input.entries[i].occurred_at - (dispatch.occurred_at - Duration::minutes(1));
                let buyer = input.entries[i].firm_id.clone();
                let seq = input.entries[i].seq;
                for e in input.entries.iter_mut().filter(|e| e.firm_id == buyer && (e.seq == seq || e.seq == seq + 1)) {
                    e.occurred_at -= shift;
                    e.recorded_at -= shift;
                }
                expected_entries = vec![dispatch.id.to_string(), target.clone()];
            }
            _ => {
                // A sale to an outside buyer with no permit number instead of to a registered one.
                let e = &mut input.entries[i];
                let shipment = e.shipment_ref.take();
                e.counterparty = Some(Party::External(Box::new(ExternalParty { name: Some("外地公司".into()), credit_code: Some("91350100M000100Y43".into()), permit_no: None, resident_id: None })));
                // Its receipt now claims a shipment nobody sent: keep the test to one gap by dropping it and its use.
                let receipt = input.entries.iter().position(|r| r.kind == EntryKind::Purchase && r.shipment_ref == shipment).unwrap();
                let (buyer, seq) = (input.entries[receipt].firm_id.clone(), input.entries[receipt].seq);
                let (lot, quantity) = (input.entries[receipt].lot.clone(), input.entries[receipt].quantity);
                let used = input.entries.iter().find(|e| e.firm_id == buyer && e.seq == seq + 1).map(|e| e.quantity).unwrap_or(0);
                input.entries.retain(|e| !(e.firm_id == buyer && (e.seq == seq || e.seq == seq + 1)));
                for e in input.entries.iter_mut().filter(|e| e.firm_id == buyer && e.kind == EntryKind::Stocktake && e.lot == lot) {
                    e.quantity -= quantity - used;
                }
            }
        }
        let findings = validate(&input, &settings());
        prop_assert_eq!(findings.iter().map(|f| f.code).collect::<Vec<_>>(), vec![code], "{:#?}", findings);
        let mut about: Vec<String> = findings[0].entry_ids.iter().chain(&findings[0].counterparty_entry_ids).cloned().collect();
        about.sort();
        expected_entries.sort();
        prop_assert_eq!(about, expected_entries);
    }
}

#[path = "suspicious_tests.rs"]
mod suspicious;

#[path = "pack_tests.rs"]
mod pack_tests;
