//! The command line: the subcommands and which function runs each. `main` parses the
//! arguments and calls [`run`]; each command lives in [`commands`], what it prints in [`report`].

mod args;
mod commands;
pub mod config_file;
mod progress;
mod report;

use clap::{Parser, Subcommand};

use args::Storage;
use commands::{
    backup, config, demo, export, grades, import, migrate, offline, serve, user, validate, verify,
};

/// The registry of precursor chemicals shared by regulators, enterprises and their association.
#[derive(Parser)]
#[command(
    name = "precursor-registry",
    version,
    after_help = "Secrets are read from the environment only:\n  \
        PRECURSOR_JWT_SECRET       signing key for access tokens (default: generated, kept in <data-dir>/jwt_secret)\n  \
        PRECURSOR_ADMIN_PASSWORD   password of `admin` on first start (default: generated and printed once)\n  \
        PRECURSOR_TRANSPARENCY_KEY seed of the checkpoint key, 64 hex digits (default: generated, kept in <data-dir>/transparency_key)\n  \
        PRECURSOR_METRICS_TOKEN    when set, /metrics answers only to `Authorization: Bearer <token>`\n  \
        PRECURSOR_LOG              log filter, e.g. info or precursor_registry=debug (default: info)\n\n\
        Every other setting may also be given in a configuration file (--config); `config show` prints them."
)]
pub struct Cli {
    /// A TOML file of settings (keys as the environment's without `PRECURSOR_`, in lower case);
    /// default `./precursor-registry.toml` if present. Flags and the environment win over it.
    #[arg(long, global = true, env = "PRECURSOR_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (migrates and seeds the database on first start).
    Serve(serve::ServeArgs),
    /// Fill an empty database with a demo province: Ningde firms, permits, a year of ledger
    /// traffic with one documented gap per custody code, inspections and grades.
    Demo(demo::DemoArgs),
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        storage: Storage,
    },
    /// Run the custody validator against the configured database and record the run.
    Validate(validate::ValidateArgs),
    /// Print the current confirmed grades and their distribution.
    Grades(grades::GradesArgs),
    /// Recompute ledger hash chains (one firm, or every firm); exits 1 if any chain is broken.
    Verify(verify::VerifyArgs),
    /// File a CSV (the export's columns) into a firm's ledger as one all-or-nothing batch.
    Import(import::ImportArgs),
    /// Copy the registry while it runs (SQLite: VACUUM INTO; PostgreSQL: pg_dump), then verify
    /// every chain of the copy.
    Backup(backup::BackupArgs),
    /// Put a backup into an empty registry (or, with --force and its server stopped, over one),
    /// then verify every chain.
    Restore(backup::RestoreArgs),
    /// Write a firm's whole ledger as CSV, an Excel workbook or an EPCIS 2.0 document (to a file or
    /// stdout).
    Export(export::ExportArgs),
    /// Check offline that an entry is in a signed checkpoint of the registry's tree (files
    /// only: key, checkpoint, entry, proof); exits 1 with the reason if not.
    VerifyReceipt(offline::ReceiptArgs),
    /// Check offline that a newer signed checkpoint extends an older one; exits 1 if not.
    VerifyConsistency(offline::ConsistencyArgs),
    /// Check offline a firm's whole exported ledger: chain, inclusion in the signed checkpoint,
    /// and every kept receipt still there; exits 1 with the reason if not.
    VerifyExport(offline::ExportArgs),
    /// Watch a registry's checkpoints: each must be signed by the known key and extend the
    /// last one seen; a rollback or fork exits 1 with the evidence kept.
    Monitor(offline::MonitorArgs),
    /// The effective configuration: `config show`.
    Config {
        #[command(subcommand)]
        command: config::ConfigCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
}

/// Runs one command; the error is the message to print.
pub fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Migrate { storage } => migrate::run(&storage),
        Command::Validate(args) => validate::run(args),
        Command::Grades(args) => grades::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Import(args) => import::run(args),
        Command::Export(args) => export::run(args),
        Command::Backup(args) => backup::backup(args),
        Command::Restore(args) => backup::restore(args),
        Command::VerifyReceipt(args) => offline::receipt(args),
        Command::VerifyConsistency(args) => offline::consistency(args),
        Command::Monitor(args) => offline::monitor(args),
        Command::VerifyExport(args) => offline::export(args),
        Command::Config { command } => {
            config::run(command, &<Cli as clap::CommandFactory>::command())
        }
        Command::User { command } => user::run(command),
    }
}
