//! Single filings in a group commit (`db::group`): what the group's filings share inside its one
//! transaction. The firms are locked once, in order, when the group begins; each firm's row, its
//! chain head and the catalog are read once per group; the new rows, their leaves, idempotency
//! records and activity lines are kept here and written at the group's end, a few multi-row
//! statements for the whole group. A filing only reads, so a refused one is undone by cutting
//! these lists back to where it began (`undo`): no savepoint.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use uuid::Uuid;

use super::idempotency::{Filed, Idempotency};
use super::tx::FilingTx;
use crate::activity::ActivityRow;
use crate::db::group::GroupState;
use crate::db::DbConnection;
use crate::domain::catalog::Control;
use crate::error::AppError;
use crate::firms::{self, Firm};
use crate::ledger::store::{self, IdempotencyRow, LedgerRow};

/// What a group's filings share (see the module's note).
#[derive(Default)]
pub struct FilingGroup {
    /// Firms locked by this transaction.
    locked: HashSet<String>,
    firms: HashMap<Uuid, Firm>,
    /// Each firm's head in the database (nothing of the group is there before its end).
    stored_heads: HashMap<Uuid, Option<(i64, String)>>,
    catalog: HashMap<String, Control>,
    registered: HashSet<String>,
    /// The tree's size when the group first appended to it (its head then locked).
    tree_size: Option<u64>,
    rows: Vec<LedgerRow>,
    answers: Vec<IdempotencyRow>,
    lines: Vec<ActivityRow>,
}

/// Where a filing began: the lengths of the lists it may add to.
pub struct Mark(usize, usize, usize);

impl GroupState for FilingGroup {
    type Mark = Mark;

    /// Locks the group's firms in the database's order of their ids: two servers' groups take
    /// them in the same order and cannot deadlock.
    fn begin(conn: &mut DbConnection, keys: &[&str]) -> Result<FilingGroup, AppError> {
        store::lock_firms(conn, keys)?;
        Ok(FilingGroup {
            locked: keys.iter().map(|k| k.to_string()).collect(),
            ..FilingGroup::default()
        })
    }

    fn mark(&self) -> Mark {
        Mark(self.rows.len(), self.answers.len(), self.lines.len())
    }

    fn undo(&mut self, Mark(rows, answers, lines): Mark) {
        self.rows.truncate(rows);
        self.answers.truncate(answers);
        self.lines.truncate(lines);
    }

    fn finish(self, conn: &mut DbConnection) -> Result<(), AppError> {
        if !self.rows.is_empty() {
            let leaves = store::insert(conn, &self.rows)?;
            let first = self.tree_size.unwrap_or_default();
            // The head was locked when the indexes were handed out: they cannot have moved.
            if leaves.first() != Some(&first) || leaves.len() != self.rows.len() {
                return Err(AppError::internal("the tree moved under a group commit"));
            }
        }
        store::save_idempotent_many(conn, &self.answers)?;
        crate::activity::record_many(conn, &self.lines)
    }
}

/// A filing in a group: the group's connection and what its filings share.
pub struct Grouped<'c, 'g> {
    pub conn: &'c mut DbConnection,
    pub group: &'g mut FilingGroup,
}

impl FilingTx for Grouped<'_, '_> {
    fn conn(&mut self) -> &mut DbConnection {
        self.conn
    }

    fn firm(&mut self, firm_id: Uuid) -> Result<Firm, AppError> {
        if let Some(firm) = self.group.firms.get(&firm_id) {
            return Ok(firm.clone());
        }
        // The routes queue a filing under its firm's id, locked when the group began; any other
        // firm is locked here (after the group's firms, as other filings lock theirs).
        if self.group.locked.insert(firm_id.to_string()) {
            store::lock_firm(self.conn, firm_id)?;
        }
        let firm = firms::require(self.conn, firm_id)?;
        self.group.firms.insert(firm_id, firm.clone());
        Ok(firm)
    }

    fn replay(&mut self, firm_id: Uuid, idem: &Idempotency) -> Result<Option<Filed>, AppError> {
        let firm = firm_id.to_string();
        let earlier = self
            .group
            .answers
            .iter()
            .find(|a| a.firm_id == firm && a.idempotency_key == idem.key);
        match earlier {
            Some(a) => idem.replay_of(a.request_hash.clone(), 201, a.response_body.clone()),
            None => idem.replay(self.conn, firm_id),
        }
    }

    fn controls(&mut self, ids: &[String]) -> Result<HashMap<String, Control>, AppError> {
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !self.group.catalog.contains_key(*id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            let found = crate::chemicals::store::controls(self.conn, Some(&missing))?;
            self.group.catalog.extend(found);
        }
        Ok(ids
            .iter()
            .filter_map(|id| Some((id.clone(), self.group.catalog.get(id)?.clone())))
            .collect())
    }

    fn registered(&mut self, ids: &[String]) -> Result<HashSet<String>, AppError> {
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !self.group.registered.contains(*id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            let found = store::registered_firms(self.conn, &missing)?;
            self.group
                .registered
                .extend(found.into_iter().map(|(id, _)| id));
        }
        Ok(ids
            .iter()
            .filter(|id| self.group.registered.contains(*id))
            .cloned()
            .collect())
    }

    fn unstored(&self) -> &[LedgerRow] {
        &self.group.rows
    }

    fn head(&mut self, firm_id: Uuid) -> Result<Option<(i64, String)>, AppError> {
        let firm = firm_id.to_string();
        if let Some(last) = self.group.rows.iter().rev().find(|r| r.firm_id == firm) {
            return Ok(Some((last.seq, last.hash.clone())));
        }
        if let Some(head) = self.group.stored_heads.get(&firm_id) {
            return Ok(head.clone());
        }
        let head = store::head(self.conn, firm_id)?;
        self.group.stored_heads.insert(firm_id, head.clone());
        Ok(head)
    }

    fn store(&mut self, rows: &[LedgerRow]) -> Result<Vec<u64>, AppError> {
        let size = match self.group.tree_size {
            Some(size) => size,
            None => *self
                .group
                .tree_size
                .insert(crate::transparency::store::locked_size(self.conn)?),
        };
        let next = size + self.group.rows.len() as u64;
        self.group.rows.extend_from_slice(rows);
        Ok((next..next + rows.len() as u64).collect())
    }

    fn keep(
        &mut self,
        firm_id: Uuid,
        idem: &Idempotency,
        body: &str,
        at: NaiveDateTime,
    ) -> Result<(), AppError> {
        self.group.answers.push(idem.row(firm_id, body, at));
        Ok(())
    }

    fn log(&mut self, row: &ActivityRow) -> Result<(), AppError> {
        self.group.lines.push(row.clone());
        Ok(())
    }
}
