//! Resident identity card numbers (居民身份证号码), GB 11643-1999: the number an individual
//! counterparty is named by (issue 12).
//!
//! 18 characters: the 6-digit administrative division code of the place of registration, the
//! date of birth (`YYYYMMDD`), a 3-digit sequence, and an ISO 7064 MOD 11-2 check character
//! (`0`–`9` or `X`). It is personal data: anyone but a regulator sees only its last four.

use std::fmt;

use chrono::NaiveDate;

use super::region::RegionCode;

/// ISO 7064 MOD 11-2 weights of the first 17 digits: 2^(17 − i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("must be exactly 18 characters")]
    BadLength,
    #[error("must be 17 digits and a last character 0–9 or X")]
    BadCharacter,
    #[error("the first 6 digits must be an administrative division code")]
    BadRegion,
    #[error("digits 7–14 must be a date of birth (YYYYMMDD) after 1900 and not in the future")]
    BadBirthDate,
    #[error("the check character does not match (GB 11643, ISO 7064 MOD 11-2)")]
    BadCheckCharacter,
}

impl ResidentIdError {
    pub fn code(self) -> &'static str {
        match self {
            ResidentIdError::BadLength => "invalid_resident_id_length",
            ResidentIdError::BadCharacter => "invalid_resident_id_character",
            ResidentIdError::BadRegion => "invalid_resident_id_region",
            ResidentIdError::BadBirthDate => "invalid_resident_id_birth_date",
            ResidentIdError::BadCheckCharacter => "invalid_resident_id_checksum",
        }
    }
}

/// The check character of the first 17 digits (which must be ASCII digits).
pub fn check_character(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(char::from(CHECK[(sum % 11) as usize]))
}

impl ResidentId {
    /// Parses a number as of `today` (a birth date may not lie after it); a lower-case `x` is
    /// accepted and stored upper-case.
    pub fn parse(text: &str, today: NaiveDate) -> Result<ResidentId, ResidentIdError> {
        let upper = text.trim().to_ascii_uppercase();
        let bytes = upper.as_bytes();
        if bytes.len() != 18 {
            return Err(ResidentIdError::BadLength);
        }
        let last = bytes[17];
        if !bytes[..17].iter().all(u8::is_ascii_digit) || !(last.is_ascii_digit() || last == b'X') {
            return Err(ResidentIdError::BadCharacter);
        }
        RegionCode::parse(&upper[..6]).map_err(|_| ResidentIdError::BadRegion)?;
        let born = NaiveDate::parse_from_str(&upper[6..14], "%Y%m%d")
            .map_err(|_| ResidentIdError::BadBirthDate)?;
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).ok_or(ResidentIdError::BadBirthDate)?;
        if born < earliest || born > today {
            return Err(ResidentIdError::BadBirthDate);
        }
        if check_character(&bytes[..17]) != Some(char::from(last)) {
            return Err(ResidentIdError::BadCheckCharacter);
        }
        Ok(ResidentId(upper))
    }

    /// The whole number: for storage and for regulators only.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What anyone but a regulator sees: the last four characters.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// A stored number as anyone but a regulator sees it: the last four characters, the rest
/// starred (whatever its length, nothing more than four characters shows).
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let shown = chars.len().min(4);
    let hidden = chars.len().max(18) - shown;
    let tail: String = chars[chars.len() - shown..].iter().collect();
    format!("{}{tail}", "*".repeat(hidden))
}

/// Never the whole number, so that a log line or a debug print cannot leak it.
impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    #[test]
    fn the_standards_example_parses_and_shows_only_its_last_four() {
        // GB 11643-1999's own example number.
        let id = ResidentId::parse("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.masked(), "**************002X");
        assert!(!format!("{id:?}").contains("1949"));
    }

    #[test]
    fn each_kind_of_bad_number_is_named() {
        let t = today();
        let bad = |s: &str| ResidentId::parse(s, t).unwrap_err();
        assert_eq!(bad("1101051949123100"), ResidentIdError::BadLength);
        assert_eq!(bad("1101051949123100A2"), ResidentIdError::BadCharacter);
        assert_eq!(bad("X10105194912310021"), ResidentIdError::BadCharacter);
        assert_eq!(bad("99010519491231002X"), ResidentIdError::BadRegion);
        assert_eq!(bad("110105194913310020"), ResidentIdError::BadBirthDate);
        assert_eq!(bad("110105203012310020"), ResidentIdError::BadBirthDate);
        assert_eq!(
            bad("110105194912310021"),
            ResidentIdError::BadCheckCharacter
        );
        assert_eq!(
            bad("110105194912310021").code(),
            "invalid_resident_id_checksum"
        );
    }

    fn seventeen() -> impl Strategy<Value = String> {
        (1950_i32..2020, 1_u32..13, 1_u32..29, 0_u32..1000)
            .prop_map(|(y, m, d, seq)| format!("350902{y:04}{m:02}{d:02}{seq:03}"))
    }

    proptest! {
        /// A number with its own check character parses; changing any one of its digits, or
        /// swapping two different neighbours, makes it fail (what MOD 11-2 is for).
        #[test]
        fn the_check_character_catches_one_wrong_digit_and_a_swap(
            first in seventeen(), at in 0_usize..17, to in 0_u8..10, swap in 0_usize..16,
        ) {
            let check = check_character(first.as_bytes()).unwrap();
            let good = format!("{first}{check}");
            prop_assert!(ResidentId::parse(&good, today()).is_ok());
            let mut typo = good.clone().into_bytes();
            if typo[at] != b'0' + to {
                typo[at] = b'0' + to;
                let typo = String::from_utf8(typo).unwrap();
                prop_assert!(ResidentId::parse(&typo, today()).is_err(), "{typo}");
            }
            let mut swapped = first.clone().into_bytes();
            if swapped[swap] != swapped[swap + 1] {
                swapped.swap(swap, swap + 1);
                let swapped = format!("{}{check}", String::from_utf8(swapped).unwrap());
                prop_assert!(ResidentId::parse(&swapped, today()).is_err(), "{swapped}");
            }
        }

        #[test]
        fn parsing_never_panics(text in ".{0,24}") {
            let _ = ResidentId::parse(&text, today());
        }
    }
}
