//! CAS registry numbers: `NNNNNNN-NN-N`, the last digit a checksum.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CasNumber(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CasError {
    #[error("must look like 108-88-3: 2–7 digits, 2 digits, 1 check digit")]
    BadFormat,
    #[error("check digit does not match")]
    BadCheckDigit,
}

impl CasError {
    pub fn code(self) -> &'static str {
        match self {
            CasError::BadFormat => "invalid_cas_format",
            CasError::BadCheckDigit => "invalid_cas_checksum",
        }
    }
}

impl CasNumber {
    pub fn parse(text: &str) -> Result<CasNumber, CasError> {
        let parts: Vec<&str> = text.split('-').collect();
        let [first, second, check] = parts.as_slice() else {
            return Err(CasError::BadFormat);
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !(2..=7).contains(&first.len())
            || second.len() != 2
            || check.len() != 1
            || !all_digits(first)
            || !all_digits(second)
            || !all_digits(check)
            || first.starts_with('0')
        {
            return Err(CasError::BadFormat);
        }
        // Weights 1, 2, 3 … from the rightmost body digit; the sum mod 10 is the check digit.
        let body = format!("{first}{second}");
        let sum: u32 = body
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| (i as u32 + 1) * u32::from(b - b'0'))
            .sum();
        if sum % 10 != u32::from(check.as_bytes()[0] - b'0') {
            return Err(CasError::BadCheckDigit);
        }
        Ok(CasNumber(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CasNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_real_numbers() {
        for good in [
            "108-88-3",
            "67-64-1",
            "7664-93-9",
            "2167189-50-4",
            "103-79-7",
            "50-00-0",
        ] {
            assert!(CasNumber::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn rejects_bad_ones() {
        assert_eq!(CasNumber::parse("108-88-4"), Err(CasError::BadCheckDigit));
        for bad in [
            "",
            "108883",
            "1-88-3",
            "12345678-88-3",
            "108-8-3",
            "108-88-33",
            "1O8-88-3",
            "-108-88-3",
            "08-88-3",
        ] {
            assert_eq!(CasNumber::parse(bad), Err(CasError::BadFormat), "{bad}");
        }
    }

    fn with_check_digit(first: u32, second: u32) -> String {
        let body = format!("{first}{second:02}");
        let sum: u32 = body
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| (i as u32 + 1) * u32::from(b - b'0'))
            .sum();
        format!("{first}-{second:02}-{}", sum % 10)
    }

    proptest! {
        #[test]
        fn every_correct_check_digit_is_accepted_and_every_other_refused(first in 10_u32..9_999_999, second in 0_u32..100, wrong in 1_u32..10) {
            let good = with_check_digit(first, second);
            prop_assert!(CasNumber::parse(&good).is_ok());
            let digit = good.as_bytes()[good.len() - 1] - b'0';
            let bad = format!("{}{}", &good[..good.len() - 1], (u32::from(digit) + wrong) % 10);
            prop_assert_eq!(CasNumber::parse(&bad), Err(CasError::BadCheckDigit));
        }

        #[test]
        fn never_panics(text in ".{0,20}") {
            let _ = CasNumber::parse(&text);
        }
    }
}
