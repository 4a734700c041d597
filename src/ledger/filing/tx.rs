//! Where a filing reads the ledger and writes its rows: alone in its own transaction (`Alone`,
//! each write at once), or in a group commit (`group::Grouped`, the rows kept for the group's
//! end). The filing itself (`Filing::run`) is the same either way.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use uuid::Uuid;

use super::idempotency::{Filed, Idempotency};
use crate::activity::ActivityRow;
use crate::db::DbConnection;
use crate::domain::catalog::Control;
use crate::error::AppError;
use crate::firms::{self, Firm};
use crate::ledger::store::{self, LedgerRow};

/// What filing needs of the database inside its write transaction.
pub trait FilingTx {
    /// For reads of what is not the ledger's own (a spreadsheet's catalog, a receipt's check).
    fn conn(&mut self) -> &mut DbConnection;
    /// The firm, its filers serialized from here to the commit.
    fn firm(&mut self, firm_id: Uuid) -> Result<Firm, AppError>;
    /// The answer already given to this key, if any.
    fn replay(&mut self, firm_id: Uuid, idem: &Idempotency) -> Result<Option<Filed>, AppError>;
    /// The catalog's control of these chemicals (those that exist).
    fn controls(&mut self, ids: &[String]) -> Result<HashMap<String, Control>, AppError>;
    /// Which of these firms are registered.
    fn registered(&mut self, ids: &[String]) -> Result<HashSet<String>, AppError>;
    /// Rows filed in this transaction but not yet written (a group's earlier filings).
    fn unstored(&self) -> &[LedgerRow];
    /// The (seq, hash) the next entry of the firm chains after, if it has entries.
    fn head(&mut self, firm_id: Uuid) -> Result<Option<(i64, String)>, AppError>;
    /// Stores the chained rows; their leaf indexes in the tree.
    fn store(&mut self, rows: &[LedgerRow]) -> Result<Vec<u64>, AppError>;
    /// Keeps a new filing's answer for retries with its key.
    fn keep(
        &mut self,
        firm_id: Uuid,
        idem: &Idempotency,
        body: &str,
        at: NaiveDateTime,
    ) -> Result<(), AppError>;
    /// The filing's line in the activity log.
    fn log(&mut self, row: &ActivityRow) -> Result<(), AppError>;
}

/// A filing alone in its write transaction: every read and write goes to the database at once.
pub struct Alone<'c> {
    pub conn: &'c mut DbConnection,
}

impl FilingTx for Alone<'_> {
    fn conn(&mut self) -> &mut DbConnection {
        self.conn
    }

    fn firm(&mut self, firm_id: Uuid) -> Result<Firm, AppError> {
        store::lock_firm(self.conn, firm_id)?;
        firms::require(self.conn, firm_id)
    }

    fn replay(&mut self, firm_id: Uuid, idem: &Idempotency) -> Result<Option<Filed>, AppError> {
        idem.replay(self.conn, firm_id)
    }

    fn controls(&mut self, ids: &[String]) -> Result<HashMap<String, Control>, AppError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        crate::chemicals::store::controls(self.conn, Some(ids))
    }

    fn registered(&mut self, ids: &[String]) -> Result<HashSet<String>, AppError> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        Ok(store::registered_firms(self.conn, ids)?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    fn unstored(&self) -> &[LedgerRow] {
        &[]
    }

    fn head(&mut self, firm_id: Uuid) -> Result<Option<(i64, String)>, AppError> {
        store::head(self.conn, firm_id)
    }

    fn store(&mut self, rows: &[LedgerRow]) -> Result<Vec<u64>, AppError> {
        store::insert(self.conn, rows)
    }

    fn keep(
        &mut self,
        firm_id: Uuid,
        idem: &Idempotency,
        body: &str,
        at: NaiveDateTime,
    ) -> Result<(), AppError> {
        store::save_idempotent(self.conn, &idem.row(firm_id, body, at))
    }

    fn log(&mut self, row: &ActivityRow) -> Result<(), AppError> {
        crate::activity::record(self.conn, row)
    }
}
