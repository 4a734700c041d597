//! Unified social credit codes (统一社会信用代码), GB 32100-2015.
//!
//! 18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z);
//! characters 3–8 are the administrative division code; the 18th is a mod-31 check character.

use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("must be exactly 18 characters")]
    BadLength,
    #[error("may contain only digits and the capital letters of GB 32100 (no I, O, S, V, Z)")]
    BadCharacter,
    #[error("characters 3–8 must be the 6-digit administrative division code")]
    BadRegion,
    #[error("check character does not match (GB 32100-2015)")]
    BadCheckCharacter,
}

impl CreditCodeError {
    pub fn code(self) -> &'static str {
        match self {
            CreditCodeError::BadLength => "invalid_credit_code_length",
            CreditCodeError::BadCharacter => "invalid_credit_code_character",
            CreditCodeError::BadRegion => "invalid_credit_code_region",
            CreditCodeError::BadCheckCharacter => "invalid_credit_code_checksum",
        }
    }
}

/// The shape of a code, its check character aside (a regular expression, for the OpenAPI document).
pub const SHAPE_PATTERN: &str = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$";

/// Whether `text` has the shape of a code in upper case (`SHAPE_PATTERN`), whatever its check
/// character: enough to be a position in a list ordered by credit code.
pub fn has_shape(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 18
        && bytes.iter().all(|&c| value_of(c).is_some())
        && bytes[2..8].iter().all(u8::is_ascii_digit)
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters (which must be in the alphabet).
pub fn check_character(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(char::from(ALPHABET[check as usize]))
}

impl CreditCode {
    /// Parses a code; lower-case letters are accepted and stored upper-case.
    pub fn parse(text: &str) -> Result<CreditCode, CreditCodeError> {
        let upper = text.to_ascii_uppercase();
        let bytes = upper.as_bytes();
        if bytes.len() != 18 || upper.chars().count() != 18 {
            return Err(CreditCodeError::BadLength);
        }
        if bytes.iter().any(|&c| value_of(c).is_none()) {
            return Err(CreditCodeError::BadCharacter);
        }
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(CreditCodeError::BadRegion);
        }
        if check_character(&bytes[..17]) != Some(char::from(bytes[17])) {
            return Err(CreditCodeError::BadCheckCharacter);
        }
        Ok(CreditCode(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn complete(first17: &str) -> String {
        format!("{first17}{}", check_character(first17.as_bytes()).unwrap())
    }

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for good in [
            "91350100M000100Y43",
            "91110000802100433B",
            "91440300708461136T",
        ] {
            assert!(CreditCode::parse(good).is_ok(), "{good}");
        }
        assert_eq!(
            CreditCode::parse("91350100m000100y43").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn rejects_each_kind_of_defect() {
        assert_eq!(
            CreditCode::parse("91350100M000100Y4"),
            Err(CreditCodeError::BadLength)
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y433"),
            Err(CreditCodeError::BadLength)
        );
        assert_eq!(
            CreditCode::parse("91350100M0001O0Y43"),
            Err(CreditCodeError::BadCharacter)
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y4中"),
            Err(CreditCodeError::BadLength)
        );
        assert_eq!(
            CreditCode::parse(&complete("913A0100M000100Y4")),
            Err(CreditCodeError::BadRegion)
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::BadCheckCharacter)
        );
    }

    fn first17() -> impl Strategy<Value = String> {
        (
            proptest::sample::select(ALPHABET.to_vec()),
            proptest::sample::select(ALPHABET.to_vec()),
            0_u32..1_000_000,
            proptest::collection::vec(proptest::sample::select(ALPHABET.to_vec()), 9),
        )
            .prop_map(|(a, b, region, rest)| {
                format!(
                    "{}{}{region:06}{}",
                    a as char,
                    b as char,
                    String::from_utf8(rest).unwrap()
                )
            })
    }

    proptest! {
        #[test]
        fn completed_codes_parse_and_any_other_check_character_fails(body in first17(), other in proptest::sample::select(ALPHABET.to_vec())) {
            let good = complete(&body);
            prop_assert!(CreditCode::parse(&good).is_ok());
            if char::from(other) != good.chars().last().unwrap() {
                let bad = format!("{body}{}", other as char);
                prop_assert_eq!(CreditCode::parse(&bad), Err(CreditCodeError::BadCheckCharacter));
            }
        }

        #[test]
        fn a_single_changed_character_is_detected(body in first17(), pos in 0_usize..17, shift in 1_u32..31) {
            let good = complete(&body);
            let mut bytes = good.clone().into_bytes();
            let v = value_of(bytes[pos]).unwrap();
            bytes[pos] = ALPHABET[((v + shift) % 31) as usize];
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(CreditCode::parse(&changed).is_err());
        }

        #[test]
        fn never_panics(text in ".{0,24}") {
            let _ = CreditCode::parse(&text);
        }
    }
}
