//! Custody validation at province scale, measured in one run (see docs/performance.md).
//!
//! For each size (default 100 000 and 1 000 000 entries) over 2 000 demo firms in SQLite:
//! the bare read of the same rows (the floor), loading the validator's input, the pure
//! validation, persisting findings, the whole run, and the peak memory of the run's process.
//! Each run is a fresh child process so that its peak memory is its own.
//!
//! `cargo bench --bench custody_validate` (BENCH_SIZES=100000,1000000 BENCH_FIRMS=2000)

use std::process::Command;
use std::time::Instant;

use diesel::prelude::*;
use precursor_registry::custody;
use precursor_registry::db::{DatabaseUrl, Db};
use precursor_registry::demo::{self, DemoOptions};
use precursor_registry::domain::CustodyRules;
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

/// One measured run in this (child) process; prints one tab-separated line.
fn run(path: &str, bare_ms: u64, n: usize) {
    let db = Db::connect(&DatabaseUrl::Sqlite(path.into()), 1).unwrap();
    let mut conn = db.get().unwrap();
    let baseline = rss_kib();
    let bare = std::time::Duration::from_millis(bare_ms);
    let t = Instant::now();
    let settings = CustodyRules::defaults(chrono::Utc::now());
    let input = custody::store::load_input(&mut conn, settings.thresholds).unwrap();
    let load = t.elapsed();
    let t = Instant::now();
    let findings = custody::validate(&input, &settings);
    let validate = t.elapsed();
    drop(input);
    let t = Instant::now();
    let (summary, timings) =
        custody::run_validation(&mut conn, "bench", None, &settings, true).unwrap();
    let whole = t.elapsed();
    let peak = peak_rss_kib().saturating_sub(baseline);
    println!(
        "{n}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        bare.as_millis(),
        load.as_millis(),
        validate.as_millis(),
        timings.persist_ms,
        whole.as_millis(),
        peak,
        findings.len(),
        summary.new_findings
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--bare") {
        bare(&args[i + 1]);
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
    }
}
