//! A run for some firms reads `validator::scope::select` of the province: on random provinces
//! (shipments between five firms both ways, refusals and returns, limited permits, shared
//! transport documents, reversals, status changes, future entries), the findings about those
//! firms from the selection are exactly the full run's findings about them.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::model::{Declaration, DeclaredBy, Entry, ExternalParty, Firm, Input, Party, Permit};
use super::model::{Finding, Refusal};
use super::validate;
use super::validator::scope::{select, touches};
use crate::domain::catalog::Control;
use crate::domain::{CustodyRules, EntryKind, FirmStatus, Payment, PermitKind, RegionCode};

/// splitmix64: a seeded, reproducible stream for the province's shape.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

pub(crate) const FIRMS: [&str; 5] = ["f0", "f1", "f2", "f3", "f4"];
const CHEMICALS: [&str; 3] = ["c1", "c2", "c3"];
const KINDS: [EntryKind; 8] = [
    EntryKind::Purchase,
    EntryKind::Purchase,
    EntryKind::Sale,
    EntryKind::Sale,
    EntryKind::Production,
    EntryKind::Consumption,
    EntryKind::Loss,
    EntryKind::Stocktake,
];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn hours(h: u64) -> DateTime<Utc> {
    t0() + Duration::hours(h as i64)
}

pub(crate) fn province(seed: u64, n: usize) -> Input {
    let mut rng = Rng::new(seed);
    let mut input = Input::default();
    for (i, id) in FIRMS.iter().enumerate() {
        let region = if i % 2 == 0 { "350902" } else { "350102" };
        let mut status_history = vec![];
        if rng.chance(20) {
            status_history.push((hours(rng.below(60 * 24)), FirmStatus::Suspended));
        }
        input.firms.insert(
            id.to_string(),
            Firm {
                id: id.to_string(),
                name: format!("firm {id}"),
                region: RegionCode::parse(region).ok(),
                status_history,
            },
        );
        for k in 0..3 {
            let kind = *rng.pick(&[
                PermitKind::PurchasePermit,
                PermitKind::PurchaseFiling,
                PermitKind::TransportPermit,
                PermitKind::TransportFiling,
            ]);
            let number = match kind {
                PermitKind::TransportPermit | PermitKind::TransportFiling => {
                    format!("T-{}", rng.below(3))
                }
                _ => format!("P-{id}-{k}"),
            };
            input.permits.push(Permit {
                id: format!("permit-{id}-{k}"),
                firm_id: id.to_string(),
                kind,
                number,
                chemical_ids: CHEMICALS
                    .iter()
                    .filter(|_| rng.chance(70))
                    .map(|c| c.to_string())
                    .collect(),
                valid_from: hours(rng.below(20 * 24)),
                valid_until: hours(30 * 24 + rng.below(60 * 24)),
                quantity_limit: rng.chance(40).then(|| 1_000 + rng.below(20_000) as i64),
            });
        }
        if rng.chance(50) {
            input.declarations.push(Declaration {
                firm_id: id.to_string(),
                customer: DeclaredBy::Firm(rng.pick(&FIRMS).to_string()),
                chemical_id: rng.pick(&CHEMICALS).to_string(),
                valid_from: t0(),
                valid_until: hours(40 * 24),
            });
        }
    }
    input.catalog = HashMap::from([
        ("c1".into(), Control::fixed(1)),
        ("c2".into(), Control::fixed(2)),
        ("c3".into(), Control::fixed(3)),
    ]);
    input.order_thresholds = HashMap::from([("c3".into(), 5_000)]);
    let mut seqs: HashMap<&str, i64> = HashMap::new();
    for i in 0..n {
        let firm = *rng.pick(&FIRMS);
        let seq = seqs.entry(firm).or_insert(0);
        *seq += 1;
        let occurred = hours(rng.below(60 * 24));
        let own: Vec<&Entry> = input
            .entries
            .iter()
            .filter(|e| &*e.firm_id == firm && e.kind != EntryKind::Reversal)
            .collect();
        let reversal = !own.is_empty() && rng.chance(8);
        let mut e = if reversal {
            let target = *rng.pick(&own);
            Entry {
                id: format!("e{i}").into(),
                seq: *seq,
                kind: EntryKind::Reversal,
                reverses: Some(target.id.clone()),
                occurred_at: target.occurred_at + Duration::hours(rng.below(30 * 24) as i64),
                ..target.clone()
            }
        } else {
            let kind = *rng.pick(&KINDS);
            // Mostly a copy of an earlier shipment's other end, so that pairs form.
            let mirror = input
                .entries
                .iter()
                .rev()
                .find(|e| registered_to(e, firm) && e.kind != EntryKind::Reversal)
                .filter(|_| rng.chance(50));
            let (kind, counterparty, chemical, lot, quantity, reference, occurred) = match mirror {
                Some(m) => (
                    if m.kind == EntryKind::Sale {
                        EntryKind::Purchase
                    } else {
                        EntryKind::Sale
                    },
                    Some(Party::Registered(m.firm_id.clone())),
                    m.chemical_id.clone(),
                    m.lot.clone(),
                    if rng.chance(80) {
                        m.quantity
                    } else {
                        m.quantity + 500
                    },
                    m.shipment_ref.clone(),
                    m.occurred_at + Duration::hours(rng.below(10 * 24) as i64),
                ),
                None => {
                    let counterparty = match rng.below(4) {
                        0 => None,
                        1 => Some(Party::External(Box::new(ExternalParty {
                            name: Some("outside".into()),
                            credit_code: rng.chance(50).then(|| "91350100M000100Y43".into()),
                            permit_no: None,
                            resident_id: None,
                        }))),
                        _ => Some(Party::Registered(Arc::from(*rng.pick(&FIRMS)))),
                    };
                    let lot = rng.chance(80).then(|| Arc::from(*rng.pick(&["L1", "L2"])));
                    (
                        kind,
                        counterparty,
                        Arc::from(*rng.pick(&CHEMICALS)),
                        lot,
                        (1 + rng.below(8)) as i64 * 1_000,
                        rng.chance(50)
                            .then(|| format!("R{}", rng.below(6)).into_boxed_str()),
                        occurred,
                    )
                }
            };
            Entry {
                id: format!("e{i}").into(),
                firm_id: Arc::from(firm),
                seq: *seq,
                kind,
                chemical_id: chemical,
                lot,
                quantity,
                occurred_at: occurred,
                recorded_at: occurred + Duration::hours(rng.below(100) as i64),
                counterparty,
                payment: Some(*rng.pick(&[Payment::BankTransfer, Payment::Cash])),
                shipment_ref: reference,
                permit_no: rng.chance(30).then(|| format!("P-{firm}-0").into()),
                transport_permit_no: rng.chance(50).then(|| format!("T-{}", rng.below(3)).into()),
                has_note: rng.chance(70),
                reverses: None,
            }
        };
        if e.kind == EntryKind::Reversal {
            e.counterparty = None;
        }
        input.entries.push(e);
    }
    let sales: Vec<(Box<str>, DateTime<Utc>)> = input
        .entries
        .iter()
        .filter(|e| {
            e.kind == EntryKind::Sale && matches!(e.counterparty, Some(Party::Registered(_)))
        })
        .map(|e| (e.id.clone(), e.occurred_at))
        .collect();
    for (id, at) in sales {
        if rng.chance(12) {
            input.refusals.push(Refusal {
                dispatch_id: id,
                refused_at: at + Duration::hours(rng.below(20 * 24) as i64),
            });
        }
    }
    if rng.chance(30) {
        let firm = rng.pick(&FIRMS).to_string();
        let at = input.entries.iter().find(|e| *e.firm_id == *firm);
        input
            .broken_chains
            .push((firm, 1, at.map(|e| e.id.to_string())));
    }
    input
}

fn registered_to(e: &Entry, firm: &str) -> bool {
    matches!(&e.counterparty, Some(Party::Registered(p)) if &**p == firm)
}

fn about(findings: &[Finding], firms: &HashSet<&str>) -> BTreeSet<String> {
    findings
        .iter()
        .filter(|f| touches(f, firms))
        .map(|f| format!("{} {}", f.identity(), f.message_en))
        .collect()
}

pub(crate) fn settings(as_of_hours: u64) -> CustodyRules {
    CustodyRules::defaults(hours(as_of_hours))
}

#[test]
fn the_generator_makes_findings_of_many_codes() {
    let mut codes = BTreeSet::new();
    for seed in 0..20 {
        let input = province(seed, 120);
        for f in validate(&input, &settings(45 * 24)) {
            codes.insert(f.code);
        }
    }
    // Shipments, balances, permits, transport, documents: the scope must be tested on them all.
    assert!(codes.len() >= 15, "{codes:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn a_scoped_run_gives_the_full_runs_findings_about_its_firms(
        seed in any::<u64>(),
        n in 20_usize..160,
        as_of in (10_u64 * 24)..(70 * 24),
        pick in 1_u8..32,
    ) {
        let input = province(seed, n);
        let s = settings(as_of);
        let full = validate(&input, &s);
        for firm in FIRMS {
            let scope: HashSet<&str> = HashSet::from([firm]);
            let part = select(&input, &scope);
            prop_assert_eq!(about(&validate(&part, &s), &scope), about(&full, &scope), "firm {}", firm);
        }
        let scope: HashSet<&str> = FIRMS
            .iter()
            .enumerate()
            .filter(|(i, _)| pick & (1 << i) != 0)
            .map(|(_, f)| *f)
            .collect();
        let part = select(&input, &scope);
        prop_assert_eq!(about(&validate(&part, &s), &scope), about(&full, &scope));
    }
}
