//! `import`: file a CSV or an Excel workbook into a firm's ledger as one all-or-nothing batch.

use std::path::PathBuf;

use clap::Args;
use uuid::Uuid;

use crate::cli::args::{connect, Storage};
use crate::cli::report::describe;
use crate::error::AppError;
use crate::ledger::filing::{self, Filed, Submission};
use crate::users;

#[derive(Args)]
pub(in crate::cli) struct ImportArgs {
    #[arg(long)]
    firm_id: Uuid,
    /// The enterprise user recorded as filer (default: the firm's first enterprise user).
    #[arg(long)]
    username: Option<String>,
    /// The CSV file (UTF-8, with or without BOM), or an Excel workbook (`.xlsx`: its first
    /// sheet, as `POST /firms/{id}/ledger/import` reads it).
    file: PathBuf,
    #[command(flatten)]
    storage: Storage,
}

pub(in crate::cli) fn run(args: ImportArgs) -> Result<(), String> {
    let settings = args.storage.settings()?;
    let (file, firm_id) = (&args.file, args.firm_id);
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut conn = connect(&settings)?;
    let filer = match args.username {
        Some(name) => users::store::find_by_username(&mut conn, &name.to_ascii_lowercase()).map_err(describe)?,
        None => users::store::first_enterprise_user(&mut conn, firm_id).map_err(describe)?,
    }
    .ok_or("no enterprise user of this firm to record as filer; create one with `user add --role enterprise`")?;
    let who = filer.principal().map_err(describe)?;
    let is_xlsx = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let submission = if is_xlsx {
        Submission::Xlsx(&bytes)
    } else {
        Submission::Csv(&bytes)
    };
    match filing::file(
        &mut conn,
        &who,
        firm_id,
        submission,
        settings.occurred_at_floor,
        None,
        None,
    ) {
        Ok(Filed::New { rows, .. }) => {
            match (rows.first(), rows.last()) {
                (Some(first), Some(last)) => println!(
                    "filed {} entries, seq {}–{}, head {}",
                    rows.len(),
                    first.seq,
                    last.seq,
                    last.hash
                ),
                _ => println!("filed nothing"),
            }
            Ok(())
        }
        Ok(Filed::Replayed { .. }) => Ok(()),
        Err(AppError::NotFound) => Err(format!(
            "{} may not file for firm {firm_id}, or it does not exist",
            filer.username
        )),
        Err(AppError::Forbidden) => Err(format!("{} is not an enterprise user", filer.username)),
        Err(e) => Err(format!("nothing was filed:\n{}", describe(e))),
    }
}
