//! Names and numbers of the roster: company names, unified social credit codes, addresses and
//! lot prefixes, each unique in the province.

use std::collections::HashSet;

use super::super::rng::Rng;
use super::super::world::{self, REGIONS};
use crate::domain::credit_code::check_character;

/// Alphabet of unified social credit codes (GB 32100).
const CODE_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A valid credit code: `head` (registration authority and type), the region, nine random
/// characters of organization code, and the GB 32100 check character.
pub(super) fn credit_code(
    rng: &mut Rng,
    head: &str,
    region: &str,
    taken: &mut HashSet<String>,
) -> String {
    loop {
        let mut first17 = format!("{head}{region}");
        if rng.chance(600) {
            // Registered since 2015: organization part starts with MA.
            first17.push_str("MA");
            for _ in 0..7 {
                first17.push(char::from(CODE_ALPHABET[rng.index(31)]));
            }
        } else {
            for _ in 0..8 {
                first17.push(char::from(b'0' + rng.below(10) as u8));
            }
            first17.push(char::from(CODE_ALPHABET[rng.index(31)]));
        }
        if let Some(check) = check_character(first17.as_bytes()) {
            let code = format!("{first17}{check}");
            if taken.insert(code.clone()) {
                return code;
            }
        }
    }
}

/// Hands out company names no other firm of the province has.
#[derive(Default)]
pub(super) struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    pub(super) fn company(&mut self, rng: &mut Rng, region: usize, suffixes: &[&str]) -> String {
        let prefix = REGIONS[region].prefix;
        for attempt in 0..200 {
            let trade = rng.pick(world::TRADE_NAMES).copied().unwrap_or("华信");
            let suffix = rng.pick(suffixes).copied().unwrap_or("有限公司");
            let lead = match rng.below(20) {
                0..=10 => prefix,
                11..=16 => "宁德",
                _ => "福建",
            };
            let name = if attempt < 150 {
                format!("{lead}{trade}{suffix}")
            } else {
                // A crowded province: a second trade name.
                let more = rng.pick(world::TRADE_NAMES).copied().unwrap_or("恒达");
                format!("{lead}{trade}{more}{suffix}")
            };
            if self.taken.insert(name.clone()) {
                return name;
            }
        }
        let name = format!("{prefix}第{}{}", self.taken.len() + 1, suffixes[0]);
        self.taken.insert(name.clone());
        name
    }

    pub(super) fn public_lab(&mut self, rng: &mut Rng, region: usize) -> Option<String> {
        let kind = rng.pick(world::PUBLIC_LABS)?;
        let name = format!("{}{kind}", REGIONS[region].prefix);
        self.taken.insert(name.clone()).then_some(name)
    }
}

pub(super) fn address(rng: &mut Rng, region: usize) -> String {
    let r = &REGIONS[region];
    let area = rng.pick(r.areas).copied().unwrap_or("");
    let road = rng.pick(world::ROADS).copied().unwrap_or("工业路");
    format!(
        "福建省宁德市{}{area}{road}{}号",
        r.prefix.trim_start_matches("宁德市"),
        rng.range(1, 288)
    )
}

pub(super) fn lot_code(rng: &mut Rng, taken: &mut HashSet<String>) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUWXYZ";
    loop {
        let code: String = (0..2)
            .map(|_| char::from(LETTERS[rng.index(LETTERS.len())]))
            .collect();
        if taken.insert(code.clone()) {
            return code;
        }
    }
}
