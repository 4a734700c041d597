//! Ledger ingest, measured in one run on one machine (see docs/performance.md):
//!   (a) entries/s filed through HTTP batches of 1000,
//!   (b) entries/s through single-entry POSTs from 32 concurrent clients,
//!   (c) the same rows inserted directly through diesel in one transaction (the baseline).
//! SQLite always; PostgreSQL too when PRECURSOR_TEST_POSTGRES_URL is set.
//!
//! `cargo bench --bench ledger_ingest` (BENCH_ENTRIES, BENCH_SINGLE to change the sizes).

mod support;

use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use precursor_registry::db::schema::ledger_entries;
use precursor_registry::db::{write_tx, DatabaseUrl, Db, DbConnection};
use precursor_registry::ledger::{chain, LedgerRow};
use serde_json::{json, Value};
use support::{call, env_usize, fresh_postgres, login, start, Server, PASSWORD};

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

/// (c) The floor: chained rows written straight through diesel in one transaction.
fn direct_insert(url: &DatabaseUrl, firm: &str, setup: &Setup, n: usize) -> Duration {
    let db = Db::connect(url, 1).unwrap();
    let mut conn = db.get().unwrap();
    let now = chrono::Utc::now();
    let recorded_at = precursor_registry::domain::time::to_db(now);
    let started = Instant::now();
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
    // The raw rows only: `store::insert` would also append them to the registry's tree, which is
    // part of what filing costs, not of the baseline.
    write_tx(&mut conn, |conn| {
        for chunk in rows.chunks(500) {
            match conn {
                DbConnection::Sqlite(c) => diesel::insert_into(ledger_entries::table)
                    .values(chunk)
                    .execute(c)?,
                DbConnection::Postgres(c) => diesel::insert_into(ledger_entries::table)
                    .values(chunk)
                    .execute(c)?,
            };
        }
        Ok(())
    })
    .unwrap();
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

/// (b) Single-entry POSTs from 32 concurrent clients (keep-alive connections).
fn http_singles(server: &Server, setup: &Setup, n: usize) -> Duration {
    let url = format!("{}/api/v1/firms/{}/ledger", server.base, setup.firms[0]);
    let clients = 32;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for c in 0..clients {
            let (url, setup) = (&url, setup);
            scope.spawn(move || {
                let agent = ureq::Agent::new();
                for i in (c..n).step_by(clients) {
                    call(
                        &agent,
                        "POST",
                        url,
                        Some(&setup.clerk),
                        &entry(&setup.chemical, i),
                    );
                }
            });
        }
    });
    started.elapsed()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing: run only when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = env_usize("BENCH_ENTRIES", 20_000);
    let singles = env_usize("BENCH_SINGLE", 5_000);
    let mut backends: Vec<(&str, Option<DatabaseUrl>, Option<String>)> =
        vec![("sqlite", None, None)];
    let pg_admin = std::env::var("PRECURSOR_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if let Some(admin) = &pg_admin {
        let (url, name) = fresh_postgres(admin);
        backends.push(("postgres", Some(url), Some(name)));
    }
    println!(
        "ledger ingest: {n} entries per batch/direct run, {singles} single POSTs from 32 clients"
    );
    println!(
        "{:<9} {:>14} {:>14} {:>14} {:>10} {:>10}",
        "backend", "(a) batch/s", "(b) single/s", "(c) direct/s", "a/c", "b/c"
    );
    for (name, url, pg_name) in backends {
        let server = start(url);
        let setup = setup(&server, 2);
        let direct = direct_insert(&server.url, &setup.firms[1], &setup, n);
        let batch = http_batches(&server, &setup, n);
        let single = http_singles(&server, &setup, singles);
        let rate = |count: usize, d: Duration| count as f64 / d.as_secs_f64();
        let (a, b, c) = (rate(n, batch), rate(singles, single), rate(n, direct));
        println!(
            "{name:<9} {a:>14.0} {b:>14.0} {c:>14.0} {:>9.1}% {:>9.1}%",
            100.0 * a / c,
            100.0 * b / c
        );
        actix_web::rt::System::new().block_on(server.handle.stop(true));
        if let (Some(admin), Some(db)) = (&pg_admin, pg_name) {
            support::drop_postgres(admin, &db);
        }
    }
}
