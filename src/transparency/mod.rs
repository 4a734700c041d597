//! Tamper evidence over the whole ledger (issue 13): one append-only RFC 9162 Merkle tree of
//! every entry, signed checkpoints of it in the C2SP signed-note form, and the proofs a firm, a
//! regulator or a monitor checks without trusting the registry.
//!
//! `merkle`, `checkpoint`, `receipt` and `monitor` are pure core (no database, no HTTP); `store` keeps the
//! tree and its checkpoints; here the registry's signing key and when it signs.

pub mod checkpoint;
pub mod http;
pub mod merkle;
pub mod monitor;
pub mod receipt;
pub mod store;
pub mod worker;

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use serde::Serialize;

use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::time;
use crate::error::AppError;
use checkpoint::{Checkpoint, VerifierKey};
use store::CheckpointRow;

/// The registry's checkpoint key and its name (the checkpoints' origin line), and how often it
/// signs at most.
pub struct Signer {
    key: SigningKey,
    name: String,
    every: chrono::Duration,
}

impl Signer {
    /// From the 32-byte seed kept beside the database (or given by a setting).
    pub fn new(seed: [u8; 32], name: &str, every: chrono::Duration) -> Result<Signer, String> {
        if !checkpoint::is_valid_key_name(name) {
            return Err(format!(
                "the transparency origin {name:?} is not a valid key name (no spaces or +)"
            ));
        }
        Ok(Signer {
            key: SigningKey::from_bytes(&seed),
            name: name.to_string(),
            every,
        })
    }

    /// The public key in the signed-note verifier-key form a verifier is given.
    pub fn verifier_key(&self) -> Result<VerifierKey, AppError> {
        VerifierKey::new(&self.name, self.key.verifying_key()).map_err(AppError::internal)
    }
}

/// `GET /transparency/key`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    /// The checkpoints' origin and the key's name.
    pub origin: String,
    /// The signed-note key id, 8 hex digits.
    pub key_id: String,
    /// `name+keyid+base64(0x01 ‖ key)`: what `verify-receipt --key` and the monitor read.
    pub vkey: String,
}

/// A signed checkpoint.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckpointView {
    pub tree_size: u64,
    /// Hex.
    pub root_hash: String,
    pub signed_at: DateTime<Utc>,
    /// The checkpoint as a signed note (C2SP tlog-checkpoint), the text to keep.
    pub note: String,
}

impl CheckpointRow {
    pub fn view(&self) -> Result<CheckpointView, AppError> {
        Ok(CheckpointView {
            tree_size: u64::try_from(self.tree_size).map_err(AppError::internal)?,
            root_hash: self.root_hash.clone(),
            signed_at: time::from_db(self.signed_at),
            note: self.note.clone(),
        })
    }
}

pub fn key(signer: &Signer) -> Result<KeyView, AppError> {
    let vkey = signer.verifier_key()?;
    Ok(KeyView {
        origin: signer.name.clone(),
        key_id: format!("{:08x}", vkey.id()),
        vkey: vkey.to_string(),
    })
}

/// The newest checkpoint, signing a new one first when the tree has grown and the newest is
/// at least the signer's interval old (the signing thread calls it every interval; a reader's
/// ask does too).
pub fn latest(conn: &mut DbConnection, signer: &Signer) -> Result<CheckpointRow, AppError> {
    write_tx(conn, |conn| {
        let newest = store::latest_checkpoint(conn)?;
        let size = store::tree_size(conn)?;
        match newest {
            Some(c) if c.tree_size as u64 == size => Ok(c),
            Some(c) if time::from_db(c.signed_at) + signer.every > time::from_db(time::now()) => {
                Ok(c)
            }
            _ => sign(conn, signer, size),
        }
    })
}

/// Signs a checkpoint of the tree as it is now (regulators), unless the newest already is.
pub fn sign_now(
    conn: &mut DbConnection,
    who: &Principal,
    signer: &Signer,
) -> Result<CheckpointRow, AppError> {
    policy::supervise_firms(who)?;
    write_tx(conn, |conn| {
        let size = store::tree_size(conn)?;
        match store::checkpoint_at(conn, size)? {
            Some(c) => Ok(c),
            None => sign(conn, signer, size),
        }
    })
}

fn sign(conn: &mut DbConnection, signer: &Signer, size: u64) -> Result<CheckpointRow, AppError> {
    let root = store::root_at(conn, size)?;
    let now = time::now();
    let note = Checkpoint::new(signer.name.clone(), size, root, time::from_db(now))
        .sign(&signer.key, &signer.name)
        .map_err(AppError::internal)?;
    let row = CheckpointRow {
        tree_size: i64::try_from(size).map_err(AppError::internal)?,
        root_hash: hex::encode(root),
        signed_at: now,
        note,
    };
    store::insert_checkpoint(conn, &row)?;
    tracing::info!(tree_size = size, "signed a checkpoint");
    Ok(row)
}

/// `GET /transparency/consistency`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsistencyView {
    pub from: u64,
    pub to: u64,
    /// Hex hashes, RFC 9162 §2.1.4.
    pub proof: Vec<String>,
}

/// The consistency proof between two tree sizes, each at most the size now.
pub fn consistency(
    conn: &mut DbConnection,
    from: u64,
    to: u64,
) -> Result<ConsistencyView, AppError> {
    let size = store::tree_size(conn)?;
    if to > size {
        let message = format!("the tree has {size} leaves");
        return Err(AppError::field("to", "beyond_tree", message));
    }
    if from > to {
        return Err(AppError::field(
            "from",
            "invalid_range",
            "must not exceed to",
        ));
    }
    let proof = store::consistency(conn, from, to)?;
    Ok(ConsistencyView {
        from,
        to,
        proof: proof.iter().map(hex::encode).collect(),
    })
}
