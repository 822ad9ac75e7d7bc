//! Large CloudTrail files searched without being parsed: a vendor's export, a merged day, a
//! CloudTrail Lake or Athena result, hundreds of megabytes in one `{"Records":[…]}` file.
//! The file is read a block at a time and each record's bounds found by following strings
//! and braces only; a record reaches the caller only when `wanted` says it may matter (the
//! query's needles), and only those are parsed, by the caller. Memory stays at a block and
//! the record being read, whatever the file's size.
//!
//! Only the shapes CloudTrail and its exports write are followed: a `{"Records":[…]}`
//! object, an array of events, or one event per line. Anything else (another key first, a
//! record that is not an object, text that is not UTF-8, braces that do not close) makes
//! the scan give up, and the caller reads the file the ordinary way, which names every
//! problem; what the scan found is then discarded, so nothing is reported twice.

use std::io::Read;

/// How much is read at a time.
const BLOCK: usize = 8 * 1024 * 1024;

/// The files worth scanning rather than parsing whole: smaller ones parse as fast.
pub const LARGE_FILE: u64 = 32 * 1024 * 1024;

/// Why the scan gave up (the file is read the ordinary way instead).
#[derive(Debug, PartialEq, Eq)]
pub struct Unfollowed(pub String);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `{"Records":[ … ]}`
    Records,
    /// `[ … ]`
    Array,
    /// One object after another (JSON lines).
    Lines,
}

/// Where the scan is inside the record it is reading, so a block boundary loses nothing.
#[derive(Default)]
struct InRecord {
    depth: u32,
    in_string: bool,
}

/// Reads `reader` to its end and calls `each` with the text of every record `wanted` keeps,
/// in file order, with its index among all the records. Returns how many records there
/// were, or why the file cannot be followed this way.
pub fn scan_records(
    reader: impl Read,
    wanted: &dyn Fn(&[u8]) -> bool,
    each: &mut dyn FnMut(usize, &str),
) -> Result<usize, Unfollowed> {
    scan_in_blocks(reader, BLOCK, wanted, each)
}

fn scan_in_blocks(
    mut reader: impl Read,
    block: usize,
    wanted: &dyn Fn(&[u8]) -> bool,
    each: &mut dyn FnMut(usize, &str),
) -> Result<usize, Unfollowed> {
    let mut buf: Vec<u8> = Vec::with_capacity(block * 2);
    let mut eof = false;
    let fill =
        |buf: &mut Vec<u8>, eof: &mut bool, reader: &mut dyn Read| -> Result<(), Unfollowed> {
            let at = buf.len();
            buf.resize(at + block, 0);
            let n = read_some(reader, &mut buf[at..]).map_err(|e| Unfollowed(e.to_string()))?;
            buf.truncate(at + n);
            *eof = n == 0;
            Ok(())
        };
    let mut pos = 0;
    // The opening: a BOM, whitespace, then the shape.
    loop {
        fill(&mut buf, &mut eof, &mut reader)?;
        if buf.len() >= 64 || eof {
            break;
        }
    }
    if buf.starts_with("\u{feff}".as_bytes()) {
        pos = 3;
    }
    pos = skip_ws(&buf, pos);
    let shape = match buf.get(pos) {
        Some(b'[') => {
            pos += 1;
            Shape::Array
        }
        Some(b'{') => {
            let after = skip_ws(&buf, pos + 1);
            if buf[after..].starts_with(b"\"Records\"") {
                let colon = skip_ws(&buf, after + 9);
                let open = skip_ws(&buf, colon + 1);
                if buf.get(colon) != Some(&b':') || buf.get(open) != Some(&b'[') {
                    return Err(Unfollowed("Records is not a list".into()));
                }
                pos = open + 1;
                Shape::Records
            } else {
                Shape::Lines
            }
        }
        _ => return Err(Unfollowed("not a JSON object or array".into())),
    };
    let mut records = 0;
    let mut done = false;
    while !done {
        // Between records: separators, then a record, the end, or more to read.
        pos = skip_ws(&buf, pos);
        if shape != Shape::Lines && buf.get(pos) == Some(&b',') {
            pos = skip_ws(&buf, pos + 1);
        }
        if pos >= buf.len() {
            if eof {
                if shape == Shape::Lines {
                    break;
                }
                return Err(Unfollowed("the list does not close".into()));
            }
            buf.drain(..pos);
            pos = 0;
            fill(&mut buf, &mut eof, &mut reader)?;
            continue;
        }
        match (buf[pos], shape) {
            (b'{', _) => {}
            (b']', Shape::Array | Shape::Records) => {
                // The end: nothing but `}` (for Records) and whitespace may follow.
                let mut rest = buf[pos + 1..].to_vec();
                while !eof {
                    let mut more = Vec::new();
                    fill(&mut more, &mut eof, &mut reader)?;
                    rest.extend(more);
                }
                let rest =
                    std::str::from_utf8(&rest).map_err(|_| Unfollowed("not UTF-8".into()))?;
                let rest = rest.trim();
                let closed = match shape {
                    Shape::Records => rest == "}",
                    _ => rest.is_empty(),
                };
                if !closed {
                    return Err(Unfollowed("something follows the records".into()));
                }
                done = true;
                continue;
            }
            _ => return Err(Unfollowed("a record is not an object".into())),
        }
        // A record: from its `{` to the `}` that closes it, reading on as it needs.
        let mut start = pos;
        let mut state = InRecord::default();
        let mut at = start;
        let end = loop {
            match close(&buf, at, &mut state) {
                Ok(end) => break end,
                Err(_) if eof => return Err(Unfollowed("a record does not close".into())),
                Err(resume) => {
                    buf.drain(..start);
                    at = resume - start;
                    start = 0;
                    fill(&mut buf, &mut eof, &mut reader)?;
                }
            }
        };
        let record = &buf[start..=end];
        // A top-level object holding `Records` further in is a trail file after all: the
        // parser knows its shapes better.
        if shape == Shape::Lines && memchr::memmem::find(record, b"\"Records\"").is_some() {
            return Err(Unfollowed("Records is not the first key".into()));
        }
        if wanted(record) {
            let text = std::str::from_utf8(record).map_err(|_| Unfollowed("not UTF-8".into()))?;
            each(records, text);
        }
        records += 1;
        pos = end + 1;
        if pos > block {
            buf.drain(..pos);
            pos = 0;
        }
    }
    Ok(records)
}

/// Follows the record from `at` to the end of what `buf` holds: the index of the `}` that
/// closes it, or where to go on from once more is read (the state says where the scan
/// stands: in a string or not, how deep).
fn close(buf: &[u8], at: usize, state: &mut InRecord) -> Result<usize, usize> {
    // A plain loop over the bytes: JSON's strings are short, and a search call per string
    // costs more than looking at each byte once.
    let mut i = at;
    let n = buf.len();
    while i < n {
        // Eight bytes at a time while none of them can matter (in a string: a quote or a
        // backslash; outside: a quote or a brace).
        while i + 8 <= n {
            let word = u64::from_le_bytes(buf[i..i + 8].try_into().expect("eight bytes"));
            let hits = if state.in_string {
                byte_in(word, b'"') | byte_in(word, b'\\')
            } else {
                byte_in(word, b'"') | byte_in(word, b'{') | byte_in(word, b'}')
            };
            if hits != 0 {
                // The lowest flag is always a true match (a false one only follows one).
                i += (hits.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        if i >= n {
            break;
        }
        let b = buf[i];
        if state.in_string {
            if b == b'\\' {
                // The escaped byte is skipped; when it is not read yet, look again from here.
                if i + 1 >= n {
                    return Err(i);
                }
                i += 2;
                continue;
            }
            if b == b'"' {
                state.in_string = false;
            }
        } else {
            match b {
                b'"' => state.in_string = true,
                b'{' => state.depth += 1,
                b'}' => {
                    state.depth = state.depth.saturating_sub(1);
                    if state.depth == 0 {
                        return Ok(i);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    Err(n)
}

/// The high bit of each byte of `word` that equals `c` (and, past the first, perhaps of
/// some that follow one): the classic test for a zero byte, on `word ^ c…c`.
fn byte_in(word: u64, c: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let x = word ^ (ONES * u64::from(c));
    x.wrapping_sub(ONES) & !x & HIGHS
}

fn skip_ws(buf: &[u8], mut pos: usize) -> usize {
    while pos < buf.len() && buf[pos].is_ascii_whitespace() {
        pos += 1;
    }
    pos
}

/// Reads until `out` is full or the reader ends: a short read is not the end.
fn read_some(reader: &mut dyn Read, out: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < out.len() {
        match reader.read(&mut out[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records with every hazard: braces and quotes inside strings, escapes, nesting,
    /// arrays of objects, non-ASCII text.
    fn records() -> Vec<String> {
        (0..40)
            .map(|i| {
                format!(
                    r#"{{"eventID":"e{i}","eventName":"Put{{Bucket}}","userAgent":"say \"hi\" \\ {{ ]","requestParameters":{{"items":[{{"a":{i}}},{{"b":"}}"}}],"name":"naïve {i}"}},"key":"{}"}}"#,
                    if i % 7 == 0 { "AKIAWANTED" } else { "AKIAOTHER" }
                )
            })
            .collect()
    }

    fn scanned(text: &str, block: usize) -> Result<(Vec<(usize, String)>, usize), Unfollowed> {
        let mut out = Vec::new();
        let n = scan_in_blocks(
            text.as_bytes(),
            block,
            &|r| memchr::memmem::find(r, b"AKIAWANTED").is_some(),
            &mut |i, r| out.push((i, r.to_string())),
        )?;
        Ok((out, n))
    }

    #[test]
    fn every_shape_gives_the_records_the_parser_gives_at_any_block_size() {
        let recs = records();
        let shapes = [
            format!("{{\"Records\":[{}]}}", recs.join(",")),
            format!("\u{feff} {{ \"Records\" : [\n{}\n] }}\n", recs.join(",\n")),
            format!("[{}]", recs.join(", ")),
            recs.join("\n"),
        ];
        for text in &shapes {
            // What the ordinary reader finds, the wanted ones with their indexes.
            let mut reference = Vec::new();
            let mut i = 0;
            super::super::parse::for_each_record(text.as_bytes(), |r| {
                if r.contains("AKIAWANTED") {
                    reference.push((i, r.to_string()));
                }
                i += 1;
            });
            for block in [1, 2, 3, 7, 64, 1 << 20] {
                let (got, n) = scanned(text, block).unwrap();
                assert_eq!(n, recs.len(), "block {block}: {text:.60}");
                assert_eq!(got, reference, "block {block}: {text:.60}");
            }
        }
    }

    #[test]
    fn what_it_cannot_follow_it_leaves_to_the_parser() {
        for text in [
            r#"{"other":1,"Records":[{"a":1}]}"#,
            r#"{"Records":[{"a":1},"a string"]}"#,
            r#"{"Records":[{"a":1}"#,
            r#"{"Records":[{"a":"unclosed}]}"#,
            r#"{"Records":[{"a":1}],"more":2}"#,
            "42",
        ] {
            assert!(scanned(text, 4).is_err(), "{text}");
        }
    }
}
