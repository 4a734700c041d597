//! A jurisdiction's rule pack: every deadline, window and threshold the validator reads, in one
//! TOML file (`rules/cn.toml` ships with the binary). Read at start and checked key by key: a
//! pack with an unknown key or a value out of range is refused with the key named, so a
//! deployment never runs on rules it did not mean.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::custody_rules::{CustodyRules, Duties, SuspiciousOrders, ThresholdScope};
use super::{CasNumber, Quantity};

/// The pack that ships with the binary and is used unless a deployment names another.
pub const CN: &str = include_str!("../../rules/cn.toml");
/// Example packs a deployment may start from (`--rule-pack eu`, `--rule-pack us`).
pub const EU: &str = include_str!("../../rules/eu.toml");
pub const US: &str = include_str!("../../rules/us.toml");

/// The text of a shipped pack by name, if there is one.
pub fn shipped_text(name: &str) -> Option<&'static str> {
    match name {
        "cn" => Some(CN),
        "eu" => Some(EU),
        "us" => Some(US),
        _ => None,
    }
}

/// A pack as read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RulePack {
    pub name: String,
    pub version: String,
    pub title: String,
    pub filing_deadline: Duration,
    pub report_deadlines: [Duration; 3],
    pub transit_window: Duration,
    pub tolerance_bp: i64,
    pub suspicious: SuspiciousOrders,
    /// Per-transaction thresholds in thousandths of the chemical's unit, by CAS number.
    pub thresholds: BTreeMap<String, i64>,
    pub duties: Duties,
    pub retention: Retention,
}

/// How long the law keeps a firm's records. The registry never deletes a ledger entry, so
/// this is the floor a deployment's backups and archives must keep, shown on `GET /rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub years: i64,
    /// Counted from the end of the calendar year of the record (EU), else from the record.
    pub from_year_end: bool,
}

/// What is wrong with a pack: the key (`shipments.tolerance_bp`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule pack key {key}: {message}")]
pub struct PackError {
    pub key: String,
    pub message: String,
}

fn bad(key: &str, message: impl Into<String>) -> PackError {
    PackError {
        key: key.to_string(),
        message: message.into(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    pack: Header,
    deadlines: Deadlines,
    shipments: Shipments,
    sales: Sales,
    suspicious: Suspicious,
    records: Records,
    declarations: Declarations,
    #[serde(default)]
    thresholds: BTreeMap<String, f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sales {
    individuals_may_not_buy: Vec<i64>,
    cash_and_barter: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Records {
    retention_years: i64,
    from_year_end: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Declarations {
    required_for_categories: Vec<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: String,
    version: String,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Deadlines {
    filing_hours: i64,
    report_days: [i64; 3],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Shipments {
    transit_window_hours: i64,
    tolerance_bp: i64,
    transport_documents: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Suspicious {
    size_factor: f64,
    frequency_sigmas: f64,
    min_history: i64,
    structuring_floor_pct: i64,
    structuring_min_orders: i64,
    threshold_scope: String,
}

/// `value` if it lies in `range`, else an error naming `key`.
fn within(key: &str, value: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64, PackError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        let (lo, hi) = (range.start(), range.end());
        Err(bad(key, format!("{value} is outside {lo}..={hi}")))
    }
}

/// A factor given with at most one decimal (2.5), in tenths.
fn tenths(key: &str, value: f64, range: std::ops::RangeInclusive<i64>) -> Result<i64, PackError> {
    let scaled = (value * 10.0).round();
    if !value.is_finite() || (scaled - value * 10.0).abs() > 1e-6 {
        return Err(bad(key, format!("{value} must have at most one decimal")));
    }
    within(key, scaled as i64, range).map_err(|_| bad(key, format!("{value} is out of range")))
}

/// The index of `value` among `choices`, else an error naming `key`.
fn one_of<const N: usize>(key: &str, value: &str, choices: [&str; N]) -> Result<usize, PackError> {
    choices
        .iter()
        .position(|c| *c == value.trim())
        .ok_or_else(|| bad(key, format!("must be one of {}", choices.join(", "))))
}

/// A list of categories (1, 2, 3) as flags by category.
fn categories(key: &str, list: &[i64]) -> Result<[bool; 3], PackError> {
    let mut flags = [false; 3];
    for c in list {
        flags[within(key, *c, 1..=3)? as usize - 1] = true;
    }
    Ok(flags)
}

impl RulePack {
    /// Reads and checks a pack's text.
    pub fn parse(text: &str) -> Result<RulePack, PackError> {
        let file: File = toml::from_str(text).map_err(|e| {
            let message = e.message().to_string();
            // toml names the unknown or missing key in its message; the span says where.
            bad(&key_of(text, e.span()), message)
        })?;
        let name = file.pack.name.trim().to_string();
        if name.is_empty()
            || name.len() > 32
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad("pack.name", "must be 1–32 letters, digits, - or _"));
        }
        if file.pack.version.trim().is_empty() {
            return Err(bad("pack.version", "must not be empty"));
        }
        let d = &file.deadlines;
        let filing = within("deadlines.filing_hours", d.filing_hours, 1..=24 * 365)?;
        let mut report = [Duration::zero(); 3];
        for (i, days) in d.report_days.iter().enumerate() {
            report[i] = Duration::days(within("deadlines.report_days", *days, 1..=365)?);
        }
        let s = &file.shipments;
        let transit = within(
            "shipments.transit_window_hours",
            s.transit_window_hours,
            1..=24 * 365,
        )?;
        let tolerance = within("shipments.tolerance_bp", s.tolerance_bp, 0..=10_000)?;
        let q = &file.suspicious;
        let suspicious = SuspiciousOrders {
            size_factor_tenths: tenths("suspicious.size_factor", q.size_factor, 11..=1000)?,
            frequency_sigmas_tenths: tenths(
                "suspicious.frequency_sigmas",
                q.frequency_sigmas,
                1..=100,
            )?,
            min_history: within("suspicious.min_history", q.min_history, 1..=1000)? as usize,
            structuring_floor_pct: within(
                "suspicious.structuring_floor_pct",
                q.structuring_floor_pct,
                1..=99,
            )?,
            structuring_min_orders: within(
                "suspicious.structuring_min_orders",
                q.structuring_min_orders,
                2..=100,
            )? as usize,
            structuring_scope: ThresholdScope::parse(q.threshold_scope.trim()).ok_or_else(
                || {
                    bad(
                        "suspicious.threshold_scope",
                        "must be \"transaction\" or \"calendar_month\"",
                    )
                },
            )?,
        };
        let duties = Duties {
            transport_between_cities: one_of(
                "shipments.transport_documents",
                &s.transport_documents,
                ["between_cities", "none"],
            )? == 0,
            no_individuals: categories(
                "sales.individuals_may_not_buy",
                &file.sales.individuals_may_not_buy,
            )?,
            no_cash_or_barter: one_of(
                "sales.cash_and_barter",
                &file.sales.cash_and_barter,
                ["banned", "allowed"],
            )? == 0,
            declarations: categories(
                "declarations.required_for_categories",
                &file.declarations.required_for_categories,
            )?,
        };
        let retention = Retention {
            years: within(
                "records.retention_years",
                file.records.retention_years,
                1..=100,
            )?,
            from_year_end: file.records.from_year_end,
        };
        let mut thresholds = BTreeMap::new();
        for (cas, amount) in &file.thresholds {
            let key = format!("thresholds.\"{cas}\"");
            let cas = CasNumber::parse(cas).map_err(|e| bad(&key, e.to_string()))?;
            let quantity = Quantity::parse(&format!("{amount}"))
                .ok()
                .filter(|q| !q.is_zero())
                .ok_or_else(|| {
                    bad(
                        &key,
                        format!("{amount} is not a quantity above 0 with at most 3 decimals"),
                    )
                })?;
            thresholds.insert(cas.to_string(), quantity.thousandths());
        }
        Ok(RulePack {
            name,
            version: file.pack.version.trim().to_string(),
            title: file.pack.title.trim().to_string(),
            filing_deadline: Duration::hours(filing),
            report_deadlines: report,
            transit_window: Duration::hours(transit),
            tolerance_bp: tolerance,
            suspicious,
            thresholds,
            duties,
            retention,
        })
    }

    /// The shipped `cn` pack as `CustodyRules::defaults` has it (a unit test keeps the two and
    /// `rules/cn.toml` equal), for settings built before any pack is read.
    pub fn shipped() -> RulePack {
        let rules = CustodyRules::defaults(DateTime::<Utc>::UNIX_EPOCH);
        RulePack {
            name: "cn".into(),
            version: "2026.1".into(),
            title: "中华人民共和国 易制毒化学品管理条例（国务院令第445号）".into(),
            filing_deadline: rules.filing_deadline,
            report_deadlines: rules.report_deadlines,
            transit_window: rules.transit_window,
            tolerance_bp: rules.tolerance_bp,
            suspicious: rules.suspicious,
            thresholds: rules
                .thresholds
                .iter()
                .map(|(cas, amount)| (cas.to_string(), *amount))
                .collect(),
            duties: rules.duties,
            // Decree 445 (Arts. 14–23): the sales ledger is kept at least 2 years.
            retention: Retention {
                years: 2,
                from_year_end: false,
            },
        }
    }

    /// `name@version`, as recorded on each validation run and grade.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The custody rules of this pack as of `as_of`, its id and thresholds kept for the life of
    /// the process: a pack is read once, at start (a test registry: once per registry).
    pub fn settle(&self, as_of: DateTime<Utc>) -> CustodyRules {
        let id: &'static str = Box::leak(self.id().into_boxed_str());
        let thresholds: Vec<(&'static str, i64)> = self
            .thresholds
            .iter()
            .map(|(cas, amount)| (&*Box::leak(cas.clone().into_boxed_str()), *amount))
            .collect();
        CustodyRules {
            thresholds: Box::leak(thresholds.into_boxed_slice()),
            ..self.custody_rules(id, as_of)
        }
    }

    /// The custody rules of this pack as of `as_of`, with `pack` as its id and no thresholds.
    pub fn custody_rules(&self, pack: &'static str, as_of: DateTime<Utc>) -> CustodyRules {
        CustodyRules {
            transit_window: self.transit_window,
            tolerance_bp: self.tolerance_bp,
            filing_deadline: self.filing_deadline,
            report_deadlines: self.report_deadlines,
            suspicious: self.suspicious,
            pack,
            duties: self.duties,
            thresholds: &[],
            ..CustodyRules::defaults(as_of)
        }
    }
}

/// The dotted key at `span` of `text`: the nearest `[table]` above it and the key on its line.
fn key_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(span) = span else {
        return "(pack)".to_string();
    };
    let before = &text[..span.start.min(text.len())];
    let line = text[before.rfind('\n').map_or(0, |i| i + 1)..]
        .lines()
        .next()
        .unwrap_or("");
    let header = |l: &str| {
        let l = l.trim();
        l.strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .map(str::to_string)
    };
    // An unknown table is named by its own header line.
    if let Some(table) = header(line) {
        return table;
    }
    let table = before.lines().rev().find_map(header).unwrap_or_default();
    let key = line.split('=').next().unwrap_or("").trim();
    match (table.as_str(), key) {
        ("", key) => key.to_string(),
        (table, key) if key.is_empty() || key.starts_with('[') => table.to_string(),
        (table, key) => format!("{table}.{key}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(from: &str, to: &str) -> Result<RulePack, PackError> {
        assert!(CN.contains(from), "{from}");
        RulePack::parse(&CN.replacen(from, to, 1))
    }

    #[test]
    fn the_shipped_pack_reads_as_the_law() {
        let cn = RulePack::parse(CN).unwrap();
        assert_eq!(cn.id(), "cn@2026.1");
        assert_eq!(cn.report_deadlines[0], Duration::days(5));
        assert_eq!(cn.report_deadlines[2], Duration::days(30));
        assert_eq!(cn.filing_deadline, Duration::hours(72));
        assert_eq!(cn.suspicious, SuspiciousOrders::default());
        let now = Utc::now();
        assert_eq!(
            cn.settle(now),
            CustodyRules::defaults(now),
            "the defaults are the cn pack"
        );
        assert_eq!(RulePack::shipped(), cn);
        assert_eq!(cn.id(), super::super::custody_rules::DEFAULT_PACK);
    }

    #[test]
    fn a_bad_key_or_value_is_named() {
        let err = with("tolerance_bp = 50", "tolerance_bp = 20000").unwrap_err();
        assert_eq!(err.key, "shipments.tolerance_bp");
        let err = with("tolerance_bp = 50", "tolerance_bpp = 50").unwrap_err();
        assert_eq!(err.key, "shipments.tolerance_bpp", "{err}");
        assert!(err.message.contains("unknown field"), "{err}");
        let err = with("report_days = [5, 30, 30]", "report_days = [5, 0, 30]").unwrap_err();
        assert_eq!(err.key, "deadlines.report_days");
        let err = with("size_factor = 5.0", "size_factor = 5.25").unwrap_err();
        assert_eq!(err.key, "suspicious.size_factor");
        let err = with("min_history = 6", "min_history = \"six\"").unwrap_err();
        assert_eq!(err.key, "suspicious.min_history", "{err}");
        let err = with("[thresholds]", "[thresholds]\n\"67-64-2\" = 100.0").unwrap_err();
        assert_eq!(err.key, "thresholds.\"67-64-2\"", "{err}");
        let err = with("\"67-64-1\" = 2500.0", "\"67-64-2\" = 100.0").unwrap_err();
        assert_eq!(err.key, "thresholds.\"67-64-2\"", "{err}");
        let err = with("\"67-64-1\" = 2500.0", "\"67-64-1\" = 0.0").unwrap_err();
        assert!(err.message.contains("above 0"), "{err}");
        let err = with("name = \"cn\"", "name = \"c n\"").unwrap_err();
        assert_eq!(err.key, "pack.name");
        let err = with("cash_and_barter = \"banned\"", "cash_and_barter = \"no\"").unwrap_err();
        assert_eq!(err.key, "sales.cash_and_barter", "{err}");
        let err = with("[1, 2]", "[1, 4]").unwrap_err();
        assert_eq!(err.key, "sales.individuals_may_not_buy", "{err}");
        let err = with(
            "threshold_scope = \"transaction\"",
            "threshold_scope = \"month\"",
        )
        .unwrap_err();
        assert_eq!(err.key, "suspicious.threshold_scope", "{err}");
        let err = with("retention_years = 2", "retention_years = 0").unwrap_err();
        assert_eq!(err.key, "records.retention_years", "{err}");
        let err = with("\n[records]", "\n[recs]").unwrap_err();
        assert_eq!(err.key, "recs", "{err}");
    }

    #[test]
    fn the_example_packs_read() {
        let eu = RulePack::parse(EU).unwrap();
        assert_eq!(eu.id(), "eu@2026.1");
        assert_eq!(eu.duties.declarations, [true, true, false]);
        assert!(!eu.duties.transport_between_cities && !eu.duties.no_cash_or_barter);
        assert_eq!(
            eu.retention,
            Retention {
                years: 3,
                from_year_end: true
            }
        );
        let us = RulePack::parse(US).unwrap();
        assert_eq!(
            us.suspicious.structuring_scope,
            ThresholdScope::CalendarMonth
        );
        assert_eq!(us.thresholds.get("108-10-1"), Some(&1_523_000));
        assert_eq!(us.duties.no_individuals, [false; 3]);
        for name in ["cn", "eu", "us"] {
            let pack = RulePack::parse(shipped_text(name).unwrap()).unwrap();
            assert_eq!(pack.name, name);
        }
        assert_eq!(shipped_text("xx"), None);
    }

    #[test]
    fn thresholds_are_read_in_thousandths_by_cas() {
        let pack = with("\"67-64-1\" = 2500.0", "\"67-64-1\" = 1523.5").unwrap();
        assert_eq!(pack.thresholds.get("67-64-1"), Some(&1_523_500));
    }
}
