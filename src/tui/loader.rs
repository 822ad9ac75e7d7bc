//! Reads a CloudTrail archive into an open console: events arrive in batches while the
//! console stays responsive, progress (files, events, bytes, rate) is reported as it goes,
//! the read can be stopped, and once everything is in the detections run over it in time
//! order, so the Alerts pane shows what they would have raised.

use super::app::{LoadStatus, Msg};
use super::run::Loader;
use crate::archive::read::FileBatch;
use crate::archive::{Problem, ReadOptions, ReadProgress, Source, read_source};
use crate::detect::{Detections, Verdicts};
use crate::model::{CloudTrailEvent, Record, RecordBody};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// How often arriving events are handed to the console: each hand-over merges them into
/// the sorted list and redraws the panes, work that grows with what is already loaded, so
/// the pause between hand-overs grows too (150 ms at first, about a second at a million):
/// the load stays linear and the screen keeps a core's share for the reader.
const BATCH_EVERY: Duration = Duration::from_millis(150);
const BATCH_EVERY_PER_100K: Duration = Duration::from_millis(90);
const BATCH_EVENTS: usize = 250_000;

fn batch_every(loaded: usize) -> Duration {
    BATCH_EVERY + BATCH_EVERY_PER_100K * (loaded / 100_000) as u32
}

/// Who raised the alerts the archive's detections found: the same actor as for every
/// other source's alerts.
pub use crate::source::ingest::DETECTOR;

/// What the read left for after the console closes: the problems, to be listed.
pub type Problems = Arc<Mutex<Vec<Problem>>>;

/// Starts reading `source` on a thread of its own; the console gets its `Loader`.
pub fn start(
    source: Source,
    aws: crate::source::aws::connect::ConnectOptions,
    detections: Option<Detections>,
    rt: tokio::runtime::Handle,
) -> (Loader, Problems) {
    let (tx, inbox) = tokio::sync::mpsc::unbounded_channel();
    let progress = Arc::new(ReadProgress::default());
    let problems: Problems = Arc::default();
    let cancel = {
        let progress = progress.clone();
        Box::new(move || progress.cancel.store(true, Ordering::Relaxed)) as Box<dyn Fn() + Send>
    };
    let kept = problems.clone();
    std::thread::Builder::new()
        .name("archive-load".into())
        .spawn(move || {
            let found = read(&source, &aws, detections.as_ref(), &progress, &tx, &rt);
            *kept.lock().unwrap_or_else(|p| p.into_inner()) = found;
        })
        .expect("start the archive reader thread");
    (Loader { inbox, cancel }, problems)
}

fn read(
    source: &Source,
    aws: &crate::source::aws::connect::ConnectOptions,
    detections: Option<&Detections>,
    progress: &ReadProgress,
    tx: &UnboundedSender<Msg>,
    rt: &tokio::runtime::Handle,
) -> Vec<Problem> {
    let started = Instant::now();
    let label = source.to_string();
    let status = |done: bool| LoadStatus {
        source: label.clone(),
        files_done: progress.files_done.load(Ordering::Relaxed),
        files_total: progress.files_total.load(Ordering::Relaxed),
        events: progress.events.load(Ordering::Relaxed),
        bytes: progress.bytes.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        problems: progress.problems.load(Ordering::Relaxed),
        done,
        cancelled: progress.cancel.load(Ordering::Relaxed),
    };
    // Events waiting to be handed over, when they last were, when progress last was.
    let pending = Mutex::new((Vec::new(), Instant::now(), Instant::now()));
    let everything = Mutex::new((Vec::new(), Verdicts::default()));
    let send = |events: Vec<Arc<CloudTrailEvent>>| {
        if !events.is_empty() {
            let _ = tx.send(Msg::Loaded(events));
        }
        let _ = tx.send(Msg::Load(status(false)));
    };
    let sink = |batch: FileBatch| {
        {
            let mut all = everything.lock().unwrap_or_else(|p| p.into_inner());
            all.0.extend(batch.events.iter().cloned());
            all.1.extend(batch.verdicts);
        }
        let mut p = pending.lock().unwrap_or_else(|p| p.into_inner());
        p.0.extend(batch.events);
        let loaded = progress.events.load(Ordering::Relaxed);
        if p.0.len() >= BATCH_EVENTS || p.1.elapsed() >= batch_every(loaded) {
            let events = std::mem::take(&mut p.0);
            p.1 = Instant::now();
            p.2 = p.1;
            send(events);
        } else if p.2.elapsed() >= BATCH_EVERY {
            // ReadProgress is cheap to show: it keeps its own pace.
            p.2 = Instant::now();
            let _ = tx.send(Msg::Load(status(false)));
        }
    };
    let opts = ReadOptions {
        rules: detections.map(|d| d.rules.clone()),
        ..ReadOptions::default()
    };
    let summary = read_source(source, &opts, aws, progress, &sink, rt);
    let rest = std::mem::take(&mut pending.lock().unwrap_or_else(|p| p.into_inner()).0);
    send(rest);
    let (events, verdicts) = everything.into_inner().unwrap_or_else(|p| p.into_inner());
    let alerts = match detections {
        Some(d) => detect(d, &events, &verdicts),
        None => Vec::new(),
    };
    if !alerts.is_empty() {
        let _ = tx.send(Msg::Records(alerts));
    }
    let mut done = status(true);
    done.problems = summary.problems.len();
    done.files_done = summary.files;
    done.events = summary.events;
    done.bytes = summary.bytes;
    let _ = tx.send(Msg::Load(done));
    summary.problems
}

/// Runs the detections over `events` in time order; each alert as it stood at the end, as
/// the records of the archive's own journal (numbered from 1: an archive's console starts
/// from nothing, and its state takes records like any other).
pub fn detect(
    detections: &Detections,
    events: &[Arc<CloudTrailEvent>],
    verdicts: &Verdicts,
) -> Vec<Record> {
    detections
        .run_over(events, verdicts)
        .into_iter()
        .enumerate()
        .map(|(i, a)| Record {
            seq: i as i64 + 1,
            at: a.first_seen,
            actor: DETECTOR.into(),
            body: RecordBody::Alert(a),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_arrives_in_batches_then_its_alerts_then_the_end() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let scenario = crate::source::demo::scenario::founding_scenario();
        let end = scenario.end() + chrono::Duration::hours(1);
        let world = crate::source::demo::world::DemoWorld::new(scenario);
        let lines: Vec<String> = world
            .advance(end)
            .into_iter()
            .filter_map(|r| match r.body {
                RecordBody::Event(e) => Some(e.raw_text().replace('\n', " ")),
                _ => None,
            })
            .collect();
        std::fs::write(dir.path().join("trail.jsonl"), lines.join("\n")).unwrap();
        std::fs::write(dir.path().join("broken.json"), "{\"Records\": [").unwrap();
        let (mut loader, problems) = start(
            Source::Local(dir.path().to_path_buf()),
            Default::default(),
            Some(Detections::default()),
            rt.handle().clone(),
        );
        let mut events = 0;
        let mut alerts = Vec::new();
        let last = loop {
            match loader
                .inbox
                .blocking_recv()
                .expect("the loader ends with a status")
            {
                Msg::Loaded(batch) => events += batch.len(),
                Msg::Records(records) => alerts = records,
                Msg::Load(status) if status.done => break status,
                Msg::Load(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        };
        assert_eq!(events, lines.len());
        assert_eq!(
            (last.events, last.files_done, last.problems),
            (lines.len(), 2, 1)
        );
        assert!(!last.cancelled);
        let rules: Vec<&str> = alerts
            .iter()
            .map(|r| match &r.body {
                RecordBody::Alert(a) => a.rule.as_str(),
                _ => "",
            })
            .collect();
        assert!(rules.contains(&"expensive-launch"), "{rules:?}");
        assert!(alerts.iter().all(|r| r.actor == DETECTOR));
        let seqs: Vec<i64> = alerts.iter().map(|r| r.seq).collect();
        assert_eq!(
            seqs,
            (1..=alerts.len() as i64).collect::<Vec<_>>(),
            "numbered as a journal is"
        );
        // The thread leaves its problems behind once it has sent the end.
        std::thread::sleep(Duration::from_millis(50));
        let problems = problems.lock().unwrap();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].path.ends_with("broken.json"), "{problems:?}");
    }
}
