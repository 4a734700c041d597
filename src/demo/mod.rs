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
mod options;
pub mod plan;
mod report;
pub mod rng;
pub mod sim;
mod store;
pub mod supervision;
pub mod world;

use crate::db::DbConnection;
use crate::domain::Role;
use crate::error::AppError;
use crate::paging::Page;
use accounts::{account, enterprise_sign_ins};
use inject::GapPlan;
use options::{validate, window};
pub use options::{DemoOptions, DEFAULT_SEED, MAX_COUNTRY_FIRMS, MAX_FIRMS};
use plan::Plan;
pub use report::{DemoAccount, DemoReport, InjectedGap};
use rng::Rng;
use sim::Sim;

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
    province(conn, options, &window, &plan, sim_rng)
}

/// Simulates and stores the demo province of `plan`: its traffic, the documented gaps, the
/// sign-ins.
fn province(
    conn: &mut DbConnection,
    options: &DemoOptions,
    window: &options::Window,
    plan: &Plan,
    sim_rng: Rng,
) -> Result<DemoReport, AppError> {
    let mut sim = Sim::new(
        plan,
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
    store::roster(conn, plan, window, regulator_id)?;
    let recorded_by = enterprise_sign_ins(conn, plan, &sim, &gaps, regulator_id, &mut accounts)?;
    let (entries, ids) = store::ledger(conn, &mut sim, window.first_day, &recorded_by, &gaps)?;
    Ok(DemoReport {
        accounts,
        firms: plan.firms.len(),
        permits: plan.permits.len(),
        entries,
        injected: injected(plan, &gaps, &ids)?,
    })
}

/// How far a country's generation has come: firms and entries written so far, of `firms`.
#[derive(Debug, Clone, Copy)]
pub struct CountryProgress {
    pub firms_done: usize,
    pub firms: usize,
    pub entries: usize,
}

/// Fills an empty registry with a country: `options.firms` firms (up to
/// [`MAX_COUNTRY_FIRMS`]) generated as provinces of at most `province_firms` firms each, one
/// after the other, so memory holds one province's traffic, never the country's. The first
/// province is a demo province as [`generate`] makes it (sign-ins, the documented gaps); the
/// others trade only among themselves and with outside parties, are recorded by the demo
/// regulator and carry no gaps. The report counts the whole country. Called with each
/// province written.
pub fn generate_country(
    conn: &mut DbConnection,
    options: &DemoOptions,
    province_firms: usize,
    progress: &mut dyn FnMut(CountryProgress),
) -> Result<DemoReport, AppError> {
    options::validate_country(options, province_firms)?;
    let window = window(options)?;
    refuse_unless_empty(conn)?;
    let catalog = store::catalog(conn)?;
    let provinces = options.firms.div_ceil(province_firms);
    let size = |k: usize| options.firms / provinces + usize::from(k < options.firms % provinces);

    let mut master = Rng::new(options.seed);
    let mut taken = std::collections::HashSet::new();
    let mut report = first_province(
        conn,
        options,
        &window,
        &catalog,
        size(0),
        &mut master,
        &mut taken,
    )?;
    progress(CountryProgress {
        firms_done: report.firms,
        firms: options.firms,
        entries: report.entries,
    });
    let regulator_id = crate::users::store::find_by_username(conn, "demo.regulator")?
        .ok_or_else(|| AppError::internal("the demo regulator is missing"))?
        .id
        .parse::<uuid::Uuid>()
        .map_err(|_| AppError::internal("the demo regulator's id is not a UUID"))?;
    for k in 1..provinces {
        let mut roster_rng = master.fork(1000 + 2 * k as u64);
        let sim_rng = master.fork(1001 + 2 * k as u64);
        let mut plan = plan::build(&mut roster_rng, size(k), &catalog, window.first_day)
            .map_err(AppError::internal)?;
        plan::join_country(
            &mut plan,
            &mut roster_rng,
            k as u32,
            report.firms as u32,
            &mut taken,
        );
        let mut sim = Sim::new(
            &plan,
            sim_rng,
            window.first_day,
            window.days,
            window.end_secs,
        );
        sim.run();
        store::roster(conn, &plan, &window, regulator_id)?;
        let recorded_by = vec![regulator_id.to_string(); plan.firms.len()];
        let (entries, _) = store::ledger(conn, &mut sim, window.first_day, &recorded_by, &[])?;
        report.firms += plan.firms.len();
        report.permits += plan.permits.len();
        report.entries += entries;
        progress(CountryProgress {
            firms_done: report.firms,
            firms: options.firms,
            entries: report.entries,
        });
    }
    Ok(report)
}

/// The first province of a country: the demo province of `firms` firms, its credit codes
/// `taken`.
fn first_province(
    conn: &mut DbConnection,
    options: &DemoOptions,
    window: &options::Window,
    catalog: &[plan::CatalogEntry],
    firms: usize,
    master: &mut Rng,
    taken: &mut std::collections::HashSet<String>,
) -> Result<DemoReport, AppError> {
    let mut roster_rng = master.fork(1);
    let sim_rng = master.fork(2);
    let mut plan = plan::build(&mut roster_rng, firms, catalog, window.first_day)
        .map_err(AppError::internal)?;
    plan::join_country(&mut plan, &mut roster_rng, 0, 0, taken);
    province(conn, options, window, &plan, sim_rng)
}

/// Whether any firm is registered: demo data goes only into a registry without firms.
pub fn has_firms(conn: &mut DbConnection) -> Result<bool, AppError> {
    let any_firm = crate::firms::store::list(
        conn,
        Page {
            limit: 1,
            after: None,
        },
        &Default::default(),
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
