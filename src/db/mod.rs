//! Storage plumbing: one connection type over SQLite and PostgreSQL, the pool, migrations,
//! and the few places where the two backends must be told apart.

pub mod group;
pub mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend the deployment uses; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(diesel::SqliteConnection),
    Postgres(diesel::PgConnection),
}

/// Where the data lives, decided once from the configured URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    // A PostgreSQL URL may carry a password: show only the scheme and host part.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => {
                let host = url.rsplit('@').next().unwrap_or("");
                write!(
                    f,
                    "postgres://…@{}",
                    host.trim_start_matches("postgres://")
                        .trim_start_matches("postgresql://")
                )
            }
        }
    }
}

impl DatabaseUrl {
    /// `postgres://` or `postgresql://` selects PostgreSQL; `sqlite://PATH` or a bare path selects
    /// SQLite. Any other scheme is refused rather than mistaken for a file name.
    pub fn parse(text: &str) -> Result<DatabaseUrl, String> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(text.to_string()))
        } else if let Some(path) = text.strip_prefix("sqlite://") {
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if text.contains("://") {
            Err(format!(
                "unsupported database URL scheme in {:?}: use postgres://… or sqlite://PATH",
                text.split("://").next().unwrap_or("")
            ))
        } else if text.is_empty() {
            Err("the database URL is empty".into())
        } else {
            Ok(DatabaseUrl::Sqlite(PathBuf::from(text)))
        }
    }

    pub fn sqlite_in(data_dir: &Path) -> DatabaseUrl {
        DatabaseUrl::Sqlite(data_dir.join("registry.db"))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

/// Opens connections for the pool, applying SQLite's per-connection settings.
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> ConnectionManager {
        ConnectionManager { url }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_string_lossy();
                let mut conn = diesel::SqliteConnection::establish(&path)
                    .map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers proceed during a write; FULL makes each commit durable;
                // the busy timeout queues writers instead of failing them.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => diesel::PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection still inside a transaction (its work panicked half-way) must not go back
    /// to the pool: on SQLite it would hold the write lock for ever.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::connection::TransactionManagerStatus;
        match <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        {
            TransactionManagerStatus::Valid(status) => status.transaction_depth().is_some(),
            TransactionManagerStatus::InError => true,
        }
    }
}

pub type DbPool = Pool<ConnectionManager>;

/// The pool plus what the rest of the app needs to know about it.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
}

impl Db {
    /// Connects (failing within seconds on a wrong URL) and applies pending migrations.
    pub fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Db, String> {
        if let DatabaseUrl::Sqlite(path) = url {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
        }
        let manager = ConnectionManager::new(url.clone());
        // Test the URL once directly: r2d2 would only report a timeout.
        let mut first = manager
            .connect()
            .map_err(|e| format!("cannot open the database {url:?}: {e}"))?;
        run_migrations(&mut first).map_err(|e| format!("migrations failed: {e}"))?;
        drop(first);
        let pool = Pool::builder()
            .max_size(max_connections)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|e| format!("cannot open the database {url:?}: {e}"))?;
        Ok(Db { pool })
    }

    pub fn get(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, AppError> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking diesel work off the async executor with a pooled connection.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
    }
}

pub fn run_migrations(conn: &mut DbConnection) -> Result<(), String> {
    let result = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| e.to_string())
}

/// Runs `work` in a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so the write lock is
/// taken up front and a read-then-write never fails on a lock upgrade; PostgreSQL uses a plain
/// transaction (row locks are taken by the statements that need them).
pub fn write_tx<T, F>(conn: &mut DbConnection, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError>,
{
    transaction(conn, "BEGIN IMMEDIATE", "BEGIN", work)
}

/// Runs `work` on one consistent snapshot of the database: many reads that must agree with each
/// other (the custody validator's input), without blocking writers.
pub fn read_snapshot<T, F>(conn: &mut DbConnection, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError>,
{
    transaction(
        conn,
        "BEGIN DEFERRED",
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        work,
    )
}

fn transaction<T, F>(
    conn: &mut DbConnection,
    sqlite_begin: &str,
    postgres_begin: &str,
    work: F,
) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError>,
{
    // Inside a transaction already (a console form that logs its change with it): a savepoint.
    if in_transaction(conn)? {
        return conn.transaction(work);
    }
    match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, sqlite_begin)?
        }
        DbConnection::Postgres(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, postgres_begin)?
        }
    }
    match work(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(err) => {
            <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)
                .map_err(|e| AppError::internal(format!("rollback failed: {e}")))?;
            Err(err)
        }
    }
}

fn in_transaction(conn: &mut DbConnection) -> Result<bool, AppError> {
    let depth = match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth()
        }
        DbConnection::Postgres(inner) => {
            AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth()
        }
    };
    Ok(depth?.is_some())
}

pub fn is_postgres(conn: &DbConnection) -> bool {
    matches!(conn, DbConnection::Postgres(_))
}

diesel::define_sql_function!(
    /// SQL `lower(text)`, for case-blind search on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);

/// A `LIKE` pattern (with `ESCAPE '\'`) matching values that contain `text`, lower-cased:
/// `%`, `_` and `\` in the text match themselves, not patterns. Always a bound parameter.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// An online, consistent copy of a SQLite database into a new file (`VACUUM INTO`): filings may
/// go on meanwhile; the copy is the database as of one moment, compacted.
pub fn copy_sqlite_into(conn: &mut DbConnection, to: &Path) -> Result<(), AppError> {
    let DbConnection::Sqlite(c) = conn else {
        return Err(AppError::internal("VACUUM INTO is SQLite's"));
    };
    let target = to
        .to_str()
        .ok_or_else(|| AppError::internal("the backup path is not UTF-8"))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(target)
        .execute(c)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_text_never_becomes_a_pattern() {
        assert_eq!(super::contains_pattern("Ab"), "%ab%");
        assert_eq!(super::contains_pattern("50%_\\"), "%50\\%\\_\\\\%");
    }
}
