//! `validate`: run the custody validator and record (or, as of another time, only report) it.

use clap::Args;
use uuid::Uuid;

use crate::cli::args::{connect, OutputFormat, RuleArgs, Storage};
use crate::cli::progress::Progress;
use crate::cli::report::{self, describe};
use crate::custody;
use crate::domain::CustodyRules;

#[derive(Args)]
pub(in crate::cli) struct ValidateArgs {
    /// One firm (default: every firm).
    #[arg(long)]
    firm_id: Option<Uuid>,
    /// Look at another time (RFC 3339): findings are reported, not recorded. Default now.
    #[arg(long)]
    as_of: Option<String>,
    /// Re-check only the firms whose findings may have changed since the last incremental run
    /// (every firm, as of now; the first run judges everything).
    #[arg(long, conflicts_with_all = ["firm_id", "as_of"])]
    incremental: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    #[command(flatten)]
    storage: Storage,
    #[command(flatten)]
    rules: RuleArgs,
}

pub(in crate::cli) fn run(args: ValidateArgs) -> Result<(), String> {
    let settings = args.storage.settings()?;
    let (_, rules) = args.rules.settings()?;
    let as_of = match args.as_of.as_deref() {
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|_| format!("--as-of {text:?} is not an RFC 3339 time"))?
            .with_timezone(&chrono::Utc),
        None => chrono::Utc::now(),
    };
    let rules = CustodyRules { as_of, ..rules };
    let progress = Progress::new(2);
    progress.step(0, "connecting");
    let mut conn = connect(&settings)?;
    progress.step(1, "loading and validating");
    let record = args.as_of.is_none();
    let (summary, timings) = if args.incremental {
        let summary = custody::run::run_incremental(&mut conn, "cli", &rules).map_err(describe)?;
        (summary, custody::run::RunTimings::default())
    } else {
        custody::run_validation(&mut conn, "cli", args.firm_id, &rules, record).map_err(describe)?
    };
    progress.step(2, "done");
    match args.format {
        OutputFormat::Json => report::json(&summary)?,
        OutputFormat::Table => report::validation(&summary, &timings, args.firm_id),
    }
    Ok(())
}
