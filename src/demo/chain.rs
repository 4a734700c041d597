//! The simulated events become ledger rows: each firm's sorted by (occurred_at, generation
//! order), numbered seq 1.., given UUID v7 ids and hash-chained from the genesis hash.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use uuid::Uuid;

use super::plan::{FirmPlan, Plan};
use super::sim::{self, Ev, Party, NO_LOT};
use super::world;
use crate::error::AppError;
use crate::ledger::chain::{entry_hash, GENESIS};
use crate::ledger::store::LedgerRow;

/// The stored ids of entries, by (firm, gen).
pub(super) type EntryIds = HashMap<(u32, u32), Uuid>;

/// Chains one firm's entries at a time, and keeps the ids of the entries that gaps concern.
pub(super) struct Chainer<'a> {
    pub(super) plan: &'a Plan,
    pub(super) lots: &'a [String],
    pub(super) first_day: NaiveDate,
    /// (firm, gen) of the entries whose ids are wanted.
    pub(super) wanted: &'a HashSet<(u32, u32)>,
    pub(super) ids: EntryIds,
}

/// What an entry records about the other side of a movement.
struct Counterparty {
    firm_id: Option<String>,
    name: Option<String>,
    credit_code: Option<String>,
    permit_no: Option<String>,
    resident_id: Option<String>,
}

impl Chainer<'_> {
    /// The rows of firm `firm_index`, recorded by `recorded_by`.
    pub(super) fn rows(
        &mut self,
        firm_index: u32,
        mut events: Vec<Ev>,
        recorded_by: &str,
    ) -> Result<Vec<LedgerRow>, AppError> {
        let firm = &self.plan.firms[firm_index as usize];
        events.sort_by_key(|e| (e.at, e.gen));
        let targets: HashSet<u32> = events.iter().filter_map(|e| e.reverses).collect();
        let mut target_ids: HashMap<u32, String> = HashMap::new();
        let mut prev = GENESIS;
        let mut rows = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            let id = Uuid::now_v7();
            if self.wanted.contains(&(firm_index, e.gen)) {
                self.ids.insert((firm_index, e.gen), id);
            }
            let id = id.to_string();
            if targets.contains(&e.gen) {
                target_ids.insert(e.gen, id.clone());
            }
            let reverses =
                match e.reverses {
                    None => None,
                    Some(target) => Some(target_ids.get(&target).cloned().ok_or_else(|| {
                        AppError::internal("a demo reversal precedes its target")
                    })?),
                };
            let mut row = self.row(firm, e, i as i64 + 1, id, reverses, recorded_by)?;
            row.prev_hash = hex::encode(prev);
            let hash = if e.tamper {
                // Hashed as it was filed; stored as if the quantity was edited since.
                let mut filed = row.clone();
                filed.quantity += 1000;
                entry_hash(&prev, &filed.hashed_fields())
            } else {
                entry_hash(&prev, &row.hashed_fields())
            };
            row.hash = hex::encode(hash);
            prev = hash;
            rows.push(row);
        }
        Ok(rows)
    }

    /// The row of event `e` of `firm`, without its hashes.
    fn row(
        &self,
        firm: &FirmPlan,
        e: &Ev,
        seq: i64,
        id: String,
        reverses: Option<String>,
        recorded_by: &str,
    ) -> Result<LedgerRow, AppError> {
        let plan = self.plan;
        let chem = &plan.chems[usize::from(e.chem)];
        let counterparty = self.counterparty(e.party);
        let permit_no = if e.purchase_doc {
            firm.purchase_docs[usize::from(chem.category.clamp(1, 3) - 1)]
                .map(|p| plan.permits[p].number.clone())
        } else {
            None
        };
        let is_reversal = reverses.is_some();
        Ok(LedgerRow {
            firm_id: firm.id.to_string(),
            seq,
            id,
            kind: e.kind.as_str().to_string(),
            chemical_id: chem.id.clone(),
            lot: (e.lot != NO_LOT).then(|| self.lots[e.lot as usize].clone()),
            quantity: e.qty,
            occurred_at: utc(e.at)?,
            recorded_at: utc(e.at + i64::from(e.delay))?,
            recorded_by: recorded_by.to_string(),
            counterparty_firm_id: counterparty.firm_id,
            counterparty_name: counterparty.name,
            counterparty_credit_code: counterparty.credit_code,
            counterparty_permit_no: counterparty.permit_no,
            shipment_ref: e.ship.map(|s| sim::waybill_text(plan, self.first_day, s)),
            permit_no,
            transport_permit_no: if let Some(number) = e.transport_no {
                Some(number.to_string())
            } else if e.transport {
                let doc = if chem.category <= 2 {
                    firm.transport_doc
                } else {
                    firm.transport_filing
                };
                doc.map(|p| plan.permits[p].number.clone())
            } else {
                None
            },
            warehouse: (!is_reversal).then(|| firm.warehouse.to_string()),
            note: e.note.map(str::to_string),
            reverses,
            prev_hash: String::new(),
            hash: String::new(),
            counterparty_resident_id: counterparty.resident_id,
            payment: e
                .kind
                .needs_counterparty()
                .then(|| e.payment.as_str().to_string()),
        })
    }

    fn counterparty(&self, party: Party) -> Counterparty {
        let mut counterparty = Counterparty {
            firm_id: None,
            name: None,
            credit_code: None,
            permit_no: None,
            resident_id: None,
        };
        match party {
            Party::None => {}
            Party::Firm(f) => {
                counterparty.firm_id = Some(self.plan.firms[f as usize].id.to_string());
            }
            Party::Outside { party, with_permit } => {
                let o = &self.plan.outside[usize::from(party)];
                counterparty.name = Some(o.name.to_string());
                counterparty.credit_code = Some(o.credit_code.clone());
                counterparty.permit_no = with_permit.then(|| o.permit_no.to_string());
            }
            Party::Person(p) => {
                let person = &world::PEOPLE[usize::from(p)];
                counterparty.name = Some(person.name.to_string());
                counterparty.resident_id = Some(person.resident_id.to_string());
            }
        }
        counterparty
    }
}

fn utc(secs: i64) -> Result<NaiveDateTime, AppError> {
    DateTime::from_timestamp(secs, 0)
        .map(|t| t.naive_utc())
        .ok_or_else(|| AppError::internal(format!("time {secs} out of range")))
}
