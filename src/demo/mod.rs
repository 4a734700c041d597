//! A demo province: fills an empty (migrated, seeded) registry with the firms of Ningde's nine
//! county-level regions, their permits, and months of hash-chained ledger traffic that obeys
//! every custody rule — plus exactly one documented gap of each custody finding code.
//!
//! The same seed gives the same firms, names, codes, permits, quantities and times (ids are
//! UUID v7 and differ between runs; account passwords are random). How it works:
//! [`plan`] draws the roster and who supplies whom, [`sim`] runs the traffic day by day from
//! the stock on hand, [`inject`] adds the gaps, and this module stores it all.

pub mod inject;
pub mod plan;
pub mod rng;
pub mod sim;
pub mod supervision;
pub mod world;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Days, Months, NaiveDate, NaiveDateTime, Utc};
use uuid::Uuid;

use crate::db::{write_tx, DbConnection};
use crate::domain::{FirmStatus, Role};
use crate::error::AppError;
use crate::firms::store::FirmRow;
use crate::ledger::chain::{entry_hash, GENESIS};
use crate::ledger::store::LedgerRow;
use crate::paging::Page;
use crate::permits::store::PermitRow;
use crate::users::{self, NewUser};
use plan::{FirmKind, Plan};
use rng::Rng;
use sim::{Ev, Party, Sim, NO_LOT};

/// Ningde's administrative code (宁德市), the default seed.
pub const DEFAULT_SEED: u64 = 350_900;
/// The most firms a demo may have (about 460 entries per firm and year are held in memory).
pub const MAX_FIRMS: usize = 10_000;
/// Ledger rows written per transaction.
const ROWS_PER_TRANSACTION: usize = 5000;
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

fn catalog(conn: &mut DbConnection) -> Result<Vec<plan::CatalogEntry>, AppError> {
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

fn account(
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

fn utc(secs: i64) -> Result<NaiveDateTime, AppError> {
    DateTime::from_timestamp(secs, 0)
        .map(|t| t.naive_utc())
        .ok_or_else(|| AppError::internal(format!("time {secs} out of range")))
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
            Ok(FirmRow {
                id: f.id.to_string(),
                name: f.name.clone(),
                credit_code: f.credit_code.clone(),
                region_code: world::REGIONS[f.region].code.to_string(),
                address: f.address.clone(),
                activities: f
                    .activities
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                status: FirmStatus::Active.as_str().to_string(),
                status_reason: None,
                created_at: registered,
                updated_at: registered,
            })
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

/// Chains one firm's entries: sorted by (occurred_at, generation order), seq 1.., ids UUID v7.
struct Chainer<'a> {
    plan: &'a Plan,
    lots: &'a [String],
    first_day: NaiveDate,
    wanted: &'a HashSet<(u32, u32)>,
    ids: HashMap<(u32, u32), Uuid>,
}

impl Chainer<'_> {
    fn rows(
        &mut self,
        firm_index: u32,
        mut events: Vec<Ev>,
        recorded_by: &str,
    ) -> Result<Vec<LedgerRow>, AppError> {
        let plan = self.plan;
        let firm = &plan.firms[firm_index as usize];
        let firm_id = firm.id.to_string();
        events.sort_by_key(|e| (e.at, e.gen));
        let targets: HashSet<u32> = events.iter().filter_map(|e| e.reverses).collect();
        let mut target_ids: HashMap<u32, String> = HashMap::new();
        let mut prev = GENESIS;
        let mut rows = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            let id = Uuid::now_v7();
            if self.wanted.contains(&(firm_index, e.gen)) {
                self.ids.insert((firm_index, e.gen), id);
            }
            let id = id.to_string();
            if targets.contains(&e.gen) {
                target_ids.insert(e.gen, id.clone());
            }
            let chem = &plan.chems[usize::from(e.chem)];
            let (cp_firm, cp_name, cp_code, cp_permit) = match e.party {
                Party::None => (None, None, None, None),
                Party::Firm(f) => (
                    Some(plan.firms[f as usize].id.to_string()),
                    None,
                    None,
                    None,
                ),
                Party::Outside { party, with_permit } => {
                    let o = &plan.outside[usize::from(party)];
                    (
                        None,
                        Some(o.name.to_string()),
                        Some(o.credit_code.clone()),
                        with_permit.then(|| o.permit_no.to_string()),
                    )
                }
            };
            let permit_no = if e.purchase_doc {
                firm.purchase_docs[usize::from(chem.category.clamp(1, 3) - 1)]
                    .map(|p| plan.permits[p].number.clone())
            } else {
                None
            };
            let reverses =
                match e.reverses {
                    None => None,
                    Some(target) => Some(target_ids.get(&target).cloned().ok_or_else(|| {
                        AppError::internal("a demo reversal precedes its target")
                    })?),
                };
            let is_reversal = reverses.is_some();
            let mut row = LedgerRow {
                firm_id: firm_id.clone(),
                seq: i as i64 + 1,
                id,
                kind: e.kind.as_str().to_string(),
                chemical_id: chem.id.clone(),
                lot: (e.lot != NO_LOT).then(|| self.lots[e.lot as usize].clone()),
                quantity: e.qty,
                occurred_at: utc(e.at)?,
                recorded_at: utc(e.at + i64::from(e.delay))?,
                recorded_by: recorded_by.to_string(),
                counterparty_firm_id: cp_firm,
                counterparty_name: cp_name,
                counterparty_credit_code: cp_code,
                counterparty_permit_no: cp_permit,
                shipment_ref: e.ship.map(|s| sim::waybill_text(plan, self.first_day, s)),
                permit_no,
                transport_permit_no: if e.transport {
                    firm.transport_doc.map(|p| plan.permits[p].number.clone())
                } else {
                    None
                },
                warehouse: (!is_reversal).then(|| firm.warehouse.to_string()),
                note: e.note.map(str::to_string),
                reverses,
                prev_hash: hex::encode(prev),
                hash: String::new(),
            };
            let hash = if e.tamper {
                // Hashed as it was filed; stored as if the quantity was edited since.
                let mut filed = row.clone();
                filed.quantity += 1000;
                entry_hash(&prev, &filed.hashed_fields())
            } else {
                entry_hash(&prev, &row.hashed_fields())
            };
            row.hash = hex::encode(hash);
            prev = hash;
            rows.push(row);
        }
        Ok(rows)
    }
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

/// Fills an empty registry with the demo province. Refuses (`409 demo_not_empty`) when any
/// firm is registered. Not one transaction: accounts, then firms and permits, then the ledger
/// in chunks; a failure leaves a partial province behind (and a retry is refused).
pub fn generate(conn: &mut DbConnection, options: &DemoOptions) -> Result<DemoReport, AppError> {
    validate(options)?;
    let window = window(options)?;
    if has_firms(conn)? {
        return Err(AppError::conflict(
            "demo_not_empty",
            "the registry already has firms; demo data goes only into an empty registry",
        ));
    }
    let catalog = catalog(conn)?;

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

    let mut accounts = Vec::new();
    let (regulator, regulator_id) = account(conn, "demo.regulator", Role::Regulator, None)?;
    accounts.push(regulator);
    accounts.push(account(conn, "demo.association", Role::Association, None)?.0);

    let firms = firm_rows(&plan, window.first_day)?;
    let permits = permit_rows(&plan, &window, regulator_id)?;
    write_tx(conn, |conn| {
        for firm in &firms {
            crate::firms::store::insert(conn, firm)?;
        }
        for (permit, chems) in &permits {
            crate::permits::store::insert(conn, permit, chems)?;
        }
        Ok(())
    })?;

    // A few firms get a sign-in; their entries are recorded by it, the rest by the regulator
    // (as if it had keyed in their paper ledgers).
    let mut recorded_by: Vec<String> = vec![regulator_id.to_string(); plan.firms.len()];
    for (username, firm) in enterprise_accounts(&plan, &sim, &gaps) {
        let (acct, id) = account(
            conn,
            username,
            Role::Enterprise,
            Some(plan.firms[firm as usize].id),
        )?;
        recorded_by[firm as usize] = id.to_string();
        accounts.push(acct);
    }

    let wanted: HashSet<(u32, u32)> = gaps
        .iter()
        .flat_map(|g| g.entries.iter().copied())
        .collect();
    let lots = std::mem::take(&mut sim.lots);
    let mut chainer = Chainer {
        plan: &plan,
        lots: &lots,
        first_day: window.first_day,
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
            write_tx(conn, |conn| crate::ledger::store::insert(conn, &pending))?;
            pending.clear();
        }
    }
    if !pending.is_empty() {
        write_tx(conn, |conn| crate::ledger::store::insert(conn, &pending))?;
    }

    let injected = gaps
        .iter()
        .map(|g| {
            let entry_ids =
                g.entries
                    .iter()
                    .map(|e| {
                        chainer.ids.get(e).copied().ok_or_else(|| {
                            AppError::internal(format!("{} entry not stored", g.code))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
            Ok(InjectedGap {
                code: g.code,
                firm_id: plan.firms[g.firm as usize].id,
                entry_ids,
                description: g.description.clone(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(DemoReport {
        accounts,
        firms: plan.firms.len(),
        permits: plan.permits.len(),
        entries,
        injected,
    })
}

/// Who gets an enterprise sign-in: the producer at the centre of the documented gaps, the
/// busiest trader, the busiest user without gaps, and a user with a negative balance.
fn enterprise_accounts(
    plan: &Plan,
    sim: &Sim<'_>,
    gaps: &[inject::GapPlan],
) -> Vec<(&'static str, u32)> {
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
