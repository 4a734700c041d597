//! The registry's Merkle tree, RFC 9162 §2.1 (RFC 6962) over SHA-256: leaf and node hashing,
//! the append-only frontier, inclusion and consistency proofs and their verifiers.
//!
//! A stored tree is its perfect nodes: node (level, index) is the root of the leaves
//! `[index·2^level, (index+1)·2^level)`. A perfect node never changes once its last leaf is
//! appended, so a store only ever inserts, and any subtree's hash is a fold of O(log n) of them.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// A SHA-256 digest: a leaf hash, a node hash or a tree's root.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`: the hash of one leaf.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an inner node. The prefixes keep a leaf from
/// passing for a node (second preimages).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Where the perfect nodes of a tree are kept: a database table later, a map in tests.
pub trait NodeSource {
    type Error;
    /// The perfect node at `level`, `index` (its leaves must all have been appended).
    fn node(&self, level: u8, index: u64) -> Result<Hash, Self::Error>;
}

/// Perfect nodes in memory: for tests, tools and the offline verifier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryNodes {
    nodes: HashMap<(u8, u64), Hash>,
}

impl MemoryNodes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn put(&mut self, level: u8, index: u64, hash: Hash) {
        self.nodes.insert((level, index), hash);
    }
}

impl Extend<(u8, u64, Hash)> for MemoryNodes {
    fn extend<I: IntoIterator<Item = (u8, u64, Hash)>>(&mut self, nodes: I) {
        for (level, index, hash) in nodes {
            self.put(level, index, hash);
        }
    }
}

/// A node a proof needed is not in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the tree has no node at level {level}, index {index}")]
pub struct MissingNode {
    pub level: u8,
    pub index: u64,
}

impl NodeSource for MemoryNodes {
    type Error = MissingNode;

    fn node(&self, level: u8, index: u64) -> Result<Hash, MissingNode> {
        let missing = MissingNode { level, index };
        self.nodes.get(&(level, index)).copied().ok_or(missing)
    }
}

/// The right edge of the tree: the roots of the perfect subtrees that `[0, size)` splits into,
/// largest first. That is all an append needs, so appending never reads the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The frontier of the stored tree of `size` leaves (after a restart): O(log n) reads.
    pub fn from_source<S: NodeSource>(source: &S, size: u64) -> Result<Self, S::Error> {
        let hashes = read_range(source, 0, size)?;
        Ok(Self { size, hashes })
    }

    /// The tree size: how many leaves were appended.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tree's root, MTH of RFC 9162 §2.1.1.
    pub fn root(&self) -> Hash {
        fold_right(&self.hashes)
    }

    /// Appends the leaf with hash `leaf` (see [`leaf_hash`]) and returns the perfect nodes it
    /// completes, (level, index, hash), the leaf first: what the store must insert. One node
    /// per trailing one bit of the old size, so one or two on average.
    pub fn append(&mut self, leaf: Hash) -> Vec<(u8, u64, Hash)> {
        let (mut level, mut index, mut hash) = (0u8, self.size, leaf);
        let mut completed = vec![(level, index, hash)];
        // An odd index is a right child: its left sibling is the frontier's smallest subtree.
        while index & 1 == 1 {
            let Some(left) = self.hashes.pop() else { break };
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            completed.push((level, index, hash));
        }
        self.hashes.push(hash);
        self.size += 1;
        completed
    }
}

/// Why a proof does not hold, or cannot be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("old tree size {old} is larger than new tree size {new}")]
    SizesReversed { old: u64, new: u64 },
    #[error("the proof has {got} hashes; these sizes need exactly {expected}")]
    WrongLength { expected: usize, got: usize },
    #[error("the proof does not lead to the given root")]
    RootMismatch,
    #[error("the proof does not lead to the old root")]
    OldRootMismatch,
    #[error("the proof does not lead to the new root")]
    NewRootMismatch,
}

/// Why a proof could not be built: a bad request, or the store failed.
#[derive(Debug, thiserror::Error)]
pub enum ProveError<E> {
    #[error("{0}")]
    Request(ProofError),
    #[error("reading the tree: {0}")]
    Read(E),
}

/// The root of the stored tree of `size` leaves (the tree a past checkpoint signed).
pub fn tree_root<S: NodeSource>(source: &S, size: u64) -> Result<Hash, S::Error> {
    range_hash(source, 0, size)
}

/// PATH(index, D[size]) of RFC 9162 §2.1.3.1: the sibling hashes from the leaf up to the root.
pub fn inclusion_proof<S: NodeSource>(
    source: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProveError<S::Error>> {
    if index >= size {
        return Err(ProveError::Request(ProofError::IndexOutOfRange {
            index,
            size,
        }));
    }
    // Walk down from the root: (start, n) is the current subtree, m the leaf within it.
    let (mut start, mut n, mut m) = (0, size, index);
    let mut path = Vec::new();
    while n > 1 {
        let k = split(n);
        let sibling = if m < k {
            let right = range_hash(source, start + k, n - k);
            n = k;
            right
        } else {
            let left = range_hash(source, start, k);
            (start, m, n) = (start + k, m - k, n - k);
            left
        };
        path.push(sibling.map_err(ProveError::Read)?);
    }
    path.reverse();
    Ok(path)
}

/// PROOF(old, D[new]) of RFC 9162 §2.1.4.1 (SUBPROOF). Empty when `old` is 0 or `new`: there
/// is nothing to prove.
pub fn consistency_proof<S: NodeSource>(
    source: &S,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, ProveError<S::Error>> {
    if old > new {
        return Err(ProveError::Request(ProofError::SizesReversed { old, new }));
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    let (mut start, mut n, mut m) = (0, new, old);
    let mut whole = true; // SUBPROOF's b: the old tree is still a whole subtree of this one.
    let mut path = Vec::new();
    while m != n {
        let k = split(n);
        let hash = if m <= k {
            let right = range_hash(source, start + k, n - k);
            n = k;
            right
        } else {
            let left = range_hash(source, start, k);
            (start, m, n, whole) = (start + k, m - k, n - k, false);
            left
        };
        path.push(hash.map_err(ProveError::Read)?);
    }
    if !whole {
        path.push(range_hash(source, start, m).map_err(ProveError::Read)?);
    }
    path.reverse();
    Ok(path)
}

/// Checks that `leaf` (a leaf hash) is at `index` in the tree of `size` leaves whose root is
/// `root`, RFC 9162 §2.1.3.2. The proof must have exactly the length the sizes call for.
///
/// Take `size` and `root` from one verified checkpoint: RFC 9162 hashes do not commit to the
/// size, so a proof may also check against its root under another size (see the tests).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let wrong_length = check_length(inclusion_proof_len(index, size), proof)?;
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(wrong_length);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            (f, s) = skip_right_edge(f, s);
        } else {
            r = node_hash(&r, p);
        }
        (f, s) = (f >> 1, s >> 1);
    }
    if s != 0 {
        return Err(wrong_length);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `old` leaves with root `old_root` is a prefix of the tree of `new`
/// leaves with root `new_root`, RFC 9162 §2.1.4.2. Equal sizes need an empty proof and equal
/// roots; old size 0 needs an empty proof and the empty tree's root. As for inclusion, each
/// size and its root must come from one verified checkpoint.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::SizesReversed { old, new });
    }
    if old == 0 || old == new {
        check_length(0, proof)?;
        if old == 0 && *old_root != empty_root() {
            return Err(ProofError::OldRootMismatch);
        }
        if old == new && old_root != new_root {
            return Err(ProofError::NewRootMismatch);
        }
        return Ok(());
    }
    let wrong_length = check_length(consistency_proof_len(old, new), proof)?;
    // A perfect old tree is one node of the new tree: the proof leaves it out.
    let seeded;
    let path = if old.is_power_of_two() {
        seeded = [&[*old_root][..], proof].concat();
        &seeded[..]
    } else {
        proof
    };
    let Some((first, rest)) = path.split_first() else {
        return Err(wrong_length);
    };
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        (f, s) = (f >> 1, s >> 1);
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(wrong_length);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            (f, s) = skip_right_edge(f, s);
        } else {
            sr = node_hash(&sr, c);
        }
        (f, s) = (f >> 1, s >> 1);
    }
    if s != 0 {
        return Err(wrong_length);
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::NewRootMismatch);
    }
    Ok(())
}

/// The length of every inclusion proof of `index` in a tree of `size` (index < size): one hash
/// per level below the point where the paths to `index` and to the last leaf part, then one
/// per left subtree above it.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let inner = bit_len(index ^ (size - 1));
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// The length of every consistency proof from `old` to `new` (0 < old < new), as
/// transparency-dev/merkle counts it: the old tree's rightmost perfect subtree (unless the old
/// tree is perfect), the levels up to where the paths to leaves old-1 and new-1 part, and the
/// left subtrees above.
fn consistency_proof_len(old: u64, new: u64) -> usize {
    let fork = bit_len((old - 1) ^ (new - 1));
    let inner = fork - old.trailing_zeros();
    let border = (old - 1).checked_shr(fork).unwrap_or(0).count_ones();
    let seed = u32::from(!old.is_power_of_two());
    (seed + inner + border) as usize
}

/// RFC 9162's "right-shift fn and sn until LSB(fn) is set or fn is 0": climbs the levels where
/// the node is the last of its level and has no right sibling.
fn skip_right_edge(mut f: u64, mut s: u64) -> (u64, u64) {
    while f & 1 == 0 && f != 0 {
        (f, s) = (f >> 1, s >> 1);
    }
    (f, s)
}

/// Refuses a proof of another length than `expected`, and returns the error for RFC 9162's
/// own length checks, which come second (and so never fire).
fn check_length(expected: usize, proof: &[Hash]) -> Result<ProofError, ProofError> {
    let wrong = ProofError::WrongLength {
        expected,
        got: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong);
    }
    Ok(wrong)
}

/// Number of bits of `x`: 0 for 0.
fn bit_len(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}

/// The largest power of two below `n` (n ≥ 2): where MTH splits a tree of `n` leaves.
fn split(n: u64) -> u64 {
    1 << (bit_len(n - 1) - 1)
}

/// The perfect nodes, (level, index), that `[start, start + size)` splits into, largest first.
/// `start` must be a multiple of the largest of them, as every subtree MTH makes is.
fn perfect_nodes(start: u64, size: u64) -> impl Iterator<Item = (u8, u64)> {
    let levels = (0..u64::BITS as u8)
        .rev()
        .filter(move |l| (size >> l) & 1 == 1);
    levels.scan(start, |offset, level| {
        let node = (level, *offset >> level);
        *offset += 1 << level;
        Some(node)
    })
}

fn read_range<S: NodeSource>(source: &S, start: u64, size: u64) -> Result<Vec<Hash>, S::Error> {
    let nodes = perfect_nodes(start, size);
    nodes
        .map(|(level, index)| source.node(level, index))
        .collect()
}

/// MTH(D[start : start + size]), from the perfect nodes of its decomposition.
fn range_hash<S: NodeSource>(source: &S, start: u64, size: u64) -> Result<Hash, S::Error> {
    Ok(fold_right(&read_range(source, start, size)?))
}

/// MTH of a tree given its perfect subtrees, largest first: MTH splits off the largest power
/// of two each time, so the root folds them from the right.
fn fold_right(hashes: &[Hash]) -> Hash {
    let Some((last, rest)) = hashes.split_last() else {
        return empty_root();
    };
    rest.iter()
        .rev()
        .fold(*last, |acc, left| node_hash(left, &acc))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use proptest::prelude::*;

    use super::*;

    fn hex(s: &str) -> Hash {
        let bytes: Vec<u8> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect();
        bytes.try_into().unwrap()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // RFC 6962 test vectors as transparency-dev/merkle ships them (commit 417fb0c,
    // testonly/constants.go: LeafInputs, NodeHashes, RootHashes; cmd/proofgen/main.go:
    // inclusionProofs, consistencyProofs, whose leaf indexes there count from 1). Trillian and
    // Go's certificate-transparency tests use the same eight leaves.
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];

    /// NodeHashes: the perfect nodes of the 8-leaf tree, by level.
    const NODES: [&[&str]; 4] = [
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ],
        &[
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ],
        &[
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
        &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
    ];

    /// RootHashes: the root of the tree of the first `size` leaves, for size 0..=8.
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// inclusionProofs: (leaf index from 0, tree size, PATH).
    const INCLUSION: [(u64, u64, &[&str]); 5] = [
        (0, 1, &[]),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];

    /// consistencyProofs: (old size, new size, PROOF).
    const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];

    /// proofgen's "some hash", its stand-in for a random root.
    const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

    fn hashes(list: &[&str]) -> Vec<Hash> {
        list.iter().map(|h| hex(h)).collect()
    }

    /// The vectors' tree, built by appending: its store and frontier.
    fn vector_tree() -> (MemoryNodes, Frontier) {
        let (mut nodes, mut frontier) = (MemoryNodes::new(), Frontier::new());
        for leaf in LEAVES {
            nodes.extend(frontier.append(leaf_hash(&unhex(leaf))));
        }
        (nodes, frontier)
    }

    /// A tree of `size` leaves, the leaf data being the index: leaf hashes, store, frontier.
    fn tree(size: u64) -> (Vec<Hash>, MemoryNodes, Frontier) {
        let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let (mut nodes, mut frontier) = (MemoryNodes::new(), Frontier::new());
        for leaf in &leaves {
            nodes.extend(frontier.append(*leaf));
        }
        (leaves, nodes, frontier)
    }

    // The reference: RFC 9162 §2.1 transcribed recursively over a slice, as unlike the code
    // above (which walks down, reads perfect nodes and verifies by bit arithmetic) as possible.

    fn ref_split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = ref_split(n);
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn ref_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        if leaves.len() <= 1 {
            return vec![];
        }
        let k = ref_split(leaves.len());
        let (mut path, sibling) = if m < k {
            (ref_path(m, &leaves[..k]), mth(&leaves[k..]))
        } else {
            (ref_path(m - k, &leaves[k..]), mth(&leaves[..k]))
        };
        path.push(sibling);
        path
    }

    fn ref_subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if whole { vec![] } else { vec![mth(leaves)] };
        }
        let k = ref_split(n);
        let (mut proof, sibling) = if m <= k {
            (ref_subproof(m, &leaves[..k], whole), mth(&leaves[k..]))
        } else {
            (ref_subproof(m - k, &leaves[k..], false), mth(&leaves[..k]))
        };
        proof.push(sibling);
        proof
    }

    fn ref_consistency(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        if m == 0 {
            return vec![];
        }
        ref_subproof(m, leaves, true)
    }

    /// Counts the nodes a proof reads.
    struct Counting<'a>(&'a MemoryNodes, Cell<usize>);

    impl NodeSource for Counting<'_> {
        type Error = MissingNode;
        fn node(&self, level: u8, index: u64) -> Result<Hash, MissingNode> {
            self.1.set(self.1.get() + 1);
            self.0.node(level, index)
        }
    }

    #[test]
    fn hashes_match_the_rfc_6962_vectors() {
        assert_eq!(empty_root(), hex(ROOTS[0]));
        assert_eq!(leaf_hash(b""), hex(NODES[0][0]));
        let (nodes, frontier) = vector_tree();
        for (level, row) in NODES.iter().enumerate() {
            for (index, want) in row.iter().enumerate() {
                let got = nodes.node(level as u8, index as u64).unwrap();
                assert_eq!(got, hex(want), "node ({level}, {index})");
            }
        }
        assert_eq!(frontier.root(), hex(ROOTS[8]));
        let mut grown = Frontier::new();
        for (size, leaf) in LEAVES.iter().enumerate() {
            assert_eq!(tree_root(&nodes, size as u64).unwrap(), hex(ROOTS[size]));
            grown.append(leaf_hash(&unhex(leaf)));
            assert_eq!(grown.root(), hex(ROOTS[size + 1]), "size {}", size + 1);
        }
    }

    #[test]
    fn proofs_match_the_rfc_6962_vectors() {
        let (nodes, _) = vector_tree();
        for (index, size, want) in INCLUSION {
            let proof = inclusion_proof(&nodes, index, size).unwrap();
            assert_eq!(proof, hashes(want), "inclusion of {index} in {size}");
            let leaf = leaf_hash(&unhex(LEAVES[index as usize]));
            let root = hex(ROOTS[size as usize]);
            assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
        }
        for (old, new, want) in CONSISTENCY {
            let proof = consistency_proof(&nodes, old, new).unwrap();
            assert_eq!(proof, hashes(want), "consistency {old} → {new}");
            let (r1, r2) = (hex(ROOTS[old as usize]), hex(ROOTS[new as usize]));
            assert_eq!(verify_consistency(old, new, &r1, &r2, &proof), Ok(()));
        }
    }

    /// proofgen's mutations of each inclusion vector, every one of which must fail.
    #[test]
    fn mutated_inclusion_vectors_are_rejected() {
        for (index, size, want) in INCLUSION {
            let proof = hashes(want);
            let leaf = leaf_hash(&unhex(LEAVES[index as usize]));
            let root = hex(ROOTS[size as usize]);
            let mut probes = vec![
                (leaf, index.wrapping_sub(1), size, proof.clone(), root),
                (leaf, index + 1, size, proof.clone(), root),
                (leaf, index ^ 2, size, proof.clone(), root),
                (leaf, index, size * 2, proof.clone(), root),
                (leaf, index, size / 2, proof.clone(), root),
                (leaf_hash(b"WrongLeaf"), index, size, proof.clone(), root),
                (leaf, index, size, proof.clone(), empty_root()),
                (leaf, index, size, proof.clone(), hex(SOME_HASH)),
                (leaf, index, size, [&proof[..], &[[0; 32]]].concat(), root),
                (leaf, index, size, [&proof[..], &[root]].concat(), root),
                (leaf, index, size, [&[[0; 32]], &proof[..]].concat(), root),
                (leaf, index, size, [&[root], &proof[..]].concat(), root),
            ];
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i][0] ^= 8;
                probes.push((leaf, index, size, bad, root));
            }
            if let Some((_, shorter)) = proof.split_last() {
                probes.push((leaf, index, size, shorter.to_vec(), root));
            }
            if proof.len() > 1 {
                let inserted = [&[proof[0], hex(SOME_HASH)], &proof[1..]].concat();
                probes.push((leaf, index, size, inserted, root));
            }
            for (leaf, i, n, p, r) in probes {
                let result = verify_inclusion(&leaf, i, n, &p, &r);
                assert!(result.is_err(), "accepted {i} in {n}: {p:?}");
            }
        }
    }

    /// proofgen's mutations of each consistency vector, every one of which must fail.
    #[test]
    fn mutated_consistency_vectors_are_rejected() {
        // As in proofgen, the equal sizes 1 → 1 have no mutations (their roots are one).
        for (old, new, want) in &CONSISTENCY[1..] {
            let (old, new, proof) = (*old, *new, hashes(want));
            let (r1, r2) = (hex(ROOTS[old as usize]), hex(ROOTS[new as usize]));
            let some = hex(SOME_HASH);
            let mut probes = vec![
                (old, new, r1, some, proof.clone()),
                (old, new, some, r2, proof.clone()),
                (old, new, r2, r1, proof.clone()),
                (old - 1, new, r1, r2, proof.clone()),
                (old + 1, new, r1, r2, proof.clone()),
                (old ^ 2, new, r1, r2, proof.clone()),
                (old, new * 2, r1, r2, proof.clone()),
                (old, new / 2, r1, r2, proof.clone()),
                (old, new, r1, r2, [&proof[..], &[[0; 32]]].concat()),
                (old, new, r1, r2, [&proof[..], &[r1]].concat()),
                (old, new, r1, r2, [&proof[..], &[r2]].concat()),
                (old, new, r1, r2, [&[[0; 32]], &proof[..]].concat()),
                (old, new, r1, r2, [&[r1], &proof[..]].concat()),
                (old, new, r1, r2, [&[r2], &proof[..]].concat()),
            ];
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i][0] ^= 16;
                probes.push((old, new, r1, r2, bad));
            }
            if let Some((_, shorter)) = proof.split_last() {
                probes.push((old, new, r1, r2, shorter.to_vec()));
            }
            for (m, n, a, b, p) in probes {
                // proofgen's "size1 XOR 2" of 1 → 8 is 3 → 8 and "size2 div 2" of 1 → 1 is
                // 1 → 0; with the roots of 1 and 8 both still fail.
                let result = verify_consistency(m, n, &a, &b, &p);
                assert!(result.is_err(), "accepted {m} → {n}: {p:?}");
            }
        }
    }

    /// transparency-dev's "additional" probes, with fixed-size hashes.
    #[test]
    fn consistency_edge_cases() {
        let (empty, some, other) = (empty_root(), hex(SOME_HASH), hex(ROOTS[1]));
        let reversed = ProofError::SizesReversed { old: 2, new: 1 };
        assert_eq!(verify_consistency(2, 1, &some, &other, &[]), Err(reversed));
        assert!(verify_consistency(1, 0, &some, &empty, &[]).is_err());
        // Equal sizes: an empty proof and the same root, nothing else.
        assert_eq!(verify_consistency(1, 1, &some, &some, &[]), Ok(()));
        assert_eq!(verify_consistency(0, 0, &empty, &empty, &[]), Ok(()));
        assert!(verify_consistency(1, 1, &some, &other, &[]).is_err());
        assert!(verify_consistency(0, 0, &some, &some, &[]).is_err());
        let not_empty = ProofError::WrongLength {
            expected: 0,
            got: 1,
        };
        assert_eq!(
            verify_consistency(1, 1, &some, &some, &[some]),
            Err(not_empty)
        );
        assert_eq!(
            verify_consistency(0, 0, &empty, &empty, &[empty]),
            Err(not_empty)
        );
        // From the empty tree: nothing to prove, but the old root must be the empty tree's.
        assert_eq!(verify_consistency(0, 5, &empty, &some, &[]), Ok(()));
        assert_eq!(
            verify_consistency(0, 1, &empty, &empty, &[empty]),
            Err(not_empty)
        );
        assert!(verify_consistency(0, 1, &some, &other, &[]).is_err());
        // Growing trees need a proof.
        let missing = ProofError::WrongLength {
            expected: 1,
            got: 0,
        };
        assert_eq!(verify_consistency(1, 2, &some, &other, &[]), Err(missing));
    }

    #[test]
    fn inclusion_edge_cases() {
        let leaf = leaf_hash(b"data");
        assert_eq!(verify_inclusion(&leaf, 0, 1, &[], &leaf), Ok(()));
        assert!(verify_inclusion(&leaf, 0, 1, &[], &empty_root()).is_err());
        assert!(verify_inclusion(&leaf, 0, 1, &[leaf], &leaf).is_err());
        for (index, size) in [(0, 0), (1, 0), (1, 1), (2, 1), (u64::MAX, u64::MAX)] {
            let out_of_range = ProofError::IndexOutOfRange { index, size };
            let result = verify_inclusion(&leaf, index, size, &[], &empty_root());
            assert_eq!(result, Err(out_of_range));
        }
        // Very large trees: the length arithmetic holds at the top bit.
        let (index, size) = (u64::MAX - 1, u64::MAX);
        assert_eq!(inclusion_proof_len(index, size), 63);
        assert_eq!(inclusion_proof_len(0, u64::MAX), 64);
        assert_eq!(consistency_proof_len(u64::MAX - 1, u64::MAX), 64);
        let (nodes, _) = vector_tree();
        let refused = inclusion_proof(&nodes, 8, 8);
        let refused = matches!(
            refused,
            Err(ProveError::Request(ProofError::IndexOutOfRange { .. }))
        );
        assert!(refused);
        assert!(matches!(
            inclusion_proof(&nodes, 3, 9),
            Err(ProveError::Read(_))
        ));
        assert!(matches!(
            consistency_proof(&nodes, 5, 4),
            Err(ProveError::Request(_))
        ));
        assert_eq!(consistency_proof(&nodes, 0, 8).unwrap(), Vec::<Hash>::new());
    }

    /// Every proof of every small tree, against the reference.
    #[test]
    fn every_proof_of_small_trees_matches_the_reference() {
        let (leaves, nodes, _) = tree(70);
        for n in 1..=leaves.len() {
            let root = mth(&leaves[..n]);
            let size = n as u64;
            for m in 0..n {
                let proof = inclusion_proof(&nodes, m as u64, size).unwrap();
                assert_eq!(proof, ref_path(m, &leaves[..n]), "inclusion {m} in {n}");
                assert_eq!(proof.len(), inclusion_proof_len(m as u64, size));
                verify_inclusion(&leaves[m], m as u64, size, &proof, &root).unwrap();
            }
            for m in 0..=n {
                let proof = consistency_proof(&nodes, m as u64, size).unwrap();
                assert_eq!(
                    proof,
                    ref_consistency(m, &leaves[..n]),
                    "consistency {m} → {n}"
                );
                let old = mth(&leaves[..m]);
                verify_consistency(m as u64, size, &old, &root, &proof).unwrap();
            }
        }
    }

    /// Why a verifier takes the size and the root from the same signed checkpoint: the root
    /// of size 3 with the proof of leaf 0 in size 3 also checks as "leaf 0 of size 4" (both
    /// trees hash leaf 0 with the same two siblings' positions). No tree of size 4 has that
    /// root, so only a size and root signed together mean anything.
    #[test]
    fn a_proof_does_not_commit_to_the_tree_size() {
        let (leaves, nodes, _) = tree(4);
        let root3 = tree_root(&nodes, 3).unwrap();
        let proof = inclusion_proof(&nodes, 0, 3).unwrap();
        assert_eq!(verify_inclusion(&leaves[0], 0, 4, &proof, &root3), Ok(()));
        let root4 = tree_root(&nodes, 4).unwrap();
        assert!(verify_inclusion(&leaves[0], 0, 4, &proof, &root4).is_err());
        let proof = consistency_proof(&nodes, 1, 3).unwrap();
        assert_eq!(verify_consistency(1, 4, &leaves[0], &root3, &proof), Ok(()));
        assert!(verify_consistency(1, 4, &leaves[0], &root4, &proof).is_err());
    }

    #[test]
    fn proofs_read_logarithmically_many_nodes() {
        let (_, nodes, _) = tree(3000);
        let counting = Counting(&nodes, Cell::new(0));
        for (a, b) in [
            (0, 3000),
            (2047, 2049),
            (1234, 2999),
            (1, 3000),
            (2999, 3000),
        ] {
            let bound = 2 * bit_len(3000) as usize;
            counting.1.set(0);
            inclusion_proof(&counting, a, b).unwrap();
            assert!(
                counting.1.get() <= bound,
                "inclusion {a} {b}: {}",
                counting.1.get()
            );
            counting.1.set(0);
            consistency_proof(&counting, a, b).unwrap();
            assert!(
                counting.1.get() <= bound,
                "consistency {a} {b}: {}",
                counting.1.get()
            );
        }
    }

    /// A random tree, and a random leaf and old size in it.
    fn tree_and_points() -> impl Strategy<Value = (u64, u64, u64)> {
        (1u64..2000).prop_flat_map(|n| (Just(n), 0..n, 0..=n))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Every inclusion proof and every consistency proof of a random tree verifies; the
        /// sampled ones equal the reference's.
        #[test]
        fn every_proof_verifies((n, i, m) in tree_and_points()) {
            let (leaves, nodes, frontier) = tree(n);
            let root = frontier.root();
            prop_assert_eq!(root, tree_root(&nodes, n).unwrap());
            for index in 0..n {
                let proof = inclusion_proof(&nodes, index, n).unwrap();
                prop_assert_eq!(verify_inclusion(&leaves[index as usize], index, n, &proof, &root), Ok(()));
            }
            for old in 0..=n {
                let proof = consistency_proof(&nodes, old, n).unwrap();
                let old_root = tree_root(&nodes, old).unwrap();
                prop_assert_eq!(verify_consistency(old, n, &old_root, &root, &proof), Ok(()));
            }
            let (i, m) = (i as usize, m as usize);
            prop_assert_eq!(root, mth(&leaves));
            prop_assert_eq!(inclusion_proof(&nodes, i as u64, n).unwrap(), ref_path(i, &leaves));
            prop_assert_eq!(consistency_proof(&nodes, m as u64, n).unwrap(), ref_consistency(m, &leaves));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A tampered inclusion proof fails: a flipped bit anywhere (proof, leaf, root, index,
        /// size), a hash dropped, added, duplicated or swapped, another leaf's proof, another
        /// size's proof against that size's root.
        #[test]
        fn tampered_inclusion_proofs_fail(
            (n, i, other) in tree_and_points(),
            pick in any::<prop::sample::Index>(),
            bit in 0usize..256,
            extra in any::<[u8; 32]>(),
        ) {
            let (leaves, nodes, frontier) = tree(n);
            let (leaf, root) = (leaves[i as usize], frontier.root());
            let proof = inclusion_proof(&nodes, i, n).unwrap();
            let flip = |h: &Hash| { let mut h = *h; h[bit / 8] ^= 1 << (bit % 8); h };
            let verify = |leaf: &Hash, i, n, proof: &[Hash], root: &Hash| verify_inclusion(leaf, i, n, proof, root);
            prop_assert!(verify(&flip(&leaf), i, n, &proof, &root).is_err());
            prop_assert!(verify(&leaf, i, n, &proof, &flip(&root)).is_err());
            prop_assert!(verify(&leaf, i ^ (1 << (bit % 64)), n, &proof, &root).is_err());
            for at in 0..=proof.len() {
                let added = [&proof[..at], &[extra], &proof[at..]].concat();
                prop_assert!(verify(&leaf, i, n, &added, &root).is_err());
            }
            if !proof.is_empty() {
                let at = pick.index(proof.len());
                let mut flipped = proof.clone();
                flipped[at] = flip(&flipped[at]);
                prop_assert!(verify(&leaf, i, n, &flipped, &root).is_err());
                let mut dropped = proof.clone();
                dropped.remove(at);
                prop_assert!(verify(&leaf, i, n, &dropped, &root).is_err());
                let duplicated = [&proof[..=at], &proof[at..]].concat();
                prop_assert!(verify(&leaf, i, n, &duplicated, &root).is_err());
                let mut twice = proof.clone();
                twice[(at + 1) % proof.len()] = proof[at];
                if twice != proof {
                    prop_assert!(verify(&leaf, i, n, &twice, &root).is_err());
                }
                let mut swapped = proof.clone();
                swapped.swap(at, (at + 1) % proof.len());
                if swapped != proof {
                    prop_assert!(verify(&leaf, i, n, &swapped, &root).is_err());
                }
            }
            // Another leaf of the same tree with this proof.
            let j = other.min(n - 1);
            if j != i {
                prop_assert!(verify(&leaf, j, n, &proof, &root).is_err());
                prop_assert!(verify(&leaves[j as usize], j, n, &proof, &root).is_err());
            }
            // The proof for size n presented against the signed root of another size.
            let size = (n ^ (1 << (bit % 12))).max(i + 1);
            if size != n && size <= 4096 {
                let (_, _, bigger) = tree(size);
                prop_assert!(verify(&leaf, i, size, &proof, &bigger.root()).is_err());
            }
        }

        /// A tampered consistency proof fails: flipped bits in the proof or either root,
        /// hashes dropped, added, duplicated or swapped, other sizes against their roots.
        #[test]
        fn tampered_consistency_proofs_fail(
            (n, _, m) in tree_and_points(),
            pick in any::<prop::sample::Index>(),
            bit in 0usize..256,
            extra in any::<[u8; 32]>(),
            other in 0u64..2000,
        ) {
            let (_, nodes, frontier) = tree(n);
            let (old_root, new_root) = (tree_root(&nodes, m).unwrap(), frontier.root());
            let proof = consistency_proof(&nodes, m, n).unwrap();
            let flip = |h: &Hash| { let mut h = *h; h[bit / 8] ^= 1 << (bit % 8); h };
            let verify = |m, proof: &[Hash], a: &Hash, b: &Hash| verify_consistency(m, n, a, b, proof);
            prop_assert!(verify(m, &proof, &flip(&old_root), &new_root).is_err());
            // From the empty tree any new root is consistent: nothing to flip there.
            if m > 0 {
                prop_assert!(verify(m, &proof, &old_root, &flip(&new_root)).is_err());
            }
            for at in 0..=proof.len() {
                let added = [&proof[..at], &[extra], &proof[at..]].concat();
                prop_assert!(verify(m, &added, &old_root, &new_root).is_err());
            }
            if !proof.is_empty() {
                let at = pick.index(proof.len());
                let mut flipped = proof.clone();
                flipped[at] = flip(&flipped[at]);
                prop_assert!(verify(m, &flipped, &old_root, &new_root).is_err());
                let mut dropped = proof.clone();
                dropped.remove(at);
                prop_assert!(verify(m, &dropped, &old_root, &new_root).is_err());
                let duplicated = [&proof[..=at], &proof[at..]].concat();
                prop_assert!(verify(m, &duplicated, &old_root, &new_root).is_err());
                let mut swapped = proof.clone();
                swapped.swap(at, (at + 1) % proof.len());
                if swapped != proof {
                    prop_assert!(verify(m, &swapped, &old_root, &new_root).is_err());
                }
            }
            // The proof from m offered for another old size, with that size's own root.
            let m2 = other.min(n);
            if m2 != m && 0 < m2 && m2 < n {
                let root2 = tree_root(&nodes, m2).unwrap();
                let result = verify(m2, &proof, &root2, &new_root);
                prop_assert!(result.is_err(), "{} → {} accepted as {} → {}", m, n, m2, n);
            }
            // An empty proof for a tree that grew.
            if 0 < m && m < n {
                prop_assert!(verify(m, &[], &old_root, &new_root).is_err());
            }
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The frontier's root is MTH after every append; a frontier resumed from the stored
        /// nodes is the one kept in memory, and keeps growing the same.
        #[test]
        fn frontier_tracks_the_reference(n in 1u64..300, cut in any::<prop::sample::Index>()) {
            let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect();
            let (mut nodes, mut frontier) = (MemoryNodes::new(), Frontier::new());
            let cut = cut.index(n as usize + 1);
            let mut resumed = None;
            for (size, leaf) in leaves.iter().enumerate() {
                if size == cut {
                    let from_store = Frontier::from_source(&nodes, size as u64).unwrap();
                    prop_assert_eq!(&from_store, &frontier);
                    resumed = Some(from_store);
                }
                let completed = frontier.append(*leaf);
                prop_assert!(completed.len() as u32 <= 1 + (size as u64).trailing_ones());
                if let Some(other) = resumed.as_mut() {
                    prop_assert_eq!(other.append(*leaf), completed.clone());
                }
                nodes.extend(completed);
                prop_assert_eq!(frontier.size(), size as u64 + 1);
                prop_assert_eq!(frontier.root(), mth(&leaves[..=size]));
            }
            prop_assert_eq!(Frontier::from_source(&nodes, n).unwrap(), frontier.clone());
            if let Some(other) = resumed {
                prop_assert_eq!(other, frontier);
            }
        }
    }
}
