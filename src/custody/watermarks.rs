//! What an incremental run carries between runs (tables `custody_watermarks` and
//! `custody_incremental`), and how it finds the firms whose findings may have changed since.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::store;
use crate::db::schema::{
    custody_incremental, custody_watermarks, ledger_entries, shipment_refusals,
};
use crate::db::DbConnection;
use crate::domain::{time, CustodyRules};
use crate::error::AppError;

/// How far before the last run's look a filing is looked for again: a filing is stamped
/// (`recorded_at`) before its transaction commits, so one stamped just before the last run's
/// snapshot may have become visible only after it. The per-firm seq then tells new from seen.
pub const COMMIT_MARGIN_MINUTES: i64 = 10;

const PROVINCE: &str = "province";

/// One firm's row of `custody_watermarks`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = custody_watermarks)]
pub struct Watermark {
    pub firm_id: String,
    pub last_seq: i64,
    pub inputs_digest: String,
    pub recheck_at: Option<NaiveDateTime>,
}

/// The last incremental run: when it looked and under which rules.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = custody_incremental)]
pub struct Checkpoint {
    pub id: String,
    pub last_run_id: String,
    pub checked_at: NaiveDateTime,
    pub fingerprint: String,
}

/// The rules and the catalog a run judges by, as one digest: when it changes, every finding
/// may change, and the next run is a full one.
pub fn fingerprint(conn: &mut DbConnection, rules: &CustodyRules) -> Result<String, AppError> {
    let catalog: BTreeMap<String, String> = crate::chemicals::store::controls(conn, None)?
        .into_iter()
        .map(|(id, mut c)| {
            c.changes.sort();
            (id, format!("{c:?}"))
        })
        .collect();
    let rules = CustodyRules {
        as_of: DateTime::<Utc>::UNIX_EPOCH,
        ..*rules
    };
    let mut h = Sha256::new();
    h.update(format!("{rules:?}"));
    h.update(format!("{catalog:?}"));
    Ok(hex::encode(h.finalize()))
}

pub fn checkpoint(conn: &mut DbConnection) -> Result<Option<Checkpoint>, AppError> {
    Ok(custody_incremental::table
        .filter(custody_incremental::id.eq(PROVINCE))
        .select(Checkpoint::as_select())
        .first(conn)
        .optional()?)
}

pub fn watermarks(conn: &mut DbConnection) -> Result<HashMap<String, Watermark>, AppError> {
    let rows: Vec<Watermark> = custody_watermarks::table
        .select(Watermark::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|w| (w.firm_id.clone(), w)).collect())
}

/// A digest per firm of everything but the ledger that findings about it read: its name,
/// region and status history, its permits, the declarations it keeps, and the refusals of
/// shipments to or from it. Every registered firm has one.
pub fn input_digests(conn: &mut DbConnection) -> Result<HashMap<String, String>, AppError> {
    let mut lines: HashMap<String, Vec<String>> = HashMap::new();
    for (id, firm) in store::firms_of(conn, None)? {
        lines.entry(id).or_default().push(format!(
            "firm {} {:?} {:?}",
            firm.name, firm.region, firm.status_history
        ));
    }
    for mut p in store::permits_of(conn, None)? {
        p.chemical_ids.sort();
        lines
            .entry(p.firm_id.clone())
            .or_default()
            .push(format!("permit {p:?}"));
    }
    for d in store::declarations_of(conn, None)? {
        lines
            .entry(d.firm_id.clone())
            .or_default()
            .push(format!("declaration {d:?}"));
    }
    let refusals: Vec<(String, String, String, NaiveDateTime)> = shipment_refusals::table
        .select((
            shipment_refusals::dispatch_entry_id,
            shipment_refusals::seller_firm_id,
            shipment_refusals::buyer_firm_id,
            shipment_refusals::refused_at,
        ))
        .load(conn)?;
    for (dispatch, seller, buyer, at) in refusals {
        let line = format!("refusal {dispatch} {seller} {buyer} {at}");
        lines.entry(seller).or_default().push(line.clone());
        lines.entry(buyer).or_default().push(line);
    }
    Ok(lines
        .into_iter()
        .map(|(firm, mut lines)| {
            lines.sort();
            let mut h = Sha256::new();
            for l in &lines {
                h.update(l.as_bytes());
                h.update(b"\n");
            }
            (firm, hex::encode(h.finalize()))
        })
        .collect())
}

/// Ledger filings since the last look: (firm, seq, registered counterparty, reversed entry).
type Filing = (String, i64, Option<String>, Option<String>);

/// What changed since the last incremental run, and the state to keep if this run completes.
pub struct Changes {
    /// Firms whose findings may have changed.
    pub dirty: Vec<String>,
    /// Every registered firm.
    pub firms: usize,
    /// The highest seq seen per firm that filed since (the others keep theirs).
    pub heads: HashMap<String, i64>,
    pub digests: HashMap<String, String>,
    pub marks: HashMap<String, Watermark>,
}

/// The firms whose findings may have changed since `since` (the last run's look), as of `now`:
/// a firm that filed (and the registered counterparty of each new entry, and of the entry a
/// new reversal cancels), whose other inputs changed (digest), that is new, or whose re-check
/// time has come.
pub fn changes(
    conn: &mut DbConnection,
    since: NaiveDateTime,
    now: DateTime<Utc>,
) -> Result<Changes, AppError> {
    let marks = watermarks(conn)?;
    let digests = input_digests(conn)?;
    let now = time::to_db(now);
    let mut dirty: HashSet<String> = HashSet::new();
    for (firm, digest) in &digests {
        match marks.get(firm) {
            Some(m) if m.inputs_digest == *digest && m.recheck_at.is_none_or(|t| t > now) => {}
            _ => {
                dirty.insert(firm.clone());
            }
        }
    }
    let filings: Vec<Filing> = ledger_entries::table
        .filter(ledger_entries::recorded_at.gt(since - Duration::minutes(COMMIT_MARGIN_MINUTES)))
        .select((
            ledger_entries::firm_id,
            ledger_entries::seq,
            ledger_entries::counterparty_firm_id,
            ledger_entries::reverses,
        ))
        .load(conn)?;
    let mut heads: HashMap<String, i64> = HashMap::new();
    let mut reversed: Vec<(String, String)> = Vec::new();
    for (firm, seq, party, reverses) in filings {
        if marks.get(&firm).is_some_and(|m| seq <= m.last_seq) {
            continue;
        }
        let head = heads.entry(firm.clone()).or_insert(seq);
        *head = (*head).max(seq);
        dirty.extend(party);
        if let Some(target) = reverses {
            reversed.push((firm.clone(), target));
        }
        dirty.insert(firm);
    }
    // A reversal changes what the cancelled entry's other end sees.
    for (firm, target) in reversed {
        let party: Option<Option<String>> = ledger_entries::table
            .filter(ledger_entries::firm_id.eq(&firm))
            .filter(ledger_entries::id.eq(&target))
            .select(ledger_entries::counterparty_firm_id)
            .first(conn)
            .optional()?;
        dirty.extend(party.flatten());
    }
    let mut dirty: Vec<String> = dirty.into_iter().collect();
    dirty.sort_unstable();
    Ok(Changes {
        dirty,
        firms: digests.len(),
        heads,
        digests,
        marks,
    })
}

/// The highest seq of every firm with entries (after a full run).
pub fn all_heads(conn: &mut DbConnection) -> Result<HashMap<String, i64>, AppError> {
    let rows: Vec<(String, Option<i64>)> = ledger_entries::table
        .group_by(ledger_entries::firm_id)
        .select((
            ledger_entries::firm_id,
            diesel::dsl::max(ledger_entries::seq),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(f, s)| Some((f, s?)))
        .collect())
}

/// Replaces the watermarks of these firms and moves the checkpoint (inside the run's
/// transaction).
pub fn save(
    conn: &mut DbConnection,
    rows: &[Watermark],
    checkpoint: &Checkpoint,
) -> Result<(), AppError> {
    let firms: Vec<&str> = rows.iter().map(|r| r.firm_id.as_str()).collect();
    for chunk in firms.chunks(500) {
        diesel::delete(custody_watermarks::table.filter(custody_watermarks::firm_id.eq_any(chunk)))
            .execute(conn)?;
    }
    // 4 columns × 1000 rows stays below the parameter limits of both backends.
    for chunk in rows.chunks(1000) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(custody_watermarks::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(custody_watermarks::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    diesel::delete(custody_incremental::table.filter(custody_incremental::id.eq(PROVINCE)))
        .execute(conn)?;
    diesel::insert_into(custody_incremental::table)
        .values(checkpoint)
        .execute(conn)?;
    Ok(())
}

/// The checkpoint a run that looked at `checked_at` leaves.
pub fn new_checkpoint(run_id: &str, checked_at: DateTime<Utc>, fingerprint: String) -> Checkpoint {
    Checkpoint {
        id: PROVINCE.to_string(),
        last_run_id: run_id.to_string(),
        checked_at: time::to_db(checked_at),
        fingerprint,
    }
}
