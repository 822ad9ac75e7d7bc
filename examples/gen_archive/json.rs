//! Small pieces.

use super::*;

/// A compact JSON writer: a comma goes before every member but the first of its object.
pub(crate) struct Json(String);

impl Json {
    pub(crate) fn with_capacity(n: usize) -> Json {
        Json(String::with_capacity(n))
    }

    pub(crate) fn comma(&mut self) {
        if !matches!(self.0.as_bytes().last(), None | Some(b'{') | Some(b'[')) {
            self.0.push(',');
        }
    }

    pub(crate) fn key(&mut self, key: &str) {
        self.comma();
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
    }

    /// A value right after its key, or an element of an array.
    pub(crate) fn value_start(&mut self) {
        if !self.0.ends_with(':') {
            self.comma();
        }
    }

    pub(crate) fn open(&mut self) {
        self.value_start();
        self.0.push('{');
    }

    pub(crate) fn close(&mut self) {
        self.0.push('}');
    }

    pub(crate) fn open_array(&mut self) {
        self.value_start();
        self.0.push('[');
    }

    pub(crate) fn close_array(&mut self) {
        self.0.push(']');
    }

    pub(crate) fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        self.0.push('"');
        for ch in value.chars() {
            match ch {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.0, "\\u{:04x}", c as u32);
                }
                c => self.0.push(c),
            }
        }
        self.0.push('"');
    }

    /// A literal (number, boolean, or a JSON text made here) as a member.
    pub(crate) fn raw(&mut self, key: &str, literal: &str) {
        self.key(key);
        self.0.push_str(literal);
    }

    /// A JSON text made here, as the value of the key just written.
    pub(crate) fn raw_value(&mut self, literal: &str) {
        self.0.push_str(literal);
    }

    pub(crate) fn null(&mut self) {
        self.0.push_str("null");
    }

    pub(crate) fn finish(self) -> String {
        self.0
    }
}

/// `2025-03-01T13:33:28Z`
pub(crate) fn timestamp(t: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The date format of some services' responses: `Mar 1, 2025, 1:33:28 PM`.
pub(crate) fn aws_date(t: DateTime<Utc>) -> String {
    t.format("%b %-d, %Y, %-I:%M:%S %p").to_string()
}

/// Mixes the seed with an index, so that neighbouring files get unrelated generators.
pub(crate) fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) fn pick<'t, T>(rng: &mut fastrand::Rng, items: &'t [T]) -> &'t T {
    &items[rng.usize(..items.len())]
}

pub(crate) fn uuid(rng: &mut fastrand::Rng) -> String {
    let v = rng.u128(..);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (v >> 96) as u32,
        (v >> 80) as u16,
        (v >> 68) as u16 & 0xfff,
        ((v >> 52) as u16 & 0x3fff) | 0x8000,
        v as u64 & 0xffff_ffff_ffff
    )
}

pub(crate) fn hex(rng: &mut fastrand::Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(rng.u32(..16), 16).expect("a hex digit"))
        .collect()
}

/// Upper-case letters and digits, as in access key and principal ids.
pub(crate) fn upper(rng: &mut fastrand::Rng, n: usize) -> String {
    const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    (0..n)
        .map(|_| SET[rng.usize(..SET.len())] as char)
        .collect()
}

pub(crate) fn alnum(rng: &mut fastrand::Rng, n: usize) -> String {
    (0..n).map(|_| rng.alphanumeric()).collect()
}

pub(crate) fn public_ip(rng: &mut fastrand::Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        pick(rng, &PUBLIC_OCTETS),
        rng.u8(..),
        rng.u8(..),
        rng.u8(1..255)
    )
}

pub(crate) fn private_ip(rng: &mut fastrand::Rng) -> String {
    format!("10.{}.{}.{}", rng.u8(..), rng.u8(..), rng.u8(1..255))
}
