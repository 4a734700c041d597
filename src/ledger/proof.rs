//! An entry's inclusion proof: that the registry's signed tree holds it. The firm (or a
//! regulator) asks with the entry's rights; the proof names only hashes.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::transparency::{self, store as tree, Signer};

/// `?checkpoint=` — the tree size of a signed checkpoint; the newest when absent.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    pub checkpoint: Option<String>,
}

/// `GET /firms/{id}/ledger/{entry_id}/proof`: what `verify-receipt --proof` reads.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InclusionProof {
    pub entry_id: Uuid,
    pub leaf_index: u64,
    /// The leaf hash (hex), as the registry has it; a verifier recomputes it from the entry.
    pub leaf_hash: String,
    /// The checkpoint's tree size and root (hex).
    pub tree_size: u64,
    pub root_hash: String,
    /// Hex hashes, RFC 9162 §2.1.3, from the leaf up.
    pub proof: Vec<String>,
    /// The signed checkpoint the proof is against, as a note.
    pub checkpoint: String,
}

pub fn inclusion(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    entry_id: Uuid,
    query: ProofQuery,
    signer: &Signer,
) -> Result<InclusionProof, AppError> {
    let entry = super::get(conn, who, firm_id, entry_id)?;
    let index = entry
        .leaf_index
        .ok_or_else(|| AppError::internal("a stored entry is not in the tree"))?;
    let checkpoint = match query.checkpoint.as_deref() {
        None => transparency::latest(conn, signer)?,
        Some(text) => {
            let size = text.trim().parse::<u64>().map_err(|_| {
                AppError::field("checkpoint", "invalid_number", "must be a tree size")
            })?;
            tree::checkpoint_at(conn, size)?.ok_or_else(|| {
                let message = "no checkpoint was signed at this tree size";
                AppError::field("checkpoint", "unknown_checkpoint", message)
            })?
        }
    };
    let size = u64::try_from(checkpoint.tree_size).map_err(AppError::internal)?;
    if index >= size {
        return Err(AppError::conflict(
            "not_yet_checkpointed",
            format!("the entry is leaf {index}, newer than the checkpoint of {size} entries; a regulator may sign one now, or ask again within a minute"),
        ));
    }
    let path = tree::inclusion(conn, index, size)?;
    Ok(InclusionProof {
        entry_id,
        leaf_index: index,
        leaf_hash: hex::encode(tree::leaf_hash(conn, index)?),
        tree_size: size,
        root_hash: checkpoint.root_hash,
        proof: path.iter().map(hex::encode).collect(),
        checkpoint: checkpoint.note,
    })
}

/// `?with_proofs=true` adds each entry's inclusion proof.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    pub with_proofs: Option<bool>,
}

/// `GET /firms/{id}/ledger/export`: the firm's whole ledger in seq order against the newest
/// signed checkpoint — what `verify-export` checks offline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerExport {
    pub firm_id: Uuid,
    /// The signed checkpoint (a note) the proofs are against.
    pub checkpoint: String,
    pub tree_size: u64,
    pub entries: Vec<ExportedEntry>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportedEntry {
    pub entry: super::LedgerEntry,
    /// Hex hashes from the leaf up; absent without `with_proofs`, or for an entry newer than
    /// the checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Vec<String>>,
}

pub fn export(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    query: ExportQuery,
    signer: &Signer,
) -> Result<LedgerExport, AppError> {
    crate::auth::policy::read_firm_records(who, firm_id)?;
    crate::firms::require(conn, firm_id)?;
    let checkpoint = transparency::latest(conn, signer)?;
    let size = u64::try_from(checkpoint.tree_size).map_err(AppError::internal)?;
    let rows = super::store::all_for_firm(conn, firm_id)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let leaves = tree::leaf_indexes(conn, &ids)?;
    let mut entries = rows
        .iter()
        .map(|row| {
            let mut entry = row.to_entry(who)?;
            entry.leaf_index = leaves.get(&row.id).copied();
            Ok(ExportedEntry { entry, proof: None })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    if query.with_proofs == Some(true) {
        let covered: Vec<(usize, u64)> = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.entry.leaf_index.filter(|l| *l < size).map(|l| (i, l)))
            .collect();
        let indexes: Vec<u64> = covered.iter().map(|(_, l)| *l).collect();
        let proofs = tree::inclusion_many(conn, &indexes, size)?;
        for ((i, _), proof) in covered.into_iter().zip(proofs) {
            entries[i].proof = Some(proof.iter().map(hex::encode).collect());
        }
    }
    Ok(LedgerExport {
        firm_id,
        checkpoint: checkpoint.note,
        tree_size: size,
        entries,
    })
}
