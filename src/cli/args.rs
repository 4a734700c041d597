//! Flags several commands share: where the registry is stored, the custody rules, the output
//! format — and the one way a command opens a connection.

use std::path::PathBuf;

use clap::Args;

use crate::config::{Secret, Settings};
use crate::db::{ConnectionManager, DatabaseUrl, Db};
use crate::domain::CustodyRules;

/// A connection of its own pool (the pool lives as long as the connection).
pub(super) type Connection = diesel::r2d2::PooledConnection<ConnectionManager>;

#[derive(Args, Clone)]
pub(super) struct Storage {
    /// Directory for the SQLite file `registry.db` and the generated JWT secret.
    #[arg(long, env = "PRECURSOR_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL, or `sqlite://PATH`; also read from DATABASE_URL.
    /// Default: `<data-dir>/registry.db`.
    #[arg(long, env = "PRECURSOR_DATABASE_URL")]
    database_url: Option<String>,
}

impl Storage {
    /// The deployment settings these flags and the environment's secrets describe.
    pub(super) fn settings(&self) -> Result<Settings, String> {
        let mut settings = Settings::new(self.data_dir.clone());
        let url = self
            .database_url
            .clone()
            .or_else(|| std::env::var("DATABASE_URL").ok());
        settings.database_url = url.map(|u| DatabaseUrl::parse(&u)).transpose()?;
        settings.jwt_secret = std::env::var("PRECURSOR_JWT_SECRET").ok().map(Secret::new);
        settings.admin_password = std::env::var("PRECURSOR_ADMIN_PASSWORD")
            .ok()
            .map(Secret::new);
        Ok(settings)
    }
}

/// Opens the configured database (applying pending migrations) with a pool of one.
pub(super) fn connect(settings: &Settings) -> Result<Connection, String> {
    let db = Db::connect(&settings.database_url(), 1)?;
    db.get().map_err(super::report::describe)
}

/// The custody rule settings a deployment may change (custody.md: "overridable per deployment").
#[derive(Args, Clone, Copy)]
pub(super) struct RuleArgs {
    /// Hours a shipment may be in transit before a missing receipt is a finding.
    #[arg(long, env = "PRECURSOR_TRANSIT_WINDOW_HOURS", default_value_t = 168)]
    transit_window_hours: i64,
    /// Quantities agree within this many basis points of the larger one (50 = 0.5 %).
    #[arg(long, env = "PRECURSOR_QUANTITY_TOLERANCE_BP", default_value_t = 50)]
    quantity_tolerance_bp: i64,
    /// Hours after which filing an entry is late.
    #[arg(long, env = "PRECURSOR_FILING_DEADLINE_HOURS", default_value_t = 72)]
    filing_deadline_hours: i64,
}

impl RuleArgs {
    pub(super) fn settings(self) -> Result<CustodyRules, String> {
        if self.transit_window_hours < 1
            || self.filing_deadline_hours < 1
            || !(0..=10_000).contains(&self.quantity_tolerance_bp)
        {
            return Err("the transit window and filing deadline must be at least 1 hour, the tolerance 0–10000 bp".into());
        }
        Ok(CustodyRules {
            transit_window: chrono::Duration::hours(self.transit_window_hours),
            tolerance_bp: self.quantity_tolerance_bp,
            filing_deadline: chrono::Duration::hours(self.filing_deadline_hours),
            ..CustodyRules::defaults(chrono::Utc::now())
        })
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(super) enum OutputFormat {
    Table,
    Json,
}
