//! A chemical's place on the list over time: since when it is controlled (and until when), and
//! the category changes that take effect on their dates. The catalog is amended by law; rules
//! judge an entry by the list as it stood when the entry happened.

use chrono::{DateTime, Utc};

/// One chemical's control over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    /// Controlled from this moment; `None`: since before the registry's records.
    pub from: Option<DateTime<Utc>>,
    /// No longer controlled from this moment, if it was delisted.
    pub until: Option<DateTime<Utc>>,
    /// The category it was listed in.
    pub initial: u8,
    /// Category changes (effective from, category), in any order.
    pub changes: Vec<(DateTime<Utc>, u8)>,
    /// A medicine (药品类, category 1): a person may pay for it in cash.
    pub medicine: bool,
}

impl Control {
    /// A chemical always controlled, always in one category.
    pub fn fixed(category: u8) -> Control {
        Control {
            from: None,
            until: None,
            initial: category,
            changes: Vec::new(),
            medicine: false,
        }
    }

    /// Whether an entry at `at` is judged by the rules for controlled chemicals.
    pub fn controlled_at(&self, at: DateTime<Utc>) -> bool {
        self.from.is_none_or(|from| from <= at) && self.until.is_none_or(|until| at < until)
    }

    /// The category in force at `at`: the latest change effective by then, else the listing's.
    pub fn category_at(&self, at: DateTime<Utc>) -> u8 {
        self.changes
            .iter()
            .filter(|(effective, _)| *effective <= at)
            .max_by_key(|(effective, _)| *effective)
            .map_or(self.initial, |(_, category)| *category)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn day(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::days(d)
    }

    #[test]
    fn controlled_from_its_date_until_delisted() {
        let c = Control {
            from: Some(day(10)),
            until: Some(day(20)),
            ..Control::fixed(2)
        };
        assert!(!c.controlled_at(day(9)));
        assert!(c.controlled_at(day(10)));
        assert!(c.controlled_at(day(19)));
        assert!(!c.controlled_at(day(20)));
        assert!(Control::fixed(3).controlled_at(day(-10_000)));
    }

    #[test]
    fn a_category_change_takes_effect_from_its_date() {
        let c = Control {
            changes: vec![(day(30), 1), (day(10), 2)],
            ..Control::fixed(3)
        };
        assert_eq!(c.category_at(day(9)), 3);
        assert_eq!(c.category_at(day(10)), 2);
        assert_eq!(c.category_at(day(29)), 2);
        assert_eq!(c.category_at(day(30)), 1);
    }

    proptest! {
        /// Whatever the order the changes are given in, the category at a time is the latest
        /// change by then, and it never changes between two change dates.
        #[test]
        fn the_category_is_the_latest_change(mut changes in prop::collection::vec((0_i64..100, 1_u8..=3), 0..6), at in -5_i64..110) {
            let c = Control { changes: changes.iter().map(|&(d, k)| (day(d), k)).collect(), ..Control::fixed(3) };
            changes.sort_by_key(|&(d, _)| d);
            let expected = changes.iter().rev().find(|&&(d, _)| d <= at).map_or(3, |&(_, k)| k);
            // Ties on one date: any of them is the law's business; compare only unique dates.
            let unique = changes.windows(2).all(|w| w[0].0 != w[1].0);
            prop_assume!(unique);
            prop_assert_eq!(c.category_at(day(at)), expected);
        }
    }
}
