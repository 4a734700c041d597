//! The live views against the validator: for every firm, the entries its views load (a model of
//! `store`'s queries) pair each of its dispatches exactly as a run over the whole province does.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::live::{live, ShipmentState};
use crate::custody::model::{Entry, Input, Party, Refusal};
use crate::custody::validator::shipments;
use crate::domain::{CustodyRules, EntryKind};

const FIRMS: usize = 4;

fn t(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + Duration::hours(hours)
}

fn rules() -> CustodyRules {
    CustodyRules {
        transit_window: Duration::hours(48),
        ..CustodyRules::defaults(t(300))
    }
}

/// (kind 0 sale / 1 purchase / 2 reversal, firm, other firm, chemical, lot, quantity, hour, ref)
type Event = (u8, usize, usize, u8, Option<u8>, i64, i64, Option<u8>);

fn event() -> impl Strategy<Value = Event> {
    (
        0_u8..3,
        0..FIRMS,
        0..FIRMS,
        0_u8..2,
        prop::option::of(0_u8..2),
        prop::sample::select(vec![1_000_i64, 1_003, 1_010, 2_000]),
        0_i64..360,
        prop::option::of(0_u8..3),
    )
}

/// A messy province: sales and purchases between a few firms with and without refs and lots,
/// quantities near and far from each other, entries after `as_of`, reversals, and refusals of
/// some dispatches (before or after `as_of`).
fn province() -> impl Strategy<Value = Input> {
    let refusals = prop::collection::vec((any::<prop::sample::Index>(), 0_i64..360), 0..6);
    (prop::collection::vec(event(), 0..60), refusals).prop_map(|(events, refused)| {
        let mut entries: Vec<Entry> = Vec::new();
        let mut seqs = [0_i64; FIRMS];
        for (i, (kind, firm, other, chemical, lot, quantity, hour, shipment)) in
            events.into_iter().enumerate()
        {
            seqs[firm] += 1;
            let own: Vec<&Entry> = entries
                .iter()
                .filter(|e| *e.firm_id == *format!("F{firm}"))
                .collect();
            let (kind, reverses) = match kind {
                0 => (EntryKind::Sale, None),
                1 => (EntryKind::Purchase, None),
                _ if own.is_empty() => (EntryKind::Sale, None),
                _ => (EntryKind::Reversal, Some(own[i % own.len()].id.clone())),
            };
            entries.push(Entry {
                id: format!("e{i:03}").into(),
                firm_id: Arc::from(format!("F{firm}")),
                seq: seqs[firm],
                kind,
                chemical_id: Arc::from(format!("C{chemical}")),
                lot: lot.map(|l| Arc::from(format!("L{l}"))),
                quantity,
                occurred_at: t(hour),
                recorded_at: t(hour),
                counterparty: Some(Party::Registered(Arc::from(format!("F{other}")))),
                payment: None,
                shipment_ref: shipment.map(|r| format!("R{r}").into()),
                permit_no: None,
                transport_permit_no: None,
                has_note: false,
                reverses,
            });
        }
        let sales: Vec<Box<str>> = entries
            .iter()
            .filter(|e| e.kind == EntryKind::Sale)
            .map(|e| e.id.clone())
            .collect();
        let mut refusals: Vec<Refusal> = Vec::new();
        for (pick, hour) in refused {
            if !sales.is_empty() {
                let dispatch_id = sales[pick.index(sales.len())].clone();
                if refusals.iter().all(|r| r.dispatch_id != dispatch_id) {
                    refusals.push(Refusal {
                        dispatch_id,
                        refused_at: t(hour),
                    });
                }
            }
        }
        Input {
            entries,
            refusals,
            ..Input::default()
        }
    })
}

fn names(e: &Entry) -> Option<&str> {
    match &e.counterparty {
        Some(Party::Registered(f)) => Some(f),
        _ => None,
    }
}

/// What `store::load` reads for a firm: its trade with registered firms in both directions,
/// every reversal, and the refusals of dispatches it sent or was sent.
fn loaded_for(input: &Input, firm: &str) -> Input {
    let involved = |e: &Entry| *e.firm_id == *firm || names(e) == Some(firm);
    let wanted = |e: &Entry| {
        e.reverses.is_some()
            || (matches!(e.kind, EntryKind::Sale | EntryKind::Purchase)
                && names(e).is_some()
                && involved(e))
    };
    let refusals = input
        .refusals
        .iter()
        .filter(|r| {
            input
                .entries
                .iter()
                .any(|e| e.id == r.dispatch_id && involved(e))
        })
        .cloned()
        .collect();
    Input {
        entries: input
            .entries
            .iter()
            .filter(|e| wanted(e))
            .cloned()
            .collect(),
        refusals,
        ..Input::default()
    }
}

/// Per dispatch: (the receipt matched to it, refused, the return that brought it back).
type Outcome = (Option<String>, bool, Option<String>);

/// Dispatch id → its outcome in a full run, for the dispatches `keep` selects.
fn pairs_in_run(input: &Input, keep: impl Fn(&Entry) -> bool) -> BTreeMap<String, Outcome> {
    let id = |e: Option<Entry>| e.map(|e| e.id.to_string());
    shipments(input, &rules())
        .into_iter()
        .filter_map(|s| {
            Some((
                s.dispatch?,
                s.receipt,
                s.refused_at.is_some(),
                s.returned_by,
            ))
        })
        .filter(|(d, ..)| keep(d))
        .map(|(d, r, refused, back)| (d.id.to_string(), (id(r), refused, id(back))))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_firms_views_agree_with_a_full_run(input in province()) {
        for f in 0..FIRMS {
            let firm = format!("F{f}");
            let views = live(&loaded_for(&input, &firm), &rules());
            for buyer in [true, false] {
                let mine: Vec<_> = views.iter().filter(|s| if buyer { s.buyer() == firm } else { *s.dispatch.firm_id == *firm }).collect();
                let id = |e: &Option<Entry>| e.as_ref().map(|e| e.id.to_string());
                let seen: BTreeMap<String, Outcome> = mine.iter()
                    .map(|s| {
                        let refused = matches!(s.state, ShipmentState::Refused | ShipmentState::Returned);
                        (s.dispatch.id.to_string(), (id(&s.receipt), refused, id(&s.returned_by)))
                    })
                    .collect();
                let expected = pairs_in_run(&input, |d| if buyer { names(d) == Some(firm.as_str()) } else { *d.firm_id == *firm });
                prop_assert_eq!(&seen, &expected, "firm {} as {}", firm, if buyer { "buyer" } else { "seller" });
                for s in mine {
                    // Awaiting or overdue in a view ⇔ neither received nor refused in the run.
                    let (receipt, refused, _) = &expected[&*s.dispatch.id];
                    prop_assert_eq!(s.state.is_open(), receipt.is_none() && !refused);
                    let overdue = rules().as_of > s.dispatch.occurred_at + rules().transit_window;
                    if s.state.is_open() {
                        prop_assert_eq!(s.state == ShipmentState::Overdue, overdue);
                    }
                }
            }
        }
    }
}

#[test]
fn a_receipt_of_another_quantity_is_received_with_a_difference() {
    let mut input = Input::default();
    let base =
        |id: &str, firm: &str, kind: EntryKind, other: &str, quantity: i64, hour: i64| Entry {
            id: id.into(),
            firm_id: Arc::from(firm),
            seq: 1,
            kind,
            chemical_id: Arc::from("C0"),
            lot: Some(Arc::from("L0")),
            quantity,
            occurred_at: t(hour),
            recorded_at: t(hour),
            counterparty: Some(Party::Registered(Arc::from(other))),
            payment: None,
            shipment_ref: Some("R0".into()),
            permit_no: None,
            transport_permit_no: None,
            has_note: false,
            reverses: None,
        };
    input.entries = vec![
        base("d1", "S", EntryKind::Sale, "B", 10_000, 100),
        base("r1", "B", EntryKind::Purchase, "S", 9_000, 101),
        base("d2", "S", EntryKind::Sale, "B", 5_000, 290),
        base("d3", "S", EntryKind::Sale, "X", 5_000, 200),
    ];
    input.entries[2].shipment_ref = Some("R1".into());
    input.entries[3].shipment_ref = Some("R2".into());
    let states: HashMap<String, ShipmentState> = live(&input, &rules())
        .into_iter()
        .map(|s| (s.dispatch.id.to_string(), s.state))
        .collect();
    assert_eq!(
        states,
        HashMap::from([
            ("d1".to_string(), ShipmentState::QuantityDiffers),
            ("d2".to_string(), ShipmentState::Awaiting),
            ("d3".to_string(), ShipmentState::Overdue),
        ])
    );
}
