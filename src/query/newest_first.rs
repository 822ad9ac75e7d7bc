//! `warroom query --newest-first` over local files: the matches printed newest first, each
//! as soon as no file still unread can hold a newer one, so that `| head` returns at once.
//!
//! Why newest first streams and oldest first cannot: CloudTrail writes a record into a
//! file delivered after the call, never before, so a file's delivery stamp bounds its
//! records from above ([`latest_possible`]) while nothing bounds them from below (a late
//! record can sit in any later file). Reading the files latest bound first, every match
//! newer than the next file's bound is final and can be printed.

use super::{Hit, Matcher, Matches, search_file};
use crate::archive::Problem;
use crate::archive::read::{ReadOptions, ReadProgress, latest_possible, list_files};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// The end of a streamed search.
#[derive(Debug, Default)]
pub struct Streamed {
    /// Matches printed (each event once).
    pub printed: usize,
    pub problems: Vec<Problem>,
    /// Matches newer than their file's delivery allows, printed where they were found
    /// (out of order), with the first such file.
    pub out_of_order: usize,
    pub first_out_of_order: Option<String>,
}

/// A hit in the heap: ordered by time, then `eventID`, so equal times come out the same
/// way every run.
struct Newest {
    time: DateTime<Utc>,
    id: Option<String>,
    hit: Hit,
}

impl Newest {
    fn new(hit: Hit) -> Self {
        let id = hit
            .event
            .get("eventID")
            .and_then(Value::as_str)
            .map(str::to_string);
        Newest {
            time: hit.time,
            id,
            hit,
        }
    }
}

impl PartialEq for Newest {
    fn eq(&self, other: &Self) -> bool {
        (self.time, &self.id) == (other.time, &other.id)
    }
}
impl Eq for Newest {}
impl PartialOrd for Newest {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Newest {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.time, &self.id).cmp(&(other.time, &other.id))
    }
}

/// One file's outcome: its place in the reading order, its matches, what was wrong in it.
pub struct Done {
    pub index: usize,
    pub hits: Vec<Hit>,
    pub said: Vec<String>,
}

/// Where streamed matches go.
pub trait Printer {
    fn print(&mut self, hit: &Hit) -> std::io::Result<()>;
    /// Nothing more is final for now: a moment to flush.
    fn pause(&mut self) -> std::io::Result<()>;
}

type Emit<'a> = &'a mut dyn Printer;

/// Searches `root` newest first, printing each match in that order. A printer's error
/// (the reader went away) stops the search and is returned with what was done.
pub fn search(
    root: &Path,
    matcher: &Matcher,
    opts: &ReadOptions,
    progress: &ReadProgress,
    emit: Emit,
) -> Result<(Streamed, std::io::Result<()>), Problem> {
    let files = in_reading_order(list_files(root, opts)?);
    progress.files_total.store(files.len(), Ordering::Relaxed);
    let next_file = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (tx, rx) = mpsc::channel::<Done>();
    let mut merge = Merge::new(&files);
    let mut outcome = Ok(());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(files.len().max(1)) {
            let tx = tx.clone();
            let (files, next_file, stop) = (&files, &next_file, &stop);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let index = next_file.fetch_add(1, Ordering::Relaxed);
                    let Some((path, _)) = files.get(index) else {
                        break;
                    };
                    let mut found = Matches::new(false);
                    let said = search_file(path, matcher, &mut found, progress);
                    let done = Done {
                        index,
                        hits: found.hits,
                        said,
                    };
                    if tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for done in rx.iter() {
            if let Err(e) = merge.take(done, emit).and_then(|()| emit.pause()) {
                outcome = Err(e);
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        // Dropping the receiver here ends any worker still sending.
    });
    if let Err(e) = outcome {
        return Ok((merge.into_streamed(), Err(e)));
    }
    Ok(merge.finish(emit))
}

/// The files with their bounds, latest bound first; files nothing bounds come before all.
pub fn in_reading_order(files: Vec<PathBuf>) -> Vec<(PathBuf, Option<DateTime<Utc>>)> {
    let mut files: Vec<_> = files
        .into_iter()
        .map(|path| {
            let bound = latest_possible(&path);
            (path, bound)
        })
        .collect();
    // `None` sorts below every `Some`, and a reversed time sorts the latest first.
    files.sort_by(|a, b| (a.1.map(Reverse), &a.0).cmp(&(b.1.map(Reverse), &b.0)));
    files
}

/// Puts files read out of order back in reading order, and prints what has become final.
pub struct Merge<'f> {
    files: &'f [(PathBuf, Option<DateTime<Utc>>)],
    /// Files done ahead of an earlier one still being read.
    waiting: BTreeMap<usize, Done>,
    /// The first file not yet merged.
    next: usize,
    held: BinaryHeap<Newest>,
    seen: HashSet<String>,
    last_printed: Option<DateTime<Utc>>,
    streamed: Streamed,
}

impl<'f> Merge<'f> {
    /// For `files` as [`in_reading_order`] gives them.
    pub fn new(files: &'f [(PathBuf, Option<DateTime<Utc>>)]) -> Self {
        Merge {
            files,
            waiting: BTreeMap::new(),
            next: 0,
            held: BinaryHeap::new(),
            seen: HashSet::new(),
            last_printed: None,
            streamed: Streamed::default(),
        }
    }

    /// Takes one file's outcome, and prints whatever is now final.
    pub fn take(&mut self, done: Done, emit: Emit) -> std::io::Result<()> {
        self.waiting.insert(done.index, done);
        while let Some(done) = self.waiting.remove(&self.next) {
            self.next += 1;
            let path = &self.files[done.index].0;
            self.streamed
                .problems
                .extend(done.said.into_iter().map(|reason| Problem {
                    path: path.display().to_string(),
                    reason,
                }));
            for hit in done.hits {
                let hit = Newest::new(hit);
                if let Some(id) = &hit.id
                    && !self.seen.insert(id.clone())
                {
                    continue;
                }
                if self.last_printed.is_some_and(|last| hit.time > last) {
                    // Newer than what is already out: its file was delivered before the
                    // record says it happened. Printed now, so that nothing is lost.
                    self.streamed.out_of_order += 1;
                    self.streamed
                        .first_out_of_order
                        .get_or_insert_with(|| path.display().to_string());
                    emit.print(&hit.hit)?;
                    self.streamed.printed += 1;
                    continue;
                }
                self.held.push(hit);
            }
        }
        match self.files.get(self.next) {
            Some((_, Some(bound))) => self.print_newer_than(Some(*bound), emit),
            // A file nothing bounds is still to come: nothing is final yet.
            Some((_, None)) => Ok(()),
            None => self.print_newer_than(None, emit),
        }
    }

    /// Prints every held match newer than `bound` (all of them for `None`), newest first.
    fn print_newer_than(
        &mut self,
        bound: Option<DateTime<Utc>>,
        emit: Emit,
    ) -> std::io::Result<()> {
        while let Some(top) = self.held.peek() {
            if bound.is_some_and(|b| top.time <= b) {
                break;
            }
            let Some(top) = self.held.pop() else { break };
            self.last_printed = Some(top.time);
            emit.print(&top.hit)?;
            self.streamed.printed += 1;
        }
        Ok(())
    }

    fn flush(&mut self, emit: Emit) -> std::io::Result<()> {
        self.print_newer_than(None, emit)
    }

    /// Every file read: prints what is held, and says how it went.
    pub fn finish(mut self, emit: Emit) -> (Streamed, std::io::Result<()>) {
        let outcome = self.flush(emit).and_then(|()| emit.pause());
        (self.into_streamed(), outcome)
    }

    /// How it went, what could not be read sorted by path.
    pub fn into_streamed(self) -> Streamed {
        let mut streamed = self.streamed;
        streamed.problems.sort_by(|a, b| a.path.cmp(&b.path));
        streamed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Filter, search_local};

    const DAY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/22";

    fn event(id: &str, time: &str) -> String {
        format!(
            r#"{{"eventID":"{id}","eventTime":"{time}","eventName":"GetObject","userIdentity":{{"type":"IAMUser","accessKeyId":"AKIAPIVOT"}}}}"#
        )
    }

    fn put(root: &Path, rel: &str, events: &[String]) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!(r#"{{"Records":[{}]}}"#, events.join(","))).unwrap();
    }

    fn stamped(stamp: &str) -> String {
        format!("{DAY}/111122223333_CloudTrail_us-east-1_{stamp}_x.json")
    }

    fn matcher() -> Matcher {
        Matcher::new(
            vec![Filter::parse("userIdentity.accessKeyId=AKIAPIVOT").unwrap()],
            None,
            None,
        )
    }

    /// What was printed, by `eventID`, and after how many files had been merged.
    #[derive(Default)]
    struct Recorder {
        ids: Vec<String>,
        stop_after: Option<usize>,
    }

    impl Printer for Recorder {
        fn print(&mut self, hit: &Hit) -> std::io::Result<()> {
            if self.stop_after == Some(self.ids.len()) {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            self.ids
                .push(hit.event["eventID"].as_str().unwrap().to_string());
            Ok(())
        }
        fn pause(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Late records (older than their file), a file nothing bounds, a repeated record.
    fn archive(root: &Path) {
        put(
            root,
            &stamped("20261122T1205Z"),
            &[
                event("noon-1", "2026-11-22T12:01:00Z"),
                event("late", "2026-11-22T06:00:00Z"),
                event("noon-2", "2026-11-22T12:03:00Z"),
            ],
        );
        put(
            root,
            &stamped("20261122T0905Z"),
            &[
                event("nine", "2026-11-22T09:02:00Z"),
                event("noon-1", "2026-11-22T12:01:00Z"),
            ],
        );
        put(
            root,
            &stamped("20261122T0605Z"),
            &[event("six", "2026-11-22T06:01:00Z")],
        );
        put(
            root,
            "exports/merged.json",
            &[event("export", "2026-11-22T10:00:00Z")],
        );
    }

    #[test]
    fn newest_first_is_the_sorted_search_reversed() {
        let dir = tempfile::tempdir().unwrap();
        archive(dir.path());
        let opts = ReadOptions::default();
        let mut printed = Recorder::default();
        let (streamed, outcome) = search(
            dir.path(),
            &matcher(),
            &opts,
            &ReadProgress::default(),
            &mut printed,
        )
        .unwrap();
        outcome.unwrap();
        let (sorted, n, _) = search_local(
            dir.path(),
            &matcher(),
            &opts,
            false,
            &ReadProgress::default(),
        )
        .unwrap();
        let mut reversed: Vec<String> = sorted
            .iter()
            .map(|h| h.event["eventID"].as_str().unwrap().to_string())
            .collect();
        reversed.reverse();
        assert_eq!(printed.ids, reversed);
        assert_eq!(
            printed.ids,
            ["noon-2", "noon-1", "export", "nine", "six", "late"]
        );
        assert_eq!((streamed.printed, n), (6, 6));
        assert_eq!(streamed.out_of_order, 0);
    }

    #[test]
    fn a_match_is_printed_once_no_unread_file_can_hold_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        archive(dir.path());
        let files = in_reading_order(list_files(dir.path(), &ReadOptions::default()).unwrap());
        let names: Vec<_> = files
            .iter()
            .map(|(p, _)| p.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        assert_eq!(
            names[0], "merged.json",
            "a file nothing bounds is read first"
        );
        let mut merge = Merge::new(&files);
        let mut printed = Recorder::default();
        let hits_of = |index: usize| {
            let mut found = Matches::new(false);
            assert!(
                search_file(
                    &files[index].0,
                    &matcher(),
                    &mut found,
                    &ReadProgress::default()
                )
                .is_empty()
            );
            Done {
                index,
                hits: found.hits,
                said: Vec::new(),
            }
        };
        // The noon file finishes before the unbounded export: nothing is final yet.
        merge.take(hits_of(1), &mut printed).unwrap();
        assert!(printed.ids.is_empty());
        // With both read, noon's records are newer than anything the 09:05 file can hold
        // (09:05 and an hour); the export's 10:00 is not.
        merge.take(hits_of(0), &mut printed).unwrap();
        assert_eq!(printed.ids, ["noon-2", "noon-1"]);
        // 09:05's records are read: anything left is from 07:05 or before.
        merge.take(hits_of(2), &mut printed).unwrap();
        assert_eq!(printed.ids, ["noon-2", "noon-1", "export", "nine"]);
        merge.take(hits_of(3), &mut printed).unwrap();
        assert_eq!(printed.ids.len(), 6);
    }

    #[test]
    fn a_reader_that_goes_away_stops_the_search() {
        let dir = tempfile::tempdir().unwrap();
        archive(dir.path());
        let mut printed = Recorder {
            stop_after: Some(2),
            ..Recorder::default()
        };
        let (streamed, outcome) = search(
            dir.path(),
            &matcher(),
            &ReadOptions::default(),
            &ReadProgress::default(),
            &mut printed,
        )
        .unwrap();
        assert_eq!(outcome.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
        assert_eq!(printed.ids, ["noon-2", "noon-1"]);
        assert_eq!(streamed.printed, 2);
    }

    #[test]
    fn a_record_newer_than_its_file_allows_is_printed_and_named() {
        let dir = tempfile::tempdir().unwrap();
        put(
            dir.path(),
            &stamped("20261122T1205Z"),
            &[event("noon", "2026-11-22T12:00:00Z")],
        );
        // Delivered at 06:05, yet says 18:00: a clock far off.
        put(
            dir.path(),
            &stamped("20261122T0605Z"),
            &[event("skewed", "2026-11-22T18:00:00Z")],
        );
        let files = in_reading_order(list_files(dir.path(), &ReadOptions::default()).unwrap());
        let mut merge = Merge::new(&files);
        let mut printed = Recorder::default();
        for (index, (path, _)) in files.iter().enumerate() {
            let mut found = Matches::new(false);
            search_file(path, &matcher(), &mut found, &ReadProgress::default());
            let hits = found.hits;
            let said = Vec::new();
            merge
                .take(Done { index, hits, said }, &mut printed)
                .unwrap();
        }
        assert_eq!(printed.ids, ["noon", "skewed"]);
        let streamed = merge.streamed;
        assert_eq!(streamed.out_of_order, 1);
        assert!(
            streamed
                .first_out_of_order
                .unwrap()
                .contains("20261122T0605Z")
        );
    }
}
