//! `export`: a firm's ledger written to a file or stdout as CSV, an Excel workbook or an EPCIS 2.0
//! document (the API's formats), read with the operator's direct access to the database.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use uuid::Uuid;

use crate::auth::Principal;
use crate::cli::args::{connect, Storage};
use crate::cli::report::describe;
use crate::domain::Role;
use crate::ledger::{self, LedgerQuery};

#[derive(Clone, Copy, ValueEnum)]
pub(in crate::cli) enum ExportFormat {
    /// The API's CSV (UTF-8 with a byte-order mark; imports back).
    Csv,
    /// An Excel workbook: a sheet per chemical with its balance as filed (headers in `--lang`).
    Xlsx,
    /// One EPCIS 2.0 EPCISDocument (docs/epcis.md).
    Epcis,
}

#[derive(Args)]
pub(in crate::cli) struct ExportArgs {
    #[arg(long)]
    firm_id: Uuid,
    #[arg(long, value_enum, default_value = "csv")]
    format: ExportFormat,
    /// The workbook's language: zh-CN or en.
    #[arg(long, default_value = "zh-CN")]
    lang: String,
    /// Where to write (default: standard output).
    #[arg(long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    storage: Storage,
}

pub(in crate::cli) fn run(args: ExportArgs) -> Result<(), String> {
    let settings = args.storage.settings()?;
    let mut conn = connect(&settings)?;
    // The operator reads the database directly: a regulator's view of the firm.
    let operator = Principal {
        user_id: Uuid::nil(),
        role: Role::Regulator,
        firm_id: None,
    };
    let listing = LedgerQuery::default().parse().map_err(describe)?;
    let firm_id = args.firm_id;
    let bytes = match args.format {
        ExportFormat::Csv => {
            let rows = ledger::export(&mut conn, &operator, firm_id, listing).map_err(describe)?;
            let names = crate::chemicals::store::names(&mut conn).map_err(describe)?;
            ledger::csv::export(&rows, &names).map_err(describe)?
        }
        ExportFormat::Xlsx => {
            let lang = crate::console::Lang::requested(Some(&args.lang), None).map_err(describe)?;
            let texts = crate::console::Texts(lang);
            let clock = crate::domain::time::CHINA;
            ledger::export_xlsx(&mut conn, &operator, firm_id, listing, texts, clock)
                .map_err(describe)?
        }
        ExportFormat::Epcis => {
            let document = ledger::epcis::export::export(&mut conn, &operator, firm_id, listing)
                .map_err(describe)?;
            serde_json::to_vec_pretty(&document).map_err(|e| e.to_string())?
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| format!("cannot write to standard output: {e}")),
    }
}
