//! Filing: checks an entry (or a batch) against the database, chains it and stores it, once.
//! One path for every way entries arrive (`submission`): the checks against the ledger
//! (`validate`), the links of the chain (`chaining`), at most once per key (`idempotency`).

mod chaining;
mod group;
mod idempotency;
mod submission;
mod tx;
mod validate;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::store::LedgerRow;
use crate::activity::ActivityRow;
use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::time::{self, OccurredAtFloor};
use crate::error::{AppError, FieldError};
use crate::firms;
use chaining::ChainHead;
pub use group::{FilingGroup, Grouped};
pub use idempotency::{Filed, Idempotency};
pub use submission::{Item, Parsed, Prepared, Submission, MAX_BATCH};
pub use tx::{Alone, FilingTx};
use validate::LedgerState;

/// Files into `firm_id`'s ledger in one transaction: all or nothing, and at most once per
/// idempotency key. The submission is parsed after the key is checked, so that a retry is
/// answered even if the rules changed meanwhile; no entry may have happened before `floor`.
pub fn file(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    submission: Submission<'_>,
    floor: OccurredAtFloor,
    key: Option<&str>,
    log: Option<ActivityRow>,
) -> Result<Filed, AppError> {
    file_if(conn, who, firm_id, submission, floor, key, log, |_| Ok(()))
}

/// As [`file`], once `still_due` agrees inside the transaction, after the firm's filers are
/// serialized: a check that must not race with another filing of the firm (a receipt confirms a
/// dispatch only while nothing else has received it).
#[allow(clippy::too_many_arguments)]
pub fn file_if(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    submission: Submission<'_>,
    floor: OccurredAtFloor,
    key: Option<&str>,
    log: Option<ActivityRow>,
    still_due: impl FnOnce(&mut DbConnection) -> Result<(), AppError>,
) -> Result<Filed, AppError> {
    file_then(
        conn,
        who,
        firm_id,
        submission,
        floor,
        key,
        log,
        still_due,
        |_, _| Ok(()),
    )
}

/// As [`file_if`], and `then` writes what goes with the new rows in their transaction (an
/// EPCIS import's record of the events it filed).
#[allow(clippy::too_many_arguments)]
pub fn file_then(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    submission: Submission<'_>,
    floor: OccurredAtFloor,
    key: Option<&str>,
    log: Option<ActivityRow>,
    still_due: impl FnOnce(&mut DbConnection) -> Result<(), AppError>,
    then: impl FnOnce(&mut DbConnection, &[LedgerRow]) -> Result<(), AppError>,
) -> Result<Filed, AppError> {
    let filing = Filing::new(who, firm_id, submission, floor, key, log)?;
    write_tx(conn, |conn| {
        filing.run(&mut Alone { conn }, still_due, then)
    })
}

/// Files through `tx` (a transaction of its own, or a group commit's): as [`file`], with the
/// transaction left to the caller.
pub fn file_in(
    tx: &mut dyn FilingTx,
    who: &Principal,
    firm_id: Uuid,
    submission: Submission<'_>,
    floor: OccurredAtFloor,
    key: Option<&str>,
    log: Option<ActivityRow>,
) -> Result<Filed, AppError> {
    Filing::new(who, firm_id, submission, floor, key, log)?.run(tx, |_| Ok(()), |_, _| Ok(()))
}

/// Runs `work` in a write transaction of its own (what [`file`] does around [`file_in`]).
pub fn alone<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut dyn FilingTx) -> Result<T, AppError>,
) -> Result<T, AppError> {
    write_tx(conn, |conn| work(&mut Alone { conn }))
}

/// A filing whose request is checked (who may file, the idempotency key), to run in a write
/// transaction.
struct Filing<'a> {
    who: &'a Principal,
    firm_id: Uuid,
    submission: Submission<'a>,
    floor: OccurredAtFloor,
    idempotency: Option<Idempotency>,
    log: Option<ActivityRow>,
}

impl<'a> Filing<'a> {
    fn new(
        who: &'a Principal,
        firm_id: Uuid,
        submission: Submission<'a>,
        floor: OccurredAtFloor,
        key: Option<&str>,
        log: Option<ActivityRow>,
    ) -> Result<Filing<'a>, AppError> {
        let idempotency = key.map(|k| submission.idempotency(k)).transpose()?;
        policy::file_for_firm(who, firm_id)?;
        Ok(Filing {
            who,
            firm_id,
            submission,
            floor,
            idempotency,
            log,
        })
    }

    /// The filing's body, the same in every transaction: the firm's filers serialized, a retry
    /// answered, the items checked and chained, then stored with their answer and log line.
    fn run(
        self,
        tx: &mut dyn FilingTx,
        still_due: impl FnOnce(&mut DbConnection) -> Result<(), AppError>,
        then: impl FnOnce(&mut DbConnection, &[LedgerRow]) -> Result<(), AppError>,
    ) -> Result<Filed, AppError> {
        let Filing {
            who,
            firm_id,
            submission,
            floor,
            idempotency,
            log,
        } = self;
        let now = time::now();
        let firm = tx.firm(firm_id)?;
        if let Some(idem) = &idempotency {
            if let Some(earlier) = tx.replay(firm_id, idem)? {
                return Ok(earlier);
            }
        }
        still_due(tx.conn())?;
        let Parsed { items, errors } = submission.items(tx.conn(), time::from_db(now), floor)?;
        validate::firm_may_file(&firm, &items)?;
        let rows = check_and_chain(tx, who, &firm, &items, errors, time::from_db(now))?;
        let leaves = tx.store(&rows)?;
        then(tx.conn(), &rows)?;
        let body = submission.render(&rows, &leaves, who)?;
        if let Some(idem) = &idempotency {
            tx.keep(firm_id, idem, &body, now)?;
        }
        // The filing and its line in the activity log commit together (one commit, one fsync).
        if let Some(row) = &log {
            tx.log(row)?;
        }
        Ok(Filed::New { rows, body })
    }
}

/// Every check `file` makes, and nothing stored: how many entries the submission would file,
/// or the errors `file` would answer (the console's preview of an upload).
pub fn check(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    submission: Submission<'_>,
    floor: OccurredAtFloor,
) -> Result<usize, AppError> {
    policy::file_for_firm(who, firm_id)?;
    let now = time::from_db(time::now());
    let firm = firms::require(conn, firm_id)?;
    let Parsed { items, errors } = submission.items(conn, now, floor)?;
    validate::firm_may_file(&firm, &items)?;
    let mut tx = Alone { conn };
    Ok(check_and_chain(&mut tx, who, &firm, &items, errors, now)?.len())
}

/// Checks every item against the ledger and chains those that pass. `errors` are the items'
/// parse errors; the answer lists them and every check's error, or gives the rows to store.
fn check_and_chain(
    tx: &mut dyn FilingTx,
    who: &Principal,
    firm: &firms::Firm,
    items: &[Item],
    mut errors: Vec<FieldError>,
    now: DateTime<Utc>,
) -> Result<Vec<LedgerRow>, AppError> {
    let mut state = LedgerState::load(tx, firm, items)?;
    let mut head = ChainHead::after(tx.head(firm.id)?, firm.id, who, now)?;
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        match state.check(item) {
            Ok(checked) => {
                let row = head.link(item, checked);
                state.record(item, &row);
                rows.push(row);
            }
            Err(mut more) => errors.append(&mut more),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// `precursor-registry import`: a CSV filed as one batch (see `Submission::Csv`).
pub fn import_csv(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    csv_bytes: &[u8],
    floor: OccurredAtFloor,
    key: Option<&str>,
    log: Option<ActivityRow>,
) -> Result<Filed, AppError> {
    file(
        conn,
        who,
        firm_id,
        Submission::Csv(csv_bytes),
        floor,
        key,
        log,
    )
}
