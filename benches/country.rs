//! A country on PostgreSQL, measured in one run against the real server (see docs/scaling.md):
//! filing (HTTP batches of 1000, single POSTs from 32 clients) into an empty registry (the
//! baseline) and into the loaded country, then the firm pages, the inbox, the findings list and
//! the in-transit board on the country, each against a page of one firm's ledger.
//!
//! The country is generated once beforehand (it is never dropped or refilled here):
//! ```sh
//! createdb -h 127.0.0.1 -U postgres country
//! PRECURSOR_ADMIN_PASSWORD=benchmark-password-1 precursor-registry demo \
//!   --database-url postgres://postgres@127.0.0.1:5432/country \
//!   --firms 20000 --months 13 --province-firms 1000
//! BENCH_COUNTRY_URL=postgres://postgres@127.0.0.1:5432/country \
//! PRECURSOR_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo bench --bench country
//! ```
//! Sizes: BENCH_ENTRIES (20000 per batch run), BENCH_SINGLE (5000), BENCH_REQUESTS (100 per
//! read route), BENCH_BOARD (5 boards computed afresh). Filing adds a new firm's entries to the
//! country each run.

mod support;

use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use precursor_registry::db::DatabaseUrl;
use serde_json::{json, Value};
use support::{call, env_usize, fresh_postgres, login, Server, PASSWORD};

struct Setup {
    regulator: String,
    clerk: String,
    firm: String,
    chemical: String,
}

/// A regulator (new each run) registers a firm and binds a clerk to it.
fn setup(server: &Server) -> Setup {
    let agent = ureq::Agent::new();
    let b = &server.base;
    let run = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let admin = login(&agent, b, "admin");
    let regulator_name = format!("bench.regulator.{run}");
    call(
        &agent,
        "POST",
        &format!("{b}/api/v1/users"),
        Some(&admin),
        &json!({"username": regulator_name, "password": PASSWORD, "role": "regulator"}),
    );
    let regulator = login(&agent, b, &regulator_name);
    let first17 = format!(
        "91350902MC{:07}",
        u32::from_str_radix(run, 16).unwrap() % 10_000_000
    );
    let code = format!(
        "{first17}{}",
        precursor_registry::domain::credit_code::check_character(first17.as_bytes()).unwrap()
    );
    let firm = call(
        &agent,
        "POST",
        &format!("{b}/api/v1/firms"),
        Some(&regulator),
        &json!({"name": format!("基准企业{run}"), "credit_code": code, "region_code": "350902", "address": "宁德", "activities": ["use"]}),
    );
    let firm = firm["id"]
        .as_str()
        .expect("the firm is registered")
        .to_string();
    let clerk_name = format!("bench.clerk.{run}");
    call(
        &agent,
        "POST",
        &format!("{b}/api/v1/users"),
        Some(&admin),
        &json!({"username": clerk_name, "password": PASSWORD, "role": "enterprise", "firm_id": firm}),
    );
    let clerk = login(&agent, b, &clerk_name);
    let chemicals = call(
        &agent,
        "GET",
        &format!("{b}/api/v1/chemicals?q=67-64-1"),
        Some(&clerk),
        &Value::Null,
    );
    Setup {
        regulator,
        clerk,
        firm,
        chemical: chemicals["items"][0]["id"].as_str().unwrap().to_string(),
    }
}

fn entry(chemical: &str, i: usize) -> Value {
    json!({"kind": "production", "chemical_id": chemical, "lot": format!("L{}", i % 50), "quantity": format!("{}.{:03}", 1 + i % 900, i % 1000),
        "occurred_at": "2026-01-15T08:00:00Z"})
}

/// Entries/s through HTTP batches of 1000, one after another.
fn batches(server: &Server, s: &Setup, n: usize) -> f64 {
    let agent = ureq::Agent::new();
    let url = format!("{}/api/v1/firms/{}/ledger/batch", server.base, s.firm);
    let started = Instant::now();
    for start in (0..n).step_by(1000) {
        let entries: Vec<Value> = (start..(start + 1000).min(n))
            .map(|i| entry(&s.chemical, i))
            .collect();
        call(
            &agent,
            "POST",
            &url,
            Some(&s.clerk),
            &json!({"entries": entries}),
        );
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Entries/s through single-entry POSTs from 32 concurrent keep-alive clients.
fn singles(server: &Server, s: &Setup, n: usize) -> f64 {
    let url = format!("{}/api/v1/firms/{}/ledger", server.base, s.firm);
    let clients = 32;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for c in 0..clients {
            let url = &url;
            scope.spawn(move || {
                let agent = ureq::Agent::new();
                for i in (c..n).step_by(clients) {
                    call(&agent, "POST", url, Some(&s.clerk), &entry(&s.chemical, i));
                }
            });
        }
    });
    n as f64 / started.elapsed().as_secs_f64()
}

/// Times `n` GETs of `path`: (p50, p99, max) in milliseconds.
fn timed(agent: &ureq::Agent, base: &str, token: &str, path: &str, n: usize) -> (f64, f64, f64) {
    let mut ms: Vec<f64> = (0..n)
        .map(|_| {
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

/// The country's busiest trader-like firm: the most purchases from registered firms (a full
/// inbox) among the first firms.
fn busy_firm(url: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Firm {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let mut conn = PgConnection::establish(url).unwrap();
    let firms: Vec<Firm> = diesel::sql_query(
        "SELECT counterparty_firm_id AS id FROM ledger_entries \
         WHERE kind = 'sale' AND counterparty_firm_id IS NOT NULL \
         AND occurred_at > now() - interval '10 days' \
         GROUP BY counterparty_firm_id ORDER BY count(*) DESC LIMIT 1",
    )
    .load(&mut conn)
    .unwrap();
    firms[0].id.clone()
}

fn start(url: DatabaseUrl, board_max_age: Duration) -> Server {
    support::start_with(Some(url), |s| s.board_max_age = board_max_age)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let (Ok(country), Ok(admin)) = (
        std::env::var("BENCH_COUNTRY_URL"),
        std::env::var("PRECURSOR_TEST_POSTGRES_URL"),
    ) else {
        println!(
            "country: set BENCH_COUNTRY_URL (a loaded country) and PRECURSOR_TEST_POSTGRES_URL"
        );
        return;
    };
    let n = env_usize("BENCH_ENTRIES", 20_000);
    let single = env_usize("BENCH_SINGLE", 5_000);
    let requests = env_usize("BENCH_REQUESTS", 100);
    let boards = env_usize("BENCH_BOARD", 5);

    println!("filing: {n} entries in batches of 1000, {single} single POSTs from 32 clients");
    println!("| registry | batch entries/s | single entries/s |");
    println!("| --- | ---: | ---: |");
    let (empty_url, empty_name) = fresh_postgres(&admin);
    let empty = start(empty_url, Duration::from_secs(2));
    let s = setup(&empty);
    let (empty_batch, empty_single) = (batches(&empty, &s, n), singles(&empty, &s, single));
    println!("| empty (baseline) | {empty_batch:.0} | {empty_single:.0} |");
    actix_web::rt::System::new().block_on(empty.handle.stop(true));
    support::drop_postgres(&admin, &empty_name);

    let server = start(DatabaseUrl::parse(&country).unwrap(), Duration::ZERO);
    let s = setup(&server);
    let (batch, one) = (batches(&server, &s, n), singles(&server, &s, single));
    println!(
        "| country | {batch:.0} ({:.2}×) | {one:.0} ({:.2}×) |",
        batch / empty_batch,
        one / empty_single
    );

    let firm = busy_firm(&country);
    let agent = ureq::Agent::new();
    let token = &s.regulator;
    println!("\nreads on the country (firm {firm}), one keep-alive client; milliseconds");
    println!("| route | requests | p50 | p99 | max | p50 / baseline p50 |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let base = &server.base;
    let baseline = timed(
        &agent,
        base,
        token,
        &format!("/api/v1/firms/{firm}/ledger?limit=50"),
        requests,
    );
    let rows = [
        (
            "GET /firms/{id}/ledger?limit=50 (baseline)",
            requests,
            baseline,
        ),
        (
            "GET /firms/{id}",
            requests,
            timed(
                &agent,
                base,
                token,
                &format!("/api/v1/firms/{firm}"),
                requests,
            ),
        ),
        (
            "GET /firms/{id}/inventory",
            requests,
            timed(
                &agent,
                base,
                token,
                &format!("/api/v1/firms/{firm}/inventory"),
                requests,
            ),
        ),
        (
            "GET /firms/{id}/incoming",
            requests,
            timed(
                &agent,
                base,
                token,
                &format!("/api/v1/firms/{firm}/incoming"),
                requests,
            ),
        ),
        (
            "GET /firms/{id}/outgoing",
            requests,
            timed(
                &agent,
                base,
                token,
                &format!("/api/v1/firms/{firm}/outgoing"),
                requests,
            ),
        ),
        (
            "GET /custody/findings?firm_id={id}",
            requests,
            timed(
                &agent,
                base,
                token,
                &format!("/api/v1/custody/findings?firm_id={firm}"),
                requests,
            ),
        ),
        (
            "GET /custody/findings?limit=50",
            requests,
            timed(
                &agent,
                base,
                token,
                "/api/v1/custody/findings?limit=50",
                requests,
            ),
        ),
        (
            "GET /shipments?limit=50 (board computed afresh)",
            boards,
            timed(&agent, base, token, "/api/v1/shipments?limit=50", boards),
        ),
    ];
    for (route, count, (p50, p99, max)) in rows {
        println!(
            "| `{route}` | {count} | {p50:.1} | {p99:.1} | {max:.1} | {:.1}× |",
            p50 / baseline.0
        );
    }
    actix_web::rt::System::new().block_on(server.handle.stop(true));
}
