//! The check and the validator never disagree: on random firms, permits and purchase histories,
//! what the check says of a buyer on a date is what the validator then finds.

use crate::domain::catalog::Control;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use uuid::Uuid;

use super::{judge, Asked, Refusal};
use crate::custody::model::{Entry, Firm, Input, Party, Permit};
use crate::custody::validate;
use crate::domain::credit_code::check_character;
use crate::domain::{Category, Code, CreditCode, CustodyRules, EntryKind, FirmStatus, PermitKind};

/// Whole days from an origin; every time of these worlds is one.
fn day(d: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(d)
}

fn code() -> CreditCode {
    let first17 = "91350902MA0000001";
    let check = check_character(first17.as_bytes()).unwrap();
    CreditCode::parse(&format!("{first17}{check}")).unwrap()
}

/// (kind, covers the chemical, from day, length in days, limit)
type PermitSpec = (u8, bool, i64, i64, Option<i64>);

fn permit_spec() -> impl Strategy<Value = PermitSpec> {
    (
        0_u8..3,
        prop::bool::weighted(0.8),
        0_i64..40,
        1_i64..40,
        prop::option::of(1_i64..100),
    )
}

/// A buyer with its status history and permits, the chemical (of `category`) and an other one.
struct World {
    buyer: Uuid,
    chemical: Uuid,
    category: Category,
    input: Input,
}

impl World {
    fn new(category: u8, statuses: &[(i64, u8)], permits: &[PermitSpec]) -> World {
        let (buyer, chemical, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut input = Input::default();
        let status = |s: u8| {
            [
                FirmStatus::Active,
                FirmStatus::Suspended,
                FirmStatus::Revoked,
            ][s as usize % 3]
        };
        let mut history: Vec<_> = statuses.iter().map(|&(d, s)| (day(d), status(s))).collect();
        history.sort_by_key(|(t, _)| *t);
        for (id, h) in [(buyer, history), (Uuid::now_v7(), vec![])] {
            let firm = Firm {
                id: id.to_string(),
                name: format!("firm {id}"),
                region: None,
                status_history: h,
            };
            input.firms.insert(id.to_string(), firm);
        }
        input.catalog = HashMap::from([
            (chemical.to_string(), Control::fixed(category)),
            (other.to_string(), Control::fixed(3)),
        ]);
        for (i, &(kind, covers, from, length, limit)) in permits.iter().enumerate() {
            let kind = [
                PermitKind::PurchasePermit,
                PermitKind::PurchaseFiling,
                PermitKind::OperationLicence,
            ][kind as usize];
            let scope = if covers { chemical } else { other };
            input.permits.push(Permit {
                id: format!("permit-{i}"),
                firm_id: buyer.to_string(),
                kind,
                number: format!("N-{i}"),
                chemical_ids: vec![scope.to_string()],
                valid_from: day(from),
                valid_until: day(from + length),
                quantity_limit: limit.map(|l| l * 1000),
            });
        }
        World {
            buyer,
            chemical,
            category: Category::new(i64::from(category)).unwrap(),
            input,
        }
    }

    fn entry(
        &mut self,
        firm: &str,
        kind: EntryKind,
        quantity: i64,
        at: DateTime<Utc>,
    ) -> &mut Entry {
        let seq = self
            .input
            .entries
            .iter()
            .filter(|e| &*e.firm_id == firm)
            .count() as i64
            + 1;
        self.input.entries.push(Entry {
            id: format!("{firm}-{seq}").into(),
            firm_id: Arc::from(firm),
            seq,
            kind,
            chemical_id: Arc::from(self.chemical.to_string().as_str()),
            lot: Some(Arc::from("L1")),
            quantity,
            occurred_at: at,
            recorded_at: at,
            counterparty: None,
            payment: None,
            shipment_ref: None,
            permit_no: None,
            transport_permit_no: None,
            has_note: false,
            reverses: None,
        });
        self.input.entries.last_mut().unwrap()
    }

    fn check(&self, on: DateTime<Utc>) -> super::CounterpartyCheck {
        let asked = Asked {
            credit_code: code(),
            chemical_id: self.chemical,
            on,
        };
        let settings = CustodyRules::defaults(on);
        judge(
            &self.input,
            (self.buyer, "买方".into()),
            &asked,
            self.category,
            &settings,
        )
        .unwrap()
    }

    fn findings_about(&self, code: Code, entry_id: &str, as_of: DateTime<Utc>) -> usize {
        let findings = validate(&self.input, &CustodyRules::defaults(as_of));
        findings
            .iter()
            .filter(|f| f.code == code && f.entry_ids.iter().any(|e| e == entry_id))
            .count()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A sale to the buyer on `on` is UNLICENSED_COUNTERPARTY exactly when the check says the
    /// buyer was not active or held no purchase right then.
    #[test]
    fn the_check_and_unlicensed_counterparty_agree(
        category in 1_u8..=3,
        statuses in prop::collection::vec((0_i64..60, 0_u8..3), 0..3),
        permits in prop::collection::vec(permit_spec(), 0..4),
        on in 0_i64..80,
    ) {
        let mut w = World::new(category, &statuses, &permits);
        let seller = w.input.firms.keys().find(|id| **id != w.buyer.to_string()).unwrap().clone();
        let buyer = w.buyer.to_string();
        let sale = w.entry(&seller, EntryKind::Sale, 1_000, day(on));
        sale.counterparty = Some(Party::Registered(Arc::from(buyer.as_str())));
        let sale = sale.id.to_string();
        let answer = w.check(day(on));
        let unlicensed = matches!(answer.reason, Some(Refusal::NotActive | Refusal::NoPurchaseRight));
        let found = w.findings_about(Code::UnlicensedCounterparty, &sale, day(on));
        prop_assert_eq!(unlicensed, found == 1, "{:?} {} finding(s)", answer, found);
        prop_assert_eq!(answer.active, Some(w.input.firms[&buyer].status_at(day(on)) == FirmStatus::Active));
    }

    /// After any history of purchases (some naming a permit, some reversed), a purchase on `on`
    /// of `q` drawn on a listed permit is PERMIT_EXCEEDED exactly when `q` is more than the
    /// check's `remaining` of it; and `may_buy` is false for want of room only when no listed
    /// permit has any.
    #[test]
    fn remaining_is_what_the_validator_lets_a_purchase_draw(
        category in 1_u8..=3,
        permits in prop::collection::vec(permit_spec(), 1..4),
        history in prop::collection::vec((1_i64..60, 0_usize..5, 0_i64..40, prop::bool::weighted(0.15)), 0..8),
        on in 20_i64..60,
        free in 1_i64..60,
        edge in prop::option::of(-1_i64..=1),
        pick in any::<prop::sample::Index>(),
    ) {
        let mut w = World::new(category, &[], &permits);
        let buyer = w.buyer.to_string();
        for (quantity, names, at, reversed) in history {
            let at = day(at.min(on - 1));
            let e = w.entry(&buyer, EntryKind::Purchase, quantity * 1000, at);
            e.permit_no = (names < permits.len()).then(|| format!("N-{names}").into());
            if reversed {
                let target = e.id.to_string();
                let r = w.entry(&buyer, EntryKind::Reversal, quantity * 1000, at);
                r.reverses = Some(target.into());
            }
        }
        let answer = w.check(day(on));
        prop_assert_eq!(answer.active, Some(true));
        let no_room = answer.reason == Some(Refusal::QuantityExhausted);
        let room = answer.permits.iter().any(|p| p.remaining.is_none_or(|r| !r.is_zero()));
        prop_assert_eq!(no_room, !answer.permits.is_empty() && !room);
        prop_assume!(!answer.permits.is_empty());
        let listed = &answer.permits[pick.index(answer.permits.len())];
        // Any quantity, or one at the edge of what is left: a unit less, exactly, a unit more.
        let q = match (edge, listed.remaining) {
            (Some(shift), Some(r)) => (r.thousandths() / 1000 + shift).max(1),
            _ => free,
        };
        let e = w.entry(&buyer, EntryKind::Purchase, q * 1000, day(on));
        e.permit_no = Some(listed.number.clone().into());
        let id = e.id.to_string();
        prop_assert_eq!(w.findings_about(Code::PermitMissing, &id, day(on)), 0);
        let exceeded = w.findings_about(Code::PermitExceeded, &id, day(on)) == 1;
        let allowed = listed.remaining.is_none_or(|r| q * 1000 <= r.thousandths());
        prop_assert_eq!(exceeded, !allowed, "{:?}", listed);
    }
}
