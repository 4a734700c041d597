//! Custody validation at province scale, measured in one run (see docs/performance.md).
//!
//! For each size (default 100 000 and 1 000 000 entries) over 2 000 demo firms in SQLite:
//! the bare read of the same rows (the floor); the full run as the API makes it, streamed by
//! batches of firms (reading, the pure validation of the batches, persisting findings, the
//! whole run, and the peak memory of the run's process); and, for comparison, the whole
//! province loaded into one `Input` and validated in one call (load, pure validation, peak).
//! Each is a fresh child process so that its peak memory is its own.
//!
//! Then, in the same process (issue 15): a run for one firm of median size (entries read
//! against the province's), and incremental runs — the first (which judges everything and
//! leaves the watermarks), one with nothing filed, one after a day of filings (0.3 % new
//! entries, spread over the firms at random) and one after a minute of filings (20 entries at
//! 5 firms), each as a ratio of the full run's time.
//!
//! `cargo bench --bench custody_validate` (BENCH_SIZES=100000,1000000 BENCH_FIRMS=2000)

use std::process::Command;
use std::time::Instant;

use diesel::prelude::*;
use precursor_registry::auth::Principal;
use precursor_registry::custody;
use precursor_registry::db::schema::{chemicals, ledger_entries};
use precursor_registry::db::DbConnection;
use precursor_registry::db::{DatabaseUrl, Db};
use precursor_registry::demo::{self, DemoOptions};
use precursor_registry::domain::CustodyRules;
use precursor_registry::domain::Role;
use precursor_registry::ledger::filing::{self, Submission};
use precursor_registry::ledger::LedgerRow;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn generate(path: &str, firms: usize, months: u32) -> usize {
    let db = Db::connect(&DatabaseUrl::Sqlite(path.into()), 1).unwrap();
    let mut conn = db.get().unwrap();
    precursor_registry::chemicals::seed::seed_if_empty(&mut conn).unwrap();
    let report = demo::generate(
        &mut conn,
        &DemoOptions {
            firms,
            months,
            ..DemoOptions::default()
        },
    )
    .unwrap();
    report.entries
}

/// The floor, in its own process: the same rows, read and decoded, nothing else.
fn bare(path: &str) {
    let db = Db::connect(&DatabaseUrl::Sqlite(path.into()), 1).unwrap();
    let mut conn = db.get().unwrap();
    let t = Instant::now();
    let rows: Vec<LedgerRow> = precursor_registry::db::schema::ledger_entries::table
        .select(LedgerRow::as_select())
        .load(&mut *conn)
        .unwrap();
    println!("{}\t{}", rows.len(), t.elapsed().as_millis());
}

/// The in-memory way, in its own (child) process: the whole province loaded into one `Input`,
/// then the pure validation over it; prints load ms, validate ms, peak KiB and findings.
fn in_memory(path: &str) {
    let db = Db::connect(&DatabaseUrl::Sqlite(path.into()), 1).unwrap();
    let mut conn = db.get().unwrap();
    let baseline = rss_kib();
    let t = Instant::now();
    let settings = CustodyRules::defaults(chrono::Utc::now());
    let input = custody::store::load_input(&mut conn, settings.thresholds).unwrap();
    let load = t.elapsed();
    let t = Instant::now();
    let findings = custody::validate(&input, &settings);
    let validate = t.elapsed();
    let peak = peak_rss_kib().saturating_sub(baseline);
    println!(
        "{}\t{}\t{peak}\t{}",
        load.as_millis(),
        validate.as_millis(),
        findings.len()
    );
}

/// One measured run in this (child) process: the full run as the API makes it (streamed by
/// batches of firms), its peak memory, then the scoped and incremental runs; prints one
/// tab-separated line.
fn run(path: &str, bare_ms: u64, n: usize) {
    let db = Db::connect(&DatabaseUrl::Sqlite(path.into()), 1).unwrap();
    let mut conn = db.get().unwrap();
    let baseline = rss_kib();
    let bare = std::time::Duration::from_millis(bare_ms);
    let settings = CustodyRules::defaults(chrono::Utc::now());
    let t = Instant::now();
    let (summary, timings) =
        custody::run_validation(&mut conn, "bench", None, &settings, true).unwrap();
    let whole = t.elapsed();
    let peak = peak_rss_kib().saturating_sub(baseline);
    let findings: i64 = summary.findings_by_code.values().sum();
    let extra = incremental(&mut conn, &settings);
    println!(
        "{n}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{extra}",
        bare.as_millis(),
        timings.load_ms,
        timings.validate_ms,
        timings.persist_ms,
        whole.as_millis(),
        peak,
        findings,
        summary.new_findings
    );
}

/// Files `count` production entries at each of `firms` (one batch each), an hour ago.
fn file_production(conn: &mut DbConnection, firms: &[(String, usize)], chemical: &str) {
    let at = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    for (firm, count) in firms {
        let firm_id = uuid::Uuid::parse_str(firm).unwrap();
        let who = Principal {
            user_id: uuid::Uuid::now_v7(),
            role: Role::Enterprise,
            firm_id: Some(firm_id),
        };
        let entries: Vec<serde_json::Value> = (0..*count)
            .map(|_| serde_json::json!({"kind": "production", "chemical_id": chemical, "lot": "BENCH-DAY", "quantity": "10", "occurred_at": at}))
            .collect();
        let body = serde_json::json!({ "entries": entries });
        let floor = precursor_registry::domain::time::OccurredAtFloor::default();
        filing::file(
            conn,
            &who,
            firm_id,
            Submission::Batch(&body),
            floor,
            None,
            None,
        )
        .unwrap();
    }
}

/// A firm of median size, a scoped run for it, and the incremental runs; tab-separated:
/// entries it read, first / idle / day / minute incremental ms, firms re-checked after the day
/// and after the minute, and the day's new entries.
fn incremental(conn: &mut DbConnection, settings: &CustodyRules) -> String {
    let mut sizes: Vec<(i64, String)> = ledger_entries::table
        .group_by(ledger_entries::firm_id)
        .select((diesel::dsl::count_star(), ledger_entries::firm_id))
        .load(conn)
        .unwrap();
    sizes.sort();
    let median = sizes[sizes.len() / 2].1.clone();
    let firm = uuid::Uuid::parse_str(&median).unwrap();
    let (scoped, _) = custody::run_validation(conn, "bench", Some(firm), settings, false).unwrap();
    let timed = |conn: &mut DbConnection| {
        let t = Instant::now();
        let settings = CustodyRules {
            as_of: chrono::Utc::now(),
            ..*settings
        };
        let summary = custody::run::run_incremental(conn, "bench", &settings).unwrap();
        let report = summary.incremental.unwrap();
        (t.elapsed().as_millis(), report.firms_checked, report.full)
    };
    let (first, _, _) = timed(conn);
    let (idle, _, _) = timed(conn);
    let chemical: String = chemicals::table
        .filter(chemicals::category.eq(3))
        .order(chemicals::id.asc())
        .select(chemicals::id)
        .first(conn)
        .unwrap();
    let total: i64 = sizes.iter().map(|(n, _)| n).sum();
    let day_entries = (total as f64 * 0.003).round() as u64;
    // A day: the new entries at firms drawn at random (seeded), as traffic spreads.
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut per_firm: std::collections::BTreeMap<String, usize> = Default::default();
    for _ in 0..day_entries {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let (_, f) = &sizes[(state % sizes.len() as u64) as usize];
        *per_firm.entry(f.clone()).or_default() += 1;
    }
    let day: Vec<(String, usize)> = per_firm.into_iter().collect();
    file_production(conn, &day, &chemical);
    let (after_day, day_firms, day_full) = timed(conn);
    let minute: Vec<(String, usize)> = sizes
        .iter()
        .rev()
        .take(5)
        .map(|(_, f)| (f.clone(), 4))
        .collect();
    file_production(conn, &minute, &chemical);
    let (after_minute, minute_firms, _) = timed(conn);
    format!(
        "{}\t{first}\t{idle}\t{after_day}\t{after_minute}\t{day_firms}\t{minute_firms}\t{day_entries}\t{}",
        scoped.entries_checked,
        u8::from(day_full)
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--bare") {
        bare(&args[i + 1]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--memory") {
        in_memory(&args[i + 1]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--run") {
        run(
            &args[i + 1],
            args[i + 2].parse().unwrap(),
            args[i + 3].parse().unwrap(),
        );
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let firms: usize = std::env::var("BENCH_FIRMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    // Calibrate: entries per month for this many firms.
    let probe = dir.path().join("probe.db");
    let per_month = generate(probe.to_str().unwrap(), firms, 1).max(1);
    println!("custody validation over {firms} demo firms (SQLite); ~{per_month} entries per month of traffic");
    println!(
        "{:>9} {:>9} {:>9} {:>10} {:>9} {:>9} {:>8} {:>10} {:>8} {:>9}",
        "entries",
        "bare ms",
        "load ms",
        "validate ms",
        "save ms",
        "run ms",
        "run/bare",
        "peak MiB",
        "B/entry",
        "findings"
    );
    for size in sizes {
        // Reach the size with whole months of traffic; below two months, with more firms instead.
        let months = ((size as f64 / per_month as f64).round() as u32).clamp(1, 120);
        let province = if months == 1 {
            ((firms as f64 * size as f64 / per_month as f64).round() as usize).max(firms)
        } else {
            firms
        };
        let path = dir.path().join(format!("province-{size}.db"));
        let t = Instant::now();
        let entries = generate(path.to_str().unwrap(), province, months);
        let generated = t.elapsed();
        let exe = std::env::current_exe().unwrap();
        let floor = Command::new(&exe)
            .arg("--bare")
            .arg(&path)
            .output()
            .unwrap();
        let floor = String::from_utf8_lossy(&floor.stdout).trim().to_string();
        let (rows, bare_ms) = floor.split_once('\t').unwrap_or(("0", "0"));
        let memory = Command::new(&exe)
            .arg("--memory")
            .arg(&path)
            .output()
            .unwrap();
        let memory: Vec<u64> = String::from_utf8_lossy(&memory.stdout)
            .trim()
            .split('\t')
            .filter_map(|x| x.parse().ok())
            .collect();
        let out = Command::new(&exe)
            .arg("--run")
            .arg(&path)
            .arg(bare_ms)
            .arg(rows)
            .output()
            .unwrap();
        let line = String::from_utf8_lossy(&out.stdout);
        let f: Vec<u64> = line
            .trim()
            .split('\t')
            .filter_map(|x| x.parse().ok())
            .collect();
        if f.len() < 9 {
            eprintln!("run failed: {}", String::from_utf8_lossy(&out.stderr));
            continue;
        }
        let (bare, whole, peak_kib) = (f[1], f[5], f[6]);
        let more = |i: usize| f.get(i).copied().unwrap_or(0);
        let ratio = |ms: u64| 100.0 * ms as f64 / whole.max(1) as f64;
        println!(
            "{entries:>9} {bare:>9} {:>9} {:>10} {:>9} {whole:>9} {:>8.2} {:>10.1} {:>8.0} {:>9}   ({province} firms, {months} months, generated in {:.0} s)",
            f[2],
            f[3],
            f[4],
            whole as f64 / bare.max(1) as f64,
            peak_kib as f64 / 1024.0,
            peak_kib as f64 * 1024.0 / entries.max(1) as f64,
            f[7],
            generated.as_secs_f64()
        );
        if let [m_load, m_validate, m_peak, m_findings] = memory[..] {
            let per_entry = |kib: u64| kib as f64 * 1024.0 / entries.max(1) as f64;
            println!(
                "          in memory (the whole province in one Input): load {m_load} ms, validate {m_validate} ms, peak {:.0} B/entry, {m_findings} findings; streamed by batches of firms: load + validate {} ms ({:.2} × in memory), validate {} ms ({:.2} ×), peak {:.0} B/entry ({:.2} ×)",
                per_entry(m_peak),
                f[2] + f[3],
                (f[2] + f[3]) as f64 / (m_load + m_validate).max(1) as f64,
                f[3],
                f[3] as f64 / m_validate.max(1) as f64,
                per_entry(peak_kib),
                peak_kib as f64 / m_peak.max(1) as f64,
            );
        }
        println!(
            "          one firm of median size reads {} of {entries} entries; incremental runs: first {} ms ({:.0} % of the full run), nothing filed {} ms ({:.1} %), after a day of {} new entries {} ms ({:.1} %, {} firms re-checked{}), after a minute (20 entries at 5 firms) {} ms ({:.1} %, {} firms re-checked)",
            more(9),
            more(10),
            ratio(more(10)),
            more(11),
            ratio(more(11)),
            more(16),
            more(12),
            ratio(more(12)),
            more(14),
            if more(17) == 1 { ", judged in full" } else { "" },
            more(13),
            ratio(more(13)),
            more(15),
        );
    }
}
