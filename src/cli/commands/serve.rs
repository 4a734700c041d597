//! `serve`: run the HTTP API, on an empty database after first filling in the demo province.

use clap::Args;

use crate::cli::args::{RuleArgs, Storage};
use crate::cli::commands::demo;
use crate::config::Settings;
use crate::demo::DemoOptions;
use crate::startup::Application;

#[derive(Args)]
pub(in crate::cli) struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "PRECURSOR_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    #[command(flatten)]
    storage: Storage,
    /// Database connections in the pool.
    #[arg(long, env = "PRECURSOR_MAX_CONNECTIONS", default_value_t = 8)]
    max_connections: u32,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "PRECURSOR_WORKERS")]
    workers: Option<usize>,
    /// On an empty database, first fill it with the demo province (see `demo`).
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    rules: RuleArgs,
    /// Milliseconds one computed in-transit board is shared between requests.
    #[arg(long, env = "PRECURSOR_BOARD_MAX_AGE_MS", default_value_t = 2000)]
    board_max_age_ms: u64,
    /// Mark the console's cookies `Secure` (when served over TLS, e.g. behind a TLS proxy).
    #[arg(long, env = "PRECURSOR_SECURE_COOKIES")]
    secure_cookies: bool,
    /// The console's clock: times are shown, and read from forms, at this UTC offset
    /// (Asia/Shanghai, UTC+8 all year, by default).
    #[arg(long, env = "PRECURSOR_CONSOLE_UTC_OFFSET", default_value = "+08:00",
          value_parser = parse_offset)]
    console_utc_offset: chrono::FixedOffset,
    /// Serve the public grade directory `GET /api/v1/public/grades` without sign-in.
    #[arg(long, env = "PRECURSOR_PUBLIC_DIRECTORY")]
    public_directory: bool,
    /// Requests per minute one client address may send to the public directory.
    #[arg(long, env = "PRECURSOR_PUBLIC_RATE_LIMIT_PER_MINUTE", default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(1..))]
    public_rate_limit_per_minute: u32,
    /// Count public-directory clients by the last X-Forwarded-For address (only behind a proxy
    /// of your own that sets it; otherwise clients could pick their address).
    #[arg(long, env = "PRECURSOR_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
    /// Alerts: milliseconds between two scans for new events and two passes over the webhook
    /// delivery queue (0 turns the alerts worker off; the event stream still serves).
    #[arg(long, env = "PRECURSOR_ALERT_POLL_MS", default_value_t = 1000)]
    alert_poll_ms: u64,
    /// Alerts: seconds before the first retry of a failed delivery (doubling, at most 1 h).
    #[arg(long, env = "PRECURSOR_ALERT_RETRY_SECONDS", default_value_t = 1)]
    alert_retry_seconds: u64,
    /// Filing requests one user may make per minute (a batch counts once; 0: no limit).
    #[arg(
        long,
        env = "PRECURSOR_FILING_RATE_LIMIT_PER_MINUTE",
        default_value_t = 600
    )]
    filing_rate_limit_per_minute: u32,
    /// Filing requests one client address may make per minute, whoever signs them (0: no
    /// limit). Behind a proxy, set --trust-forwarded-for too, or every filer shares its address.
    #[arg(
        long,
        env = "PRECURSOR_FILING_RATE_LIMIT_PER_ADDRESS_PER_MINUTE",
        default_value_t = 0
    )]
    filing_rate_limit_per_address_per_minute: u32,
    /// Continuous validation: at most one background run of the custody validation every this
    /// many seconds once something was filed or changed (0 turns it off).
    #[arg(
        long,
        env = "PRECURSOR_CONTINUOUS_VALIDATION_SECONDS",
        default_value_t = 30
    )]
    continuous_validation_seconds: u64,
    /// Continuous validation: a background run at least every this many seconds even when
    /// nothing changed (findings that come with time: an overdue dispatch).
    #[arg(long, env = "PRECURSOR_CONTINUOUS_VALIDATION_IDLE_SECONDS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    continuous_validation_idle_seconds: u64,
    /// On SIGTERM: seconds `/readyz` answers 503 before the server stops accepting (so that a
    /// load balancer moves on first).
    #[arg(long, env = "PRECURSOR_DRAIN_SECONDS", default_value_t = 5)]
    drain_seconds: u64,
    /// On SIGTERM: seconds the requests under way may take to finish.
    #[arg(long, env = "PRECURSOR_SHUTDOWN_SECONDS", default_value_t = 30)]
    shutdown_seconds: u64,
    /// Group commit: single-entry filings committed together at most (0: each its own commit).
    #[arg(long, env = "PRECURSOR_GROUP_COMMIT_MAX", default_value_t = 64)]
    group_commit_max: usize,
    /// Group commit: microseconds a writer waits for more filings once the queue is empty.
    #[arg(long, env = "PRECURSOR_GROUP_COMMIT_WAIT_US", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=100_000))]
    group_commit_wait_us: u64,
    /// Group commit: writer threads, each with its own groups (firms are spread over them).
    #[arg(long, env = "PRECURSOR_GROUP_COMMIT_WRITERS", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=64))]
    group_commit_writers: u64,
    /// Alerts: attempts of one webhook delivery before it is given up.
    #[arg(long, env = "PRECURSOR_ALERT_MAX_ATTEMPTS", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    alert_max_attempts: u32,
}

/// `+08:00`, `-05:00`, `+05:45`.
fn parse_offset(text: &str) -> Result<chrono::FixedOffset, String> {
    text.trim()
        .parse::<chrono::FixedOffset>()
        .map_err(|_| format!("{text:?} is not a UTC offset such as +08:00"))
}

pub(in crate::cli) fn run(args: ServeArgs) -> Result<(), String> {
    let mut settings = args.storage.settings()?;
    settings.bind = args.bind;
    settings.max_connections = args.max_connections;
    settings.workers = args.workers;
    (settings.rule_pack, settings.custody) = args.rules.settings()?;
    settings.board_max_age = std::time::Duration::from_millis(args.board_max_age_ms);
    settings.secure_cookies = args.secure_cookies;
    settings.console_utc_offset = args.console_utc_offset;
    settings.public_directory = args.public_directory;
    settings.public_rate_limit_per_minute = args.public_rate_limit_per_minute;
    settings.trust_forwarded_for = args.trust_forwarded_for;
    settings.alerts.enabled = args.alert_poll_ms > 0;
    settings.alerts.poll_interval = std::time::Duration::from_millis(args.alert_poll_ms.max(1));
    settings.alerts.retry_base = std::time::Duration::from_secs(args.alert_retry_seconds);
    settings.alerts.max_attempts = args.alert_max_attempts;
    settings.drain = std::time::Duration::from_secs(args.drain_seconds);
    settings.filing_rate_limit_per_minute = args.filing_rate_limit_per_minute;
    settings.filing_rate_limit_per_address_per_minute =
        args.filing_rate_limit_per_address_per_minute;
    settings.continuous.every = std::time::Duration::from_secs(args.continuous_validation_seconds);
    settings.continuous.idle =
        std::time::Duration::from_secs(args.continuous_validation_idle_seconds);
    settings.shutdown_deadline = std::time::Duration::from_secs(args.shutdown_seconds);
    settings.group_commit = crate::db::group::GroupSettings {
        writers: args.group_commit_writers as usize,
        max_group: args.group_commit_max,
        wait: std::time::Duration::from_micros(args.group_commit_wait_us),
    };
    if args.demo {
        let options = DemoOptions {
            end: chrono::Utc::now(),
            ..DemoOptions::default()
        };
        match demo::fill_if_empty(&settings, &options)? {
            Some(report) => eprint!("{report}"),
            None => tracing::info!(
                target: "precursor_registry",
                "the registry already has firms; serving them as they are"
            ),
        }
    }
    serve(settings)
}

fn serve(settings: Settings) -> Result<(), String> {
    let backend = settings.database_url().backend_name();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings)?;
        // The binary's own target, as before the commands moved into the library.
        tracing::info!(
            target: "precursor_registry",
            port = app.port(),
            backend,
            "precursor-registry listening"
        );
        app.serve_until_terminated()
            .await
            .map_err(|e| e.to_string())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_console_clock_is_a_utc_offset() {
        assert_eq!(
            super::parse_offset("+08:00").unwrap().local_minus_utc(),
            8 * 3600
        );
        assert_eq!(
            super::parse_offset("+05:45").unwrap().local_minus_utc(),
            20_700
        );
        assert!(super::parse_offset("Asia/Shanghai").is_err());
        assert!(super::parse_offset("8").is_err());
    }
}
