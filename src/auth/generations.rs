//! Whether an access token's generation is still its user's: the check that ends a disabled
//! user's tokens, or a signed-out one's, on the next request rather than when they expire. Read
//! from the users table, remembered for at most a second per user, so that several app servers
//! on one database agree within that second; the server that made the change forgets at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::db::Db;
use crate::error::AppError;

/// How long a user's generation is trusted without asking the database again.
const FRESH_FOR: Duration = Duration::from_secs(1);
/// Beyond this many remembered users the oldest half is dropped (a bound, not a tuning knob).
const MAX_REMEMBERED: usize = 100_000;

/// The remembered token generations, by user: (generation, disabled, when read).
#[derive(Default)]
pub struct Generations {
    known: Mutex<HashMap<Uuid, (i64, bool, Instant)>>,
}

impl Generations {
    /// Accepts a token of `user` in `generation`, or refuses it (401) when the user moved on,
    /// was disabled or no longer exists.
    pub async fn check(&self, db: &Db, user: Uuid, generation: i64) -> Result<(), AppError> {
        let state = match self.remembered(user) {
            Some(state) => Some(state),
            None => {
                let state = db
                    .run(move |conn| super::store::token_state(conn, user))
                    .await?;
                if let Some((current, disabled)) = state {
                    self.remember(user, current, disabled);
                }
                state
            }
        };
        match state {
            Some((current, false)) if current == generation => Ok(()),
            _ => Err(AppError::unauthenticated(
                "invalid_token",
                "the access token was ended (signed out, disabled or a new password); sign in again",
            )),
        }
    }

    /// The change of `user` made here: the next request reads the database.
    pub fn forget(&self, user: Uuid) {
        if let Ok(mut known) = self.known.lock() {
            known.remove(&user);
        }
    }

    fn remembered(&self, user: Uuid) -> Option<(i64, bool)> {
        let known = self.known.lock().ok()?;
        let (generation, disabled, at) = known.get(&user)?;
        (at.elapsed() < FRESH_FOR).then_some((*generation, *disabled))
    }

    fn remember(&self, user: Uuid, generation: i64, disabled: bool) {
        if let Ok(mut known) = self.known.lock() {
            if known.len() >= MAX_REMEMBERED {
                known.retain(|_, (_, _, at)| at.elapsed() < FRESH_FOR);
            }
            known.insert(user, (generation, disabled, Instant::now()));
        }
    }
}
