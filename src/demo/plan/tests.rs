use std::collections::HashSet;

use super::*;
use crate::demo::world::REGIONS;
use crate::domain::CreditCode;
use crate::domain::PermitKind;

fn catalog() -> Vec<CatalogEntry> {
    crate::chemicals::seed::catalog_rows()
        .unwrap()
        .into_iter()
        .filter_map(|r| {
            Some(CatalogEntry {
                cas: r.cas?,
                id: r.id,
                name: r.name_zh,
                category: r.category as u8,
            })
        })
        .collect()
}

#[test]
fn the_seed_decides_the_roster_and_every_code_is_valid() {
    let catalog = catalog();
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let a = build(&mut Rng::new(5), 421, &catalog, day).unwrap();
    let b = build(&mut Rng::new(5), 421, &catalog, day).unwrap();
    let c = build(&mut Rng::new(6), 421, &catalog, day).unwrap();
    let roster = |p: &Plan| -> Vec<(String, String, String)> {
        p.firms
            .iter()
            .map(|f| (f.name.clone(), f.credit_code.clone(), f.address.clone()))
            .collect()
    };
    assert_eq!(roster(&a), roster(&b));
    assert_ne!(roster(&a), roster(&c));

    let mut names = HashSet::new();
    let mut codes = HashSet::new();
    for f in &a.firms {
        let code = CreditCode::parse(&f.credit_code).unwrap();
        assert_eq!(&code.as_str()[2..8], REGIONS[f.region].code);
        assert!(names.insert(f.name.clone()), "{}", f.name);
        assert!(codes.insert(f.credit_code.clone()));
    }
    for o in &a.outside {
        assert!(CreditCode::parse(&o.credit_code).is_ok());
        assert!(codes.insert(o.credit_code.clone()));
    }
    let count = |k: FirmKind| a.firms.iter().filter(|f| f.kind == k).count();
    assert_eq!(count(FirmKind::Producer), 16);
    assert_eq!(count(FirmKind::Trader), 63);
    assert_eq!(count(FirmKind::Unlicensed) + count(FirmKind::Exceeding), 2);

    // Whoever buys a chemical holds the right document for its category, and is supplied.
    for f in a
        .firms
        .iter()
        .filter(|f| matches!(f.kind, FirmKind::Trader | FirmKind::User))
    {
        for line in &f.lines {
            assert!(line.supplier.is_some());
            let category = a.chems[usize::from(line.chem)].category;
            let doc = &a.permits[f.purchase_docs[usize::from(category - 1)].unwrap()];
            assert!(doc.chems.contains(&line.chem));
            let expected = if category == 1 {
                PermitKind::PurchasePermit
            } else {
                PermitKind::PurchaseFiling
            };
            assert_eq!(doc.kind, expected);
            if category <= 2 && f.kind == FirmKind::Trader {
                assert!(a.permits[f.transport_doc.unwrap()]
                    .chems
                    .contains(&line.chem));
            }
        }
    }
    let numbers: HashSet<(PermitKind, &str)> = a
        .permits
        .iter()
        .map(|p| (p.kind, p.number.as_str()))
        .collect();
    assert_eq!(numbers.len(), a.permits.len());
}
