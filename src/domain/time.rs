//! Times: UTC everywhere, truncated to microseconds (PostgreSQL's precision) so that a value
//! read back from either backend equals the one written.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub fn to_db(time: DateTime<Utc>) -> NaiveDateTime {
    time.naive_utc().trunc_subsecs(6)
}

pub fn from_db(time: NaiveDateTime) -> DateTime<Utc> {
    time.and_utc()
}

/// Parses an RFC 3339 time (any offset) into UTC, truncated like stored times. Blank is `None`.
pub fn parse_rfc3339(text: &str) -> Option<Result<DateTime<Utc>, chrono::ParseError>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(DateTime::parse_from_rfc3339(text).map(|t| from_db(to_db(t.with_timezone(&Utc)))))
}

/// Parses a moment given as an RFC 3339 time, or as a plain date `YYYY-MM-DD` meaning the start
/// of that day (00:00 UTC), truncated like stored times. Blank is `None`.
pub fn parse_moment(text: &str) -> Option<Result<DateTime<Utc>, chrono::ParseError>> {
    let text = text.trim();
    if text.len() == 10 && text.as_bytes().get(4) == Some(&b'-') {
        let day = NaiveDate::parse_from_str(text, "%Y-%m-%d");
        return Some(day.map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc()));
    }
    parse_rfc3339(text)
}

/// The earliest business time a ledger entry may have (docs/ledger.md): the deployment's
/// setting (`PRECURSOR_OCCURRED_AT_FLOOR`), 2000-01-01T00:00:00Z unless set. An earlier date is
/// a typing error (`0000-01-01`), not history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OccurredAtFloor(pub DateTime<Utc>);

impl Default for OccurredAtFloor {
    fn default() -> OccurredAtFloor {
        // 2000-01-01T00:00:00Z: China's precursor regulations date from 2005 (Decree 445).
        OccurredAtFloor(DateTime::from_timestamp(946_684_800, 0).unwrap_or(DateTime::UNIX_EPOCH))
    }
}

impl OccurredAtFloor {
    /// A date (`2020-01-01`, its start in UTC) or an RFC 3339 time.
    pub fn parse(text: &str) -> Result<OccurredAtFloor, String> {
        match parse_moment(text) {
            Some(Ok(t)) => Ok(OccurredAtFloor(t)),
            _ => Err(format!(
                "{text:?} is not a date (2000-01-01) or an RFC 3339 time"
            )),
        }
    }

    /// As the refusal names it: `2000-01-01T00:00:00Z`.
    pub fn shown(&self) -> String {
        self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }
}

/// China Standard Time: Asia/Shanghai keeps UTC+8 all year (the console's default clock).
pub const CHINA: chrono::FixedOffset = match chrono::FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_is_a_time_or_the_start_of_a_day() {
        let ok = |text: &str| parse_moment(text).and_then(Result::ok);
        let at = |t: &str| {
            DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        assert_eq!(ok("2026-04-12"), at("2026-04-12T00:00:00Z"));
        assert_eq!(
            ok(" 2026-04-12T08:30:00+08:00 "),
            at("2026-04-12T00:30:00Z")
        );
        assert!(parse_moment("  ").is_none());
        for bad in [
            "2026-02-30",
            "2026-4-12",
            "12.04.2026",
            "2026-04-12T25:00:00Z",
            "tomorrow",
        ] {
            assert!(parse_moment(bad).is_some_and(|r| r.is_err()), "{bad}");
        }
    }
}
