//! Idempotent filing: a retry with the same `Idempotency-Key` gets the first answer again.

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::DbConnection;
use crate::error::AppError;
use crate::ledger::store::{self, IdempotencyRow, LedgerRow};

/// What a filing answered: replayed from an earlier request with the same key, or new.
pub enum Filed {
    Replayed { status: u16, body: String },
    New { rows: Vec<LedgerRow>, body: String },
}

const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The key of an idempotent request and the fingerprint of the request that first used it.
pub struct Idempotency {
    pub key: String,
    /// SHA-256 of the request (scope and body).
    pub request_hash: String,
}

impl Idempotency {
    /// `body` must be canonical for its format (JSON re-serialized, CSV as sent).
    pub fn new(key: &str, scope: &str, body: &[u8]) -> Result<Idempotency, AppError> {
        let key = key.trim();
        if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !key.is_ascii() {
            return Err(AppError::field(
                "Idempotency-Key",
                "invalid_idempotency_key",
                "must be 1–200 ASCII characters",
            ));
        }
        let mut hasher = Sha256::new();
        hasher.update(scope.as_bytes());
        hasher.update([0]);
        hasher.update(body);
        Ok(Idempotency {
            key: key.to_string(),
            request_hash: hex::encode(hasher.finalize()),
        })
    }

    /// The answer of the earlier request with this key, if there was one; a key reused for a
    /// different request is refused.
    pub fn replay(
        &self,
        conn: &mut DbConnection,
        firm_id: Uuid,
    ) -> Result<Option<Filed>, AppError> {
        match store::find_idempotent(conn, firm_id, &self.key)? {
            Some(earlier) => self.replay_of(earlier.request_hash, earlier.status, earlier.body),
            None => Ok(None),
        }
    }

    /// The earlier answer to this key (given to a request with `request_hash`), if this request
    /// is the same.
    pub fn replay_of(
        &self,
        request_hash: String,
        status: i32,
        body: String,
    ) -> Result<Option<Filed>, AppError> {
        if request_hash != self.request_hash {
            return Err(AppError::field(
                "Idempotency-Key",
                "idempotency_key_reused",
                "this key was used for a different request; use a new key",
            ));
        }
        Ok(Some(Filed::Replayed {
            status: status as u16,
            body,
        }))
    }

    /// The row that keeps the answer of a new filing (always a 201) for retries.
    pub fn row(&self, firm_id: Uuid, body: &str, at: NaiveDateTime) -> IdempotencyRow {
        IdempotencyRow {
            firm_id: firm_id.to_string(),
            idempotency_key: self.key.clone(),
            request_hash: self.request_hash.clone(),
            response_status: 201,
            response_body: body.to_string(),
            created_at: at,
        }
    }
}
