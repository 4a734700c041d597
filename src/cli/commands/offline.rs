//! `verify-receipt` and `verify-consistency`: a firm's (or a court's) checks of the registry,
//! from files alone — no database, no network. Each exits non-zero with the reason.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::transparency::receipt::{self, ConsistencyFile, EntryFile, ProofFile};

#[derive(Args)]
pub struct ReceiptArgs {
    /// The registry's verifier key (`vkey` of `GET /transparency/key`).
    #[arg(long)]
    key: PathBuf,
    /// A signed checkpoint (the note of `GET /transparency/checkpoints/latest`).
    #[arg(long)]
    checkpoint: PathBuf,
    /// The entry as the registry answered it (the filing's answer or `GET …/ledger/{id}`).
    #[arg(long)]
    entry: PathBuf,
    /// Its inclusion proof (`GET …/ledger/{id}/proof`).
    #[arg(long)]
    proof: PathBuf,
    /// The whole resident ID number of the entry's person, from your own records, when the
    /// registry showed it to you masked.
    #[arg(long)]
    resident_id: Option<String>,
}

#[derive(Args)]
pub struct ConsistencyArgs {
    /// The registry's verifier key.
    #[arg(long)]
    key: PathBuf,
    /// The older signed checkpoint.
    #[arg(long)]
    old: PathBuf,
    /// The newer signed checkpoint.
    #[arg(long)]
    new: PathBuf,
    /// The consistency proof between them (`GET /transparency/consistency?from=&to=`).
    #[arg(long)]
    proof: PathBuf,
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    serde_json::from_str(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// The vkey file's one line (a file may also hold the whole `GET /transparency/key` answer).
fn vkey(path: &Path) -> Result<String, String> {
    let text = read(path)?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => v["vkey"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{}: no vkey in it", path.display())),
        Err(_) => Ok(text.trim().to_string()),
    }
}

pub fn receipt(args: ReceiptArgs) -> Result<(), String> {
    let entry: EntryFile = json(&args.entry)?;
    let proof: ProofFile = json(&args.proof)?;
    let checkpoint = receipt::verify_receipt(
        &vkey(&args.key)?,
        &read(&args.checkpoint)?,
        &entry,
        &proof,
        args.resident_id.as_deref(),
    )
    .map_err(|e| format!("NOT VERIFIED: {e}"))?;
    println!(
        "verified: entry {} (firm {}, seq {}) is leaf {} of the tree of {} entries that {} signed at {}",
        entry.id,
        entry.firm_id,
        entry.seq,
        proof.leaf_index,
        checkpoint.size,
        checkpoint.origin,
        checkpoint.time.to_rfc3339()
    );
    Ok(())
}

pub fn consistency(args: ConsistencyArgs) -> Result<(), String> {
    let proof: ConsistencyFile = json(&args.proof)?;
    let (old, new) = receipt::verify_consistency(
        &vkey(&args.key)?,
        &read(&args.old)?,
        &read(&args.new)?,
        &proof,
    )
    .map_err(|e| format!("NOT CONSISTENT: {e}"))?;
    println!(
        "consistent: the tree of {} entries ({}) extends the tree of {} ({}); nothing in the older one was changed or removed",
        new.size,
        new.time.to_rfc3339(),
        old.size,
        old.time.to_rfc3339()
    );
    Ok(())
}

#[derive(Args)]
pub struct MonitorArgs {
    /// The registry's address, e.g. `https://registry.example.gov.cn`.
    #[arg(long)]
    url: String,
    /// Where the monitor keeps the key it trusts and every checkpoint it saw.
    #[arg(long)]
    state: PathBuf,
    /// The registry's verifier key; without it the key the registry gives on the first run is
    /// kept and trusted from then on.
    #[arg(long)]
    key: Option<PathBuf>,
    /// Check again every this many seconds; once and exit when absent.
    #[arg(long)]
    every: Option<u64>,
}

/// `monitor`: fetches each new checkpoint, checks it is signed by the known key and consistent
/// with the last one seen, and keeps it. A rollback or fork is printed loudly and exits 1.
pub fn monitor(args: MonitorArgs) -> Result<(), String> {
    use crate::transparency::monitor::{self, Seen};
    std::fs::create_dir_all(&args.state).map_err(|e| format!("{}: {e}", args.state.display()))?;
    let base = args.url.trim_end_matches('/').to_string();
    let get = |path: &str| -> Result<String, String> {
        ureq::get(&format!("{base}/api/v1{path}"))
            .timeout(std::time::Duration::from_secs(30))
            .call()
            .map_err(|e| format!("{path}: {e}"))?
            .into_string()
            .map_err(|e| format!("{path}: {e}"))
    };
    let key_file = args.state.join("key.txt");
    let vkey = match (&args.key, key_file.exists()) {
        (Some(path), _) => vkey(path)?,
        (None, true) => read(&key_file)?.trim().to_string(),
        (None, false) => {
            let answer: serde_json::Value =
                serde_json::from_str(&get("/transparency/key")?).map_err(|e| e.to_string())?;
            let vkey = answer["vkey"]
                .as_str()
                .ok_or("the registry gave no key")?
                .to_string();
            std::fs::write(&key_file, &vkey).map_err(|e| e.to_string())?;
            println!("trusting the registry's key from now on: {vkey}");
            vkey
        }
    };
    let last_file = args.state.join("latest.txt");
    loop {
        let last = last_file.exists().then(|| read(&last_file)).transpose()?;
        let new = get("/transparency/checkpoints/latest")?;
        let opened = receipt::open_checkpoint(&vkey, &new);
        let last_cp = last
            .as_deref()
            .and_then(|l| receipt::open_checkpoint(&vkey, l).ok());
        let proof = match (&opened, last_cp.as_ref()) {
            (Ok(new_cp), last) => match monitor::proof_needed(last, new_cp) {
                Some((from, to)) => {
                    let text = get(&format!("/transparency/consistency?from={from}&to={to}"))?;
                    Some(
                        serde_json::from_str::<ConsistencyFile>(&text)
                            .map_err(|e| e.to_string())?,
                    )
                }
                None => None,
            },
            (Err(_), _) => None,
        };
        match monitor::judge(&vkey, last.as_deref(), &new, proof.as_ref()) {
            Ok(seen) => {
                let size = match &seen {
                    Seen::First(c) | Seen::Same(c) => c.size,
                    Seen::Grew { to, .. } => to.size,
                };
                if !matches!(seen, Seen::Same(_)) {
                    let kept = args.state.join(format!("checkpoint-{size}.txt"));
                    std::fs::write(&kept, &new).map_err(|e| e.to_string())?;
                    std::fs::write(&last_file, &new).map_err(|e| e.to_string())?;
                }
                println!("ok: tree of {size} entries, consistent with everything seen before");
            }
            Err(alarm) => {
                let evidence = args.state.join("alarm.txt");
                let _ = std::fs::write(&evidence, format!("{alarm}\n\n{new}"));
                return Err(format!(
                    "\n!!! {alarm}\n!!! the checkpoint is kept in {}\n",
                    evidence.display()
                ));
            }
        }
        match args.every {
            Some(seconds) => std::thread::sleep(std::time::Duration::from_secs(seconds.max(1))),
            None => return Ok(()),
        }
    }
}

#[derive(Args)]
pub struct ExportArgs {
    /// The registry's verifier key.
    #[arg(long)]
    key: PathBuf,
    /// The firm's ledger export with proofs (`GET /firms/{id}/ledger/export?with_proofs=true`).
    #[arg(long)]
    export: PathBuf,
    /// The filing receipts the firm kept: a JSON array of them (each filing's answer, or the
    /// items of a batch's), or one per line.
    #[arg(long)]
    receipts: Option<PathBuf>,
    /// Whole resident ID numbers from the firm's own records, for entries showing them masked.
    #[arg(long)]
    resident_id: Vec<String>,
}

/// Receipts as an array, or one JSON object per line.
fn receipts(path: &Path) -> Result<Vec<receipt::ReceiptFile>, String> {
    let text = read(path)?;
    if let Ok(all) = serde_json::from_str::<Vec<receipt::ReceiptFile>>(&text) {
        return Ok(all);
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{}: {e}", path.display())))
        .collect()
}

pub fn export(args: ExportArgs) -> Result<(), String> {
    let export: receipt::ExportFile = json(&args.export)?;
    let kept = args
        .receipts
        .as_deref()
        .map(receipts)
        .transpose()?
        .unwrap_or_default();
    let report = receipt::verify_export(&vkey(&args.key)?, &export, &kept, &args.resident_id)
        .map_err(|e| format!("NOT VERIFIED: {e}"))?;
    println!(
        "verified: {} entries of firm {} chain unbroken, {} of them in the tree of {} entries signed at {}, {} newer; all {} receipts held",
        report.entries,
        export.firm_id,
        report.proven,
        report.checkpoint.size,
        report.checkpoint.time.to_rfc3339(),
        report.newer,
        report.receipts
    );
    Ok(())
}
