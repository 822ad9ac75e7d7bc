//! Large CloudTrail files searched without being parsed: a vendor's export, a merged day, a
//! CloudTrail Lake or Athena result, hundreds of megabytes in one `{"Records":[…]}` file.
//! The file is read a block at a time and each record's bounds found by following strings
//! and braces only; a record reaches the caller only when `wanted` says it may matter (the
//! query's needles), and only those are parsed, by the caller. Memory stays at a block and
//! the record being read, whatever the file's size. A large list is split between two
//! threads at a boundary the first thread must confirm ([`scan_file`]).
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

/// Reads `reader` to its end on one thread and calls `each` with the text of every record
/// `wanted` keeps, in file order, with its index among all the records: what
/// [`scan_file`]'s two threads must together equal.
#[cfg(test)]
fn scan_in_blocks(
    reader: impl Read,
    block: usize,
    wanted: &dyn Fn(&[u8]) -> bool,
    each: &mut dyn FnMut(usize, &str),
) -> Result<usize, Unfollowed> {
    let mut scanner = Scanner::open(reader, block)?;
    Ok(scanner.run(None, 0, wanted, each)?.records())
}

/// The records `wanted` keeps in the file at `path` (its index among all records, and its
/// text), and how many records there are: the file split between two threads at a record
/// boundary. The boundary is only a guess (a `},{"` near the middle); the first thread must
/// arrive at it between two records, or the second thread's work is thrown away and the
/// first reads on alone, so the answer is the same whatever the file holds.
pub fn scan_file(
    path: &std::path::Path,
    wanted: &(dyn Fn(&[u8]) -> bool + Sync),
) -> Result<(Vec<(usize, String)>, usize), Unfollowed> {
    scan_file_in_blocks(path, BLOCK, wanted)
}

fn scan_file_in_blocks(
    path: &std::path::Path,
    block: usize,
    wanted: &(dyn Fn(&[u8]) -> bool + Sync),
) -> Result<(Vec<(usize, String)>, usize), Unfollowed> {
    use std::io::{Seek, SeekFrom};
    let open = || std::fs::File::open(path).map_err(|e| Unfollowed(e.to_string()));
    let mut first = Scanner::open(open()?, block)?;
    let split = match first.shape {
        Shape::Lines => None,
        shape => split_point(path, block)?.map(|at| (at, shape)),
    };
    let Some((at, shape)) = split else {
        let mut found = Vec::new();
        let n = first.run(None, 0, wanted, &mut keep(&mut found))?.records();
        return Ok((found, n));
    };
    let (mut head, mut tail) = (Vec::new(), Vec::new());
    let (a, b) = std::thread::scope(|scope| {
        let second = scope.spawn(|| -> Result<usize, Unfollowed> {
            let mut file = open()?;
            file.seek(SeekFrom::Start(at))
                .map_err(|e| Unfollowed(e.to_string()))?;
            let mut s = Scanner::inside(file, block, shape, at);
            Ok(s.run(None, 0, wanted, &mut keep(&mut tail))?.records())
        });
        let a = first.run(Some(at), 0, wanted, &mut keep(&mut head));
        (
            a,
            second
                .join()
                .unwrap_or_else(|_| Err(Unfollowed("a scan failed".into()))),
        )
    });
    match (a?, b) {
        // The first half ends where the second began: the two are the file.
        (Stop::Reached(n, stopped), Ok(m)) if stopped == at => {
            head.extend(tail.into_iter().map(|(i, t)| (i + n, t)));
            Ok((head, n + m))
        }
        (Stop::End(n), _) => Ok((head, n)),
        // The guess was not a boundary: the first half reads on alone.
        (Stop::Reached(n, _), _) => {
            let more = first.run(None, n, wanted, &mut keep(&mut head))?.records();
            Ok((head, more))
        }
    }
}

/// Collects each record it is given, with its index.
fn keep(found: &mut Vec<(usize, String)>) -> impl FnMut(usize, &str) + '_ {
    move |i, text| found.push((i, text.to_string()))
}

/// A guess at a record boundary near the middle of the file: the offset of the `{` of the
/// first `},{"` after it. None for a file too small to split.
fn split_point(path: &std::path::Path, block: usize) -> Result<Option<u64>, Unfollowed> {
    use std::io::{Seek, SeekFrom};
    let len = std::fs::metadata(path)
        .map_err(|e| Unfollowed(e.to_string()))?
        .len();
    if len < 4 * block as u64 {
        return Ok(None);
    }
    let mut file = std::fs::File::open(path).map_err(|e| Unfollowed(e.to_string()))?;
    let mid = len / 2;
    file.seek(SeekFrom::Start(mid))
        .map_err(|e| Unfollowed(e.to_string()))?;
    let mut window = vec![0; block.min(4 * 1024 * 1024)];
    let n = read_some(&mut file, &mut window).map_err(|e| Unfollowed(e.to_string()))?;
    Ok(memchr::memmem::find(&window[..n], b"},{\"").map(|i| mid + i as u64 + 2))
}

/// Where a run stopped: at the end, with the records counted; or before the first record
/// that starts at or past the offset asked for, with the count and that record's offset.
enum Stop {
    End(usize),
    Reached(usize, u64),
}

impl Stop {
    /// The records counted, wherever the run stopped.
    fn records(&self) -> usize {
        match self {
            Stop::End(n) | Stop::Reached(n, _) => *n,
        }
    }
}

/// A scan in progress: the block read so far and where in it the scan stands.
struct Scanner<R> {
    reader: R,
    block: usize,
    shape: Shape,
    buf: Vec<u8>,
    pos: usize,
    /// The file offset of `buf[0]`.
    base: u64,
    eof: bool,
}

impl<R: Read> Scanner<R> {
    /// At the start of a file: its opening read, the scan at its first record.
    fn open(reader: R, block: usize) -> Result<Scanner<R>, Unfollowed> {
        let mut s = Scanner {
            reader,
            block,
            shape: Shape::Lines,
            buf: Vec::with_capacity(block * 2),
            pos: 0,
            base: 0,
            eof: false,
        };
        while s.buf.len() < 64 && !s.eof {
            s.fill()?;
        }
        let buf = &s.buf;
        let mut pos = if buf.starts_with("\u{feff}".as_bytes()) {
            3
        } else {
            0
        };
        pos = skip_ws(buf, pos);
        s.shape = match buf.get(pos) {
            Some(b'[') => {
                pos += 1;
                Shape::Array
            }
            Some(b'{') => {
                let after = skip_ws(buf, pos + 1);
                if buf[after..].starts_with(b"\"Records\"") {
                    let colon = skip_ws(buf, after + 9);
                    let open = skip_ws(buf, colon + 1);
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
        s.pos = pos;
        Ok(s)
    }

    /// Inside a list of records, at offset `base` of the file (where `reader` stands).
    fn inside(reader: R, block: usize, shape: Shape, base: u64) -> Scanner<R> {
        Scanner {
            reader,
            block,
            shape,
            buf: Vec::with_capacity(block * 2),
            pos: 0,
            base,
            eof: false,
        }
    }

    fn fill(&mut self) -> Result<(), Unfollowed> {
        let at = self.buf.len();
        self.buf.resize(at + self.block, 0);
        let n = read_some(&mut self.reader, &mut self.buf[at..])
            .map_err(|e| Unfollowed(e.to_string()))?;
        self.buf.truncate(at + n);
        self.eof = n == 0;
        Ok(())
    }

    /// Drops what is before `keep` (the scan never looks back past it).
    fn forget(&mut self, keep: usize) {
        self.buf.drain(..keep);
        self.base += keep as u64;
        self.pos -= keep;
    }

    /// Reads records until the end, or until one would start at or past `stop_at`; `counted`
    /// records came before (the index of the first one here).
    fn run(
        &mut self,
        stop_at: Option<u64>,
        counted: usize,
        wanted: &dyn Fn(&[u8]) -> bool,
        each: &mut dyn FnMut(usize, &str),
    ) -> Result<Stop, Unfollowed> {
        let shape = self.shape;
        let mut records = counted;
        loop {
            // Between records: separators, then a record, the end, or more to read.
            self.pos = skip_ws(&self.buf, self.pos);
            if shape != Shape::Lines && self.buf.get(self.pos) == Some(&b',') {
                self.pos = skip_ws(&self.buf, self.pos + 1);
            }
            if self.pos >= self.buf.len() {
                if self.eof {
                    if shape == Shape::Lines {
                        return Ok(Stop::End(records));
                    }
                    return Err(Unfollowed("the list does not close".into()));
                }
                self.forget(self.pos);
                self.fill()?;
                continue;
            }
            if let Some(limit) = stop_at {
                let here = self.base + self.pos as u64;
                if here >= limit {
                    return Ok(Stop::Reached(records, here));
                }
            }
            match (self.buf[self.pos], shape) {
                (b'{', _) => {}
                (b']', Shape::Array | Shape::Records) => {
                    // The end: nothing but `}` (for Records) and whitespace may follow.
                    let mut rest = self.buf[self.pos + 1..].to_vec();
                    while !self.eof {
                        self.buf.clear();
                        self.fill()?;
                        rest.extend_from_slice(&self.buf);
                    }
                    let rest =
                        std::str::from_utf8(&rest).map_err(|_| Unfollowed("not UTF-8".into()))?;
                    let closed = match shape {
                        Shape::Records => rest.trim() == "}",
                        _ => rest.trim().is_empty(),
                    };
                    if !closed {
                        return Err(Unfollowed("something follows the records".into()));
                    }
                    return Ok(Stop::End(records));
                }
                _ => return Err(Unfollowed("a record is not an object".into())),
            }
            // A record: from its `{` to the `}` that closes it, reading on as it needs.
            let mut state = InRecord::default();
            let mut at = self.pos;
            let end = loop {
                match close(&self.buf, at, &mut state) {
                    Ok(end) => break end,
                    Err(_) if self.eof => {
                        return Err(Unfollowed("a record does not close".into()));
                    }
                    Err(resume) => {
                        let start = self.pos;
                        self.forget(start);
                        at = resume - start;
                        self.fill()?;
                    }
                }
            };
            let record = &self.buf[self.pos..=end];
            // A top-level object holding `Records` further in is a trail file after all:
            // the parser knows its shapes better.
            if shape == Shape::Lines && memchr::memmem::find(record, b"\"Records\"").is_some() {
                return Err(Unfollowed("Records is not the first key".into()));
            }
            if wanted(record) {
                let text =
                    std::str::from_utf8(record).map_err(|_| Unfollowed("not UTF-8".into()))?;
                each(records, text);
            }
            records += 1;
            self.pos = end + 1;
            if self.pos > self.block {
                self.forget(self.pos);
            }
        }
    }
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

    /// Split between two threads at a guessed boundary, the file gives what one thread gives:
    /// when the guess is right, and when it falls inside a record (a nested list's `},{"`) or
    /// inside a string ending in `},{`.
    #[test]
    fn two_threads_give_what_one_gives_wherever_the_guess_falls() {
        let dir = tempfile::tempdir().unwrap();
        let mut recs = records();
        recs.insert(
            20,
            r#"{"eventID":"odd","note":"ends like a boundary },{","key":"AKIAWANTED"}"#.into(),
        );
        for count in [25, 33, 41] {
            let some = &recs[..count];
            for (name, text) in [
                (
                    "records.json",
                    format!("{{\"Records\":[{}]}}", some.join(",")),
                ),
                ("array.json", format!("[{}]", some.join(","))),
            ] {
                let path = dir.path().join(name);
                std::fs::write(&path, &text).unwrap();
                let (reference, n) = scanned(&text, 1 << 20).unwrap();
                for block in [16, 50, 128, 400] {
                    let (got, m) = scan_file_in_blocks(&path, block, &|r| {
                        memchr::memmem::find(r, b"AKIAWANTED").is_some()
                    })
                    .unwrap();
                    assert_eq!(m, n, "{name}, {count} records, block {block}");
                    assert_eq!(got, reference, "{name}, {count} records, block {block}");
                }
            }
        }
    }
}
