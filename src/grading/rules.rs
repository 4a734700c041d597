//! The grading rules (等级评定), versioned: pure arithmetic over the facts of one firm and period.

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::domain::{Code, FindingStatus, Severity};

/// Stored with every grade, so a grade can always be recomputed and explained.
pub const RULES_VERSION: &str = "2026.1";

/// Points per audit finding, by severity.
const AUDIT: [(Severity, i32); 3] = [
    (Severity::Critical, 20),
    (Severity::Major, 8),
    (Severity::Minor, 2),
];
/// Points per custody finding still open or explained at assessment.
const CUSTODY_PENDING: [(Severity, i32); 3] = [
    (Severity::Critical, 15),
    (Severity::Major, 5),
    (Severity::Minor, 1),
];
/// Points per custody finding that was resolved (it happened).
const CUSTODY_RESOLVED: [(Severity, i32); 3] = [
    (Severity::Critical, 5),
    (Severity::Major, 2),
    (Severity::Minor, 0),
];
/// The most the late-filing share can cost.
const LATE_FILING_MAX: i64 = 10;

fn points(table: &[(Severity, i32); 3], severity: Severity) -> i32 {
    table
        .iter()
        .find(|(s, _)| *s == severity)
        .map(|(_, p)| *p)
        .unwrap_or(0)
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub enum Grade {
    A,
    B,
    C,
    D,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::A, Grade::B, Grade::C, Grade::D];

    /// A ≥ 90, B 75–89, C 60–74, D < 60.
    pub fn from_score(score: i32) -> Grade {
        match score {
            90.. => Grade::A,
            75..=89 => Grade::B,
            60..=74 => Grade::C,
            _ => Grade::D,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }

    pub fn parse(text: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.as_str() == text)
    }

    /// Months from the last closed inspection to the next one due.
    pub fn inspection_interval_months(self) -> u32 {
        match self {
            Grade::A => 12,
            Grade::B => 6,
            Grade::C => 3,
            Grade::D => 1,
        }
    }
}

/// A grading period: a calendar year, written `2026`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period(i32);

impl Period {
    pub fn parse(text: &str) -> Option<Period> {
        let text = text.trim();
        if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = text.parse().ok()?;
        (2000..=2100).contains(&year).then_some(Period(year))
    }

    pub fn start(self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(self.0, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    pub fn end(self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(self.0 + 1, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    pub fn containing(time: DateTime<Utc>) -> Period {
        Period(chrono::Datelike::year(&time))
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone)]
pub struct AuditFindingFact {
    pub id: String,
    pub severity: Severity,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct CustodyFindingFact {
    pub id: String,
    pub code: Code,
    pub severity: Severity,
    pub status: FindingStatus,
}

/// What grading needs to know about one firm in one period.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub audit_findings: Vec<AuditFindingFact>,
    pub custody_findings: Vec<CustodyFindingFact>,
    pub entries: u64,
    pub late_entries: u64,
    pub suspended: bool,
}

/// One line of a grade's explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct BreakdownItem {
    /// audit_finding, custody_finding, late_filing or cap
    pub source: String,
    /// The audit finding or custody finding this line is about.
    pub reference: Option<String>,
    /// The line in English; the facts below let a page say it in its reader's language.
    pub detail: String,
    /// Points deducted (0 for a cap).
    pub points: i32,
    /// For a cap: the best grade it allows.
    pub cap: Option<Grade>,
    /// The finding's severity (audit and custody findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub severity: Option<Severity>,
    /// The custody finding's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub code: Option<Code>,
    /// A custody finding still open or explained (true) or resolved (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<bool>,
    /// Late filing: the late entries and all entries; a permit cap: the violations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<u64>,
    /// The audit finding's description, as the officer wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl BreakdownItem {
    fn line(source: &str, detail: String, points: i32) -> BreakdownItem {
        BreakdownItem {
            source: source.into(),
            reference: None,
            detail,
            points,
            cap: None,
            severity: None,
            code: None,
            pending: None,
            count: None,
            of: None,
            description: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    pub score: i32,
    pub grade: Grade,
    pub breakdown: Vec<BreakdownItem>,
    pub rules_version: &'static str,
}

pub fn assess(facts: &Facts) -> Assessment {
    let mut breakdown = deductions(facts);
    let deducted: i32 = breakdown.iter().map(|b| b.points).sum();
    let score = (100 - deducted).max(0);
    let grade = apply_caps(facts, Grade::from_score(score), &mut breakdown);
    Assessment {
        score,
        grade,
        breakdown,
        rules_version: RULES_VERSION,
    }
}

/// The points each finding and the share of late filings take off.
fn deductions(facts: &Facts) -> Vec<BreakdownItem> {
    let mut breakdown = Vec::new();
    for f in &facts.audit_findings {
        breakdown.push(BreakdownItem {
            reference: Some(f.id.clone()),
            severity: Some(f.severity),
            description: Some(f.description.clone()),
            ..BreakdownItem::line(
                "audit_finding",
                format!("{} audit finding: {}", f.severity.as_str(), f.description),
                points(&AUDIT, f.severity),
            )
        });
    }
    for f in &facts.custody_findings {
        // Late filings are weighed once, by their share below, not finding by finding.
        if f.code == Code::LateFiling || f.status == FindingStatus::Dismissed {
            continue;
        }
        let (table, state) = if f.status.is_pending() {
            (&CUSTODY_PENDING, "unresolved")
        } else {
            (&CUSTODY_RESOLVED, "resolved")
        };
        let p = points(table, f.severity);
        if p > 0 {
            breakdown.push(BreakdownItem {
                reference: Some(f.id.clone()),
                severity: Some(f.severity),
                code: Some(f.code),
                pending: Some(f.status.is_pending()),
                ..BreakdownItem::line(
                    "custody_finding",
                    format!(
                        "{state} {} custody finding {}",
                        f.severity.as_str(),
                        f.code.as_str()
                    ),
                    p,
                )
            });
        }
    }
    if facts.entries > 0 && facts.late_entries > 0 {
        let late = facts.late_entries.min(facts.entries) as i64;
        let total = facts.entries as i64;
        // Proportional, rounded half up: 10 × late / total.
        let p = ((2 * LATE_FILING_MAX * late + total) / (2 * total)) as i32;
        breakdown.push(BreakdownItem {
            count: Some(late as u64),
            of: Some(total as u64),
            ..BreakdownItem::line(
                "late_filing",
                format!("{late} of {total} entries (sales aside) filed after the 72 h deadline"),
                p,
            )
        });
    }
    breakdown
}

/// Caps that hold whatever the score: permit violations (at most C), suspension (D).
fn apply_caps(facts: &Facts, mut grade: Grade, breakdown: &mut Vec<BreakdownItem>) -> Grade {
    let violations = facts
        .custody_findings
        .iter()
        .filter(|f| f.code.is_permit_violation() && f.status != FindingStatus::Dismissed)
        .count();
    if violations > 0 {
        breakdown.push(BreakdownItem {
            cap: Some(Grade::C),
            count: Some(violations as u64),
            ..BreakdownItem::line(
                "cap",
                format!("{violations} permit violation(s): the grade is at most C"),
                0,
            )
        });
        grade = grade.max(Grade::C);
    }
    if facts.suspended {
        breakdown.push(BreakdownItem {
            cap: Some(Grade::D),
            ..BreakdownItem::line(
                "cap",
                "suspended or revoked during the period: the grade is D".into(),
                0,
            )
        });
        grade = Grade::D;
    }
    grade
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn audit(severity: Severity) -> AuditFindingFact {
        AuditFindingFact {
            id: format!("a-{}", severity.as_str()),
            severity,
            description: "台账缺页".into(),
        }
    }

    fn custody(code: Code, severity: Severity, status: FindingStatus) -> CustodyFindingFact {
        CustodyFindingFact {
            id: format!("c-{}", code.as_str()),
            code,
            severity,
            status,
        }
    }

    fn score(facts: Facts) -> (i32, Grade) {
        let a = assess(&facts);
        (a.score, a.grade)
    }

    #[test]
    fn a_clean_year_is_a_hundred() {
        assert_eq!(
            score(Facts {
                entries: 500,
                ..Facts::default()
            }),
            (100, Grade::A)
        );
    }

    #[test]
    fn each_rule_deducts_its_points() {
        for (severity, expected) in [
            (Severity::Critical, 80),
            (Severity::Major, 92),
            (Severity::Minor, 98),
        ] {
            assert_eq!(
                score(Facts {
                    audit_findings: vec![audit(severity)],
                    ..Facts::default()
                })
                .0,
                expected
            );
        }
        let pending = |s| Facts {
            custody_findings: vec![custody(Code::NegativeBalance, s, FindingStatus::Open)],
            ..Facts::default()
        };
        assert_eq!(score(pending(Severity::Critical)).0, 85);
        assert_eq!(score(pending(Severity::Major)).0, 95);
        assert_eq!(score(pending(Severity::Minor)).0, 99);
        let explained = Facts {
            custody_findings: vec![custody(
                Code::QuantityMismatch,
                Severity::Major,
                FindingStatus::Explained,
            )],
            ..Facts::default()
        };
        assert_eq!(score(explained).0, 95, "explained is not resolved");
        let resolved = |s| Facts {
            custody_findings: vec![custody(Code::UnmatchedDispatch, s, FindingStatus::Resolved)],
            ..Facts::default()
        };
        assert_eq!(score(resolved(Severity::Critical)).0, 95);
        assert_eq!(score(resolved(Severity::Major)).0, 98);
        assert_eq!(score(resolved(Severity::Minor)).0, 100);
        let dismissed = Facts {
            custody_findings: vec![custody(
                Code::OrphanLot,
                Severity::Critical,
                FindingStatus::Dismissed,
            )],
            ..Facts::default()
        };
        assert_eq!(score(dismissed).0, 100);
    }

    #[test]
    fn late_filings_cost_up_to_ten_by_share_and_not_per_finding() {
        let late = |late, entries| Facts {
            entries,
            late_entries: late,
            custody_findings: vec![custody(
                Code::LateFiling,
                Severity::Minor,
                FindingStatus::Open,
            )],
            ..Facts::default()
        };
        assert_eq!(score(late(0, 100)).0, 100);
        assert_eq!(score(late(5, 100)).0, 99, "0.5 rounds up");
        assert_eq!(score(late(4, 100)).0, 100);
        assert_eq!(score(late(50, 100)).0, 95);
        assert_eq!(score(late(100, 100)).0, 90);
    }

    #[test]
    fn grade_boundaries_are_exact() {
        assert_eq!(Grade::from_score(90), Grade::A);
        assert_eq!(Grade::from_score(89), Grade::B);
        assert_eq!(Grade::from_score(75), Grade::B);
        assert_eq!(Grade::from_score(74), Grade::C);
        assert_eq!(Grade::from_score(60), Grade::C);
        assert_eq!(Grade::from_score(59), Grade::D);
        // Through the rules: 100 − 8 − 2 = 90 is an A; one more minor audit finding is a B.
        let facts = |minors: usize| Facts {
            audit_findings: std::iter::once(audit(Severity::Major))
                .chain((0..minors).map(|_| audit(Severity::Minor)))
                .collect(),
            ..Facts::default()
        };
        assert_eq!(score(facts(1)), (90, Grade::A));
        assert_eq!(score(facts(2)), (88, Grade::B));
        // 100 − 20 − 5 = 75: B; 100 − 20 − 5 − 1 = 74: C.
        let mut f = Facts {
            audit_findings: vec![audit(Severity::Critical)],
            ..Facts::default()
        };
        f.custody_findings.push(custody(
            Code::StocktakeDiscrepancy,
            Severity::Major,
            FindingStatus::Open,
        ));
        assert_eq!(score(f.clone()), (75, Grade::B));
        f.custody_findings.push(custody(
            Code::MissingTransportDoc,
            Severity::Minor,
            FindingStatus::Open,
        ));
        assert_eq!(score(f.clone()), (74, Grade::C));
        // 100 − 20 − 20 = 60: C; − 2 more = 58: D.
        let mut f = Facts {
            audit_findings: vec![audit(Severity::Critical), audit(Severity::Critical)],
            ..Facts::default()
        };
        assert_eq!(score(f.clone()), (60, Grade::C));
        f.audit_findings.push(audit(Severity::Minor));
        assert_eq!(score(f), (58, Grade::D));
    }

    #[test]
    fn caps() {
        let violation = Facts {
            custody_findings: vec![custody(
                Code::PermitMissing,
                Severity::Critical,
                FindingStatus::Resolved,
            )],
            ..Facts::default()
        };
        let a = assess(&violation);
        assert_eq!(
            (a.score, a.grade),
            (95, Grade::C),
            "a permit violation caps an A at C"
        );
        assert_eq!(a.breakdown.last().and_then(|b| b.cap), Some(Grade::C));
        let suspended = Facts {
            suspended: true,
            ..Facts::default()
        };
        assert_eq!(score(suspended), (100, Grade::D));
        let low = Facts {
            audit_findings: vec![audit(Severity::Critical); 3],
            custody_findings: violation.custody_findings,
            ..Facts::default()
        };
        assert_eq!(score(low).1, Grade::D, "a cap never raises a grade");
    }

    #[test]
    fn the_score_never_drops_below_zero() {
        let f = Facts {
            audit_findings: vec![audit(Severity::Critical); 9],
            ..Facts::default()
        };
        assert_eq!(score(f), (0, Grade::D));
    }

    #[test]
    fn periods() {
        let p = Period::parse("2026").unwrap();
        assert_eq!(p.start().to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(p.end().to_rfc3339(), "2027-01-01T00:00:00+00:00");
        for bad in ["26", "2026-1", "year", "1999", ""] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
    }

    fn severity() -> impl Strategy<Value = Severity> {
        prop_oneof![
            Just(Severity::Critical),
            Just(Severity::Major),
            Just(Severity::Minor)
        ]
    }

    proptest! {
        /// One more finding never improves a grade, and the grade always matches the score's band
        /// unless a cap lowered it.
        #[test]
        fn more_findings_never_help(audits in prop::collection::vec(severity(), 0..8), extra in severity(), late in 0_u64..50, entries in 50_u64..100) {
            let facts = Facts { audit_findings: audits.into_iter().map(audit).collect(), entries, late_entries: late, ..Facts::default() };
            let before = assess(&facts);
            let mut more = facts.clone();
            more.audit_findings.push(audit(extra));
            let after = assess(&more);
            prop_assert!(after.score <= before.score);
            prop_assert!(after.grade >= before.grade);
            prop_assert_eq!(before.grade, Grade::from_score(before.score));
            prop_assert_eq!(before.score, (100 - before.breakdown.iter().map(|b| b.points).sum::<i32>()).max(0));
        }
    }
}
