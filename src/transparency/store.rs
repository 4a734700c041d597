//! The tree in the database: its head (the size), each leaf (its entry and hash), the perfect
//! nodes from `STORED_FROM` up, and the signed checkpoints. A node below that level is computed
//! from its leaves (at most 8), so an entry costs one leaf row and about an eighth of a node row.
//! Appending reads the right edge (one query each for its nodes and its tail of leaves) and
//! writes the nodes it completes; a proof reads O(log n) nodes.

use std::cell::RefCell;
use std::collections::HashMap;

use diesel::prelude::*;

use super::merkle::{self, Frontier, Hash, MemoryNodes, NodeSource, ProveError};
use crate::db::schema::{checkpoints, merkle_head, merkle_leaves, merkle_nodes};
use crate::db::DbConnection;
use crate::error::AppError;

/// Rows per multi-row INSERT (within both backends' bind limits).
const CHUNK: usize = 500;

/// The lowest level kept in `merkle_nodes`; lower ones are computed from the leaves.
const STORED_FROM: u8 = 4;

/// From this many leaves on, PostgreSQL appends with `COPY` (bulk loads); fewer (filings) with
/// INSERTs.
const COPY_FROM: usize = 2000;

#[derive(Insertable)]
#[diesel(table_name = merkle_leaves, treat_none_as_default_value = false)]
struct LeafRow<'a> {
    leaf_index: i64,
    entry_id: &'a str,
    hash: String,
}

#[derive(Insertable)]
#[diesel(table_name = merkle_nodes, treat_none_as_default_value = false)]
struct NodeRow {
    level: i32,
    idx: i64,
    hash: String,
}

/// A leaf to append: the entry it is and its leaf hash.
pub struct Leaf<'a> {
    pub entry_id: &'a str,
    pub hash: Hash,
}

fn hex_of(hash: &Hash) -> String {
    hex::encode(hash)
}

fn hash_of(text: &str) -> Result<Hash, AppError> {
    let mut hash = [0_u8; 32];
    hex::decode_to_slice(text, &mut hash)
        .map_err(|_| AppError::internal("a stored tree hash is not hex"))?;
    Ok(hash)
}

fn size_of(n: i64) -> Result<u64, AppError> {
    u64::try_from(n).map_err(|_| AppError::internal("a stored tree size is negative"))
}

fn db_int(n: u64) -> Result<i64, AppError> {
    i64::try_from(n).map_err(|_| AppError::internal("the tree is too large"))
}

/// The size of the tree now.
pub fn tree_size(conn: &mut DbConnection) -> Result<u64, AppError> {
    let size: i64 = merkle_head::table
        .select(merkle_head::tree_size)
        .first(conn)?;
    size_of(size)
}

/// The size of the tree, its head locked until the transaction ends (PostgreSQL; SQLite has one
/// writer): the next leaf appended in this transaction gets this index.
pub fn locked_size(conn: &mut DbConnection) -> Result<u64, AppError> {
    if let DbConnection::Postgres(pg) = conn {
        let head: LockedHead =
            diesel::sql_query("SELECT tree_size FROM merkle_head WHERE id = 1 FOR UPDATE")
                .get_result(pg)?;
        return size_of(head.tree_size);
    }
    tree_size(conn)
}

#[derive(QueryableByName)]
struct LockedHead {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    tree_size: i64,
}

/// Appends `leaves` in order inside the caller's transaction and returns their leaf indexes.
/// The head is the one point of order: PostgreSQL locks its row; SQLite has one writer.
pub fn append(conn: &mut DbConnection, leaves: &[Leaf<'_>]) -> Result<Vec<u64>, AppError> {
    if leaves.is_empty() {
        return Ok(Vec::new());
    }
    let size = locked_size(conn)?;
    let mut frontier = frontier(conn, size)?;
    let mut nodes = Vec::with_capacity(leaves.len() * 2);
    let mut rows = Vec::with_capacity(leaves.len());
    for leaf in leaves {
        let index = frontier.size();
        let completed = frontier.append(leaf.hash);
        for (level, idx, hash) in completed.into_iter().filter(|n| n.0 >= STORED_FROM) {
            nodes.push(NodeRow {
                level: i32::from(level),
                idx: db_int(idx)?,
                hash: hex_of(&hash),
            });
        }
        rows.push(LeafRow {
            leaf_index: db_int(index)?,
            entry_id: leaf.entry_id,
            hash: hex_of(&leaf.hash),
        });
    }
    if leaves.len() >= COPY_FROM {
        if let DbConnection::Postgres(pg) = conn {
            diesel::copy_from(merkle_nodes::table)
                .from_insertable(&nodes)
                .execute(pg)?;
            diesel::copy_from(merkle_leaves::table)
                .from_insertable(&rows)
                .execute(pg)?;
            return finish(conn, size, &frontier);
        }
    }
    for chunk in nodes.chunks(CHUNK) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(merkle_nodes::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(merkle_nodes::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    for chunk in rows.chunks(CHUNK) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(merkle_leaves::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(merkle_leaves::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    finish(conn, size, &frontier)
}

/// Moves the head to the frontier's size; the leaf indexes appended since `size`.
fn finish(conn: &mut DbConnection, size: u64, frontier: &Frontier) -> Result<Vec<u64>, AppError> {
    diesel::update(merkle_head::table)
        .set(merkle_head::tree_size.eq(db_int(frontier.size())?))
        .execute(conn)?;
    Ok((size..frontier.size()).collect())
}

/// The perfect subtrees `[0, size)` splits into, largest first: the right edge.
fn edge(size: u64) -> Vec<(u8, u64)> {
    let mut keys = Vec::new();
    let mut start = 0_u64;
    for level in (0..64_u8).rev() {
        if size & (1 << level) != 0 {
            keys.push((level, start >> level));
            start += 1 << level;
        }
    }
    keys
}

/// The frontier of the stored tree of `size` leaves: its stored nodes in one query, the tail of
/// leaves below the lowest stored level in another.
fn frontier(conn: &mut DbConnection, size: u64) -> Result<Frontier, AppError> {
    let found = fetch(conn, &edge(size))?;
    Frontier::from_source(&found, size)
        .map_err(|_| AppError::internal("the stored tree misses a node of its right edge"))
}

/// Nodes by (level, index).
type Keys = Vec<(u8, u64)>;

/// The nodes asked for, stored or computed from their leaves, fetched in a few queries.
fn fetch(conn: &mut DbConnection, keys: &[(u8, u64)]) -> Result<MemoryNodes, AppError> {
    let (low, high): (Keys, Keys) = keys.iter().partition(|(level, _)| *level < STORED_FROM);
    let mut found = MemoryNodes::new();
    for chunk in high.chunks(CHUNK) {
        let mut query = merkle_nodes::table.into_boxed();
        for &(level, idx) in chunk {
            query = query.or_filter(
                merkle_nodes::level
                    .eq(i32::from(level))
                    .and(merkle_nodes::idx.eq(db_int(idx)?)),
            );
        }
        let rows: Vec<(i32, i64, String)> = query.load(conn)?;
        for (level, idx, hash) in rows {
            let level = u8::try_from(level).map_err(|_| AppError::internal("bad node level"))?;
            found.put(level, size_of(idx)?, hash_of(&hash)?);
        }
    }
    let mut indexes: Vec<i64> = Vec::new();
    for &(level, idx) in &low {
        let first = idx << level;
        for leaf in first..first + (1 << level) {
            indexes.push(db_int(leaf)?);
        }
    }
    indexes.sort_unstable();
    indexes.dedup();
    let mut leaves = HashMap::new();
    for chunk in indexes.chunks(CHUNK) {
        let rows: Vec<(i64, String)> = merkle_leaves::table
            .filter(merkle_leaves::leaf_index.eq_any(chunk))
            .select((merkle_leaves::leaf_index, merkle_leaves::hash))
            .load(conn)?;
        for (index, hash) in rows {
            leaves.insert(size_of(index)?, hash_of(&hash)?);
        }
    }
    for (level, idx) in low {
        let first = idx << level;
        let mut subtree = Frontier::new();
        for leaf in first..first + (1 << level) {
            let hash = leaves
                .get(&leaf)
                .ok_or_else(|| AppError::internal("the stored tree misses a leaf"))?;
            subtree.append(*hash);
        }
        found.put(level, idx, subtree.root());
    }
    Ok(found)
}

/// The stored nodes, read one by one, as a proof walks them.
pub struct StoredNodes<'c> {
    conn: RefCell<&'c mut DbConnection>,
}

impl<'c> StoredNodes<'c> {
    pub fn new(conn: &'c mut DbConnection) -> Self {
        StoredNodes {
            conn: RefCell::new(conn),
        }
    }
}

impl NodeSource for StoredNodes<'_> {
    type Error = AppError;

    fn node(&self, level: u8, index: u64) -> Result<Hash, AppError> {
        let mut conn = self.conn.borrow_mut();
        let found = fetch(&mut conn, &[(level, index)])?;
        found
            .node(level, index)
            .map_err(|_| AppError::internal("the stored tree misses a node"))
    }
}

fn proved(e: ProveError<AppError>) -> AppError {
    match e {
        ProveError::Request(why) => AppError::field("size", "invalid_tree_size", why.to_string()),
        ProveError::Read(e) => e,
    }
}

/// The stored hash of leaf `index`.
pub fn leaf_hash(conn: &mut DbConnection, index: u64) -> Result<Hash, AppError> {
    StoredNodes::new(conn).node(0, index)
}

/// The root of the tree as it was at `size` (at most the size now).
pub fn root_at(conn: &mut DbConnection, size: u64) -> Result<Hash, AppError> {
    merkle::tree_root(&StoredNodes::new(conn), size)
}

/// The inclusion proof of leaf `index` in the tree of `size`.
pub fn inclusion(conn: &mut DbConnection, index: u64, size: u64) -> Result<Vec<Hash>, AppError> {
    merkle::inclusion_proof(&StoredNodes::new(conn), index, size).map_err(proved)
}

/// The consistency proof from the tree of `old` leaves to the tree of `new`.
pub fn consistency(conn: &mut DbConnection, old: u64, new: u64) -> Result<Vec<Hash>, AppError> {
    merkle::consistency_proof(&StoredNodes::new(conn), old, new).map_err(proved)
}

/// Records which nodes a proof reads (the reads do not depend on the hashes), so that many
/// proofs can be fetched in a few queries.
#[derive(Default)]
struct Recorder {
    wanted: RefCell<std::collections::BTreeSet<(u8, u64)>>,
}

impl NodeSource for Recorder {
    type Error = std::convert::Infallible;

    fn node(&self, level: u8, index: u64) -> Result<Hash, Self::Error> {
        self.wanted.borrow_mut().insert((level, index));
        Ok([0; 32])
    }
}

/// The inclusion proofs of many leaves in the tree of `size` (a firm's whole ledger): the nodes
/// they read are fetched together, `CHUNK` per query.
pub fn inclusion_many(
    conn: &mut DbConnection,
    indexes: &[u64],
    size: u64,
) -> Result<Vec<Vec<Hash>>, AppError> {
    let recorder = Recorder::default();
    for &index in indexes {
        merkle::inclusion_proof(&recorder, index, size)
            .map_err(|e| AppError::internal(e.to_string()))?;
    }
    let wanted: Vec<(u8, u64)> = recorder.wanted.into_inner().into_iter().collect();
    let nodes = fetch(conn, &wanted)?;
    indexes
        .iter()
        .map(|&index| {
            merkle::inclusion_proof(&nodes, index, size)
                .map_err(|_| AppError::internal("the stored tree misses a node"))
        })
        .collect()
}

/// The leaf index of each of these entries that is in the tree.
pub fn leaf_indexes(
    conn: &mut DbConnection,
    entry_ids: &[&str],
) -> Result<HashMap<String, u64>, AppError> {
    let mut found = HashMap::new();
    for chunk in entry_ids.chunks(CHUNK) {
        let rows: Vec<(String, i64)> = merkle_leaves::table
            .filter(merkle_leaves::entry_id.eq_any(chunk))
            .select((merkle_leaves::entry_id, merkle_leaves::leaf_index))
            .load(conn)?;
        for (id, index) in rows {
            found.insert(id, size_of(index)?);
        }
    }
    Ok(found)
}

/// A stored checkpoint.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkpoints)]
pub struct CheckpointRow {
    pub tree_size: i64,
    pub root_hash: String,
    pub signed_at: chrono::NaiveDateTime,
    pub note: String,
}

pub fn insert_checkpoint(conn: &mut DbConnection, row: &CheckpointRow) -> Result<(), AppError> {
    diesel::insert_into(checkpoints::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn latest_checkpoint(conn: &mut DbConnection) -> Result<Option<CheckpointRow>, AppError> {
    Ok(checkpoints::table
        .order(checkpoints::tree_size.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn checkpoint_at(
    conn: &mut DbConnection,
    size: u64,
) -> Result<Option<CheckpointRow>, AppError> {
    Ok(checkpoints::table
        .filter(checkpoints::tree_size.eq(db_int(size)?))
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()?)
}

/// Checkpoints from tree size `from` on, smallest first.
pub fn checkpoints_from(
    conn: &mut DbConnection,
    from: u64,
    limit: i64,
) -> Result<Vec<CheckpointRow>, AppError> {
    Ok(checkpoints::table
        .filter(checkpoints::tree_size.ge(db_int(from)?))
        .order(checkpoints::tree_size.asc())
        .limit(limit)
        .select(CheckpointRow::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_edge_is_the_binary_decomposition_of_the_size() {
        assert_eq!(edge(0), vec![]);
        assert_eq!(edge(1), vec![(0, 0)]);
        assert_eq!(edge(6), vec![(2, 0), (1, 2)]);
        assert_eq!(edge(7), vec![(2, 0), (1, 2), (0, 6)]);
        assert_eq!(edge(8), vec![(3, 0)]);
    }
}
