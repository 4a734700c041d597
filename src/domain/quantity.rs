//! Exact quantities of a chemical in its catalog unit (kg or L), never floats.
//!
//! On the wire a quantity is a decimal string with at most three fractional digits
//! ("125.500"); in storage it is an integer count of thousandths.

use std::fmt;

/// Integer digits allowed before the point: a trillion kilograms is far beyond any real
/// stock, and the bound keeps every sum of a firm's ledger inside `i64`.
const MAX_INTEGER_DIGITS: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity(i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("must be a decimal number such as \"125.500\"")]
    NotADecimal,
    #[error("must not be negative")]
    Negative,
    #[error("at most 3 digits after the decimal point are allowed")]
    TooManyDecimals,
    #[error("is larger than any quantity the registry accepts")]
    TooLarge,
}

impl QuantityError {
    pub fn code(self) -> &'static str {
        match self {
            QuantityError::NotADecimal => "invalid_quantity",
            QuantityError::Negative => "negative_quantity",
            QuantityError::TooManyDecimals => "too_many_decimals",
            QuantityError::TooLarge => "quantity_too_large",
        }
    }
}

impl Quantity {
    pub const ZERO: Quantity = Quantity(0);

    /// Parses a non-negative decimal string: digits, optionally a point and 1–3 digits.
    /// No sign, exponent, spaces or thousands separators, so nothing is ever rounded.
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        if let Some(rest) = text.strip_prefix('-') {
            return match Quantity::parse(rest) {
                Ok(_) => Err(QuantityError::Negative),
                Err(e) => Err(e),
            };
        }
        let (int_part, frac_part) = match text.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (text, None),
        };
        if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QuantityError::NotADecimal);
        }
        let frac = frac_part.unwrap_or("");
        if frac_part.is_some() && frac.is_empty() {
            return Err(QuantityError::NotADecimal);
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QuantityError::NotADecimal);
        }
        if frac.len() > 3 {
            return Err(QuantityError::TooManyDecimals);
        }
        let significant = int_part.trim_start_matches('0');
        if significant.len() > MAX_INTEGER_DIGITS {
            return Err(QuantityError::TooLarge);
        }
        let whole: i64 = significant.parse().unwrap_or(0);
        let mut thousandths: i64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            thousandths += i64::from(b - b'0') * 10_i64.pow(2 - i as u32);
        }
        Ok(Quantity(whole * 1000 + thousandths))
    }

    /// Builds a quantity from stored thousandths; storage only ever holds values that
    /// came through [`Quantity::parse`], so a negative value is a corrupt row.
    pub fn from_thousandths(thousandths: i64) -> Result<Quantity, QuantityError> {
        if thousandths < 0 {
            Err(QuantityError::Negative)
        } else if thousandths >= 10_i64.pow(MAX_INTEGER_DIGITS as u32 + 3) {
            Err(QuantityError::TooLarge)
        } else {
            Ok(Quantity(thousandths))
        }
    }

    pub fn thousandths(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_thousandths(f, self.0)
    }
}

/// A count of thousandths as `<integer>.<three digits>`, signed: balances and differences
/// can be negative where a filed `Quantity` cannot.
pub fn format_thousandths(thousandths: i64) -> String {
    struct Shown(i64);
    impl fmt::Display for Shown {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_thousandths(f, self.0)
        }
    }
    Shown(thousandths).to_string()
}

fn write_thousandths(f: &mut fmt::Formatter<'_>, thousandths: i64) -> fmt::Result {
    let sign = if thousandths < 0 { "-" } else { "" };
    let abs = thousandths.unsigned_abs();
    write!(f, "{sign}{}.{:03}", abs / 1000, abs % 1000)
}

impl serde::Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_signed_thousandths() {
        assert_eq!(format_thousandths(0), "0.000");
        assert_eq!(format_thousandths(1), "0.001");
        assert_eq!(format_thousandths(-1500), "-1.500");
        assert_eq!(format_thousandths(i64::MIN), "-9223372036854775.808");
    }

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(
            Quantity::parse("125.5").map(Quantity::thousandths),
            Ok(125_500)
        );
        assert_eq!(
            Quantity::parse("125.500").map(Quantity::thousandths),
            Ok(125_500)
        );
        assert_eq!(Quantity::parse("0.001").map(Quantity::thousandths), Ok(1));
        assert_eq!(Quantity::parse("7").map(Quantity::thousandths), Ok(7000));
        assert_eq!(
            Quantity::parse("007.10").map(Quantity::thousandths),
            Ok(7100)
        );
        assert_eq!(Quantity::parse("0").map(Quantity::thousandths), Ok(0));
    }

    #[test]
    fn rejects_what_is_not_an_exact_decimal() {
        for bad in [
            "", ".5", "5.", "1e3", "1.5e2", " 1", "1 ", "+1", "1,000", "abc", "1.2.3", "NaN",
            "0x10",
        ] {
            assert_eq!(
                Quantity::parse(bad),
                Err(QuantityError::NotADecimal),
                "{bad:?}"
            );
        }
        assert_eq!(Quantity::parse("-1.5"), Err(QuantityError::Negative));
        assert_eq!(
            Quantity::parse("1.2345"),
            Err(QuantityError::TooManyDecimals)
        );
        assert_eq!(
            Quantity::parse("1234567890123"),
            Err(QuantityError::TooLarge)
        );
        assert!(Quantity::parse("999999999999.999").is_ok());
    }

    #[test]
    fn displays_three_fractional_digits() {
        assert_eq!(
            Quantity::parse("125.5").map(|q| q.to_string()),
            Ok("125.500".into())
        );
        assert_eq!(
            Quantity::parse("0.02").map(|q| q.to_string()),
            Ok("0.020".into())
        );
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(thousandths in 0_i64..999_999_999_999_999) {
            let q = Quantity::from_thousandths(thousandths).unwrap();
            prop_assert_eq!(Quantity::parse(&q.to_string()), Ok(q));
        }

        #[test]
        fn parse_agrees_with_integer_arithmetic(whole in 0_u64..1_000_000_000, frac in 0_u16..1000, digits in 1_usize..=3) {
            // Write `frac` with exactly `digits` fractional digits and compare to the integer value.
            let scaled = u64::from(frac) / 10_u64.pow(3 - digits as u32);
            let text = format!("{whole}.{scaled:0width$}", width = digits);
            let expected = whole as i64 * 1000 + scaled as i64 * 10_i64.pow(3 - digits as u32);
            prop_assert_eq!(Quantity::parse(&text).map(Quantity::thousandths), Ok(expected));
        }

        #[test]
        fn never_panics_on_arbitrary_text(text in ".{0,24}") {
            let _ = Quantity::parse(&text);
        }
    }
}
