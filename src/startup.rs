//! Builds the registry: storage, first-start bootstrap, and the HTTP server. The binary and
//! the integration tests both start it through [`Application::build`].

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress, DefaultHeaders};
use actix_web::{web, App, HttpServer};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::token::{random_bytes, TokenKeys};
use crate::config::{Secret, Settings};
use crate::db::Db;
use crate::domain::Role;
use crate::metrics::Metrics;
use crate::users::{self, NewUser};
use crate::web::openapi::ApiDoc;
use crate::{auth, chemicals, firms, permits, web as plumbing};

/// The database and the token keys, ready to serve: migrated, seeded, with an `admin`.
pub struct Prepared {
    pub db: Db,
    pub tokens: TokenKeys,
    /// Signs the tree's checkpoints.
    pub signer: crate::transparency::Signer,
}

pub struct Application {
    port: u16,
    server: Server,
    /// Said not-ready on SIGTERM, for `drain`, before the server stops accepting.
    readiness: web::Data<plumbing::ops::Readiness>,
    drain: std::time::Duration,
    /// The alerts worker (scanner and deliveries); stopped when the server stops.
    alerts: Option<crate::alerts::Worker>,
    /// Signs a checkpoint every interval when the tree has grown; stopped with the server.
    signing: Option<crate::transparency::worker::Signing>,
    /// Validates in the background (one server of the database at a time); stopped with the
    /// server, giving its lease up.
    continuous: Option<crate::custody::continuous::Runner>,
}

impl Application {
    /// Connects to the database (migrating and seeding it on first start), binds the listener
    /// and returns the server ready to run. Fails with a readable message, never a panic.
    pub fn build(settings: Settings) -> Result<Application, String> {
        let Prepared { db, tokens, signer } = prepare(&settings)?;
        let signer = web::Data::new(signer);
        let signing =
            crate::transparency::worker::Signing::start(db.clone(), signer.clone().into_inner())?;
        // Each handler asks for the one piece it uses.
        let db = web::Data::new(db);
        let tokens = web::Data::new(tokens);
        let generations = web::Data::new(crate::auth::Generations::default());
        let readiness = web::Data::new(plumbing::ops::Readiness::default());
        let filing_rate = web::Data::new(crate::ratelimit::FilingRate::per_minute(
            settings.filing_rate_limit_per_minute,
            settings.filing_rate_limit_per_address_per_minute,
        ));
        let metrics_access = web::Data::new(plumbing::ops::MetricsAccess {
            token: settings.metrics_token.clone(),
        });
        let serving = readiness.clone();
        let addresses = web::Data::new(crate::ratelimit::ClientAddresses {
            trust_forwarded_for: settings.trust_forwarded_for,
        });
        let metrics = web::Data::new(Metrics::default());
        let filings = web::Data::new(crate::db::group::GroupCommit::<
            crate::ledger::filing::FilingGroup,
        >::start(
            db.get_ref().clone(),
            settings.group_commit,
            metrics.clone().into_inner(),
        )?);
        let occurred_at_floor = web::Data::new(settings.occurred_at_floor);
        let custody_rules = web::Data::new(settings.custody);
        let rule_pack = web::Data::new(settings.rule_pack.clone());
        let board = web::Data::new(crate::shipments::board::BoardCache::new(
            settings.board_max_age,
            Some(db.get_ref().clone()),
        ));
        let cookies = web::Data::new(crate::console::session::CookiePolicy {
            secure: settings.secure_cookies,
        });
        crate::console::i18n::check()?;
        crate::console::page::set_clock(settings.console_utc_offset);
        // One limiter for all workers, so a client's budget is counted once.
        let public_directory =
            web::Data::new(crate::directory::PublicDirectory::from_settings(&settings));
        let serve_public_directory = public_directory.enabled;
        let alert_settings = web::Data::new(settings.alerts);
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let alerts = if settings.alerts.enabled {
            // The cursors start before the first request: nothing filed from now on is missed.
            let mut conn = db.get().map_err(|e| e.to_string())?;
            crate::alerts::scan::init(&mut conn)
                .map_err(|e| format!("starting alerts failed: {e}"))?;
            drop(conn);
            Some(crate::alerts::Worker::start(
                db.get_ref().clone(),
                settings.alerts,
                settings.custody,
            )?)
        } else {
            None
        };
        let continuous = crate::custody::continuous::Runner::start(
            db.get_ref().clone(),
            settings.continuous,
            settings.custody,
        )?;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(db.clone())
                .app_data(tokens.clone())
                .app_data(metrics.clone())
                .app_data(custody_rules.clone())
                .app_data(rule_pack.clone())
                .app_data(board.clone())
                .app_data(cookies.clone())
                .app_data(public_directory.clone())
                .app_data(alert_settings.clone())
                .app_data(signer.clone())
                .app_data(generations.clone())
                .app_data(addresses.clone())
                .app_data(serving.clone())
                .app_data(metrics_access.clone())
                .app_data(filing_rate.clone())
                .app_data(filings.clone())
                .app_data(occurred_at_floor.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(4 * 1024 * 1024)
                        .error_handler(plumbing::json_error),
                )
                .app_data(web::QueryConfig::default().error_handler(plumbing::query_error))
                .app_data(
                    web::FormConfig::default().error_handler(crate::console::errors::form_error),
                )
                .app_data(web::PathConfig::default().error_handler(plumbing::path_error))
                .wrap(Compress::default())
                .wrap(from_fn(plumbing::observe))
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "no-referrer")),
                )
                .configure(plumbing::ops::routes)
                .service(web::redirect("/docs", "/docs/"))
                .service(
                    SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", ApiDoc::openapi()),
                )
                .service(
                    web::scope("/api/v1")
                        .configure(crate::sessions::http::routes)
                        .configure(crate::users::http::routes)
                        .configure(chemicals::http::routes)
                        .configure(firms::http::routes)
                        .configure(permits::http::routes)
                        .configure(crate::declarations::http::routes)
                        .configure(crate::identifiers::http::routes)
                        .configure(crate::transparency::http::routes)
                        .configure(crate::ledger::http::routes)
                        .configure(crate::custody::http::routes)
                        .configure(crate::shipments::http::routes)
                        .configure(crate::counterparties::http::routes)
                        .configure(crate::audits::http::routes)
                        .configure(crate::grading::http::routes)
                        .configure(crate::directory::http::routes)
                        .configure(|cfg| {
                            if serve_public_directory {
                                crate::directory::http::public_routes(cfg);
                            }
                        })
                        .configure(crate::activity::http::routes)
                        .configure(crate::alerts::http::routes),
                )
                // The console: pages beside the API, calling the same services.
                .configure(plumbing::console::routes)
                .configure(crate::sessions::pages::routes)
                .configure(crate::shipments::pages::routes)
                .configure(crate::ledger::pages::routes)
                .configure(plumbing::permits::routes)
                .configure(plumbing::trace::routes)
                .configure(crate::counterparties::pages::routes)
                .configure(crate::firms::pages::routes)
                .configure(plumbing::firm_page::routes)
                .configure(crate::custody::pages::routes)
                .configure(crate::grading::pages::routes)
                .configure(crate::audits::pages::routes)
                .configure(crate::users::pages::routes)
                .configure(plumbing::activity::routes)
                .default_service(web::to(plumbing::console::not_found))
        })
        .listen(listener)
        .map_err(|e| e.to_string())?;
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        // Signals are the binary's to handle (`serve_until_terminated`): it drains first.
        let server = server
            .disable_signals()
            .shutdown_timeout(settings.shutdown_deadline.as_secs());
        Ok(Application {
            port,
            readiness,
            drain: settings.drain,
            server: server.run(),
            alerts,
            signing,
            continuous,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Lets the owner stop the server (tests stop theirs when they end).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or Ctrl-C: then `/readyz` answers 503 for the drain period, the
    /// server stops accepting, finishes the requests under way (within the shutdown deadline)
    /// and the workers stop; `Ok` is a clean exit.
    pub async fn serve_until_terminated(self) -> std::io::Result<()> {
        let handle = self.handle();
        let readiness = self.readiness.clone();
        let drain = self.drain;
        actix_web::rt::spawn(async move {
            terminated().await;
            tracing::info!(target: "precursor_registry", "terminating: not ready, draining");
            readiness.drain();
            actix_web::rt::time::sleep(drain).await;
            handle.stop(true).await;
        });
        self.run_until_stopped().await
    }

    /// Serves until stopped, then stops the alerts worker (a delivery under way finishes first).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            server,
            alerts,
            signing,
            continuous,
            ..
        } = self;
        let result = server.await;
        drop(continuous);
        drop(alerts);
        drop(signing);
        result
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
async fn terminated() {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio_select(term.recv(), actix_web::rt::signal::ctrl_c()).await;
            return;
        }
    }
    let _ = actix_web::rt::signal::ctrl_c().await;
}

/// Waits for whichever of two futures ends first.
async fn tokio_select<A, B>(a: A, b: B)
where
    A: std::future::Future,
    B: std::future::Future,
{
    futures_util::future::select(Box::pin(a), Box::pin(b)).await;
}

/// Storage and keys, plus the first-start work: catalog seed and the `admin` account.
pub fn prepare(settings: &Settings) -> Result<Prepared, String> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
        format!(
            "cannot create the data directory {}: {e}",
            settings.data_dir.display()
        )
    })?;
    let db = Db::connect(&settings.database_url(), settings.max_connections)?;
    let secret = match &settings.jwt_secret {
        Some(secret) => secret.clone(),
        None => load_or_create_secret(&settings.data_dir, "jwt_secret")?,
    };
    let seed = match &settings.transparency_key {
        Some(seed) => seed.clone(),
        None => load_or_create_secret(&settings.data_dir, "transparency_key")?,
    };
    let signer = crate::transparency::Signer::new(
        seed_bytes(&seed)?,
        &settings.transparency_origin,
        settings.checkpoint_interval,
    )?;
    let tokens = TokenKeys::new(&secret)?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let seeded = chemicals::seed::seed_if_empty(&mut conn)
        .map_err(|e| format!("seeding the catalog failed: {e}"))?;
    if seeded > 0 {
        tracing::info!(entries = seeded, "seeded the precursor catalog");
    }
    create_first_admin(&mut conn, settings.admin_password.as_ref())?;
    let appended = crate::ledger::catch_up_tree(&mut conn)
        .map_err(|e| format!("adding the ledger to the tree failed: {e}"))?;
    if appended > 0 {
        tracing::info!(entries = appended, "appended earlier entries to the tree");
    }
    drop(conn);
    Ok(Prepared { db, tokens, signer })
}

/// On an empty database, creates `admin`. A generated password is printed once to the
/// terminal (stderr), never to the log.
fn create_first_admin(
    conn: &mut crate::db::DbConnection,
    configured: Option<&Secret>,
) -> Result<(), String> {
    if users::store::count(conn).map_err(|e| e.to_string())? > 0 {
        return Ok(());
    }
    let generated = configured.is_none();
    let password = match configured {
        Some(p) => p.expose().to_string(),
        None => hex::encode(random_bytes::<12>().map_err(|e| e.to_string())?),
    };
    if let Err(message) = auth::password::check_strength(&password) {
        return Err(format!("PRECURSOR_ADMIN_PASSWORD {message}"));
    }
    users::create_account(
        conn,
        NewUser {
            username: "admin".into(),
            password: password.clone(),
            role: Role::Admin,
            firm_id: None,
        },
    )
    .map_err(|e| format!("creating the admin account failed: {e}"))?;
    if generated {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "\n  First start: created user `admin` with password\n\n      {password}\n\n  It is shown only this once. Set PRECURSOR_ADMIN_PASSWORD to choose it yourself.\n"
        );
    }
    tracing::info!("created the admin account");
    Ok(())
}

/// A checkpoint key's seed: 32 bytes as 64 hex digits.
fn seed_bytes(seed: &Secret) -> Result<[u8; 32], String> {
    let mut bytes = [0_u8; 32];
    hex::decode_to_slice(seed.expose().trim(), &mut bytes)
        .map_err(|_| "the transparency key must be 64 hex digits".to_string())?;
    Ok(bytes)
}

/// A signing key kept beside the database so that it survives restarts (mode 0600): the
/// tokens' secret, the checkpoints' seed.
fn load_or_create_secret(data_dir: &Path, name: &str) -> Result<Secret, String> {
    let path = data_dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => return Ok(Secret::new(text.trim().to_string())),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(format!("cannot read {}: {e}", path.display()));
        }
        Err(_) => {}
    }
    let secret = hex::encode(random_bytes::<32>().map_err(|e| e.to_string())?);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(secret.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Secret::new(secret))
}
