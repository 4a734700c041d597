-- Issue 13: one append-only Merkle tree (RFC 9162) over every ledger entry, and its signed
-- checkpoints. Leaves are appended in the filing's own transaction; the head row is the one
-- point of order (locked on PostgreSQL, behind SQLite's single writer). Nothing here is ever
-- updated but the head's size.
CREATE TABLE merkle_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    tree_size BIGINT NOT NULL
);
INSERT INTO merkle_head (id, tree_size) VALUES (1, 0);
-- Which entry each leaf is, and its leaf hash (node (0, leaf_index)).
CREATE TABLE merkle_leaves (
    leaf_index BIGINT PRIMARY KEY NOT NULL,
    entry_id TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL
);
-- The perfect subtrees' roots from level 4 up: node (level, idx) covers leaves
-- [idx·2^level, (idx+1)·2^level). A node below level 4 is computed from its ≤ 8 leaves, so an
-- entry costs one leaf row and, on average, 1/8 of a node row.
CREATE TABLE merkle_nodes (
    level INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE checkpoints (
    tree_size BIGINT PRIMARY KEY NOT NULL,
    root_hash TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL,
    note TEXT NOT NULL
);
