//! What the HTTP benchmarks share: a registry on 127.0.0.1:0, its calls, and a fresh
//! PostgreSQL database when one is configured.
#![allow(dead_code)] // each benchmark uses its part

use diesel::{Connection, PgConnection, RunQueryDsl};
use precursor_registry::config::{Secret, Settings};
use precursor_registry::db::DatabaseUrl;
use precursor_registry::Application;
use serde_json::{json, Value};

pub const PASSWORD: &str = "benchmark-password-1";

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub struct Server {
    pub base: String,
    pub url: DatabaseUrl,
    pub handle: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
}

pub fn start(url: Option<DatabaseUrl>) -> Server {
    start_with(url, |_| {})
}

/// As [`start`], with some settings changed.
pub fn start_with(url: Option<DatabaseUrl>, configure: impl FnOnce(&mut Settings)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::new(dir.path());
    settings.bind = "127.0.0.1:0".into();
    settings.admin_password = Some(Secret::new(PASSWORD));
    settings.database_url = url;
    // Benchmarks file as fast as they can.
    settings.filing_rate_limit_per_minute = 0;
    configure(&mut settings);
    // No background validation competing with what is measured.
    settings.continuous.every = std::time::Duration::ZERO;
    start_settings(settings, dir)
}

/// Starts a registry with these settings (its data directory `dir`, kept while it runs).
pub fn start_settings(settings: Settings, dir: tempfile::TempDir) -> Server {
    let url = settings.database_url();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(settings).unwrap();
            tx.send((app.port(), app.handle())).unwrap();
            app.run_until_stopped().await.unwrap();
        })
    });
    let (port, handle) = rx.recv().unwrap();
    Server {
        base: format!("http://127.0.0.1:{port}"),
        url,
        handle,
        _dir: dir,
    }
}

pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> Value {
    let mut req = agent.request(method, url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let response = if method == "GET" {
        req.call()
    } else {
        req.send_json(body.clone())
    };
    match response {
        Ok(r) => r.into_json().unwrap(),
        Err(e) => panic!("{method} {url}: {e}"),
    }
}

pub fn login(agent: &ureq::Agent, base: &str, user: &str) -> String {
    let r = call(
        agent,
        "POST",
        &format!("{base}/api/v1/auth/login"),
        None,
        &json!({"username": user, "password": PASSWORD}),
    );
    r["access_token"].as_str().unwrap().to_string()
}

pub fn fresh_postgres(admin_url: &str) -> (DatabaseUrl, String) {
    let name = format!("registry_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::establish(admin_url).unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .unwrap();
    let base = admin_url.split('?').next().unwrap();
    (
        DatabaseUrl::parse(&format!("{}/{name}", &base[..base.rfind('/').unwrap()])).unwrap(),
        name,
    )
}

/// Drops a benchmark's PostgreSQL database.
pub fn drop_postgres(admin_url: &str, name: &str) {
    let mut conn = PgConnection::establish(admin_url).unwrap();
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn);
}
