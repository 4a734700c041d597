//! Ledger ingest, measured in one run on one machine (see docs/performance.md):
//!   (a) entries/s filed through HTTP batches of 1000,
//!   (b) entries/s through single-entry POSTs from 32 concurrent clients into one firm, with
//!       group commit (the default) and p99 latency; (b0) the same with group commit off,
//!   (c) the same rows inserted directly through diesel in one transaction (the baseline of a),
//!   (d) the same rows inserted directly, one row per transaction (the baseline of b).
//! SQLite always (synchronous=FULL); PostgreSQL too when PRECURSOR_TEST_POSTGRES_URL is set.
//!
//! `cargo bench --bench ledger_ingest` (BENCH_ENTRIES, BENCH_SINGLE, BENCH_RAW_SINGLE: sizes).

mod support;

use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use precursor_registry::db::schema::ledger_entries;
use precursor_registry::db::{write_tx, DatabaseUrl, Db, DbConnection};
use precursor_registry::ledger::{chain, LedgerRow};
use serde_json::{json, Value};
use support::{call, env_usize, fresh_postgres, login, start, start_with, Server, PASSWORD};

struct Setup {
    clerk: String,
    firms: Vec<String>,
    chemical: String,
    clerk_id: String,
}

/// A regulator registers `n` firms; one enterprise user is bound to each (the first signs in).
fn setup(server: &Server, n: usize) -> Setup {
    let agent = ureq::Agent::new();
    let b = &server.base;
    let admin = login(&agent, b, "admin");
    call(
        &agent,
        "POST",
        &format!("{b}/api/v1/users"),
        Some(&admin),
        &json!({"username": "bench.regulator", "password": PASSWORD, "role": "regulator"}),
    );
    let regulator = login(&agent, b, "bench.regulator");
    let mut firms = Vec::new();
    for i in 0..n {
        let first17 = format!("91350902MB{i:07}");
        let code = format!(
            "{first17}{}",
            precursor_registry::domain::credit_code::check_character(first17.as_bytes()).unwrap()
        );
        let firm = call(
            &agent,
            "POST",
            &format!("{b}/api/v1/firms"),
            Some(&regulator),
            &json!({"name": format!("基准企业{i}"), "credit_code": code, "region_code": "350902", "address": "宁德", "activities": ["use"]}),
        );
        firms.push(firm["id"].as_str().unwrap().to_string());
    }
    let user = call(
        &agent,
        "POST",
        &format!("{b}/api/v1/users"),
        Some(&admin),
        &json!({"username": "bench.clerk", "password": PASSWORD, "role": "enterprise", "firm_id": firms[0]}),
    );
    let clerk = login(&agent, b, "bench.clerk");
    let chemicals = call(
        &agent,
        "GET",
        &format!("{b}/api/v1/chemicals?q=67-64-1"),
        Some(&clerk),
        &Value::Null,
    );
    Setup {
        clerk,
        firms,
        chemical: chemicals["items"][0]["id"].as_str().unwrap().to_string(),
        clerk_id: user["id"].as_str().unwrap().to_string(),
    }
}

fn entry(chemical: &str, i: usize) -> Value {
    json!({"kind": "production", "chemical_id": chemical, "lot": format!("L{}", i % 50), "quantity": format!("{}.{:03}", 1 + i % 900, i % 1000),
           "occurred_at": "2026-03-01T08:00:00Z", "warehouse": "W1", "note": "基准测试"})
}

/// `n` chained rows of `firm`, as filing would store them.
fn chained_rows(firm: &str, setup: &Setup, n: usize) -> Vec<LedgerRow> {
    let now = chrono::Utc::now();
    let recorded_at = precursor_registry::domain::time::to_db(now);
    let mut prev = chain::GENESIS;
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let mut row = LedgerRow {
            firm_id: firm.to_string(),
            seq: i as i64 + 1,
            id: uuid::Uuid::now_v7().to_string(),
            kind: "production".into(),
            chemical_id: setup.chemical.clone(),
            lot: Some(format!("L{}", i % 50)),
            quantity: ((1 + i % 900) * 1000 + i % 1000) as i64,
            occurred_at: recorded_at,
            recorded_at,
            recorded_by: setup.clerk_id.clone(),
            counterparty_firm_id: None,
            counterparty_name: None,
            counterparty_credit_code: None,
            counterparty_permit_no: None,
            shipment_ref: None,
            permit_no: None,
            transport_permit_no: None,
            warehouse: Some("W1".into()),
            note: Some("基准测试".into()),
            reverses: None,
            prev_hash: hex::encode(prev),
            hash: String::new(),
            counterparty_resident_id: None,
            payment: None,
        };
        let hash = chain::entry_hash(&prev, &row.hashed_fields());
        row.hash = hex::encode(hash);
        prev = hash;
        rows.push(row);
    }
    rows
}

fn insert(conn: &mut DbConnection, rows: &[LedgerRow]) -> diesel::QueryResult<usize> {
    match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(ledger_entries::table)
            .values(rows)
            .execute(c),
        DbConnection::Postgres(c) => diesel::insert_into(ledger_entries::table)
            .values(rows)
            .execute(c),
    }
}

/// (c) The floor of batches: chained rows written straight through diesel in one transaction.
fn direct_insert(url: &DatabaseUrl, firm: &str, setup: &Setup, n: usize) -> Duration {
    let db = Db::connect(url, 1).unwrap();
    let mut conn = db.get().unwrap();
    let started = Instant::now();
    let rows = chained_rows(firm, setup, n);
    // The raw rows only: `store::insert` would also append them to the registry's tree, which is
    // part of what filing costs, not of the baseline.
    write_tx(&mut conn, |conn| {
        for chunk in rows.chunks(500) {
            insert(conn, chunk)?;
        }
        Ok(())
    })
    .unwrap();
    started.elapsed()
}

/// (d) The floor of single filings: the same rows, one per transaction (one commit each), one
/// after the other as one firm's chain must be written.
fn direct_one_per_commit(url: &DatabaseUrl, firm: &str, setup: &Setup, n: usize) -> Duration {
    let db = Db::connect(url, 1).unwrap();
    let mut conn = db.get().unwrap();
    let started = Instant::now();
    for row in chained_rows(firm, setup, n) {
        write_tx(&mut conn, |conn| {
            Ok(insert(conn, std::slice::from_ref(&row))?)
        })
        .unwrap();
    }
    started.elapsed()
}

/// (a) HTTP batches of 1000, one after another.
fn http_batches(server: &Server, setup: &Setup, n: usize) -> Duration {
    let agent = ureq::Agent::new();
    let url = format!(
        "{}/api/v1/firms/{}/ledger/batch",
        server.base, setup.firms[0]
    );
    let started = Instant::now();
    for start in (0..n).step_by(1000) {
        let entries: Vec<Value> = (start..(start + 1000).min(n))
            .map(|i| entry(&setup.chemical, i))
            .collect();
        call(
            &agent,
            "POST",
            &url,
            Some(&setup.clerk),
            &json!({"entries": entries}),
        );
    }
    started.elapsed()
}

/// (b) Single-entry POSTs from 32 concurrent clients (keep-alive connections) into one firm:
/// the time for all, and the 99th percentile of one request's latency.
fn http_singles(server: &Server, setup: &Setup, n: usize) -> (Duration, Duration) {
    let url = format!("{}/api/v1/firms/{}/ledger", server.base, setup.firms[0]);
    let clients = 32;
    let latencies = std::sync::Mutex::new(Vec::with_capacity(n));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for c in 0..clients {
            let (url, setup, latencies) = (&url, setup, &latencies);
            scope.spawn(move || {
                let agent = ureq::Agent::new();
                let mut mine = Vec::new();
                for i in (c..n).step_by(clients) {
                    let sent = Instant::now();
                    call(
                        &agent,
                        "POST",
                        url,
                        Some(&setup.clerk),
                        &entry(&setup.chemical, i),
                    );
                    mine.push(sent.elapsed());
                }
                latencies.lock().unwrap().extend(mine);
            });
        }
    });
    let elapsed = started.elapsed();
    let mut latencies = latencies.into_inner().unwrap();
    latencies.sort();
    let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
    (elapsed, p99)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing: run only when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = env_usize("BENCH_ENTRIES", 20_000);
    let singles = env_usize("BENCH_SINGLE", 5_000);
    let raw_singles = env_usize("BENCH_RAW_SINGLE", 2_000);
    let mut backends: Vec<(&str, Option<String>)> = vec![("sqlite", None)];
    let pg_admin = std::env::var("PRECURSOR_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if let Some(admin) = &pg_admin {
        backends.push(("postgres", Some(admin.clone())));
    }
    println!(
        "ledger ingest: {n} entries per batch/direct run, {singles} single POSTs from 32 clients \
         into one firm, {raw_singles} raw one-row commits"
    );
    println!(
        "{:<9} {:>11} {:>10} {:>11} {:>11} {:>10} {:>9} {:>7} {:>7} {:>7}",
        "backend",
        "(a) batch/s",
        "(c) raw/s",
        "(b) group/s",
        "(b) p99 ms",
        "(b0) off/s",
        "(d) raw1/s",
        "a/c",
        "b/d",
        "b0/d"
    );
    for (name, admin) in backends {
        let database = admin.as_deref().map(fresh_postgres);
        let url = database.as_ref().map(|(url, _)| url.clone());
        let server = start(url.clone());
        let firms = setup(&server, 3);
        let direct = direct_insert(&server.url, &firms.firms[1], &firms, n);
        let one_per_commit =
            direct_one_per_commit(&server.url, &firms.firms[2], &firms, raw_singles);
        let batch = http_batches(&server, &firms, n);
        let (single, p99) = http_singles(&server, &firms, singles);
        actix_web::rt::System::new().block_on(server.handle.stop(true));
        // The same single filings with group commit off, on a fresh registry.
        let off_database = admin.as_deref().map(fresh_postgres);
        let off_url = off_database.as_ref().map(|(url, _)| url.clone());
        let off = start_with(off_url, |s| s.group_commit.max_group = 0);
        let off_setup = setup(&off, 1);
        let (single_off, _) = http_singles(&off, &off_setup, singles);
        actix_web::rt::System::new().block_on(off.handle.stop(true));
        let rate = |count: usize, d: Duration| count as f64 / d.as_secs_f64();
        let (a, b, b0, c, d) = (
            rate(n, batch),
            rate(singles, single),
            rate(singles, single_off),
            rate(n, direct),
            rate(raw_singles, one_per_commit),
        );
        println!(
            "{name:<9} {a:>11.0} {c:>10.0} {b:>11.0} {:>11.1} {b0:>10.0} {d:>9.0} {:>6.1}% {:>6.1}% {:>6.1}%",
            p99.as_secs_f64() * 1000.0,
            100.0 * a / c,
            100.0 * b / d,
            100.0 * b0 / d
        );
        if let Some(admin) = &admin {
            for (_, db) in [database, off_database].into_iter().flatten() {
                support::drop_postgres(admin, &db);
            }
        }
    }
}
