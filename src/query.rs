//! `warroom query`: CloudTrail events selected by field, as fast as the disk allows. A
//! file that does not contain a filter's value anywhere is skipped unparsed, a record that
//! does not contain it is skipped untokenized; only candidates are parsed and checked.

pub mod newest_first;

use crate::archive::Problem;
use crate::archive::parse::{decompress, for_each_record};
use crate::archive::read::{ReadOptions, ReadProgress, list_files};
use crate::archive::scan;
use crate::model::Query;
use crate::model::tabular::{self, CsvOut};
use chrono::{DateTime, Utc};
use memchr::memmem;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One condition on an event's fields.
#[derive(Debug, Clone)]
pub enum Filter {
    /// `path=value`: the field (any element, through arrays) equals the value.
    Equals { path: Vec<String>, value: String },
    /// `path~text`: the field fuzzily contains the text (its characters in order).
    Fuzzy { path: Vec<String>, text: String },
}

impl Filter {
    pub fn parse(s: &str) -> Result<Filter, String> {
        let (at, fuzzy) = match (s.find('='), s.find('~')) {
            (Some(e), Some(t)) if t < e => (t, true),
            (Some(e), _) => (e, false),
            (None, Some(t)) => (t, true),
            (None, None) => {
                return Err(format!(
                    "filter {s:?} has neither = nor ~: write field=value or field~text (e.g. userIdentity.accessKeyId=AKIA…)"
                ));
            }
        };
        let path: Vec<String> = s[..at].split('.').map(str::to_string).collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "filter {s:?}: the field path is empty or has an empty part"
            ));
        }
        let value = s[at + 1..].to_string();
        Ok(if fuzzy {
            Filter::Fuzzy { path, text: value }
        } else {
            Filter::Equals { path, value }
        })
    }
}

/// The leaves a dotted path reaches, through objects and (any element of) arrays.
fn leaves<'v>(v: &'v Value, path: &[String], out: &mut Vec<&'v Value>) {
    match (v, path.split_first()) {
        (_, None) => match v {
            Value::Array(items) => out.extend(items.iter()),
            other => out.push(other),
        },
        (Value::Object(map), Some((head, rest))) => {
            if let Some(next) = map.get(head.as_str()) {
                leaves(next, rest, out);
            }
        }
        (Value::Array(items), Some(_)) => {
            for item in items {
                leaves(item, path, out);
            }
        }
        _ => {}
    }
}

use crate::model::scalar_text as as_text;

/// Every filter and the time range, compiled for speed.
pub struct Matcher {
    filters: Vec<(Filter, Option<Query>)>,
    /// Byte strings every matching record must contain (the equality values), searched
    /// before anything is parsed.
    needles: Vec<memmem::Finder<'static>>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

impl Matcher {
    pub fn new(
        filters: Vec<Filter>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Self {
        let needles = filters
            .iter()
            .filter_map(|f| match f {
                // A value JSON would escape could be written differently in the file: no
                // shortcut for those.
                Filter::Equals { value, .. }
                    if !value.is_empty()
                        && value
                            .chars()
                            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\' && c != '/') =>
                {
                    Some(memmem::Finder::new(value.as_bytes()).into_owned())
                }
                _ => None,
            })
            .collect();
        let filters = filters
            .into_iter()
            .map(|f| {
                let q = match &f {
                    Filter::Fuzzy { text, .. } => Some(Query::new(text)),
                    Filter::Equals { .. } => None,
                };
                (f, q)
            })
            .collect();
        Matcher {
            filters,
            needles,
            since,
            until,
        }
    }

    /// Whether the bytes could hold a match (every equality value appears in them).
    pub fn may_match(&self, bytes: &[u8]) -> bool {
        self.needles.iter().all(|n| n.find(bytes).is_some())
    }

    /// Whether an event (parsed) matches everything.
    pub fn matches(&self, event: &Value) -> bool {
        if self.since.is_some() || self.until.is_some() {
            let Ok(t) = event_time(event) else {
                return false;
            };
            if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t > u) {
                return false;
            }
        }
        self.filters.iter().all(|(f, q)| {
            let path = match f {
                Filter::Equals { path, .. } | Filter::Fuzzy { path, .. } => path,
            };
            let mut found = Vec::new();
            leaves(event, path, &mut found);
            found
                .iter()
                .filter_map(|v| as_text(v))
                .any(|s| match (f, q) {
                    (Filter::Equals { value, .. }, _) => s == *value,
                    (Filter::Fuzzy { .. }, Some(q)) => q.matches(&s),
                    (Filter::Fuzzy { .. }, None) => false,
                })
        })
    }
}

/// An event's time, read as every other reader of events reads it.
fn event_time(event: &Value) -> Result<DateTime<Utc>, crate::model::EventParseError> {
    use crate::model::EventParseError as Why;
    match event.get("eventTime") {
        None => Err(Why::MissingTime),
        Some(Value::String(s)) => crate::model::parse_event_time(s),
        Some(other) => Err(Why::BadTime(other.to_string())),
    }
}

/// A matching event: its time (for ordering) and the event.
pub struct Hit {
    pub time: DateTime<Utc>,
    pub event: Value,
    /// The event's text as it was, when already on one line.
    pub line: Option<String>,
}

/// The matches in one record; the reason when it is not an event that can be judged (it
/// does not parse, is not an object, or has no readable time where one is asked for).
fn check(raw: &str, matcher: &Matcher, found: &mut Matches) -> Result<(), String> {
    if !matcher.may_match(raw.as_bytes()) {
        return Ok(());
    }
    use crate::model::EventParseError as Why;
    let event =
        serde_json::from_str::<Value>(raw).map_err(|e| Why::Json(e.to_string()).to_string())?;
    if !event.is_object() {
        return Err(Why::NotObject.to_string());
    }
    if matcher.since.is_some() || matcher.until.is_some() {
        event_time(&event).map_err(|e| e.to_string())?;
    }
    if !matcher.matches(&event) {
        return Ok(());
    }
    found.add(raw, event);
    Ok(())
}

/// What a search found so far: the hits (or, only counting, the IDs of the events that
/// matched). One event reached twice (a copy of a file, a file reached by two paths, a
/// record repeated) is one match.
#[derive(Default)]
pub struct Matches {
    counting: bool,
    hits: Vec<Hit>,
    ids: std::collections::HashSet<String>,
    /// Matches without an `eventID`: nothing says two are the same.
    anonymous: usize,
}

impl Matches {
    pub fn new(counting: bool) -> Self {
        Matches {
            counting,
            ..Matches::default()
        }
    }

    fn add(&mut self, raw: &str, event: Value) {
        if self.counting {
            match event.get("eventID").and_then(Value::as_str) {
                Some(id) => {
                    self.ids.insert(id.to_string());
                }
                None => self.anonymous += 1,
            }
            return;
        }
        let time = event_time(&event).unwrap_or_default();
        let line = (!raw.contains('\n')).then(|| raw.trim().to_string());
        self.hits.push(Hit { time, event, line });
    }

    pub fn merge(&mut self, other: Matches) {
        self.hits.extend(other.hits);
        self.ids.extend(other.ids);
        self.anonymous += other.anonymous;
    }

    /// The hits oldest first, each event once, and how many there are.
    pub fn finish(self) -> (Vec<Hit>, usize) {
        if self.counting {
            return (Vec::new(), self.ids.len() + self.anonymous);
        }
        let mut hits = self.hits;
        let id = |h: &Hit| {
            h.event
                .get("eventID")
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        hits.sort_by_cached_key(|h| (h.time, id(h)));
        hits.dedup_by(|a, b| id(a).is_some() && id(a) == id(b));
        let n = hits.len();
        (hits, n)
    }
}

/// Records of one file that were left out, told as one problem: how many, and the first.
#[derive(Default)]
struct Skipped {
    count: usize,
    first: Option<String>,
}

impl Skipped {
    fn note(&mut self, index: usize, outcome: Result<(), String>) {
        if let Err(why) = outcome {
            self.count += 1;
            self.first.get_or_insert(format!("record {index}: {why}"));
        }
    }

    fn reason(self) -> Option<String> {
        let first = self.first?;
        Some(format!("{} records skipped ({first})", self.count))
    }
}

/// Searches one file, adding its matches to `found`; returns what could not be read in it.
/// A large plain file is scanned for its records rather than parsed ([`scan`]); one the scan
/// cannot follow is read the ordinary way.
fn search_file(
    path: &Path,
    matcher: &Matcher,
    found: &mut Matches,
    progress: &ReadProgress,
) -> Vec<String> {
    let said = search_file_uncounted(path, matcher, found, progress);
    progress.files_done.fetch_add(1, Ordering::Relaxed);
    if !said.is_empty() {
        progress.problems.fetch_add(1, Ordering::Relaxed);
    }
    said
}

fn search_file_uncounted(
    path: &Path,
    matcher: &Matcher,
    found: &mut Matches,
    progress: &ReadProgress,
) -> Vec<String> {
    if let Some(said) = scan_large(path, matcher, found) {
        if let Ok(meta) = std::fs::metadata(path) {
            progress.bytes.fetch_add(meta.len(), Ordering::Relaxed);
        }
        return said;
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return vec![e.to_string()],
    };
    progress
        .bytes
        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
    let (text, broken) = decompress(&bytes);
    let mut complaint = broken;
    // Most files do not mention the value at all: skip them untokenized.
    let mut skipped = Skipped::default();
    if matcher.may_match(&text) {
        let mut index = 0;
        let stopped = for_each_record(&text, |raw| {
            skipped.note(index, check(raw, matcher, found));
            index += 1;
        });
        complaint = complaint.or(stopped);
    }
    // Named as the other readers name them: the file, how many, the first.
    skipped.reason().into_iter().chain(complaint).collect()
}

/// [`search_file`] by scanning, for a large file that is not gzip: None when it is not
/// one, or when the scan cannot follow it (nothing is added then).
fn scan_large(path: &Path, matcher: &Matcher, found: &mut Matches) -> Option<Vec<String>> {
    use std::io::Read;
    let large = std::fs::metadata(path).is_ok_and(|m| m.len() >= scan::LARGE_FILE);
    if !large || matcher.needles.is_empty() {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    let mut magic = [0u8; 2];
    if file.read_exact(&mut magic).is_err() || magic == [0x1f, 0x8b] {
        return None;
    }
    drop(file);
    let (records, _) = scan::scan_file(path, &|r| matcher.may_match(r)).ok()?;
    let mut skipped = Skipped::default();
    for (i, raw) in &records {
        skipped.note(*i, check(raw, matcher, found));
    }
    Some(skipped.reason().into_iter().collect())
}

/// Searches local files (or a journal) with a worker per core.
pub fn search_local(
    root: &Path,
    matcher: &Matcher,
    opts: &ReadOptions,
    counting: bool,
    progress: &ReadProgress,
) -> Result<(Vec<Hit>, usize, Vec<Problem>), Problem> {
    let files = list_files(root, opts)?;
    progress.files_total.store(files.len(), Ordering::Relaxed);
    let next = AtomicUsize::new(0);
    let found = Mutex::new(Matches::new(counting));
    let problems = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(files.len().max(1)) {
            scope.spawn(|| {
                let mut mine = Matches::new(counting);
                while let Some(path) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let said = search_file(path, matcher, &mut mine, progress);
                    problems.lock().unwrap_or_else(|p| p.into_inner()).extend(
                        said.into_iter().map(|reason| Problem {
                            path: path.display().to_string(),
                            reason,
                        }),
                    );
                }
                found.lock().unwrap_or_else(|p| p.into_inner()).merge(mine);
            });
        }
    });
    let (hits, count) = found
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .finish();
    let mut problems = problems.into_inner().unwrap_or_else(|p| p.into_inner());
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((hits, count, problems))
}

/// Searches events already read (a journal's, or a batch of an S3 read), adding what
/// matches to `found`.
pub fn search_events<'a>(
    raws: impl Iterator<Item = &'a str>,
    matcher: &Matcher,
    found: &mut Matches,
) {
    for raw in raws {
        // These events were parsed when they were read.
        let _ = check(raw, matcher, found);
    }
}

/// The matches among events already read, in the order met (each file's batch of an
/// S3 read, for a search that prints as it goes).
pub fn hits_in<'a>(raws: impl Iterator<Item = &'a str>, matcher: &Matcher) -> Vec<Hit> {
    let mut found = Matches::new(false);
    search_events(raws, matcher, &mut found);
    found.hits
}

/// The columns of CSV and table output.
const COLUMNS: [(&str, &str); 9] = [
    ("eventTime", "/eventTime"),
    ("eventName", "/eventName"),
    ("eventSource", "/eventSource"),
    ("awsRegion", "/awsRegion"),
    ("sourceIPAddress", "/sourceIPAddress"),
    ("principal", ""),
    ("accessKeyId", "/userIdentity/accessKeyId"),
    ("errorCode", "/errorCode"),
    ("eventID", "/eventID"),
];

fn column(event: &Value, pointer: &str) -> String {
    if pointer.is_empty() {
        return principal(event);
    }
    event.pointer(pointer).and_then(as_text).unwrap_or_default()
}

/// The principal as the console shows it.
fn principal(event: &Value) -> String {
    crate::model::CloudTrailEvent::from_value(event)
        .map(|e| e.principal().to_string())
        .unwrap_or_default()
}

pub fn write_jsonl(out: &mut dyn Write, hits: &[Hit]) -> std::io::Result<()> {
    hits.iter().try_for_each(|h| write_jsonl_line(out, h))
}

/// One hit as a line of JSON: as CloudTrail wrote it when that was one line.
pub fn write_jsonl_line(out: &mut dyn Write, hit: &Hit) -> std::io::Result<()> {
    match &hit.line {
        Some(line) => writeln!(out, "{line}"),
        None => writeln!(
            out,
            "{}",
            serde_json::to_string(&hit.event).unwrap_or_default()
        ),
    }
}

/// The header of CSV and table output.
pub fn csv_header() -> Vec<&'static str> {
    COLUMNS.iter().map(|(h, _)| *h).collect()
}

/// One hit's CSV or table row.
pub fn csv_row(hit: &Hit) -> Vec<String> {
    COLUMNS.iter().map(|(_, p)| column(&hit.event, p)).collect()
}

pub fn write_csv(out: &mut dyn Write, hits: &[Hit]) -> std::io::Result<()> {
    let mut w = CsvOut::new(out, &csv_header())?;
    for h in hits {
        w.row(&csv_row(h))?;
    }
    w.finish()
}

pub fn write_table(out: &mut dyn Write, hits: &[Hit]) -> std::io::Result<()> {
    let rows: Vec<Vec<String>> = hits.iter().map(csv_row).collect();
    out.write_all(tabular::table(&csv_header(), &rows).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(key: &str, name: &str) -> Value {
        serde_json::json!({
            "eventTime": "2026-11-22T07:37:12Z",
            "eventName": name,
            "userIdentity": {"type": "IAMUser", "userName": "admin-ops", "accessKeyId": key},
            "resources": [{"ARN": "arn:aws:s3:::a"}, {"ARN": "arn:aws:s3:::b"}],
            "readOnly": false
        })
    }

    fn matcher(filters: &[&str]) -> Matcher {
        Matcher::new(
            filters.iter().map(|f| Filter::parse(f).unwrap()).collect(),
            None,
            None,
        )
    }

    #[test]
    fn filters_read_dotted_paths_through_arrays() {
        let e = event("AKIA1", "RunInstances");
        assert!(matcher(&["userIdentity.accessKeyId=AKIA1"]).matches(&e));
        assert!(!matcher(&["userIdentity.accessKeyId=AKIA2"]).matches(&e));
        assert!(matcher(&["resources.ARN=arn:aws:s3:::b"]).matches(&e));
        assert!(matcher(&["readOnly=false"]).matches(&e));
        assert!(matcher(&["eventName~runi", "userIdentity.userName=admin-ops"]).matches(&e));
        assert!(!matcher(&["eventName~runi", "userIdentity.userName=dana"]).matches(&e));
        assert!(!matcher(&["no.such.field=x"]).matches(&e));
    }

    #[test]
    fn bad_filters_say_how_to_write_them() {
        assert!(
            Filter::parse("accessKeyId")
                .unwrap_err()
                .contains("field=value")
        );
        assert!(Filter::parse(".x=1").unwrap_err().contains("empty"));
        assert!(matches!(
            Filter::parse("a=b~c").unwrap(),
            Filter::Equals { .. }
        ));
    }

    #[test]
    fn the_prefilter_never_drops_a_match() {
        let m = matcher(&["userIdentity.accessKeyId=AKIA1"]);
        let raw = event("AKIA1", "X").to_string();
        assert!(m.may_match(raw.as_bytes()));
        assert!(!m.may_match(event("AKIA2", "X").to_string().as_bytes()));
        // A value JSON may escape is not prefiltered on.
        let slash = matcher(&["eventSource=a/b"]);
        assert!(slash.may_match(b"{\"eventSource\":\"a\\/b\"}"));
    }

    /// Under a time window, a record whose time cannot be placed is named, never silently
    /// left out (or, dated 9999, silently kept in every window that is open-ended).
    #[test]
    fn a_time_window_names_the_records_it_cannot_place() {
        let since = Some("2026-01-01T00:00:00Z".parse().unwrap());
        let m = Matcher::new(vec![], since, None);
        let mut found = Matches::new(false);
        for (raw, why) in [
            (r#"{"eventName":"X"}"#, "missing eventTime"),
            (r#"{"eventTime":"soon"}"#, "not an RFC 3339"),
            (r#"{"eventTime":42}"#, "not an RFC 3339"),
            (
                r#"{"eventTime":"9999-12-31T23:59:59Z"}"#,
                "outside the years",
            ),
        ] {
            let err = check(raw, &m, &mut found).unwrap_err();
            assert!(err.contains(why), "{raw}: {err}");
        }
        check(r#"{"eventTime":"2026-11-22T07:37:12Z"}"#, &m, &mut found).unwrap();
        assert_eq!(found.hits.len(), 1);
    }

    /// A file past the scanning size finds what the parser finds, and one the scan cannot
    /// follow (another key before `Records`) is still read, the ordinary way.
    #[test]
    fn a_large_file_is_scanned_and_finds_what_parsing_finds() {
        let dir = tempfile::tempdir().unwrap();
        let record = |i: usize| {
            let key = if i.is_multiple_of(97) {
                "AKIAFOUND"
            } else {
                "AKIAOTHER"
            };
            format!(
                r#"{{"eventID":"e{i}","eventTime":"2026-11-22T07:37:12Z","eventName":"GetObject","userAgent":"{{\"x\"}}","userIdentity":{{"type":"IAMUser","accessKeyId":"{key}"}},"pad":"{}"}}"#,
                "x".repeat(300)
            )
        };
        let n = (scan::LARGE_FILE as usize / 350) + 10;
        let body: Vec<String> = (0..n).map(record).collect();
        let matcher = Matcher::new(
            vec![Filter::parse("userIdentity.accessKeyId=AKIAFOUND").unwrap()],
            None,
            None,
        );
        let expected = (0..n).filter(|i| i.is_multiple_of(97)).count();
        for (name, text) in [
            (
                "scanned.json",
                format!(r#"{{"Records":[{}]}}"#, body.join(",")),
            ),
            (
                "parsed.json",
                format!(r#"{{"x":1,"Records":[{}]}}"#, body.join(",")),
            ),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, &text).unwrap();
            assert!(std::fs::metadata(&path).unwrap().len() >= scan::LARGE_FILE);
            let mut found = Matches::new(false);
            let problems = search_file(&path, &matcher, &mut found, &ReadProgress::default());
            assert!(problems.is_empty(), "{problems:?}");
            let (hits, count) = found.finish();
            assert_eq!(count, expected, "{name}");
            assert_eq!(hits[0].event["eventID"], "e0");
        }
    }
}
