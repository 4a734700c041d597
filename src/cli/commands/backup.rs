//! `backup` and `restore`: a consistent copy of the registry taken while it runs, and put back
//! into an empty one; both end by verifying every firm's chain in what they produced.
//! SQLite: `VACUUM INTO`, then the file copied into place. PostgreSQL: `pg_dump --format=custom`
//! and `pg_restore`, which must be on the PATH (docs/operations.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;
use diesel::prelude::*;

use crate::cli::args::Storage;
use crate::cli::commands::verify::verify_all;
use crate::cli::report::describe;
use crate::db::{self, DatabaseUrl, Db};

#[derive(Args)]
pub(in crate::cli) struct BackupArgs {
    /// The file to write (refused if it exists).
    #[arg(long)]
    to: PathBuf,
    #[command(flatten)]
    storage: Storage,
}

#[derive(Args)]
pub(in crate::cli) struct RestoreArgs {
    /// A file `backup` wrote.
    #[arg(long)]
    from: PathBuf,
    /// Replace a registry that holds data (stop its server first).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    storage: Storage,
}

pub(in crate::cli) fn backup(args: BackupArgs) -> Result<(), String> {
    let url = args.storage.settings()?.database_url();
    if args.to.exists() {
        return Err(format!("{} exists; choose a new file", args.to.display()));
    }
    match &url {
        DatabaseUrl::Sqlite(_) => {
            let db = Db::connect(&url, 1)?;
            let mut conn = db.get().map_err(describe)?;
            db::copy_sqlite_into(&mut conn, &args.to).map_err(describe)?;
            // The copy itself is what is checked: it opens as a registry and every chain holds.
            let copy = Db::connect(&DatabaseUrl::Sqlite(args.to.clone()), 1)?;
            let (firms, entries) = verify_all(&mut *copy.get().map_err(describe)?)?;
            println!(
                "backup {}: {firms} firms' chains verify, {entries} entries",
                args.to.display()
            );
        }
        DatabaseUrl::Postgres(u) => {
            run(Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(&args.to)
                .arg(u))?;
            // A dump is checked by restoring it; here the database it was taken from is.
            let db = Db::connect(&url, 1)?;
            let (firms, entries) = verify_all(&mut *db.get().map_err(describe)?)?;
            println!(
                "backup {}: dumped; the source's {firms} firms' chains verify, {entries} entries",
                args.to.display()
            );
        }
    }
    Ok(())
}

pub(in crate::cli) fn restore(args: RestoreArgs) -> Result<(), String> {
    let url = args.storage.settings()?.database_url();
    if !args.from.is_file() {
        return Err(format!("{} is not a file", args.from.display()));
    }
    match &url {
        DatabaseUrl::Sqlite(path) => restore_sqlite(&args.from, path, args.force)?,
        DatabaseUrl::Postgres(u) => {
            let holds_data = postgres_holds_data(u)?;
            if holds_data && !args.force {
                return Err(refusal());
            }
            let mut command = Command::new("pg_restore");
            command.args(["--no-owner", "--exit-on-error"]);
            if holds_data {
                command.args(["--clean", "--if-exists"]);
            }
            run(command.arg("--dbname").arg(u).arg(&args.from))?;
        }
    }
    // Opening applies any migration newer than the backup; then every chain is verified.
    let db = Db::connect(&url, 1)?;
    let (firms, entries) = verify_all(&mut *db.get().map_err(describe)?)?;
    println!(
        "restored from {}: {firms} firms' chains verify, {entries} entries",
        args.from.display()
    );
    Ok(())
}

fn refusal() -> String {
    "the target registry holds data: restore into an empty one, or stop its server and add --force"
        .into()
}

/// The backup file copied next to the target and renamed over it (so a reader never sees half a
/// file), the target's write-ahead log removed first.
fn restore_sqlite(from: &Path, target: &Path, force: bool) -> Result<(), String> {
    if sqlite_holds_data(target)? && !force {
        return Err(refusal());
    }
    if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let staged = target.with_extension("db.restoring");
    std::fs::copy(from, &staged).map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side)
                .map_err(|e| format!("cannot remove {}: {e}", side.display()))?;
        }
    }
    std::fs::rename(&staged, target)
        .map_err(|e| format!("cannot replace {}: {e}", target.display()))
}

/// Whether a SQLite registry exists at `path` with any firm in it.
fn sqlite_holds_data(path: &Path) -> Result<bool, String> {
    if !path.exists() {
        return Ok(false);
    }
    let mut conn =
        SqliteConnection::establish(&path.display().to_string()).map_err(|e| e.to_string())?;
    firms_in(&mut conn)
}

/// Whether the PostgreSQL database holds a registry with any firm (its tables are not created by
/// looking).
fn postgres_holds_data(url: &str) -> Result<bool, String> {
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    firms_in(&mut conn)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn firms_in<C>(conn: &mut C) -> Result<bool, String>
where
    C: Connection,
    C::Backend: diesel::backend::Backend,
    diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'static, C, Count>,
{
    // A database without the table holds no registry; one with it is judged by its firms.
    let counted: Result<Vec<Count>, _> =
        diesel::sql_query("SELECT COUNT(*) AS n FROM firms").load(conn);
    Ok(counted
        .map(|c| c.first().is_some_and(|c| c.n > 0))
        .unwrap_or(false))
}

fn run(command: &mut Command) -> Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let status = command
        .status()
        .map_err(|e| format!("cannot run {program} (is it installed and on the PATH?): {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} failed ({status})"))
    }
}
