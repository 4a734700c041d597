//! The documents every firm's traffic needs, valid over the whole period: licences for
//! producers and traders, transport permits for categories 1 and 2, and purchase permits or
//! filings for what a firm buys. Numbers carry the year the document became valid.

use chrono::{Datelike, Days, NaiveDate};

use super::super::rng::Rng;
use super::super::world::{self, REGIONS};
use super::model::{chem_index, Chem, FirmKind, FirmPlan, PermitPlan};
use crate::domain::PermitKind;

/// The quantity limit of the Exceeding firm's filing: 1000 kg.
pub const EXCEEDING_LIMIT: i64 = 1_000_000;

fn permit_number(kind: PermitKind, year: i32, n: u32, abbr: &str) -> String {
    match kind {
        PermitKind::ProductionLicence => format!("闽宁易制生〔{year}〕{n:04}号"),
        PermitKind::OperationLicence => format!("闽宁易制经〔{year}〕{n:04}号"),
        PermitKind::PurchasePermit => format!("闽宁易制购〔{year}〕{n:04}号"),
        PermitKind::PurchaseFiling => format!("宁{abbr}公易制备〔{year}〕{n:04}号"),
        PermitKind::TransportPermit => format!("闽宁易制运〔{year}〕{n:04}号"),
        PermitKind::TransportFiling => format!("宁{abbr}公易制运备〔{year}〕{n:04}号"),
        PermitKind::ImportExportPermit => format!("闽宁易制进出〔{year}〕{n:04}号"),
    }
}

/// Issues every firm the documents its traffic needs.
pub(super) fn issue(
    rng: &mut Rng,
    firms: &mut [FirmPlan],
    chems: &[Chem],
    first_day: NaiveDate,
) -> Vec<PermitPlan> {
    let mut office = Office {
        counters: (0..PermitKind::ALL.len())
            .map(|_| rng.range(1, 60) as u32)
            .collect(),
        first_day,
        chems,
        permits: Vec::new(),
    };
    let sulfuric = chem_index(chems, world::SULFURIC);
    let acetone = chem_index(chems, world::ACETONE);
    for (i, firm) in firms.iter_mut().enumerate() {
        let no = i as u32;
        match firm.kind {
            FirmKind::Producer => office.licences(rng, no, firm, PermitKind::ProductionLicence),
            FirmKind::Trader | FirmKind::User => {
                if firm.kind == FirmKind::Trader && !firm.lines.is_empty() {
                    office.licences(rng, no, firm, PermitKind::OperationLicence);
                }
                office.purchase_documents(rng, no, firm);
            }
            FirmKind::Unlicensed => {
                // A filing, but not for what it will be sold.
                if let Some(s) = sulfuric {
                    let filing = PermitKind::PurchaseFiling;
                    firm.purchase_docs[2] =
                        Some(office.issue(rng, no, firm, filing, vec![s], None));
                }
            }
            FirmKind::Exceeding => {
                // A filing for acetone limited to 1000 kg.
                if let Some(a) = acetone {
                    let (filing, limit) = (PermitKind::PurchaseFiling, Some(EXCEEDING_LIMIT));
                    firm.purchase_docs[2] =
                        Some(office.issue(rng, no, firm, filing, vec![a], limit));
                }
            }
        }
    }
    office.permits
}

/// The issuing office: the next number of each kind of document.
struct Office<'c> {
    counters: Vec<u32>,
    first_day: NaiveDate,
    chems: &'c [Chem],
    permits: Vec<PermitPlan>,
}

impl Office<'_> {
    /// Issues `firm` (number `no`) a document; returns its index.
    fn issue(
        &mut self,
        rng: &mut Rng,
        no: u32,
        firm: &FirmPlan,
        kind: PermitKind,
        chems: Vec<u16>,
        limit: Option<i64>,
    ) -> usize {
        let k = PermitKind::ALL.iter().position(|&x| x == kind).unwrap_or(0);
        self.counters[k] += rng.range(1, 3) as u32;
        let days_before = rng.range(15, 400);
        let year = (self.first_day - Days::new(days_before as u64)).year();
        self.permits.push(PermitPlan {
            firm: no,
            kind,
            number: permit_number(kind, year, self.counters[k], REGIONS[firm.region].abbr),
            chems,
            limit,
            days_before,
            days_after: rng.range(60, 700),
        });
        self.permits.len() - 1
    }

    fn category(&self, chem: u16) -> u8 {
        self.chems[usize::from(chem)].category
    }

    /// A production or operation `licence` for all the firm's lines, a transport permit for
    /// those of categories 1 and 2 and a transport filing for those of category 3.
    fn licences(&mut self, rng: &mut Rng, no: u32, firm: &mut FirmPlan, licence: PermitKind) {
        let lines: Vec<u16> = firm.lines.iter().map(|l| l.chem).collect();
        let hazardous: Vec<u16> = lines
            .iter()
            .copied()
            .filter(|&c| self.category(c) <= 2)
            .collect();
        let rest: Vec<u16> = lines
            .iter()
            .copied()
            .filter(|&c| self.category(c) == 3)
            .collect();
        self.issue(rng, no, firm, licence, lines, None);
        if !hazardous.is_empty() {
            let transport = PermitKind::TransportPermit;
            firm.transport_doc = Some(self.issue(rng, no, firm, transport, hazardous, None));
        }
        if !rest.is_empty() {
            let filing = PermitKind::TransportFiling;
            firm.transport_filing = Some(self.issue(rng, no, firm, filing, rest, None));
        }
    }

    /// A purchase permit (category 1) or filing (categories 2, 3) for each category of the
    /// firm's lines.
    fn purchase_documents(&mut self, rng: &mut Rng, no: u32, firm: &mut FirmPlan) {
        for cat in 1..=3u8 {
            let scope: Vec<u16> = firm
                .lines
                .iter()
                .map(|l| l.chem)
                .filter(|&c| self.category(c) == cat)
                .collect();
            if scope.is_empty() {
                continue;
            }
            let kind = if cat == 1 {
                PermitKind::PurchasePermit
            } else {
                PermitKind::PurchaseFiling
            };
            firm.purchase_docs[usize::from(cat - 1)] =
                Some(self.issue(rng, no, firm, kind, scope, None));
        }
    }
}
