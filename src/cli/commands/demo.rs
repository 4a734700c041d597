//! `demo`: fill an empty database with the demo province and say what was made.

use clap::Args;

use crate::cli::args::{Connection, Storage};
use crate::cli::progress::Progress;
use crate::cli::report::{self, describe};
use crate::config::Settings;
use crate::demo::{self, DemoOptions};
use crate::error::AppError;
use crate::users;

#[derive(Args)]
pub(in crate::cli) struct DemoArgs {
    #[arg(long, default_value_t = 421)]
    firms: usize,
    #[arg(long, default_value_t = 12)]
    months: u32,
    #[arg(long, default_value_t = crate::demo::DEFAULT_SEED)]
    seed: u64,
    /// Generate a country province by province, at most this many firms each (24–10000), so
    /// that memory holds one province's traffic; up to 200000 firms in all. Writes with COPY on
    /// PostgreSQL and skips the year of supervision. E.g. `--firms 20000 --months 13
    /// --province-firms 1000` gives about 10 M entries.
    #[arg(long)]
    province_firms: Option<usize>,
    #[command(flatten)]
    storage: Storage,
}

pub(in crate::cli) fn run(args: DemoArgs) -> Result<(), String> {
    let options = DemoOptions {
        firms: args.firms,
        months: args.months,
        seed: args.seed,
        end: chrono::Utc::now(),
        break_one_chain: true,
    };
    let mut conn = prepare(&args.storage.settings()?)?;
    match args.province_firms {
        None => print!("{}", fill(&mut conn, &options)?),
        Some(province_firms) => print!("{}", fill_country(&mut conn, &options, province_firms)?),
    }
    Ok(())
}

/// Generates a country, with a progress bar of firms written.
fn fill_country(
    conn: &mut Connection,
    options: &DemoOptions,
    province_firms: usize,
) -> Result<String, String> {
    let started = std::time::Instant::now();
    let progress = Progress::new(options.firms);
    progress.step(0, "starting");
    let report = demo::generate_country(conn, options, province_firms, &mut |p| {
        progress.step(p.firms_done, &format!("{} entries", p.entries));
    })
    .map_err(refusal)?;
    Ok(report::demo(&report, None, started.elapsed()))
}

/// A refusal in its own words (`demo_not_empty: …`), anything else described.
fn refusal(e: AppError) -> String {
    match e {
        AppError::Conflict { code, detail } => format!("{code}: {detail}"),
        other => describe(other),
    }
}

/// For `serve --demo`: the demo's report, or `None` when the registry already has firms.
pub(in crate::cli) fn fill_if_empty(
    settings: &Settings,
    options: &DemoOptions,
) -> Result<Option<String>, String> {
    let mut conn = prepare(settings)?;
    if demo::has_firms(&mut conn).map_err(describe)? {
        return Ok(None);
    }
    fill(&mut conn, options).map(Some)
}

/// Prepares the database as the server would (migrations, catalog, admin).
fn prepare(settings: &Settings) -> Result<Connection, String> {
    let state = crate::startup::prepare(settings)?;
    state.db.get().map_err(describe)
}

/// Generates the demo province and its year of supervision, and describes what was made.
fn fill(conn: &mut Connection, options: &DemoOptions) -> Result<String, String> {
    let started = std::time::Instant::now();
    let report = demo::generate(conn, options).map_err(refusal)?;
    let regulator = users::store::find_by_username(conn, "demo.regulator")
        .map_err(describe)?
        .ok_or("the demo regulator is missing")?
        .principal()
        .map_err(describe)?;
    let supervision = demo::supervision::supervise(conn, &regulator, options.seed, options.end)
        .map_err(describe)?;
    Ok(report::demo(&report, Some(&supervision), started.elapsed()))
}
