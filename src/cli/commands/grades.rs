//! `grades`: the current confirmed grades and their distribution.

use clap::Args;

use crate::cli::args::{connect, OutputFormat, Storage};
use crate::cli::report::{self, describe};
use crate::grading;

#[derive(Args)]
pub(in crate::cli) struct GradesArgs {
    /// A year such as 2026 (default: each firm's newest grade).
    #[arg(long)]
    period: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    #[command(flatten)]
    storage: Storage,
}

pub(in crate::cli) fn run(args: GradesArgs) -> Result<(), String> {
    let mut conn = connect(&args.storage.settings()?)?;
    let query = grading::GradeQuery {
        period: args.period.clone(),
        ..Default::default()
    };
    let current = grading::list_current(&mut conn, query).map_err(describe)?;
    let summary = grading::summarize(&current, args.period);
    match args.format {
        OutputFormat::Json => {
            report::json(&serde_json::json!({ "grades": current, "summary": summary }))
        }
        OutputFormat::Table => {
            report::grades(&current, &summary);
            Ok(())
        }
    }
}
