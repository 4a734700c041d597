//! The demo's sign-ins: the regulator, the association, and enterprise users for a few firms
//! that matter. Passwords are random (not from the seed) and shown only once.

use std::collections::HashSet;

use uuid::Uuid;

use super::inject::GapPlan;
use super::plan::{FirmKind, Plan};
use super::report::DemoAccount;
use super::rng::Rng;
use super::sim::Sim;
use super::world;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::error::AppError;
use crate::users::{self, NewUser};

/// A readable random password (`amber-harbor-lotus-47`).
fn password() -> Result<String, AppError> {
    let mut seed = [0_u8; 8];
    getrandom::fill(&mut seed).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    let mut rng = Rng::new(u64::from_le_bytes(seed));
    let words: Vec<&str> = (0..3)
        .filter_map(|_| rng.pick(world::PASSWORD_WORDS).copied())
        .collect();
    Ok(format!("{}-{:02}", words.join("-"), rng.below(100)))
}

/// Creates a sign-in; returns it and its user id.
pub(super) fn account(
    conn: &mut DbConnection,
    username: &str,
    role: Role,
    firm_id: Option<Uuid>,
) -> Result<(DemoAccount, Uuid), AppError> {
    let password = password()?;
    let user = users::create_account(
        conn,
        NewUser {
            username: username.to_string(),
            password: password.clone(),
            role,
            firm_id,
        },
    )?;
    Ok((
        DemoAccount {
            username: user.username,
            role,
            password,
            firm_id,
        },
        user.id,
    ))
}

/// Gives a few firms a sign-in (added to `accounts`). Returns who records each firm's entries:
/// its sign-in, or else the regulator (as if it had keyed in the firm's paper ledger).
pub(super) fn enterprise_sign_ins(
    conn: &mut DbConnection,
    plan: &Plan,
    sim: &Sim<'_>,
    gaps: &[GapPlan],
    regulator: Uuid,
    accounts: &mut Vec<DemoAccount>,
) -> Result<Vec<String>, AppError> {
    let mut recorded_by: Vec<String> = vec![regulator.to_string(); plan.firms.len()];
    for (username, firm) in enterprise_firms(plan, sim, gaps) {
        let (acct, id) = account(
            conn,
            username,
            Role::Enterprise,
            Some(plan.firms[firm as usize].id),
        )?;
        recorded_by[firm as usize] = id.to_string();
        accounts.push(acct);
    }
    Ok(recorded_by)
}

/// Who gets an enterprise sign-in: the producer at the centre of the documented gaps, the
/// busiest trader, the busiest user without gaps, and a user with a negative balance.
fn enterprise_firms(plan: &Plan, sim: &Sim<'_>, gaps: &[GapPlan]) -> Vec<(&'static str, u32)> {
    let concerned: HashSet<u32> = gaps
        .iter()
        .flat_map(|g| g.entries.iter().map(|e| e.0).chain([g.firm]))
        .collect();
    let busiest = |kind: FirmKind, clean: bool| {
        plan.firms_of(kind)
            .filter(|f| !clean || !concerned.contains(f))
            .max_by_key(|&f| (sim.events[f as usize].len(), std::cmp::Reverse(f)))
    };
    let mut out = Vec::new();
    if let Some(p) = plan.firms_of(FirmKind::Producer).next() {
        out.push(("demo.producer", p));
    }
    if let Some(t) = busiest(FirmKind::Trader, false) {
        out.push(("demo.trader", t));
    }
    if let Some(u) = busiest(FirmKind::User, true) {
        out.push(("demo.user", u));
    }
    if let Some(g) = gaps.iter().find(|g| g.code == "NEGATIVE_BALANCE") {
        if !out.iter().any(|(_, f)| *f == g.firm) {
            out.push(("demo.user2", g.firm));
        }
    }
    out
}
