//! The rule packs' own duties: the `eu` pack's customer declarations, the `us` pack's cumulative
//! monthly threshold, the Chinese duties the other packs do not have, and the cash exception
//! for a person's category-1 medicine. A child of `tests`, so that it tells its stories with
//! the same `World`.

use super::*;
use crate::custody::model::{Declaration, DeclaredBy};
use crate::domain::rule_pack::{RulePack, EU, US};
use crate::domain::Payment;

fn rules_of(pack: &str, as_of: DateTime<Utc>) -> CustodyRules {
    RulePack::parse(pack).unwrap().custody_rules("test", as_of)
}

fn codes_under(w: &World, rules: &CustodyRules) -> Vec<Code> {
    validate(&w.input, rules)
        .into_iter()
        .map(|f| f.code)
        .collect()
}

/// A clean, matched shipment of `chemical` from S to B on day 1.
fn shipment_of(chemical: &'static str) -> World {
    let mut w = World::new();
    w.produce(chemical, "L1", 10_000);
    w.dispatch(chemical, "L1", 1_000, 1.0, Some("R1"));
    w.receive(chemical, "L1", 1_000, 2.0, Some("R1"));
    w
}

fn declared(w: &mut World, by: DeclaredBy, chemical: &str, from: f64, until: f64) {
    w.input.declarations.push(Declaration {
        firm_id: S.into(),
        customer: by,
        chemical_id: chemical.into(),
        valid_from: day(from),
        valid_until: day(until),
    });
}

#[test]
fn the_eu_pack_asks_for_the_customers_declaration_for_categories_one_and_two() {
    let w = shipment_of(C2);
    assert_eq!(w.run(), vec![], "the cn pack asks for none");
    let eu = rules_of(EU, w.as_of);
    let found = validate(&w.input, &eu);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(
        (f.code, f.severity, f.counterparty_firm_id.as_deref()),
        (Code::MissingCustomerDeclaration, Severity::Major, Some(B))
    );
    assert!(f.message_en.contains("买方制药"), "{}", f.message_en);

    let mut ok = shipment_of(C2);
    declared(&mut ok, DeclaredBy::Firm(B.into()), C2, 0.0, 30.0);
    assert_eq!(codes_under(&ok, &eu), vec![]);
    // Near misses: it ended the moment of the sale, or it is for another substance or customer.
    for (by, chemical, until) in [
        (DeclaredBy::Firm(B.into()), C2, 1.0),
        (DeclaredBy::Firm(B.into()), C1, 30.0),
        (DeclaredBy::Firm(S.into()), C2, 30.0),
    ] {
        let mut w = shipment_of(C2);
        declared(&mut w, by, chemical, 0.0, until);
        assert_eq!(codes_under(&w, &eu), vec![Code::MissingCustomerDeclaration]);
    }
    assert_eq!(codes_under(&shipment_of(C3), &eu), vec![], "category 3");
}

#[test]
fn an_outside_customer_declares_under_its_credit_code() {
    let sold = |code: &str| {
        let mut w = World::new();
        w.produce(C1, "L1", 10_000);
        w.add(S, EntryKind::Sale, C1, Some("L1"), 1_000, 1.0);
        w.last().counterparty = Some(Party::External(Box::new(ExternalParty {
            name: Some("Chemie GmbH".into()),
            credit_code: Some(code.into()),
            permit_no: Some("DE-1".into()),
            resident_id: None,
        })));
        declared(
            &mut w,
            DeclaredBy::CreditCode("91350100M000100Y43".into()),
            C1,
            0.0,
            9.0,
        );
        w
    };
    let eu = rules_of(EU, day(60.0));
    assert_eq!(codes_under(&sold("91350100m000100y43"), &eu), vec![]);
    assert_eq!(
        codes_under(&sold("91350100M000100Y51"), &eu),
        vec![Code::MissingCustomerDeclaration]
    );
}

#[test]
fn the_eu_and_us_packs_have_no_chinese_duties_on_persons_cash_or_transport() {
    let mut w = World::new();
    w.produce(C1, "L1", 10_000);
    w.add(S, EntryKind::Sale, C1, Some("L1"), 1_000, 1.0);
    w.last().counterparty = Some(person("张三"));
    w.last().payment = Some(Payment::Cash);
    let rf = |r: &CustodyRules| -> BTreeSet<Code> { codes_under(&w, r).into_iter().collect() };
    assert_eq!(
        w.codes(),
        BTreeSet::from([Code::SaleToIndividual, Code::CashOrBarter]),
    );
    assert_eq!(
        rf(&rules_of(EU, w.as_of)),
        BTreeSet::from([Code::MissingCustomerDeclaration])
    );
    assert_eq!(rf(&rules_of(US, w.as_of)), BTreeSet::new());

    let mut cross_city = shipment_of(C2);
    cross_city.input.entries[1].transport_permit_no = None;
    assert_eq!(
        cross_city.codes(),
        BTreeSet::from([Code::MissingTransportDoc])
    );
    assert_eq!(codes_under(&cross_city, &rules_of(US, w.as_of)), vec![]);
}

#[test]
fn a_person_may_pay_cash_for_a_category_one_medicine() {
    let sold = |medicine: bool| {
        let mut w = World::new();
        w.input.catalog.get_mut(C1).unwrap().medicine = medicine;
        w.produce(C1, "L1", 10_000);
        w.add(S, EntryKind::Sale, C1, Some("L1"), 1_000, 1.0);
        w.last().counterparty = Some(person("王五"));
        w.last().payment = Some(Payment::Cash);
        w.last().transport_permit_no = Some("T-1".into());
        w.codes()
    };
    assert_eq!(sold(true), BTreeSet::from([Code::SaleToIndividual]));
    assert_eq!(
        sold(false),
        BTreeSet::from([Code::SaleToIndividual, Code::CashOrBarter])
    );
}

/// Sales of acetone from S to B (quantities in thousandths of a kg) on the given days of March
/// 2026, under the us pack with MIBK's 1,523 kg as acetone's threshold.
fn us_month(sales: &[(i64, f64)]) -> Vec<crate::custody::Finding> {
    let mut w = World::new();
    w.input.order_thresholds.insert(C3.into(), 1_523_000);
    for &(quantity, at) in sales {
        w.add(S, EntryKind::Sale, C3, None, quantity, at);
        w.last().counterparty = Some(Party::Registered(B.into()));
        w.last().transport_permit_no = Some("T-1".into());
    }
    validate(&w.input, &rules_of(US, w.as_of))
        .into_iter()
        .filter(|f| f.code == Code::SuspiciousStructuring)
        .collect()
}

#[test]
fn the_us_threshold_is_a_buyers_total_in_a_calendar_month() {
    let found = us_month(&[(800_000, 2.0), (800_000, 19.0)]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].quantity, Some(1_600_000));
    assert!(found[0]
        .message_en
        .contains("cumulative monthly threshold 1523.000"));
    assert_eq!(
        us_month(&[(700_000, 2.0), (800_000, 19.0)]),
        vec![],
        "below it"
    );
    assert_eq!(
        us_month(&[(761_500, 2.0), (761_500, 19.0)]).len(),
        1,
        "reaching it is enough"
    );
    assert_eq!(
        us_month(&[(800_000, 27.0), (800_000, 33.0)]),
        vec![],
        "two months"
    );
    assert_eq!(
        us_month(&[(1_600_000, 2.0), (100_000, 19.0)]),
        vec![],
        "one regulated sale and a small one: nothing split"
    );
}
