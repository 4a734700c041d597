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
