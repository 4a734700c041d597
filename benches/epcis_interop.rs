//! EPCIS interop, measured in one run on one machine (see docs/performance.md):
//!   (a) entries/s filed through the JSON batch endpoint (batches of 1000) — the baseline,
//!   (b) events/s imported through `POST /firms/{id}/ledger/epcis` (documents of 1000 events,
//!       the same entries exported from the first firm, into an empty firm),
//!   (c) events/s exported as one EPCIS document (`GET …/ledger?format=epcis`), against
//!   (d) entries/s read through the JSON listing (pages of 1000).
//! SQLite always; PostgreSQL too when PRECURSOR_TEST_POSTGRES_URL is set.
//!
//! `cargo bench --bench epcis_interop` (BENCH_ENTRIES to change the size).

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{call, env_usize, fresh_postgres, login, start, Server, PASSWORD};

struct Setup {
    source: (String, String),
    target: (String, String),
    partner: String,
    chemical: String,
}

fn credit_code(i: usize) -> String {
    let first17 = format!("91350902MC{i:07}");
    let check = precursor_registry::domain::credit_code::check_character(first17.as_bytes());
    format!("{first17}{}", check.unwrap())
}

/// A regulator registers three firms: the source, an empty target and a trading partner;
/// a clerk is signed in for each of the first two.
fn setup(server: &Server) -> Setup {
    let agent = ureq::Agent::new();
    let b = &server.base;
    let admin = login(&agent, b, "admin");
    let user = |name: &str, role: &str, firm: Option<&str>| {
        call(
            &agent,
            "POST",
            &format!("{b}/api/v1/users"),
            Some(&admin),
            &json!({"username": name, "password": PASSWORD, "role": role, "firm_id": firm}),
        );
        login(&agent, b, name)
    };
    let regulator = user("bench.regulator", "regulator", None);
    let firm = |i: usize| {
        let body = json!({"name": format!("基准企业{i}"), "credit_code": credit_code(i),
            "region_code": "350902", "address": "宁德", "activities": ["use"]});
        let r = call(
            &agent,
            "POST",
            &format!("{b}/api/v1/firms"),
            Some(&regulator),
            &body,
        );
        r["id"].as_str().unwrap().to_string()
    };
    let (source, target, partner) = (firm(1), firm(2), firm(3));
    let chemicals = call(
        &agent,
        "GET",
        &format!("{b}/api/v1/chemicals?q=67-64-1"),
        Some(&regulator),
        &Value::Null,
    );
    Setup {
        source: (user("bench.source", "enterprise", Some(&source)), source),
        target: (user("bench.target", "enterprise", Some(&target)), target),
        partner,
        chemical: chemicals["items"][0]["id"].as_str().unwrap().to_string(),
    }
}

/// Production, and every fourth entry a sale to the partner.
fn entry(setup: &Setup, i: usize) -> Value {
    let mut e = json!({"kind": "production", "chemical_id": setup.chemical, "lot": format!("L{}", i % 50),
        "quantity": format!("{}.{:03}", 1 + i % 900, i % 1000), "occurred_at": "2026-03-01T08:00:00Z",
        "warehouse": "W1", "note": "基准测试"});
    if i % 4 == 3 {
        e["kind"] = json!("sale");
        e["counterparty"] = json!({"firm_id": setup.partner});
        e["payment"] = json!("bank_transfer");
        e["shipment_ref"] = json!(format!("SH-{i}"));
    }
    e
}

fn timed(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = env_usize("BENCH_ENTRIES", 10_000);
    let mut backends = vec![("sqlite", None, None)];
    let pg_admin = std::env::var("PRECURSOR_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if let Some(admin) = &pg_admin {
        let (url, name) = fresh_postgres(admin);
        backends.push(("postgres", Some(url), Some(name)));
    }
    println!("EPCIS interop: {n} entries (3 in 4 production, 1 in 4 a sale to a registered firm)");
    println!(
        "{:<9} {:>13} {:>13} {:>8} {:>13} {:>13} {:>8}",
        "backend", "(a) batch/s", "(b) import/s", "b/a", "(c) export/s", "(d) list/s", "c/d"
    );
    for (name, url, pg_name) in backends {
        let server = start(url);
        let s = setup(&server);
        let agent = ureq::Agent::new();
        let b = &server.base;
        let (source_clerk, source) = &s.source;
        let (target_clerk, target) = &s.target;
        let batch = timed(|| {
            for start in (0..n).step_by(1000) {
                let entries: Vec<Value> = (start..(start + 1000).min(n))
                    .map(|i| entry(&s, i))
                    .collect();
                call(
                    &agent,
                    "POST",
                    &format!("{b}/api/v1/firms/{source}/ledger/batch"),
                    Some(source_clerk),
                    &json!({"entries": entries}),
                );
            }
        });
        let mut document = Value::Null;
        let export = timed(|| {
            document = call(
                &agent,
                "GET",
                &format!("{b}/api/v1/firms/{source}/ledger?format=epcis"),
                Some(source_clerk),
                &Value::Null,
            );
        });
        let list = timed(|| {
            let mut cursor = String::new();
            loop {
                let page = call(
                    &agent,
                    "GET",
                    &format!("{b}/api/v1/firms/{source}/ledger?limit=1000&cursor={cursor}"),
                    Some(source_clerk),
                    &Value::Null,
                );
                match page["next_cursor"].as_str() {
                    Some(next) => cursor = next.to_string(),
                    None => break,
                }
            }
        });
        let events = document["epcisBody"]["eventList"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(events.len(), n, "the export holds every entry");
        let import = timed(|| {
            for chunk in events.chunks(1000) {
                let mut doc = document.clone();
                doc["epcisBody"]["eventList"] = Value::Array(chunk.to_vec());
                let r = call(
                    &agent,
                    "POST",
                    &format!("{b}/api/v1/firms/{target}/ledger/epcis"),
                    Some(target_clerk),
                    &doc,
                );
                assert_eq!(r["filed"].as_u64(), Some(chunk.len() as u64));
            }
        });
        let rate = |d: Duration| n as f64 / d.as_secs_f64();
        let (a, bi, c, d) = (rate(batch), rate(import), rate(export), rate(list));
        println!(
            "{name:<9} {a:>13.0} {bi:>13.0} {:>7.0}% {c:>13.0} {d:>13.0} {:>7.0}%",
            100.0 * bi / a,
            100.0 * c / d
        );
        actix_web::rt::System::new().block_on(server.handle.stop(true));
        if let (Some(admin), Some(db)) = (&pg_admin, pg_name) {
            support::drop_postgres(admin, &db);
        }
    }
}
