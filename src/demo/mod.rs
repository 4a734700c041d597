//! A demo province: fills an empty (migrated, seeded) registry with the firms of Ningde's nine
//! county-level regions, their permits, and months of hash-chained ledger traffic that obeys
//! every custody rule — plus exactly one documented gap of each custody finding code.
//!
//! The same seed gives the same firms, names, codes, permits, quantities and times (ids are
//! UUID v7 and differ between runs; account passwords are random). How it works:
//! [`plan`] draws the roster and who supplies whom, [`sim`] runs the traffic day by day from
//! the stock on hand, [`inject`] adds the gaps; `accounts` creates the sign-ins, `chain` turns
//! the events into hash-chained ledger rows and `store` writes it all.

mod accounts;
mod chain;
pub mod inject;
pub mod plan;
pub mod rng;
pub mod sim;
mod store;
pub mod supervision;
pub mod world;

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use uuid::Uuid;

use crate::db::DbConnection;
use crate::domain::Role;
use crate::error::AppError;
use crate::paging::Page;
use accounts::{account, enterprise_sign_ins};
use inject::GapPlan;
use plan::Plan;
use rng::Rng;
use sim::Sim;

/// Ningde's administrative code (宁德市), the default seed.
pub const DEFAULT_SEED: u64 = 350_900;
/// The most firms a demo may have (about 460 entries per firm and year are held in memory).
pub const MAX_FIRMS: usize = 10_000;
/// Ningde keeps China Standard Time: business days are counted in local dates.
const UTC_OFFSET_HOURS: i64 = 8;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Firms in the province (at least [`plan::MIN_FIRMS`]); default 421.
    pub firms: usize,
    /// Months of ledger traffic ending at `end` (1–120); default 12.
    pub months: u32,
    pub seed: u64,
    /// The last day of traffic; callers pass now.
    pub end: DateTime<Utc>,
    /// Store one entry whose hash does not match it (a CHAIN_BROKEN gap).
    pub break_one_chain: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            firms: 421,
            months: 12,
            seed: DEFAULT_SEED,
            end: Utc::now(),
            break_one_chain: false,
        }
    }
}

/// A sign-in created for the demo; the password is random and shown only here.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub password: String,
    pub firm_id: Option<Uuid>,
}

/// A custody gap put in on purpose: the finding code it should produce, the firm it is
/// recorded against and the entries concerned.
#[derive(Debug, Clone)]
pub struct InjectedGap {
    pub code: &'static str,
    pub firm_id: Uuid,
    pub entry_ids: Vec<Uuid>,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct DemoReport {
    pub accounts: Vec<DemoAccount>,
    pub firms: usize,
    pub permits: usize,
    pub entries: usize,
    pub injected: Vec<InjectedGap>,
}

struct Window {
    first_day: NaiveDate,
    days: u32,
    end_secs: i64,
}

fn window(options: &DemoOptions) -> Result<Window, AppError> {
    let local = |t: DateTime<Utc>| (t + chrono::Duration::hours(UTC_OFFSET_HOURS)).date_naive();
    let start = options
        .end
        .checked_sub_months(Months::new(options.months))
        .ok_or_else(|| AppError::field("end", "out_of_range", "is too early"))?;
    let first_day = local(start);
    let last_day = local(options.end) - Days::new(1);
    let days = (last_day - first_day).num_days() + 1;
    if days < i64::from(inject::SPAN_DAYS) + 1 {
        return Err(AppError::field(
            "months",
            "out_of_range",
            "the period is too short",
        ));
    }
    Ok(Window {
        first_day,
        days: days as u32,
        end_secs: options.end.timestamp(),
    })
}

fn validate(options: &DemoOptions) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if !(plan::MIN_FIRMS..=MAX_FIRMS).contains(&options.firms) {
        errors.push(crate::error::FieldError::new(
            "firms",
            "out_of_range",
            format!("must be {}–{MAX_FIRMS}", plan::MIN_FIRMS),
        ));
    }
    if !(1..=120).contains(&options.months) {
        errors.push(crate::error::FieldError::new(
            "months",
            "out_of_range",
            "must be 1–120",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Fills an empty registry with the demo province. Refuses (`409 demo_not_empty`) when any
/// firm is registered. Not one transaction: accounts, then firms and permits, then the ledger
/// in chunks; a failure leaves a partial province behind (and a retry is refused).
pub fn generate(conn: &mut DbConnection, options: &DemoOptions) -> Result<DemoReport, AppError> {
    validate(options)?;
    let window = window(options)?;
    refuse_unless_empty(conn)?;
    let catalog = store::catalog(conn)?;

    let mut master = Rng::new(options.seed);
    let mut roster_rng = master.fork(1);
    let sim_rng = master.fork(2);
    let plan = plan::build(&mut roster_rng, options.firms, &catalog, window.first_day)
        .map_err(AppError::internal)?;
    let mut sim = Sim::new(
        &plan,
        sim_rng,
        window.first_day,
        window.days,
        window.end_secs,
    );
    sim.run();
    let gaps = inject::inject(&mut sim, options.break_one_chain).map_err(AppError::internal)?;

    let (regulator, regulator_id) = account(conn, "demo.regulator", Role::Regulator, None)?;
    let mut accounts = vec![regulator];
    accounts.push(account(conn, "demo.association", Role::Association, None)?.0);
    store::roster(conn, &plan, &window, regulator_id)?;
    let recorded_by = enterprise_sign_ins(conn, &plan, &sim, &gaps, regulator_id, &mut accounts)?;
    let (entries, ids) = store::ledger(conn, &mut sim, window.first_day, &recorded_by, &gaps)?;
    Ok(DemoReport {
        accounts,
        firms: plan.firms.len(),
        permits: plan.permits.len(),
        entries,
        injected: injected(&plan, &gaps, &ids)?,
    })
}

/// Whether any firm is registered: demo data goes only into a registry without firms.
pub fn has_firms(conn: &mut DbConnection) -> Result<bool, AppError> {
    let any_firm = crate::firms::store::list(
        conn,
        Page {
            limit: 1,
            after: None,
        },
    )?;
    Ok(!any_firm.is_empty())
}

fn refuse_unless_empty(conn: &mut DbConnection) -> Result<(), AppError> {
    if has_firms(conn)? {
        return Err(AppError::conflict(
            "demo_not_empty",
            "the registry already has firms; demo data goes only into an empty registry",
        ));
    }
    Ok(())
}

/// The gaps as reported, with the stored ids of their entries.
fn injected(
    plan: &Plan,
    gaps: &[GapPlan],
    ids: &chain::EntryIds,
) -> Result<Vec<InjectedGap>, AppError> {
    gaps.iter()
        .map(|g| {
            let entry_ids = g
                .entries
                .iter()
                .map(|e| {
                    ids.get(e)
                        .copied()
                        .ok_or_else(|| AppError::internal(format!("{} entry not stored", g.code)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(InjectedGap {
                code: g.code,
                firm_id: plan.firms[g.firm as usize].id,
                entry_ids,
                description: g.description.clone(),
            })
        })
        .collect()
}
