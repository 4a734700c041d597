//! Tamper evidence over the whole ledger (issue 13): one append-only RFC 9162 Merkle tree of
//! every entry, signed checkpoints of it in the C2SP signed-note form, and the proofs a firm, a
//! regulator or a monitor checks without trusting the registry.
//!
//! `merkle` and `checkpoint` are pure core (no database, no HTTP); the store, the signing key
//! and the endpoints come on top of them here.

pub mod checkpoint;
pub mod merkle;
