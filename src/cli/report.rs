//! What the commands print: the validation and grade tables, the demo's summary, JSON.

use std::fmt::Write;
use std::time::Duration;

use uuid::Uuid;

use crate::custody::run::{RunSummary, RunTimings};
use crate::demo::supervision::SupervisionReport;
use crate::demo::DemoReport;
use crate::error::AppError;
use crate::grading::{GradeSummary, PublicGrade};

/// Prints a value as pretty JSON on stdout.
pub(super) fn json(value: &impl serde::Serialize) -> Result<(), String> {
    println!(
        "{}",
        serde_json::to_string_pretty(value).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// A validation run: its scope and timings, then findings by code and by severity.
pub(super) fn validation(summary: &RunSummary, timings: &RunTimings, firm_id: Option<Uuid>) {
    println!(
        "run {}  as of {}  scope {}",
        summary.id,
        summary.as_of.to_rfc3339(),
        firm_id
            .map(|f| f.to_string())
            .unwrap_or_else(|| "all firms".into())
    );
    println!(
        "entries checked {}  new findings {}  resolved {}",
        summary.entries_checked, summary.new_findings, summary.resolved_findings
    );
    match &summary.incremental {
        Some(inc) => println!(
            "incremental: {} of {} firms re-checked{}  {} ms",
            inc.firms_checked,
            inc.firms,
            if inc.full { " (judged in full)" } else { "" },
            summary.duration_ms
        ),
        None => println!(
            "load {} ms  validate {} ms  save {} ms",
            timings.load_ms, timings.validate_ms, timings.persist_ms
        ),
    }
    println!();
    println!("{:<28} {:>8}", "code", "findings");
    for (code, n) in &summary.findings_by_code {
        println!("{code:<28} {n:>8}");
    }
    println!(
        "{:<28} {:>8}",
        "total",
        summary.findings_by_code.values().sum::<i64>()
    );
    println!();
    println!("{:<28} {:>8}", "severity", "findings");
    for severity in ["critical", "major", "minor"] {
        println!(
            "{severity:<28} {:>8}",
            summary
                .findings_by_severity
                .get(severity)
                .copied()
                .unwrap_or(0)
        );
    }
}

/// One line per graded firm, then a bar per grade.
pub(super) fn grades(current: &[PublicGrade], summary: &GradeSummary) {
    println!(
        "{:<8} {:<6} {:>5}  {:<10} firm",
        "region", "grade", "score", "period"
    );
    for g in current {
        println!(
            "{:<8} {:<6} {:>5}  {:<10} {}",
            g.region_code,
            g.grade.as_str(),
            g.score,
            g.period,
            g.firm_name
        );
    }
    println!();
    println!("{} graded firms", summary.graded_firms);
    let most = summary.by_grade.values().copied().max().unwrap_or(0).max(1);
    for (grade, n) in &summary.by_grade {
        let bar = "█".repeat((n * 40).div_ceil(most));
        println!("{grade} {n:>5} {bar}");
    }
}

/// What the demo made — including the accounts, whose passwords are shown only here.
/// A country (`supervision` none) had no supervision year: its validation is run apart.
pub(super) fn demo(
    report: &DemoReport,
    supervision: Option<&SupervisionReport>,
    took: Duration,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nDemo province: {} firms, {} permits, {} ledger entries ({:.1} s)",
        report.firms,
        report.permits,
        report.entries,
        took.as_secs_f64()
    );
    match supervision {
        Some(supervision) => {
            let _ = writeln!(
                out,
                "  {} custody findings, {} closed inspections with {} findings, {} confirmed grades",
                supervision.custody_findings,
                supervision.audits,
                supervision.audit_findings,
                supervision.grades
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  no supervision year for a country (run `validate` for its findings)"
            );
        }
    }
    let _ = writeln!(out, "\nAccounts (passwords are shown only now):");
    for a in &report.accounts {
        let firm = a.firm_id.map(|f| format!("  firm {f}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<12} {:<20} {}{firm}",
            a.role.as_str(),
            a.username,
            a.password
        );
    }
    let _ = writeln!(
        out,
        "\nInjected custody gaps (each should be exactly one finding):"
    );
    for gap in &report.injected {
        let _ = writeln!(
            out,
            "  {:<26} firm {}  {}",
            gap.code, gap.firm_id, gap.description
        );
    }
    out
}

/// An error as the command line tells it: each field error on a line of its own.
pub(super) fn describe(err: AppError) -> String {
    match err {
        AppError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {} ({})", e.field, e.message, e.code))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}
