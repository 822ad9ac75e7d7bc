//! Every shape CloudTrail data comes in, read one record at a time: gzip or plain;
//! `{"Records":[…]}` as CloudTrail delivers it, a JSON array, one event per line, or a
//! single event. Whatever goes wrong, the records read before it are kept, and the reason
//! says where.

use flate2::read::MultiGzDecoder;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use std::io::Read;

/// The bytes of a file as text: gunzipped when they are gzip. A truncated gzip gives what
/// could be decompressed, and the reason.
pub fn decompress(bytes: &[u8]) -> (Vec<u8>, Option<String>) {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return (bytes.to_vec(), None);
    }
    // The common case in one call; the rest (several members, damage) streams below.
    if let Some(text) = super::inflate::single_member(bytes) {
        return (text, None);
    }
    let mut out = Vec::with_capacity(bytes.len() * 8);
    let mut decoder = MultiGzDecoder::new(bytes);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match decoder.read(&mut chunk) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(e) => {
                let reason = format!("gzip stream broken after {} bytes: {e}", out.len());
                return (out, Some(reason));
            }
        }
    }
}

/// Calls `each` with the JSON text of every record in `text`, in file order. Returns why
/// reading stopped early, if it did.
pub fn for_each_record(text: &[u8], mut each: impl FnMut(&str)) -> Option<String> {
    let Ok(text) = std::str::from_utf8(text) else {
        // Bytes that are not UTF-8 somewhere: read the file with them replaced (U+FFFD), and
        // leave out, by number, the records that held them; every other record is kept.
        let valid = std::str::from_utf8(text)
            .err()
            .map_or(0, |e| e.valid_up_to());
        let lossy = String::from_utf8_lossy(text);
        let (mut index, mut bad, mut first_bad) = (0usize, 0usize, None);
        let stopped = records_in(&lossy, &mut |raw: &str| {
            if raw.contains('\u{fffd}') {
                bad += 1;
                first_bad.get_or_insert(index);
            } else {
                each(raw);
            }
            index += 1;
        });
        if index == 0 {
            // Not one record: binary data, not a damaged CloudTrail file.
            return Some(format!(
                "not a CloudTrail file: byte {valid} is not UTF-8 text, and no record was found"
            ));
        }
        let left_out = match (bad, first_bad) {
            (0, _) | (_, None) => format!("not UTF-8 text after byte {valid}"),
            (1, Some(i)) => format!("record {i} is not UTF-8 text (left out)"),
            (n, Some(i)) => {
                format!("{n} records are not UTF-8 text (left out; the first is record {i})")
            }
        };
        return Some(match stopped {
            Some(why) => format!("{left_out}; {why}"),
            None => left_out,
        });
    };
    records_in(text, &mut each)
}

fn records_in(text: &str, each: &mut dyn FnMut(&str)) -> Option<String> {
    let body = text.trim_start_matches('\u{feff}');
    let offset = text.len() - body.len();
    let mut stream = serde_json::Deserializer::from_str(body).into_iter::<&RawValue>();
    let mut values = 0usize;
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => {
                return (values == 0 && body.trim().is_empty()).then(|| "empty file".to_string());
            }
            Some(Ok(value)) => {
                values += 1;
                if let Some(why) = top_level(value.get(), each) {
                    return Some(why);
                }
            }
            Some(Err(e)) => {
                // A value broken in its middle: what came before it is already out. Inside
                // a top-level array or Records list, say so and keep what was read.
                let rest = &body[start..];
                let partial = salvage(rest, each);
                let _ = offset;
                return Some(format!("not valid JSON: {e}{partial}"));
            }
        }
    }
}

/// One top-level value: an array of events, a `{"Records": […]}` object, or an event.
fn top_level(value: &str, each: &mut dyn FnMut(&str)) -> Option<String> {
    let first = value.trim_start().as_bytes().first().copied();
    match first {
        Some(b'[') => {
            let mut d = serde_json::Deserializer::from_str(value);
            d.deserialize_seq(Elements(each))
                .err()
                .map(|e| e.to_string())
        }
        Some(b'{') => {
            let mut d = serde_json::Deserializer::from_str(value);
            match d.deserialize_map(RecordsOrEvent { each: &mut *each }) {
                Ok(true) => None,
                // No Records: the object is an event itself.
                Ok(false) => {
                    each(value);
                    None
                }
                Err(e) => Some(e.to_string()),
            }
        }
        _ => Some(format!(
            "a {} where a CloudTrail record or a list of them was expected",
            kind_of(value)
        )),
    }
}

fn kind_of(value: &str) -> &'static str {
    match value.trim_start().as_bytes().first() {
        Some(b'"') => "string",
        Some(b't') | Some(b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    }
}

/// When a top-level array or object breaks, the elements before the break are still good:
/// read them again one by one until the break.
fn salvage(rest: &str, each: &mut dyn FnMut(&str)) -> String {
    let trimmed = rest.trim_start();
    let mut d = serde_json::Deserializer::from_str(trimmed);
    let result = match trimmed.as_bytes().first() {
        Some(b'[') => d.deserialize_seq(Elements(each)).map(|_| ()),
        Some(b'{') => d
            .deserialize_map(RecordsOrEvent { each: &mut *each })
            .map(|_| ()),
        _ => Ok(()),
    };
    match result {
        Ok(()) => String::new(),
        Err(_) => " (the records before it are kept)".to_string(),
    }
}

/// Every element of a JSON array, as raw text.
struct Elements<'f>(&'f mut dyn FnMut(&str));

impl<'de> Visitor<'de> for Elements<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of CloudTrail records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            (self.0)(raw.get());
        }
        Ok(())
    }
}

/// An object: its `Records` array streamed out (true), or no `Records` (false).
struct RecordsOrEvent<'f> {
    each: &'f mut dyn FnMut(&str),
}

impl<'de> Visitor<'de> for RecordsOrEvent<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudTrail file or record")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<&'de str>()? {
            if key == "Records" && !found {
                found = true;
                map.next_value_seed(RecordList(&mut *self.each))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

struct RecordList<'f>(&'f mut dyn FnMut(&str));

impl<'de> DeserializeSeed<'de> for RecordList<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(Elements(self.0))
    }
}

impl de::Expected for RecordList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of records")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn records(text: &str) -> (Vec<String>, Option<String>) {
        let mut out = Vec::new();
        let why = for_each_record(text.as_bytes(), |r| out.push(r.to_string()));
        (out, why)
    }

    const E1: &str = r#"{"eventTime":"2026-01-01T00:00:01Z","eventID":"1"}"#;
    const E2: &str = r#"{"eventTime":"2026-01-01T00:00:02Z","eventID":"2"}"#;

    #[test]
    fn every_shape_yields_its_records() {
        let shapes = [
            format!(r#"{{"Records":[{E1},{E2}]}}"#),
            format!(r#"{{"other":1,"Records":[{E1},{E2}],"x":[]}}"#),
            format!("[{E1},\n {E2}]"),
            format!("{E1}\n{E2}\n"),
            format!("\u{feff}{E1}\r\n\r\n{E2}"),
        ];
        for s in shapes {
            let (recs, why) = records(&s);
            assert_eq!(recs, [E1, E2], "{s}");
            assert_eq!(why, None, "{s}");
        }
        assert_eq!(records(E1).0, [E1], "a single event");
    }

    #[test]
    fn a_broken_file_keeps_what_came_before_the_break() {
        let cut = format!(r#"{{"Records":[{E1},{E2},{{"eventTime":"2026"#);
        let (recs, why) = records(&cut);
        assert_eq!(recs, [E1, E2]);
        assert!(why.unwrap().contains("not valid JSON"));
        let lines = format!("{E1}\nnot json at all\n{E2}");
        let (recs, why) = records(&lines);
        assert_eq!(recs, [E1]);
        assert!(why.is_some());
        assert_eq!(records("").1.as_deref(), Some("empty file"));
        assert!(records("42").1.unwrap().contains("a number where"));
    }

    #[test]
    fn a_record_that_is_not_utf8_is_named_and_the_others_kept() {
        let mut text = Vec::new();
        for n in 0..100 {
            if n > 0 {
                text.push(b'\n');
            }
            if n == 41 {
                text.extend_from_slice(b"{\"eventID\":\"bad\",\"userAgent\":\"\xff\xfe\"}");
            } else {
                text.extend_from_slice(format!(r#"{{"eventID":"{n}"}}"#).as_bytes());
            }
        }
        let mut kept = Vec::new();
        let why = for_each_record(&text, |r| kept.push(r.to_string()));
        assert_eq!(kept.len(), 99);
        assert!(!kept.iter().any(|r| r.contains("bad")));
        assert_eq!(
            why.as_deref(),
            Some("record 41 is not UTF-8 text (left out)")
        );
    }

    #[test]
    fn a_truncated_gzip_gives_what_it_can() {
        let text = format!(r#"{{"Records":[{E1},{E2}]}}"#).repeat(1);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.repeat(200).as_bytes()).unwrap();
        let full = gz.finish().unwrap();
        let (whole, why) = decompress(&full);
        assert_eq!(whole.len(), text.len() * 200);
        assert!(why.is_none());
        let (part, why) = decompress(&full[..full.len() / 2]);
        assert!(!part.is_empty() && part.len() < whole.len());
        assert!(why.unwrap().contains("gzip stream broken"));
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..2000 {
            let len = rng.usize(0..200);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    *rng.choice(b"{}[]\",:0123456789aeRcords \n\x1f\x8b\xff")
                        .unwrap()
                })
                .collect();
            let (text, _) = decompress(&bytes);
            let _ = for_each_record(&text, |_| {});
        }
    }
}
