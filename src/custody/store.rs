//! Loading the validator's input from the database, and keeping runs and findings.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{
    Declaration, DeclaredBy, Entry, ExternalParty, Firm, Input, Party, Permit, Refusal,
};
use super::validator::partition;
use crate::db::schema::{
    custody_finding_notes, custody_findings, custody_runs, customer_declarations,
    firm_status_changes, firms, ledger_entries, permit_chemicals, permits, shipment_refusals,
};
use crate::db::DbConnection;
use crate::domain::{time, EntryKind, FirmStatus, Payment, PermitKind, RegionCode};
use crate::error::AppError;
use crate::ledger::{chain, LedgerRow};

/// Rows per read: large enough to stream, small enough that memory holds the compact entries,
/// not the rows.
const PAGE_ROWS: i64 = 5_000;

fn bad(what: &str) -> AppError {
    AppError::internal(format!("stored {what} is invalid"))
}

/// Firms whose chain does not verify: (firm, first bad seq, the entry there if any).
type BrokenChains = Vec<(String, i64, Option<String>)>;

/// Verifies the chains of whole firms in one page of rows (firm, seq order) and converts them.
fn digest(
    rows: Vec<LedgerRow>,
    names: &mut Interner,
    entries: &mut Vec<Entry>,
    broken: &mut BrokenChains,
) -> Result<(), AppError> {
    verify_chains(&rows, broken);
    for row in rows {
        entries.push(to_entry(row, names)?);
    }
    Ok(())
}

/// Reads every entry (verifying each firm's chain on the way), firm, permit, category and
/// declaration, and the rule pack's `thresholds` (CAS number, thousandths) by chemical.
/// Reading and verifying overlap: one thread reads pages while another hashes and converts.
pub fn load_input(conn: &mut DbConnection, thresholds: &[(&str, i64)]) -> Result<Input, AppError> {
    // Every read below sees the same moment, even while firms keep filing.
    crate::db::read_snapshot(conn, |conn| load_consistent(conn, thresholds))
}

pub fn load_consistent(
    conn: &mut DbConnection,
    thresholds: &[(&str, i64)],
) -> Result<Input, AppError> {
    let (entries, broken_chains) = load_entries(conn)?;
    Ok(Input {
        entries,
        firms: load_firms(conn, None)?,
        permits: load_permits(conn, None)?,
        catalog: crate::chemicals::store::controls(conn, None)?,
        broken_chains,
        refusals: refusals(conn, None)?,
        declarations: declarations(conn, None)?,
        order_thresholds: order_thresholds(conn, thresholds)?,
    })
}

/// The rule pack's thresholds (by CAS number) as the validator reads them: by chemical id. A
/// CAS number not in the catalog is no chemical's threshold.
fn order_thresholds(
    conn: &mut DbConnection,
    thresholds: &[(&str, i64)],
) -> Result<HashMap<String, i64>, AppError> {
    if thresholds.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = crate::chemicals::store::cas_index(conn)?;
    Ok(thresholds
        .iter()
        .filter_map(|(cas, amount)| Some((ids.get(*cas)?.clone(), *amount)))
        .collect())
}

/// The input restricted to one firm, from one snapshot: its entries, the firm with its status
/// history, its permits, and every category; enough for the rules about that firm's own
/// purchases and purchase rights. Its chain is not verified (`broken_chains` stays empty).
pub fn load_firm_input(conn: &mut DbConnection, firm_id: &str) -> Result<Input, AppError> {
    crate::db::read_snapshot(conn, |conn| {
        let rows = ledger_entries::table
            .filter(ledger_entries::firm_id.eq(firm_id))
            .order(ledger_entries::seq.asc())
            .select(LedgerRow::as_select())
            .load(conn)?;
        let only = [firm_id.to_string()];
        Ok(Input {
            entries: entries_of(rows)?,
            firms: load_firms(conn, Some(&only))?,
            permits: load_permits(conn, Some(&only))?,
            catalog: crate::chemicals::store::controls(conn, None)?,
            broken_chains: vec![],
            refusals: refusals(conn, Some(firm_id))?,
            declarations: declarations(conn, Some(&only))?,
            order_thresholds: HashMap::new(),
        })
    })
}

/// The part of the province the findings about `firms` read, from one snapshot: the same
/// selection, step by step, as `validator::scope::select` (see there why each step), with the
/// chains of `firms` verified. Only `firms`' own ledgers are read whole.
pub fn load_scoped_input(
    conn: &mut DbConnection,
    firms: &[String],
    thresholds: &[(&str, i64)],
) -> Result<Input, AppError> {
    crate::db::read_snapshot(conn, |conn| load_scoped(conn, firms, thresholds))
}

/// Ledger rows gathered by several reads, each once.
#[derive(Default)]
struct Gathered {
    rows: Vec<LedgerRow>,
    ids: HashSet<String>,
}

impl Gathered {
    fn add(&mut self, rows: Vec<LedgerRow>) {
        for row in rows {
            if self.ids.insert(row.id.clone()) {
                self.rows.push(row);
            }
        }
    }
}

fn load_scoped(
    conn: &mut DbConnection,
    firms: &[String],
    thresholds: &[(&str, i64)],
) -> Result<Input, AppError> {
    let scope: HashSet<&str> = firms.iter().map(String::as_str).collect();
    let mut got = Gathered::default();
    // 1. The scope's own ledgers, whole and in seq order: their chains are verified.
    let mut broken_chains = Vec::new();
    for chunk in firms.chunks(IDS_PER_QUERY) {
        let rows: Vec<LedgerRow> = ledger_entries::table
            .filter(ledger_entries::firm_id.eq_any(chunk))
            .order((ledger_entries::firm_id.asc(), ledger_entries::seq.asc()))
            .select(LedgerRow::as_select())
            .load(conn)?;
        verify_chains(&rows, &mut broken_chains);
        got.add(rows);
    }
    // 2. Entries naming the scope.
    for chunk in firms.chunks(IDS_PER_QUERY) {
        let rows: Vec<LedgerRow> = ledger_entries::table
            .filter(ledger_entries::counterparty_firm_id.eq_any(chunk))
            .filter(ledger_entries::firm_id.ne_all(chunk))
            .select(LedgerRow::as_select())
            .load(conn)?;
        got.add(
            rows.into_iter()
                .filter(|r| !scope.contains(r.firm_id.as_str()))
                .collect(),
        );
    }
    let mut partner_chemicals: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut numbers: BTreeSet<String> = BTreeSet::new();
    for row in &got.rows {
        let naming = row
            .counterparty_firm_id
            .as_deref()
            .is_some_and(|p| scope.contains(p));
        if !scope.contains(row.firm_id.as_str()) && naming {
            partner_chemicals
                .entry(row.firm_id.clone())
                .or_default()
                .insert(row.chemical_id.clone());
        }
        if row.kind == EntryKind::Sale.as_str() {
            if let Some(n) = &row.transport_permit_no {
                numbers.insert(n.clone());
            }
        }
    }
    // 3. Balances: each partner's whole history of the chemicals it traded with the scope
    //    (read by chunks of partners, then kept by (partner, chemical)).
    let partner_ids: Vec<String> = partner_chemicals.keys().cloned().collect();
    for chunk in partner_ids.chunks(IDS_PER_QUERY) {
        let chemicals: BTreeSet<&String> = chunk
            .iter()
            .flat_map(|p| partner_chemicals.get(p).into_iter().flatten())
            .collect();
        let chemicals: Vec<&String> = chemicals.into_iter().collect();
        let rows: Vec<LedgerRow> = ledger_entries::table
            .filter(ledger_entries::firm_id.eq_any(chunk))
            .filter(ledger_entries::chemical_id.eq_any(chemicals))
            .select(LedgerRow::as_select())
            .load(conn)?;
        got.add(
            rows.into_iter()
                .filter(|r| {
                    partner_chemicals
                        .get(&r.firm_id)
                        .is_some_and(|c| c.contains(&r.chemical_id))
                })
                .collect(),
        );
    }
    // 4. Limits: partners holding a limited permit, all their purchases, and their whole
    //    traffic with each firm they refused or were refused by (returns).
    let partners: Vec<String> = partner_chemicals.keys().cloned().collect();
    let mut limited: Vec<String> = chunked(Some(&partners), |ids| {
        Ok(permits::table
            .filter(permits::firm_id.eq_any(ids.unwrap_or_default()))
            .filter(permits::quantity_limit.is_not_null())
            .select(permits::firm_id)
            .load::<String>(&mut *conn)?)
    })?;
    limited.sort_unstable();
    limited.dedup();
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    for chunk in limited.chunks(IDS_PER_QUERY) {
        let rows = ledger_entries::table
            .filter(ledger_entries::firm_id.eq_any(chunk))
            .filter(ledger_entries::kind.eq(EntryKind::Purchase.as_str()))
            .select(LedgerRow::as_select())
            .load(conn)?;
        got.add(rows);
        let refused: Vec<(String, String)> = shipment_refusals::table
            .filter(
                shipment_refusals::seller_firm_id
                    .eq_any(chunk)
                    .or(shipment_refusals::buyer_firm_id.eq_any(chunk)),
            )
            .select((
                shipment_refusals::seller_firm_id,
                shipment_refusals::buyer_firm_id,
            ))
            .load(conn)?;
        pairs.extend(refused);
    }
    for (seller, buyer) in &pairs {
        for (a, b) in [(seller, buyer), (buyer, seller)] {
            let rows = ledger_entries::table
                .filter(ledger_entries::firm_id.eq(a))
                .filter(ledger_entries::counterparty_firm_id.eq(b))
                .select(LedgerRow::as_select())
                .load(conn)?;
            got.add(rows);
        }
    }
    // 5. Transport: every sale naming a transport document the scope's sales name.
    let numbers: Vec<String> = numbers.into_iter().collect();
    for chunk in numbers.chunks(IDS_PER_QUERY) {
        let rows = ledger_entries::table
            .filter(ledger_entries::transport_permit_no.eq_any(chunk))
            .filter(ledger_entries::kind.eq(EntryKind::Sale.as_str()))
            .select(LedgerRow::as_select())
            .load(conn)?;
        got.add(rows);
    }
    // 6. The reversal of every entry kept (the scope's own are in already).
    let others: BTreeSet<String> = got
        .rows
        .iter()
        .filter(|r| !scope.contains(r.firm_id.as_str()))
        .map(|r| r.firm_id.clone())
        .collect();
    let others: Vec<String> = others.into_iter().collect();
    for chunk in others.chunks(IDS_PER_QUERY) {
        let rows: Vec<LedgerRow> = ledger_entries::table
            .filter(ledger_entries::firm_id.eq_any(chunk))
            .filter(ledger_entries::reverses.is_not_null())
            .select(LedgerRow::as_select())
            .load(conn)?;
        let ids = &got.ids;
        let reversals: Vec<LedgerRow> = rows
            .into_iter()
            .filter(|r| r.reverses.as_ref().is_some_and(|t| ids.contains(t)))
            .collect();
        got.add(reversals);
    }
    // 7. Firms, permits and declarations of every firm named; refusals about the scope and the
    //    limited partners.
    let mut named: BTreeSet<String> = firms.iter().cloned().collect();
    for row in &got.rows {
        named.insert(row.firm_id.clone());
        if let Some(p) = &row.counterparty_firm_id {
            named.insert(p.clone());
        }
    }
    let named: Vec<String> = named.into_iter().collect();
    let mut about: Vec<String> = firms.to_vec();
    about.extend(limited);
    let mut refused = Vec::new();
    for chunk in about.chunks(IDS_PER_QUERY) {
        refused.extend(refusals_about(conn, chunk)?);
    }
    refused.sort_by(|a: &Refusal, b| a.dispatch_id.cmp(&b.dispatch_id));
    refused.dedup_by(|a, b| a.dispatch_id == b.dispatch_id);
    Ok(Input {
        entries: entries_of(got.rows)?,
        firms: load_firms(conn, Some(&named))?,
        permits: load_permits(conn, Some(&named))?,
        catalog: crate::chemicals::store::controls(conn, None)?,
        broken_chains,
        refusals: refused,
        declarations: declarations(conn, Some(&named))?,
        order_thresholds: order_thresholds(conn, thresholds)?,
    })
}

/// Refusals of shipments to or from any of `firms`.
fn refusals_about(conn: &mut DbConnection, firms: &[String]) -> Result<Vec<Refusal>, AppError> {
    let rows: Vec<(String, NaiveDateTime)> = shipment_refusals::table
        .filter(
            shipment_refusals::seller_firm_id
                .eq_any(firms)
                .or(shipment_refusals::buyer_firm_id.eq_any(firms)),
        )
        .select((
            shipment_refusals::dispatch_entry_id,
            shipment_refusals::refused_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(dispatch, at)| Refusal {
            dispatch_id: dispatch.into_boxed_str(),
            refused_at: time::from_db(at),
        })
        .collect())
}

/// Verifies the chains of whole firms in rows in (firm, seq) order.
fn verify_chains(rows: &[LedgerRow], broken: &mut BrokenChains) {
    let mut start = 0;
    while start < rows.len() {
        let firm = &rows[start].firm_id;
        let end = rows[start..]
            .iter()
            .position(|r| r.firm_id != *firm)
            .map_or(rows.len(), |n| start + n);
        let mut verifier = chain::Verifier::default();
        for row in &rows[start..end] {
            verifier.push(&chain::StoredLink {
                fields: row.hashed_fields(),
                prev_hash: &row.prev_hash,
                hash: &row.hash,
            });
        }
        if let Some(seq) = verifier.finish().first_bad_seq {
            let at = rows[start..end]
                .iter()
                .find(|r| r.seq == seq)
                .map(|r| r.id.clone());
            broken.push((firm.clone(), seq, at));
        }
        start = end;
    }
}

/// Each firm with entries and how many, in id order.
fn entry_counts(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, AppError> {
    Ok(ledger_entries::table
        .group_by(ledger_entries::firm_id)
        .select((ledger_entries::firm_id, diesel::dsl::count_star()))
        .order(ledger_entries::firm_id.asc())
        .load(conn)?)
}

/// Every entry, firm by firm in seq order, with the firms whose chain does not verify.
fn load_entries(conn: &mut DbConnection) -> Result<(Vec<Entry>, BrokenChains), AppError> {
    let counts = entry_counts(conn)?;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<LedgerRow>>(1);
    let worker_result = std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let mut entries = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
            let mut broken = Vec::new();
            let mut names = Interner::default();
            for rows in rx {
                digest(rows, &mut names, &mut entries, &mut broken)?;
            }
            Ok::<_, AppError>((entries, broken))
        });
        let mut read: Result<(), AppError> = Ok(());
        for page in partition::batches(&counts, PAGE_ROWS) {
            let rows = ledger_entries::table
                .filter(ledger_entries::firm_id.eq_any(&page))
                .order((ledger_entries::firm_id.asc(), ledger_entries::seq.asc()))
                .select(LedgerRow::as_select())
                .load(conn);
            match rows {
                Ok(rows) => {
                    if tx.send(rows).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    read = Err(e.into());
                    break;
                }
            }
        }
        drop(tx);
        let digested = worker
            .join()
            .map_err(|_| AppError::internal("the verifying thread panicked"))?;
        read.and(digested)
    });
    worker_result
}

/// Own entries per batch of a streamed full run: the batch's entries, the rows they are read
/// from and its partners' entries naming it stay in the tens of MB, whatever the province.
pub const BATCH_ROWS: i64 = 25_000;

/// One batch as read: its own rows (firm, seq order, for the chains), the other rows its
/// findings read (`partition::select`), and the refusals of shipments to or from it.
struct BatchRows {
    firms: Vec<String>,
    own: Vec<LedgerRow>,
    others: Vec<LedgerRow>,
    refusals: Vec<Refusal>,
}

/// A full run's input a batch of firms at a time (`validator::partition`), in the snapshot the
/// caller holds: `each` gets a batch's part, its firms and how many of the part's entries are
/// theirs. Firms, permits, declarations and the catalog are read once and lent to every batch.
/// Reading and judging overlap: this thread reads the next batch while another verifies,
/// converts and judges the last one.
pub fn stream_consistent(
    conn: &mut DbConnection,
    thresholds: &[(&str, i64)],
    batch_rows: i64,
    mut each: impl FnMut(&Input, &[String], usize) -> Result<(), AppError> + Send,
) -> Result<(), AppError> {
    let mut meta = Input {
        firms: load_firms(conn, None)?,
        permits: load_permits(conn, None)?,
        catalog: crate::chemicals::store::controls(conn, None)?,
        declarations: declarations(conn, None)?,
        order_thresholds: order_thresholds(conn, thresholds)?,
        ..Input::default()
    };
    // Every firm, even one without entries: entries naming it tell when its findings change.
    let mut counts: BTreeMap<String, i64> = meta.firms.keys().map(|f| (f.clone(), 0)).collect();
    counts.extend(entry_counts(conn)?);
    let counts: Vec<(String, i64)> = counts.into_iter().collect();
    let (tx, rx) = std::sync::mpsc::sync_channel::<BatchRows>(1);
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            for batch in rx {
                let mut part = Input {
                    refusals: batch.refusals,
                    ..std::mem::take(&mut meta)
                };
                verify_chains(&batch.own, &mut part.broken_chains);
                let own = batch.own.len();
                part.entries = entries_of(batch.own.into_iter().chain(batch.others).collect())?;
                each(&part, &batch.firms, own)?;
                // The metadata goes back for the next batch; the entries are dropped.
                meta = Input {
                    entries: Vec::new(),
                    refusals: Vec::new(),
                    broken_chains: Vec::new(),
                    ..part
                };
            }
            Ok::<_, AppError>(())
        });
        let mut read: Result<(), AppError> = Ok(());
        for firms in partition::batches(&counts, batch_rows) {
            match read_batch(conn, firms) {
                Ok(batch) => {
                    if tx.send(batch).is_err() {
                        break; // the worker stopped on an error: it says which
                    }
                }
                Err(e) => {
                    read = Err(e);
                    break;
                }
            }
        }
        drop(tx);
        let judged = worker
            .join()
            .map_err(|_| AppError::internal("the judging thread panicked"))?;
        judged.and(read)
    })
}

/// Reads one batch's part: the same selection, step by step, as `partition::select`.
fn read_batch(conn: &mut DbConnection, firms: Vec<String>) -> Result<BatchRows, AppError> {
    let batch: HashSet<&str> = firms.iter().map(String::as_str).collect();
    let mut own = Vec::new();
    for chunk in firms.chunks(IDS_PER_QUERY) {
        own.extend(
            ledger_entries::table
                .filter(ledger_entries::firm_id.eq_any(chunk))
                .order((ledger_entries::firm_id.asc(), ledger_entries::seq.asc()))
                .select(LedgerRow::as_select())
                .load(conn)?,
        );
    }
    let mut others = Gathered::default();
    let not_ours = |rows: Vec<LedgerRow>| -> Vec<LedgerRow> {
        rows.into_iter()
            .filter(|r| !batch.contains(r.firm_id.as_str()))
            .collect()
    };
    // Entries naming the batch: the other ends of its shipments.
    for chunk in firms.chunks(IDS_PER_QUERY) {
        let rows = ledger_entries::table
            .filter(ledger_entries::counterparty_firm_id.eq_any(chunk))
            .select(LedgerRow::as_select())
            .load(conn)?;
        others.add(not_ours(rows));
    }
    // Transport: every sale naming a document that a loaded sale names.
    let numbers: BTreeSet<String> = own
        .iter()
        .chain(&others.rows)
        .filter(|r| r.kind == EntryKind::Sale.as_str())
        .filter_map(|r| r.transport_permit_no.clone())
        .filter(|n| !n.trim().is_empty())
        .collect();
    let numbers: Vec<String> = numbers.into_iter().collect();
    for chunk in numbers.chunks(IDS_PER_QUERY) {
        let rows = ledger_entries::table
            .filter(ledger_entries::transport_permit_no.eq_any(chunk))
            .filter(ledger_entries::kind.eq(EntryKind::Sale.as_str()))
            .select(LedgerRow::as_select())
            .load(conn)?;
        others.add(not_ours(rows));
    }
    others.add(reversals_of(conn, &others)?);
    let mut refusals = Vec::new();
    for chunk in firms.chunks(IDS_PER_QUERY) {
        refusals.extend(refusals_about(conn, chunk)?);
    }
    refusals.sort_by(|a: &Refusal, b| a.dispatch_id.cmp(&b.dispatch_id));
    refusals.dedup_by(|a, b| a.dispatch_id == b.dispatch_id);
    Ok(BatchRows {
        own,
        others: others.rows,
        refusals,
        firms,
    })
}

/// The reversals of gathered rows (a firm reverses only its own entries).
fn reversals_of(conn: &mut DbConnection, got: &Gathered) -> Result<Vec<LedgerRow>, AppError> {
    let owners: BTreeSet<&str> = got.rows.iter().map(|r| r.firm_id.as_str()).collect();
    let owners: Vec<&str> = owners.into_iter().collect();
    let mut out = Vec::new();
    for chunk in owners.chunks(IDS_PER_QUERY) {
        let rows: Vec<LedgerRow> = ledger_entries::table
            .filter(ledger_entries::firm_id.eq_any(chunk))
            .filter(ledger_entries::reverses.is_not_null())
            .select(LedgerRow::as_select())
            .load(conn)?;
        out.extend(
            rows.into_iter()
                .filter(|r| r.reverses.as_ref().is_some_and(|t| got.ids.contains(t))),
        );
    }
    Ok(out)
}

/// Ids per `eq_any`: well below the parameter limits of both backends.
const IDS_PER_QUERY: usize = 500;

/// Runs `load` once for all (`None`) or once per chunk of `only`, and gathers the results.
fn chunked<T>(
    only: Option<&[String]>,
    mut load: impl FnMut(Option<&[String]>) -> Result<Vec<T>, AppError>,
) -> Result<Vec<T>, AppError> {
    match only {
        None => load(None),
        Some(ids) => {
            let mut all = Vec::new();
            for chunk in ids.chunks(IDS_PER_QUERY) {
                all.extend(load(Some(chunk))?);
            }
            Ok(all)
        }
    }
}

/// Firms (all, or only `only`) with their status history, by id.
fn load_firms(
    conn: &mut DbConnection,
    only: Option<&[String]>,
) -> Result<HashMap<String, Firm>, AppError> {
    let mut firms_by_id = HashMap::new();
    let firm_rows: Vec<(String, String, String)> = chunked(only, |ids| {
        let mut firm_query = firms::table
            .select((firms::id, firms::name, firms::region_code))
            .into_boxed();
        if let Some(ids) = ids {
            firm_query = firm_query.filter(firms::id.eq_any(ids));
        }
        Ok(firm_query.load(&mut *conn)?)
    })?;
    for (id, name, region) in firm_rows {
        firms_by_id.insert(
            id.clone(),
            Firm {
                id,
                name,
                region: RegionCode::parse(&region).ok(),
                status_history: vec![],
            },
        );
    }
    let changes: Vec<(String, String, NaiveDateTime)> = chunked(only, |ids| {
        let mut change_query = firm_status_changes::table
            .order((
                firm_status_changes::changed_at.asc(),
                firm_status_changes::id.asc(),
            ))
            .select((
                firm_status_changes::firm_id,
                firm_status_changes::status,
                firm_status_changes::changed_at,
            ))
            .into_boxed();
        if let Some(ids) = ids {
            change_query = change_query.filter(firm_status_changes::firm_id.eq_any(ids));
        }
        Ok(change_query.load(&mut *conn)?)
    })?;
    for (firm_id, status, at) in changes {
        if let Some(firm) = firms_by_id.get_mut(&firm_id) {
            firm.status_history.push((
                time::from_db(at),
                FirmStatus::parse(&status).ok_or_else(|| bad("firm status"))?,
            ));
        }
    }
    Ok(firms_by_id)
}

/// Permits (of all firms, or of `only`) with the chemicals each covers.
fn load_permits(conn: &mut DbConnection, only: Option<&[String]>) -> Result<Vec<Permit>, AppError> {
    let scope: Vec<(String, String)> = chunked(only, |ids| {
        let mut scope_query = permit_chemicals::table
            .select((permit_chemicals::permit_id, permit_chemicals::chemical_id))
            .into_boxed();
        if let Some(ids) = ids {
            let of_firms = permits::table
                .filter(permits::firm_id.eq_any(ids))
                .select(permits::id);
            scope_query = scope_query.filter(permit_chemicals::permit_id.eq_any(of_firms));
        }
        Ok(scope_query.load(&mut *conn)?)
    })?;
    let mut scopes: HashMap<String, Vec<String>> = HashMap::new();
    for (permit, chemical) in scope {
        scopes.entry(permit).or_default().push(chemical);
    }
    type PermitTuple = (
        String,
        String,
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
        Option<i64>,
    );
    let permit_rows: Vec<PermitTuple> = chunked(only, |ids| {
        let mut permit_query = permits::table
            .select((
                permits::id,
                permits::firm_id,
                permits::kind,
                permits::number,
                permits::valid_from,
                permits::valid_until,
                permits::quantity_limit,
            ))
            .into_boxed();
        if let Some(ids) = ids {
            permit_query = permit_query.filter(permits::firm_id.eq_any(ids));
        }
        Ok(permit_query.load(&mut *conn)?)
    })?;
    let mut all = Vec::with_capacity(permit_rows.len());
    for (id, firm_id, kind, number, from, until, limit) in permit_rows {
        all.push(Permit {
            chemical_ids: scopes.remove(&id).unwrap_or_default(),
            id,
            firm_id,
            kind: PermitKind::parse(&kind).ok_or_else(|| bad("permit kind"))?,
            number,
            valid_from: time::from_db(from),
            valid_until: time::from_db(until),
            quantity_limit: limit,
        });
    }
    Ok(all)
}

/// Firms (all, or only these) with their status history: for the incremental run's digests.
pub fn firms_of(
    conn: &mut DbConnection,
    only: Option<&[String]>,
) -> Result<HashMap<String, Firm>, AppError> {
    load_firms(conn, only)
}

/// Permits (of all firms, or of these): for the incremental run's digests.
pub fn permits_of(
    conn: &mut DbConnection,
    only: Option<&[String]>,
) -> Result<Vec<Permit>, AppError> {
    load_permits(conn, only)
}

/// Declarations (all, or those these firms keep): for the incremental run's digests.
pub fn declarations_of(
    conn: &mut DbConnection,
    only: Option<&[String]>,
) -> Result<Vec<Declaration>, AppError> {
    declarations(conn, only)
}

/// Customers' declarations on file: all, or those some firms keep as supplier.
fn declarations(
    conn: &mut DbConnection,
    only: Option<&[String]>,
) -> Result<Vec<Declaration>, AppError> {
    type Row = (
        String,
        Option<String>,
        Option<String>,
        String,
        NaiveDateTime,
        NaiveDateTime,
    );
    let rows: Vec<Row> = chunked(only, |ids| {
        let mut query = customer_declarations::table
            .select((
                customer_declarations::firm_id,
                customer_declarations::customer_firm_id,
                customer_declarations::customer_credit_code,
                customer_declarations::chemical_id,
                customer_declarations::valid_from,
                customer_declarations::valid_until,
            ))
            .into_boxed();
        if let Some(ids) = ids {
            query = query.filter(customer_declarations::firm_id.eq_any(ids));
        }
        Ok(query.load(&mut *conn)?)
    })?;
    rows.into_iter()
        .map(
            |(firm_id, customer_firm, credit_code, chemical_id, from, until)| {
                let customer = match (customer_firm, credit_code) {
                    (Some(firm), _) => DeclaredBy::Firm(firm),
                    (None, Some(code)) => DeclaredBy::CreditCode(code),
                    (None, None) => return Err(bad("declaration customer")),
                };
                Ok(Declaration {
                    firm_id,
                    customer,
                    chemical_id,
                    valid_from: time::from_db(from),
                    valid_until: time::from_db(until),
                })
            },
        )
        .collect()
}

/// Buyers' refusals of dispatches: all, or those of shipments to or from one firm.
pub fn refusals(conn: &mut DbConnection, firm_id: Option<&str>) -> Result<Vec<Refusal>, AppError> {
    let mut query = shipment_refusals::table
        .select((
            shipment_refusals::dispatch_entry_id,
            shipment_refusals::refused_at,
        ))
        .into_boxed();
    if let Some(firm) = firm_id {
        query = query.filter(
            shipment_refusals::seller_firm_id
                .eq(firm)
                .or(shipment_refusals::buyer_firm_id.eq(firm)),
        );
    }
    let rows: Vec<(String, NaiveDateTime)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(dispatch, at)| Refusal {
            dispatch_id: dispatch.into_boxed_str(),
            refused_at: time::from_db(at),
        })
        .collect())
}

/// Shares one allocation among all entries that name the same firm, chemical or lot.
#[derive(Default)]
struct Interner(HashMap<String, Arc<str>>);

impl Interner {
    fn get(&mut self, text: String) -> Arc<str> {
        if let Some(shared) = self.0.get(&text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text.as_str());
        self.0.insert(text, shared.clone());
        shared
    }
}

/// Ledger rows as the validator sees them (no chain verification: for live views that read a
/// part of the ledger, not for a run).
pub fn entries_of(rows: Vec<LedgerRow>) -> Result<Vec<Entry>, AppError> {
    let mut names = Interner::default();
    rows.into_iter()
        .map(|row| to_entry(row, &mut names))
        .collect()
}

fn to_entry(row: LedgerRow, names: &mut Interner) -> Result<Entry, AppError> {
    let counterparty = match (
        row.counterparty_firm_id,
        row.counterparty_name,
        row.counterparty_credit_code,
        row.counterparty_permit_no,
        row.counterparty_resident_id,
    ) {
        (Some(firm), ..) => Some(Party::Registered(names.get(firm))),
        (None, None, None, None, None) => None,
        (None, name, credit_code, permit_no, resident_id) => {
            Some(Party::External(Box::new(ExternalParty {
                name,
                credit_code,
                permit_no,
                resident_id,
            })))
        }
    };
    let payment = match row.payment.as_deref() {
        None => None,
        Some(text) => Some(Payment::parse(text).ok_or_else(|| bad("payment"))?),
    };
    Ok(Entry {
        kind: EntryKind::parse(&row.kind).ok_or_else(|| bad("entry kind"))?,
        id: row.id.into_boxed_str(),
        firm_id: names.get(row.firm_id),
        seq: row.seq,
        chemical_id: names.get(row.chemical_id),
        lot: row.lot.map(|l| names.get(l)),
        quantity: row.quantity,
        occurred_at: time::from_db(row.occurred_at),
        recorded_at: time::from_db(row.recorded_at),
        counterparty,
        payment,
        shipment_ref: row.shipment_ref.map(String::into_boxed_str),
        permit_no: row.permit_no.map(String::into_boxed_str),
        transport_permit_no: row
            .transport_permit_no
            .filter(|t| !t.trim().is_empty())
            .map(String::into_boxed_str),
        has_note: row.note.is_some_and(|n| !n.trim().is_empty()),
        reverses: row.reverses.map(String::into_boxed_str),
    })
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = custody_runs)]
pub struct RunRow {
    pub id: String,
    pub firm_id: Option<String>,
    pub as_of: NaiveDateTime,
    pub run_by: String,
    pub started_at: NaiveDateTime,
    pub duration_ms: i64,
    pub entries_checked: i64,
    pub findings_by_code: String,
    pub new_findings: i64,
    pub resolved_findings: i64,
    /// The rule pack judged by (`cn@2026.1`); absent for runs before rule packs.
    pub rule_pack: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = custody_findings, treat_none_as_default_value = false)]
pub struct FindingRow {
    pub id: String,
    pub identity: String,
    pub code: String,
    pub severity: String,
    pub status: String,
    pub firm_id: String,
    pub counterparty_firm_id: Option<String>,
    pub chemical_id: Option<String>,
    pub lot: Option<String>,
    pub quantity: Option<i64>,
    pub entry_ids: String,
    pub counterparty_entry_ids: String,
    pub message_zh: String,
    pub message_en: String,
    pub first_seen_at: NaiveDateTime,
    pub first_seen_run: String,
    pub last_seen_run: String,
    pub resolved_by_run: Option<String>,
    pub updated_at: NaiveDateTime,
}

pub fn insert_run(conn: &mut DbConnection, row: &RunRow) -> Result<(), AppError> {
    diesel::insert_into(custody_runs::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn insert_findings(conn: &mut DbConnection, rows: &[FindingRow]) -> Result<(), AppError> {
    // 19 columns × 1000 rows stays below the parameter limits of both backends.
    for chunk in rows.chunks(1000) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(custody_findings::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(custody_findings::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}

/// Findings a run may update: every finding about the scoped firms (or all findings).
pub fn findings_in_scope(
    conn: &mut DbConnection,
    firms: Option<&[String]>,
) -> Result<Vec<FindingRow>, AppError> {
    let mut rows: Vec<FindingRow> = chunked(firms, |ids| {
        let mut query = custody_findings::table
            .select(FindingRow::as_select())
            .into_boxed();
        if let Some(ids) = ids {
            query = query.filter(
                custody_findings::firm_id
                    .eq_any(ids)
                    .or(custody_findings::counterparty_firm_id.eq_any(ids)),
            );
        }
        Ok(query.load(&mut *conn)?)
    })?;
    // A finding between two firms of different chunks is read twice.
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    rows.dedup_by(|a, b| a.id == b.id);
    Ok(rows)
}

pub fn mark_seen(conn: &mut DbConnection, ids: &[String], run_id: &str) -> Result<(), AppError> {
    for chunk in ids.chunks(1000) {
        diesel::update(custody_findings::table.filter(custody_findings::id.eq_any(chunk)))
            .set(custody_findings::last_seen_run.eq(run_id))
            .execute(conn)?;
    }
    Ok(())
}

pub fn set_status(
    conn: &mut DbConnection,
    ids: &[String],
    status: &str,
    resolved_by_run: Option<&str>,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    for chunk in ids.chunks(1000) {
        diesel::update(custody_findings::table.filter(custody_findings::id.eq_any(chunk)))
            .set((
                custody_findings::status.eq(status),
                custody_findings::resolved_by_run.eq(resolved_by_run),
                custody_findings::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub struct Note<'a> {
    pub finding_id: &'a str,
    pub action: &'a str,
    pub text: Option<&'a str>,
    pub by_user: Option<String>,
    pub run_id: Option<&'a str>,
    pub at: NaiveDateTime,
}

pub fn add_notes(conn: &mut DbConnection, notes: &[Note<'_>]) -> Result<(), AppError> {
    for note in notes {
        diesel::insert_into(custody_finding_notes::table)
            .values((
                custody_finding_notes::id.eq(uuid::Uuid::now_v7().to_string()),
                custody_finding_notes::finding_id.eq(note.finding_id),
                custody_finding_notes::action.eq(note.action),
                custody_finding_notes::text.eq(note.text),
                custody_finding_notes::by_user.eq(note.by_user.as_deref()),
                custody_finding_notes::run_id.eq(note.run_id),
                custody_finding_notes::at.eq(note.at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<FindingRow>, AppError> {
    Ok(custody_findings::table
        .filter(custody_findings::id.eq(id))
        .select(FindingRow::as_select())
        .first(conn)
        .optional()?)
}

/// (action, text, by_user, at) of one note.
pub type NoteRow = (String, Option<String>, Option<String>, NaiveDateTime);

/// The notes of a finding, oldest first.
pub fn notes(conn: &mut DbConnection, finding_id: &str) -> Result<Vec<NoteRow>, AppError> {
    Ok(custody_finding_notes::table
        .filter(custody_finding_notes::finding_id.eq(finding_id))
        .order((
            custody_finding_notes::at.asc(),
            custody_finding_notes::id.asc(),
        ))
        .select((
            custody_finding_notes::action,
            custody_finding_notes::text,
            custody_finding_notes::by_user,
            custody_finding_notes::at,
        ))
        .load(conn)?)
}

#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// Findings about this firm, as the finding's firm or its counterparty.
    pub firm_id: Option<String>,
    pub code: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
}

/// Narrows a boxed query of findings to those `filter` keeps: one definition of what each filter
/// means, for the list and for its counts.
macro_rules! matching {
    ($query:expr, $filter:expr) => {{
        let (mut query, filter): (_, &FindingFilter) = ($query, $filter);
        if let Some(firm) = &filter.firm_id {
            query = query.filter(
                custody_findings::firm_id
                    .eq(firm.clone())
                    .or(custody_findings::counterparty_firm_id.eq(firm.clone())),
            );
        }
        if let Some(code) = &filter.code {
            query = query.filter(custody_findings::code.eq(code.clone()));
        }
        if let Some(severity) = &filter.severity {
            query = query.filter(custody_findings::severity.eq(severity.clone()));
        }
        if let Some(status) = &filter.status {
            query = query.filter(custody_findings::status.eq(status.clone()));
        }
        query
    }};
}

pub fn list(
    conn: &mut DbConnection,
    filter: &FindingFilter,
    after: &str,
    limit: i64,
) -> Result<Vec<FindingRow>, AppError> {
    let query = custody_findings::table
        .filter(custody_findings::id.gt(after.to_string()))
        .order(custody_findings::id.asc())
        .limit(limit)
        .select(FindingRow::as_select())
        .into_boxed();
    Ok(matching!(query, filter).load(conn)?)
}

/// How many findings `filter` keeps, by (severity, code): counted by the database.
pub fn count_by_severity_and_code(
    conn: &mut DbConnection,
    filter: &FindingFilter,
) -> Result<Vec<(String, String, i64)>, AppError> {
    let query = custody_findings::table
        .group_by((custody_findings::severity, custody_findings::code))
        .select((
            custody_findings::severity,
            custody_findings::code,
            diesel::dsl::count_star(),
        ))
        .into_boxed();
    Ok(matching!(query, filter).load(conn)?)
}

pub fn firm_names(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, String>, AppError> {
    let rows: Vec<(String, String)> = firms::table
        .filter(firms::id.eq_any(ids))
        .select((firms::id, firms::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Runs newest first, after the run `before` (a page of the list), at most `limit`.
pub fn recent_runs(
    conn: &mut DbConnection,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<RunRow>, AppError> {
    let mut query = custody_runs::table
        .order(custody_runs::id.desc())
        .limit(limit)
        .select(RunRow::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(custody_runs::id.lt(before.to_string()));
    }
    Ok(query.load(conn)?)
}

pub fn find_run(conn: &mut DbConnection, id: &str) -> Result<Option<RunRow>, AppError> {
    Ok(custody_runs::table
        .filter(custody_runs::id.eq(id))
        .select(RunRow::as_select())
        .first(conn)
        .optional()?)
}
