//! What a firm checks offline, from files alone: an entry as the registry answered it (the
//! filing receipt or `GET …/ledger/{id}`), its inclusion proof, a checkpoint and the registry's
//! verifier key. The entry's leaf is recomputed from its fields (the canonical bytes of
//! docs/ledger.md), never taken from the registry; the tree size and root come only from the
//! signed checkpoint, never from the proof file (RFC 9162 hashes do not commit to the size).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::checkpoint::{Checkpoint, NoteError, VerifierKey};
use super::merkle::{self, Hash, ProofError};
use crate::domain::Quantity;
use crate::ledger::chain::{self, HashedFields};

/// An entry as the registry's API shows it (unknown fields are allowed: the API adds fields).
#[derive(Debug, Clone, Deserialize)]
pub struct EntryFile {
    pub id: String,
    pub firm_id: String,
    pub seq: i64,
    pub kind: String,
    pub chemical_id: String,
    pub lot: Option<String>,
    pub quantity: String,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub counterparty: Option<PartyFile>,
    pub payment: Option<String>,
    pub shipment_ref: Option<String>,
    pub permit_no: Option<String>,
    pub transport_permit_no: Option<String>,
    pub warehouse: Option<String>,
    pub note: Option<String>,
    pub reverses: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    pub leaf_index: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PartyFile {
    pub firm_id: Option<String>,
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub permit_no: Option<String>,
    pub resident_id: Option<String>,
}

/// An inclusion proof as `GET …/ledger/{id}/proof` answers it.
#[derive(Debug, Clone, Deserialize)]
pub struct ProofFile {
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Hex hashes.
    pub proof: Vec<String>,
}

/// A consistency proof as `GET /transparency/consistency` answers it.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsistencyFile {
    pub from: u64,
    pub to: u64,
    pub proof: Vec<String>,
}

/// Why a receipt or a pair of checkpoints does not hold.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the entry file is not an entry: {0}")]
    BadEntry(String),
    #[error("the entry names a person whose number is masked to you: give the whole number (--resident-id) from your own records")]
    MaskedResidentId,
    #[error("the resident ID number given does not end as the masked one in the entry")]
    WrongResidentId,
    #[error("the entry's hash does not match its fields: the entry was altered")]
    EntryHash,
    #[error("the checkpoint: {0}")]
    Checkpoint(NoteError),
    #[error("the verifier key: {0}")]
    Key(NoteError),
    #[error("the proof is for a tree of {proof} entries, the checkpoint for {checkpoint}")]
    SizeMismatch { proof: u64, checkpoint: u64 },
    #[error("the proof is for leaf {proof}, the entry's receipt says leaf {receipt}")]
    LeafMismatch { proof: u64, receipt: u64 },
    #[error("a proof hash is not 32 bytes of hex")]
    BadHash,
    #[error("the proof: {0}")]
    Proof(ProofError),
    #[error("the checkpoints have different origins")]
    OtherOrigin,
    #[error("the export holds an entry of another firm (seq {seq})")]
    OtherFirm { seq: i64 },
    #[error("the ledger skips from seq {after} to {found}: entries are missing")]
    ChainGap { after: i64, found: i64 },
    #[error(
        "entry seq {seq} does not follow the one before it (prev_hash): the chain was rewritten"
    )]
    ChainLink { seq: i64 },
    #[error("entry seq {seq} is in the checkpoint but the export gives no proof for it (ask with with_proofs=true)")]
    NoProof { seq: i64 },
    #[error("entry seq {seq} has no leaf in the registry's tree")]
    NoLeaf { seq: i64 },
    #[error(
        "the registry's ledger no longer holds the entries you hold receipts for: seq {}",
        list(seqs)
    )]
    Removed { seqs: Vec<i64> },
    #[error("entry seq {seq} is not the entry of your receipt: its hash changed")]
    Changed { seq: i64 },
}

fn list(seqs: &[i64]) -> String {
    seqs.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn hash(text: &str) -> Result<Hash, VerifyError> {
    let mut out = [0_u8; 32];
    hex::decode_to_slice(text.trim(), &mut out).map_err(|_| VerifyError::BadHash)?;
    Ok(out)
}

fn hashes(texts: &[String]) -> Result<Vec<Hash>, VerifyError> {
    texts.iter().map(|t| hash(t)).collect()
}

/// Thousandths from `250.000` or `-5.000`.
fn thousandths(text: &str) -> Result<i64, VerifyError> {
    let bad = || VerifyError::BadEntry(format!("quantity {text:?}"));
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let q = Quantity::parse(digits).map_err(|_| bad())?.thousandths();
    Ok(if negative { -q } else { q })
}

/// The entry's resident ID number as it was filed: the file's, or when that is masked the
/// firm's own (which must end as the masked one does).
fn resident_id<'a>(
    shown: Option<&'a str>,
    own: Option<&'a str>,
) -> Result<Option<&'a str>, VerifyError> {
    match shown {
        Some(masked) if masked.contains('*') => {
            let own = own.ok_or(VerifyError::MaskedResidentId)?;
            let tail = masked.trim_start_matches('*');
            if own.ends_with(tail) {
                Ok(Some(own))
            } else {
                Err(VerifyError::WrongResidentId)
            }
        }
        shown => Ok(shown),
    }
}

/// The entry's leaf hash, recomputed from its fields, after checking that its chain hash is
/// theirs (the leaf is what the registry chained).
pub fn leaf_of(entry: &EntryFile, own_resident_id: Option<&str>) -> Result<Hash, VerifyError> {
    let party = entry.counterparty.as_ref();
    let field = |f: fn(&PartyFile) -> &Option<String>| party.and_then(|p| f(p).as_deref());
    let person = resident_id(field(|p| &p.resident_id), own_resident_id)?;
    let fields = HashedFields {
        id: &entry.id,
        firm_id: &entry.firm_id,
        seq: entry.seq,
        kind: &entry.kind,
        chemical_id: &entry.chemical_id,
        lot: entry.lot.as_deref(),
        quantity: thousandths(&entry.quantity)?,
        occurred_at: entry.occurred_at,
        recorded_at: entry.recorded_at,
        recorded_by: &entry.recorded_by,
        counterparty_firm_id: field(|p| &p.firm_id),
        counterparty_name: field(|p| &p.name),
        counterparty_credit_code: field(|p| &p.credit_code),
        counterparty_permit_no: field(|p| &p.permit_no),
        shipment_ref: entry.shipment_ref.as_deref(),
        permit_no: entry.permit_no.as_deref(),
        transport_permit_no: entry.transport_permit_no.as_deref(),
        warehouse: entry.warehouse.as_deref(),
        note: entry.note.as_deref(),
        reverses: entry.reverses.as_deref(),
        counterparty_resident_id: person,
        // The API shows `unknown` for a deal filed before payments were recorded: none stored.
        payment: entry.payment.as_deref().filter(|p| *p != "unknown"),
    };
    let prev = chain::parse_hash(&entry.prev_hash)
        .ok_or_else(|| VerifyError::BadEntry("prev_hash".into()))?;
    if hex::encode(chain::entry_hash(&prev, &fields)) != entry.hash {
        return Err(VerifyError::EntryHash);
    }
    Ok(merkle::leaf_hash(&chain::canonical_bytes(&fields)))
}

/// A whole ledger as `GET /firms/{id}/ledger/export?with_proofs=true` answers it.
#[derive(Debug, Clone, Deserialize)]
pub struct ExportFile {
    pub firm_id: String,
    pub checkpoint: String,
    pub tree_size: u64,
    pub entries: Vec<ExportedFile>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExportedFile {
    pub entry: EntryFile,
    pub proof: Option<Vec<String>>,
}

/// A filing receipt the firm kept (the filing's answer, or one item of a batch's).
#[derive(Debug, Clone, Deserialize)]
pub struct ReceiptFile {
    pub id: String,
    pub seq: i64,
    pub hash: String,
}

/// What `verify_export` found to hold.
#[derive(Debug)]
pub struct ExportReport {
    pub checkpoint: Checkpoint,
    pub entries: usize,
    /// Entries proven to be in the checkpoint's tree.
    pub proven: usize,
    /// Entries newer than the checkpoint (their chain is checked, their inclusion not yet).
    pub newer: usize,
    pub receipts: usize,
}

/// The leaf of an entry whose person may be masked: the first of the firm's own numbers that
/// makes the entry's hash, if one is needed.
fn leaf_with(entry: &EntryFile, own: &[String]) -> Result<Hash, VerifyError> {
    match leaf_of(entry, None) {
        Err(VerifyError::MaskedResidentId) => own
            .iter()
            .find_map(|n| leaf_of(entry, Some(n)).ok())
            .ok_or(VerifyError::MaskedResidentId),
        other => other,
    }
}

/// Checks a firm's whole exported ledger offline: every entry's chain link and fields, its
/// inclusion in the signed checkpoint, and that every receipt the firm kept is still there,
/// unchanged — the removal of the last entries, which the chain alone cannot show, fails here.
pub fn verify_export(
    vkey: &str,
    export: &ExportFile,
    receipts: &[ReceiptFile],
    own_resident_ids: &[String],
) -> Result<ExportReport, VerifyError> {
    let checkpoint = open_checkpoint(vkey, &export.checkpoint)?;
    if export.tree_size != checkpoint.size {
        return Err(VerifyError::SizeMismatch {
            proof: export.tree_size,
            checkpoint: checkpoint.size,
        });
    }
    let (mut prev, mut last_seq) = (hex::encode(chain::GENESIS), 0);
    let (mut proven, mut newer) = (0, 0);
    for item in &export.entries {
        let e = &item.entry;
        if e.firm_id != export.firm_id {
            return Err(VerifyError::OtherFirm { seq: e.seq });
        }
        if e.seq != last_seq + 1 {
            return Err(VerifyError::ChainGap {
                after: last_seq,
                found: e.seq,
            });
        }
        if e.prev_hash != prev {
            return Err(VerifyError::ChainLink { seq: e.seq });
        }
        let leaf = leaf_with(e, own_resident_ids)?;
        let index = e.leaf_index.ok_or(VerifyError::NoLeaf { seq: e.seq })?;
        if index >= checkpoint.size {
            newer += 1;
        } else {
            let proof = item
                .proof
                .as_ref()
                .ok_or(VerifyError::NoProof { seq: e.seq })?;
            let path = hashes(proof)?;
            merkle::verify_inclusion(&leaf, index, checkpoint.size, &path, &checkpoint.root)
                .map_err(VerifyError::Proof)?;
            proven += 1;
        }
        (prev, last_seq) = (e.hash.clone(), e.seq);
    }
    let mut removed = Vec::new();
    for r in receipts {
        match export.entries.iter().find(|i| i.entry.id == r.id) {
            None => removed.push(r.seq),
            Some(held) if held.entry.hash != r.hash || held.entry.seq != r.seq => {
                return Err(VerifyError::Changed { seq: r.seq });
            }
            Some(_) => {}
        }
    }
    if !removed.is_empty() {
        removed.sort_unstable();
        return Err(VerifyError::Removed { seqs: removed });
    }
    Ok(ExportReport {
        checkpoint,
        entries: export.entries.len(),
        proven,
        newer,
        receipts: receipts.len(),
    })
}

/// Opens a checkpoint with the registry's verifier key (its name is the origin).
pub fn open_checkpoint(vkey: &str, note: &str) -> Result<Checkpoint, VerifyError> {
    let key = VerifierKey::parse(vkey.trim()).map_err(VerifyError::Key)?;
    let checkpoint =
        Checkpoint::open(note, &key.key, &key.name).map_err(VerifyError::Checkpoint)?;
    if checkpoint.origin != key.name {
        return Err(VerifyError::OtherOrigin);
    }
    Ok(checkpoint)
}

/// Checks an entry's inclusion in a signed checkpoint; returns the checkpoint.
pub fn verify_receipt(
    vkey: &str,
    note: &str,
    entry: &EntryFile,
    proof: &ProofFile,
    own_resident_id: Option<&str>,
) -> Result<Checkpoint, VerifyError> {
    let checkpoint = open_checkpoint(vkey, note)?;
    if proof.tree_size != checkpoint.size {
        return Err(VerifyError::SizeMismatch {
            proof: proof.tree_size,
            checkpoint: checkpoint.size,
        });
    }
    if let Some(receipt) = entry.leaf_index.filter(|i| *i != proof.leaf_index) {
        return Err(VerifyError::LeafMismatch {
            proof: proof.leaf_index,
            receipt,
        });
    }
    let leaf = leaf_of(entry, own_resident_id)?;
    let path = hashes(&proof.proof)?;
    merkle::verify_inclusion(
        &leaf,
        proof.leaf_index,
        checkpoint.size,
        &path,
        &checkpoint.root,
    )
    .map_err(VerifyError::Proof)?;
    Ok(checkpoint)
}

/// Checks that the newer checkpoint's tree extends the older one's: nothing the older one held
/// was changed or removed.
pub fn verify_consistency(
    vkey: &str,
    older: &str,
    newer: &str,
    proof: &ConsistencyFile,
) -> Result<(Checkpoint, Checkpoint), VerifyError> {
    let (old, new) = (open_checkpoint(vkey, older)?, open_checkpoint(vkey, newer)?);
    for (claimed, actual) in [(proof.from, old.size), (proof.to, new.size)] {
        if claimed != actual {
            return Err(VerifyError::SizeMismatch {
                proof: claimed,
                checkpoint: actual,
            });
        }
    }
    let path = hashes(&proof.proof)?;
    merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &path)
        .map_err(VerifyError::Proof)?;
    Ok((old, new))
}
