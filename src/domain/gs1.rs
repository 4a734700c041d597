//! GS1 keys as EPCIS 2.0 names them (issue 14): GTINs, GLNs and company prefixes with their
//! mod-10 check digit, in the EPC URN forms (`urn:epc:id:sgln:…`, `urn:epc:id:pgln:…`,
//! `urn:epc:class:lgtin:…`, GS1 EPC Tag Data Standard §6) and the GS1 Digital Link form
//! (`https://id.gs1.org/01/…/10/…`, AIs 01, 10, 414, 254, 417). Parsing either form gives the same
//! key; a URN needs the company prefix's length, which only the firm's registration knows.

use std::fmt;

/// What is wrong with a GS1 key, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Gs1Error {
    #[error("must be {0} digits")]
    Length(&'static str),
    #[error("must be digits only")]
    NotDigits,
    #[error("the check digit is wrong")]
    CheckDigit,
    #[error("the lot must be 1–20 letters, digits, '-', '.' or '_'")]
    Lot,
    #[error("is neither an EPC URN nor a GS1 Digital Link this registry reads")]
    Form,
}

impl Gs1Error {
    pub fn code(&self) -> &'static str {
        match self {
            Gs1Error::Length(_) => "invalid_gs1_length",
            Gs1Error::NotDigits => "invalid_gs1_digits",
            Gs1Error::CheckDigit => "invalid_gs1_check_digit",
            Gs1Error::Lot => "invalid_gs1_lot",
            Gs1Error::Form => "invalid_gs1_form",
        }
    }
}

/// The GS1 check digit of `digits` (all but the check digit): weights 3, 1, 3, … from the right.
pub fn check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn digits(text: &str) -> Result<Vec<u8>, Gs1Error> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Gs1Error::NotDigits);
    }
    Ok(text.bytes().map(|b| b - b'0').collect())
}

fn checked(text: &str, len: usize, name: &'static str) -> Result<String, Gs1Error> {
    let d = digits(text)?;
    if d.len() != len {
        return Err(Gs1Error::Length(name));
    }
    if check_digit(&d[..len - 1]) != d[len - 1] {
        return Err(Gs1Error::CheckDigit);
    }
    Ok(text.to_string())
}

/// A Global Trade Item Number, kept as GTIN-14 (a GTIN-8, -12 or -13 is padded with zeros).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin(String);

impl Gtin {
    pub fn parse(text: &str) -> Result<Gtin, Gs1Error> {
        let text = text.trim();
        if ![8, 12, 13, 14].contains(&text.len()) {
            return Err(Gs1Error::Length("8, 12, 13 or 14"));
        }
        let padded = format!("{text:0>14}");
        checked(&padded, 14, "14").map(Gtin)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Global Location Number (13 digits): a site (SGLN) or a party (PGLN).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gln(String);

impl Gln {
    pub fn parse(text: &str) -> Result<Gln, Gs1Error> {
        checked(text.trim(), 13, "13").map(Gln)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A GS1 company prefix: 6 to 12 digits (no check digit).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CompanyPrefix(String);

impl CompanyPrefix {
    pub fn parse(text: &str) -> Result<CompanyPrefix, Gs1Error> {
        let text = text.trim();
        digits(text)?;
        if !(6..=12).contains(&text.len()) {
            return Err(Gs1Error::Length("6 to 12"));
        }
        Ok(CompanyPrefix(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a GLN or GTIN-14 (without its indicator digit) begins with this prefix.
    fn starts(&self, key: &str) -> bool {
        key.starts_with(&self.0)
    }
}

/// A lot or batch number (AI 10), as far as this registry takes them.
fn lot(text: &str) -> Result<String, Gs1Error> {
    let ok = (1..=20).contains(&text.chars().count())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    ok.then(|| text.to_string()).ok_or(Gs1Error::Lot)
}

/// A GS1 key as EPCIS events name things.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Gs1Key {
    /// A site, with its extension (`0` for none).
    Location { gln: Gln, extension: String },
    /// A party (EPCIS 2.0 source and destination).
    Party { gln: Gln },
    /// A product's lot (an LGTIN class).
    Lot { gtin: Gtin, lot: String },
    /// A product, any lot.
    Product { gtin: Gtin },
}

const LINK: &str = "https://id.gs1.org/";

impl Gs1Key {
    /// Reads an EPC URN or a GS1 Digital Link.
    pub fn parse(text: &str) -> Result<Gs1Key, Gs1Error> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("urn:epc:id:sgln:") {
            let [prefix, location, extension] = parts::<3>(rest)?;
            let gln = gln_of(prefix, location)?;
            let extension = if extension.is_empty() { "0" } else { extension };
            return Ok(Gs1Key::Location {
                gln,
                extension: lot(extension)?,
            });
        }
        if let Some(rest) = text.strip_prefix("urn:epc:id:pgln:") {
            let [prefix, party] = parts::<2>(rest)?;
            return Ok(Gs1Key::Party {
                gln: gln_of(prefix, party)?,
            });
        }
        if let Some(rest) = text.strip_prefix("urn:epc:class:lgtin:") {
            let [prefix, item, lot_text] = parts::<3>(rest)?;
            return Ok(Gs1Key::Lot {
                gtin: gtin_of(prefix, item)?,
                lot: lot(lot_text)?,
            });
        }
        if let Some(rest) = text.strip_prefix("urn:epc:idpat:sgtin:") {
            // Every instance of one product: the class of the GTIN, any lot.
            let [prefix, item, star] = parts::<3>(rest)?;
            if star != "*" {
                return Err(Gs1Error::Form);
            }
            return Ok(Gs1Key::Product {
                gtin: gtin_of(prefix, item)?,
            });
        }
        if let Some(path) = text.strip_prefix(LINK) {
            return Self::from_link(path);
        }
        Err(Gs1Error::Form)
    }

    fn from_link(path: &str) -> Result<Gs1Key, Gs1Error> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        match segments.as_slice() {
            ["01", gtin] => Ok(Gs1Key::Product {
                gtin: Gtin::parse(gtin)?,
            }),
            ["01", gtin, "10", lot_text] => Ok(Gs1Key::Lot {
                gtin: Gtin::parse(gtin)?,
                lot: lot(lot_text)?,
            }),
            ["414", gln] => Ok(Gs1Key::Location {
                gln: Gln::parse(gln)?,
                extension: "0".into(),
            }),
            ["414", gln, "254", extension] => Ok(Gs1Key::Location {
                gln: Gln::parse(gln)?,
                extension: lot(extension)?,
            }),
            ["417", gln] => Ok(Gs1Key::Party {
                gln: Gln::parse(gln)?,
            }),
            _ => Err(Gs1Error::Form),
        }
    }

    /// One lot of a product, the lot checked as GS1 takes it.
    pub fn lot_of(gtin: &Gtin, lot_text: &str) -> Result<Gs1Key, Gs1Error> {
        Ok(Gs1Key::Lot {
            gtin: gtin.clone(),
            lot: lot(lot_text)?,
        })
    }

    /// The GS1 Digital Link form.
    pub fn to_link(&self) -> String {
        match self {
            Gs1Key::Location { gln, extension } if extension == "0" => {
                format!("{LINK}414/{}", gln.as_str())
            }
            Gs1Key::Location { gln, extension } => {
                format!("{LINK}414/{}/254/{extension}", gln.as_str())
            }
            Gs1Key::Party { gln } => format!("{LINK}417/{}", gln.as_str()),
            Gs1Key::Lot { gtin, lot } => format!("{LINK}01/{}/10/{lot}", gtin.as_str()),
            Gs1Key::Product { gtin } => format!("{LINK}01/{}", gtin.as_str()),
        }
    }

    /// The EPC URN form, split at the firm's company prefix; `None` when the key does not begin
    /// with it, or for a product without a lot (which has no URN class here).
    pub fn to_urn(&self, prefix: &CompanyPrefix) -> Option<String> {
        let p = prefix.as_str();
        match self {
            Gs1Key::Location { gln, extension } if prefix.starts(gln.as_str()) => {
                let location = &gln.as_str()[p.len()..12];
                Some(format!("urn:epc:id:sgln:{p}.{location}.{extension}"))
            }
            Gs1Key::Party { gln } if prefix.starts(gln.as_str()) => {
                let party = &gln.as_str()[p.len()..12];
                Some(format!("urn:epc:id:pgln:{p}.{party}"))
            }
            Gs1Key::Lot { gtin, lot } if prefix.starts(&gtin.as_str()[1..]) => {
                let g = gtin.as_str();
                let item = format!("{}{}", &g[..1], &g[1 + p.len()..13]);
                Some(format!("urn:epc:class:lgtin:{p}.{item}.{lot}"))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Gs1Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_link())
    }
}

fn parts<const N: usize>(rest: &str) -> Result<[&str; N], Gs1Error> {
    // The last part (a lot or an extension) may itself hold dots.
    let pieces: Vec<&str> = rest.splitn(N, '.').collect();
    pieces.try_into().map_err(|_| Gs1Error::Form)
}

/// The GLN of a URN's company prefix and reference (12 digits together), its check digit added.
fn gln_of(prefix: &str, reference: &str) -> Result<Gln, Gs1Error> {
    CompanyPrefix::parse(prefix)?;
    if !reference.is_empty() {
        digits(reference)?;
    }
    let body = format!("{prefix}{reference}");
    if body.len() != 12 {
        return Err(Gs1Error::Length("12 (company prefix and reference)"));
    }
    let d = digits(&body)?;
    Gln::parse(&format!("{body}{}", check_digit(&d)))
}

/// The GTIN-14 of an LGTIN URN: indicator digit, company prefix, item reference, check digit.
fn gtin_of(prefix: &str, indicator_item: &str) -> Result<Gtin, Gs1Error> {
    CompanyPrefix::parse(prefix)?;
    digits(indicator_item)?;
    if prefix.len() + indicator_item.len() != 13 {
        return Err(Gs1Error::Length(
            "13 (company prefix, indicator and item reference)",
        ));
    }
    let body = format!("{}{prefix}{}", &indicator_item[..1], &indicator_item[1..]);
    let d = digits(&body)?;
    Gtin::parse(&format!("{body}{}", check_digit(&d)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn check_digits_of_known_keys() {
        // GS1's own examples: GTIN 9521234543213 (GS1 China prefix), GLN 0614141000005.
        assert!(Gtin::parse("9521234543213").is_ok());
        assert_eq!(
            Gtin::parse("9521234543213").unwrap().as_str(),
            "09521234543213"
        );
        assert_eq!(Gtin::parse("9521234543214"), Err(Gs1Error::CheckDigit));
        assert!(Gln::parse("0614141000005").is_ok());
        assert_eq!(Gln::parse("061414100000"), Err(Gs1Error::Length("13")));
        assert_eq!(Gln::parse("06141410000x5"), Err(Gs1Error::NotDigits));
    }

    #[test]
    fn the_urn_and_the_digital_link_name_the_same_key() {
        // The GS1 EPCIS examples' sites and classes (company prefix 0614141).
        let sgln = Gs1Key::parse("urn:epc:id:sgln:0614141.00777.0").unwrap();
        let link = Gs1Key::parse("https://id.gs1.org/414/0614141007776").unwrap();
        assert_eq!(sgln, link);
        let prefix = CompanyPrefix::parse("0614141").unwrap();
        assert_eq!(
            link.to_urn(&prefix).unwrap(),
            "urn:epc:id:sgln:0614141.00777.0"
        );
        let lgtin = Gs1Key::parse("urn:epc:class:lgtin:4012345.012345.998877").unwrap();
        assert_eq!(
            lgtin.to_link(),
            "https://id.gs1.org/01/04012345123456/10/998877"
        );
        let party = Gs1Key::parse("urn:epc:id:pgln:0614141.00001").unwrap();
        assert_eq!(party.to_link(), "https://id.gs1.org/417/0614141000012");
        assert_eq!(
            Gs1Key::parse("urn:epc:idpat:sgtin:4012345.066666.*").unwrap(),
            Gs1Key::parse("https://id.gs1.org/01/04012345666663").unwrap(),
            "a pattern of every serial is the product's class"
        );
        assert_eq!(
            Gs1Key::parse("urn:epc:idpat:sgtin:4012345.066666.12"),
            Err(Gs1Error::Form)
        );
        assert_eq!(
            Gs1Key::parse("urn:epc:id:sgtin:0614141.812345.6789"),
            Err(Gs1Error::Form)
        );
        assert_eq!(
            Gs1Key::parse("https://id.gs1.org/01/04012345123457/10/998877"),
            Err(Gs1Error::CheckDigit)
        );
        assert_eq!(
            link.to_urn(&CompanyPrefix::parse("9521234").unwrap()),
            None,
            "another firm's prefix"
        );
    }

    fn with_check(body: &[u8]) -> String {
        let mut s: String = body.iter().map(|d| char::from(b'0' + d)).collect();
        s.push(char::from(b'0' + check_digit(body)));
        s
    }

    proptest! {
        #[test]
        fn a_key_with_its_check_digit_parses_and_any_one_digit_changed_does_not(
            body in proptest::collection::vec(0_u8..10, 12),
            at in 0_usize..13,
            by in 1_u8..10,
        ) {
            let gln = with_check(&body);
            prop_assert!(Gln::parse(&gln).is_ok());
            let mut changed: Vec<u8> = gln.bytes().map(|b| b - b'0').collect();
            changed[at] = (changed[at] + by) % 10;
            let changed: String = changed.iter().map(|d| char::from(b'0' + d)).collect();
            prop_assert_eq!(Gln::parse(&changed), Err(Gs1Error::CheckDigit));
        }

        #[test]
        fn urns_and_links_round_trip(
            prefix_len in 6_usize..=12,
            body in proptest::collection::vec(0_u8..10, 13),
            lot_text in "[A-Za-z0-9._-]{1,20}",
        ) {
            let prefix: String = body[1..=prefix_len].iter().map(|d| char::from(b'0' + d)).collect();
            let prefix = CompanyPrefix::parse(&prefix).unwrap();
            let gtin = Gtin::parse(&with_check(&body)).unwrap();
            let key = Gs1Key::Lot { gtin, lot: lot_text };
            let urn = key.to_urn(&prefix).unwrap();
            prop_assert_eq!(&Gs1Key::parse(&urn).unwrap(), &key);
            prop_assert_eq!(&Gs1Key::parse(&key.to_link()).unwrap(), &key);
            let gln = Gln::parse(&with_check(&body[1..])).unwrap();
            let site = Gs1Key::Location { gln, extension: "0".into() };
            let prefix_of_gln = CompanyPrefix::parse(&prefix.as_str()[..prefix_len]).unwrap();
            if let Some(urn) = site.to_urn(&prefix_of_gln) {
                prop_assert_eq!(&Gs1Key::parse(&urn).unwrap(), &site);
            }
            prop_assert_eq!(&Gs1Key::parse(&site.to_link()).unwrap(), &site);
        }
    }
}
