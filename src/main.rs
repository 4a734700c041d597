use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use precursor_registry::config::{Secret, Settings};
use precursor_registry::db::{DatabaseUrl, Db};
use precursor_registry::domain::Role;
use precursor_registry::users::{self, NewUser};
use precursor_registry::Application;
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
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        storage: Storage,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
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
        Command::Serve {
            bind,
            storage,
            max_connections,
            workers,
        } => {
            let mut settings = settings(&storage)?;
            settings.bind = bind;
            settings.max_connections = max_connections;
            settings.workers = workers;
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
            .map_err(|e| match e {
                precursor_registry::error::AppError::Validation(errors) => errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            })?;
            println!("created {} ({}) id {}", user.username, user.role, user.id);
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let filter = std::env::var("PRECURSOR_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
