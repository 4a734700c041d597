//! A monitor's judgement of each new checkpoint against the last one it saw: signed by the key
//! it knows, and the same history grown — never smaller (a rollback), never a different root for
//! a size it has seen or a tree that does not extend the last (a fork). Pure: the `monitor`
//! command fetches and keeps the files.

use super::checkpoint::Checkpoint;
use super::receipt::{self, ConsistencyFile, VerifyError};

/// What the new checkpoint is to the monitor.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// The first it has seen.
    First(Checkpoint),
    /// The tree as last seen.
    Same(Checkpoint),
    /// The last tree, grown; proven consistent.
    Grew { from: u64, to: Checkpoint },
}

/// What must be reported loudly.
#[derive(Debug, thiserror::Error)]
pub enum Alarm {
    #[error("ROLLBACK: the registry now signs a tree of {now} entries after one of {last}")]
    Rollback { last: u64, now: u64 },
    #[error("FORK: the registry signed two different trees of {size} entries")]
    Fork { size: u64 },
    #[error("FORK: the tree of {to} entries does not extend the one of {from}: {why}")]
    Inconsistent {
        from: u64,
        to: u64,
        why: VerifyError,
    },
    #[error("the new checkpoint does not verify with the known key: {0}")]
    Unsigned(VerifyError),
    #[error("the last checkpoint kept no longer verifies: {0}")]
    BadState(VerifyError),
}

/// Whether the monitor needs a consistency proof, and between which sizes, to judge `new`.
pub fn proof_needed(last: Option<&Checkpoint>, new: &Checkpoint) -> Option<(u64, u64)> {
    last.filter(|l| l.size < new.size)
        .map(|l| (l.size, new.size))
}

/// Opens the new note with the known key; then, if there was a last one, compares them (with
/// `proof` when the tree grew).
pub fn judge(
    vkey: &str,
    last: Option<&str>,
    new: &str,
    proof: Option<&ConsistencyFile>,
) -> Result<Seen, Alarm> {
    let new_cp = receipt::open_checkpoint(vkey, new).map_err(Alarm::Unsigned)?;
    let Some(last) = last else {
        return Ok(Seen::First(new_cp));
    };
    let last_cp = receipt::open_checkpoint(vkey, last).map_err(Alarm::BadState)?;
    if new_cp.size < last_cp.size {
        return Err(Alarm::Rollback {
            last: last_cp.size,
            now: new_cp.size,
        });
    }
    if new_cp.size == last_cp.size {
        return if new_cp.root == last_cp.root {
            Ok(Seen::Same(new_cp))
        } else {
            Err(Alarm::Fork { size: new_cp.size })
        };
    }
    let (from, to) = (last_cp.size, new_cp.size);
    let empty = ConsistencyFile {
        from,
        to,
        proof: Vec::new(),
    };
    receipt::verify_consistency(vkey, last, new, proof.unwrap_or(&empty))
        .map_err(|why| Alarm::Inconsistent { from, to, why })?;
    Ok(Seen::Grew { from, to: new_cp })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::checkpoint::VerifierKey;
    use crate::transparency::merkle::{self, Frontier, MemoryNodes};
    use chrono::Utc;
    use ed25519_dalek::SigningKey;

    /// A registry of `n` leaves, its key and a note of each size asked for.
    struct Log {
        key: SigningKey,
        nodes: MemoryNodes,
        frontier: Frontier,
    }

    impl Log {
        fn new(seed: u8) -> Log {
            Log {
                key: SigningKey::from_bytes(&[seed; 32]),
                nodes: MemoryNodes::new(),
                frontier: Frontier::new(),
            }
        }
        fn grow(&mut self, n: u64) {
            for i in 0..n {
                let leaf = merkle::leaf_hash(&(self.frontier.size() + i * 1000).to_be_bytes());
                self.nodes.extend(self.frontier.append(leaf));
            }
        }
        fn note(&self) -> String {
            Checkpoint::new(
                "reg",
                self.frontier.size(),
                self.frontier.root(),
                Utc::now(),
            )
            .sign(&self.key, "reg")
            .unwrap()
        }
        fn vkey(&self) -> String {
            VerifierKey::new("reg", self.key.verifying_key())
                .unwrap()
                .to_string()
        }
        fn proof(&self, from: u64, to: u64) -> ConsistencyFile {
            let proof = merkle::consistency_proof(&self.nodes, from, to).unwrap();
            ConsistencyFile {
                from,
                to,
                proof: proof.iter().map(hex::encode).collect(),
            }
        }
    }

    #[test]
    fn growth_is_accepted_and_a_rollback_or_fork_is_an_alarm() {
        let mut log = Log::new(1);
        log.grow(5);
        let five = log.note();
        let vkey = log.vkey();
        assert!(matches!(
            judge(&vkey, None, &five, None),
            Ok(Seen::First(_))
        ));
        assert!(matches!(
            judge(&vkey, Some(&five), &five, None),
            Ok(Seen::Same(_))
        ));
        log.grow(3);
        let eight = log.note();
        let proof = log.proof(5, 8);
        assert!(matches!(
            judge(&vkey, Some(&five), &eight, Some(&proof)),
            Ok(Seen::Grew { from: 5, .. })
        ));
        assert!(matches!(
            judge(&vkey, Some(&eight), &five, None),
            Err(Alarm::Rollback { last: 8, now: 5 })
        ));
        assert!(matches!(
            judge(&vkey, Some(&five), &eight, None),
            Err(Alarm::Inconsistent { .. })
        ));
        // Another history of the same key: the same size with another root, or a tree that does
        // not extend the one seen.
        let mut other = Log::new(1);
        other.grow(4);
        let rewritten = other.frontier.append(merkle::leaf_hash(b"rewritten"));
        other.nodes.extend(rewritten);
        let forged_five = other.note();
        assert!(matches!(
            judge(&vkey, Some(&five), &forged_five, None),
            Err(Alarm::Fork { size: 5 })
        ));
        other.grow(3);
        let forged_eight = other.note();
        let forged_proof = other.proof(5, 8);
        assert!(matches!(
            judge(&vkey, Some(&five), &forged_eight, Some(&forged_proof)),
            Err(Alarm::Inconsistent { .. })
        ));
        // Another key's note is no checkpoint of this registry.
        let stranger = Log::new(2);
        assert!(matches!(
            judge(&vkey, Some(&five), &stranger.note(), None),
            Err(Alarm::Unsigned(_))
        ));
        let (cp5, cp8) = (
            receipt::open_checkpoint(&vkey, &five).unwrap(),
            receipt::open_checkpoint(&vkey, &eight).unwrap(),
        );
        assert_eq!(proof_needed(None, &cp5), None);
        assert_eq!(proof_needed(Some(&cp5), &cp8), Some((5, 8)));
        assert_eq!(proof_needed(Some(&cp8), &cp5), None);
    }
}
