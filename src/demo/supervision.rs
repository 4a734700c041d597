//! After the traffic: what a year of supervision leaves behind — a custody validation run, closed
//! inspections with their findings, and a confirmed grade for every firm — so that regulators
//! see a worklist and the association sees grades on first start.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::rng::Rng;
use crate::audits::store::{self as audit_store, AuditFindingRow, AuditRow};
use crate::auth::Principal;
use crate::db::{write_tx, DbConnection};
use crate::domain::Severity;
use crate::domain::{time, CustodyRules};
use crate::error::AppError;
use crate::firms::store::FirmRow;
use crate::grading::{self, ConfirmRequest, Period};

/// What inspectors typically write down, by severity.
const DEFECTS: [(Severity, &str); 6] = [
    (Severity::Minor, "台账个别记录字迹不清、经办人未签字"),
    (Severity::Minor, "购买备案证明复印件未随台账归档"),
    (
        Severity::Major,
        "出入库台账未做到逐笔登记，存在月底集中补录",
    ),
    (Severity::Major, "仓库未落实双人双锁管理"),
    (Severity::Critical, "实物库存与台账不符且无法说明原因"),
    (Severity::Minor, "员工易制毒化学品管理培训记录不全"),
];

pub struct SupervisionReport {
    pub audits: usize,
    pub audit_findings: usize,
    pub grades: usize,
    pub custody_findings: i64,
}

/// Runs the validator, inspects most firms once during the year, and confirms every firm's grade
/// for the period that contains `end`. Deterministic for a seed (apart from ids).
pub fn supervise(
    conn: &mut DbConnection,
    regulator: &Principal,
    seed: u64,
    end: DateTime<Utc>,
) -> Result<SupervisionReport, AppError> {
    let settings = crate::domain::CustodyRules::defaults(end);
    let (run, _) = crate::custody::run_validation(
        conn,
        &regulator.user_id.to_string(),
        None,
        &settings,
        true,
    )?;
    let mut rng = Rng::new(seed ^ 0x5eed_a0d1);
    let firms = crate::firms::store::all_active(conn)?;
    let period = Period::containing(end - Duration::days(1));
    let start = period.start().max(end - Duration::days(360));
    let year = Year {
        start,
        span_days: (end - start).num_days().max(2),
        end,
    };
    let (mut audits, mut audit_findings) = (0, 0);
    write_tx(conn, |conn| {
        for firm in &firms {
            if let Some(findings) = inspect(conn, &mut rng, regulator, firm, &year)? {
                audits += 1;
                audit_findings += findings;
            }
        }
        Ok(())
    })?;
    let grades = confirm_grades(conn, regulator, &firms, period, &settings)?;
    Ok(SupervisionReport {
        audits,
        audit_findings,
        grades,
        custody_findings: run.findings_by_code.values().sum(),
    })
}

/// The inspection year: `span_days` from `start`, up to `end`.
struct Year {
    start: DateTime<Utc>,
    span_days: i64,
    end: DateTime<Utc>,
}

/// One closed inspection of `firm` at a random time of the year, with a few findings; `None`
/// for the one firm in four that was not inspected (it stays on the worklist).
fn inspect(
    conn: &mut DbConnection,
    rng: &mut Rng,
    regulator: &Principal,
    firm: &FirmRow,
    year: &Year,
) -> Result<Option<usize>, AppError> {
    if rng.below(4) == 0 {
        return Ok(None);
    }
    let started =
        year.start + Duration::days(rng.range(0, year.span_days - 1)) + Duration::hours(9);
    let closed = (started + Duration::days(rng.range(1, 5))).min(year.end - Duration::hours(1));
    let audit = AuditRow {
        id: Uuid::now_v7().to_string(),
        firm_id: firm.id.clone(),
        kind: if rng.below(5) == 0 {
            "spot".into()
        } else {
            "routine".into()
        },
        status: "closed".into(),
        started_at: time::to_db(started),
        opened_by: regulator.user_id.to_string(),
        closed_at: Some(time::to_db(closed)),
        closed_by: Some(regulator.user_id.to_string()),
        conclusion: Some("检查完毕，已当场反馈，限期整改".into()),
        created_at: time::to_db(started),
    };
    audit_store::insert(conn, &audit)?;
    // Most inspections find little; a few find a lot.
    let defects = match rng.below(10) {
        0..=4 => 0,
        5..=7 => 1,
        8 => 2,
        _ => 4,
    };
    for _ in 0..defects {
        let (severity, description) = DEFECTS[rng.below(DEFECTS.len() as u64) as usize];
        audit_store::insert_finding(
            conn,
            &AuditFindingRow {
                id: Uuid::now_v7().to_string(),
                audit_id: audit.id.clone(),
                firm_id: firm.id.clone(),
                severity: severity.as_str().to_string(),
                description: description.to_string(),
                entry_ids: String::new(),
                corrective_action: Some("三十日内完成整改并书面报告".into()),
                deadline: Some(time::to_db(closed + Duration::days(30))),
                recorded_by: regulator.user_id.to_string(),
                recorded_at: time::to_db(started + Duration::hours(3)),
            },
        )?;
    }
    Ok(Some(defects))
}

/// Confirms the computed grade of every firm for `period`; returns how many.
fn confirm_grades(
    conn: &mut DbConnection,
    regulator: &Principal,
    firms: &[FirmRow],
    period: Period,
    rules: &CustodyRules,
) -> Result<usize, AppError> {
    for firm in firms {
        let id = Uuid::parse_str(&firm.id).map_err(|_| AppError::internal("stored firm id"))?;
        grading::confirm(
            conn,
            regulator,
            id,
            ConfirmRequest {
                period: period.to_string(),
                grade: None,
                reason: None,
            },
            rules,
        )?;
    }
    Ok(firms.len())
}
