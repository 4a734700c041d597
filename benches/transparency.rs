//! The registry's Merkle tree at scale, in one run (docs/performance.md): appending leaves
//! through the store, then inclusion and consistency proofs read from the stored nodes and
//! checked by the verifier, against a baseline measured in the same run — one leaf's hash read
//! by its index, the unit a proof is made of.
//!
//! `cargo bench --bench transparency` (BENCH_LEAVES, default 1000000; BENCH_PROOFS, default 2000).

use std::time::Instant;

use diesel::prelude::*;
use precursor_registry::db::schema::merkle_leaves;
use precursor_registry::db::{write_tx, DatabaseUrl, Db};
use precursor_registry::transparency::merkle;
use precursor_registry::transparency::store::{self, Leaf};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift), so that runs ask for the same proofs.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn main() {
    let n = env_u64("BENCH_LEAVES", 1_000_000);
    let proofs = env_u64("BENCH_PROOFS", 2_000);
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("tree.db")), 1).unwrap();
    let mut conn = db.get().unwrap();

    // Appending, in batches as a batch filing does.
    let ids: Vec<String> = (0..n).map(|i| format!("entry-{i:012}")).collect();
    let started = Instant::now();
    for chunk in ids.chunks(10_000) {
        let leaves: Vec<Leaf> = chunk
            .iter()
            .map(|id| Leaf {
                entry_id: id,
                hash: merkle::leaf_hash(id.as_bytes()),
            })
            .collect();
        write_tx(&mut conn, |conn| store::append(conn, &leaves)).unwrap();
    }
    let append = started.elapsed();
    // One leaf per transaction, as a single filing does, on top of the full tree.
    let started = Instant::now();
    let singles = 1_000;
    for i in 0..singles {
        let id = format!("single-{i}");
        let leaf = [Leaf {
            entry_id: &id,
            hash: merkle::leaf_hash(id.as_bytes()),
        }];
        write_tx(&mut conn, |conn| store::append(conn, &leaf)).unwrap();
    }
    let single = started.elapsed();
    let size = n + singles;

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    for _ in 0..proofs {
        let index = rng.below(size) as i64;
        let _: String = merkle_leaves::table
            .filter(merkle_leaves::leaf_index.eq(index))
            .select(merkle_leaves::hash)
            .first(&mut *conn)
            .unwrap();
    }
    let node_read = started.elapsed();

    let root = store::root_at(&mut conn, size).unwrap();
    let mut made = Vec::new();
    let started = Instant::now();
    for _ in 0..proofs {
        let index = rng.below(size);
        let path = store::inclusion(&mut conn, index, size).unwrap();
        let leaf = store::leaf_hash(&mut conn, index).unwrap();
        made.push((index, leaf, path));
    }
    let prove = started.elapsed();
    let hashes: usize = made.iter().map(|(_, _, p)| p.len()).sum();
    let started = Instant::now();
    for (index, leaf, path) in &made {
        merkle::verify_inclusion(leaf, *index, size, path, &root).unwrap();
    }
    let verify = started.elapsed();

    let mut pairs = Vec::new();
    let started = Instant::now();
    for _ in 0..proofs {
        let old = 1 + rng.below(size - 1);
        let old_root = store::root_at(&mut conn, old).unwrap();
        let path = store::consistency(&mut conn, old, size).unwrap();
        pairs.push((old, old_root, path));
    }
    let consist = started.elapsed();
    let started = Instant::now();
    for (old, old_root, path) in &pairs {
        merkle::verify_consistency(*old, size, old_root, &root, path).unwrap();
    }
    let consist_verify = started.elapsed();

    let us = |d: std::time::Duration, k: u64| d.as_secs_f64() * 1e6 / k as f64;
    let read = us(node_read, proofs);
    println!("transparency: a tree of {size} leaves in SQLite, {proofs} proofs of each kind");
    println!("  leaf hash read by index (baseline){read:>9.1} µs");
    println!(
        "  append, batches of 10 000         {:>9.1} µs per leaf   ({:.2} × a node read)",
        us(append, n),
        us(append, n) / read
    );
    println!(
        "  append, one leaf per transaction  {:>9.1} µs per leaf   ({:.2} × a node read)",
        us(single, singles),
        us(single, singles) / read
    );
    println!(
        "  inclusion proof, from the store   {:>9.1} µs, {:.1} hashes ({:.1} × a node read)",
        us(prove, proofs),
        hashes as f64 / proofs as f64,
        us(prove, proofs) / read
    );
    println!(
        "  inclusion proof, verified         {:>9.1} µs",
        us(verify, proofs)
    );
    println!(
        "  consistency proof (with old root) {:>9.1} µs           ({:.1} × a node read)",
        us(consist, proofs),
        us(consist, proofs) / read
    );
    println!(
        "  consistency proof, verified       {:>9.1} µs",
        us(consist_verify, proofs)
    );
    let file = std::fs::metadata(dir.path().join("tree.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "  database file                     {:>9.1} B per leaf",
        file as f64 / size as f64
    );
}
