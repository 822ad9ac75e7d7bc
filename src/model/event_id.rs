//! An event's ID. CloudTrail's are UUIDs: an event holds one as its 16 bytes, with no
//! allocation of its own (a million events would otherwise hold a million 36-byte strings);
//! any other ID (hand-made logs, the stand-in of an event without one) is kept as text.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// The bytes of a canonical lowercase UUID (`8-4-4-4-12` hex digits), which is written back
/// exactly as it was read; `None` for anything else, and for the nil UUID, whose all-zero
/// bytes mean "kept as text".
pub(super) fn pack(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = b.iter().filter(|&&c| c != b'-');
    for byte in &mut out {
        let hi = hex(*digits.next()?)?;
        let lo = hex(*digits.next()?)?;
        *byte = hi << 4 | lo;
    }
    (out != [0; 16]).then_some(out)
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

fn unpack(bytes: &[u8; 16]) -> [u8; 36] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'-'; 36];
    let mut at = 0;
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            at += 1;
        }
        out[at] = DIGITS[usize::from(byte >> 4)];
        out[at + 1] = DIGITS[usize::from(byte & 0xf)];
        at += 2;
    }
    out
}

/// An event's ID as text: written out from its bytes, or borrowed.
#[derive(Clone, Copy)]
pub struct EventId<'a> {
    written: [u8; 36],
    borrowed: Option<&'a str>,
}

impl<'a> EventId<'a> {
    pub(super) fn of(packed: &[u8; 16], text: Option<&'a str>) -> Self {
        match text {
            Some(t) => EventId {
                written: [0; 36],
                borrowed: Some(t),
            },
            None => EventId {
                written: unpack(packed),
                borrowed: None,
            },
        }
    }

    pub fn as_str(&self) -> &str {
        match self.borrowed {
            Some(t) => t,
            // Only ASCII hex digits and dashes are ever written.
            None => std::str::from_utf8(&self.written).unwrap_or_default(),
        }
    }
}

impl Deref for EventId<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for EventId<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for EventId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for EventId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for EventId<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for EventId<'_> {}

impl PartialOrd for EventId<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EventId<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialEq<str> for EventId<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for EventId<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// What finds an event by its ID, for an index: a UUID's bytes, or the text. One ID has one
/// key however it is written down, so an index built from events answers a lookup by text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IdKey<'a> {
    Uuid([u8; 16]),
    Text(&'a str),
}

impl<'a> IdKey<'a> {
    /// The key of an ID given as text (a command's, an alert's).
    pub fn of(id: &'a str) -> Self {
        match pack(id) {
            Some(bytes) => IdKey::Uuid(bytes),
            None => IdKey::Text(id),
        }
    }
}

impl Hash for IdKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            IdKey::Uuid(b) => b.hash(state),
            IdKey::Text(t) => t.hash(state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_packs_into_its_bytes_and_is_written_back_as_it_was() {
        let id = "3f1c2a9e-0b7d-4e55-9a61-2c8d4f0e7b13";
        let bytes = pack(id).unwrap();
        assert_eq!(EventId::of(&bytes, None).as_str(), id);
        assert_eq!(IdKey::of(id), IdKey::Uuid(bytes));
    }

    #[test]
    fn anything_else_stays_text() {
        for id in [
            "3F1C2A9E-0B7D-4E55-9A61-2C8D4F0E7B13",
            "00000000-0000-0000-0000-000000000000",
            "3f1c2a9e-0b7d-4e55-9a61-2c8d4f0e7b1",
            "3f1c2a9e00b7d-4e55-9a61-2c8d4f0e7b13",
            "3f1c2a9e-0b7d-4e55-9a61-2c8d4f0e7b1g",
            "synthetic-1234",
            "",
        ] {
            assert_eq!(pack(id), None, "{id}");
            assert_eq!(IdKey::of(id), IdKey::Text(id));
            assert_eq!(EventId::of(&[0; 16], Some(id)).as_str(), id);
        }
    }
}
