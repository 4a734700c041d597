//! The live shipment views on the demo province, measured in one run (see docs/performance.md).
//!
//! Generates the default demo province (421 firms, 12 months, ≈ 200 000 entries) in SQLite,
//! starts the real server on it and times, request by request from one keep-alive client:
//! the baseline (a page of one firm's ledger), a buyer's inbox, the regulators' board and its
//! summary with the default sharing of one computed board (2 s), and the board computed afresh
//! on every request (sharing off).
//!
//! `cargo bench --bench shipment_board` (BENCH_REQUESTS=300 BENCH_FIRMS=421 BENCH_MONTHS=12)

use std::time::{Duration, Instant};

use precursor_registry::config::{Secret, Settings};
use precursor_registry::demo::{self, DemoOptions};
use precursor_registry::domain::Role;
use precursor_registry::Application;
use serde_json::{json, Value};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn start(settings: Settings) -> (String, actix_web::dev::ServerHandle) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(settings).unwrap();
            tx.send((app.port(), app.handle())).unwrap();
            app.run_until_stopped().await.unwrap();
        })
    });
    let (port, handle) = rx.recv().unwrap();
    (format!("http://127.0.0.1:{port}"), handle)
}

fn login(agent: &ureq::Agent, base: &str, user: &str, password: &str) -> String {
    let r: Value = agent
        .post(&format!("{base}/api/v1/auth/login"))
        .send_json(json!({"username": user, "password": password}))
        .unwrap()
        .into_json()
        .unwrap();
    r["access_token"].as_str().unwrap().to_string()
}

/// Times `n` GETs of `path`; returns (p50, p99, max) in milliseconds.
fn timed(agent: &ureq::Agent, base: &str, token: &str, path: &str, n: usize) -> (f64, f64, f64) {
    spaced(agent, base, token, path, n, Duration::ZERO)
}

/// As `timed`, with `pause` between two requests (a regulator who looks every few seconds).
fn spaced(
    agent: &ureq::Agent,
    base: &str,
    token: &str,
    path: &str,
    n: usize,
    pause: Duration,
) -> (f64, f64, f64) {
    let mut ms: Vec<f64> = (0..n)
        .map(|_| {
            std::thread::sleep(pause);
            let t = Instant::now();
            let r = agent
                .get(&format!("{base}{path}"))
                .set("Authorization", &format!("Bearer {token}"))
                .call()
                .unwrap_or_else(|e| panic!("GET {path}: {e}"));
            let _ = r.into_string().unwrap();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), at(1.0))
}

fn main() {
    let n = env_usize("BENCH_REQUESTS", 300);
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::new(dir.path());
    settings.filing_rate_limit_per_minute = 0;
    // No background validation competing with what is measured.
    settings.continuous.every = std::time::Duration::ZERO;
    settings.bind = "127.0.0.1:0".into();
    settings.admin_password = Some(Secret::new("bench-admin-password"));
    let prepared = precursor_registry::startup::prepare(&settings).unwrap();
    let mut conn = prepared.db.get().unwrap();
    let t = Instant::now();
    let options = DemoOptions {
        firms: env_usize("BENCH_FIRMS", 421),
        months: env_usize("BENCH_MONTHS", 12) as u32,
        ..DemoOptions::default()
    };
    let report = demo::generate(&mut conn, &options).unwrap();
    drop(conn);
    drop(prepared);
    println!(
        "demo province: {} firms, {} entries ({:.1} s)",
        report.firms,
        report.entries,
        t.elapsed().as_secs_f64()
    );
    let account = |role: Role, name: &str| {
        report
            .accounts
            .iter()
            .find(|a| a.role == role && (name.is_empty() || a.username == name))
            .unwrap()
            .clone()
    };
    let regulator = account(Role::Regulator, "");
    let buyer = account(Role::Enterprise, "demo.user");
    let buyer_firm = buyer.firm_id.unwrap();

    println!("requests per row: {n}, one keep-alive client; milliseconds");
    println!("| route | sharing | p50 | p99 | max | p50 / baseline p50 |");
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    for (label, max_age, requests) in [
        ("2 s (default)", Duration::from_secs(2), n),
        ("off", Duration::ZERO, n.min(40)),
    ] {
        let mut settings = settings.clone();
        settings.board_max_age = max_age;
        let (base, handle) = start(settings);
        let agent = ureq::AgentBuilder::new().build();
        let reg = login(&agent, &base, &regulator.username, &regulator.password);
        let clerk = login(&agent, &base, &buyer.username, &buyer.password);
        let baseline = timed(
            &agent,
            &base,
            &clerk,
            &format!("/api/v1/firms/{buyer_firm}/ledger?limit=50"),
            requests,
        );
        let rows = [
            ("GET /firms/{id}/ledger?limit=50 (baseline)", baseline),
            (
                "GET /firms/{id}/incoming",
                timed(
                    &agent,
                    &base,
                    &clerk,
                    &format!("/api/v1/firms/{buyer_firm}/incoming"),
                    requests,
                ),
            ),
            (
                "GET /shipments?limit=50",
                timed(&agent, &base, &reg, "/api/v1/shipments?limit=50", requests),
            ),
            (
                "GET /shipments?status=overdue&region_code=350900",
                timed(
                    &agent,
                    &base,
                    &reg,
                    "/api/v1/shipments?status=overdue&region_code=350900",
                    requests,
                ),
            ),
            (
                "GET /shipments/summary",
                timed(&agent, &base, &reg, "/api/v1/shipments/summary", requests),
            ),
            (
                "GET /shipments?limit=50, one request every 3 s",
                spaced(
                    &agent,
                    &base,
                    &reg,
                    "/api/v1/shipments?limit=50",
                    15,
                    Duration::from_secs(3),
                ),
            ),
        ];
        for (route, (p50, p99, max)) in rows {
            println!(
                "| {route} | {label} | {p50:.1} | {p99:.1} | {max:.1} | {:.1}× |",
                p50 / baseline.0
            );
        }
        handle.stop(true).await_blocking();
    }
}

trait AwaitBlocking {
    fn await_blocking(self);
}

impl<F: std::future::Future> AwaitBlocking for F {
    fn await_blocking(self) {
        actix_web::rt::System::new().block_on(self);
    }
}
