//! A validation run: load the input, validate it, and — for a run as of now — record what fires,
//! what fires again and what no longer does. Shared by the API, the CLI, the demo and the
//! benchmark.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{Finding, Input};
use super::store::{self, FindingRow, Note, RunRow};
use super::validator::{partition, scope, validate};
use super::watermarks;
use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::{time, CustodyRules, FindingStatus, Role};
use crate::error::AppError;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RunRequest {
    /// One firm, or every firm when absent (regulators only; an enterprise always runs for itself).
    pub firm_id: Option<Uuid>,
    /// Look at another time (RFC 3339): the findings are reported, not recorded. Default now.
    #[schema(schema_with = crate::error::schema::optional_time)]
    pub as_of: Option<String>,
    /// Re-check only the firms whose findings may have changed since the last incremental run
    /// (regulators, all firms, as of now): the same findings as a full run, read for less.
    pub incremental: bool,
}

impl RunRequest {
    /// The body is optional (no body: all firms, now), but a body that is there must be valid.
    pub fn from_body(body: &[u8]) -> Result<RunRequest, AppError> {
        crate::error::optional_body(body)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunSummary {
    pub id: Uuid,
    pub firm_id: Option<Uuid>,
    pub as_of: DateTime<Utc>,
    /// Whether the run recorded and resolved findings (runs as of now) or only reported them.
    pub recorded: bool,
    pub entries_checked: i64,
    /// Findings that fire now, by code (within the run's scope).
    pub findings_by_code: BTreeMap<String, i64>,
    pub findings_by_severity: BTreeMap<String, i64>,
    pub new_findings: i64,
    /// Findings that no longer fire and were resolved by this run.
    pub resolved_findings: i64,
    pub duration_ms: i64,
    /// The rule pack the run judged by (`name@version`, `GET /rules`).
    pub rule_pack: String,
    /// For an incremental run: how many firms it re-checked (the counts above are about
    /// them); absent for other runs. A run that had to judge everything says `full`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incremental: Option<IncrementalReport>,
}

/// What an incremental run did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncrementalReport {
    /// Whether it judged the whole province (first run, rules or catalog changed, or most
    /// firms changed).
    pub full: bool,
    pub firms_checked: i64,
    pub firms: i64,
}

/// How long each part of a run took, for the CLI and the benchmark.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunTimings {
    pub load_ms: u128,
    pub validate_ms: u128,
    pub persist_ms: u128,
}

fn parse_as_of(text: Option<&str>) -> Result<Option<DateTime<Utc>>, AppError> {
    let mut errors = Vec::new();
    let as_of = crate::error::time_field("as_of", text, &mut errors);
    if errors.is_empty() {
        Ok(as_of)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// `POST /custody/validations`: regulators for one firm or all; an enterprise for itself.
///
/// Only a run as of now changes findings. A run with an explicit `as_of` (a look at the past, or
/// ahead) reports what would fire then, but records no finding and resolves none: otherwise a run
/// "as of last year" would close today's findings.
pub fn run(
    conn: &mut DbConnection,
    who: &Principal,
    request: RunRequest,
    rules: &CustodyRules,
) -> Result<RunSummary, AppError> {
    policy::require_role(who, &[Role::Regulator, Role::Enterprise])?;
    let scope = match (who.role, request.firm_id) {
        (Role::Enterprise, Some(firm)) if Some(firm) != who.firm_id => {
            return Err(AppError::NotFound)
        }
        (Role::Enterprise, _) => who.firm_id,
        (_, firm) => firm,
    };
    if let Some(firm) = scope {
        crate::firms::require(conn, firm)?;
    }
    let as_of = parse_as_of(request.as_of.as_deref())?;
    if request.incremental {
        if who.role != Role::Regulator || scope.is_some() || as_of.is_some() {
            return Err(AppError::Validation(vec![crate::error::FieldError::new(
                "incremental",
                "invalid",
                "an incremental run is a regulator's run of every firm as of now",
            )]));
        }
        let settings = CustodyRules {
            as_of: time::from_db(time::now()),
            ..*rules
        };
        return run_incremental(conn, &who.user_id.to_string(), &settings);
    }
    let settings = CustodyRules {
        as_of: as_of.unwrap_or_else(|| time::from_db(time::now())),
        ..*rules
    };
    run_validation(
        conn,
        &who.user_id.to_string(),
        scope,
        &settings,
        as_of.is_none(),
    )
    .map(|(summary, _)| summary)
}

/// Loads, validates and records one run; with `record`, also stores new findings and resolves
/// those that no longer fire. Shared by the API, the CLI, the demo and the benchmark.
pub fn run_validation(
    conn: &mut DbConnection,
    run_by: &str,
    scope: Option<Uuid>,
    settings: &CustodyRules,
    record: bool,
) -> Result<(RunSummary, RunTimings), AppError> {
    let started = Instant::now();
    let started_at = time::now();
    let scope_text = scope.map(|f| f.to_string());
    // A firm's own run reads only what the findings about it read (validator::scope); a run of
    // every firm reads the province a batch of firms at a time (validator::partition).
    let firms: Option<Vec<String>> = scope_text.map(|f| vec![f]);
    let found = match &firms {
        Some(firms) => {
            let input = store::load_scoped_input(conn, firms, settings.thresholds)?;
            judge_scoped(&input, settings, firms)
        }
        None => crate::db::read_snapshot(conn, |conn| judge_streamed(conn, settings, false))?,
    };
    let judged = started.elapsed();
    let validate_ms = found.validate.as_millis();
    let summary = record_run(
        conn,
        Judged {
            run_by,
            summary_firm: scope,
            firms: firms.as_deref(),
            findings: found.findings,
            entries_checked: found.entries,
            settings,
            record,
            started,
            started_at,
        },
        |_, _| Ok(()),
    )?;
    let timings = RunTimings {
        load_ms: judged.saturating_sub(found.validate).as_millis(),
        validate_ms,
        persist_ms: started.elapsed().saturating_sub(judged).as_millis(),
    };
    Ok((summary, timings))
}

/// What a run found about its firms, how many entries it checked, and how long the pure
/// validation took; for a full run with `next`, also when each firm's findings can next change
/// with no filing (for the watermarks).
#[derive(Default)]
struct Found {
    findings: Vec<Finding>,
    entries: i64,
    validate: Duration,
    next: HashMap<String, DateTime<Utc>>,
}

/// A run for some firms: validates their part of the province and keeps the findings about them.
fn judge_scoped(input: &Input, settings: &CustodyRules, firms: &[String]) -> Found {
    let validating = Instant::now();
    let mut findings = validate(input, settings);
    let firms: HashSet<&str> = firms.iter().map(String::as_str).collect();
    findings.retain(|f| scope::touches(f, &firms));
    Found {
        findings,
        entries: input.entries.len() as i64,
        validate: validating.elapsed(),
        next: HashMap::new(),
    }
}

/// A run of every firm, a batch of firms at a time (`validator::partition`), in the caller's
/// snapshot: the memory of one batch, the findings of `validate` over the whole province.
fn judge_streamed(
    conn: &mut DbConnection,
    settings: &CustodyRules,
    with_next: bool,
) -> Result<Found, AppError> {
    let mut found = Found::default();
    store::stream_consistent(
        conn,
        settings.thresholds,
        store::BATCH_ROWS,
        |part, firms, own| {
            let validating = Instant::now();
            let firms: HashSet<&str> = firms.iter().map(String::as_str).collect();
            let next = with_next.then_some(&mut found.next);
            let findings = partition::validate_batch(part, settings, &firms, next);
            found.findings.extend(findings);
            found.entries += own as i64;
            found.validate += validating.elapsed();
            Ok(())
        },
    )?;
    found.findings = partition::merge(std::mem::take(&mut found.findings));
    Ok(found)
}

/// A judged run: its findings (about its firms) and what it is about and how it was started.
struct Judged<'a> {
    run_by: &'a str,
    summary_firm: Option<Uuid>,
    /// The firms whose findings the run judged (all when absent).
    firms: Option<&'a [String]>,
    findings: Vec<Finding>,
    entries_checked: i64,
    settings: &'a CustodyRules,
    record: bool,
    started: Instant,
    started_at: NaiveDateTime,
}

/// Records a judged run — with `record`, its findings too, and whatever `also` writes, in the
/// same transaction. Returns the summary.
fn record_run(
    conn: &mut DbConnection,
    run: Judged<'_>,
    also: impl FnOnce(&mut DbConnection, &RunSummary) -> Result<(), AppError>,
) -> Result<RunSummary, AppError> {
    let settings = run.settings;
    let findings = run.findings;
    let (by_code, by_severity) = tally(&findings);
    let mut summary = RunSummary {
        id: Uuid::now_v7(),
        firm_id: run.summary_firm,
        as_of: settings.as_of,
        recorded: run.record,
        entries_checked: run.entries_checked,
        findings_by_code: by_code,
        findings_by_severity: by_severity,
        new_findings: 0,
        resolved_findings: 0,
        duration_ms: 0,
        rule_pack: settings.pack.to_string(),
        incremental: None,
    };
    // The run and what it changed are one transaction: no finding points at an unrecorded run.
    write_tx(conn, |conn| {
        if run.record {
            let run_id = summary.id.to_string();
            let (new_findings, resolved) =
                persist(conn, &run_id, run.firms, &findings, run.started_at)?;
            summary.new_findings = new_findings;
            summary.resolved_findings = resolved;
        }
        also(conn, &summary)?;
        summary.duration_ms = run.started.elapsed().as_millis() as i64;
        store::insert_run(conn, &run_row(&summary, run.run_by, run.started_at)?)
    })?;
    Ok(summary)
}

/// An incremental run of every firm as of `settings.as_of` (now), recorded: re-checks only the
/// firms whose findings may have changed since the last incremental run (see
/// `watermarks::changes`) and keeps every other stored finding as it is; the findings are
/// those a full run gives. The first run, a change of rules, settings or catalog, or a change
/// touching most firms makes it a full run. What the continuous mode calls.
pub fn run_incremental(
    conn: &mut DbConnection,
    run_by: &str,
    settings: &CustodyRules,
) -> Result<RunSummary, AppError> {
    let started = Instant::now();
    let started_at = time::now();
    let fingerprint = watermarks::fingerprint(conn, settings)?;
    let last = watermarks::checkpoint(conn)?.filter(|c| c.fingerprint == fingerprint);
    let changes = match &last {
        Some(c) => Some(crate::db::read_snapshot(conn, |conn| {
            watermarks::changes(conn, c.checked_at, settings.as_of)
        })?),
        None => None,
    };
    let changes = changes.filter(|c| c.dirty.len() * 2 <= c.firms.max(1));
    let Some(changes) = changes else {
        return run_full_incremental(conn, run_by, settings, fingerprint, started, started_at);
    };
    let input = store::load_scoped_input(conn, &changes.dirty, settings.thresholds)?;
    let found = judge_scoped(&input, settings, &changes.dirty);
    let dirty: HashSet<&str> = changes.dirty.iter().map(String::as_str).collect();
    let next = scope::next_changes(&input, settings, &dirty);
    drop(input);
    let firms_checked = changes.dirty.len() as i64;
    let total = changes.firms as i64;
    let mut summary = record_run(
        conn,
        Judged {
            run_by,
            summary_firm: None,
            firms: Some(&changes.dirty),
            findings: found.findings,
            entries_checked: found.entries,
            settings,
            record: true,
            started,
            started_at,
        },
        |conn, summary| {
            let rows: Vec<watermarks::Watermark> = changes
                .dirty
                .iter()
                .filter_map(|firm| {
                    let digest = changes.digests.get(firm)?;
                    let before = changes.marks.get(firm).map_or(0, |m| m.last_seq);
                    Some(watermarks::Watermark {
                        firm_id: firm.clone(),
                        last_seq: changes
                            .heads
                            .get(firm)
                            .copied()
                            .unwrap_or(before)
                            .max(before),
                        inputs_digest: digest.clone(),
                        recheck_at: next.get(firm).map(|t| time::to_db(*t)),
                    })
                })
                .collect();
            leave_watermarks(conn, summary, &rows, settings, &fingerprint)
        },
    )?;
    summary.incremental = Some(IncrementalReport {
        full: false,
        firms_checked,
        firms: total,
    });
    Ok(summary)
}

/// The incremental run that has to judge everything: a full run (streamed by batches of firms)
/// that leaves every firm's watermark behind.
fn run_full_incremental(
    conn: &mut DbConnection,
    run_by: &str,
    settings: &CustodyRules,
    fingerprint: String,
    started: Instant,
    started_at: NaiveDateTime,
) -> Result<RunSummary, AppError> {
    // The state is read in the same snapshot as the input, so that nothing filed in between
    // counts as seen.
    let (found, digests, heads) = crate::db::read_snapshot(conn, |conn| {
        let digests = watermarks::input_digests(conn)?;
        let heads = watermarks::all_heads(conn)?;
        Ok((judge_streamed(conn, settings, true)?, digests, heads))
    })?;
    let total = digests.len() as i64;
    let next = found.next;
    let mut summary = record_run(
        conn,
        Judged {
            run_by,
            summary_firm: None,
            firms: None,
            findings: found.findings,
            entries_checked: found.entries,
            settings,
            record: true,
            started,
            started_at,
        },
        |conn, summary| {
            let rows: Vec<watermarks::Watermark> = digests
                .iter()
                .map(|(firm, digest)| watermarks::Watermark {
                    firm_id: firm.clone(),
                    last_seq: heads.get(firm).copied().unwrap_or(0),
                    inputs_digest: digest.clone(),
                    recheck_at: next.get(firm).map(|t| time::to_db(*t)),
                })
                .collect();
            leave_watermarks(conn, summary, &rows, settings, &fingerprint)
        },
    )?;
    summary.incremental = Some(IncrementalReport {
        full: true,
        firms_checked: total,
        firms: total,
    });
    Ok(summary)
}

/// What an incremental run leaves for the next: the firms' watermarks and the run's checkpoint.
fn leave_watermarks(
    conn: &mut DbConnection,
    summary: &RunSummary,
    rows: &[watermarks::Watermark],
    settings: &CustodyRules,
    fingerprint: &str,
) -> Result<(), AppError> {
    let checkpoint = watermarks::new_checkpoint(
        &summary.id.to_string(),
        settings.as_of,
        fingerprint.to_string(),
    );
    watermarks::save(conn, rows, &checkpoint)
}

/// How many findings fire, by code and by severity.
fn tally(findings: &[Finding]) -> (BTreeMap<String, i64>, BTreeMap<String, i64>) {
    let mut by_code: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_severity: BTreeMap<String, i64> = BTreeMap::new();
    for f in findings {
        *by_code.entry(f.code.as_str().to_string()).or_default() += 1;
        *by_severity
            .entry(f.severity.as_str().to_string())
            .or_default() += 1;
    }
    (by_code, by_severity)
}

fn run_row(
    summary: &RunSummary,
    run_by: &str,
    started_at: NaiveDateTime,
) -> Result<RunRow, AppError> {
    Ok(RunRow {
        id: summary.id.to_string(),
        firm_id: summary.firm_id.map(|f| f.to_string()),
        as_of: time::to_db(summary.as_of),
        run_by: run_by.to_string(),
        started_at,
        duration_ms: summary.duration_ms,
        entries_checked: summary.entries_checked,
        findings_by_code: serde_json::to_string(&summary.findings_by_code)
            .map_err(AppError::internal)?,
        new_findings: summary.new_findings,
        resolved_findings: summary.resolved_findings,
        rule_pack: Some(summary.rule_pack.clone()),
    })
}

/// Stores new findings, marks the ones seen again, reopens automatically resolved ones that fire
/// again, and resolves the ones in scope that no longer fire. Returns (new, resolved).
fn persist(
    conn: &mut DbConnection,
    run_id: &str,
    scope: Option<&[String]>,
    findings: &[Finding],
    now: NaiveDateTime,
) -> Result<(i64, i64), AppError> {
    let existing: HashMap<String, FindingRow> = store::findings_in_scope(conn, scope)?
        .into_iter()
        .map(|f| (f.identity.clone(), f))
        .collect();
    let mut fresh = Vec::new();
    let mut seen = Vec::new();
    let mut reopened = Vec::new();
    let mut firing: HashSet<String> = HashSet::new();
    for f in findings {
        let identity = f.identity();
        firing.insert(identity.clone());
        match existing.get(&identity) {
            Some(row) => {
                seen.push(row.id.clone());
                if row.status == FindingStatus::Resolved.as_str() && row.resolved_by_run.is_some() {
                    reopened.push(row.id.clone());
                }
            }
            None => fresh.push(new_row(f, identity, run_id, now)),
        }
    }
    // Gone: the missing receipt was filed, the wrong entry reversed, … (manual decisions stay).
    let gone: Vec<String> = existing
        .values()
        .filter(|row| !firing.contains(&row.identity))
        .filter(|row| FindingStatus::parse(&row.status).is_some_and(FindingStatus::is_pending))
        .map(|row| row.id.clone())
        .collect();
    store::insert_findings(conn, &fresh)?;
    store::mark_seen(conn, &seen, run_id)?;
    store::set_status(conn, &reopened, FindingStatus::Open.as_str(), None, now)?;
    store::set_status(
        conn,
        &gone,
        FindingStatus::Resolved.as_str(),
        Some(run_id),
        now,
    )?;
    let notes: Vec<Note> = run_notes("reopened", &reopened, run_id, now)
        .chain(run_notes("auto_resolved", &gone, run_id, now))
        .collect();
    store::add_notes(conn, &notes)?;
    Ok((fresh.len() as i64, gone.len() as i64))
}

/// A finding first seen by this run, open.
fn new_row(f: &Finding, identity: String, run_id: &str, now: NaiveDateTime) -> FindingRow {
    FindingRow {
        id: Uuid::now_v7().to_string(),
        identity,
        code: f.code.as_str().to_string(),
        severity: f.severity.as_str().to_string(),
        status: FindingStatus::Open.as_str().to_string(),
        firm_id: f.firm_id.clone(),
        counterparty_firm_id: f.counterparty_firm_id.clone(),
        chemical_id: f.chemical_id.clone(),
        lot: f.lot.clone(),
        quantity: f.quantity,
        entry_ids: f.entry_ids.join(","),
        counterparty_entry_ids: f.counterparty_entry_ids.join(","),
        message_zh: f.message_zh.clone(),
        message_en: f.message_en.clone(),
        first_seen_at: now,
        first_seen_run: run_id.to_string(),
        last_seen_run: run_id.to_string(),
        resolved_by_run: None,
        updated_at: now,
    }
}

/// What the run did to each of these findings, for their history.
fn run_notes<'a>(
    action: &'a str,
    ids: &'a [String],
    run_id: &'a str,
    now: NaiveDateTime,
) -> impl Iterator<Item = Note<'a>> {
    ids.iter().map(move |id| Note {
        finding_id: id,
        action,
        text: None,
        by_user: None,
        run_id: Some(run_id),
        at: now,
    })
}

/// A run as it was stored: its summary without what a run as of now alone knows (by severity).
#[derive(Debug, Clone, Serialize)]
pub struct StoredRun {
    pub id: Uuid,
    pub firm_id: Option<Uuid>,
    pub as_of: DateTime<Utc>,
    pub run_by: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub entries_checked: i64,
    pub findings_by_code: BTreeMap<String, i64>,
    pub new_findings: i64,
    pub resolved_findings: i64,
    /// Absent for runs before rule packs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_pack: Option<String>,
}

fn stored_run(row: RunRow) -> Result<StoredRun, AppError> {
    let bad = |what: &str| AppError::internal(format!("stored run has a bad {what}"));
    Ok(StoredRun {
        id: Uuid::parse_str(&row.id).map_err(|_| bad("id"))?,
        firm_id: row
            .firm_id
            .as_deref()
            .map(Uuid::parse_str)
            .transpose()
            .map_err(|_| bad("firm id"))?,
        as_of: time::from_db(row.as_of),
        run_by: row.run_by,
        started_at: time::from_db(row.started_at),
        duration_ms: row.duration_ms,
        entries_checked: row.entries_checked,
        findings_by_code: serde_json::from_str(&row.findings_by_code)
            .map_err(|_| bad("findings_by_code"))?,
        new_findings: row.new_findings,
        resolved_findings: row.resolved_findings,
        rule_pack: row.rule_pack,
    })
}

/// Recent runs, newest first (regulators).
pub fn recent(
    conn: &mut DbConnection,
    who: &Principal,
    page: crate::paging::Page,
) -> Result<crate::paging::PageOf<StoredRun>, AppError> {
    policy::require_role(who, &[Role::Regulator])?;
    let before = page.after.map(|id| id.to_string());
    let rows = store::recent_runs(conn, before.as_deref(), page.fetch_limit())?;
    let runs = rows
        .into_iter()
        .map(|row| Ok((row.id.clone(), stored_run(row)?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(crate::paging::PageOf::from_rows(
        runs,
        page,
        |(id, _)| id.as_str(),
        |(_, run)| run,
    ))
}

/// One stored run (regulators; an unknown id is 404).
pub fn stored(conn: &mut DbConnection, who: &Principal, id: Uuid) -> Result<StoredRun, AppError> {
    policy::require_role(who, &[Role::Regulator])?;
    let row = store::find_run(conn, &id.to_string())?.ok_or(AppError::NotFound)?;
    stored_run(row)
}
