//! Signed checkpoints: a C2SP tlog-checkpoint body (<https://c2sp.org/tlog-checkpoint>) in a
//! C2SP signed note (<https://c2sp.org/signed-note>) with one ed25519 signature.
//!
//! The key id and the verifier-key string are those of golang.org/x/mod/sumdb/note, so the
//! Go tools and other tlog clients read and check these notes as they are.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::merkle::Hash;

/// Signature type byte of ed25519 in key ids and verifier keys.
const ED25519: u8 = 0x01;
/// Starts every signature line: an em dash and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// Starts our one extension line.
const TIME_PREFIX: &str = "time ";
/// Signature lines a note may have; the spec asks verifiers to accept at least 16.
pub const MAX_SIGNATURES: usize = 100;

/// Why a note, a checkpoint or a verifier key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("malformed checkpoint: {0}")]
    Checkpoint(&'static str),
    #[error(
        "invalid key name {0:?}: it must be non-empty, without spaces, '+' or control characters"
    )]
    KeyName(String),
    #[error("malformed verifier key: {0}")]
    VerifierKey(&'static str),
    #[error("the signature of {name} (key id {id:08x}) does not verify")]
    BadSignature { name: String, id: u32 },
    #[error("the note has no signature of {name} (key id {id:08x})")]
    NotSigned { name: String, id: u32 },
}

/// A signed tree head: the log's tree of `size` leaves has root `root` at `time`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name, the note's first line: one non-empty line.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Whole seconds: the note writes no fraction.
    pub time: DateTime<Utc>,
}

impl Checkpoint {
    /// A checkpoint with `time` cut to the second, as it will be written.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash, time: DateTime<Utc>) -> Self {
        let (origin, time) = (origin.into(), time.trunc_subsecs(0));
        Self {
            origin,
            size,
            root,
            time,
        }
    }

    /// The note text: origin, tree size, base64 root and the `time` extension line.
    pub fn format(&self) -> String {
        let root = STANDARD.encode(self.root);
        let time = self.time.to_rfc3339_opts(SecondsFormat::Secs, true);
        format!(
            "{}\n{}\n{root}\n{TIME_PREFIX}{time}\n",
            self.origin, self.size
        )
    }

    /// Reads a note text written by [`Checkpoint::format`], refusing any other form: a size
    /// with a sign or leading zeros, a non-canonical base64 root or time, other extension lines.
    pub fn parse(body: &str) -> Result<Self, NoteError> {
        let (origin, size, root, extensions) = split_body(body)?;
        let [time] = extensions[..] else {
            return Err(NoteError::Checkpoint(
                "expected one extension line, the time",
            ));
        };
        let time = parse_time(time)?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            time,
        })
    }

    /// The whole signed note: the text, a blank line and the signature of `key` as `key_name`.
    pub fn sign(&self, key: &SigningKey, key_name: &str) -> Result<String, NoteError> {
        let body = self.format();
        // Only what reads back as this checkpoint gets signed (no newline in the origin, no
        // fraction of a second).
        if Self::parse(&body).as_ref() != Ok(self) {
            return Err(NoteError::Checkpoint("it would not read back as written"));
        }
        sign_note(&body, key, key_name)
    }

    /// Checks the note's signature by `key` as `key_name` and reads its checkpoint.
    pub fn open(note: &str, key: &VerifyingKey, key_name: &str) -> Result<Self, NoteError> {
        Self::parse(open_note(note, key, key_name)?)
    }
}

/// The key id: the first four bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || key).
pub fn key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ED25519]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Key names are non-empty, without Unicode spaces or '+' (and, in a note, without control
/// characters).
pub fn is_valid_key_name(name: &str) -> bool {
    let bad = |c: char| c.is_whitespace() || c == '+' || c.is_control();
    !name.is_empty() && !name.contains(bad)
}

fn check_key_name(name: &str) -> Result<(), NoteError> {
    match is_valid_key_name(name) {
        true => Ok(()),
        false => Err(NoteError::KeyName(name.to_owned())),
    }
}

/// A verifier key, `<name>+<hex key id>+<base64(0x01 || public key)>`: what a firm or a
/// monitor is given to check the registry's notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    pub key: VerifyingKey,
}

impl VerifierKey {
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, NoteError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key,
        })
    }

    pub fn id(&self) -> u32 {
        key_id(&self.name, &self.key)
    }

    /// Reads a verifier key, checking that its id is the one of its name and key.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let bad = NoteError::VerifierKey;
        let (name, rest) = vkey.split_once('+').ok_or(bad("expected name+id+key"))?;
        let (id, key) = rest.split_once('+').ok_or(bad("expected name+id+key"))?;
        check_key_name(name)?;
        let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if id.len() != 8 || !id.bytes().all(lower_hex) {
            return Err(bad("the key id is not 8 lowercase hex digits"));
        }
        let id = u32::from_str_radix(id, 16).map_err(|_| bad("bad key id"))?;
        let key = STANDARD
            .decode(key)
            .map_err(|_| bad("the key is not base64"))?;
        let Some((&ED25519, key)) = key.split_first() else {
            return Err(bad("not an ed25519 key (type 0x01)"));
        };
        let key = <[u8; 32]>::try_from(key).map_err(|_| bad("an ed25519 key has 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| bad("not an ed25519 point"))?;
        let vkey = Self::new(name, key)?;
        if vkey.id() != id {
            return Err(bad("the key id is not the one of this name and key"));
        }
        Ok(vkey)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = STANDARD.encode([&[ED25519][..], self.key.as_bytes()].concat());
        write!(f, "{}+{:08x}+{key}", self.name, self.id())
    }
}

impl FromStr for VerifierKey {
    type Err = NoteError;
    fn from_str(vkey: &str) -> Result<Self, NoteError> {
        Self::parse(vkey)
    }
}

/// Signs `text` (non-empty, ending in a newline) into a note with one signature line.
pub fn sign_note(text: &str, key: &SigningKey, key_name: &str) -> Result<String, NoteError> {
    check_key_name(key_name)?;
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("the text must end with a newline"));
    }
    if has_control(text) {
        return Err(NoteError::Malformed("control character"));
    }
    let id = key_id(key_name, &key.verifying_key());
    let signature = key.sign(text.as_bytes()).to_bytes();
    let blob = STANDARD.encode([&id.to_be_bytes()[..], &signature].concat());
    Ok(format!("{text}\n{SIGNATURE_PREFIX}{key_name} {blob}\n"))
}

/// Checks a note and returns its text. Every signature line must be well formed; those of
/// other keys are skipped, as the spec requires (key rotation, witnesses); every one of `key`
/// as `key_name` must verify, and there must be one.
pub fn open_note<'a>(
    note: &'a str,
    key: &VerifyingKey,
    key_name: &str,
) -> Result<&'a str, NoteError> {
    check_key_name(key_name)?;
    if has_control(note) {
        return Err(NoteError::Malformed("control character"));
    }
    let split = note
        .rfind("\n\n")
        .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
    let (text, signatures) = (&note[..=split], &note[split + 2..]);
    let Some(signatures) = signatures.strip_suffix('\n') else {
        return Err(NoteError::Malformed(
            "no signature lines, or no final newline",
        ));
    };
    let (id, mut verified) = (key_id(key_name, key), false);
    for (count, line) in signatures.split('\n').enumerate() {
        if count == MAX_SIGNATURES {
            return Err(NoteError::Malformed("too many signatures"));
        }
        let (name, line_id, signature) = signature_line(line)?;
        if name != key_name || line_id != id {
            continue;
        }
        let bad = || NoteError::BadSignature {
            name: name.to_owned(),
            id,
        };
        let signature = Signature::from_slice(&signature).map_err(|_| bad())?;
        key.verify_strict(text.as_bytes(), &signature)
            .map_err(|_| bad())?;
        verified = true;
    }
    match verified {
        true => Ok(text),
        false => Err(NoteError::NotSigned {
            name: key_name.to_owned(),
            id,
        }),
    }
}

/// `— <name> <base64(key id || signature)>` → (name, key id, signature).
fn signature_line(line: &str) -> Result<(&str, u32, Vec<u8>), NoteError> {
    let bad = NoteError::Malformed;
    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(bad("a signature line starts with '— '"))?;
    let (name, blob) = rest
        .split_once(' ')
        .ok_or(bad("a signature line is '— name signature'"))?;
    if !is_valid_key_name(name) {
        return Err(bad("invalid key name in a signature line"));
    }
    let blob = STANDARD
        .decode(blob)
        .map_err(|_| bad("a signature is not base64"))?;
    match blob.split_first_chunk::<4>() {
        Some((id, signature)) if !signature.is_empty() => {
            Ok((name, u32::from_be_bytes(*id), signature.to_vec()))
        }
        _ => Err(bad("a signature is a key id and at least one byte")),
    }
}

/// ASCII control characters other than the newline, which notes must not hold.
fn has_control(text: &str) -> bool {
    text.contains(|c: char| c < ' ' && c != '\n')
}

/// A checkpoint body's origin, tree size, root and extension lines.
fn split_body(body: &str) -> Result<(&str, u64, Hash, Vec<&str>), NoteError> {
    let bad = NoteError::Checkpoint;
    let lines = body
        .strip_suffix('\n')
        .ok_or(bad("the text must end with a newline"))?;
    if has_control(lines) {
        return Err(bad("control character"));
    }
    let mut lines = lines.split('\n');
    let origin = lines
        .next()
        .filter(|l| !l.is_empty())
        .ok_or(bad("empty origin"))?;
    let size = parse_size(lines.next().unwrap_or_default())?;
    let root = parse_root(lines.next().unwrap_or_default())?;
    let extensions: Vec<&str> = lines.collect();
    if extensions.iter().any(|line| line.is_empty()) {
        return Err(bad("empty extension line"));
    }
    Ok((origin, size, root, extensions))
}

/// Decimal digits, no sign, no leading zero (but "0").
fn parse_size(line: &str) -> Result<u64, NoteError> {
    let digits = !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit());
    if !digits || (line.len() > 1 && line.starts_with('0')) {
        return Err(NoteError::Checkpoint(
            "the tree size is not a decimal number",
        ));
    }
    line.parse()
        .map_err(|_| NoteError::Checkpoint("the tree size is too large"))
}

fn parse_root(line: &str) -> Result<Hash, NoteError> {
    let bad = NoteError::Checkpoint("the root hash is not the base64 of 32 bytes");
    let root = STANDARD.decode(line).map_err(|_| bad.clone())?;
    let root = Hash::try_from(root).map_err(|_| bad.clone())?;
    // The decoder is canonical already; this keeps a second spelling of a root out for good.
    match STANDARD.encode(root) == line {
        true => Ok(root),
        false => Err(bad),
    }
}

/// `time <RFC 3339, UTC, whole seconds>`, written exactly as [`Checkpoint::format`] does.
fn parse_time(line: &str) -> Result<DateTime<Utc>, NoteError> {
    let bad = NoteError::Checkpoint("the time line is not 'time YYYY-MM-DDTHH:MM:SSZ'");
    let text = line.strip_prefix(TIME_PREFIX).ok_or(bad.clone())?;
    let time = DateTime::parse_from_rfc3339(text).map_err(|_| bad.clone())?;
    let time = time.with_timezone(&Utc);
    match time.to_rfc3339_opts(SecondsFormat::Secs, true) == text {
        true => Ok(time),
        false => Err(bad),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    // Keys and notes from golang.org/x/mod/sumdb/note's tests (note_test.go: TestNewVerifier,
    // TestSign, TestOpen) and from the C2SP signed-note spec's example.
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    /// Its signer key's base64 part: 0x01 || the ed25519 seed.
    const PETER_SKEY: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                              then you don't know what your problem is.\n";
    const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
    const C2SP_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    const C2SP_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    /// The C2SP tlog-checkpoint spec's example body (its signature key is not published).
    const C2SP_CHECKPOINT: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    fn peter() -> SigningKey {
        let seed = STANDARD.decode(PETER_SKEY).unwrap();
        SigningKey::from_bytes(&seed[1..].try_into().unwrap())
    }

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn checkpoint() -> Checkpoint {
        let time = Utc.with_ymd_and_hms(2026, 3, 14, 15, 9, 26).unwrap();
        Checkpoint::new("registry.example/precursors", 20852163, [7; 32], time)
    }

    #[test]
    fn go_and_c2sp_keys_parse_and_print_back() {
        for text in [PETER_VKEY, ENOCH_VKEY, C2SP_VKEY] {
            let vkey = VerifierKey::parse(text).unwrap();
            assert_eq!(vkey.to_string(), text);
        }
        let vkey: VerifierKey = PETER_VKEY.parse().unwrap();
        assert_eq!(
            (vkey.name.as_str(), vkey.id()),
            ("PeterNeumann", 0xc74f20a3)
        );
        assert_eq!(vkey.key, peter().verifying_key());
        assert_eq!(key_id("PeterNeumann", &peter().verifying_key()), 0xc74f20a3);
    }

    /// Go's manglings: every proper substring and every byte plus one is refused.
    #[test]
    fn mangled_verifier_keys_are_refused() {
        let bytes = PETER_VKEY.as_bytes();
        for i in 0..=bytes.len() {
            for j in i + 1..=bytes.len() {
                if (i, j) != (0, bytes.len()) {
                    let part = &PETER_VKEY[i..j];
                    assert!(VerifierKey::parse(part).is_err(), "accepted {part:?}");
                }
            }
        }
        for i in 0..bytes.len() {
            let mut mangled = bytes.to_vec();
            mangled[i] += 1;
            let mangled = String::from_utf8(mangled).unwrap();
            assert!(
                VerifierKey::parse(&mangled).is_err(),
                "accepted {mangled:?}"
            );
        }
        // Go's: a key of the wrong length and an unknown type, each with its id recomputed.
        let long = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
        let unknown = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        assert!(VerifierKey::parse(long).is_err());
        assert!(VerifierKey::parse(unknown).is_err());
        assert!(VerifierKey::parse(&PETER_VKEY.replace("c74f20a3", "C74F20A3")).is_err());
    }

    /// ed25519 is deterministic, so signing Go's text with Go's key gives Go's note exactly.
    #[test]
    fn signing_matches_go() {
        let note = sign_note(PETER_TEXT, &peter(), "PeterNeumann").unwrap();
        assert_eq!(note, format!("{PETER_TEXT}\n{PETER_SIG}"));
        let vkey = VerifierKey::parse(PETER_VKEY).unwrap();
        assert_eq!(open_note(&note, &vkey.key, "PeterNeumann"), Ok(PETER_TEXT));
    }

    #[test]
    fn notes_of_go_and_c2sp_open() {
        let c2sp = VerifierKey::parse(C2SP_VKEY).unwrap();
        let opened = open_note(C2SP_NOTE, &c2sp.key, &c2sp.name);
        assert_eq!(opened, Ok("This is an example message.\n"));
        // Another key's signature is skipped, before or after ours.
        let (peter, enoch) = (
            VerifierKey::parse(PETER_VKEY).unwrap(),
            VerifierKey::parse(ENOCH_VKEY).unwrap(),
        );
        let both = format!("{PETER_TEXT}\n{PETER_SIG}{ENOCH_SIG}");
        assert_eq!(open_note(&both, &peter.key, &peter.name), Ok(PETER_TEXT));
        assert_eq!(open_note(&both, &enoch.key, &enoch.name), Ok(PETER_TEXT));
        let only_enoch = format!("{PETER_TEXT}\n{ENOCH_SIG}");
        let unsigned = open_note(&only_enoch, &peter.key, &peter.name);
        assert_eq!(
            unsigned,
            Err(NoteError::NotSigned {
                name: peter.name.clone(),
                id: 0xc74f20a3
            })
        );
    }

    #[test]
    fn checkpoint_body_has_the_spec_layout() {
        let (origin, size, root, extensions) = split_body(C2SP_CHECKPOINT).unwrap();
        assert_eq!(
            (origin, size, extensions.len()),
            ("example.com/behind-the-sofa", 20852163, 0)
        );
        let time = Utc.with_ymd_and_hms(2026, 3, 14, 15, 9, 26).unwrap();
        let ours = Checkpoint::new(origin, size, root, time);
        let body = ours.format();
        assert_eq!(
            body,
            format!("{C2SP_CHECKPOINT}time 2026-03-14T15:09:26Z\n")
        );
        assert_eq!(Checkpoint::parse(&body), Ok(ours.clone()));
        // Ours always has its time line.
        assert!(Checkpoint::parse(C2SP_CHECKPOINT).is_err());
        let note = ours.sign(&key(1), origin).unwrap();
        let (text, signature) = note.split_once("\n\n").unwrap();
        assert_eq!(format!("{text}\n"), body);
        let line = signature
            .strip_prefix("\u{2014} example.com/behind-the-sofa ")
            .unwrap();
        // base64 of a 4-byte key id and a 64-byte signature, then the final newline.
        assert_eq!((line.len(), line.ends_with("=\n")), (93, true));
        assert_eq!(
            STANDARD.decode(line.trim_end()).unwrap()[..4],
            key_id(origin, &key(1).verifying_key()).to_be_bytes()
        );
    }

    #[test]
    fn signed_checkpoints_open() {
        let (cp, signer) = (checkpoint(), key(3));
        let note = cp.sign(&signer, &cp.origin).unwrap();
        assert_eq!(
            Checkpoint::open(&note, &signer.verifying_key(), &cp.origin),
            Ok(cp.clone())
        );
        let empty = Checkpoint::new("log", 0, super::super::merkle::empty_root(), cp.time);
        let note = empty.sign(&signer, "log").unwrap();
        assert_eq!(
            Checkpoint::open(&note, &signer.verifying_key(), "log"),
            Ok(empty)
        );
    }

    /// Changing any one character of a signed checkpoint, or cutting it anywhere, breaks it.
    #[test]
    fn any_changed_or_cut_character_is_rejected() {
        let (cp, signer) = (checkpoint(), key(4));
        let note = cp.sign(&signer, &cp.origin).unwrap();
        let public = signer.verifying_key();
        for (at, c) in note.char_indices() {
            let other = match c {
                '\u{2014}' => '-',
                c => char::from(c as u8 ^ 1),
            };
            let changed = format!("{}{other}{}", &note[..at], &note[at + c.len_utf8()..]);
            assert!(
                Checkpoint::open(&changed, &public, &cp.origin).is_err(),
                "accepted {changed:?}"
            );
            let cut = &note[..at];
            assert!(
                Checkpoint::open(cut, &public, &cp.origin).is_err(),
                "accepted {cut:?}"
            );
        }
        let body_changed = note.replacen("20852163", "20852162", 1);
        let bad = NoteError::BadSignature {
            name: cp.origin.clone(),
            id: key_id(&cp.origin, &public),
        };
        assert_eq!(
            Checkpoint::open(&body_changed, &public, &cp.origin),
            Err(bad)
        );
    }

    #[test]
    fn wrong_keys_names_and_missing_signatures_are_rejected() {
        let (cp, signer) = (checkpoint(), key(5));
        let note = cp.sign(&signer, &cp.origin).unwrap();
        let other = key(6).verifying_key();
        let not_signed = |name: &str, key: &VerifyingKey| NoteError::NotSigned {
            name: name.into(),
            id: key_id(name, key),
        };
        assert_eq!(
            Checkpoint::open(&note, &other, &cp.origin),
            Err(not_signed(&cp.origin, &other))
        );
        let public = signer.verifying_key();
        assert_eq!(
            Checkpoint::open(&note, &public, "registry.example/other"),
            Err(not_signed("registry.example/other", &public))
        );
        assert!(matches!(
            Checkpoint::open(&note, &public, "a b"),
            Err(NoteError::KeyName(_))
        ));
        // Another key that claims our name and id: verified, and refused.
        let forged = sign_note(&cp.format(), &key(6), &cp.origin).unwrap();
        let (text, line) = forged.split_once("\n\n").unwrap();
        let blob = STANDARD
            .decode(line.rsplit_once(' ').unwrap().1.trim_end())
            .unwrap();
        let ours = [&key_id(&cp.origin, &public).to_be_bytes()[..], &blob[4..]].concat();
        let forged = format!(
            "{text}\n\n\u{2014} {} {}\n",
            cp.origin,
            STANDARD.encode(ours)
        );
        assert!(matches!(
            Checkpoint::open(&forged, &public, &cp.origin),
            Err(NoteError::BadSignature { .. })
        ));
        // Our id with a signature cut short.
        let short = [&key_id(&cp.origin, &public).to_be_bytes()[..], &[1; 63]].concat();
        let short = format!(
            "{text}\n\n\u{2014} {} {}\n",
            cp.origin,
            STANDARD.encode(short)
        );
        assert!(matches!(
            Checkpoint::open(&short, &public, &cp.origin),
            Err(NoteError::BadSignature { .. })
        ));
        // No signature at all.
        for unsigned in [cp.format(), format!("{}\n", cp.format())] {
            assert!(matches!(
                Checkpoint::open(&unsigned, &public, &cp.origin),
                Err(NoteError::Malformed(_))
            ));
        }
    }

    #[test]
    fn garbage_around_the_signatures_is_rejected() {
        let (cp, signer) = (checkpoint(), key(7));
        let public = signer.verifying_key();
        let note = cp.sign(&signer, &cp.origin).unwrap();
        let other = sign_note(&cp.format(), &key(8), "witness.example").unwrap();
        let other_line = other.split_once("\n\n").unwrap().1;
        // A well-formed signature of another key is skipped.
        let cosigned = format!("{note}{other_line}");
        assert_eq!(
            Checkpoint::open(&cosigned, &public, &cp.origin),
            Ok(cp.clone())
        );
        let bad = [
            format!("{note}garbage\n"),
            format!("{note}\u{2014} name\n"),
            format!("{note}\u{2014} name !!!!\n"),
            format!("{note}\u{2014} name AAAA\n"),
            format!("{note}\u{2014} a+b AAAAAAA=\n"),
            format!("{note}\n"),
            format!("{note}x"),
            note.replace('\n', "\r\n"),
            note.replacen("time", "ti\u{7}me", 1),
            format!("{note}{}", other_line.repeat(MAX_SIGNATURES)),
        ];
        for bad in bad {
            assert!(
                Checkpoint::open(&bad, &public, &cp.origin).is_err(),
                "accepted {bad:?}"
            );
        }
        let many = format!("{note}{}", other_line.repeat(MAX_SIGNATURES - 1));
        assert_eq!(Checkpoint::open(&many, &public, &cp.origin), Ok(cp));
    }

    #[test]
    fn malformed_bodies_are_rejected() {
        let good = checkpoint().format();
        let root = STANDARD.encode([7u8; 32]);
        let with = |from: &str, to: &str| good.replacen(from, to, 1);
        let bad = [
            with("20852163", "020852163"),
            with("20852163", "+20852163"),
            with("20852163", "-1"),
            with("20852163", ""),
            with("20852163", "20852163 "),
            with("20852163", "18446744073709551616"),
            with(&root, &STANDARD.encode([7u8; 31])),
            with(&root, &STANDARD.encode([7u8; 33])),
            with(&root, root.trim_end_matches('=')),
            with(&root, "not base64"),
            with("registry.example/precursors", ""),
            with(
                "time 2026-03-14T15:09:26Z",
                "time 2026-03-14T15:09:26+00:00",
            ),
            with("time 2026-03-14T15:09:26Z", "time 2026-03-14T15:09:26.5Z"),
            with("time 2026-03-14T15:09:26Z", "time 2026-03-14 15:09:26Z"),
            with("time 2026-03-14T15:09:26Z", "2026-03-14T15:09:26Z"),
            with(
                "time 2026-03-14T15:09:26Z\n",
                "time 2026-03-14T15:09:26Z\nmore\n",
            ),
            with(
                "time 2026-03-14T15:09:26Z\n",
                "time 2026-03-14T15:09:26Z\n\n",
            ),
            with("time 2026-03-14T15:09:26Z\n", ""),
            good.trim_end().to_owned(),
        ];
        for bad in bad {
            assert!(Checkpoint::parse(&bad).is_err(), "accepted {bad:?}");
        }
        assert_eq!(Checkpoint::parse(&with("20852163", "0")).unwrap().size, 0);
        let max = Checkpoint::parse(&with("20852163", "18446744073709551615")).unwrap();
        assert_eq!(max.size, u64::MAX);
    }

    #[test]
    fn what_would_not_read_back_is_not_signed() {
        let signer = key(9);
        let mut cp = checkpoint();
        cp.time += chrono::Duration::milliseconds(500);
        assert!(cp.sign(&signer, "log").is_err());
        let mut cp = checkpoint();
        cp.origin = "two\nlines".into();
        assert!(cp.sign(&signer, "log").is_err());
        for name in ["", "a b", "a+b", "tab\there", "nbsp\u{a0}"] {
            assert_eq!(
                checkpoint().sign(&signer, name),
                Err(NoteError::KeyName(name.into()))
            );
        }
        assert!(sign_note("no newline", &signer, "log").is_err());
        assert!(sign_note("", &signer, "log").is_err());
    }

    fn any_checkpoint() -> impl Strategy<Value = Checkpoint> {
        let origin = "[a-z0-9./-]{1,40}";
        let time = 0i64..8_000_000_000;
        (origin, any::<u64>(), any::<[u8; 32]>(), time).prop_map(|(origin, size, root, secs)| {
            Checkpoint::new(
                origin,
                size,
                root,
                DateTime::from_timestamp(secs, 0).unwrap(),
            )
        })
    }

    proptest! {
        #[test]
        fn sign_then_open_round_trips(cp in any_checkpoint(), seed in any::<[u8; 32]>(), flip in 0usize..64) {
            let signer = SigningKey::from_bytes(&seed);
            let public = signer.verifying_key();
            prop_assert_eq!(Checkpoint::parse(&cp.format()), Ok(cp.clone()));
            let note = cp.sign(&signer, &cp.origin).unwrap();
            prop_assert_eq!(Checkpoint::open(&note, &public, &cp.origin), Ok(cp.clone()));
            let vkey = VerifierKey::new(&cp.origin, public).unwrap();
            prop_assert_eq!(VerifierKey::parse(&vkey.to_string()), Ok(vkey));
            // A flipped bit of the signature bytes.
            let (text, line) = note.split_once("\n\n").unwrap();
            let (prefix, blob) = line.trim_end().rsplit_once(' ').unwrap();
            let mut blob = STANDARD.decode(blob).unwrap();
            blob[4 + flip] ^= 1 << (flip % 8);
            let bad = format!("{text}\n\n{prefix} {}\n", STANDARD.encode(blob));
            prop_assert!(Checkpoint::open(&bad, &public, &cp.origin).is_err());
        }
    }
}
