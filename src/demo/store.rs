//! What the demo reads from the registry (the chemical catalog) and how it writes the
//! province in: firms and permits in one transaction, then the ledger in chunks.

use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate, NaiveDateTime};
use uuid::Uuid;

use super::chain::{Chainer, EntryIds};
use super::inject::GapPlan;
use super::options::{Window, UTC_OFFSET_HOURS};
use super::plan::{self, Plan};
use super::sim::Sim;
use super::world;
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;
use crate::firms::store::FirmRow;
use crate::ledger::store::LedgerRow;
use crate::permits::store::PermitRow;

/// Ledger rows written per transaction (one COPY on PostgreSQL).
const ROWS_PER_TRANSACTION: usize = 20_000;

/// The catalog's chemicals that have a CAS number and a category, by CAS.
pub(super) fn catalog(conn: &mut DbConnection) -> Result<Vec<plan::CatalogEntry>, AppError> {
    let names = crate::chemicals::store::names(conn)?;
    let ids: Vec<String> = names.keys().cloned().collect();
    let categories: HashMap<String, i32> = crate::ledger::store::chemical_categories(conn, &ids)?
        .into_iter()
        .collect();
    let mut entries: Vec<plan::CatalogEntry> = names
        .into_iter()
        .filter_map(|(id, (cas, name))| {
            let category = u8::try_from(*categories.get(&id)?).ok()?;
            Some(plan::CatalogEntry {
                cas: cas?,
                id,
                name,
                category,
            })
        })
        .collect();
    entries.sort_by(|a, b| a.cas.cmp(&b.cas));
    Ok(entries)
}

/// Local midnight of `date` as stored (UTC).
fn local_midnight(date: NaiveDate) -> Result<NaiveDateTime, AppError> {
    let midnight = date
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| AppError::internal("bad date"))?;
    Ok(midnight - chrono::Duration::hours(UTC_OFFSET_HOURS))
}

fn firm_rows(plan: &Plan, first_day: NaiveDate) -> Result<Vec<FirmRow>, AppError> {
    plan.firms
        .iter()
        .map(|f| {
            let registered =
                local_midnight(first_day - Days::new(f.registered_days_before as u64))?
                    + chrono::Duration::minutes(9 * 60 + 30);
            Ok(FirmRow::registered(
                f.id,
                f.name.clone(),
                f.credit_code.clone(),
                world::REGIONS[f.region].code.to_string(),
                f.address.clone(),
                &f.activities,
                registered,
            ))
        })
        .collect()
}

fn permit_rows(
    plan: &Plan,
    window: &Window,
    regulator: Uuid,
) -> Result<Vec<(PermitRow, Vec<String>)>, AppError> {
    plan.permits
        .iter()
        .map(|p| {
            let from = local_midnight(window.first_day - Days::new(p.days_before as u64))?;
            let until = local_midnight(
                window.first_day + Days::new(u64::from(window.days) + p.days_after as u64),
            )?;
            let chems = p
                .chems
                .iter()
                .map(|&c| plan.chems[usize::from(c)].id.clone())
                .collect();
            Ok((
                PermitRow {
                    id: Uuid::now_v7().to_string(),
                    firm_id: plan.firms[p.firm as usize].id.to_string(),
                    kind: p.kind.as_str().to_string(),
                    number: p.number.clone(),
                    quantity_limit: p.limit,
                    valid_from: from,
                    valid_until: until,
                    created_by: regulator.to_string(),
                    created_at: from,
                },
                chems,
            ))
        })
        .collect()
}

/// The firms and their permits (issued by `regulator`), in one transaction.
pub(super) fn roster(
    conn: &mut DbConnection,
    plan: &Plan,
    window: &Window,
    regulator: Uuid,
) -> Result<(), AppError> {
    let firms = firm_rows(plan, window.first_day)?;
    let permits = permit_rows(plan, window, regulator)?;
    write_tx(conn, |conn| {
        for firm in &firms {
            crate::firms::store::insert(conn, firm)?;
        }
        for (permit, chems) in &permits {
            crate::permits::store::insert(conn, permit, chems)?;
        }
        Ok(())
    })
}

/// The simulated entries (taken out of `sim`), firm by firm, each recorded by the user at its
/// index in `recorded_by`. Returns how many were written and the ids of those the gaps concern.
pub(super) fn ledger(
    conn: &mut DbConnection,
    sim: &mut Sim<'_>,
    first_day: NaiveDate,
    recorded_by: &[String],
    gaps: &[GapPlan],
) -> Result<(usize, EntryIds), AppError> {
    let wanted: HashSet<(u32, u32)> = gaps
        .iter()
        .flat_map(|g| g.entries.iter().copied())
        .collect();
    let lots = std::mem::take(&mut sim.lots);
    let mut chainer = Chainer {
        plan: sim.plan,
        lots: &lots,
        first_day,
        wanted: &wanted,
        ids: HashMap::new(),
    };
    let mut entries = 0;
    let mut pending: Vec<LedgerRow> = Vec::new();
    for (f, recorder) in recorded_by.iter().enumerate() {
        let events = std::mem::take(&mut sim.events[f]);
        let rows = chainer.rows(f as u32, events, recorder)?;
        entries += rows.len();
        pending.extend(rows);
        if pending.len() >= ROWS_PER_TRANSACTION {
            write_tx(conn, |conn| {
                crate::ledger::store::insert_bulk(conn, &pending)
            })?;
            pending.clear();
        }
    }
    if !pending.is_empty() {
        write_tx(conn, |conn| {
            crate::ledger::store::insert_bulk(conn, &pending)
        })?;
    }
    Ok((entries, chainer.ids))
}
