//! Ledger storage. Only INSERT and SELECT: the ledger is never updated or deleted.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;
use uuid::Uuid;

use super::chain;
use crate::db::schema::{chemicals, firms, idempotency_keys, ledger_entries, merkle_leaves};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::transparency::{self, merkle, store::Leaf};

/// Rows per INSERT statement: 24 columns × 500 stays below every backend's parameter limit.
const INSERT_CHUNK: usize = 500;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_entries, treat_none_as_default_value = false)]
pub struct LedgerRow {
    pub firm_id: String,
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub chemical_id: String,
    pub lot: Option<String>,
    pub quantity: i64,
    pub occurred_at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
    pub recorded_by: String,
    pub counterparty_firm_id: Option<String>,
    pub counterparty_name: Option<String>,
    pub counterparty_credit_code: Option<String>,
    pub counterparty_permit_no: Option<String>,
    pub shipment_ref: Option<String>,
    pub permit_no: Option<String>,
    pub transport_permit_no: Option<String>,
    pub warehouse: Option<String>,
    pub note: Option<String>,
    pub reverses: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// A person counterparty's resident ID number (whole; masked when shown to non-regulators).
    pub counterparty_resident_id: Option<String>,
    pub payment: Option<String>,
}

/// Serializes filers of one firm on PostgreSQL (SQLite's `BEGIN IMMEDIATE` already does).
pub fn lock_firm(conn: &mut DbConnection, firm_id: Uuid) -> Result<(), AppError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT id FROM firms WHERE id = $1 FOR UPDATE")
            .bind::<Text, _>(firm_id.to_string())
            .execute(pg)?;
    }
    Ok(())
}

/// Locks several firms' chains at once, in one order for everyone (the database's order of their
/// ids): a group commit holds many firms, and two groups that took them in different orders could
/// deadlock.
pub fn lock_firms(conn: &mut DbConnection, firm_ids: &[&str]) -> Result<(), AppError> {
    if let DbConnection::Postgres(pg) = conn {
        let ids: Vec<&str> = firm_ids.to_vec();
        diesel::sql_query("SELECT id FROM firms WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind::<diesel::sql_types::Array<Text>, _>(ids)
            .execute(pg)?;
    }
    Ok(())
}

/// The last (seq, hash) of a firm's chain, if it has entries.
pub fn head(conn: &mut DbConnection, firm_id: Uuid) -> Result<Option<(i64, String)>, AppError> {
    Ok(ledger_entries::table
        .filter(ledger_entries::firm_id.eq(firm_id.to_string()))
        .order(ledger_entries::seq.desc())
        .select((ledger_entries::seq, ledger_entries::hash))
        .first(conn)
        .optional()?)
}

/// Stores new entries and appends them, in order, to the registry's Merkle tree in the same
/// transaction; returns their leaf indexes.
pub fn insert(conn: &mut DbConnection, rows: &[LedgerRow]) -> Result<Vec<u64>, AppError> {
    // Multi-row INSERTs don't go through the backend enum; each backend runs the same statement.
    for chunk in rows.chunks(INSERT_CHUNK) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(ledger_entries::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(ledger_entries::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    append_to_tree(conn, rows)
}

/// Stores many new entries at once, as [`insert`] does: on PostgreSQL with one `COPY` for the
/// entries and one for their leaves (several times the rate of multi-row INSERTs), on SQLite
/// with [`insert`].
pub fn insert_bulk(conn: &mut DbConnection, rows: &[LedgerRow]) -> Result<(), AppError> {
    match conn {
        DbConnection::Postgres(c) => {
            diesel::copy_from(ledger_entries::table)
                .from_insertable(rows)
                .execute(c)?;
            append_to_tree(conn, rows)?;
        }
        DbConnection::Sqlite(_) => {
            insert(conn, rows)?;
        }
    }
    Ok(())
}

/// Appends entries already stored to the tree, in order; their leaf indexes.
pub fn append_to_tree(conn: &mut DbConnection, rows: &[LedgerRow]) -> Result<Vec<u64>, AppError> {
    let leaves: Vec<Leaf> = rows
        .iter()
        .map(|r| Leaf {
            entry_id: &r.id,
            hash: merkle::leaf_hash(&chain::canonical_bytes(&r.hashed_fields())),
        })
        .collect();
    transparency::store::append(conn, &leaves)
}

/// Entries not yet in the tree (filed before it existed), oldest filing first, at most `limit`.
pub fn without_leaf(conn: &mut DbConnection, limit: i64) -> Result<Vec<LedgerRow>, AppError> {
    Ok(ledger_entries::table
        .left_join(merkle_leaves::table.on(merkle_leaves::entry_id.eq(ledger_entries::id)))
        .filter(merkle_leaves::leaf_index.is_null())
        .order((
            ledger_entries::recorded_at.asc(),
            ledger_entries::firm_id.asc(),
            ledger_entries::seq.asc(),
        ))
        .select(LedgerRow::as_select())
        .limit(limit)
        .load(conn)?)
}

pub fn find(
    conn: &mut DbConnection,
    firm_id: Uuid,
    id: Uuid,
) -> Result<Option<LedgerRow>, AppError> {
    Ok(ledger_entries::table
        .filter(ledger_entries::firm_id.eq(firm_id.to_string()))
        .filter(ledger_entries::id.eq(id.to_string()))
        .select(LedgerRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_many(
    conn: &mut DbConnection,
    firm_id: Uuid,
    ids: &[String],
) -> Result<Vec<LedgerRow>, AppError> {
    // In slices, so that an import's thousands of ids stay under every backend's bind limit.
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        rows.extend(
            ledger_entries::table
                .filter(ledger_entries::firm_id.eq(firm_id.to_string()))
                .filter(ledger_entries::id.eq_any(chunk))
                .select(LedgerRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
}

/// How many ids one `IN (…)` list binds.
const ID_CHUNK: usize = 1000;

/// Which of `ids` already have a reversal.
pub fn reversed_among(
    conn: &mut DbConnection,
    firm_id: Uuid,
    ids: &[String],
) -> Result<Vec<String>, AppError> {
    let mut found: Vec<Option<String>> = Vec::new();
    for chunk in ids.chunks(ID_CHUNK) {
        found.extend(
            ledger_entries::table
                .filter(ledger_entries::firm_id.eq(firm_id.to_string()))
                .filter(ledger_entries::reverses.eq_any(chunk))
                .select(ledger_entries::reverses)
                .load::<Option<String>>(conn)?,
        );
    }
    Ok(found.into_iter().flatten().collect())
}

/// Categories of the given chemicals, for those that exist.
pub fn chemical_categories(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<Vec<(String, i32)>, AppError> {
    Ok(chemicals::table
        .filter(chemicals::id.eq_any(ids))
        .select((chemicals::id, chemicals::category))
        .load(conn)?)
}

/// Which of `ids` are registered firms, with their credit codes.
pub fn registered_firms(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<Vec<(String, String)>, AppError> {
    Ok(firms::table
        .filter(firms::id.eq_any(ids))
        .select((firms::id, firms::credit_code))
        .load(conn)?)
}

/// Filters of a ledger listing, already parsed.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub kind: Option<String>,
    pub chemical_id: Option<String>,
    pub lot: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// Every firm's entries of one lot (`None`: the chemical's entries filed without a lot), in the
/// order they happened: a lot's whole custody path.
pub fn for_lot(
    conn: &mut DbConnection,
    chemical_id: &str,
    lot: Option<&str>,
) -> Result<Vec<LedgerRow>, AppError> {
    let query = ledger_entries::table
        .filter(ledger_entries::chemical_id.eq(chemical_id))
        .order((
            ledger_entries::occurred_at.asc(),
            ledger_entries::firm_id.asc(),
            ledger_entries::seq.asc(),
        ))
        .select(LedgerRow::as_select())
        .into_boxed();
    let query = match lot {
        Some(lot) => query.filter(ledger_entries::lot.eq(lot.to_string())),
        None => query.filter(ledger_entries::lot.is_null()),
    };
    Ok(query.load(conn)?)
}

/// Entries in seq order after `after_seq`, at most `limit` (None: all).
pub fn list(
    conn: &mut DbConnection,
    firm_id: Uuid,
    filter: &EntryFilter,
    after_seq: i64,
    limit: Option<i64>,
) -> Result<Vec<LedgerRow>, AppError> {
    let mut query = ledger_entries::table
        .filter(ledger_entries::firm_id.eq(firm_id.to_string()))
        .filter(ledger_entries::seq.gt(after_seq))
        .order(ledger_entries::seq.asc())
        .select(LedgerRow::as_select())
        .into_boxed();
    if let Some(kind) = &filter.kind {
        query = query.filter(ledger_entries::kind.eq(kind.clone()));
    }
    if let Some(chemical_id) = &filter.chemical_id {
        query = query.filter(ledger_entries::chemical_id.eq(chemical_id.clone()));
    }
    if let Some(lot) = &filter.lot {
        query = query.filter(ledger_entries::lot.eq(lot.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(ledger_entries::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(ledger_entries::occurred_at.lt(to));
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    Ok(query.load(conn)?)
}

/// The seq and recording time of a firm's last entry.
pub fn head_entry(
    conn: &mut DbConnection,
    firm_id: Uuid,
) -> Result<Option<(i64, NaiveDateTime)>, AppError> {
    Ok(ledger_entries::table
        .filter(ledger_entries::firm_id.eq(firm_id.to_string()))
        .order(ledger_entries::seq.desc())
        .select((ledger_entries::seq, ledger_entries::recorded_at))
        .first(conn)
        .optional()?)
}

/// What a running balance needs of an entry: (id, seq, kind, chemical, lot, quantity,
/// occurred_at, reverses).
pub type MovementRow = (
    String,
    i64,
    String,
    String,
    Option<String>,
    i64,
    NaiveDateTime,
    Option<String>,
);

/// The movements of a firm in the given chemicals and every reversal of the firm (a reversal
/// of an entry of these chemicals may name any of them).
pub fn movements(
    conn: &mut DbConnection,
    firm_id: Uuid,
    chemical_ids: &[String],
) -> Result<Vec<MovementRow>, AppError> {
    use ledger_entries::dsl as e;
    Ok(e::ledger_entries
        .filter(e::firm_id.eq(firm_id.to_string()))
        .filter(
            e::chemical_id
                .eq_any(chemical_ids)
                .or(e::kind.eq("reversal")),
        )
        .order(e::seq.asc())
        .select((
            e::id,
            e::seq,
            e::kind,
            e::chemical_id,
            e::lot,
            e::quantity,
            e::occurred_at,
            e::reverses,
        ))
        .load(conn)?)
}

/// Every entry of a firm in seq order.
pub fn all_for_firm(conn: &mut DbConnection, firm_id: Uuid) -> Result<Vec<LedgerRow>, AppError> {
    list(conn, firm_id, &EntryFilter::default(), 0, None)
}

/// Firms that have ledger entries, for verifying every chain: one probe of the ledger's key
/// per registered firm, not a `DISTINCT` over every entry.
pub fn firms_with_entries(conn: &mut DbConnection) -> Result<Vec<String>, AppError> {
    Ok(firms::table
        .filter(diesel::dsl::exists(
            ledger_entries::table.filter(ledger_entries::firm_id.eq(firms::id)),
        ))
        .select(firms::id)
        .order(firms::id.asc())
        .load(conn)?)
}

pub struct StoredResponse {
    pub request_hash: String,
    pub status: i32,
    pub body: String,
}

pub fn find_idempotent(
    conn: &mut DbConnection,
    firm_id: Uuid,
    key: &str,
) -> Result<Option<StoredResponse>, AppError> {
    let found: Option<(String, i32, String)> = idempotency_keys::table
        .filter(idempotency_keys::firm_id.eq(firm_id.to_string()))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    Ok(found.map(|(request_hash, status, body)| StoredResponse {
        request_hash,
        status,
        body,
    }))
}

/// A new filing's answer, kept for retries with its key.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    pub firm_id: String,
    pub idempotency_key: String,
    pub request_hash: String,
    pub response_status: i32,
    pub response_body: String,
    pub created_at: NaiveDateTime,
}

pub fn save_idempotent(conn: &mut DbConnection, row: &IdempotencyRow) -> Result<(), AppError> {
    save_idempotent_many(conn, std::slice::from_ref(row))
}

/// Several answers in one statement per `INSERT_CHUNK` (a group commit's).
pub fn save_idempotent_many(
    conn: &mut DbConnection,
    rows: &[IdempotencyRow],
) -> Result<(), AppError> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(idempotency_keys::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(idempotency_keys::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}
