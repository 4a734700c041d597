//! `verify`: recompute ledger hash chains; fails if any is broken.

use clap::Args;
use uuid::Uuid;

use crate::cli::args::{connect, Storage};
use crate::cli::report::describe;
use crate::ledger;

#[derive(Args)]
pub(in crate::cli) struct VerifyArgs {
    #[arg(long)]
    firm_id: Option<Uuid>,
    #[command(flatten)]
    storage: Storage,
}

/// Verifies every firm's chain: (firms, entries), or which are broken.
pub(in crate::cli) fn verify_all(
    conn: &mut crate::db::DbConnection,
) -> Result<(usize, u64), String> {
    let firms = ledger::store::firms_with_entries(conn).map_err(describe)?;
    let (mut entries, mut broken) = (0, Vec::new());
    for firm in &firms {
        let id = Uuid::parse_str(firm).map_err(|e| e.to_string())?;
        let report = ledger::verify_chain(conn, id).map_err(describe)?;
        entries += report.entries;
        if let Some(seq) = report.first_bad_seq {
            broken.push(format!("{firm} (first bad seq {seq})"));
        }
    }
    if broken.is_empty() {
        Ok((firms.len(), entries))
    } else {
        Err(format!(
            "{} of {} chains are broken: {}",
            broken.len(),
            firms.len(),
            broken.join(", ")
        ))
    }
}

pub(in crate::cli) fn run(args: VerifyArgs) -> Result<(), String> {
    let mut conn = connect(&args.storage.settings()?)?;
    let firms = match args.firm_id {
        Some(id) => vec![id],
        None => ledger::store::firms_with_entries(&mut conn)
            .map_err(describe)?
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect(),
    };
    let mut broken = 0;
    for firm in &firms {
        let report = ledger::verify_chain(&mut conn, *firm).map_err(describe)?;
        match report.first_bad_seq {
            None => println!(
                "{firm}: ok, {} entries, head {}",
                report.entries, report.head_hash
            ),
            Some(seq) => {
                broken += 1;
                println!(
                    "{firm}: BROKEN, first bad seq {seq} ({} entries)",
                    report.entries
                );
            }
        }
    }
    if broken > 0 {
        return Err(format!("{broken} of {} chains are broken", firms.len()));
    }
    Ok(())
}
