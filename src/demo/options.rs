//! What a demo is asked for, checked, and the window of days its traffic covers.

use chrono::{DateTime, Days, Months, NaiveDate, Utc};

use super::inject::SPAN_DAYS;
use super::plan::MIN_FIRMS;
use crate::error::AppError;

/// Ningde's administrative code (宁德市), the default seed.
pub const DEFAULT_SEED: u64 = 350_900;
/// The most firms a demo may have (about 460 entries per firm and year are held in memory).
pub const MAX_FIRMS: usize = 10_000;
/// The most firms a country may have: generated province by province, only a province's
/// traffic is held in memory at a time.
pub const MAX_COUNTRY_FIRMS: usize = 200_000;
/// Ningde keeps China Standard Time: business days are counted in local dates.
pub(super) const UTC_OFFSET_HOURS: i64 = 8;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Firms in the province (at least [`MIN_FIRMS`]); default 421.
    pub firms: usize,
    /// Months of ledger traffic ending at `end` (1–120); default 12.
    pub months: u32,
    pub seed: u64,
    /// The last day of traffic; callers pass now.
    pub end: DateTime<Utc>,
    /// Store one entry whose hash does not match it (a CHAIN_BROKEN gap).
    pub break_one_chain: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            firms: 421,
            months: 12,
            seed: DEFAULT_SEED,
            end: Utc::now(),
            break_one_chain: false,
        }
    }
}

pub(super) struct Window {
    pub(super) first_day: NaiveDate,
    pub(super) days: u32,
    pub(super) end_secs: i64,
}

pub(super) fn window(options: &DemoOptions) -> Result<Window, AppError> {
    let local = |t: DateTime<Utc>| (t + chrono::Duration::hours(UTC_OFFSET_HOURS)).date_naive();
    let start = options
        .end
        .checked_sub_months(Months::new(options.months))
        .ok_or_else(|| AppError::field("end", "out_of_range", "is too early"))?;
    let first_day = local(start);
    let last_day = local(options.end) - Days::new(1);
    let days = (last_day - first_day).num_days() + 1;
    if days < i64::from(SPAN_DAYS) + 1 {
        return Err(AppError::field(
            "months",
            "out_of_range",
            "the period is too short",
        ));
    }
    Ok(Window {
        first_day,
        days: days as u32,
        end_secs: options.end.timestamp(),
    })
}

pub(super) fn validate(options: &DemoOptions) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if !(MIN_FIRMS..=MAX_FIRMS).contains(&options.firms) {
        errors.push(crate::error::FieldError::new(
            "firms",
            "out_of_range",
            format!("must be {}–{MAX_FIRMS}", MIN_FIRMS),
        ));
    }
    if !(1..=120).contains(&options.months) {
        errors.push(crate::error::FieldError::new(
            "months",
            "out_of_range",
            "must be 1–120",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// A country: up to [`MAX_COUNTRY_FIRMS`] firms in provinces of at most `province_firms`
/// (twice [`MIN_FIRMS`]–[`MAX_FIRMS`], so that splitting evenly leaves no province too small).
pub(super) fn validate_country(
    options: &DemoOptions,
    province_firms: usize,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if !(2 * MIN_FIRMS..=MAX_FIRMS).contains(&province_firms) {
        errors.push(crate::error::FieldError::new(
            "province_firms",
            "out_of_range",
            format!("must be {}–{MAX_FIRMS}", 2 * MIN_FIRMS),
        ));
    }
    if !(province_firms.max(MIN_FIRMS)..=MAX_COUNTRY_FIRMS).contains(&options.firms) {
        errors.push(crate::error::FieldError::new(
            "firms",
            "out_of_range",
            format!(
                "must be {}–{MAX_COUNTRY_FIRMS}",
                province_firms.max(MIN_FIRMS)
            ),
        ));
    }
    if !(1..=120).contains(&options.months) {
        errors.push(crate::error::FieldError::new(
            "months",
            "out_of_range",
            "must be 1–120",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}
