use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use precursor_registry::config::{Secret, Settings};
use precursor_registry::db::{DatabaseUrl, Db};
use precursor_registry::demo::{self, DemoOptions};
use precursor_registry::domain::Role;
use precursor_registry::error::AppError;
use precursor_registry::users::{self, NewUser};
use precursor_registry::Application;
use precursor_registry::{custody, grading, ledger};
use uuid::Uuid;

/// The registry of precursor chemicals shared by regulators, enterprises and their association.
#[derive(Parser)]
#[command(
    name = "precursor-registry",
    version,
    after_help = "Secrets are read from the environment only:\n  \
        PRECURSOR_JWT_SECRET       signing key for access tokens (default: generated, kept in <data-dir>/jwt_secret)\n  \
        PRECURSOR_ADMIN_PASSWORD   password of `admin` on first start (default: generated and printed once)\n  \
        PRECURSOR_LOG              log filter, e.g. info or precursor_registry=debug (default: info)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Storage {
    /// Directory for the SQLite file `registry.db` and the generated JWT secret.
    #[arg(long, env = "PRECURSOR_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL, or `sqlite://PATH`; also read from DATABASE_URL.
    /// Default: `<data-dir>/registry.db`.
    #[arg(long, env = "PRECURSOR_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (migrates and seeds the database on first start).
    Serve {
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
    },
    /// Fill an empty database with a demo province: Ningde firms, permits, a year of ledger
    /// traffic with one documented gap per custody code, inspections and grades.
    Demo {
        #[arg(long, default_value_t = 421)]
        firms: usize,
        #[arg(long, default_value_t = 12)]
        months: u32,
        #[arg(long, default_value_t = precursor_registry::demo::DEFAULT_SEED)]
        seed: u64,
        #[command(flatten)]
        storage: Storage,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        storage: Storage,
    },
    /// Run the custody validator against the configured database and record the run.
    Validate {
        /// One firm (default: every firm).
        #[arg(long)]
        firm_id: Option<Uuid>,
        /// Look at another time (RFC 3339): findings are reported, not recorded. Default now.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
        #[command(flatten)]
        storage: Storage,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Print the current confirmed grades and their distribution.
    Grades {
        /// A year such as 2026 (default: each firm's newest grade).
        #[arg(long)]
        period: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
        #[command(flatten)]
        storage: Storage,
    },
    /// Recompute ledger hash chains (one firm, or every firm); exits 1 if any chain is broken.
    Verify {
        #[arg(long)]
        firm_id: Option<Uuid>,
        #[command(flatten)]
        storage: Storage,
    },
    /// File a CSV (the export's columns) into a firm's ledger as one all-or-nothing batch.
    Import {
        #[arg(long)]
        firm_id: Uuid,
        /// The enterprise user recorded as filer (default: the firm's first enterprise user).
        #[arg(long)]
        username: Option<String>,
        /// The CSV file (UTF-8, with or without BOM).
        file: PathBuf,
        #[command(flatten)]
        storage: Storage,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

/// The custody rule settings a deployment may change (custody.md: "overridable per deployment").
#[derive(Args, Clone, Copy)]
struct RuleArgs {
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
    fn settings(self) -> Result<precursor_registry::domain::CustodyRules, String> {
        if self.transit_window_hours < 1
            || self.filing_deadline_hours < 1
            || !(0..=10_000).contains(&self.quantity_tolerance_bp)
        {
            return Err("the transit window and filing deadline must be at least 1 hour, the tolerance 0–10000 bp".into());
        }
        Ok(precursor_registry::domain::CustodyRules {
            transit_window: chrono::Duration::hours(self.transit_window_hours),
            tolerance_bp: self.quantity_tolerance_bp,
            filing_deadline: chrono::Duration::hours(self.filing_deadline_hours),
            ..precursor_registry::domain::CustodyRules::defaults(chrono::Utc::now())
        })
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputFormat {
    Table,
    Json,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from stdin (or prompted for on a terminal).
    Add {
        #[arg(long)]
        username: String,
        /// admin, regulator, enterprise or association.
        #[arg(long)]
        role: String,
        /// The firm of an enterprise user.
        #[arg(long)]
        firm_id: Option<Uuid>,
        #[command(flatten)]
        storage: Storage,
    },
}

fn settings(storage: &Storage) -> Result<Settings, String> {
    let mut settings = Settings::new(storage.data_dir.clone());
    let url = storage
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

fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ").map_err(|e| e.to_string())
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Demo {
            firms,
            months,
            seed,
            storage,
        } => {
            let options = DemoOptions {
                firms,
                months,
                seed,
                end: chrono::Utc::now(),
                break_one_chain: true,
            };
            let report = fill_with_demo(&settings(&storage)?, &options)?;
            print!("{report}");
            Ok(())
        }
        Command::Serve {
            bind,
            storage,
            max_connections,
            workers,
            demo,
            rules,
        } => {
            let mut settings = settings(&storage)?;
            settings.bind = bind;
            settings.max_connections = max_connections;
            settings.workers = workers;
            settings.custody = rules.settings()?;
            if demo {
                let options = DemoOptions {
                    end: chrono::Utc::now(),
                    ..DemoOptions::default()
                };
                match fill_with_demo(&settings, &options) {
                    Ok(report) => eprint!("{report}"),
                    Err(e) if e.contains("demo_not_empty") => {
                        tracing::info!("the registry already has firms; serving them as they are")
                    }
                    Err(e) => return Err(e),
                }
            }
            let backend = settings.database_url().backend_name();
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(settings)?;
                tracing::info!(port = app.port(), backend, "precursor-registry listening");
                app.run_until_stopped().await.map_err(|e| e.to_string())
            })
        }
        Command::Migrate { storage } => {
            let settings = settings(&storage)?;
            Db::connect(&settings.database_url(), 1)?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Verify { firm_id, storage } => verify(&settings(&storage)?, firm_id),
        Command::Grades {
            period,
            format,
            storage,
        } => grades(&settings(&storage)?, period, format),
        Command::Validate {
            firm_id,
            as_of,
            format,
            storage,
            rules,
        } => validate(
            &settings(&storage)?,
            firm_id,
            as_of.as_deref(),
            format,
            rules.settings()?,
        ),
        Command::Import {
            firm_id,
            username,
            file,
            storage,
        } => import(&settings(&storage)?, firm_id, username, &file),
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    firm_id,
                    storage,
                },
        } => {
            let settings = settings(&storage)?;
            let role = Role::parse(&role)
                .ok_or_else(|| format!("unknown role {role:?}; use one of {}", Role::names()))?;
            let username = users::parse_username(&username).map_err(|e| e.message)?;
            let password = read_password()?;
            precursor_registry::auth::password::check_strength(&password)
                .map_err(|m| format!("password {m}"))?;
            let db = Db::connect(&settings.database_url(), 1)?;
            let mut conn = db.get().map_err(|e| e.to_string())?;
            let user = users::create_account(
                &mut conn,
                NewUser {
                    username,
                    password,
                    role,
                    firm_id,
                },
            )
            .map_err(describe)?;
            println!("created {} ({}) id {}", user.username, user.role, user.id);
            Ok(())
        }
    }
}

fn describe(err: AppError) -> String {
    match err {
        AppError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {} ({})", e.field, e.message, e.code))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// A one-line progress bar on stderr, drawn only on a terminal.
struct Progress {
    steps: usize,
    started: std::time::Instant,
    on_terminal: bool,
}

impl Progress {
    fn new(steps: usize) -> Progress {
        Progress {
            steps,
            started: std::time::Instant::now(),
            on_terminal: std::io::stderr().is_terminal(),
        }
    }

    fn step(&self, done: usize, label: &str) {
        if self.on_terminal {
            let width = 30;
            let filled = width * done / self.steps;
            eprint!(
                "\r[{}{}] {done}/{} {label:<28} {:>6.1} s",
                "#".repeat(filled),
                "-".repeat(width - filled),
                self.steps,
                self.started.elapsed().as_secs_f64()
            );
            if done == self.steps {
                eprintln!();
            }
        }
    }
}

fn validate(
    settings: &Settings,
    firm_id: Option<Uuid>,
    as_of_text: Option<&str>,
    format: OutputFormat,
    rules: precursor_registry::domain::CustodyRules,
) -> Result<(), String> {
    let as_of = match as_of_text {
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|_| format!("--as-of {text:?} is not an RFC 3339 time"))?
            .with_timezone(&chrono::Utc),
        None => chrono::Utc::now(),
    };
    let rules = precursor_registry::domain::CustodyRules { as_of, ..rules };
    let progress = Progress::new(2);
    progress.step(0, "connecting");
    let db = Db::connect(&settings.database_url(), 1)?;
    let mut conn = db.get().map_err(describe)?;
    progress.step(1, "loading and validating");
    let (summary, timings) =
        custody::run_validation(&mut conn, "cli", firm_id, &rules, as_of_text.is_none())
            .map_err(describe)?;
    progress.step(2, "done");
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?
        ),
        OutputFormat::Table => {
            println!(
                "run {}  as of {}  scope {}",
                summary.id,
                summary.as_of.to_rfc3339(),
                firm_id
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| "all firms".into())
            );
            println!(
                "entries checked {}  new findings {}  resolved {}",
                summary.entries_checked, summary.new_findings, summary.resolved_findings
            );
            println!(
                "load {} ms  validate {} ms  save {} ms",
                timings.load_ms, timings.validate_ms, timings.persist_ms
            );
            println!();
            println!("{:<28} {:>8}", "code", "findings");
            for (code, n) in &summary.findings_by_code {
                println!("{code:<28} {n:>8}");
            }
            println!(
                "{:<28} {:>8}",
                "total",
                summary.findings_by_code.values().sum::<i64>()
            );
            println!();
            println!("{:<28} {:>8}", "severity", "findings");
            for severity in ["critical", "major", "minor"] {
                println!(
                    "{severity:<28} {:>8}",
                    summary
                        .findings_by_severity
                        .get(severity)
                        .copied()
                        .unwrap_or(0)
                );
            }
        }
    }
    Ok(())
}

/// Prepares the database (migrations, catalog, admin), generates the demo province and its year
/// of supervision, and describes what was made — including the accounts, shown only here.
fn fill_with_demo(settings: &Settings, options: &DemoOptions) -> Result<String, String> {
    use std::fmt::Write;
    let state = precursor_registry::startup::prepare(settings)?;
    let mut conn = state.db.get().map_err(describe)?;
    let started = std::time::Instant::now();
    let report = demo::generate(&mut conn, options).map_err(|e| match e {
        AppError::Conflict { code, detail } => format!("{code}: {detail}"),
        other => describe(other),
    })?;
    let regulator = users::store::find_by_username(&mut conn, "demo.regulator")
        .map_err(describe)?
        .ok_or("the demo regulator is missing")?
        .principal()
        .map_err(describe)?;
    let supervision =
        demo::supervision::supervise(&mut conn, &regulator, options.seed, options.end)
            .map_err(describe)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nDemo province: {} firms, {} permits, {} ledger entries ({:.1} s)",
        report.firms,
        report.permits,
        report.entries,
        started.elapsed().as_secs_f64()
    );
    let _ = writeln!(
        out,
        "  {} custody findings, {} closed inspections with {} findings, {} confirmed grades",
        supervision.custody_findings,
        supervision.audits,
        supervision.audit_findings,
        supervision.grades
    );
    let _ = writeln!(out, "\nAccounts (passwords are shown only now):");
    for a in &report.accounts {
        let firm = a.firm_id.map(|f| format!("  firm {f}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<12} {:<20} {}{firm}",
            a.role.as_str(),
            a.username,
            a.password
        );
    }
    let _ = writeln!(
        out,
        "\nInjected custody gaps (each should be exactly one finding):"
    );
    for gap in &report.injected {
        let _ = writeln!(
            out,
            "  {:<26} firm {}  {}",
            gap.code, gap.firm_id, gap.description
        );
    }
    Ok(out)
}

fn grades(settings: &Settings, period: Option<String>, format: OutputFormat) -> Result<(), String> {
    let db = Db::connect(&settings.database_url(), 1)?;
    let mut conn = db.get().map_err(describe)?;
    let query = grading::GradeQuery {
        period: period.clone(),
        ..Default::default()
    };
    let current = grading::list_current(&mut conn, query).map_err(describe)?;
    let summary = grading::summarize(&current, period);
    match format {
        OutputFormat::Json => {
            let out = serde_json::json!({ "grades": current, "summary": summary });
            println!(
                "{}",
                serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
            );
        }
        OutputFormat::Table => {
            println!(
                "{:<8} {:<6} {:>5}  {:<10} firm",
                "region", "grade", "score", "period"
            );
            for g in &current {
                println!(
                    "{:<8} {:<6} {:>5}  {:<10} {}",
                    g.region_code,
                    g.grade.as_str(),
                    g.score,
                    g.period,
                    g.firm_name
                );
            }
            println!();
            println!("{} graded firms", summary.graded_firms);
            let most = summary.by_grade.values().copied().max().unwrap_or(0).max(1);
            for (grade, n) in &summary.by_grade {
                let bar = "█".repeat((n * 40).div_ceil(most));
                println!("{grade} {n:>5} {bar}");
            }
        }
    }
    Ok(())
}

fn verify(settings: &Settings, firm_id: Option<Uuid>) -> Result<(), String> {
    let db = Db::connect(&settings.database_url(), 1)?;
    let mut conn = db.get().map_err(describe)?;
    let firms = match firm_id {
        Some(id) => vec![id],
        None => ledger::store::firms_with_entries(&mut conn)
            .map_err(describe)?
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect(),
    };
    let mut broken = 0;
    for firm in &firms {
        let report = ledger::verify_chain(&mut conn, *firm).map_err(describe)?;
        match report.first_bad_seq {
            None => println!(
                "{firm}: ok, {} entries, head {}",
                report.entries, report.head_hash
            ),
            Some(seq) => {
                broken += 1;
                println!(
                    "{firm}: BROKEN, first bad seq {seq} ({} entries)",
                    report.entries
                );
            }
        }
    }
    if broken > 0 {
        return Err(format!("{broken} of {} chains are broken", firms.len()));
    }
    Ok(())
}

fn import(
    settings: &Settings,
    firm_id: Uuid,
    username: Option<String>,
    file: &std::path::Path,
) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let db = Db::connect(&settings.database_url(), 1)?;
    let mut conn = db.get().map_err(describe)?;
    let filer = match username {
        Some(name) => users::store::find_by_username(&mut conn, &name.to_ascii_lowercase()).map_err(describe)?,
        None => users::store::first_enterprise_user(&mut conn, firm_id).map_err(describe)?,
    }
    .ok_or("no enterprise user of this firm to record as filer; create one with `user add --role enterprise`")?;
    let who = filer.principal().map_err(describe)?;
    match ledger::filing::import_csv(&mut conn, &who, firm_id, &bytes, None, None) {
        Ok(ledger::filing::Filed::New { rows, .. }) => {
            match (rows.first(), rows.last()) {
                (Some(first), Some(last)) => println!(
                    "filed {} entries, seq {}–{}, head {}",
                    rows.len(),
                    first.seq,
                    last.seq,
                    last.hash
                ),
                _ => println!("filed nothing"),
            }
            Ok(())
        }
        Ok(ledger::filing::Filed::Replayed { .. }) => Ok(()),
        Err(AppError::NotFound) => Err(format!(
            "{} may not file for firm {firm_id}, or it does not exist",
            filer.username
        )),
        Err(AppError::Forbidden) => Err(format!("{} is not an enterprise user", filer.username)),
        Err(e) => Err(format!("nothing was filed:\n{}", describe(e))),
    }
}

fn main() -> ExitCode {
    let filter = std::env::var("PRECURSOR_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        // A closed stderr (the terminal went away) must not take the server down with it.
        .log_internal_errors(false)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
