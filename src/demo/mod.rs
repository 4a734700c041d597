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
pub use options::{DemoOptions, DEFAULT_SEED, MAX_FIRMS};
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
