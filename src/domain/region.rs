//! Administrative division codes (行政区划代码, GB/T 2260): six digits, the first two a province.

use std::fmt;

/// Province-level prefixes of GB/T 2260 (mainland, Taiwan, Hong Kong, Macao).
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// A regular expression of every code `RegionCode::parse` accepts (for the OpenAPI document).
pub fn pattern() -> String {
    let provinces: Vec<String> = PROVINCES.iter().map(u8::to_string).collect();
    format!("^({})[0-9]{{4}}$", provinces.join("|"))
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("must be exactly 6 digits")]
    BadFormat,
    #[error("does not start with a province code of GB/T 2260")]
    UnknownProvince,
}

impl RegionCodeError {
    pub fn code(self) -> &'static str {
        match self {
            RegionCodeError::BadFormat => "invalid_region_code",
            RegionCodeError::UnknownProvince => "unknown_province",
        }
    }
}

impl RegionCode {
    pub fn parse(text: &str) -> Result<RegionCode, RegionCodeError> {
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError::BadFormat);
        }
        let province: u8 = text[..2].parse().map_err(|_| RegionCodeError::BadFormat)?;
        if !PROVINCES.contains(&province) {
            return Err(RegionCodeError::UnknownProvince);
        }
        Ok(RegionCode(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a firm registered in `code` lies within this division: a province (`XX0000`)
    /// holds every code starting with its two digits, a prefecture-level city (`XXXX00`) every
    /// code starting with its four, and a county-level code only itself.
    pub fn contains(&self, code: &str) -> bool {
        code.len() == 6 && code.starts_with(self.prefix())
    }

    /// The digits every code within this division starts with (2, 4 or all 6), for a query.
    pub fn prefix(&self) -> &str {
        let digits = if self.0.ends_with("0000") {
            2
        } else if self.0.ends_with("00") {
            4
        } else {
            6
        };
        &self.0[..digits]
    }

    /// The prefecture-level city (地级市) the code lies in, as the digits that name it: the first
    /// four, or for a municipality directly under the central government (Beijing, Tianjin,
    /// Shanghai, Chongqing) the first two, since the whole municipality is one city. A shipment
    /// between two cities needs a transport document (Decree 445; issue 12).
    pub fn city(&self) -> &str {
        let digits = if MUNICIPALITIES.contains(&&self.0[..2]) {
            2
        } else {
            4
        };
        &self.0[..digits]
    }

    /// Whether both codes lie in one prefecture-level city.
    pub fn same_city(&self, other: &RegionCode) -> bool {
        self.city() == other.city()
    }
}

/// Municipalities directly under the central government (直辖市), by their two digits.
const MUNICIPALITIES: [&str; 4] = ["11", "12", "31", "50"];

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_city_is_four_digits_and_a_municipality_is_one_city() {
        let code = |c: &str| RegionCode::parse(c).unwrap();
        // 宁德市蕉城区 and 福安市 (a county-level city of 宁德市): one city.
        assert!(code("350902").same_city(&code("350981")));
        // 宁德市 and 福州市鼓楼区: two cities of one province.
        assert!(!code("350902").same_city(&code("350102")));
        // 北京市东城区 and 北京市延庆区, 上海市黄浦区 and 上海市崇明区: one municipality each.
        assert!(code("110101").same_city(&code("110119")));
        assert!(code("310101").same_city(&code("310151")));
        assert!(!code("110101").same_city(&code("120101")));
        assert_eq!(code("500101").city(), "50");
        assert_eq!(code("350902").city(), "3509");
    }

    #[test]
    fn examples() {
        assert!(RegionCode::parse("350902").is_ok()); // 宁德市蕉城区
        assert!(RegionCode::parse("350982").is_ok()); // 福鼎市
        assert_eq!(RegionCode::parse("35090"), Err(RegionCodeError::BadFormat));
        assert_eq!(
            RegionCode::parse("3509021"),
            Err(RegionCodeError::BadFormat)
        );
        assert_eq!(RegionCode::parse("35O902"), Err(RegionCodeError::BadFormat));
        assert_eq!(
            RegionCode::parse("990902"),
            Err(RegionCodeError::UnknownProvince)
        );
        let ningde = RegionCode::parse("350900").unwrap();
        assert!(
            ningde.contains("350902") && ningde.contains("350982") && !ningde.contains("350100")
        );
        assert!(RegionCode::parse("350000").unwrap().contains("350100"));
        assert!(!RegionCode::parse("350902").unwrap().contains("350982"));
        assert_eq!(
            RegionCode::parse("０５０９０２"),
            Err(RegionCodeError::BadFormat)
        );
    }

    proptest! {
        /// Same city is an equivalence, and codes within one division of a city are in it.
        #[test]
        fn same_city_is_symmetric_and_follows_the_first_digits(a in 0_u32..100, b in 0_u32..100, c in 0_u32..100, prov in prop::sample::select(vec!["11", "35", "31", "44"])) {
            let x = RegionCode::parse(&format!("{prov}{a:02}{b:02}")).unwrap();
            let y = RegionCode::parse(&format!("{prov}{a:02}{c:02}")).unwrap();
            prop_assert!(x.same_city(&y) && y.same_city(&x) && x.same_city(&x));
            let z = RegionCode::parse(&format!("{prov}{:02}{b:02}", (a + 1) % 100)).unwrap();
            prop_assert_eq!(x.same_city(&z), MUNICIPALITIES.contains(&prov));
        }
    }

    proptest! {
        #[test]
        fn six_digits_parse_exactly_when_the_province_is_known(n in 0_u32..1_000_000) {
            let text = format!("{n:06}");
            let known = PROVINCES.contains(&((n / 10_000) as u8));
            prop_assert_eq!(RegionCode::parse(&text).is_ok(), known);
        }

        #[test]
        fn a_division_holds_itself_its_cities_and_counties_and_nothing_else(n in 110_000_u32..830_000, m in 0_u32..1_000_000) {
            let (Ok(a), Ok(b)) = (RegionCode::parse(&format!("{n:06}")), RegionCode::parse(&format!("{m:06}"))) else {
                return Ok(());
            };
            prop_assert!(a.contains(a.as_str()));
            let province = RegionCode::parse(&format!("{}0000", &a.0[..2])).unwrap();
            let city = RegionCode::parse(&format!("{}00", &a.0[..4])).unwrap();
            prop_assert!(province.contains(a.as_str()) && city.contains(a.as_str()));
            prop_assert_eq!(province.contains(b.as_str()), a.0[..2] == b.0[..2]);
            if !a.0.ends_with("00") {
                prop_assert_eq!(a.contains(b.as_str()), a == b);
            }
        }

        #[test]
        fn never_panics(text in ".{0,10}") {
            let _ = RegionCode::parse(&text);
        }
    }
}
