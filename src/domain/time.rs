//! Times: UTC everywhere, truncated to microseconds (PostgreSQL's precision) so that a value
//! read back from either backend equals the one written.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

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
