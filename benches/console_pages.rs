//! The console's heaviest pages on the demo province against the JSON endpoints that return the
//! same data, measured in one run (see docs/performance.md).
//!
//! Generates the default demo province in SQLite, starts the real server on it, signs in to the
//! console (cookie session) and to the API (bearer token), and times, request by request from
//! one keep-alive client: the firm page of the firm with the most entries against the eight API
//! calls it gathers, the regulator's dashboard against its four, and a clerk's ledger table
//! against one API page of the same ledger.
//!
//! `cargo bench --bench console_pages` (BENCH_REQUESTS=100 BENCH_FIRMS=421 BENCH_MONTHS=12)

use std::time::Instant;

use diesel::prelude::*;
use precursor_registry::config::{Secret, Settings};
use precursor_registry::db::schema::ledger_entries::dsl as e;
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

/// How a request proves who sends it.
#[derive(Clone)]
enum Who {
    Bearer(String),
    Cookie(String),
}

fn token(agent: &ureq::Agent, base: &str, user: &str, password: &str) -> Who {
    let r: Value = agent
        .post(&format!("{base}/api/v1/auth/login"))
        .send_json(json!({"username": user, "password": password}))
        .unwrap()
        .into_json()
        .unwrap();
    Who::Bearer(r["access_token"].as_str().unwrap().to_string())
}

fn cookie_value<'a>(r: &'a ureq::Response, name: &str) -> &'a str {
    r.all("set-cookie")
        .into_iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap()
}

/// Signs in to the console as a browser does: the form's token, then the session cookie.
fn session(base: &str, user: &str, password: &str) -> Who {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let form = agent.get(&format!("{base}/sign-in")).call().unwrap();
    let guard = cookie_value(&form, "precursor_sign_in").to_string();
    let text = form.into_string().unwrap();
    let at = text.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &text[at..at + text[at..].find('"').unwrap()];
    let signed = agent
        .post(&format!("{base}/sign-in"))
        .set("Cookie", &format!("precursor_sign_in={guard}"))
        .send_form(&[("csrf", csrf), ("username", user), ("password", password)])
        .unwrap_or_else(|e| match e {
            ureq::Error::Status(_, r) => r,
            e => panic!("{e}"),
        });
    Who::Cookie(cookie_value(&signed, "precursor_session").to_string())
}

fn get(agent: &ureq::Agent, base: &str, who: &Who, path: &str) {
    let req = agent.get(&format!("{base}{path}"));
    let req = match who {
        Who::Bearer(t) => req.set("Authorization", &format!("Bearer {t}")),
        Who::Cookie(c) => req
            .set("Cookie", &format!("precursor_session={c}"))
            .set("Accept", "text/html"),
    };
    let r = req.call().unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(r.status(), 200, "GET {path}");
    let _ = r.into_string().unwrap();
}

/// Times `n` rounds of GETs of all `paths` one after the other; (p50, p99) of a round in ms.
fn timed(agent: &ureq::Agent, base: &str, who: &Who, paths: &[String], n: usize) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            for p in paths {
                get(agent, base, who, p);
            }
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

fn main() {
    let n = env_usize("BENCH_REQUESTS", 100);
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::new(dir.path());
    settings.filing_rate_limit_per_minute = 0;
    // No background validation competing with what is measured.
    settings.continuous.every = std::time::Duration::ZERO;
    settings.bind = "127.0.0.1:0".into();
    settings.admin_password = Some(Secret::new("bench-admin-password"));
    let prepared = precursor_registry::startup::prepare(&settings).unwrap();
    let mut conn = prepared.db.get().unwrap();
    let options = DemoOptions {
        firms: env_usize("BENCH_FIRMS", 421),
        months: env_usize("BENCH_MONTHS", 12) as u32,
        ..DemoOptions::default()
    };
    let report = demo::generate(&mut conn, &options).unwrap();
    let (largest, entries): (String, i64) = e::ledger_entries
        .group_by(e::firm_id)
        .select((e::firm_id, diesel::dsl::count_star()))
        .order(diesel::dsl::count_star().desc())
        .first(&mut *conn)
        .unwrap();
    drop(conn);
    drop(prepared);
    println!(
        "demo province: {} firms, {} entries; the largest firm has {entries}",
        report.firms, report.entries
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
    let clerk = account(Role::Enterprise, "demo.producer");
    let clerk_firm = clerk.firm_id.unwrap();

    let (base, handle) = start(settings);
    let agent = ureq::AgentBuilder::new().build();
    let api = token(&agent, &base, &regulator.username, &regulator.password);
    let console = session(&base, &regulator.username, &regulator.password);
    let clerk_api = token(&agent, &base, &clerk.username, &clerk.password);
    let clerk_console = session(&base, &clerk.username, &clerk.password);
    let f = &largest;
    let firm_api: Vec<String> = [
        format!("/api/v1/firms/{f}"),
        format!("/api/v1/firms/{f}/permits"),
        format!("/api/v1/firms/{f}/ledger?limit=50"),
        format!("/api/v1/firms/{f}/ledger/verify"),
        format!("/api/v1/firms/{f}/inventory"),
        format!("/api/v1/custody/findings?firm_id={f}&status=open&limit=20"),
        format!("/api/v1/audits?firm_id={f}"),
        format!("/api/v1/firms/{f}/grades"),
    ]
    .into();
    let dashboard_api: Vec<String> = [
        "/api/v1/custody/findings?status=open&limit=1000",
        "/api/v1/shipments/summary",
        "/api/v1/supervision/due",
        "/api/v1/grades/summary",
    ]
    .map(String::from)
    .into();
    let rows = [
        (
            "firm page `/firms/{largest}`",
            &console,
            vec![format!("/firms/{f}")],
            &api,
            firm_api,
        ),
        (
            "dashboard `/`",
            &console,
            vec!["/".to_string()],
            &api,
            dashboard_api,
        ),
        (
            "clerk's ledger `/ledger`",
            &clerk_console,
            vec!["/ledger".to_string()],
            &clerk_api,
            vec![format!("/api/v1/firms/{clerk_firm}/ledger?limit=50")],
        ),
    ];
    println!("rounds per row: {n}, one keep-alive client; milliseconds");
    println!("| page | page p50 | page p99 | its JSON calls | JSON p50 | JSON p99 | page p50 / JSON p50 |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (label, page_who, page, json_who, json) in rows {
        let (p50, p99) = timed(&agent, &base, page_who, &page, n);
        let (j50, j99) = timed(&agent, &base, json_who, &json, n);
        println!(
            "| {label} | {p50:.1} | {p99:.1} | {} | {j50:.1} | {j99:.1} | {:.2}× |",
            json.len(),
            p50 / j50
        );
    }
    handle.stop(true).await_blocking();
}

trait AwaitBlocking {
    fn await_blocking(self);
}

impl<F: std::future::Future> AwaitBlocking for F {
    fn await_blocking(self) {
        actix_web::rt::System::new().block_on(self);
    }
}
