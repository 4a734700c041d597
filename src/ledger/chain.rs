//! The per-firm hash chain: `hash = SHA-256(prev_hash ‖ canonical_bytes(entry))`.
//!
//! `canonical_bytes` is specified in docs/ledger.md so that an auditor can recompute a chain
//! without this code; change nothing here without changing the format version there.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Prefix of every canonical serialization; names the format version.
pub const FORMAT: &str = "precursor-registry/ledger-entry/v1";

/// v1 and two more fields (`counterparty_resident_id`, `payment`): the format of an entry that
/// has either. Entries without them stay v1, so every chain filed before still verifies.
pub const FORMAT_V2: &str = "precursor-registry/ledger-entry/v2";

/// `prev_hash` of a firm's first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// The immutable fields of an entry, exactly as hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedFields<'a> {
    pub id: &'a str,
    pub firm_id: &'a str,
    pub seq: i64,
    pub kind: &'a str,
    pub chemical_id: &'a str,
    pub lot: Option<&'a str>,
    /// Thousandths of the chemical's unit.
    pub quantity: i64,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: &'a str,
    pub counterparty_firm_id: Option<&'a str>,
    pub counterparty_name: Option<&'a str>,
    pub counterparty_credit_code: Option<&'a str>,
    pub counterparty_permit_no: Option<&'a str>,
    pub shipment_ref: Option<&'a str>,
    pub permit_no: Option<&'a str>,
    pub transport_permit_no: Option<&'a str>,
    pub warehouse: Option<&'a str>,
    pub note: Option<&'a str>,
    pub reverses: Option<&'a str>,
    pub counterparty_resident_id: Option<&'a str>,
    pub payment: Option<&'a str>,
}

/// Times as `YYYY-MM-DDTHH:MM:SS.ffffffZ`: UTC, always six fractional digits.
pub fn canonical_time(time: DateTime<Utc>) -> String {
    let mut out = Vec::with_capacity(27);
    write_time(&mut out, time);
    String::from_utf8(out).unwrap_or_default()
}

fn write_time(out: &mut Vec<u8>, time: DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    // Written by hand, not with a format string: this runs for every entry of every verification.
    push_num(out, u64::try_from(time.year()).unwrap_or(0), 4);
    out.push(b'-');
    push_num(out, u64::from(time.month()), 2);
    out.push(b'-');
    push_num(out, u64::from(time.day()), 2);
    out.push(b'T');
    push_num(out, u64::from(time.hour()), 2);
    out.push(b':');
    push_num(out, u64::from(time.minute()), 2);
    out.push(b':');
    push_num(out, u64::from(time.second()), 2);
    out.push(b'.');
    push_num(out, u64::from(time.nanosecond() / 1000 % 1_000_000), 6);
    out.push(b'Z');
}

/// Appends `n` in decimal, left-padded with zeros to `width` digits.
fn push_num(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let used = digits.len() - i;
    out.extend(std::iter::repeat_n(b'0', width.saturating_sub(used)));
    out.extend_from_slice(&digits[i..]);
}

fn push_signed(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_num(out, n.unsigned_abs(), 1);
}

fn field(out: &mut Vec<u8>, name: &str, value: Option<&str>) {
    out.extend_from_slice(name.as_bytes());
    match value {
        // `name:<byte length>:<value>\n` — the length makes any value (even one with newlines) unambiguous.
        Some(v) => {
            out.push(b':');
            push_num(out, v.len() as u64, 1);
            out.push(b':');
            out.extend_from_slice(v.as_bytes());
        }
        // `name:-\n` — an absent field.
        None => out.extend_from_slice(b":-"),
    }
    out.push(b'\n');
}

/// A field whose value (a number or a time) is written into `scratch` first, for its length.
fn field_with(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    name: &str,
    write: impl FnOnce(&mut Vec<u8>),
) {
    scratch.clear();
    write(scratch);
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    push_num(out, scratch.len() as u64, 1);
    out.push(b':');
    out.extend_from_slice(scratch);
    out.push(b'\n');
}

pub fn canonical_bytes(e: &HashedFields<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(640);
    write_canonical(&mut out, e);
    out
}

/// Appends the canonical bytes of `e` to `out`.
pub fn write_canonical(out: &mut Vec<u8>, e: &HashedFields<'_>) {
    let mut scratch = Vec::with_capacity(32);
    let v2 = e.counterparty_resident_id.is_some() || e.payment.is_some();
    out.extend_from_slice(if v2 { FORMAT_V2 } else { FORMAT }.as_bytes());
    out.push(b'\n');
    field(out, "id", Some(e.id));
    field(out, "firm_id", Some(e.firm_id));
    field_with(out, &mut scratch, "seq", |v| push_signed(v, e.seq));
    field(out, "kind", Some(e.kind));
    field(out, "chemical_id", Some(e.chemical_id));
    field(out, "lot", e.lot);
    field_with(out, &mut scratch, "quantity", |v| {
        if e.quantity < 0 {
            v.push(b'-');
        }
        let abs = e.quantity.unsigned_abs();
        push_num(v, abs / 1000, 1);
        v.push(b'.');
        push_num(v, abs % 1000, 3);
    });
    field_with(out, &mut scratch, "occurred_at", |v| {
        write_time(v, e.occurred_at)
    });
    field_with(out, &mut scratch, "recorded_at", |v| {
        write_time(v, e.recorded_at)
    });
    field(out, "recorded_by", Some(e.recorded_by));
    field(out, "counterparty_firm_id", e.counterparty_firm_id);
    field(out, "counterparty_name", e.counterparty_name);
    field(out, "counterparty_credit_code", e.counterparty_credit_code);
    field(out, "counterparty_permit_no", e.counterparty_permit_no);
    field(out, "shipment_ref", e.shipment_ref);
    field(out, "permit_no", e.permit_no);
    field(out, "transport_permit_no", e.transport_permit_no);
    field(out, "warehouse", e.warehouse);
    field(out, "note", e.note);
    field(out, "reverses", e.reverses);
    if v2 {
        field(out, "counterparty_resident_id", e.counterparty_resident_id);
        field(out, "payment", e.payment);
    }
}

pub fn entry_hash(prev_hash: &[u8; 32], entry: &HashedFields<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(canonical_bytes(entry));
    hasher.finalize().into()
}

/// Parses a stored lowercase-hex hash.
pub fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let mut hash = [0_u8; 32];
    hex::decode_to_slice(text, &mut hash).ok()?;
    Some(hash)
}

/// The outcome of re-walking a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub entries: u64,
    pub head_hash: String,
    /// The first seq where the chain breaks: a hole or repeat in seq, a `prev_hash` that is not
    /// the previous entry's hash, or a `hash` that does not match the entry's fields.
    pub first_bad_seq: Option<i64>,
}

/// One stored entry as the verifier sees it.
pub struct StoredLink<'a> {
    pub fields: HashedFields<'a>,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

/// Streams over a firm's entries in seq order and finds the first break.
#[derive(Debug)]
pub struct Verifier {
    expected_seq: i64,
    prev: [u8; 32],
    entries: u64,
    first_bad_seq: Option<i64>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            expected_seq: 1,
            prev: GENESIS,
            entries: 0,
            first_bad_seq: None,
        }
    }
}

impl Verifier {
    pub fn push(&mut self, link: &StoredLink<'_>) {
        self.entries += 1;
        if self.first_bad_seq.is_some() {
            return;
        }
        let seq = link.fields.seq;
        let recomputed = entry_hash(&self.prev, &link.fields);
        let good = seq == self.expected_seq
            && parse_hash(link.prev_hash) == Some(self.prev)
            && parse_hash(link.hash) == Some(recomputed);
        if !good {
            // A missing seq is reported as the seq that should have been there.
            self.first_bad_seq = Some(seq.min(self.expected_seq));
            return;
        }
        self.prev = recomputed;
        self.expected_seq += 1;
    }

    pub fn finish(self) -> Verification {
        Verification {
            entries: self.entries,
            head_hash: hex::encode(self.prev),
            first_bad_seq: self.first_bad_seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn sample(seq: i64, note: Option<&'static str>) -> HashedFields<'static> {
        HashedFields {
            id: "01936f1e-0000-7000-8000-000000000001",
            firm_id: "01936f1e-0000-7000-8000-00000000000f",
            seq,
            kind: "sale",
            chemical_id: "01936f1e-0000-7000-8000-0000000000c1",
            lot: Some("L2026-0412"),
            quantity: 250_000,
            occurred_at: Utc.with_ymd_and_hms(2026, 4, 12, 8, 30, 0).unwrap(),
            recorded_at: Utc.with_ymd_and_hms(2026, 4, 12, 9, 0, 0).unwrap(),
            recorded_by: "01936f1e-0000-7000-8000-0000000000aa",
            counterparty_firm_id: Some("01936f1e-0000-7000-8000-0000000000b2"),
            counterparty_name: None,
            counterparty_credit_code: None,
            counterparty_permit_no: None,
            shipment_ref: Some("YD-20260412-0031"),
            permit_no: None,
            transport_permit_no: Some("T-1"),
            warehouse: Some("W1"),
            note,
            reverses: None,
            counterparty_resident_id: None,
            payment: None,
        }
    }

    #[test]
    fn canonical_bytes_match_the_documented_example() {
        let text = String::from_utf8(canonical_bytes(&sample(1, Some("两桶\n共250kg")))).unwrap();
        let expected = "precursor-registry/ledger-entry/v1\n\
            id:36:01936f1e-0000-7000-8000-000000000001\n\
            firm_id:36:01936f1e-0000-7000-8000-00000000000f\n\
            seq:1:1\n\
            kind:4:sale\n\
            chemical_id:36:01936f1e-0000-7000-8000-0000000000c1\n\
            lot:10:L2026-0412\n\
            quantity:7:250.000\n\
            occurred_at:27:2026-04-12T08:30:00.000000Z\n\
            recorded_at:27:2026-04-12T09:00:00.000000Z\n\
            recorded_by:36:01936f1e-0000-7000-8000-0000000000aa\n\
            counterparty_firm_id:36:01936f1e-0000-7000-8000-0000000000b2\n\
            counterparty_name:-\n\
            counterparty_credit_code:-\n\
            counterparty_permit_no:-\n\
            shipment_ref:16:YD-20260412-0031\n\
            permit_no:-\n\
            transport_permit_no:3:T-1\n\
            warehouse:2:W1\n\
            note:15:两桶\n共250kg\n\
            reverses:-\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn an_entry_with_a_payment_or_a_person_is_v2_with_both_fields_last() {
        let paid = HashedFields {
            payment: Some("bank_transfer"),
            ..sample(1, None)
        };
        let text = String::from_utf8(canonical_bytes(&paid)).unwrap();
        assert!(text.starts_with("precursor-registry/ledger-entry/v2\n"));
        assert!(
            text.ends_with("reverses:-\ncounterparty_resident_id:-\npayment:13:bank_transfer\n")
        );
        let v1 = String::from_utf8(canonical_bytes(&sample(1, None))).unwrap();
        assert_eq!(
            text.lines().skip(1).take(20).collect::<Vec<_>>(),
            v1.lines().skip(1).collect::<Vec<_>>(),
            "v2 is v1's fields, then the two new ones"
        );
        let person = HashedFields {
            counterparty_resident_id: Some("11010519491231002X"),
            ..sample(1, None)
        };
        assert_ne!(
            entry_hash(&GENESIS, &person),
            entry_hash(&GENESIS, &sample(1, None))
        );
    }

    #[test]
    fn absent_and_empty_are_different() {
        assert_ne!(
            canonical_bytes(&sample(1, None)),
            canonical_bytes(&sample(1, Some("")))
        );
    }

    proptest! {
        /// The hashed quantity is written allocation-free, but must read exactly as shown.
        #[test]
        fn hashed_quantity_reads_as_displayed(q in any::<i64>()) {
            let fields = HashedFields { quantity: q, ..sample(1, None) };
            let text = crate::domain::quantity::format_thousandths(q);
            let expected = format!("\nquantity:{}:{text}\n", text.len());
            let bytes = canonical_bytes(&fields);
            prop_assert!(String::from_utf8_lossy(&bytes).contains(&expected));
        }
    }

    fn chain(n: i64) -> Vec<(HashedFields<'static>, String, String)> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let fields = sample(seq, None);
                let hash = entry_hash(&prev, &fields);
                let link = (fields, hex::encode(prev), hex::encode(hash));
                prev = hash;
                link
            })
            .collect()
    }

    fn verify(links: &[(HashedFields<'static>, String, String)]) -> Verification {
        let mut v = Verifier::default();
        for (fields, prev, hash) in links {
            v.push(&StoredLink {
                fields: fields.clone(),
                prev_hash: prev,
                hash,
            });
        }
        v.finish()
    }

    #[test]
    fn an_empty_chain_verifies_with_the_genesis_head() {
        let v = verify(&[]);
        assert_eq!((v.entries, v.first_bad_seq), (0, None));
        assert_eq!(v.head_hash, "0".repeat(64));
    }

    proptest! {
        #[test]
        fn intact_chains_verify_and_any_single_change_is_found_at_its_seq(n in 1_i64..30, pick in 0_usize..30, what in 0_u8..4) {
            let mut links = chain(n);
            let v = verify(&links);
            prop_assert_eq!(v.first_bad_seq, None);
            prop_assert_eq!(&v.head_hash, &links.last().unwrap().2);

            let i = pick % links.len();
            let seq = links[i].0.seq;
            match what {
                0 => links[i].0.quantity += 1,
                1 => links[i].0.lot = Some("L-OTHER"),
                2 => { links.remove(i); }
                _ => links[i].2 = "ab".repeat(32),
            }
            let v = verify(&links);
            if what == 2 && i == links.len() {
                // Dropping the head leaves a shorter chain that is itself intact.
                prop_assert_eq!(v.first_bad_seq, None);
            } else {
                prop_assert_eq!(v.first_bad_seq, Some(seq));
            }
        }
    }
}
