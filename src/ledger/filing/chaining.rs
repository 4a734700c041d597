//! Chaining: each filed entry takes the next seq of its firm's ledger and the hash of the entry
//! before it (`ledger::chain` says how a hash is computed).

use chrono::{DateTime, NaiveDateTime, Utc};
use uuid::Uuid;

use super::submission::Item;
use super::validate::Checked;
use crate::auth::Principal;
use crate::domain::time;
use crate::error::AppError;
use crate::ledger::chain::{self, GENESIS};
use crate::ledger::LedgerRow;

/// The end of a firm's chain, where the next entry is linked, and who files it when.
pub struct ChainHead {
    firm_id: String,
    seq: i64,
    prev: [u8; 32],
    recorded_at: NaiveDateTime,
    recorded_by: String,
}

impl ChainHead {
    /// The head after `last` (the last entry's seq and hash), or genesis for an empty ledger.
    pub fn after(
        last: Option<(i64, String)>,
        firm_id: Uuid,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<ChainHead, AppError> {
        let (seq, prev) = match last {
            Some((seq, hash)) => (
                seq,
                chain::parse_hash(&hash)
                    .ok_or_else(|| AppError::internal("stored head hash is not hex"))?,
            ),
            None => (0, GENESIS),
        };
        Ok(ChainHead {
            firm_id: firm_id.to_string(),
            seq,
            prev,
            recorded_at: time::to_db(now),
            recorded_by: who.user_id.to_string(),
        })
    }

    /// The row of a checked item, linked after the head; the head moves on to it.
    pub fn link(&mut self, item: &Item, checked: Checked) -> LedgerRow {
        let e = &item.entry;
        self.seq += 1;
        let mut row = LedgerRow {
            firm_id: self.firm_id.clone(),
            seq: self.seq,
            id: item.id.to_string(),
            kind: e.kind.as_str().to_string(),
            chemical_id: checked.chemical_id,
            lot: checked.lot,
            quantity: checked.quantity,
            occurred_at: time::to_db(e.occurred_at),
            recorded_at: self.recorded_at,
            recorded_by: self.recorded_by.clone(),
            counterparty_firm_id: checked.counterparty.firm_id,
            counterparty_name: checked.counterparty.name,
            counterparty_credit_code: checked.counterparty.credit_code,
            counterparty_permit_no: checked.counterparty.permit_no,
            shipment_ref: e.shipment_ref.clone(),
            permit_no: e.permit_no.clone(),
            transport_permit_no: e.transport_permit_no.clone(),
            warehouse: e.warehouse.clone(),
            note: e.note.clone(),
            reverses: e.reverses.map(|r| r.to_string()),
            prev_hash: hex::encode(self.prev),
            hash: String::new(),
            counterparty_resident_id: checked.counterparty.resident_id,
            payment: e.payment.map(|p| p.as_str().to_string()),
        };
        let hash = chain::entry_hash(&self.prev, &row.hashed_fields());
        row.hash = hex::encode(hash);
        self.prev = hash;
        row
    }
}
