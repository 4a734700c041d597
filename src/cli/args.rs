//! Flags several commands share: where the registry is stored, the custody rules, the output
//! format — and the one way a command opens a connection.

use std::path::PathBuf;

use clap::Args;

use crate::config::{Secret, Settings};
use crate::db::{ConnectionManager, DatabaseUrl, Db};
use crate::domain::rule_pack::{self, RulePack};
use crate::domain::time::OccurredAtFloor;
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
    /// The earliest `occurred_at` a ledger entry may have, for every way of filing: a date (its
    /// start, UTC) or an RFC 3339 time. Earlier is refused as `too_early`.
    #[arg(long, env = "PRECURSOR_OCCURRED_AT_FLOOR", default_value = "2000-01-01",
          value_parser = OccurredAtFloor::parse)]
    occurred_at_floor: OccurredAtFloor,
}

impl Storage {
    /// The deployment settings these flags and the environment's secrets describe.
    pub(super) fn settings(&self) -> Result<Settings, String> {
        let mut settings = Settings::new(self.data_dir.clone());
        settings.occurred_at_floor = self.occurred_at_floor;
        let url = self
            .database_url
            .clone()
            .or_else(|| std::env::var("DATABASE_URL").ok());
        settings.database_url = url.map(|u| DatabaseUrl::parse(&u)).transpose()?;
        settings.jwt_secret = std::env::var("PRECURSOR_JWT_SECRET").ok().map(Secret::new);
        settings.admin_password = std::env::var("PRECURSOR_ADMIN_PASSWORD")
            .ok()
            .map(Secret::new);
        settings.metrics_token = std::env::var("PRECURSOR_METRICS_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .map(Secret::new);
        settings.transparency_key = std::env::var("PRECURSOR_TRANSPARENCY_KEY")
            .ok()
            .map(Secret::new);
        if let Ok(origin) = std::env::var("PRECURSOR_TRANSPARENCY_ORIGIN") {
            settings.transparency_origin = origin;
        }
        if let Ok(seconds) = std::env::var("PRECURSOR_CHECKPOINT_INTERVAL_SECONDS") {
            let seconds = seconds
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|s| (0..=86_400).contains(s))
                .ok_or("PRECURSOR_CHECKPOINT_INTERVAL_SECONDS must be 0–86400")?;
            settings.checkpoint_interval = chrono::Duration::seconds(seconds);
        }
        Ok(settings)
    }
}

/// Opens the configured database (applying pending migrations) with a pool of one.
pub(super) fn connect(settings: &Settings) -> Result<Connection, String> {
    let db = Db::connect(&settings.database_url(), 1)?;
    db.get().map_err(super::report::describe)
}

/// The custody rule settings a deployment may change (custody.md: "overridable per deployment").
#[derive(Args, Clone)]
pub(super) struct RuleArgs {
    /// The rule pack: `cn` (the default), the examples `eu` and `us` (all shipped with the
    /// binary), or the path of a pack file (TOML, as `rules/cn.toml`).
    #[arg(long, env = "PRECURSOR_RULE_PACK", default_value = "cn")]
    rule_pack: String,
    /// Hours a shipment may be in transit before a missing receipt is a finding (default: the
    /// pack's).
    #[arg(long, env = "PRECURSOR_TRANSIT_WINDOW_HOURS")]
    transit_window_hours: Option<i64>,
    /// Quantities agree within this many basis points of the larger one (default: the pack's).
    #[arg(long, env = "PRECURSOR_QUANTITY_TOLERANCE_BP")]
    quantity_tolerance_bp: Option<i64>,
    /// Hours after which filing an entry other than a sale is late (default: the pack's).
    #[arg(long, env = "PRECURSOR_FILING_DEADLINE_HOURS")]
    filing_deadline_hours: Option<i64>,
}

impl RuleArgs {
    /// The rule pack, and its custody rules with the flags' overrides.
    pub(super) fn settings(&self) -> Result<(RulePack, CustodyRules), String> {
        let text = match rule_pack::shipped_text(&self.rule_pack) {
            Some(text) => text.to_string(),
            None => std::fs::read_to_string(&self.rule_pack)
                .map_err(|e| format!("rule pack {}: {e}", self.rule_pack))?,
        };
        let pack = RulePack::parse(&text).map_err(|e| format!("{}: {e}", self.rule_pack))?;
        let mut rules = pack.settle(chrono::Utc::now());
        let hours = |flag: &str, value: i64| {
            (1..=24 * 365)
                .contains(&value)
                .then(|| chrono::Duration::hours(value))
                .ok_or(format!("--{flag} must be 1–8760 hours"))
        };
        if let Some(h) = self.transit_window_hours {
            rules.transit_window = hours("transit-window-hours", h)?;
        }
        if let Some(h) = self.filing_deadline_hours {
            rules.filing_deadline = hours("filing-deadline-hours", h)?;
        }
        if let Some(bp) = self.quantity_tolerance_bp {
            if !(0..=10_000).contains(&bp) {
                return Err("--quantity-tolerance-bp must be 0–10000".into());
            }
            rules.tolerance_bp = bp;
        }
        Ok((pack, rules))
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(super) enum OutputFormat {
    Table,
    Json,
}
