//! The slots of the day (the table in `sim`): within a day they never overlap, so a firm's
//! additions and removals are ordered in time as in the simulation.

pub(super) const HOUR: i64 = 3600;
// The slots of the day, in seconds after local midnight.
pub(super) const PRODUCE: (i64, i64) = (7 * HOUR, 8 * HOUR - 60);
pub(super) const PRODUCER_DISPATCH: (i64, i64) = (8 * HOUR, 10 * HOUR + 1800 - 60);
pub(super) const TRADER_RECEIPT: (i64, i64) = (10 * HOUR + 1800, 12 * HOUR - 60);
pub(super) const TRADER_DISPATCH: (i64, i64) = (13 * HOUR, 15 * HOUR - 60);
pub(super) const USER_RECEIPT: (i64, i64) = (15 * HOUR, 17 * HOUR - 60);
pub(super) const USE: (i64, i64) = (17 * HOUR, 19 * HOUR - 60);
pub(super) const STOCKTAKE: (i64, i64) = (20 * HOUR, 21 * HOUR - 60);
/// Ningde keeps China Standard Time.
pub(super) const UTC_OFFSET: i64 = 8 * HOUR;
