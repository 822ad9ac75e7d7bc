//! Reading many CloudTrail files at once, as fast as the disk allows: a worker per core
//! takes the next file, reads and parses it, and hands its events over as soon as it is
//! done. Records inside a file are not in time order and files overlap in time: ordering is
//! the receiver's job. Events keep only their fields; their JSON stays in the file.

use super::parse::{decompress, for_each_record};
use crate::detect::sigma::RuleSet;
use crate::detect::{Verdicts, judge, verdict_key};
use crate::model::{CloudTrailEvent, RawSource, SharedSource};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Sigma rules to judge each event by while its JSON is at hand (see [`FileBatch`]).
    pub rules: Option<Arc<RuleSet>>,
}

/// What could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub reason: String,
}

/// How a read is going, readable from any thread while it runs; `cancel` stops it.
#[derive(Debug, Default)]
pub struct ReadProgress {
    pub files_total: AtomicUsize,
    pub files_done: AtomicUsize,
    pub events: AtomicUsize,
    pub bytes: AtomicU64,
    pub problems: AtomicUsize,
    pub cancel: AtomicBool,
}

/// The end of a read.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub files: usize,
    pub events: usize,
    pub bytes: u64,
    pub problems: Vec<Problem>,
    pub cancelled: bool,
    pub elapsed: Duration,
}

impl Summary {
    /// A few lines for a person: counts, then each problem with its path and reason.
    pub fn report(&self) -> String {
        let mut out = format!(
            "{} events from {} files ({:.1} MB) in {:.2} s{}",
            self.events,
            self.files,
            self.bytes as f64 / 1e6,
            self.elapsed.as_secs_f64(),
            if self.cancelled { " — cancelled" } else { "" }
        );
        if !self.problems.is_empty() {
            out.push_str(&format!("\n{} problems:", self.problems.len()));
            for p in &self.problems {
                out.push_str(&format!("\n  {}: {}", p.path, p.reason));
            }
        }
        out
    }
}

/// A file read again when someone wants an event's original JSON.
#[derive(Debug)]
pub struct ArchivedFile {
    path: PathBuf,
    /// The file's bytes when they do not live on disk (downloaded from S3), compressed.
    bytes: Option<Arc<Vec<u8>>>,
}

impl ArchivedFile {
    pub fn on_disk(path: PathBuf) -> Self {
        ArchivedFile { path, bytes: None }
    }

    pub fn in_memory(name: PathBuf, bytes: Arc<Vec<u8>>) -> Self {
        ArchivedFile {
            path: name,
            bytes: Some(bytes),
        }
    }
}

/// Decompressed files recently read again: the detail view tends to look at neighbours.
static RECENT: Mutex<VecDeque<(PathBuf, Arc<Vec<u8>>)>> = Mutex::new(VecDeque::new());
const RECENT_FILES: usize = 4;

impl RawSource for ArchivedFile {
    fn record(&self, index: u32) -> Option<String> {
        let text = {
            let mut recent = RECENT.lock().unwrap_or_else(|p| p.into_inner());
            match recent.iter().find(|(p, _)| *p == self.path) {
                Some((_, t)) => t.clone(),
                None => {
                    let raw = match &self.bytes {
                        Some(b) => b.as_ref().clone(),
                        None => std::fs::read(&self.path).ok()?,
                    };
                    let text = Arc::new(decompress(&raw).0);
                    recent.push_front((self.path.clone(), text.clone()));
                    recent.truncate(RECENT_FILES);
                    text
                }
            }
        };
        let mut found = None;
        let mut n = 0u32;
        for_each_record(&text, |r| {
            if n == index {
                found = Some(r.to_string());
            }
            n += 1;
        });
        found
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// The day a file's records start, when its path is in the S3 delivery layout
/// (`…/CloudTrail/<region>/YYYY/MM/DD/…`).
pub fn day_of(path: &Path) -> Option<NaiveDate> {
    let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
    parts.windows(3).rev().find_map(|w| {
        let (y, m, d) = (w[0].parse().ok()?, w[1].parse().ok()?, w[2].parse().ok()?);
        (w[0].len() == 4 && w[1].len() == 2 && w[2].len() == 2)
            .then(|| NaiveDate::from_ymd_opt(y, m, d))
            .flatten()
    })
}

/// When a file in the S3 delivery layout was delivered, from the stamp in its name
/// (`<account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<random>.json.gz`).
pub fn delivered_at(path: &Path) -> Option<DateTime<Utc>> {
    let name = path.file_name()?.to_str()?;
    name.split('_').find_map(|part| {
        let stamp = chrono::NaiveDateTime::parse_from_str(part, "%Y%m%dT%H%MZ").ok()?;
        (part.len() == 14).then(|| stamp.and_utc())
    })
}

/// The latest time a file's records can have: CloudTrail writes a record into a file
/// delivered after it happened, never before. The stamp is cut to the minute and clocks
/// differ a little, so an hour is allowed beyond it; a file in a day's folder without a
/// stamp holds nothing after that day (and the same hour). `None`: nothing bounds it.
pub fn latest_possible(path: &Path) -> Option<DateTime<Utc>> {
    let slack = chrono::Duration::hours(1);
    match delivered_at(path) {
        Some(at) => Some(at + slack),
        None => {
            let day = day_of(path)?.succ_opt()?;
            Some(day.and_hms_opt(0, 0, 0)?.and_utc() + slack)
        }
    }
}

/// Whether a file can hold records in the time range, judging by its path's day: a file
/// holds records of its day, and can hold older ones, never later ones.
pub fn may_hold(day: Option<NaiveDate>, opts: &ReadOptions) -> bool {
    let Some(day) = day else {
        return true;
    };
    // A file is delivered within minutes of its records, but a day of slack costs little.
    let since_ok = opts
        .since
        .is_none_or(|s| day >= s.date_naive() - chrono::Days::new(1));
    let until_ok = opts
        .until
        .is_none_or(|u| day <= u.date_naive() + chrono::Days::new(1));
    since_ok && until_ok
}

/// Whether a file, by its name and place, may hold CloudTrail records in the time range.
/// Shared by local files and S3 keys, which follow the same layout.
pub fn wanted(path: &Path, opts: &ReadOptions) -> bool {
    // Digest files prove integrity; they hold no events.
    if path.iter().any(|c| c == "CloudTrail-Digest") {
        return false;
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let readable = [".json", ".json.gz", ".gz", ".jsonl", ".ndjson"]
        .iter()
        .any(|ext| name.ends_with(ext));
    readable && may_hold(day_of(path), opts)
}

/// The files under `root` that may hold CloudTrail records, sorted by path.
pub fn list_files(root: &Path, opts: &ReadOptions) -> Result<Vec<PathBuf>, Problem> {
    let meta = std::fs::metadata(root).map_err(|e| Problem {
        path: root.display().to_string(),
        reason: e.to_string(),
    })?;
    if meta.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut files: Vec<(PathBuf, bool)> = walkdir::WalkDir::new(root)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && wanted(e.path(), opts))
        .map(|e| {
            let linked = e.path_is_symlink();
            (e.into_path(), linked)
        })
        .collect();
    files.sort();
    // A file reached by two paths (a symlink beside it, a link to another folder) is read
    // once: by the first of its paths, known by its canonical path. A file that is not a
    // link itself is its folder's canonical path and its name, and a folder holds many
    // files: one `canonicalize` per folder, not one (a `readlink` per component) per file.
    let mut folders: std::collections::HashMap<PathBuf, PathBuf> = Default::default();
    let mut real = std::collections::HashSet::new();
    Ok(files
        .into_iter()
        .filter(|(path, linked)| {
            let canonical = match (path.parent(), path.file_name(), linked) {
                (Some(folder), Some(name), false) => folders
                    .entry(folder.to_path_buf())
                    .or_insert_with(|| {
                        std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf())
                    })
                    .join(name),
                _ => std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()),
            };
            real.insert(canonical)
        })
        .map(|(path, _)| path)
        .collect())
}

/// The events of one file, handed over as soon as it is read.
pub struct FileBatch {
    pub path: PathBuf,
    pub events: Vec<Arc<CloudTrailEvent>>,
    /// The Sigma rules (of [`ReadOptions::rules`]) each event matched, when any did.
    pub verdicts: Verdicts,
}

/// Parses one file's bytes into events (raw JSON left in the file), reporting problems,
/// with the Sigma verdicts on them.
pub fn parse_file(
    file: ArchivedFile,
    bytes: &[u8],
    opts: &ReadOptions,
    problems: &mut Vec<Problem>,
) -> (Vec<Arc<CloudTrailEvent>>, Verdicts) {
    let path = file.describe();
    // One shared handle for the file: each event holds a thin pointer to it.
    let file: SharedSource = Arc::new(Box::new(file));
    let (text, broken) = decompress(bytes);
    let mut events = Vec::new();
    let mut verdicts = Verdicts::default();
    let mut index = 0u32;
    let mut skipped = 0usize;
    let mut first_skip = None;
    let stopped = for_each_record(&text, |raw| {
        let this = index;
        index += 1;
        match CloudTrailEvent::from_archive(raw, file.clone(), this) {
            Ok(e) => {
                let in_range = opts.since.is_none_or(|s| e.event_time >= s)
                    && opts.until.is_none_or(|u| e.event_time <= u);
                if in_range {
                    let e = Arc::new(e);
                    if let Some(rules) = &opts.rules {
                        // Parsed a second time, in full, only for a rule that needs it.
                        let matched = judge(rules, &e, raw, &mut || {
                            serde_json::from_str(raw).unwrap_or(serde_json::Value::Null)
                        });
                        if !matched.is_empty() {
                            verdicts.insert(verdict_key(&e), matched);
                        }
                    }
                    events.push(e);
                }
            }
            Err(why) => {
                skipped += 1;
                first_skip.get_or_insert(format!("record {this}: {why}"));
            }
        }
    });
    if let Some(why) = broken {
        problems.push(Problem {
            path: path.clone(),
            reason: why,
        });
    }
    if let Some(why) = stopped {
        problems.push(Problem {
            path: path.clone(),
            reason: why,
        });
    }
    if let Some(first) = first_skip {
        problems.push(Problem {
            path,
            reason: format!("{skipped} records skipped ({first})"),
        });
    }
    (events, verdicts)
}

/// Reads every file under `root` with a worker per core, handing each file's events to
/// `sink` (from the workers' threads) as soon as the file is done.
pub fn read_local(
    root: &Path,
    opts: &ReadOptions,
    progress: &ReadProgress,
    sink: &(dyn Fn(FileBatch) + Sync),
) -> Summary {
    let started = Instant::now();
    let files = match list_files(root, opts) {
        Ok(f) => f,
        Err(p) => {
            return Summary {
                problems: vec![p],
                elapsed: started.elapsed(),
                ..Summary::default()
            };
        }
    };
    progress.files_total.store(files.len(), Ordering::Relaxed);
    let next = AtomicUsize::new(0);
    let problems = Mutex::new(Vec::new());
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        opts.threads
    };
    std::thread::scope(|scope| {
        for _ in 0..threads.min(files.len().max(1)) {
            scope.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    if progress.cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else {
                        break;
                    };
                    let before = mine.len();
                    let (events, verdicts) = match std::fs::read(path) {
                        Ok(bytes) => {
                            progress
                                .bytes
                                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                            let file = ArchivedFile::on_disk(path.clone());
                            parse_file(file, &bytes, opts, &mut mine)
                        }
                        Err(e) => {
                            mine.push(Problem {
                                path: path.display().to_string(),
                                reason: e.to_string(),
                            });
                            Default::default()
                        }
                    };
                    progress
                        .problems
                        .fetch_add(mine.len() - before, Ordering::Relaxed);
                    progress.events.fetch_add(events.len(), Ordering::Relaxed);
                    progress.files_done.fetch_add(1, Ordering::Relaxed);
                    sink(FileBatch {
                        path: path.clone(),
                        events,
                        verdicts,
                    });
                }
                problems
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(mine);
            });
        }
    });
    let mut problems = problems.into_inner().unwrap_or_else(|p| p.into_inner());
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    Summary {
        files: progress.files_done.load(Ordering::Relaxed),
        events: progress.events.load(Ordering::Relaxed),
        bytes: progress.bytes.load(Ordering::Relaxed),
        problems,
        cancelled: progress.cancel.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    }
}

#[cfg(test)]
mod tests;
