//! Settings of one running registry. The CLI fills them from flags and `PRECURSOR_*`
//! environment variables; tests build them directly.

use std::path::PathBuf;
use std::time::Duration;

use crate::db::DatabaseUrl;

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: String,
    /// Holds the SQLite file (unless a PostgreSQL URL is given) and the generated JWT secret.
    pub data_dir: PathBuf,
    /// `None` means `registry.db` in `data_dir`.
    pub database_url: Option<DatabaseUrl>,
    /// Signing key for access tokens; generated and kept in `data_dir` when absent.
    pub jwt_secret: Option<Secret>,
    /// Password for the `admin` account created on first start; generated and printed when absent.
    pub admin_password: Option<Secret>,
    /// Connections in the pool (and so the bound on concurrent database work).
    pub max_connections: u32,
    /// HTTP worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// Custody and grading rule settings (transit window, quantity tolerance, filing deadline);
    /// `as_of` is set per run.
    pub custody: crate::domain::CustodyRules,
    /// The rule pack `custody` comes from (`GET /rules` shows it).
    pub rule_pack: crate::domain::rule_pack::RulePack,
    /// How long one computed in-transit board is shared between requests.
    pub board_max_age: std::time::Duration,
    /// Mark the console's cookies `Secure` (set it when the registry is served over TLS).
    pub secure_cookies: bool,
    /// The console shows times, and reads them from forms, at this offset (default UTC+8,
    /// Asia/Shanghai, which has no daylight saving).
    pub console_utc_offset: chrono::FixedOffset,
    /// Serve the public grade directory (`GET /public/grades`, no sign-in). Off by default: the
    /// route then answers 404 like any unknown path.
    pub public_directory: bool,
    /// Requests per minute one client address may send to the public directory (then 429).
    pub public_rate_limit_per_minute: u32,
    /// Count public requests by the last `X-Forwarded-For` address instead of the connection's
    /// peer. Only for a deployment behind its own proxy that sets the header; off by default.
    pub trust_forwarded_for: bool,
    /// Alerts: how often facts are scanned and deliveries retried (docs/alerts.md).
    pub alerts: AlertSettings,
    /// The seed (64 hex digits) of the key that signs the tree's checkpoints; generated and kept
    /// in `data_dir` (mode 0600) when absent. Every app server of one registry needs the same.
    pub transparency_key: Option<Secret>,
    /// The checkpoints' origin line and the key's name (docs/ledger.md).
    pub transparency_origin: String,
    /// A checkpoint is signed unasked at most this often (when the tree has grown).
    pub checkpoint_interval: chrono::Duration,
    /// Filing requests one user may make per minute (0: no limit).
    pub filing_rate_limit_per_minute: u32,
    /// Filing requests one client address may make per minute, whoever signs them (0: no
    /// limit). The address is told as for the public directory (`trust_forwarded_for`).
    pub filing_rate_limit_per_address_per_minute: u32,
    /// The earliest `occurred_at` an entry may have (docs/ledger.md); 2000-01-01 by default.
    pub occurred_at_floor: crate::domain::time::OccurredAtFloor,
    /// The background validation (docs/custody.md).
    pub continuous: ContinuousValidation,
    /// When set, `/metrics` answers only to `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// On SIGTERM: how long `/readyz` says not-ready before the server stops accepting.
    pub drain: std::time::Duration,
    /// On SIGTERM: how long requests under way may take to finish.
    pub shutdown_deadline: std::time::Duration,
    /// Single-entry filings that arrive together share one transaction (docs/ledger.md).
    pub group_commit: crate::db::group::GroupSettings,
}

/// How the alerts worker and the event stream pace themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertSettings {
    /// Run the background worker (scanner and deliveries) with the server.
    pub enabled: bool,
    /// Between two scans (and two passes over the delivery queue).
    pub poll_interval: Duration,
    /// The wait after a first failed delivery; it doubles after each further failure…
    pub retry_base: Duration,
    /// …up to this.
    pub retry_cap: Duration,
    /// Attempts of one delivery before it is given up (`failed`).
    pub max_attempts: u32,
    /// Connect and overall timeout of one delivery's POST.
    pub http_timeout: Duration,
    /// How often an open event stream looks for new events.
    pub stream_poll: Duration,
    /// A comment line on an idle event stream after this long.
    pub stream_keepalive: Duration,
}

/// How the continuous validation paces itself (issue 15, docs/custody.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContinuousValidation {
    /// At most one background run this often, once something was filed or changed; zero turns
    /// the continuous validation off.
    pub every: Duration,
    /// A background run at least this often even when nothing changed: time alone makes
    /// findings (a dispatch becomes overdue).
    pub idle: Duration,
    /// How often the runner looks (for changes, and at the lease).
    pub poll: Duration,
    /// How long the lease lasts past its last renewal (at least twice the longest run): a server
    /// that dies holding it is replaced after this.
    pub lease: Duration,
}

impl Default for ContinuousValidation {
    fn default() -> ContinuousValidation {
        ContinuousValidation {
            every: Duration::from_secs(30),
            idle: Duration::from_secs(300),
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(30),
        }
    }
}

impl Default for AlertSettings {
    fn default() -> AlertSettings {
        AlertSettings {
            enabled: true,
            poll_interval: Duration::from_secs(1),
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(3600),
            max_attempts: 10,
            http_timeout: Duration::from_secs(5),
            stream_poll: Duration::from_millis(500),
            stream_keepalive: Duration::from_secs(15),
        }
    }
}

impl Settings {
    pub fn new(data_dir: impl Into<PathBuf>) -> Settings {
        Settings {
            bind: "127.0.0.1:8080".into(),
            data_dir: data_dir.into(),
            database_url: None,
            jwt_secret: None,
            admin_password: None,
            max_connections: 8,
            workers: None,
            custody: crate::domain::CustodyRules::defaults(
                chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            ),
            rule_pack: crate::domain::rule_pack::RulePack::shipped(),
            board_max_age: std::time::Duration::from_secs(2),
            secure_cookies: false,
            console_utc_offset: crate::domain::time::CHINA,
            public_directory: false,
            public_rate_limit_per_minute: 60,
            trust_forwarded_for: false,
            alerts: AlertSettings::default(),
            transparency_key: None,
            transparency_origin: "precursor-registry".into(),
            checkpoint_interval: chrono::Duration::seconds(60),
            filing_rate_limit_per_minute: 600,
            group_commit: crate::db::group::GroupSettings {
                writers: 1,
                max_group: 64,
                wait: Duration::ZERO,
            },
            filing_rate_limit_per_address_per_minute: 0,
            occurred_at_floor: crate::domain::time::OccurredAtFloor::default(),
            continuous: ContinuousValidation::default(),
            metrics_token: None,
            drain: std::time::Duration::from_secs(5),
            shutdown_deadline: std::time::Duration::from_secs(30),
        }
    }

    pub fn database_url(&self) -> DatabaseUrl {
        self.database_url
            .clone()
            .unwrap_or_else(|| DatabaseUrl::sqlite_in(&self.data_dir))
    }
}
